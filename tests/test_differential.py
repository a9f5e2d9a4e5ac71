"""Differential tests: rules generated from the schema, run as compiled SQL on DuckDB and SQLite and through
the reference evaluator, must select the same contacts (in the same order when the rule ranks).

One data set (`rare_dsl.testdata`) and one connection per engine serve every test. Anchored mode runs at
the data's anchors (month ends, a leap day); live mode compares against the evaluator at the engine's own
clock, read in the same transaction (DuckDB) or bracketed by two reads of the same second (SQLite).
Per run: 1,200 anchored + 500 live + 400 partition (each rule and its negation) + 300 renamed-schema
rules, each on both engines: 2,400 generated rules.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rare_dsl import check, testdata
from rare_dsl.compiler import UnsupportedDialect, compile
from rare_dsl.evaluate import evaluate, existing
from rare_dsl.schema import default_schema, load_schema
from rare_dsl.typed import CheckedRule

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
DATA = testdata.generate(seed=7, now=NOW)
ALL_IDS = sorted(c["customer_id"] for c in DATA["customers"])
SEGMENT_TEXT = {
    "french": 'country = "France"',
    "openers": "opens(6mo) >= 1",
    "top_spenders": "order by total_spent desc limit 10",
    "nested": 'in_segment("french") or not in_segment("top_spenders")',
    "chain": 'in_segment("nested") and not in_segment("openers") or in_segment("top_spenders")',
}
SEGMENTS = {name: check(text, segments=SEGMENT_TEXT) for name, text in SEGMENT_TEXT.items()}


@pytest.fixture(scope="module")
def engines() -> dict[str, Any]:
    duck = duckdb.connect()
    testdata.load_duckdb(duck, DATA)
    lite = sqlite3.connect(":memory:")
    testdata.load_sqlite(lite, DATA)
    yield {"duckdb": duck, "sqlite": lite}
    duck.close()
    lite.close()


# ------------------------------------------------------------------------------------------ rule text


def quote(text: str) -> str:
    """A text literal of the language: escapes for the characters that need one."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


TEXT_FIELDS = ("email", "first_name", "last_name", "country", "country_code", "region", "city")
TEXT_VALUES = tuple(sorted(v for v in {*testdata.HOSTILE_TEXT, *testdata.COUNTRIES, *testdata.CITIES, "FR", "fr", "ES",
                                         "", *testdata.CASED_TEXT, *testdata.CASED_CITIES} if v is not None))
PIECES = ("a", "A", "%", "_", "\\", "'", '"', "o'", "paris", "PAR", "é", "É", "\x00", "\n", "100%", "a_b", "ce",
          "Zo", "ë", "東", "😀", " ", "--", "e",
          # letters outside ASCII whose case SQLite and MariaDB have spelled out (testdata.CASED_TEXT)
          "ã", "Ã", "ß", "ẞ", "ss", "İ", "i\u0307", "θ", "ΑΘ", "Д", "мос", "\u01c6", "\u01c5", "ǉ")
# Quarter units, and decimals a double cannot hold (0.1, 0.3, 33.4, 0.01), which the exact-money contacts of
# the data (`testdata.EXACT_MONEY`) reach in sums, averages and quotients.
NUMBERS = ("0", "1", "2", "3", "5", "10", "0.5", "2.25", "49.75", "100", "250.25", "0.1", "0.3", "33.4", "0.01")
DURATIONS = tuple(f"{amount}{unit}" for amount, unit in testdata.DURATIONS)
DATES = ("2026-02-28", "2024-02-29", "2026-08-31", "2025-12-31", "2023-02-28", "2026-03-01", "2026-01-01")
TIMESTAMPS = (*tuple(t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in testdata.ANCHORS), "2026-02-28T10:00:00Z")
NUMBER_MEASURES = ("order_count", "refund_count", "total_spent", "average_order_value")
TIME_MEASURES = ("first_order_date", "last_order_date", "last_open_date", "last_click_date")
PRODUCTS = ("Red Shoes", "P3", "100% Cotton", "a_b", "Men's \"Boots\"", "Crème", "Nothing")
VENDORS = ("Acme", "acme", "O'Reilly", "50%_Vendor", "Ünïcode & Co")
CAMPAIGN_NAMES = ("Welcome", "Black Friday", "Onboarding", "100% Sale", "O'Brien's", "Nope")
LIST_NAMES = ("Popup leads", "VIP's", "50%_off", "empty list", "missing")
MONTHS = ("12", '"dec"', '"February"', "2", "8", '"jan"')

durations = st.sampled_from(DURATIONS)


