"""Typed rule to sqlglot tree: the query shapes of the compiler.

The outer query is always `SELECT c.customer_id FROM customers AS c [LEFT JOIN m1 ...] WHERE ... [ORDER BY
... LIMIT n]`. Conditions are compiled with `not` pushed down to the leaves, so every leaf knows whether it
is wanted true or false, and SQL's NULL never reaches the final answer as "unknown" (SPEC 3.4: a NULL
leaf means false, a negated leaf is `NOT COALESCE(x, FALSE)`).

A leaf that reads one measure (a count, sum, average or date computed from facts) and otherwise only
constants is a semi-join on the filtered facts:

* false when the contact has no facts (e.g. `opens(6mo) >= 3`):
  `c.customer_id IN (SELECT customer_id FROM facts WHERE filters GROUP BY customer_id HAVING pred)`
* true when the contact has no facts (e.g. `opens(6mo) < 3`, `orders() = 0`):
  `NOT EXISTS (SELECT 1 FROM (SELECT customer_id FROM facts WHERE filters GROUP BY customer_id
  HAVING NOT COALESCE(pred, FALSE)) AS x WHERE x.customer_id = c.customer_id)`; the set is uncorrelated,
  so every engine computes it once (see `exists`).

A leaf that only asks whether facts exist (`orders() >= 1`, `refunds(1y) = 0`) needs neither GROUP BY nor
HAVING. Per-engine choices (`Target`): DuckDB copies an AND's conditions on the contact's fields into the
fact subqueries of its other operands (`restrict`); PostgreSQL reads each IN as a filter, not a join.

Boolean measures (`purchased`, `in_list`, `in_segment`) are the same shapes without HAVING. Any other use
of a measure (two measures in one comparison, arithmetic with a field, ranking) reads it from a
`LEFT JOIN (SELECT customer_id, agg AS value FROM facts WHERE filters GROUP BY customer_id) AS mN`,
with `COALESCE(mN.value, 0)` for counts and sums: one grouped subquery per distinct measure, filtered
by its window, never a conditional aggregation over all facts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction

from sqlglot import exp

from rare_dsl import typed
from rare_dsl.compiler.calendar import approximate_days, minus, naive_utc
from rare_dsl.compiler.dialects import Target, UnsupportedDialect
from rare_dsl.diagnostics import Diagnostic, RuleError, Source, Span, suggest
from rare_dsl.schema import Schema
from rare_dsl.types import Type

# Measures whose value over no facts is 0; the others (averages, dates) are missing.
_ZERO_AT_NO_ROWS = frozenset({"order_count", "orders", "spent", "total_spent", "refund_count", "refunds", "events",
                              "engagement"})
_BOOLEAN_MEASURES = frozenset({"purchased", "in_list", "in_segment"})
_ORDER_MEASURES = frozenset({"order_count", "orders", "spent", "total_spent", "average_order_value",
                             "first_order_date", "last_order_date", "purchased"})
# Measures of money, read exactly (`QueryBuilder.exact`) as the sum `Facts.exact` holds, not as its double.
_MONEY_MEASURES = frozenset({"spent", "total_spent", "average_order_value"})
# The decimal places of money and of a number field, for the ranking key of an exact number (`Sql.scale`).
_MONEY_DECIMALS = 2
_COMPARE = {"=": exp.EQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
_ARITHMETIC = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2}


def ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=True)


def column(alias: str, name: str) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(alias))


# Nodes built directly: sqlglot's `select().from_().where()` builders look their arguments up and wrap them
# on every call, which was a fifth of a short rule's compile time.
def _select(*columns: exp.Expression, source: exp.Expression) -> exp.Select:
    return exp.Select(expressions=list(columns), from_=exp.From(this=source))


def _where(query: exp.Select, condition: exp.Expression, key: str = "where",
           clause: type[exp.Expression] = exp.Where) -> exp.Select:
    """`query` with `condition` AND-ed into its WHERE (or HAVING), parenthesized as sqlglot's `where` does."""
    existing = query.args.get(key)
    if existing is not None:
        condition = exp.And(this=_parenthesized(existing.this), expression=_parenthesized(condition))
    query.set(key, clause(this=condition))
    return query


def _parenthesized(expr: exp.Expression) -> exp.Expression:
    return exp.Paren(this=expr) if isinstance(expr, exp.Connector) else expr


def _group(query: exp.Select, key: exp.Expression) -> exp.Select:
    query.set("group", exp.Group(expressions=[key]))
    return query


def in_query(value: exp.Expression, query: exp.Select) -> exp.In:
    """`value IN (SELECT ...)`: the subquery in parentheses, as sqlglot's own parser builds it."""
    return exp.In(this=value, query=exp.Subquery(this=query))


def table(name: str, alias: str) -> exp.Table:
    return exp.Table(this=ident(name), alias=exp.TableAlias(this=ident(alias)))


def balanced(kind: type[exp.Connector], items: Sequence[exp.Expression]) -> exp.Expression:
    """AND/OR of many operands as a balanced tree: sqlglot's `and_`/`or_` build left-deep trees, whose
    depth (5,000 conditions) exceeds Python's recursion limit in sqlglot's generator."""
    if len(items) == 1:
        return items[0]
    middle = len(items) // 2
    halves = [balanced(kind, part) for part in (items[:middle], items[middle:])]
    # Parentheses keep the printed SQL balanced too: engines parse a flat `a OR b OR ...` left-deep, and
    # SQLite refuses an expression deeper than 1,000.
    left, right = (exp.Paren(this=h) if isinstance(h, exp.Connector) else h for h in halves)
    return kind(this=left, expression=right)


def _wrap(expr: exp.Expression, level: int) -> exp.Expression:
    """`expr` in parentheses when it binds looser than `level` (1: + -, 2: * /, 3: unary minus)."""
    binding = 1 if isinstance(expr, exp.Add | exp.Sub) else 2 if isinstance(expr, exp.Mul | exp.Div) else 4
    if isinstance(expr, exp.Neg):
        binding = 3
    return exp.Paren(this=expr) if binding < level else expr


def measure_key(m: typed.Measure) -> tuple[object, ...]:
    """What makes two measures the same computation (spans and spellings aside)."""
    within = (m.within.amount, m.within.unit) if m.within else None
    return (m.measure, m.event, within, m.product, m.vendor, m.month, m.campaign, m.series, m.target,
            m.stored_column)


@dataclass
class Sql:
    """A compiled value or condition, and whether it can be NULL.

    An exact number (`QueryBuilder.exact`) is the quotient `expr / den` of two values computed without
    binary rounding (decimals and integers), `den` positive, or NULL where the divisor was zero; `den` is
    None for a whole value. `scale` and `den_scale` are the decimal places each may have: multiplied by
    ten to those powers, both are whole numbers, which a double holds exactly (the ranking key)."""

    expr: exp.Expression
    nullable: bool
    den: exp.Expression | None = None
    scale: int = 0
    den_scale: int = 0


@dataclass
class Facts:
    """The filtered fact rows behind a measure: `FROM source WHERE filters`, keyed by `customer`."""

    source: exp.Expression  # a table or a subquery, with its alias
    customer: exp.Column
    filters: list[exp.Expression]
    aggregate: exp.Expression | None  # None for boolean measures (existence)
    table: str | None = None  # the logical fact table (None for a segment's members)
    # Money read exactly: the numerator and denominator aggregates (`SUM(total)`, and `COUNT(total)` for an
    # average) that `aggregate` makes a double of; None where the aggregate is exact already (counts).
    exact: tuple[exp.Expression, exp.Expression | None] | None = None

    def select(self, *columns: exp.Expression) -> exp.Select:
        query = _select(*columns, source=self.source)
        return _where(query, balanced(exp.And, self.filters)) if self.filters else query


@dataclass
class Clock:
    """Anchored (`as_of` given: boundaries are computed here) or live (the engine's clock).

    `span` is the part of the rule that needs the time, for the RD301 of a dialect that has no live clock.
    """

    as_of: dt.datetime | None
    target: Target
    literal: Callable[[dt.datetime], exp.Expression]

    def now(self, span: Span) -> exp.Expression:
        if self.as_of is not None:
            return self.literal(self.as_of)
        self._check_live(span)
        return self.target.now()

    def minus(self, duration: typed.Duration, span: Span) -> exp.Expression:
        if self.as_of is not None:
            return self.literal(minus(self.as_of, duration.amount, duration.unit))
        self._check_live(span)
        return self.target.minus(duration.amount, duration.unit)

    def _check_live(self, span: Span) -> None:
        if self.target.live_refusal() is not None:
            raise self.target.refuse_live(span)


@dataclass
class Binder:
    """Makes literals, or placeholders in parameterized mode (values recorded in creation order)."""

    target: Target
    parameterized: bool
    params: list[object] = field(default_factory=list)

    def bind(self, value: object) -> exp.Expression:
        """A user value: a placeholder when parameterized, else a literal built by sqlglot."""
        if self.parameterized:
            self.params.append(self.target.param(value))
            return exp.Placeholder(this=f"rare_param_{len(self.params) - 1}")
        return self.constant(value)

    def constant(self, value: object) -> exp.Expression:
        if isinstance(value, bool):
            return exp.true() if value else exp.false()
        if isinstance(value, int | Decimal | float):
            return exp.Literal.number(str(value))
        if isinstance(value, str):
            return self.target.text(value)
        raise TypeError(f"no literal for {value!r}")

    def timestamp(self, value: dt.datetime) -> exp.Expression:
        value = naive_utc(value)
        if self.parameterized:
            return self.target.timestamp_param(value, self.bind)
        return self.target.timestamp(value)


