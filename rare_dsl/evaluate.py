"""The reference evaluator: what a typed rule means, as plain Python over in-memory rows.

It is the oracle of the differential tests, so it shares no code with the SQL compiler beyond the typed
rule: its own calendar arithmetic, its own reading of missing values (SPEC 3.4: a comparison with a
missing operand is false, negation is the complement, counts and sums over no rows are 0), its own
ranking (missing values last, ties by customer id). Tables are keyed by the schema's physical table
names and rows by physical column names; timestamps are naive UTC datetimes.

Numbers are exact (SPEC 3.3): counts are integers, money and decimal literals are fractions, and so are
sums, products and quotients of them; nothing is ever a binary approximation. A money amount stored as a
double (SQLite's REAL) stands for the decimal of two places nearest to it, as the compiler reads it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from rare_dsl import typed
from rare_dsl.types import Type

Row = Mapping[str, Any]


def evaluate(rule: typed.CheckedRule, tables: Mapping[str, Sequence[Row]], as_of: dt.datetime, *,
             segments: Mapping[str, typed.CheckedRule] | None = None, live: bool = False) -> list[Any]:
    """The customer ids matching `rule` at `as_of`: in rank order when the rule ranks, else sorted.

    Anchored (the default), only the contacts that exist at `as_of` can match (SPEC 8.4); `live` evaluates
    live SQL, run at the engine's clock reading `as_of`, which reads every contact of the store."""
    evaluator = _Evaluator(rule.schema, tables, _naive(as_of), segments or {}, live)
    for name in evaluator.referenced(rule):
        evaluator.segment(name, ())  # dependencies first: each is computed once, never by recursion per link
    return evaluator.members(rule, ())


def existing(schema: Any, tables: Mapping[str, Sequence[Row]], as_of: dt.datetime) -> list[Any]:
    """The sorted customer ids of the contacts that exist at `as_of`: the total a share is of."""
    return [c[schema.tables["customers"].column("customer_id")]
            for c in _Evaluator(schema, tables, _naive(as_of), {}, False).contacts()]


