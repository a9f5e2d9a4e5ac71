"""Faults around the store and the files rare is given (issue 17, items 7 to 10), each through the real CLI
(`python -m rare_dsl ...` in a subprocess) on a temporary store: the message, the exit code, and that
nothing changed (the file's bytes, its tables, no file left beside it).

- A DuckDB database that is not a rare store is never changed: writing commands refuse it with the tables
  it holds; reading commands say it is not a store.
- A file that is not DuckDB (SQLite, CSV, empty, random bytes) is named for what it is, and no DuckDB
  connection rare opens ever loads or downloads an extension.
- A store that cannot be written (its folder refuses the write-ahead log, or the file is read-only) is
  refused before anything is done, naming the file and the reason, never an "internal error". Tests run
  as root here, and root writes through permission bits: `unwritable` makes a file or folder immutable
  with `chattr +i`, which refuses root too, and falls back to permission bits for other users.
- A lone surrogate in a rule given to the Python API is RD901 at its span, as on the command line; a
  symbolic link that leads nowhere says so when named, and is an RW901 warning when met in a folder.
- What already held stays true: a full disk (a file-size limit, which binds root too) or `kill -9` in the
  middle of a write leaves the store holding exactly what it held.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import snapshot

import rare_dsl
from rare_dsl import RuleError
from rare_dsl.store import Store, StoreError
from rare_dsl.store.connection import connect

ROOT = Path(__file__).resolve().parent.parent


HOME: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The commands' home folder: where DuckDB would install an extension if it ever tried (and where the
    parser's cache goes), away from the folders whose files the tests compare."""
    HOME[:] = [tmp_path_factory.mktemp("home")]
    return HOME[0]