def optional_args(named: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[str]:
    """Some of the given named arguments, in any order."""
    return st.lists(st.sampled_from(sorted(named)), unique=True, max_size=len(named)).flatmap(
        lambda keys: st.tuples(*(named[k].map(lambda v, k=k: f"{k}: {v}") for k in keys)).map(", ".join)
        if keys else st.just(""))


order_args = optional_args({"within": durations, "product": st.sampled_from(PRODUCTS).map(quote),
                            "vendor": st.sampled_from(VENDORS).map(quote), "month": st.sampled_from(MONTHS)})
event_args = optional_args({"within": durations, "campaign": st.sampled_from(CAMPAIGN_NAMES).map(quote),
                            "series": st.sampled_from(CAMPAIGN_NAMES).map(quote)})

number_atoms = st.one_of(
    st.sampled_from(NUMBER_MEASURES),
    st.builds("orders({})".format, order_args),
    st.builds("spent({})".format, order_args),
    st.builds("refunds({})".format, st.one_of(st.just(""), durations)),
    st.builds("{}({})".format, st.sampled_from(("sends", "opens", "clicks", "conversions")), event_args),
    st.builds("engagement({})".format, st.one_of(st.just(""), durations)),
)
number_terms = st.recursive(
    st.one_of(number_atoms, st.sampled_from(NUMBERS)),
    lambda inner: st.one_of(
        st.builds("({} {} {})".format, inner, st.sampled_from("+-*/"), inner),
        st.builds("-{}".format, inner),
    ),
    max_leaves=3,
)
time_values = st.one_of(
    st.sampled_from(DATES), st.sampled_from(TIMESTAMPS), durations.map("{} ago".format),
)
time_terms = st.sampled_from(("created_at", *TIME_MEASURES))
text_values = st.sampled_from(TEXT_VALUES).map(quote)
patterns = st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map("".join).map(quote)
compare_ops = st.sampled_from(("=", "!=", "<", "<=", ">", ">="))
maybe_not = st.sampled_from(("", "not "))


def in_list(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(values, min_size=1, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")


leaves = st.one_of(
    # customer information
    st.builds("{} {} {}".format, st.sampled_from(TEXT_FIELDS), compare_ops, text_values),
    st.builds("{} {}in {}".format, st.sampled_from(TEXT_FIELDS), maybe_not, in_list(text_values)),
    st.builds("{} {}{} {}".format, st.sampled_from(TEXT_FIELDS), maybe_not,
              st.sampled_from(("contains", "starts with", "ends with")), patterns),
    st.builds("{} is {}set".format, st.sampled_from((*TEXT_FIELDS, "quality", "tags", *TIME_MEASURES,
                                                     *NUMBER_MEASURES)), maybe_not),
    st.builds("quality {} {}".format, st.sampled_from(("=", "!=")),
              st.sampled_from(('"vip"', '"VIP"', '"at_risk"', '"new"'))),
    st.builds("status {}in {}".format, maybe_not,
              in_list(st.sampled_from(('"subscribed"', '"Pending"', '"bounced"')))),
    st.builds("tags {}contains {}".format, maybe_not,
              st.sampled_from(("vip", "VIP", "50%_off", "O'BRIEN", "back\\slash", "none", "50%")).map(quote)),
    # time
    st.builds("{} {} {}".format, time_terms, compare_ops, time_values),
    st.builds("{} {}within {}".format, time_terms, maybe_not, durations),
    st.builds("{} {}between {} and {}".format, time_terms, maybe_not, time_values, time_values),
    # numbers
    st.builds("{} {} {}".format, number_terms, compare_ops, number_terms),
    st.builds("{} {}between {} and {}".format, number_terms, maybe_not, st.sampled_from(NUMBERS),
              st.sampled_from(NUMBERS)),
    st.builds("{} {}in {}".format, number_atoms, maybe_not, in_list(st.sampled_from(NUMBERS))),
    # booleans
    st.builds("purchased({})".format, order_args),
    st.builds("bought_from({}{})".format, st.sampled_from(VENDORS).map(quote),
              st.one_of(st.just(""), durations.map(", {}".format))),
    st.builds("in_list({})".format, st.sampled_from(LIST_NAMES).map(quote)),
    st.builds("in_segment({})".format, st.sampled_from(sorted(SEGMENT_TEXT)).map(quote)),
    st.builds("(opens({}) > 1) = {}".format, durations, st.sampled_from(("true", "false"))),
    st.builds("{} {} {}".format, st.one_of(st.builds("purchased({})".format, order_args),
                                           st.builds("in_list({})".format, st.sampled_from(LIST_NAMES).map(quote))),
              st.sampled_from(("=", "!=")), st.sampled_from(("true", "false"))),
    # two row values, or a row value and a measure, in one comparison
    st.builds("{} {} {}".format, st.sampled_from(TEXT_FIELDS), compare_ops, st.sampled_from(TEXT_FIELDS)),
    st.builds("{} {} {}".format, time_terms, compare_ops, time_terms),
)
conditions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds("({} and {})".format, inner, inner),
        st.builds("({} or {})".format, inner, inner),
        st.builds("not ({})".format, inner),
    ),
    max_leaves=4,
)
order_terms = st.one_of(number_atoms, st.builds("({} / {})".format, number_atoms, number_atoms), time_terms,
                         st.sampled_from(TEXT_FIELDS), st.just('(country = "France")'))
orderings = st.lists(st.builds("{} {}".format, order_terms, st.sampled_from(("asc", "desc"))), min_size=1,
                     max_size=2).map(", ".join)
rules = st.one_of(
    conditions,
    st.builds("{} order by {} limit {}".format, conditions, orderings, st.sampled_from(("1", "3", "10", "50"))),
    st.builds("order by {} limit {}".format, orderings, st.sampled_from(("5", "20"))),
    st.builds("{} order by {}".format, conditions, orderings),
)


# -------------------------------------------------------------------------------------------- running


def run(connection: Any, sql: str, params: tuple[object, ...], ranked: bool) -> list[Any]:
    ids = [row[0] for row in connection.execute(sql, list(params)).fetchall()]
    return ids if ranked else sorted(ids)


def run_live(engine: str, connection: Any, sql: str, params: tuple[object, ...], ranked: bool,
             ) -> tuple[list[Any], dt.datetime]:
    """Live SQL, and the engine clock's reading that the query saw."""
    if engine == "duckdb":
        # now() is the start of the transaction: the same for the probe and the query.
        connection.execute("BEGIN TRANSACTION")
        try:
            now = connection.execute("SELECT CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP)").fetchone()[0]
            return run(connection, sql, params, ranked), now
        finally:
            connection.execute("COMMIT")
    for _ in range(5):
        before = connection.execute("SELECT datetime('now')").fetchone()[0]
        ids = run(connection, sql, params, ranked)
        if connection.execute("SELECT datetime('now')").fetchone()[0] == before:
            return ids, dt.datetime.fromisoformat(before)
    raise AssertionError("the clock moved during every attempt")


def checked(text: str) -> CheckedRule:
    return check(text, segments=SEGMENT_TEXT)


def oracle(rule: CheckedRule, data: dict[str, list[dict[str, Any]]] = DATA,
           segments: dict[str, CheckedRule] = SEGMENTS) -> Callable[[dt.datetime, bool], list[Any]]:
    """The evaluator's members of `rule` at an instant; `live` for live SQL at the engine's clock, which
    reads every contact (anchored, only those that exist then)."""
    return lambda at, live: evaluate(rule, data, at, segments=segments, live=live)


def compare(engines: dict[str, Any], rule: CheckedRule, as_of: dt.datetime | None, parameterized: bool,
            text: str, expected: Callable[[dt.datetime, bool], list[Any]]) -> None:
    ranked = bool(rule.order_by)
    for engine, connection in engines.items():
        try:
            compiled = compile(rule, dialect=engine, as_of=as_of, parameterized=parameterized, segments=SEGMENTS)
        except UnsupportedDialect as error:
            # Only SQLite refuses, and only case-insensitive matching of a sigma (`σ`, `ς`).
            assert engine == "sqlite" and "sigma" in error.message, (text, error.message)
            continue
        if as_of is None:
            got, now = run_live(engine, connection, compiled.sql, compiled.params, ranked)
            want = expected(now, True)
        else:
            got = run(connection, compiled.sql, compiled.params, ranked)
            want = expected(as_of, False)
        assert got == want, f"{engine} {'live' if as_of is None else as_of}: {text}\n{compiled.sql}"


SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                    database=None, derandomize=False)


