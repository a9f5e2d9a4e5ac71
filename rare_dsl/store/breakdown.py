"""Breakdowns: a rule's members split by a field, as `rare breakdown` and the REPL's `:breakdown` print them,
one implementation for the store and for every engine (`breakdown(..., dialect=, run=)` builds sqlglot
trees for the dialect and reads their rows through `run`).

What a row is depends on the field's type:

- text and enum fields (`country`, `quality`): a row per value, the `top` most common first, then the other
  values and the contacts without one;
- `tags`: a row per tag, as the language compares them (case folded), a contact counted under each of its
  tags; the rows then add up to more than the members;
- timestamps (`created_at`, `last_order_date`): a row per day, week (ISO, from Monday), month or year, in
  order and without gaps; the bucket is chosen from the span (`BUCKETS`) unless given;
- numbers (`total_spent`, `order_count`): ranges with round edges (0–50, 50–100), each holding the values
  from its lower edge up to, not including, its upper one. The edges are exact decimals compared in SQL,
  so a range holds exactly the contacts `total_spent >= 50 and total_spent < 100` selects.

Measures (`total_spent`, `last_order_date`) are computed by the compiler, as `rare sample` reads them: the
rule ranked by the measure, whose ranking expression is the value. Timestamps are grouped by day in SQL,
read as the text of the value (`2026-11-30 ...` on every engine), and rolled up to weeks, months and years
here, which no two engines spell alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlglot import exp

from rare_dsl import typed
from rare_dsl.diagnostics import suggest
from rare_dsl.schema import Field, Schema
from rare_dsl.store import tables
from rare_dsl.store.defaults import (
    BREAKDOWN_BINS,
    BREAKDOWN_MAX_BINS,
    BREAKDOWN_MAX_ROWS,
    BREAKDOWN_TOP,
    BUCKETS,
)
from rare_dsl.store.errors import StoreError
from rare_dsl.types import Type

Run = Callable[[exp.Expression], Sequence[Sequence[Any]]]
Segments = Any  # name -> checked rule or segment, as `rare_dsl.compiler.compile` takes them

TOP, BINS, MAX_BINS, MAX_ROWS = BREAKDOWN_TOP, BREAKDOWN_BINS, BREAKDOWN_MAX_BINS, BREAKDOWN_MAX_ROWS
# Ranges span the values up to this share of them; the rest, a long tail (a few customers spend twenty times
# what most do), share one open range (`≥ 2,500`) instead of stretching every range to the largest value.
TAIL = Decimal("0.95")


class UnknownField(StoreError):
    """`breakdown` was given a name it cannot split contacts by; a usage error, with the closest name."""


@dataclass(frozen=True)
class Breakdown:
    """The members of a rule by a field. `top` holds the rows in the order shown: (value, contacts) where
    the value is a field's value, a tag, the first day of a time bucket (a `date`) or a range (`Range`);
    then `other` (contacts with values not shown; for tags, the contacts counted under the other tags) and
    `missing` (no value; for tags, no tag). Without tags, it all sums to `matching`."""

    field: str
    matching: int
    top: tuple[tuple[Any, int], ...]
    other: int
    missing: int
    as_of: dt.datetime | None = None
    kind: str = "values"  # values, tags, time or ranges
    bucket: str | None = None  # time: day, week, month or year


@dataclass(frozen=True)
class Range:
    """Values from `low` up to, not including, `high` (None: no end, the long tail); `whole` when they are
    whole numbers."""

    low: Decimal
    high: Decimal | None
    whole: bool = False

    def __str__(self) -> str:
        if self.high is None:
            return f"≥ {_number(self.low)}"
        if self.whole and self.high - self.low == 1:
            return _number(self.low)
        return f"{_number(self.low)}–{_number(self.high)}"


def label(value: Any, bucket: str | None = None) -> str:
    """A row's value as the chart shows it: `2026-11` for a month, `2026-W48` for a week, `50–100`."""
    if isinstance(value, dt.date) and bucket:
        if bucket == "year":
            return f"{value:%Y}"
        if bucket == "month":
            return f"{value:%Y-%m}"
        if bucket == "week":
            year, week, _ = value.isocalendar()
            return f"{year}-W{week:02d}"
        return value.isoformat()
    if isinstance(value, Decimal):
        return _number(value)
    return str(value)


def _number(value: Decimal) -> str:
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ------------------------------------------------------------------------------------------------ fields


