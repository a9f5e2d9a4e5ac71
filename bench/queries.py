"""The compiler's SQL against the best hand-written SQL and a peer's shape, rule by rule, engine by engine.

Owns the query benchmark of docs/performance.md ("Compiled SQL against hand-written SQL"): a fixed suite of
rules (`RULES`), anchored at one instant (`AS_OF`) on demo shops generated at that same anchor, so every
engine and every run sees the same facts and the same literals. For each rule and engine it runs, in one
process:

- **compiled**: `rare_dsl.compile(rule, dialect=..., as_of=AS_OF).sql`, whatever the compiler emits today;
- **best**: the fastest of the hand-written shapes in `bench/sql/best/<rule>.sql` (several per rule, each
  `-- shape: NAME [engines]`; the winner is picked per engine, per run, and named in the table);
- **peer**: `bench/sql/peer/<rule>.sql`, one subquery per condition combined with INTERSECT / UNION /
  EXCEPT, the way PostHog compiles cohorts.

Hand-written SQL is PostgreSQL text transpiled by sqlglot for each engine; `${as_of}`, `${ago_6mo}`... are
the anchored instants (`WINDOWS`). Money is summed exactly and then made double precision, as the compiled
SQL does, so a boundary such as `spent(1y) > 500` reads the same in every shape (a sum of doubles depends on
the order a parallel engine adds them in). Every query is first run as
`SELECT COUNT(*), SUM(customer_id)` and all shapes of a rule must agree on both numbers (a wrong shape
cannot hide behind a matching count); a mismatch is printed loudly and the command exits 1. Then each is
timed as `SELECT COUNT(*) FROM (...)`: one warm-up, the median of --runs, the shapes of a rule interleaved.
A query still running after --timeout seconds is interrupted and shown as a timeout (its ratios become
bounds), so one bad plan cannot hold the run for many minutes.

    python bench/queries.py [--keep DIR] [--runs 5] [--engines duckdb sqlite postgres] [--quick]
                            [--markdown FILE] [--postgres URL] [--timeout 30] [--rules ID ...]

Engines: DuckDB on stores of 1,000,000 and 100,000 contacts; SQLite and PostgreSQL with the 100,000-contact
shop copied in by `rare load`'s machinery (`rare_dsl.engines.copy.copy_tables`, which also creates the
lookup indexes of `ENGINE_INDEXES`), plus what a shop's database has beside them (`INDEXES`). PostgreSQL
gets a database of its own, dropped at the end; without a server it is skipped with one line. Then the
compile latency of a short and a 10-clause rule (parse, check, SQL per dialect) and the cold start of
`rare compile` and of `import rare_dsl` in new processes.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as dt
import hashlib
import os
import platform
import re
import secrets
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import sqlglot  # noqa: E402

import rare_dsl  # noqa: E402
from rare_dsl.compiler.calendar import minus  # noqa: E402
from rare_dsl.engines import Engine, EngineError, connect  # noqa: E402
from rare_dsl.engines.copy import copy_tables  # noqa: E402
from rare_dsl.schema import default_schema  # noqa: E402
from rare_dsl.store import Store  # noqa: E402
from rare_dsl.store.demo import generate  # noqa: E402
from rare_dsl.store.tables import ENGINE_INDEXES  # noqa: E402

SQL_DIR = Path(__file__).resolve().parent / "sql"
# The demo's facts end at its anchor; the rules are evaluated there too. Fixed, so that a store kept with
# --keep and one generated today hold the same rows, and the counts below are reproducible.
AS_OF = dt.datetime(2026, 11, 1)
SEED = 1
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"

# (id, rule): every aggregate kind, ORs of aggregates, zero counts and negations, product, vendor and month
# filters, attributes with aggregates, lists and tags, rankings, and a 10-clause rule.
RULES: tuple[tuple[str, str], ...] = (
    ("opens_6mo", "opens(6mo) >= 3"),
    ("france_openers", 'country = "France" and opens(6mo) >= 3'),
    ("clicks_or_conversions", "clicks(3mo) >= 2 or conversions(90d) >= 1"),
    ("spent_or_december", 'spent(within: 1y) > 500 or orders(month: "dec") >= 2'),
    ("never_ordered", "orders() = 0"),
    ("dormant_subscribers", 'status = "subscribed" and opens(6mo) = 0 and sends(6mo) >= 5'),
    ("openers_not_buyers", "opens(90d) >= 1 and not purchased(within: 1y)"),
    ("red_shoes_twice", 'orders(product: "Red Shoes") >= 2'),
    ("knits_not_acme", 'spent(vendor: "Nordic Knits") >= 200 and not bought_from("Acme")'),
    ("vip_lapsing", 'quality = "vip" and last_order_date < 90d ago'),
    ("popup_not_newsletter", 'in_list("Popup leads") and not tags contains "newsletter"'),
    ("refunders_big_baskets", "refunds(1y) >= 2 and average_order_value > 80"),
    ("engaged_90d", "engagement(90d) >= 20"),
    ("top_engaged", "order by engagement(6mo) desc limit 1000"),
    ("top_french_spenders", 'country = "France" and orders(1y) >= 1 order by spent(1y) desc limit 500'),
    ("ten_clauses", 'country in ["France", "Belgium", "Germany"] and status = "subscribed" '
                    'and quality != "lapsed" and opens(6mo) >= 2 and clicks(6mo) >= 1 and orders(1y) >= 1 '
                    'and spent(1y) > 100 and refunds(1y) = 0 and not in_list("Do not email") '
                    "and last_open_date within 30d"),
)
# The windows the hand-written SQL names, computed with the compiler's own calendar.
WINDOWS = {"6mo": (6, "mo"), "3mo": (3, "mo"), "90d": (90, "d"), "1y": (1, "y"), "30d": (30, "d")}

# What a shop's database has beside the indexes `rare load` creates (rare_dsl/store/tables.py
# ENGINE_INDEXES: each fact table by contact and time): its keys, a country index, and an index to read a
# window of one type of event. Created on SQLite and PostgreSQL after loading; DuckDB's store keeps its own
# keys and needs no other index (it scans columns).
INDEXES = (
    "CREATE UNIQUE INDEX customers_id ON customers (customer_id)",
    "CREATE INDEX customers_country ON customers (country)",
    "CREATE UNIQUE INDEX orders_id ON orders (order_id)",
    "CREATE INDEX events_type_time ON events (type, occurred_at, customer_id)",
    "CREATE INDEX customer_tags_customer ON customer_tags (customer_id, tag)",
    "CREATE INDEX list_members_list ON list_members (list_id, customer_id)",
)
COMPILE_RULES = (("short", "opens(6mo) >= 3"), ("france_openers", RULES[1][1]), ("10 clauses", RULES[-1][1]))
COMPILE_DIALECTS = ("duckdb", "sqlite", "postgres", "mysql", "clickhouse", "spark")


# ------------------------------------------------------------------------------------------------ shapes


@dataclass(frozen=True)
class Shape:
    name: str
    sql: str  # in the engine's dialect


def windows() -> dict[str, str]:
    """Template values: the anchored instant and each window's start, as ISO text every engine reads."""
    values = {"as_of": AS_OF.isoformat(sep=" ")}
    for name, (amount, unit) in WINDOWS.items():
        values[f"ago_{name}"] = minus(AS_OF, amount, unit).isoformat(sep=" ")
    return values


