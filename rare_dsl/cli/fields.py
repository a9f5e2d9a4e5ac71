"""`rare fields`: the vocabulary rules can use, grouped by category, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rare_dsl.cli.common import EXIT_OK, UsageError, add_schema_option, echo, load_schema_option
from rare_dsl.diagnostics import suggest, use_color


def register(commands: argparse._SubParsersAction) -> None:
    fields = commands.add_parser("fields", help="list the fields and functions rules can use")
    fields.add_argument("--category", metavar="NAME", help="customer, ecommerce, engagement or membership")
    add_schema_option(fields)
    fields.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    fields.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rare_dsl.schema import Field
    from rare_dsl.types import Category

    schema = load_schema_option(args)
    groups = schema.by_category()
    if args.category:
        wanted = _category(args.category, Category)
        groups = {wanted: groups.get(wanted, [])}
    rows = [
        (category, entry.name if isinstance(entry, Field) else entry.signature(),
         (entry.type if isinstance(entry, Field) else entry.returns).value, entry.description,
         "field" if isinstance(entry, Field) else "function", entry)
        for category, entries in groups.items()
        for entry in entries
    ]
    if args.format == "json":
        payload = [
            {"category": c.value, "name": e.name, "usage": usage, "kind": kind, "type": kind_type,
             "description": description, **({"values": list(e.values)} if getattr(e, "values", ()) else {})}
            for c, usage, kind_type, description, kind, e in rows
        ]
        echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return EXIT_OK
    _print_fields(groups, rows)
    return EXIT_OK


def _category(text: str, categories: Any) -> Any:
    lowered = text.strip().lower()
    for category in categories:
        if lowered in (category.value, category.title.lower()):
            return category
    prefixed = [c for c in categories if lowered and c.value.startswith(lowered)]
    if len(prefixed) == 1:
        return prefixed[0]
    close = suggest(lowered, [c.value for c in categories])
    hint = f"; did you mean `{close}`?" if close else ""
    raise UsageError(f"unknown category `{text}`{hint} (one of: {', '.join(c.value for c in categories)})")


def _print_fields(groups: dict[Any, list[Any]], rows: list[tuple[Any, ...]]) -> None:
    from rich.console import Console
    from rich.table import Table

    # color_system=None prints no escape codes at all (not even bold) for pipes, NO_COLOR and TERM=dumb.
    color = use_color(sys.stdout)
    console = Console(color_system="auto" if color else None, force_terminal=color or None, highlight=False,
                      soft_wrap=False, width=None if sys.stdout.isatty() else 120)
    for index, category in enumerate(groups):
        # The title on its own line: as a table title rich pads it with spaces to the table's width.
        console.print(("\n" if index else "") + category.title, style="bold", highlight=False)
        table = Table(show_lines=False, expand=False)
        table.add_column("name", style="bold", no_wrap=True)
        table.add_column("type", no_wrap=True)
        table.add_column("meaning")
        for row_category, usage, kind_type, description, _kind, entry in rows:
            if row_category is not category:
                continue
            values = getattr(entry, "values", ())
            meaning = description + (f" ({', '.join(values)})" if values else "")
            table.add_row(usage, kind_type, meaning)
        console.print(table)


