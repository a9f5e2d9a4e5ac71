"""The embedded store: where it lives, the tables and keys it is created with, transactions, and what a
second process sees while another holds the store (a clear message, never a traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from store_helpers import ROOT, held_by_another_process

from rare_dsl.cli import main
from rare_dsl.schema import load_schema
from rare_dsl.store import Store, StoreError, StoreLocked, locate
from rare_dsl.store.tables import COLUMNS

# ------------------------------------------------------------------------------------------ where it lives


@pytest.mark.parametrize(("db", "environ", "expected", "origin"), [
    (None, {}, "rare.duckdb", "default"),
    (None, {"RARE_DB": "shop.duckdb"}, "shop.duckdb", "RARE_DB"),
    ("mine.duckdb", {"RARE_DB": "shop.duckdb"}, "mine.duckdb", "--db"),
    ("duckdb:///relative/shop.duckdb", {}, "relative/shop.duckdb", "--db"),
    ("duckdb:////srv/data/shop.duckdb", {}, "/srv/data/shop.duckdb", "--db"),
    ("duckdb:///with%20space.duckdb", {}, "with space.duckdb", "--db"),
    (None, {"RARE_DB": ""}, "rare.duckdb", "default"),
])
def test_locate(db: str | None, environ: dict[str, str], expected: str, origin: str) -> None:
    location = locate(db, environ)
    assert location.path == Path(expected)
    assert location.origin == origin


@pytest.mark.parametrize(("db", "words"), [
    ("postgresql://user@host/shop", "PostgreSQL stores are not supported yet"),
    ("mysql://host/shop", "MySQL stores are not supported yet"),
    ("sqlite:///shop.db", "SQLite stores are not supported yet"),
    ("oracle://host/shop", "unknown engine `oracle`"),
    ("duckdb://host/shop.duckdb", "names a host"),
    ("duckdb:///", "names no file"),
])
def test_other_engines_are_usage_errors(db: str, words: str) -> None:
    with pytest.raises(StoreError) as caught:
        locate(db, {})
    assert words in caught.value.message
    assert caught.value.usage


def test_engine_url_from_the_environment_says_where_it_came_from() -> None:
    with pytest.raises(StoreError, match="from RARE_DB"):
        locate(None, {"RARE_DB": "postgresql://host/shop"})


# ------------------------------------------------------------------------------------------------ tables


def test_creates_every_reference_table_with_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    with Store.open(path, write=True) as store:
        assert store.row_counts() == dict.fromkeys(COLUMNS, 0)
        assert store.total_contacts() == 0
        constraints = {(table, kind, tuple(columns)) for table, kind, columns in store.execute(
            "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints() "
            "WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall()}
        types = dict(store.execute("SELECT table_name || '.' || column_name, data_type FROM duckdb_columns() "
                                   "WHERE NOT internal").fetchall())
    assert ("customers", "PRIMARY KEY", ("customer_id",)) in constraints
    assert ("customers", "UNIQUE", ("email",)) in constraints
    assert ("lists", "UNIQUE", ("name",)) in constraints
    assert ("list_members", "PRIMARY KEY", ("list_id", "customer_id")) in constraints
    assert types["orders.total"] == "DECIMAL(12,2)"
    assert types["events.occurred_at"] == "TIMESTAMP"
    assert types["customers.customer_id"] == "BIGINT"


@pytest.mark.parametrize(("statement", "why"), [
    ("INSERT INTO customers (customer_id, email, created_at) VALUES (2, 'a@b.com', now())", "Duplicate key"),
    ("INSERT INTO customers (customer_id, email, created_at) VALUES (1, 'c@d.com', now())", "Duplicate key"),
    ("INSERT INTO customers (customer_id, email, created_at) VALUES (3, 'Upper@b.com', now())", "CHECK"),
    ("INSERT INTO lists VALUES (2, 'Leads', now())", "Duplicate key"),
    ("INSERT INTO list_members VALUES (1, 1, now())", "Duplicate key"),
])
def test_keys_protect_what_spec_promises(tmp_path: Path, statement: str, why: str) -> None:
    with Store.open(tmp_path / "shop.duckdb", write=True) as store:
        store.execute("INSERT INTO customers (customer_id, email, created_at) VALUES (1, 'a@b.com', now())")
        store.execute("INSERT INTO lists VALUES (1, 'Leads', now())")
        store.execute("INSERT INTO list_members VALUES (1, 1, now())")
        with pytest.raises(duckdb.ConstraintException, match=why):
            store.execute(statement)


def test_physical_names_come_from_the_schema(tmp_path: Path) -> None:
    schema = load_schema(ROOT / "examples" / "schema.toml")
    with Store.open(tmp_path / "other.duckdb", write=True, schema=schema) as store:
        tables = {row[0] for row in store.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        columns = {row[0] for row in store.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'shop_contacts'").fetchall()}
        assert store.total_contacts() == 0
    assert {"shop_contacts", "contact_tags", "shop_orders", "shop_order_lines", "email_events"} <= tables
    assert {"contact_id", "email_address", "country_name", "grade", "signed_up_at"} <= columns


def test_transaction_rolls_back_everything_on_error(tmp_path: Path) -> None:
    with Store.open(tmp_path / "shop.duckdb", write=True) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.execute("INSERT INTO lists VALUES (1, 'Leads', now())")
            raise RuntimeError("midway")
        assert store.row_counts()["lists"] == 0


def test_reading_opens_read_only(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    Store.open(path, write=True).close()
    with Store.open(path) as store:
        assert store.read_only
        with pytest.raises(duckdb.Error):
            store.execute("INSERT INTO lists VALUES (1, 'Leads', now())")


@pytest.mark.parametrize(("prepare", "words"), [
    (lambda p: None, "there is no store at"),
    (lambda p: p.write_bytes(b"not a database" * 100), "is not a DuckDB database file"),
    (lambda p: duckdb.connect(str(p)).close(), "not a rare store"),
    (lambda p: p.mkdir(), "is a folder"),
])
def test_a_store_that_cannot_be_read_is_a_clear_error(tmp_path: Path, prepare, words: str) -> None:
    path = tmp_path / "shop.duckdb"
    prepare(path)
    with pytest.raises(StoreError, match=words):
        Store.open(path)


def test_a_reader_of_some_tables_needs_only_those(tmp_path: Path) -> None:
    """`rare check --db` reads only customers: a file of contacts alone will do for it, not for the others."""
    path = tmp_path / "contacts.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE customers (customer_id BIGINT, country VARCHAR)")
    with pytest.raises(StoreError, match="lacks the tables customer_tags, orders, "):
        Store.open(path)
    with Store.open(path, reads=("customers",)) as store:
        assert store.read_only
    with pytest.raises(StoreError, match=r"lacks the table lists \("):
        Store.open(path, reads=("customers", "lists"))


def test_writing_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "nowhere" / "shop.duckdb", write=True)


# ------------------------------------------------------------------------------------- two processes


def test_reading_while_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    Store.open(path, write=True).close()
    with held_by_another_process(path, write=True) as pid, pytest.raises(StoreLocked) as caught:
        Store.open(path, wait=0.2)
    assert f"is being written by another process (PID {pid}" in caught.value.message
    assert caught.value.hint and "try again" in caught.value.hint


def test_writing_while_another_process_reads(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    Store.open(path, write=True).close()
    with held_by_another_process(path, write=False) as pid:
        with Store.open(path, wait=0.2) as reader:  # readers share the store
            assert reader.total_contacts() == 0
        with pytest.raises(StoreLocked) as caught:
            Store.open(path, write=True, wait=0.2)
    assert f"is open in another process (PID {pid}" in caught.value.message


def test_cli_in_a_second_process_gets_a_message_not_a_traceback(tmp_path: Path) -> None:
    """This process writes; `rare list ls` and `rare list create` run as real processes beside it."""
    path = tmp_path / "shop.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with Store.open(path, write=True):
        for argv, words in ((["list", "ls"], "is being written by another process"),
                            (["list", "create", "Leads"], "is open in another process")):
            done = subprocess.run([sys.executable, "-m", "rare_dsl", *argv, "--db", str(path)], cwd=ROOT,
                                  capture_output=True, text=True, env=env, timeout=60)
            assert done.returncode == 1, done.stderr
            assert f"{words} (PID {os.getpid()}" in done.stderr
            assert "help: " in done.stderr
            assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_cli_in_this_process_while_another_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "shop.duckdb"
    Store.open(path, write=True).close()
    with held_by_another_process(path, write=True) as pid:
        code = main(["list", "ls", "--db", str(path)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"rare list: the store {path} is being written by another process (PID {pid}" in err


@pytest.mark.parametrize(("argv", "code", "words"), [
    (["list", "ls", "--db", "postgresql://host/shop"], 2, "not supported yet"),
    (["list", "--db", "sqlite:///x.db", "ls"], 2, "not supported yet"),
    (["list", "ls", "--db", "{missing}"], 1, "there is no store at"),
    (["demo", "--contacts", "10", "--db", "{folder}"], 2, "is a folder"),
])
def test_cli_store_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int,
                          words: str) -> None:
    argv = [a.format(missing=tmp_path / "missing.duckdb", folder=tmp_path) for a in argv]
    assert main(argv) == code
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err and "internal error" not in err
