"""`connect(url)`: the adapter for a URL's scheme."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from rare_dsl.engines.base import Engine, EngineError, first_line, redact

SCHEMES = ("duckdb", "sqlite", "postgresql", "postgres", "mysql", "mariadb", "chdb", "spark")
_DRIVERS = ("duckdb", "sqlite3", "psycopg", "pymysql", "chdb", "pyspark")


def connect(url: str) -> Engine:
    """Open the engine of `url`; an `EngineError` names the URL (without its password) and the reason."""
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if not rest and scheme not in SCHEMES:
        raise EngineError(f"`{redact(url)}` is not an engine URL: give duckdb:///path, sqlite:///path, "
                          "chdb:///path, postgresql://user@host/db, mysql://user@host/db or spark://local")
    try:
        if scheme == "duckdb":
            from rare_dsl.engines.embedded import open_duckdb

            return open_duckdb(url, _path(rest))
        if scheme == "sqlite":
            from rare_dsl.engines.embedded import open_sqlite

            return open_sqlite(url, _path(rest))
        if scheme == "chdb":
            from rare_dsl.engines.clickhouse import open_chdb

            return open_chdb(url, _path(rest))
        if scheme in ("postgresql", "postgres"):
            from rare_dsl.engines.servers import open_postgres

            return open_postgres(url)
        if scheme in ("mysql", "mariadb"):
            from rare_dsl.engines.servers import open_mysql

            parts = urlsplit(url)
            return open_mysql(url, user=unquote(parts.username) if parts.username else None,
                              password=unquote(parts.password) if parts.password else None,
                              host=parts.hostname or "127.0.0.1", port=parts.port,
                              database=unquote(parts.path.lstrip("/")))
        if scheme == "spark":
            from rare_dsl.engines.spark import open_spark

            return open_spark(url)
    except EngineError as error:
        raise EngineError(f"cannot connect to {redact(url)}: {error}") from None
    except ImportError as error:
        if error.name not in _DRIVERS:
            raise
        raise EngineError(f"cannot connect to {redact(url)}: the driver is not installed ({error.name}); "
                          "install rare-dsl[engines]") from None
    except Exception as error:  # the driver's own failures (a locked file, a bad path): one line
        raise EngineError(f"cannot connect to {redact(url)}: {first_line(error)}") from None
    raise EngineError(f"unknown engine `{scheme}` in {redact(url)}: give one of " + ", ".join(SCHEMES))


def _path(rest: str) -> str:
    """`duckdb:///data/x.duckdb` → `/data/x.duckdb`, `duckdb:///x.duckdb` → `/x.duckdb`... the SQLAlchemy
    convention: three slashes then a relative path, four for an absolute one; nothing is in memory."""
    return unquote(rest[1:]) if rest.startswith("/") else unquote(rest)
