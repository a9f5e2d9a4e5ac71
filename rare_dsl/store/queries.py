"""Segment queries on the store: how many contacts match a rule, who they are, how many survive each clause,
and how they split by a field (`rare_dsl.store.breakdown`, shared with every engine); plus the values a
field or parameter has, which the REPL completes and the "no contact has this value" lint (RW404) looks up.
One implementation for the command line (`rare count|sample|explain|breakdown`, `rare list snapshot`,
`rare check --db`) and the REPL.

Every query starts from the compiler's own SQL for the rule (`rare_dsl.compiler.compile`) and wraps it with
sqlglot builders; nothing here decides what a rule means. Explaining a rule compiles its prefixes, taken
from the typed rule; a sample reads the value of each aggregate or function the rule uses through the
compiler too, by compiling the rule ranked by that value and taking the ranking expression
(`rare_dsl.store.breakdown.value_query`, which breakdowns by a measure use too).

Cancelling: each method runs on the `cursor` it is given (a DuckDB connection of its own, from `cursor()`),
so another thread can stop it with `cursor.interrupt()`; the method then raises `Cancelled`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlglot import exp

from rare_dsl import typed
from rare_dsl.schema import Field
from rare_dsl.store.breakdown import TOP, Breakdown, breakdown, value_query
from rare_dsl.store.connection import Store
from rare_dsl.store.errors import StoreError
from rare_dsl.store.shares import contacts, percent
from rare_dsl.types import Type

Segments = Mapping[str, "typed.CheckedRule | typed.CheckedSegment"]


class Cancelled(Exception):
    """A query stopped by `interrupt()` on its cursor (Ctrl-C, or a newer keystroke for the live count)."""


class QueryError(StoreError):
    """A query on the store that failed (a store whose tables do not fit the schema, a lost connection);
    `reason` is the engine's first line alone, for a caller that words the message itself."""

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


# ------------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Count:
    """How many contacts match, out of how many, how long it took and at which instant (None: live)."""

    matching: int
    total: int
    seconds: float
    as_of: dt.datetime | None = None

    @property
    def share(self) -> float:
        return self.matching / self.total if self.total else 0.0

    def describe(self, approximate: bool = False) -> str:
        """`4,019 contacts (4.0%)`, the REPL's line; `≈ ` in front for the live preview."""
        sign = "≈ " if approximate else ""
        return f"{sign}{contacts(self.matching)} ({percent(self.matching, self.total)})"

    def of_total(self) -> str:
        """`5,756 of 100,000 contacts (5.8%)`, the line of `rare count`."""
        return f"{self.matching:,} of {self.total:,} contacts ({percent(self.matching, self.total)})"


