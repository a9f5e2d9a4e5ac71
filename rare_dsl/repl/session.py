"""The REPL's state and actions, without a terminal: check a rule, count it, run a `:command`.

`Repl` holds what a session has chosen (schema, dialect, as-of instant, store, loaded segments, the last
rule) and runs rules and commands, printing to a rich console. `app.py` wires it to prompt-toolkit;
tests drive it directly. Queries run on a worker thread so that Ctrl-C can interrupt them
(`interrupt()` on the query's cursor) and the session goes on. Each piece of work takes the store for as
long as it runs (`Database.lease()`), so other programs can write it while the session is idle.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from rare_dsl.check import check, check_project
from rare_dsl.diagnostics import Diagnostic, RuleError, render
from rare_dsl.repl.background import LiveCount, ValueCache
from rare_dsl.repl.database import Cancelled, Count, Database, DatabaseError, Lease, QueryError, StoreBusy
from rare_dsl.schema import Schema
from rare_dsl.store.queries import SegmentQueries
from rare_dsl.typed import CheckedRule, CheckedSegment

NO_STORE = "no store is open (open one with `:db PATH`, or create it with `rare demo`)"
# Topics loaded as soon as a store is open, so that the first completion already has them.
WARM_TOPICS = ("lists", "country", "city", "region", "tags", "param:vendor", "param:product",
               "param:campaign", "param:series")


@dataclass
class Checked:
    """A rule as the checker sees it: the typed rule when valid, and every diagnostic."""

    text: str
    rule: CheckedRule | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def error(self) -> Diagnostic | None:
        return next((d for d in self.diagnostics if d.is_error), None)


@dataclass
class Settings:
    schema: Schema
    schema_path: str | None = None
    dialect: str = "duckdb"
    as_of: dt.datetime | None = None  # None: now, the engine's clock
    db_target: str = "rare.duckdb"  # as the user named it, for the toolbar
    rule_paths: tuple[Path, ...] = ()  # the project's `paths`: where `:load` finds the segments a file uses


@dataclass
class Repl:
    settings: Settings
    console: Console = field(default_factory=Console)
    database: Database | None = None
    segments: dict[str, CheckedSegment] = field(default_factory=dict)
    segment_files: list[tuple[str, str]] = field(default_factory=list)  # (text, name) loaded with `:load`
    last_rule: str | None = None
    on_change: Callable[[], None] = lambda: None  # something new to show (from any thread)
    on_values: Callable[[], None] = lambda: None  # values from the store arrived (from a worker thread)
    progress: bool = False  # say "counting…" under a query that takes long (at a terminal only)
    _checked: Checked | None = None
    _live_lease: Lease | None = None

    def __post_init__(self) -> None:
        self.known = ValueCache(self._load_values, lambda: sorted(self.segments), self._values_loaded)
        self.live = LiveCount(self._preview, self._interrupt_preview, self._changed)

    def _changed(self) -> None:
        self.on_change()

    def _values_loaded(self) -> None:
        self._checked = None  # values from the store may change what the checker warns about
        self.on_values()
        self.on_change()

    # ------------------------------------------------------------------------------------- the store

    def open(self, target: str | None) -> None:
        """Open a store (closing the one before): a path, `duckdb:///path`, or None for `RARE_DB`, then
        `rare.duckdb`. Raises `DatabaseError`."""
        database = Database(target, self.settings.schema, on_changed=self._store_changed)
        self.close_database()
        self.database = database
        self.settings.db_target = database.target
        self._store_changed()

    def _store_changed(self) -> None:
        """Another program wrote the store while the session did not hold it: load its values again."""
        self.known.clear()
        self.known.warm(WARM_TOPICS)

    def close_database(self) -> None:
        if self.database is not None:
            self.database.close()
            self.database = None

    def close(self) -> None:
        """End the session: stop the workers (interrupting their queries), then close the store."""
        if self.database is not None:
            self.database.interrupt()
        self.live.close()
        self.known.close()
        self.close_database()

    def _load_values(self, topic: str) -> Sequence[tuple[str, int]]:
        database = self.database
        if database is None:
            return ()
        with database.lease() as cursor:
            if topic == "lists":
                return database.queries.lists(cursor=cursor)
            return database.queries.values(topic, cursor=cursor, top=self.known.limit)

    # -------------------------------------------------------------------------------------- checking

    def check(self, text: str) -> Checked:
        """The rule checked against the schema and the loaded segments; the last answer is cached."""
        cached = self._checked
        if cached is not None and cached.text == text:
            return cached
        try:
            values = self.known if self.database is not None else None
            rule = check(text, self.settings.schema, segments=list(self.segments), values=values)
            found = Checked(text, rule, tuple(rule.warnings))
        except RuleError as error:
            found = Checked(text, None, error.diagnostics)
        self._checked = found
        return found

    def compile(self, rule: CheckedRule | str, dialect: str = "duckdb") -> Any:
        from rare_dsl.compiler import compile as compile_rule

        return compile_rule(rule, dialect=dialect, schema=self.settings.schema, as_of=self.settings.as_of,
                            segments=self.segments)

    def count(self, rule: CheckedRule, cursor: Any) -> Count:
        """The exact count of a checked rule at the session's instant, with the loaded segments."""
        return self.queries().count(rule, self.settings.as_of, segments=self.segments, cursor=cursor)

    def size(self, cursor: Any) -> str:
        """`100,000 contacts`, the store's; at an as-of instant also how many of them existed then (SPEC 8.4),
        the total the session's shares are of."""
        queries = self.queries()
        total = queries.total(cursor=cursor)
        if self.settings.as_of is None:
            return f"{total:,} contacts"
        then = queries.total(self.settings.as_of, cursor=cursor)
        return f"{total:,} contacts, {then:,} of them as of {self.settings.as_of.isoformat()}"

    def queries(self) -> SegmentQueries:
        """The store's queries (`rare_dsl.store.queries.SegmentQueries`); DatabaseError without a store."""
        if self.database is None:
            raise DatabaseError(NO_STORE)
        return self.database.queries

    # ------------------------------------------------------------------------------------ live count

    def _preview(self, text: str) -> str | None:
        """Runs on the live-count worker: the toolbar's count for a valid rule."""
        if self.database is None or not text.strip() or text.lstrip().startswith(":"):
            return None
        checked = self.check(text)
        if checked.rule is None:
            return None
        try:
            lease = self.database.lease()
        except DatabaseError as error:
            return f"cannot count: {_one_line(error)}"
        self._live_lease = lease
        try:
            return self.count(checked.rule, lease.cursor).describe(approximate=True)
        except (DatabaseError, QueryError, RuleError) as error:
            return f"cannot count: {_one_line(error)}"
        finally:
            self._live_lease = None
            lease.release()

    def _interrupt_preview(self) -> None:
        lease = self._live_lease
        if lease is not None:
            lease.interrupt()

    # ------------------------------------------------------------------------------------------ input

    def handle(self, line: str) -> bool:
        """Run one submitted input (a rule or a `:command`); False when the session should end."""
        text = line.strip()
        if not text:
            return True
        if text.startswith(":"):
            from rare_dsl.repl.commands import run_command

            return run_command(self, text)
        self.run_rule(line)
        return True

    def run_rule(self, text: str) -> None:
        """Check the rule, then print its exact count, share and the time taken."""
        checked = self.check(text)
        if checked.rule is None:
            self.print_diagnostics(checked.diagnostics)
            return
        if checked.diagnostics:
            self.print_diagnostics(checked.diagnostics)
        self.last_rule = text
        if self.database is None:
            self.say("The rule is valid. (No store is open: `:db PATH` opens one, `rare demo` creates one.)")
            return
        result = self.query(lambda cursor: self.count(checked.rule, cursor))
        if isinstance(result, Count):
            self.say(f"{result.describe()} · {_duration(result.seconds)}", style="bold")

    def query(self, work: Callable[[Any], Any]) -> Any:
        """Run `work(cursor)` on a worker thread, with the store taken for as long as it runs; Ctrl-C
        interrupts it. Failures print one line: the result is None then. At a terminal (`progress`), a
        query still running after 300 ms shows `counting…` until it ends."""
        database = self.database
        if database is None:
            self.say(NO_STORE, style="red")
            return None
        outcome: dict[str, Any] = {}
        finished = threading.Event()

        def target() -> None:
            try:
                lease = database.lease()  # waits a moment for another program that is writing the store
            except BaseException as error:
                outcome["unavailable"] = error
                finished.set()
                return
            outcome["lease"] = lease
            try:
                outcome["value"] = work(lease.cursor)
            except BaseException as error:
                outcome["error"] = error
            finally:
                lease.release()  # a cancelled query still running releases the store when it ends
                finished.set()

        worker = threading.Thread(target=target, name="rare-query", daemon=True)
        started = time.perf_counter()
        indicator = _Indicator(self.console) if self.progress else None
        try:
            # Ctrl-C may come at any moment, even while the thread starts: from then on the query is stopped.
            worker.start()
            while not finished.wait(0.05):
                if indicator is not None:
                    indicator.show(time.perf_counter() - started)
        except KeyboardInterrupt:
            if indicator is not None:
                indicator.clear()
            self._stop(finished, outcome)
            self.say(f"Cancelled after {_duration(time.perf_counter() - started)}.", style="yellow")
            return None
        finally:
            if indicator is not None:
                indicator.clear()
        unavailable = outcome.get("unavailable")
        if isinstance(unavailable, StoreBusy):
            self.say(f"The store cannot be read now: {unavailable}", style="red")
            return None
        if isinstance(unavailable, DatabaseError):
            self.say(str(unavailable), style="red")
            return None
        error = outcome.get("error") or unavailable
        if isinstance(error, Cancelled):
            self.say("Cancelled.", style="yellow")
            return None
        if isinstance(error, DatabaseError | QueryError | RuleError):
            self.say(f"The query failed: {_one_line(error)}", style="red")
            return None
        if error is not None:
            self.say(f"The query failed: {type(error).__name__}: {_one_line(error)}", style="red")
            return None
        return outcome.get("value")

    @staticmethod
    def _stop(finished: threading.Event, outcome: dict[str, Any], seconds: float = 10.0) -> None:
        """Interrupt until the query ends: an interrupt that comes before DuckDB started the query is lost,
        so one is not enough. A second Ctrl-C meanwhile is taken as the same wish."""
        deadline = time.monotonic() + seconds
        while not finished.is_set() and time.monotonic() < deadline:
            try:
                lease = outcome.get("lease")
                if lease is not None:
                    lease.interrupt()
                finished.wait(0.05)
            except KeyboardInterrupt:
                continue

    # ----------------------------------------------------------------------------------------- output

    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)

    def print_diagnostics(self, diagnostics: Sequence[Diagnostic]) -> None:
        color = self.console.is_terminal and not self.console.no_color
        self.console.file.write(render(diagnostics, color=color))
        self.console.file.flush()

    # --------------------------------------------------------------------------------------- segments

    def load_segments(self, files: Sequence[tuple[str, str]]) -> int:
        """Check rule files with those loaded before (a file loaded again replaces its older text) and make
        their segments usable in `in_segment`; raises RuleError and then keeps the segments it had."""
        names = {name for _, name in files}
        loaded = [*(f for f in self.segment_files if f[1] not in names), *files]
        project = check_project(loaded, self.settings.schema)
        self.segments = dict(project.segments)
        self.segment_files = loaded
        self._checked = None
        return len(project.segments)


class _Indicator:
    """`counting…` on the line of the cursor while a query runs, once it has taken `after` seconds, with
    the seconds so far; erased before anything else is printed. Only for a terminal: a transcript (tests,
    `rare repl < file`) never shows it."""

    def __init__(self, console: Console, after: float = 0.3) -> None:
        self.console = console
        self.after = after
        self._shown: str | None = None

    def show(self, elapsed: float) -> None:
        if elapsed < self.after:
            return
        text = "counting… (Ctrl-C cancels)" if elapsed < 1 else f"counting… {elapsed:.0f} s (Ctrl-C cancels)"
        if text != self._shown:
            self.console.file.write(f"\r{text}\x1b[K")
            self.console.file.flush()
            self._shown = text

    def clear(self) -> None:
        if self._shown is not None:
            self.console.file.write("\r\x1b[2K")
            self.console.file.flush()
            self._shown = None


def _one_line(error: BaseException) -> str:
    if isinstance(error, RuleError) and error.diagnostics:
        first = error.diagnostics[0]
        return f"{first.message} [{first.code}]"
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"
