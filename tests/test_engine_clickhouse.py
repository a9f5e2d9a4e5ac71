"""Differential tests on ClickHouse, embedded (chdb): the generated rules of tests/test_differential.py, on the
same data loaded by the adapter, must select the reference evaluator's members, anchored and live, inline and
with ClickHouse's typed parameters. Plus the engine traps, the adapter's contract and `rare load`.

chdb hosts one engine per process, bound to one path: every test here uses the module's path, the generated
rules in a database of their own (`USE`, which is per connection), `rare load` in the default database.
Per run: 350 anchored + 200 live generated rules. Without chdb the tests skip, and fail when CI=true.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import RULES_RUN
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compile import LIVE_DURATIONS, _instants
from test_differential import DATA, SEGMENTS, SETTINGS, SUB_SECOND_AS_OF_RULES, checked, rules
from test_engines import TRAPS, same_members, unavailable

from rare_dsl import testdata
from rare_dsl.cli import main
from rare_dsl.compiler import calendar, compile
from rare_dsl.compiler.dialects import ClickHouse
from rare_dsl.engines import Engine, EngineError, connect
from rare_dsl.engines.clickhouse import ClickHouseError
from rare_dsl.evaluate import evaluate
from rare_dsl.schema import default_schema
from rare_dsl.store.tables import COLUMNS, drop_statements

DIFFERENTIAL_DATABASE = "rare_differential"
STRICT_DATABASE = "rare_strict"


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        import chdb  # noqa: F401
    except ImportError:
        unavailable("chdb is not installed (pip install rare-dsl[engines])")
    return tmp_path_factory.mktemp("chdb") / "engine"


def url_of(path: Path) -> str:
    return f"chdb:///{path}"  # an absolute path: four slashes


def in_database(path: Path, database: str) -> Engine:
    """A connection to the module's engine whose session uses `database` (created when missing)."""
    engine = connect(url_of(path))
    engine.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
    engine.execute(f"USE {database}")
    return engine


def load(engine: Engine, data: dict[str, list[dict[str, Any]]]) -> None:
    with engine.transaction():
        engine.create_tables(default_schema(), replace=True)
        for table, rows in data.items():
            columns = [name for name, _, _ in COLUMNS[table]]
            engine.load(table, columns, [[row.get(c) for c in columns] for row in rows])


@pytest.fixture(scope="module")
def engine(path: Path) -> Iterator[Engine]:
    """The test data in a database of its own, read through one connection."""
    engine = in_database(path, DIFFERENTIAL_DATABASE)
    try:
        load(engine, DATA)
        yield engine
    finally:
        engine.close()


def members(engine: Engine, text: str, as_of: dt.datetime | None, parameterized: bool, *,
            data: dict[str, list[dict[str, Any]]] = DATA, generated: bool = True) -> None:
    rule = checked(text)
    compiled = compile(rule, dialect="clickhouse", as_of=as_of, parameterized=parameterized, segments=SEGMENTS)
    if as_of is None:
        got, want = run_live(engine, compiled,
                             lambda now: evaluate(rule, data, now, segments=SEGMENTS, live=True))
    else:
        got, want = engine.members(compiled), evaluate(rule, data, as_of, segments=SEGMENTS)
    assert (got if rule.order_by else sorted(got)) == want, \
        f"clickhouse {'live' if as_of is None else as_of}: {text}\n{compiled.sql}\n{compiled.params}"
    if generated:
        RULES_RUN["clickhouse"] += 1


def run_live(engine: Engine, compiled: Any, expected: Any) -> tuple[list[Any], list[Any]]:
    """Live SQL on chdb's clock, which is the real one and cannot be set: the clock is read right before and
    right after the query, and the members are compared when the evaluator gives the same members at both
    readings (no fact crossed a window boundary in between); otherwise the query runs again."""
    for _ in range(5):
        before = engine.now()
        got = engine.members(compiled)
        after = engine.now()
        assert before <= after and after - before < dt.timedelta(seconds=30), (before, after)
        want = expected(before)
        if expected(after) == want:
            return got, want
    raise AssertionError("a fact crossed a window boundary during every attempt")


