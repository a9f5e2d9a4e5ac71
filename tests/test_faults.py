"""Faults and bad input (issue 17), each run through the real CLI (`python -m rare_dsl`, a separate process)
on a temporary store: every case ends in a clear message with the right exit code and loses nothing.

The kill -9 and full-disk checks of imports live beside the features they guard (tests/test_lists.py,
tests/test_store.py); the cases here are the ones that broke.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import held_by_another_process, snapshot

from rare_dsl import lists
from rare_dsl.store import Store

ROOT = Path(__file__).resolve().parent.parent


def rare(*argv: str | Path, cwd: Path, preamble: str = "") -> subprocess.CompletedProcess[str]:
    """`rare ARGV` in a new process, in `cwd`; `preamble` is Python run first in that process (to set a
    resource limit, say)."""
    code = f"{preamble}\nimport sys\nfrom rare_dsl.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-c", code, *map(str, argv)], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120)


def clean(done: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" not in done.stderr and "internal error" not in done.stderr


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A store with one contact and a list "Leads" holding it."""
    path = tmp_path / "rare.duckdb"
    with Store.open(path, write=True) as store:
        lists.create_list(store, "Leads")
        lists.add(store, "Leads", ["known@shop.com"])
    return path


# --------------------------------------------------------------------- --rejects never destroys anything

# An input the import would refuse with another message if it were read (its quote never closes): the
# rejects message proves the guard ran before anything was read.
UNREADABLE = 'email,first_name\nuq1@example.com,"Ann\nuq2@example.com,Bob\n'


def _rejects_target(tmp_path: Path, shop: Path, source: Path, kind: str) -> tuple[Path, str]:
    """The --rejects path for each way of naming a file that must not be replaced, and the words of its
    message."""
    if kind == "store":
        return shop, "is the store:"
    if kind == "wal":
        return Path(f"{shop}.wal"), "is the store's write-ahead log"
    if kind == "input":
        return source, "is the file being imported:"
    if kind == "hard link to the input":
        os.link(source, tmp_path / "same.csv")
        return tmp_path / "same.csv", f"is the file being imported ({source}) under another name"
    if kind == "hard link to the store":
        os.link(shop, tmp_path / "store-link.csv")
        return tmp_path / "store-link.csv", f"is the store ({shop}) under another name"
    if kind == "symlink to the store":
        (tmp_path / "store-symlink.csv").symlink_to(shop)
        return tmp_path / "store-symlink.csv", "is the store ("
    if kind == "another DuckDB database":
        other = tmp_path / "other.duckdb"
        Store.open(other, write=True).close()
        return other, "is a DuckDB database"
    raise AssertionError(kind)


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
@pytest.mark.parametrize("kind", ["store", "wal", "input", "hard link to the input", "hard link to the store",
                                  "symlink to the store", "another DuckDB database"])
