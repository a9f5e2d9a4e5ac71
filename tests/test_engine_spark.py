"""Differential tests on Spark SQL (pyspark in local mode, `spark://local`): the generated rules of
tests/test_differential.py, on the same data, loaded with `rare load`, must select the reference evaluator's
members, anchored and live, inline and parameterized. Plus Spark's traps, its clock in a daylight-saving
session zone, month-end arithmetic, and `rare load`'s all-or-nothing on an engine without transactions.

Spark takes seconds per query whatever the data, so this file runs fewer rules than tests/test_engines.py,
batched: hypothesis draws the rules (derandomized: the same ones every run), each is compiled for Spark, and
BATCH of them run as one query, a UNION ALL that tags each member with its rule's index and, for a ranked
rule, its position (`ROW_NUMBER()` over the rule's own ORDER BY, whose last key is the customer id, so the
order is total). Placeholders are renamed per rule (`:r3_0`, ...) and bound by name, in the order the
compiled rule lists its values. A batch Spark refuses is run again rule by rule, to name the rule. Live
batches carry one more row: the compiler's own clock expression, read by the same query (Spark fixes
`current_timestamp()` once per query), so the evaluator runs at exactly the instant the SQL saw.

The session runs in America/New_York: TIMESTAMP_NTZ columns and literals must not notice. Per run:
ANCHORED + LIVE generated rules (env RARE_SPARK_ANCHORED, RARE_SPARK_LIVE). Without pyspark or Java the
tests skip with the reason, and fail when CI=true.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import RULES_RUN
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp
from test_differential import DATA, SEGMENTS, SETTINGS, SUB_SECOND_AS_OF_RULES, checked, rules
from test_engines import TRAPS, duckdb_file, same_members, unavailable

from rare_dsl import testdata
from rare_dsl.cli import main
from rare_dsl.compiler import CompiledSegment, compile
from rare_dsl.compiler import calendar as compile_calendar
from rare_dsl.compiler.dialects import target
from rare_dsl.engines import Engine, EngineError, connect
from rare_dsl.evaluate import evaluate
from rare_dsl.typed import CheckedRule

URL = "spark://local"
ZONE = "America/New_York"
ANCHORED = int(os.environ.get("RARE_SPARK_ANCHORED", "60"))
LIVE = int(os.environ.get("RARE_SPARK_LIVE", "30"))
BATCH = 10
CLOSE = dt.timedelta(minutes=5)  # a clock reading this close to Python's is the real UTC clock

SPARK_TRAPS = [
    *TRAPS,
    # Unicode case folding (Java's, in the JVM's locale), NUL and newlines inside text, emoji.
    'first_name = "nul\\u0000byte"', 'first_name contains "l\\u0000b"', 'first_name contains "o\\nl"',
    'last_name ends with "ÉCOLE"', 'first_name contains "ω"', 'city starts with "são"', 'first_name < "😀"',
    # Month ends: 1mo before Mar 31 is Feb 28, 1y before Feb 29 is Feb 28.
    "orders(within: 1mo) >= 1", "last_order_date within 1y", 'purchased(month: "February")',
    # Correlated NOT EXISTS over a grouped set, inside OR and under a negation; IN over a LIMIT subquery.
    'orders() = 0 or not (opens(6mo) >= 3 and in_segment("top_spenders"))',
    # Division by zero is missing, not an error (Spark's ANSI mode raises on x / 0).
    "clicks() / (opens() - opens()) > 1 or total_spent / refunds() >= 0.5",
]


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The process's Spark session with DATA loaded by `rare load` from a DuckDB file: the round trip."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("pyspark is not installed (pip install rare-dsl[engines])")
    try:
        engine = connect(URL)
    except EngineError as error:
        unavailable(str(error))
    # Tiny data and hundreds of one-off query shapes: interpreting is cheaper than generating and compiling
    # Java for each (AQE re-plans every stage). Same semantics, several times faster on a loaded machine.
    for key, value in (("spark.sql.codegen.wholeStage", "false"), ("spark.sql.codegen.factoryMode", "NO_CODEGEN"),
                       ("spark.sql.adaptive.enabled", "false"), ("spark.sql.shuffle.partitions", "1")):
        engine.connection.conf.set(key, value)
    source = duckdb_file(tmp_path_factory.mktemp("spark") / "shop.duckdb", DATA)
    assert main(["load", "--db", URL, "--from", str(source)]) == 0
    for table in DATA:  # read once from Parquet, then from memory
        engine.execute(f"CACHE TABLE `{table}`")
    engine.connection.conf.set("spark.sql.session.timeZone", ZONE)
    return engine


# ---------------------------------------------------------------------------------------------- batches

def _branch(index: int, compiled: CompiledSegment, args: dict[str, object]) -> exp.Select:
    """One rule's query, its members tagged (customer_id, rule, pos, at), its placeholders named."""
    query = compiled.expression.copy()
    for k, node in enumerate(list(query.find_all(exp.Placeholder))):
        node.replace(exp.Placeholder(this=f"r{index}_{k}"))
    printed = re.findall(rf":r{index}_(\d+)\b", query.sql(dialect="spark"))
    assert len(printed) == len(compiled.params), (printed, compiled.params)
    for place, k in enumerate(printed):
        args[f"r{index}_{k}"] = compiled.params[place]
    order = query.args.get("order")
    position = exp.Window(this=exp.RowNumber(), order=order.copy()) if order else exp.Literal.number(0)
    query.select(exp.alias_(exp.Literal.number(index), "rule"), exp.alias_(position, "pos"),
                 exp.alias_(exp.cast(exp.null(), exp.DataType.Type.TIMESTAMPNTZ), "at"), copy=False)
    return exp.select("*").from_(query.subquery(f"b{index}"))