@settings(SETTINGS, max_examples=1200)
@given(text=rules, as_of=st.sampled_from(testdata.ANCHORS), parameterized=st.booleans())
def test_anchored(engines: dict[str, Any], text: str, as_of: dt.datetime, parameterized: bool) -> None:
    rule = checked(text)
    compare(engines, rule, as_of, parameterized, text, oracle(rule))


@settings(SETTINGS, max_examples=500)
@given(text=rules, parameterized=st.booleans())
def test_live(engines: dict[str, Any], text: str, parameterized: bool) -> None:
    rule = checked(text)
    compare(engines, rule, None, parameterized, text, oracle(rule))


# SQLite keeps the sets of clicks and conversions where it looks the other measures up after fields, and
# tests them first (`Target.FEW_EVENTS_AS_SETS`): counts, absences, dates, negations and ORs of them.
FEW_EVENTS_RULES = (
    'country = "France" and opens(6mo) >= 2 and clicks(3mo) >= 1',
    'status = "subscribed" and clicks(1y) = 0 and orders() >= 1',
    'first_name contains "a" and not conversions(90d) >= 1 and last_order_date < 30d ago',
    'country != "France" and last_click_date within 6mo and spent(1y) > 100',
    'city is set and (clicks(6mo) >= 2 or opens(6mo) >= 3) and refunds() = 0',
    'not (country = "France" or clicks(1y) >= 1 or orders(1y) < 2)',
)