def breakdown_field(schema: Schema, name: str) -> Field:
    """The field `breakdown` splits by: a customer field, `tags`, or a measure of the schema (`total_spent`);
    UnknownField, with the closest name, for anything else."""
    wanted = name.strip().lower()
    choices = [f.name for f in schema.fields.values()
               if (f.kind == "attribute" and f.column) or f.kind == "tags" or f.kind == "aggregate"]
    found = schema.fields.get(wanted)
    if found is not None and found.name in choices:
        return found
    close = suggest(wanted, choices) if wanted else None
    raise UnknownField(f"unknown field `{name}`" if wanted else "give a field",
                       hint=f"did you mean `{close}`?" if close else "a field: " + ", ".join(choices), usage=True)


def kind_of(field: Field) -> str:
    if field.type is Type.TEXT_LIST:
        return "tags"
    if field.type is Type.TIMESTAMP:
        return "time"
    if field.type is Type.NUMBER:
        return "ranges"
    return "values"


def check_options(field: Field, *, bucket: str | None, bins: int | None, top: int) -> None:
    """Each option fits its kind of field: a usage error otherwise."""
    kind = kind_of(field)
    if bucket is not None and bucket not in BUCKETS:
        raise StoreError(f"no bucket `{bucket}`", hint="a bucket is " + ", ".join(BUCKETS), usage=True)
    if bucket is not None and kind != "time":
        raise StoreError(f"a bucket groups timestamps, and `{field.name}` is {field.type.article}", usage=True,
                         hint="--bins sets the ranges of a number" if kind == "ranges" else None)
    if bins is not None and kind != "ranges":
        raise StoreError(f"ranges split numbers, and `{field.name}` is {field.type.article}", usage=True,
                         hint="--bucket sets day, week, month or year of a timestamp" if kind == "time" else None)
    if bins is not None and not 1 <= bins <= MAX_BINS:
        raise StoreError(f"--bins takes 1 to {MAX_BINS} ranges", usage=True)
    if top < 1:
        raise StoreError("--top takes 1 or more values", usage=True)


# ----------------------------------------------------------------------------------------------- queries


