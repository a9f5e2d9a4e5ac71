"""Highlighting: the grammar's own tokens (`iter_tokens`) mapped to style classes, plus the error span.

The colors can never disagree with the parser, since they come from the same terminals. The span of the
first error diagnostic, when the caller gives one, is drawn on top of the token colors.
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer

from rare_dsl.diagnostics import Span
from rare_dsl.schema import Schema
from rare_dsl.syntax.parser import iter_tokens

# Terminal → style class. Names are split into fields and functions by the schema; anything else the
# lexer does not know (a stray character) is left plain, and the checker's span marks it.
_STYLES = {
    "STRING": "class:rare.text",
    "NUMBER": "class:rare.number",
    "DURATION": "class:rare.literal",
    "DATE": "class:rare.literal",
    "TIMESTAMP": "class:rare.literal",
    "TRUE": "class:rare.literal",
    "FALSE": "class:rare.literal",
    "NULL": "class:rare.literal",
    "COMMENT": "class:rare.comment",
    "COMPARE": "class:rare.operator",
    "PLUS": "class:rare.operator",
    "MINUS": "class:rare.operator",
    "STAR": "class:rare.operator",
    "SLASH": "class:rare.operator",
    "PIPES": "class:rare.operator",
    "AMPERSANDS": "class:rare.operator",
    "BANG": "class:rare.operator",
}
_PUNCTUATION = frozenset({"LPAR", "RPAR", "LSQB", "RSQB", "COMMA", "COLON"})

STYLE = {
    "rare.keyword": "bold ansimagenta",
    "rare.field": "ansicyan",
    "rare.function": "ansiblue bold",
    "rare.unknown": "",
    "rare.text": "ansigreen",
    "rare.number": "ansiyellow",
    "rare.literal": "ansiyellow",
    "rare.comment": "italic ansibrightblack",
    "rare.operator": "bold",
    "rare.command": "bold ansiblue",
    "rare.error": "underline ansired",
}


def token_styles(text: str, schema: Schema) -> list[tuple[str, int, int]]:
    """(style class, start, end) for each token of `text`: the pure part of the lexer."""
    styled: list[tuple[str, int, int]] = []
    tokens = list(iter_tokens(text))
    for index, (kind, start, end) in enumerate(tokens):
        if kind == "NAME":
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            word = text[start:end].lower()
            called = following is not None and following[0] == "LPAR"
            if called or (word in schema.functions and word not in schema.fields):
                style = "class:rare.function"
            elif word in schema.fields:
                style = "class:rare.field"
            else:
                style = "class:rare.unknown"
        elif kind in _STYLES:
            style = _STYLES[kind]
        elif kind in _PUNCTUATION:
            style = ""
        else:
            style = "class:rare.keyword"  # every other terminal is a keyword of the grammar
        styled.append((style, start, end))
    return styled


class RuleLexer(Lexer):
    """prompt-toolkit adapter: styles per line, with `error_span(text)` underlined."""

    def __init__(self, schema: Callable[[], Schema], error_span: Callable[[str], Span | None] | None = None):
        self.schema = schema
        self.error_span = error_span or (lambda text: None)

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        text = document.text
        styles = [""] * len(text)
        if text.lstrip().startswith(":"):
            word_end = len(text.split(None, 1)[0]) + (len(text) - len(text.lstrip()))
            styles[:word_end] = ["class:rare.command"] * word_end
        else:
            for style, start, end in token_styles(text, self.schema()):
                styles[start:end] = [style] * (end - start)
            span = self.error_span(text)
            if span is not None:
                # An error at the very end (a missing operand) has no characters: mark the last one.
                start, end = span.start, max(span.end, span.start + 1)
                start, end = min(start, max(len(text) - 1, 0)), min(end, len(text))
                for i in range(start, end):
                    styles[i] = (styles[i] + " class:rare.error").strip()
        lines: list[StyleAndTextTuples] = []
        offset = 0
        for line in document.lines:
            fragments: StyleAndTextTuples = []
            for i, char in enumerate(line):
                style = styles[offset + i]
                if fragments and fragments[-1][0] == style:
                    fragments[-1] = (style, fragments[-1][1] + char)
                else:
                    fragments.append((style, char))
            lines.append(fragments)
            offset += len(line) + 1

        def get_line(number: int) -> StyleAndTextTuples:
            return lines[number] if 0 <= number < len(lines) else []

        return get_line
