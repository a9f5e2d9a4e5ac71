"""Lints: warnings (RW4xx) about typed rules that are valid but almost surely not what was meant, and the
inline suppressions (`# rare: ignore[RW402]`) that silence them.

- RW401: a condition that can never be true (`country = "France" and country = "Spain"`);
- RW402: a condition that is always true (`order_count >= 0`, `x = 1 or x != 1`);
- RW403: the same condition twice in one `and`/`or`;
- RW404: a text value no contact has, when a store is connected (`KnownValues`);
- RW405: a suppression that suppresses nothing, names an unknown code, or names an error.

The first two come from one small analysis: each condition about a single value (a field, a function
call) is turned into the set of values it accepts, plus whether a missing value passes it (SPEC 3.4:
`!=` and `not` accept missing values, comparisons do not). Conditions on the same value under one `and`
are intersected, under one `or` joined; an empty set never matches and a full one always does. Values
the analysis cannot place (text patterns, two fields compared) are left alone, so a warning is never a
guess.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from rare_dsl import typed
from rare_dsl.diagnostics import CODES, Diagnostic, Label, Severity, Source, Span, suggest
from rare_dsl.schema import Field
from rare_dsl.syntax import ast
from rare_dsl.syntax.ast import shape
from rare_dsl.types import Type

# The codes `lint` reports without a store, and the one it adds with a store.
RULE_LINTS = frozenset({"RW401", "RW402", "RW403"})
STORE_LINTS = frozenset({"RW404"})
UNUSED_SUPPRESSION = "RW405"

# Measures that are never missing (counts and sums over no rows are 0), and those never below zero.
_NEVER_MISSING = frozenset({"order_count", "refund_count", "total_spent", "orders", "spent", "refunds", "purchased",
                            "events", "engagement", "in_list", "in_segment"})
_NEVER_NEGATIVE = frozenset({"order_count", "refund_count", "orders", "refunds", "events", "engagement"})


class KnownValues(Protocol):
    """What a store knows about the values contacts have; the store-backed lint (RW404) asks it."""

    def contacts_with(self, field: Field, values: Sequence[str]) -> Mapping[str, int] | None:
        """How many contacts have each of `values` in `field` (values no contact has may be left out);
        None when the store cannot tell."""
        ...

    def common_values(self, field: Field, limit: int) -> Sequence[tuple[str, int]]:
        """The field's most common values with their number of contacts, most common first."""
        ...


def lint(rule: typed.CheckedRule, values: KnownValues | None = None) -> list[Diagnostic]:
    """The warnings of a checked rule (before suppression), in source order."""
    found: list[Diagnostic] = []
    if rule.condition is not None:
        found += _Analysis(rule.source).run(rule.condition)
    if values is not None:
        found += _unknown_values(rule, values)
    return sorted(found, key=lambda d: (d.span.start, d.code) if d.span else (-1, d.code))


# ------------------------------------------------------------------------------------------- value sets


@dataclass(frozen=True)
class _Interval:
    """Values between two ends; an end of None is unbounded."""

    low: Any
    low_closed: bool
    high: Any
    high_closed: bool

    def empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > self.high or (self.low == self.high and not (self.low_closed and self.high_closed))

    def __and__(self, other: _Interval) -> _Interval:
        low, low_closed = self.low, self.low_closed
        if other.low is not None and (low is None or other.low > low):
            low, low_closed = other.low, other.low_closed
        elif other.low is not None and other.low == low:
            low_closed = low_closed and other.low_closed
        high, high_closed = self.high, self.high_closed
        if other.high is not None and (high is None or other.high < high):
            high, high_closed = other.high, other.high_closed
        elif other.high is not None and other.high == high:
            high_closed = high_closed and other.high_closed
        return _Interval(low, low_closed, high, high_closed)


_EVERYTHING = _Interval(None, False, None, False)


def _ends_first(first: _Interval, second: _Interval) -> bool:
    if first.high is None:
        return False
    return second.high is None or first.high < second.high or (
        first.high == second.high and not first.high_closed)


