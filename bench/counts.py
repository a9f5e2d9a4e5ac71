"""How fast `rare count` answers: a few example rules on demo stores of 100,000 and 1,000,000 contacts.

    python bench/counts.py [--contacts 100000 1000000] [--runs 5] [--keep DIR]

Each size is generated into a fresh store (or reused from DIR with --keep). Two figures per rule: the
query, `SegmentQueries.count` on an open store (compile + DuckDB), median of `--runs` after one warm-up;
and the whole command, `rare count RULE --db STORE` in a new process (Python start-up, imports, opening
the store read-only, the query), median of three runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from rare_dsl import check  # noqa: E402
from rare_dsl.store import Store  # noqa: E402
from rare_dsl.store.demo import generate  # noqa: E402
from rare_dsl.store.queries import SegmentQueries  # noqa: E402

RULES = (
    'country = "France" and opens(6mo) >= 3',
    'quality = "vip" and last_order_date < 90d ago',
    'spent(within: 1y) > 500 or orders(month: "dec") >= 2',
    'in_list("Popup leads") and not tags contains "newsletter"',
    "order by engagement(6mo) desc limit 1000",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the stores in this folder")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"DuckDB {duckdb.__version__}, load average {os.getloadavg()[0]:.1f}")
    rare = Path(sys.executable).with_name("rare")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for contacts in args.contacts:
            path = folder / f"demo-{contacts}.duckdb"
            if not path.exists():
                with Store.open(path, write=True) as store:
                    generate(store, contacts=contacts)
            print(f"\n{contacts:,} contacts\n")
            print("| rule | contacts | query, median ms | `rare count`, median s |")
            print("| --- | ---: | ---: | ---: |")
            for rule in RULES:
                with Store.open(path) as store:
                    queries = SegmentQueries(store)
                    checked = check(rule)
                    matching = queries.count(checked).matching
                    times = [queries.count(checked).seconds * 1000 for _ in range(args.runs)]
                command = [str(rare), "count", rule, "--db", str(path)]
                walls = []
                for _ in range(3):
                    started = time.perf_counter()
                    subprocess.run(command, check=True, capture_output=True)
                    walls.append(time.perf_counter() - started)
                print(f"| `{rule}` | {matching:,} | {statistics.median(times):.0f} | {statistics.median(walls):.2f} |")
            looks(path, args.runs)
    return 0


def looks(path: Path, runs: int) -> None:
    """The other questions about one rule, on an open store: median ms of `runs` after one warm-up."""
    rule = check(RULES[0] + " and spent(within: 1y) > 100")
    print(f"\n`{RULES[0]} and spent(within: 1y) > 100`, on an open store:\n")
    print("| question | median ms |")
    print("| --- | ---: |")
    with Store.open(path) as store:
        queries = SegmentQueries(store)
        for name, work in (("count", lambda: queries.count(rule)), ("sample -n 10", lambda: queries.sample(rule)),
                           ("explain (3 clauses)", lambda: queries.explain(rule)),
                           ("breakdown --by city", lambda: queries.breakdown(rule, "city"))):
            work()
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                work()
                times.append((time.perf_counter() - started) * 1000)
            print(f"| {name} | {statistics.median(times):.0f} |")


if __name__ == "__main__":
    raise SystemExit(main())
