"""A small deterministic store in the reference schema, full of the cases that break SQL compilers.

`generate(seed, now=...)` returns rows for every reference table (`dict[table, list[dict]]`, timestamps as
naive UTC datetimes, money mostly in quarter units, with a block of amounts a double cannot hold). It has missing
values everywhere they are allowed, contacts with no orders or events, facts exactly on the window
boundaries of the `ANCHORS` (month ends, a leap day) and one second either side, facts after each anchor,
hostile text (quotes, backslashes, `%`, `_`, NUL, newlines, unicode, SQL), ties for rankings, contacts
created after an anchor or never dated, and hand-made blocks for the traps named in each block's comment.
`load_duckdb` and `load_sqlite` put the rows into a connection.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Iterable, Mapping
from typing import Any

# As-of instants the data is built around; the tests evaluate rules at these.
ANCHORS: tuple[dt.datetime, ...] = (
    dt.datetime(2026, 8, 31, 10, 0, 0),  # 6mo back is Feb 28 (clamped)
    dt.datetime(2024, 2, 29, 23, 59, 59),  # leap day: 1y back is 2023-02-28
    dt.datetime(2026, 3, 31, 0, 0, 0),  # 1mo back is Feb 28
    dt.datetime(2025, 12, 31, 12, 30, 0),
    dt.datetime(2026, 1, 1, 0, 0, 0),
)
# The window lengths rules use, as (amount, unit): the data has facts on each one's boundary.
DURATIONS: tuple[tuple[int, str], ...] = (
    (12, "h"), (1, "d"), (7, "d"), (30, "d"), (90, "d"), (2, "w"), (1, "mo"), (3, "mo"), (6, "mo"), (1, "y"),
)

HOSTILE_TEXT: tuple[str, ...] = (
    "O'Brien", 'say "hi"', "back\\slash", "100% off", "a_b", "%", "_", "\\", "\\%", "nul\x00byte", "two\nlines",
    "tab\there", "'; DROP TABLE customers; --", "Zoë", "ÉCOLE", "école", "Ωmega", "東京", "😀 emoji", "  spaced  ",
    "", "Paris", "PARIS", "paris", "Straße", "\u212aelvin", "AL\u0130", "\u0130zmir",
)
COUNTRIES = ("France", "Spain", "Côte d'Ivoire", "france", "United Kingdom", None)
CITIES = ("Paris", "paris", "Lyon", "São Paulo", "100%_city", None, "O'Hare", "Back\\slash")
QUALITIES = ("new", "promising", "loyal", "vip", "at_risk", "lapsed", None)
STATUSES = ("subscribed", "unsubscribed", "pending", "bounced", None)
TAGS = ("vip", "VIP", "Vip", "newsletter", "50%_off", "o'brien", "Zoë", "back\\slash", None)
PRODUCTS = (("P1", "Red Shoes"), ("P2", "Blue Hat"), ("P3", "100% Cotton"), ("P4", "a_b"), ("P5", "Men's \"Boots\""),
            ("P6", "Crème"), ("P7", None))
VENDORS = ("Acme", "acme", "Ünïcode & Co", "O'Reilly", "50%_Vendor", None)
CAMPAIGNS = ((1, "Welcome", "series"), (2, "Black Friday", "campaign"), (3, "Welcome", "campaign"),
             (4, "Onboarding", "series"), (5, "100% Sale", "campaign"), (6, "O'Brien's", "series"))
LISTS = ((1, "Popup leads"), (2, "VIP's"), (3, "50%_off"), (4, "empty list"))
EVENT_TYPES = ("sent", "open", "click", "conversion")
AMOUNTS = (0.0, 0.25, 10.0, 10.5, 19.75, 25.0, 49.75, 50.0, 99.5, 100.0, 250.25)


def minus(instant: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """Calendar arithmetic of SPEC 3.5, written out again: test data shares no code with the compiler."""
    if unit in ("mo", "y"):
        months = amount * (12 if unit == "y" else 1)
        total = instant.year * 12 + instant.month - 1 - months
        year, month = total // 12, total % 12 + 1
        return instant.replace(year=year, month=month, day=min(instant.day, calendar.monthrange(year, month)[1]))
    hours = {"h": 1, "d": 24, "w": 24 * 7}[unit] * amount
    return instant - dt.timedelta(hours=hours)


def boundary_times(now: dt.datetime | None = None) -> list[dt.datetime]:
    """Instants on and around every window boundary of every anchor (and of `now`, for live mode)."""
    second = dt.timedelta(seconds=1)
    times: list[dt.datetime] = []
    anchors = [*ANCHORS, *([now] if now is not None else [])]
    for anchor in anchors:
        times += [anchor, anchor + second, anchor - second]
        for amount, unit in DURATIONS:
            edge = minus(anchor, amount, unit)
            times += [edge, edge + second, edge - second]
    # Month ends and month starts (for `month:` filters and date literals).
    for year in (2023, 2024, 2025, 2026):
        for month in (1, 2, 3, 6, 11, 12):
            last = calendar.monthrange(year, month)[1]
            times += [dt.datetime(year, month, last, 23, 59, 59), dt.datetime(year, month, 1, 0, 0, 0)]
    return times


def generate(seed: int = 7, *, contacts: int = 120, now: dt.datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Rows of the reference tables; the same seed and `now` give the same rows."""
    rng = random.Random(seed)
    times = boundary_times(now)

    def when() -> dt.datetime | None:
        return None if rng.random() < 0.03 else rng.choice(times)

    customers: list[dict[str, Any]] = []
    for cid in range(1, contacts + 1):
        hostile = HOSTILE_TEXT[cid % len(HOSTILE_TEXT)]
        customers.append({
            "customer_id": cid,
            "email": f"contact{cid}@example.com" if cid % 11 else None,
            "first_name": hostile if cid % 3 else rng.choice(HOSTILE_TEXT),
            "last_name": None if cid % 7 == 0 else rng.choice(HOSTILE_TEXT),
            "country": rng.choice(COUNTRIES),
            "country_code": rng.choice(("FR", "ES", "CI", "GB", "fr", None)),
            "region": rng.choice(("Île-de-France", "Catalonia", None, "")),
            "city": rng.choice(CITIES),
            "quality": rng.choice(QUALITIES),
            "status": rng.choice(STATUSES),
            "created_at": None if cid % 13 == 0 else rng.choice(times),
            "source": rng.choice(("store", "list:Popup leads", "import", None)),
        })

    # A third of the contacts have no facts at all; the others get a random share.
    active = [c["customer_id"] for c in customers if c["customer_id"] % 3]
    tags = [{"customer_id": rng.choice([*active, None]), "tag": rng.choice(TAGS)} for _ in range(contacts)]

    orders: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for order_id in range(1, 4 * contacts + 1):
        cid = rng.choice(active) if rng.random() > 0.02 else rng.choice((None, 10_000))
        orders.append({"order_id": order_id, "customer_id": cid, "created_at": when(),
                       "total": None if rng.random() < 0.04 else rng.choice(AMOUNTS)})
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            product_id, name = rng.choice(PRODUCTS)
            items.append({"order_id": order_id, "customer_id": cid, "product_id": product_id, "product_name": name,
                          "vendor": rng.choice(VENDORS), "quantity": rng.choice((1, 2, 5)),
                          "price": rng.choice(AMOUNTS)})
    refunds = [{"refund_id": i, "order_id": rng.randint(1, len(orders)), "customer_id": rng.choice(active),
                "created_at": when(), "amount": rng.choice(AMOUNTS)} for i in range(1, contacts + 1)]
    campaigns = [{"campaign_id": i, "name": n, "kind": k} for i, n, k in CAMPAIGNS]
    events = [{"customer_id": rng.choice(active), "campaign_id": rng.choice((*range(1, 7), None)),
               "type": rng.choice(EVENT_TYPES), "occurred_at": when()} for _ in range(12 * contacts)]
    lists = [{"list_id": i, "name": n, "created_at": dt.datetime(2023, 1, 1)} for i, n in LISTS]
    members = [{"list_id": rng.choice((1, 1, 2, 3)), "customer_id": rng.choice(active), "added_at": when()}
               for _ in range(contacts // 2)]
    _sub_second_and_cased_text(customers, tags, orders, events)
    tables = {
        "customers": customers, "customer_tags": tags, "orders": orders, "order_items": items, "refunds": refunds,
        "campaigns": campaigns, "events": events, "lists": lists, "list_members": members,
    }
    _add_not_yet_created(tables)
    _add_exact_money(tables)
    return tables


# ---------------------------------------------------------------------- contacts that did not exist yet
# Hand-made contacts around the first anchor (the one the engine traps run at), SPEC 8.4 and 8.1: created one
# second after it, with a history dated before it (imported with the contact) that would match most rules;
# created exactly at it; never dated. Plus, for `purchased()` and `product:` (docs/language.md 1.2), an order
# without any item and items whose product name and id differ from others' by case only. Ids 8401-8409.
NOT_YET_CREATED = 8401  # created one second after ANCHORS[0], a big spender with every kind of fact
CREATED_AT_ANCHOR = 8402  # created exactly at ANCHORS[0]: it exists then
NEVER_DATED = 8403  # created_at missing: it has always existed
LATE_WITHOUT_FACTS = 8404  # created one second after ANCHORS[0], nothing else: `orders() = 0` must skip it
ORDER_WITHOUT_ITEMS = 8405  # its one order has no item: `purchased()`, not `purchased(product: ...)`
LOWER_CASE_PRODUCT = 8406  # bought "red shoes" (id "p1"): not `product: "Red Shoes"` nor `product: "P1"`


def _add_not_yet_created(tables: dict[str, list[dict[str, Any]]]) -> None:
    anchor = ANCHORS[0]
    second = dt.timedelta(seconds=1)
    before = anchor - dt.timedelta(days=20)

    def contact(cid: int, created: dt.datetime | None, **fields: Any) -> None:
        tables["customers"].append({
            "customer_id": cid, "email": f"late{cid}@example.com", "first_name": "Late", "last_name": None,
            "country": "France", "country_code": "FR", "region": None, "city": "Paris", "quality": "vip",
            "status": "subscribed", "created_at": created, "source": "import", **fields})

    def order(order_id: int, cid: int, total: float, *products: tuple[str | None, str | None]) -> None:
        tables["orders"].append({"order_id": order_id, "customer_id": cid, "created_at": before, "total": total})
        for product_id, name in products:
            tables["order_items"].append({"order_id": order_id, "customer_id": cid, "product_id": product_id,
                                          "product_name": name, "vendor": "Acme", "quantity": 1, "price": total})

    for cid, created in ((NOT_YET_CREATED, anchor + second), (CREATED_AT_ANCHOR, anchor), (NEVER_DATED, None)):
        contact(cid, created)
        # Five orders of the largest amount: the top of `order by total_spent desc limit 10` where it exists.
        for k in range(5):
            order(cid * 100 + k, cid, 250.25, ("P1", "Red Shoes"))
        tables["customer_tags"].append({"customer_id": cid, "tag": "vip"})
        tables["events"] += [{"customer_id": cid, "campaign_id": 2, "type": kind, "occurred_at": before}
                             for kind in ("sent", "open", "click", "conversion")]
        tables["refunds"].append({"refund_id": cid, "order_id": cid * 100, "customer_id": cid, "created_at": before,
                                  "amount": 10.0})
        tables["list_members"].append({"list_id": 1, "customer_id": cid, "added_at": before})
    contact(LATE_WITHOUT_FACTS, anchor + second, country="Spain", quality=None, status=None)
    contact(ORDER_WITHOUT_ITEMS, None, country="Spain")
    order(ORDER_WITHOUT_ITEMS * 100, ORDER_WITHOUT_ITEMS, 19.75)
    contact(LOWER_CASE_PRODUCT, None, country="Spain")
    order(LOWER_CASE_PRODUCT * 100, LOWER_CASE_PRODUCT, 10.0, ("p1", "red shoes"))


# ------------------------------------------------------------------------------------- exact money
# Amounts a double cannot hold (everything else here is in quarter units), for exact sums, averages and
# quotients (SPEC 3.3, issue 16): 0.10 three times (an average of 0.1, which 0.30 / 3 in doubles misses),
# 0.10 + 0.20 (0.3, which a sum of doubles misses), 0.20 + 0.00 + 100.00 (average 33.4, and
# `average_order_value * order_count = total_spent`), one order of 0.10 (an average tied with the first:
# the lower customer id ranks first), and 0.01 + 0.00 + 0.00 (an average of 1/300, no decimal at all).
# Ids 8411-8415, dated long before every anchor.
EXACT_MONEY: dict[int, tuple[float, ...]] = {
    8411: (0.10, 0.10, 0.10), 8412: (0.10, 0.20), 8413: (0.20, 0.00, 100.00), 8414: (0.10,), 8415: (0.01, 0.00, 0.00),
}


def _add_exact_money(tables: dict[str, list[dict[str, Any]]]) -> None:
    dated = dt.datetime(2023, 1, 1)
    for cid, totals in EXACT_MONEY.items():
        tables["customers"].append({
            "customer_id": cid, "email": f"exact{cid}@example.com", "first_name": "Exact", "last_name": None,
            "country": "Spain", "country_code": "ES", "region": None, "city": "Lyon", "quality": "new",
            "status": "subscribed", "created_at": dated, "source": "store"})
        for k, total in enumerate(totals):
            tables["orders"].append({"order_id": cid * 100 + k, "customer_id": cid, "created_at": dated,
                                     "total": total})


# ------------------------------------------------------------------ sub-second facts and cased text
# Facts half a second and a quarter of a second either side of a boundary (MySQL's plain DATETIME dropped
# the fraction), and names whose lower case needs letters outside ASCII (SQLite's lower() folds only ASCII,
# MariaDB's leaves `ẞ` and hundreds of others): multi-character lower cases (`İ` is `i` and a combining
# dot), `ẞ` beside `ß` and `SS` (which `str.lower` keeps apart), titlecase digraphs, Greek with a final
# sigma, Cyrillic. They are given to the last twelve contacts without facts (a multiple of 3, see `active`),
# whose opens and orders are then only these: the number of contacts stays the one asked for.
SUB_SECOND = dt.datetime(2023, 6, 1, 23, 59, 59, 500000)  # before every anchor, so every test sees them
# An as-of instant one day after SUB_SECOND: its `1d` window starts exactly at SUB_SECOND.
SUB_SECOND_AS_OF = dt.datetime(2023, 6, 2, 23, 59, 59, 500000)
CASED_TEXT = ("SÃO TOMÉ", "ÉLODIE", "STRAẞE", "STRASSE", "İSTANBUL", "i\u0307stanbul", "ΑΘΗΝΑ", "ΟΔΟΣ", "МОСКВА",
              "\u01c4EMAL", "\u01c5emal", "Ǉubljana")
CASED_CITIES = ("SÃO LUÍS", "ÉVORA", "İZMİR", "ΑΘΗΝΑ", "Москва", "STRAẞBURG")


def _sub_second_and_cased_text(customers: list[dict[str, Any]], tags: list[dict[str, Any]],
                               orders: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    half, quarter = dt.timedelta(seconds=0.5), dt.timedelta(seconds=0.25)
    # By the contact's place in CASED_TEXT: its opens and orders (the same instants), created at the first.
    facts = {0: [SUB_SECOND], 1: [SUB_SECOND - half], 2: [SUB_SECOND + quarter], 3: [SUB_SECOND_AS_OF],
             4: [SUB_SECOND_AS_OF + quarter], 5: [SUB_SECOND - quarter]}
    quiet = [c for c in customers if c["customer_id"] % 3 == 0][-len(CASED_TEXT):]
    next_order = max((o["order_id"] for o in orders), default=0) + 1
    for index, (contact, text) in enumerate(zip(quiet, CASED_TEXT, strict=False)):
        cid, times = contact["customer_id"], facts.get(index, [])
        # A lower-case email holding the name (a final sigma too): `email` is stored lower-case in the schema.
        contact.update(email=f"{text.lower().replace(' ', '.')}.{cid}@example.com",
                       first_name=text, last_name=CASED_TEXT[-1 - index],
                       city=CASED_CITIES[index % len(CASED_CITIES)],
                       created_at=times[0] if times else dt.datetime(2023, 1, 1))
        tags.append({"customer_id": cid, "tag": text})
        for when in times:
            events.append({"customer_id": cid, "campaign_id": 1, "type": "open", "occurred_at": when})
            orders.append({"order_id": next_order, "customer_id": cid, "created_at": when, "total": 10.0})
            next_order += 1


# Column types for loading; timestamps are TIMESTAMP (naive UTC) in DuckDB and ISO text in SQLite.
COLUMN_TYPES: dict[str, dict[str, str]] = {
    "customers": {"customer_id": "INTEGER", "email": "TEXT", "first_name": "TEXT", "last_name": "TEXT",
                  "country": "TEXT", "country_code": "TEXT", "region": "TEXT", "city": "TEXT", "quality": "TEXT",
                  "status": "TEXT", "created_at": "TIMESTAMP", "source": "TEXT"},
    "customer_tags": {"customer_id": "INTEGER", "tag": "TEXT"},
    "orders": {"order_id": "INTEGER", "customer_id": "INTEGER", "created_at": "TIMESTAMP", "total": "DECIMAL"},
    "order_items": {"order_id": "INTEGER", "customer_id": "INTEGER", "product_id": "TEXT", "product_name": "TEXT",
                    "vendor": "TEXT", "quantity": "INTEGER", "price": "DECIMAL"},
    "refunds": {"refund_id": "INTEGER", "order_id": "INTEGER", "customer_id": "INTEGER", "created_at": "TIMESTAMP",
                "amount": "DECIMAL"},
    "campaigns": {"campaign_id": "INTEGER", "name": "TEXT", "kind": "TEXT"},
    "events": {"customer_id": "INTEGER", "campaign_id": "INTEGER", "type": "TEXT", "occurred_at": "TIMESTAMP"},
    "lists": {"list_id": "INTEGER", "name": "TEXT", "created_at": "TIMESTAMP"},
    "list_members": {"list_id": "INTEGER", "customer_id": "INTEGER", "added_at": "TIMESTAMP"},
}
_DUCKDB_TYPES = {"INTEGER": "BIGINT", "TEXT": "VARCHAR", "TIMESTAMP": "TIMESTAMP", "DECIMAL": "DECIMAL(12, 2)"}
_SQLITE_TYPES = {"INTEGER": "INTEGER", "TEXT": "TEXT", "TIMESTAMP": "TEXT", "DECIMAL": "REAL"}


def _create(connection: Any, tables: Mapping[str, Iterable[dict[str, Any]]], types: Mapping[str, str],
            convert: Any) -> None:
    for name, rows in tables.items():
        columns = COLUMN_TYPES[name]
        # Table and column names here are this module's constants, not user input.
        spec = ", ".join(f'"{c}" {types[t]}' for c, t in columns.items())
        connection.execute(f'CREATE TABLE "{name}" ({spec})')
        marks = ", ".join("?" for _ in columns)
        values = [tuple(convert(row.get(c)) for c in columns) for row in rows]
        if values:
            connection.executemany(f'INSERT INTO "{name}" VALUES ({marks})', values)


def load_duckdb(connection: Any, tables: Mapping[str, Iterable[dict[str, Any]]]) -> None:
    _create(connection, tables, _DUCKDB_TYPES, lambda v: v)


def load_sqlite(connection: Any, tables: Mapping[str, Iterable[dict[str, Any]]]) -> None:
    def convert(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")
        return value

    _create(connection, tables, _SQLITE_TYPES, convert)