class SegmentSets:
    """The segments a query refers to, and which of them it compiles once as a common table expression.

    A segment that refers to no other and is referred to once is inlined where it is used, as a subquery
    (the common one-level case, which planners handle best); every other is compiled once, dependencies
    first, as `WITH "segment_<name>" AS (...)`, so a chain of segments prints each of them once and the
    SQL grows with the number of segments, not with their depth. Found by an iterative walk; a cycle is
    RD107 at the reference that closes it."""

    def __init__(self, segments: Mapping[str, typed.CheckedRule], rule: typed.CheckedRule):
        uses: dict[str, int] = {}
        refers: dict[str, bool] = {}
        order: list[str] = []
        state: dict[str, int] = {}  # 1 on the current path, 2 done
        path: list[tuple[str | None, list[typed.Measure]]] = [(None, rule.segment_references())]
        sources = [rule.source]
        while path:
            name, pending = path[-1]
            if not pending:
                path.pop()
                sources.pop()
                if name is not None:
                    state[name] = 2
                    order.append(name)
                continue
            ref = pending.pop(0)
            target = str(ref.target)
            if target not in segments:
                continue  # RD106 where the reference is compiled
            uses[target] = uses.get(target, 0) + 1
            if state.get(target) == 1:
                names = [n for n, _ in path if n is not None]
                cycle = " → ".join([*names[names.index(target):], target])
                raise RuleError([Diagnostic("RD107", f"segments refer to each other in a cycle: {cycle}",
                                            ref.span, sources[-1], label="uses a segment that uses this rule")])
            if target not in state:
                state[target] = 1
                references = segments[target].segment_references()
                refers[target] = bool(references)
                path.append((target, references))
                sources.append(segments[target].source)
        self.names = {name: f"segment_{name}" for name in order if refers[name] or uses[name] > 1}
        self.order = [name for name in order if name in self.names]
        self.compiled: list[tuple[str, exp.Select]] = []


