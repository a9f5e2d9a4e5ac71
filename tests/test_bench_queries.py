"""Smoke test of the query benchmark (bench/queries.py): every hand-written shape of every rule, best and
peer, selects the same contacts as the compiled SQL, on a small demo shop in DuckDB and SQLite.

The benchmark compares speeds; a shape that selects other contacts would make its numbers worthless, so a
wrong SQL file under bench/sql/ fails here. Nothing depends on the compiled SQL's text, and nothing is timed.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from rare_dsl.engines import Engine, connect
from rare_dsl.store import Store
from rare_dsl.store.demo import generate

ROOT = Path(__file__).resolve().parent.parent
CONTACTS = 3_000  # enough that most rules select someone, small enough to stay quick


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_queries", ROOT / "bench" / "queries.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


bench = load_bench()


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "demo.duckdb"
    with Store.open(path, write=True) as store:
        generate(store, contacts=CONTACTS, seed=bench.SEED, anchor=bench.AS_OF)
    return path


@pytest.fixture(scope="module", params=["duckdb", "sqlite"])
def engine(request: pytest.FixtureRequest, store_path: Path) -> Iterator[Engine]:
    if request.param == "duckdb":
        with connect(f"duckdb:///{store_path}") as duckdb_engine:
            yield duckdb_engine
    else:
        with bench.sqlite_copy(store_path.parent, store_path, lambda _line: None) as sqlite_engine:
            yield sqlite_engine


def test_every_shape_selects_what_the_compiled_sql_selects(engine: Engine) -> None:
    assert bench.verify(engine) == []


def test_the_suite_reaches_most_rules(engine: Engine) -> None:
    """On this small shop most rules select someone, so the comparison above is not of empty sets."""
    counts = {rule_id: bench.checksum(engine, bench.shapes("peer", rule_id, engine.dialect)[0].sql)[0]
              for rule_id, _rule in bench.RULES}
    assert sum(1 for count in counts.values() if count) >= len(counts) - 2, counts


def test_a_wrong_shape_is_reported(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = tmp_path / "sql"
    shutil.copytree(bench.SQL_DIR, wrong)
    best = wrong / "best" / "opens_6mo.sql"
    best.write_text(best.read_text().replace("COUNT(*) >= 3", "COUNT(*) >= 4"))
    peer = wrong / "peer" / "never_ordered.sql"
    peer.write_text(peer.read_text().replace("o.created_at <= '${as_of}'", "o.created_at < '${ago_30d}'"))
    monkeypatch.setattr(bench, "SQL_DIR", wrong)
    problems = bench.verify(engine, ["opens_6mo", "never_ordered"])
    assert any(p.startswith("opens_6mo") and "semi_join" in p for p in problems), problems
    assert any(p.startswith("never_ordered") and "peer" in p for p in problems), problems


def load_lookups() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_lookups", ROOT / "bench" / "lookups.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_lookup_matrix_compares_two_shapes_of_the_same_contacts(store_path: Path) -> None:
    """bench/lookups.py: each `and` of its matrix as lookups and as sets, two other texts selecting the same
    contacts; SQLite's compiler emits the sets for clicks and conversions and the lookups for the rest."""
    lookups = load_lookups()
    # A search of one contact's facts: a fact table's alias (events e1, orders o1...) against the contact;
    # an anti-joined set correlates by its own alias (x2), over the set.
    per_contact = re.compile(r'"[a-wyz]\d+"\."customer_id" = "c"\."customer_id"')
    with bench.sqlite_copy(store_path.parent, store_path, lambda _line: None) as engine:
        for condition, *_ in lookups.CONDITIONS:
            for fields in lookups.FIELDS:
                both = lookups.pair(fields, condition)
                assert per_contact.search(both.lookups), both.rule
                assert not per_contact.search(both.sets), both.rule
                assert bench.checksum(engine, both.lookups) == bench.checksum(engine, both.sets), both.rule
                few = condition.startswith(("clicks", "conversions", "last_click_date"))
                assert both.compiled == ("sets" if few else "lookups"), both.rule
