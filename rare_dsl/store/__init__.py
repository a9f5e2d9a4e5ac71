"""The embedded store: a DuckDB file holding the reference tables (SPEC 2 and 5).

- `locate(db)`: which file `--db`, RARE_DB or the default `rare.duckdb` names.
- `Store.open(db, write=...)`: a connection, read-only for reading commands; `StoreError` and `StoreLocked`
  carry messages written for the person at the prompt.
- `rare_dsl.store.demo.generate(store, ...)`: the deterministic demo shop (imported on demand: it is big).
- `rare_dsl.store.queries.SegmentQueries(store)`: what a rule selects (count, sample, explain, breakdown),
  for `rare count` and its siblings and for the REPL, and the values a field has, for the REPL's completion
  and `rare check --db` (imported on demand: it imports the compiler).
- `rare_dsl.store.breakdown.breakdown(rule, field, dialect=, run=)`: the breakdown's queries, for any engine.

List operations live in `rare_dsl.lists`; they take an open `Store`.

The names below are imported on first use (PEP 562): importing a light submodule such as
`rare_dsl.store.defaults` or `rare_dsl.store.location` does not load DuckDB.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rare_dsl.store.connection import DEFAULT_WAIT, Store
    from rare_dsl.store.errors import StoreError, StoreLocked
    from rare_dsl.store.location import DEFAULT_FILE, ENVIRONMENT, Location, locate

__all__ = ["DEFAULT_FILE", "DEFAULT_WAIT", "ENVIRONMENT", "Location", "Store", "StoreError", "StoreLocked", "locate"]

_LAZY = {
    "DEFAULT_WAIT": "connection", "Store": "connection",
    "StoreError": "errors", "StoreLocked": "errors",
    "DEFAULT_FILE": "location", "ENVIRONMENT": "location", "Location": "location", "locate": "location",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