# DuckDB (and PostgreSQL, in test_engines) reads an OR of clicks and conversions in one grouped pass
# (`Target.MERGE_FEW_EVENTS_OR`): windows close together, far apart and equal, all-time counts, dates,
# ranges, and absences negated into such an OR.
ONE_SET_OR_RULES = (
    "clicks(3mo) >= 2 or conversions(90d) >= 1",
    "clicks(30d) >= 1 or conversions(1y) >= 1 or clicks(7d) >= 2",
    "clicks(6mo) between 1 and 2 or conversions(6mo) >= 1",
    "clicks() >= 3 or conversions(1y) >= 1",
    "last_click_date within 30d or conversions(90d) >= 1",
    "not (clicks(3mo) = 0 and conversions(1y) = 0)",
    'country = "France" and (clicks(90d) >= 1 or conversions(3mo) >= 1)',
    # ... and an OR of any sets of contacts as the UNION ALL of the sets (`Target.OR_OF_SETS_AS_UNION`):
    # grouped sets, sets of a small table or of few events, nested under an AND without fields, negated.
    'spent(within: 1y) > 100 or orders(month: "dec") >= 2 or refunds(1y) >= 1',
    'in_list("Popup leads") or orders() >= 3 or average_order_value > 50',
    "orders(1y) >= 1 and (refunds() >= 1 or spent(1y) > 200 or clicks(6mo) >= 1)",
    "not (orders() < 2 and refunds(1y) = 0)",
    "last_order_date within 90d or first_order_date < 1y ago or opens(6mo) >= 2",
)


@pytest.mark.parametrize("text", ONE_SET_OR_RULES)
@pytest.mark.parametrize("as_of", [testdata.ANCHORS[0], None])
def test_an_or_read_as_one_set(engines: dict[str, Any], text: str, as_of: dt.datetime | None) -> None:
    rule = checked(text)
    compare(engines, rule, as_of, False, text, oracle(rule))


# The two characters whose lower case holds ASCII letters, in the data (testdata.HOSTILE_TEXT), matched by
# ASCII text: the Kelvin sign (U+212A) folds to "k", and the capital I with a dot (U+0130) to "i" and a
# combining dot, so "ALİ" does not end with "li". Not ASCII, so PostgreSQL folds them with ICU; SQLite's
# lower() leaves them and DuckDB's drops the dot, so the compiler spells them out there.
FOLDING_TRAPS = ['first_name contains "kelvin"', 'first_name starts with "KEL"', 'last_name ends with "VIN"',
                 'first_name starts with "iz"', 'first_name contains "i"', 'first_name ends with "li"',
                 'first_name ends with "i"', 'not first_name contains "al"']


@pytest.mark.parametrize("text", FOLDING_TRAPS)
@pytest.mark.parametrize("as_of", [testdata.ANCHORS[0], None])
def test_letters_that_fold_to_ascii(engines: dict[str, Any], text: str, as_of: dt.datetime | None) -> None:
    rule = checked(text)
    compare(engines, rule, as_of, False, text, oracle(rule))


# Letters outside ASCII compared without regard to case (testdata.CASED_TEXT), which SQLite's lower() and
# MariaDB's leave as they are: the compiler spells out the case of the letters the rule's text holds.
# `İ` folds to `i` and a combining dot, `ẞ` to `ß`, which stays apart from `ss`; titlecase digraphs.
CASED_TRAPS = ['city starts with "sã"', 'city starts with "SÃO"', 'first_name contains "É"', 'city ends with "évora"',
               'first_name contains "ß"', 'first_name contains "ẞ"', 'first_name contains "ss"',
               'city contains "straß"', 'first_name starts with "İS"', 'first_name starts with "i\u0307s"',
               'not first_name starts with "is"', 'city ends with "zmi\u0307r"', 'city contains "İZ"',
               'first_name contains "θην"', 'city starts with "αθ"', 'last_name starts with "ΑΘΗ"',
               'city contains "моск"', 'first_name ends with "ВА"', 'first_name starts with "\u01c6e"',
               'last_name starts with "\u01c5"', 'first_name starts with "ǈ"', 'tags contains "élodie"',
               'tags contains "straße"', 'tags contains "МОСКВА"', 'not first_name contains "ä"']