_SHAPE = re.compile(r"^-- shape: (\w+)(?: \[([\w ]+)\])?\s*$", re.MULTILINE)


def shapes(kind: str, rule_id: str, dialect: str) -> list[Shape]:
    """The hand-written shapes of `kind` ("best" or "peer") for a rule that apply to `dialect`."""
    text = (SQL_DIR / kind / f"{rule_id}.sql").read_text()
    marks = list(_SHAPE.finditer(text))
    if not marks:
        raise ValueError(f"{kind}/{rule_id}.sql has no `-- shape: NAME` line")
    found = []
    for index, mark in enumerate(marks):
        engines = (mark.group(2) or "").split()
        if engines and dialect not in engines:
            continue
        body = text[mark.end():marks[index + 1].start() if index + 1 < len(marks) else len(text)]
        body = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("--")).strip()
        body = string.Template(body.rstrip(";")).substitute(windows())
        found.append(Shape(mark.group(1), sqlglot.transpile(body, read="postgres", write=dialect)[0]))
    return found


# ----------------------------------------------------------------------------------------------- engines


@dataclass
class Target:
    label: str  # "DuckDB 1M"
    engine: Engine
    contacts: int


def store_path(folder: Path, contacts: int) -> Path:
    return folder / f"demo-{contacts}.duckdb"