class QueryBuilder:
    """Builds the SELECT of one rule; `in_segment` references compile nested builders."""

    def __init__(self, schema: Schema, target: Target, binder: Binder, clock: Clock,
                 segments: Mapping[str, typed.CheckedRule], shared: SegmentSets | None = None):
        self.schema = schema
        self.target = target
        self.binder = binder
        self.clock = clock
        self.segments = segments
        # The referenced segments compiled once for the whole query (`SegmentSets`); None while compiling
        # the top-level rule, until `rule` has planned them.
        self.shared = shared
        self.joins: dict[tuple[object, ...], tuple[str, typed.Measure]] = {}
        self.aliases = 0
        # While compiling a HAVING clause: the measure being aggregated, its aggregate, and its exact form.
        self.having: tuple[tuple[object, ...], Sql, tuple[exp.Expression, exp.Expression | None] | None] | None \
            = None
        # The joined measures whose exact sums (`Facts.exact`) a leaf reads: their groups select them too.
        self.exact_joins: set[tuple[object, ...]] = set()
        self.plain_joins: set[tuple[object, ...]] = set()
        # Conditions on the contact's own fields that every enclosing AND also requires, with whether each is
        # wanted negated: copied into the facts subqueries compiled meanwhile (see `restrict`).
        self.pushed: tuple[tuple[typed.Condition, bool], ...] = ()
        # The alias whose columns a field reads: the outer query's contacts, or those joined by `restrict`.
        self.row = "c"
        # Whether measures on indexed facts are read per contact (correlated), because an enclosing AND has
        # already narrowed the contacts: by their fields (`Target.LOOKUPS_AFTER_FIELDS`), or by a set of
        # facts (`Target.LOOKUPS_AFTER_FACTS`); and whether the absence of facts is looked up too (only
        # after fields: PostgreSQL anti-joins a grouped set faster than it searches the facts).
        self.lookups = False
        self.absences = False
        # Whether the leaf being compiled is on the events a shop has few of (`_FEW_EVENTS`): a set, never a
        # search per contact, whatever the lookups above and `Target.ANTI_JOIN_BY_LOOKUP` say.
        self.few = False
        # Whether the condition being compiled is a conjunct of the WHERE clause, under no OR: the planner
        # sees its subqueries as semi-joins and anti-joins (`Target.DATE_BOUNDS_AS_EXISTS`,
        # `Target.DRIVE_FROM_SET`); and whether it is the set such an AND starts from.
        self.planned = True
        self.driving = False
        self.source: Source | None = None  # of the rule being compiled, for diagnostics

    # ---------------------------------------------------------------------------------------- schema

    def col(self, logical_table: str, alias: str, logical_column: str) -> exp.Column:
        return column(alias, self.schema.tables[logical_table].column(logical_column))

    def src(self, logical_table: str, alias: str) -> exp.Table:
        return table(self.schema.tables[logical_table].name, alias)

    def indexed(self, logical_table: str) -> bool:
        return self.schema.tables[logical_table].indexed

    def customer(self) -> exp.Column:
        return self.col("customers", "c", "customer_id")

    def alias(self, stem: str) -> str:
        self.aliases += 1
        return f"{stem}{self.aliases}"

    # ------------------------------------------------------------------------------------------ rule

    def rule(self, rule: typed.CheckedRule) -> exp.Select:
        top = self.shared is None
        if top:
            self.shared = SegmentSets(self.segments, rule)
            for name in self.shared.order:
                # Dependencies first, each compiled by its own builder that only looks the sets it uses
                # up: no recursion per link, however long a chain of segments.
                sub = QueryBuilder(self.segments[name].schema, self.target, self.binder, self.clock,
                                   self.segments, self.shared)
                self.shared.compiled.append((self.shared.names[name], sub.rule(self.segments[name])))
        self.source = rule.source
        try:
            query = self.select(rule)
        except UnsupportedDialect as error:
            # The innermost rule (a referenced segment's, perhaps) is the one the span points into.
            if error.span is not None and error.source is None:
                raise error.located(rule.source) from None
            raise
        if top and self.shared.compiled:
            query.set("with_", exp.With(expressions=[exp.CTE(this=members, alias=exp.TableAlias(this=ident(name)))
                                                     for name, members in self.shared.compiled]))
        return query

    def select(self, rule: typed.CheckedRule) -> exp.Select:
        query = _select(self.customer(), source=self.src("customers", "c"))
        condition, joined = self.joined_sets(rule)
        where = self.condition(condition, False).expr if condition is not None else None
        existing = self.existing()
        if existing is not None:
            # First: a test of the contact's own row, which SQLite, testing an AND's terms in order, then
            # makes before any search of the facts.
            where = existing if where is None else exp.And(this=existing, expression=_parenthesized(where))
        # The WHERE clause drops every contact that fails a top-level condition on its fields, so the
        # grouped measures need no row for such a contact either, and a ranking can look its values up for
        # the remaining contacts only.
        self.pushed = self.row_conjuncts(rule.condition) if rule.condition is not None else ()
        ordering: list[exp.Ordered] = []
        for key in rule.order_by:
            self.lookups = self.ranked_per_contact(key, len(self.pushed))
            read = self.rank_key if _inexact(key.expr) else self.value
            value = read(key.expr)
            if value.nullable:
                # Missing values last in either direction, spelled the same way on every engine. The test
                # reads the key a second time: parameterized, it is built again, as a copy would repeat its
                # placeholders (`order by (total_spent / 5)`), which parameterized SQL cannot have.
                tested = read(key.expr).expr if self.binder.parameterized else value.expr.copy()
                missing = exp.Case(ifs=[exp.If(this=exp.Is(this=tested, expression=exp.null()),
                                               true=exp.Literal.number(1))], default=exp.Literal.number(0))
                ordering.append(self.target.ordered(missing, descending=False))
            ordering.append(self.target.ordered(value.expr, descending=key.descending))
        self.lookups = False
        inner: set[tuple[object, ...]] = set()
        for alias, measure in self.joins.values():
            facts = self.facts(measure, alias_stem=f"{alias}_")
            assert facts.aggregate is not None
            selected = [exp.alias_(facts.customer.copy(), "customer_id", quoted=True)]
            if measure_key(measure) in self.plain_joins or facts.exact is None:
                selected.append(exp.alias_(facts.aggregate, "value", quoted=True))
            if measure_key(measure) in self.exact_joins and facts.exact is not None:
                selected.append(exp.alias_(facts.exact[0], "exact", quoted=True))
                if facts.exact[1] is not None:
                    selected.append(exp.alias_(facts.exact[1], "den", quoted=True))
            grouped = facts.select(*selected)
            grouped = self.restrict(grouped, facts)
            grouped = _group(grouped, facts.customer.copy())
            on = exp.EQ(this=column(alias, "customer_id"), expression=self.customer())
            key = _facts_key(measure)
            if key in joined:
                inner.add(key)
            query.append("joins", exp.Join(this=exp.Subquery(this=grouped, alias=exp.TableAlias(this=ident(alias))),
                                           side="" if key in joined else "LEFT", on=on))
        for key, leaf in joined.items():
            if key not in inner:  # its measure was read otherwise (looked up): the set is tested after all
                found = self.condition(leaf, False).expr
                where = found if where is None else exp.And(this=where, expression=found)
        if where is not None:
            query = _where(query, where)
        if ordering:
            ordering.append(self.target.ordered(self.customer(), descending=False))
            query = query.order_by(*ordering, copy=False)
        if rule.limit is not None:
            query = query.limit(exp.Literal.number(rule.limit), copy=False)
        return query

    def contacts(self) -> exp.Select:
        """`SELECT customer_id FROM customers`: every contact that exists at the instant (`existing`)."""
        query = _select(self.customer(), source=self.src("customers", "c"))
        existing = self.existing()
        return _where(query, existing) if existing is not None else query

    def existing(self) -> exp.Expression | None:
        """At an as-of instant, the contacts that exist then (SPEC 8.4): created at or before it, or never
        dated (SPEC 8.1: a contact without `created_at` has always existed). None in live mode, which reads
        every contact of the store as it is."""
        if self.clock.as_of is None:
            return None
        created = self.col("customers", "c", "created_at")
        dated = exp.LTE(this=created, expression=self.clock.literal(self.clock.as_of))
        return exp.Paren(this=exp.Or(this=exp.Is(this=created.copy(), expression=exp.null()), expression=dated))

    def joined_sets(self, rule: typed.CheckedRule
                    ) -> tuple[typed.Condition | None, dict[tuple[object, ...], typed.Condition]]:
        """Aggregate first, then join, for a ranking: the top-level conditions that only ask whether the
        contact has facts that a ranking measure groups anyway (`orders(1y) >= 1 order by spent(1y) desc`)
        are answered by an inner join of that measure's groups, since the contacts with such facts are
        exactly those with a group. Returns the condition without them, and them by their facts."""
        if rule.condition is None or not rule.order_by:
            return rule.condition, {}
        pushed = self.row_conjuncts(rule.condition)
        ranked: set[tuple[object, ...]] = set()
        for key in rule.order_by:
            if self.ranked_per_contact(key, len(pushed)):
                continue  # no grouped measure to join
            for m in self.measures_in(key.expr):
                if m.stored_column is None and m.measure not in _BOOLEAN_MEASURES:
                    ranked.add(_facts_key(m))
        node = rule.condition
        operands = self.flatten(node, False) if isinstance(node, typed.And) else [(node, False)]
        kept: list[typed.Condition] = []
        joined: dict[tuple[object, ...], typed.Condition] = {}
        for op, flipped in operands:
            measure = self.sole_measure(op)
            key = _facts_key(measure) if measure is not None else None
            if measure is not None and key in ranked and key not in joined and _existence(op, flipped, measure):
                joined[key] = op
            else:
                kept.append(typed.Not(span=op.span, operand=op) if flipped else op)
        if not joined:
            return node, {}
        if not kept:
            return None, joined
        return (kept[0] if len(kept) == 1 else typed.And(span=node.span, operands=tuple(kept))), joined

    # ------------------------------------------------------------------------------------ conditions

    def is_true(self, expr: exp.Expression, nullable: bool) -> exp.Expression:
        """The two-valued reading of a condition: NULL is false."""
        return self.target.is_true(expr) if nullable else expr

    def negate(self, expr: exp.Expression, nullable: bool) -> exp.Expression:
        return exp.Not(this=exp.Paren(this=self.is_true(expr, nullable)))

    def condition(self, node: typed.Condition, negated: bool) -> Sql:
        """A condition, or its complement when `negated`; NULL in the result means false."""
        match node:
            case typed.Not(operand=operand):
                return self.condition(operand, not negated)
            case typed.And() | typed.Or():
                return self.junction(node, negated)
            case typed.Const(value=value):
                return Sql(exp.true() if bool(value) != negated else exp.false(), False)
            case typed.HasTag():
                return self.tags(node, negated=negated)
            case typed.IsSet(value=typed.Attribute(type=Type.TEXT_LIST)):
                return self.tags(node, negated=negated)
        measure = self.sole_measure(node)
        if measure is not None and (measure.measure not in _BOOLEAN_MEASURES or node is measure):
            return self.semi_join(node, measure, negated)
        result = self.predicate(node)
        return Sql(self.negate(result.expr, result.nullable), False) if negated else result

    def junction(self, node: typed.And | typed.Or, negated: bool) -> Sql:
        """AND/OR, flattened: De Morgan keeps negations at the leaves, where each picks its best shape, and
        nested junctions of the same kind merge, so `a or (b or (c or ...))` prints without nesting (SQLite's
        parser overflows at about 35 nested parentheses)."""
        is_and = isinstance(node, typed.And) != negated
        operands = self.flatten(node, negated)
        saved, saved_lookups, saved_planned = self.pushed, (self.lookups, self.absences), self.planned
        first = 0  # how many leading operands are compiled before lookups start
        if is_and:
            fields = [part for part in operands if self.row_only(part[0])]
            self.pushed = saved + tuple(fields)
            few = [part for part in operands if self.few_events(part[0])]
            if self.narrowed(len(fields), len(operands) - len(fields) - len(few)):
                # The fields first: an engine that tests the terms of an AND in order then looks facts up
                # only for the contacts they keep; then the sets of few events, tested once built, before
                # any lookup.
                self.lookups = self.absences = True
                operands = fields + few + [part for part in operands
                                           if not self.row_only(part[0]) and not any(part is f for f in few)]
            elif not fields and not self.lookups and self.target.LOOKUPS_AFTER_FACTS:
                driver = self.driver(operands)
                if driver is not None:
                    # The set on the smallest facts first, then the others looked up for its members.
                    operands = [driver, *(part for part in operands if part is not driver)]
                    first = 1
        else:
            self.planned = False
        # Only from a set on a table that holds few rows, grouped or not: a large set (the 28% of contacts
        # who opened in 90 days) as a semi-join made PostgreSQL hash it in each parallel worker, 1.5 times
        # slower than the filter.
        drive = (first > 0 and self.planned and self.target.DRIVE_FROM_SET
                 and _FACT_TABLES[self.measures_in(operands[0][0])[0].measure] in _SMALL_TABLES)
        # Not with placeholders: each condition's filters are printed twice (WHERE and CASE), and a value
        # cannot be bound twice.
        merge = self.target.MERGE_FACT_SETS if is_and else self.target.MERGE_FEW_EVENTS_OR
        one_pass = merge and not self.lookups and not first and not self.binder.parameterized
        groups = self.same_facts(operands, few_only=not is_and) if one_pass else {}
        if not is_and and sum(len(group) for group in groups.values()) != len(operands):
            groups = {}  # an OR merges only when all of it is one set (`Target.MERGE_FEW_EVENTS_OR`)
        merged = {id(part) for group in groups.values() for part, _ in group[1:]}
        try:
            self.driving = drive
            parts = [self.condition(op, flipped) for op, flipped in operands[:first]]
            self.driving = False
            self.lookups = self.lookups or first > 0
            self.absences = self.absences or drive
            for part in operands[first:]:
                if id(part) in groups:
                    parts.append(self.one_pass(groups[id(part)], is_and))
                elif id(part) not in merged:
                    parts.append(self.condition(*part))
        finally:
            self.pushed, (self.lookups, self.absences), self.planned = saved, saved_lookups, saved_planned
            self.driving = False
        if not is_and and not groups and not self.pushed and self.target.OR_OF_SETS_AS_UNION:
            parts = self.union_of_sets(operands, parts)
        kind = exp.And if is_and else exp.Or
        # A part that is itself a junction is of the other kind and comes parenthesized.
        return Sql(exp.Paren(this=balanced(kind, [p.expr for p in parts])), any(p.nullable for p in parts))

    @staticmethod
    def flatten(node: typed.And | typed.Or, negated: bool) -> list[tuple[typed.Condition, bool]]:
        """The operands of a junction with its nested junctions of the same kind merged, each with whether
        it is wanted negated (De Morgan)."""
        is_and = isinstance(node, typed.And) != negated
        operands: list[tuple[typed.Condition, bool]] = []
        stack: list[tuple[typed.Condition, bool]] = [(op, negated) for op in reversed(node.operands)]
        while stack:
            op, flipped = stack.pop()
            while isinstance(op, typed.Not):
                op, flipped = op.operand, not flipped
            if isinstance(op, typed.And | typed.Or) and (isinstance(op, typed.And) != flipped) == is_and:
                stack.extend((child, flipped) for child in reversed(op.operands))
            else:
                operands.append((op, flipped))
        return operands

    def same_facts(self, operands: list[tuple[typed.Condition, bool]], few_only: bool = False
                   ) -> dict[int, list[tuple[tuple[typed.Condition, bool], typed.Measure]]]:
        """The operands of a junction that are sets of contacts with some facts (one measure, false without
        facts) on a table shared with another such operand, grouped by table and keyed by the id of each
        group's first operand (`one_pass`); with `few_only`, only those on the events a shop has few of."""
        by_table: dict[str, list[tuple[tuple[typed.Condition, bool], typed.Measure]]] = {}
        for part in operands:
            op, flipped = part
            measure = self.sole_measure(op)
            if measure is None or (few_only and not _on_few_events(measure)):
                continue
            if measure.measure in _BOOLEAN_MEASURES or _ZeroFold(measure).condition(op) != flipped:
                continue
            by_table.setdefault(_FACT_TABLES[measure.measure], []).append((part, measure))
        return {id(group[0][0]): group for group in by_table.values() if len(group) > 1}

    def one_pass(self, leaves: list[tuple[tuple[typed.Condition, bool], typed.Measure]], is_and: bool) -> Sql:
        """AND-ed (or OR-ed) conditions on the same fact table as one grouped set: its rows are those of any
        of them, and each condition reads its measure over its own rows only (`COUNT(CASE WHEN filters THEN
        1 END)`, with the filters that not all of them share) in the HAVING, which joins the tests as the
        junction does. Exact, because each condition is false for a contact without its facts, whose group
        then has no such rows (and a contact without any is in no group, false for all of them). A date that
        one fact answers (`last_open_date within 30d`, `_date_sides`) asks for such a fact, so that the rows
        read are the window's, not every open ever."""
        read: list[tuple[typed.Condition, bool, typed.Measure, Facts, bool]] = []
        for (op, flipped), measure in leaves:
            within = not flipped and _date_sides(op, measure) == 1
            facts = self.facts_passing(op, measure) if within else self.facts(measure)
            assert facts.aggregate is not None
            if read:  # the same table under the first condition's alias
                for node in (*facts.filters, facts.aggregate, *(facts.exact or ())):
                    if node is not None:
                        _rename(node, facts.customer.table, read[0][3].customer.table)
            read.append((op, flipped, measure, facts, within))
        where, rests = _any_of([facts.filters for *_, facts, _ in read], loose=not is_and and _close_windows(leaves))
        tests: list[exp.Expression] = []
        for (op, flipped, measure, facts, within), rest in zip(read, rests, strict=True):
            when = balanced(exp.And, [f.copy() for f in rest]) if rest else None
            aggregate = exp.Count(this=exp.Star()) if within else facts.aggregate
            assert aggregate is not None
            exact = None if within else facts.exact
            if when is not None:
                aggregate = _only_when(aggregate, when)
                if exact is not None:
                    exact = (_only_when(exact[0], when.copy()),
                             None if exact[1] is None else _only_when(exact[1], when.copy()))
            if within:
                tests.append(exp.GTE(this=aggregate, expression=exp.Literal.number(1)))
                continue
            positive = self.predicate_over(op, aggregate, measure, exact)
            tests.append(self.negate(positive.expr, positive.nullable) if flipped else positive.expr)
        first = read[0][3]
        return self.exists(Facts(first.source, first.customer, where, None, first.table),
                           balanced(exp.And if is_and else exp.Or, tests), False)

    def union_of_sets(self, operands: list[tuple[typed.Condition, bool]], parts: list[Sql]) -> list[Sql]:
        """An OR whose every operand came out as a set of contacts (`customer IN (S)`) as one set, `customer IN
        (S1 UNION ALL S2 ...)` (`Target.OR_OF_SETS_AS_UNION`), unless a set holds a row per fact of a large
        table (`opens(90d) >= 1`: every open of 90 days), which the union would carry whole; else `parts`."""
        queries: list[exp.Expression] = []
        for (op, _), part in zip(operands, parts, strict=True):
            measure = self.sole_measure(op)
            query = part.expr.args.get("query") if isinstance(part.expr, exp.In) else None
            if measure is None or measure.measure == "in_segment" or not isinstance(query, exp.Subquery) \
                    or not _identical(part.expr.this, self.customer()):
                return parts
            members = query.this
            if not members.args.get("group") and _FACT_TABLES[measure.measure] not in _SMALL_TABLES \
                    and not _on_few_events(measure):
                return parts
            queries.append(members)
        union = _balanced_union(queries)
        return [Sql(in_query(self.customer(), union), any(part.nullable for part in parts))]

    def driver(self, operands: list[tuple[typed.Condition, bool]]) -> tuple[typed.Condition, bool] | None:
        """The operand of an AND without field conditions whose contacts the others are looked up for: the
        one-measure condition false without facts (a set of the contacts who have some) on the table that
        usually holds the fewest rows; None unless another operand is a condition on indexed facts."""
        ranked = []
        for index, (op, flipped) in enumerate(operands):
            measure = self.sole_measure(op)
            if measure is None:
                continue
            kind = measure.measure
            if kind == "in_segment" or (kind in _BOOLEAN_MEASURES and op is not measure):
                continue
            if _ZeroFold(measure).condition(op) != flipped:
                continue  # true for contacts without facts: not a set of the contacts who have some
            ranked.append((_TABLE_SIZE_RANK[_FACT_TABLES[kind]], index))
        if not ranked:
            return None
        driver = operands[min(ranked)[1]]
        for op, _ in operands:
            if op is driver[0]:
                continue
            for sub in typed.walk(op):
                if isinstance(sub, typed.HasTag) and self.indexed("customer_tags"):
                    return driver
                if isinstance(sub, typed.Measure) and sub.stored_column is None \
                        and self.indexed(_FACT_TABLES[sub.measure]):
                    return driver
        return None

    def ranked_per_contact(self, key: typed.OrderKey, fields: int) -> bool:
        """Whether a ranking key's measures are read per contact after `fields` top-level conditions on
        fields. Not a value that can be missing: it is printed twice (the test for missing, then the value),
        which a lookup would run twice and parameterized SQL cannot repeat, so it keeps the joined form."""
        return self.narrowed(fields, 1) and _never_missing(key.expr)

    def narrowed(self, fields: int, facts: int) -> bool:
        """Whether an AND of `fields` conditions on the contact's fields and `facts` other conditions reads
        its measures per contact (`Target.LOOKUPS_AFTER_FIELDS`)."""
        least = self.target.LOOKUPS_AFTER_FIELDS
        return least > 0 and fields > 0 and facts >= least

    def row_conjuncts(self, node: typed.Condition) -> tuple[tuple[typed.Condition, bool], ...]:
        """The conditions on the contact's own fields that `node` requires at its top level."""
        negated = False
        while isinstance(node, typed.Not):
            node, negated = node.operand, not negated
        if isinstance(node, typed.And | typed.Or) and isinstance(node, typed.And) != negated:
            return tuple(part for part in self.flatten(node, negated) if self.row_only(part[0]))
        return ((node, negated),) if self.row_only(node) else ()

    @staticmethod
    def row_only(node: typed.Condition) -> bool:
        """Whether a condition reads only the contact's own row (fields and constants): no facts, no tags."""
        for sub in typed.walk(node):
            if isinstance(sub, typed.Measure | typed.HasTag):
                return False
            if isinstance(sub, typed.Attribute) and sub.type == Type.TEXT_LIST:
                return False
        return True

    def restrict(self, query: exp.Select, facts: Facts) -> exp.Select:
        """`query` over facts, joined to the contacts that pass the conditions in `self.pushed`.

        An AND's conditions on the contact's fields are copied into the subqueries of its other operands:
        the engine then aggregates the facts of those contacts only, instead of every contact's facts before
        the semi-join throws most groups away. Exact, because the copy only removes contacts that the
        enclosing AND rejects anyway.
        """
        if not self.pushed or facts.table not in self.target.COPY_FIELD_CONDITIONS:
            return query
        alias = self.alias("p")
        pushed, row = self.pushed, self.row
        self.pushed, self.row = (), alias
        try:
            tests = [self.condition(node, negated) for node, negated in pushed]
        finally:
            self.pushed, self.row = pushed, row
        # WHERE keeps a row only where every test is TRUE: a NULL test drops it, as the outer query does.
        admitted = balanced(exp.And, [t.expr for t in tests])
        on = exp.EQ(this=self.col("customers", alias, "customer_id"), expression=facts.customer.copy())
        # A Join node built here: `Select.join` would parse its join type from text on every call.
        query.append("joins", exp.Join(this=self.src("customers", alias), kind="INNER", on=on))
        return _where(query, admitted)

    def predicate(self, node: typed.Condition) -> Sql:
        """A leaf condition over row values (fields, joined measures, constants)."""
        match node:
            case typed.Compare(op=op, left=left, right=right) if _inexact(left) or _inexact(right):
                a, b = self.exact(left), self.exact(right)
                return Sql(self.compare(op, a, b), a.nullable or b.nullable or a.den is not None or b.den is not None)
            case typed.Compare(op=op, left=left, right=right):
                a, b = self.value(left), self.value(right)
                return Sql(_COMPARE[op](this=a.expr, expression=b.expr), a.nullable or b.nullable)
            case typed.Between(value=value, low=low, high=high) if _inexact(value) or _inexact(low) \
                    or _inexact(high):
                # Two comparisons: the value is built once for each, as its placeholders cannot repeat.
                v, lo = self.exact(value), self.exact(low)
                above = self.compare(">=", v, lo)
                again, hi = self.exact(value), self.exact(high)
                below = self.compare("<=", again, hi)
                return Sql(exp.Paren(this=exp.And(this=above, expression=below)), True)
            case typed.Between(value=value, low=low, high=high):
                v, lo, hi = self.value(value), self.value(low), self.value(high)
                return Sql(exp.Between(this=v.expr, low=lo.expr, high=hi.expr),
                           v.nullable or lo.nullable or hi.nullable)
            case typed.InList(value=value, options=options) if _inexact(value):
                equal = [self.compare("=", self.exact(value), self.exact(option)) for option in options]
                return Sql(exp.Paren(this=balanced(exp.Or, equal)), True)
            case typed.InList(value=value, options=options):
                v = self.value(value)
                items = [self.value(option).expr for option in options]
                return Sql(exp.In(this=v.expr, expressions=items), v.nullable)
            case typed.TextMatch(op=op, value=value, pattern=pattern):
                v = self.value(value)
                if not pattern:
                    return Sql(exp.Not(this=exp.Is(this=v.expr, expression=exp.null())), False)
                # A column stored in lower case (`lowercase = true`) is compared as it is: only the rule's text
                # is folded, in Python, which every engine can do exactly.
                stored_lower = isinstance(value, typed.Attribute) and value.field.lowercase
                if not stored_lower:
                    self.target.check_text(pattern, node.span)
                return Sql(self.target.text_match(op, v.expr, pattern, self.binder.bind, stored_lower=stored_lower),
                           v.nullable)
            case typed.IsSet(value=value):
                v = self.value(value)
                if not v.nullable:
                    return Sql(exp.true(), False)
                return Sql(exp.Not(this=exp.Is(this=v.expr, expression=exp.null())), False)
            case typed.Within(value=value, window=window):
                # The value is printed twice: a lookup would run twice, and a placeholder cannot repeat.
                lookups, self.lookups = self.lookups, False
                try:
                    v = self.value(value)
                finally:
                    self.lookups = lookups
                inside = exp.And(this=exp.GT(this=v.expr, expression=self.clock.minus(window, node.span)),
                                 expression=exp.LTE(this=v.expr.copy(), expression=self.clock.now(node.span)))
                return Sql(exp.Paren(this=inside), v.nullable)
            case typed.Attribute():
                return Sql(self.value(node).expr, True)
            case typed.Measure():
                return self.value(node)
        raise TypeError(f"not a condition: {node!r}")

    def tags(self, node: typed.HasTag | typed.IsSet, *, negated: bool) -> Sql:
        alias = self.alias("t")
        tag = self.col("customer_tags", alias, "tag")
        if isinstance(node, typed.HasTag):
            self.target.check_text(node.tag, node.span)
            test = self.target.equal_ignoring_case(tag, node.tag, self.binder.bind)
        else:
            test = exp.Not(this=exp.Is(this=tag, expression=exp.null()))
        facts = Facts(self.src("customer_tags", alias), self.col("customer_tags", alias, "customer_id"), [test], None,
                      "customer_tags")
        return self.exists(facts, None, negated, restrict=False)  # tags are few per contact

    def few_events(self, node: typed.Condition) -> bool:
        """Whether `node` is a leaf on one measure that `few_facts` reads as a set."""
        measure = self.sole_measure(node)
        return measure is not None and self.few_facts(measure)

    def few_facts(self, measure: typed.Measure) -> bool:
        """Whether `measure` counts the events a shop has few of, read as a set here whatever the lookups
        around it (`Target.FEW_EVENTS_AS_SETS`)."""
        return self.target.FEW_EVENTS_AS_SETS and _on_few_events(measure)

    def semi_join(self, node: typed.Condition, measure: typed.Measure, negated: bool) -> Sql:
        """A leaf over one measure as IN (... HAVING) or NOT EXISTS (... HAVING NOT ...), see the module doc."""
        if not self.few and self.few_facts(measure):
            self.few = True
            try:
                return self.semi_join(node, measure, negated)
            finally:
                self.few = False
        if measure.measure in _BOOLEAN_MEASURES and node is measure:
            if measure.measure == "in_segment":
                return self.in_segment(measure, negated)
            return self.exists(self.facts(measure), None, negated)
        true_at_zero = _ZeroFold(measure).condition(node) != negated
        constant = _any_fact(node, measure)
        if constant is not None and (constant != negated) == (not true_at_zero):
            # `orders() >= 1`, `refunds(1y) = 0`: the leaf only asks whether the contact has such facts, so
            # the set needs no grouping (a plain semi-join, or anti-join, on the facts).
            return self.exists(self.facts(measure), None, true_at_zero)
        sides = _date_sides(node, measure)
        if sides == 1:
            # `last_open_date within 30d`, `first_order_date < 2026-01-01`: whether some fact's own date
            # passes, a plain semi-join (or anti-join) on the facts with no grouping.
            return self.exists(self.facts_passing(node, measure), None, negated)
        if sides == 2 and not negated and self.planned and self.pushed and self.target.DATE_BOUNDS_AS_EXISTS:
            return self.date_bounds(node, measure)
        if self.looked_up(measure):
            found = self.lookup(node, measure, negated)
            if found is not None:
                return found
        facts = self.facts(measure)
        assert facts.aggregate is not None
        positive = self.predicate_over(node, facts.aggregate, measure, facts.exact)
        # HAVING keeps the groups where its test is TRUE, so NULL already reads as false there.
        complement = self.negate(positive.expr, positive.nullable)
        if not true_at_zero:
            return self.exists(facts, complement if negated else positive.expr, False)
        return self.exists(facts, positive.expr if negated else complement, True)

    def looked_up(self, measure: typed.Measure) -> bool:
        """Whether `measure` is read per contact here (decided before its facts bind any parameter)."""
        return self.lookups and not self.few and measure.stored_column is None \
            and self.indexed(_FACT_TABLES[measure.measure])

    def lookup(self, node: typed.Condition, measure: typed.Measure, negated: bool) -> Sql | None:
        """A one-measure leaf read per contact: `EXISTS (... LIMIT 1 OFFSET k-1)` for a count against a
        constant (the index stops at the k-th fact), else the leaf over the correlated aggregate. None for a
        leaf that would print its measure twice (a first date within a window, a measure named twice), which
        keeps the grouped form."""
        threshold = _count_threshold(node, measure)
        if threshold is not None:
            at_least, wanted = threshold
            return self.correlated_exists(self.facts(measure), negated == wanted, skip=at_least - 1)
        if _names_twice(node):
            return None  # `first_order_date = first_order_date`: the lookup would be printed twice
        if isinstance(node, typed.Within):
            return None  # a first date (a last date within a window is a semi-join): its value printed twice
        if measure.measure == "average_order_value" and not isinstance(node, typed.IsSet):
            # Read exactly, an average is a sum and a count (`exact`): one search of the contact's facts
            # that tests the leaf on both, `EXISTS (... GROUP BY customer HAVING leaf)`, not two lookups.
            # No facts, no group: false, as the leaf is for a missing average.
            facts = self.facts(measure)
            assert facts.aggregate is not None
            positive = self.predicate_over(node, facts.aggregate, measure, facts.exact)
            probe = _where(_group(self.correlated(facts, exp.Literal.number(1)), facts.customer.copy()),
                           positive.expr, "having", exp.Having)
            return Sql(exp.Not(this=exp.Exists(this=probe)) if negated else exp.Exists(this=probe), False)
        # The measure's value is built where the leaf reads it (`measure_sql`), and only if it does.
        result = self.predicate(node)
        return Sql(self.negate(result.expr, result.nullable), False) if negated else result

    def date_bounds(self, node: typed.Condition, measure: typed.Measure) -> Sql:
        """A date test that some fact must pass and none fail (`_date_sides` 2: `last_order_date < 90d
        ago`) as two plain correlated subqueries, a semi-join and an anti-join to PostgreSQL's planner
        (`Target.DATE_BOUNDS_AS_EXISTS`)."""
        some = self.correlated_exists(self.facts_passing(node, measure), False)
        none_fails = self.correlated_exists(self.facts_passing(node, measure, passing=False), True)
        return Sql(exp.And(this=some.expr, expression=none_fails.expr), False)

    def correlated(self, facts: Facts, *columns: exp.Expression) -> exp.Select:
        """`SELECT columns FROM facts WHERE customer = c.customer_id AND filters`: one contact's facts."""
        where: exp.Expression = exp.EQ(this=facts.customer.copy(), expression=self.customer())
        for test in facts.filters:  # a few filters: printed as one flat AND
            where = exp.And(this=where, expression=test)
        return _where(_select(*columns, source=facts.source), where)

    def correlated_exists(self, facts: Facts, negated: bool, skip: int = 0) -> Sql:
        """Whether the contact has a fact (more than `skip` of them), searched through the index."""
        probe = self.correlated(facts, exp.Literal.number(1))
        if skip > 0:
            # Bound like the rule's own count, so parameterized SQL stays one text for every count.
            probe = probe.limit(exp.Literal.number(1), copy=False).offset(self.binder.bind(skip), copy=False)
        found = exp.Exists(this=probe)
        return Sql(exp.Not(this=found) if negated else found, False)

    def exists(self, facts: Facts, having: exp.Expression | None, negated: bool, *, restrict: bool = True) -> Sql:
        """`customer IN (S)` or, negated, `NOT EXISTS (SELECT 1 FROM (S) AS x WHERE x.customer_id = customer)`,
        where S is the uncorrelated set of customer ids of the facts [grouped, with HAVING].

        The negated form correlates only with S's result, never with the facts themselves: SQLite
        materializes the grouped S once and indexes it, where a NOT EXISTS over the facts table rescans it
        for every contact unless the backend has an index on its customer id (20,000 contacts: 0.03 s
        against 250 s).
        """
        absence = self.absences or self.target.ANTI_JOIN_BY_LOOKUP
        indexed = facts.table is not None and self.indexed(facts.table)
        if having is None and indexed and not self.few and (absence if negated else self.lookups):
            return self.correlated_exists(facts, negated)
        members = facts.select(facts.customer.copy())
        if restrict and not negated:
            # Not into an anti-joined set: DuckDB then joins every fact row to the contacts only to build a
            # set it probes once per contact anyway (`COPY_FIELD_CONDITIONS`).
            members = self.restrict(members, facts)
        if having is not None or (negated and self.target.GROUP_ANTI_JOIN_SET):
            members = _group(members, facts.customer.copy())
        if having is not None:
            members = _where(members, having, "having", exp.Having)
        if not negated:
            found = in_query(self.customer(), members)
            if self.target.SEMI_JOIN_AS_FILTER and not self.driving:
                return Sql(self.target.is_true(found), False)
            # Nullable: a NULL customer id among the facts makes IN give NULL rather than FALSE.
            return Sql(found, True)
        alias = self.alias("x")
        found = column(alias, facts.customer.name)
        probe = _where(_select(exp.Literal.number(1),
                               source=exp.Subquery(this=members, alias=exp.TableAlias(this=ident(alias)))),
                       exp.EQ(this=found, expression=self.customer()))
        return Sql(exp.Not(this=exp.Exists(this=probe)), False)

    def in_segment(self, measure: typed.Measure, negated: bool) -> Sql:
        name = str(measure.target)
        rule = self.segments.get(name)
        if rule is None:
            close = suggest(name, self.segments)
            raise RuleError([Diagnostic(
                "RD106", f"unknown segment `{name}`", measure.span, self.source, label="no such segment",
                hints=(f"did you mean `{close}`?" if close else "pass the checked segments with `segments=`",),
            )])
        assert self.shared is not None  # planned by the top-level `rule`
        alias = self.alias("s")
        if name in self.shared.names:
            members: exp.Expression = table(self.shared.names[name], alias)
        else:
            inner = QueryBuilder(rule.schema, self.target, self.binder, self.clock, self.segments,
                                 self.shared).rule(rule)
            members = exp.Subquery(this=inner, alias=exp.TableAlias(this=ident(alias)))
        selected = rule.schema.tables["customers"].column("customer_id")  # the segment query's one column
        return self.exists(Facts(members, column(alias, selected), [], None), None, negated, restrict=False)

    def predicate_over(self, node: typed.Condition, aggregate: exp.Expression, measure: typed.Measure,
                       exact: tuple[exp.Expression, exp.Expression | None] | None = None) -> Sql:
        """`node` with its measure read as the aggregate of the facts' group (inside HAVING)."""
        self.having = (measure_key(measure), Sql(aggregate, measure.measure not in _ZERO_AT_NO_ROWS), exact)
        try:
            return self.predicate(node)
        finally:
            self.having = None

    # ---------------------------------------------------------------------------------------- values

    def value(self, node: typed.Node) -> Sql:
        match node:
            case typed.Const(value=value, type=kind):
                if isinstance(value, dt.datetime):
                    return Sql(self.binder.timestamp(value), False)
                if kind in (Type.TEXT, Type.ENUM):
                    return Sql(self.binder.bind(str(value)), False)
                if isinstance(value, bool):
                    self.target.check_boolean_value(node.span)
                    return Sql(exp.true() if value else exp.false(), False)
                return Sql(self.binder.bind(value), False)
            case typed.Ago(duration=duration):
                return Sql(self.clock.minus(duration, node.span), False)
            case typed.Attribute(field=f):
                assert f.column is not None  # the schema resolves attributes to physical column names
                return Sql(column(self.row, f.column), True)
            case typed.Measure():
                return self.measure_sql(node)
            case typed.Arithmetic(op=op, left=left, right=right):
                a, b = self.value(left), self.value(right)
                if op == "/":
                    return Sql(self.target.divide(a.expr, b.expr), True)
                # sqlglot prints the tree as built: parenthesize by precedence, and only there (each needless
                # level counts against SQLite's parser stack).
                level = _PRECEDENCE[op]
                return Sql(_ARITHMETIC[op](this=_wrap(a.expr, level), expression=_wrap(b.expr, level + 1)),
                           a.nullable or b.nullable)
            case typed.Negate(operand=operand):
                v = self.value(operand)
                return Sql(exp.Neg(this=_wrap(v.expr, 3)), v.nullable)
        # A condition used as a value: `(opens() > 1) = true`, `order by (country = "France")`.
        self.target.check_boolean_value(node.span)
        result = self.condition(node, False)  # type: ignore[arg-type]
        return Sql(self.is_true(result.expr, result.nullable), False)

    # ---------------------------------------------------------------------------------- exact numbers

    def exact(self, node: typed.Node) -> Sql:
        """A number as an exact quotient (`Sql.den`): literals as fractions of whole numbers, money as the
        engine's exact sums, `/` and averages as a numerator and a positive denominator, never a double.
        Comparisons of such numbers cross-multiply (`compare`), so `0.30 / 3 = 0.1` holds on every engine.
        A part needed twice (a denominator of `a / b + c`) is built twice, as placeholders cannot repeat."""
        match node:
            case typed.Const(value=value) if isinstance(value, int | Decimal) and not isinstance(value, bool):
                ratio = Fraction(value)
                den = None if ratio.denominator == 1 else self.binder.bind(_whole(ratio.denominator))
                return Sql(self.binder.bind(_whole(ratio.numerator)), False, den)
            case typed.Attribute(type=Type.NUMBER):
                return replace(self.value(node), scale=_MONEY_DECIMALS)
            case typed.Measure():
                return self.measure_sql(node, exact=True)
            case typed.Negate(operand=operand):
                v = self.exact(operand)
                return replace(v, expr=exp.Neg(this=_wrap(v.expr, 3)))
            case typed.Arithmetic(op=op, left=left, right=right):
                return self.exact_arithmetic(op, left, right)
        return self.value(node)

    def exact_arithmetic(self, op: str, left: typed.Node, right: typed.Node) -> Sql:
        a, b = self.exact(left), self.exact(right)
        nullable = a.nullable or b.nullable
        if op == "*":
            return Sql(_times(a.expr, b.expr), nullable, _times(a.den, b.den), a.scale + b.scale,
                       a.den_scale + b.den_scale)
        if op == "/":
            # a / b = (a.expr * b.den) / (a.den * b.expr), the denominator made positive: the sign of b moves
            # to the numerator. A zero divisor makes the denominator NULL, so every comparison is false.
            top, divisor = a.expr, b.expr
            if not _nonnegative(right):
                sign = exp.Case(ifs=[exp.If(this=exp.LT(this=b.expr, expression=exp.Literal.number(0)),
                                            true=exp.Literal.number(-1))], default=exp.Literal.number(1))
                top = _times(top, sign)
                divisor = exp.Abs(this=self.exact(right).expr)
            if not (isinstance(right, typed.Const) and right.value != 0):
                divisor = self.target.nonzero(divisor)
            return Sql(_times(top, b.den), True, _times(a.den, divisor),
                       a.scale + b.den_scale, a.den_scale + b.scale)
        if a.den is None and b.den is None:
            level = _PRECEDENCE[op]
            return Sql(_ARITHMETIC[op](this=_wrap(a.expr, level), expression=_wrap(b.expr, level + 1)), nullable,
                       scale=max(a.scale, b.scale))
        # a/p ± b/q = (a q ± b p) / (p q): the denominators are read twice, so both sides are built again.
        again_a, again_b = (self.exact(left) if a.den is not None else a), (self.exact(right) if b.den is not None
                                                                                else b)
        scale = max(a.scale + b.den_scale, b.scale + a.den_scale)
        summed = _ARITHMETIC[op](this=_wrap(_times(a.expr, b.den), 1), expression=_wrap(_times(b.expr, a.den), 2))
        return Sql(summed, True, _times(again_a.den if a.den is not None else None,
                                        again_b.den if b.den is not None else None),
                   scale, a.den_scale + b.den_scale)

    def money(self, num: exp.Expression, den: exp.Expression | None, nullable: bool) -> Sql:
        """An exact money value from the engine's exact sum and count (`Facts.exact`, `Target.MONEY_UNIT`)."""
        unit = self.target.MONEY_UNIT
        if den is not None:  # an average's count, zero where no order has a total
            den = self.target.nonzero(den if unit == 1 else _times(den, exp.Literal.number(unit)))
            nullable = True
        elif unit != 1:
            den = exp.Literal.number(unit)
        return Sql(num, nullable, den, _MONEY_DECIMALS if unit == 1 else 0)

    def compare(self, op: str, a: Sql, b: Sql) -> exp.Expression:
        """`a op b` of exact numbers: `a.expr * b.den op b.expr * a.den`, both denominators positive."""
        return _COMPARE[op](this=_times(a.expr, b.den), expression=_times(b.expr, a.den))

    def rank_key(self, node: typed.Node) -> Sql:
        """A ranking key that orders numbers exactly where arithmetic or an average is involved: the quotient
        of two whole numbers (the exact numerator and denominator, scaled alike), which IEEE division
        rounds correctly, so equal values are equal keys and ties go to the lower customer id. Exact while
        both stay under 2^53 (about 9 * 10^15, in cents for money); the breakdowns read it as the value."""
        v = self.exact(node)
        if v.den is None:
            return v
        # Both scaled alike, by enough to make each whole: the quotient is the value itself.
        places = _power_of_ten(max(v.scale, v.den_scale))
        top = self.target.to_double(_times(v.expr, places))
        bottom = self.target.to_double(_times(v.den, places.copy() if places is not None else None))
        return Sql(exp.Div(this=top, expression=bottom), True)

    def measure_sql(self, m: typed.Measure, exact: bool = False) -> Sql:
        exact = exact and m.measure in _MONEY_MEASURES
        if self.having is not None and self.having[0] == measure_key(m):
            aggregate = self.having[1]
            if exact and self.having[2] is not None:
                num, den = self.having[2]
                return self.money(num.copy(), None if den is None else den.copy(), aggregate.nullable)
            return Sql(aggregate.expr.copy(), aggregate.nullable)
        zero = m.measure in _ZERO_AT_NO_ROWS
        if m.stored_column is not None:
            stored = column(self.row, m.stored_column)
            if exact:  # a column of its own: read as stored, with money's decimal places
                return replace(self.measure_sql(m), scale=_MONEY_DECIMALS)
            return Sql(exp.Coalesce(this=stored, expressions=[exp.Literal.number(0)]), False) if zero \
                else Sql(stored, True)
        if m.measure in _BOOLEAN_MEASURES:
            self.target.check_boolean_value(m.span)
            membership = self.semi_join(m, m, False)
            return Sql(self.is_true(membership.expr, membership.nullable), False)
        if self.looked_up(m):
            facts = self.facts(m)
            assert facts.aggregate is not None
            if exact and facts.exact is not None:
                num = exp.Subquery(this=self.correlated(facts, facts.exact[0]))
                den: exp.Expression | None = None
                if facts.exact[1] is not None:  # an average: its count read by a second lookup
                    counted = self.facts(m)
                    assert counted.exact is not None and counted.exact[1] is not None
                    den = exp.Subquery(this=self.correlated(counted, counted.exact[1]))
                return self.money(num, den, not zero)
            return Sql(exp.Subquery(this=self.correlated(facts, facts.aggregate)), not zero)
        key = measure_key(m)
        if key not in self.joins:
            self.joins[key] = (self.alias("m"), m)
        alias = self.joins[key][0]
        if exact:
            self.exact_joins.add(key)
            num: exp.Expression = column(alias, "exact")
            if zero:
                num = exp.Coalesce(this=num, expressions=[exp.Literal.number(0)])
            den = column(alias, "den") if m.measure == "average_order_value" else None
            return self.money(num, den, not zero)
        self.plain_joins.add(key)
        joined = column(alias, "value")
        if zero:
            return Sql(exp.Coalesce(this=joined, expressions=[exp.Literal.number(0)]), False)
        return Sql(joined, True)

    # ----------------------------------------------------------------------------------------- facts

    def facts(self, m: typed.Measure, alias_stem: str = "") -> Facts:
        """The fact rows of a measure, filtered by the as-of instant, its window and its other filters."""
        kind = m.measure
        if kind in _ORDER_MEASURES:
            a = self.alias(alias_stem + "o")
            when = self.col("orders", a, "created_at")
            filters = self.window(when, m)
            if m.month is not None:
                filters.append(exp.EQ(this=self.target.month_of(when.copy()), expression=exp.Literal.number(m.month)))
            if m.product is not None or m.vendor is not None:
                filters.append(in_query(self.col("orders", a, "order_id"), self.items(m)))
            # Money is summed as the engine stores it (exact decimals on most) and only then made a double: a
            # sum of doubles depends on the order in which a parallel engine adds them, so a total of exactly
            # 500.00 could be 499.99999999999994 on one run and 500.00000000000006 on the next.
            total = self.col("orders", a, "total")
            aggregate: exp.Expression | None = None  # `purchased`: existence
            exact: tuple[exp.Expression, exp.Expression | None] | None = None
            if kind in ("order_count", "orders"):
                aggregate = exp.Count(this=exp.Star())
            elif kind in ("spent", "total_spent"):
                aggregate = _zero_if_null(self.target.money_sum(total))
                exact = (_zero_if_null(exp.Sum(this=self.target.money(total.copy()))), None)
            elif kind == "average_order_value":
                aggregate = self.target.average(total)
                exact = (exp.Sum(this=self.target.money(total.copy())), exp.Count(this=total.copy()))
            elif kind in ("first_order_date", "last_order_date"):
                aggregate = (exp.Min if kind == "first_order_date" else exp.Max)(this=when.copy())
            return Facts(self.src("orders", a), self.col("orders", a, "customer_id"), filters, aggregate,
                         "orders", exact)
        if kind in ("refund_count", "refunds"):
            a = self.alias(alias_stem + "r")
            filters = self.window(self.col("refunds", a, "created_at"), m)
            return Facts(self.src("refunds", a), self.col("refunds", a, "customer_id"), filters,
                         exp.Count(this=exp.Star()), "refunds")
        if kind in ("events", "engagement", "last_open_date", "last_click_date"):
            return self.events(m, alias_stem)
        if kind == "in_list":
            a = self.alias(alias_stem + "lm")
            lists = self.alias("l")
            named = exp.select(self.col("lists", lists, "list_id")).from_(self.src("lists", lists)).where(
                exp.EQ(this=self.col("lists", lists, "name"), expression=self.binder.bind(str(m.target))))
            filters = [exp.LTE(this=self.col("list_members", a, "added_at"), expression=self.clock.now(m.span)),
                       in_query(self.col("list_members", a, "list_id"), named)]
            return Facts(self.src("list_members", a), self.col("list_members", a, "customer_id"), filters, None,
                         "list_members")
        raise UnsupportedDialect(f"the compiler does not know the measure `{kind}`", m.span)

    def facts_passing(self, node: typed.Condition, measure: typed.Measure, passing: bool = True) -> Facts:
        """The facts of a first or last date whose own date passes the test of `node` (or fails it), for a
        test whose answer such facts decide (`_date_sides`). A window needs only its start, as the facts end
        at the as-of instant; a fact without a date passes and fails nothing, as MIN and MAX skip it."""
        facts = self.facts(measure)
        assert isinstance(facts.aggregate, exp.Max | exp.Min)
        when = facts.aggregate.this
        if isinstance(node, typed.Within):
            test: exp.Expression = exp.GT(this=when.copy(), expression=self.clock.minus(node.window, node.span))
        else:
            test = self.predicate_over(node, when, measure).expr
        if not passing:
            test = exp.Not(this=exp.Paren(this=test))
        return replace(facts, filters=[*facts.filters, test])

    def window(self, when: exp.Column, m: typed.Measure) -> list[exp.Expression]:
        """Facts of `m` up to the as-of instant, and after the window's start when it has a window."""
        filters: list[exp.Expression] = [exp.LTE(this=when, expression=self.clock.now(m.span))]
        if m.within is not None:
            filters.append(exp.GT(this=when.copy(), expression=self.clock.minus(m.within, m.span)))
        return filters

    def items(self, m: typed.Measure) -> exp.Select:
        """Order ids with an item matching the product (name or id) and the vendor."""
        a = self.alias("i")
        tests: list[exp.Expression] = []
        if m.product is not None:
            tests.append(exp.Paren(this=exp.Or(
                this=exp.EQ(this=self.col("order_items", a, "product_name"), expression=self.binder.bind(m.product)),
                expression=exp.EQ(this=self.col("order_items", a, "product_id"),
                                  expression=self.binder.bind(m.product)))))
        if m.vendor is not None:
            tests.append(exp.EQ(this=self.col("order_items", a, "vendor"), expression=self.binder.bind(m.vendor)))
        return exp.select(self.col("order_items", a, "order_id")).from_(self.src("order_items", a)).where(
            balanced(exp.And, tests))

    def events(self, m: typed.Measure, alias_stem: str) -> Facts:
        a = self.alias(alias_stem + "e")
        kind = self.col("events", a, "type")
        stored = self.schema.event_types
        filters = self.window(self.col("events", a, "occurred_at"), m)
        if m.measure == "engagement":
            weights = self.schema.engagement_weights
            names = [event for event in weights if event in stored]
            filters.append(exp.In(this=kind, expressions=[self.binder.constant(stored[e]) for e in names]))
            score = exp.Case(ifs=[exp.If(this=exp.EQ(this=kind.copy(), expression=self.binder.constant(stored[e])),
                                         true=exp.Literal.number(str(weights[e]))) for e in names],
                             default=exp.Literal.number(0))
            aggregate: exp.Expression = _zero_if_null(exp.Sum(this=score))
        else:
            event = _event(m)
            filters.append(exp.EQ(this=kind, expression=self.binder.constant(stored[str(event)])))
            when = self.col("events", a, "occurred_at")
            aggregate = exp.Max(this=when) if m.measure != "events" else exp.Count(this=exp.Star())
        for name, campaign_kind in ((m.campaign, "campaign"), (m.series, "series")):
            if name is None:
                continue
            c = self.alias("cp")
            named = exp.select(self.col("campaigns", c, "campaign_id")).from_(self.src("campaigns", c)).where(
                exp.And(this=exp.EQ(this=self.col("campaigns", c, "name"), expression=self.binder.bind(name)),
                        expression=exp.EQ(this=self.col("campaigns", c, "kind"),
                                          expression=self.binder.constant(self.schema.campaign_kinds[campaign_kind]))))
            filters.append(in_query(self.col("events", a, "campaign_id"), named))
        return Facts(self.src("events", a), self.col("events", a, "customer_id"), filters, aggregate,
                     "events")

    # ------------------------------------------------------------------------------------ analysis

    def sole_measure(self, node: typed.Condition) -> typed.Measure | None:
        """The measure of a leaf that reads one measure from its facts and nothing else but constants (a
        set of contacts, `opens(6mo) >= 3`); None for other conditions."""
        measures = self.measures_in(node)
        if len(measures) != 1 or measures[0].stored_column is not None or self.has_row_values(node):
            return None
        return measures[0]

    def measures_in(self, node: typed.Node) -> list[typed.Measure]:
        found: dict[tuple[object, ...], typed.Measure] = {}
        for sub in typed.walk(node):
            if isinstance(sub, typed.Measure):
                found.setdefault(measure_key(sub), sub)
        return list(found.values())

    def has_row_values(self, node: typed.Node) -> bool:
        """Whether a leaf reads anything besides its measures and constants (fields, nested conditions)."""
        if isinstance(node, typed.Measure):
            return False
        for sub in typed.children(node):
            if isinstance(sub, typed.Attribute):
                return True
            if not isinstance(sub, typed.Const | typed.Ago | typed.Duration | typed.Measure | typed.Arithmetic
                              | typed.Negate):
                return True
            if self.has_row_values(sub):
                return True
        return False


