"""TOML text with positions: parse a document saying where it is broken, and find where a key is written.

Shared by the schema loader and the project settings, so that both point a problem at its line.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from rare_dsl.diagnostics import Span

_TOML_POSITION = re.compile(
    r"\A(?P<message>.*?)\s*\((?:at line (?P<line>\d+), column (?P<column>\d+)|at end of document)\)\Z", re.S
)


def parse_toml(text: str) -> tuple[dict[str, Any] | None, tuple[Span, str] | None]:
    """The document, or None and where and why it is not valid TOML (a span and a message)."""
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as error:
        match = _TOML_POSITION.match(str(error))
        message = match["message"] if match else str(error)
        at_line = match is not None and match["line"] is not None
        offset = _offset(text, int(match["line"]), int(match["column"])) if at_line else len(text)
        return None, (Span(offset, min(offset + 1, len(text))), f"invalid TOML: {message[:1].lower()}{message[1:]}")
    except RecursionError:
        return None, (Span(0, 0), "invalid TOML: values nested too deeply")


def _offset(text: str, line: int, column: int) -> int:
    """The offset of a 1-based line and column as tomllib counts them (it reads CRLF as one newline)."""
    start = 0
    for _ in range(line - 1):
        found = text.find("\n", start)
        if found == -1:
            return len(text)
        start = found + 1
    return min(start + column - 1, len(text))


class KeyIndex:
    """Where each key path of a TOML text is written, so a problem can point at its line.

    A small scanner, not a parser: it follows headers, dotted keys, strings, comments, arrays and
    inline tables, and tolerates anything else (the text already parsed as TOML when it is used).
    """

    _BARE = re.compile(r"[A-Za-z0-9_-]+")

    def __init__(self, text: str):
        self.text = text
        self.entries: list[tuple[tuple[str, ...], Span]] = []
        self._scan()

    def locate(self, path: tuple[str, ...]) -> Span:
        for wanted in (lambda p: p == path, lambda p: p[: len(path)] == path):
            for found, span in self.entries:
                if path and wanted(found):
                    return span
        for size in range(len(path) - 1, 0, -1):
            for found, span in self.entries:
                if found == path[:size]:
                    return span
        end = self.text.find("\n")
        return Span(0, len(self.text) if end == -1 else end)

    def _scan(self) -> None:
        text, n = self.text, len(self.text)
        header: tuple[str, ...] = ()
        value_path: tuple[str, ...] = ()
        stack: list[tuple[str, tuple[str, ...]]] = []  # open '[' or '{' of values, with their key path
        expect_key = True
        # Entries started on the current line, with the nesting they were written at: their spans grow
        # with each token of their value.
        on_line: list[tuple[int, int]] = []
        i = 0
        while i < n:
            c = text[i]
            if c == "\n":
                on_line.clear()
                expect_key = expect_key or not stack
                i += 1
            elif c in " \t\r":
                i += 1
            elif c == "#":
                end = text.find("\n", i)
                i = n if end == -1 else end
            elif expect_key and not stack and c == "[":
                close = text.find("]", i)
                line_end = text.find("\n", i)
                line_end = n if line_end == -1 else line_end
                parts, _ = self._key(i + 2 if text.startswith("[[", i) else i + 1)
                if parts:
                    header = parts
                    end = close + (2 if text.startswith("]]", close) else 1) if -1 < close < line_end else line_end
                    self.entries.append((header, Span(i, end)))
                i = line_end
            elif expect_key:
                parts, after = self._key(i)
                j = after
                while j < n and text[j] in " \t":
                    j += 1
                if not parts or j >= n or text[j] != "=":
                    end = text.find("\n", i)
                    i = n if end == -1 else end
                    continue
                value_path = (stack[-1][1] if stack else header) + parts
                on_line.append((len(self.entries), len(stack)))
                self.entries.append((value_path, Span(i, j + 1)))
                expect_key = False
                i = j + 1
            else:
                if c in ",]}":  # ends the inline `key = value` written at this nesting
                    on_line = [(index, depth) for index, depth in on_line if depth < len(stack)]
                if c in "\"'":
                    end = self._string_end(i)
                elif c in "[{":
                    container = stack[-1][1] if stack and stack[-1][0] == "[" else value_path
                    stack.append((c, container))
                    expect_key = c == "{"
                    end = i + 1
                elif c in "]}":
                    if stack:
                        stack.pop()
                    end = i + 1
                elif c == ",":
                    expect_key = bool(stack) and stack[-1][0] == "{"
                    end = i + 1
                else:
                    end = i + 1
                line_end = text.find("\n", i)
                line_end = n if line_end == -1 else line_end
                for index, _ in on_line:
                    path, span = self.entries[index]
                    self.entries[index] = (path, Span(span.start, max(span.end, min(end, line_end))))
                i = end

    def _key(self, i: int) -> tuple[tuple[str, ...], int]:
        """A dotted key starting at i (quoted parts unquoted), and the offset after it."""
        text, n = self.text, len(self.text)
        parts: list[str] = []
        while True:
            while i < n and text[i] in " \t":
                i += 1
            if i < n and text[i] in "\"'":
                end = self._string_end(i)
                parts.append(text[i + 1 : end - 1])
                i = end
            else:
                match = self._BARE.match(text, i)
                if not match:
                    return (), i
                parts.append(match.group())
                i = match.end()
            j = i
            while j < n and text[j] in " \t":
                j += 1
            if j < n and text[j] == ".":
                i = j + 1
                continue
            return tuple(parts), i

    def _string_end(self, i: int) -> int:
        """The offset just after the string starting at i (multi-line strings included)."""
        text, quote = self.text, self.text[i]
        if text.startswith(quote * 3, i):
            end = text.find(quote * 3, i + 3)
            if end == -1:
                return len(text)
            end += 3
            while end < len(text) and text[end] == quote:  # up to two quotes may end the content
                end += 1
            return end
        j = i + 1
        while j < len(text) and text[j] != "\n":
            if text[j] == "\\" and quote == '"':
                j += 2
                continue
            if text[j] == quote:
                return j + 1
            j += 1
        return j