def demo_store(folder: Path, contacts: int, say: Callable[[str], None]) -> Path:
    """A demo store at AS_OF, reused when the folder already holds one of that size and anchor."""
    path = store_path(folder, contacts)
    if path.exists():
        with contextlib.suppress(Exception), Store.open(path) as store:
            info = store.info()
            if info.get("demo_anchor", "").startswith(AS_OF.isoformat(sep=" ")) \
                    and info.get("demo_contacts") == str(contacts):
                say(f"reusing {path}")
                return path
        path.unlink()
    started = time.perf_counter()
    with Store.open(path, write=True) as store:
        generate(store, contacts=contacts, seed=SEED, anchor=AS_OF)
    say(f"generated {path} in {time.perf_counter() - started:.1f} s")
    return path


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """DuckDB draws its progress bar on file descriptor 1 while `copy_tables` reads: send it to stderr, so
    standard output holds the report alone."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def add_indexes(engine: Engine) -> None:
    for statement in INDEXES:
        engine.execute(statement)
    engine.execute("ANALYZE")


def sqlite_copy(folder: Path, source: Path, say: Callable[[str], None]) -> Engine:
    """The demo shop in a SQLite file next to it, with INDEXES; reused when complete (it has `bench_done`)."""
    path = source.with_suffix(".sqlite")
    # What the copy was made from and with: a copy of another anchor or index set (the bench's or `rare
    # load`'s) is made again.
    indexes = hashlib.sha256(repr((INDEXES, ENGINE_INDEXES)).encode()).hexdigest()[:12]
    marker = f"{source.name} {AS_OF} {indexes}"
    if path.exists():
        engine = connect(f"sqlite:///{path}")
        with contextlib.suppress(Exception):
            if engine.execute("SELECT value FROM bench_done")[0][0] == marker:
                say(f"reusing {path}")
                return engine
        engine.close()
        path.unlink()
    started = time.perf_counter()
    engine = connect(f"sqlite:///{path}")
    with quiet_stdout():
        copy_tables(str(source), engine, default_schema())
    add_indexes(engine)
    engine.execute("CREATE TABLE bench_done (value TEXT)")
    engine.execute("INSERT INTO bench_done VALUES (?)", [marker])
    say(f"loaded {path} in {time.perf_counter() - started:.1f} s")
    return engine


@contextlib.contextmanager
def postgres_database(url: str, source: Path, say: Callable[[str], None]) -> Iterator[Engine | None]:
    """A fresh database on the server of `url` holding the demo shop, dropped on the way out; None (after
    a `skipped` line) when there is no server."""
    try:
        admin = connect(url)
    except EngineError as error:
        say(f"postgres: skipped: no server ({error})")
        yield None
        return
    name = f"rare_bench_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    engine: Engine | None = None
    try:
        started = time.perf_counter()
        engine = connect(urlunsplit(urlsplit(url)._replace(path=f"/{name}")))
        with quiet_stdout():
            copy_tables(str(source), engine, default_schema())
        add_indexes(engine)
        engine.execute("VACUUM ANALYZE")
        say(f"loaded PostgreSQL database {name} in {time.perf_counter() - started:.1f} s")
        yield engine
    finally:
        if engine is not None:
            engine.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
        say(f"dropped PostgreSQL database {name}")


# -------------------------------------------------------------------------------------------- measuring


class TimedOut(Exception):
    """A query ran past --timeout and was interrupted."""


@dataclass
class Timed:
    name: str
    sql: str
    checksum: tuple[int, int] | None = None  # (rows, sum of customer ids); None when it timed out
    times: list[float] = field(default_factory=list)  # ms
    timed_out: bool = False

    @property
    def median(self) -> float:
        if self.timed_out:
            return float("inf")
        return statistics.median(self.times) if self.times else float("nan")


@dataclass
class Result:
    rule_id: str
    compiled: Timed
    best: list[Timed]
    peer: Timed
    mismatches: list[str]

    @property
    def winner(self) -> Timed:
        return min(self.best, key=lambda t: t.median)

    @property
    def matched(self) -> int | None:
        return next((q.checksum[0] for q in (self.compiled, *self.best, self.peer) if q.checksum), None)


def interrupt(engine: Engine) -> None:
    """Stop the statement the engine is running, from another thread."""
    if engine.dialect == "postgres":
        engine.connection.cancel()
    else:  # sqlite3 and duckdb connections both have interrupt()
        engine.connection.interrupt()


def execute(engine: Engine, sql: str, timeout: float | None) -> list[tuple[Any, ...]]:
    """engine.execute, interrupted after `timeout` seconds: one bad plan (PostgreSQL nesting loops over
    grouped subqueries it expects one row from) must not hold the whole benchmark for many minutes."""
    if timeout is None:
        return engine.execute(sql)
    timer = threading.Timer(timeout, interrupt, (engine,))
    timer.start()
    started = time.perf_counter()
    try:
        return engine.execute(sql)
    except Exception:
        if time.perf_counter() - started >= timeout:
            raise TimedOut from None
        raise
    finally:
        timer.cancel()


def checksum(engine: Engine, sql: str, timeout: float | None = None) -> tuple[int, int]:
    row = execute(engine, f"SELECT COUNT(*), SUM(customer_id) FROM ({sql}) AS q", timeout)[0]
    return int(row[0]), int(row[1] or 0)


def run_rule(engine: Engine, rule_id: str, rule: str, runs: int, timeout: float | None = None) -> Result:
    dialect = engine.dialect
    compiled = Timed("compiled", rare_dsl.compile(rule, dialect=dialect, as_of=AS_OF).sql)
    best = [Timed(s.name, s.sql) for s in shapes("best", rule_id, dialect)]
    peers = [Timed(s.name, s.sql) for s in shapes("peer", rule_id, dialect)]
    if not best or len(peers) != 1:
        raise ValueError(f"{rule_id}: {dialect} needs at least one best shape and exactly one peer shape")
    peer = peers[0]
    queries = [compiled, *best, peer]
    for query in queries:  # also the warm-up
        try:
            query.checksum = checksum(engine, query.sql, timeout)
        except TimedOut:
            query.timed_out = True
    # Every shape that finished against the compiled SQL (or, when that timed out, the first that finished).
    reference = next((q for q in queries if q.checksum is not None), compiled)
    mismatches = [f"{rule_id} on {dialect}: {q.name} gives {q.checksum[0]:,} contacts (id sum {q.checksum[1]}), "
                  f"{reference.name} {reference.checksum[0]:,} (id sum {reference.checksum[1]})"
                  for q in queries if q.checksum is not None and reference.checksum is not None
                  and q.checksum != reference.checksum]
    # Interleaved, so that a burst of load from another process falls on every shape alike.
    for _ in range(runs):
        for query in queries:
            if query.timed_out:
                continue
            started = time.perf_counter()
            try:
                execute(engine, f"SELECT COUNT(*) FROM ({query.sql}) AS q", timeout)
            except TimedOut:
                query.timed_out = True
                continue
            query.times.append((time.perf_counter() - started) * 1000)
    return Result(rule_id, compiled, best, peer, mismatches)


def verify(engine: Engine, rule_ids: Sequence[str] | None = None) -> list[str]:
    """Every shape of every rule (or of `rule_ids`) against the compiled SQL: the mismatches, one line each.
    What the smoke test runs."""
    problems = []
    for rule_id, rule in RULES:
        if rule_ids is None or rule_id in rule_ids:
            problems += run_rule(engine, rule_id, rule, runs=0).mismatches
    return problems


# ------------------------------------------------------------------------------------------------ report


def ms(value: float) -> str:
    if value == float("inf"):
        return "timeout"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def ratio(a: Timed, b: Timed, timeout: float | None) -> tuple[float, str]:
    """a's median over b's; a timed-out query counts as the timeout (so the ratio is a bound, shown > or <)."""
    limit = (timeout or 0) * 1000
    x, y = (limit if t.timed_out else t.median for t in (a, b))
    if a.timed_out and b.timed_out:
        return float("nan"), "both timeout"
    value = x / y
    return value, (">" if a.timed_out else "<" if b.timed_out else "") + f"{value:.2f}"


def engine_table(target: Target, results: list[Result], timeout: float | None) -> list[str]:
    lines = [f"### {target.label} ({target.contacts:,} contacts, {target.engine.version()})", "",
             "| rule | contacts matched | compiled ms | best ms | peer ms | compiled/best | compiled/peer "
             "| best shape |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    ratios, beats = [], 0
    for result in results:
        best, compiled, peer = result.winner, result.compiled, result.peer
        to_best, to_best_text = ratio(compiled, best, timeout)
        _, to_peer_text = ratio(compiled, peer, timeout)
        ratios.append((to_best, to_best_text, result.rule_id))
        beats += compiled.median < peer.median
        matched = f"{result.matched:,}" if result.matched is not None else "?"
        flag = " **MISMATCH**" if result.mismatches else ""
        lines.append(f"| `{result.rule_id}` | {matched}{flag} | {ms(compiled.median)} | {ms(best.median)} | "
                     f"{ms(peer.median)} | {to_best_text} | {to_peer_text} | {best.name} |")
    known = [r for r in ratios if r[0] == r[0]]  # not NaN
    worst = max(known) if known else (float("nan"), "?", "?")
    # Every hand-written shape's median, so the compiler's author sees which shape wins where, and by what.
    details = [f"- `{r.rule_id}`: " + ", ".join(f"{t.name} {ms(t.median)}"
                                                 for t in sorted(r.best, key=lambda t: t.median))
               + f"; compiled {ms(r.compiled.median)}, peer {ms(r.peer.median)}"
               for r in results]
    lines += ["", f"- compiled/best: median {statistics.median(r[0] for r in known):.2f}, worst {worst[1]} "
                  f"(`{worst[2]}`)",
              f"- compiled beats peer on {beats} of {len(results)} rules",
              "- compiled count, median over the rules: "
              f"{ms(statistics.median(r.compiled.median for r in results))} ms (the best hand-written shapes': "
              f"{ms(statistics.median(r.winner.median for r in results))} ms)",
              f"- timeout {timeout:g} s per query" if timeout else "- no timeout",
              "", "Every shape, median ms, hand-written ones fastest first:", "", *details, ""]
    return lines


def compile_latency(iterations: int) -> list[str]:
    """Warm medians of each stage, in ms, over `iterations` calls each."""
    def median_ms(work: Callable[[], Any]) -> float:
        work()
        times = []
        for _ in range(iterations):
            started = time.perf_counter()
            work()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    header = "| rule | chars | parse | check | " + " | ".join(COMPILE_DIALECTS) + " | total (duckdb) |"
    lines = [f"### Compile latency (warm median of {iterations} calls, ms)", "", header,
             "| --- | ---: | ---: | ---: | " + "---: | " * len(COMPILE_DIALECTS) + "---: |"]
    for label, rule in COMPILE_RULES:
        parsed = rare_dsl.parse(rule)
        checked = rare_dsl.check(parsed)
        parse = median_ms(lambda rule=rule: rare_dsl.parse(rule))
        check = median_ms(lambda parsed=parsed: rare_dsl.check(parsed))
        generate_ms = [median_ms(lambda checked=checked, d=d: rare_dsl.compile(checked, dialect=d, as_of=AS_OF))
                       for d in COMPILE_DIALECTS]
        total = median_ms(lambda rule=rule: rare_dsl.compile(rule, dialect="duckdb", as_of=AS_OF))
        lines.append(f"| {label} | {len(rule)} | {parse:.2f} | {check:.2f} | "
                     + " | ".join(f"{g:.2f}" for g in generate_ms) + f" | {total:.2f} |")
    return [*lines, ""]


def cold_start(runs: int = 5) -> list[str]:
    """Median wall-clock of new processes: `rare compile` and a bare `import rare_dsl`, the package's
    bytecode written first. An installed package has it (pip writes it), and so has a checkout after its
    first run, unless PYTHONDONTWRITEBYTECODE is set, as on the machine of docs/performance.md: there every
    new `rare compile` would compile the 32 modules of rare_dsl it imports from source again (0.18 s)."""
    compileall.compile_dir(Path(rare_dsl.__file__).parent, quiet=1)
    rare = Path(sys.executable).with_name("rare")
    commands = (("`rare compile -e RULE --dialect duckdb`", [str(rare), "compile", "-e", RULES[1][1],
                                                             "--dialect", "duckdb"]),
                ("`python -c \"import rare_dsl\"`", [sys.executable, "-c", "import rare_dsl"]))
    lines = [f"### Cold start (median of {runs} new processes)", "", "| command | ms |", "| --- | ---: |"]
    for label, command in commands:
        walls = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            walls.append((time.perf_counter() - started) * 1000)
        lines.append(f"| {label} | {statistics.median(walls):.0f} |")
    return [*lines, ""]


def machine_line() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {load}; Python "
            f"{platform.python_version()}, rare-dsl {rare_dsl.__version__}, sqlglot {sqlglot.__version__}, "
            f"DuckDB {duckdb.__version__}")


# -------------------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the demo stores and SQLite copies here")
    parser.add_argument("--runs", type=int, help="timed runs per query after the warm-up (default 5, 2 with --quick)")
    parser.add_argument("--engines", nargs="+", choices=("duckdb", "sqlite", "postgres"),
                        default=["duckdb", "sqlite", "postgres"])
    parser.add_argument("--quick", action="store_true", help="100,000 contacts only, 2 runs: a smoke test")
    parser.add_argument("--markdown", metavar="FILE", help="also write the tables to FILE")
    parser.add_argument("--postgres", metavar="URL", default=DEFAULT_POSTGRES,
                        help="a server where a database may be created (and dropped)")
    parser.add_argument("--rules", nargs="+", metavar="ID", help="only these rules of the suite")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds before a query is interrupted and reported as a timeout (0: none)")
    args = parser.parse_args(argv)
    runs = args.runs if args.runs is not None else (2 if args.quick else 5)
    rules = [(i, r) for i, r in RULES if not args.rules or i in args.rules]

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    report: list[str] = [machine_line(), ""]
    print(report[0], flush=True)
    failed: list[str] = []
    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as stack:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        small = demo_store(folder, 100_000, say)
        # The copies first: DuckDB refuses to attach a file (copy_tables reads the store that way) that this
        # process already has open.
        copies: list[Target] = []
        if "sqlite" in args.engines:
            copies.append(Target("SQLite 100k", stack.enter_context(sqlite_copy(folder, small, say)), 100_000))
        if "postgres" in args.engines:
            engine = stack.enter_context(postgres_database(args.postgres, small, say))
            if engine is not None:
                copies.append(Target("PostgreSQL 100k", engine, 100_000))
            else:
                print("PostgreSQL: skipped: no server.", flush=True)
                report += ["PostgreSQL: skipped: no server.", ""]
        targets: list[Target] = []
        if "duckdb" in args.engines:
            if not args.quick:
                big = demo_store(folder, 1_000_000, say)
                targets.append(Target("DuckDB 1M", stack.enter_context(connect(f"duckdb:///{big}")), 1_000_000))
            targets.append(Target("DuckDB 100k", stack.enter_context(connect(f"duckdb:///{small}")), 100_000))
        targets += copies
        for target in targets:
            results = []
            for rule_id, rule in rules:
                say(f"{target.label}: {rule_id}")
                result = run_rule(target.engine, rule_id, rule, runs, args.timeout or None)
                for line in result.mismatches:
                    say(f"!!! MISMATCH !!! {target.label}: {line}")
                failed += result.mismatches
                results.append(result)
            table = engine_table(target, results, args.timeout or None)
            print("\n".join(table), flush=True)
            report += table
    for part in (compile_latency(200), cold_start()):
        print("\n".join(part), flush=True)
        report += part
    if failed:
        banner = [f"!!! {len(failed)} MISMATCHES: the hand-written SQL and the compiled SQL disagree !!!", *failed]
        print("\n".join(banner), flush=True)
        report += banner
    if args.markdown:
        Path(args.markdown).write_text("\n".join(report) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
