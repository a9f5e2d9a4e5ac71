"""What the store, demo and list tests share: a snapshot of a store's rows, and a second process that
holds a store open (DuckDB's file lock is per process, so only a real process can test it)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rare_dsl.store.connection import connect

ROOT = Path(__file__).resolve().parent.parent


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the store, sorted: equal snapshots are equal stores."""
    connection = connect(str(path), read_only=True)
    try:
        names = [row[0] for row in connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name").fetchall()]
        return {name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}
    finally:
        connection.close()


@contextlib.contextmanager
def held_by_another_process(path: Path, *, write: bool) -> Iterator[int]:
    """A second Python process with the store open (for writing, or read-only) until the block ends;
    yields its PID."""
    code = textwrap.dedent(f"""
        import sys
        from rare_dsl.store import Store
        store = Store.open({str(path)!r}, write={write!r})
        print("ready", flush=True)
        sys.stdin.readline()
        store.close()
    """)
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "ready", process.stderr.read() if process.stderr else line
        yield process.pid
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def rows_of(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of the store's reference tables as dictionaries, keyed by physical table and column names:
    the input of the reference evaluator (`rare_dsl.evaluate`) and of `testdata.load_sqlite`."""
    from rare_dsl.store import tables

    connection = connect(str(path), read_only=True)
    try:
        found: dict[str, list[dict[str, Any]]] = {}
        for name in tables.TABLES:
            cursor = connection.execute(f'SELECT * FROM "{name}"')
            columns = [column[0] for column in cursor.description]
            found[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        return found
    finally:
        connection.close()
