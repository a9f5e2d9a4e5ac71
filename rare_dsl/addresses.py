"""Email addresses as people type and export them: trimmed, unwrapped from `Name <a@b.com>` and
`mailto:`, validated for syntax with email-validator (no DNS), stored lower-case.

Validation costs tens of microseconds an address, most of a big import; `check_many` spreads long runs
of addresses over the machine's cores in worker processes. Kept apart from `lists` so those workers start
by importing this small module only.
"""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator
from email.utils import parseaddr
from typing import TypeVar

from email_validator import EmailNotValidError, validate_email

T = TypeVar("T")
Checked = tuple[str | None, str]  # (the address as stored, or None; the reason it is not valid)

# Addresses per task sent to a worker, and how many runs of addresses make parallel work worth starting
# processes for (a second of validation, about).
BATCH = 20_000
PARALLEL_FROM = 40_000

_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


def plain_address(value: str) -> str:
    """The address in a cell: trimmed (invisible characters too), `Name <a@b.com>` and `mailto:` unwrapped."""
    value = value.strip().strip(_INVISIBLE).strip()
    if "<" in value and value.endswith(">"):
        _name, address = parseaddr(value)
        if address:
            value = address
    if value[:7].lower() == "mailto:":
        value = value[7:]
    return value.strip()


def check(value: str) -> Checked:
    """(the address as stored, lower-case; or None) and the reason it is not valid."""
    address = plain_address(value)
    if not address:
        return None, "no email address"
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        return None, str(error)
    return checked.normalized.lower(), ""


def check_batch(values: list[str]) -> list[Checked]:
    return [check(value) for value in values]


def check_many(batches: Iterable[tuple[T, list[str]]], *, expected: int) -> Iterator[tuple[T, list[Checked]]]:
    """Check batches of addresses, yielding (tag, results) in the order given. With `expected` addresses
    or more and several cores, batches go to worker processes, a few at a time so memory stays bounded."""
    workers = min(os.cpu_count() or 1, 4)
    if expected < PARALLEL_FROM or workers < 2:
        for tag, values in batches:
            yield tag, check_batch(values)
        return
    # Spawned, not forked: the parent holds DuckDB's threads, and a fork copies their locks mid-use.
    context = multiprocessing.get_context("spawn")
    pending: collections.deque[tuple[T, list[str], concurrent.futures.Future[list[Checked]] | None]] = (
        collections.deque())
    try:
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                                      initializer=_ignore_interrupts)
    except (OSError, NotImplementedError):  # no processes allowed here: do it in this one
        for tag, values in batches:
            yield tag, check_batch(values)
        return
    finished = False
    try:
        broken = False
        for tag, values in batches:
            future = None if broken else _submit(pool, values)
            broken = broken or future is None
            pending.append((tag, values, future))
            while len(pending) > workers * 2:
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
        finished = True
    finally:
        # On Ctrl-C or an error, do not wait for batches nobody will read.
        pool.shutdown(wait=finished, cancel_futures=not finished)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops them; otherwise each would print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _submit(pool: concurrent.futures.ProcessPoolExecutor, values: list[str]
            ) -> concurrent.futures.Future[list[Checked]] | None:
    try:
        return pool.submit(check_batch, values)
    except (OSError, RuntimeError, concurrent.futures.BrokenExecutor):
        return None


def _result(entry: tuple[T, list[str], concurrent.futures.Future[list[Checked]] | None]
            ) -> tuple[T, list[Checked]]:
    tag, values, future = entry
    if future is not None:
        try:
            return tag, future.result()
        except (OSError, concurrent.futures.BrokenExecutor):
            pass  # a worker died (killed, out of memory): check this batch here instead
    return tag, check_batch(values)
