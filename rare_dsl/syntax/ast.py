"""The syntax tree of rules and rule files: frozen dataclasses, each with the span of its source text.

The tree says what was written, not what it means: names are unresolved and `!=` is still `!=`. The
checker turns it into a typed rule. `children()` and `depth()` walk it without recursion, so even a
tree built from hostile input can be measured before anything recursive touches it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from rare_dsl.diagnostics import Source, Span


@dataclass(frozen=True, slots=True)
class Node:
    span: Span


# ------------------------------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Text(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Number(Node):
    value: int | Decimal
    raw: str


@dataclass(frozen=True, slots=True)
class Boolean(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class Date(Node):
    value: dt.date


@dataclass(frozen=True, slots=True)
class Timestamp(Node):
    value: dt.datetime  # always timezone-aware UTC


@dataclass(frozen=True, slots=True)
class Duration(Node):
    amount: int
    unit: str  # one of DURATION_UNITS


@dataclass(frozen=True, slots=True)
class Ago(Node):
    duration: Duration


@dataclass(frozen=True, slots=True)
class Null(Node):
    pass


@dataclass(frozen=True, slots=True)
class ListLiteral(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Argument(Node):
    name: str | None  # None for a positional argument
    name_span: Span | None
    value: Expr


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    name_span: Span
    args: tuple[Argument, ...]


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Arithmetic(Node):
    op: str  # + - * /
    left: Expr
    right: Expr


# ------------------------------------------------------------------------------------------- conditions


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: str  # = != < <= > >= (aliases such as == are reported and normalized by the parser)
    op_span: Span
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Between(Node):
    value: Expr
    low: Expr
    high: Expr
    negated: bool


@dataclass(frozen=True, slots=True)
class In(Node):
    value: Expr
    options: Expr  # a ListLiteral when the rule is valid
    negated: bool


@dataclass(frozen=True, slots=True)
class TextMatch(Node):
    op: str  # contains, starts with, ends with
    op_span: Span
    value: Expr
    pattern: Expr
    negated: bool


@dataclass(frozen=True, slots=True)
class IsSet(Node):
    value: Expr
    negated: bool  # `is not set`


@dataclass(frozen=True, slots=True)
class Within(Node):
    value: Expr
    window: Expr  # a Duration when the rule is valid
    negated: bool


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class And(Node):
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or(Node):
    operands: tuple[Expr, ...]


Expr = (
    Text | Number | Boolean | Date | Timestamp | Duration | Ago | Null | ListLiteral | Name | Call | Negate
    | Arithmetic | Compare | Between | In | TextMatch | IsSet | Within | Not | And | Or
)

# ------------------------------------------------------------------------------------------- rules, files


@dataclass(frozen=True, slots=True)
class OrderKey(Node):
    expr: Expr
    descending: bool


@dataclass(frozen=True, slots=True)
class Limit(Node):
    value: Expr


@dataclass(frozen=True, slots=True)
class Rule(Node):
    condition: Expr | None
    order_by: tuple[OrderKey, ...]
    limit: Limit | None


@dataclass(frozen=True, slots=True)
class Comment(Node):
    text: str  # with its leading '#'


@dataclass(frozen=True, slots=True)
class Segment(Node):
    name: str
    name_span: Span
    description: str | None  # the `##` lines right above the segment, without their '##'
    rule: Rule


@dataclass(frozen=True, eq=False)
class RuleFile:
    source: Source
    segments: tuple[Segment, ...]
    comments: tuple[Comment, ...]  # every comment, `##` descriptions included, in source order
    unparsed: tuple[str, ...] = ()  # names of segments left out because they have syntax errors


@dataclass(frozen=True, eq=False)
class ParsedRule:
    """A single rule with the source it came from and its comments."""

    source: Source
    rule: Rule
    comments: tuple[Comment, ...]


DURATION_UNITS = {"h": "hours", "d": "days", "w": "weeks", "mo": "months", "y": "years"}

# Limits every engine holds (docs/language.md, "Limits"), checked before any SQL is built. Numbers: at most
# 15 digits before the decimal point and 15 after (a BIGINT, a DECIMAL(30, 15) on every engine). Durations:
# at most 100 years in any unit. Instants: date and timestamp literals in 1900-01-01 .. 2299-12-31 (what
# ClickHouse's DateTime64 holds), the as-of instant in 2000-01-01 .. 2199-12-31, so that a window of 100
# years back from it stays in range.
MAX_INTEGER_DIGITS = 15
MAX_FRACTION_DIGITS = 15
MAX_DURATION = {"h": 876_576, "d": 36_524, "w": 5_217, "mo": 1_200, "y": 100}
FIRST_INSTANT = dt.datetime(1900, 1, 1)
LAST_INSTANT = dt.datetime(2299, 12, 31, 23, 59, 59, 999_999)
FIRST_AS_OF = dt.datetime(2000, 1, 1)
LAST_AS_OF = dt.datetime(2199, 12, 31, 23, 59, 59, 999_999)


def number_in_range(digits: str) -> bool:
    """Whether a number literal's digits (no sign, no `_`) are within the limits above; checked on the text,
    before Python converts it (an `int` of more than 4,300 digits is itself an error)."""
    whole, _, fraction = digits.partition(".")
    return len(whole.lstrip("0")) <= MAX_INTEGER_DIGITS and len(fraction.rstrip("0")) <= MAX_FRACTION_DIGITS


# ------------------------------------------------------------------------------------------------ walking


# Annotation words that never name a node: a field annotated only with these holds no children.
_SCALARS = frozenset({"str", "int", "bool", "None", "Decimal", "dt.date", "dt.datetime", "Span", "Source"})


@functools.cache
def _child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node class that can hold nodes: `children` runs for every node of every walk (the
    parser's depth check, the checker), and `dataclasses.fields` with a read of every field was most of it."""
    return tuple(f.name for f in dataclasses.fields(kind) if not set(re.findall(r"[\w.]+", str(f.type))) <= _SCALARS)


