"""How fast the REPL answers: checking and completing on each keystroke, and the live count.

    python bench/repl.py [--db PATH] [--runs N]

Without `--db`, a default demo store (100,000 contacts) is created in a temporary folder first. The
keystroke figures replay a 10-clause rule one character at a time; the live-count figures are the work
after the debounce (check, compile, count on the store) for each segment of `examples/*.rare`.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rare_dsl import RuleError, check, check_project, default_schema  # noqa: E402
from rare_dsl.repl.completion import StaticKnown, suggest  # noqa: E402
from rare_dsl.repl.lexer import token_styles  # noqa: E402

TEN_CLAUSES = (
    'country = "France" and quality in ["vip", "loyal"] and opens(6mo) >= 3 and clicks(90d) > 0 '
    'and total_spent between 100 and 5_000 and last_order_date within 1y and tags contains "newsletter" '
    'and not bought_from("Nordic Knits") and status = "subscribed" and email not ends with "@example.com"'
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def timed_both(work: Callable[[], object]) -> tuple[float, float]:
    """(wall-clock ms, this process's CPU ms): on a busy machine the two differ by the time spent waiting."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def per_keystroke(name: str, work: Callable[[str], object], runs: int) -> None:
    prefixes = [TEN_CLAUSES[:i] for i in range(1, len(TEN_CLAUSES) + 1)]
    work(TEN_CLAUSES)  # warm the grammar and caches
    gc.collect()
    gc.freeze()  # as the REPL does once started (rare_dsl.repl.settle)
    samples = [timed_both(lambda p=p: work(p)) for _ in range(runs) for p in prefixes]
    wall = [w for w, _ in samples]
    cpu = [c for _, c in samples]
    print(f"| {name} | {len(wall):,} | {statistics.median(wall):.2f} | {percentile(wall, 0.95):.2f} "
          f"| {max(wall):.2f} | {percentile(cpu, 0.95):.2f} |")


def check_quietly(text: str) -> None:
    with contextlib.suppress(RuleError):
        check(text)


def keystrokes(runs: int) -> None:
    schema = default_schema()
    known = StaticKnown(topics={"country": ("France", "Spain"), "tags": ("newsletter", "vip")})
    print(f"Replaying a 10-clause rule ({len(TEN_CLAUSES)} characters) one keystroke at a time, {runs} times.\n")
    print(f"Load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.\n")
    print("| work per keystroke | samples | p50 ms | p95 ms | max ms | p95 CPU ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    per_keystroke("check (toolbar, validator)", check_quietly, runs)
    per_keystroke("highlight (lexer)", lambda text: token_styles(text, schema), runs)
    per_keystroke("completion analysis", lambda text: suggest(text, schema, known), runs)
    per_keystroke("all three", lambda text: (check_quietly(text), token_styles(text, schema),
                                             suggest(text, schema, known)), runs)


def live_counts(db: str, runs: int) -> None:
    """The live count as the REPL runs it: a lease on the store per count (`rare_dsl.repl.database`), the
    store still open from the keystroke before (typing), and opened again after a pause of more than a
    second, when the REPL has let go of it."""
    from rare_dsl.repl.database import Database

    schema = default_schema()
    files = sorted((ROOT / "examples").glob("*.rare"))
    project = check_project([(file.read_text(encoding="utf-8"), str(file)) for file in files], schema)
    database = Database(db, schema)
    with database.lease() as cursor:
        total = database.queries.total(cursor=cursor)
    print(f"\nLive count on {db} ({total:,} contacts), each segment of examples/*.rare, "
          f"median and worst of {runs} runs after one warm-up; the toolbar adds the 150 ms typing pause. "
          "Held: the store is still open from the keystroke before; reopened: the REPL let go of it after a "
          "second without work, and opens it again.\n")
    print("| segment | contacts | held: check + compile + count, median ms | worst ms | reopened: median ms "
          "| worst ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, segment in project.segments.items():
        text = segment.syntax.rule.span
        rule_text = segment.rule.source.text[text.start:text.end]

        def work(rule_text: str = rule_text) -> int:
            checked = check(rule_text, schema, segments=list(project.segments))
            with database.lease() as cursor:
                return database.queries.count(checked, segments=project.segments, cursor=cursor).matching

        def reopened(work: Callable[[], int] = work) -> int:
            database.release()
            return work()

        matching = work()
        held = [timed(work) for _ in range(runs)]
        cold = [timed(reopened) for _ in range(runs)]
        print(f"| {name} | {matching:,} | {statistics.median(held):.1f} | {max(held):.1f} "
              f"| {statistics.median(cold):.1f} | {max(cold):.1f} |")
    database.close()


def demo_store(folder: Path) -> str:
    from rare_dsl.store import Store
    from rare_dsl.store.demo import generate

    path = folder / "rare.duckdb"
    with Store.open(str(path), write=True) as store:
        generate(store)
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="a store to count on (default: a fresh demo store)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    keystrokes(args.runs)
    with tempfile.TemporaryDirectory() as folder:
        live_counts(args.db or demo_store(Path(folder)), args.runs)


if __name__ == "__main__":
    main()
