"""A small store for the REPL tests: the compiler's test data (every awkward case, missing values included,
which the store's own NOT NULL columns would refuse) written into a DuckDB file with one INSERT per table
(row-by-row inserts take tens of seconds)."""

from __future__ import annotations

from pathlib import Path

from sqlglot import exp

from rare_dsl import testdata
from rare_dsl.store.connection import connect


def make_store(path: Path, contacts: int = 200) -> Path:
    tables = testdata.generate(7, contacts=contacts)
    with connect(str(path)) as connection:
        for name, rows in tables.items():
            columns = testdata.COLUMN_TYPES[name]
            definitions = [exp.ColumnDef(this=exp.to_identifier(column, quoted=True),
                                         kind=exp.DataType.build(testdata._DUCKDB_TYPES[kind], dialect="duckdb"))
                           for column, kind in columns.items()]
            table = exp.to_table(name, quoted=True)
            connection.execute(exp.Create(this=exp.Schema(this=table, expressions=definitions),
                                          kind="TABLE").sql("duckdb"))
            if rows:
                values = exp.values([tuple(exp.convert(row.get(column)) for column in columns) for row in rows])
                connection.execute(exp.insert(values, table.copy(), columns=list(columns)).sql("duckdb"))
    return path
