"""The REPL's store: opened read-only, with a cursor per thread, so a live count can run beside a command
and `interrupt()` on a cursor stops only its query.

The queries themselves (count, sample, explain, breakdown, known values) are `rare_dsl.store.queries`, the
same ones `rare count` and its siblings run; this module only opens the store and hands out cursors.
"""

from __future__ import annotations

import threading
from typing import Any

import duckdb

from rare_dsl.schema import Schema
from rare_dsl.store.queries import Cancelled, Count, QueryError, SegmentQueries

__all__ = ["Cancelled", "Count", "Database", "DatabaseError", "QueryError"]


class DatabaseError(Exception):
    """A store that cannot be opened or reached, in one line for the user."""


class Database:
    """One store opened read-only (`rare_dsl.store.Store`), with the queries the REPL asks of it."""

    def __init__(self, target: str | None, schema: Schema):
        from rare_dsl.store.connection import Store
        from rare_dsl.store.errors import StoreError

        try:
            self.store = Store.open(target, schema=schema)
        except StoreError as error:
            raise DatabaseError(str(error)) from None
        except duckdb.Error as error:
            raise DatabaseError(f"cannot open `{target}`: {_first_line(error)}") from None
        self.target = str(self.store.location.given)
        self.schema = schema
        self.connection = self.store.connection
        self.name = self.store.location.path.name
        self.queries = SegmentQueries(self.store)
        self._lock = threading.Lock()

    def close(self) -> None:
        self.store.close()

    def cursor(self) -> Any:
        with self._lock:
            return self.connection.cursor()


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
