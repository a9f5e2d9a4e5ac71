"""Exact averages and quotients against the doubles of before: what exactness costs (issue 16 item 1).

Owns "Exact averages and quotients" in docs/performance.md. The compiler now compares a quotient by
cross-multiplying (`SUM(total) * 10 = 1 * NULLIF(COUNT(total), 0)` for `average_order_value = 0.1`), reads
money as the engine's exact sum (in whole cents on SQLite) and ranks by a quotient of two whole numbers;
before, it divided in doubles (`CAST(SUM(total) AS DOUBLE) / NULLIF(COUNT(total), 0)`).

The SQL of before comes from the compiler of a baseline commit (`--baseline`, default the last commit
before the change), unpacked from git into a scratch folder and run in a subprocess; the SQL of now from
this checkout. Both are counted on the same store and timed interleaved in one process: one warm-up each,
the median of --runs of `SELECT COUNT(*) FROM (...)`. The counts may differ, where the doubles were wrong;
both are printed.

    python bench/exact.py [--keep DIR] [--runs 7] [--engines duckdb sqlite postgres] [--baseline REV]

Engines: DuckDB, SQLite and PostgreSQL on the 100,000-contact shop of bench/queries.py (--keep reuses the
store and the SQLite copy; PostgreSQL gets a database of its own, dropped at the end, skipped without a
server).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lowercase import count, timed  # noqa: E402
from queries import AS_OF, DEFAULT_POSTGRES, demo_store, machine_line, postgres_database, sqlite_copy  # noqa: E402

import rare_dsl  # noqa: E402
from rare_dsl.engines import Engine, connect  # noqa: E402

BASELINE = "735de16"  # main before exact numbers
RULES = (
    "average_order_value > 80",
    "average_order_value >= 50 and average_order_value < 100",
    'country = "France" and average_order_value > 80',
    "clicks(6mo) / opens(6mo) >= 0.2",
    "total_spent / order_count > 60",
    "average_order_value * order_count = total_spent",
    "order by average_order_value desc limit 100",
)
_OLD_SQL = """
import datetime as dt, json, sys
import rare_dsl
as_of, dialects = dt.datetime.fromisoformat(sys.argv[1]), sys.argv[2:]
rules = json.loads(sys.stdin.read())
print(json.dumps({d: [rare_dsl.compile(r, dialect=d, as_of=as_of).sql for r in rules] for d in dialects}))
"""


def old_sql(baseline: str, dialects: Sequence[str], scratch: Path) -> dict[str, list[str]]:
    """The SQL the baseline commit's compiler printed for each rule, by dialect."""
    folder = scratch / "baseline"
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", baseline, "rare_dsl", "grammar"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    done = subprocess.run([sys.executable, "-c", _OLD_SQL, AS_OF.isoformat(), *dialects], input=json.dumps(RULES),
                          capture_output=True, text=True, check=True, cwd=folder,
                          env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout)


def report(label: str, engine: Engine, before: Sequence[str], runs: int) -> None:
    for rule, old in zip(RULES, before, strict=True):
        new = rare_dsl.compile(rule, dialect=engine.dialect, as_of=AS_OF).sql
        old_count, new_count = count(engine, old), count(engine, new)
        slow, fast = timed(engine, [old, new], runs)
        print(f"| {label} | `{rule}` | {old_count:,} | {new_count:,} | {slow:.1f} | {fast:.1f} | {fast / slow:.2f} |",
              flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the demo store and the SQLite copy here")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each query after a warm-up")
    parser.add_argument("--engines", nargs="+", default=["duckdb", "sqlite", "postgres"],
                        choices=["duckdb", "sqlite", "postgres"])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="a PostgreSQL server to create a database on")
    parser.add_argument("--baseline", default=BASELINE, help="the commit whose compiler printed the SQL of before")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    print(machine_line(), flush=True)
    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as stack:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        before = old_sql(args.baseline, ["duckdb", "sqlite", "postgres"], Path(scratch))
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
            targets.insert(0, ("DuckDB 100k", stack.enter_context(connect(f"duckdb:///{small}"))))
        print("\n| engine | rule | contacts (doubles) | contacts (exact) | doubles ms (old) | exact ms (new) "
              "| new/old |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for label, engine in targets:
            report(label, engine, before[engine.dialect], args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