@dataclass(frozen=True)
class Sample:
    """Some matching contacts: their id and email, then each value the rule looks at, named as the rule
    writes it (`country`, `opens(6mo)`). Rows are in the rule's order (its ranking, else by id)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Step:
    """One line of `explain`: a clause as written (with the `and` or `or` that joins it), how many contacts
    match the rule up to and including it, and for a branch of an `or`, how many it adds to the branches
    before it. `depth` is 1 for the branches of an `or` clause inside an `and`."""

    clause: str
    remaining: int
    brings: int | None = None
    depth: int = 0


@dataclass(frozen=True)
class Explanation:
    steps: tuple[Step, ...]
    total: int
    as_of: dt.datetime | None = None


# ------------------------------------------------------------------------------------------------- queries


class SegmentQueries:
    """Queries about rules on one open store. Rules are checked rules (`rare_dsl.check`); `segments` are the
    checked segments `in_segment` may name; `as_of` is an aware instant, or None for the engine's clock."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.schema = store.schema
        self._totals: dict[dt.datetime | None, int] = {}
        self._lock = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own to the same store, for one thread: `interrupt()` stops only its query."""
        with self._lock:
            return self.store.connection.cursor()

    # ---------------------------------------------------------------------------------------- counts

    def total(self, as_of: dt.datetime | None = None, *, cursor: Any | None = None) -> int:
        """How many contacts the store has; at an as-of instant, how many of them existed then (SPEC 8.4),
        the contacts a rule's share is of. Asked once per instant: reading commands see a store nobody
        writes."""
        if as_of not in self._totals:
            from rare_dsl.compiler import contacts

            everyone = contacts(dialect="duckdb", schema=self.schema, as_of=as_of).expression
            self._totals[as_of] = self._count(everyone, cursor)
        return self._totals[as_of]

    def count(self, rule: typed.CheckedRule, as_of: dt.datetime | None = None, *, segments: Segments | None = None,
              cursor: Any | None = None) -> Count:
        started = time.perf_counter()
        matching = self._count(self.members(rule, as_of, segments=segments), cursor)
        return Count(matching, self.total(as_of, cursor=cursor), time.perf_counter() - started, as_of)

    def members(self, rule: typed.CheckedRule, as_of: dt.datetime | None = None, *,
                segments: Segments | None = None) -> exp.Select:
        """The compiled rule for DuckDB: `SELECT customer_id FROM ...` of its members."""
        from rare_dsl.compiler import compile as compile_rule

        return compile_rule(rule, dialect="duckdb", as_of=as_of, segments=segments).expression

    # ---------------------------------------------------------------------------------------- sample

    def sample(self, rule: typed.CheckedRule, n: int = 10, as_of: dt.datetime | None = None, *,
               segments: Segments | None = None, cursor: Any | None = None) -> Sample:
        """Up to `n` members in the rule's order, with each field, aggregate and function the rule uses."""
        members = self.members(rule, as_of, segments=segments)
        size = exp.Literal.number(min(n, rule.limit) if rule.limit is not None else n)
        if rule.order_by:
            ids_query = members.copy().limit(size, copy=False)  # ranked already: only its limit changes
        else:
            member = exp.column(self._id_name(), "m", quoted=True)
            ids_query = exp.select(member).from_(members.subquery("m")).order_by(member.copy()).limit(size)
        ids = [row[0] for row in self._run(ids_query, cursor)]
        fields, tags, values = _looked_at(rule)
        shown = [f for f in fields if f.name != "email"]
        columns = ["customer_id", "email", *(f.name for f in shown)]
        if not ids:
            return Sample(tuple(columns), ())
        customer_id = self.store.column("customers", "customer_id", "c")
        details = (exp.select(customer_id, self.store.column("customers", "email", "c"),
                              *(exp.column(str(f.column), table="c", quoted=True) for f in shown))
                   .from_(self.store.table("customers").as_("c")).where(self._among(customer_id.copy(), ids)))
        found = {row[0]: list(row) for row in self._run(details, cursor)}
        if tags:
            columns.append("tags")
            listed = dict(self._tags(ids, cursor))
            for customer, row in found.items():
                row.append(", ".join(sorted(tag for tag in listed.get(customer, ()) if tag is not None)) or None)
        for label, node in values:
            columns.append(label)
            member = exp.column(self._id_name(), "v", quoted=True)
            query = (exp.select(member, exp.column("value", "v", quoted=True))
                     .from_(self._value_query(rule, node, as_of, segments).subquery("v"))
                     .where(self._among(member.copy(), ids)))
            computed = dict(self._run(query, cursor))
            for customer, row in found.items():
                row.append(computed.get(customer))
        return Sample(tuple(columns), tuple(tuple(found[i]) for i in ids if i in found))

    def _value_query(self, rule: typed.CheckedRule, node: typed.Node, as_of: dt.datetime | None,
                     segments: Segments | None) -> exp.Select:
        return value_query(rule, node, "duckdb", as_of, segments)

    def _tags(self, ids: Sequence[Any], cursor: Any | None) -> list[tuple[Any, list[str]]]:
        customer = self.store.column("customer_tags", "customer_id", "t")
        query = (exp.select(customer, exp.ArrayAgg(this=self.store.column("customer_tags", "tag", "t")))
                 .from_(self.store.table("customer_tags").as_("t"))
                 .where(self._among(customer.copy(), ids)).group_by(customer.copy()))
        return [(row[0], list(row[1] or [])) for row in self._run(query, cursor)]

    # --------------------------------------------------------------------------------------- explain

    def explain(self, rule: typed.CheckedRule, as_of: dt.datetime | None = None, *,
                segments: Segments | None = None, cursor: Any | None = None) -> Explanation:
        """How many contacts remain after each `and` clause, cumulatively and in source order, and how many
        each branch of an `or` brings that the branches before it did not; then the ranking, if any.

        For `a and (b or c)`: a; a and (b or c); then, as branches of the second clause, a and b, and the
        contacts c adds. The branches' numbers add up to the clause's."""
        text = rule.source.text

        def shown(node: typed.Node, parenthesize: bool = False) -> str:
            written = " ".join(text[node.span.start:node.span.end].split())
            return f"({written})" if parenthesize and not (written.startswith("(") and written.endswith(")")) \
                else written

        def counted(conditions: Sequence[typed.Condition]) -> int:
            # A new node's span matters only to diagnostics; the compiler has checked this rule already.
            condition = conditions[0] if len(conditions) == 1 else typed.And(conditions[0].span, tuple(conditions))
            narrowed = dataclasses.replace(rule, condition=condition, order_by=(), limit=None)
            return self._count(self.members(narrowed, as_of, segments=segments), cursor)

        def branches(node: typed.Or, context: Sequence[typed.Condition], depth: int) -> list[Step]:
            found: list[Step] = []
            before = 0
            for index, branch in enumerate(node.operands):
                chosen = node.operands[: index + 1]
                union = chosen[0] if len(chosen) == 1 else typed.Or(node.span, chosen)
                remaining = counted([*context, union])
                label = ("or " if index else "") + shown(branch)
                found.append(Step(label, remaining, remaining - before, depth))
                before = remaining
            return found

        steps: list[Step] = []
        condition = rule.condition
        if condition is None:
            steps.append(Step("every contact", self.total(as_of, cursor=cursor)))
        elif isinstance(condition, typed.And):
            operands = condition.operands
            for index, clause in enumerate(operands):
                is_or = isinstance(clause, typed.Or)
                label = ("and " if index else "") + shown(clause, parenthesize=is_or and len(operands) > 1)
                if is_or:
                    parts = branches(clause, operands[:index], 1)  # type: ignore[arg-type]
                    steps.append(Step(label, parts[-1].remaining))
                    steps += parts
                else:
                    steps.append(Step(label, counted(operands[: index + 1])))
        elif isinstance(condition, typed.Or):
            steps += branches(condition, (), 0)
        else:
            steps.append(Step(shown(condition), counted([condition])))
        if rule.order_by or rule.limit is not None:
            start = condition.span.end if condition is not None else rule.syntax.span.start
            ranking = " ".join(text[start:rule.syntax.span.end].split())
            steps.append(Step(ranking, self._count(self.members(rule, as_of, segments=segments), cursor)))
        return Explanation(tuple(steps), self.total(as_of, cursor=cursor), as_of)

    # ------------------------------------------------------------------------------------- breakdown

    def breakdown(self, rule: typed.CheckedRule, field: str, as_of: dt.datetime | None = None, *, top: int = TOP,
                  bucket: str | None = None, bins: int | None = None, segments: Segments | None = None,
                  cursor: Any | None = None) -> Breakdown:
        """The rule's members by a field (`rare_dsl.store.breakdown`, which every engine shares). Raises
        UnknownField, or a StoreError for an option that does not fit the field (both usage errors)."""
        return breakdown(rule, field, dialect="duckdb", run=lambda query: self._run(query, cursor), as_of=as_of,
                         segments=segments, top=top, bucket=bucket, bins=bins)

    # ------------------------------------------------------------------------------- values, lists

    def values(self, topic: str, *, top: int = 500, cursor: Any | None = None) -> list[tuple[str, int]]:
        """The most common values of a text field or parameter (`tags`, `country`, `param:vendor`...), each
        with its number of rows (contacts, for a field of customers): what the REPL completes. Campaign
        and series names come newest first instead (`_campaign_names`)."""
        if topic in ("param:campaign", "param:series"):
            return self._campaign_names(topic, top, cursor)
        source = self._value_source(topic)
        if source is None:
            return []
        table, value, where = source
        rows = exp.Count(this=exp.Star())
        query = (
            exp.select(value.as_("value"), rows.as_("rows"))
            .from_(self.store.table(table))
            .where(exp.and_(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())), *where))
            .group_by(exp.column("value"))
            .order_by(exp.Ordered(this=rows.copy(), desc=True), exp.column("value"))
            .limit(exp.Literal.number(top))
        )
        return [(str(row[0]), int(row[1])) for row in self._run(query, cursor)]

    def _campaign_names(self, topic: str, top: int, cursor: Any | None) -> list[tuple[str, int]]:
        """The names of campaigns (or series), each with its number of campaigns, the one sent or opened
        most recently first (the campaign someone writes a rule about is most often the latest), then by
        name; a campaign without a send or an open comes last."""
        store = self.store
        kind = self.schema.campaign_kinds[topic.removeprefix("param:")]
        types = [exp.convert(self.schema.event_types[name]) for name in ("sent", "open")
                 if name in self.schema.event_types]
        campaign = store.column("campaigns", "campaign_id", "c")
        name = store.column("campaigns", "name", "c")
        joined = exp.and_(exp.EQ(this=store.column("events", "campaign_id", "e"), expression=campaign.copy()),
                          store.column("events", "type", "e").isin(*types))
        latest = exp.Max(this=store.column("events", "occurred_at", "e"))
        query = (
            exp.select(name.as_("value"), exp.Count(this=exp.Distinct(expressions=[campaign])).as_("rows"))
            .from_(store.table("campaigns").as_("c"))
            .join(store.table("events").as_("e"), join_type="left", on=joined)
            .where(exp.and_(exp.EQ(this=store.column("campaigns", "kind", "c"), expression=exp.convert(kind)),
                            exp.Not(this=exp.Is(this=name.copy(), expression=exp.Null()))))
            .group_by(exp.column("value"))
            .order_by(exp.Ordered(this=latest, desc=True, nulls_first=False), exp.column("value"))
            .limit(exp.Literal.number(top))
        )
        return [(str(row[0]), int(row[1])) for row in self._run(query, cursor)]

    def value_counts(self, topic: str, values: Sequence[str], *, cursor: Any | None = None) -> dict[str, int] | None:
        """How many rows (contacts, for a field of customers) have each of `values` exactly, 0 for none; the
        same topics as `values`, None for a topic that has no values in the store. Unlike `values`, a rare
        value is counted too: this is what the lint asks before calling a value unknown."""
        source = self._value_source(topic)
        if source is None:
            return None
        counts = dict.fromkeys(values, 0)
        if not counts:
            return counts
        table, value, where = source
        query = (
            exp.select(value.as_("value"), exp.Count(this=exp.Star()).as_("rows"))
            .from_(self.store.table(table))
            .where(exp.and_(value.copy().isin(*(exp.Literal.string(v) for v in counts)), *where))
            .group_by(exp.column("value"))
        )
        counts.update({str(row[0]): int(row[1]) for row in self._run(query, cursor)})
        return counts

    def known_values(self) -> StoreValues:
        """The store's values as the data-aware lint asks for them (RW404), each answer read when asked."""
        return StoreValues(self)

    def lists(self, *, cursor: Any | None = None) -> list[tuple[str, int]]:
        """Each list's name and number of members, by name."""
        store = self.store
        list_id = store.column("lists", "list_id", "l")
        query = (
            exp.select(store.column("lists", "name", "l").as_("name"),
                       exp.Count(this=store.column("list_members", "customer_id", "m")).as_("members"))
            .from_(store.table("lists").as_("l"))
            .join(store.table("list_members").as_("m"), join_type="left",
                  on=exp.EQ(this=list_id, expression=store.column("list_members", "list_id", "m")))
            .group_by(exp.column("name"))
            .order_by(exp.column("name"))
        )
        return [(row[0], int(row[1])) for row in self._run(query, cursor)]

    def _value_source(self, topic: str) -> tuple[str, exp.Column, list[exp.Expression]] | None:
        """(logical table, value column, conditions) of a topic. Columns are qualified by the table's own
        name, not an alias: a store that lacks one then says `Table "customers" does not have a column...`,
        which `rare check --db` shows as it is."""
        store = self.store

        def column(table: str, name: str) -> exp.Column:
            return store.column(table, name, self.schema.tables[table].name)

        if topic == "tags":
            return "customer_tags", column("customer_tags", "tag"), []
        if topic in ("param:product", "param:vendor"):
            return "order_items", column("order_items", "product_name" if topic == "param:product" else "vendor"), []
        if topic in ("param:campaign", "param:series"):
            kind = self.schema.campaign_kinds[topic.removeprefix("param:")]
            return "campaigns", column("campaigns", "name"), [
                exp.EQ(this=column("campaigns", "kind"), expression=exp.convert(kind))]
        field = self.schema.fields.get(topic)
        if field is not None and field.kind == "attribute" and field.column:
            return "customers", exp.column(field.column, table=self.schema.tables["customers"].name, quoted=True), []
        return None

    # --------------------------------------------------------------------------------------- running

    def _id_name(self) -> str:
        """The one column the compiled rule selects: the physical customer id of customers."""
        return self.schema.tables["customers"].column("customer_id")

    def _count(self, members: exp.Select, cursor: Any | None) -> int:
        query = exp.select(exp.Count(this=exp.Star())).from_(members.subquery("matches"))
        return int(self._run(query, cursor)[0][0])

    @staticmethod
    def _among(column: exp.Expression, ids: Iterable[Any]) -> exp.Expression:
        return column.isin(*(exp.convert(i) for i in ids))

    def _run(self, query: exp.Expression, cursor: Any | None) -> list[tuple[Any, ...]]:
        """Rows of a query on the given cursor (else the store's connection); `Cancelled` when interrupted,
        `QueryError` with the engine's first line otherwise."""
        connection = cursor if cursor is not None else self.store.connection
        try:
            return connection.execute(query.sql(dialect="duckdb")).fetchall()
        except duckdb.InterruptException:
            raise Cancelled() from None
        except (duckdb.Error, RuntimeError) as error:
            # DuckDB's Python client reports some interruptions as a plain error "Query interrupted".
            if "interrupt" in str(error).lower():
                raise Cancelled() from None
            if not isinstance(error, duckdb.Error):
                raise
            raise QueryError(f"the query failed: {_first_line(error)}", reason=_first_line(error)) from None


