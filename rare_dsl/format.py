"""Syntax tree and comments to canonical text: the formatting stage of the pipeline (`rare fmt`).

One layout for every rule: lower-case keywords, one space around binary operators, `is null` written
`is not set`, numbers and text spelled one way, only the parentheses the tree needs, a rule longer than
100 columns broken before each top-level `and`/`or`, and in files `order by` and `limit` on lines of their
own and one blank line between segments. Every comment is kept next to the token it followed.

The text is printed from the syntax tree, not patched: each printed token remembers where its source token
was, and each comment is attached to the last printed token before it. A comment ends its line, so a
rule holding a comment is printed broken over lines. The output parses to the same tree (spans and
spellings aside), so formatting never changes what a rule means, and formatting twice changes nothing.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field

from rare_dsl.diagnostics import RuleError, Source
from rare_dsl.syntax import ast
from rare_dsl.syntax.parser import iter_tokens, parse_file_lenient, parse_rule_lenient

WIDTH = 100
INDENT = "    "

# Binding strength of each kind of node, loosest first (SPEC 3.3); an operand weaker than its place
# needs parentheses.
_OR, _AND, _NOT, _PREDICATE, _SUM, _PRODUCT, _UNARY, _ATOM = range(1, 9)

# ------------------------------------------------------------------------------------------------- public


def format_rule(text: str) -> str:
    """The canonical text of one rule (no trailing newline); raise `RuleError` if it has syntax errors."""
    parsed, diagnostics = parse_rule_lenient(text)
    if parsed is None or any(d.is_error for d in diagnostics):
        raise RuleError(diagnostics)
    printer = _Printer(parsed.source, _Lexed(parsed.source.text), file_mode=False)
    printer.rule(parsed.rule)
    return "\n".join(printer.layout(list(parsed.comments)))


def format_file(text: str, *, name: str = "<file>") -> str:
    """The canonical text of a rule file; raise `RuleError` if it has syntax errors.

    The file's newline style (LF or CRLF) and a byte order mark are kept; the text ends with one newline.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    newline = "\r\n" if _uses_crlf(body) else "\n"
    parsed, diagnostics = parse_file_lenient(body, name=name)
    if parsed is None or any(d.is_error for d in diagnostics):
        raise RuleError(diagnostics)
    lines = _File(parsed).lines()
    formatted = "\n".join(lines) + "\n" if lines else ""
    return bom + formatted.replace("\n", newline)


# ------------------------------------------------------------------------------------------------ literals


def text_literal(value: str) -> str:
    """Text in double quotes, escaped only where it must be (the escapes of SPEC 3.2)."""
    out = ['"']
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif not ch.isprintable() and ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def number_literal(node: ast.Number) -> str:
    """Digits without leading zeros, grouped by `_` in threes from four digits up (`1_000`, `999`); the
    decimals as written, so a price keeps its `49.90`."""
    raw = node.raw.replace("_", "").lstrip("-")
    negative = node.value < 0
    whole, _, decimals = raw.partition(".")
    whole = whole.lstrip("0") or "0"
    if len(whole) >= 4:
        head = len(whole) % 3 or 3
        whole = "_".join([whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)])
    return ("-" if negative else "") + whole + (f".{decimals}" if decimals else "")


