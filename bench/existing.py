"""What the test of who exists costs a count at an as-of instant (SPEC 8.4), on DuckDB and SQLite.

Owns the table of docs/performance.md ("Contacts that did not exist yet"). Anchored, every compiled rule's
WHERE starts with `(c.created_at IS NULL OR c.created_at <= as-of)`, so that a contact created after the
instant matches nothing (`QueryBuilder.existing` in rare_dsl/compiler/query.py). This compiles each rule of
bench/queries.py (`RULES`) with that test and without it (`existing` made to return None: the SQL of
before), at the demo's anchor, where every contact exists and the test only costs, and a year and three
years before it, where it also leaves contacts out. Both are counted and timed as `SELECT COUNT(*) FROM
(...)`, interleaved, the median of --runs after a warm-up each; then the total a share is of
(`rare_dsl.compiler.contacts`), once per instant.

    python bench/existing.py [--keep DIR] [--runs 5] [--engines duckdb sqlite]

The stores are bench/queries.py's (100,000 contacts at its AS_OF; the SQLite copy with `rare load`'s
indexes and the bench's `INDEXES`); --keep reuses them.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lookups import count, timed  # noqa: E402
from queries import AS_OF, RULES, demo_store, machine_line, sqlite_copy  # noqa: E402

import rare_dsl  # noqa: E402
from rare_dsl.compiler import contacts, query  # noqa: E402
from rare_dsl.engines import Engine, connect  # noqa: E402

# The demo's anchor (everyone exists), and instants before some contacts signed up.
INSTANTS = (("anchor", AS_OF), ("1y before", AS_OF - dt.timedelta(days=365)),
            ("3y before", AS_OF - dt.timedelta(days=3 * 365)))


@contextlib.contextmanager
def without_existence() -> Iterator[None]:
    """The compiler as it was before SPEC 8.4: no test of who exists in the anchored WHERE."""
    saved = query.QueryBuilder.existing
    query.QueryBuilder.existing = lambda self: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        query.QueryBuilder.existing = saved  # type: ignore[method-assign]


def engines(folder: Path, wanted: Sequence[str], say: Callable[[str], None]) -> Iterator[Engine]:
    source = demo_store(folder, 100_000, say)
    for name in wanted:
        yield connect(f"duckdb:///{source}") if name == "duckdb" else sqlite_copy(folder, source, say)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the demo store and its SQLite copy here")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each query after a warm-up")
    parser.add_argument("--engines", nargs="+", choices=["duckdb", "sqlite"], default=["duckdb", "sqlite"])
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    print(machine_line(), flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for engine in engines(folder, args.engines, say):
            try:
                report(engine, args.runs, say)
            finally:
                engine.close()
    return 0


def report(engine: Engine, runs: int, say: Callable[[str], None]) -> None:
    dialect = engine.dialect
    print(f"\n{dialect}, 100,000 contacts\n")
    print("| instant | contacts then | total ms |")
    print("| --- | ---: | ---: |")
    for label, instant in INSTANTS:
        everyone = contacts(dialect=dialect, as_of=instant).sql
        (total,) = timed(engine, [everyone], runs)
        print(f"| {label} | {count(engine, everyone):,} | {total:.1f} |", flush=True)
    print("\n| rule | instant | contacts | without the test | ms | ms without | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    ratios: dict[str, list[float]] = {label: [] for label, _ in INSTANTS}
    for rule_id, rule in RULES:
        for label, instant in INSTANTS:
            say(f"{dialect} {rule_id} {label}")
            checked = rare_dsl.compile(rule, dialect=dialect, as_of=instant).sql
            with without_existence():
                before = rare_dsl.compile(rule, dialect=dialect, as_of=instant).sql
            now, then = timed(engine, [checked, before], runs)
            ratios[label].append(now / then)
            print(f"| `{rule}` | {label} | {count(engine, checked):,} | {count(engine, before):,} | {now:.1f} "
                  f"| {then:.1f} | {now / then:.2f} |", flush=True)
    for label, found in ratios.items():
        found.sort()
        print(f"\n{dialect} {label}: ratio median {found[len(found) // 2]:.2f}, "
              f"range {found[0]:.2f}-{found[-1]:.2f} over {len(found)} rules", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
