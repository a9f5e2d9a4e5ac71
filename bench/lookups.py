"""Per-contact lookups against grouped sets on SQLite: which wins, and what it depends on.

Owns the lookup matrix of docs/performance.md ("Lookups or sets"). After conditions on the contact's own
fields, the compiler reads a condition on facts per contact on SQLite (`Target.LOOKUPS_AFTER_FIELDS`: an
`EXISTS ... LIMIT 1 OFFSET k-1` or a correlated `MAX` through the index by contact) instead of as a grouped
set of all contacts' facts, except for the events a shop has few of (`_FEW_EVENTS` in
rare_dsl/compiler/query.py). Which is faster depends on the data: a lookup costs a seek for every contact
the fields keep, a set a read of every fact in the window.

This crosses field conditions that keep from 4% to 84% of the demo shop's contacts with conditions on facts
from sparse (conversions of 90 days) to dense (sends of 6 months) and compiles each AND both ways: the
default schema, whose tables are `indexed`, gives the lookups (with `_FEW_EVENTS` emptied), the same schema
with no table indexed gives the sets. It checks that both count the same contacts, times them interleaved
in one process, and says which of the two the compiler emits.

    python bench/lookups.py [--keep DIR] [--runs 5]

The SQLite copy is bench/queries.py's (100,000 contacts, `rare load`'s indexes and the bench's `INDEXES`);
--keep reuses it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from queries import AS_OF, demo_store, machine_line, sqlite_copy, windows  # noqa: E402

import rare_dsl  # noqa: E402
from rare_dsl.compiler import query  # noqa: E402
from rare_dsl.engines import Engine  # noqa: E402
from rare_dsl.schema import Schema, default_schema  # noqa: E402
from rare_dsl.schema.model import FrozenMap  # noqa: E402

FIELDS = ('quality = "vip"', 'country = "Spain"', 'country = "France"', 'status = "subscribed"')

# Each condition with the facts a grouped set of it reads: (table, filter), `${...}` the anchored instants.
CONDITIONS = (
    ("conversions(90d) >= 1", "events", "type = 'conversion' AND occurred_at > '${ago_90d}'"),
    ("last_click_date within 30d", "events", "type = 'click' AND occurred_at > '${ago_30d}'"),
    ("clicks(3mo) >= 2", "events", "type = 'click' AND occurred_at > '${ago_3mo}'"),
    ("clicks(3mo) = 0", "events", "type = 'click' AND occurred_at > '${ago_3mo}'"),
    ("refunds(1y) >= 1", "refunds", "created_at > '${ago_1y}'"),
    ("orders(1y) >= 1", "orders", "created_at > '${ago_1y}'"),
    ("opens(6mo) >= 3", "events", "type = 'open' AND occurred_at > '${ago_6mo}'"),
    ("opens(6mo) = 0", "events", "type = 'open' AND occurred_at > '${ago_6mo}'"),
    ("last_order_date < 90d ago", "orders", "created_at <= '${as_of}'"),
    ("sends(6mo) >= 5", "events", "type = 'sent' AND occurred_at > '${ago_6mo}'"),
)


def unindexed(schema: Schema) -> Schema:
    """`schema` with no table marked `indexed`: the compiler then reads every measure as a set."""
    tables = {name: dataclasses.replace(table, indexed=False) for name, table in schema.tables.items()}
    return dataclasses.replace(schema, tables=FrozenMap(tables))


@contextlib.contextmanager
def always_lookups() -> Iterator[None]:
    """The compiler reading every indexed measure per contact after fields, the few events too (it reads
    those as sets, `_FEW_EVENTS` in rare_dsl/compiler/query.py): the lookups side of each pair."""
    saved = query._FEW_EVENTS
    query._FEW_EVENTS = frozenset()
    try:
        yield
    finally:
        query._FEW_EVENTS = saved


@dataclasses.dataclass(frozen=True)
class Pair:
    """One `and` of the matrix compiled both ways, and which of the two the compiler emits."""

    rule: str
    lookups: str
    sets: str
    compiled: str  # "lookups", "sets" or "other"


def pair(fields: str, condition: str) -> Pair:
    rule = f"{fields} and {condition}"
    compiled = rare_dsl.compile(rule, dialect="sqlite", as_of=AS_OF).sql
    with always_lookups():
        lookups = rare_dsl.compile(rule, dialect="sqlite", as_of=AS_OF).sql
    sets = rare_dsl.compile(rule, dialect="sqlite", as_of=AS_OF, schema=unindexed(default_schema())).sql
    return Pair(rule, lookups, sets, {lookups: "lookups", sets: "sets"}.get(compiled, "other"))


def count(engine: Engine, sql: str) -> int:
    return int(engine.execute(f"SELECT COUNT(*) FROM ({sql}) AS q")[0][0])


def timed(engine: Engine, sqls: Sequence[str], runs: int) -> list[float]:
    """Median ms of each query, the queries interleaved run by run after one warm-up each."""
    times: list[list[float]] = [[] for _ in sqls]
    for sql in sqls:
        count(engine, sql)
    for _ in range(runs):
        for index, sql in enumerate(sqls):
            started = time.perf_counter()
            count(engine, sql)
            times[index].append((time.perf_counter() - started) * 1000)
    return [statistics.median(t) for t in times]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the demo store and its SQLite copy here")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each query after a warm-up")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    print(machine_line(), flush=True)
    anchored = windows()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        engine = sqlite_copy(folder, demo_store(folder, 100_000, say), say)
        try:
            contacts = count(engine, "SELECT customer_id FROM customers")
            kept = {f: count(engine, rare_dsl.compile(f, dialect="sqlite", as_of=AS_OF).sql) for f in FIELDS}
            print("\n| fields keep | condition | facts in its window | lookups ms | sets ms | lookups/sets "
                  "| compiled |")
            print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
            mismatches = 0
            for condition, table, where in CONDITIONS:
                facts = count(engine, f"SELECT 1 FROM {table} WHERE " + string.Template(where).substitute(anchored))
                for fields in FIELDS:
                    both = pair(fields, condition)
                    say(both.rule)
                    if count(engine, both.lookups) != count(engine, both.sets):
                        print(f"!!! MISMATCH !!! {both.rule}: the two shapes count different contacts", flush=True)
                        mismatches += 1
                        continue
                    a, b = timed(engine, [both.lookups, both.sets], args.runs)
                    print(f"| `{fields}` ({kept[fields] / contacts:.0%}) | `{condition}` | {facts:,} "
                          f"| {a:.1f} | {b:.1f} | {a / b:.2f} | {both.compiled} |", flush=True)
        finally:
            engine.close()
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
