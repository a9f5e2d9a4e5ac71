"""`rare segments`: the segments of a project, with their descriptions, where they are defined, what they
use (fields and functions by category, lists, other segments), how they rank, and which segments use them.

The project is checked first (`check_project`): a project with errors prints them and lists nothing,
since references cannot be trusted then. With `--db`, each segment's member count comes from the store
(through `rare_dsl.store.queries`, the same counting `rare count` and the REPL use).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rare_dsl.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    RULE_FILE_SUFFIX,
    add_schema_option,
    echo,
    file_errors,
    load_schema_option,
    project_settings,
    read_rule_files,
    rule_paths,
)
from rare_dsl.cli.store_options import open_store, reports_store_errors
from rare_dsl.diagnostics import RuleError, render, use_color
from rare_dsl.store.shares import contacts, percent

_CATEGORIES = ("customer", "ecommerce", "engagement")


def register(commands: argparse._SubParsersAction) -> None:
    segments = commands.add_parser("segments", help="list the segments of rule files and how they relate")
    segments.add_argument("paths", nargs="*", metavar="PATH",
                          help=f"rule files ({RULE_FILE_SUFFIX}) or folders; default: the project's `paths`")
    add_schema_option(segments)
    segments.add_argument("--db", metavar="PATH",
                          help="show each segment's member count in this store (a DuckDB file or duckdb:/// URL)")
    segments.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    segments.set_defaults(run=run)


@reports_store_errors
def run(args: argparse.Namespace) -> int:
    from rare_dsl.check import check_project

    try:
        settings = project_settings()
        paths = rule_paths(args.paths, settings, "rule files or folders")
        schema = load_schema_option(args, settings)
        files, problems = read_rule_files(paths)
        unreadable = file_errors(problems)
        if unreadable:
            raise RuleError(unreadable)
        project = check_project(files, schema)
    except RuleError as error:
        echo(render(error.diagnostics, color=use_color(sys.stdout)), end="")
        return EXIT_FAILED
    entries = [_describe(project, name) for name in project.segments]
    if args.db is not None:
        for entry, count in zip(entries, _counts(args, project, schema), strict=True):
            entry["count"] = count.matching
            entry["total"] = count.total
    if args.format == "json":
        echo(json.dumps({"segments": entries, "files": len(files)}, indent=2, ensure_ascii=False))
    else:
        _print(entries, len(files))
    return EXIT_OK


def _counts(args: argparse.Namespace, project: Any, schema: Any) -> list[Any]:
    """Each segment's current member count, in the project's order, on one read-only connection."""
    from rare_dsl.store.queries import SegmentQueries

    with open_store(args, write=False, schema=schema) as store:
        queries = SegmentQueries(store)
        return [queries.count(segment.rule, None, segments=project.segments) for segment in project.segments.values()]


def _describe(project: Any, name: str) -> dict[str, Any]:
    """One segment as data: the JSON record, which the text output prints too."""
    segment = project.segments[name]
    rule = segment.rule
    file, line = segment.location
    uses: dict[str, list[str]] = {category: [] for category in _CATEGORIES}
    for used in rule.names():
        category = used.category.value
        if category in uses:
            shown = used.name if hasattr(used, "measure") else used.field.name
            if shown not in uses[category]:
                uses[category].append(shown)
    text = rule.source.text
    order_by = [" ".join(text[key.span.start:key.span.end].split()) for key in rule.syntax.order_by]
    return {
        "name": name,
        "description": segment.description,
        "file": file,
        "line": line,
        "uses": uses,
        "lists": list(dict.fromkeys(ref.target for ref in rule.list_references())),
        "segments": list(dict.fromkeys(ref.target for ref in rule.segment_references())),
        "used_by": project.used_by(name),
        "order_by": order_by,
        "limit": rule.limit,
    }


def _print(entries: list[dict[str, Any]], files: int) -> None:
    def row(title: str, values: list[str] | str) -> None:
        shown = ", ".join(values) if isinstance(values, list) else values
        echo(f"    {title:<11} {shown}")

    for index, entry in enumerate(entries):
        members = ""
        if "count" in entry:
            members = f"  {contacts(entry['count'])} ({percent(entry['count'], entry['total'])})"
        echo(("\n" if index else "") + f"{entry['name']}  {entry['file']}:{entry['line']}{members}")
        for line in (entry["description"] or "").splitlines():
            echo(f"    {line}")
        for category in _CATEGORIES:
            if entry["uses"][category]:
                row(category, entry["uses"][category])
        if entry["lists"]:
            row("lists", [f'"{name}"' for name in entry["lists"]])
        if entry["segments"]:
            row("segments", entry["segments"])
        if entry["order_by"]:
            ranked = "by " + ", ".join(entry["order_by"])
            row("ranked", ranked + (f", first {entry['limit']:,}" if entry["limit"] else ""))
        row("used by", entry["used_by"] or "no other segment")
    count = len(entries)
    echo(f"\n{count:,} segment{'' if count == 1 else 's'} in {files:,} file{'' if files == 1 else 's'}.")
