"""`rare check`: every diagnostic of rules and rule files (errors and lint warnings), as text, JSON, SARIF
or GitHub Actions annotations.

Without paths it checks the project's `paths` (rare.toml or `[tool.rare]`), against the project's schema
unless `--schema` says otherwise. With `--db`, text values are also looked up among the contacts (RW404).
Warnings never fail a check: the exit code is 1 only when there are errors.
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
    UsageError,
    add_schema_option,
    echo,
    load_schema_option,
    project_settings,
    read_rule_files,
    rule_paths,
    undecodable_rule,
)
from rare_dsl.diagnostics import Diagnostic, RuleError, render, sort_diagnostics, use_color

FORMATS = ["text", "json", "sarif", "github"]


def register(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser("check", help="report every problem in rules or rule files")
    check.add_argument("paths", nargs="*", metavar="PATH",
                       help=f"rule files ({RULE_FILE_SUFFIX}) or folders; default: the project's `paths`")
    check.add_argument("-e", "--expression", dest="rule", metavar="RULE", help="check one rule given inline")
    add_schema_option(check)
    check.add_argument("--format", choices=FORMATS, default="text",
                       help="output: text, json, sarif (SARIF 2.1.0) or github (Actions annotations)")
    check.add_argument("--db", metavar="PATH", help="a DuckDB file: warn about text values no contact has")
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rare_dsl.check import check, check_project

    if args.rule is not None and args.paths:
        raise UsageError("give either -e RULE or paths, not both")
    try:
        settings = project_settings()
    except RuleError as error:
        return _report(args, list(error.diagnostics), 0, None, scope="the settings file")
    paths = [] if args.rule is not None else rule_paths(args.paths, settings, "a rule with -e RULE, or rule files "
                                                        "and folders")
    try:
        schema = load_schema_option(args, settings)
    except RuleError as error:
        return _report(args, list(error.diagnostics), 0, None, scope="the schema file")
    values = None
    if args.db is not None:
        from rare_dsl.cli.known_values import StoreValues

        try:
            values = StoreValues.open(args.db, schema)
        except RuleError as error:
            return _report(args, list(error.diagnostics), 0, None, scope="the database")
    try:
        diagnostics: list[Diagnostic] = []
        if args.rule is not None:
            undecodable = undecodable_rule(args.rule)
            if undecodable:
                return _report(args, [undecodable], 0, None)
            try:
                diagnostics.extend(check(args.rule, schema, values=values).warnings)
            except RuleError as error:
                diagnostics.extend(error.diagnostics)
            return _report(args, diagnostics + _store_problems(values), 0, None)

        files, unreadable = read_rule_files(paths)
        diagnostics.extend(unreadable)
        segments = None
        try:
            project = check_project(files, schema, values=values)
            segments = len(project.segments)
            diagnostics.extend(project.warnings)
        except RuleError as error:
            diagnostics.extend(error.diagnostics)
        # Unreadable files count as files of the check: they are where its errors are.
        unread = sum(d.is_error for d in unreadable)  # a link skipped in a folder is a warning, not a file
        return _report(args, sort_diagnostics(diagnostics) + _store_problems(values), len(files) + unread, segments)
    finally:
        if values is not None:
            values.close()


def _store_problems(values: Any) -> list[Diagnostic]:
    return list(values.problems) if values is not None else []


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
    elif args.format == "sarif":
        from rare_dsl import __version__
        from rare_dsl.cli.output import sarif

        echo(json.dumps(sarif(diagnostics, version=__version__), indent=2, ensure_ascii=False))
    else:
        if args.format == "github":
            from rare_dsl.cli.output import github

            for line in github(diagnostics):
                echo(line)
        elif diagnostics:
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
        found = ([plural(errors, "error")] if errors else []) + ([plural(warnings, "warning")] if warnings else [])
        return f"Found {' and '.join(found)} in {scope}."
    return f"All checks passed: {scope}."
