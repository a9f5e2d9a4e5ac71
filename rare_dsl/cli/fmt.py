"""`rare fmt`: rewrite rule files in the canonical layout (`rare_dsl.format`), or with `--check` / `--diff`
only say which would change.

Like `ruff format`: a file with syntax errors is left as it is and its diagnostics are printed; a file is
replaced atomically, keeping its newline style and byte order mark; `-` formats standard input to standard
output. Exit 1 when a file has errors, or when `--check`/`--diff` finds a file that would change.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rare_dsl.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    RULE_FILE_SUFFIX,
    echo,
    find_rule_files,
    project_settings,
    read_text,
    rule_paths,
    write_atomically,
)
from rare_dsl.diagnostics import Diagnostic, RuleError, Source, render, use_color


def register(commands: argparse._SubParsersAction) -> None:
    fmt = commands.add_parser("fmt", help="format rule files in the canonical layout")
    fmt.add_argument("paths", nargs="*", metavar="PATH",
                     help=f"rule files ({RULE_FILE_SUFFIX}) or folders, or - for standard input; "
                          "default: the project's `paths`")
    fmt.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    fmt.add_argument("--diff", action="store_true", help="write nothing; print what would change as a diff")
    fmt.set_defaults(run=run)


@dataclass
class _Tally:
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: int = 0


def run(args: argparse.Namespace) -> int:
    if args.paths == ["-"]:
        return _stdin(args)
    try:
        settings = project_settings()
    except RuleError as error:
        return _fail(list(error.diagnostics), args)
    files, problems = find_rule_files(rule_paths(args.paths, settings, "rule files or folders"))
    tally = _Tally(failed=sum(d.is_error for d in problems))  # a link skipped in a folder is only a warning
    _show(problems, args)
    for path in files:
        _format_one(path, args, tally)
    _summary(args, tally)
    would_change = bool(tally.changed) and (args.check or args.diff)
    return EXIT_FAILED if tally.failed or would_change else EXIT_OK


def _format_one(path: Path, args: argparse.Namespace, tally: _Tally) -> None:
    from rare_dsl.format import format_file

    text, problem = read_text(path)
    if problem is not None:
        tally.failed += 1
        _show([problem], args)
        return
    assert text is not None
    try:
        formatted = format_file(text, name=str(path))
    except RuleError as error:
        tally.failed += 1
        _show(list(error.diagnostics), args)
        return
    if formatted == text:
        tally.unchanged += 1
        return
    tally.changed.append(str(path))
    if args.diff:
        echo(_diff(text, formatted, str(path)), end="")
    elif args.check:
        echo(f"Would reformat: {path}")
    else:
        try:
            write_atomically(path, formatted.encode("utf-8"))
        except OSError as error:
            tally.changed.pop()
            tally.failed += 1
            _show([Diagnostic("RD904", f"cannot write `{path}`: {error.strerror or error}", None,
                              Source("", str(path)), hints=("the file is left as it was",))], args)


def _stdin(args: argparse.Namespace) -> int:
    from rare_dsl.format import format_file

    text = sys.stdin.read()
    try:
        formatted = format_file(text, name="<stdin>")
    except RuleError as error:
        return _fail(list(error.diagnostics), args)
    if args.diff:
        echo(_diff(text, formatted, "<stdin>"), end="")
    elif not args.check:
        echo(formatted, end="")
    return EXIT_FAILED if formatted != text and (args.check or args.diff) else EXIT_OK


def _diff(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 f"{name} (original)", f"{name} (formatted)")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _summary(args: argparse.Namespace, tally: _Tally) -> None:
    def files(n: int) -> str:
        return f"{n:,} file{'' if n == 1 else 's'}"

    changed, unchanged = len(tally.changed), tally.unchanged
    nothing_else = not changed and not tally.failed  # then say so: "0 files left unchanged."
    if args.check or args.diff:
        parts = [f"{files(changed)} would be reformatted"] if changed else []
        parts += [f"{files(unchanged)} already formatted"] if unchanged or nothing_else else []
    else:
        parts = [f"{files(changed)} reformatted"] if changed else []
        parts += [f"{files(unchanged)} left unchanged"] if unchanged or nothing_else else []
    if tally.failed:
        parts.append(f"{files(tally.failed)} with errors left as {'it is' if tally.failed == 1 else 'they are'}")
    line = ", ".join(parts) + "."
    # With --diff, standard output is the patch alone, so the summary goes to standard error.
    print(line[:1].upper() + line[1:], file=sys.stderr if args.diff else sys.stdout)


def _show(diagnostics: list[Diagnostic], args: argparse.Namespace) -> None:
    """Diagnostics go to standard output, except with `--diff`, whose output must stay a clean patch."""
    if not diagnostics:
        return
    if args.diff:
        print(render(diagnostics, color=use_color(sys.stderr)), end="", file=sys.stderr)
    else:
        echo(render(diagnostics, color=use_color(sys.stdout)), end="")


def _fail(diagnostics: list[Diagnostic], args: argparse.Namespace) -> int:
    _show(diagnostics, args)
    return EXIT_FAILED
