"""Segment queries on the store (`rare_dsl.store.queries`): count, sample, explain and breakdown on a small
demo shop, checked against the reference evaluator (`rare_dsl.evaluate`) over the same rows read back
from the store; then `list snapshot`, which copies a rule's members onto a list in one transaction."""

from __future__ import annotations

import _thread
import datetime as dt
import json
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from store_helpers import rows_of, snapshot

from rare_dsl import check, lists
from rare_dsl.cli import main
from rare_dsl.cli.segment_queries import breakdown_lines
from rare_dsl.evaluate import evaluate, existing
from rare_dsl.schema import default_schema
from rare_dsl.store import Store
from rare_dsl.store.breakdown import Breakdown, UnknownField
from rare_dsl.store.demo import generate
from rare_dsl.store.queries import Cancelled, SegmentQueries
from rare_dsl.store.shares import contacts, percent

ANCHOR = dt.datetime(2026, 3, 15)  # the demo's facts run up to here
AS_OF = ANCHOR.replace(tzinfo=dt.UTC)
CONTACTS = 1_500
SEGMENT_TEXT = {"french": 'country = "France"', "top_spenders": "order by total_spent desc limit 20"}
SEGMENTS = {name: check(text) for name, text in SEGMENT_TEXT.items()}
RULES = [
    'country = "France" and opens(6mo) >= 3',
    'quality = "vip" or orders(within: 1y) >= 2',
    'not tags contains "newsletter" and city is set',
    'in_list("Popup leads") and status = "subscribed"',
    "spent(within: 1y) > 200 and refunds() = 0",
    'last_order_date < 90d ago and clicks(3mo) >= 1 or quality = "lapsed"',
    "order by total_spent desc limit 25",
    'in_segment("french") and not in_segment("top_spenders")',
]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("counts") / "shop.duckdb"
    with Store.open(path, write=True) as store:
        generate(store, contacts=CONTACTS, seed=7, anchor=ANCHOR)
    return path


@pytest.fixture(scope="module")
def tables(shop: Path) -> dict[str, list[dict[str, Any]]]:
    return rows_of(shop)


@pytest.fixture
def queries(shop: Path) -> Iterator[SegmentQueries]:
    with Store.open(shop) as store:
        yield SegmentQueries(store)


def reference(tables: dict[str, list[dict[str, Any]]], rule: str) -> list[Any]:
    """The members of a rule by the reference evaluator, at the demo's anchor."""
    return evaluate(check(rule, segments=list(SEGMENTS)), tables, ANCHOR, segments=SEGMENTS)


# ---------------------------------------------------------------------------------------------------- count


@pytest.mark.parametrize("rule", RULES)
def test_count_agrees_with_the_reference_evaluator(queries: SegmentQueries, tables: Any, rule: str) -> None:
    found = queries.count(check(rule, segments=list(SEGMENTS)), AS_OF, segments=SEGMENTS)
    assert found.matching == len(reference(tables, rule))
    assert found.total == CONTACTS
    assert found.as_of == AS_OF
    assert found.share == found.matching / CONTACTS
    assert found.of_total() == f"{found.matching:,} of {CONTACTS:,} contacts ({found.matching / CONTACTS:.1%})"


def test_every_contact_and_the_total(queries: SegmentQueries) -> None:
    assert queries.count(check("order by created_at")).matching == CONTACTS
    assert queries.total() == CONTACTS


