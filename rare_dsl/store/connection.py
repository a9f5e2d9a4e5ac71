"""A connection to the embedded DuckDB store: opening it for reading or writing, creating its tables,
transactions, and the few facts every command asks (how many contacts, what the demo generated).

DuckDB lets one process write a database file, or any number of processes read it, never both: opening
takes a file lock, and a second process gets an IOException "Could not set lock on file". `Store.open`
waits a moment for the lock, then raises `StoreLocked` naming the other process. Reading commands open
read-only, so any number of them (a REPL, a count in another terminal) share the store.

A file is a store when DuckDB's header says it is a DuckDB database (`rare_dsl.store.files`) and it holds
the store's own table `rare_store`. Writing commands change nothing else: a DuckDB database of other
tables is refused with what it holds, and only `rare demo` and `rare list create` make a store, in a new
file or an empty database. Every connection is opened by `connect`, which never loads an extension.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shlex
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
from sqlglot import exp

from rare_dsl.schema import Schema, default_schema
from rare_dsl.store import tables
from rare_dsl.store.errors import StoreError, StoreLocked
from rare_dsl.store.files import broken_link, duckdb_problem, write_problem
from rare_dsl.store.location import Location, locate

# How long to wait for another process's lock before saying so: long enough to ride out a short command
# (a `rare list add` in another terminal), short enough that a person is not left staring at nothing.
DEFAULT_WAIT = 2.0
_LOCK_MESSAGE = "Could not set lock"
_HELD_BY = re.compile(r"\(PID (\d+)\)")
# DuckDB loads a known extension when a query or a file needs one, and downloads it when it is not installed
# (a SQLite file opened as a database needs sqlite_scanner). Nothing of rare needs one beyond those built
# into the wheel (parquet, json, icu), and no command may reach the network: every connection says so.
NO_EXTENSIONS = {"autoload_known_extensions": False, "autoinstall_known_extensions": False}
_NEW_STORE = "`rare list create NAME --db new.duckdb` starts an empty store, `rare demo --db new.duckdb` a demo shop"


def _db_option(location: Location) -> str:
    """` --db PATH` when the store was named with --db: the command a hint names must name it too, or it
    would make `rare.duckdb` here instead."""
    return f" --db {shlex.quote(location.given)}" if location.origin == "--db" else ""


def _make_store_hint(location: Location, *, where: str = "one") -> str:
    """The commands that make a store where there is none (no file, or an empty DuckDB database)."""
    db = _db_option(location)
    return f"`rare demo{db}` fills {where} with a demo shop; `rare list create NAME{db}` starts an empty store"


def _copy_in_hint(location: Location) -> str:
    """For a DuckDB database of other data: the reference tables can be copied in beside it, or a store made
    in another file."""
    given = location.given
    url = given if given.lower().startswith("duckdb:") else f"duckdb:///{location.path}"
    return (f"`rare load --db {shlex.quote(url)} --from PATH` copies the reference tables of a store (or of CSV or "
            f"Parquet files) into it; {_NEW_STORE}")


def connect(database: str | Path = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never loads or installs an extension: the only way rare opens one."""
    return duckdb.connect(str(database), read_only=read_only, config=dict(NO_EXTENSIONS))


