"""Copying the reference tables into an engine (`rare load`): from a DuckDB database, or from a folder of
CSV or Parquet files named after the tables. DuckDB reads every source; the engine gets the rows through
its own driver, in one transaction."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from rare_dsl.engines.base import Engine, EngineError, Progress, first_line, redact
from rare_dsl.schema import Schema
from rare_dsl.store.files import duckdb_problem
from rare_dsl.store.tables import COLUMNS, INFO_TABLE, drop_statements, stored_columns

FETCH = 10_000
SOURCE_SUFFIXES = (".csv", ".parquet")


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)


def copy_tables(source: str, engine: Engine, schema: Schema, *, replace: bool = False,
                progress: Progress | None = None) -> CopyReport:
    """Create the reference tables in `engine` and copy every row of them from `source`. All or nothing:
    the tables and rows appear in one transaction (MySQL commits DDL by itself: the tables made are dropped
    again on failure). Raises EngineError with one line for the user."""
    from rare_dsl.store.connection import connect

    if engine.dialect == "duckdb" and _exists(engine, INFO_TABLE):
        # Its tables have the store's keys and lists; a copy for counting would replace them.
        raise EngineError(f"{redact(engine.url)} is a rare store, not an engine's copy: `rare load` would "
                          "replace its tables; give another file (rare commands read the store as it is)")
    reader = connect()
    try:
        relations = _sources(reader, Path(source), schema)
        counts = {name: reader.execute(f"SELECT COUNT(*) FROM ({query})").fetchone()[0]  # type: ignore[index]
                  for name, (query, _) in relations.items()}
        if not replace:
            existing = [name for name in relations if _exists(engine, name)]
            if existing:
                raise EngineError(f"{redact(engine.url)} already has the table `{existing[0]}`; "
                                  "--replace replaces the reference tables")
        report = CopyReport()
        created = False
        try:
            with engine.transaction():
                engine.create_tables(schema, replace=replace)
                created = True
                for name, (query, columns) in relations.items():
                    report.rows[name] = engine.load(name, columns, _batches(reader.execute(query)), progress,
                                                    counts[name])
                engine.create_indexes(schema)
        except EngineError:
            _undo(engine, schema, created and engine.dialect == "mysql")
            raise
        except Exception as error:
            _undo(engine, schema, created and engine.dialect == "mysql")
            first = first_line(error)
            raise EngineError(f"{redact(engine.url)} refused the data: {first}; nothing was loaded") from None
        return report
    finally:
        reader.close()


def _sources(reader: Any, path: Path, schema: Schema) -> dict[str, tuple[str, list[str]]]:
    """Physical table name -> (a DuckDB query selecting its reference columns in order, the column names)."""
    if not path.exists():
        raise EngineError(f"{path}: no such file or folder")
    found: dict[str, str] = {}  # table -> DuckDB table expression
    if path.is_dir():
        for file in sorted(path.iterdir()):
            if file.suffix.lower() in SOURCE_SUFFIXES:
                function = "read_parquet" if file.suffix.lower() == ".parquet" else "read_csv"
                literal = exp.Literal.string(str(file)).sql(dialect="duckdb")
                found.setdefault(file.stem, f"{function}({literal})")
    else:
        problem = duckdb_problem(path)
        if problem is not None:
            raise EngineError(f"{path} is not a DuckDB database or a folder of CSV or Parquet files: {problem}")
        literal = exp.Literal.string(str(path)).sql(dialect="duckdb")
        try:
            reader.execute(f"ATTACH {literal} AS source (READ_ONLY)")
        except Exception as error:
            first = first_line(error)
            raise EngineError(f"{path} is not a DuckDB database or a folder of CSV or Parquet files: {first}") \
                from None
        for (name,) in reader.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'source'"
                                      ).fetchall():
            found[name] = "source." + exp.to_identifier(name, quoted=True).sql(dialect="duckdb")
    relations: dict[str, tuple[str, list[str]]] = {}
    for logical, columns in COLUMNS.items():
        mapped = schema.tables[logical]
        if mapped.name not in found:
            continue
        wanted = [mapped.column(name) for name, _, _ in columns]
        if logical == "customers":
            wanted += list(stored_columns(schema))
        source = found[mapped.name]
        present = {row[0] for row in reader.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        missing = [c for c in wanted if c not in present]
        if missing:
            raise EngineError(f"{path}: the table `{mapped.name}` has no column `{missing[0]}`")
        selected = ", ".join(exp.to_identifier(c, quoted=True).sql(dialect="duckdb") for c in wanted)
        relations[mapped.name] = (f"SELECT {selected} FROM {source}", wanted)
    if not relations:
        names = ", ".join(schema.tables[t].name for t in COLUMNS)
        raise EngineError(f"{path} holds none of the reference tables ({names})")
    return relations


def _batches(cursor: Any) -> Any:
    while rows := cursor.fetchmany(FETCH):
        yield from rows


def _exists(engine: Engine, table: str) -> bool:
    probe = exp.select(exp.Literal.number(1)).from_(exp.Table(this=exp.to_identifier(table, quoted=True))).limit(0)
    try:
        engine.execute(probe.sql(dialect=engine.dialect))
    except Exception:
        if engine.dialect == "postgres":
            engine.execute("ROLLBACK")  # autocommit: nothing to undo, but psycopg wants the error cleared
        return False
    return True


def _undo(engine: Engine, schema: Schema, drop: bool) -> None:
    if not drop:
        return
    for dropped in drop_statements(schema):
        with contextlib.suppress(Exception):  # the first error is the one to report
            engine.execute(dropped.sql(dialect=engine.dialect))