def _touch(first: _Interval, second: _Interval) -> bool:
    """Whether `second` (which does not start before `first`) overlaps or adjoins `first`."""
    if first.high is None or second.low is None:
        return True
    return second.low < first.high or (second.low == first.high and (first.high_closed or second.low_closed))


@dataclass(frozen=True)
class _Ordered:
    """A union of disjoint intervals of an ordered kind of value (numbers, instants)."""

    intervals: tuple[_Interval, ...]

    @staticmethod
    def of(intervals: Iterable[_Interval]) -> _Ordered:
        kept = sorted((i for i in intervals if not i.empty()),
                      key=lambda i: (i.low is not None, i.low if i.low is not None else 0, not i.low_closed))
        merged: list[_Interval] = []
        for interval in kept:
            last = merged[-1] if merged else None
            if last is None or not _touch(last, interval):
                merged.append(interval)
            elif last.high is not None and (interval.high is None or interval.high > last.high):
                merged[-1] = _Interval(last.low, last.low_closed, interval.high, interval.high_closed)
            elif last.high is not None and interval.high == last.high and interval.high_closed:
                merged[-1] = _Interval(last.low, last.low_closed, last.high, True)
        return _Ordered(tuple(merged))

    def __and__(self, other: _Ordered) -> _Ordered:
        # Both are sorted and disjoint: one sweep, advancing past whichever interval ends first.
        pieces: list[_Interval] = []
        mine, theirs = self.intervals, other.intervals
        i = j = 0
        while i < len(mine) and j < len(theirs):
            pieces.append(mine[i] & theirs[j])
            if _ends_first(mine[i], theirs[j]):
                i += 1
            else:
                j += 1
        return _Ordered.of(pieces)

    def __or__(self, other: _Ordered) -> _Ordered:
        return _Ordered.of(self.intervals + other.intervals)

    def __invert__(self) -> _Ordered:
        gaps: list[_Interval] = []
        low, low_closed = None, False
        for interval in self.intervals:
            if interval.low is not None:
                gaps.append(_Interval(low, low_closed, interval.low, not interval.low_closed))
            if interval.high is None:
                return _Ordered.of(gaps)
            low, low_closed = interval.high, not interval.high_closed
        gaps.append(_Interval(low, low_closed, None, False))
        return _Ordered.of(gaps)

    def empty(self) -> bool:
        return not self.intervals


@dataclass(frozen=True)
class _Discrete:
    """A set of values compared only for equality (text, enum values, booleans): the listed values, or
    every value but the listed ones."""

    listed: frozenset[Any]
    cofinite: bool = False

    def __and__(self, other: _Discrete) -> _Discrete:
        if self.cofinite and other.cofinite:
            return _Discrete(self.listed | other.listed, True)
        if self.cofinite:
            return _Discrete(other.listed - self.listed)
        if other.cofinite:
            return _Discrete(self.listed - other.listed)
        return _Discrete(self.listed & other.listed)

    def __or__(self, other: _Discrete) -> _Discrete:
        return ~(~self & ~other)

    def __invert__(self) -> _Discrete:
        return _Discrete(self.listed, not self.cofinite)

    def empty(self) -> bool:
        return not self.cofinite and not self.listed


_Values = _Ordered | _Discrete | bool  # bool: the kind-less sets of `is set` (every value) and its negation


@dataclass(frozen=True)
class _Accepts:
    """What one condition about one value accepts: `values` of `kind`, and a missing value or not."""

    kind: str | None  # number, instant, hours-ago, months-ago, text, enum, boolean; None for `is set`
    values: _Values
    missing: bool

    def __invert__(self) -> _Accepts:
        return _Accepts(self.kind, not self.values if isinstance(self.values, bool) else ~self.values,
                        not self.missing)

    def combine(self, other: _Accepts, both: bool) -> _Accepts | None:
        """`self and other` (both) or `self or other`; None when their kinds cannot be compared."""
        left, right = self, other
        if left.kind is None and right.kind is not None:
            left = left.as_kind(right.kind)
        elif right.kind is None and left.kind is not None:
            right = right.as_kind(left.kind)
        elif left.kind != right.kind:
            return None
        values = left.values & right.values if both else left.values | right.values  # type: ignore[operator]
        missing = left.missing and right.missing if both else left.missing or right.missing
        return _Accepts(left.kind, values, missing)

    def as_kind(self, kind: str) -> _Accepts:
        assert isinstance(self.values, bool)
        every = _Discrete(frozenset(), True) if kind in _DISCRETE else _Ordered((_EVERYTHING,))
        return _Accepts(kind, every if self.values else ~every, self.missing)


