"""The REPL: write a rule, see it checked and counted as you type (SPEC section 6).

pgcli's split: `completion` (what may come at the cursor, a pure function), `lexer` (colors from the
grammar's tokens), `commands` (the `:command` registry, which also writes `:help`), `session` (the
state and actions, no terminal), `background` (live count and known values, off the UI thread),
`database` (the store, taken read-only for each piece of work) and `app` (the prompt-toolkit wiring).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rare_dsl.schema import Schema


def start(*, schema: Schema, schema_path: str | None = None, db: str | None = None, dialect: str | None = None,
          as_of: dt.datetime | None = None, rule_paths: tuple[Path, ...] = (), **prompt_options: Any) -> None:
    """Run an interactive session until Ctrl-D or `:quit`; a missing store is created with demo data."""
    from rare_dsl.repl.app import build_session, run
    from rare_dsl.repl.database import DatabaseError
    from rare_dsl.repl.session import Repl, Settings

    repl = Repl(Settings(schema, schema_path, (dialect or "duckdb").lower(), as_of, db or "rare.duckdb",
                         rule_paths=rule_paths))
    created = ensure_store(repl, db)
    try:
        repl.open(db)
    except DatabaseError as error:
        repl.say(f"{error}. Rules are still checked; `:db PATH` opens a store.", style="yellow")
    if repl.database is not None and not created:
        size = repl.query(repl.size)
        if size is not None:
            repl.say(f"{repl.database.name}: {size}. Type a rule, or :help.")
    if not prompt_options and not sys.stdin.isatty():
        run_lines(repl, sys.stdin)
        return
    session = build_session(repl, **prompt_options)
    repl.progress = repl.console.is_terminal  # "counting…" for a slow query, never in a transcript
    settle(repl)
    run(repl, session)


def settle(repl: Any) -> None:
    """Load the grammar and the completion tables now, then move everything alive to the garbage
    collector's permanent generation: the keystrokes that follow then pay for no collection of the
    parser's tables (the long pauses of the 95th percentile, see docs/performance.md)."""
    import gc

    from rare_dsl.repl.completion import suggest

    repl.check('country = "France" and opens(6mo) >= 3')
    suggest("country = ", repl.settings.schema, repl.known)
    gc.collect()
    gc.freeze()


def run_lines(repl: Any, lines: Iterable[str]) -> None:
    """Without a terminal (`rare repl < rules.txt`): each rule or command as if typed, then the end.

    A line continues the rule before it while that rule is unfinished, as Enter does at the prompt."""
    from rare_dsl.repl.completion import is_complete

    pending = ""
    try:
        for line in lines:
            pending += line
            text = pending.rstrip("\n")
            if not is_complete(text):
                continue
            pending = ""
            if not repl.handle(text):
                return
        if pending.strip():
            repl.handle(pending.rstrip("\n"))
    finally:
        repl.close()


def demo_until(as_of: dt.datetime | None) -> dt.datetime | None:
    """Where the first start's demo ends: the day of `--as-of` when it is in the past, since facts after
    the instant rules are evaluated at would be facts of the future (and the documented sessions then show
    the same numbers on any day); else today."""
    from rare_dsl.store.demo import default_anchor

    if as_of is None:
        return None
    return min(default_anchor(as_of), default_anchor())


def ensure_store(repl: Any, db: str | None) -> bool:
    """Create the demo store when none exists yet, with a progress bar, and say so in one line.

    Returns whether a store was created. Only a DuckDB file is ever created, never a server's database.
    """
    from rare_dsl.store.errors import StoreError
    from rare_dsl.store.location import locate

    try:
        location = locate(db)
    except StoreError:
        return False
    if location.path.exists():
        return False
    from rare_dsl.cli.store_options import progress_bar
    from rare_dsl.store import Store
    from rare_dsl.store.demo import generate

    try:
        with Store.open(location, write=True, schema=repl.settings.schema) as store, \
                progress_bar("Creating the demo store") as progress:
            report = generate(store, anchor=demo_until(repl.settings.as_of), progress=progress)
    except StoreError as error:
        repl.say(f"No store at {location.path}, and the demo one could not be created: {error}", style="yellow")
        return False
    repl.say(f"No store at {location.path}: created a demo shop with {report.contacts:,} contacts "
             "(`rare demo` makes another).")
    return True

