"""The values contacts have, read from a DuckDB file for the RW404 lint (`rare check --db PATH`).

It implements `rare_dsl.lint.KnownValues` outside the pipeline, as STYLE asks of engines. The file is
opened read-only, and every query is built with sqlglot from the schema's physical names, so a renamed
backend (examples/schema.toml) works and no rule text is ever pasted into SQL. Counts are cached per field:
a project of many segments asks about each value once.

When the store module lands with connections by URL, this reads through it instead of opening DuckDB here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlglot import exp

from rare_dsl.diagnostics import Diagnostic, RuleError, Source
from rare_dsl.schema import Field, Schema


class DuckDBValues:
    def __init__(self, connection: Any, schema: Schema, name: str):
        self.connection = connection
        self.schema = schema
        self.name = name
        self.counts: dict[str, dict[str, int]] = {}  # physical column -> value -> contacts
        self.common: dict[tuple[str, int], list[tuple[str, int]]] = {}
        self.problems: list[Diagnostic] = []  # columns that could not be read, reported once each
        self.failed: set[str] = set()

    @classmethod
    def open(cls, path: str, schema: Schema) -> DuckDBValues:
        """Open a DuckDB file read-only; raise `RuleError` (RD901) when it is not one."""
        import duckdb

        location = path.removeprefix("duckdb:///") if path.startswith("duckdb:///") else path
        if "://" in location:
            raise RuleError([_unreadable(path, "only a DuckDB file can be linted against for now")])
        if not Path(location).is_file():
            raise RuleError([_unreadable(path, "no such file")])
        try:
            connection = duckdb.connect(location, read_only=True)
        except duckdb.Error as error:
            raise RuleError([_unreadable(path, _first_line(error))]) from None
        return cls(connection, schema, path)

    def close(self) -> None:
        self.connection.close()

    # ------------------------------------------------------------------------------------- KnownValues

    def contacts_with(self, field: Field, values: Sequence[str]) -> Mapping[str, int] | None:
        column = self._column(field)
        if column is None:
            return None
        known = self.counts.setdefault(column.name, {})
        asked = [value for value in values if value not in known]
        if asked:
            query = (exp.select(column, exp.Count(this=exp.Star())).from_(self._table())
                     .where(column.isin(*(exp.Literal.string(value) for value in asked))).group_by(column))
            rows = self._run(field, query)
            if rows is None:
                return None
            known.update({value: 0 for value in asked})
            known.update({str(value): int(count) for value, count in rows})
        return {value: known[value] for value in values}

    def common_values(self, field: Field, limit: int) -> Sequence[tuple[str, int]]:
        column = self._column(field)
        if column is None:
            return []
        key = (column.name, limit)
        if key not in self.common:
            contacts = exp.Count(this=exp.Star())
            query = (exp.select(column, contacts).from_(self._table()).where(exp.Not(this=exp.Is(
                this=column.copy(), expression=exp.Null()))).group_by(column)
                .order_by(exp.Ordered(this=contacts.copy(), desc=True), column.copy()).limit(limit))
            rows = self._run(field, query)
            self.common[key] = [(str(value), int(count)) for value, count in rows or []]
        return self.common[key]

    # ------------------------------------------------------------------------------------------ helpers

    def _table(self) -> exp.Table:
        return exp.table_(self.schema.tables["customers"].name, quoted=True)

    def _column(self, field: Field) -> exp.Column | None:
        if field.column is None or field.name in self.failed:
            return None
        return exp.column(field.column, quoted=True)

    def _run(self, field: Field, query: exp.Expression) -> list[tuple[Any, Any]] | None:
        import duckdb

        try:
            return self.connection.execute(query.sql(dialect="duckdb")).fetchall()
        except duckdb.Error as error:
            # A schema that does not match the database: say so once, and claim nothing about the values.
            self.failed.add(field.name)
            self.problems.append(_unreadable(self.name, f"cannot read `{field.name}` from it: {_first_line(error)}"))
            return None


def _unreadable(name: str, why: str) -> Diagnostic:
    return Diagnostic("RD901", f"cannot read database `{name}`: {why}", None, Source("", name),
                      hints=("`--db` takes a DuckDB file such as the one `rare demo` writes",))


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
