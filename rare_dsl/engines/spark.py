"""Spark SQL in this process (`spark://local`, `spark://local?warehouse=/path`): pyspark in local mode.

This module owns the Spark session of the process and the adapter over it. Spark is not DB-API: statements
go through `SparkSession.sql` (placeholders bound with its `args`), rows are loaded with `INSERT ... VALUES`
of typed literals, and there are no transactions, so `rare load` stages its tables under temporary names
and renames them into place only once every row is in (a failure drops the staged tables and leaves the
old ones as they were).

Starting Spark takes seconds (a JVM), so one session serves the whole process: the first `connect` starts
it, later ones reuse it, and it is stopped when the process exits. Its settings are fixed here: the session
time zone is UTC, ANSI mode is on (a value that does not fit its column is an error, never a NULL), the JVM
locale is English (Spark's `lower()` follows the JVM's default locale), no web UI, two threads and two
shuffle partitions, Spark's own logging off (every failure reaches the user as one `EngineError` line).

Without `warehouse`, tables live in a temporary folder and an in-memory catalog, gone at exit. With it,
tables are Parquet files under that folder and the catalog is a Derby metastore beside them
(`metastore_db`), so a later process finds them; Derby lets one process at a time open it.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlglot import exp

from rare_dsl.compiler.calendar import sql_text
from rare_dsl.compiler.dialects import target
from rare_dsl.engines.base import BATCH, EngineError, Progress, StagedEngine, first_line

# Rows per INSERT statement: each statement is one Spark job, whose fixed cost dwarfs a row's.
SPARK_BATCH = 5 * BATCH
STAGE_PREFIX = "rare_staged_"

# Spark writes to stderr through log4j; every failure the user sees is an EngineError instead. The root
# logger needs an appender, or Spark takes log4j for unconfigured and installs its own chatty profile.
_LOG_CONFIG = """\
status = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %m%n
rootLogger.level = off
rootLogger.appenderRef.console.ref = console
"""


class SparkEngine(StagedEngine):
    """A `SparkSession` as an engine. Timestamps are `TIMESTAMP_NTZ` (naive, holding UTC, like every other
    engine's plain timestamp), so comparisons never involve the session time zone."""

    dialect = "spark"
    STAGE_PREFIX = "rare_staged_"

    # ------------------------------------------------------------------------------------------ queries

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        # Positional `?` markers, bound by Spark itself (each value becomes a literal of its type).
        frame = self.connection.sql(sql, args=list(params)) if params else self.connection.sql(sql)
        return [tuple(row) for row in frame.collect()]

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        raise TypeError("Spark has no DB-API cursor: use execute()")
        yield  # pragma: no cover

    def now(self) -> dt.datetime:
        # The compiler's own spelling of the clock, so the tests read exactly what live SQL reads.
        return self.execute("SELECT " + target("spark").now().sql(dialect="spark"))[0][0]

    def version(self) -> str:
        return "Spark " + self.connection.version

    def close(self) -> None:
        """Nothing to close: the session outlives the engine (see `_session`) and stops at exit."""

    # ------------------------------------------------------------------------------------- tables, rows

    def swap(self, real: str, staging: str, *, replace: bool) -> None:
        if replace:
            self.execute(f"DROP TABLE IF EXISTS {_quoted(real)}")
        self.execute(f"ALTER TABLE {_quoted(staging)} RENAME TO {_quoted(real)}")

    def create_sql(self, statement: exp.Create) -> str:
        # Parquet: Spark's own format, typed (TIMESTAMP_NTZ included) and readable by any later session.
        statement.set("properties", exp.Properties(expressions=[exp.FileFormatProperty(this=exp.var("PARQUET"))]))
        return statement.sql(dialect=self.dialect)

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
             progress: Progress | None = None, total: int = 0) -> int:
        """`INSERT INTO table (columns) VALUES ...` of literals typed as the table's columns, in batches."""
        name = self.loading_into(table)
        fields = {field.name: field.dataType.simpleString() for field in self.connection.table(_quoted(name)).schema}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise EngineError(f"the table `{table}` has no column `{unknown[0]}`")
        kinds = [fields[c] for c in columns]
        head = f"INSERT INTO {_quoted(name)} ({', '.join(_quoted(c) for c in columns)}) VALUES "
        done = 0
        batch: list[str] = []
        for row in rows:
            batch.append("(" + ", ".join(_literal(value, kind) for value, kind in zip(row, kinds, strict=True)) + ")")
            if len(batch) >= SPARK_BATCH:
                self.execute(head + ", ".join(batch))
                done += len(batch)
                batch = []
                if progress:
                    progress(table, done, total)
        if batch:
            self.execute(head + ", ".join(batch))
            done += len(batch)
        if progress:
            progress(table, done, total)
        return done


