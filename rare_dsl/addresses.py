"""Email addresses as people type and export them: trimmed, unwrapped from `Name <a@b.com>` and
`mailto:`, validated for syntax with email-validator (no DNS), stored lower-case; and `likely_typo`, the
common mailbox domain a domain such as `gmial.com` was probably meant to be.

Validation costs tens of microseconds an address, most of a big import; `check_many` spreads long runs
of addresses over the machine's cores in worker processes. Kept apart from `lists` so those workers start
by importing this small module only.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
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

# The mailbox domains most people's addresses are at, the most used first (a tie goes to the first). A
# domain one edit away from one of them (`gmial.com`, `gmail.co`, `hotmial.com`) is more likely a typo than
# a real domain. Every domain listed is real and never flagged, which is why some are here at all:
# `mail.com`, `email.com` and `ymail.com` are each one edit from `gmail.com`.
COMMON_DOMAINS = (
    "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com", "live.com", "msn.com",
    "me.com", "mac.com", "googlemail.com", "ymail.com", "rocketmail.com", "mail.com", "email.com",
    "protonmail.com", "proton.me", "gmx.com", "gmx.net", "gmx.de", "gmx.at", "gmx.ch", "gmx.fr", "web.de",
    "t-online.de", "freenet.de", "yahoo.fr", "yahoo.co.uk", "yahoo.de", "yahoo.es", "yahoo.it", "yahoo.ca",
    "hotmail.fr", "hotmail.co.uk", "hotmail.de", "hotmail.es", "hotmail.it", "hotmail.be", "live.fr",
    "live.co.uk", "live.de", "live.nl", "live.be", "outlook.fr", "outlook.de", "outlook.es", "outlook.it",
    "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net", "neuf.fr", "libero.it", "virgilio.it",
    "tiscali.it", "alice.it", "telefonica.net", "bluewin.ch", "skynet.be", "telenet.be", "ziggo.nl",
    "btinternet.com", "sky.com", "virginmedia.com", "comcast.net", "verizon.net", "att.net", "sbcglobal.net",
    "yandex.ru", "mail.ru", "seznam.cz", "wp.pl", "o2.pl", "onet.pl", "qq.com", "163.com", "naver.com",
    "fastmail.com", "zoho.com",
)
_COMMON = frozenset(COMMON_DOMAINS)
# Below this length a domain is one edit from too many real ones (`live.com`, `life.com`): only a typo in
# its top-level part (`aol.con`) is flagged.
_SHORT = 9


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


@functools.lru_cache(maxsize=4096)
def likely_typo(domain: str) -> str | None:
    """The common mailbox domain (COMMON_DOMAINS) `domain` is one typo away from (a letter missing, added,
    wrong, or two swapped), or None. A warning, never a rejection: the address is valid."""
    if domain in _COMMON or not domain.isascii():
        return None
    for known in COMMON_DOMAINS:
        if not _one_edit(domain, known):
            continue
        name, _dot, top = known.rpartition(".")
        if domain.startswith(name + "."):
            # Country variants of one provider (`hotmail.be`, `hotmail.de`) are real, not typos.
            given_top = domain[len(name) + 1 :]
            if len(given_top) == 2 and len(top) == 2:
                continue
        elif len(known) < _SHORT:
            continue
        return known
    return None


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by exactly one edit: a character inserted, deleted or replaced, or two
    neighbours swapped (`gmial` for `gmail`)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


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