def _looked_at(rule: typed.CheckedRule) -> tuple[list[Field], bool, list[tuple[str, typed.Node]]]:
    """What a sample shows beside id and email: the customer fields a rule reads (in source order), whether
    it reads tags, and each distinct aggregate or function call, named as written."""
    fields: dict[str, Field] = {}
    tags = False
    values: dict[str, typed.Node] = {}
    text = rule.source.text
    for node in rule.names():
        if isinstance(node, typed.Attribute):
            if node.field.type is Type.TEXT_LIST:
                tags = True
            elif node.field.column:
                fields.setdefault(node.field.name, node.field)
        else:
            values.setdefault(" ".join(text[node.span.start:node.span.end].split()), node)
    return list(fields.values()), tags, list(values.items())


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


@dataclass(frozen=True)
class StoreValues:
    """`rare_dsl.lint.KnownValues` read from the store at once: the commands that count a rule once (`rare
    count`, `explain`, `sample`, `breakdown`) warn about a value no contact has as the REPL does, where a
    background cache answers instead."""

    queries: SegmentQueries

    def contacts_with(self, field: Any, values: Sequence[str]) -> Mapping[str, int] | None:
        return self.queries.value_counts(field.name, values)

    def common_values(self, field: Any, limit: int) -> Sequence[tuple[str, int]]:
        return self.queries.values(field.name, top=limit)
