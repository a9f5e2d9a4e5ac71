"""The embedded store: a DuckDB file holding the reference tables (SPEC 2 and 5).

- `locate(db)`: which file `--db`, RARE_DB or the default `rare.duckdb` names.
- `Store.open(db, write=...)`: a connection, read-only for reading commands; `StoreError` and `StoreLocked`
  carry messages written for the person at the prompt.
- `rare_dsl.store.demo.generate(store, ...)`: the deterministic demo shop (imported on demand: it is big).
- `rare_dsl.store.queries.SegmentQueries(store)`: what a rule selects (count, sample, explain, breakdown),
  for `rare count` and its siblings and for the REPL (imported on demand: it imports the compiler).

List operations live in `rare_dsl.lists`; they take an open `Store`.
"""

from rare_dsl.store.connection import DEFAULT_WAIT, Store
from rare_dsl.store.errors import StoreError, StoreLocked
from rare_dsl.store.location import DEFAULT_FILE, ENVIRONMENT, Location, locate

__all__ = ["DEFAULT_FILE", "DEFAULT_WAIT", "ENVIRONMENT", "Location", "Store", "StoreError", "StoreLocked", "locate"]
