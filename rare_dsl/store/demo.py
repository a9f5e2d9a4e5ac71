"""`rare demo`: a deterministic synthetic shop, generated inside DuckDB with SQL.

Every random choice is `hash(seed, key, salt)` of DuckDB, so the same seed, size and anchor give the same
rows on every run (row order aside), and a million contacts take seconds, not Python loops. Weighted
choices (a country, a city, a product) draw a slot in 0..9,999 and look it up in a `demo_pick_<kind>` table
built from the weights of `shop.py`. Timestamps count back from an anchor, midnight UTC of the day of generation
by default, so windows like `within 6mo` always hold recent data; the anchor is kept in the store's info.

Generation fills temporary tables named after the logical reference tables (`demo_customers`, ...) and
only then, in one transaction, replaces the store's tables with them, mapped to the schema's physical
names and stored values: a failed or interrupted run leaves the store as it was.

The SQL below is constant text of this module: no user text enters it; seed, size and anchor arrive as
DuckDB variables set from parameters, and the statements that name the store's tables are sqlglot trees.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlglot import exp

from rare_dsl.schema import Schema
from rare_dsl.store import shop, tables
from rare_dsl.store.connection import Store
from rare_dsl.store.defaults import DEFAULT_CONTACTS, DEFAULT_SEED, MAX_CONTACTS
from rare_dsl.store.errors import StoreError

HISTORY_YEARS = 3  # weekly campaigns and most orders; contacts sign up over up to four years
SLOTS = 10_000  # resolution of weighted choices: a weight below 1/10,000 of its table is never drawn

Progress = Callable[[str, int, int], None]  # (what is being done, steps done, steps in all)


@dataclass(frozen=True)
class DemoReport:
    contacts: int
    seed: int
    anchor: dt.datetime
    rows: dict[str, int]  # logical table -> rows
    replaced: bool  # the store held data before


def default_anchor(now: dt.datetime | None = None) -> dt.datetime:
    """Midnight UTC of today: every generated fact lies before it, and regenerating on the same day gives
    the same data."""
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is not None:
        now = now.astimezone(dt.UTC).replace(tzinfo=None)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def holds_other_data(store: Store) -> str | None:
    """Why regenerating would destroy something that is not demo data, or None when it would not."""
    info = store.info()
    rows = store.row_counts()
    if not any(rows.values()):
        return None
    if "demo_seed" not in info:
        held = ", ".join(f"{rows[name]:,} {label}{'' if rows[name] == 1 else 's'}"
                         for name, label in (("customers", "contact"), ("orders", "order"), ("lists", "list"))
                         if rows[name])
        return f"the store {store.location.path} holds data that `rare demo` did not generate ({held})"
    if info.get("changed_at", "") > info.get("demo_generated_at", ""):
        return (f"the lists of the demo store {store.location.path} were changed after it was generated "
                f"(last change {info['changed_at'][:19]} UTC)")
    return None


def generate(store: Store, *, contacts: int = DEFAULT_CONTACTS, seed: int = DEFAULT_SEED,
             anchor: dt.datetime | None = None, progress: Progress | None = None) -> DemoReport:
    """Replace the store's contents with a demo shop of `contacts` contacts. The caller decides whether
    the store may be replaced (see `holds_other_data`)."""
    if not 1 <= contacts <= MAX_CONTACTS:
        raise StoreError(f"the demo has between 1 and {MAX_CONTACTS:,} contacts, not {contacts:,}", usage=True)
    if not -(2**63) <= seed < 2**63:
        raise StoreError("the seed is a whole number that fits in 64 bits", usage=True)
    if anchor is None:
        anchor = default_anchor()
    elif anchor.tzinfo is not None:
        anchor = anchor.astimezone(dt.UTC).replace(tzinfo=None)
    steps = [*_STAGES, *(f"saving {name}" for name in tables.TABLES)]
    total = len(steps) + 1

    def step(index: int) -> None:
        if progress:
            progress(steps[index] if index < len(steps) else "done", index, total)

    replaced = any(store.row_counts().values())
    connection = store.connection
    _set_variables(store, seed=seed, anchor=anchor, contacts=contacts)
    # Rows carry their own ids, so the order they land in does not matter, and DuckDB inserts in parallel
    # when it need not keep it.
    store.execute("SET preserve_insertion_order = false")
    try:
        step(0)
        _load_catalogue(store, anchor)
        for index, statements in enumerate(_STAGE_SQL, start=1):
            step(index)
            for statement in statements:
                connection.execute(statement)
        _publish(store, lambda i: step(len(_STAGES) + i))
    finally:
        # Best effort: a failure here must not hide the one that brought us here.
        with contextlib.suppress(duckdb.Error):
            _drop_temporaries(store)
            store.execute("RESET preserve_insertion_order")
    step(len(steps))
    return DemoReport(contacts, seed, anchor, store.row_counts(), replaced)


# ---------------------------------------------------------------------------------------------- settings


def _set_variables(store: Store, *, seed: int, anchor: dt.datetime, contacts: int) -> None:
    weeks, first_send = _weekly_schedule(anchor)
    for name, value, kind in (("demo_seed", seed, "BIGINT"), ("demo_anchor", anchor, "TIMESTAMP"),
                              ("demo_contacts", contacts, "BIGINT"), ("demo_first_send", first_send, "TIMESTAMP"),
                              ("demo_weeks", weeks, "BIGINT"), ("demo_first_weekly", len(shop.SERIES) + 1, "BIGINT"),
                              ("demo_popup_source", f"list:{shop.POPUP_LIST}", "VARCHAR")):
        # SET VARIABLE takes the value as a parameter; the names and types are this module's constants.
        store.execute(f"SET VARIABLE {name} = CAST($value AS {kind})", {"value": value})
    for macro in _MACROS:
        store.execute(macro)


_MACROS = (
    # A uniform number in [0, 1) for (key, salt): the only source of randomness. DuckDB combines the hashes of
    # several arguments with a cheap step that leaves draws with different salts correlated (an open and a
    # click of the same send would move together); hashing the result again mixes every bit.
    "CREATE OR REPLACE TEMP MACRO demo_u(k, salt) AS "
    "hash(hash(getvariable('demo_seed'), k, salt))::DOUBLE / 18446744073709551616.0",
    "CREATE OR REPLACE TEMP MACRO demo_u2(k, j, salt) AS "
    "hash(hash(getvariable('demo_seed'), k, j, salt))::DOUBLE / 18446744073709551616.0",
    f"CREATE OR REPLACE TEMP MACRO demo_slot(k, salt) AS "
    f"(hash(hash(getvariable('demo_seed'), k, salt)) % {SLOTS})::INTEGER",
    f"CREATE OR REPLACE TEMP MACRO demo_slot2(k, j, salt) AS "
    f"(hash(hash(getvariable('demo_seed'), k, j, salt)) % {SLOTS})::INTEGER",
    "CREATE OR REPLACE TEMP MACRO demo_seconds(x) AS to_microseconds(CAST(CAST(x AS DOUBLE) * 1000000 AS BIGINT))",
    "CREATE OR REPLACE TEMP MACRO demo_anchor() AS getvariable('demo_anchor')",
    # Seasons: with probability 17% a time moves into 1-22 December of its year, with 5% into Black Friday
    # week, when that stays between `earliest` and the anchor. December peaks; November follows.
    "CREATE OR REPLACE TEMP MACRO demo_season(t, earliest, season, day) AS CASE"
    " WHEN season < 0.17 AND make_timestamp(year(t), 12, 1, 0, 0, 0) >= earliest"
    "      AND make_timestamp(year(t), 12, 23, 0, 0, 0) <= demo_anchor()"
    "     THEN make_timestamp(year(t), 12, 1, 0, 0, 0) + demo_seconds(22 * 86400 * day)"
    " WHEN season < 0.22 AND make_timestamp(year(t), 11, 22, 0, 0, 0) >= earliest"
    "      AND make_timestamp(year(t), 11, 30, 0, 0, 0) <= demo_anchor()"
    "     THEN make_timestamp(year(t), 11, 22, 0, 0, 0) + demo_seconds(8 * 86400 * day)"
    " ELSE t END",
    # The row of a `demo_pick_<kind>` table for a slot drawn within a group.
    f"CREATE OR REPLACE TEMP MACRO demo_key(grp, slot) AS grp * {SLOTS} + slot",
)


def _weekly_schedule(anchor: dt.datetime) -> tuple[int, dt.datetime]:
    """The weekly campaigns: the first goes out on the first Tuesday, 09:00 UTC, of the history."""
    start = anchor - dt.timedelta(days=365 * HISTORY_YEARS)
    start = start.replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=(1 - start.weekday()) % 7)
    weeks = 0
    while start + dt.timedelta(weeks=weeks) < anchor:
        weeks += 1
    return weeks, start


def _campaigns(anchor: dt.datetime) -> list[tuple[int, str, str]]:
    rows = [(index, name, "series") for index, name in enumerate(shop.SERIES, start=1)]
    weeks, first = _weekly_schedule(anchor)
    for week in range(weeks):
        sent = first + dt.timedelta(weeks=week)
        name = next((theme for month, low, high, theme in shop.THEMED_WEEKS
                     if sent.month == month and low <= sent.day <= high), f"{shop.WEEKLY_NAME} {sent.date()}")
        rows.append((len(shop.SERIES) + 1 + week, name, "campaign"))
    return rows


# --------------------------------------------------------------------------------------------- catalogue


def _load_catalogue(store: Store, anchor: dt.datetime) -> None:
    """The lookup tables the stages draw from: one `demo_pick_<kind>` per weighted choice, the countries,
    products, campaigns and list names."""
    countries = [code for code, *_ in shop.COUNTRIES]
    regions = [(code, region) for code in countries for region in shop.REGIONS[code]]
    languages = list(shop.FIRST_NAMES)
    domain_groups = list(shop.EMAIL_DOMAINS)
    # kind -> groups, each a list of (value, extra, index, weight); a draw picks within the row's group.
    picks: dict[str, list[list[tuple[str, str, int, float]]]] = {
        "country": [[(code, "", index, weight) for index, (code, _n, _l, weight) in enumerate(shop.COUNTRIES)]],
        "region": [[(region, "", regions.index((code, region)), weight)
                    for region, (weight, _cities) in shop.REGIONS[code].items()] for code in countries],
        "city": [[(city, "", 0, weight) for city, weight in shop.REGIONS[code][region][1]] for code, region in regions],
        # Common names first: weights fall off like 1/sqrt(rank).
        "first": [[(name, shop.slug(name), 0, rank**-0.5) for rank, name in enumerate(shop.FIRST_NAMES[lang], 1)]
                  for lang in languages],
        "last": [[(name, shop.slug(name), 0, rank**-0.5) for rank, name in enumerate(shop.LAST_NAMES[lang], 1)]
                 for lang in languages],
        "domain": [[(domain, "", 0, weight) for domain, weight in shop.EMAIL_DOMAINS[group]]
                   for group in domain_groups],
        # Group 0 sells all year; group 1 is winter (November to February), when knitwear sells three times
        # better and the Christmas jumper far more.
        "product": [[(product_id, "", 0, weight) for product_id, _n, _v, _p, weight in shop.PRODUCTS],
                    [(product_id, "", 0, weight * (12 if "Christmas" in name else 3 if vendor == "Nordic Knits" else 1))
                     for product_id, name, vendor, _p, weight in shop.PRODUCTS]],
    }
    for kind, groups in picks.items():
        _pick_table(store, f"demo_pick_{kind}", groups)
    _temp_table(store, "demo_countries", ("code", "name", "language", "domains"),
                ("VARCHAR", "VARCHAR", "BIGINT", "BIGINT"),
                [(code, name, languages.index(lang), domain_groups.index(code if code in shop.EMAIL_DOMAINS else "*"))
                 for code, name, lang, _weight in shop.COUNTRIES])
    _temp_table(store, "demo_products", ("product_id", "name", "vendor", "price"),
                ("VARCHAR", "VARCHAR", "VARCHAR", "DECIMAL(12,2)"),
                [(product_id, name, vendor, price) for product_id, name, vendor, price, _w in shop.PRODUCTS])
    _temp_table(store, "demo_campaigns", ("campaign_id", "name", "kind"), ("BIGINT", "VARCHAR", "VARCHAR"),
                _campaigns(anchor))
    _temp_table(store, "demo_list_names", ("list_id", "name"), ("BIGINT", "VARCHAR"),
                [(1, shop.POPUP_LIST), (2, shop.WHOLESALE_LIST), (3, shop.DO_NOT_EMAIL_LIST)])


def _pick_table(store: Store, name: str, groups: Sequence[Sequence[tuple[str, str, int, float]]]) -> None:
    """A weighted choice as a table of SLOTS rows per group, keyed `group * SLOTS + slot`: a draw is one
    integer hash join, which DuckDB plans well and runs at memory speed. Slot ranges are computed here in
    integers so every slot of every group is covered exactly once."""
    ranges: list[tuple[int, int, str, str, int]] = []
    for number, group in enumerate(groups):
        total = sum(weight for *_rest, weight in group)
        running, low = 0.0, 0
        for position, (value, extra, index, weight) in enumerate(group):
            running += weight
            high = SLOTS if position == len(group) - 1 else round(SLOTS * running / total)
            if high > low:
                ranges.append((number * SLOTS + low, number * SLOTS + high, value, extra, index))
            low = high
    _temp_table(store, "demo_ranges", ("low", "high", "value", "extra", "ix"),
                ("BIGINT", "BIGINT", "VARCHAR", "VARCHAR", "BIGINT"), ranges)
    store.execute(exp.Create(kind="TABLE", replace=True, this=exp.Table(this=tables.ident(name)),
                             properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
                             expression=exp.select("unnest(range(low, high)) AS key", "value", "extra", "ix")
                             .from_("demo_ranges")))
    store.execute("DROP TABLE demo_ranges")


def _temp_table(store: Store, name: str, columns: Sequence[str], types: Sequence[str],
                rows: Iterable[Sequence[Any]], *, ordered: bool = False) -> None:
    """A temporary table from Python rows, loaded in one statement: each column is one list parameter."""
    listed = list(rows)
    names = [*columns, *(["ord"] if ordered else [])]
    kinds = [*types, *(["BIGINT"] if ordered else [])]
    values = [[row[i] for row in listed] for i in range(len(columns))] + ([list(range(len(listed)))] if ordered else [])
    select = exp.select(*(
        exp.alias_(exp.func("unnest", exp.cast(exp.Placeholder(), exp.DataType.build(f"{kind}[]", dialect="duckdb"))),
                   column, quoted=True)
        for column, kind in zip(names, kinds, strict=True)))
    create = exp.Create(kind="TABLE", replace=True, this=exp.Table(this=tables.ident(name)), expression=select,
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    store.execute(create, values)


# ------------------------------------------------------------------------------------------------ stages

_STAGES = ("catalogue", "contacts", "orders", "order items", "refunds", "customers and tags", "engagement events",
           "lists")

_CONTACTS = """
CREATE OR REPLACE TEMP TABLE demo_people AS
WITH ids AS (
    SELECT id AS customer_id, demo_slot(id, 'country') AS country_slot, demo_slot(id, 'region') AS region_slot,
           demo_slot(id, 'city') AS city_slot, demo_slot(id, 'first') AS first_slot,
           demo_slot(id, 'last') AS last_slot, demo_slot(id, 'domain') AS domain_slot
    FROM range(1, getvariable('demo_contacts') + 1) AS r(id)
), placed AS (
    SELECT i.*, c.value AS country_code, c.ix AS country_ix
    FROM ids AS i JOIN demo_pick_country AS c ON c.key = i.country_slot
), regioned AS (
    SELECT p.*, k.name AS country, k.language, k.domains, rg.value AS region, rg.ix AS region_ix
    FROM placed AS p
    JOIN demo_countries AS k ON k.code = p.country_code
    JOIN demo_pick_region AS rg ON rg.key = demo_key(p.country_ix, p.region_slot)
), picked AS (
    SELECT r.customer_id, r.country_code, r.country, r.region, ct.value AS city,
           fn.value AS first_name, fn.extra AS first_slug, ln.value AS last_name, ln.extra AS last_slug,
           dm.value AS domain
    FROM regioned AS r
    JOIN demo_pick_city AS ct ON ct.key = demo_key(r.region_ix, r.city_slot)
    JOIN demo_pick_first AS fn ON fn.key = demo_key(r.language, r.first_slot)
    JOIN demo_pick_last AS ln ON ln.key = demo_key(r.language, r.last_slot)
    JOIN demo_pick_domain AS dm ON dm.key = demo_key(r.domains, r.domain_slot)
), signed AS (
    -- Sign-ups over four years, more of them recently: the shop grows by 40% a year.
    SELECT *, demo_anchor() - demo_seconds(3600 + 86400 * -ln(1 - demo_u(customer_id, 'signup')
               * (1 - exp(-ln(1.4) * 4))) / (ln(1.4) / 365.25)) AS signed_up
    FROM picked
), timed AS (
    SELECT *,
           demo_season(signed_up, demo_anchor() - INTERVAL 4 YEAR, demo_u(customer_id, 'signup_season'),
                       demo_u(customer_id, 'signup_day')) AS created_at,
           demo_u(customer_id, 'source') AS u_source,
           demo_u(customer_id, 'status') AS u_status
    FROM signed
)
SELECT customer_id,
       -- Unique by the id in it; lower-case ASCII like the addresses people type.
       CASE floor(4 * demo_u(customer_id, 'pattern'))
           WHEN 0 THEN first_slug || '.' || last_slug || customer_id
           WHEN 1 THEN first_slug || customer_id
           WHEN 2 THEN left(first_slug, 1) || last_slug || customer_id
           ELSE last_slug || '.' || first_slug || customer_id
       END || '@' || CASE WHEN demo_u(customer_id, 'test') < 0.01 THEN 'example.com' ELSE domain END AS email,
       CASE WHEN demo_u(customer_id, 'no_first') < 0.07 THEN NULL ELSE first_name END AS first_name,
       CASE WHEN demo_u(customer_id, 'no_last') < 0.09 THEN NULL ELSE last_name END AS last_name,
       country, country_code,
       CASE WHEN demo_u(customer_id, 'no_region') < 0.08 THEN NULL ELSE region END AS region,
       CASE WHEN demo_u(customer_id, 'no_city') < 0.05 THEN NULL ELSE city END AS city,
       CASE WHEN u_status < 0.03 THEN 'bounced'
            WHEN u_status < 0.14 THEN 'unsubscribed'
            -- Double opt-in pending: most new sign-ups of the last weeks, and a few forgotten ones.
            WHEN u_status < 0.50 AND created_at > demo_anchor() - INTERVAL 30 DAY THEN 'pending'
            WHEN u_status < 0.145 THEN 'pending'
            ELSE 'subscribed' END AS status,
       created_at,
       CASE WHEN u_source < 0.05 THEN getvariable('demo_popup_source')
            WHEN u_source < 0.12 THEN 'import' ELSE 'store' END AS source,
       -- How much this contact cares for our mail: most little, a few a lot.
       0.9 * pow(demo_u(customer_id, 'affinity'), 1.7) AS affinity,
       -- When an unsubscribed or bounced contact stopped receiving mail.
       created_at + demo_seconds(epoch(demo_anchor() - created_at) * demo_u(customer_id, 'stop')) AS stopped_at,
       -- Orders: the first with the sign-up; then popup leads and imported contacts buy less often, and
       -- the rest at a rate per year with a heavy tail of regulars (Pareto), over the years they have been here.
       CASE WHEN demo_u(customer_id, 'buyer') < CASE WHEN u_source < 0.05 THEN 0.45
                                                     WHEN u_source < 0.12 THEN 0.35 ELSE 0.11 END THEN 0
            ELSE least(150, 1 + floor(0.5 * (pow(1 - demo_u(customer_id, 'rate'), -1 / 1.5) - 1)
                                      * epoch(demo_anchor() - created_at) / 31557600 + demo_u(customer_id, 'orders')))
       END::BIGINT AS n_orders