# The table each measure reads its facts from (`in_segment` reads a rule, not a table).
_FACT_TABLES = {**dict.fromkeys(_ORDER_MEASURES, "orders"), "refund_count": "refunds", "refunds": "refunds",
                **dict.fromkeys(("events", "engagement", "last_open_date", "last_click_date"), "events"),
                "in_list": "list_members", "in_segment": "customers"}
# Fact tables from the one that usually holds the fewest rows: a shop has fewer refunds than orders, and
# fewer orders than email events.
_TABLE_SIZE_RANK = {"refunds": 0, "list_members": 1, "orders": 2, "events": 3}
_SMALL_TABLES = frozenset({"refunds", "list_members"})
# The events a shop has few of: a click or a conversion is a small part of the opens, which are a part of
# the sends (`Target.FEW_EVENTS_AS_SETS`).
_FEW_EVENTS = frozenset({"click", "conversion"})
_LAST_DATES = frozenset({"last_order_date", "last_open_date", "last_click_date"})
_FIRST_DATES = frozenset({"first_order_date"})
_DATES = _LAST_DATES | _FIRST_DATES
_LARGEST_OFFSET = 2**62
_COUNTS = frozenset({"order_count", "orders", "refund_count", "refunds", "events"})


def _count_compare(node: typed.Condition, measure: typed.Measure) -> tuple[str, int | Decimal | float] | None:
    """`(op, bound)` when a leaf compares a count with a number as `count op bound`; None otherwise."""
    if measure.measure not in _COUNTS or not isinstance(node, typed.Compare):
        return None
    left, right = node.left, node.right
    if isinstance(left, typed.Measure) and isinstance(right, typed.Const):
        op, bound = node.op, right.value
    elif isinstance(right, typed.Measure) and isinstance(left, typed.Const):
        op, bound = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[node.op], left.value
    else:
        return None
    if isinstance(bound, bool) or not isinstance(bound, int | Decimal | float):
        return None
    return op, bound


