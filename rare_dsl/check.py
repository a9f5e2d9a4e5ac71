"""Syntax tree to typed rule: name resolution, type checking and the canonical forms of values.

The checker never stops at the first problem: it reports every error of a rule (a node that fails
becomes `_INVALID`, which later checks pass over so one mistake is reported once), then raises
`RuleError` with all of them. `check_project` checks the segments of rule files together: duplicate
names, references to unknown segments and reference cycles. A rule that checks is then linted
(`rare_dsl.lint`): its warnings, less those its `# rare: ignore[...]` comments suppress, travel with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from rare_dsl import typed
from rare_dsl.diagnostics import Diagnostic, Label, RuleError, Source, Span, sort_diagnostics, suggest
from rare_dsl.lint import RULE_LINTS, STORE_LINTS, KnownValues, lint, suppress
from rare_dsl.schema import Field, Function, Schema, default_schema
from rare_dsl.syntax import ast
from rare_dsl.syntax.parser import parse_file_lenient, parse_rule_lenient
from rare_dsl.types import Type

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]


@dataclass(frozen=True, slots=True)
class _Invalid:
    """Stands for a subtree that already has an error, so nothing above it reports another."""

    span: Span
    type: None = None


_Checked = typed.Node | _Invalid


# ------------------------------------------------------------------------------------------------- public


def check(
    rule: str | ast.ParsedRule,
    schema: Schema | None = None,
    *,
    name: str = "<rule>",
    segments: Iterable[str] | None = None,
    values: KnownValues | None = None,
) -> typed.CheckedRule:
    """Check one rule (text or parsed) against a schema; raise `RuleError` with every error found.

    `segments` are the segment names `in_segment` may refer to; None leaves references unchecked. The
    rule's lint warnings (`values`: what a store knows, for RW404) are in `CheckedRule.warnings`, less
    those its `# rare: ignore[...]` comments suppress.
    """
    schema = schema or default_schema()
    if isinstance(rule, str):
        parsed, diagnostics = parse_rule_lenient(rule, name=name)
        if parsed is None:
            raise RuleError(diagnostics)
    else:
        parsed, diagnostics = rule, []
    checker = _Checker(schema, parsed.source, None if segments is None else set(segments))
    checked = checker.rule(parsed.rule)
    diagnostics += checker.diagnostics
    failed = any(d.is_error for d in diagnostics)
    if not failed:
        diagnostics += lint(checked, values)
    diagnostics = suppress(diagnostics, parsed.comments, parsed.source, () if failed else _lints_run(values))
    if failed:
        raise RuleError(diagnostics)
    return replace(checked, warnings=tuple(diagnostics))


def check_project(
    files: Sequence[ast.RuleFile | tuple[str, str]],
    schema: Schema | None = None,
    *,
    values: KnownValues | None = None,
) -> typed.CheckedProject:
    """Check rule files together: each a parsed `RuleFile` or a `(text, name)` pair.

    Segments are unique by name across the files, `in_segment` resolves among them, and a reference cycle
    is an error. Lint warnings go to each segment's `rule.warnings` and all of them to
    `CheckedProject.warnings`; a `RuleError` carries the warnings along with the errors.
    """
    schema = schema or default_schema()
    diagnostics: list[Diagnostic] = []
    parsed_files: list[ast.RuleFile] = []
    for item in files:
        if isinstance(item, ast.RuleFile):
            parsed_files.append(item)
            continue
        text, file_name = item
        parsed, found = parse_file_lenient(text, name=file_name)
        diagnostics += found
        if parsed is not None:
            parsed_files.append(parsed)
    # Segments with syntax errors are already reported; references to them are not unknown.
    unparsed = {name for rule_file in parsed_files for name in rule_file.unparsed}

    # Names first, so references can be checked against every file.
    first_seen: dict[str, tuple[ast.Segment, Source]] = {}
    for rule_file in parsed_files:
        for segment in rule_file.segments:
            if segment.name in first_seen:
                original, original_source = first_seen[segment.name]
                diagnostics.append(Diagnostic(
                    "RD105", f"segment `{segment.name}` is defined twice", segment.name_span, rule_file.source,
                    label="defined again here",
                    labels=(Label(original.name_span, "first defined here", original_source),),
                    hints=("segment names are unique across the files checked together; rename one",),
                ))
            else:
                first_seen[segment.name] = (segment, rule_file.source)

    segments: dict[str, typed.CheckedSegment] = {}
    for rule_file in parsed_files:
        found = [d for d in diagnostics if d.source is rule_file.source]  # its syntax errors
        diagnostics = [d for d in diagnostics if d.source is not rule_file.source]
        checked_segments: list[tuple[ast.Segment, typed.CheckedRule]] = []
        for segment in rule_file.segments:
            checker = _Checker(schema, rule_file.source, set(first_seen) | unparsed)
            checked = checker.rule(segment.rule)
            found += checker.diagnostics
            if not any(d.is_error for d in checker.diagnostics):
                found += lint(checked, values)
            checked_segments.append((segment, checked))
        # A file with errors has segments that were not linted: its suppressions cannot be called unused.
        failed = any(d.is_error for d in found)
        found = suppress(found, rule_file.comments, rule_file.source, () if failed else _lints_run(values))
        diagnostics += found
        for segment, checked in checked_segments:
            if first_seen[segment.name][0] is segment:
                warnings = tuple(d for d in found if not d.is_error and d.span is not None
                                 and segment.span.start <= d.span.start <= segment.span.end)
                segments[segment.name] = typed.CheckedSegment(
                    segment.name, segment.description, replace(checked, warnings=warnings), segment)

    order, cycle_errors = _reference_order(segments)
    diagnostics += cycle_errors
    if any(d.is_error for d in diagnostics):
        raise RuleError(diagnostics)
    return typed.CheckedProject(segments, order, tuple(sort_diagnostics(d for d in diagnostics if not d.is_error)))


def _lints_run(values: KnownValues | None) -> frozenset[str]:
    return RULE_LINTS | STORE_LINTS if values is not None else RULE_LINTS


# ------------------------------------------------------------------------------------------ segment graph


def _reference_order(segments: Mapping[str, typed.CheckedSegment]) -> tuple[tuple[str, ...], list[Diagnostic]]:
    """Segments after those they reference (iterative DFS); one RD107 per cycle, pointing at each link."""
    edges = {
        name: [(ref.target, ref) for ref in seg.rule.segment_references() if ref.target in segments]
        for name, seg in segments.items()
    }
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    order: list[str] = []
    diagnostics: list[Diagnostic] = []
    reported: set[frozenset[str]] = set()
    for root in segments:
        if state.get(root):
            continue
        path: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while path:
            node, index = path[-1]
            if index < len(edges[node]):
                path[-1] = (node, index + 1)
                target, _ref = edges[node][index]
                if state.get(target) == 1:
                    names = [n for n, _ in path]
                    cycle = names[names.index(target):]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        diagnostics.append(_cycle_error(cycle, segments, edges))
                elif not state.get(target):
                    state[target] = 1
                    path.append((target, 0))
            else:
                state[node] = 2
                order.append(node)
                path.pop()
    return tuple(order), diagnostics


def _cycle_error(cycle: list[str], segments: Mapping[str, typed.CheckedSegment],
                 edges: Mapping[str, list[tuple[str, typed.Measure]]]) -> Diagnostic:
    links = []
    for i, name in enumerate(cycle):
        target = cycle[(i + 1) % len(cycle)]
        ref = next(r for t, r in edges[name] if t == target)
        links.append((name, target, ref))
    first_name, first_target, first_ref = links[0]
    shown = " → ".join([*cycle, cycle[0]])
    labels = tuple(
        Label(ref.span, f"`{name}` uses `{target}`", segments[name].rule.source) for name, target, ref in links[1:]
    )
    return Diagnostic(
        "RD107", f"segments refer to each other in a cycle: {shown}", first_ref.span,
        segments[first_name].rule.source, label=f"`{first_name}` uses `{first_target}`", labels=labels,
        hints=("a segment cannot depend on itself; break the cycle by writing one rule out in full",),
    )


# --------------------------------------------------------------------------------------------- the checker


def _describe(node: _Checked) -> str:
    kind = node.type
    return kind.article if isinstance(kind, Type) else "invalid"


class _Checker:
    def __init__(self, schema: Schema, source: Source, segment_names: set[str] | None):
        self.schema = schema
        self.source = source
        self.segment_names = segment_names
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, span: Span, label: str = "", *hints: str) -> _Invalid:
        self.diagnostics.append(Diagnostic(code, message, span, self.source, label=label, hints=hints))
        return _Invalid(span)

    def snippet(self, node: ast.Node) -> str:
        text = self.source.text[node.span.start:node.span.end]
        return text if len(text) <= 40 else text[:39] + "…"

    # ------------------------------------------------------------------------------------------- rule

    def rule(self, rule: ast.Rule) -> typed.CheckedRule:
        condition = None
        if rule.condition is not None:
            checked = self.condition(rule.condition)
            condition = None if isinstance(checked, _Invalid) else checked
        keys = []
        for key in rule.order_by:
            value = self.value(key.expr)
            if isinstance(value, _Invalid):
                continue
            if isinstance(value, typed.Const | typed.Ago):
                self.error("RD208", "ordering by a constant value ranks nothing", key.expr.span,
                           "the same for every contact", "order by a field or a function, e.g. `engagement(6mo)`")
            elif value.type not in (Type.NUMBER, Type.TEXT, Type.TIMESTAMP, Type.ENUM, Type.BOOLEAN):
                self.error("RD208", f"cannot order by {_describe(value)}", key.expr.span, "not orderable")
            else:
                keys.append(typed.OrderKey(key.span, value, key.descending))
        limit = None
        if rule.limit is not None:
            limit_node = rule.limit.value
            if not rule.order_by:
                self.error("RD208", "`limit` needs `order by`", rule.limit.span, "which contacts come first?",
                           "rank the contacts first, e.g. `order by engagement(6mo) desc limit 1000`")
            if isinstance(limit_node, ast.Number) and isinstance(limit_node.value, int) and limit_node.value > 0:
                limit = limit_node.value
            else:
                self.error("RD208", "`limit` takes a whole number greater than zero", limit_node.span,
                           "not a positive whole number")
        return typed.CheckedRule(self.source, rule, condition, tuple(keys), limit, self.schema)

    # -------------------------------------------------------------------------------------- conditions

    def condition(self, node: ast.Expr) -> _Checked:
        """A node that must be true or false for each contact."""
        match node:
            case ast.And(operands=operands) | ast.Or(operands=operands):
                checked = [self.condition(op) for op in operands]
                if any(isinstance(c, _Invalid) for c in checked):
                    return _Invalid(node.span)
                cls = typed.And if isinstance(node, ast.And) else typed.Or
                return cls(node.span, tuple(checked))  # type: ignore[arg-type]
            case ast.Not(operand=operand):
                inner = self.condition(operand)
                return inner if isinstance(inner, _Invalid) else typed.Not(node.span, inner)  # type: ignore[arg-type]
            case ast.Compare():
                return self.compare(node)
            case ast.Between():
                return self.negated(node, self.between(node), node.negated)
            case ast.In():
                return self.negated(node, self.in_list(node), node.negated)
            case ast.TextMatch():
                return self.negated(node, self.text_match(node), node.negated)
            case ast.IsSet():
                return self.negated(node, self.is_set(node), node.negated)
            case ast.Within():
                return self.negated(node, self.within(node), node.negated)
        value = self.value(node)
        if isinstance(value, _Invalid) or value.type is Type.BOOLEAN:
            return value
        return self.not_a_condition(node, value)

    def negated(self, node: ast.Node, checked: _Checked, negated: bool) -> _Checked:
        if negated and not isinstance(checked, _Invalid):
            return typed.Not(node.span, checked)  # type: ignore[arg-type]
        return checked

    def not_a_condition(self, node: ast.Node, value: typed.Node) -> _Invalid:
        text = self.snippet(node)
        example = {
            Type.TEXT: f'{text} = "…"',
            Type.ENUM: f'{text} = "…"',
            Type.NUMBER: f"{text} > 0",
            Type.TIMESTAMP: f"{text} within 30d",
            Type.TEXT_LIST: f'{text} contains "…"',
        }.get(value.type)  # type: ignore[union-attr]
        hints = (f"compare it, e.g. `{example}`",) if example else ()
        return self.error("RD202", f"`{text}` is {_describe(value)}, not a condition", node.span,
                          "true or false expected here", *hints)

    def compare(self, node: ast.Compare) -> _Checked:
        left, right = self.value(node.left), self.value(node.right)
        if isinstance(left, _Invalid) or isinstance(right, _Invalid):
            return _Invalid(node.span)
        op = node.op
        if left.type is Type.NULL or right.type is Type.NULL:
            other = node.left if right.type is Type.NULL else node.right
            better = "is not set" if op == "=" else "is set"
            return self.error("RD209", "missing values are tested with `is set`, not compared with null", node.span,
                              f"write `{self.snippet(other)} {better}`")
        pair = self.comparable(node, left, right, op)
        if isinstance(pair, _Invalid):
            return pair
        left, right = pair
        positive = "=" if op == "!=" else op
        result = self.lower_dates(node.span, positive, left, right)
        return typed.Not(node.span, result) if op == "!=" else result

    def comparable(self, node: ast.Node, left: typed.Node, right: typed.Node, op: str,
                   ) -> tuple[typed.Node, typed.Node] | _Invalid:
        """Check that two values can be compared with `op`; canonicalize an enum literal."""
        lt, rt = left.type, right.type  # type: ignore[union-attr]
        ordering = op in ("<", "<=", ">", ">=", "between")
        if lt is Type.ENUM or rt is Type.ENUM:
            enum_side, other = (left, right) if lt is Type.ENUM else (right, left)
            if ordering:
                return self.error("RD201", f"`{op}` does not apply to {self.field_name(enum_side)}, which has no order",
                                  node.span, "values of a fixed set are compared with `=`, `!=` or `in`")
            if other.type is Type.ENUM and isinstance(other, typed.Const):
                return left, right
            if other.type is not Type.TEXT or not isinstance(other, typed.Const):
                return self.mismatch(node, left, right, op)
            canonical = self.enum_value(enum_side, other)  # type: ignore[arg-type]
            if isinstance(canonical, _Invalid):
                return canonical
            return (enum_side, canonical) if lt is Type.ENUM else (canonical, enum_side)
        time_like = {Type.TIMESTAMP, Type.DATE}
        if lt in time_like and rt in time_like:
            return left, right
        if lt is rt and lt in (Type.NUMBER, Type.TEXT):
            return left, right
        if lt is rt is Type.BOOLEAN and not ordering:
            return left, right
        return self.mismatch(node, left, right, op)

    def mismatch(self, node: ast.Node, left: typed.Node, right: typed.Node, op: str) -> _Invalid:
        lt, rt = left.type, right.type  # type: ignore[union-attr]
        hints: list[str] = []
        if Type.DURATION in (lt, rt) and Type.TIMESTAMP in (lt, rt):
            hints.append("a duration is a length of time: write `90d ago` for a moment, or `x within 90d`")
        elif Type.TEXT_LIST in (lt, rt):
            hints.append('tags are tested with `tags contains "vip"`')
        elif lt is Type.TEXT and rt is Type.NUMBER and isinstance(right, typed.Const):
            hints.append(f'write text in quotes: "{right.value}"')
        elif lt is Type.BOOLEAN or rt is Type.BOOLEAN:
            hints.append("a condition is already true or false: use it on its own, or with `not`")
        return self.error(
            "RD201", f"cannot compare {_describe(left)} with {_describe(right)} using `{op}`", node.span,
            f"{_describe(left)} {op} {_describe(right)}", *hints,
        )

    def field_name(self, node: typed.Node) -> str:
        if isinstance(node, typed.Attribute):
            return f"`{node.field.name}`"
        return "this value"

    def enum_value(self, enum_side: typed.Attribute, literal: typed.Const) -> typed.Const | _Invalid:
        values = enum_side.field.values
        text = str(literal.value)
        for value in values:
            if value.lower() == text.lower():
                return typed.Const(literal.span, value, Type.ENUM)
        close = suggest(text, values)
        one_of = f"`{enum_side.field.name}` is one of: " + ", ".join(values)
        hints = (f"did you mean `{close}`?", one_of) if close else (one_of,)
        return self.error("RD203", f"`{text}` is not a value of `{enum_side.field.name}`", literal.span,
                          "unknown value", *hints)

    def lower_dates(self, span: Span, op: str, left: typed.Node, right: typed.Node) -> typed.Condition:
        """A date stands for its whole UTC day: compare against the day's first instant and the next day's."""
        if isinstance(left, typed.Const) and left.type is Type.DATE and not (
            isinstance(right, typed.Const) and right.type is Type.DATE
        ):
            flipped = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
            return self.lower_dates(span, flipped, right, left)
        if not (isinstance(right, typed.Const) and right.type is Type.DATE):
            return typed.Compare(span, op, left, right)  # type: ignore[arg-type]
        start, end = _day(right)
        if isinstance(left, typed.Const) and left.type is Type.DATE:
            left = _day(left)[0]
        match op:
            case "=":
                return typed.And(span, (typed.Compare(span, ">=", left, start), typed.Compare(span, "<", left, end)))
            case "<":
                return typed.Compare(span, "<", left, start)
            case "<=":
                return typed.Compare(span, "<", left, end)
            case ">":
                return typed.Compare(span, ">=", left, end)
            case _:
                return typed.Compare(span, ">=", left, start)

    def between(self, node: ast.Between) -> _Checked:
        value, low, high = self.value(node.value), self.value(node.low), self.value(node.high)
        if any(isinstance(v, _Invalid) for v in (value, low, high)):
            return _Invalid(node.span)
        # Both checks report at the whole `between`: stop at the first, so one mistake is reported once.
        first = self.comparable(node, value, low, "between")
        if isinstance(first, _Invalid):
            return first
        second = self.comparable(node, value, high, "between")
        if isinstance(second, _Invalid):
            return second
        if value.type in (Type.ENUM, Type.BOOLEAN):
            return self.error("RD201", f"`between` does not apply to {_describe(value)}", node.span, "not ordered")
        if low.type is Type.DATE or high.type is Type.DATE:
            parts = [self.lower_dates(node.span, ">=", value, low), self.lower_dates(node.span, "<=", value, high)]
            return typed.And(node.span, tuple(parts))
        return typed.Between(node.span, value, low, high)  # type: ignore[arg-type]

    def in_list(self, node: ast.In) -> _Checked:
        value = self.value(node.value)
        if not isinstance(node.options, ast.ListLiteral):
            self.value(node.options)
            return self.error("RD207", "`in` takes a list in square brackets", node.options.span, "not a list",
                              'e.g. `country in ["France", "Spain"]`')
        if not node.options.items:
            return self.error("RD207", "the list is empty", node.options.span, "nothing to match",
                              "an empty list matches no contact; remove the condition")
        options: list[typed.Node] = []
        kinds: set[Type] = set()
        invalid = isinstance(value, _Invalid)
        for item in node.options.items:
            checked = self.value(item)
            if isinstance(checked, _Invalid):
                invalid = True
                continue
            if checked.type is Type.NULL:
                invalid = True
                self.error("RD209", "missing values are tested with `is set`, not listed as null", item.span,
                           f"write `… or {self.snippet(node.value)} is not set`")
                continue
            if not isinstance(checked, typed.Const):
                invalid = True
                self.error("RD207", "list items are written as values", item.span, "not a literal value",
                           'write the values themselves, e.g. `["France", "Spain"]`')
                continue
            kinds.add(Type.TIMESTAMP if checked.type is Type.DATE else checked.type)
            options.append(checked)
        if len(kinds) > 1:
            return self.error("RD207", "a list holds values of one kind", node.options.span,
                              "mixed: " + ", ".join(sorted(k.article for k in kinds)))
        if invalid:
            return _Invalid(node.span)
        if value.type is Type.TEXT_LIST:
            return self.error("RD201", "`in` compares one value; tags are a list", node.span, "",
                              'write `tags contains "vip" or tags contains "gold"`')
        if value.type is Type.BOOLEAN:
            return self.error("RD201", "`in` does not apply to a condition", node.span, "")
        consts: list[typed.Const] = []
        dates: list[typed.Condition] = []
        for option in options:
            pair = self.comparable(node, value, option, "in")
            if isinstance(pair, _Invalid):
                return pair
            canonical = pair[1]
            if isinstance(canonical, typed.Const) and canonical.type is Type.DATE:
                dates.append(self.lower_dates(canonical.span, "=", value, canonical))
            else:
                consts.append(canonical)  # type: ignore[arg-type]
        if dates:
            if consts:
                dates.append(typed.InList(node.span, value, tuple(consts)))  # type: ignore[arg-type]
            return typed.Or(node.span, tuple(dates)) if len(dates) > 1 else dates[0]
        return typed.InList(node.span, value, tuple(consts))  # type: ignore[arg-type]

    def text_match(self, node: ast.TextMatch) -> _Checked:
        value, pattern = self.value(node.value), self.value(node.pattern)
        if isinstance(value, _Invalid) or isinstance(pattern, _Invalid):
            return _Invalid(node.span)
        if not (isinstance(pattern, typed.Const) and pattern.type is Type.TEXT):
            return self.error("RD201", f"`{node.op}` takes text in quotes", node.pattern.span,
                              f"{_describe(pattern)}, not quoted text")
        if value.type is Type.TEXT_LIST:
            if node.op != "contains":
                return self.error("RD201", f"`{node.op}` does not apply to a list", node.span, "",
                                  'tags are tested one by one with `tags contains "vip"`')
            return typed.HasTag(node.span, value, str(pattern.value))  # type: ignore[arg-type]
        if value.type is not Type.TEXT:
            return self.error("RD201", f"`{node.op}` works on text, not on {_describe(value)}", node.span,
                              f"{_describe(value)}")
        return typed.TextMatch(node.span, node.op, value, str(pattern.value))  # type: ignore[arg-type]

    def is_set(self, node: ast.IsSet) -> _Checked:
        value = self.value(node.value)
        if isinstance(value, _Invalid):
            return value
        if not isinstance(value, typed.Attribute | typed.Measure | typed.Arithmetic | typed.Negate):
            return self.error("RD201", "`is set` tests a field or a function", node.value.span,
                              "a literal value is always set")
        return typed.IsSet(node.span, value)

    def within(self, node: ast.Within) -> _Checked:
        value = self.value(node.value)
        window = self.duration(node.window, what="`within`")
        if isinstance(value, _Invalid) or isinstance(window, _Invalid):
            return _Invalid(node.span)
        if value.type is not Type.TIMESTAMP or isinstance(value, typed.Const | typed.Ago):
            return self.error("RD201", f"`within` tests a date field, not {_describe(value)}", node.value.span,
                              "not a date field", "e.g. `last_order_date within 30d`")
        return typed.Within(node.span, value, window)  # type: ignore[arg-type]

    # -------------------------------------------------------------------------------------------- values

    def value(self, node: ast.Expr) -> _Checked:
        match node:
            case ast.Text(value=value):
                return typed.Const(node.span, value, Type.TEXT)
            case ast.Number(value=value):
                return typed.Const(node.span, value, Type.NUMBER)
            case ast.Boolean(value=value):
                return typed.Const(node.span, value, Type.BOOLEAN)
            case ast.Date(value=value):
                return typed.Const(node.span, dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC),
                                   Type.DATE)
            case ast.Timestamp(value=value):
                return typed.Const(node.span, value, Type.TIMESTAMP)
            case ast.Null():
                return _NullConst(node.span)
            case ast.Duration():
                checked = self.duration(node, what="this")
                return checked if isinstance(checked, _Invalid) else _DurationValue(node.span, checked)
            case ast.Ago(duration=duration):
                checked = self.duration(duration, what="`ago`")
                return checked if isinstance(checked, _Invalid) else typed.Ago(node.span, checked)
            case ast.Name():
                return self.name(node)
            case ast.Call():
                return self.call(node)
            case ast.Negate(operand=operand):
                if isinstance(operand, ast.Duration | ast.Ago):
                    return self.error("RD205", "durations cannot be negative", node.span, "negative duration",
                                      "for a moment in the past write `30d ago`")
                inner = self.value(operand)
                if isinstance(inner, _Invalid):
                    return inner
                if inner.type is not Type.NUMBER:
                    return self.error("RD201", f"`-` works on numbers, not on {_describe(inner)}", node.span, "")
                return typed.Negate(node.span, inner)  # type: ignore[arg-type]
            case ast.Arithmetic(op=op, left=left_node, right=right_node):
                left, right = self.value(left_node), self.value(right_node)
                if isinstance(left, _Invalid) or isinstance(right, _Invalid):
                    return _Invalid(node.span)
                for side, side_node in ((left, left_node), (right, right_node)):
                    if side.type is not Type.NUMBER:
                        hint = ("for a moment in the past write `30d ago`",) if side.type in (
                            Type.TIMESTAMP, Type.DURATION) else ()
                        return self.error("RD201", f"`{op}` works on numbers, not on {_describe(side)}",
                                          side_node.span, f"{_describe(side)}", *hint)
                return typed.Arithmetic(node.span, op, left, right)  # type: ignore[arg-type]
            case ast.ListLiteral():
                return self.error("RD207", "a list is only allowed after `in`", node.span, "unexpected list",
                                  'e.g. `country in ["France", "Spain"]`')
        # A condition used where a value is expected: `(a = 1) + 2`, `order by a = 1`.
        checked = self.condition(node)
        return checked

    def duration(self, node: ast.Expr, *, what: str) -> typed.Duration | _Invalid:
        if isinstance(node, ast.Duration):
            if node.amount <= 0:
                return self.error("RD205", "a duration must be longer than zero", node.span, "zero length")
            if node.amount > ast.MAX_DURATION[node.unit]:
                limits = ", ".join(f"{amount:_}{unit}" for unit, amount in reversed(ast.MAX_DURATION.items()))
                return self.error("RD205", "a duration is at most 100 years", node.span, "too long",
                                  f"the longest durations are {limits}")
            return typed.Duration(node.span, node.amount, node.unit)
        if isinstance(node, ast.Ago):
            return self.error("RD205", f"{what} takes a length of time, not a moment", node.span, "drop `ago`",
                              "`within 30d` already means the 30 days up to now")
        if isinstance(node, ast.Number):
            return self.error("RD009", f"{what} takes a duration with a unit", node.span, "no unit",
                              f"e.g. `{node.raw}d` for days or `{node.raw}mo` for months")
        if isinstance(node, ast.Negate) and isinstance(node.operand, ast.Duration):
            return self.error("RD205", "durations cannot be negative", node.span, "negative duration")
        self.value(node)
        return self.error("RD204", f"{what} takes a duration such as `30d` or `6mo`", node.span, "not a duration")

    def name(self, node: ast.Name) -> _Checked:
        found = self.schema.lookup(node.name)
        if isinstance(found, Function):
            return self.error("RD104", f"`{node.name}` is a function: it needs parentheses", node.span,
                              f"write `{node.name}()` or `{found.signature()}`",
                              f"`{found.signature()}`: {found.description}")
        if found is None:
            return self.unknown(node.name, node.span, "RD101", "field", "not a field of the schema")
        return self.field(found, node.span)

    def field(self, found: Field, span: Span) -> typed.Node:
        if found.kind == "aggregate":
            return typed.Measure(span, found.name, found.measure or found.name, found.type, found.category,
                                 stored_column=found.stored_column, definition=found)
        return typed.Attribute(span, found)

    def unknown(self, name: str, span: Span, code: str, kind: str, label: str) -> _Invalid:
        names = self.schema.names()
        hints = []
        if name != name.lower() and self.schema.lookup(name.lower()) is not None:
            hints.append(f"names are lower-case: `{name.lower()}`")
        else:
            close = suggest(name, names)
            if close:
                entry = self.schema.lookup(close)
                assert entry is not None
                shown = close if isinstance(entry, Field) else f"{close}(…)"
                hints.append(f"did you mean `{shown}` ({entry.category.title})?")
        if not hints:
            hints.append("`rare fields` lists every field and function")
        return self.error(code, f"unknown {kind} `{name}`", span, label, *hints)

    def call(self, node: ast.Call) -> _Checked:
        found = self.schema.lookup(node.name)
        if isinstance(found, Field):
            for arg in node.args:
                self.value(arg.value)
            return self.error("RD104", f"`{node.name}` is a field, not a function", node.span,
                              f"write `{node.name}` without parentheses")
        if found is None:
            for arg in node.args:
                self.value(arg.value)
            return self.unknown(node.name, node.name_span, "RD102", "function", "not a function of the schema")
        return self.arguments(node, found)

    def arguments(self, node: ast.Call, function: Function) -> _Checked:
        given: dict[str, ast.Argument] = {}
        ok = True
        seen_named = False
        for index, arg in enumerate(node.args):
            if arg.name is None:
                if seen_named:
                    ok = False
                    self.error("RD108", "a positional argument cannot follow a named one", arg.span,
                               "positional after named", f"name it, e.g. `{self.param_at(function, index)}: …`")
                    continue
                if index >= len(function.params):
                    ok = False
                    self.error("RD204", f"`{function.name}` takes at most {len(function.params)} argument"
                               f"{'s' if len(function.params) != 1 else ''}", arg.span, "one too many",
                               f"`{function.signature()}`")
                    continue
                param_name = function.params[index].name
            else:
                seen_named = True
                param = function.param(arg.name)
                if param is None:
                    ok = False
                    close = suggest(arg.name, [p.name for p in function.params])
                    hint = f"did you mean `{close}`?" if close else f"`{function.signature()}`"
                    self.error("RD103", f"`{function.name}` has no argument `{arg.name}`", arg.name_span or arg.span,
                               "unknown argument", hint)
                    continue
                param_name = param.name
            if param_name in given:
                ok = False
                self.error("RD108", f"`{param_name}` is given twice", arg.span, "given again here",
                           f"`{function.signature()}`")
                continue
            given[param_name] = arg
        values: dict[str, object] = {}
        for param in function.params:
            arg = given.get(param.name)
            if arg is None:
                if param.required:
                    ok = False
                    self.error("RD204", f"`{function.name}` needs `{param.name}`", node.span,
                               f"`{param.name}` is missing", f"`{function.signature()}`")
                continue
            checked = self.argument(function, param.name, param.kind, arg.value)
            if isinstance(checked, _Invalid):
                ok = False
            else:
                values[param.name] = checked
        if not ok:
            return _Invalid(node.span)
        target = values.get("name")
        if function.measure == "in_segment" and self.segment_names is not None and target not in self.segment_names:
            close = suggest(str(target), self.segment_names)
            hint = f"did you mean `{close}`?" if close else "no segment of that name is loaded"
            return self.error("RD106", f"unknown segment `{target}`", given["name"].value.span, "no such segment", hint)
        return typed.Measure(
            node.span, function.name, function.measure, function.returns, function.category, event=function.event,
            within=values.get("within"), product=values.get("product"), vendor=values.get("vendor"),  # type: ignore[arg-type]
            month=values.get("month"), campaign=values.get("campaign"), series=values.get("series"),  # type: ignore[arg-type]
            target=target, definition=function,  # type: ignore[arg-type]
        )

    def param_at(self, function: Function, index: int) -> str:
        return function.params[index].name if index < len(function.params) else function.params[-1].name

    def argument(self, function: Function, name: str, kind: str, node: ast.Expr) -> object:
        if kind == "duration":
            return self.duration(node, what=f"`{name}`")
        if kind == "month":
            return self.month(node)
        if isinstance(node, ast.Text):
            if not node.value.strip():
                return self.error("RD204", f"`{name}` cannot be empty", node.span, "empty text")
            return node.value
        checked = self.value(node)
        if isinstance(checked, _Invalid):
            return checked
        return self.error("RD204", f"`{name}` of `{function.name}` takes text in quotes", node.span,
                          f"{_describe(checked)}, not quoted text", f'e.g. `{name}: "…"`')

    def month(self, node: ast.Expr) -> int | _Invalid:
        if isinstance(node, ast.Number) and isinstance(node.value, int) and 1 <= node.value <= 12:
            return node.value
        if isinstance(node, ast.Text):
            text = node.value.strip().lower()
            if text.isdigit() and 1 <= int(text) <= 12:
                return int(text)
            for number, month in enumerate(MONTHS, start=1):
                if text == month or (len(text) >= 3 and month.startswith(text)):
                    return number
            close = suggest(text, [m.capitalize() for m in MONTHS])
            hint = f'did you mean "{close}"?' if close else 'a month is "January" to "December", "jan" or 1 to 12'
            return self.error("RD206", f'"{node.value}" is not a month', node.span, "not a month", hint)
        if isinstance(node, ast.Number):
            return self.error("RD206", f"`{node.raw}` is not a month", node.span, "months are 1 to 12")
        self.value(node)
        return self.error("RD206", "`month` takes a month name or number", node.span, "not a month",
                          'e.g. `month: "December"` or `month: 12`')


class _NullConst(typed.Const):
    """The `null` literal: kept only long enough to say `is set` is the way to test for a missing value."""

    __slots__ = ()

    def __init__(self, span: Span):
        typed.Const.__init__(self, span, False, Type.NULL)


class _DurationValue(typed.Const):
    """A bare duration used as a value: only so comparisons can say that `90d ago` was meant."""

    __slots__ = ()

    def __init__(self, span: Span, duration: typed.Duration):
        typed.Const.__init__(self, span, duration.amount, Type.DURATION)


def _day(node: typed.Const) -> tuple[typed.Const, typed.Const]:
    start = node.value
    assert isinstance(start, dt.datetime)
    return (typed.Const(node.span, start, Type.TIMESTAMP),
            typed.Const(node.span, start + dt.timedelta(days=1), Type.TIMESTAMP))


__all__ = ["MONTHS", "check", "check_project"]