FROM timed
"""

_ORDERS = """
CREATE OR REPLACE TEMP TABLE demo_orders AS
WITH o AS (
    SELECT customer_id, created_at AS signup, unnest(range(n_orders)) AS k FROM demo_people WHERE n_orders > 0
), s AS (
    -- The first order comes with the sign-up; the others fall anywhere since, some of them moved into the
    -- run-up to Christmas or Black Friday week (see demo_season).
    SELECT customer_id, k, CASE WHEN k = 0 THEN signup + demo_seconds(60 + 1800 * demo_u(customer_id, 'checkout'))
        ELSE demo_season(signup + demo_seconds(epoch(demo_anchor() - signup) * demo_u2(customer_id, k, 'order_at')),
                         signup, demo_u2(customer_id, k, 'season'), demo_u2(customer_id, k, 'day')) END AS created_at
    FROM o
)
SELECT row_number() OVER (ORDER BY created_at, customer_id, k) AS order_id, customer_id, created_at,
       CASE WHEN u < 0.55 THEN 1 WHEN u < 0.80 THEN 2 WHEN u < 0.92 THEN 3 WHEN u < 0.97 THEN 4 ELSE 5 END AS n_items
FROM (SELECT *, demo_u2(customer_id, k, 'items') AS u FROM s)
"""

_ITEMS = """
CREATE OR REPLACE TEMP TABLE demo_items AS
WITH lines AS (
    SELECT order_id, customer_id, created_at, j,
           CASE WHEN month(created_at) IN (11, 12, 1, 2) THEN 1 ELSE 0 END AS season,
           demo_slot2(order_id, j, 'product') AS product_slot,
           demo_u2(order_id, j, 'qty') AS u_quantity, demo_u2(order_id, j, 'sale') AS u_sale
    FROM (SELECT order_id, customer_id, created_at, unnest(range(n_items)) AS j FROM demo_orders)
)
SELECT l.order_id, l.customer_id, p.product_id, p.name AS product_name, p.vendor,
       CASE WHEN u_quantity < 0.85 THEN 1 WHEN u_quantity < 0.97 THEN 2 ELSE 3 END AS quantity,
       -- Sales: a fifth off in November and December, a tenth off now and then.
       round(p.price * CASE WHEN month(l.created_at) IN (11, 12) AND u_sale < 0.35 THEN 0.8
                            WHEN u_sale < 0.08 THEN 0.9 ELSE 1 END, 2)::DECIMAL(12,2) AS price