class Store:
    """An open store. Use `Store.open(...)` as a context manager; SQL goes through `execute`, which takes
    sqlglot expressions (rendered for DuckDB) or constant SQL text, with values always as parameters."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, location: Location, schema: Schema,
                 read_only: bool) -> None:
        self.connection = connection
        self.location = location
        self.schema = schema
        self.read_only = read_only
        self._in_transaction = False

    # ------------------------------------------------------------------------------------------ opening

    @classmethod
    def open(cls, db: str | Path | Location | None = None, *, write: bool = False, schema: Schema | None = None,
             wait: float = DEFAULT_WAIT, environ: Mapping[str, str] | None = None, create: bool = True,
             reads: Sequence[str] = tables.TABLES) -> Store:
        """Open the store `db` names (see `locate`). `write=True` creates the file (unless `create` is
        false) and its tables if needed; reading needs an existing store and opens it read-only, with the
        logical tables in `reads` (default: all of them; `rare check --db` reads only customers). Raises
        StoreError, StoreLocked."""
        location = db if isinstance(db, Location) else locate(db, environ)
        schema = schema or default_schema()
        check_file(location, write=write, create=create)
        connection = _connect(location.path, read_only=not write, wait=wait)
        store = cls(connection, location, schema, read_only=not write)
        try:
            if write:
                store._check_writable_here(create)
                store._create_tables()
            else:
                store._check_tables(reads)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ running

    def execute(self, statement: exp.Expression | str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
                ) -> duckdb.DuckDBPyConnection:
        sql = statement.sql(dialect="duckdb") if isinstance(statement, exp.Expression) else statement
        return self.connection.execute(sql, parameters) if parameters is not None else self.connection.execute(sql)

    def scalar(self, statement: exp.Expression | str,
               parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
        row = self.execute(statement, parameters).fetchone()
        return row[0] if row else None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """All or nothing: everything inside commits together, or is rolled back when anything raises
        (KeyboardInterrupt included). Nested use joins the outer transaction."""
        if self._in_transaction:
            yield self
            return
        if self.read_only:
            raise StoreError(f"the store {self.location.path} is open read-only")
        self.connection.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield self
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                self.connection.execute("ROLLBACK")
            raise
        else:
            try:
                self.connection.execute("COMMIT")
            except duckdb.Error as error:
                with contextlib.suppress(duckdb.Error):
                    self.connection.execute("ROLLBACK")
                if not isinstance(error, (duckdb.IOException, duckdb.TransactionException)):
                    raise
                # Committing writes the write-ahead log: a folder or disk that refuses it fails here.
                raise StoreError(f"cannot write the store {self.location.path}: {_plain(str(error))}; nothing "
                                 "was changed", hint="check the free disk space, and that the store and its "
                                                     "folder can be written") from None
        finally:
            self._in_transaction = False

    # -------------------------------------------------------------------------------------------- names

    def table(self, logical: str) -> exp.Table:
        return tables.table(self.schema, logical)

    def column(self, logical_table: str, logical_column: str, alias: str | None = None) -> exp.Column:
        return tables.column(self.schema, logical_table, logical_column, alias)

    # -------------------------------------------------------------------------------------------- facts

    def total_contacts(self) -> int:
        return int(self.scalar(exp.select(exp.Count(this=exp.Star())).from_(self.table("customers"))))

    def row_counts(self) -> dict[str, int]:
        """Rows in each reference table, by logical name."""
        return {name: int(self.scalar(exp.select(exp.Count(this=exp.Star())).from_(self.table(name))))
                for name in tables.TABLES}

    def info(self) -> dict[str, str]:
        """The store's bookkeeping: format version, and what `rare demo` generated (demo_* keys)."""
        rows = self.execute(exp.select("key", "value").from_(exp.Table(this=tables.ident(tables.INFO_TABLE))))
        return {key: value for key, value in rows.fetchall()}

    def set_info(self, values: Mapping[str, str | None]) -> None:
        """Set (or, with None, remove) bookkeeping keys; call inside a transaction to keep it atomic."""
        info = exp.Table(this=tables.ident(tables.INFO_TABLE))
        for key, value in values.items():
            self.execute(exp.delete(info, where=exp.EQ(this=exp.column("key"), expression=exp.Placeholder())),
                         [key])
            if value is not None:
                values = exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder(), exp.Placeholder()])])
                self.execute(exp.insert(values, info.copy(), columns=["key", "value"]), [key, value])

    def now(self) -> dt.datetime:
        """The current instant as the store keeps time: naive UTC, to the microsecond."""
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)

    # ------------------------------------------------------------------------------------------ private

    def _create_tables(self) -> None:
        with self.transaction():
            for statement in tables.create_statements(self.schema):
                self.execute(statement)
            if "format" not in self.info():
                self.set_info({"format": tables.FORMAT_VERSION, "created_at": self.now().isoformat(sep=" ")})
        self._check_format()

    def _present(self) -> list[str]:
        """The tables and views of the database, sorted."""
        return sorted(row[0] for row in self.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary "
            "UNION SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
            "AND NOT temporary AND NOT internal").fetchall())

    def _check_writable_here(self, create: bool) -> None:
        """Refuse to write into a DuckDB database that is not a store: one of other tables (never changed),
        or an empty one, which only the commands that make a store (`create`) turn into one."""
        present = self._present()
        if tables.INFO_TABLE in present:
            return
        if present:
            raise StoreError(f"{self.location.path} is a DuckDB database, but not a rare store: it holds "
                             f"{_some(present)}; nothing was changed", hint=_copy_in_hint(self.location))
        if not create:
            raise StoreError(f"{self.location.path} is an empty DuckDB database, not a rare store yet",
                             hint=_make_store_hint(self.location, where="it"))

    def _check_tables(self, reads: Sequence[str]) -> None:
        listed = self._present()
        present = set(listed)
        if not any(self.schema.tables[name].name in present for name in tables.TABLES):
            if not listed:
                raise StoreError(f"{self.location.path} is an empty DuckDB database, not a rare store yet",
                                 hint=_make_store_hint(self.location, where="it"))
            raise StoreError(f"{self.location.path} is a DuckDB database, but not a rare store: it holds "
                             f"{_some(listed)}, none of the reference tables", hint=_copy_in_hint(self.location))
        # Only the tables this reader needs: a file holding just the customers table is enough for the lint.
        missing = [self.schema.tables[name].name for name in reads if self.schema.tables[name].name not in present]
        if missing:
            s = "s" if len(missing) > 1 else ""
            if tables.INFO_TABLE not in present:  # not a store: no command of rare will add them
                raise StoreError(f"{self.location.path} is a DuckDB database, but not a rare store: it lacks the "
                                 f"table{s} {', '.join(missing)}", hint=_NEW_STORE)
            raise StoreError(f"the store {self.location.path} lacks the table{s} {', '.join(missing)}",
                             hint=f"`rare list create NAME{_db_option(self.location)}` adds {'them' if s else 'it'} "
                                  "(as any command that writes to the store does)")
        if tables.INFO_TABLE in present:
            self._check_format()

    def _check_format(self) -> None:
        found = self.info().get("format", tables.FORMAT_VERSION)
        if found != tables.FORMAT_VERSION:
            raise StoreError(f"the store {self.location.path} has format {found}; this version of rare reads "
                             f"format {tables.FORMAT_VERSION}", hint="upgrade rare-dsl")


