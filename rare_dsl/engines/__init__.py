"""Engines by URL: one small adapter per database over its standard driver, outside the pipeline.

`connect(url)` opens `duckdb:///path`, `sqlite:///path`, `chdb:///path`, `postgresql://...`, `mysql://...` or
`spark://local` and returns an `Engine`: count a compiled segment, fetch its members, create the reference tables,
load rows, report the engine's version. A connection that fails is an `EngineError` whose message names the URL
without its password.
"""

from __future__ import annotations

from rare_dsl.engines.base import Engine, EngineError, redact
from rare_dsl.engines.url import SCHEMES, connect

__all__ = ["SCHEMES", "Engine", "EngineError", "connect", "redact"]
