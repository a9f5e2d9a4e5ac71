"""How fast `rare list import` is: a CSV file of a million rows into a list of a demo store.

    python bench/import_csv.py [--rows 100000 1000000] [--keep DIR]

The file is written first (not timed): `email;first_name;last_name;country;city` rows, 5% of them
addresses the demo store already has, 2% repeats of an earlier row in other case, 1% invalid. The import
runs through `rare_dsl.lists.import_csv`, exactly what the command runs, into a fresh list of a demo store
of 100,000 contacts; the time is from reading the file to the commit, split by stage.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import email_validator  # noqa: E402
from stages import Stages  # noqa: E402  (bench/stages.py, next to this script)

from rare_dsl import lists  # noqa: E402
from rare_dsl.store import Store  # noqa: E402
from rare_dsl.store.demo import generate  # noqa: E402


def write_file(path: Path, rows: int, known: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["Email", "First name", "Last name", "Country", "City"])
        for n in range(rows):
            if n % 100 == 7:
                email = f"broken{n}@@example.com"
            elif n % 50 == 3 and n > 50:
                email = f"Lead{n - 50}@Example.org".upper()
            elif n % 20 == 11 and known:
                email = known[n % len(known)]
            else:
                email = f"lead{n}@example.org"
            writer.writerow([email, f"First{n % 977}", f"Last{n % 1409}", "France", "Paris"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--keep", metavar="DIR", help="keep the store and files in this folder")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"email-validator {email_validator.__version__}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for rows in args.rows:
            store_path = folder / f"import-{rows}.duckdb"
            for leftover in (store_path, store_path.with_name(store_path.name + ".wal")):
                leftover.unlink(missing_ok=True)
            with Store.open(store_path, write=True) as store:
                generate(store, contacts=100_000, seed=1)
                known = [row[0] for row in store.execute("SELECT email FROM customers LIMIT 5000").fetchall()]
                lists.create_list(store, "Bench")
            file = folder / f"leads-{rows}.csv"
            write_file(file, rows, known)
            progress = Stages("reading")
            started = time.perf_counter()
            with Store.open(store_path, write=True) as store:
                report = lists.import_csv(store, "Bench", file, progress=progress)
                progress("commit")
            seconds = time.perf_counter() - started
            print(f"\n{rows:,} rows ({file.stat().st_size / 1e6:.0f} MB): {seconds:.1f} s")
            print(f"  read {report.rows_read:,}, added {report.added:,} ({report.new_contacts:,} new contacts), "
                  f"already members {report.already_members:,}, duplicates {report.duplicates:,}, "
                  f"invalid {len(report.invalid):,}")
            print(f"  slowest stages: {progress.slowest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
