"""`rare demo`: fill the store with a deterministic synthetic shop (see `rare_dsl.store.demo`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import time

from rare_dsl.cli.common import EXIT_FAILED, EXIT_OK, echo
from rare_dsl.cli.store_options import add_db_option, open_store, progress_bar, reports_store_errors

_SIZE = re.compile(r"^\s*(\d[\d_,]*)\s*([kKmM]?)\s*$")
_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
_FIRST_YEAR = 2000  # the demo has four years of history before its last day


def register(commands: argparse._SubParsersAction) -> None:
    from rare_dsl.store.defaults import DEFAULT_CONTACTS, DEFAULT_SEED

    demo = commands.add_parser(
        "demo", help="fill the store with a demo shop: contacts, orders, campaigns, engagement",
        description="Generate a deterministic demo shop in the store: the same seed gives the same shop. "
                    "Timestamps run up to midnight UTC today, or of --until: the same seed, size and --until "
                    "give the same store on any day. A demo store is regenerated without asking; a store "
                    "holding other data (or lists changed since the demo) needs --force.")
    demo.add_argument("--contacts", type=_size, default=DEFAULT_CONTACTS, metavar="N",
                      help=f"how many contacts (default {DEFAULT_CONTACTS:,}; 250k and 1M work too)")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S", help=f"default {DEFAULT_SEED}")
    demo.add_argument("--until", type=_until, default=None, metavar="DATE",
                      help="facts up to the start (00:00 UTC) of this day, e.g. 2026-12-01 (default: today)")
    add_db_option(demo)
    demo.add_argument("--force", action="store_true", help="replace a store that holds other data")
    demo.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    demo.set_defaults(run=reports_store_errors(run))


def _size(text: str) -> int:
    """A number of contacts: 5000, 100_000, 100,000, 250k or 1M."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a number of contacts: {text!r} (for example 100000, 250k or 1M)")
    from rare_dsl.store.defaults import MAX_CONTACTS

    number = int(match.group(1).replace("_", "").replace(",", ""))
    number *= {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    if not 1 <= number <= MAX_CONTACTS:
        raise argparse.ArgumentTypeError(f"the demo has between 1 and {MAX_CONTACTS:,} contacts, not {number:,}")
    return number


def _until(text: str) -> dt.datetime:
    """The day the demo's facts run up to: `YYYY-MM-DD` or `today`, not after today (facts are the past)."""
    from rare_dsl.store.demo import default_anchor

    today = default_anchor()
    if text.strip().lower() == "today":
        return today
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        day = dt.datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (a day such as 2026-12-01, or today)") from None
    if day > today:
        raise argparse.ArgumentTypeError(f"{day:%Y-%m-%d} is after today ({today:%Y-%m-%d}): "
                                         "the demo's facts are in the past") from None
    if day.year < _FIRST_YEAR:
        raise argparse.ArgumentTypeError(f"the demo's facts end in {_FIRST_YEAR} or later, not {day:%Y-%m-%d}")
    return day


def run(args: argparse.Namespace) -> int:
    import sys

    from rare_dsl.store.demo import generate, holds_other_data

    started = time.perf_counter()
    with open_store(args, write=True, create=True) as store:
        reason = None if args.force else holds_other_data(store)
        if reason:
            print(f"rare demo: {reason}; nothing was changed", file=sys.stderr)
            print("  help: `rare demo --force` replaces everything in it, or give another --db", file=sys.stderr)
            return EXIT_FAILED
        with progress_bar("Generating the demo shop") as progress:
            report = generate(store, contacts=args.contacts, seed=args.seed, anchor=args.until, progress=progress)
        where = store.location.path
    seconds = time.perf_counter() - started
    if args.format == "json":
        echo(json.dumps({"store": str(where), "contacts": report.contacts, "seed": report.seed,
                         "anchor": report.anchor.isoformat() + "Z", "rows": report.rows,
                         "seconds": round(seconds, 2)}, indent=2))
        return EXIT_OK
    action = "Replaced the store with" if report.replaced else "Generated"
    echo(f"{action} a demo shop in {where} in {seconds:.1f} s (seed {report.seed}; "
         f"facts up to {report.anchor:%Y-%m-%d %H:%M} UTC):")
    width = max(len(name) for name in report.rows)
    for name, rows in report.rows.items():
        echo(f"  {name:<{width}}  {rows:>12,}")
    return EXIT_OK
