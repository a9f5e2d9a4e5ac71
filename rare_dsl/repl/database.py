"""The REPL's store, held only while the session uses it: each piece of work (a count, the live preview, a
load of completion values, `:sample`...) takes a `Lease` (the store opened read-only, and a cursor of its
own, so `interrupt()` stops only its query), and the store is closed once no lease has been taken for
`idle` seconds.

DuckDB lets one process write a file or any number read it: a REPL that kept its store open would stop
`rare list add` in another terminal for the whole session. Released after a second of idleness, the store
stays open while someone types (opening it costs about 20 ms) and is free whenever they pause; the next
count opens it again and sees what the other command wrote.

The queries themselves (count, sample, explain, breakdown, known values) are `rare_dsl.store.queries`, the
same ones `rare count` and its siblings run; this module only opens the store and hands out cursors.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import duckdb

from rare_dsl.schema import Schema
from rare_dsl.store.queries import Cancelled, Count, QueryError, SegmentQueries

__all__ = ["Cancelled", "Count", "Database", "DatabaseError", "Lease", "QueryError", "StoreBusy"]

# Seconds without a lease before the store is closed: longer than a pause between keystrokes, so typing
# keeps it open, short enough that a command in another terminal rarely has to wait for it.
IDLE = 1.0
# How long to wait for another process's write lock before saying so: a `rare list add` takes well under.
WAIT = 2.0


class DatabaseError(Exception):
    """A store that cannot be opened or reached, in one line for the user."""


class StoreBusy(DatabaseError):
    """Another process is writing the store (DuckDB's file lock); asking again later may succeed."""


class Lease:
    """The store open for one piece of work, with a cursor of its own. `release()` (or leaving the `with`
    block) closes the cursor and lets the store close once the session is idle."""

    def __init__(self, database: Database, cursor: duckdb.DuckDBPyConnection, queries: SegmentQueries) -> None:
        self.database = database
        self.cursor = cursor
        self.queries = queries
        self._released = False

    def interrupt(self) -> None:
        if not self._released:
            self.cursor.interrupt()

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        with contextlib.suppress(duckdb.Error):  # a store closed under it (the session ending)
            self.cursor.close()
        self.database._released(self)

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        return self.cursor

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.release()


class Database:
    """One store (`rare_dsl.store.Store`), opened read-only when a lease is taken and closed after `idle`
    seconds without one. `on_changed()` is called (with the store open) when it is opened again and its
    file changed since it was last open: another process wrote it, so cached values are stale."""

    def __init__(self, target: str | None, schema: Schema, *, idle: float = IDLE, wait: float = WAIT,
                 on_changed: Callable[[], None] = lambda: None) -> None:
        from rare_dsl.store.errors import StoreError
        from rare_dsl.store.location import locate

        try:
            self.location = locate(target)
        except StoreError as error:
            raise DatabaseError(str(error)) from None
        self.schema = schema
        self.idle = idle
        self.wait = wait
        self.on_changed = on_changed
        self.target = str(self.location.given)
        self.name = self.location.path.name
        self._lock = threading.RLock()
        self._store: Any = None  # the open Store, or None while released
        self._queries: SegmentQueries | None = None
        self._leases: set[Lease] = set()
        self._stamp: tuple[Any, ...] | None = None
        self._timer: threading.Timer | None = None
        self._generation = 0
        with self.lease():  # fail now, with the store's own message, when it cannot be read
            pass

    # ------------------------------------------------------------------------------------------ leases

    def lease(self) -> Lease:
        """The store open (opening it, waiting up to `wait` seconds for a writer to finish) with a new
        cursor. Raises `StoreBusy` while another process writes it, `DatabaseError` when it cannot be read."""
        with self._lock:
            self._cancel_timer()
            changed = self._store is None and self._open()
            try:
                cursor = self._store.connection.cursor()
            except duckdb.Error as error:
                self._close_store()
                raise DatabaseError(f"the store is not reachable: {_first_line(error)}") from None
            assert self._queries is not None
            lease = Lease(self, cursor, self._queries)
            self._leases.add(lease)
        if changed:
            self.on_changed()
        return lease

    @property
    def is_open(self) -> bool:
        return self._store is not None

    @property
    def queries(self) -> SegmentQueries:
        """The queries on the store as last opened: what a lease's work asks (`rare_dsl.store.queries`)."""
        if self._queries is None:
            raise DatabaseError("the store is not open")
        return self._queries

    def interrupt(self) -> None:
        """Stop every query running on the store (the session is ending)."""
        with self._lock:
            leases = list(self._leases)
        for lease in leases:
            with contextlib.suppress(duckdb.Error):
                lease.interrupt()

    def release(self) -> None:
        """Close the store now if no work holds it (tests; what the idle timer does after `idle` seconds)."""
        with self._lock:
            if not self._leases:
                self._cancel_timer()
                self._close_store()

    def close(self) -> None:
        """Close the store, whatever holds it: the session ends."""
        with self._lock:
            self._cancel_timer()
            for lease in list(self._leases):
                lease._released = True
                with contextlib.suppress(duckdb.Error):
                    lease.cursor.close()
            self._leases.clear()
            self._close_store()

    # ----------------------------------------------------------------------------------------- private

    def _released(self, lease: Lease) -> None:
        with self._lock:
            self._leases.discard(lease)
            if self._leases or self._store is None:
                return
            self._cancel_timer()
            self._generation += 1
            timer = threading.Timer(self.idle, self._close_if_idle, (self._generation,))
            timer.daemon = True
            self._timer = timer
            timer.start()

    def _close_if_idle(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation and not self._leases:
                self._timer = None
                self._close_store()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._generation += 1

    def _open(self) -> bool:
        """Open the store read-only; whether its file changed since it was last open."""
        from rare_dsl.store.connection import Store
        from rare_dsl.store.errors import StoreError, StoreLocked

        try:
            store = Store.open(self.location, schema=self.schema, wait=self.wait)
        except StoreLocked as error:
            raise StoreBusy(_sentence(error)) from None
        except StoreError as error:
            raise DatabaseError(str(error)) from None
        except duckdb.Error as error:
            raise DatabaseError(f"cannot open `{self.target}`: {_first_line(error)}") from None
        stamp = self._file_stamp()
        changed = self._stamp is not None and stamp != self._stamp
        self._stamp = stamp
        self._store = store
        # A new SegmentQueries each time: it caches the number of contacts, which a writer may have changed.
        self._queries = SegmentQueries(store)
        return changed

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            store.close()

    def _file_stamp(self) -> tuple[Any, ...]:
        """What changes when another process writes the store: the file and its write-ahead log."""
        found: list[Any] = []
        for path in (self.location.path, self.location.path.with_name(self.location.path.name + ".wal")):
            try:
                info = os.stat(path)
            except OSError:
                found.append(None)
                continue
            found.append((info.st_ino, info.st_size, info.st_mtime_ns))
        return tuple(found)


def _sentence(error: Any) -> str:
    """`the store x is being written by ...; try again when it has finished`: a StoreError and its hint."""
    hint = getattr(error, "hint", None)
    return f"{error.message}; {hint}" if hint else error.message


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
