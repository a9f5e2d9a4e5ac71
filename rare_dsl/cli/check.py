"""`rare check`: every diagnostic of rules and rule files, as text or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from rare_dsl.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    RULE_FILE_SUFFIX,
    UsageError,
    add_schema_option,
    echo,
    load_schema_option,
    read_rule_files,
    undecodable_rule,
)
from rare_dsl.diagnostics import Diagnostic, RuleError, render, use_color


def register(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser("check", help="report every problem in rules or rule files")
    check.add_argument("paths", nargs="*", metavar="PATH", help=f"rule files ({RULE_FILE_SUFFIX}) or folders")
    check.add_argument("-e", "--expression", dest="rule", metavar="RULE", help="check one rule given inline")
    add_schema_option(check)
    check.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rare_dsl.check import check, check_project

    if args.rule is None and not args.paths:
        raise UsageError("give a rule with -e RULE, or rule files and folders")
    if args.rule is not None and args.paths:
        raise UsageError("give either -e RULE or paths, not both")
    diagnostics: list[Diagnostic] = []
    try:
        schema = load_schema_option(args)
    except RuleError as error:
        return _report(args, list(error.diagnostics), 0, None, scope="the schema file")
    if args.rule is not None:
        undecodable = undecodable_rule(args.rule)
        if undecodable:
            return _report(args, [undecodable], 0, None)
        try:
            checked = check(args.rule, schema)
            diagnostics.extend(checked.warnings)
        except RuleError as error:
            diagnostics.extend(error.diagnostics)
        return _report(args, diagnostics, 0, None)

    files, unreadable = read_rule_files(args.paths)
    diagnostics.extend(unreadable)
    segments = None
    try:
        project = check_project(files, schema)
        segments = len(project.segments)
        diagnostics.extend(project.warnings)
    except RuleError as error:
        diagnostics.extend(error.diagnostics)
    # Unreadable files count as files of the check: they are where its errors are.
    return _report(args, diagnostics, len(files) + len(unreadable), segments)


def _report(args: argparse.Namespace, diagnostics: list[Diagnostic], files: int, segments: int | None,
            *, scope: str | None = None) -> int:
    """Print the diagnostics and a summary; `segments` is None when the rules could not all be checked."""
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if args.format == "json":
        payload = {
            "diagnostics": [d.to_dict() for d in diagnostics],
            "errors": errors,
            "warnings": warnings,
            "files": files,
            "segments": segments or 0,
        }
        echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        if diagnostics:
            echo(render(diagnostics, color=use_color(sys.stdout)), end="")
        echo(_summary(errors, warnings, files, segments, scope=scope, inline=args.rule is not None))
    return EXIT_FAILED if errors else EXIT_OK


def _summary(errors: int, warnings: int, files: int, segments: int | None, *, scope: str | None,
             inline: bool) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n:,} {word}{'' if n == 1 else 's'}"

    if scope is None:
        if inline:
            scope = "the rule"
        elif segments is None or errors:  # the segments count only once they all check
            scope = plural(files, "file")
        else:
            scope = f"{plural(segments, 'segment')} in {plural(files, 'file')}"
    if errors or warnings:
        found = [plural(errors, "error")] + ([plural(warnings, "warning")] if warnings else [])
        return f"Found {' and '.join(found)} in {scope}."
    return f"All checks passed: {scope}."


