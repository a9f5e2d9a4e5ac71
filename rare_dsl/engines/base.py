"""What every engine adapter shares: running compiled segments through a DB-API connection, creating the
reference tables and loading rows in one transaction."""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from sqlglot import exp

from rare_dsl.compiler import CompiledSegment
from rare_dsl.schema import Schema, default_schema
from rare_dsl.store.tables import drop_statements, engine_tables, index_statements

Progress = Callable[[str, int, int], None]
BATCH = 1_000


class EngineError(Exception):
    """An engine cannot be reached or refused the work: one line for the user, never a traceback."""


def redact(url: str) -> str:
    """The URL without its password (`postgresql://bob:***@host/db`)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class Engine(abc.ABC):
    """A connection to one engine. Subclasses set `dialect` (the compiler's name), the collation of the
    text columns they create, and how to read the clock and the version; everything else is DB-API."""

    dialect: ClassVar[str]
    # Text collation of the reference tables this adapter creates (None: the engine's comparison is exact).
    collation: str | None = None
    # Whether `rare load` indexes the facts by contact (store/tables.py ENGINE_INDEXES): the row stores
    # look each contact's facts up through them; DuckDB's scans and hash joins do not use them.
    indexed: ClassVar[bool] = False

    def __init__(self, url: str, connection: Any):
        self.url = url
        self.connection = connection

    # ------------------------------------------------------------------------------------------ queries

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self.cursor() as cursor:
            # No parameters, no parameter list: psycopg would otherwise read every `%` in the text as one.
            if params:
                cursor.execute(sql, list(params))
            else:
                cursor.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        cursor = self.connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def run(self, query: exp.Expression, compiled: CompiledSegment) -> list[tuple[Any, ...]]:
        return self.execute(query.sql(dialect=self.dialect), compiled.params)

    def members(self, compiled: CompiledSegment) -> list[Any]:
        """The customer ids of a compiled segment, in its order (ranked rules) or the engine's."""
        self._check(compiled)
        return [row[0] for row in self._answer(compiled.expression, compiled)]

    def count(self, compiled: CompiledSegment) -> int:
        """How many contacts a compiled segment selects."""
        self._check(compiled)
        counted = exp.select(exp.Count(this=exp.Star())).from_(compiled.expression.subquery("segment"))
        return int(self._answer(counted, compiled)[0][0])

    def _answer(self, query: exp.Expression, compiled: CompiledSegment) -> list[tuple[Any, ...]]:
        """`run`, with a database that lacks reference tables named as such (each driver words it its own
        way: `no such table`, `relation ... does not exist`), and the command that copies them in."""
        try:
            return self.run(query, compiled)
        except Exception as error:
            missing = self.missing_tables(query)
            # Only when the engine's own error is about one of them: a lost connection fails every probe too.
            if not any(name.lower() in str(error).lower() for name in missing):
                raise
            s = "s" if len(missing) > 1 else ""
            raise EngineError(
                f"{redact(self.url)} lacks the reference table{s} {', '.join(missing)}; copy them in with "
                f"`rare load --db {redact(self.url)} --from PATH` (PATH: a store, such as `rare demo` makes, or a "
                f"folder of CSV or Parquet files)") from None

    def missing_tables(self, query: exp.Expression) -> list[str]:
        """The tables `query` reads that the engine cannot read (each probed with `SELECT 1 ... LIMIT 0`)."""
        defined = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
        read: dict[str, exp.Table] = {}  # by name, however the query quotes it
        for table in query.find_all(exp.Table):
            if table.name and table.name not in defined:
                read.setdefault(".".join(part.name.lower() for part in table.parts), exp.Table(
                    this=table.this.copy(), db=table.args.get("db"), catalog=table.args.get("catalog")))
        missing = []
        for table in read.values():
            try:
                self.execute(exp.select("1").from_(table).limit(0).sql(dialect=self.dialect))
            except Exception:
                missing.append(table.name)
        return missing

    @abc.abstractmethod
    def now(self) -> dt.datetime:
        """The engine's clock as live SQL reads it: naive UTC."""

    @abc.abstractmethod
    def version(self) -> str:
        """The engine's name and version, as its server reports them."""

    def _check(self, compiled: CompiledSegment) -> None:
        if compiled.dialect != self.dialect:
            raise EngineError(f"the segment was compiled for {compiled.dialect}, but {redact(self.url)} "
                              f"runs {self.dialect} SQL")

    # -------------------------------------------------------------------------------------- tables, rows

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All of it or nothing: commit at the end, roll back on any error. Adapters open their connections
        in autocommit mode, so the transaction is exactly this block's. (MySQL commits DDL implicitly.)"""
        self.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def create_tables(self, schema: Schema | None = None, *, replace: bool = False) -> None:
        """The reference tables of `schema` (the reference schema by default), with types suiting the engine."""
        schema = schema or default_schema()
        if replace:
            for dropped in drop_statements(schema):
                self.execute(dropped.sql(dialect=self.dialect))
        for statement in engine_tables(schema, self.dialect, collation=self.collation):
            self.execute(statement.sql(dialect=self.dialect))

    def create_indexes(self, schema: Schema | None = None) -> None:
        """The lookup indexes of the reference tables, on the engines that use them (`indexed`)."""
        if not self.indexed:
            return
        for statement in index_statements(schema or default_schema(), self.dialect):
            self.execute(statement.sql(dialect=self.dialect))

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
             progress: Progress | None = None, total: int = 0) -> int:
        """Insert rows in batches; the caller holds the transaction. Returns how many were inserted."""
        placeholders = [self.placeholder() for _ in columns]
        insert = exp.insert(
            exp.values([tuple(placeholders)]),
            exp.Schema(this=exp.Table(this=exp.to_identifier(table, quoted=True)),
                       expressions=[exp.to_identifier(c, quoted=True) for c in columns]),
        )
        sql = insert.sql(dialect=self.dialect)
        done = 0
        batch: list[tuple[Any, ...]] = []
        with self.cursor() as cursor:
            for row in rows:
                batch.append(tuple(self.cell(value) for value in row))
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    done += len(batch)
                    batch = []
                    if progress:
                        progress(table, done, total)
            if batch:
                cursor.executemany(sql, batch)
                done += len(batch)
        if progress:
            progress(table, done, total)
        return done

    def placeholder(self) -> exp.Expression:
        return exp.Placeholder()

    def cell(self, value: Any) -> Any:
        """A Python value as the driver takes it."""
        return value

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StagedEngine(Engine):
    """An engine without transactions (ClickHouse, Spark): `transaction()` stands in for one.

    Inside it, `create_tables` makes each table under a staging name (`STAGE_PREFIX`, a token, the name) and
    `load` fills that one (`loading_into`). At the end each staging table takes its real table's place
    (`swap`, per engine); on any error the staging tables not yet swapped in are dropped. A failed load
    therefore leaves no new table and, with `replace`, the old tables as they were. The swap is one
    statement or two per table, not one atomic step: only a crash between two of them could leave some
    tables new and some old.
    """

    STAGE_PREFIX: ClassVar[str]

    def __init__(self, url: str, connection: Any):
        super().__init__(url, connection)
        # Real table name -> its staging name, while a `transaction()` is open.
        self._staged: dict[str, str] | None = None
        self._replace = False

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._staged is not None:
            raise EngineError(f"loads into {redact(self.url)} do not nest")
        staged: dict[str, str] = {}
        self._staged, self._replace = staged, False
        try:
            yield
            self._staged = None
            for real, staging in list(staged.items()):
                self.swap(real, staging, replace=self._replace)
                del staged[real]
        except BaseException:
            for staging in staged.values():  # the ones not swapped in
                with contextlib.suppress(Exception):  # the first error is the one to report
                    self.execute(f"DROP TABLE IF EXISTS {self.quoted(staging)}")
            raise
        finally:
            self._staged = None

    def create_tables(self, schema: Schema | None = None, *, replace: bool = False) -> None:
        schema = schema or default_schema()
        if self._staged is None and replace:
            for dropped in drop_statements(schema):
                self.execute(dropped.sql(dialect=self.dialect))
        token = uuid.uuid4().hex[:12]
        for statement in engine_tables(schema, self.dialect):
            if self._staged is not None:
                # Inside a transaction the real tables are left alone until it ends; `replace` happens then.
                table = statement.this.this
                real = table.name
                self._staged[real] = f"{self.STAGE_PREFIX}{token}_{real}"
                self._replace = self._replace or replace
                table.set("this", exp.to_identifier(self._staged[real], quoted=True))
            self.execute(self.create_sql(statement))

    def create_sql(self, statement: exp.Create) -> str:
        """The text of a CREATE TABLE (an engine adds what its tables need)."""
        return statement.sql(dialect=self.dialect)

    def loading_into(self, table: str) -> str:
        """The table rows for `table` go into: its staging table inside a transaction."""
        return (self._staged or {}).get(table, table)

    @abc.abstractmethod
    def swap(self, real: str, staging: str, *, replace: bool) -> None:
        """Put the staging table in the real table's place (`replace`: the transaction asked to replace)."""

    def quoted(self, name: str) -> str:
        return exp.to_identifier(name, quoted=True).sql(dialect=self.dialect)


def plain_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def first_line(error: BaseException) -> str:
    """A driver's error in one line: PyMySQL's `(1064, "message")` gives the message."""
    text = str(error.args[-1]) if len(error.args) > 1 and isinstance(error.args[-1], str) else str(error)
    lines = text.strip().splitlines()
    return lines[0] if lines else type(error).__name__