def test_rejects_that_would_destroy_a_file_are_refused_before_reading(tmp_path: Path, shop: Path, kind: str,
                                                                       dry_run: bool) -> None:
    source = tmp_path / "leads.csv"
    source.write_text(UNREADABLE, encoding="utf-8")
    target, words = _rejects_target(tmp_path, shop, source, kind)
    before, files = snapshot(shop), {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    done = rare("list", "import", "Leads", source, "--rejects", target, "--db", shop,
                *(["--dry-run"] if dry_run else []), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and "would destroy it" in done.stderr
    assert "quote" not in done.stderr  # refused before the file was read
    assert clean(done)
    assert done.stdout == ""
    assert snapshot(shop) == before
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == files


def test_rejects_is_the_default_store_too(tmp_path: Path, shop: Path) -> None:
    """Without --db the store is rare.duckdb in the working folder (or RARE_DB): still guarded."""
    source = tmp_path / "leads.csv"
    source.write_text("email\nbad@@x.com\n", encoding="utf-8")
    before = snapshot(shop)
    done = rare("list", "import", "Leads", "leads.csv", "--rejects", "./rare.duckdb", cwd=tmp_path)
    assert done.returncode == 2 and "is the store" in done.stderr and clean(done)
    assert snapshot(shop) == before


def test_rejects_in_a_missing_folder_are_refused_before_reading(tmp_path: Path, shop: Path) -> None:
    source = tmp_path / "leads.csv"
    source.write_text(UNREADABLE, encoding="utf-8")
    before = snapshot(shop)
    done = rare("list", "import", "Leads", source, "--rejects", tmp_path / "nowhere" / "rejects.csv", "--db", shop,
                cwd=tmp_path)
    assert done.returncode == 2 and f"the folder {tmp_path / 'nowhere'} does not exist" in done.stderr
    assert "quote" not in done.stderr and clean(done)
    assert snapshot(shop) == before


# A limit on the size of any file this process writes: writing the rejects fails midway with EFBIG, as on a
# full disk. SIGXFSZ would kill the process instead of failing the write.
SMALL_FILES = ("import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
               "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))")


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_a_failed_rejects_write_leaves_no_half_file(tmp_path: Path, shop: Path, dry_run: bool) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("email,notes\n" + "".join(f"bad{n}@@x.com,{'x' * 40}\n" for n in range(500))
                      + "good@x.com,ok\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    rejects.write_text("line,reason,email\n2,an earlier run,old@@x.com\n", encoding="utf-8")
    before, earlier = snapshot(shop), rejects.read_bytes()
    done = rare("list", "import", "Leads", source, "--rejects", rejects, "--db", shop,
                *(["--dry-run"] if dry_run else []), cwd=tmp_path, preamble=SMALL_FILES)
    assert done.returncode == 1, done.stderr
    assert f"cannot write the rejects file {rejects}: File too large" in done.stderr and clean(done)
    assert rejects.read_bytes() == earlier
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.csv", "rare.duckdb", "rejects.csv"]
    # The rejects are written before the import: it did not happen either.
    assert snapshot(shop) == before


def test_rejects_replace_an_old_file_only_when_the_import_is_done(tmp_path: Path, shop: Path) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("email\nnew@x.com\nbad@@x.com\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    rejects.write_text("an earlier run\n", encoding="utf-8")
    done = rare("list", "import", "Leads", source, "--rejects", rejects, "--db", shop, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert rejects.read_text(encoding="utf-8").splitlines() == [
        "line,reason,email", "3,The part after the @-sign contains invalid characters: '@'.,bad@@x.com"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.csv", "rare.duckdb", "rejects.csv"]


def test_an_import_that_fails_keeps_the_old_rejects_file(tmp_path: Path, shop: Path) -> None:
    """The rejects are ready before the store is opened for writing; when that fails (another process
    holds the store), the earlier rejects file stays and no temporary file is left."""
    source = tmp_path / "leads.csv"
    source.write_text("email\nnew@x.com\nbad@@x.com\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    rejects.write_text("an earlier run\n", encoding="utf-8")
    before = snapshot(shop)
    with held_by_another_process(shop, write=False):
        done = rare("list", "import", "Leads", source, "--rejects", rejects, "--db", shop, cwd=tmp_path)
    assert done.returncode == 1 and "open in another process" in done.stderr and clean(done)
    assert rejects.read_text(encoding="utf-8") == "an earlier run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.csv", "rare.duckdb", "rejects.csv"]
    assert snapshot(shop) == before


# ------------------------------------------------------------------------ an unclosed quote swallows nothing


@pytest.mark.parametrize(("text", "line", "words"), [
    ('email,first_name\nuq1@example.com,"Ann\nuq2@example.com,Bob\nuq3@example.com,Cy\n', 2, "in 2 more lines;"),
    ('email,first_name\nuq1@example.com,Ann\n"uq2@example.com,Bob', 3, "runs to the end of the file; nothing"),
    ('email,notes\na@x.com,"two\nlines"\nb@x.com,"open\n\nc@x.com,x\n', 4, "taking in 2 more lines"),
    ('email;first_name\r\nuq1@example.com;"Ann\r\nuq2@example.com;Bob\r\n', 2, "taking in 1 more line;"),
])
@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_an_unclosed_quote_is_an_error_at_its_line(tmp_path: Path, shop: Path, text: str, line: int, words: str,
                                                    dry_run: bool) -> None:
    source = tmp_path / "leads.csv"
    source.write_bytes(text.encode("utf-8"))
    before = snapshot(shop)
    for name in ("Leads", "A new list"):
        done = rare("list", "import", name, source, "--rejects", tmp_path / "rejects.csv", "--db", shop,
                    *(["--dry-run"] if dry_run else []), cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert f"{source}:{line}: a quote opens on line {line} and is never closed" in done.stderr
        assert words in done.stderr and "nothing was imported" in done.stderr and clean(done)
        assert done.stdout == ""
    assert snapshot(shop) == before  # no contact, no membership, no new list
    assert not (tmp_path / "rejects.csv").exists()


@pytest.mark.parametrize(("header", "named"), [
    ("email,Email", "`email` (column 1) and `Email` (column 2)"),
    ("Name;E-mail;courriel", "`E-mail` (column 2) and `courriel` (column 3)"),
    ("email,mail,Email Address", "`email` (column 1), `mail` (column 2) and `Email Address` (column 3)"),
    ("id,Work email,Home email", "`Work email` (column 2) and `Home email` (column 3)"),
])
def test_two_email_columns_are_an_error_naming_both(tmp_path: Path, shop: Path, header: str, named: str) -> None:
    delimiter = ";" if ";" in header else ","
    cells = header.split(delimiter)
    source = tmp_path / "leads.csv"
    source.write_text(header + "\n" + delimiter.join(f"p{n}@x.com" if n else "Ann" for n in range(len(cells)))
                      + "\n", encoding="utf-8")
    before = snapshot(shop)
    done = rare("list", "import", "Leads", source, "--db", shop, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"columns that {'both' if named.count('`') == 4 else 'all'} look like the email column" in done.stderr
    assert named in done.stderr and "--email-column" in done.stderr and clean(done)
    assert snapshot(shop) == before
    # Naming the column, by its exact name or its number, chooses it.
    last = cells[-1]
    done = rare("list", "import", "Leads", source, "--db", shop, "--email-column", last, "--format", "json",
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f'"email_column": "{last}"' in done.stdout
    with Store.open(shop) as reader:
        assert {m.email for m in lists.members(reader, "Leads")[1]} == {"known@shop.com", f"p{len(cells) - 1}@x.com"}
