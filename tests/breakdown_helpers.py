"""Shared by the breakdown tests of every engine (tests/test_breakdown.py, test_engines.py, the Spark and
ClickHouse tests): the breakdowns to ask for, and the check that each row holds exactly the members the
reference evaluator finds for the same rule narrowed to that row (`country = "..."`, `tags contains "..."`,
`created_at >= ... and created_at < ...`, `total_spent >= ... and total_spent < ...`)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rare_dsl import check
from rare_dsl.evaluate import evaluate
from rare_dsl.store.breakdown import Breakdown, Range, breakdown, bucket_start

# (rule, field, options): every kind of --by, with the options that shape it.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("opens(6mo) >= 1 or order_count >= 1", "country", {"top": 4}),
    ("opens(6mo) >= 1 or order_count >= 1", "quality", {}),
    ("order_count >= 0", "tags", {"top": 3}),
    ("order_count >= 0", "created_at", {}),
    ("order_count >= 0", "created_at", {"bucket": "week"}),
    ("opens(6mo) >= 1 or order_count >= 1", "last_order_date", {"bucket": "month"}),
    ("order_count >= 0", "total_spent", {}),
    ("order_count >= 1", "average_order_value", {"bins": 4}),
    ("order_count >= 0", "order_count", {"bins": 3}),
    ('country = "France"', "total_spent", {"bins": 1}),
]


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def literal(value: Any) -> str:
    """A value as the language writes it: a number, or a UTC timestamp."""
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00Z"
    return f"{value:f}"


def narrowed(rule: str, found: Breakdown, value: Any) -> str:
    """The rule narrowed to the contacts of one row."""
    field = found.field
    if found.kind == "tags":
        return f"({rule}) and tags contains {quote(value)}"
    if found.kind == "time":
        end = value
        while bucket_start(end, found.bucket or "day") == value:
            end += dt.timedelta(days=1)
        return f"({rule}) and {field} >= {literal(value)} and {field} < {literal(end)}"
    if isinstance(value, Range):
        upper = "" if value.high is None else f" and {field} < {literal(value.high)}"
        return f"({rule}) and {field} >= {literal(value.low)}{upper}"
    raise AssertionError(value)


def verify(found: Breakdown, rule: str, field: str, options: Mapping[str, Any],
           members: Callable[[str], set[Any]], customers: Sequence[Mapping[str, Any]]) -> None:
    """Every row of a breakdown, and its missing ones, against the reference evaluator (`members`)."""
    everyone = members(rule)
    assert found.matching == len(everyone)
    if found.kind == "values":
        values = Counter(c[field] for c in customers if c["customer_id"] in everyone)
        assert found.missing == values.pop(None, 0)
        assert dict(found.top) == {value: values[value] for value, _ in found.top}
        top = options.get("top", 10)
        assert sorted((n for _, n in found.top), reverse=True) == sorted(values.values(), reverse=True)[:top]
        assert found.other == sum(values.values()) - sum(n for _, n in found.top)
        return
    for value, count in found.top:
        assert count == len(members(narrowed(rule, found, value))), (field, value)
    if found.kind == "tags":
        assert found.missing == len(members(f"({rule}) and not tags is set"))
        return
    assert found.missing == len(members(f"({rule}) and not {field} is set"))
    assert sum(n for _, n in found.top) + found.missing == found.matching
    if found.kind == "time":
        assert found.bucket == options.get("bucket", found.bucket)
        starts = [value for value, _ in found.top]
        assert starts == sorted(starts) and len(set(starts)) == len(starts)
    else:
        ranges = [value for value, _ in found.top]
        assert all(a.high == b.low for a, b in itertools.pairwise(ranges))  # no gap, no overlap
        steps = {r.high - r.low for r in ranges if r.high is not None}
        assert len(steps) <= 1


def verify_all(dialect: str, run: Callable[[Any], Sequence[Sequence[Any]]], data: Mapping[str, Sequence[Any]],
               as_of: dt.datetime) -> int:
    """Every case of CASES on one engine; returns how many rows were checked."""
    cache: dict[str, set[Any]] = {}

    def members(text: str) -> set[Any]:
        if text not in cache:
            cache[text] = set(evaluate(check(text), data, as_of))
        return cache[text]

    rows = 0
    for rule, field, options in CASES:
        found = breakdown(check(rule), field, dialect=dialect, run=run, as_of=as_of.replace(tzinfo=dt.UTC),
                          **options)
        verify(found, rule, field, options, members, data["customers"])
        rows += len(found.top)
    return rows
