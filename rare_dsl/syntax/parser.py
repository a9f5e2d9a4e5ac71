"""Text to syntax tree: the only module that touches lark.

It loads the grammar once, turns lark's parse tree into `rare_dsl.syntax.ast` nodes with a
non-recursive transformer, and turns lark's exceptions into diagnostics in the user's words. Mistakes
that still leave a clear meaning (`==`, `6m`, a bad escape, `country is "France"`, `$100`) are reported but
parsed, so the checker can go on and report the rest of the rule's problems too.
"""

from __future__ import annotations

import datetime as dt
import functools
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import lark
from lark import Token, Transformer_NonRecursive

from rare_dsl.diagnostics import Diagnostic, RuleError, Source, Span, not_utf8_text, suggest
from rare_dsl.syntax import ast
from rare_dsl.syntax.grammar_cache import load_parser

MAX_SOURCE_CHARS = 1_000_000
MAX_DEPTH = 128

_Parsed = tuple[Any, list[Diagnostic]]


# How the grammar's parser is built; part of the parser cache's key, since other options give other tables.
_LARK_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "propagate_positions": True,
    "maybe_placeholders": True,
    "start": ["rule_text", "rule_file"],
}


@functools.cache
def _lark() -> lark.Lark:
    """The grammar's parser, once per process; its tables come from the parser cache (`grammar_cache`)
    rather than from a fresh LALR analysis whenever they can."""
    # pkgutil rather than importlib.resources, which imports zipfile and tempfile: 10 to 20 ms of every start.
    data = pkgutil.get_data("rare_dsl", "grammar/rare.lark")
    assert data is not None, "the grammar ships in the package"
    return load_parser(data.decode("utf-8").replace("\r\n", "\n"), _LARK_OPTIONS)


# ---------------------------------------------------------------------------------------------- public


def parse(text: str, *, name: str = "<rule>") -> ast.ParsedRule:
    """Parse one rule; raise `RuleError` with every syntax diagnostic found."""
    parsed, diagnostics = parse_rule_lenient(text, name=name)
    if any(d.is_error for d in diagnostics) or parsed is None:
        raise RuleError(diagnostics)
    return parsed


def parse_file(text: str, *, name: str = "<file>") -> ast.RuleFile:
    """Parse a rule file of `segment name:` blocks; raise `RuleError` with every syntax diagnostic."""
    parsed, diagnostics = parse_file_lenient(text, name=name)
    if any(d.is_error for d in diagnostics) or parsed is None:
        raise RuleError(diagnostics)
    return parsed


def parse_rule_lenient(text: str, *, name: str = "<rule>") -> tuple[ast.ParsedRule | None, list[Diagnostic]]:
    """Parse one rule; return the tree (None when it could not be built) and the diagnostics."""
    source = Source(text, name)
    undecodable = not_utf8_text(source, "the rule", _SURROGATE_HINT)
    if undecodable:
        return None, [undecodable]
    problem = _too_big(source)
    if problem:
        return None, [problem]
    rule, diagnostics = _Parser(source, "rule_text").run()
    if rule is None:
        return None, diagnostics
    if not diagnostics and rule.condition is None and not rule.order_by and rule.limit is None:
        diagnostics.append(_empty_rule(source, rule.span))
        return None, diagnostics
    return ast.ParsedRule(source, rule, tuple(_comments(text, 0))), diagnostics


def parse_file_lenient(text: str, *, name: str = "<file>") -> tuple[ast.RuleFile | None, list[Diagnostic]]:
    source = Source(text, name)
    undecodable = not_utf8_text(source, f"`{name}`", _SURROGATE_HINT)
    if undecodable:
        return None, [undecodable]
    problem = _too_big(source)
    if problem:
        return None, [problem]
    segments, diagnostics = _Parser(source, "rule_file").run()
    comments = _comments(text, 0)
    unparsed: tuple[str, ...] = ()
    if segments is None:
        # Parse each `segment` block on its own, so one broken segment does not hide the others' errors,
        # and the blocks that do parse can still be checked.
        # The blocks can all look fine when the problem sits outside them (a stray U+00A0 before the first
        # `segment`): then the whole-file error stands, so a file that failed never comes back without one.
        segments, blocks, unparsed = _parse_blocks(source)
        if not any(d.is_error for d in blocks):
            return None, diagnostics
        diagnostics = blocks
    # Comments by line, computed once: a file of many segments looks its descriptions up in it.
    line_of = {source.position(c.span.start)[0]: c for c in comments}
    segments = tuple(_with_description(s, source, line_of) for s in segments)
    for segment in segments:
        if segment.rule.condition is None and not segment.rule.order_by and segment.rule.limit is None:
            diagnostics.append(_empty_rule(source, segment.rule.span, segment=segment.name))
    return ast.RuleFile(source, segments, tuple(comments), unparsed), diagnostics


# --------------------------------------------------------------------------------------------- helpers


# A str may hold what no text does: a lone surrogate (from JSON's "\ud800", or bytes read with
# errors="surrogateescape"). The compiled SQL could not be sent to an engine, so the rule is refused here.
_SURROGATE_HINT = "a lone surrogate (U+D800 to U+DFFF) is not a character: write the text as UTF-8 characters"