def _count_threshold(node: typed.Condition, measure: typed.Measure) -> tuple[int, bool] | None:
    """`(k, wanted)` when a leaf reads "the count is at least k" (wanted True) or "is below k" (False), for a
    k of 1 or more; None for `=` and for other leaves."""
    found = _count_compare(node, measure)
    if found is None or found[0] == "=":
        return None
    op, bound = found
    # Counts are whole numbers: `> 2.5` and `>= 3` are both "at least 3".
    at_least = math.ceil(bound) if op in (">=", "<") else math.floor(bound) + 1
    # An OFFSET past 64 bits is an error on every engine: such a bound keeps the comparison of the count.
    return (at_least, op in (">=", ">")) if 1 <= at_least <= _LARGEST_OFFSET else None


def _any_fact(node: typed.Condition, measure: typed.Measure) -> bool | None:
    """The value of a leaf comparing a count with a constant for every contact with at least one fact, when
    it is the same for all of them (`orders() >= 1`: true, `refunds(1y) = 0`: false); None otherwise."""
    found = _count_compare(node, measure)
    if found is None:
        return None
    op, bound = found
    compare = {"=": lambda n: n == bound, "<": lambda n: n < bound, "<=": lambda n: n <= bound,
               ">": lambda n: n > bound, ">=": lambda n: n >= bound}[op]
    # Counts of one or more: a comparison with a constant is monotone, so its ends decide; `=` is the same
    # for all of them only when the constant is below one.
    low, high = compare(1), compare(10**30)
    if op == "=":
        return False if bound < 1 else None
    return low if low == high else None