def breakdown(rule: typed.CheckedRule, name: str, *, dialect: str, run: Run, as_of: dt.datetime | None = None,
              segments: Segments | None = None, top: int = TOP, bucket: str | None = None,
              bins: int | None = None) -> Breakdown:
    """The rule's members by the field `name`, with the SQL of `dialect`, each query's rows read by `run`."""
    schema = rule.schema
    field = breakdown_field(schema, name)
    check_options(field, bucket=bucket, bins=bins, top=top)
    kind = kind_of(field)
    members = _compiled(rule, dialect, as_of, segments)
    customers = tables.table(schema, "customers").as_("c")
    customer_id = tables.column(schema, "customers", "customer_id", "c")
    member = customer_id.isin(query=members)
    matching = int(run(exp.select(exp.Count(this=exp.Star())).from_(customers).where(member))[0][0])
    if kind == "tags":
        return _tags(rule, field, dialect, run, member, matching, top, as_of)
    # The values: a column of customers, or the compiler's value of a measure for every member.
    if field.kind == "attribute":
        value = exp.column(str(field.column), table="c", quoted=True)
        source = exp.select(value.as_("value")).from_(customers.copy()).where(member.copy())
    else:
        source = _measure_values(rule, field, dialect, as_of, segments, members)
    values = exp.column("value", table="v", quoted=True)
    present = exp.Not(this=exp.Is(this=values.copy(), expression=exp.Null()))
    counted = exp.Count(this=exp.Star())
    if kind == "values":
        common = (exp.select(values.copy(), counted.as_("contacts")).from_(source.subquery("v"))
                  .where(present).group_by(values.copy())
                  .order_by(exp.Ordered(this=exp.column("contacts"), desc=True), values.copy())
                  .limit(exp.Literal.number(top)))
        found = tuple((row[0], int(row[1])) for row in run(common))
        with_value = _present(run, source, values, present)
        return Breakdown(field.name, matching, found, with_value - sum(n for _, n in found), matching - with_value,
                         as_of, kind)
    if kind == "time":
        day = exp.Substring(this=exp.Cast(this=values.copy(), to=exp.DataType.build("text")),
                            start=exp.Literal.number(1), length=exp.Literal.number(10))
        days = (exp.select(day.as_("day"), counted.as_("contacts")).from_(source.subquery("v"))
                .where(present).group_by(exp.column("day")))
        by_day = Counter({dt.date.fromisoformat(str(row[0])): int(row[1]) for row in run(days)})
        chosen, rows = time_rows(by_day, bucket)
        return Breakdown(field.name, matching, rows, 0, matching - sum(by_day.values()), as_of, kind, chosen)
    bounds = (exp.select(exp.Min(this=values.copy()), exp.Max(this=values.copy()), exp.Count(this=values.copy()))
              .from_(source.subquery("v")))
    low, high, with_value = run(bounds)[0]
    if not with_value:
        return Breakdown(field.name, matching, (), 0, matching, as_of, kind)
    # The value below which TAIL of them lie: the one at that place in order.
    place = int(TAIL * (int(with_value) - 1))
    quantile = (exp.select(values.copy()).from_(source.subquery("v")).where(present.copy())
                .order_by(values.copy()).limit(exp.Literal.number(1)).offset(exp.Literal.number(place)))
    edges, whole = nice_edges(low, run(quantile)[0][0], bins or BINS)
    ranges = [Range(edges[i], edges[i + 1], whole) for i in range(len(edges) - 1)]
    if Decimal(str(high)) >= edges[-1]:
        ranges.append(Range(edges[-1], None, whole))
    ifs = [exp.If(this=exp.LT(this=values.copy(), expression=exp.Literal.number(f"{r.high:f}")),
                  true=exp.Literal.number(position)) for position, r in enumerate(ranges[:-1])]
    last = exp.Literal.number(len(ranges) - 1)
    # One range (every value alike) has nothing to tell apart, and a CASE without WHEN is not SQL.
    index = exp.Case(ifs=ifs, default=last) if ifs else last
    grouped = (exp.select(index.as_("bin"), counted.as_("contacts")).from_(source.subquery("v"))
               .where(present).group_by(exp.column("bin")))
    per_bin = {int(row[0]): int(row[1]) for row in run(grouped)}
    rows = tuple((r, per_bin.get(i, 0)) for i, r in enumerate(ranges))
    return Breakdown(field.name, matching, rows, 0, matching - int(with_value), as_of, kind)


def _compiled(rule: typed.CheckedRule, dialect: str, as_of: dt.datetime | None, segments: Segments | None,
              ) -> exp.Select:
    from rare_dsl.compiler import compile as compile_rule

    return compile_rule(rule, dialect=dialect, as_of=as_of, segments=segments).expression


def value_query(rule: typed.CheckedRule, node: typed.Node, dialect: str, as_of: dt.datetime | None,
                segments: Segments | None) -> exp.Select:
    """`SELECT customer_id, value FROM customers ...` with the value of `node` for every contact, as the
    compiler computes it: the compiled rule ranked by the value, whose ranking keys are [a missing-last
    flag,] the value, and the customer id that breaks ties."""
    from rare_dsl.store.queries import QueryError

    ranked = dataclasses.replace(rule, condition=None, limit=None,
                                 order_by=(typed.OrderKey(node.span, node, False),))  # type: ignore[arg-type]
    query = _compiled(ranked, dialect, as_of, segments).copy()
    order = query.args.get("order")
    keys = order.expressions if order is not None else []
    if len(keys) < 2:
        raise QueryError("the compiler ranked the rule in a shape this version cannot read values from")
    value = keys[-2].this
    query.set("order", None)
    return query.select(exp.alias_(value, "value", quoted=True), copy=False)


def _measure_values(rule: typed.CheckedRule, field: Field, dialect: str, as_of: dt.datetime | None,
                    segments: Segments | None, members: exp.Select) -> exp.Select:
    """`SELECT value FROM ...` of a measure, one row per member."""
    from rare_dsl.check import check

    node = check(f"order by {field.name}", rule.schema).order_by[0].expr
    every = value_query(rule, node, dialect, as_of, segments)
    id_name = rule.schema.tables["customers"].column("customer_id")
    member = exp.column(id_name, "m", quoted=True)
    return (exp.select(exp.column("value", "m", quoted=True).as_("value", quoted=True))
            .from_(every.subquery("m")).where(member.isin(query=members.copy())))


def _present(run: Run, source: exp.Select, values: exp.Column, present: exp.Expression) -> int:
    query = exp.select(exp.Count(this=exp.Star())).from_(source.subquery("v")).where(present.copy())
    return int(run(query)[0][0])


