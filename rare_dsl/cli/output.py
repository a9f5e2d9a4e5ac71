"""Diagnostics for CI: SARIF 2.1.0 (code scanning, editors) and GitHub Actions workflow commands.

Both read positions from `Diagnostic.to_dict()`, the same 1-based lines and columns (end exclusive) as
`--format json`, so the three formats never disagree about where a problem is.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from rare_dsl.diagnostics import CODES, Diagnostic, Label

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# Sources that are not files: a rule given with -e has no place in the repository.
_NOT_FILES = ("<rule>", "<file>")


def sarif(diagnostics: Sequence[Diagnostic], *, version: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run: a rule for every code `rare` can report, and a result per diagnostic."""
    codes = list(CODES)
    rules = [
        {
            "id": code,
            "name": _pascal(title),
            "shortDescription": {"text": title},
            "help": {"text": f"docs/diagnostics.md#{code.lower()}-{_anchor(title)}"},
            "defaultConfiguration": {"level": "warning" if code.startswith("RW") else "error"},
        }
        for code, title in CODES.items()
    ]
    results = []
    for d in diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": codes.index(d.code),
            "level": d.severity.value,
            "message": {"text": _message(d)},
        }
        place = _location(d)
        if place is not None:
            result["locations"] = [place]
        related = [
            {"id": index, **location, "message": {"text": label.message}}
            for index, label in enumerate(d.labels)
            if (location := _label_location(d, label)) is not None
        ]
        if related:
            result["relatedLocations"] = related
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "rare", "version": version, "semanticVersion": version, "rules": rules}},
            # Our columns count characters (code points), not UTF-16 code units as SARIF assumes by default.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def github(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """One GitHub Actions workflow command per diagnostic: `::error file=…,line=…::message`."""
    lines = []
    for d in diagnostics:
        record = d.to_dict()
        properties: list[tuple[str, Any]] = []
        if record["file"] and record["file"] not in _NOT_FILES:
            properties.append(("file", record["file"]))
            if "line" in record:
                properties += [("line", record["line"]), ("col", record["column"]),
                               ("endLine", record["end_line"]), ("endColumn", record["end_column"])]
        properties.append(("title", d.code))
        shown = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties)
        lines.append(f"::{'warning' if not d.is_error else 'error'} {shown}::{_escape_data(_message(d))}")
    return lines


def _message(d: Diagnostic) -> str:
    text = d.message + (f": {d.label}" if d.label and d.label not in d.message else "")
    return "\n".join([text, *(f"help: {hint}" for hint in d.hints)])


def _location(d: Diagnostic) -> dict[str, Any] | None:
    if d.source is None or d.source.name in _NOT_FILES:
        return None
    place: dict[str, Any] = {"artifactLocation": {"uri": _uri(d.source.name)}}
    record = d.to_dict()
    if "line" in record:
        place["region"] = {"startLine": record["line"], "startColumn": record["column"],
                           "endLine": record["end_line"], "endColumn": record["end_column"]}
    return {"physicalLocation": place}


def _label_location(d: Diagnostic, label: Label) -> dict[str, Any] | None:
    source = label.source or d.source
    return _location(Diagnostic(d.code, label.message, label.span, source))


def _uri(name: str) -> str:
    """A relative path as a URI reference (forward slashes, reserved characters escaped)."""
    return urllib.parse.quote(PurePath(name).as_posix())


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _pascal(title: str) -> str:
    return "".join(word.capitalize() for word in re.findall(r"[A-Za-z0-9]+", title))


def _anchor(title: str) -> str:
    """The anchor GitHub gives a `## RD101: unknown field` heading, after the code."""
    return "-".join(re.findall(r"[a-z0-9]+", title.lower()))
