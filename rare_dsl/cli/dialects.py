"""`rare dialects`: every sqlglot dialect with its tier (verified on a real engine by the tests, or generated)
and whether live time and parameters are supported, as a table or JSON."""

from __future__ import annotations

import argparse
import dataclasses
import json

from rare_dsl.cli.common import EXIT_OK, echo

TIERS = {
    "verified": "the test suite runs the compiled SQL on the real engine and compares every member",
    "generated": "sqlglot's SQL for the dialect, snapshot-tested and parsed back by sqlglot",
    "unsupported": "not a SQL dialect: sqlglot only reads it",
}


def register(commands: argparse._SubParsersAction) -> None:
    dialects = commands.add_parser("dialects", help="list the SQL dialects and what each supports")
    dialects.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    dialects.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rare_dsl.compiler import dialect_support

    support = dialect_support()
    if args.format == "json":
        echo(json.dumps([dataclasses.asdict(entry) for entry in support], indent=2, ensure_ascii=False))
        return EXIT_OK
    width = max(len(entry.name) for entry in support)
    echo(f"{'dialect':<{width}}  {'tier':<11}  {'live time':<9}  parameters")
    notes: list[str] = []
    for entry in support:
        live = "yes" if entry.live else "no"
        if not entry.live and entry.tier != "unsupported":
            notes.append(f"  {entry.name}: {entry.live_refusal}")
        echo(f"{entry.name:<{width}}  {entry.tier:<11}  {live:<9}  {'yes' if entry.parameterized else 'no'}")
    echo("")
    for tier, meaning in TIERS.items():
        echo(f"{tier}: {meaning}.")
    echo("Live time reads the engine's clock; every SQL dialect compiles with --as-of. Live time is refused for:")
    for note in notes:
        echo(note)
    return EXIT_OK
