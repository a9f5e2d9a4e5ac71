"""The demo shop's sizes and seed, in a module of their own: `rare demo --help` shows them without importing
DuckDB and the generator (`rare_dsl.store.demo` re-exports them)."""

DEFAULT_CONTACTS = 100_000
DEFAULT_SEED = 1
MAX_CONTACTS = 10_000_000
