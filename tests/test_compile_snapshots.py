"""Snapshots of the compiler: a fixture set of rules, one per query shape, compiled in anchored mode for every
sqlglot dialect, one file per dialect under tests/snapshots/compile/. Each SQL text is also parsed back by
sqlglot in its dialect; a refusal (RD301) is recorded in the file as a comment.

When the compiler's output changes on purpose, regenerate with
`RARE_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_compile_snapshots.py` and read the diff of the files.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot
from snapshot_helpers import SNAPSHOTS, assert_snapshot

from rare_dsl import RuleError, check
from rare_dsl.compiler import compile, dialects

FOLDER = SNAPSHOTS / "compile"
AS_OF = dt.datetime(2026, 8, 31, 10, 0, 0)  # a month end: 6 months back clamps to Feb 28
SEGMENTS = {"french": check('country = "France"')}

RULES = [
    # customer predicates; `!=` includes missing values
    'country = "France" and quality = "vip"',
    'city != "Paris" and status in ["subscribed", "pending"]',
    # text predicates with hostile text: wildcards, quotes, backslash, SQL
    "first_name contains \"50%_o'ff\\\\\" or last_name starts with \"'; DROP TABLE customers; --\"",
    'city ends with "Zoë"',  # SQLite's and MariaDB's lower() leave `Ë`: spelled out there
    'email ends with "@Gmail.com"',  # stored lower-case (`lowercase = true`): only the pattern is folded
    # aggregates: false at zero (IN ... HAVING), true at zero (NOT EXISTS), two compared (joined)
    "opens(6mo) >= 3",
    "orders() = 0 or opens(6mo) < 3",
    "clicks(6mo) > opens(6mo)",
    # arithmetic and exact division
    "clicks(6mo) / opens(6mo) >= 0.2 and total_spent - 10 * refunds() > 100",
    # dates: a whole UTC day, a range of days
    "created_at = 2026-02-28 or last_order_date between 2025-12-01 and 2025-12-31",
    # windows and relative time
    "last_open_date within 12h and last_order_date < 90d ago",
    'purchased(vendor: "Acme", month: "dec", within: 1y)',
    # lists and tags
    'tags contains "vip" and not tags contains "newsletter" and tags is set',
    'in_list("Popup leads") and not in_list("Do not email")',
    'in_segment("french") and spent(product: "Red Shoes") > 0',
    # ranking with limit; missing values last
    'country = "France" order by engagement(6mo) desc limit 1000',
    "order by last_order_date desc, total_spent asc limit 10",
]


def snapshot(dialect: str) -> str:
    parts = [f"-- Compiled by tests/test_compile_snapshots.py for {dialect}, anchored at "
             f"{AS_OF.isoformat()}Z.\n"]
    for rule in RULES:
        parts.append(f"\n-- rule: {rule}\n")
        try:
            compiled = compile(rule, dialect=dialect, as_of=AS_OF, segments=SEGMENTS, pretty=True)
        except RuleError as error:
            (diagnostic,) = error.diagnostics
            assert diagnostic.code == "RD301", diagnostic
            parts.append(f"-- {diagnostic.code}: {diagnostic.message}\n")
            continue
        assert sqlglot.parse_one(compiled.sql, read=dialect) is not None
        parts.append(compiled.sql + ";\n")
    return "".join(parts)


@pytest.mark.parametrize("dialect", dialects())
def test_compiled_sql_snapshot(dialect: str) -> None:
    assert_snapshot(FOLDER / f"{dialect}.sql", snapshot(dialect))


def test_snapshot_files_are_all_used() -> None:
    """A snapshot of a dialect sqlglot no longer has would never be compared again."""
    assert {p.stem for p in FOLDER.glob("*.sql")} == set(dialects())
