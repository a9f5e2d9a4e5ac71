"""`rare repl`: the interactive prompt (see `rare_dsl.repl`); this module only reads the options."""

from __future__ import annotations

import argparse

from rare_dsl.cli.common import EXIT_OK, UsageError, add_schema_option, load_schema_option, project_settings


def register(commands: argparse._SubParsersAction) -> None:
    repl = commands.add_parser("repl", help="type rules and see them checked and counted as you type")
    repl.add_argument("--db", metavar="URL", help="the store (default: RARE_DB, then rare.duckdb)")
    add_schema_option(repl)
    repl.add_argument("--dialect", default=None, metavar="D", help="the dialect :sql prints (default: duckdb)")
    repl.add_argument("--as-of", metavar="T", help="evaluate rules at this instant (default: now)")
    repl.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rare_dsl.repl import start
    from rare_dsl.repl.commands import parse_as_of

    try:
        as_of = parse_as_of(args.as_of) if args.as_of else None
    except ValueError:
        raise UsageError(f"--as-of: `{args.as_of}` is not a date or timestamp (e.g. 2026-01-31T09:30:00Z)") from None
    settings = project_settings()
    schema = load_schema_option(args, settings)
    start(schema=schema, schema_path=args.schema, db=args.db, dialect=args.dialect, as_of=as_of,
          rule_paths=settings.paths)
    return EXIT_OK