def _quoted(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="spark")


def _literal(value: Any, kind: str) -> str:
    """A value as a Spark literal of the column's type. The casts are exact (decimal text, ISO timestamps)
    and, under ANSI mode, refuse a value that does not fit instead of storing NULL. Written by hand rather
    than with sqlglot: sqlglot takes half a millisecond a value, which a load of millions cannot afford."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
        return text if kind == "boolean" else f"CAST({text} AS {kind.upper()})"
    if isinstance(value, int) and kind in ("bigint", "int"):
        return str(value)  # an INT or BIGINT literal, whichever holds it; Spark widens it to the column
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        text = sql_text(value)
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    quoted = _string(text)
    return quoted if kind == "string" else f"CAST({quoted} AS {kind.upper()})"


def _string(text: str) -> str:
    """A Spark string literal: backslash is Spark's escape character, so it and the quote are escaped; every
    other character (newline, NUL) stands for itself between the quotes."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --------------------------------------------------------------------------------------------- the session

_session: Any = None
_warehouse: str | None = None  # the folder the session was started with (None: a temporary one)


def open_spark(url: str) -> SparkEngine:
    parts = urlsplit(url)
    if parts.hostname != "local" or parts.path not in ("", "/") or parts.port or parts.username:
        raise EngineError("only spark://local is supported (a Spark session in this process, pyspark's local "
                          "mode), optionally spark://local?warehouse=/path")
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(options) - {"warehouse"})
    if unknown:
        raise EngineError(f"unknown option `{unknown[0]}`: spark://local takes only `warehouse`")
    folder = unquote(options["warehouse"][-1]) if "warehouse" in options else None
    if folder == "":
        raise EngineError("`warehouse` needs a folder: spark://local?warehouse=/path")
    warehouse = str(Path(folder).expanduser().resolve()) if folder is not None else None
    return SparkEngine(url, _session_for(warehouse))


def _session_for(warehouse: str | None) -> Any:
    """The process's Spark session, started on first use; a second warehouse cannot join a running JVM."""
    global _session, _warehouse
    if _session is not None:
        if warehouse is not None and warehouse != _warehouse:
            raise EngineError(f"this process already runs Spark on {_warehouse or 'a temporary warehouse'}; "
                              "one Spark session per process")
        return _session
    if _java() is None:
        raise EngineError("Java is not installed: Spark needs Java 17 or later (install a JDK, or set JAVA_HOME)")
    from pyspark.sql import SparkSession

    scratch = Path(tempfile.mkdtemp(prefix="rare-spark-"))
    atexit.register(shutil.rmtree, scratch, True)
    (scratch / "log4j2.properties").write_text(_LOG_CONFIG)
    folder = Path(warehouse) if warehouse else scratch / "warehouse"
    java_options = [f"-Dlog4j2.configurationFile={scratch / 'log4j2.properties'}", "-Duser.language=en",
                    "-Duser.country=US", f"-Dderby.stream.error.file={scratch / 'derby.log'}"]
    builder = (SparkSession.builder.master("local[2]").appName("rare")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.ansi.enabled", "true")
               .config("spark.sql.warehouse.dir", str(folder))
               .config("spark.driver.extraJavaOptions", " ".join(java_options)))
    if warehouse:
        folder.mkdir(parents=True, exist_ok=True)
        metastore = f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true"
        builder = builder.enableHiveSupport().config("spark.hadoop.javax.jdo.option.ConnectionURL", metastore)
    try:
        session = builder.getOrCreate()
    except Exception as error:
        raise EngineError(f"Spark did not start: {first_line(error)}") from None
    session.sparkContext.setLogLevel("OFF")
    # pyspark logs every SQL error to stderr with its stack before raising it; the EngineError says it once.
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True
    _session, _warehouse = session, warehouse
    atexit.register(_stop)
    return session


def _stop() -> None:
    global _session
    if _session is not None:
        with contextlib.suppress(Exception):
            _session.stop()
        _session = None


def _java() -> str | None:
    """The java that pyspark's launcher would run: $JAVA_HOME/bin/java, else `java` on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if os.access(candidate, os.X_OK) else None
    return shutil.which("java")