# `email` is stored lower-case (`lowercase = true` in the schema): only the pattern is folded, so a sigma is
# exact on every engine there, SQLite and MariaDB included.
STORED_LOWER_TRAPS = ['email contains "ος."', 'email starts with "ΟΔΟΣ"', 'email starts with "SÃO.TOMÉ"',
                      'email contains "İST"', 'email ends with "@EXAMPLE.COM"', 'not email contains "ẞ"']
# Facts half a second either side of an instant (testdata.SUB_SECOND), compared with timestamp literals.
SUB_SECOND_TRAPS = ['last_open_date = 2023-06-01T23:59:59.5Z', 'first_order_date = 2023-06-01T23:59:59.25Z',
                    'last_order_date > 2023-06-01T23:59:59.5Z and last_order_date < 2023-06-02',
                    'first_order_date between 2023-06-01T23:59:59.25Z and 2023-06-01T23:59:59.75Z',
                    'created_at >= 2023-06-01T23:59:59.5Z and created_at <= 2023-06-02T23:59:59.5Z',
                    'last_open_date < 2023-06-01T23:59:59.5Z and last_open_date > 2023-06-01T23:59:58Z']
# ... and windows whose boundary is that instant, at an as-of with a fraction of a second
# (testdata.SUB_SECOND_AS_OF): the fact on the boundary is out, the one on the as-of in, the one after out.
SUB_SECOND_AS_OF_RULES = ["opens(1d) >= 1", "orders(1d) >= 1", "last_open_date within 1d", "spent(1d) > 0",
                          "last_order_date > 1d ago", "not purchased(within: 1d) and purchased(within: 2d)",
                          "opens(2d) >= 1 order by last_open_date desc limit 4"]


@pytest.mark.parametrize("text", CASED_TRAPS + STORED_LOWER_TRAPS + SUB_SECOND_TRAPS)
@pytest.mark.parametrize("as_of", [testdata.ANCHORS[0], None])
@pytest.mark.parametrize("parameterized", [False, True])
def test_cased_text_and_sub_second_literals(engines: dict[str, Any], text: str, as_of: dt.datetime | None,
                                            parameterized: bool) -> None:
    rule = checked(text)
    want = evaluate(rule, DATA, testdata.ANCHORS[0], segments=SEGMENTS)
    assert want, f"{text} selects nobody: the trap tests nothing"
    compare(engines, rule, as_of, parameterized, text, oracle(rule))


@pytest.mark.parametrize("text", SUB_SECOND_AS_OF_RULES)
@pytest.mark.parametrize("parameterized", [False, True])
def test_a_sub_second_as_of(engines: dict[str, Any], text: str, parameterized: bool) -> None:
    rule = checked(text)
    want = evaluate(rule, DATA, testdata.SUB_SECOND_AS_OF, segments=SEGMENTS)
    assert want, f"{text} selects nobody: the trap tests nothing"
    compare(engines, rule, testdata.SUB_SECOND_AS_OF, parameterized, text, lambda at, live: want)


def test_sqlite_refuses_only_a_sigma() -> None:
    """The one case SQLite cannot fold exactly: `Σ` is `ς` at the end of a word and `σ` elsewhere."""
    for text in ('last_name ends with "ος"', 'first_name contains "Σ"', 'tags contains "ΟΔΟΣ"'):
        with pytest.raises(UnsupportedDialect) as refused:
            compile(checked(text), dialect="sqlite", as_of=testdata.ANCHORS[0])
        assert refused.value.code == "RD301" and "sigma" in refused.value.message
        assert refused.value.span is not None
        compile(checked(text), dialect="duckdb", as_of=testdata.ANCHORS[0])


@pytest.mark.parametrize("text", FEW_EVENTS_RULES)
@pytest.mark.parametrize("as_of", [testdata.ANCHORS[0], None])
def test_few_events_after_fields(engines: dict[str, Any], text: str, as_of: dt.datetime | None) -> None:
    rule = checked(text)
    compare(engines, rule, as_of, False, text, oracle(rule))


