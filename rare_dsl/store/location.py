"""Where the store lives: `--db`, else the RARE_DB environment variable, else `rare.duckdb` in the working
directory; a plain path or a `duckdb:///path` URL. Other engines' URLs are recognised and refused until
their adapters exist, so a typo and a not-yet-supported engine get different messages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from rare_dsl.store.errors import StoreError

DEFAULT_FILE = "rare.duckdb"
ENVIRONMENT = "RARE_DB"
# URL schemes of the engines SPEC 5 names (and their SQLAlchemy spellings): known, but not connected yet.
_LATER_ENGINES = {
    "postgresql": "PostgreSQL", "postgres": "PostgreSQL", "postgresql+psycopg": "PostgreSQL",
    "postgresql+psycopg2": "PostgreSQL", "mysql": "MySQL", "mysql+pymysql": "MySQL", "mariadb": "MariaDB",
    "sqlite": "SQLite", "clickhouse": "ClickHouse", "chdb": "ClickHouse", "spark": "Spark SQL",
}


@dataclass(frozen=True)
class Location:
    """A DuckDB store file, with what the user wrote and where it came from (for messages)."""

    path: Path
    given: str
    origin: str  # "--db", "RARE_DB" or "default"

    def __str__(self) -> str:
        return str(self.path)


def locate(db: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Location:
    """The store `--db DB` names, else RARE_DB, else `rare.duckdb` here; raises StoreError (usage) for an
    engine URL this version cannot open."""
    environ = os.environ if environ is None else environ
    if db is not None and str(db) != "":
        given, origin = str(db), "--db"
    elif environ.get(ENVIRONMENT):
        given, origin = environ[ENVIRONMENT], ENVIRONMENT
    else:
        given, origin = DEFAULT_FILE, "default"
    return Location(_path_of(given, origin), given, origin)


def _path_of(given: str, origin: str) -> Path:
    if "://" not in given:
        return Path(given).expanduser()
    scheme = given.split("://", 1)[0].lower()
    where = "" if origin == "--db" else f", from {origin}"
    if scheme == "duckdb":
        # SQLAlchemy's convention: duckdb:///shop.duckdb is relative, duckdb:////srv/shop.duckdb absolute.
        parts = urlsplit(given)
        if parts.netloc:
            raise StoreError(f"`{given}`{where} names a host; a DuckDB store is a file",
                             hint="write duckdb:///relative/path.duckdb or duckdb:////absolute/path.duckdb",
                             usage=True)
        path = unquote(parts.path).removeprefix("/")
        if not path or path == ":memory:":
            raise StoreError(f"`{given}`{where} names no file", hint="write duckdb:///shop.duckdb", usage=True)
        return Path(path).expanduser()
    if scheme in _LATER_ENGINES:
        raise StoreError(f"{_LATER_ENGINES[scheme]} stores are not supported yet (`{scheme}://…`{where}): this "
                         "version works on an embedded DuckDB file",
                         hint="give a file path (--db shop.duckdb) or a duckdb:/// URL", usage=True)
    raise StoreError(f"unknown engine `{scheme}` in `{given}`{where}",
                     hint="give a DuckDB file path (--db shop.duckdb) or a duckdb:/// URL", usage=True)
