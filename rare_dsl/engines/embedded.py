"""The embedded engines: DuckDB (`duckdb:///path`) and SQLite (`sqlite:///path`); an empty path is an
in-memory database."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rare_dsl.engines.base import Engine, EngineError, plain_number


class DuckDBEngine(Engine):
    dialect = "duckdb"

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        # A DuckDB cursor is a connection of its own, with its own transaction: use the one connection.
        yield self.connection

    def now(self) -> dt.datetime:
        return self.execute("SELECT CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP)")[0][0]

    def version(self) -> str:
        return "DuckDB " + self.execute("SELECT version()")[0][0]


class SQLiteEngine(Engine):
    dialect = "sqlite"
    indexed = True

    def cell(self, value: Any) -> Any:
        # Timestamps are ISO text, compared as text: spelled exactly as the compiler spells its literals.
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")
        return plain_number(value)

    def now(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.execute("SELECT datetime('now')")[0][0])

    def version(self) -> str:
        return "SQLite " + self.execute("SELECT sqlite_version()")[0][0]


def open_duckdb(url: str, path: str) -> DuckDBEngine:
    """A DuckDB database, never loading an extension; an existing file must be one (DuckDB would open a CSV
    file as an in-memory database, where whatever is loaded into it is lost)."""
    from rare_dsl.store.connection import connect
    from rare_dsl.store.files import duckdb_problem

    problem = duckdb_problem(Path(path)) if path and Path(path).is_file() else None
    if problem is not None:
        raise EngineError(f"{path} is not a DuckDB database file: {problem}")
    return DuckDBEngine(url, connect(path or ":memory:"))


def open_sqlite(url: str, path: str) -> SQLiteEngine:
    import sqlite3

    # Autocommit: `transaction()` says BEGIN and COMMIT itself, on every engine alike.
    return SQLiteEngine(url, sqlite3.connect(path or ":memory:", isolation_level=None))
