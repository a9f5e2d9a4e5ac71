"""Differential tests on real servers: the generated rules of tests/test_differential.py, on the same data
loaded into a fresh database on PostgreSQL and on MariaDB, must select the reference evaluator's members,
anchored and live, inline and parameterized. Plus the engine traps, each with its own test.

Servers come from RARE_TEST_POSTGRES_URL and RARE_TEST_MYSQL_URL (defaults: the local servers). Each run
creates its own database with a unique name and drops it after. A server that does not answer skips the
tests with the reason, and fails them when CI=true. Per run: 400 anchored + 200 live rules per engine
(PostgreSQL refuses the few whose text holds a NUL).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from breakdown_helpers import verify_all
from engine_helpers import RULES_RUN
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp
from test_differential import (
    CASED_TRAPS,
    DATA,
    EXACT_TRAPS,
    FOLDING_TRAPS,
    NOT_YET_CREATED_TRAPS,
    NOW,
    PURCHASE_TRAPS,
    SEGMENTS,
    SETTINGS,
    STORED_LOWER_TRAPS,
    SUB_SECOND_AS_OF_RULES,
    SUB_SECOND_TRAPS,
    checked,
    rules,
)

from rare_dsl import testdata
from rare_dsl.cli import main
from rare_dsl.compiler import UnsupportedDialect, compile
from rare_dsl.engines import Engine, EngineError, connect, redact
from rare_dsl.evaluate import evaluate
from rare_dsl.schema import default_schema
from rare_dsl.store.tables import COLUMNS

SERVERS = {
    "postgres": ("RARE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "mysql": ("RARE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}


def without_nul(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The data as PostgreSQL can hold it: its text has no NUL character (U+FFFD stands in)."""
    return {name: [{k: v.replace("\x00", "\ufffd") if isinstance(v, str) else v for k, v in row.items()}
                   for row in rows] for name, rows in tables.items()}


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}, and CI=true")
    pytest.skip(reason)


class Server:
    """An engine with the data loaded into it (a short repr: hypothesis prints it with every failure)."""

    def __init__(self, engine: Engine, data: dict[str, list[dict[str, Any]]]):
        self.engine, self.data = engine, data
        self.url = engine.url

    def __repr__(self) -> str:
        return f"Server({self.engine.dialect})"


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + database))


@contextlib.contextmanager
def fresh_database(dialect: str) -> Iterator[str]:
    """The URL of a new, empty database on the server, with a unique name; dropped afterwards."""
    variable, default = SERVERS[dialect]
    url = os.environ.get(variable, default)
    try:
        admin = connect(url)
    except EngineError as error:
        unavailable(f"no {dialect} server: {error} (set {variable})")
    name = f"rare_test_{uuid.uuid4().hex[:12]}"
    quote = '"' if dialect == "postgres" else "`"
    admin.execute(f"CREATE DATABASE {quote}{name}{quote}")
    try:
        yield with_database(url, name)
    finally:
        admin.execute(f"DROP DATABASE {quote}{name}{quote}")
        admin.close()


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    """A fresh database on the server, holding the test data."""
    with fresh_database(request.param) as url:
        engine = connect(url)
        try:
            data = without_nul(DATA) if request.param == "postgres" else DATA
            load(engine, data)
            yield Server(engine, data)
        finally:
            engine.close()


def load(engine: Engine, data: dict[str, list[dict[str, Any]]]) -> None:
    with engine.transaction():
        engine.create_tables(default_schema())
        for table, rows in data.items():
            columns = [name for name, _, _ in COLUMNS[table]]
            engine.load(table, columns, [[row.get(c) for c in columns] for row in rows])


def members(engine: Engine, text: str, as_of: dt.datetime | None, parameterized: bool,
            data: dict[str, list[dict[str, Any]]], *, generated: bool = True) -> None:
    rule = checked(text)
    try:
        compiled = compile(rule, dialect=engine.dialect, as_of=as_of, parameterized=parameterized, segments=SEGMENTS)
    except UnsupportedDialect as error:
        # Only PostgreSQL refuses, and only text holding a NUL character.
        assert engine.dialect == "postgres" and "NUL" in error.message, (text, error.message)
        return
    if as_of is None:
        got, now = run_live(engine, compiled)
    else:
        got, now = engine.members(compiled), as_of
    want = evaluate(rule, data, now, segments=SEGMENTS, live=as_of is None)
    assert (got if rule.order_by else sorted(got)) == want, \
        f"{engine.dialect} {'live' if as_of is None else as_of}: {text}\n{compiled.sql}\n{compiled.params}"
    if generated:
        RULES_RUN[engine.dialect] += 1


