"""Bad or extreme rules through the real CLI and the Python API (issue 17, items 3 to 6): long chains of
segments compile and count, each segment once; every case ends in a diagnostic, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from rare_dsl import RuleError, check, testdata
from rare_dsl.compiler import compile
from rare_dsl.evaluate import evaluate
from rare_dsl.store import Store
from rare_dsl.store.demo import generate

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.datetime(2026, 1, 1)


def rare(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rare_dsl", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults-compile") / "shop.duckdb"
    with Store.open(path, write=True) as store:
        generate(store, contacts=300, seed=5, anchor=AS_OF)
    return path


# ---------------------------------------------------------------------------------------- segment chains

def chain_texts(links: int) -> dict[str, str]:
    """`s0` and `links` segments each using the one before: s_i = in_segment(s_{i-1}) and a condition."""
    texts = {"s0": "opens(1y) >= 1 or orders() >= 1"}
    for i in range(1, links + 1):
        texts[f"s{i}"] = f'in_segment("s{i - 1}") and city != "Nowhere {i}"'
    return texts


def chain_file(links: int) -> str:
    return "".join(f"segment {name}:\n    {text}\n" for name, text in chain_texts(links).items())


def test_a_200_link_chain_compiles_with_each_segment_once() -> None:
    sizes = {}
    for links in (100, 200):
        texts = chain_texts(links)
        segments = {name: check(text, segments=texts) for name, text in texts.items()}
        sql = compile(segments[f"s{links}"], as_of=AS_OF, segments=segments).sql
        for i in range(1, links + 1):
            assert sql.count(f"'Nowhere {i}'") == 1
        sizes[links] = len(sql)
    # Linear: twice the links, about twice the SQL (each link adds the same text).
    assert 1.9 < sizes[200] / sizes[100] < 2.1


def test_a_200_link_chain_has_the_reference_members() -> None:
    now = dt.datetime(2026, 1, 1)
    data = testdata.generate(seed=11, now=now)
    texts = chain_texts(200)
    segments = {name: check(text, segments=texts) for name, text in texts.items()}
    connection = duckdb.connect()
    testdata.load_duckdb(connection, data)
    rule = segments["s200"]
    got = sorted(row[0] for row in connection.execute(compile(rule, as_of=now, segments=segments).sql).fetchall())
    want = sorted(evaluate(rule, data, now, segments=segments))
    assert got == want and 0 < len(want) < len(data["customers"])


def test_a_200_link_chain_through_the_cli(shop: Path, tmp_path: Path) -> None:
    (tmp_path / "chain.rare").write_text(chain_file(200), encoding="utf-8")
    (tmp_path / "rare.toml").write_text('paths = ["chain.rare"]\n', encoding="utf-8")
    checked = rare("check", "chain.rare", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    compiled = rare("compile", "chain.rare", "--as-of", "2026-01-01", cwd=tmp_path)
    assert compiled.returncode == 0 and "Traceback" not in compiled.stderr, compiled.stderr
    counted = rare("count", "s200", "--db", str(shop), "--as-of", "2026-01-01", "--format", "json", cwd=tmp_path)
    flat = rare("count", "-e", "opens(1y) >= 1 or orders() >= 1", "--db", str(shop), "--as-of", "2026-01-01",
                "--format", "json", cwd=tmp_path)
    assert counted.returncode == 0 and flat.returncode == 0, counted.stderr + flat.stderr
    assert json.loads(counted.stdout)["count"] == json.loads(flat.stdout)["count"] > 0


def test_a_cycle_in_a_long_chain_is_rd107(tmp_path: Path) -> None:
    texts = chain_texts(100)
    texts["s0"] = 'in_segment("s100")'
    segments = {name: check(text, segments=texts) for name, text in texts.items()}
    with pytest.raises(RuleError) as info:
        compile(segments["s50"], as_of=AS_OF, segments=segments)
    assert [d.code for d in info.value.diagnostics] == ["RD107"]
