"""Breakdowns (`rare_dsl.store.breakdown`): each kind of --by (values, tags, time buckets, number ranges) on
the compiler's test data in DuckDB and SQLite, every row checked against the reference evaluator; the
choice of bucket and of round edges; then `rare breakdown` and the REPL's `:breakdown`, which share it.
PostgreSQL and MariaDB run the same cases in tests/test_engines.py, Spark and ClickHouse in their own tests."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from decimal import Decimal

import duckdb
import pytest
from breakdown_helpers import verify_all
from test_differential import DATA, NOW

from rare_dsl import testdata
from rare_dsl.store.breakdown import Range, label, nice_edges, time_rows


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_every_kind_agrees_with_the_reference_evaluator(dialect: str) -> None:
    connection: duckdb.DuckDBPyConnection | sqlite3.Connection
    if dialect == "duckdb":
        connection = duckdb.connect()
        testdata.load_duckdb(connection, DATA)
    else:
        connection = sqlite3.connect(":memory:")
        testdata.load_sqlite(connection, DATA)
    try:
        rows = verify_all(dialect, lambda query: connection.execute(query.sql(dialect=dialect)).fetchall(), DATA, NOW)
    finally:
        connection.close()
    assert rows > 30


def test_round_edges() -> None:
    assert nice_edges(Decimal("3.20"), Decimal("947.10"), 10) == ([Decimal(n) for n in range(0, 1001, 100)], False)
    edges, whole = nice_edges(0, 17, 10)
    assert whole and edges == [Decimal(n) for n in range(0, 20, 2)]
    assert nice_edges(Decimal("0.10"), Decimal("0.90"), 4)[0] == [Decimal("0.0"), Decimal("0.2"), Decimal("0.4"),
                                                                  Decimal("0.6"), Decimal("0.8"), Decimal("1.0")]
    assert nice_edges(Decimal("12.5"), Decimal("60"), 2)[0] == [Decimal(0), Decimal(25), Decimal(50), Decimal(75)]
    assert nice_edges(5, 5, 10) == ([Decimal(5), Decimal(6)], True)  # one value: one range
    assert nice_edges(3, 4, 100) == ([Decimal(3), Decimal(4), Decimal(5)], True)  # whole numbers, whole steps
    assert str(Range(Decimal(50), Decimal(100))) == "50–100" and str(Range(Decimal(2500), None)) == "≥ 2,500"
    assert str(Range(Decimal(3), Decimal(4), whole=True)) == "3" and label(Decimal("2.50")) == "2.5"


def test_buckets_follow_the_span() -> None:
    def days(first: str, last: str) -> Counter[dt.date]:
        return Counter({dt.date.fromisoformat(first): 2, dt.date.fromisoformat(last): 3})

    assert time_rows(days("2026-11-20", "2026-12-01"), None)[0] == "day"
    bucket, rows = time_rows(days("2026-06-10", "2026-11-20"), None)
    assert bucket == "week" and rows[0] == (dt.date(2026, 6, 8), 2) and rows[-1] == (dt.date(2026, 11, 16), 3)
    assert all(n == 0 for _, n in rows[1:-1]) and len(rows) == 24
    assert time_rows(days("2026-06-03", "2026-11-20"), None)[0] == "month"  # 25 weeks: too many rows
    assert time_rows(days("2025-01-31", "2026-11-20"), None)[0] == "month"
    bucket, rows = time_rows(days("2022-12-31", "2026-01-01"), None)
    assert bucket == "year" and [label(d, "year") for d, _ in rows] == ["2022", "2023", "2024", "2025", "2026"]
    bucket, rows = time_rows(days("2026-12-28", "2027-01-04"), "week")
    assert [label(d, bucket) for d, _ in rows] == ["2026-W53", "2027-W01"]
    assert [label(d, "month") for d, _ in time_rows(days("2026-01-31", "2026-03-01"), "month")[1]] == [
        "2026-01", "2026-02", "2026-03"]


def test_money_on_an_edge_falls_in_the_range_it_starts() -> None:
    """Sums of money are exact: 0.70 + 0.10 is 0.80, in the range 0.8–0.9 (as a float it would be 0.7999…,
    one range lower), and 0.50 + 0.50 is exactly 1, the start of the open range."""
    from rare_dsl import check
    from rare_dsl.store.breakdown import breakdown

    orders = {1: [0.05], 2: [0.70, 0.10], 3: [0.95], 4: [0.50, 0.50]}
    data = {name: [] for name in testdata.COLUMN_TYPES}
    data["customers"] = [{"customer_id": i, "email": f"c{i}@example.com"} for i in orders]
    data["orders"] = [{"order_id": 10 * i + n, "customer_id": i, "created_at": dt.datetime(2026, 1, 1), "total": t}
                      for i, totals in orders.items() for n, t in enumerate(totals)]
    connection = duckdb.connect()
    testdata.load_duckdb(connection, data)
    found = breakdown(check("order_count >= 1"), "total_spent", dialect="duckdb", as_of=NOW.replace(tzinfo=dt.UTC),
                      run=lambda query: connection.execute(query.sql(dialect="duckdb")).fetchall())
    rows = {str(r): n for r, n in found.top if n}
    assert rows == {"0–0.1": 1, "0.8–0.9": 1, "0.9–1": 1, "≥ 1": 1}
