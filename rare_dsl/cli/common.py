"""What the commands share: exit codes, usage errors, printing, the schema option and reading rule files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rare_dsl.diagnostics import Diagnostic, Source, Span

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


def load_schema_option(args: argparse.Namespace) -> Any:
    from rare_dsl.schema import default_schema, load_schema

    return load_schema(args.schema) if args.schema else default_schema()


def read_rule_files(paths: Sequence[str]) -> tuple[list[tuple[str, str]], list[Diagnostic]]:
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
                problems.append(not_utf8(raw, error, str(file)))
    return files, problems


def not_utf8(raw: bytes, error: UnicodeDecodeError, name: str) -> Diagnostic:
    """RD901 pointing at the first byte that is not UTF-8, shown as `�` in its line."""
    offset = len(raw[: error.start].decode("utf-8"))
    return Diagnostic("RD901", f"cannot read `{name}`: not UTF-8 text", Span(offset, offset + 1),
                      Source(raw.decode("utf-8", errors="replace"), name), label="not UTF-8",
                      hints=("save the file as UTF-8 (most editors offer it under \"Save with encoding\")",))


def undecodable_rule(rule: str) -> Diagnostic | None:
    """RD901 when `-e` got bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    bad = next((i for i, ch in enumerate(rule) if "\ud800" <= ch <= "\udfff"), None)
    if bad is None:
        return None
    return Diagnostic("RD901", "cannot read the rule: it is not UTF-8 text", Span(bad, bad + 1), Source(rule),
                      label="not UTF-8", hints=("write the rule in UTF-8, or give it in a rule file",))