def check_file(location: Location, *, write: bool, create: bool = True) -> None:
    """Raise StoreError when the file `location` names cannot be opened as a store as asked, before DuckDB
    touches it: a folder, a missing store (for reading, or writing without `create`), a file that is not a
    DuckDB database, or one that cannot be written (for writing). `Store.open` calls it first; whatever
    reopens a store later (the REPL) can ask again the same way."""
    path = location.path
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file", hint="give a file path such as shop.duckdb",
                         usage=location.origin == "--db")
    broken = broken_link(path, missing_ok=write and create)  # making a store creates a link's missing file
    if broken is not None:
        raise StoreError(f"cannot open the store {path}: {broken}", usage=location.origin == "--db")
    if (not write or not create) and not path.exists():
        raise StoreError(f"there is no store at {path} yet", hint=_make_store_hint(location))
    if write and not path.parent.exists():
        raise StoreError(f"cannot create the store {path}: the folder {path.parent} does not exist")
    problem = duckdb_problem(path) if path.exists() else None
    if problem is not None:
        raise StoreError(f"{path} is not a DuckDB database file: {problem}",
                         hint="give another --db, or move the file away to start a new store")
    if write:
        problem = write_problem(path)
        if problem is not None:
            if path.exists():
                raise StoreError(f"cannot write the store {path}: {problem}; nothing was changed",
                                 hint="reading commands (rare count, rare list ls) still work on it; to change "
                                      "it, make it writable or copy it to a folder that is")
            raise StoreError(f"cannot create the store {path}: {problem}",
                             hint="give a path in a folder you can write")


def _connect(path: Path, *, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            return connect(path, read_only=read_only)
        except duckdb.IOException as error:
            text = str(error)
            if _LOCK_MESSAGE in text:
                if time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                raise _locked(path, text, read_only=read_only) from None
            if "not a valid DuckDB database file" in text:
                raise StoreError(f"{path} is not a DuckDB database file",
                                 hint="give another --db, or move the file away to start a new store") from None
            raise StoreError(f"cannot open the store {path}: {_plain(text)}") from None
        except duckdb.ConnectionException as error:
            # This process already holds the file in the other mode (DuckDB keeps one instance per file).
            raise StoreError(f"cannot open the store {path} {'for reading' if read_only else 'for writing'}: "
                             f"{_plain(str(error))}") from None
        except duckdb.Error as error:
            raise StoreError(f"cannot open the store {path}: {_plain(str(error))}") from None


def _some(names: Sequence[str], shown: int = 5) -> str:
    """`the table foo`, `the tables a, b, c and 4 more`."""
    listed = ", ".join(f"`{name}`" for name in names[:shown])
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"the table{'s' if len(names) > 1 else ''} {listed}{more}"


def _locked(path: Path, text: str, *, read_only: bool) -> StoreLocked:
    held = _HELD_BY.search(text)
    holder = f"another process (PID {held.group(1)}{_command_of(held.group(1))})" if held else "another process"
    if read_only:
        # Readers share the lock, so whoever holds it is writing.
        return StoreLocked(f"the store {path} is being written by {holder}",
                           hint="try again when it has finished; reading commands share the store with each other, "
                                "not with a writer")
    return StoreLocked(f"the store {path} is open in {holder}, so it cannot be written now",
                       hint="close the other program (a REPL, a running import or demo) and try again")


def _command_of(pid: str) -> str:
    """`: rare demo --contacts 1000000` for a process we can see (Linux /proc), else nothing."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    words = [w.decode(errors="replace") for w in raw.split(b"\0") if w]
    # `python -m rare_dsl list ...` and `.../bin/rare list ...` both read best as `rare list ...`.
    for index, word in enumerate(words):
        if word == "rare_dsl" and index and words[index - 1] == "-m":
            words = ["rare", *words[index + 1 :]]
            break
        if Path(word).name == "rare":
            words = ["rare", *words[index + 1 :]]
            break
    shown = " ".join(" ".join(words).split())  # `python -c "..."` spans lines: one line in a message
    return f": {shown[:80]}{'…' if len(shown) > 80 else ''}" if shown else ""


def _plain(text: str) -> str:
    """DuckDB's message without its class prefix ("IO Error: ...")."""
    return re.sub(r"^[A-Za-z ]*Error: ", "", text).strip()