def run_live(engine: Engine, compiled: Any) -> tuple[list[Any], dt.datetime]:
    """Live SQL on the engine's clock, and the reading of that clock the query saw. PostgreSQL's clock is
    the transaction's start; MariaDB's session clock is set (`SET timestamp`) to the instant the data is
    built around, so the window boundaries fall exactly on facts. Both sessions run in a zone that is not
    UTC, which the compiled SQL must not notice."""
    if engine.dialect == "postgres":
        engine.execute("SET TIME ZONE 'America/New_York'")
        with engine.transaction():
            return engine.members(compiled), engine.now()
    engine.execute("SET time_zone = '+05:00'")
    engine.execute(f"SET timestamp = {NOW.replace(tzinfo=dt.UTC).timestamp():.0f}")
    try:
        now = engine.now()
        assert now == NOW, (now, NOW)
        return engine.members(compiled), now
    finally:
        engine.execute("SET timestamp = DEFAULT")


@settings(SETTINGS, max_examples=400)
@given(text=rules, as_of=st.sampled_from(testdata.ANCHORS), parameterized=st.booleans())
def test_anchored(server: Server, text: str, as_of: dt.datetime, parameterized: bool) -> None:
    engine, data = server.engine, server.data
    members(engine, text, as_of, parameterized, data)


@settings(SETTINGS, max_examples=200)
@given(text=rules, parameterized=st.booleans())
def test_live(server: Server, text: str, parameterized: bool) -> None:
    engine, data = server.engine, server.data
    members(engine, text, None, parameterized, data)


# ----------------------------------------------------------------------------------------- engine traps

TRAPS = [
    # MariaDB's default collation ignores case, and every PAD SPACE collation ignores trailing spaces.
    'country = "france"', 'country = "France"', 'first_name = "  spaced"', 'first_name = "  spaced  "',
    'city = "PARIS"', 'first_name < "a"', 'first_name >= "Z"', 'country in ["france", "FRANCE"]',
    # Case-insensitive matching of non-ASCII letters, wildcards taken literally.
    'first_name contains "É"', 'first_name starts with "zo"', 'city contains "%_"', 'first_name ends with "\\\\"',
    *FOLDING_TRAPS, *CASED_TRAPS, *STORED_LOWER_TRAPS,
    # Timestamps with a fraction of a second (MySQL's plain DATETIME dropped it).
    *SUB_SECOND_TRAPS,
    'tags contains "VIP"', 'orders(vendor: "acme") > 0',
    # Text ordering by code point, missing values last in both directions.
    "order by first_name asc limit 30", "order by country desc, city asc limit 40",
    "order by average_order_value desc limit 25", "order by last_open_date asc limit 25",
    # Division by an aggregate inside HAVING (MariaDB misreads NULLIF(COUNT(*), 0) there), and by zero.
    "-250.25 = -(250.25 / order_count)", "total_spent / (order_count - order_count) is set",
    "not (orders() / (orders() - 1) > 0.5)",
    # MariaDB's AVG of money keeps 4 more decimals only: ties of this ratio came back in another order.
    'email != "" order by (total_spent / average_order_value) asc', "average_order_value * order_count = total_spent",
    # PostgreSQL reads a date bound after a field as facts on either side of it, and drives an AND from a
    # list or from refunds with the absences searched per contact.
    'status = "subscribed" and last_order_date < 90d ago', 'country = "France" and first_order_date > 1y ago',
    'country = "France" and not last_open_date > 30d ago', 'status = "subscribed" and last_order_date = 2026-01-31',
    'status = "subscribed" and first_order_date within 6mo and last_click_date <= 2026-02-01',
    'in_list("Popup leads") and not tags contains "vip"', 'refunds(1y) >= 1 and not purchased(within: 30d)',
    # ... and from a grouped set of refunds.
    "refunds() >= 2 and not purchased(within: 6mo)", "refunds() >= 2 and average_order_value > 50",
    # PostgreSQL reads an OR of clicks and conversions in one grouped pass.
    "clicks(3mo) >= 1 or conversions(90d) >= 1", "clicks(30d) >= 1 or conversions(1y) >= 1 or clicks(6mo) >= 3",
    "not (clicks(6mo) = 0 and conversions(6mo) = 0)",
    # A ranking's grouped measure inner-joined in place of the condition its groups answer.
    "orders(1y) >= 1 order by spent(1y) desc limit 20",
    'status = "subscribed" and purchased(within: 1y) order by spent(1y) desc, first_name asc limit 10',
    # Contacts created after the as-of instant (SPEC 8.4); an order without items, products by exact case.
    *NOT_YET_CREATED_TRAPS, *PURCHASE_TRAPS,
    # Exact money, averages and quotients: amounts a double cannot hold (testdata.EXACT_MONEY).
    *EXACT_TRAPS,
    # Segments compiled once as common table expressions: used twice, chained, ranked, negated.
    'in_segment("french") and not in_segment("french")', 'in_segment("chain") or in_segment("top_spenders")',
    'not in_segment("chain") and in_segment("nested")',
]