_DISCRETE = ("text", "enum", "boolean")


@dataclass(frozen=True)
class _Subject:
    """The value conditions are about, and what it can be at all."""

    node: typed.Node
    key: object

    def possible(self, kind: str | None) -> _Accepts:
        """Every value the subject can have, as a set of `kind`."""
        node = self.node
        measure = node.measure if isinstance(node, typed.Measure) else None
        missing = measure not in _NEVER_MISSING
        if kind is None:
            return _Accepts(None, True, missing)
        if kind == "number" and measure in _NEVER_NEGATIVE:
            return _Accepts(kind, _Ordered((_Interval(Decimal(0), True, None, False),)), missing)
        if kind == "enum" and isinstance(node, typed.Attribute):
            return _Accepts(kind, _Discrete(frozenset(node.field.values)), missing)
        if kind == "boolean":
            return _Accepts(kind, _Discrete(frozenset({True, False})), missing)
        return _Accepts(None, True, missing).as_kind(kind)

    def never(self, accepts: _Accepts) -> bool:
        """No value the subject can have is accepted."""
        possible = self.possible(accepts.kind)
        both = accepts.combine(possible, both=True)
        assert both is not None
        return _is_empty(both.values) and not both.missing

    def always(self, accepts: _Accepts) -> bool:
        return self.never(~accepts)


def _is_empty(values: _Values) -> bool:
    return not values if isinstance(values, bool) else values.empty()


@dataclass(frozen=True)
class _Atom:
    """A condition about a single subject, as the set of values it accepts."""

    subject: _Subject
    accepts: _Accepts


# ---------------------------------------------------------------------------------------------- analysis


