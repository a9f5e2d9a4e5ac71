"""The REPL's read-only view of the store: counts, samples and value look-ups, each cancellable.

Queries are built from the compiled rule's sqlglot tree with sqlglot builders, never by pasting text.
Every thread that queries uses its own cursor (`Database.cursor()`), a DuckDB connection of its own to
the same database, so a live count can run beside a command and `interrupt()` stops only its query.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlglot import exp

from rare_dsl.schema import Schema


class DatabaseError(Exception):
    """A store that cannot be opened or a query that failed, in one line for the user."""


class Cancelled(Exception):
    """A query stopped by `interrupt()` (Ctrl-C, or a newer keystroke for the live count)."""


@dataclass(frozen=True)
class Count:
    matching: int
    total: int
    seconds: float

    @property
    def share(self) -> float:
        return self.matching / self.total if self.total else 0.0

    def describe(self, approximate: bool = False) -> str:
        sign = "≈ " if approximate else ""
        return f"{sign}{self.matching:,} contacts ({self.share:.1%})"


class Database:
    """One store opened read-only (`rare_dsl.store.Store`), with the schema that names its tables."""

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
        self._total: int | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self.store.close()

    def cursor(self) -> Any:
        with self._lock:
            return self.connection.cursor()

    # -------------------------------------------------------------------------------------- tables

    def _table(self, logical: str) -> exp.Table:
        return self.store.table(logical)

    def _column(self, logical_table: str, logical_column: str, table_alias: str | None = None) -> exp.Column:
        return self.store.column(logical_table, logical_column, table_alias)

    # ------------------------------------------------------------------------------------- queries

    def run(self, query: exp.Expression, cursor: Any | None = None) -> list[tuple[Any, ...]]:
        """Rows of a query, on the given cursor (or a fresh one); `Cancelled` when interrupted."""
        cursor = cursor or self.cursor()
        try:
            return cursor.execute(query.sql(dialect="duckdb")).fetchall()
        except duckdb.InterruptException:
            raise Cancelled() from None
        except duckdb.Error as error:
            if "interrupt" in str(error).lower():
                raise Cancelled() from None
            raise DatabaseError(_first_line(error)) from None

    def total(self, cursor: Any | None = None) -> int:
        if self._total is None:
            query = exp.select(exp.Count(this=exp.Star())).from_(self._table("customers"))
            self._total = int(self.run(query, cursor)[0][0])
        return self._total

    def count(self, rule: exp.Select, cursor: Any | None = None) -> Count:
        started = time.perf_counter()
        query = exp.select(exp.Count(this=exp.Star())).from_(rule.subquery("matches"))
        matching = int(self.run(query, cursor)[0][0])
        total = self.total(cursor)
        return Count(matching, total, time.perf_counter() - started)

    def _members(self, rule: exp.Select) -> exp.Expression:
        """`customers.customer_id IN (rule)`."""
        return self._column("customers", "customer_id", "c").isin(query=rule.subquery().this)

    def sample(self, rule: exp.Select, limit: int, cursor: Any | None = None) -> tuple[list[str], list[tuple]]:
        columns = ["customer_id", "email", "first_name", "last_name", "country", "quality"]
        query = (
            exp.select(*(self._column("customers", c, "c").as_(c) for c in columns))
            .from_(self._table("customers").as_("c"))
            .where(self._members(rule))
            .order_by(self._column("customers", "customer_id", "c"))
            .limit(limit)
        )
        return columns, self.run(query, cursor)

    def breakdown(self, rule: exp.Select, column: str, cursor: Any | None = None,
                  top: int = 15) -> list[tuple[Any, int]]:
        """Matching contacts per value of a physical column of customers, most common first."""
        value = exp.column(column, table="c", quoted=True)
        query = (
            exp.select(value.as_("value"), exp.Count(this=exp.Star()).as_("contacts"))
            .from_(self._table("customers").as_("c"))
            .where(self._members(rule))
            .group_by(exp.column("value"))
            .order_by(exp.column("contacts").desc(), exp.column("value"))
            .limit(top)
        )
        return [(row[0], int(row[1])) for row in self.run(query, cursor)]

    def lists(self, cursor: Any | None = None) -> list[tuple[str, int]]:
        lists = self._table("lists").as_("l")
        members = self._table("list_members").as_("m")
        list_id = self._column("lists", "list_id", "l")
        query = (
            exp.select(self._column("lists", "name", "l").as_("name"),
                       exp.Count(this=self._column("list_members", "customer_id", "m")).as_("members"))
            .from_(lists)
            .join(members, on=exp.EQ(this=list_id, expression=self._column("list_members", "list_id", "m")),
                  join_type="left")
            .group_by(exp.column("name"))
            .order_by(exp.column("name"))
        )
        return [(row[0], int(row[1])) for row in self.run(query, cursor)]

    def values(self, topic: str, cursor: Any | None = None, top: int = 500) -> list[tuple[str, int]]:
        """The most common values of a text field or parameter (see `completion.Known.values`), each with
        its number of rows (contacts, for a field of customers)."""
        source = self._value_source(topic)
        if source is None:
            return []
        table, value, where = source
        query = (
            exp.select(value.as_("value"), exp.Count(this=exp.Star()).as_("rows"))
            .from_(self._table(table).as_("t"))
            .where(exp.and_(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())), *where))
            .group_by(exp.column("value"))
            .order_by(exp.Count(this=exp.Star()).desc(), exp.column("value"))
            .limit(top)
        )
        return [(str(row[0]), int(row[1])) for row in self.run(query, cursor)]

    def _value_source(self, topic: str) -> tuple[str, exp.Column, list[exp.Expression]] | None:
        """(logical table, value column, conditions) of a topic."""
        if topic == "tags":
            return "customer_tags", self._column("customer_tags", "tag", "t"), []
        if topic in ("param:product", "param:vendor"):
            name = "product_name" if topic == "param:product" else "vendor"
            return "order_items", self._column("order_items", name, "t"), []
        if topic in ("param:campaign", "param:series"):
            kind = self.schema.campaign_kinds[topic.removeprefix("param:")]
            return "campaigns", self._column("campaigns", "name", "t"), [
                exp.EQ(this=self._column("campaigns", "kind", "t"), expression=exp.convert(kind))]
        field = self.schema.fields.get(topic)
        if field is not None and field.kind == "attribute" and field.column:
            return "customers", exp.column(field.column, table="t", quoted=True), []
        return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