# Rankings by a division, parameterized: the test that puts missing keys last reads the key again, built
# afresh so that no placeholder repeats (issue 16 item 5; refused on every dialect before).
PARAMETERIZED_DIVISION_TRAPS = [
    "order_count >= 1 order by (total_spent / 5) limit 7",
    "order by (total_spent / order_count) desc limit 10",
    'order_count >= 1 order by (spent(product: "Red Shoes") / 2.25) desc, (refund_count / order_count) asc',
]


@pytest.mark.parametrize("text", PARAMETERIZED_DIVISION_TRAPS)
def test_parameterized_rankings_by_a_division(server: Server, text: str) -> None:
    for as_of in (testdata.ANCHORS[0], None):
        members(server.engine, text, as_of, True, server.data, generated=False)


@pytest.mark.parametrize("text", TRAPS)
def test_engine_traps(server: Server, text: str) -> None:
    engine, data = server.engine, server.data
    for as_of in (testdata.ANCHORS[0], None):
        for parameterized in (False, True):
            members(engine, text, as_of, parameterized, data, generated=False)


@pytest.mark.parametrize("text", SUB_SECOND_AS_OF_RULES)
def test_a_sub_second_as_of(server: Server, text: str) -> None:
    """Window boundaries with a fraction of a second (testdata.SUB_SECOND_AS_OF), inline and parameterized."""
    for parameterized in (False, True):
        members(server.engine, text, testdata.SUB_SECOND_AS_OF, parameterized, server.data, generated=False)


@pytest.mark.parametrize("text", NOT_YET_CREATED_TRAPS + PURCHASE_TRAPS)
def test_contacts_that_did_not_exist_yet_with_parameters(server: Server, text: str) -> None:
    """The as-of instant that says who exists is a bound value too, on a server's driver."""
    for as_of in (testdata.ANCHORS[0], testdata.ANCHORS[1]):
        members(server.engine, text, as_of, True, server.data, generated=False)


def test_case_and_trailing_spaces_are_exact(server: Server) -> None:
    """`country = "france"` matches only the contacts stored as "france", never "France"."""
    engine, data = server.engine, server.data
    compiled = compile('country = "france"', dialect=engine.dialect, as_of=testdata.ANCHORS[0])
    got = sorted(engine.members(compiled))
    assert got and all(row["country"] == "france" for row in data["customers"] if row["customer_id"] in got)
    spaced = compile('first_name = "  spaced"', dialect=engine.dialect, as_of=testdata.ANCHORS[0])
    assert engine.count(spaced) == 0


def test_breakdowns(server: Server) -> None:
    """Every kind of breakdown (values, tags, time buckets, ranges) runs on the server, each row holding the
    members the reference evaluator finds for the rule narrowed to it (tests/breakdown_helpers.py)."""
    rows = verify_all(server.engine.dialect, lambda query: server.engine.execute(query.sql(server.engine.dialect)),
                      server.data, NOW)
    assert rows > 30


