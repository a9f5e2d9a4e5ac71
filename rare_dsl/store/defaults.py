"""The demo shop's sizes and seed, and the breakdown's defaults, in a module of their own: `rare demo --help`
and `rare breakdown --help` show them without importing DuckDB, sqlglot and the generator
(`rare_dsl.store.demo` and `rare_dsl.store.breakdown` re-export them)."""

DEFAULT_CONTACTS = 100_000
DEFAULT_SEED = 1
MAX_CONTACTS = 10_000_000

# Breakdowns (`rare_dsl.store.breakdown`), here so that `rare --help` names them without loading sqlglot.
BREAKDOWN_TOP = 10  # values shown before "other"
BREAKDOWN_BINS = 10  # ranges aimed at for a number
BREAKDOWN_MAX_BINS = 100
BUCKETS = ("day", "week", "month", "year")
BREAKDOWN_MAX_ROWS = 24  # the finest bucket that gives at most this many rows is chosen