# A contact created after the as-of instant is no contact then (SPEC 8.4), even with a history dated before
# it; one created at the instant, or never dated, is one (testdata's hand-made block): rules true without
# facts, negations, rankings, a ranked segment whose top changes.
NOT_YET_CREATED_TRAPS = [
    'country = "France"', 'not country = "Spain"', "orders() = 0", "not purchased()", "orders() >= 1",
    "opens() >= 1 and clicks(1y) >= 1", 'in_list("Popup leads")', 'tags contains "vip"', "refunds() >= 1",
    "created_at is not set or created_at >= 2026-08-31", "not (created_at < 2026-08-31T10:00:00Z)",
    'in_segment("top_spenders")', 'not in_segment("openers")', "order by total_spent desc limit 5",
    'quality = "vip" order by last_order_date desc, first_name asc limit 4',
]
# docs/language.md 1.2: `purchased()` is "has any order", an order without items included; `product:` is a
# product's exact name or id, case included (the same hand-made block).
PURCHASE_TRAPS = [
    "purchased()", "not purchased()", 'purchased(product: "Red Shoes")', 'purchased(product: "red shoes")',
    'purchased(product: "P1")', 'orders(product: "p1") >= 1', 'not purchased(product: "RED SHOES")',
    'spent(product: "red shoes") > 0', 'purchased(product: "Red Shoes", vendor: "Acme")',
]


# Exact money and division (SPEC 3.3, issue 16 item 1): the hand-made amounts of `testdata.EXACT_MONEY`.
EXACT_TRAPS = [
    "average_order_value = 0.1", "total_spent = 0.3", "average_order_value * order_count = total_spent",
    "average_order_value = 33.4", "average_order_value >= 0.1", "average_order_value < 0.1",
    "average_order_value * 3 = 0.01", "average_order_value * 300 = 1",
    "total_spent / order_count = average_order_value",
    "total_spent / 3 = 0.1", "total_spent - 0.1 = 0.2", "average_order_value between 0.1 and 33.4",
    "average_order_value in [0.1, 33.4]", "not (average_order_value = 0.1)", "total_spent / -3 = -0.1",
    "total_spent / (order_count - 4) = -0.3", "order_count >= 1 order by average_order_value asc limit 40",
    "order by average_order_value desc limit 200", "order_count >= 2 order by (total_spent / order_count) limit 30",
    # The largest and the finest literals the language holds (docs/language.md, Limits).
    "average_order_value < 999_999_999_999_999.999_999_999_999_999", "total_spent / 3 > 0.000_000_000_000_001",
    "average_order_value * 100_000_000_000_000 >= 10_000_000_000_000",
]


def test_exact_money_by_the_evaluator() -> None:
    """The oracle's exact reading of the hand-made amounts, stated: the engines are compared with it."""
    anchor = testdata.ANCHORS[0]
    assert evaluate(checked("average_order_value = 0.1"), DATA, anchor)[-2:] == [8411, 8414]
    assert 8412 in evaluate(checked("total_spent = 0.3"), DATA, anchor)
    assert {8413, 8415} <= set(evaluate(checked("average_order_value * order_count = total_spent"), DATA, anchor))
    ranked = evaluate(checked("order_count >= 1 order by average_order_value asc limit 40"), DATA, anchor)
    assert ranked.index(8415) < ranked.index(8411) < ranked.index(8414)


@pytest.mark.parametrize("text", EXACT_TRAPS)
@pytest.mark.parametrize("as_of", [testdata.ANCHORS[0], None])
@pytest.mark.parametrize("parameterized", [False, True])
def test_exact_money(engines: dict[str, Any], text: str, as_of: dt.datetime | None, parameterized: bool) -> None:
    rule = checked(text)
    compare(engines, rule, as_of, parameterized, text, oracle(rule))


def test_the_data_has_contacts_created_after_each_anchor() -> None:
    """The anchored tests run at instants some contacts were created after, and others never dated."""
    for anchor in testdata.ANCHORS:
        created = [c["created_at"] for c in DATA["customers"]]
        assert sum(1 for t in created if t is not None and t > anchor) >= 5, anchor
        assert sum(1 for t in created if t is not None and t <= anchor) >= 5, anchor
    assert sum(1 for c in DATA["customers"] if c["created_at"] is None) >= 5


def test_contacts_that_did_not_exist_yet_by_the_evaluator() -> None:
    """The oracle's own reading, stated for the hand-made contacts: the engines are compared with it."""
    anchor = testdata.ANCHORS[0]
    late, at, undated = testdata.NOT_YET_CREATED, testdata.CREATED_AT_ANCHOR, testdata.NEVER_DATED
    for text in ("orders() >= 1", 'country = "France"', "orders() = 0 or orders() >= 1"):
        members = evaluate(checked(text), DATA, anchor, segments=SEGMENTS)
        assert late not in members and at in members and undated in members, text
        assert late in evaluate(checked(text), DATA, anchor, segments=SEGMENTS, live=True), text
    assert testdata.LATE_WITHOUT_FACTS not in evaluate(checked("orders() = 0"), DATA, anchor, segments=SEGMENTS)
    assert evaluate(checked("order by total_spent desc limit 2"), DATA, anchor) == [at, undated]
    assert late not in existing(default_schema(), DATA, anchor) and at in existing(default_schema(), DATA, anchor)
    # docs/language.md 1.2: an order without items is an order; a product is its exact name or id.
    bought = evaluate(checked("purchased()"), DATA, anchor)
    assert testdata.ORDER_WITHOUT_ITEMS in bought
    assert testdata.ORDER_WITHOUT_ITEMS not in evaluate(checked('purchased(product: "Red Shoes")'), DATA, anchor)
    for text, lower in (('purchased(product: "Red Shoes")', False), ('purchased(product: "P1")', False),
                        ('purchased(product: "red shoes")', True), ('purchased(product: "p1")', True)):
        members = evaluate(checked(text), DATA, anchor)
        assert (testdata.LOWER_CASE_PRODUCT in members) == lower and (undated in members) != lower, text


