"""Diagnostics: the records every stage reports problems with, and their rendering.

A `Diagnostic` is data (code, severity, message, span, labels, hints); `RuleError` only carries a list of
them; `render` prints them the way rustc does, with a plain mode for pipes, tests and `NO_COLOR`.
"""

from __future__ import annotations

import bisect
import difflib
import os
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, Any

# Every code the project can emit, with the one-line title `docs/diagnostics.md` documents it under.
# Codes are stable: never renumber one, retire it instead.
CODES: dict[str, str] = {
    # RD0xx: syntax
    "RD001": "syntax error",
    "RD002": "unclosed text",
    "RD003": "unbalanced parenthesis or bracket",
    "RD004": "invalid escape in text",
    "RD005": "operator from another language",
    "RD006": "input too deep or too large",
    "RD007": "missing condition or operand",
    "RD008": "invalid literal",
    "RD009": "invalid duration",
    "RD010": "not a rule file",
    # RD1xx: names and references
    "RD101": "unknown field",
    "RD102": "unknown function",
    "RD103": "unknown argument",
    "RD104": "function used as a field, or field called as a function",
    "RD105": "duplicate segment name",
    "RD106": "unknown segment",
    "RD107": "segment reference cycle",
    "RD108": "argument given twice or out of order",
    # RD2xx: types and values
    "RD201": "operand types do not match",
    "RD202": "not a condition",
    "RD203": "unknown enum value",
    "RD204": "wrong argument",
    "RD205": "invalid duration sign or size",
    "RD206": "invalid month",
    "RD207": "invalid list",
    "RD208": "invalid ordering or limit",
    "RD209": "missing value written as null",
    "RD210": "value out of range",
    # RD3xx: the target dialect
    "RD301": "construct not supported by the target dialect",
    "RD302": "unknown target dialect",
    # RW4xx: warnings (lints); they never fail a check
    "RW401": "condition that can never be true",
    "RW402": "condition that is always true",
    "RW403": "repeated condition",
    "RW404": "value no contact has",
    "RW405": "suppression that suppresses nothing",
    # RD9xx: files and settings around the rules
    "RD901": "cannot read file",
    "RD902": "invalid schema file",
    "RD903": "invalid settings",
    "RD904": "cannot write file",
    # RW9xx: warnings about the files around the rules; they never fail a check
    "RW901": "file skipped in a folder",
}


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range of character offsets into a `Source`."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"span ends before it starts: {self.start}..{self.end}")

    def cover(self, other: Span) -> Span:
        return Span(min(self.start, other.start), max(self.end, other.end))


@dataclass(frozen=True, eq=False)
class Source:
    """The text a span points into, and the name to show for it (a file path or `<rule>`)."""

    text: str
    name: str = "<rule>"
    # Offsets at which lines start; computed once, so many diagnostics render fast on big files.
    _line_starts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        starts = [0]
        find = self.text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        object.__setattr__(self, "_line_starts", starts)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of an offset; columns count characters."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        start = self._line_starts[line - 1]
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r")


@dataclass(frozen=True)
class Label:
    """A secondary place a diagnostic points at, possibly in another source (a duplicate's first use)."""

    span: Span
    message: str
    source: Source | None = None


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None
    source: Source | None = None
    severity: Severity = Severity.ERROR
    label: str = ""
    hints: tuple[str, ...] = ()
    labels: tuple[Label, ...] = ()

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"undocumented diagnostic code {self.code}")

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> tuple[int, int] | None:
        if self.span is None or self.source is None:
            return None
        return self.source.position(self.span.start)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: 1-based line and column, end exclusive."""
        record: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.source.name if self.source else None,
        }
        if self.span is not None and self.source is not None:
            line, column = self.source.position(self.span.start)
            end_line, end_column = self.source.position(self.span.end)
            record.update(line=line, column=column, end_line=end_line, end_column=end_column)
        record["label"] = self.label or None
        record["hints"] = list(self.hints)
        return record


class RuleError(Exception):
    """Raised when input cannot be used; carries every diagnostic found, errors first."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sort_diagnostics(diagnostics))
        super().__init__(self.diagnostics[0].message if self.diagnostics else "invalid input")

    def __str__(self) -> str:
        return render(self.diagnostics, color=False).rstrip("\n")


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic) -> tuple[str, int, int]:
        return (d.source.name if d.source else "", d.span.start if d.span else -1, d.span.end if d.span else -1)

    return sorted(diagnostics, key=key)


def not_utf8_text(source: Source, what: str, *hints: str) -> Diagnostic | None:
    """RD901 at the first lone surrogate of `source`, or None: a code point that is not a character, so no
    UTF-8 text holds it (Python keeps the undecodable bytes of a command line as these). `what` names the
    input in the message: "the rule", or a file name in backquotes."""
    try:
        source.text.encode("utf-8")
    except UnicodeEncodeError as error:
        return Diagnostic("RD901", f"cannot read {what}: it is not UTF-8 text", Span(error.start, error.start + 1),
                          source, label="not UTF-8", hints=hints)
    return None