def timestamp_literal(value: dt.datetime) -> str:
    """UTC with seconds and a `Z`; fractions of a second only when there are any."""
    utc = value.astimezone(dt.UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


# -------------------------------------------------------------------------------------------------- tokens


@dataclass
class _Token:
    text: str
    start: int  # where its source token starts: comments attach to the last token before them
    space: bool = True  # a space before it when on the same line
    # A line break that may or must come before it: "hard" always, "clause" (`order by`, `limit` of a single
    # rule) and "op" (a top-level `and`/`or`) when the rule is broken over lines.
    brk: str | None = None
    indent: str = ""  # the indentation of the line it starts when a break comes before it


class _Lexed:
    """The source's tokens, comments left out: where the keywords the tree does not keep were written."""

    def __init__(self, text: str):
        self.tokens = [(kind, start, end) for kind, start, end in iter_tokens(text) if kind != "COMMENT"]
        self.starts = [start for _, start, _ in self.tokens]


@dataclass
class _Line:
    indent: str
    parts: list[str] = field(default_factory=list)
    trailing: str | None = None  # a comment at the end of the line

    def text(self) -> str:
        body = self.indent + "".join(self.parts)
        return f"{body}  {self.trailing}" if self.trailing is not None else body


class _Printer:
    """Prints a rule (or a segment) as tokens, then lays the tokens out in lines with their comments."""

    def __init__(self, source: Source, lexed: _Lexed, *, file_mode: bool):
        self.source = source
        self.file_mode = file_mode
        self.tokens: list[_Token] = []
        self.cursor = 0  # the source offset printing has reached
        self.glue = False  # the next token follows the previous one without a space
        self.lexed = lexed
        self.lexed_starts = lexed.starts
        self.condition = (0, 0)  # the indexes of the condition's tokens: [first, last)

    # ------------------------------------------------------------------------------------------ tokens

    def leaf(self, text: str, start: int, end: int, *, space: bool = True) -> _Token:
        """A token printed from a node that knows its span (a name, a literal, an operator)."""
        token = _Token(text, start, space and not self.glue)
        self.tokens.append(token)
        self.cursor = max(self.cursor, end)
        self.glue = False
        return token

    def word(self, text: str, kinds: tuple[str, ...], *, until: int | None = None, space: bool = True) -> _Token:
        """A keyword or punctuation the tree does not keep a span for: placed at its source token (the first
        of `kinds` between the cursor and `until`), or where printing is when the source spelled it
        otherwise (`is null` has no `not`). Without `until`, only parentheses may come first."""
        index = bisect.bisect_left(self.lexed_starts, self.cursor)
        limit = len(self.source.text) if until is None else until
        start = end = self.cursor
        while index < len(self.lexed.tokens) and self.lexed.starts[index] < limit:
            kind, token_start, token_end = self.lexed.tokens[index]
            if kind in kinds:
                start, end = token_start, token_end
                break
            if until is None and kind not in ("LPAR", "RPAR"):
                break
            index += 1
        return self.leaf(text, start, end, space=space)

    # -------------------------------------------------------------------------------------------- rules

    def segment(self, segment: ast.Segment) -> None:
        self.leaf("segment", segment.span.start, segment.span.start + len("segment"), space=False)
        self.leaf(segment.name, segment.name_span.start, segment.name_span.end)
        self.word(":", ("COLON",), until=segment.rule.span.start, space=False)
        self.rule(segment.rule)

    def rule(self, rule: ast.Rule) -> None:
        first = len(self.tokens)
        if rule.condition is not None:
            self.expr(rule.condition, _OR, top=True)
        self.condition = (first, len(self.tokens))
        clause = "hard" if self.file_mode else "clause"
        if rule.order_by:
            self.word("order", ("ORDER",)).brk = clause
            self.word("by", ("BY",))
            for index, key in enumerate(rule.order_by):
                if index:
                    self.word(",", ("COMMA",), until=key.expr.span.start, space=False)
                self.expr(key.expr, _SUM)
                if key.descending:
                    self.word("desc", ("DESC",), until=key.span.end)
        if rule.limit is not None:
            self.word("limit", ("LIMIT",), until=rule.limit.value.span.start).brk = clause
            self.expr(rule.limit.value, _SUM)
        if len(self.tokens) > first:
            if self.file_mode:
                self.tokens[first].brk = "hard"
            self.tokens[first].space = self.file_mode

    # -------------------------------------------------------------------------------------- expressions

    def expr(self, node: ast.Expr, weakest: int, *, top: bool = False) -> None:
        """Print `node` where nothing looser than `weakest` may stand without parentheses."""
        if _strength(node) >= weakest:
            self.bare(node, top)
            return
        self.word("(", ("LPAR",), until=node.span.start)
        self.glue = True
        self.bare(node, False)
        self.word(")", ("RPAR",), space=False)

    def bare(self, node: ast.Expr, top: bool) -> None:
        match node:
            case ast.Or(operands=operands) | ast.And(operands=operands):
                word, kinds = ("or", ("OR", "PIPES")) if isinstance(node, ast.Or) else ("and", ("AND", "AMPERSANDS"))
                for index, operand in enumerate(operands):
                    if index:
                        token = self.word(word, kinds, until=operand.span.start)
                        if top:
                            token.brk = "op"
                    # `and` binds tighter than `or`, yet `a or b and c` is misread so often that a mix of the
                    # two is always written with parentheses, as ruff's RUF021 asks of Python.
                    self.expr(operand, _NOT)
            case ast.Not(operand=operand):
                self.word("not", ("NOT", "BANG"), until=operand.span.start)
                self.expr(operand, _NOT)
            case ast.Compare(op=op, op_span=op_span, left=left, right=right):
                self.expr(left, _SUM)
                self.leaf(op, op_span.start, op_span.end)
                self.expr(right, _SUM)
            case ast.Between(value=value, low=low, high=high, negated=negated):
                self.expr(value, _SUM)
                if negated:
                    self.word("not", ("NOT",), until=low.span.start)
                self.word("between", ("BETWEEN",), until=low.span.start)
                self.expr(low, _SUM)
                self.word("and", ("AND",), until=high.span.start)
                self.expr(high, _SUM)
            case ast.In(value=value, options=options, negated=negated):
                self.predicate(value, "in", negated, options)
            case ast.TextMatch(op=op, value=value, pattern=pattern, negated=negated):
                self.predicate(value, op, negated, pattern)
            case ast.Within(value=value, window=window, negated=negated):
                self.predicate(value, "within", negated, window)
            case ast.IsSet(value=value, negated=negated):
                # `is null` is `is not set` and `is not null` is `is set`: the tree already says which.
                self.expr(value, _SUM)
                self.word("is", ("IS",), until=node.span.end)
                if negated:
                    self.word("not", ("NOT",), until=node.span.end)
                self.word("set", ("SET", "NULL"), until=node.span.end)
            case ast.Arithmetic(op=op, left=left, right=right):
                strength = _strength(node)
                self.expr(left, strength)
                self.word(op, ("PLUS", "MINUS", "STAR", "SLASH"), until=right.span.start)
                self.expr(right, strength + 1)
            case ast.Negate(operand=operand):
                self.word("-", ("MINUS",), until=operand.span.start)
                self.glue = True
                # `--x` would read as a typo: a minus under a minus gets parentheses.
                nested = isinstance(operand, ast.Negate) or (isinstance(operand, ast.Number) and operand.value < 0)
                self.expr(operand, _ATOM if nested else _UNARY)
            case ast.Call(name=name, name_span=name_span, args=args):
                self.leaf(name, name_span.start, name_span.end)
                self.word("(", ("LPAR",), until=node.span.end, space=False)
                self.glue = True
                for index, arg in enumerate(args):
                    if index:
                        self.word(",", ("COMMA",), until=arg.span.start, space=False)
                    if arg.name is not None and arg.name_span is not None:
                        self.leaf(arg.name, arg.name_span.start, arg.name_span.end)
                        self.word(":", ("COLON",), until=arg.value.span.start, space=False)
                    self.expr(arg.value, _SUM)
                self.word(")", ("RPAR",), until=node.span.end, space=False)
            case ast.ListLiteral(items=items):
                self.word("[", ("LSQB",), until=node.span.start + 1)
                self.glue = True
                for index, item in enumerate(items):
                    if index:
                        self.word(",", ("COMMA",), until=item.span.start, space=False)
                    self.expr(item, _SUM)
                self.word("]", ("RSQB",), until=node.span.end, space=False)
            case _:
                self.leaf(_literal(node), node.span.start, node.span.end)

    def predicate(self, value: ast.Expr, op: str, negated: bool, operand: ast.Expr) -> None:
        """`value [not] op operand` for the predicates spelled with words (`in`, `starts with`, `within`)."""
        self.expr(value, _SUM)
        if negated:
            self.word("not", ("NOT",), until=operand.span.start)
        for part in op.split():
            self.word(part, (part.upper(),), until=operand.span.start)
        self.expr(operand, _SUM)

    # ------------------------------------------------------------------------------------------- layout

    def layout(self, comments: list[ast.Comment]) -> list[str]:
        """The lines of the printed tokens, with each comment placed after the token it followed."""
        tokens = self.tokens
        indent = INDENT if self.file_mode else ""  # of the rule's lines
        starts = [token.start for token in tokens]
        trailing: dict[int, list[str]] = {}
        own_line: dict[int, list[str]] = {}
        for comment in comments:
            anchor = bisect.bisect_left(starts, comment.span.start) - 1
            after_code = self._after_code(comment) and anchor >= 0
            (trailing if after_code else own_line).setdefault(anchor, []).append(comment.text.rstrip())
        anchors = set(trailing) | set(own_line)
        first, last = self.condition
        end = len(tokens) - 1
        # A comment inside the condition breaks it over lines, as does a condition too wide for one line.
        broken_condition = any(first <= a < last - 1 for a in anchors) or (
            len(indent + _join(tokens[first:last])) > WIDTH)
        broken = broken_condition or any(0 <= a < end for a in anchors) or len(_join(tokens)) > WIDTH
        for index, token in enumerate(tokens):
            if token.brk in ("hard", "clause") or index < first:  # a clause, or the `segment name:` line
                token.indent = indent
            elif token.brk == "op" or index >= last:  # a top-level `and`/`or`, or a continued `order by`
                token.indent = indent + INDENT
            else:  # inside the condition: deeper than its `and`/`or` lines when it has them
                token.indent = indent + INDENT * (2 if broken_condition else 1)
        lines = [_Line(indent, [text]) for text in own_line.get(-1, [])]
        lines.append(_Line(""))
        for index, token in enumerate(tokens):
            breaks = (token.brk == "hard" or (token.brk == "clause" and broken)
                      or (token.brk == "op" and broken_condition) or (index - 1) in anchors)
            if index and breaks:
                lines.append(_Line(token.indent))
            line = lines[-1]
            line.parts.append((" " if token.space and line.parts else "") + token.text)
            if index in anchors:
                notes = trailing.get(index, [])
                if notes:
                    line.trailing = notes[0]
                below = tokens[index + 1].indent if index < end else indent
                lines.extend(_Line(below, [text]) for text in notes[1:] + own_line.get(index, []))
        return [line.text() for line in lines if line.parts or line.trailing is not None]

    def _after_code(self, comment: ast.Comment) -> bool:
        line, column = self.source.position(comment.span.start)
        return bool(self.source.line_text(line)[: column - 1].strip())


def _join(tokens: list[_Token]) -> str:
    return "".join((" " if t.space and i else "") + t.text for i, t in enumerate(tokens))


def _strength(node: ast.Expr) -> int:
    match node:
        case ast.Or():
            return _OR
        case ast.And():
            return _AND
        case ast.Not():
            return _NOT
        case ast.Compare() | ast.Between() | ast.In() | ast.TextMatch() | ast.Within() | ast.IsSet():
            return _PREDICATE
        case ast.Arithmetic(op=op):
            return _SUM if op in "+-" else _PRODUCT
        case ast.Negate():
            return _UNARY
        case ast.Number() if node.value < 0:
            return _UNARY
    return _ATOM


def _literal(node: ast.Expr) -> str:
    match node:
        case ast.Text(value=value):
            return text_literal(value)
        case ast.Number():
            return number_literal(node)
        case ast.Boolean(value=value):
            return "true" if value else "false"
        case ast.Date(value=value):
            return value.isoformat()
        case ast.Timestamp(value=value):
            return timestamp_literal(value)
        case ast.Duration(amount=amount, unit=unit):
            return f"{amount}{unit}"
        case ast.Ago(duration=duration):
            return f"{duration.amount}{duration.unit} ago"
        case ast.Null():
            return "null"
        case ast.Name(name=name):
            return name
    raise TypeError(f"cannot print {type(node).__name__}")  # every node kind is handled above


# ---------------------------------------------------------------------------------------------------- files


class _File:
    """A rule file's layout: leading comments, segments, one blank line between segments."""

    def __init__(self, parsed: ast.RuleFile):
        self.parsed = parsed
        self.source = parsed.source
        self.text = parsed.source.text
        self.lexed = _Lexed(self.text)

    def lines(self) -> list[str]:
        segments = self.parsed.segments
        comments = list(self.parsed.comments)
        out: list[str] = []
        position = 0  # comments before this offset are placed
        index = 0
        for number, segment in enumerate(segments):
            # Leading comments: those between the previous segment (and what it kept) and this one.
            leading: list[ast.Comment] = []
            while index < len(comments) and comments[index].span.start < segment.span.start:
                leading.append(comments[index])
                index += 1
            if number:
                out.append("")
            out += self.comment_block(leading, position, segment.span.start)
            # The segment's own comments, then those right below it that it keeps.
            own: list[ast.Comment] = []
            while index < len(comments) and comments[index].span.start < segment.span.end:
                own.append(comments[index])
                index += 1
            limit = segments[number + 1].span.start if number + 1 < len(segments) else len(self.text)
            previous_end = segment.span.end
            while index < len(comments) and comments[index].span.start < limit:
                comment = comments[index]
                if not self.kept_by_segment(comment, previous_end):
                    break
                own.append(comment)
                previous_end = comment.span.end
                index += 1
            printer = _Printer(self.source, self.lexed, file_mode=True)
            printer.segment(segment)
            out += printer.layout(own)
            position = previous_end
        rest = comments[index:]
        if rest:
            if segments:
                out.append("")
            out += self.comment_block(rest, position, len(self.text))
        return out

    def kept_by_segment(self, comment: ast.Comment, previous_end: int) -> bool:
        """A comment right below a segment stays with it when it ends a line of the segment's rule, or
        is indented like the rule with no blank line before it (a commented-out clause); any other
        comment belongs to what follows."""
        line, column = self.source.position(comment.span.start)
        before = self.source.line_text(line)[: column - 1]
        if before.strip():
            return True
        return bool(before) and not _blank_between(self.text, previous_end, comment.span.start)

    def comment_block(self, comments: list[ast.Comment], start: int, end: int) -> list[str]:
        """Own-line comments at the left margin, keeping one blank line where the source had blank lines
        (so a `##` description stays right above its segment, and a plain note stays apart from it)."""
        out: list[str] = []
        previous = start
        for comment in comments:
            if out and _blank_between(self.text, previous, comment.span.start):
                out.append("")
            out.append(comment.text.rstrip())
            previous = comment.span.end
        if out and end < len(self.text) and _blank_between(self.text, previous, end):
            out.append("")
        return out


def _blank_between(text: str, start: int, end: int) -> bool:
    """Whether a blank line lies between two offsets."""
    return re.search(r"\n[ \t\r\f\v]*\n", text[start:end]) is not None


def _uses_crlf(text: str) -> bool:
    first = text.find("\n")
    return first > 0 and text[first - 1] == "\r"


__all__ = ["WIDTH", "format_file", "format_rule", "number_literal", "text_literal", "timestamp_literal"]