@settings(SETTINGS, max_examples=350)
@given(text=rules, as_of=st.sampled_from(testdata.ANCHORS), parameterized=st.booleans())
def test_anchored(engine: Engine, text: str, as_of: dt.datetime, parameterized: bool) -> None:
    members(engine, text, as_of, parameterized)


@settings(SETTINGS, max_examples=200)
@given(text=rules, parameterized=st.booleans())
def test_live(engine: Engine, text: str, parameterized: bool) -> None:
    members(engine, text, None, parameterized)


# ----------------------------------------------------------------------------------------- engine traps

CLICKHOUSE_TRAPS = [
    # lower() folds only ASCII letters: "ÉCOLE" must contain "é".
    'first_name contains "é"', 'first_name starts with "éc"', 'last_name ends with "ωMEGA"', 'tags contains "zoË"',
    # Aggregates of contacts without facts: counts and sums are 0, averages and dates missing.
    "orders() = 0 or spent(1y) < 10", "average_order_value is not set", "spent(1y) / orders(1y) < 30",
    "order by average_order_value asc, last_order_date desc limit 40", "order by last_click_date asc limit 30",
    "last_open_date < last_order_date or not (first_order_date is set)",
    # Exact division, month arithmetic from month ends.
    "clicks(6mo) / opens(6mo) >= 0.5", "orders(1y) * 3 / 2 >= 1.5", "spent(6mo) - spent(1mo) < -0.5",
    "opens(1mo) >= 1 and opens(1y) < 5",
]


@pytest.mark.parametrize("text", SUB_SECOND_AS_OF_RULES)
def test_sub_second_as_of_traps(engine: Engine, text: str) -> None:
    """Window boundaries with a fraction of a second (testdata.SUB_SECOND_AS_OF), inline and parameterized."""
    for parameterized in (False, True):
        members(engine, text, testdata.SUB_SECOND_AS_OF, parameterized, generated=False)


@pytest.mark.parametrize("text", TRAPS + CLICKHOUSE_TRAPS)
def test_engine_traps(engine: Engine, text: str) -> None:
    for as_of in testdata.ANCHORS[:2]:
        members(engine, text, as_of, False, generated=False)
        members(engine, text, as_of, True, generated=False)
    members(engine, text, None, False, generated=False)


# The test data without the rows that hold NULL where the reference schema says NOT NULL (it has such rows
# on purpose): the data a ClickHouse user's tables with non-Nullable columns would hold.
STRICT_DATA = {table: [row for row in rows if all(row.get(name) is not None
                                                  for name, _, not_null in COLUMNS[table] if not_null)]
               for table, rows in DATA.items()}


def strict_tables(engine: Engine) -> None:
    """The reference tables as a ClickHouse user would declare them: `NOT NULL` columns are not Nullable. An
    aggregate of them (`max(occurred_at)`) is not Nullable either, and an unmatched LEFT JOIN row then reads
    as 1970-01-01 or 0, not NULL, unless `join_use_nulls = 1`."""
    kinds = {"BIGINT": "Int64", "VARCHAR": "String", "TIMESTAMP": "DateTime64(6, 'UTC')", "INTEGER": "Int32",
             "DECIMAL(12,2)": "Decimal(12, 2)"}
    for dropped in drop_statements(default_schema()):
        engine.execute(dropped.sql(dialect="clickhouse"))
    for table, columns in COLUMNS.items():
        spelled = ", ".join(f'"{name}" {kinds[kind] if not_null else f"Nullable({kinds[kind]})"}'
                            for name, kind, not_null in columns)
        engine.execute(f'CREATE TABLE "{table}" ({spelled}) ENGINE = MergeTree ORDER BY tuple()')
        names = [name for name, _, _ in columns]
        engine.load(table, names, [[row.get(c) for c in names] for row in STRICT_DATA[table]])


JOINED_MEASURES = [
    "order by last_open_date asc limit 25", "order by last_order_date asc, first_order_date desc limit 30",
    "order by average_order_value asc limit 25", "last_click_date < last_open_date",
    "not (last_order_date > first_order_date)", "average_order_value * 2 < total_spent",
    "orders() = 0 or spent(1y) < 10",
]