def _naive(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(tzinfo=None) if instant.tzinfo else instant


def _back(instant: dt.datetime, duration: typed.Duration) -> dt.datetime:
    """`instant` minus a duration; months and years land on the same day, or the month's last day."""
    if duration.unit in ("mo", "y"):
        months = duration.amount * (12 if duration.unit == "y" else 1)
        year, month = instant.year, instant.month - months
        while month < 1:
            month += 12
            year -= 1
        last = calendar.monthrange(year, month)[1]
        return dt.datetime(year, month, min(instant.day, last), instant.hour, instant.minute, instant.second,
                           instant.microsecond)
    size = {"h": dt.timedelta(hours=1), "d": dt.timedelta(days=1), "w": dt.timedelta(days=7)}[duration.unit]
    return instant - duration.amount * size


def _number(value: Any) -> Any:
    """Money and decimal literals as exact fractions; integers stay integers."""
    if isinstance(value, Decimal):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return value


def _money(value: Any) -> Fraction:
    """An order total: a decimal exactly, a double (SQLite's REAL) as its nearest amount of whole cents."""
    if isinstance(value, float):
        cents = value * 100  # as the engine multiplies it; SQLite's ROUND takes halves away from zero
        return Fraction(int(math.copysign(math.floor(abs(cents) + 0.5), cents)), 100)
    return Fraction(value)


class _Evaluator:
    def __init__(self, schema: Any, tables: Mapping[str, Sequence[Row]], as_of: dt.datetime,
                 segments: Mapping[str, typed.CheckedRule], live: bool):
        self.schema = schema
        self.as_of = as_of
        self.live = live
        self.segments = segments
        self.segment_members: dict[str, set[Any]] = {}

        def rows(logical: str) -> list[dict[str, Any]]:
            table = schema.tables[logical]
            physical = {logical_column: name for logical_column, name in table.columns.items()}
            return [{key: row.get(name) for key, name in physical.items()} for row in tables.get(table.name, ())]

        self.id_column = schema.tables["customers"].column("customer_id")
        self.customers = [dict(row) for row in tables.get(schema.tables["customers"].name, ())]
        self.by_customer: dict[str, dict[Any, list[dict[str, Any]]]] = {}
        for logical in ("customer_tags", "orders", "refunds", "events", "list_members"):
            grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
            for row in rows(logical):
                grouped[row["customer_id"]].append(row)
            self.by_customer[logical] = grouped
        self.items_by_order: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for row in rows("order_items"):
            self.items_by_order[row["order_id"]].append(row)
        self.campaigns = rows("campaigns")
        self.lists = rows("lists")

    # ------------------------------------------------------------------------------------------- rule

    def contacts(self) -> list[dict[str, Any]]:
        """The contacts at the instant, by id: anchored, a contact created after it does not exist yet, and
        one without a creation date has always existed (SPEC 8.1, 8.4)."""
        created = self.schema.tables["customers"].column("created_at")
        found = [c for c in self.customers
                 if self.live or c.get(created) is None or c[created] <= self.as_of]
        return sorted(found, key=lambda c: c[self.id_column])

    def members(self, rule: typed.CheckedRule, stack: tuple[str, ...]) -> list[Any]:
        chosen = [c for c in self.contacts() if rule.condition is None or self.holds(rule.condition, c, stack)]
        for key in reversed(rule.order_by):
            scored = [(self.value(key.expr, c, stack), c) for c in chosen]
            present = [pair for pair in scored if pair[0] is not None]
            present.sort(key=lambda pair: pair[0], reverse=key.descending)  # stable: earlier keys' order kept
            chosen = [c for _, c in present] + [c for v, c in scored if v is None]
        ids = [c[self.id_column] for c in chosen]
        return ids[: rule.limit] if rule.limit is not None else ids

    # ------------------------------------------------------------------------------------- conditions

    def holds(self, node: typed.Node, contact: dict[str, Any], stack: tuple[str, ...]) -> bool:
        match node:
            case typed.And(operands=operands):
                return all(self.holds(op, contact, stack) for op in operands)
            case typed.Or(operands=operands):
                return any(self.holds(op, contact, stack) for op in operands)
            case typed.Not(operand=operand):
                return not self.holds(operand, contact, stack)
            case typed.Compare(op=op, left=left, right=right):
                a, b = self.value(left, contact, stack), self.value(right, contact, stack)
                if a is None or b is None:
                    return False
                return {"=": a == b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
            case typed.Between(value=value, low=low, high=high):
                v, lo, hi = (self.value(x, contact, stack) for x in (value, low, high))
                return v is not None and lo is not None and hi is not None and lo <= v <= hi
            case typed.InList(value=value, options=options):
                v = self.value(value, contact, stack)
                return v is not None and any(v == self.value(o, contact, stack) for o in options)
            case typed.TextMatch(op=op, value=value, pattern=pattern):
                v = self.value(value, contact, stack)
                if v is None:
                    return False
                # A field stored in lower case (`lowercase = true`) is compared as stored, as the SQL does.
                stored_lower = isinstance(value, typed.Attribute) and value.field.lowercase
                text, needle = v if stored_lower else v.lower(), pattern.lower()
                if op == "contains":
                    return needle in text
                return text.startswith(needle) if op == "starts with" else text.endswith(needle)
            case typed.HasTag(tag=tag):
                return any(t["tag"] is not None and t["tag"].lower() == tag.lower() for t in self.tags(contact))
            case typed.IsSet(value=value):
                if value.type is Type.TEXT_LIST:
                    return any(t["tag"] is not None for t in self.tags(contact))
                return self.value(value, contact, stack) is not None
            case typed.Within(value=value, window=window):
                v = self.value(value, contact, stack)
                return v is not None and _back(self.as_of, window) < v <= self.as_of
        value = self.value(node, contact, stack)
        return value is True

    # ----------------------------------------------------------------------------------------- values

    def value(self, node: typed.Node, contact: dict[str, Any], stack: tuple[str, ...]) -> Any:
        match node:
            case typed.Const(value=value):
                if isinstance(value, dt.datetime):
                    return _naive(value)
                return _number(value)
            case typed.Ago(duration=duration):
                return _back(self.as_of, duration)
            case typed.Attribute(field=field):
                return _number(contact.get(str(field.column)))  # attributes name physical columns
            case typed.Measure():
                return self.measure(node, contact, stack)
            case typed.Negate(operand=operand):
                v = self.value(operand, contact, stack)
                return None if v is None else -v
            case typed.Arithmetic(op=op, left=left, right=right):
                a, b = self.value(left, contact, stack), self.value(right, contact, stack)
                if a is None or b is None:
                    return None
                if op == "/":
                    return None if b == 0 else Fraction(a) / Fraction(b)
                return {"+": a + b, "-": a - b, "*": a * b}[op]
        return self.holds(node, contact, stack)

    def tags(self, contact: dict[str, Any]) -> list[dict[str, Any]]:
        return self.by_customer["customer_tags"].get(contact[self.id_column], [])

    # --------------------------------------------------------------------------------------- measures

    def measure(self, m: typed.Measure, contact: dict[str, Any], stack: tuple[str, ...]) -> Any:
        cid = contact[self.id_column]
        counts = m.measure in ("order_count", "orders", "spent", "total_spent", "refund_count", "refunds",
                               "events", "engagement")
        if m.stored_column is not None:
            stored = _number(contact.get(m.stored_column))
            return (0 if stored is None else stored) if counts else stored
        if m.measure in ("order_count", "orders", "spent", "total_spent", "average_order_value", "first_order_date",
                         "last_order_date", "purchased"):
            orders = [o for o in self.by_customer["orders"].get(cid, []) if self.counts(o["created_at"], m.within)]
            if m.month is not None:
                orders = [o for o in orders if o["created_at"].month == m.month]
            if m.product is not None or m.vendor is not None:
                orders = [o for o in orders if any(self.item_matches(i, m) for i in self.items_by_order[o["order_id"]])]
            totals = [_money(o["total"]) for o in orders if o["total"] is not None]
            dates = [o["created_at"] for o in orders]
            match m.measure:
                case "order_count" | "orders":
                    return len(orders)
                case "spent" | "total_spent":
                    return sum(totals, Fraction(0)) if totals else 0
                case "average_order_value":
                    return sum(totals, Fraction(0)) / len(totals) if totals else None
                case "first_order_date":
                    return min(dates, default=None)
                case "last_order_date":
                    return max(dates, default=None)
                case _:
                    return bool(orders)
        if m.measure in ("refund_count", "refunds"):
            return sum(1 for r in self.by_customer["refunds"].get(cid, []) if self.counts(r["created_at"], m.within))
        if m.measure in ("events", "engagement", "last_open_date", "last_click_date"):
            return self.events(m, cid)
        if m.measure == "in_list":
            ids = {row["list_id"] for row in self.lists if row["name"] == m.target}
            return any(row["list_id"] in ids and row["added_at"] is not None and row["added_at"] <= self.as_of
                       for row in self.by_customer["list_members"].get(cid, []))
        if m.measure == "in_segment":
            return cid in self.segment(str(m.target), stack)
        raise ValueError(f"unknown measure {m.measure}")

    def counts(self, when: dt.datetime | None, within: typed.Duration | None) -> bool:
        """A fact counts when it is dated, not after the as-of instant, and inside the window if any."""
        if when is None or when > self.as_of:
            return False
        return within is None or when > _back(self.as_of, within)

    def item_matches(self, item: dict[str, Any], m: typed.Measure) -> bool:
        if m.product is not None and m.product not in (item["product_name"], item["product_id"]):
            return False
        return m.vendor is None or item["vendor"] == m.vendor

    def events(self, m: typed.Measure, cid: Any) -> Any:
        stored = self.schema.event_types
        rows = [e for e in self.by_customer["events"].get(cid, []) if self.counts(e["occurred_at"], m.within)]
        for name, kind in ((m.campaign, "campaign"), (m.series, "series")):
            if name is not None:
                ids = {c["campaign_id"] for c in self.campaigns
                       if c["name"] == name and c["kind"] == self.schema.campaign_kinds[kind]}
                rows = [e for e in rows if e["campaign_id"] in ids]
        if m.measure == "engagement":
            weights = {stored[event]: weight for event, weight in self.schema.engagement_weights.items()}
            return sum((_number(weights[e["type"]]) for e in rows if e["type"] in weights), 0)
        if m.measure == "events":
            return sum(1 for e in rows if e["type"] == stored[str(m.event)])
        wanted = stored["open" if m.measure == "last_open_date" else "click"]
        return max((e["occurred_at"] for e in rows if e["type"] == wanted), default=None)

    def referenced(self, rule: typed.CheckedRule) -> list[str]:
        """The segments `rule` refers to, directly or not, each after those it refers to (iterative)."""
        order: list[str] = []
        state: dict[str, int] = {}  # 1 on the current path, 2 done
        path: list[tuple[str | None, list[str]]] = [(None, [str(r.target) for r in rule.segment_references()])]
        while path:
            name, pending = path[-1]
            if not pending:
                path.pop()
                if name is not None:
                    state[name] = 2
                    order.append(name)
                continue
            target = pending.pop(0)
            if state.get(target) == 1:
                raise ValueError(f"segment cycle through {target}")
            if target not in state:
                if target not in self.segments:
                    raise KeyError(f"unknown segment {target}")
                state[target] = 1
                path.append((target, [str(r.target) for r in self.segments[target].segment_references()]))
        return order

    def segment(self, name: str, stack: tuple[str, ...]) -> set[Any]:
        if name in stack:
            raise ValueError(f"segment cycle through {name}")
        if name not in self.segment_members:
            rule = self.segments.get(name)
            if rule is None:
                raise KeyError(f"unknown segment {name}")
            self.segment_members[name] = set(self.members(rule, (*stack, name)))
        return self.segment_members[name]
