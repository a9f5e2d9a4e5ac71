"""Work that runs off the UI thread: the debounced live count, and the store's values loaded once and cached.

Both call `on_change()` from their worker thread when something new is ready to show; the app turns that
into a redraw. Neither ever blocks the caller: they answer with what they have.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rare_dsl.repl.database import Cancelled, StoreBusy


class LiveCount:
    """Counts the rule being typed once typing pauses for `delay` seconds; a newer text drops the older.

    `compute(text)` runs on the worker thread and returns the line to show (or None for nothing);
    `interrupt()` stops the query it is running.
    """

    def __init__(self, compute: Callable[[str], str | None], interrupt: Callable[[], None],
                 on_change: Callable[[], None] = lambda: None, delay: float = 0.15):
        self.compute = compute
        self.interrupt = interrupt
        self.on_change = on_change
        self.delay = delay
        self._condition = threading.Condition()
        self._wanted: str | None = None
        self._running: str | None = None
        self._result: tuple[str, str | None] | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="rare-live-count", daemon=True)
        self._thread.start()

    def update(self, text: str) -> None:
        """The text changed: forget the old preview, stop its query, count the new text after the pause."""
        with self._condition:
            if text == self._wanted:
                return
            self._wanted = text
            running = self._running
            self._condition.notify_all()
        if running is not None and running != text:
            self.interrupt()

    def preview(self, text: str) -> str | None:
        """The result for exactly this text, or None while it is not ready."""
        result = self._result
        if result is not None and result[0] == text:
            return result[1]
        return None

    def pending(self, text: str) -> bool:
        return self._wanted == text and self.preview(text) is None

    def close(self) -> None:
        """Stop the worker and wait for it: a thread killed inside DuckDB at exit aborts the process."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        while self._thread.is_alive():
            self.interrupt()
            self._thread.join(0.05)

    def _work(self) -> None:
        while True:
            with self._condition:
                while not self._closed and (self._wanted is None or (self._result or ("",))[0] == self._wanted):
                    self._condition.wait()
                if self._closed:
                    return
                # Debounce: wait until the text has not changed for `delay` seconds.
                text = self._wanted
                while True:
                    self._condition.wait(self.delay)
                    if self._closed:
                        return
                    if self._wanted == text:
                        break
                    text = self._wanted
                assert text is not None
                self._running = text
            try:
                line = self.compute(text)
            except Cancelled:
                line = None
                with self._condition:
                    self._running = None
                    if self._wanted == text:  # cancelled from outside (Ctrl-C, closing): do not retry
                        self._result = (text, None)
                continue
            except Exception as error:  # a failing count must never end the worker
                line = f"count failed: {error}"
            with self._condition:
                self._running = None
                if self._wanted == text:
                    self._result = (text, line)
            self.on_change()


class ValueCache:
    """What the store holds, loaded in the background and cached: the `completion.Known` of a session with
    a store, and the non-blocking `rare_dsl.lint.KnownValues` for the "no contact has this value" lint.

    `load(topic)` runs on a worker thread and returns (value, contacts) pairs, most common first, at most
    `limit` of them; `lists` is the topic for list names. Nothing here ever waits for the store: a topic not
    loaded yet answers empty (or None: "cannot tell") and is loaded for next time.
    """

    def __init__(self, load: Callable[[str], Sequence[tuple[str, int]]], segments: Callable[[], Sequence[str]],
                 on_change: Callable[[], None] = lambda: None, limit: int = 500):
        self._load = load
        self._segments = segments
        self.on_change = on_change
        self.limit = limit
        self._cache: dict[str, tuple[tuple[str, int], ...]] = {}
        self._asked: set[str] = set()
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rare-known-values")

    # ---------------------------------------------------------------------------------- completion.Known

    def lists(self) -> Sequence[str]:
        return self.values("lists")

    def segments(self) -> Sequence[str]:
        return self._segments()

    def values(self, topic: str) -> Sequence[str]:
        return [value for value, _ in self.counts(topic) or ()]

    # ------------------------------------------------------------------------------- lint.KnownValues

    def contacts_with(self, field: Any, values: Sequence[str]) -> Mapping[str, int] | None:
        counts = self.counts(field.name)
        if counts is None:
            return None
        found = dict(counts)
        if len(counts) >= self.limit and any(value not in found for value in values):
            return None  # only the most common values are cached: a rarer one may still exist
        return {value: found.get(value, 0) for value in values}

    def common_values(self, field: Any, limit: int) -> Sequence[tuple[str, int]]:
        return list(self.counts(field.name) or ())[:limit]

    # ------------------------------------------------------------------------------------------ cache

    def counts(self, topic: str) -> tuple[tuple[str, int], ...] | None:
        """The cached (value, contacts) pairs of a topic; None (and a load begins) when not loaded yet."""
        with self._lock:
            if topic in self._cache:
                return self._cache[topic]
            if topic not in self._asked:
                self._asked.add(topic)
                self._executor.submit(self._fetch, topic)
        return None

    def warm(self, topics: Sequence[str]) -> None:
        for topic in topics:
            self.counts(topic)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._asked.clear()

    def wait(self, timeout: float = 5.0) -> None:
        """Block until the topics asked for so far are loaded (tests and benchmarks)."""
        self._executor.submit(lambda: None).result(timeout)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _fetch(self, topic: str) -> None:
        try:
            found = tuple((str(value), int(count)) for value, count in self._load(topic))
        except StoreBusy:
            with self._lock:
                self._asked.discard(topic)  # another program is writing the store: ask again next time
            return
        except Exception:
            found = ()  # no values to offer is better than a broken completion menu
        with self._lock:
            self._cache[topic] = found
        if found:
            self.on_change()