@pytest.mark.parametrize("text", JOINED_MEASURES)
def test_unmatched_left_join_rows_are_missing_values(path: Path, engine: Engine, text: str) -> None:
    """ClickHouse fills the columns of an unmatched LEFT JOIN row with their type's default (0, 1970-01-01)
    unless `join_use_nulls = 1`: on tables without Nullable columns, in a session left at the default, a
    contact without facts must still have no last order date, and rank last."""
    strict = in_database(path, STRICT_DATABASE)
    try:
        if not strict.execute("EXISTS TABLE events")[0][0]:
            strict_tables(strict)
        assert strict.execute("SELECT getSetting('join_use_nulls')")[0][0] in (0, False)
        assert "Nullable" not in strict.execute("SELECT toTypeName(max(occurred_at)) FROM events")[0][0]
        for as_of in (testdata.ANCHORS[0], None):
            members(strict, text, as_of, False, data=STRICT_DATA, generated=False)
    finally:
        strict.close()


def test_live_arithmetic_clamps_like_the_calendar(engine: Engine) -> None:
    """`now64(6, 'UTC') - INTERVAL n MONTH` clamps a day the target month lacks, for every day of 450 and the
    month ends of three years (the clock replaced by each instant, in the clock's type)."""
    target = ClickHouse("clickhouse")
    clock = target.now().sql(dialect="clickhouse")
    assert clock == "now64(6, 'UTC')"
    literals = {instant: target.timestamp(instant).sql(dialect="clickhouse") for instant in _instants()}
    cases: list[tuple[str, dt.datetime]] = []
    for amount, unit in LIVE_DURATIONS:
        expression = target.minus(amount, unit).sql(dialect="clickhouse")
        assert expression.count(clock) == 1, expression
        cases += [(expression.replace(clock, literal), calendar.minus(instant, amount, unit))
                  for instant, literal in literals.items()]
    for start in range(0, len(cases), 300):
        chunk = cases[start:start + 300]
        got = engine.execute("SELECT " + ", ".join(sql for sql, _ in chunk))[0]
        assert list(got) == [want for _, want in chunk], chunk


def test_case_and_trailing_spaces_are_exact(engine: Engine) -> None:
    compiled = compile('country = "france"', dialect="clickhouse", as_of=testdata.ANCHORS[0])
    got = sorted(engine.members(compiled))
    assert got and all(row["country"] == "france" for row in DATA["customers"] if row["customer_id"] in got)
    assert engine.count(compile('first_name = "  spaced"', dialect="clickhouse", as_of=testdata.ANCHORS[0])) == 0