@pytest.mark.parametrize("text", NOT_YET_CREATED_TRAPS + PURCHASE_TRAPS)
@pytest.mark.parametrize("as_of", [testdata.ANCHORS[0], testdata.ANCHORS[1], None])
@pytest.mark.parametrize("parameterized", [False, True])
def test_contacts_that_did_not_exist_yet(engines: dict[str, Any], text: str, as_of: dt.datetime | None,
                                         parameterized: bool) -> None:
    rule = checked(text)
    compare(engines, rule, as_of, parameterized, text, oracle(rule))


@settings(SETTINGS, max_examples=400)
@given(text=conditions, as_of=st.one_of(st.none(), st.sampled_from(testdata.ANCHORS)))
def test_partition(engines: dict[str, Any], text: str, as_of: dt.datetime | None) -> None:
    """The members of `p` and of `not p` are disjoint and make up every contact, on every engine."""
    positive, negative = checked(text), checked(f"not ({text})")
    for engine, connection in engines.items():
        try:
            yes = compile(positive, dialect=engine, as_of=as_of, segments=SEGMENTS)
            no = compile(negative, dialect=engine, as_of=as_of, segments=SEGMENTS)
        except UnsupportedDialect:
            assert engine == "sqlite"
            continue
        if engine == "duckdb":
            connection.execute("BEGIN TRANSACTION")
        try:
            members = run(connection, yes.sql, (), False)
            others = run(connection, no.sql, (), False)
        finally:
            if engine == "duckdb":
                connection.execute("COMMIT")
        assert not set(members) & set(others), text
        # Every contact that exists at the instant (SPEC 8.4); live, every contact of the store.
        everyone = ALL_IDS if as_of is None else existing(positive.schema, DATA, as_of)
        assert sorted(members + others) == everyone, text



# ------------------------------------------------------------------------------------- a renamed schema

RENAMED = load_schema(str(Path(__file__).resolve().parent.parent / "examples" / "schema.toml"))


def _renamed_tables() -> dict[str, list[dict[str, Any]]]:
    """DATA as the backend of examples/schema.toml stores it: other table, column and value names, stored
    totals and custom columns on the contacts."""
    rng = random.Random(11)
    stored_kind = {"campaign": RENAMED.campaign_kinds["campaign"], "series": RENAMED.campaign_kinds["series"]}
    tables: dict[str, list[dict[str, Any]]] = {}
    for logical, rows in DATA.items():
        table = RENAMED.tables[logical]
        renamed = []
        for row in rows:
            out = {table.column(key) if key in table.columns else key: value for key, value in row.items()}
            if logical == "events":
                out[table.column("type")] = RENAMED.event_types[row["type"]]
            if logical == "campaigns":
                out[table.column("kind")] = stored_kind[row["kind"]]
            if logical == "customers":
                out[table.column("quality")] = rng.choice((*RENAMED.fields["quality"].values, "vip", None))
                out["orders_count"] = rng.choice((None, 0, 1, 2, 7))
                out["lifetime_value"] = rng.choice((None, 0.0, 10.5, 99.75, 250.0))
                out["loyalty_points"] = rng.choice((None, 0, 5, 100, -3))
                out["sms_opt_in"] = rng.choice((None, True, False))
                out["lang"] = rng.choice((None, "en", "fr", "de", "es"))
            renamed.append(out)
        tables[table.name] = renamed
    return tables


RENAMED_DATA = _renamed_tables()


