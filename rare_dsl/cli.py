"""The `rare` command line: argument parsing and output only; the work is done by the pipeline modules.

Exit codes: 0 success, 1 diagnostics or a failed check, 2 usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rare_dsl.diagnostics import Diagnostic, RuleError, Source, Span, render, suggest, use_color

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
RULE_FILE_SUFFIX = ".rare"


class UsageError(Exception):
    """A mistake in how the command was called (exit 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse's --help (0) and usage errors (2): a return code like any other
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except UsageError as error:
        print(f"rare {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except RuleError as error:
        _print(render(error.diagnostics, color=use_color(sys.stdout)), end="")
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader stopped reading (`rare check dir/ | head`). Like rich, and Python's own advice: send the
        # rest to /dev/null so the exit flush stays quiet, and do not claim a success nobody saw.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as error:  # a bug of ours: say so in one line, never with a traceback
        if os.environ.get("RARE_DEBUG"):
            raise
        print(f"rare {args.command}: internal error: {type(error).__name__}: {error} "
              "(set RARE_DEBUG=1 for details, and please report it)", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rare", description="The rare segment language: check, format and compile segment rules."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="report every problem in rules or rule files")
    check.add_argument("paths", nargs="*", metavar="PATH", help=f"rule files ({RULE_FILE_SUFFIX}) or folders")
    check.add_argument("-e", "--expression", dest="rule", metavar="RULE", help="check one rule given inline")
    check.add_argument("--schema", metavar="FILE", help="schema file (TOML); default: the reference schema")
    check.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    check.set_defaults(run=_check)

    fields = commands.add_parser("fields", help="list the fields and functions rules can use")
    fields.add_argument("--category", metavar="NAME", help="customer, ecommerce, engagement or membership")
    fields.add_argument("--schema", metavar="FILE", help="schema file (TOML); default: the reference schema")
    fields.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    fields.set_defaults(run=_fields)
    return parser


def _print(text: str, *, end: str = "\n") -> None:
    """Print to stdout; characters the stream cannot encode (bytes of a non-UTF-8 path, `→` on a Latin-1
    terminal) are replaced instead of ending the command with an encoding error."""
    try:
        print(text, end=end)
    except UnicodeEncodeError:
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        print((text + end).encode(encoding, errors="replace").decode(encoding), end="")


def _schema(args: argparse.Namespace) -> Any:
    from rare_dsl.schema import default_schema, load_schema

    return load_schema(args.schema) if args.schema else default_schema()


# ------------------------------------------------------------------------------------------------- check


def _check(args: argparse.Namespace) -> int:
    from rare_dsl.check import check, check_project

    if args.rule is None and not args.paths:
        raise UsageError("give a rule with -e RULE, or rule files and folders")
    if args.rule is not None and args.paths:
        raise UsageError("give either -e RULE or paths, not both")
    diagnostics: list[Diagnostic] = []
    try:
        schema = _schema(args)
    except RuleError as error:
        return _report(args, list(error.diagnostics), 0, None, scope="the schema file")
    if args.rule is not None:
        undecodable = _undecodable_rule(args.rule)
        if undecodable:
            return _report(args, [undecodable], 0, None)
        try:
            checked = check(args.rule, schema)
            diagnostics.extend(checked.warnings)
        except RuleError as error:
            diagnostics.extend(error.diagnostics)
        return _report(args, diagnostics, 0, None)

    files, unreadable = _read_rule_files(args.paths)
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


def _undecodable_rule(rule: str) -> Diagnostic | None:
    """RD901 when `-e` got bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    bad = next((i for i, ch in enumerate(rule) if "\ud800" <= ch <= "\udfff"), None)
    if bad is None:
        return None
    return Diagnostic("RD901", "cannot read the rule: it is not UTF-8 text", Span(bad, bad + 1), Source(rule),
                      label="not UTF-8", hints=("write the rule in UTF-8, or give it in a rule file",))


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
        _print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        if diagnostics:
            _print(render(diagnostics, color=use_color(sys.stdout)), end="")
        _print(_summary(errors, warnings, files, segments, scope=scope, inline=args.rule is not None))
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


def _read_rule_files(paths: Sequence[str]) -> tuple[list[tuple[str, str]], list[Diagnostic]]:
    """Each rule file under the given paths as (text, name); unreadable ones become RD901 diagnostics."""
    files: list[tuple[str, str]] = []
    problems: list[Diagnostic] = []
    seen: set[Path] = set()  # a file reached twice (`rare check dir/ dir/a.rare`) is read once

    def unreadable(name: str, why: str) -> None:
        problems.append(Diagnostic("RD901", f"cannot read `{name}`: {why}", None, Source("", name)))

    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob(f"*{RULE_FILE_SUFFIX}") if p.is_file())
            if not found:
                unreadable(given, f"the folder holds no {RULE_FILE_SUFFIX} files")
        elif path.exists():
            found = [path]
        else:
            unreadable(given, "no such file or folder")
            continue
        for file in found:
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            try:
                raw = file.read_bytes()
            except OSError as error:
                unreadable(str(file), error.strerror or str(error))
                continue
            raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                files.append((raw.decode("utf-8"), str(file)))
            except UnicodeDecodeError as error:
                problems.append(_not_utf8(raw, error, str(file)))
    return files, problems


def _not_utf8(raw: bytes, error: UnicodeDecodeError, name: str) -> Diagnostic:
    """RD901 pointing at the first byte that is not UTF-8, shown as `�` in its line."""
    offset = len(raw[: error.start].decode("utf-8"))
    return Diagnostic("RD901", f"cannot read `{name}`: not UTF-8 text", Span(offset, offset + 1),
                      Source(raw.decode("utf-8", errors="replace"), name), label="not UTF-8",
                      hints=("save the file as UTF-8 (most editors offer it under \"Save with encoding\")",))


# ------------------------------------------------------------------------------------------------ fields


def _fields(args: argparse.Namespace) -> int:
    from rare_dsl.schema import Field
    from rare_dsl.types import Category

    schema = _schema(args)
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
        _print(json.dumps(payload, indent=2, ensure_ascii=False))
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


if __name__ == "__main__":
    sys.exit(main())