def test_count_version_and_clock(engine: Engine) -> None:
    compiled = compile("orders() >= 1", dialect="clickhouse", as_of=testdata.ANCHORS[0], parameterized=True)
    assert engine.count(compiled) == len(engine.members(compiled)) > 0
    version = engine.version()
    assert version.startswith("ClickHouse ") and "(chdb 4." in version, version
    now = engine.now()
    assert now.tzinfo is None and abs(now - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(seconds=5)


def test_a_segment_for_another_dialect_is_refused(engine: Engine) -> None:
    with pytest.raises(EngineError, match="compiled for duckdb"):
        engine.count(compile("orders() >= 1", dialect="duckdb"))


def test_connection_failures_are_one_line(path: Path, tmp_path: Path) -> None:
    """chdb binds a process to one path: another path, while a connection is open, is refused in one line
    naming the URL; so is a path that cannot be a database."""
    (tmp_path / "file.txt").write_text("not a folder")
    with connect(url_of(path)):
        for url in (f"chdb:///{tmp_path / 'other'}", f"chdb:///{tmp_path / 'file.txt' / 'db'}"):
            with pytest.raises(EngineError) as failure:
                connect(url)
            message = str(failure.value)
            assert message.startswith(f"cannot connect to {url}: ") and "\n" not in message, message
            assert "Stack trace" not in message and "DB::Exception" not in message, message


def test_bad_sql_is_one_line(engine: Engine) -> None:
    with pytest.raises(ClickHouseError) as failure:
        engine.execute("SELECT nope FROM nowhere")
    assert "\n" not in str(failure.value) and "nowhere" in str(failure.value)


# ------------------------------------------------------------------------------------------- rare load

def clear(url: str) -> None:
    with connect(url) as engine:
        for dropped in drop_statements(default_schema()):
            engine.execute(dropped.sql(dialect="clickhouse"))


def duckdb_source(path: Path, data: dict[str, list[dict[str, Any]]]) -> Path:
    """The data in a DuckDB file, as `testdata.load_duckdb` makes it, but one statement per table (the
    list of each column, unnested): DuckDB's executemany takes 20 seconds for the test data."""
    import duckdb

    connection = duckdb.connect(str(path))
    testdata.load_duckdb(connection, {table: [] for table in data})
    for table, rows in data.items():
        columns = [row[0] for row in connection.execute(f'DESCRIBE "{table}"').fetchall()]
        unnested = ", ".join(f"UNNEST(${i + 1})" for i in range(len(columns)))
        connection.execute(f'INSERT INTO "{table}" SELECT {unnested}', [[row.get(c) for row in rows] for c in columns])
    connection.close()
    return path


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return duckdb_source(tmp_path_factory.mktemp("source") / "shop.duckdb", DATA)


def staging_tables(url: str) -> int:
    with connect(url) as engine:
        return int(engine.execute("SELECT count() FROM system.tables WHERE name LIKE 'rare_staging%'")[0][0])


def test_load_from_a_duckdb_file(path: Path, engine: Engine, source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = url_of(path)
    clear(url)
    assert main(["load", "--db", url, "--from", str(source)]) == 0, capsys.readouterr().err
    assert f"{len(DATA['events']):,}" in capsys.readouterr().out
    same_members(url, DATA)
    assert main(["load", "--db", url, "--from", str(source)]) == 1
    assert "already has the table `customers`" in capsys.readouterr().err
    assert main(["load", "--db", url, "--from", str(source), "--replace"]) == 0
    same_members(url, DATA)
    assert staging_tables(url) == 0


def test_a_load_that_fails_leaves_nothing_behind(path: Path, engine: Engine, source: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A value the engine refuses (text where a timestamp belongs), in the last table: no new table is left,
    and a failed `--replace` leaves the old tables as they were."""
    import duckdb

    bad = duckdb_source(tmp_path / "bad.duckdb", DATA)
    connection = duckdb.connect(str(bad))
    connection.execute('ALTER TABLE "list_members" ALTER "added_at" TYPE VARCHAR')
    connection.execute("INSERT INTO \"list_members\" VALUES (1, 1, 'not a time')")
    connection.close()

    url = url_of(path)
    clear(url)
    assert main(["load", "--db", url, "--from", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "nothing was loaded" in err and "added_at" in err and err.count("\n") == 1, err
    with connect(url) as probe:
        assert probe.execute("SELECT count() FROM system.tables WHERE database = currentDatabase()")[0][0] == 0
    assert staging_tables(url) == 0

    assert main(["load", "--db", url, "--from", str(source)]) == 0
    assert main(["load", "--db", url, "--from", str(bad), "--replace"]) == 1
    assert "nothing was loaded" in capsys.readouterr().err
    same_members(url, DATA)
    assert staging_tables(url) == 0


def test_engine_url(path: Path) -> None:
    """`chdb:///` is chdb's in-memory engine; run in a process of its own, since this one is bound to a path."""
    with pytest.raises(EngineError, match="give duckdb:///path, sqlite:///path, chdb:///path"):
        connect("shop.db")
    script = ("from rare_dsl.engines import connect\n"
              "with connect('chdb:///') as engine:\n"
              "    engine.execute('CREATE TABLE t (x Int64) ENGINE = Memory')\n"
              "    print(engine.dialect, engine.version(), engine.execute('SELECT count() FROM t')[0][0])\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("clickhouse ClickHouse ") \
        and done.stdout.endswith(" 0\n"), done.stderr


def test_breakdowns(engine: Engine) -> None:
    """Every kind of breakdown (values, tags, time buckets, ranges), each row against the reference evaluator
    (tests/breakdown_helpers.py), as on the other engines."""
    from breakdown_helpers import verify_all
    from test_differential import NOW

    assert verify_all(engine.dialect, lambda query: engine.execute(query.sql(engine.dialect)), DATA, NOW) > 30