class _Analysis:
    """Walks a typed condition once, bottom-up; reports the innermost condition that never or always holds."""

    def __init__(self, source: Source):
        self.source = source
        self.found: list[Diagnostic] = []

    def run(self, condition: typed.Condition) -> list[Diagnostic]:
        self.visit(condition, all_and=True, all_or=True)
        return self.found

    def visit(self, node: typed.Node, *, all_and: bool, all_or: bool) -> tuple[_Atom | None, bool]:
        """The node as an atom (when it is about one subject), and whether a warning was reported in it."""
        if isinstance(node, typed.And | typed.Or):
            return self.junction(node, all_and=all_and and isinstance(node, typed.And),
                                 all_or=all_or and isinstance(node, typed.Or))
        if isinstance(node, typed.Not):
            # `!=`, `not in`, `is not set`: a negation written as one predicate is judged as a whole.
            whole = node.operand.span == node.span and not isinstance(node.operand, typed.And | typed.Or)
            if whole:
                inner, reported = _atom(node.operand), False
            else:
                inner, reported = self.visit(node.operand, all_and=False, all_or=False)
            atom = _Atom(inner.subject, ~inner.accepts) if inner is not None else None
        else:
            atom, reported = _atom(node), False
        if atom is not None and not reported:
            reported = self.single(node, atom, all_and=all_and, all_or=all_or)
        return atom, reported

    def single(self, node: typed.Node, atom: _Atom, *, all_and: bool, all_or: bool) -> bool:
        if atom.subject.never(atom.accepts):
            whole = "the rule can never match: " if all_and else ""
            self.warn("RW401", f"{whole}`{self.snippet(node)}` is never true", node.span, "never true",
                      *_why(atom, always=False), "remove the condition, or fix the value it tests")
            return True
        if atom.subject.always(atom.accepts):
            whole = "the rule matches every contact: " if all_or else ""
            self.warn("RW402", f"{whole}`{self.snippet(node)}` is always true", node.span, "always true",
                      *_why(atom, always=True), "remove it: it does not narrow the segment")
            return True
        return False

    def junction(self, node: typed.And | typed.Or, *, all_and: bool, all_or: bool) -> tuple[_Atom | None, bool]:
        both = isinstance(node, typed.And)
        operands = _flatten(node)
        visited = [self.visit(op, all_and=all_and, all_or=all_or) for op in operands]
        reported = any(r for _, r in visited)
        self.repeated(operands, "and" if both else "or")
        groups: dict[object, list[tuple[typed.Node, _Atom]]] = {}
        for operand, (atom, operand_reported) in zip(operands, visited, strict=True):
            if atom is not None and not operand_reported:
                groups.setdefault(atom.subject.key, []).append((operand, atom))
        for members in groups.values():
            if len(members) < 2:
                continue
            combined = _combine([atom for _, atom in members], both)
            if combined is None:
                continue
            subject = members[0][1].subject
            if both and subject.never(combined):
                self.contradiction(_smallest(members, both) or members, all_and)
                reported = True
            elif not both and subject.always(combined):
                self.tautology(_smallest(members, both) or members, all_or)
                reported = True
        atoms = [atom for atom, _ in visited]
        whole: _Atom | None = None
        if all(atoms) and len({a.subject.key for a in atoms if a}) == 1:
            combined = _combine([a for a in atoms if a], both)
            if combined is not None:
                whole = _Atom(atoms[0].subject, combined)  # type: ignore[union-attr]
        return whole, reported

    def contradiction(self, members: list[tuple[typed.Node, _Atom]], all_and: bool) -> None:
        shown = [f"`{self.snippet(n)}`" for n, _ in members]
        both = "both" if len(shown) == 2 else "all"
        together = f"{', '.join(shown[:-1])} and {shown[-1]} cannot {both} be true"
        whole = "the rule can never match" if all_and else "this condition is never true"
        self.group("RW401", f"{whole}: {together}", [n for n, _ in members], f"cannot {both} be true",
                   "contradicts the condition above", "…and this", "remove one of them, or join them with `or`")

    def tautology(self, members: list[tuple[typed.Node, _Atom]], all_or: bool) -> None:
        shown = " or ".join(f"`{self.snippet(n)}`" for n, _ in members)
        whole = "the rule matches every contact" if all_or else "this condition is always true"
        self.group("RW402", f"{whole}: {shown} covers every contact", [n for n, _ in members],
                   "together these accept every contact", "with the condition above, accepts every contact",
                   "…or this", "remove them: together they do not narrow the segment")

    def repeated(self, operands: list[typed.Node], word: str) -> None:
        first_seen: dict[object, typed.Node] = {}
        for operand in operands:
            key = shape(operand)
            if key not in first_seen:
                first_seen[key] = operand
                continue
            self.group("RW403", f"`{self.snippet(operand)}` is repeated in the same `{word}`",
                       [first_seen[key], operand], "the same condition twice", "repeated", "first here",
                       "remove the copy, or change it to the value you meant")

    def group(self, code: str, message: str, nodes: list[typed.Node], same_line: str, last: str, others: str,
              hint: str) -> None:
        """A warning about several conditions: one span over all of them when they share a line, else the
        last one marked and the others labelled."""
        lines = {self.source.position(n.span.start)[0] for n in nodes} | {
            self.source.position(n.span.end)[0] for n in nodes}
        if len(lines) == 1:
            span = Span(min(n.span.start for n in nodes), max(n.span.end for n in nodes))
            self.warn(code, message, span, same_line, hint)
        else:
            labels = tuple(Label(n.span, others, self.source) for n in nodes[:-1])
            self.warn(code, message, nodes[-1].span, last, hint, labels=labels)

    def warn(self, code: str, message: str, span: Span, label: str, *hints: str,
             labels: tuple[Label, ...] = ()) -> None:
        self.found.append(Diagnostic(code, message, span, self.source, Severity.WARNING, label, hints, labels))

    def snippet(self, node: typed.Node) -> str:
        text = " ".join(self.source.text[node.span.start:node.span.end].split())
        return text if len(text) <= 50 else text[:49] + "…"


