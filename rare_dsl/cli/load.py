"""`rare load --db URL --from PATH`: copy the reference tables into an engine (see `rare_dsl.engines.copy`)."""

from __future__ import annotations

import argparse
import sys
import time

from rare_dsl.cli.common import EXIT_FAILED, EXIT_OK, add_schema_option, echo, load_schema_option
from rare_dsl.cli.store_options import progress_bar


def register(commands: argparse._SubParsersAction) -> None:
    load = commands.add_parser(
        "load", help="copy the reference tables into an engine (PostgreSQL, MySQL, SQLite, DuckDB, chdb, Spark)",
        description="Copy the reference tables from a DuckDB database or a folder of CSV or Parquet files "
                    "(customers.csv, orders.parquet, ...) into the engine of --db, creating the tables with "
                    "types that suit it, all in one transaction (on Spark, staged tables renamed into place at "
                    "the end).")
    load.add_argument("--db", required=True, metavar="URL",
                      help="the engine: postgresql://user@host/db, mysql://user@host/db, sqlite:///path, "
                           "duckdb:///path, chdb:///path, spark://local?warehouse=/path")
    load.add_argument("--from", dest="source", required=True, metavar="PATH",
                      help="a DuckDB database (a store) or a folder of CSV or Parquet files named after the tables")
    load.add_argument("--replace", action="store_true", help="replace reference tables the engine already has")
    add_schema_option(load)
    load.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rare_dsl.engines import EngineError, connect
    from rare_dsl.engines.copy import copy_tables

    schema = load_schema_option(args)
    started = time.perf_counter()
    try:
        with connect(args.db) as engine, progress_bar("Loading") as progress:
            report = copy_tables(args.source, engine, schema, replace=args.replace, progress=progress)
            version = engine.version()
    except EngineError as error:
        print(f"rare load: {error}", file=sys.stderr)
        return EXIT_FAILED
    echo(f"Loaded {sum(report.rows.values()):,} rows into {version} in {time.perf_counter() - started:.1f} s:")
    width = max(len(name) for name in report.rows)
    for name, rows in report.rows.items():
        echo(f"  {name:<{width}}  {rows:>12,}")
    return EXIT_OK