def test_count_and_version(server: Server) -> None:
    engine = server.engine
    compiled = compile("orders() >= 1", dialect=engine.dialect, as_of=testdata.ANCHORS[0], parameterized=True)
    assert engine.count(compiled) == len(engine.members(compiled)) > 0
    assert ("PostgreSQL" if engine.dialect == "postgres" else "MariaDB") in engine.version()


def test_postgres_sessions_run_without_jit_unless_the_url_asks() -> None:
    """JIT compiles a short segment count for longer than it runs (240 of 320 ms, bench/queries.py)."""
    variable, default = SERVERS["postgres"]
    url = os.environ.get(variable, default)
    try:
        engine = connect(url)
    except EngineError as error:
        unavailable(f"no postgres server: {error} (set {variable})")
    try:
        assert engine.execute("SHOW jit") == [("off",)]
    finally:
        engine.close()
    separator = "&" if "?" in url else "?"
    for options, jit, work_mem in (("-c%20jit%3Don", "on", None), ("-c%20work_mem%3D8MB", "off", "8MB")):
        engine = connect(f"{url}{separator}options={options}")
        try:
            assert engine.execute("SHOW jit") == [(jit,)]
            if work_mem is not None:  # the user's own options are kept
                assert engine.execute("SHOW work_mem") == [(work_mem,)]
        finally:
            engine.close()


def test_connection_failures_name_the_url_without_its_password() -> None:
    for url in ("postgresql://bob:s3cret@127.0.0.1:1/nowhere", "mysql://bob:s3cret@127.0.0.1:1/nowhere"):
        with pytest.raises(EngineError) as failure:
            connect(url)
        message = str(failure.value)
        assert "s3cret" not in message and "bob:***@127.0.0.1:1" in message and "\n" not in message, message


# ------------------------------------------------------------------------------------------- rare load

LOAD_RULES = ('country = "France" and opens(6mo) >= 1 or spent(1y) > 100', "orders() = 0", 'tags contains "vip"',
              "order by total_spent desc, first_name asc limit 15")


def duckdb_file(path: Path, data: dict[str, list[dict[str, Any]]]) -> Path:
    import duckdb

    connection = duckdb.connect(str(path))
    testdata.load_duckdb(connection, data)
    connection.close()
    return path


def same_members(url: str, data: dict[str, list[dict[str, Any]]]) -> None:
    with connect(url) as engine:
        for text in LOAD_RULES:
            rule = checked(text)
            compiled = compile(rule, dialect=engine.dialect, as_of=testdata.ANCHORS[0])
            got = engine.members(compiled)
            assert (got if rule.order_by else sorted(got)) == evaluate(rule, data, testdata.ANCHORS[0]), text
            assert engine.count(compiled) == len(got)


