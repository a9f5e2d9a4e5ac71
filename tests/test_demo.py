"""`rare demo`: the same seed gives the same shop, and the shop has the shapes a real one has (about 15%
who never order, a December peak, missing values, the names the examples use). Small sizes keep it fast;
bench/demo.py measures the million-contact run."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import ROOT, snapshot

from rare_dsl import lists
from rare_dsl.cli import main
from rare_dsl.schema import load_schema
from rare_dsl.store import Store
from rare_dsl.store.demo import default_anchor, generate, holds_other_data

ANCHOR = dt.datetime(2026, 3, 15)
CONTACTS = 4_000


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("demo") / "shop.duckdb"
    with Store.open(path, write=True) as store:
        generate(store, contacts=CONTACTS, seed=7, anchor=ANCHOR)
    with Store.open(path) as store:
        yield store


def one(store: Store, sql: str) -> object:
    return store.scalar(sql)


# -------------------------------------------------------------------------------------------- determinism


def test_same_seed_same_shop(tmp_path: Path) -> None:
    paths = [tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"]
    for path, seed in zip(paths, (3, 3, 4), strict=True):
        with Store.open(path, write=True) as store:
            generate(store, contacts=500, seed=seed, anchor=ANCHOR)
    first, again, other = (snapshot(p) for p in paths)
    first.pop("rare_store"), again.pop("rare_store"), other.pop("rare_store")  # holds when it was generated
    assert first == again
    assert first["customers"] != other["customers"]
    assert first["campaigns"] == other["campaigns"]  # the calendar depends on the anchor only


def test_default_anchor_is_midnight_utc_today() -> None:
    now = dt.datetime(2026, 7, 4, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert default_anchor(now) == dt.datetime(2026, 7, 4, 0, 0)


# --------------------------------------------------------------------------------------------- its shapes


def test_row_counts(shop: Store) -> None:
    rows = shop.row_counts()
    assert rows["customers"] == CONTACTS
    assert 1.5 <= rows["orders"] / CONTACTS <= 3
    assert rows["order_items"] > rows["orders"]
    assert 0.03 <= rows["refunds"] / rows["orders"] <= 0.10
    assert 15 <= rows["events"] / CONTACTS <= 28  # about twenty events a contact
    assert rows["lists"] == 3 and rows["list_members"] > 0
    assert rows["customer_tags"] > 0


def test_about_fifteen_percent_never_order(shop: Store) -> None:
    never = one(shop, "SELECT count(*) FROM customers WHERE customer_id NOT IN (SELECT customer_id FROM orders)")
    assert 0.11 <= never / CONTACTS <= 0.19


def test_order_counts_have_a_heavy_tail(shop: Store) -> None:
    counts = [n for (n,) in shop.execute("SELECT count(*) FROM orders GROUP BY customer_id").fetchall()]
    assert max(counts) >= 15
    assert sorted(counts)[len(counts) // 2] <= 2


def test_december_peaks(shop: Store) -> None:
    by_month = dict(shop.execute("SELECT month(created_at), count(*) FROM orders WHERE year(created_at) = 2025 "
                                 "GROUP BY 1").fetchall())
    assert max(by_month, key=by_month.__getitem__) == 12
    assert by_month[12] > 1.5 * by_month[6]
    assert by_month[11] > by_month[6]  # Black Friday


def test_missing_values_are_present_but_rare(shop: Store) -> None:
    for column in ("city", "region", "first_name", "last_name"):
        missing = one(shop, f"SELECT count(*) FROM customers WHERE {column} IS NULL")
        assert 0.02 <= missing / CONTACTS <= 0.15, column
    assert one(shop, "SELECT count(*) FROM customers WHERE country IS NULL OR email IS NULL") == 0


def test_countries_and_cities_are_skewed_like_a_real_store(shop: Store) -> None:
    countries = shop.execute("SELECT country, count(*) FROM customers GROUP BY 1 ORDER BY 2 DESC").fetchall()
    assert [name for name, _ in countries[:5]] == ["France", "Germany", "United Kingdom", "Spain", "Italy"]
    assert 0.28 <= countries[0][1] / CONTACTS <= 0.40
    assert {"United States", "Belgium", "Sweden"} <= {name for name, _ in countries}
    top_city = one(shop, "SELECT city FROM customers WHERE country = 'France' AND city IS NOT NULL "
                         "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    assert top_city == "Paris"
    assert one(shop, "SELECT count(*) FROM customers WHERE city = 'Paris' AND region <> 'Île-de-France'") == 0


def test_products_vendors_campaigns_and_lists_the_examples_use(shop: Store) -> None:
    assert one(shop, "SELECT count(*) FROM order_items WHERE product_name = 'Red Shoes'") > 0
    assert one(shop, "SELECT count(*) FROM order_items WHERE vendor = 'Nordic Knits'") > 0
    vendors = shop.execute("SELECT vendor, count(*) FROM order_items GROUP BY 1 ORDER BY 2 DESC").fetchall()
    assert vendors[0][1] > 4 * vendors[-1][1]  # skewed
    assert one(shop, "SELECT count(*) FROM campaigns WHERE name = 'Black Friday' AND kind = 'campaign'") >= 2
    assert one(shop, "SELECT count(*) FROM campaigns WHERE name = 'Welcome' AND kind = 'series'") == 1
    assert one(shop, "SELECT count(*) FROM campaigns WHERE name = 'Spring sale'") >= 2
    do_not_email = one(shop, "SELECT count(*) FROM list_members JOIN lists USING (list_id) "
                             "WHERE name = 'Do not email'")
    assert 0.005 * CONTACTS <= do_not_email <= 0.05 * CONTACTS
    popup = one(shop, "SELECT count(*) FROM list_members JOIN lists USING (list_id) WHERE name = 'Popup leads'")
    assert popup > 0.03 * CONTACTS
    assert one(shop, "SELECT count(*) FROM customers WHERE source = 'list:Popup leads'") > 0


def test_values_are_those_of_the_schema(shop: Store) -> None:
    schema = shop.schema
    assert {v for (v,) in shop.execute("SELECT DISTINCT quality FROM customers").fetchall()} == set(
        schema.fields["quality"].values)
    assert {v for (v,) in shop.execute("SELECT DISTINCT status FROM customers").fetchall()} == set(
        schema.fields["status"].values)
    assert {v for (v,) in shop.execute("SELECT DISTINCT type FROM events").fetchall()} == set(schema.event_types)
    assert {v for (v,) in shop.execute("SELECT DISTINCT kind FROM campaigns").fetchall()} == {"campaign", "series"}
    tags = {v for (v,) in shop.execute("SELECT DISTINCT tag FROM customer_tags").fetchall()}
    assert {"vip", "newsletter", "wholesale"} <= tags


def test_time_runs_up_to_the_anchor_and_recent_windows_have_data(shop: Store) -> None:
    for table, column in (("customers", "created_at"), ("orders", "created_at"), ("refunds", "created_at"),
                          ("events", "occurred_at"), ("list_members", "added_at"), ("lists", "created_at")):
        assert one(shop, f"SELECT max({column}) FROM {table}") < ANCHOR, table
    recent = ANCHOR - dt.timedelta(days=182)
    assert shop.scalar("SELECT count(*) FROM orders WHERE created_at > ?", [recent]) > 0.1 * CONTACTS
    openers = shop.scalar("SELECT count(*) FROM (SELECT customer_id FROM events WHERE type = 'open' AND "
                          "occurred_at > ? GROUP BY 1 HAVING count(*) >= 3)", [recent])
    assert openers > 0.02 * CONTACTS


def test_engagement_decays_over_time(shop: Store) -> None:
    rates = shop.execute("""
        SELECT year(occurred_at), count(*) FILTER (WHERE type = 'open') / count(*) FILTER (WHERE type = 'sent')
        FROM events GROUP BY 1 ORDER BY 1""").fetchall()
    assert rates[0][1] > rates[-1][1]
    assert 0.1 <= rates[-1][1] <= 0.4


def test_facts_are_consistent(shop: Store) -> None:
    assert one(shop, "SELECT count(*) FROM orders o JOIN customers c USING (customer_id) "
                     "WHERE o.created_at < c.created_at") == 0
    assert one(shop, "SELECT count(*) FROM refunds r JOIN orders o USING (order_id) "
                     "WHERE r.created_at <= o.created_at OR r.amount > o.total OR r.customer_id <> o.customer_id") == 0
    assert one(shop, "SELECT count(*) FROM order_items i LEFT JOIN orders o USING (order_id) "
                     "WHERE o.order_id IS NULL") == 0
    assert one(shop, "SELECT count(*) FROM events e LEFT JOIN campaigns c USING (campaign_id) "
                     "WHERE c.campaign_id IS NULL") == 0
    assert one(shop, "SELECT count(*) FROM customers WHERE email <> lower(email) OR email NOT LIKE '%_@_%.%'") == 0


# -------------------------------------------------------------------------------------------- replacing


def test_regenerating_replaces_the_demo_and_refuses_other_data(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    with Store.open(path, write=True) as store:
        assert holds_other_data(store) is None  # empty
        generate(store, contacts=200, seed=1, anchor=ANCHOR)
        assert holds_other_data(store) is None  # a demo store
        lists.create_list(store, "My real leads")
        assert "changed after it was generated" in (holds_other_data(store) or "")
        report = generate(store, contacts=300, seed=2, anchor=ANCHOR)
        assert report.replaced and store.total_contacts() == 300
        assert lists.list_names(store) == ["Do not email", "Popup leads", "Wholesale partners"]
    with Store.open(tmp_path / "real.duckdb", write=True) as store:
        lists.create_list(store, "Leads")
        assert "did not generate" in (holds_other_data(store) or "")


def test_a_failure_while_saving_leaves_the_previous_store(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    with Store.open(path, write=True) as store:
        generate(store, contacts=200, seed=1, anchor=ANCHOR)
    before = snapshot(path)

    def fail(stage: str, done: int, total: int) -> None:
        if stage == "saving events":
            raise RuntimeError("disk full")

    with Store.open(path, write=True) as store, pytest.raises(RuntimeError, match="disk full"):
        generate(store, contacts=300, seed=2, anchor=ANCHOR, progress=fail)
    assert snapshot(path) == before


def test_another_schema_gets_its_own_names_and_values(tmp_path: Path) -> None:
    schema = load_schema(ROOT / "examples" / "schema.toml")
    with Store.open(tmp_path / "other.duckdb", write=True, schema=schema) as store:
        generate(store, contacts=300, seed=1, anchor=ANCHOR)
        assert store.scalar("SELECT count(*) FROM shop_contacts") == 300
        assert {v for (v,) in store.execute("SELECT DISTINCT event_type FROM email_events").fetchall()} == {
            "SENT", "OPEN", "CLICK", "CONVERSION"}
        assert {v for (v,) in store.execute("SELECT DISTINCT kind FROM campaigns").fetchall()} == {"broadcast", "flow"}
        assert set(schema.fields["quality"].values) >= {
            v for (v,) in store.execute("SELECT DISTINCT grade FROM shop_contacts").fetchall()}
        # The aggregates this schema keeps on the contacts are those of the facts.
        assert store.scalar("""
            SELECT count(*) FROM shop_contacts AS c
            LEFT JOIN (SELECT contact_id, count(*) AS n, sum(grand_total) AS spent FROM shop_orders GROUP BY 1) AS o
                USING (contact_id)
            WHERE c.orders_count <> coalesce(o.n, 0) OR c.lifetime_value <> coalesce(o.spent, 0)""") == 0
        assert store.scalar("SELECT count(*) FROM shop_contacts WHERE orders_count > 0") > 200


# -------------------------------------------------------------------------------------------------- CLI


def test_cli_generates_then_regenerates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "shop.duckdb")
    assert main(["demo", "--contacts", "300", "--seed", "5", "--db", path]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Generated a demo shop in {path} in ")
    assert "customers" in out and "300" in out
    assert main(["demo", "--contacts", "0.4k", "--db", path]) == 2
    assert main(["demo", "--contacts", "1k", "--db", path, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"]["customers"] == 1000 and report["contacts"] == 1000
    assert main(["list", "create", "Mine", "--db", path]) == 0
    capsys.readouterr()
    assert main(["demo", "--contacts", "300", "--db", path]) == 1
    err = capsys.readouterr().err
    assert "changed after it was generated" in err and "--force" in err
    assert main(["demo", "--contacts", "300", "--db", path, "--force"]) == 0
    assert capsys.readouterr().out.startswith("Replaced the store with a demo shop")


@pytest.mark.parametrize("contacts", ["0", "-5", "many", "20000000"])
def test_cli_rejects_bad_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str], contacts: str) -> None:
    assert main(["demo", "--contacts", contacts, "--db", str(tmp_path / "x.duckdb")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_cli_until_pins_the_shop_to_a_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--until DAY`: the facts end at 00:00 UTC of that day, and the same seed and day give the same store
    whatever day it is generated on (the documented numbers rely on it)."""
    paths = [tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"]
    for path, until in zip(paths, ("2026-03-15", "2026-03-15", "2026-03-16"), strict=True):
        assert main(["demo", "--contacts", "400", "--until", until, "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "facts up to 2026-03-15 00:00 UTC" in out and "facts up to 2026-03-16 00:00 UTC" in out
    first, again, other = (snapshot(p) for p in paths)
    for taken in (first, again, other):
        taken.pop("rare_store")  # holds when it was generated
    assert first == again
    assert first["events"] != other["events"]
    with Store.open(paths[0]) as store:
        assert store.info()["demo_anchor"] == "2026-03-15 00:00:00"
        latest = store.scalar(f'SELECT max(occurred_at) FROM {store.table("events").sql("duckdb")}')
        assert latest < dt.datetime(2026, 3, 15) and latest > dt.datetime(2026, 3, 14)
    assert main(["demo", "--contacts", "400", "--until", "today", "--db", str(paths[2])]) == 0
    assert f"facts up to {default_anchor():%Y-%m-%d} 00:00 UTC" in capsys.readouterr().out


@pytest.mark.parametrize(("until", "message"), [
    ("2026-13-01", "not a date: '2026-13-01' (a day such as 2026-12-01, or today)"),
    ("2026-02-30", "not a date: '2026-02-30'"),
    ("yesterday", "not a date: 'yesterday'"),
    ("2026-03-15T10:00", "not a date: '2026-03-15T10:00'"),
    ("2999-01-01", "2999-01-01 is after today"),
    ("1999-12-31", "the demo's facts end in 2000 or later"),
])
def test_cli_rejects_bad_days(tmp_path: Path, capsys: pytest.CaptureFixture[str], until: str, message: str) -> None:
    path = tmp_path / "x.duckdb"
    assert main(["demo", "--contacts", "100", "--until", until, "--db", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"argument --until: {message}" in err and "Traceback" not in err
    assert not path.exists()


def test_the_repl_first_start_ends_its_demo_at_the_day_of_as_of(tmp_path: Path) -> None:
    """`rare repl --as-of DAY` on a folder without a store: the demo it creates ends that day, so the
    session counts the same contacts on any day (README and docs/repl.md show such a session)."""
    from rare_dsl.repl import demo_until, ensure_store
    from rare_dsl.repl.session import Repl, Settings
    from rare_dsl.schema import default_schema

    as_of = dt.datetime(2026, 3, 15, 9, 30, tzinfo=dt.UTC)
    assert demo_until(as_of) == dt.datetime(2026, 3, 15)
    assert demo_until(None) is None
    assert demo_until(dt.datetime(2999, 1, 1, tzinfo=dt.UTC)) == default_anchor()
    path = tmp_path / "rare.duckdb"
    repl = Repl(Settings(default_schema(), as_of=as_of, db_target=str(path)))
    assert ensure_store(repl, str(path))
    with Store.open(path) as store:
        assert store.info()["demo_anchor"] == "2026-03-15 00:00:00"
