"""What the commands that use the store share: the `--db` option, opening the store, turning store errors
into one clear message (never a traceback), and a progress bar for long work."""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from rare_dsl.cli.common import EXIT_FAILED, UsageError
from rare_dsl.store.errors import StoreError  # a small module: the store package loads DuckDB only on demand

if TYPE_CHECKING:
    from rare_dsl.schema import Schema
    from rare_dsl.store import Store

Run = Callable[[argparse.Namespace], int]
EXIT_INTERRUPTED = 130  # like a shell: 128 + SIGINT
Progress = Callable[[str, int, int], None]


def add_db_option(parser: argparse.ArgumentParser, *, nested: bool = False) -> None:
    """`--db PATH`. `nested` is for a subcommand whose parent takes `--db` too (`rare list --db X ls` and
    `rare list ls --db X` both work): the subcommand then sets it only when given."""
    parser.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS if nested else None,
                        help="the store: a DuckDB file or duckdb:/// URL (default: $RARE_DB, then rare.duckdb)")


def open_store(args: argparse.Namespace, *, write: bool, create: bool = False, schema: Schema | None = None) -> Store:
    """The store of `--db`: read-only for reading commands, so they share it with each other. Only
    commands that make something (`rare demo`, `rare list create`) create a missing store. `schema` names
    its tables (default: the reference schema)."""
    from rare_dsl.store import Store

    return Store.open(args.db, write=write, create=create, schema=schema)


def reports_store_errors(run: Run) -> Run:
    """Wrap a command's `run`: a StoreError becomes `rare CMD: message` and a help line on stderr (exit 1),
    or a usage error (exit 2) when it was about how the store was named. Ctrl-C during a query and the
    engine's own I/O or memory failures are reported in one line too; every change is one transaction, so
    the store is as it was."""

    @functools.wraps(run)
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except BaseException as error:
            code = _store_failure(args, error)
            if code is None:
                raise
            return code

    return wrapped


def _loaded(module: str, name: str) -> type[BaseException] | tuple[()]:
    """The exception class `name` of `module` when that module is loaded, else an empty tuple (which no
    exception is an instance of). An exception can only come from a module that was imported, so looking
    its class up this way spares `rare segments` without `--db` importing DuckDB just to name its errors."""
    found = sys.modules.get(module)
    return getattr(found, name) if found is not None else ()


def _store_failure(args: argparse.Namespace, error: BaseException) -> int | None:
    """The exit code of a store failure, reported; None for any other exception (raised on)."""
    if isinstance(error, StoreError):
        if error.usage:
            raise UsageError(error.message + (f"; {error.hint}" if error.hint else "")) from None
        _say(args, error.message, error.hint)
        return EXIT_FAILED
    interrupted = (KeyboardInterrupt, _loaded("duckdb", "InterruptException"),
                   _loaded("rare_dsl.store.queries", "Cancelled"))
    # DuckDB's Python client turns Ctrl-C during a query into RuntimeError("Query interrupted").
    if isinstance(error, interrupted) or (isinstance(error, RuntimeError) and "interrupted" in str(error).lower()):
        _say(args, "interrupted; the store is as it was")
        return EXIT_INTERRUPTED
    if isinstance(error, (_loaded("duckdb", "IOException"), _loaded("duckdb", "OutOfMemoryException"))):
        _say(args, f"the store could not do it: {str(error).splitlines()[0]}; the store is as it was",
             "check the free disk space and memory")
        return EXIT_FAILED
    return None


def _say(args: argparse.Namespace, message: str, hint: str | None = None) -> None:
    print(f"rare {args.command}: {message}", file=sys.stderr)
    if hint:
        print(f"  help: {hint}", file=sys.stderr)


@contextlib.contextmanager
def progress_bar(title: str, *, show: bool = True) -> Iterator[Progress]:
    """A `(stage, done, total)` callback drawing a rich progress bar on stderr; silent when stderr is not a
    terminal (pipes, CI logs) or `show` is false, so output stays clean where nobody watches it move."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not show or not console.is_terminal:
        yield lambda stage, done, total: None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                   console=console, transient=True)
    task = bar.add_task(title, total=None)

    def update(stage: str, done: int, total: int) -> None:
        bar.update(task, description=f"{title}: {stage}", completed=done, total=total or None)

    with bar:
        yield update