def _flatten(node: typed.And | typed.Or) -> list[typed.Node]:
    """The operands of nested `and`s (or `or`s) as one list, as if written without parentheses."""
    kind = type(node)
    out: list[typed.Node] = []
    stack: list[typed.Node] = [node]
    while stack:
        current = stack.pop()
        if type(current) is kind:
            stack.extend(reversed(current.operands))  # type: ignore[attr-defined]
        else:
            out.append(current)
    return out


def _combine(atoms: list[_Atom], both: bool) -> _Accepts | None:
    """All the atoms' sets intersected (both) or joined; None when their kinds cannot be compared.

    Combined in pairs, then pairs of pairs: a set can grow with each condition (`x != 1 and x != 2 ...`),
    and folding thousands of them one by one would take quadratic time."""
    sets = [atom.accepts for atom in atoms]
    while len(sets) > 1:
        paired: list[_Accepts] = []
        for first, second in zip(sets[::2], sets[1::2], strict=False):
            combined = first.combine(second, both)
            if combined is None:
                return None
            paired.append(combined)
        if len(sets) % 2:
            paired.append(sets[-1])
        sets = paired
    return sets[0]


def _smallest(members: list[tuple[typed.Node, _Atom]], both: bool) -> list[tuple[typed.Node, _Atom]] | None:
    """Two members that already conflict (or cover everything) on their own, to name the fewest clauses.
    Pairs are only tried in groups of a sensible size: a generated rule of thousands of clauses gets the
    whole group named instead of a quadratic search."""
    if len(members) > 64:
        return None
    for first, second in itertools.combinations(members, 2):
        combined = first[1].accepts.combine(second[1].accepts, both)
        subject = first[1].subject
        if combined is not None and (subject.never(combined) if both else subject.always(combined)):
            return [first, second]
    return None


def _why(atom: _Atom, *, always: bool) -> tuple[str, ...]:
    node = atom.subject.node
    name = node.name if isinstance(node, typed.Measure) else (
        node.field.name if isinstance(node, typed.Attribute) else "this value")
    measure = node.measure if isinstance(node, typed.Measure) else None
    accepts = ~atom.accepts if always else atom.accepts
    if _is_empty(accepts.values) and not accepts.missing:
        return () if always else ("the range it asks for is empty: its low end is above its high end",)
    if atom.accepts.kind is None and measure in _NEVER_MISSING:
        return (f"`{name}` always has a value (0 when there is nothing to count)",)
    if measure in _NEVER_NEGATIVE and atom.accepts.kind == "number":
        return (f"`{name}` counts, so it is 0 or more",)
    return ()


# ------------------------------------------------------------------------------------------------- atoms


def _atom(node: typed.Node) -> _Atom | None:
    """A condition about one subject, as the set of values it accepts; None when it is not one."""
    match node:
        case typed.Compare(op=op, left=left, right=right):
            subject, constant = (left, right) if _is_constant(right) else (right, left)
            if _is_constant(subject) or not _is_constant(constant):
                return None
            if subject is right:
                op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            kind, key = _key(constant)
            if kind is None:
                return None
            if kind in _DISCRETE:
                values: _Values | None = _Discrete(frozenset({key})) if op == "=" else None
            else:
                values = _Ordered.of([{
                    "=": _Interval(key, True, key, True), "<": _Interval(None, False, key, False),
                    "<=": _Interval(None, False, key, True), ">": _Interval(key, False, None, False),
                    ">=": _Interval(key, True, None, False)}[op]])
            return _make(subject, kind, values)
        case typed.Between(value=value, low=low, high=high):
            (kind, low_key), (high_kind, high_key) = _key(low), _key(high)
            if kind is None or kind != high_kind or kind in _DISCRETE or _is_constant(value):
                return None
            return _make(value, kind, _Ordered.of([_Interval(low_key, True, high_key, True)]))
        case typed.InList(value=value, options=options):
            keys = [_key(option) for option in options]
            kinds = {kind for kind, _ in keys}
            if len(kinds) != 1 or None in kinds:
                return None
            (kind,) = kinds
            assert kind is not None
            if kind in _DISCRETE:
                return _make(value, kind, _Discrete(frozenset(key for _, key in keys)))
            return _make(value, kind, _Ordered.of(_Interval(key, True, key, True) for _, key in keys))
        case typed.IsSet(value=value):
            return _make(value, None, True)
        case typed.Within(value=value, window=window):
            kind, ago = _ago_key(window)
            return _make(value, kind, _Ordered.of([_Interval(ago, False, 0, True)]))
        case typed.Attribute() | typed.Measure() if node.type is Type.BOOLEAN:
            return _make(node, "boolean", _Discrete(frozenset({True})))
    return None