def children(node: Node) -> tuple[Node, ...]:
    """The direct child nodes, in source order."""
    found: list[Node] = []
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(v for v in value if isinstance(v, Node))
    return tuple(found)


def walk(node: Node):
    """Every node below and including `node`, parents before children; iterative."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def depth(node: Node) -> int:
    """The height of the tree; iterative so it is safe on any input."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children(current))
    return deepest


# Fields that say how a node was written rather than what it is.
_SPELLING = frozenset({"raw"})


def shape(node: object) -> object:
    """A hashable value equal for two trees that differ only in where and how they were written: spans
    and spellings (`1_000` and `1000`) are left out. Works on syntax trees and typed rules alike.

    Recursive, which is safe: the parser refuses trees deeper than `MAX_DEPTH` before anything walks them.
    """
    if isinstance(node, tuple):
        return tuple(shape(item) for item in node)
    fields = _compared_fields(type(node))
    if fields is None:
        return node
    # A field that cannot hold a node or a tuple is its own shape: read, not recursed into (the lints take
    # the shape of every condition and subject, a third of checking a rule).
    return (type(node), *[shape(getattr(node, name)) if nested else getattr(node, name) for name, nested in fields])


# Annotation words of the typed rule's fields (`rare_dsl.typed`) that name no node and no tuple either.
_TYPED_SCALARS = frozenset({"float", "Type", "Category", "Field", "Function"})


@functools.cache
def _compared_fields(kind: type) -> tuple[tuple[str, bool], ...] | None:
    """The fields of a node class that `shape` compares, each with whether its value may need a shape of its
    own (a node or a tuple); None for a value that is not a node."""
    if not dataclasses.is_dataclass(kind) or "span" not in {f.name for f in dataclasses.fields(kind)}:
        return None
    return tuple((f.name, not set(re.findall(r"[\w.]+", str(f.type))) <= _SCALARS | _TYPED_SCALARS)
                 for f in dataclasses.fields(kind)  # spans are `span`, `name_span`, `op_span`
                 if f.compare and f.name not in _SPELLING and not (f.name == "span" or f.name.endswith("_span")))