def test_load_replaces_a_servers_tables_from_a_duckdb_file(server: Server, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    source = duckdb_file(tmp_path / "shop.duckdb", server.data)
    assert main(["load", "--db", server.url, "--from", str(source)]) == 1
    assert "already has the table `customers`" in capsys.readouterr().err
    assert main(["load", "--db", server.url, "--from", str(source), "--replace"]) == 0
    out = capsys.readouterr().out
    assert f"{len(server.data['events']):,}" in out, out
    same_members(server.url, server.data)


@pytest.mark.parametrize("scheme", ["sqlite", "duckdb"])
def test_load_from_csv_and_parquet_files(scheme: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import duckdb

    data = without_nul(DATA)  # DuckDB's CSV reader stops text at a NUL
    source = duckdb_file(tmp_path / "shop.duckdb", data)
    folder = tmp_path / "files"
    folder.mkdir()
    connection = duckdb.connect(str(source), read_only=True)
    for index, table in enumerate(data):
        kind = "parquet" if index % 2 else "csv"
        target = exp.Literal.string(str(folder / f"{table}.{kind}")).sql(dialect="duckdb")
        connection.execute(f'COPY "{table}" TO {target} (FORMAT {kind})')
    connection.close()
    url = f"{scheme}:///{tmp_path / 'copy.db'}"
    assert main(["load", "--db", url, "--from", str(folder)]) == 0, capsys.readouterr().err
    same_members(url, data)
    if scheme == "sqlite":  # the row store gets the lookup indexes of ENGINE_INDEXES, DuckDB none
        with connect(url) as engine:
            names = {row[0] for row in engine.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"events_customer_id_type_occurred_at_idx", "orders_customer_id_created_at_idx"} <= names, names


@pytest.mark.parametrize("dialect", sorted(SERVERS))
def test_a_load_that_fails_leaves_no_table(dialect: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A value the engine refuses (text where a timestamp belongs), in the last table: nothing is left."""
    data = without_nul(DATA)
    data["list_members"] = [*data["list_members"], {"list_id": 1, "customer_id": 1, "added_at": "not a time"}]
    source = tmp_path / "bad.duckdb"
    import duckdb

    connection = duckdb.connect(str(source))
    testdata.load_duckdb(connection, {k: v for k, v in data.items() if k != "list_members"})
    connection.execute('CREATE TABLE "list_members" ("list_id" BIGINT, "customer_id" BIGINT, "added_at" VARCHAR)')
    connection.executemany('INSERT INTO "list_members" VALUES (?, ?, ?)',
                           [(r["list_id"], r["customer_id"], str(r["added_at"])) for r in data["list_members"]])
    connection.close()
    with fresh_database(dialect) as url:
        assert main(["load", "--db", url, "--from", str(source)]) == 1
        err = capsys.readouterr().err
        assert "nothing was loaded" in err and err.count("\n") == 1, err
        with connect(url) as engine:
            probe = "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'customers'"
            if dialect == "mysql":
                probe += " AND table_schema = DATABASE()"
            assert engine.execute(probe)[0][0] == 0


def test_load_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("hello")
    cases = [
        (["--from", str(tmp_path / "missing")], "no such file or folder"),
        (["--from", str(tmp_path / "empty")], "holds none of the reference tables"),
        (["--from", str(tmp_path / "notes.txt")], "is not a DuckDB database or a folder of CSV or Parquet files"),
    ]
    for extra, message in cases:
        assert main(["load", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", *extra]) == 1
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert main(["load", "--db", "postgresql://bob:s3cret@127.0.0.1:1/x", "--from", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "bob:***@" in err and "s3cret" not in err and err.count("\n") == 1, err


def test_engine_urls(tmp_path: Path) -> None:
    assert redact("postgresql://a:b@h:1/d?sslmode=require") == "postgresql://a:***@h:1/d?sslmode=require"
    assert redact("mysql://root@127.0.0.1/test") == "mysql://root@127.0.0.1/test"
    for url, message in (("oracle://x@y/z", "unknown engine `oracle`"), ("shop.db", "is not an engine URL"),
                         (f"duckdb:///{tmp_path}/missing/x.duckdb", "cannot connect to duckdb:///")):
        with pytest.raises(EngineError, match=message):
            connect(url)
    with connect(f"sqlite:///{tmp_path}/x.sqlite") as engine:
        assert engine.dialect == "sqlite" and engine.version().startswith("SQLite 3.")
    with connect("duckdb:///") as engine:  # in memory
        assert engine.dialect == "duckdb" and engine.version().startswith("DuckDB ")


@pytest.mark.parametrize("scheme", ["sqlite", "duckdb"])
def test_a_database_without_the_tables_names_them_and_the_load_that_copies_them(
        scheme: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"{scheme}:///{tmp_path / 'shop.db'}"
    with connect(url) as engine:
        engine.execute("CREATE TABLE customers (customer_id INTEGER)")
        segment = compile('country = "France" and opens(6mo) >= 3', dialect=engine.dialect)
        with pytest.raises(EngineError) as caught:
            engine.count(segment)
    assert str(caught.value) == (f"{url} lacks the reference table events; copy them in with `rare load --db {url} "
                                 "--from PATH` (PATH: a store, such as `rare demo` makes, or a folder of CSV or "
                                 "Parquet files)")
    # The command as named works (with --replace here, for the test's own `customers` table).
    assert main(["list", "create", "Leads", "--db", str(tmp_path / "store.duckdb")]) == 0
    assert main(["load", "--db", url, "--from", str(tmp_path / "store.duckdb"), "--replace"]) == 0
    capsys.readouterr()
    with connect(url) as engine:
        assert engine.count(segment) == 0
