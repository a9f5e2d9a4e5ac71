"""What keeps `rare` quick to start (docs/performance.md, "Start-up"), checked without timing anything:

- the parser cache: the grammar's tables are saved once and loaded by later processes, and a damaged,
  stale or unwritable cache never breaks parsing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import lark
import pytest

from rare_dsl.syntax import grammar_cache
from rare_dsl.syntax.parser import _LARK_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GRAMMAR = (ROOT / "grammar" / "rare.lark").read_text(encoding="utf-8")
RULE = 'country = "France" and opens(6mo) >= 3'


# ------------------------------------------------------------------------------------------ parser cache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(grammar_cache.ENVIRONMENT, str(folder))
    return folder


def cached_file(folder: Path) -> Path:
    files = list(folder.glob("parser-*.pickle"))
    assert len(files) == 1, files
    return files[0]


def trees(parser: lark.Lark) -> list[lark.Tree]:
    """What a parser makes of every example file, and of a rule, with the positions of every node."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*.rare"))]
    return [*(parser.parse(text, start="rule_file") for text in texts), parser.parse(RULE, start="rule_text")]


def positions(tree: lark.Tree) -> list[tuple[object, ...]]:
    return [(node.data, node.meta.start_pos, node.meta.end_pos) for node in tree.iter_subtrees() if not node.meta.empty]


def test_the_first_load_saves_the_parser_and_later_loads_read_it(cache: Path, monkeypatch: pytest.MonkeyPatch):
    built = grammar_cache.load_parser(GRAMMAR, _LARK_OPTIONS)
    saved = cached_file(cache)
    assert saved.read_bytes().startswith(b"rare-dsl parser cache")

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser was built again instead of loaded from the cache")

    monkeypatch.setattr(grammar_cache.lark, "Lark", type("NoBuild", (lark.Lark,), {"__init__": no_build}))
    loaded = grammar_cache.load_parser(GRAMMAR, _LARK_OPTIONS)
    assert trees(loaded) == trees(built)
    assert [positions(t) for t in trees(loaded)] == [positions(t) for t in trees(built)]
    # What the REPL and the highlighter ask of the parser works on a loaded one too.
    assert list(loaded.lex(RULE, dont_ignore=True)) == list(built.lex(RULE, dont_ignore=True))
    assert loaded.parse_interactive("country = ", start="rule_text").exhaust_lexer() is not None
    assert {t.name for t in loaded.terminals} == {t.name for t in built.terminals}


@pytest.mark.parametrize("damage", [
    pytest.param(lambda data: b"", id="empty"),
    pytest.param(lambda data: b"\x00garbage\xff" * 100, id="garbage"),
    pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
    pytest.param(lambda data: data[:-10] + bytes(b ^ 0xFF for b in data[-10:]), id="bytes flipped"),
    pytest.param(lambda data: data.replace(b"cache 1\n", b"cache 0\n", 1), id="another layout"),
])
def test_a_damaged_cache_file_is_rebuilt_never_loaded(cache: Path, damage):
    built = grammar_cache.load_parser(GRAMMAR, _LARK_OPTIONS)
    saved = cached_file(cache)
    good = saved.read_bytes()
    saved.write_bytes(damage(good))
    again = grammar_cache.load_parser(GRAMMAR, _LARK_OPTIONS)
    assert trees(again) == trees(built)
    assert saved.read_bytes() == good or grammar_cache._read(saved) is not None  # replaced by a sound file


def test_a_sound_file_that_lark_cannot_load_is_rebuilt(cache: Path):
    grammar_cache.load_parser(GRAMMAR, _LARK_OPTIONS)
    saved = cached_file(cache)
    import hashlib

    payload = b"not a pickle of a parser"
    saved.write_bytes(b"rare-dsl parser cache 1\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    assert grammar_cache._read(saved) is None
    assert trees(grammar_cache.load_parser(GRAMMAR, _LARK_OPTIONS))
    assert grammar_cache._read(saved) is not None


def test_another_grammar_or_other_options_use_another_file(cache: Path):
    first = grammar_cache.cache_file(GRAMMAR, _LARK_OPTIONS)
    assert grammar_cache.cache_file(GRAMMAR + "\n// edited\n", _LARK_OPTIONS) != first
    assert grammar_cache.cache_file(GRAMMAR, {**_LARK_OPTIONS, "propagate_positions": False}) != first
    assert grammar_cache.cache_file(GRAMMAR, dict(_LARK_OPTIONS)) == first


def test_a_cache_folder_that_cannot_be_written_is_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocker = tmp_path / "a file, not a folder"
    blocker.write_text("")
    monkeypatch.setenv(grammar_cache.ENVIRONMENT, str(blocker / "cache"))
    assert trees(grammar_cache.load_parser(GRAMMAR, _LARK_OPTIONS))
    assert list(tmp_path.iterdir()) == [blocker]  # and no temporary file left behind


def rare(*args: str, cache: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, grammar_cache.ENVIRONMENT: str(cache)}
    return subprocess.run([sys.executable, "-m", "rare_dsl", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120, check=False)


def test_rare_works_the_same_with_a_cold_a_warm_and_a_damaged_cache(tmp_path: Path):
    cache = tmp_path / "cache"
    runs = [rare("check", "-e", "contry = 1", cache=cache, cwd=tmp_path)]
    saved = cached_file(cache)
    runs.append(rare("check", "-e", "contry = 1", cache=cache, cwd=tmp_path))
    saved.write_bytes(saved.read_bytes()[:100])
    runs.append(rare("check", "-e", "contry = 1", cache=cache, cwd=tmp_path))
    assert [(r.returncode, r.stdout, r.stderr) for r in runs] == [(1, runs[0].stdout, "")] * 3
    assert "RD101" in runs[0].stdout