def suggest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The closest candidate to a misspelt word, or None; case is ignored when matching."""
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    if word.lower() in by_lower:
        return by_lower[word.lower()]
    matches = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[matches[0]] if matches else None


# ----------------------------------------------------------------------------------------------- rendering

_STYLES = {
    "error": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "bold": "\x1b[1m",
    "blue": "\x1b[1;34m",
    "reset": "\x1b[0m",
}
_TAB_WIDTH = 4


def use_color(stream: IO[str] | None = None) -> bool:
    """Color only for a terminal, and never when NO_COLOR is set (https://no-color.org) or TERM is dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    stream = stream if stream is not None else sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def render(diagnostics: Sequence[Diagnostic], *, color: bool | None = None) -> str:
    """Render diagnostics rustc-style; `color=None` decides from stdout and NO_COLOR."""
    if color is None:
        color = use_color()
    return "".join(_render_one(d, color) + "\n" for d in diagnostics)


def _render_one(d: Diagnostic, color: bool) -> str:
    def paint(text: str, style: str) -> str:
        return f"{_STYLES[style]}{text}{_STYLES['reset']}" if color else text

    severity = d.severity.value
    out = [paint(f"{severity}[{d.code}]", severity) + paint(f": {d.message}", "bold")]
    if d.span is None or d.source is None:
        gutter = " "
        if d.source is not None:
            out.append(f"{gutter}{paint('-->', 'blue')} {d.source.name}")
    else:
        line, column = d.source.position(d.span.start)
        gutter = " " * len(str(_last_line(d)))
        out.append(f"{gutter}{paint('-->', 'blue')} {d.source.name}:{line}:{column}")
        out.append(paint(f"{gutter} |", "blue"))
        out.extend(_snippet(d.source, d.span, d.label, gutter, severity, paint))
        shown_source = d.source
        for extra in d.labels:
            source = extra.source or d.source
            if source is not shown_source:
                # Another file: say which, the way rustc does (`::: path:line:col`).
                extra_line, extra_col = source.position(extra.span.start)
                out.append(paint(f"{gutter} |", "blue"))
                out.append(f"{gutter}{paint(':::', 'blue')} {source.name}:{extra_line}:{extra_col}")
                out.append(paint(f"{gutter} |", "blue"))
                shown_source = source
            out.extend(_snippet(source, extra.span, extra.message, gutter, "blue", paint))
    if d.hints:
        out.append(paint(f"{gutter} |", "blue"))
        out.extend(f"{gutter} {paint('=', 'blue')} {paint('help', 'bold')}: {hint}" for hint in d.hints)
    return "\n".join(out)


def _last_line(d: Diagnostic) -> int:
    assert d.span is not None and d.source is not None
    lines = [d.source.position(d.span.start)[0]]
    lines += [(extra.source or d.source).position(extra.span.start)[0] for extra in d.labels]
    return max(lines)


def _snippet(source: Source, span: Span, label: str, gutter: str, style: str, paint: Any) -> list[str]:
    line, column = source.position(span.start)
    end_line, end_column = source.position(span.end)
    text = source.line_text(line)
    start = column - 1
    end = end_column - 1 if end_line == line else len(text)
    # Long lines (a 10 MB rule) are cut around the span so the snippet stays readable.
    shown, shift = _window(text, start)
    first = min(max(start - shift, 0), len(shown))
    last = min(max(end - shift, first), len(shown))
    # Carets are placed by display cells, not characters: a tab or a wide character moves them.
    printed, cells = _cells(shown)
    underline = " " * cells[first] + "^" * max(1, cells[last] - cells[first])
    number = str(line).rjust(len(gutter))
    return [
        f"{paint(number + ' |', 'blue')} {printed}".rstrip(),
        f"{paint(gutter + ' |', 'blue')} {paint(underline + (' ' + label if label else ''), style)}",
    ]


def _window(text: str, column: int, width: int = 120) -> tuple[str, int]:
    """The part of a line to show around a 0-based column, with `…` where it was cut, and its offset."""
    text = "".join(ch if ch.isprintable() or ch == "\t" else "\ufffd" for ch in text[: column + width * 2])
    if len(text) <= width:
        return text, 0
    start = max(0, column - width // 2)
    shown = text[start : start + width]
    if start > 0:
        shown = "…" + shown[1:]
    if start + width < len(text):
        shown = shown[:-1] + "…"
    return shown, start


def _cells(text: str) -> tuple[str, list[int]]:
    """The text as a terminal shows it (tabs expanded) and the display cell each character starts at."""
    printed: list[str] = []
    cells = [0]
    for ch in text:
        at = cells[-1]
        if ch == "\t":
            step = _TAB_WIDTH - at % _TAB_WIDTH
            printed.append(" " * step)
        else:
            step = _char_width(ch)
            printed.append(ch)
        cells.append(at + step)
    return "".join(printed), cells


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
