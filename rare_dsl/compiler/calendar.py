"""Anchored time: the as-of instant and the window boundaries, computed in Python before any SQL exists.

A rule compiled with `as_of=` never asks the engine for the time or for date arithmetic: every boundary
is a timestamp literal, so the same SQL gives the same members on every engine.
"""

from __future__ import annotations

import calendar
import datetime as dt

from rare_dsl.syntax import ast

# Exact lengths; months and years are calendar arithmetic (see `minus`).
_EXACT = {"h": dt.timedelta(hours=1), "d": dt.timedelta(days=1), "w": dt.timedelta(weeks=1)}


def naive_utc(instant: dt.datetime) -> dt.datetime:
    """The tables store UTC timestamps without a zone: an aware instant is converted, a naive one is UTC."""
    if instant.tzinfo is not None:
        instant = instant.astimezone(dt.UTC).replace(tzinfo=None)
    return instant


def as_of_problem(instant: dt.datetime) -> str | None:
    """Why an as-of instant (naive UTC) is outside the documented range (`ast.FIRST_AS_OF` ..
    `ast.LAST_AS_OF`), or None: every window back from it must stay within what the engines hold."""
    if ast.FIRST_AS_OF <= instant <= ast.LAST_AS_OF:
        return None
    return (f"the as-of instant {instant.date().isoformat()} is out of range: it is between "
            f"{ast.FIRST_AS_OF:%Y-%m-%d} and {ast.LAST_AS_OF:%Y-%m-%d}")


def months_of(amount: int, unit: str) -> int | None:
    """The number of calendar months a duration spans, or None for an exact length (h, d, w)."""
    if unit == "mo":
        return amount
    if unit == "y":
        return 12 * amount
    return None


def approximate_days(amount: int, unit: str) -> float:
    """A duration's length in days, a month counted as an average one: to compare windows, not to bound them."""
    months = months_of(amount, unit)
    if months is not None:
        return months * 365.2425 / 12
    return amount * _EXACT[unit] / dt.timedelta(days=1)


def minus(instant: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """`instant` minus a duration; a day that the target month lacks clamps to its last day (SPEC 3.5)."""
    months = months_of(amount, unit)
    if months is None:
        return instant - amount * _EXACT[unit]
    index = instant.year * 12 + (instant.month - 1) - months
    year, month = divmod(index, 12)
    day = min(instant.day, calendar.monthrange(year, month + 1)[1])
    return instant.replace(year=year, month=month + 1, day=day)


def sql_text(instant: dt.datetime) -> str:
    """ISO text of a naive UTC timestamp: `YYYY-MM-DD HH:MM:SS`, fractional seconds only when present.

    SQLite compares timestamps as text, so the literal must be spelled exactly like the stored values.
    """
    return instant.isoformat(sep=" ", timespec="microseconds" if instant.microsecond else "seconds")