def run_batch(engine: Engine, items: list[tuple[int, CompiledSegment]], live: bool,
              ) -> tuple[dict[int, list[Any]], dt.datetime | None]:
    """Members of each rule (in rank order for a ranked rule) and, live, the clock the query read."""
    args: dict[str, object] = {}
    parts = [_branch(index, compiled, args) for index, compiled in items]
    if live:
        parts.append(exp.select(exp.alias_(exp.cast(exp.null(), exp.DataType.Type.BIGINT), "customer_id"),
                                exp.alias_(exp.Literal.number(-1), "rule"), exp.alias_(exp.Literal.number(0), "pos"),
                                exp.alias_(target("spark").now(), "at")))
    query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False)
    frame = engine.connection.sql(query.sql(dialect="spark"), args=args or None)
    found: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    now = None
    for customer, rule, position, at in frame.collect():
        if rule == -1:
            now = at
        else:
            found[rule].append((position, customer))
    return {rule: [c for _, c in sorted(pairs)] for rule, pairs in found.items()}, now


def differential(engine: Engine, drawn: list[tuple[str, dt.datetime | None, bool]], *, generated: bool) -> None:
    """Compile every drawn rule for Spark, run them BATCH at a time, compare each with the evaluator."""
    live = drawn[0][1] is None
    cases: list[tuple[int, CompiledSegment, CheckedRule, str, dt.datetime | None]] = []
    for index, (text, as_of, parameterized) in enumerate(drawn):
        rule = checked(text)
        compiled = compile(rule, dialect="spark", as_of=as_of, parameterized=parameterized, segments=SEGMENTS)
        cases.append((index, compiled, rule, text, as_of))
    for start in range(0, len(cases), BATCH):
        chunk = cases[start:start + BATCH]
        try:
            got, now = run_batch(engine, [(i, c) for i, c, *_ in chunk], live)
        except Exception:
            for _, compiled, _, text, _ in chunk:  # name the rule Spark refuses
                try:
                    engine.members(compiled)
                except Exception as error:
                    raise AssertionError(f"Spark refused: {text}\n{compiled.sql}\n{error}") from None
            raise
        if live:  # the instant the SQL saw must be the real one, not merely the one it claims
            assert now is not None and abs(now - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < CLOSE, now
        for index, compiled, rule, text, as_of in chunk:
            at = as_of or now
            assert at is not None
            want = evaluate(rule, DATA, at, segments=SEGMENTS, live=as_of is None)
            assert got.get(index, []) == want, \
                f"spark {'live at ' + str(now) if as_of is None else as_of}: {text}\n{compiled.sql}\n{compiled.params}"
            if generated:
                RULES_RUN["spark"] += 1


def draw(count: int, anchored: bool) -> list[tuple[str, dt.datetime | None, bool]]:
    """`count` rules from the differential tests' strategy, the same every run."""
    drawn: list[tuple[str, dt.datetime | None, bool]] = []

    @settings(SETTINGS, max_examples=count, derandomize=True)
    @given(text=rules, as_of=st.sampled_from(testdata.ANCHORS) if anchored else st.none(),
           parameterized=st.booleans())
    def collect(text: str, as_of: dt.datetime | None, parameterized: bool) -> None:
        drawn.append((text, as_of, parameterized))

    collect()
    return drawn


def test_anchored(spark: Engine) -> None:
    drawn = draw(ANCHORED, anchored=True)
    assert len(drawn) >= ANCHORED * 0.9, len(drawn)
    differential(spark, drawn, generated=True)


def test_live(spark: Engine) -> None:
    drawn = draw(LIVE, anchored=False)
    assert len(drawn) >= LIVE * 0.9, len(drawn)
    differential(spark, drawn, generated=True)


# ----------------------------------------------------------------------------------------- engine traps

# Run one by one as compiled, with Spark binding the positional `?` markers; the others are batched.
ALONE = ("order by first_name asc limit 30", "order by last_open_date asc limit 25", 'first_name contains "É"',
         'first_name = "nul\\u0000byte"', "orders(within: 1mo) >= 1")


def test_engine_traps(spark: Engine) -> None:
    """Every trap anchored (Mar 31: one month back is Feb 28) and live, inline and parameterized; a few run
    alone as compiled."""
    at = testdata.ANCHORS[2]
    differential(spark, [(text, at, index % 2 == 0) for index, text in enumerate(SPARK_TRAPS)], generated=False)
    differential(spark, [(text, None, index % 2 == 1) for index, text in enumerate(SPARK_TRAPS)], generated=False)
    # Window boundaries with a fraction of a second (testdata.SUB_SECOND_AS_OF), inline and parameterized.
    differential(spark, [(text, testdata.SUB_SECOND_AS_OF, parameterized) for text in SUB_SECOND_AS_OF_RULES
                         for parameterized in (False, True)], generated=False)
    for text in ALONE:
        rule = checked(text)
        compiled = compile(rule, dialect="spark", as_of=at, parameterized=True, segments=SEGMENTS)
        got = spark.members(compiled)
        assert (got if rule.order_by else sorted(got)) == evaluate(rule, DATA, at, segments=SEGMENTS), \
            f"{text}\n{compiled.sql}\n{compiled.params}"


def test_text_is_exact_and_ordered_by_code_point(spark: Engine) -> None:
    assert spark.execute("SELECT 'a' < 'B', 'é' < 'z', '😀' > '\uffff', 'France' = 'france', 'a ' = 'a'")[0] == \
        (False, False, True, False, False)
    compiled = compile('country = "france"', dialect="spark", as_of=testdata.ANCHORS[0])
    got = spark.members(compiled)
    assert got and all(row["country"] == "france" for row in DATA["customers"] if row["customer_id"] in got)


def test_clock_is_utc_in_a_daylight_saving_zone(spark: Engine) -> None:
    """The compiled clock at instants where the session zone springs forward or falls back: the usual
    `to_utc_timestamp(current_timestamp(), current_timezone())` reads 03:30 for 02:30 UTC on 2026-03-08."""
    instants = [dt.datetime(2026, 3, 8, 2, 30), dt.datetime(2026, 3, 8, 7, 0), dt.datetime(2026, 11, 1, 5, 30),
                dt.datetime(2026, 11, 1, 6, 30), dt.datetime(2024, 2, 29, 23, 59, 59, 123456)]
    clock = target("spark").now()
    columns = []
    for instant in instants:
        fixed = clock.copy().transform(lambda node, at=instant: exp.cast(
            exp.Literal.string(compile_calendar.sql_text(at) + "+00:00"), exp.DataType.Type.TIMESTAMP)
            if isinstance(node, exp.CurrentTimestamp) else node)
        columns.append(fixed.sql(dialect="spark"))
    assert spark.execute("SELECT current_timezone()")[0][0] == ZONE
    assert list(spark.execute("SELECT " + ", ".join(columns))[0]) == instants
    assert abs(spark.now() - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < CLOSE


def test_live_arithmetic_clamps_like_the_calendar(spark: Engine) -> None:
    """`now - INTERVAL 'n' MONTH` on TIMESTAMP_NTZ, for month ends of three years and a run of days: one query
    over a VALUES table of instants, one column per duration."""
    durations = [(1, "mo"), (3, "mo"), (6, "mo"), (13, "mo"), (1, "y"), (12, "h"), (30, "d"), (2, "w")]
    instants = [dt.datetime(2023, 12, 20, 10, 11, 12) + dt.timedelta(days=i) for i in range(0, 450, 3)]
    instants += [dt.datetime(year, month, 28, 23, 59, 59) + dt.timedelta(days=k)
                 for year in (2024, 2025, 2028) for month in range(1, 13) for k in range(4)]
    spark_target = target("spark")
    clock = spark_target.now()
    columns = []
    for amount, unit in durations:
        fixed = spark_target.minus(amount, unit).transform(lambda node: exp.column("at") if node == clock else node)
        assert "CURRENT_TIMESTAMP" not in fixed.sql(dialect="spark")
        columns.append(fixed.sql(dialect="spark"))
    values = ", ".join(f"({i}, CAST('{compile_calendar.sql_text(at)}' AS TIMESTAMP_NTZ))"
                       for i, at in enumerate(instants))
    rows = spark.execute(f"SELECT i, {', '.join(columns)} FROM VALUES {values} AS t(i, at) ORDER BY i")
    assert len(rows) == len(instants)
    wrong = [(instants[row[0]], durations[k], got) for row in rows for k, got in enumerate(row[1:])
             if got != compile_calendar.minus(instants[row[0]], *durations[k])]
    assert not wrong, wrong[:5]


def test_count_and_version(spark: Engine) -> None:
    compiled = compile("orders() >= 1", dialect="spark", as_of=testdata.ANCHORS[0], parameterized=True)
    assert spark.count(compiled) == len(spark.members(compiled)) > 0
    assert re.fullmatch(r"Spark 4\.\d+\.\d+", spark.version()), spark.version()
    with pytest.raises(EngineError, match="compiled for duckdb"):
        spark.count(compile("orders() >= 1"))


# ------------------------------------------------------------------------------------------- rare load

def test_load_is_a_round_trip(spark: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The fixture loaded DATA with `rare load`; the tables hold it exactly, and loading again is refused."""
    same_members(URL, DATA)
    assert spark.execute("SELECT COUNT(*) FROM `events`")[0][0] == len(DATA["events"])
    assert main(["load", "--db", URL, "--from", str(duckdb_file(tmp_path / "again.duckdb", DATA))]) == 1
    assert "already has the table `customers`" in capsys.readouterr().err


def test_a_failed_replace_leaves_the_old_tables(spark: Engine, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A value Spark refuses in the last table: the staged tables are dropped, the old ones untouched."""
    import duckdb

    small = testdata.generate(seed=5, contacts=12, now=testdata.ANCHORS[0])
    source = tmp_path / "bad.duckdb"
    connection = duckdb.connect(str(source))
    testdata.load_duckdb(connection, {k: v for k, v in small.items() if k != "list_members"})
    connection.execute('CREATE TABLE "list_members" ("list_id" BIGINT, "customer_id" BIGINT, "added_at" VARCHAR)')
    connection.execute("INSERT INTO \"list_members\" VALUES (1, 1, 'not a time')")
    connection.close()
    assert main(["load", "--db", URL, "--from", str(source), "--replace"]) == 1
    err = capsys.readouterr().err
    assert "nothing was loaded" in err and "not a time" in err and err.count("\n") == 1, err
    tables = [row[1] for row in spark.execute("SHOW TABLES")]
    assert not [t for t in tables if t.startswith("rare_staged_")], tables
    assert spark.execute("SELECT COUNT(*) FROM `customers`")[0][0] == len(DATA["customers"])


# ------------------------------------------------------------------------------------------- connecting

def test_urls_and_failures_are_one_line(spark: Engine) -> None:
    for url, message in (("spark://cluster:7077", "only spark://local is supported"),
                         ("spark://local?threads=4", "unknown option `threads`"),
                         ("spark://local?warehouse=", "`warehouse` needs a folder"),
                         ("spark://local?warehouse=/elsewhere", "one Spark session per process")):
        with pytest.raises(EngineError, match=re.escape(message)) as failure:
            connect(url)
        assert "\n" not in str(failure.value) and str(failure.value).startswith(f"cannot connect to {url}")


def test_without_java_the_error_is_one_line(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    environment["PATH"] = str(tmp_path)  # no java there
    done = subprocess.run([sys.executable, "-m", "rare_dsl", "load", "--db", URL, "--from", str(tmp_path)],
                          capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 1
    assert done.stderr == ("rare load: cannot connect to spark://local: Java is not installed: Spark needs Java 17 "
                           "or later (install a JDK, or set JAVA_HOME)\n"), done.stderr


def test_breakdowns(spark: Engine) -> None:
    """Every kind of breakdown (values, tags, time buckets, ranges), each row against the reference evaluator
    (tests/breakdown_helpers.py), as on the other engines."""
    from breakdown_helpers import verify_all
    from test_differential import NOW

    assert verify_all(spark.dialect, lambda query: spark.execute(query.sql(spark.dialect)), DATA, NOW) > 30