def test_a_share_too_small_to_show_is_not_printed_as_none(shop: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """One contact of 1,500 (0.07%) is `<0.1%` wherever a share is printed: `rare count`, `explain`,
    `segments` (and the REPL, which prints the same lines); nobody stays `0.0%`, everyone `100.0%`."""
    one = "order by total_spent desc limit 1"
    assert main(["count", one, "--db", str(shop)]) == 0
    assert capsys.readouterr().out == f"1 of {CONTACTS:,} contacts (<0.1%)\n"
    assert main(["count", 'country = "Atlantis"', "--db", str(shop)]) == 0
    assert capsys.readouterr().out == f"0 of {CONTACTS:,} contacts (0.0%)\n"
    assert main(["explain", one, "--db", str(shop)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.search(rf"every contact +{CONTACTS:,}  100\.0%$", lines[-2]) and lines[-1].endswith("  1   <0.1%")
    (tmp_path / "top.rare").write_text(f"segment top_spender:\n    {one}\n", encoding="utf-8")
    assert main(["segments", str(tmp_path / "top.rare"), "--db", str(shop)]) == 0
    assert "top_spender  " in (out := capsys.readouterr().out) and out.splitlines()[0].endswith(" 1 contact (<0.1%)")
    assert main(["explain", one, "--db", str(shop), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"][-1]["share"] == round(1 / CONTACTS, 6)


@pytest.mark.parametrize(("part", "whole", "shown"), [
    (0, 100_000, "0.0%"), (0, 0, "0.0%"), (1, 100_000, "<0.1%"), (99, 100_000, "<0.1%"), (100, 100_000, "0.1%"),
    (5_756, 100_000, "5.8%"), (99_900, 100_000, "99.9%"), (99_901, 100_000, ">99.9%"), (99_999, 100_000, ">99.9%"),
    (100_000, 100_000, "100.0%"),
])
def test_percent(part: int, whole: int, shown: str) -> None:
    assert percent(part, whole) == shown


def test_one_contact_is_singular() -> None:
    assert [contacts(n) for n in (0, 1, 2, 4_019)] == ["0 contacts", "1 contact", "2 contacts", "4,019 contacts"]


def test_breakdown_lines_show_a_small_share() -> None:
    split = Breakdown(field="country", matching=2_000, top=(("France", 1_999), ("Spain", 1)), other=0, missing=0)
    france, spain = breakdown_lines(split)[1:]
    assert re.fullmatch(r"  France  +1,999  >99\.9%  █+", france)
    assert re.fullmatch(r"  Spain  +1   <0\.1%  .*", spain)


# Half a year before the demo's anchor: the contacts who signed up since did not exist yet (SPEC 8.4).
EARLIER = dt.datetime(2025, 9, 15)


def test_at_an_earlier_instant_the_total_is_the_contacts_that_existed(queries: SegmentQueries,
                                                                       tables: Any) -> None:
    existed = existing(default_schema(), tables, EARLIER)
    assert 0 < len(existed) < CONTACTS  # the demo signs contacts up until its anchor
    at = EARLIER.replace(tzinfo=dt.UTC)
    assert queries.total(at) == len(existed) and queries.total() == CONTACTS
    for rule in ("orders() = 0", 'not country = "France"', "created_at > 30d ago", "order by created_at desc"):
        found = queries.count(check(rule), at)
        members = evaluate(check(rule), tables, EARLIER)
        assert found.matching == len(members) and set(members) <= set(existed), rule
        assert (found.total, found.share) == (len(existed), len(members) / len(existed)), rule
        assert found.of_total() == f"{len(members):,} of {len(existed):,} contacts ({found.share:.1%})"
    explained = queries.explain(check("orders() = 0 order by created_at desc limit 5000"), at)
    assert explained.total == len(existed)
    assert [s.remaining for s in explained.steps] == [len(evaluate(check("orders() = 0"), tables, EARLIER))] * 2
    everyone = queries.explain(check("order by created_at desc"), at)
    assert [(s.clause, s.remaining) for s in everyone.steps] == [("every contact", len(existed)),
                                                                 ("order by created_at desc", len(existed))]
    late = queries.sample(check("order by created_at desc"), 3, at)
    assert [row[0] for row in late.rows] == evaluate(check("order by created_at desc limit 3"), tables, EARLIER)
    split = queries.breakdown(check("orders() = 0"), "country", at)
    assert split.matching == len(evaluate(check("orders() = 0"), tables, EARLIER))


# --------------------------------------------------------------------------------------------------- sample


def test_sample_shows_members_in_id_order_with_the_values_the_rule_reads(queries: SegmentQueries,
                                                                          tables: Any) -> None:
    rule = 'country = "France" and opens(6mo) >= 3 and tags contains "vip"'
    found = queries.sample(check(rule), 5, AS_OF)
    assert found.columns == ("customer_id", "email", "country", "tags", "opens(6mo)")
    assert [row[0] for row in found.rows] == reference(tables, rule)[:5]
    for customer, _email, country, tags, opens in found.rows:
        assert country == "France" and "vip" in tags.split(", ")
        # The value is the one the reference evaluator gives: the contact meets `opens(6mo) = value`.
        assert customer in reference(tables, f"opens(6mo) = {opens}")


def test_sample_of_a_ranking_keeps_its_order(queries: SegmentQueries, tables: Any) -> None:
    rule = "orders() >= 1 order by orders() desc, total_spent desc limit 8"
    found = queries.sample(check(rule), 5, AS_OF)
    assert found.columns == ("customer_id", "email", "orders()", "total_spent")
    assert [row[0] for row in found.rows] == reference(tables, rule)[:5]
    counts = [row[2] for row in found.rows]
    assert counts == sorted(counts, reverse=True)
    assert len(queries.sample(check(rule), 50, AS_OF).rows) == 8  # never more than the rule's limit


def test_sample_of_memberships_and_missing_values(queries: SegmentQueries, tables: Any) -> None:
    rule = 'in_list("Popup leads") or average_order_value > 100'
    found = queries.sample(check(rule), 20, AS_OF)
    assert found.columns == ("customer_id", "email", 'in_list("Popup leads")', "average_order_value")
    in_popup = set(reference(tables, 'in_list("Popup leads")'))
    never_ordered = set(reference(tables, "orders() = 0"))
    for customer, _email, listed, average in found.rows:
        assert listed is (customer in in_popup)
        assert (average is None) == (customer in never_ordered)


def test_sample_of_nobody(queries: SegmentQueries) -> None:
    found = queries.sample(check('country = "Atlantis"'), 5)
    assert found.rows == () and found.columns == ("customer_id", "email", "country")


# -------------------------------------------------------------------------------------------------- explain


def test_explain_counts_each_clause_cumulatively(queries: SegmentQueries, tables: Any) -> None:
    rule = 'country = "France" and opens(6mo) >= 1 and (quality = "vip" or clicks(3mo) >= 1) ' \
           "order by total_spent desc limit 10"
    found = queries.explain(check(rule), AS_OF)
    assert [(s.clause, s.depth) for s in found.steps] == [
        ('country = "France"', 0), ("and opens(6mo) >= 1", 0), ('and (quality = "vip" or clicks(3mo) >= 1)', 0),
        ('quality = "vip"', 1), ("or clicks(3mo) >= 1", 1), ("order by total_spent desc limit 10", 0)]
    french = 'country = "France"'
    prefix = f"{french} and opens(6mo) >= 1"
    expected = [reference(tables, french), reference(tables, prefix),
                reference(tables, f'{prefix} and (quality = "vip" or clicks(3mo) >= 1)'),
                reference(tables, f'{prefix} and quality = "vip"')]
    assert [s.remaining for s in found.steps[:4]] == [len(ids) for ids in expected]
    clause, first, second, ranking = found.steps[2:]
    assert first.brings + second.brings == clause.remaining == second.remaining  # the branches add up
    assert ranking.remaining == min(10, clause.remaining)
    assert found.total == CONTACTS


def test_explain_an_or_counts_what_each_branch_brings(queries: SegmentQueries, tables: Any) -> None:
    branches = ['quality = "vip"', "opens(6mo) >= 5", 'country = "Spain"']
    found = queries.explain(check(" or ".join(branches)), AS_OF)
    assert [s.clause for s in found.steps] == [branches[0], *(f"or {b}" for b in branches[1:])]
    union: set[Any] = set()
    for step, branch in zip(found.steps, branches, strict=True):
        members = set(reference(tables, branch))
        assert step.brings == len(members - union)
        union |= members
        assert step.remaining == len(union)


@pytest.mark.parametrize(("rule", "clauses"), [
    ("opens(6mo) >= 3", ["opens(6mo) >= 3"]),
    ("order by engagement(6mo) desc limit 5", ["every contact", "order by engagement(6mo) desc limit 5"]),
    ('not (city = "Paris" and quality = "vip")', ['not (city = "Paris" and quality = "vip")']),
])
def test_explain_other_shapes(queries: SegmentQueries, rule: str, clauses: list[str]) -> None:
    found = queries.explain(check(rule), AS_OF)
    assert [s.clause for s in found.steps] == clauses
    assert found.steps[-1].remaining == queries.count(check(rule), AS_OF).matching


# ------------------------------------------------------------------------------------------------ breakdown


@pytest.mark.parametrize(("field", "top"), [("quality", 10), ("city", 5), ("country", 3)])
def test_breakdown_sums_to_the_count(queries: SegmentQueries, tables: Any, field: str, top: int) -> None:
    rule = "opens(6mo) >= 1"
    found = queries.breakdown(check(rule), field, AS_OF, top=top)
    members = set(reference(tables, rule))
    assert found.matching == len(members)
    assert sum(n for _, n in found.top) + found.other + found.missing == found.matching
    values = Counter(c[field] for c in tables["customers"] if c["customer_id"] in members)
    assert found.missing == values.pop(None, 0)
    assert dict(found.top) == {value: values[value] for value, _ in found.top}
    assert [n for _, n in found.top] == sorted(values.values(), reverse=True)[:top]
    assert len(found.top) <= top


def test_breakdown_refuses_what_is_not_a_field(queries: SegmentQueries) -> None:
    with pytest.raises(UnknownField, match="unknown field `qualty`") as caught:
        queries.breakdown(check("opens(6mo) >= 1"), "qualty")
    assert caught.value.hint == "did you mean `quality`?" and caught.value.usage
    with pytest.raises(UnknownField, match="unknown field `opens`") as caught:
        queries.breakdown(check("opens(6mo) >= 1"), "opens")
    assert "tags" in (caught.value.hint or "") and "total_spent" in (caught.value.hint or "")


@pytest.mark.parametrize(("field", "options"), [
    ("tags", {"top": 3}), ("created_at", {}), ("created_at", {"bucket": "week"}), ("total_spent", {}),
    ("order_count", {"bins": 4}), ("last_click_date", {"bucket": "month"})])
def test_breakdown_of_tags_times_and_measures(queries: SegmentQueries, tables: Any, field: str,
                                              options: dict[str, Any]) -> None:
    """On the demo shop too: every row holds the members of the rule narrowed to it."""
    from breakdown_helpers import verify

    rule = "opens(6mo) >= 1"
    found = queries.breakdown(check(rule), field, AS_OF, **options)
    assert len(found.top) >= 2
    verify(found, rule, field, options, lambda text: set(reference(tables, text)), tables["customers"])


# ------------------------------------------------------------------------------------ values and cancelling


def test_values_and_lists(queries: SegmentQueries) -> None:
    assert queries.values("country")[0][0] == "France"
    assert "Red Shoes" in dict(queries.values("param:product"))
    assert queries.values("order_count") == []
    assert [name for name, _ in queries.lists()] == ["Do not email", "Popup leads", "Wholesale partners"]


def test_value_counts_are_exact_where_values_are_the_most_common(queries: SegmentQueries) -> None:
    """`value_counts` (what `rare check --db` asks) and `values` (what the REPL completes) count alike, and
    a value outside the `top` most common is still counted, so the lint never calls it unknown."""
    common = dict(queries.values("country", top=5_000))
    rarest = min(common, key=lambda value: (common[value], value))
    assert queries.values("country", top=1) == [("France", common["France"])]
    assert queries.value_counts("country", ["France", rarest, "Frnace"]) == {
        "France": common["France"], rarest: common[rarest], "Frnace": 0}
    products = dict(queries.values("param:product"))
    assert queries.value_counts("param:product", ["Red Shoes"]) == {"Red Shoes": products["Red Shoes"]}
    assert queries.value_counts("country", []) == {}
    assert queries.value_counts("order_count", ["3"]) is None  # computed, not a column: nothing to look up


def test_an_interrupted_query_raises_cancelled(queries: SegmentQueries) -> None:
    cursor = queries.cursor()
    slow = sqlglot.parse_one("SELECT sum(a.range * b.range) FROM range(1000000) AS a, range(1000000) AS b")
    stopper = threading.Timer(0.3, cursor.interrupt)
    started = time.perf_counter()
    stopper.start()
    with pytest.raises(Cancelled):
        queries._run(slow, cursor)
    assert time.perf_counter() - started < 5
    assert queries.count(check("opens(6mo) >= 1"), AS_OF, cursor=cursor).matching > 0  # the cursor still works


@pytest.mark.usefixtures("python_handles_ctrl_c")
def test_ctrl_c_in_the_command_line_is_an_interruption(shop: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import SLOW_QUERY

    from rare_dsl.cli import main

    def slow_count(self: SegmentQueries, *args: Any, **kwargs: Any) -> Any:
        threading.Timer(0.2, _thread.interrupt_main).start()
        return self._run(sqlglot.parse_one(SLOW_QUERY), None)

    monkeypatch.setattr(SegmentQueries, "count", slow_count)
    assert main(["count", "opens(6mo) >= 1", "--db", str(shop)]) == 130
    assert "interrupted" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------- snapshot


@pytest.fixture
def writable(shop: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "shop.duckdb"
    shutil.copy(shop, copy)
    with Store.open(copy, write=True) as store:
        lists.create_list(store, "Master")
    return copy


def members(path: Path, name: str) -> dict[int, dt.datetime]:
    with Store.open(path) as store:
        _summary, found = lists.members(store, name, limit=None)
    return {m.customer_id: m.added_at for m in found}


def test_snapshot_adds_the_members_once(writable: Path, tables: Any) -> None:
    first = 'country = "France" and opens(6mo) >= 1'
    with Store.open(writable, write=True) as store:
        report = lists.snapshot(store, "Master", check(first), as_of=AS_OF)
    expected = set(reference(tables, first))
    assert (report.matching, report.added, report.already_members) == (len(expected), len(expected), 0)
    before = members(writable, "Master")
    assert set(before) == expected
    second = "opens(6mo) >= 1"
    with Store.open(writable, write=True) as store:
        again = lists.snapshot(store, "Master", check(second), as_of=AS_OF)
    everyone = set(reference(tables, second))
    assert (again.matching, again.added, again.already_members) == (len(everyone), len(everyone - expected),
                                                                    len(expected))
    after = members(writable, "Master")
    assert set(after) == everyone | expected
    assert all(after[c] == before[c] for c in before)  # those already on it keep their date
    with Store.open(writable) as store:
        counted = SegmentQueries(store).count(check('in_list("Master")'))
    assert counted.matching == len(everyone | expected)


def test_snapshot_of_a_ranked_segment_and_a_dry_run(writable: Path, tables: Any) -> None:
    rule = check('in_segment("top_spenders")', segments=list(SEGMENTS))
    unchanged = snapshot(writable)
    with Store.open(writable) as store:  # a dry run reads: a read-only store will do
        report = lists.snapshot(store, "Master", rule, as_of=AS_OF, segments=SEGMENTS, dry_run=True)
    assert (report.matching, report.added, report.dry_run) == (20, 20, True)
    assert snapshot(writable) == unchanged
    with Store.open(writable) as store, pytest.raises(lists.ListError, match="read-only"):
        lists.snapshot(store, "Master", rule, segments=SEGMENTS)
    with Store.open(writable, write=True) as store:
        lists.snapshot(store, "Master", rule, as_of=AS_OF, segments=SEGMENTS)
    assert set(members(writable, "Master")) == set(reference(tables, "order by total_spent desc limit 20"))


def test_a_snapshot_that_fails_midway_changes_nothing(writable: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unchanged = snapshot(writable)

    def fail(store: Store) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(lists, "_note_change", fail)  # after the members are inserted, inside the transaction
    with Store.open(writable, write=True) as store, pytest.raises(OSError, match="disk full"):
        lists.snapshot(store, "Master", check('country = "France"'))
    assert snapshot(writable) == unchanged


def test_snapshot_into_an_unknown_list(writable: Path) -> None:
    with Store.open(writable, write=True) as store, pytest.raises(lists.ListError, match='did you mean "Master"'):
        lists.snapshot(store, "Mastre", check("opens(6mo) >= 1"))