def _rename(node: exp.Expression, old: str, new: str) -> None:
    """Point the columns of table alias `old` in `node` at `new`."""
    for found in node.find_all(exp.Column):
        if found.table == old:
            found.set("table", ident(new))


class _Same:
    """A sqlglot node as a key equal to an identical node: the same classes with the same arguments all the
    way down. sqlglot's own equality compares hashes only, which fold the case of some strings; printing
    each node to compare the SQL cost a fifth of compiling the 10-clause rule for DuckDB."""

    __slots__ = ("node",)

    def __init__(self, node: exp.Expression) -> None:
        self.node = node

    def __hash__(self) -> int:
        return hash(self.node)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and _identical(self.node, other.node)


def _identical(a: object, b: object) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    if not isinstance(a, exp.Expression):
        return a == b
    assert isinstance(b, exp.Expression)
    mine = {k: v for k, v in a.args.items() if v is not None and v is not False and v != []}
    theirs = {k: v for k, v in b.args.items() if v is not None and v is not False and v != []}
    return mine.keys() == theirs.keys() and all(_identical(v, theirs[k]) for k, v in mine.items())


def _any_of(alternatives: list[list[exp.Expression]], loose: bool = False
            ) -> tuple[list[exp.Expression], list[list[exp.Expression]]]:
    """The WHERE of rows passing any of several lists of AND-ed filters, and what is left of each list once
    the filters every list shares are in that WHERE. The WHERE also states the bounds the lists imply, so
    that the engine skips the blocks none of them reads: `type IN (...)` when each list tests one type, and
    `t > LEAST(...)` when each has a lower bound on `t` (never NULL, but a NULL bound would only mean that
    its list reads no row, hence `ignore_nulls`). With `loose`, the WHERE may keep rows that pass the bounds
    but none of the lists."""
    texts = [{_Same(f): f for f in filters} for filters in alternatives]
    shared = {key for key in texts[0] if all(key in other for other in texts[1:])}
    common = [f for key, f in texts[0].items() if key in shared]
    rests = [[f for key, f in text.items() if key not in shared] for text in texts]
    if not all(rests):  # some list has no filter of its own: every row the shared filters keep
        return common, rests
    implied: list[exp.Expression] = []
    for kind in (exp.EQ, exp.GT):
        found = [next((f for f in rest if isinstance(f, kind) and isinstance(f.this, exp.Column)), None)
                 for rest in rests]
        if any(f is None for f in found) or len({_Same(f.this) for f in found if f is not None}) != 1:
            continue
        column = found[0].this  # type: ignore[union-attr]
        bounds = list({_Same(f.expression): f.expression for f in found if f is not None}.values())
        if kind is exp.EQ and all(isinstance(b, exp.Literal) for b in bounds):
            implied.append(exp.In(this=column.copy(), expressions=[b.copy() for b in bounds]))
        elif kind is exp.GT:
            lowest = bounds[0].copy() if len(bounds) == 1 else \
                exp.Least(this=bounds[0].copy(), expressions=[b.copy() for b in bounds[1:]], ignore_nulls=True)
            implied.append(exp.GT(this=column.copy(), expression=lowest))
    # The exact choice among the lists is left out when the bounds already say it (each list tests one type
    # and nothing else), or when the caller's CASEs may read a few rows more (`loose`): it is one more test
    # on every row read.
    said = len(implied) == 1 and isinstance(implied[0], exp.In) and all(len(rest) == 1 for rest in rests)
    if said or (loose and implied):
        return [*common, *implied], rests
    choice = balanced(exp.Or, [balanced(exp.And, rest) for rest in rests])
    return [*common, *implied, choice], rests