def _too_big(source: Source) -> Diagnostic | None:
    if len(source.text) > MAX_SOURCE_CHARS:
        return Diagnostic(
            "RD006",
            f"input too large: {len(source.text):,} characters (the limit is {MAX_SOURCE_CHARS:,})",
            Span(0, 0),
            source,
            label="the input starts here",
            hints=("split it into several segments",),
        )
    return None


def _empty_rule(source: Source, span: Span, segment: str | None = None) -> Diagnostic:
    where = f"segment `{segment}` has no rule" if segment else "the rule is empty"
    return Diagnostic(
        "RD007",
        where,
        span,
        source,
        label="a condition is expected here",
        hints=('write a condition, e.g. `country = "France"`, or `order by ... limit N` to rank everyone',),
    )


_COMMENT_OR_STRING = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|(#[^\n]*)""")


def _comments(text: str, offset: int) -> list[ast.Comment]:
    return [
        ast.Comment(Span(m.start(1) + offset, m.end(1) + offset), m.group(1).rstrip("\r"))
        for m in _COMMENT_OR_STRING.finditer(text)
        if m.group(1) is not None
    ]


def _with_description(segment: ast.Segment, source: Source, line_of: dict[int, ast.Comment]) -> ast.Segment:
    """A segment's description is the run of `##` lines directly above its `segment` line."""
    line = source.position(segment.span.start)[0] - 1
    lines: list[str] = []
    while line in line_of:
        comment = line_of[line]
        own_line = not source.line_text(line)[: source.position(comment.span.start)[1] - 1].strip()
        if not (own_line and comment.text.startswith("##")):
            break
        lines.append(comment.text[2:].strip())
        line -= 1
    if not lines:
        return segment
    return replace(segment, description="\n".join(reversed(lines)))


_SEGMENT_LINE = re.compile(r"(?im)^[ \t]*segment\b")


def _parse_blocks(source: Source) -> tuple[tuple[ast.Segment, ...], list[Diagnostic], tuple[str, ...]]:
    """Each `segment` block parsed alone: the segments that parse, every block's diagnostics, and the
    names of the segments that do not parse (so references to them are not reported as unknown)."""
    text = source.text
    starts = [m.start() for m in _SEGMENT_LINE.finditer(text)]
    diagnostics: list[Diagnostic] = []
    head = text[: starts[0]] if starts else text
    if _COMMENT_OR_STRING.sub("", head).strip():
        first = len(head) - len(head.lstrip())
        diagnostics.append(
            Diagnostic(
                "RD010",
                "a rule file holds `segment name:` blocks",
                Span(first, min(len(text), first + max(1, len(head.strip().splitlines()[0])))),
                source,
                label="this is outside any segment",
                hints=("start a block with `segment my_segment:` on its own line, then the rule below it",),
            )
        )
    segments: list[ast.Segment] = []
    unparsed: list[str] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        found_segments, found = _Parser(source, "rule_file", start, end).run()
        diagnostics.extend(found)
        if found_segments is None or any(d.is_error for d in found):
            name = _SEGMENT_NAME.match(text, start)
            if name:
                unparsed.append(name.group(1))
        else:
            segments.extend(found_segments)
    return tuple(segments), diagnostics, tuple(unparsed)


_SEGMENT_NAME = re.compile(r"[ \t]*segment[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


# ------------------------------------------------------------------------------------------ the parser


class _Parser:
    """One parse of `source.text[start:end]` with the given start symbol; spans are in the whole text."""

    def __init__(self, source: Source, start_symbol: str, start: int = 0, end: int | None = None):
        self.source = source
        self.start_symbol = start_symbol
        self.offset = start
        self.text = source.text[start:end]

    def run(self) -> _Parsed:
        builder = _Builder(self.source, self.offset)
        repaired: list[Diagnostic] = []
        while True:
            try:
                tree = _lark().parse(self.text, start=self.start_symbol)
                break
            except lark.exceptions.UnexpectedInput as error:
                repair = self._repair(error) if len(repaired) < MAX_REPAIRS else None
                if repair is None:
                    return None, [*repaired, self._syntax_error(error)]
                diagnostic, self.text = repair
                repaired.append(diagnostic)
        result = builder.transform(tree)
        diagnostics = builder.diagnostics
        for diagnostic in repaired:
            # In the order of the text, the builder's own order left as it is.
            start = diagnostic.span.start if diagnostic.span else 0
            later = (i for i, d in enumerate(diagnostics) if d.span is not None and d.span.start > start)
            diagnostics.insert(next(later, len(diagnostics)), diagnostic)
        nodes = result if isinstance(result, tuple) else (result,)
        for node in nodes:
            if ast.depth(node) > MAX_DEPTH:
                return None, [
                    Diagnostic(
                        "RD006",
                        f"the rule is nested too deeply (more than {MAX_DEPTH} levels)",
                        node.span,
                        self.source,
                        label="this rule",
                        hints=("split it into simpler conditions, or into segments joined with `in_segment`",),
                    )
                ]
        return result, diagnostics

    # ------------------------------------------------------------------------------------- repairs

    def _repair(self, error: lark.exceptions.UnexpectedInput) -> tuple[Diagnostic, str] | None:
        """A mistake whose meaning is clear (`country is "France"`, `$100`): its diagnostic and the text
        with it mended. The mended text keeps every other character where it was, so the spans of the
        parse that goes on are spans of what the user wrote."""
        if isinstance(error, lark.exceptions.UnexpectedCharacters):
            return self._currency_sign(error.pos_in_stream)
        if isinstance(error, lark.exceptions.UnexpectedToken) and error.token.type != "$END":
            return self._is_as_operator(error.token)
        return None

    def _mended(self, start: int, end: int, replacement: str) -> str:
        return self.text[:start] + replacement.ljust(end - start) + self.text[end:]

    def _currency_sign(self, pos: int) -> tuple[Diagnostic, str] | None:
        """`total_spent > $100` or `100€`: amounts are plain numbers."""
        sign = self.text[pos]
        if sign not in _CURRENCY_SIGNS:
            return None
        after = _NUMBER.match(self.text, pos + 1)
        number = after or _NUMBER_BEFORE.search(self.text, 0, pos)
        if number is None:
            return None
        amount = number.group(0)
        # The user's own comparison when it is a field and the amount (`total_spent > $100`).
        tail = self._tokens_before(number.start())[-2:]
        if len(tail) == 2 and tail[0].type == "NAME" and tail[1].type == "COMPARE":
            example = f"{tail[0].value} {tail[1].value} {amount}"
        else:
            example = amount
        diagnostic = Diagnostic(
            "RD008",
            "amounts are written without a currency sign",
            self._span(pos, pos + 1),
            self.source,
            label=f"remove the `{sign}`",
            hints=(f"amounts have no currency sign: write `{example}`",),
        )
        return diagnostic, self._mended(pos, pos + 1, "")

    def _is_as_operator(self, token: Token) -> tuple[Diagnostic, str] | None:
        """`country is "France"`, `country is not "France"`, `last_order_date is within 30d`: `is` only
        comes in `is set` and `is not set`."""
        before = self._tokens_before(token.start_pos)
        if before and before[-1].type == "IS":
            first, last, negated = before[-1], before[-1], False
        elif len(before) >= 2 and before[-1].type == "NOT" and before[-2].type == "IS":
            first, last, negated = before[-2], before[-1], True
        else:
            return None
        written = "is not" if negated else "is"
        span = self._span(first.start_pos, last.end_pos)
        if token.type in _STARTS_OPERAND:
            better = "!=" if negated else "="
            # The user's own comparison when it is a field and one value (`country is "France"`), else
            # an example of the shape.
            subject = before[-3 if negated else -2] if len(before) > (2 if negated else 1) else None
            # A bare word after `is` is meant as text (`country is France`), so the example quotes it.
            example = f'e.g. `country {better} "France"`'
            if subject is not None and subject.type == "NAME" and token.type in _ONE_TOKEN_VALUE:
                right = f'"{token.value}"' if token.type == "NAME" else token.value
                example = f"`{subject.value} {better} {right}`"
            diagnostic = Diagnostic(
                "RD005",
                f"`{written}` is not an operator here",
                span,
                self.source,
                label=f"write `{better}`",
                hints=(f"rules compare with `{better}`: {example}",
                       "`is` only comes in `is set` and `is not set`"),
            )
            return diagnostic, self._mended(first.start_pos, last.end_pos, better)
        if token.type in _AFTER_IS_BY_MISTAKE:
            # `is in`, `is not within`: the operator is right, and takes its `not` without `is`.
            word = f"not {token.value}" if negated else token.value
            diagnostic = Diagnostic(
                "RD005",
                f"`is` is not needed before `{word}`",
                self._span(first.start_pos, first.end_pos),
                self.source,
                label="remove `is`",
                hints=(f"write `{word}` on its own; `is` only comes in `is set` and `is not set`",),
            )
            return diagnostic, self._mended(first.start_pos, first.end_pos, "")
        return None

    # -------------------------------------------------------------------------------- syntax errors

    def _span(self, start: int, end: int) -> Span:
        return Span(start + self.offset, end + self.offset)

    def _tokens_before(self, pos: int) -> list[Token]:
        """The tokens before `pos`, lexed again without the parser; stops at the first lexing problem."""
        tokens: list[Token] = []
        try:
            for token in _lark().lex(self.text):
                if token.start_pos is None or token.start_pos >= pos:
                    break
                if token.type not in ("COMMENT", "WHITESPACE"):
                    tokens.append(token)
        except lark.exceptions.LarkError:
            pass
        return tokens

    def _syntax_error(self, error: lark.exceptions.UnexpectedInput) -> Diagnostic:
        if isinstance(error, lark.exceptions.UnexpectedCharacters):
            return self._bad_character(error.pos_in_stream)
        assert isinstance(error, lark.exceptions.UnexpectedToken)
        # `accepts` asks the parser what it would really take next; `expected` is the LALR state's
        # terminal set, which merged states make too wide. Fall back to it only when needed.
        accepts = getattr(error, "accepts", None) or error.expected
        return self._unexpected_token(error.token, set(accepts))

    def _bad_character(self, pos: int) -> Diagnostic:
        char = self.text[pos]
        source = self.source
        if char in "\"'":
            line_end = self.text.find("\n", pos)
            line_end = len(self.text) if line_end == -1 else line_end
            return Diagnostic(
                "RD002",
                "unclosed text",
                self._span(pos, max(pos + 1, line_end)),
                source,
                label="this text is never closed",
                hints=(f"end it with {char} on the same line (write \\n for a line break)",),
            )
        if char == "&" or char == "|":
            word = "and" if char == "&" else "or"
            return Diagnostic(
                "RD005",
                f"`{char}` is not an operator here",
                self._span(pos, pos + 1),
                source,
                label=f"write `{word}`",
                hints=(f"conditions are joined with `{word}`",),
            )
        shown = char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
        return Diagnostic(
            "RD001",
            f"unexpected character `{shown}`",
            self._span(pos, pos + 1),
            source,
            label="not part of the language",
            hints=(_hint_for_char(char),) if _hint_for_char(char) else (),
        )

    def _unexpected_token(self, token: Token, expected: set[str]) -> Diagnostic:
        source = self.source
        at_end = token.type == "$END"
        pos = len(self.text) if at_end else token.start_pos
        before = self._tokens_before(pos)
        previous = before[-1] if before else None
        span = self._span(pos, pos) if at_end else self._span(token.start_pos, token.end_pos)
        found = "end of the rule" if at_end else f"`{_shorten(token.value)}`"
        wanted = _describe_expected(expected)

        # Durations written in words: `6 months`, `30 days`.
        if previous is not None and previous.type == "NUMBER" and token.type == "NAME":
            unit = _UNIT_WORDS.get(token.value.lower())
            if unit:
                amount = previous.value
                return Diagnostic(
                    "RD009",
                    f"durations are written without a space: `{amount}{unit}`",
                    self._span(previous.start_pos, token.end_pos),
                    source,
                    label=f"write `{amount}{unit}`",
                    hints=(_UNITS_HELP,),
                )
        # An unmatched or unclosed bracket.
        opened = _open_brackets(before)
        if token.type in ("RPAR", "RSQB") and not any(t.type == _OPENER[token.type] for t in opened):
            return Diagnostic(
                "RD003",
                f"unmatched `{token.value}`",
                span,
                source,
                label="nothing opens this",
                hints=("remove it, or add the opening bracket where the group starts",),
            )
        if at_end and opened and ({"RPAR", "RSQB"} & expected):
            last = opened[-1]
            closer = ")" if last.type == "LPAR" else "]"
            return Diagnostic(
                "RD003",
                f"unclosed `{last.value}`",
                self._span(last.start_pos, last.end_pos),
                source,
                label="this is never closed",
                hints=(f"add `{closer}` where the group ends",),
            )
        # A joining word or an operator with nothing after it, or nothing before it.
        if previous is not None and previous.type in _NEEDS_RIGHT and token.type in _ENDS_OPERAND:
            word = previous.value
            what = "a condition" if previous.type in ("AND", "OR", "NOT", "AMPERSANDS", "PIPES", "BANG") else "a value"
            return Diagnostic(
                "RD007",
                f"`{word}` needs {what} after it",
                self._span(previous.start_pos, previous.end_pos),
                source,
                label=f"{what} is missing after this",
                hints=(f"remove the `{word}`, or complete the rule",),
            )
        if token.type in _NEEDS_LEFT and (previous is None or previous.type in _NEEDS_RIGHT | {"LPAR"}):
            what = "a condition" if token.type in ("AND", "OR", "AMPERSANDS", "PIPES") else "a value"
            return Diagnostic(
                "RD007",
                f"`{token.value}` needs {what} before it",
                span,
                source,
                label="nothing to compare",
                hints=('write both sides, e.g. `country = "France"`',),
            )
        if previous is not None and previous.type == "ORDER" and token.type != "BY":
            return Diagnostic(
                "RD001", "expected `by` after `order`", span, source, label="write `order by`"
            )
        if token.type == "COMMA" and opened and opened[-1].type == "LPAR":
            index = before.index(opened[-1])
            if index > 0 and before[index - 1].type == "IN":
                return Diagnostic(
                    "RD207",
                    "a list is written in square brackets",
                    self._span(opened[-1].start_pos, opened[-1].end_pos),
                    source,
                    label="write `[` here and `]` at the end",
                    hints=('e.g. `country in ["France", "Spain"]`',),
                )
        hints: tuple[str, ...] = ()
        if token.type == "NAME" and previous is not None and previous.type in _OPERAND_END:
            hints = ("join conditions with `and` or `or`, or compare with an operator such as `=`",)
        if token.type == "COMPARE" and any(t.type == "COMPARE" for t in before):
            hints = ("comparisons do not chain: write `a < b and b < c`",)
        if token.type == "ORDER" and any(t.type == "LIMIT" for t in before):
            hints = ("`order by` comes before `limit`: `order by engagement(6mo) desc limit 100`",)
        sql_word = next((t.value.lower() for t in [*before, token] if t.value.lower() in _SQL_WORDS), None)
        if sql_word:
            hints = (_SQL_WORDS[sql_word],)
        message = f"unexpected {found}"
        if wanted:
            message += f"; expected {wanted}"
        return Diagnostic("RD001", message, span, source, label="unexpected here", hints=hints)


def _shorten(text: str, width: int = 30) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"


def _open_brackets(tokens: list[Token]) -> list[Token]:
    stack: list[Token] = []
    for token in tokens:
        if token.type in ("LPAR", "LSQB"):
            stack.append(token)
        elif token.type in ("RPAR", "RSQB") and stack and stack[-1].type == _OPENER[token.type]:
            stack.pop()
    return stack


def _hint_for_char(char: str) -> str:
    return {
        "{": "group conditions with `(` and `)`",
        "}": "group conditions with `(` and `)`",
        ";": "a rule is one expression: join conditions with `and` or `or`",
        "%": "to match part of a text, use `contains`, `starts with` or `ends with`",
        "`": 'write text in double quotes: "France"',
        "$": "parameters are not part of a rule: write the value itself",
        "?": "parameters are not part of a rule: write the value itself",
        "@": 'write text in double quotes: "ann@example.com"',
    }.get(char, "")


_OPENER = {"RPAR": "LPAR", "RSQB": "LSQB"}
# At most this many mistakes are mended (and the text parsed again) per rule or segment block: a parse per
# repair, so a pasted page full of `$` costs a bounded time.
MAX_REPAIRS = 20
_CURRENCY_SIGNS = frozenset("$€£¥₹")
_NUMBER = re.compile(r"\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?")
_NUMBER_BEFORE = re.compile(r"\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?$")
_STARTS_OPERAND = {"NAME", "STRING", "NUMBER", "DURATION", "DATE", "TIMESTAMP", "TRUE", "FALSE", "LSQB", "LPAR",
                   "MINUS"}
_ONE_TOKEN_VALUE = {"NAME", "STRING", "NUMBER", "DURATION", "DATE", "TIMESTAMP", "TRUE", "FALSE"}
_AFTER_IS_BY_MISTAKE = {"IN", "BETWEEN", "CONTAINS", "STARTS", "ENDS", "WITHIN"}
_NEEDS_RIGHT = {
    "AND", "OR", "NOT", "AMPERSANDS", "PIPES", "BANG", "COMPARE", "BETWEEN", "IN", "CONTAINS", "WITH",
    "WITHIN", "PLUS", "MINUS", "STAR", "SLASH", "LIKE", "ILIKE", "LIMIT", "BY", "IS",
}
_NEEDS_LEFT = {"COMPARE", "BETWEEN", "IN", "CONTAINS", "STARTS", "ENDS", "WITHIN", "IS", "STAR", "SLASH",
               "AND", "OR", "AMPERSANDS", "PIPES", "LIKE", "ILIKE"}
_ENDS_OPERAND = {"$END", "RPAR", "RSQB", "COMMA", "AND", "OR", "ORDER", "LIMIT", "SEGMENT", "AMPERSANDS",
                 "PIPES", "COMPARE"}
_OPERAND_END = {"NAME", "STRING", "NUMBER", "DURATION", "DATE", "TIMESTAMP", "RPAR", "RSQB", "TRUE", "FALSE",
                "AGO", "SET", "NULL"}
_SQL_WORDS = {
    "where": "a rule is only the condition: leave out `select ... where`",
    "select": "a rule is only the condition: leave out `select ... where`",
    "from": "a rule is only the condition: leave out `select ... from`",
    "xor": "write `(a and not b) or (not a and b)`",
}
_UNIT_WORDS = {
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
    "w": "w", "wk": "w", "wks": "w", "week": "w", "weeks": "w",
    "m": "mo", "mo": "mo", "mos": "mo", "mon": "mo", "month": "mo", "months": "mo",
    "y": "y", "yr": "y", "yrs": "y", "year": "y", "years": "y",
}
_UNITS_HELP = "units are h (hours), d (days), w (weeks), mo (months) and y (years), e.g. `6mo`"

# How the parser's expectations read to a marketer; the order is the order they are listed in.
_EXPECTED_WORDS: list[tuple[frozenset[str], str]] = [
    (frozenset({"NAME", "STRING", "NUMBER", "DURATION", "DATE", "TIMESTAMP", "TRUE", "FALSE", "LSQB"}),
     "a value (a field, a function call, text, a number, a date or a duration)"),
    (frozenset({"COMPARE", "BETWEEN", "IN", "CONTAINS", "STARTS", "ENDS", "IS", "WITHIN"}),
     "an operator such as `=`, `in`, `contains` or `is set`"),
    (frozenset({"AND", "OR"}), "`and` or `or`"),
    (frozenset({"SET"}), "`set`"),
    (frozenset({"WITH"}), "`with`"),
    (frozenset({"BY"}), "`by`"),
    (frozenset({"AGO"}), "`ago`"),
    (frozenset({"RPAR"}), "`)`"),
    (frozenset({"RSQB"}), "`]`"),
    (frozenset({"COLON"}), "`:`"),
    (frozenset({"COMMA"}), "`,`"),
    (frozenset({"SEGMENT"}), "`segment name:`"),
    (frozenset({"$END"}), "the end of the rule"),
]


def _describe_expected(expected: set[str]) -> str:
    phrases = [phrase for names, phrase in _EXPECTED_WORDS if names & expected]
    if not phrases:
        return ""
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " or " + phrases[-1]


# ------------------------------------------------------------------------------------ tree to AST


_ESCAPE = re.compile(r"\\(u(?:[0-9a-fA-F]{4})?|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}
_DURATION = re.compile(r"(?P<amount>\d+(?:_\d+)*(?:\.\d+)?)(?P<unit>[a-z]+)", re.IGNORECASE)
_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?"
)


@dataclass
class _Operator:
    """An operator token as the tree hands it on: its normalized spelling and span."""

    op: str
    span: Span


class _Builder(Transformer_NonRecursive):
    """lark tree → AST; records the recoverable mistakes it meets as diagnostics.

    Each rule's method takes the tree's meta and its transformed children, as `v_args(meta=True)` would
    pass them; `_call_userfunc` calls it directly.
    """

    def __init__(self, source: Source, offset: int):
        # No method handles a token on its own, and asking for one per token (a failed lookup each) was a
        # fifth of a short rule's transform.
        super().__init__(visit_tokens=False)
        self.source = source
        self.offset = offset
        self.diagnostics: list[Diagnostic] = []

    def _call_userfunc(self, tree: lark.Tree, new_children: list[Any] | None = None) -> Any:
        # lark's own dispatch goes through `v_args`, which builds a wrapper (with `functools.update_wrapper`)
        # for every node: a quarter of transforming a rule.
        children = new_children if new_children is not None else tree.children
        method = getattr(self, tree.data, None)
        if method is None:
            return self.__default__(tree.data, children, tree.meta)
        return method(tree.meta, children)

    # ----------------------------------------------------------------------------------- plumbing

    def _meta_span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.offset, self.offset)
        return Span(meta.start_pos + self.offset, meta.end_pos + self.offset)

    def _tok(self, token: Token) -> Span:
        return Span(token.start_pos + self.offset, token.end_pos + self.offset)

    def _report(self, code: str, message: str, span: Span, label: str = "", *hints: str) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, self.source, label=label, hints=hints))

    # ------------------------------------------------------------------------------- rules, files

    def rule_text(self, meta: Any, children: list[Any]) -> ast.Rule:
        return children[0]

    def rule_file(self, meta: Any, children: list[Any]) -> tuple[ast.Segment, ...]:
        return tuple(children)

    def segment(self, meta: Any, children: list[Any]) -> ast.Segment:
        _keyword, name, rule = children
        name_span = self._tok(name)
        if rule.span.start == rule.span.end == self.offset:
            # An empty rule has no position of its own: put it right after `name:`.
            rule = replace(rule, span=Span(name_span.end + 1, name_span.end + 1))
        if name.value != name.value.lower():
            self._report("RD008", f"segment names are lower-case: `{name.value.lower()}`", name_span,
                         "write the name in lower case")
        return ast.Segment(self._meta_span(meta), name.value, name_span, None, rule)

    def rule(self, meta: Any, children: list[Any]) -> ast.Rule:
        condition, ordering, limit = children
        return ast.Rule(self._meta_span(meta), condition, tuple(ordering or ()), limit)

    def ordering(self, meta: Any, children: list[Any]) -> tuple[ast.OrderKey, ...]:
        return tuple(c for c in children if isinstance(c, ast.OrderKey))

    def order_key(self, meta: Any, children: list[Any]) -> ast.OrderKey:
        expr, direction = children
        descending = direction is not None and direction.type == "DESC"
        return ast.OrderKey(self._meta_span(meta), expr, descending)

    def limit(self, meta: Any, children: list[Any]) -> ast.Limit:
        return ast.Limit(self._meta_span(meta), children[1])

    # -------------------------------------------------------------------------------- conditions

    def or_op(self, meta: Any, children: list[Any]) -> Token:
        token = children[0]
        if token.type == "PIPES":
            self._report("RD005", "`||` is not an operator here", self._tok(token), "write `or`",
                         "conditions are joined with `or`")
        return token

    def and_op(self, meta: Any, children: list[Any]) -> Token:
        token = children[0]
        if token.type == "AMPERSANDS":
            self._report("RD005", "`&&` is not an operator here", self._tok(token), "write `and`",
                         "conditions are joined with `and`")
        return token

    def or_expr(self, meta: Any, children: list[Any]) -> ast.Or:
        return ast.Or(self._meta_span(meta), tuple(c for c in children if not isinstance(c, Token)))

    def and_expr(self, meta: Any, children: list[Any]) -> ast.And:
        return ast.And(self._meta_span(meta), tuple(c for c in children if not isinstance(c, Token)))

    def not_(self, meta: Any, children: list[Any]) -> ast.Not:
        token, operand = children
        if token.type == "BANG":
            self._report("RD005", "`!` is not an operator here", self._tok(token), "write `not`",
                         "negate a condition with `not`")
        return ast.Not(self._meta_span(meta), operand)

    def compare(self, meta: Any, children: list[Any]) -> ast.Compare:
        left, token, right = children
        op = token.value
        if op in ("==", "<>"):
            better = "=" if op == "==" else "!="
            self._report("RD005", f"`{op}` is not an operator here", self._tok(token), f"write `{better}`",
                         f"equality is `=` and inequality is `!=`; `{op}` comes from another language")
            op = better
        return ast.Compare(self._meta_span(meta), op, self._tok(token), left, right)

    def between(self, meta: Any, children: list[Any]) -> ast.Between:
        value, negation, _between, low, _and, high = children
        return ast.Between(self._meta_span(meta), value, low, high, negation is not None)

    def in_(self, meta: Any, children: list[Any]) -> ast.In:
        value, negation, _in, options = children
        return ast.In(self._meta_span(meta), value, options, negation is not None)

    def _text_match(self, op: str, meta: Any, children: list[Any]) -> ast.TextMatch:
        value, negation, *words, pattern = children
        op_span = self._tok(words[0]).cover(self._tok(words[-1]))
        return ast.TextMatch(self._meta_span(meta), op, op_span, value, pattern, negation is not None)

    def contains(self, meta: Any, children: list[Any]) -> ast.TextMatch:
        return self._text_match("contains", meta, children)

    def starts_with(self, meta: Any, children: list[Any]) -> ast.TextMatch:
        return self._text_match("starts with", meta, children)

    def ends_with(self, meta: Any, children: list[Any]) -> ast.TextMatch:
        return self._text_match("ends with", meta, children)

    def within(self, meta: Any, children: list[Any]) -> ast.Within:
        value, negation, _within, window = children
        return ast.Within(self._meta_span(meta), value, window, negation is not None)

    def is_set(self, meta: Any, children: list[Any]) -> ast.IsSet:
        value, _is, negation, word = children
        # `is null` asks whether the value is missing, so it is `is not set`; `is not null` is `is set`.
        negated = (negation is not None) != (word.type == "NULL")
        return ast.IsSet(self._meta_span(meta), value, negated)

    def like(self, meta: Any, children: list[Any]) -> ast.TextMatch:
        value, negation, keyword, pattern = children
        op, text = "contains", None
        if isinstance(pattern, ast.Text):
            raw = pattern.value
            body = raw.strip("%")
            if raw.startswith("%") and raw.endswith("%") and len(raw) > 1:
                op = "contains"
            elif raw.endswith("%"):
                op = "starts with"
            elif raw.startswith("%"):
                op = "ends with"
            text = body
        not_ = "not " if negation is not None else ""
        better = f'{not_}{op} "{text}"' if text is not None and "%" not in text and "_" not in text else None
        self._report(
            "RD005",
            f"`{keyword.value}` is not an operator here",
            self._tok(keyword),
            f"write `{better}`" if better else "use `contains`, `starts with` or `ends with`",
            "`contains`, `starts with` and `ends with` ignore case and match `%` and `_` literally",
        )
        if isinstance(pattern, ast.Text) and text is not None:
            pattern = ast.Text(pattern.span, text)
        return ast.TextMatch(self._meta_span(meta), op, self._tok(keyword), value, pattern, negation is not None)

    # -------------------------------------------------------------------------------- expressions

    def arith(self, meta: Any, children: list[Any]) -> ast.Arithmetic:
        left, op, right = children
        return ast.Arithmetic(self._meta_span(meta), op.value, left, right)

    def negate(self, meta: Any, children: list[Any]) -> ast.Expr:
        _minus, operand = children
        span = self._meta_span(meta)
        if isinstance(operand, ast.Number):
            # A negative number is a literal, so that `[-1, 2]` and `limit -5` read as plain values.
            return ast.Number(span, -operand.value, "-" + operand.raw)
        return ast.Negate(span, operand)

    def group(self, meta: Any, children: list[Any]) -> ast.Expr:
        return children[1]

    def name(self, meta: Any, children: list[Any]) -> ast.Name:
        return ast.Name(self._tok(children[0]), children[0].value)

    def call(self, meta: Any, children: list[Any]) -> ast.Call:
        name = children[0]
        args = tuple(c for c in children if isinstance(c, ast.Argument))
        return ast.Call(self._meta_span(meta), name.value, self._tok(name), args)

    def named_arg(self, meta: Any, children: list[Any]) -> ast.Argument:
        name, value = children
        return ast.Argument(self._meta_span(meta), name.value, self._tok(name), value)

    def positional_arg(self, meta: Any, children: list[Any]) -> ast.Argument:
        return ast.Argument(self._meta_span(meta), None, None, children[0])

    def list(self, meta: Any, children: list[Any]) -> ast.ListLiteral:
        items = tuple(c for c in children if c is not None and not isinstance(c, Token))
        return ast.ListLiteral(self._meta_span(meta), items)

    # ----------------------------------------------------------------------------------- literals

    def text(self, meta: Any, children: list[Any]) -> ast.Text:
        token = children[0]
        return ast.Text(self._tok(token), self._unescape(token))

    def _unescape(self, token: Token) -> str:
        body = token.value[1:-1]
        base = token.start_pos + 1 + self.offset

        def replace_escape(match: re.Match[str]) -> str:
            seq = match.group(1)
            if seq in _SIMPLE_ESCAPES:
                return _SIMPLE_ESCAPES[seq]
            if seq.startswith("u") and len(seq) == 5:
                char = chr(int(seq[1:], 16))
                if not 0xD800 <= ord(char) <= 0xDFFF:
                    return char
            span = Span(base + match.start(), base + match.end())
            self._report("RD004", f"invalid escape `{_shorten(match.group(0))}` in text", span,
                         "not an escape", "escapes are \\\\ \\\" \\' \\n \\t and \\u followed by 4 hex digits")
            return match.group(0)

        return _ESCAPE.sub(replace_escape, body)

    def number(self, meta: Any, children: list[Any]) -> ast.Number:
        token = children[0]
        raw = token.value
        digits = raw.replace("_", "")
        if not ast.number_in_range(digits):
            self._report("RD210", "number out of range", self._tok(token), "too many digits",
                         f"numbers have at most {ast.MAX_INTEGER_DIGITS} digits before the decimal point and "
                         f"{ast.MAX_FRACTION_DIGITS} after")
            digits = "0"
        value: int | Decimal = Decimal(digits) if "." in digits else int(digits)
        return ast.Number(self._tok(token), value, raw)

    def true(self, meta: Any, children: list[Any]) -> ast.Boolean:
        return ast.Boolean(self._tok(children[0]), True)

    def false(self, meta: Any, children: list[Any]) -> ast.Boolean:
        return ast.Boolean(self._tok(children[0]), False)

    def null(self, meta: Any, children: list[Any]) -> ast.Null:
        return ast.Null(self._tok(children[0]))

    def date(self, meta: Any, children: list[Any]) -> ast.Date:
        token = children[0]
        try:
            value = dt.date.fromisoformat(token.value)
        except ValueError:
            self._report("RD008", f"`{token.value}` is not a date of the calendar", self._tok(token),
                         "no such day", "dates are written YYYY-MM-DD, e.g. 2026-01-31")
            value = dt.date(1970, 1, 1)
        if not ast.FIRST_INSTANT.date() <= value <= ast.LAST_INSTANT.date():
            self._out_of_time(token)
            value = dt.date(1970, 1, 1)
        return ast.Date(self._tok(token), value)

    def _out_of_time(self, token: Token) -> None:
        self._report("RD210", f"`{token.value}` is out of range", self._tok(token), "outside the years engines hold",
                     f"dates and timestamps are between {ast.FIRST_INSTANT.date()} and {ast.LAST_INSTANT.date()}")

    def timestamp(self, meta: Any, children: list[Any]) -> ast.Timestamp:
        token = children[0]
        value = _read_timestamp(token.value)
        if value is None:
            self._report("RD008", f"`{token.value}` is not a valid timestamp", self._tok(token),
                         "no such time", "timestamps are written like 2026-01-31T09:30:00Z (UTC)")
            value = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        naive = value.astimezone(dt.UTC).replace(tzinfo=None) if value.year not in (1, 9999) else None
        if naive is None or not ast.FIRST_INSTANT <= naive <= ast.LAST_INSTANT:
            self._out_of_time(token)
            value = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return ast.Timestamp(self._tok(token), value)

    def duration(self, meta: Any, children: list[Any]) -> ast.Duration:
        token = children[0]
        return self._duration(token)

    def _duration(self, token: Token) -> ast.Duration:
        span = self._tok(token)
        match = _DURATION.fullmatch(token.value)
        assert match is not None  # the terminal's own pattern
        amount_text, unit = match.group("amount"), match.group("unit").lower()
        known = _UNIT_WORDS.get(unit)
        if "." in amount_text:
            units = ast.DURATION_UNITS.get(known or "", "units")
            self._report("RD009", f"`{token.value}` is not a whole number of {units}",
                         span, "a duration is a whole number", "use a smaller unit, e.g. `36h` for 1.5 days")
            amount = int(Decimal(amount_text.replace("_", "")))
        elif len(amount_text.replace("_", "").lstrip("0")) > ast.MAX_INTEGER_DIGITS:
            amount = 10 ** ast.MAX_INTEGER_DIGITS  # longer than any limit: `check` reports it (RD205)
        else:
            amount = int(amount_text.replace("_", ""))
        if unit not in ast.DURATION_UNITS:
            if known:
                fixed = f"{amount_text}{known}"
                self._report("RD009", f"`{unit}` is not a duration unit", span, f"did you mean `{fixed}`?",
                             _UNITS_HELP)
            else:
                close = suggest(unit, list(ast.DURATION_UNITS), cutoff=0.5)
                extra = (f"did you mean `{amount_text}{close}`?",) if close else ()
                self._report("RD009", f"`{unit}` is not a duration unit", span, "unknown unit", *extra, _UNITS_HELP)
            unit = known or "d"
        return ast.Duration(span, amount, unit)

    def ago(self, meta: Any, children: list[Any]) -> ast.Ago:
        duration = self._duration(children[0])
        return ast.Ago(self._meta_span(meta), duration)


def _read_timestamp(text: str) -> dt.datetime | None:
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    try:
        date = dt.date.fromisoformat(match.group("date"))
        fraction = (match.group("f") or "").ljust(6, "0")[:6]
        value = dt.datetime(date.year, date.month, date.day, int(match.group("h")), int(match.group("m")),
                            int(match.group("s") or 0), int(fraction or 0))
    except ValueError:
        return None
    zone = match.group("zone")
    offset = dt.timedelta(0)
    if zone and zone not in "Zz":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        offset = sign * dt.timedelta(hours=hours, minutes=minutes)
    return (value - offset).replace(tzinfo=dt.UTC)


def iter_tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) for each token of `text`, comments included; stops quietly at a lexing error.

    For highlighting and completion: the same terminals the parser uses, so the colors never disagree
    with the grammar.
    """
    try:
        for token in _lark().lex(text, dont_ignore=True):
            if token.type != "WHITESPACE":
                yield token.type, token.start_pos, token.end_pos
    except lark.exceptions.LarkError:
        return