FROM lines AS l
JOIN demo_pick_product AS pk ON pk.key = demo_key(l.season, l.product_slot)
JOIN demo_products AS p ON p.product_id = pk.value
"""

_TOTALS = """
CREATE OR REPLACE TEMP TABLE demo_order_totals AS
SELECT o.order_id, o.customer_id, o.created_at,
       -- Shipping is free from 50.
       (s.subtotal + CASE WHEN s.subtotal < 50 THEN 4.90 ELSE 0 END)::DECIMAL(12,2) AS total
FROM demo_orders AS o
JOIN (SELECT order_id, sum(quantity * price) AS subtotal FROM demo_items GROUP BY order_id) AS s USING (order_id)
"""

_REFUNDS = """
CREATE OR REPLACE TEMP TABLE demo_refunds AS
SELECT row_number() OVER (ORDER BY created_at, order_id) AS refund_id, order_id, customer_id, created_at, amount
FROM (
    SELECT order_id, customer_id,
           created_at + demo_seconds(86400 * (2 + 28 * demo_u(order_id, 'refund_at'))) AS created_at,
           CASE WHEN demo_u(order_id, 'refund_part') < 0.6 THEN total
                ELSE round(total * (0.2 + 0.5 * demo_u(order_id, 'refund_share')), 2) END::DECIMAL(12,2) AS amount
    FROM demo_order_totals
    -- One order in sixteen comes back, more of the Christmas presents.
    WHERE demo_u(order_id, 'refund') < CASE WHEN month(created_at) = 12 THEN 0.10 ELSE 0.06 END
)
WHERE created_at < demo_anchor()
"""

_CUSTOMERS = """
CREATE OR REPLACE TEMP TABLE demo_customers AS
WITH stats AS (
    SELECT customer_id, count(*) AS orders, sum(total) AS spent, max(created_at) AS last_order
    FROM demo_order_totals GROUP BY customer_id
)
SELECT p.customer_id, p.email, p.first_name, p.last_name, p.country, p.country_code, p.region, p.city,
       CASE WHEN s.spent >= 1000 OR s.orders >= 8 THEN 'vip'
            WHEN s.last_order < demo_anchor() - INTERVAL 365 DAY THEN 'lapsed'
            WHEN s.orders IS NULL AND p.created_at < demo_anchor() - INTERVAL 365 DAY THEN 'lapsed'
            WHEN s.last_order < demo_anchor() - INTERVAL 180 DAY THEN 'at_risk'
            WHEN s.orders >= 3 THEN 'loyal'
            WHEN s.orders = 2 THEN 'promising'
            ELSE 'new' END AS quality,
       p.status, p.created_at, p.source, p.affinity, p.stopped_at, coalesce(s.orders, 0) AS orders, s.last_order
