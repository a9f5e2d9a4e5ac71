"""`rare count`, `sample`, `explain`, `breakdown` and `list snapshot` from the command line: text and JSON,
exit codes, segment names from the project's rule files; and `in_list` in rules on both engines the
compiler verifies (a list made with `rare list add`, counted on the DuckDB store, then the same rule
compiled for SQLite over the same rows)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from store_helpers import held_by_another_process, rows_of

from rare_dsl import check, testdata
from rare_dsl.cli import main
from rare_dsl.compiler import compile
from rare_dsl.evaluate import evaluate, existing
from rare_dsl.schema import default_schema
from rare_dsl.store import Store
from rare_dsl.store.demo import default_anchor, generate
from rare_dsl.store.queries import SegmentQueries

CONTACTS = 800
FRENCH = 'country = "France" and opens(6mo) >= 1'
RULE_FILE = f"""\
## French contacts who opened something lately.
segment french_openers:
    {FRENCH}

segment french_vips:
    in_segment("french_openers") and quality = "vip"
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo shop whose facts run up to midnight today, so live rules have recent data."""
    path = tmp_path_factory.mktemp("cli-counts") / "shop.duckdb"
    with Store.open(path, write=True) as store:
        generate(store, contacts=CONTACTS, seed=3)
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with rare.toml naming a rule file, as the working directory."""
    (tmp_path / "segments").mkdir()
    (tmp_path / "segments" / "engagement.rare").write_text(RULE_FILE, encoding="utf-8")
    (tmp_path / "rare.toml").write_text('paths = ["segments/"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def counted(shop: Path, rule: str, as_of: dt.datetime | None = None) -> int:
    with Store.open(shop) as store:
        return SegmentQueries(store).count(check(rule), as_of).matching


# ---------------------------------------------------------------------------------------------------- count


def test_count_text(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "count", FRENCH, "--db", str(shop))
    expected = counted(shop, FRENCH)
    assert code == 0 and err == ""
    assert out == f"{expected:,} of {CONTACTS} contacts ({expected / CONTACTS:.1%})\n"
    assert expected > 0


def existed(shop: Path, as_of: dt.datetime) -> int:
    """How many of the shop's contacts existed at `as_of`, by the reference evaluator (SPEC 8.4)."""
    return len(existing(default_schema(), rows_of(shop), as_of))


def test_totals_at_an_as_of_are_the_contacts_that_existed(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`created_at > 1d ago` at a past instant counts the contacts created in the day before it, out of those
    that existed then: no contact created since, in the count or in the total (SPEC 8.4)."""
    as_of = default_anchor() - dt.timedelta(days=200)
    instant = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    tables = rows_of(shop)
    total = existed(shop, as_of)
    assert 0 < total < CONTACTS
    for rule in ("created_at > 1d ago", "orders() = 0"):
        matching = len(evaluate(check(rule), tables, as_of))
        code, out, _ = run(capsys, "count", rule, "--db", str(shop), "--as-of", instant)
        assert code == 0 and out == f"{matching:,} of {total:,} contacts ({matching / total:.1%})\n", rule
    rule = 'orders() = 0 and not country = "France"'
    steps = json.loads(run(capsys, "explain", rule, "--db", str(shop), "--as-of", instant, "--format", "json")[1])
    assert steps["total"] == total
    for step, prefix in zip(steps["steps"], ("orders() = 0", rule), strict=True):
        members = len(evaluate(check(prefix), tables, as_of))
        assert (step["remaining"], step["share"]) == (members, round(members / total, 6))
    code, out, _ = run(capsys, "explain", rule, "--db", str(shop), "--as-of", instant)
    assert f"{steps['steps'][1]['remaining']:>10,}  {steps['steps'][1]['remaining'] / total:>6.1%}" in out
    newest = json.loads(run(capsys, "sample", "order by created_at desc", "-n", "2", "--db", str(shop), "--as-of",
                            instant, "--format", "json")[1])
    assert newest["count"] == total
    assert [c["customer_id"] for c in newest["contacts"]] == evaluate(check("order by created_at desc limit 2"),
                                                                      tables, as_of)
    split = json.loads(run(capsys, "breakdown", "orders() = 0", "--by", "country", "--db", str(shop), "--as-of",
                           instant, "--format", "json")[1])
    assert split["count"] == len(evaluate(check("orders() = 0"), tables, as_of))


def test_count_json_live_and_anchored(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "count", "-e", FRENCH, "--db", str(shop), "--format", "json")
    assert code == 0 and json.loads(out) == {"count": counted(shop, FRENCH), "total": CONTACTS, "as_of": None}
    code, out, _ = run(capsys, "count", FRENCH, "--db", str(shop), "--format", "json", "--as-of", "2026-01-31")
    as_of = dt.datetime(2026, 1, 31, tzinfo=dt.UTC)
    assert json.loads(out) == {"count": counted(shop, FRENCH, as_of), "total": existed(shop, as_of),
                               "as_of": "2026-01-31T00:00:00Z"}
    code, out, _ = run(capsys, "count", FRENCH, "--db", str(shop), "--format", "json",
                       "--as-of", "2026-01-31T10:30:00+02:00")
    assert json.loads(out)["as_of"] == "2026-01-31T08:30:00Z"


@pytest.mark.parametrize(("argv", "code", "words"), [
    (["count", FRENCH, "--as-of", "yesterday"], 2, "--as-of: `yesterday` is not an instant"),
    (["count"], 2, "give a rule"),
    (["count", FRENCH, "-e", FRENCH], 2, "give the rule once"),
    (["count", 'contry = "France"'], 1, "error[RD101]: unknown field `contry`"),
    (["count", "in_segment(\"nope\")"], 1, "unknown segment `nope`"),
    (["count", FRENCH, "--db", "{missing}"], 1, "there is no store at"),
    (["count", FRENCH, "--db", "postgresql://shop"], 2, "PostgreSQL stores are not supported yet"),
    (["sample", FRENCH, "-n", "0"], 2, "-n takes 1 or more"),
    (["breakdown", FRENCH], 2, "the following arguments are required: --by"),
    (["breakdown", FRENCH, "--by", "qualty"], 2, "unknown field `qualty`; did you mean `quality`?"),
    (["breakdown", FRENCH, "--by", "city", "--top", "0"], 2, "--top takes 1 or more"),
    (["breakdown", FRENCH, "--by", "city", "--bucket", "month"], 2,
     "a bucket groups timestamps, and `city` is text"),
    (["breakdown", FRENCH, "--by", "created_at", "--bucket", "fortnight"], 2, "invalid choice: 'fortnight'"),
    (["breakdown", FRENCH, "--by", "created_at", "--bins", "5"], 2,
     "ranges split numbers, and `created_at` is a timestamp; --bucket sets"),
    (["breakdown", FRENCH, "--by", "total_spent", "--bins", "0"], 2, "--bins takes 1 to 100 ranges"),
    (["breakdown", FRENCH, "--by", "total_spent", "--bins", "many"], 2, "argument --bins: invalid int value"),
    (["explain", "opens(6mo) >= 1 and", "--as-of", "2026-01-31"], 1, "error[RD"),
])
def test_errors(shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int,
                words: str) -> None:
    argv = [a.format(missing=tmp_path / "none.duckdb") for a in argv]
    got, out, err = run(capsys, *argv, *([] if "--db" in argv else ["--db", str(shop)]))
    assert got == code
    assert words in out + err
    assert "Traceback" not in err and "internal error" not in err
    assert not (tmp_path / "none.duckdb").exists()


def test_an_invalid_rule_in_json_is_a_diagnostics_record(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "count", 'contry = "France"', "--db", str(shop), "--format", "json")
    [diagnostic] = json.loads(out)["diagnostics"]
    assert code == 1 and diagnostic["code"] == "RD101" and diagnostic["column"] == 1


def test_warnings_go_to_stderr_and_the_count_still_runs(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "count", 'country = "France" and country = "Spain"', "--db", str(shop))
    assert code == 0 and out == f"0 of {CONTACTS} contacts (0.0%)\n"
    assert "warning[RW401]" in err


def test_reading_shares_the_store_with_another_reader(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with held_by_another_process(shop, write=False):
        assert run(capsys, "count", FRENCH, "--db", str(shop))[0] == 0


# ---------------------------------------------------------------------------------------- segment names


def test_a_segment_name_from_the_rule_files(shop: Path, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "count", "french_openers", "--db", str(shop), "--format", "json")
    assert code == 0 and json.loads(out)["count"] == counted(shop, FRENCH)
    vips = counted(shop, f'{FRENCH} and quality = "vip"')
    assert json.loads(run(capsys, "count", "french_vips", "--db", str(shop), "--format", "json")[1])["count"] == vips
    inline = run(capsys, "count", 'in_segment("french_openers") and quality = "vip"', "--db", str(shop),
                 "--format", "json")[1]
    assert json.loads(inline)["count"] == vips


def test_a_misspelt_segment_name(shop: Path, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "count", "french_opener", "--db", str(shop))
    assert code == 1 and "help: did you mean the segment `french_openers`?" in out


def test_a_segment_name_without_rule_files(shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "count", "french_openers", "--db", str(shop))
    assert code == 1 and "segment names come from the rule files of `paths`" in out


def test_broken_rule_files_only_matter_to_rules_that_need_them(shop: Path, project: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    (project / "segments" / "broken.rare").write_text("segment broken:\n    contry = 1\n", encoding="utf-8")
    assert run(capsys, "count", FRENCH, "--db", str(shop))[0] == 0
    code, out, _ = run(capsys, "count", "french_openers", "--db", str(shop))
    assert code == 1 and "unknown field `contry`" in out


# ------------------------------------------------------------------------------------- sample, explain, ...


def test_sample(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule = f"{FRENCH} and tags contains \"newsletter\""
    code, out, _ = run(capsys, "sample", rule, "-n", "3", "--db", str(shop))
    total = counted(shop, rule)
    assert code == 0
    for column in ("customer_id", "email", "country", "tags", "opens(6mo)"):
        assert column in out
    assert out.rstrip().endswith(f"3 of {total:,} matching contacts (-n shows more).")
    code, out, _ = run(capsys, "sample", rule, "-n", "3", "--db", str(shop), "--format", "json")
    found = json.loads(out)
    assert (found["count"], found["shown"]) == (total, 3)
    assert found["columns"] == ["customer_id", "email", "country", "tags", "opens(6mo)"]
    first = found["contacts"][0]
    assert first["country"] == "France" and first["opens(6mo)"] >= 1 and "newsletter" in first["tags"]
    assert run(capsys, "sample", 'country = "Atlantis"', "--db", str(shop))[1] == "No contact matches the rule.\n"


def test_sample_values_are_plain_in_json(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule = "order by total_spent desc limit 2"
    contacts = json.loads(run(capsys, "sample", rule, "--db", str(shop), "--format", "json")[1])["contacts"]
    assert len(contacts) == 2 and isinstance(contacts[0]["total_spent"], float)
    assert contacts[0]["total_spent"] >= contacts[1]["total_spent"]
    dated = json.loads(run(capsys, "sample", "last_order_date is set", "-n", "1", "--db", str(shop),
                           "--format", "json")[1])["contacts"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", dated["last_order_date"])


def test_explain(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule = 'country = "France" and (quality = "vip" or opens(6mo) >= 1)'
    code, out, _ = run(capsys, "explain", rule, "--db", str(shop))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4
    assert [re.split(r"\s{2,}", line.strip())[0] for line in lines] == [
        'country = "France"', 'and (quality = "vip" or opens(6mo) >= 1)', 'quality = "vip"', "or opens(6mo) >= 1"]
    assert lines[2].startswith("      quality") and lines[3].endswith(" new")
    steps = json.loads(run(capsys, "explain", rule, "--db", str(shop), "--format", "json")[1])["steps"]
    assert [s["remaining"] for s in steps[:2]] == [counted(shop, 'country = "France"'), counted(shop, rule)]
    assert steps[2]["brings"] + steps[3]["brings"] == steps[1]["remaining"]
    assert [s["depth"] for s in steps] == [0, 0, 1, 1] and steps[0]["brings"] is None


def test_breakdown(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "breakdown", FRENCH, "--by", "city", "--top", "3", "--db", str(shop))
    total = counted(shop, FRENCH)
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"{total:,} contacts by city:"
    assert lines[1].split()[0] == "Paris" and "█" in lines[1]
    assert any(line.lstrip().startswith("(other values)") for line in lines)
    found = json.loads(run(capsys, "breakdown", FRENCH, "--by", "city", "--top", "3", "--db", str(shop),
                           "--format", "json")[1])
    assert found["field"] == "city" and found["count"] == total and len(found["values"]) == 3
    assert sum(v["contacts"] for v in found["values"]) + found["other"] + found["missing"] == total


def test_breakdown_by_time_tags_and_ranges(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A timestamp reads as buckets in order, a number as ranges with round edges, tags one row a tag."""
    total = counted(shop, FRENCH)
    code, out, _ = run(capsys, "breakdown", FRENCH, "--by", "created_at", "--db", str(shop))
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"{total:,} contacts by created_at, by year:" and len(lines) <= 25
    years = [line.split()[0] for line in lines[1:]]
    assert years == sorted(years) and all(re.fullmatch(r"20\d\d", y) for y in years)
    code, out, _ = run(capsys, "breakdown", FRENCH, "--by", "created_at", "--bucket", "month", "--db", str(shop))
    months = [line.split()[0] for line in out.splitlines()[1:]]
    assert code == 0 and all(re.fullmatch(r"20\d\d-\d\d", m) for m in months) and len(months) > len(years)
    code, out, _ = run(capsys, "breakdown", FRENCH, "--by", "total_spent", "--bins", "5", "--db", str(shop))
    lines = out.splitlines()
    assert code == 0 and re.fullmatch(rf"{total:,} contacts by total_spent, in ranges of [\d,]+:", lines[0])
    assert lines[1].split()[0].startswith("0–") and lines[-1].split()[0] == "≥"
    found = json.loads(run(capsys, "breakdown", FRENCH, "--by", "total_spent", "--bins", "5", "--db", str(shop),
                           "--format", "json")[1])
    assert found["kind"] == "ranges" and found["values"][0]["from"] == 0 and found["values"][-1]["to"] is None
    assert all(a["to"] == b["from"] for a, b in itertools.pairwise(found["values"]))
    assert sum(v["contacts"] for v in found["values"]) + found["missing"] == total
    found = json.loads(run(capsys, "breakdown", FRENCH, "--by", "created_at", "--bucket", "week", "--db", str(shop),
                           "--format", "json")[1])
    assert found["bucket"] == "week" and re.fullmatch(r"\d{4}-W\d\d", found["values"][0]["value"])
    assert dt.date.fromisoformat(found["values"][0]["from"]).weekday() == 0
    code, out, _ = run(capsys, "breakdown", FRENCH, "--by", "tags", "--db", str(shop))
    assert code == 0 and out.splitlines()[0] == f"{total:,} contacts by tags (a contact counts under each of its tags):"
    assert "(no tag)" in out


# ----------------------------------------------------------------------------------------------- snapshot


def test_list_snapshot(shop: Path, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(tmp_path / "copy.duckdb")]
    (tmp_path / "copy.duckdb").write_bytes(shop.read_bytes())
    assert run(capsys, "list", "create", "French master", *db)[0] == 0
    code, out, _ = run(capsys, "list", "snapshot", "French master", "--segment", "french_openers", *db)
    total = counted(shop, FRENCH)
    assert code == 0 and out.splitlines() == [
        'Snapshot of the segment french_openers into "French master":',
        f"  {total:>3,}  contacts meet the segment french_openers", f"  {total:>3,}  added to the list",
        f"  {0:>3,}  already on the list"]
    code, out, _ = run(capsys, "list", "snapshot", "French master", "--segment", 'country = "France"', "--format",
                       "json", *db)
    report = json.loads(out)
    french = counted(shop, 'country = "France"')
    assert report == {"list": "French master", "dry_run": False, "created": False, "matching": french,
                      "added": french - total, "already_members": total, "segment": None,
                      "rule": 'country = "France"', "as_of": None}
    shown = json.loads(run(capsys, "list", "ls", "--format", "json", *db)[1])
    assert {entry["name"]: entry["members"] for entry in shown}["French master"] == french
    # At an instant, in text: the count says when (this once failed after writing the list).
    code, out, _ = run(capsys, "list", "snapshot", "French master", "--segment", 'country = "France"', "--as-of",
                       "2026-01-31", *db)
    assert code == 0 and out.splitlines()[1].endswith("  contacts meet the rule as of 2026-01-31T00:00:00Z")


@pytest.mark.parametrize(("argv", "code", "words"), [
    (["--segment", "contry = 1"], 1, "unknown field `contry`"),
    (["--segment", FRENCH, "--as-of", "soon"], 2, "--as-of: `soon` is not an instant"),
    ([], 2, "the following arguments are required: --segment"),
])
def test_list_snapshot_errors(shop: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int,
                              words: str) -> None:
    got, out, err = run(capsys, "list", "snapshot", "Popup leads", *argv, "--db", str(shop))
    assert got == code and words in out + err


def test_list_snapshot_into_an_unknown_list(shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(shop.read_bytes())
    code, _, err = run(capsys, "list", "snapshot", "Popup lead", "--segment", FRENCH, "--db", str(copy))
    assert code == 1 and 'did you mean "Popup leads"?' in err


# ------------------------------------------------------------------------------------ in_list on each engine


def test_in_list_on_duckdb_and_sqlite(shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(shop.read_bytes())
    db = ["--db", str(copy)]
    with Store.open(copy) as store:
        known = [row[0] for row in store.execute("SELECT email FROM customers ORDER BY customer_id LIMIT 3").fetchall()]
    assert run(capsys, "list", "create", "Press", *db)[0] == 0
    assert run(capsys, "list", "add", "Press", *known, "new.reader@example.org", *db)[0] == 0
    # After the additions: every engine evaluates `in_list` at the same instant.
    as_of = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)
    text = 'in_list("Press") or (in_list("Popup leads") and country = "France")'
    code, out, _ = run(capsys, "count", text, *db, "--format", "json", "--as-of", as_of.isoformat())
    rule = check(text)
    with Store.open(copy) as store:
        on_duckdb = sorted(row[0] for row in store.execute(compile(rule, as_of=as_of).sql).fetchall())
    assert code == 0 and json.loads(out)["count"] == len(on_duckdb)
    tables = rows_of(copy)
    lite = sqlite3.connect(":memory:")
    try:
        # SQLite has no decimals: money goes in as REAL, as the differential tests load it.
        testdata.load_sqlite(lite, {name: [{k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()}
                                           for row in rows] for name, rows in tables.items()})
        on_sqlite = sorted(row[0] for row in lite.execute(compile(rule, dialect="sqlite", as_of=as_of).sql))
    finally:
        lite.close()
    assert on_sqlite == on_duckdb
    assert on_duckdb == evaluate(rule, tables, as_of)
    press = evaluate(check('in_list("Press")'), tables, as_of)
    assert len(press) == 4  # three contacts who were there, one new


def test_segments_with_a_store_shows_each_segments_count(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    examples = str(Path(__file__).parent.parent / "examples")
    code, out, _ = run(capsys, "segments", examples, "--db", str(shop), "--format", "json")
    assert code == 0
    entries = {entry["name"]: entry for entry in json.loads(out)["segments"]}
    # The count is the same one `rare count` gives for the segment's rule.
    vip = 'quality = "vip" or (total_spent >= 1_000 and order_count >= 5)'
    assert entries["vip_customers"]["count"] == counted(shop, vip) > 0
    for entry in entries.values():
        assert 0 <= entry["count"] <= entry["total"]
    code, out, _ = run(capsys, "segments", examples, "--db", str(shop))
    assert code == 0 and re.search(r"vip_customers  \S+:\d+  [\d,]+ contacts \(\d+\.\d%\)", out)


# ------------------------------------------------------------------------------------- values nobody has


@pytest.mark.parametrize("command", [["count"], ["explain"], ["sample"], ["breakdown", "--by", "city"]])
def test_a_value_no_contact_has_warns_as_in_the_repl(shop: Path, capsys: pytest.CaptureFixture[str],
                                                     command: list[str]) -> None:
    """RW404 on standard error, exit 0, with the value that exists: a typo and a case slip alike."""
    for rule, hint in [('country = "Frnace"', "did you mean `France`"), ('country = "france"', "`France`")]:
        code, out, err = run(capsys, command[0], rule, *command[1:], "--db", str(shop))
        assert code == 0, err
        assert f'warning[RW404]: no contact has country "{rule.split(chr(34))[1]}"' in err and hint in err
        assert "RW404" not in out


def test_a_suppressed_or_existing_value_does_not_warn(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for rule in ['country = "France"', 'country = "Frnace" # rare: ignore[RW404]']:
        code, _, err = run(capsys, "count", rule, "--db", str(shop))
        assert code == 0 and "RW404" not in err


def test_a_named_segment_with_a_value_no_contact_has_warns(shop: Path, project: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    (project / "segments" / "typo.rare").write_text('segment typo:\n    country = "Frnace"\n', encoding="utf-8")
    code, _, err = run(capsys, "count", "typo", "--db", str(shop))
    assert code == 0 and 'no contact has country "Frnace"' in err and "typo.rare:2" in err