def _tags(rule: typed.CheckedRule, field: Field, dialect: str, run: Run, member: exp.Expression, matching: int,
          top: int, as_of: dt.datetime | None) -> Breakdown:
    """Each tag, case folded as `tags contains` compares it, with the members who have it."""
    from rare_dsl.compiler.dialects import target

    schema = rule.schema
    tag = tables.column(schema, "customer_tags", "tag", "t")
    owner = tables.column(schema, "customer_tags", "customer_id", "t")
    folded = target(dialect).lower(tag)
    present = exp.Not(this=exp.Is(this=tag.copy(), expression=exp.Null()))
    member_tag = member.copy()
    member_tag.set("this", owner.copy())  # the same IN (members), asked of the tag's contact
    contacts = exp.Count(this=exp.Distinct(expressions=[owner.copy()]))
    query = (exp.select(folded.as_("folded"), contacts.as_("contacts"))
             .from_(tables.table(schema, "customer_tags").as_("t"))
             .where(exp.and_(member_tag, present)).group_by(exp.column("folded")))
    counts = sorted(((str(row[0]), int(row[1])) for row in run(query)), key=lambda item: (-item[1], item[0]))
    tagged = (exp.select(owner.copy()).from_(tables.table(schema, "customer_tags").as_("t"))
              .where(exp.and_(present.copy(), exp.Not(this=exp.Is(this=owner.copy(), expression=exp.Null())))))
    customer_id = tables.column(schema, "customers", "customer_id", "c")
    untagged = (exp.select(exp.Count(this=exp.Star())).from_(tables.table(schema, "customers").as_("c"))
                .where(exp.and_(member.copy(), exp.Not(this=customer_id.isin(query=tagged)))))
    missing = int(run(untagged)[0][0])
    return Breakdown(field.name, matching, tuple(counts[:top]), sum(n for _, n in counts[top:]), missing, as_of,
                     "tags")


# ------------------------------------------------------------------------------------------ time, ranges


def bucket_start(day: dt.date, bucket: str) -> dt.date:
    if bucket == "year":
        return day.replace(month=1, day=1)
    if bucket == "month":
        return day.replace(day=1)
    if bucket == "week":
        return day - dt.timedelta(days=day.weekday())
    return day


def _next(start: dt.date, bucket: str) -> dt.date:
    if bucket == "year":
        return start.replace(year=start.year + 1)
    if bucket == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=7 if bucket == "week" else 1)


def time_rows(by_day: Counter[dt.date], bucket: str | None) -> tuple[str, tuple[tuple[dt.date, int], ...]]:
    """The contacts of each bucket from the first day to the last, empty buckets included; the bucket is
    the finest giving at most MAX_ROWS rows when not given."""
    if not by_day:
        return bucket or "day", ()
    first, last = min(by_day), max(by_day)

    def starts(chosen: str) -> list[dt.date]:
        found, start = [], bucket_start(first, chosen)
        while start <= last:
            found.append(start)
            start = _next(start, chosen)
        return found

    chosen = bucket or next((b for b in BUCKETS if len(starts(b)) <= MAX_ROWS), "year")
    totals: Counter[dt.date] = Counter()
    for day, n in by_day.items():
        totals[bucket_start(day, chosen)] += n
    return chosen, tuple((start, totals[start]) for start in starts(chosen))


def nice_edges(low: Any, high: Any, bins: int) -> tuple[list[Decimal], bool]:
    """Round edges from at or below `low` to above `high`, about `bins` ranges apart: a step of 1, 2, 2.5 or
    5 times a power of ten (whole numbers get whole steps). Returns the edges and whether values are whole."""
    whole = isinstance(low, int) and isinstance(high, int) and not isinstance(low, bool)
    small, large = Decimal(str(low)), Decimal(str(high))
    spread = (large - small) / bins
    if spread <= 0 or (whole and spread < 1):
        step = Decimal(1)
    else:
        power = Decimal(10) ** math.floor(math.log10(spread))
        step = next(m * power for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
                    if m * power >= spread and (not whole or (m * power) % 1 == 0))
    start = (small / step).to_integral_value(rounding="ROUND_FLOOR") * step
    edges = [start]
    while edges[-1] <= large:
        edges.append(edges[-1] + step)
    return edges, whole