FROM demo_people AS p LEFT JOIN stats AS s USING (customer_id)
"""

_TAGS = """
CREATE OR REPLACE TEMP TABLE demo_customer_tags AS
SELECT customer_id, 'vip' AS tag FROM demo_customers WHERE quality = 'vip' AND demo_u(customer_id, 'tag_vip') < 0.9
UNION ALL
SELECT customer_id, 'newsletter' FROM demo_customers
WHERE status = 'subscribed'
  AND demo_u(customer_id, 'tag_newsletter') < CASE WHEN source = getvariable('demo_popup_source') THEN 0.6 ELSE 0.4 END
UNION ALL
SELECT customer_id, 'wholesale' FROM demo_customers WHERE demo_u(customer_id, 'tag_wholesale') < 0.015
UNION ALL
SELECT customer_id, 'birthday-club' FROM demo_customers WHERE demo_u(customer_id, 'tag_birthday') < 0.12
UNION ALL
SELECT customer_id, 'instagram' FROM demo_customers WHERE demo_u(customer_id, 'tag_instagram') < 0.08
UNION ALL
SELECT customer_id, 'returning' FROM demo_customers WHERE orders >= 2 AND demo_u(customer_id, 'tag_returning') < 0.8
UNION ALL
SELECT customer_id, 'sale-hunter' FROM demo_customers WHERE demo_u(customer_id, 'tag_sale') < 0.1
"""

_SENDS = """
CREATE OR REPLACE TEMP TABLE demo_sends AS
WITH reach AS (
    -- The weekly campaigns a contact was on the audience of: from the first after sign-up to the last
    -- before they unsubscribed or bounced; each contact gets one in `stride` (the shop rotates audiences).
    SELECT customer_id, created_at, affinity,
           greatest(0, ceil(epoch(created_at - getvariable('demo_first_send')) / 604800))::BIGINT AS first_week,
           CASE WHEN status IN ('unsubscribed', 'bounced')
                THEN floor(epoch(stopped_at - getvariable('demo_first_send')) / 604800)
                ELSE getvariable('demo_weeks') - 1 END::BIGINT AS last_week,
           (3 + floor(9 * demo_u(customer_id, 'stride')))::BIGINT AS stride
    FROM demo_customers WHERE status <> 'pending'
), weekly AS (
    SELECT customer_id, created_at, affinity, first_week + offset_week + stride * unnest(range(
               CASE WHEN last_week >= first_week + offset_week
                    THEN (last_week - first_week - offset_week) // stride + 1 ELSE 0 END)) AS week
    FROM (SELECT *, floor(stride * demo_u(customer_id, 'offset'))::BIGINT AS offset_week FROM reach)
), sends AS (
    SELECT customer_id, created_at, affinity, getvariable('demo_first_weekly') + week AS campaign_id, week AS send_key,
           getvariable('demo_first_send') + to_days(CAST(7 * week AS INTEGER))
               + demo_seconds(3 * 3600 * demo_u2(customer_id, week, 'queue')) AS sent_at
    FROM weekly
    UNION ALL  -- Welcome series: right after sign-up, two days later, five days later.
    SELECT c.customer_id, c.created_at, c.affinity, 1, -step, c.created_at + demo_seconds(600 + step_delay)
    FROM demo_customers AS c, (VALUES (1, 0), (2, 2 * 86400), (3, 5 * 86400)) AS w(step, step_delay)
    WHERE c.status <> 'bounced'
    UNION ALL  -- Abandoned cart reminders.
    SELECT customer_id, created_at, affinity, 2, -10 - j,
           created_at + demo_seconds(epoch(demo_anchor() - created_at) * demo_u2(customer_id, j, 'cart_at'))
    FROM (SELECT *, unnest(range(CASE WHEN demo_u(customer_id, 'cart') < 0.25 THEN 1
                                      WHEN demo_u(customer_id, 'cart') < 0.33 THEN 2 ELSE 0 END)) AS j
          FROM demo_customers WHERE status = 'subscribed')
    UNION ALL  -- A week after some orders.
    SELECT o.customer_id, c.created_at, c.affinity, 3, -1000 - o.order_id, o.created_at + INTERVAL 7 DAY
    FROM demo_orders AS o JOIN demo_customers AS c USING (customer_id)
    WHERE demo_u(o.order_id, 'post_purchase') < 0.45 AND c.status = 'subscribed'
    UNION ALL  -- Half a year after the last order.
    SELECT customer_id, created_at, affinity, 4, -5, last_order + INTERVAL 180 DAY + INTERVAL 10 HOUR
    FROM demo_customers WHERE status = 'subscribed' AND last_order < demo_anchor() - INTERVAL 181 DAY
), opened AS (
    -- Engagement decays: the longer someone has been on the list, the less they open.
    SELECT customer_id, campaign_id, send_key, affinity, sent_at,
           CASE WHEN demo_u2(customer_id, send_key, 'open')
                     < affinity * exp(-epoch(sent_at - created_at) / (1.5 * 31557600))
                THEN sent_at + demo_seconds(60 + 6 * 3600 * -ln(1 - demo_u2(customer_id, send_key, 'open_at')))
           END AS open_at
    FROM sends WHERE sent_at < demo_anchor()
), clicked AS (
    SELECT *, CASE WHEN open_at IS NOT NULL AND demo_u2(customer_id, send_key, 'click') < 0.12 + 0.3 * affinity
                   THEN open_at + demo_seconds(20 + 900 * demo_u2(customer_id, send_key, 'click_at')) END AS click_at
    FROM opened
)
SELECT customer_id, campaign_id, sent_at,
       CASE WHEN open_at < demo_anchor() THEN open_at END AS open_at,
       CASE WHEN click_at < demo_anchor() THEN click_at END AS click_at,
       CASE WHEN click_at IS NOT NULL AND demo_u2(customer_id, send_key, 'convert') < 0.14
                 AND click_at + INTERVAL 3 HOUR < demo_anchor()
            THEN click_at + demo_seconds(120 + 3 * 3600 * demo_u2(customer_id, send_key, 'convert_at')) END
           AS conversion_at
FROM clicked
"""

_EVENTS = """
CREATE OR REPLACE TEMP VIEW demo_events AS
SELECT customer_id, campaign_id, 'sent' AS type, sent_at AS occurred_at FROM demo_sends
UNION ALL SELECT customer_id, campaign_id, 'open', open_at FROM demo_sends WHERE open_at IS NOT NULL
UNION ALL SELECT customer_id, campaign_id, 'click', click_at FROM demo_sends WHERE click_at IS NOT NULL
UNION ALL SELECT customer_id, campaign_id, 'conversion', conversion_at FROM demo_sends WHERE conversion_at IS NOT NULL
"""

_LISTS = """
CREATE OR REPLACE TEMP TABLE demo_list_members AS
SELECT 1 AS list_id, customer_id, created_at AS added_at
FROM demo_customers WHERE source = getvariable('demo_popup_source')
UNION ALL  -- Shoppers who also left their address in the popup later on.
SELECT 1, customer_id,
       created_at + demo_seconds(epoch(demo_anchor() - created_at) * demo_u(customer_id, 'popup_at'))
FROM demo_customers WHERE source <> getvariable('demo_popup_source') AND demo_u(customer_id, 'popup') < 0.02
UNION ALL
SELECT 2, c.customer_id, least(c.created_at + demo_seconds(86400 * 30 * demo_u(c.customer_id, 'wholesale_at')),
                               demo_anchor() - INTERVAL 1 HOUR)
FROM demo_customers AS c JOIN demo_customer_tags AS t ON t.customer_id = c.customer_id AND t.tag = 'wholesale'
UNION ALL  -- Asked not to be mailed: mostly people who also unsubscribed, a few who only said so.
SELECT 3, customer_id, stopped_at FROM demo_customers
WHERE demo_u(customer_id, 'do_not_email') < CASE WHEN status = 'unsubscribed' THEN 0.15 ELSE 0.003 END;

CREATE OR REPLACE TEMP TABLE demo_lists AS
SELECT l.list_id, l.name, coalesce(min(m.added_at), demo_anchor()) - INTERVAL 1 HOUR AS created_at
FROM demo_list_names AS l LEFT JOIN demo_list_members AS m USING (list_id)
GROUP BY l.list_id, l.name
"""

_STAGE_SQL: tuple[tuple[str, ...], ...] = (
    (_CONTACTS,), (_ORDERS,), (_ITEMS, _TOTALS), (_REFUNDS,), (_CUSTOMERS, _TAGS), (_SENDS, _EVENTS),
    tuple(s for s in _LISTS.split(";\n") if s.strip()),
)
assert len(_STAGE_SQL) == len(_STAGES) - 1

# logical table -> the temporary table or view holding its demo rows.
_SOURCES = {"customers": "demo_customers", "customer_tags": "demo_customer_tags", "orders": "demo_order_totals",
            "order_items": "demo_items", "refunds": "demo_refunds", "campaigns": "demo_campaigns",
            "events": "demo_events", "lists": "demo_lists", "list_members": "demo_list_members"}
_TEMPORARIES = (*(f"demo_pick_{kind}" for kind in ("country", "region", "city", "first", "last", "domain", "product")),
                "demo_ranges", "demo_countries", "demo_products", "demo_campaigns", "demo_people",
                "demo_orders", "demo_items", "demo_order_totals", "demo_refunds", "demo_customers",
                "demo_customer_tags", "demo_sends", "demo_list_names", "demo_list_members", "demo_lists")


# ------------------------------------------------------------------------------------------------ saving


def _publish(store: Store, step: Callable[[int], None]) -> None:
    """Replace the reference tables by the demo's, in one transaction: readers see the old store or the
    new one, and an interrupted run leaves the old one."""
    schema = store.schema
    with store.transaction():
        for statement in tables.drop_statements(schema):
            store.execute(statement)
        for statement in tables.create_statements(schema):
            store.execute(statement)
        for index, logical in enumerate(tables.TABLES):
            step(index)
            store.execute(_insert(schema, logical))
        if tables.stored_columns(schema):
            _fill_stored_aggregates(store)
        now = store.now().isoformat(sep=" ")
        store.set_info({"demo_seed": str(store.scalar("SELECT getvariable('demo_seed')")),
                        "demo_contacts": str(store.scalar("SELECT getvariable('demo_contacts')")),
                        "demo_anchor": str(store.scalar("SELECT getvariable('demo_anchor')")),
                        "demo_generated_at": now, "changed_at": None})


def _insert(schema: Schema, logical: str) -> exp.Insert:
    mapped = schema.tables[logical]
    source = exp.Table(this=tables.ident(_SOURCES[logical]))
    columns = [name for name, _kind, _not_null in tables.COLUMNS[logical]]
    values = [_stored_value(schema, logical, name, exp.column(name, quoted=True)) for name in columns]
    return exp.insert(exp.select(*values).from_(source), exp.Table(this=tables.ident(mapped.name)),
                      columns=[tables.ident(mapped.column(name)) for name in columns])


def _stored_value(schema: Schema, logical: str, name: str, value: exp.Expression) -> exp.Expression:
    """What the schema stores for a generated logical value: its event type and campaign kind values, and
    enum values position by position when the schema renames them (see examples/schema.toml)."""
    mapping: dict[str, str] = {}
    if (logical, name) == ("events", "type"):
        mapping = dict(schema.event_types)
    elif (logical, name) == ("campaigns", "kind"):
        mapping = dict(schema.campaign_kinds)
    elif logical == "customers" and name in tables.REFERENCE_ENUMS:
        mapping = tables.enum_values(schema, name)
    if all(key == stored for key, stored in mapping.items()):
        return value
    case = exp.Case(this=value)
    for key, stored in mapping.items():
        case = case.when(exp.Literal.string(key), exp.Literal.string(stored))
    return case.else_(value.copy())


def _fill_stored_aggregates(store: Store) -> None:
    """A schema may keep aggregates on customers (`stored_column`): compute them from the demo's facts."""
    schema = store.schema
    wanted = {f.measure: f.stored_column for f in schema.fields.values() if f.kind == "aggregate" and f.stored_column}
    store.execute("""
        CREATE OR REPLACE TEMP TABLE demo_stats AS
        SELECT c.customer_id, coalesce(o.order_count, 0) AS order_count, coalesce(r.refund_count, 0) AS refund_count,
               coalesce(o.total_spent, 0) AS total_spent, o.average_order_value, o.first_order_date,
               o.last_order_date, e.last_open_date, e.last_click_date
        FROM demo_customers AS c
        LEFT JOIN (SELECT customer_id, count(*) AS order_count, sum(total) AS total_spent,
                          avg(total)::DECIMAL(12,2) AS average_order_value, min(created_at) AS first_order_date,
                          max(created_at) AS last_order_date
                   FROM demo_order_totals GROUP BY customer_id) AS o USING (customer_id)
        LEFT JOIN (SELECT customer_id, count(*) AS refund_count FROM demo_refunds GROUP BY customer_id) AS r
            USING (customer_id)
        LEFT JOIN (SELECT customer_id, max(open_at) AS last_open_date, max(click_at) AS last_click_date
                   FROM demo_sends GROUP BY customer_id) AS e USING (customer_id)
    """)
    customers = store.table("customers")
    key = store.column("customers", "customer_id")
    stats = exp.Table(this=tables.ident("demo_stats"))
    update = exp.Update(this=customers, from_=exp.From(this=stats),
                        expressions=[exp.EQ(this=exp.column(column, quoted=True),
                                            expression=exp.column(measure, table="demo_stats", quoted=True))
                                     for measure, column in wanted.items() if measure and column],
                        where=exp.Where(this=exp.EQ(this=exp.Column(this=key.this.copy(), table=customers.this.copy()),
                                                    expression=exp.column("customer_id", table="demo_stats"))))
    store.execute(update)
    store.execute("DROP TABLE IF EXISTS demo_stats")


def _drop_temporaries(store: Store) -> None:
    store.execute("DROP VIEW IF EXISTS demo_events")
    for name in reversed(_TEMPORARIES):
        store.execute(exp.Drop(kind="TABLE", exists=True, tables=[exp.Table(this=tables.ident(name))]))
