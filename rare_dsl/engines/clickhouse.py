"""ClickHouse, embedded: chdb (`chdb:///path`; an empty path is chdb's in-memory engine).

The adapter owns what ClickHouse does differently from a DB-API database: results are read as typed JSON
rows, parameters are ClickHouse's own typed query parameters (`{p1:String}`, bound by the engine), rows
are streamed in with `INSERT ... FORMAT JSONCompactEachRow`, and there are no transactions.

`transaction()` stands in for one (`StagedEngine`): tables are made and filled under staging names, and at
the end each replaces its real table (`EXCHANGE TABLES`, then the old one is dropped) or takes its name
(`RENAME TABLE`); on any error the staging tables are dropped.

chdb runs one embedded engine per process, bound to one path: any number of connections may share it, but
opening another path while a connection is open is an error (reported as such, in one line).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlglot import exp

from rare_dsl.compiler import CompiledSegment
from rare_dsl.engines.base import BATCH, EngineError, Progress, StagedEngine, first_line

_FORMAT = "JSONCompactEachRowWithNamesAndTypes"


class ClickHouseError(Exception):
    """A statement ClickHouse refused: chdb's message in one line (`rare load` reports it as refused data)."""


class ClickHouseEngine(StagedEngine):
    """chdb's embedded ClickHouse. Text is `String` (bytes, compared exactly: `<` orders UTF-8 by code
    point), timestamps `DateTime64(6, 'UTC')`: no collation to set."""

    dialect = "clickhouse"
    STAGE_PREFIX = "rare_staging_"

    # ------------------------------------------------------------------------------------------ queries

    def execute(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement. A sequence of parameters binds `{p1:Type}`, `{p2:Type}`, ... in order."""
        named = params if isinstance(params, dict) else {f"p{i + 1}": v for i, v in enumerate(params)}
        try:
            result = self.connection.query(sql, _FORMAT, params={k: _param(v) for k, v in named.items()})
        except Exception as error:
            raise ClickHouseError(_message(error)) from None
        return _rows(result.bytes().decode("utf-8"))

    def run(self, query: exp.Expression, compiled: CompiledSegment) -> list[tuple[Any, ...]]:
        return self.execute(query.sql(dialect=self.dialect), compiled.params)

    def now(self) -> dt.datetime:
        return self.execute("SELECT now64(6, 'UTC')")[0][0]

    def version(self) -> str:
        import chdb

        return f"ClickHouse {self.execute('SELECT version()')[0][0]} (chdb {chdb.__version__})"

    # -------------------------------------------------------------------------------------- tables, rows

    def swap(self, real: str, staging: str, *, replace: bool) -> None:
        if self._exists(real):
            self.execute(f"EXCHANGE TABLES {_name(staging)} AND {_name(real)}")
            self.execute(f"DROP TABLE {_name(staging)}")  # now the old table
        else:
            self.execute(f"RENAME TABLE {_name(staging)} TO {_name(real)}")

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
             progress: Progress | None = None, total: int = 0) -> int:
        """Stream rows into the table (its staging copy inside a transaction) as JSON, in batches."""
        name = self.loading_into(table)
        listed = ", ".join(_name(c) for c in columns)
        done = 0
        try:
            with self.connection.send_insert(f"INSERT INTO {_name(name)} ({listed})", "JSONCompactEachRow") as insert:
                lines: list[str] = []
                for row in rows:
                    lines.append("[" + ", ".join(_json(value) for value in row) + "]\n")
                    if len(lines) >= BATCH:
                        insert.append("".join(lines))
                        done += len(lines)
                        lines = []
                        if progress:
                            progress(table, done, total)
                if lines:
                    insert.append("".join(lines))
                    done += len(lines)
                insert.finish()
        except Exception as error:
            raise ClickHouseError(_message(error)) from None
        if progress:
            progress(table, done, total)
        return done

    def _exists(self, table: str) -> bool:
        return bool(self.execute("EXISTS TABLE " + _name(table))[0][0])


def _name(identifier: str) -> str:
    return exp.to_identifier(identifier, quoted=True).sql(dialect="clickhouse")


# ClickHouse reads a query parameter's text in its "escaped" format (TSV's): `\\` is a backslash, `\\N` NULL,
# and a raw tab or newline is refused. Text values are escaped so that they arrive as they are.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": "\\0"})


def _param(value: object) -> object:
    """A parameter as chdb binds it. chdb turns a datetime into epoch seconds in the process's local zone,
    so timestamps go as text, which ClickHouse reads in the placeholder's zone (UTC)."""
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _json(value: Any) -> str:
    """One cell of a JSONCompactEachRow line. Decimals are written as JSON numbers, exactly; timestamps as
    text, read by the column's zone (UTC)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return json.dumps(value.isoformat(sep=" ", timespec="microseconds"))
    if isinstance(value, dt.date):
        return json.dumps(value.isoformat())
    return json.dumps(value, ensure_ascii=False)


def _rows(text: str) -> list[tuple[Any, ...]]:
    """Rows of a JSONCompactEachRowWithNamesAndTypes result, each value converted by its column's type."""
    lines = text.splitlines()
    if len(lines) < 2:
        return []
    types = [_inner(t) for t in json.loads(lines[1])]
    # Fractions are parsed as Decimal, so a Decimal column keeps its exact value; a Float column's is converted.
    return [tuple(_value(v, t) for v, t in zip(json.loads(line, parse_float=Decimal), types, strict=True))
            for line in lines[2:] if line]


def _inner(kind: str) -> str:
    while kind.startswith(("Nullable(", "LowCardinality(")):
        kind = kind[kind.index("(") + 1:-1]
    return kind


def _value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind.startswith(("Int", "UInt")):
        return int(value)
    if kind.startswith("Decimal"):
        return Decimal(str(value))
    if kind.startswith("Float"):
        return float(value)
    if kind.startswith("DateTime"):
        return dt.datetime.fromisoformat(value)  # naive: every timestamp the adapter reads is in UTC
    if kind == "Bool":
        return bool(value)
    return value


def _message(error: BaseException) -> str:
    """chdb's error in one line, without the `Code: 60. DB::Exception:` prefix, a C++ exception's type and
    the stack trace it announces."""
    line = first_line(error)
    for marker in ("DB::Exception: ", "e.what() = "):
        if marker in line:
            line = line.split(marker, 1)[1]
    return line.split(" Stack trace", 1)[0].rstrip(", ")


def open_chdb(url: str, path: str) -> ClickHouseEngine:
    import chdb

    try:
        connection = chdb.connect(path or ":memory:")
    except Exception as error:
        raise EngineError(_message(error)) from None
    return ClickHouseEngine(url, connection)

