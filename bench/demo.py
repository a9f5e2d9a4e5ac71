"""How fast `rare demo` generates: rows per table and seconds, at 100,000 and 1,000,000 contacts.

    python bench/demo.py [--contacts 100000 1000000] [--seed 1] [--keep DIR]

Each size is generated into a fresh store in a temporary folder (or DIR with --keep), through the same
`rare_dsl.store.demo.generate` the command runs, and timed from opening the store to the commit. The
target (docs/performance.md): one million contacts, about twenty million events, in under a minute.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
from stages import Stages  # noqa: E402  (bench/stages.py, next to this script)

from rare_dsl.store import Store  # noqa: E402
from rare_dsl.store.demo import generate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="keep the stores in this folder")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"DuckDB {duckdb.__version__}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for contacts in args.contacts:
            path = folder / f"demo-{contacts}.duckdb"
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
            progress = Stages("open")
            started = time.perf_counter()
            with Store.open(path, write=True) as store:
                report = generate(store, contacts=contacts, seed=args.seed, progress=progress)
            seconds = time.perf_counter() - started
            size = path.stat().st_size / 1e6
            print(f"\n{contacts:,} contacts: {seconds:.1f} s, {size:,.0f} MB on disk")
            for table, rows in report.rows.items():
                print(f"  {table:<14} {rows:>12,}")
            print(f"  slowest stages: {progress.slowest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