def _balanced_union(queries: list[exp.Expression]) -> exp.Expression:
    """`q1 UNION ALL q2 UNION ALL ...` as a balanced tree (printed flat), for the depth reason of `balanced`."""
    if len(queries) == 1:
        return queries[0]
    middle = len(queries) // 2
    return exp.Union(this=_balanced_union(queries[:middle]), expression=_balanced_union(queries[middle:]),
                     distinct=False)


def _close_windows(leaves: list[tuple[tuple[typed.Condition, bool], typed.Measure]]) -> bool:
    """Whether the measures' windows are within a tenth of each other's length (`clicks(3mo)`, `conversions
    (90d)`): the rows of the longest window are then at most about a tenth more than those of each, and the
    exact choice of rows costs more than reading them (MERGE_FEW_EVENTS_OR: 0.69 of the time at 1M contacts
    on DuckDB with it left out, 0.80 with it)."""
    lengths = [approximate_days(m.within.amount, m.within.unit) for _, m in leaves if m.within is not None]
    return len(lengths) == len(leaves) and min(lengths) >= 0.9 * max(lengths)


def _only_when(aggregate: exp.Expression, when: exp.Expression) -> exp.Expression:
    """`aggregate` over the rows where `when` holds: the argument of each of its aggregate functions (an
    average has two) becomes `CASE WHEN when THEN argument END` (portable where `FILTER (WHERE ...)` is
    not)."""
    functions = list(aggregate.find_all(exp.AggFunc))
    assert functions
    for index, function in enumerate(functions):
        argument = function.this
        if argument is None or isinstance(argument, exp.Star):
            argument = exp.Literal.number(1)
        test = when if index == 0 else when.copy()
        function.set("this", exp.Case(ifs=[exp.If(this=test, true=argument)]))
    return aggregate


