"""The typed rule: what a checked rule means, ready for the compiler and the reference evaluator.

Every name is resolved to its schema entry, every node knows its type, and the surface spellings are
gone: `!=`, `not in`, `is not set` and the other negated forms are `Not` of their positive form, enum
values are canonical, months are numbers, and a date literal has become the timestamps of its UTC day.
Nodes keep the span of the source text they came from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from rare_dsl.diagnostics import Diagnostic, Source, Span
from rare_dsl.types import Category, Type

if TYPE_CHECKING:
    from rare_dsl.schema import Field, Function, Schema
    from rare_dsl.syntax import ast


@dataclass(frozen=True, slots=True)
class Node:
    span: Span


# --------------------------------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Const(Node):
    """A literal: str (TEXT, ENUM canonical), int or Decimal (NUMBER), bool, or an aware UTC datetime."""

    value: str | int | Decimal | bool | dt.datetime
    type: Type


@dataclass(frozen=True, slots=True)
class Duration(Node):
    amount: int  # > 0
    unit: str  # h, d, w, mo, y


@dataclass(frozen=True, slots=True)
class Ago(Node):
    """The as-of instant minus a duration (calendar months and years clamp to the end of the month)."""

    duration: Duration
    type: Type = Type.TIMESTAMP


@dataclass(frozen=True, slots=True)
class Attribute(Node):
    """A column of the customers table, or the contact's tags."""

    field: Field

    @property
    def type(self) -> Type:
        return self.field.type

    @property
    def category(self) -> Category:
        return self.field.category


@dataclass(frozen=True, slots=True)
class Measure(Node):
    """A value computed from facts (orders, refunds, events, lists): an aggregate field or a function call.

    `measure` is the schema's measure kind (`order_count`, `orders`, `events`, `purchased`, `in_list`, ...);
    the filters are those the call gave. Facts after the as-of instant never count.
    """

    name: str  # as written: `order_count`, `opens`
    measure: str
    type: Type
    category: Category
    event: str | None = None  # logical event type for `events`
    within: Duration | None = None
    product: str | None = None
    vendor: str | None = None
    month: int | None = None  # 1..12
    campaign: str | None = None
    series: str | None = None
    target: str | None = None  # list name for in_list, segment name for in_segment
    stored_column: str | None = None  # read this customers column instead of aggregating
    definition: Field | Function | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Arithmetic(Node):
    op: str  # + - * /   (`/` is exact division; division by zero gives a missing value)
    left: Value
    right: Value
    type: Type = Type.NUMBER


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Value
    type: Type = Type.NUMBER


Value = Const | Ago | Attribute | Measure | Arithmetic | Negate

# ----------------------------------------------------------------------------------------------- conditions


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """False when either side is missing."""

    op: str  # = < <= > >=
    left: Value
    right: Value
    type: Type = Type.BOOLEAN


@dataclass(frozen=True, slots=True)
class Between(Node):
    """low <= value <= high; false when any is missing."""

    value: Value
    low: Value
    high: Value
    type: Type = Type.BOOLEAN


@dataclass(frozen=True, slots=True)
class InList(Node):
    value: Value
    options: tuple[Const, ...]
    type: Type = Type.BOOLEAN


@dataclass(frozen=True, slots=True)
class TextMatch(Node):
    """Case-insensitive; `%` and `_` in the pattern are ordinary characters."""

    op: str  # contains, starts with, ends with
    value: Value
    pattern: str
    type: Type = Type.BOOLEAN


@dataclass(frozen=True, slots=True)
class HasTag(Node):
    """The contact has this tag, compared without regard to case."""

    tags: Attribute
    tag: str
    type: Type = Type.BOOLEAN


@dataclass(frozen=True, slots=True)
class IsSet(Node):
    """The value is present; for tags, the contact has at least one tag."""

    value: Value
    type: Type = Type.BOOLEAN


@dataclass(frozen=True, slots=True)
class Within(Node):
    """as-of − window < value <= as-of."""

    value: Value
    window: Duration
    type: Type = Type.BOOLEAN


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Condition
    type: Type = Type.BOOLEAN


@dataclass(frozen=True, slots=True)
class And(Node):
    operands: tuple[Condition, ...]
    type: Type = Type.BOOLEAN


@dataclass(frozen=True, slots=True)
class Or(Node):
    operands: tuple[Condition, ...]
    type: Type = Type.BOOLEAN


# A boolean Const, Attribute or Measure is a condition on its own.
Condition = (
    Compare | Between | InList | TextMatch | HasTag | IsSet | Within | Not | And | Or | Const | Attribute | Measure
)

# -------------------------------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class OrderKey(Node):
    """Missing values sort last whatever the direction; ties break by customer id."""

    expr: Value
    descending: bool


@dataclass(frozen=True, eq=False)
class CheckedRule:
    source: Source
    syntax: ast.Rule
    condition: Condition | None  # None: every contact
    order_by: tuple[OrderKey, ...]
    limit: int | None
    schema: Schema
    warnings: tuple[Diagnostic, ...] = ()

    def names(self) -> list[Attribute | Measure]:
        """Every field and function the rule uses, in source order."""
        found = [n for n in walk(self) if isinstance(n, Attribute | Measure)]
        return sorted(found, key=lambda n: n.span.start)

    def segment_references(self) -> list[Measure]:
        return [n for n in self.names() if isinstance(n, Measure) and n.measure == "in_segment"]

    def list_references(self) -> list[Measure]:
        return [n for n in self.names() if isinstance(n, Measure) and n.measure == "in_list"]


@dataclass(frozen=True, eq=False)
class CheckedSegment:
    name: str
    description: str | None
    rule: CheckedRule
    syntax: ast.Segment

    @property
    def location(self) -> tuple[str, int]:
        """The file and the 1-based line of its `segment` keyword."""
        return self.rule.source.name, self.rule.source.position(self.syntax.span.start)[0]


@dataclass(frozen=True, eq=False)
class CheckedProject:
    """Segments of one or more rule files checked together; references resolve among them."""

    segments: dict[str, CheckedSegment]
    order: tuple[str, ...]  # every segment after the segments it references
    warnings: tuple[Diagnostic, ...] = ()

    def used_by(self, name: str) -> list[str]:
        """The segments whose rule refers to `name` with `in_segment`, in the order they were defined."""
        return [other for other, segment in self.segments.items()
                if any(ref.target == name for ref in segment.rule.segment_references())]


# Annotation words that never name a node: a field annotated only with these holds no children.
_SCALARS = frozenset({"str", "int", "float", "bool", "None", "Decimal", "dt.datetime", "Type", "Category", "Span",
                      "Field", "Function"})


@functools.cache
def _child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node class that can hold nodes. `children` runs for every node of every walk (the
    compiler walks each leaf several times), and reading the fields that cannot was most of its time."""
    return tuple(f.name for f in dataclasses.fields(kind) if not set(re.findall(r"[\w.]+", str(f.type))) <= _SCALARS)


def children(node: Node) -> tuple[Node, ...]:
    found: list[Node] = []
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(v for v in value if isinstance(v, Node))
    return tuple(found)


def walk(rule: CheckedRule | Node):
    """Every node of a rule or subtree, parents first; iterative."""
    if isinstance(rule, CheckedRule):
        stack: list[Node] = [k for k in reversed(rule.order_by)]
        if rule.condition is not None:
            stack.append(rule.condition)
    else:
        stack = [rule]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