def _make(subject: typed.Node, kind: str | None, values: _Values | None) -> _Atom | None:
    if values is None or not isinstance(subject, typed.Attribute | typed.Measure | typed.Arithmetic | typed.Negate):
        return None
    return _Atom(_Subject(subject, shape(subject)), _Accepts(kind, values, False))


def _is_constant(node: typed.Node) -> bool:
    return isinstance(node, typed.Const | typed.Ago)


def _key(node: typed.Node) -> tuple[str | None, Any]:
    """The kind of a constant and the value to order or compare it by."""
    if isinstance(node, typed.Ago):
        return _ago_key(node.duration)
    if not isinstance(node, typed.Const):
        return None, None
    value = node.value
    match node.type:
        case Type.NUMBER:
            return "number", Decimal(value)  # type: ignore[arg-type]
        case Type.TIMESTAMP if isinstance(value, dt.datetime):
            return "instant", value
        case Type.TEXT:
            return "text", value
        case Type.ENUM:
            return "enum", value
        case Type.BOOLEAN:
            return "boolean", value
    return None, None


def _ago_key(duration: typed.Duration) -> tuple[str, int]:
    """A moment before the as-of instant, as minus its distance: hours for h/d/w, months for mo/y (calendar
    months have no fixed length, so the two kinds are never compared)."""
    if duration.unit in ("mo", "y"):
        return "months-ago", -duration.amount * (12 if duration.unit == "y" else 1)
    return "hours-ago", -duration.amount * {"h": 1, "d": 24, "w": 168}[duration.unit]


# ------------------------------------------------------------------------------------------ store values


def _unknown_values(rule: typed.CheckedRule, values: KnownValues) -> list[Diagnostic]:
    """RW404: a text value compared with `=`, `!=` or `in` that no contact has, with the closest that do."""
    wanted: dict[Field, list[typed.Const]] = {}
    for node in typed.walk(rule):
        pairs: list[tuple[typed.Node, typed.Node]] = []
        if isinstance(node, typed.Compare) and node.op == "=":
            pairs = [(node.left, node.right), (node.right, node.left)]
        elif isinstance(node, typed.InList):
            pairs = [(node.value, option) for option in node.options]
        for value, constant in pairs:
            if (isinstance(value, typed.Attribute) and value.field.kind == "attribute" and value.type is Type.TEXT
                    and isinstance(constant, typed.Const) and isinstance(constant.value, str)):
                wanted.setdefault(value.field, []).append(constant)
    found: list[Diagnostic] = []
    for field, constants in wanted.items():
        counts = values.contacts_with(field, sorted({str(c.value) for c in constants}))
        if counts is None:
            continue
        missing = [c for c in constants if not counts.get(str(c.value))]
        if not missing:
            continue
        common = values.common_values(field, 5_000)
        for constant in missing:
            text = str(constant.value)
            close = _closest(text, common)
            hints = (f"did you mean {close}?",) if close else (f"`rare sample` shows the values `{field.name}` has",)
            found.append(Diagnostic(
                "RW404", f'no contact has {field.name} "{text}"', constant.span, rule.source, Severity.WARNING,
                "no contact has this value", hints))
    return found


