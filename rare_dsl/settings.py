"""Project settings: the schema file, default dialect and rule paths of a project, from `[tool.rare]` in a
`pyproject.toml` or from a `rare.toml`.

The settings file is found by walking up from the current folder, like ruff and pytest find theirs; in
one folder `rare.toml` wins over `pyproject.toml`, and a `pyproject.toml` without `[tool.rare]` is passed
over. Paths in the file are relative to the file's folder, so a command gives the same answer from any
subfolder. Every problem (broken TOML, an unknown key, a value of the wrong kind) is an RD903 diagnostic
pointing at its line; all of them are collected before `RuleError` is raised.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rare_dsl.diagnostics import Diagnostic, RuleError, Source, Span, suggest
from rare_dsl.tomltext import KeyIndex, parse_toml

SETTINGS_FILES = ("rare.toml", "pyproject.toml")
KEYS = ("schema", "dialect", "paths")


@dataclass(frozen=True)
class Settings:
    """What a project sets; every path is absolute (resolved against the settings file's folder)."""

    file: Path | None = None  # None: no settings file was found
    schema: Path | None = None
    dialect: str | None = None
    paths: tuple[Path, ...] = field(default=())

    def display_paths(self) -> list[str]:
        """The rule paths as the user would type them from the current folder."""
        return [_relative(path) for path in self.paths]


def find_settings_file(start: Path | None = None) -> tuple[Path, tuple[str, ...]] | None:
    """The nearest settings file at or above `start` (default: the current folder) and the key path of
    its rare table: `()` for a rare.toml, `("tool", "rare")` for a pyproject.toml."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        rare = candidate / "rare.toml"
        if rare.is_file():
            return rare, ()
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_rare_table(pyproject):
            return pyproject, ("tool", "rare")
    return None


def load_settings(start: Path | None = None) -> Settings:
    """The settings of the project around `start`; empty Settings when there is no settings file."""
    found = find_settings_file(start)
    if found is None:
        return Settings()
    path, prefix = found
    return read_settings(path, prefix)


def read_settings(path: Path, prefix: tuple[str, ...] = ()) -> Settings:
    """Read one settings file; raise `RuleError` (RD901 unreadable, RD903 invalid) with every problem."""
    name = _relative(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        why = "not UTF-8 text" if isinstance(error, UnicodeDecodeError) else (error.strerror or str(error))
        raise RuleError([Diagnostic("RD901", f"cannot read settings file `{name}`: {why}", None,
                                    Source("", name))]) from None
    source = Source(text, name)
    data, broken = parse_toml(text)
    if broken is not None:
        span, message = broken
        raise RuleError([Diagnostic("RD903", message, span, source)])
    assert data is not None
    problems: list[tuple[tuple[str, ...], str, str, str | None]] = []  # (key path, message, label, hint)
    table: Any = data
    for key in prefix:
        table = table.get(key, {}) if isinstance(table, dict) else {}
    if not isinstance(table, dict):
        problems.append((prefix, f"`{'.'.join(prefix)}` must be a table", "expected a table", None))
        table = {}
    folder = path.parent
    values: dict[str, Any] = {}
    for key, value in table.items():
        where = (*prefix, key)
        if key not in KEYS:
            close = suggest(key, KEYS)
            hint = f"did you mean `{close}`?" if close else "the settings are " + ", ".join(f"`{k}`" for k in KEYS)
            problems.append((where, f"unknown setting `{key}`", "not a setting of rare", hint))
        elif key == "paths":
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
                problems.append((where, "`paths` must be an array of paths", "expected paths",
                                 'e.g. `paths = ["segments/"]`, relative to this file'))
            else:
                values["paths"] = tuple(folder / item for item in items)
        elif not isinstance(value, str) or not value.strip():
            problems.append((where, f"`{key}` must be text", "expected text", None))
        elif key == "schema":
            values["schema"] = folder / value
        else:
            dialect = _dialect_problem(value)
            if dialect is not None:
                problems.append((where, f"unknown dialect `{value}`", "not a sqlglot dialect", dialect))
            else:
                values["dialect"] = value.lower()
    if problems:
        index = KeyIndex(text)
        raise RuleError(
            Diagnostic("RD903", message, index.locate(where) if text else Span(0, 0), source, label=label,
                       hints=(hint,) if hint else ())
            for where, message, label, hint in problems
        )
    return Settings(file=path, **values)


def dialect_names() -> list[str]:
    """Every dialect sqlglot knows: the names a rule can be compiled for."""
    from sqlglot.dialects.dialect import Dialects

    return [d.value for d in Dialects if d.value]


def _dialect_problem(value: str) -> str | None:
    """None when `value` names a sqlglot dialect, else a hint."""
    names = dialect_names()
    if value.lower() in names:
        return None
    close = suggest(value, names)
    return f"did you mean `{close}`?" if close else "`rare dialects` lists them"


def _has_rare_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    data, broken = parse_toml(text)
    if broken is not None:
        # Broken TOML is ours to report only when it visibly holds our table; otherwise it is another
        # tool's file and is passed over like any pyproject.toml without [tool.rare].
        return "[tool.rare" in text or "tool.rare." in text
    tool = (data or {}).get("tool")
    return isinstance(tool, dict) and "rare" in tool


def _relative(path: Path) -> str:
    """`path` relative to the current folder, the way a user types it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
