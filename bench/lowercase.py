"""Text stored in lower case, compared without folding it again: the `lowercase` flag of a schema field.

Owns "Text stored in lower case" in docs/performance.md. The default schema says `email` is stored
lower-case (`lowercase = true`, which the store keeps with a CHECK), so a text predicate on it folds only the
rule's text, in Python (`email LIKE '%@gmail.com'`); without the flag the compiler folds the column on
every row, with the spelling out of the letters some engines fold otherwise than Python
(`CASE WHEN <bytes> = <characters> THEN LOWER(email) ELSE LOWER(REPLACE(email, 'İ', 'i̇')) END`).

Each rule is compiled both ways, with the default schema (new) and with the same schema less the flag
(`fields.email.lowercase = false`, the SQL of before), on the demo shop; both must count the same contacts
(a mismatch is printed and the command exits 1), then they are timed interleaved in one process: one
warm-up each, the median of --runs of `SELECT COUNT(*) FROM (...)`.

    python bench/lowercase.py [--keep DIR] [--runs 7] [--engines duckdb sqlite postgres]

Engines: DuckDB on the 1,000,000 and 100,000-contact stores of bench/queries.py, SQLite and PostgreSQL
with the 100,000-contact shop copied in as bench/queries.py does (--keep reuses the stores and the SQLite
copy; PostgreSQL gets a database of its own, dropped at the end, skipped without a server).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from queries import (  # noqa: E402
    AS_OF,
    DEFAULT_POSTGRES,
    checksum,
    demo_store,
    machine_line,
    postgres_database,
    sqlite_copy,
)

import rare_dsl  # noqa: E402
from rare_dsl.engines import Engine, connect  # noqa: E402
from rare_dsl.schema import Schema, default_schema, load_schema  # noqa: E402

RULES = (
    'email ends with "@gmail.com"',
    'email contains "martin"',
    'email starts with "j"',
    'not email ends with "@example.com"',
    'email ends with ".fr" and opens(6mo) >= 1',
)


def folding_schema(folder: Path) -> Schema:
    """The default schema less `lowercase` on `email`: the column is folded, as before the flag."""
    path = folder / "folded-email.toml"
    path.write_text("fields.email.lowercase = false\n", encoding="utf-8")
    schema = load_schema(path)
    assert not schema.fields["email"].lowercase and default_schema().fields["email"].lowercase
    return schema


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


def report(label: str, engine: Engine, folded: Schema, runs: int) -> int:
    """One table row per rule; the number of rules whose two shapes disagree."""
    mismatches = 0
    for rule in RULES:
        old = rare_dsl.compile(rare_dsl.check(rule, schema=folded), dialect=engine.dialect, as_of=AS_OF).sql
        new = rare_dsl.compile(rule, dialect=engine.dialect, as_of=AS_OF).sql
        assert old != new, rule
        old_sum, new_sum = checksum(engine, old), checksum(engine, new)
        if old_sum != new_sum:
            print(f"!!! MISMATCH !!! {label} {rule}: folded {old_sum}, stored {new_sum}", flush=True)
            mismatches += 1
            continue
        before, after = timed(engine, [old, new], runs)
        print(f"| {label} | `{rule}` | {new_sum[0]:,} | {before:.1f} | {after:.1f} | {after / before:.2f} |",
              flush=True)
    return mismatches


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the demo stores and the SQLite copy here")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each query after a warm-up")
    parser.add_argument("--engines", nargs="+", default=["duckdb", "sqlite", "postgres"],
                        choices=["duckdb", "sqlite", "postgres"])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="a PostgreSQL server to create a database on")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    print(machine_line(), flush=True)
    mismatches = 0
    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as stack:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        folded = folding_schema(Path(scratch))
        small = demo_store(folder, 100_000, say)
        targets: list[tuple[str, Engine]] = []
        # The copies first: they read the DuckDB file, which a DuckDB connection to it would hold.
        if "sqlite" in args.engines:
            targets.append(("SQLite 100k", stack.enter_context(sqlite_copy(folder, small, say))))
        if "postgres" in args.engines:
            engine = stack.enter_context(postgres_database(args.postgres, small, say))
            if engine is not None:
                targets.append(("PostgreSQL 100k", engine))
        if "duckdb" in args.engines:
            big = demo_store(folder, 1_000_000, say)
            targets[:0] = [("DuckDB 1M", stack.enter_context(connect(f"duckdb:///{big}"))),
                           ("DuckDB 100k", stack.enter_context(connect(f"duckdb:///{small}")))]
        print("\n| engine | rule | contacts | folded ms (old) | stored ms (new) | new/old |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for label, engine in targets:
            mismatches += report(label, engine, folded, args.runs)
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
