"""The server engines: PostgreSQL (psycopg 3) and MySQL or MariaDB (PyMySQL)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlglot import exp

from rare_dsl.compiler import CompiledSegment
from rare_dsl.compiler.calendar import sql_text
from rare_dsl.engines.base import Engine, EngineError, first_line, plain_number


class PostgresEngine(Engine):
    """Text columns are created `COLLATE "C"`: equality is exact and `<` orders by code point, whatever
    the database's locale. The compiler folds case with ICU's root locale, which the C collation lacks."""

    dialect = "postgres"
    collation = "C"
    indexed = True

    def cell(self, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise EngineError("PostgreSQL text cannot hold the NUL character (U+0000): "
                              f"{value[:40]!r} cannot be loaded")
        return value

    def now(self) -> dt.datetime:
        return self.execute("SELECT CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP)")[0][0]

    def version(self) -> str:
        return self.execute("SELECT version()")[0][0].split(" on ")[0]


class MySQLEngine(Engine):
    """MySQL and MariaDB. Text columns use a binary collation without PAD SPACE (MariaDB's
    `utf8mb4_nopad_bin`, MySQL 8's `utf8mb4_0900_bin`): the default `utf8mb4_general_ci` finds "france" equal
    to "France", and every PAD SPACE collation finds "a " equal to "a"."""

    dialect = "mysql"
    collation = "utf8mb4_nopad_bin"
    indexed = True

    def placeholder(self) -> exp.Expression:
        return exp.var("%s")  # PyMySQL's paramstyle

    def run(self, query: exp.Expression, compiled: CompiledSegment) -> list[tuple[Any, ...]]:
        # PyMySQL has no server-side parameters: it escapes values into the text itself. Doing the same with
        # sqlglot's literals keeps `%` in the SQL text out of PyMySQL's formatting.
        if not compiled.params:
            return self.execute(query.sql(dialect=self.dialect))
        named = query.copy()
        for index, node in enumerate(list(named.find_all(exp.Placeholder, bfs=False))):
            node.replace(exp.Placeholder(this=f"rare_value_{index}"))
        printed = [int(i) for i in re.findall(r"rare_value_(\d+)", named.sql(dialect=self.dialect))]
        values = {index: compiled.params[place] for place, index in enumerate(printed)}
        for node in list(named.find_all(exp.Placeholder)):
            node.replace(_literal(values[int(node.name.removeprefix("rare_value_"))]))
        return self.execute(named.sql(dialect=self.dialect))

    def now(self) -> dt.datetime:
        return self.execute("SELECT UTC_TIMESTAMP(6)")[0][0]

    def version(self) -> str:
        return self.execute("SELECT version()")[0][0]


def _literal(value: object) -> exp.Expression:
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, dt.datetime):
        return exp.Literal.string(sql_text(value))
    if isinstance(value, str):
        return exp.Literal.string(value)
    return exp.Literal.number(str(plain_number(value)))


def open_postgres(url: str) -> PostgresEngine:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        # Segment counts are queries of tens to hundreds of milliseconds whose estimated cost (a subplan per
        # contact) passes `jit_above_cost`: compiling them took 240 of 320 ms in bench/queries.py
        # (`refunders_big_baskets`). JIT stays off unless the URL's `options` say otherwise.
        options = conninfo_to_dict(url).get("options") or ""
        if "jit" not in str(options):
            options = f"{options} -c jit=off".strip()
        connection = psycopg.connect(url, autocommit=True, connect_timeout=10, options=options)
    except psycopg.Error as error:
        raise EngineError(first_line(error)) from None
    return PostgresEngine(url, connection)


def open_mysql(url: str, *, user: str | None, password: str | None, host: str, port: int | None,
               database: str) -> MySQLEngine:
    import pymysql

    try:
        connection = pymysql.connect(host=host, port=port or 3306, user=user or "root", password=password or "",
                                     database=database or None, charset="utf8mb4", autocommit=True,
                                     connect_timeout=10)
    except pymysql.Error as error:
        raise EngineError(first_line(error)) from None
    engine = MySQLEngine(url, connection)
    if "mariadb" not in engine.version().lower():
        engine.collation = "utf8mb4_0900_bin"  # MySQL 8: binary, NO PAD
    engine.execute(f"SET NAMES utf8mb4 COLLATE {engine.collation}")
    return engine