def rare(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`rare ARGS` in a process of its own, in `cwd`."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "HOME": str(HOME[0])}
    environment.pop("RARE_DB", None)
    return subprocess.run([sys.executable, "-m", "rare_dsl", *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=120)


def state(folder: Path) -> dict[str, str]:
    """Every file of the folder and a digest of its bytes: equal states, nothing changed."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def tables_of(path: Path) -> list[str]:
    with contextlib.closing(connect(path, read_only=True)) as connection:
        return [row[0] for row in connection.execute(
            "SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall()]


def make_store(path: Path) -> Path:
    """A small rare store with one list of one contact."""
    for argv in (["list", "create", "Leads"], ["list", "add", "Leads", "ann@example.com"]):
        done = rare(*argv, "--db", path.name, cwd=path.parent)
        assert done.returncode == 0, done.stderr
    return path


# --------------------------------------------------------------------- 7. a database that is not a store

WRITING = [
    ["list", "create", "Leads"],
    ["list", "add", "Leads", "ann@example.com"],
    ["list", "remove", "Leads", "ann@example.com"],
    ["list", "delete", "Leads"],
    ["list", "import", "Leads", "people.csv"],
    ["list", "snapshot", "Leads", "--segment", 'country = "France"'],
    ["demo", "--contacts", "10"],
    ["demo", "--contacts", "10", "--force"],
]
READING = [
    ["list", "ls"],
    ["list", "show", "Leads"],
    ["count", "-e", 'country = "France"'],
    ["sample", "-e", 'country = "France"'],
    ["explain", "-e", 'country = "France"'],
    ["breakdown", "-e", 'country = "France"', "--by", "city"],
]


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    """A DuckDB database of someone else's: the table `foo` and nothing else."""
    path = tmp_path / "other.duckdb"
    with contextlib.closing(connect(path)) as connection:
        connection.execute("CREATE TABLE foo (x INTEGER)")
        connection.execute("INSERT INTO foo VALUES (1), (2)")
    (tmp_path / "people.csv").write_text("email\nann@example.com\n")
    return path


@pytest.mark.parametrize("argv", WRITING, ids=" ".join)
def test_a_writing_command_never_changes_a_database_that_is_not_a_store(foreign: Path, argv: list[str]) -> None:
    before = state(foreign.parent)
    done = rare(*argv, "--db", foreign.name, cwd=foreign.parent)
    assert done.returncode == 1, done.stdout + done.stderr
    message, hint = done.stderr.splitlines()
    # `list import` reads the store before it writes: it is told so by the reading check.
    assert message.startswith(f"rare {argv[0]}: other.duckdb is a DuckDB database, but not a rare store: it holds "
                              "the table `foo`")
    assert hint == ("  help: `rare load --db duckdb:///other.duckdb --from PATH` copies the reference tables of a "
                    "store (or of CSV or Parquet files) into it; `rare list create NAME --db new.duckdb` starts an "
                    "empty store, `rare demo --db new.duckdb` a demo shop")
    assert state(foreign.parent) == before
    assert tables_of(foreign) == ["foo"]


@pytest.mark.parametrize("argv", READING, ids=" ".join)
def test_a_reading_command_says_a_database_is_not_a_store(foreign: Path, argv: list[str]) -> None:
    before = state(foreign.parent)
    done = rare(*argv, "--db", foreign.name, cwd=foreign.parent)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith(f"rare {argv[0]}: other.duckdb is a DuckDB database, but not a rare store: it "
                                  "holds the table `foo`, none of the reference tables\n")
    assert "rare list create NAME --db new.duckdb" in done.stderr
    assert state(foreign.parent) == before


def test_the_repl_says_a_database_is_not_a_store(foreign: Path) -> None:
    """The REPL opens the store read-only: it says what the file is, and goes on checking rules."""
    before = state(foreign.parent)
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "HOME": str(HOME[0])}
    done = subprocess.run([sys.executable, "-m", "rare_dsl", "repl", "--db", foreign.name], cwd=foreign.parent,
                          env=environment, input='country = "France"\n', capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("other.duckdb is a DuckDB database, but not a rare store: it holds the table "
                                  "`foo`, none of the reference tables")
    assert "The rule is valid." in done.stdout
    assert state(foreign.parent) == before


def test_a_database_of_other_tables_of_the_same_names_is_not_a_store(tmp_path: Path) -> None:
    """Someone's own `customers` and `orders`: `rare list create` once added the eight tables it lacked,
    after which every command failed on the columns it did not have."""
    path = tmp_path / "shop.duckdb"
    with contextlib.closing(connect(path)) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER, name VARCHAR)")
        connection.execute("CREATE TABLE orders (id INTEGER)")
    before = state(tmp_path)
    done = rare("list", "create", "Leads", "--db", "shop.duckdb", cwd=tmp_path)
    assert done.returncode == 1
    assert "shop.duckdb is a DuckDB database, but not a rare store: it holds the tables `customers`, `orders`; " \
           "nothing was changed" in done.stderr
    done = rare("count", "-e", 'country = "France"', "--db", "shop.duckdb", cwd=tmp_path)
    assert done.returncode == 1
    assert "shop.duckdb is a DuckDB database, but not a rare store: it lacks the tables customer_tags, " \
           "order_items," in done.stderr
    assert "Error" not in done.stderr  # no BinderException, no internal error
    assert state(tmp_path) == before
    assert tables_of(path) == ["customers", "orders"]


def test_many_tables_are_summed_up(tmp_path: Path) -> None:
    path = tmp_path / "big.duckdb"
    with contextlib.closing(connect(path)) as connection:
        for name in "abcdefgh":
            connection.execute(f"CREATE TABLE {name} (x INTEGER)")
    done = rare("demo", "--contacts", "10", "--db", "big.duckdb", cwd=tmp_path)
    assert done.returncode == 1
    assert "it holds the tables `a`, `b`, `c`, `d`, `e` and 3 more; nothing was changed" in done.stderr


def test_a_new_file_or_an_empty_database_becomes_a_store_only_by_a_command_that_makes_one(tmp_path: Path) -> None:
    done = rare("list", "create", "Leads", "--db", "new.duckdb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "lists" in tables_of(tmp_path / "new.duckdb")

    empty = tmp_path / "empty.duckdb"
    connect(empty).close()
    before = state(tmp_path)
    done = rare("list", "add", "Leads", "ann@example.com", "--db", "empty.duckdb", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == "rare list: empty.duckdb is an empty DuckDB database, not a rare store yet"
    assert state(tmp_path) == before
    done = rare("demo", "--contacts", "10", "--db", "empty.duckdb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "rare_store" in tables_of(empty)


def _without_a_table(path: Path) -> None:
    make_store(path)
    with contextlib.closing(connect(path)) as connection:
        connection.execute("DROP TABLE refunds")


def _other_tables(path: Path) -> None:
    with contextlib.closing(connect(path)) as connection:
        connection.execute("CREATE TABLE foo (x INTEGER)")


# (id, how the file named by --db is prepared, the first command the hint names, run with NAME and PATH filled in).
HINTED = [
    ("no-file", lambda path: None, "rare demo --db shop.duckdb"),
    ("empty-database", lambda path: connect(path).close(), "rare demo --db shop.duckdb"),
    ("store-without-a-table", _without_a_table, "rare list create NAME --db shop.duckdb"),
    ("database-of-other-tables", _other_tables, "rare load --db duckdb:///shop.duckdb --from PATH"),
]


@pytest.mark.parametrize(("prepare", "command"), [pytest.param(*row[1:], id=row[0]) for row in HINTED])
def test_the_hint_names_the_command_that_makes_the_tables(tmp_path: Path, prepare, command: str) -> None:
    """Run as the hint says (NAME and PATH filled in), the command makes what the count lacked."""
    prepare(tmp_path / "shop.duckdb")
    done = rare("count", "-e", 'country = "France"', "--db", "shop.duckdb", cwd=tmp_path)
    assert done.returncode == 1
    named = re.findall(r"`(rare [^`]+)`", done.stderr.splitlines()[-1])
    assert named[0] == command
    source = make_store(tmp_path / "source.duckdb")
    argv = [{"NAME": "Newsletter", "PATH": source.name}.get(word, word) for word in command.split()[1:]]
    if argv[0] == "demo":
        argv += ["--contacts", "10"]
    made = rare(*argv, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    done = rare("count", "-e", 'country = "France"', "--db", "shop.duckdb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"[\d,]+ of [\d,]+ contacts \([^)]*\)\n", done.stdout)


def test_a_hint_names_the_store_as_it_was_given(tmp_path: Path) -> None:
    done = rare("list", "ls", "--db", "my shop.duckdb", cwd=tmp_path)
    assert done.stderr.splitlines()[-1] == ("  help: `rare demo --db 'my shop.duckdb'` fills one with a demo shop; "
                                            "`rare list create NAME --db 'my shop.duckdb'` starts an empty store")
    done = rare("list", "ls", cwd=tmp_path)  # rare.duckdb here: the commands need no --db
    assert done.stderr.splitlines()[-1] == ("  help: `rare demo` fills one with a demo shop; `rare list create NAME` "
                                            "starts an empty store")


def test_a_store_keeps_working(tmp_path: Path) -> None:
    """The check lets a store through, other tables of its own included."""
    store = make_store(tmp_path / "shop.duckdb")
    with contextlib.closing(connect(store)) as connection:
        connection.execute("CREATE TABLE notes (x INTEGER)")
    done = rare("list", "add", "Leads", "bob@example.com", "--db", "shop.duckdb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = rare("list", "ls", "--db", "shop.duckdb", cwd=tmp_path)
    assert "Leads        2 contacts" in done.stdout.replace("  ", "  ")


def test_loading_into_a_store_is_refused(tmp_path: Path) -> None:
    """`rare load --replace` into a store replaced its tables (keys, lists) with a copy for counting."""
    store = make_store(tmp_path / "shop.duckdb")
    source = make_store(tmp_path / "source.duckdb")
    before = state(tmp_path)
    done = rare("load", "--db", f"duckdb:///{store.name}", "--from", source.name, "--replace", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == ("rare load: duckdb:///shop.duckdb is a rare store, not an engine's copy: `rare load` "
                           "would replace its tables; give another file (rare commands read the store as it is)\n")
    assert state(tmp_path) == before


# --------------------------------------------------------------------------- 8. a file that is not DuckDB


def sqlite_file(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE customers (email TEXT)")
        connection.commit()


NOT_DUCKDB = [
    pytest.param(sqlite_file, "it is a SQLite database", id="sqlite"),
    pytest.param(lambda p: p.write_text("email,first_name\nann@example.com,Ann\n"), "it holds text (a CSV file?)",
                 id="csv"),
    pytest.param(lambda p: p.write_bytes(b""), "it is empty", id="empty"),
    pytest.param(lambda p: p.write_bytes(bytes(range(256)) * 40), "its first bytes are not those of a DuckDB database",
                 id="random bytes"),
    pytest.param(lambda p: p.write_bytes(b"PAR1" + b"\x00" * 100), "it is a Parquet file", id="parquet"),
]
# Each kind of file named shop.duckdb, and the CSV file by its own name too (DuckDB goes by the name).
FILES = [pytest.param("shop.duckdb", *case.values, id=case.id) for case in NOT_DUCKDB] + [
    pytest.param("people.csv", *NOT_DUCKDB[1].values, id="csv named .csv")]


@pytest.mark.parametrize(("name", "make", "what"), FILES)
@pytest.mark.parametrize("argv", [["list", "create", "Leads"], ["list", "ls"], ["count", "-e", 'city = "Paris"'],
                                  ["demo", "--contacts", "10", "--force"]], ids=lambda a: " ".join(a[:2]))
def test_a_file_that_is_not_duckdb(tmp_path: Path, name: str, make, what: str, argv: list[str]) -> None:
    """By the name `.csv`, DuckDB opened a CSV file as an in-memory database: `rare list create` said it had
    made the list, and nothing was kept. A SQLite file made it download the sqlite extension."""
    path = tmp_path / name
    make(path)
    before = state(tmp_path)
    done = rare(*argv, "--db", name, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"rare {argv[0]}: {name} is not a DuckDB database file: {what}",
        "  help: give another --db, or move the file away to start a new store",
    ]
    assert state(tmp_path) == before
    assert not (HOME[0] / ".duckdb").exists()  # no extension was installed


def test_rare_check_db_names_what_the_file_is(tmp_path: Path) -> None:
    sqlite_file(tmp_path / "shop.db")
    done = rare("check", "--db", "shop.db", "-e", 'city = "Paris"', cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("error[RD901]: cannot read database `shop.db`: shop.db is not a DuckDB database "
                                  "file: it is a SQLite database\n")


def test_load_names_what_the_file_is(tmp_path: Path) -> None:
    store = make_store(tmp_path / "shop.duckdb")
    sqlite_file(tmp_path / "lite.db")
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    before = state(tmp_path)
    done = rare("load", "--db", "duckdb:///lite.db", "--from", store.name, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (1, "rare load: cannot connect to duckdb:///lite.db: lite.db is not a "
                                                 "DuckDB database file: it is a SQLite database\n")
    # Loaded into a CSV file's in-memory database, the rows were lost after "Loaded 3 rows".
    done = rare("load", "--db", "duckdb:///notes.csv", "--from", store.name, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (1, "rare load: cannot connect to duckdb:///notes.csv: notes.csv is not "
                                                 "a DuckDB database file: it holds text (a CSV file?)\n")
    done = rare("load", "--db", "duckdb:///copy.duckdb", "--from", "lite.db", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == ("rare load: lite.db is not a DuckDB database or a folder of CSV or Parquet files: it is "
                           "a SQLite database\n")
    assert {k: v for k, v in state(tmp_path).items() if k != "copy.duckdb"} == before


def test_no_connection_loads_an_extension(tmp_path: Path) -> None:
    """Every connection rare opens turns off DuckDB's autoloading and autoinstalling of extensions."""
    from rare_dsl.engines import connect as engine

    settings = ("SELECT current_setting('autoload_known_extensions'), "
                "current_setting('autoinstall_known_extensions')")
    with Store.open(tmp_path / "shop.duckdb", write=True) as store:
        assert store.execute(settings).fetchone() == (False, False)
    with Store.open(tmp_path / "shop.duckdb") as store:
        assert store.execute(settings).fetchone() == (False, False)
    with contextlib.closing(engine(f"duckdb:///{tmp_path / 'copy.duckdb'}").connection) as connection:
        assert connection.execute(settings).fetchone() == (False, False)
    with contextlib.closing(connect()) as connection:
        assert connection.execute(settings).fetchone() == (False, False)


def test_every_duckdb_connection_is_opened_by_connect() -> None:
    """The settings above hold for every connection because rare opens DuckDB in one place only."""
    opened = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "rare_dsl").rglob("*.py"))
              for line in path.read_text(encoding="utf-8").splitlines()
              if re.search(r"\bduckdb\.connect\(|from duckdb import .*\bconnect\b", line)]
    assert opened == ["rare_dsl/store/connection.py"]  # in `connect`, with NO_EXTENSIONS


# -------------------------------------------------------------------------- 9. a store that cannot be written


@contextlib.contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """`path` (a file or a folder) refuses writes, for root too: immutable (`chattr +i`, which root cannot
    write through either), else, for another user, without write permission. Skips when neither holds."""
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    if os.geteuid() == 0:
        pytest.skip("running as root without `chattr +i` (missing, or the file system lacks it): root writes "
                    "through permission bits, so a read-only store cannot be made here")
    mode = path.stat().st_mode
    path.chmod(mode & ~0o222)
    try:
        yield
    finally:
        path.chmod(mode)


@pytest.mark.parametrize("argv", [
    ["list", "create", "Other"], ["list", "add", "Leads", "bob@example.com"],
    ["list", "import", "Leads", "../people.csv"], ["demo", "--contacts", "10", "--force"],
], ids=lambda a: " ".join(a[:2]))
def test_a_store_whose_folder_refuses_the_write_ahead_log(tmp_path: Path, argv: list[str]) -> None:
    """It ended in "internal error: TransactionException: Failed to commit: Cannot open file ...wal"."""
    folder = tmp_path / "shared"
    folder.mkdir()
    make_store(folder / "shop.duckdb")
    (tmp_path / "people.csv").write_text("email\nbob@example.com\n")
    before = state(tmp_path)
    with unwritable(folder):
        done = rare(*argv, "--db", "shop.duckdb", cwd=folder)
        listed = rare("list", "ls", "--db", "shop.duckdb", cwd=folder)
    assert done.returncode == 1, done.stdout + done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"rare {argv[0]}: cannot write the store shop.duckdb: the folder . does not let its "
                            "write-ahead log shop.duckdb.wal be created (")
    assert first.endswith("); nothing was changed")
    assert "internal error" not in done.stderr
    assert state(tmp_path) == before
    assert listed.returncode == 0 and "Leads" in listed.stdout  # reading still works


def test_a_read_only_store_file(tmp_path: Path) -> None:
    store = make_store(tmp_path / "shop.duckdb")
    before = state(tmp_path)
    with unwritable(store):
        done = rare("list", "add", "Leads", "bob@example.com", "--db", "shop.duckdb", cwd=tmp_path)
        shown = rare("list", "show", "Leads", "--db", "shop.duckdb", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("rare list: cannot write the store shop.duckdb: the file shop.duckdb cannot be "
                                  "written (")
    assert "  help: reading commands (rare count, rare list ls) still work on it" in done.stderr
    assert shown.returncode == 0 and "ann@example.com" in shown.stdout
    assert state(tmp_path) == before


def test_a_new_store_in_a_folder_that_refuses_it(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    with unwritable(folder):
        done = rare("demo", "--contacts", "10", "--db", "locked/shop.duckdb", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("rare demo: cannot create the store locked/shop.duckdb: the folder locked does "
                                  "not let the file shop.duckdb be created (")
    assert list(folder.iterdir()) == []


def test_a_commit_the_folder_refuses_is_a_store_error(tmp_path: Path) -> None:
    """The folder turns read-only while the store is open: the commit fails, and nothing is kept."""
    folder = tmp_path / "shared"
    folder.mkdir()
    path = make_store(folder / "shop.duckdb")
    before = state(tmp_path)
    with Store.open(path, write=True) as store:
        with unwritable(folder), pytest.raises(StoreError, match=r"cannot write the store .*shop\.duckdb: Failed to "
                                                                  r"commit: .*shop\.duckdb\.wal.*; nothing was "
                                                                  "changed"), store.transaction():
            store.execute("INSERT INTO lists VALUES (99, 'Later', now())")
        assert store.row_counts()["lists"] == 1
    assert state(tmp_path) == before


# ------------------------------------------------------------------- 10. lone surrogates, symbolic links

SURROGATE = 'city = "\ud800"'


@pytest.mark.parametrize("call", [rare_dsl.check, rare_dsl.compile, rare_dsl.parse, rare_dsl.format_rule],
                         ids=lambda f: f.__name__)
def test_the_api_refuses_a_lone_surrogate_at_its_span(call) -> None:
    with pytest.raises(RuleError) as caught:
        call(SURROGATE)
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.message) == ("RD901", "cannot read the rule: it is not UTF-8 text")
    assert (diagnostic.span.start, diagnostic.span.end) == (8, 9)
    assert rare_dsl.render([diagnostic], color=False)  # renders, though the text cannot be encoded


@pytest.mark.parametrize("call", [rare_dsl.parse_file, rare_dsl.format_file,
                                  lambda text, name: rare_dsl.check_project([(text, name)])],
                         ids=["parse_file", "format_file", "check_project"])
def test_the_api_refuses_a_rule_file_holding_a_lone_surrogate(call) -> None:
    text = f"segment a:\n    {SURROGATE}\n"
    with pytest.raises(RuleError) as caught:
        call(text, name="a.rare")
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.message) == ("RD901", "cannot read `a.rare`: it is not UTF-8 text")
    assert diagnostic.location() == (2, 13)


def test_the_cli_says_the_same_of_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable.encode(), b"-m", b"rare_dsl", b"check", b"-e", b'city = "\xed\xa0\x80"'],
                          cwd=ROOT, capture_output=True, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 1
    assert done.stdout.decode().startswith(
        "error[RD901]: cannot read the rule: it is not UTF-8 text\n --> <rule>:1:9\n")


@pytest.fixture
def links(tmp_path: Path) -> Path:
    folder = tmp_path / "segments"
    folder.mkdir()
    (folder / "france.rare").write_text('segment french:\n    country = "France"\n')
    (folder / "loop.rare").symlink_to("loop.rare")
    (folder / "gone.rare").symlink_to("missing.rare")
    return tmp_path


@pytest.mark.parametrize("command", ["check", "fmt", "compile", "segments"])
@pytest.mark.parametrize(("name", "why"), [
    ("loop.rare", "it is a symbolic link that leads back to itself"),
    ("gone.rare", "it is a symbolic link to `missing.rare`, which does not exist"),
])
def test_a_link_that_leads_nowhere_given_as_a_path(links: Path, command: str, name: str, why: str) -> None:
    done = rare(command, f"segments/{name}", cwd=links)
    assert done.returncode == 1
    assert f"error[RD901]: cannot read `segments/{name}`: {why}\n" in done.stdout


def test_a_link_that_leads_nowhere_in_a_folder_is_a_warning(links: Path) -> None:
    before = state(links)
    checked = rare("check", "segments", cwd=links)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout == (
        "warning[RW901]: skipped `segments/gone.rare`: it is a symbolic link to `missing.rare`, which does not exist\n"
        " --> segments/gone.rare\n  |\n  = help: remove the link, or point it at a rule file\n"
        "warning[RW901]: skipped `segments/loop.rare`: it is a symbolic link that leads back to itself\n"
        " --> segments/loop.rare\n  |\n  = help: remove the link, or point it at a rule file\n"
        "Found 2 warnings in 1 segment in 1 file.\n")
    formatted = rare("fmt", "--check", "segments", cwd=links)
    assert formatted.returncode == 0, formatted.stdout
    assert formatted.stdout.count("warning[RW901]") == 2
    assert formatted.stdout.endswith("1 file already formatted.\n")
    compiled = rare("compile", "segments", cwd=links)
    assert compiled.returncode == 0, compiled.stderr
    assert compiled.stdout.startswith("-- segment french")
    assert "RW901" not in compiled.stdout and compiled.stderr.count("warning[RW901]") == 2
    assert state(links) == before


@pytest.mark.parametrize("argv", [["list", "ls"], ["list", "create", "Leads"], ["count", "-e", 'city = "Paris"']],
                         ids=lambda a: " ".join(a[:2]))
def test_a_store_path_that_is_a_link_to_itself(tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "shop.duckdb").symlink_to("shop.duckdb")
    done = rare(*argv, "--db", "shop.duckdb", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2, f"rare {argv[0]}: cannot open the store shop.duckdb: it is a symbolic link that leads back to itself\n")
    assert [p.name for p in tmp_path.iterdir()] == ["shop.duckdb"]



def test_rare_check_db_names_a_link_to_itself(tmp_path: Path) -> None:
    (tmp_path / "shop.duckdb").symlink_to("shop.duckdb")
    done = rare("check", "--db", "shop.duckdb", "-e", 'city = "Paris"', cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("error[RD901]: cannot read database `shop.duckdb`: it is a symbolic link that "
                                  "leads back to itself\n")


def test_the_repl_loads_a_folder_with_a_link_that_leads_nowhere(links: Path) -> None:
    import io

    from rich.console import Console

    from rare_dsl.repl.session import Repl, Settings
    from rare_dsl.schema import default_schema

    repl = Repl(Settings(default_schema()), console=Console(file=io.StringIO(), width=120, color_system=None))
    try:
        repl.handle(f":load {links / 'segments'}")
        shown = repl.console.file.getvalue()
    finally:
        repl.close()
    assert shown.count("warning[RW901]") == 2
    assert shown.endswith("Loaded 1 file: 1 segments in all.\n")


def test_rw901_cannot_be_suppressed_in_a_rule() -> None:
    [warning] = rare_dsl.check('city = "x"  # rare: ignore[RW901]').warnings
    assert (warning.code, warning.message) == ("RW405", "`RW901` is about files, not rules: it cannot be suppressed")


# ------------------------------------------------------------ the faults that already held, kept true


def test_a_full_disk_during_a_write_keeps_the_store(tmp_path: Path) -> None:
    """A file-size limit (which refuses root too) stands for a full disk: `rare demo --force` fails in one
    line, and the store still holds what it held."""
    store = make_store(tmp_path / "shop.duckdb")
    before = snapshot(store)

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (store.stat().st_size + 400_000,) * 2)

    environment = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(HOME[0])}
    done = subprocess.run([sys.executable, "-m", "rare_dsl", "demo", "--contacts", "20000", "--force", "--db",
                           store.name], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120,
                          preexec_fn=limited)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "File too large" in done.stderr and "the store is as it was" in done.stderr
    assert "internal error" not in done.stderr
    assert snapshot(store) == before


def test_kill_9_during_a_write_keeps_the_store(tmp_path: Path) -> None:
    store = make_store(tmp_path / "shop.duckdb")
    before = snapshot(store)
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(HOME[0])}
    process = subprocess.Popen([sys.executable, "-m", "rare_dsl", "demo", "--contacts", "1M", "--force", "--db",
                                store.name], cwd=tmp_path, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    time.sleep(2.0)
    assert process.poll() is None, "the demo ended before it could be killed"
    process.kill()
    process.wait(timeout=30)
    assert snapshot(store) == before
    done = rare("list", "show", "Leads", "--db", store.name, cwd=tmp_path)
    assert done.returncode == 0 and "ann@example.com" in done.stdout