def _date_sides(node: typed.Condition, measure: typed.Measure) -> int | None:
    """How a leaf testing a first or last date against constants reads as facts passing its test: 1 when
    some fact passing it answers it (a last date passes a test every later instant passes: `>`, `>=`,
    `within`, as the facts end at the as-of instant; a first date one every earlier instant passes), 2
    when also no fact may fail it (a last date before an instant, a first date after one); None for other
    leaves (`=` and `between` are neither, a measure named twice)."""
    if measure.measure not in _DATES or _names_twice(node):
        return None
    later: bool | None = None
    match node:
        case typed.Within(value=value) if value is measure:
            later = True
        case typed.Compare(op=op, left=left, right=right) if op != "=":
            later = op in (">", ">=") if left is measure else op in ("<", "<=") if right is measure else None
    if later is None:
        return None
    return 1 if later == (measure.measure in _LAST_DATES) else 2


def _names_twice(node: typed.Condition) -> bool:
    """Whether a leaf names a measure more than once (`first_order_date = first_order_date`)."""
    return sum(isinstance(sub, typed.Measure) for sub in typed.walk(node)) > 1


def _event(m: typed.Measure) -> str | None:
    """The type of event a measure on events counts (None for `engagement`, which weighs several)."""
    return {"last_open_date": "open", "last_click_date": "click"}.get(m.measure, m.event)


def _on_few_events(m: typed.Measure) -> bool:
    """Whether a measure reads the events a shop has few of (`_FEW_EVENTS`, looked up when called: the
    lookup matrix of bench/lookups.py empties it)."""
    return _event(m) in _FEW_EVENTS


def _facts_key(m: typed.Measure) -> tuple[object, ...]:
    """What makes the fact rows of two measures the same (`opens(1y)` and `engagement(1y)` read other
    events; `orders(1y)` and `spent(1y)` the same orders)."""
    table = _FACT_TABLES[m.measure]
    event = None
    if table == "events":
        event = "engagement" if m.measure == "engagement" else _event(m)
    within = (m.within.amount, m.within.unit) if m.within else None
    return (table, event, within, m.product, m.vendor, m.month, m.campaign, m.series, m.target, m.stored_column)


def _existence(node: typed.Condition, negated: bool, measure: typed.Measure) -> bool:
    """Whether a one-measure leaf (its complement when `negated`) asks exactly whether the contact has
    some of the measure's facts (`orders(1y) >= 1`, `not refunds(1y) = 0`, `purchased(within: 1y)`,
    `in_list(...)`): true for every contact with such facts, false for the others."""
    if node is measure:
        return measure.measure in _BOOLEAN_MEASURES and not negated
    constant = _any_fact(node, measure)
    return constant is not None and constant != negated and _ZeroFold(measure).condition(node) == negated


def _never_missing(node: typed.Node) -> bool:
    """Whether a value is never NULL for any contact: counts and sums, constants, and +, -, * of them."""
    match node:
        case typed.Measure(measure=kind):
            return kind in _ZERO_AT_NO_ROWS
        case typed.Const():
            return True
        case typed.Negate(operand=operand):
            return _never_missing(operand)
        case typed.Arithmetic(op=op, left=left, right=right):
            return op != "/" and _never_missing(left) and _never_missing(right)
    return False


def _inexact(node: typed.Node) -> bool:
    """Whether a number would be rounded if the engine computed it in doubles: arithmetic (on money, or
    with a division) or an average. Such a value is compared and ranked exactly (`QueryBuilder.exact`);
    a lone count, sum or literal is exact as it is (distinct decimals of up to 15 digits stay distinct)."""
    match node:
        case typed.Arithmetic():
            return True
        case typed.Negate(operand=operand):
            return _inexact(operand)
        case typed.Measure(measure=kind):
            return kind == "average_order_value"
    return False


def _times(a: exp.Expression | None, b: exp.Expression | None) -> exp.Expression | None:
    """`a * b`, either of them None standing for 1 (the denominator of a whole number)."""
    if a is None or b is None:
        return b if a is None else a
    if _is_one(a) or _is_one(b):
        return b if _is_one(a) else a
    return exp.Mul(this=_wrap(a, 2), expression=_wrap(b, 3))


def _whole(number: int) -> int | Decimal:
    """A whole number to bind: beyond a 64-bit integer (a literal of 30 digits), a whole Decimal, which
    engines with decimals read exactly and the others as the nearest double (`Target.param`)."""
    return number if -2**63 <= number < 2**63 else Decimal(number)


def _is_one(value: exp.Expression) -> bool:
    return isinstance(value, exp.Literal) and not value.is_string and value.this == "1"


def _power_of_ten(places: int) -> exp.Expression | None:
    return exp.Literal.number(10 ** places) if places else None


def _nonnegative(node: typed.Node) -> bool:
    """Whether a number is never negative: counts, non-negative literals, and their sums, products and
    quotients (a divisor known not to be negative keeps the quotient's denominator as it is)."""
    match node:
        case typed.Measure(measure=kind):
            return kind in ("order_count", "orders", "refund_count", "refunds", "events") \
                and node.stored_column is None
        case typed.Const(value=value):
            return isinstance(value, int | Decimal) and not isinstance(value, bool) and value >= 0
        case typed.Arithmetic(op=op, left=left, right=right):
            return op != "-" and _nonnegative(left) and _nonnegative(right)
    return False


def _zero_if_null(aggregate: exp.Expression) -> exp.Expression:
    """SUM over no rows (or only NULLs) is NULL in SQL and 0 in the language."""
    return exp.Coalesce(this=aggregate, expressions=[exp.Literal.number(0)])


class _ZeroFold:
    """Is a one-measure leaf true for a contact with no facts? Folds the leaf with the measure's zero value.

    Only the measure's value varies; everything else in such a leaf is a constant. A missing operand makes a
    comparison false before any timestamp constant (whose value live mode does not know) is looked at.
    """

    def __init__(self, measure: typed.Measure):
        self.zero: object = 0 if measure.measure in _ZERO_AT_NO_ROWS else None
        self.key = measure_key(measure)

    def condition(self, node: typed.Node) -> bool:
        match node:
            case typed.Measure():
                return bool(self.value(node))
            case typed.Compare(op=op, left=left, right=right):
                a, b = self.value(left), self.value(right)
                if a is None or b is None:
                    return False
                return {"=": a == b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]  # type: ignore[operator]
            case typed.Between(value=value, low=low, high=high):
                v, lo, hi = self.value(value), self.value(low), self.value(high)
                return None not in (v, lo, hi) and lo <= v <= hi  # type: ignore[operator]
            case typed.InList(value=value, options=options):
                v = self.value(value)
                return v is not None and any(v == o.value for o in options)
            case typed.IsSet(value=value):
                return self.value(value) is not None
            case typed.Within():
                # Only timestamp measures can be `within` a window, and they are missing with no facts.
                return False
        raise TypeError(f"cannot fold {node!r}")

    def value(self, node: typed.Node) -> object:
        match node:
            case typed.Measure():
                return self.zero
            case typed.Const(value=value):
                return Fraction(value) if isinstance(value, Decimal) else value
            case typed.Ago():
                return _UNKNOWN_INSTANT
            case typed.Negate(operand=operand):
                v = self.value(operand)
                return None if v is None else -v  # type: ignore[operator]
            case typed.Arithmetic(op=op, left=left, right=right):
                a, b = self.value(left), self.value(right)
                if a is None or b is None:
                    return None
                # Arithmetic is exact on the engines (`QueryBuilder.exact`), and here in fractions.
                if op == "/":
                    return None if b == 0 else Fraction(a) / Fraction(b)  # type: ignore[arg-type]
                return {"+": a + b, "-": a - b, "*": a * b}[op]  # type: ignore[operator]
        raise TypeError(f"cannot fold {node!r}")


class _UnknownInstant:
    """A live-mode instant: only ever compared with a timestamp measure, whose zero value is missing."""


_UNKNOWN_INSTANT = _UnknownInstant()