def _closest(text: str, common: Sequence[tuple[str, int]]) -> str | None:
    """Up to three existing values closest to `text`, with their counts: `France` (12,034 contacts)."""
    counts = {value: count for value, count in common}
    by_lower: dict[str, str] = {}
    for value, _ in common:
        by_lower.setdefault(value.lower(), value)
    names: list[str] = []
    if text.lower() in by_lower:
        names.append(by_lower[text.lower()])
    names += [by_lower[m] for m in difflib.get_close_matches(text.lower(), list(by_lower), n=3, cutoff=0.6)
              if by_lower[m] not in names]
    shown = [f"`{name}` ({counts[name]:,} contact{'' if counts[name] == 1 else 's'})" for name in names[:3]]
    return ", ".join(shown) if shown else None


# ------------------------------------------------------------------------------------------- suppression

_SUPPRESSION = re.compile(r"#\s*rare:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)


@dataclass(frozen=True)
class _Suppression:
    line: int
    code: str | None  # None: no code named (`# rare: ignore`)
    span: Span


def suppress(diagnostics: Sequence[Diagnostic], comments: Iterable[ast.Comment], source: Source,
             ran: Iterable[str]) -> list[Diagnostic]:
    """The diagnostics of `source` left after its `# rare: ignore[CODE, ...]` comments, and an RW405 warning
    for each suppression that silences nothing. `ran` are the warning codes that were looked for: a
    suppression of a code that was not (RW404 without a store) is neither used nor unused."""
    ran = set(ran)
    suppressions = list(_suppressions(comments, source))
    used: set[_Suppression] = set()
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        hit = None
        if not diagnostic.is_error and diagnostic.source is source and diagnostic.span is not None:
            first = source.position(diagnostic.span.start)[0]
            last = source.position(diagnostic.span.end)[0]
            hit = next((s for s in suppressions if s.code == diagnostic.code and first <= s.line <= last), None)
        if hit is None:
            kept.append(diagnostic)
        else:
            used.add(hit)
    for item in suppressions:
        if item not in used:
            problem = _unused(item, ran)
            if problem is not None:
                message, label, hint = problem
                kept.append(Diagnostic(UNUSED_SUPPRESSION, message, item.span, source, Severity.WARNING, label,
                                       (hint,) if hint else ()))
    return kept


def _suppressions(comments: Iterable[ast.Comment], source: Source) -> Iterable[_Suppression]:
    for comment in comments:
        for match in _SUPPRESSION.finditer(comment.text):
            line = source.position(comment.span.start)[0]
            start = comment.span.start + match.start()
            if match.group("codes") is None or not match.group("codes").strip():
                yield _Suppression(line, None, Span(start, comment.span.start + match.end()))
                continue
            offset = comment.span.start + match.start("codes")
            for code in re.finditer(r"[^,\s]+", match.group("codes")):
                yield _Suppression(line, code.group().upper(), Span(offset + code.start(), offset + code.end()))


def _unused(item: _Suppression, ran: set[str]) -> tuple[str, str, str | None] | None:
    """(message, label, hint) for a suppression that silenced nothing; None when that is not known."""
    code = item.code
    if code is None:
        return ("a suppression names the warnings it silences", "no code named",
                "write the codes, e.g. `# rare: ignore[RW402]`")
    if code not in CODES:
        close = suggest(code, [c for c in CODES if c.startswith("RW")])
        return (f"unknown code `{code}`", "not a diagnostic code",
                f"did you mean `{close}`?" if close else "docs/diagnostics.md lists the codes")
    if not code.startswith("RW"):
        return (f"`{code}` is an error: errors cannot be suppressed", "only warnings can be suppressed",
                "fix the rule instead")
    if code == UNUSED_SUPPRESSION:
        return (f"`{code}` cannot be suppressed", "remove this code", "remove the suppression that is unused")
    if code.startswith("RW9"):  # about a file around the rules, never on a line of one
        return (f"`{code}` is about files, not rules: it cannot be suppressed", "remove this code",
                "fix the file the warning names")
    if code not in ran:
        return None
    return (f"unused suppression: no {code} warning on this line", "suppresses nothing",
            "remove it, or move it to the line the warning is on")


__all__ = ["RULE_LINTS", "STORE_LINTS", "UNUSED_SUPPRESSION", "KnownValues", "lint", "suppress"]
