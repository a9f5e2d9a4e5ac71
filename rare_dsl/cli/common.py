"""What the commands share: exit codes, usage errors, printing, the project settings and the schema option,
finding and reading rule files, writing a file atomically, and the `--as-of` option."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rare_dsl.diagnostics import Diagnostic, Severity, Source, Span, not_utf8_text

if TYPE_CHECKING:
    from rare_dsl.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
RULE_FILE_SUFFIX = ".rare"


class UsageError(Exception):
    """A mistake in how the command was called (exit 2)."""


def add_schema_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--schema", metavar="FILE", help="schema file (TOML); default: the reference schema")


def echo(text: str, *, end: str = "\n") -> None:
    """Print to stdout; characters the stream cannot encode (bytes of a non-UTF-8 path, `→` on a Latin-1
    terminal) are replaced instead of ending the command with an encoding error."""
    try:
        print(text, end=end)
    except UnicodeEncodeError:
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        print((text + end).encode(encoding, errors="replace").decode(encoding), end="")


def project_settings() -> Settings:
    """The settings of the project around the current folder; raise `RuleError` when they are invalid."""
    from rare_dsl.settings import load_settings

    return load_settings()


def load_schema_option(args: argparse.Namespace, settings: Settings | None = None) -> Any:
    """The schema of `--schema`, else of the project settings, else the reference schema."""
    from rare_dsl.schema import default_schema, load_schema

    if args.schema:
        return load_schema(args.schema)
    settings = settings if settings is not None else project_settings()
    return load_schema(settings.schema) if settings.schema is not None else default_schema()


def rule_paths(given: Sequence[str], settings: Settings, command: str) -> list[str]:
    """The paths given on the command line, else the project's `paths`; a usage error when neither."""
    if given:
        return list(given)
    if settings.paths:
        return settings.display_paths()
    raise UsageError(f"give {command}, or set `paths` in the project settings (rare.toml or [tool.rare])")


def find_rule_files(paths: Sequence[str]) -> tuple[list[Path], list[Diagnostic]]:
    """The rule files under the given paths (folders searched recursively, each file once, in path order);
    a path that leads to none is an RD901 diagnostic. A symbolic link met in a folder that leads nowhere
    (to itself, or to a missing file) is skipped with an RW901 warning, never silently."""
    from rare_dsl.store.files import broken_link

    files: list[Path] = []
    problems: list[Diagnostic] = []
    seen: set[Path] = set()  # a file reached twice (`rare check dir/ dir/a.rare`) is read once
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = []
            for entry in sorted(path.rglob(f"*{RULE_FILE_SUFFIX}")):
                if entry.is_file():
                    found.append(entry)
                elif (broken := broken_link(entry)) is not None:
                    problems.append(Diagnostic("RW901", f"skipped `{entry}`: {broken}", None, Source("", str(entry)),
                                               severity=Severity.WARNING,
                                               hints=("remove the link, or point it at a rule file",)))
            if not found:
                problems.append(unreadable(given, f"the folder holds no {RULE_FILE_SUFFIX} files"))
        elif path.exists():
            found = [path]
        else:
            problems.append(unreadable(given, broken_link(path) or "no such file or folder"))
            continue
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    return files, problems


def file_errors(problems: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The errors among the problems `find_rule_files` reports; its warnings (a link skipped in a folder)
    are printed on standard error, so that a command's output (SQL, JSON) stays its own."""
    warnings = [d for d in problems if not d.is_error]
    if warnings:
        from rare_dsl.diagnostics import render, use_color

        print(render(warnings, color=use_color(sys.stderr)), end="", file=sys.stderr)
    return [d for d in problems if d.is_error]


def read_text(file: Path) -> tuple[str | None, Diagnostic | None]:
    """A rule file's text exactly as stored (a byte order mark is kept as U+FEFF), or why it cannot be read."""
    try:
        raw = file.read_bytes()
    except OSError as error:
        return None, unreadable(str(file), error.strerror or str(error))
    body = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return ("\ufeff" if len(body) < len(raw) else "") + body.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return None, not_utf8(body, error, str(file))


def read_rule_files(paths: Sequence[str]) -> tuple[list[tuple[str, str]], list[Diagnostic]]:
    """Each rule file under the given paths as (text, name); unreadable ones become RD901 diagnostics."""
    found, problems = find_rule_files(paths)
    files: list[tuple[str, str]] = []
    for file in found:
        text, problem = read_text(file)
        if problem is not None:
            problems.append(problem)
        else:
            assert text is not None
            files.append((text.removeprefix("\ufeff"), str(file)))
    return files, problems


def unreadable(name: str, why: str) -> Diagnostic:
    return Diagnostic("RD901", f"cannot read `{name}`: {why}", None, Source("", name))


def write_atomically(path: Path, data: bytes) -> None:
    """Replace a file's content all at once: a temporary file in the same folder, then `os.replace`, so a
    crash or a full disk leaves either the old file or the new one, never half of one."""
    import tempfile  # here, not at the top: most commands write no file, and it costs milliseconds to import

    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def not_utf8(raw: bytes, error: UnicodeDecodeError, name: str) -> Diagnostic:
    """RD901 pointing at the first byte that is not UTF-8, shown as `�` in its line."""
    offset = len(raw[: error.start].decode("utf-8"))
    return Diagnostic("RD901", f"cannot read `{name}`: not UTF-8 text", Span(offset, offset + 1),
                      Source(raw.decode("utf-8", errors="replace"), name), label="not UTF-8",
                      hints=("save the file as UTF-8 (most editors offer it under \"Save with encoding\")",))


def undecodable_rule(rule: str) -> Diagnostic | None:
    """RD901 when `-e` got bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    return not_utf8_text(Source(rule), "the rule", "write the rule in UTF-8, or give it in a rule file")




AS_OF_FORMS = "`now`, a date (`2026-01-31`, its start in UTC) or a timestamp (`2026-01-31T09:30:00Z`)"
_AS_OF = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?",
                    re.IGNORECASE)


def add_as_of_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", metavar="T", default="now",
                        help=f"the instant rules are evaluated at: {AS_OF_FORMS}; default: now")


def as_of_option(text: str) -> dt.datetime | None:
    """The instant of `--as-of` as an aware UTC datetime, or None for `now` (the engine's clock); a timestamp
    without an offset is UTC, like the language's literals. Anything else is a usage error."""
    text = text.strip()
    if text.lower() == "now":
        return None
    try:
        if not _AS_OF.fullmatch(text):
            raise ValueError(text)
        value = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    except ValueError:
        raise UsageError(f"--as-of: `{text}` is not an instant; give {AS_OF_FORMS}") from None
    instant = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC) \
        if 1 < value.year < 9999 else value.replace(tzinfo=None)
    # Imported here: `rare --help` and the checker must not load the compiler package.
    from rare_dsl.compiler.calendar import as_of_problem

    problem = as_of_problem(instant.replace(tzinfo=None))
    if problem is not None:
        raise UsageError(f"--as-of: {problem}")
    return instant