def _load(connection: Any, tables: dict[str, list[dict[str, Any]]], sqlite: bool) -> None:
    """Create and fill tables, each column typed from its values (this test's own names only)."""
    for name, rows in tables.items():
        columns: dict[str, str] = {key: "VARCHAR" for row in rows for key in row}
        typed_columns: set[str] = set()
        for row in rows:
            for key, value in row.items():
                if value is not None and key not in typed_columns:
                    typed_columns.add(key)
                    kind = {bool: "BOOLEAN", int: "BIGINT", float: "DOUBLE", str: "VARCHAR",
                            dt.datetime: "TIMESTAMP"}[type(value)]
                    columns[key] = ("TEXT" if kind == "TIMESTAMP" else kind) if sqlite else kind
        connection.execute(f'CREATE TABLE "{name}" ({", ".join(f"{q(c)} {t}" for c, t in columns.items())})')
        values = [tuple(_cell(row.get(c), sqlite) for c in columns) for row in rows]
        connection.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" for _ in columns)})', values)


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell(value: Any, sqlite: bool) -> Any:
    if sqlite and isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return value


@pytest.fixture(scope="module")
def renamed_engines() -> dict[str, Any]:
    duck, lite = duckdb.connect(), sqlite3.connect(":memory:")
    _load(duck, RENAMED_DATA, sqlite=False)
    _load(lite, RENAMED_DATA, sqlite=True)
    return {"duckdb": duck, "sqlite": lite}


renamed_leaves = st.one_of(
    st.builds("{} {} {}".format, st.sampled_from(("order_count", "total_spent", "loyalty_points")), compare_ops,
              number_terms),
    st.builds("{} is {}set".format, st.sampled_from(("order_count", "loyalty_points", "accepts_sms", "quality",
                                                     "preferred_language", "country")), maybe_not),
    st.sampled_from(("accepts_sms", "accepts_sms = false", "accepts_sms != true")),
    st.builds("quality {}in {}".format, maybe_not, in_list(st.sampled_from(('"Champion"', '"dormant"', '"new"')))),
    st.builds("preferred_language {} {}".format, st.sampled_from(("=", "!=")), st.sampled_from(('"FR"', '"en"'))),
    st.builds("{} {} {}".format, st.sampled_from(TEXT_FIELDS), compare_ops, text_values),
    st.builds("{} {}{} {}".format, st.sampled_from(TEXT_FIELDS), maybe_not,
              st.sampled_from(("contains", "starts with", "ends with")), patterns),
    st.builds("{}({})".format, st.sampled_from(("sends", "opens", "clicks", "conversions")), event_args)
    .flatmap(lambda call: st.builds(f"{call} {{}} {{}}".format, compare_ops, st.sampled_from(NUMBERS))),
    st.builds("engagement({}) >= {}".format, durations, st.sampled_from(NUMBERS)),
    st.builds("purchased({})".format, order_args),
    st.builds("{} {} {}".format, time_terms, compare_ops, time_values),
    st.builds("tags {}contains {}".format, maybe_not, st.sampled_from(("vip", "VIP", "50%_off")).map(quote)),
    st.builds("in_list({})".format, st.sampled_from(LIST_NAMES).map(quote)),
)
renamed_rules = st.recursive(
    renamed_leaves,
    lambda inner: st.one_of(st.builds("({} and {})".format, inner, inner), st.builds("({} or {})".format, inner, inner),
                            st.builds("not ({})".format, inner)),
    max_leaves=3,
).flatmap(lambda condition: st.one_of(
    st.just(condition),
    st.builds(f"{condition} order by {{}} {{}} limit {{}}".format,
              st.sampled_from(("loyalty_points", "total_spent", "engagement(6mo)", "accepts_sms")),
              st.sampled_from(("asc", "desc")), st.sampled_from(("3", "25"))),
))


@settings(SETTINGS, max_examples=300)
@given(text=renamed_rules, as_of=st.one_of(st.none(), st.sampled_from(testdata.ANCHORS)), parameterized=st.booleans())
def test_renamed_schema(renamed_engines: dict[str, Any], text: str, as_of: dt.datetime | None,
                        parameterized: bool) -> None:
    """The same agreement on another backend's tables: renamed tables, columns and stored values, totals
    read from stored columns, custom number, boolean and enum fields."""
    rule = check(text, RENAMED)
    compare(renamed_engines, rule, as_of, parameterized, text, oracle(rule, RENAMED_DATA, {}))


@pytest.mark.parametrize("text", [
    "order_count >= 1 order by (total_spent / 5) limit 7",
    "order by (total_spent / order_count) desc limit 10",
    'order_count >= 1 order by (spent(product: "Red Shoes") / 2.25) desc, (refund_count / order_count) asc',
])
@pytest.mark.parametrize("as_of", [testdata.ANCHORS[0], None])
def test_parameterized_rankings_by_a_division(engines: dict[str, Any], text: str, as_of: dt.datetime | None) -> None:
    """A ranking by a division compiles with parameters (its missing-last test reads the key built afresh,
    not copied with its placeholders) and ranks as plain mode does (issue 16 item 5)."""
    rule = checked(text)
    compare(engines, rule, as_of, True, text, oracle(rule))
