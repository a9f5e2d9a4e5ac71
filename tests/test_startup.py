"""What keeps `rare` quick to start (docs/performance.md, "Start-up"), checked without timing anything:

- the parser cache: the grammar's tables are saved once and loaded by later processes, and a damaged,
  stale or unwritable cache never breaks parsing;
- the import discipline: each command imports what it needs and no more. `rare compile` never loads the
  store's engine (DuckDB), the terminal libraries (rich, prompt_toolkit) or the server drivers; `rare
  --help` loads neither the compiler (sqlglot) nor the parser (lark); `import rare_dsl` loads nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import lark
import pytest

import rare_dsl
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


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="platformdirs itself answers there")
@pytest.mark.parametrize("xdg", [None, "/somewhere/cache", "relative/cache", ""])
def test_the_cache_folder_is_the_one_platformdirs_names(monkeypatch: pytest.MonkeyPatch, xdg: str | None):
    import platformdirs

    monkeypatch.delenv(grammar_cache.ENVIRONMENT, raising=False)
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert grammar_cache.cache_dir() == Path(platformdirs.user_cache_dir("rare-dsl", appauthor=False))


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


# ------------------------------------------------------------------------------------- import discipline

# Never needed to compile a rule: the store's engine, the terminal libraries, the server drivers, CSV
# import's address validation, the test-only libraries.
NOT_FOR_COMPILING = {"duckdb", "rich", "prompt_toolkit", "pygments", "psycopg", "pymysql", "email_validator",
                     "hypothesis", "pytest"}
WATCHED = NOT_FOR_COMPILING | {"sqlglot", "lark", "platformdirs"}

_PROBE = """
import contextlib, io, json, sys
from rare_dsl.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(sys.argv[1:])
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.stdin.read())))
print(json.dumps({"code": code, "loaded": loaded}))
"""


def loaded_by(*args: str, cwd: Path) -> tuple[int, set[str]]:
    """The watched top-level packages a fresh `rare ARGS` process has imported when it is done."""
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], input=json.dumps(sorted(WATCHED)),
                          capture_output=True, text=True, cwd=cwd, timeout=120, check=True)
    result = json.loads(done.stdout.splitlines()[-1])
    return result["code"], set(result["loaded"])


def test_rare_compile_loads_only_the_compiler(tmp_path: Path):
    code, loaded = loaded_by("compile", "-e", RULE, "--dialect", "duckdb", cwd=tmp_path)
    assert code == 0
    assert loaded & NOT_FOR_COMPILING == set()
    assert {"sqlglot", "lark"} <= loaded


@pytest.mark.parametrize("args", [
    pytest.param(["--help"], id="help"),
    pytest.param(["compile", "--help"], id="compile --help"),
    pytest.param(["demo", "--help"], id="demo --help"),
])
def test_help_loads_neither_the_compiler_nor_the_parser(tmp_path: Path, args: list[str]):
    code, loaded = loaded_by(*args, cwd=tmp_path)
    assert code == 0
    assert loaded == set()


@pytest.mark.parametrize("args", [
    pytest.param(["check", str(EXAMPLES)], id="check"),
    pytest.param(["check", "-e", RULE], id="check -e"),
    pytest.param(["fmt", "--check", str(EXAMPLES)], id="fmt --check"),
    pytest.param(["segments", str(EXAMPLES)], id="segments"),
])
def test_checking_and_formatting_load_no_compiler(tmp_path: Path, args: list[str]):
    code, loaded = loaded_by(*args, cwd=tmp_path)
    assert code == 0
    assert loaded <= {"lark", "platformdirs"}


def test_importing_the_package_loads_nothing_until_a_name_is_used(tmp_path: Path):
    probe = ("import sys, rare_dsl; print(sorted(m for m in sys.modules if m.startswith(('rare_dsl', 'sqlglot', "
             "'lark', 'duckdb'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          check=True)
    assert done.stdout.strip() == "['rare_dsl']"


def test_the_public_names_are_still_there():
    for name in rare_dsl.__all__:
        assert getattr(rare_dsl, name) is not None
    assert set(rare_dsl.__all__) <= set(dir(rare_dsl))
    with pytest.raises(AttributeError):
        rare_dsl.no_such_name  # noqa: B018


def test_check_is_the_function_even_when_the_module_was_imported_first(tmp_path: Path):
    # Importing the submodule `rare_dsl.check` sets the package's attribute of that name; the package keeps
    # the public function instead, as it did when it imported everything up front.
    probe = ("import rare_dsl.check, rare_dsl.compiler\nfrom rare_dsl import check\nimport rare_dsl\n"
             "print(callable(check), check is rare_dsl.check, check.__module__)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          check=True)
    assert done.stdout.split() == ["True", "True", "rare_dsl.check"]
