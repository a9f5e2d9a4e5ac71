"""What differs between SQL engines: one small class per family of dialects, ibis-style, and a table
mapping every sqlglot dialect to its class.

The query builder (`query.py`) asks its `Target` for every construct whose spelling or semantics varies:
timestamp literals, the engine's current UTC time and its calendar arithmetic (live mode), the month of a
timestamp, text literals, case-insensitive text matching and exact division. `Target` itself is the
generic (standard SQL) behaviour; it refuses live time, which a dialect gets only from a class that knows
its engine's clock and month arithmetic (`_TARGETS`; the reasons for the others are in `LIVE_REFUSED`).
`DuckDB`, `SQLite`, `PostgreSQL`, `MySQL`, `ClickHouse` and `Spark` are *verified*: the differential tests run
their output on the real engines (tests/test_differential.py, tests/test_engines.py,
tests/test_engine_clickhouse.py, tests/test_engine_spark.py); the
other dialects are *generated* (snapshot-tested and parsed back by sqlglot). A construct a dialect cannot
express raises `UnsupportedDialect` (RD301) instead of printing SQL known to be wrong.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import ClassVar

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.generator import Generator

from rare_dsl.compiler.calendar import months_of, sql_text
from rare_dsl.diagnostics import Diagnostic, RuleError, Source, Span

# Builds a literal or, in parameterized mode, a placeholder for a Python value.
Bind = Callable[[object], exp.Expression]

_LIKE_ESCAPE = "\\"


class UnsupportedDialect(RuleError):
    """The target dialect cannot express a construct of the rule (RD301), or is unknown (RD302).

    A `RuleError` with one diagnostic, so whatever handles rule errors (the CLI, the REPL, an embedding
    backend) handles this too. `message`, `span`, `code`, `hints` and `source` read that diagnostic.
    """

    def __init__(self, message: str, span: Span | None = None, *, code: str = "RD301",
                 hints: tuple[str, ...] = (), source: Source | None = None, label: str = ""):
        super().__init__([Diagnostic(code, message, span, source, label=label, hints=hints)])

    @property
    def diagnostic(self) -> Diagnostic:
        return self.diagnostics[0]

    @property
    def message(self) -> str:
        return self.diagnostic.message

    @property
    def span(self) -> Span | None:
        return self.diagnostic.span

    @property
    def code(self) -> str:
        return self.diagnostic.code

    @property
    def hints(self) -> tuple[str, ...]:
        return self.diagnostic.hints

    @property
    def source(self) -> Source | None:
        return self.diagnostic.source

    def located(self, source: Source) -> UnsupportedDialect:
        """The same refusal pointing into `source` (the rule whose span it carries)."""
        d = self.diagnostic
        return UnsupportedDialect(d.message, d.span, code=d.code, hints=d.hints, source=source, label=d.label)


def _driver_number(value: Decimal) -> int | float:
    """A decimal for a driver that binds no Decimal: a whole number as an integer while a 64-bit integer
    holds it, else the nearest double, as the same literal inline would be read."""
    if value == value.to_integral_value() and -2**63 <= value < 2**63:
        return int(value)
    return float(value)


def _cast(value: exp.Expression, to: exp.DataType.Type | exp.DataType) -> exp.Expression:
    """`CAST(value AS to)` as `exp.cast` builds it, for a value and a type built for this one cast.

    `exp.cast` deep-copies its operand and builds the type anew (copying a DataType node) on every call:
    with the casts of every timestamp literal that was a tenth of building a short rule's tree.
    """
    if isinstance(value, exp.Cast):
        # exp.cast's own rule: a value already cast to an equivalent type is not cast again.
        return exp.cast(value, to, copy=False)
    data_type = to if isinstance(to, exp.DataType) else exp.DataType(this=to)
    cast = exp.Cast(this=value, to=data_type)
    cast.type = data_type  # as exp.cast records it
    return cast


@functools.cache
def sqlglot_dialect(name: str) -> Dialect:
    """The sqlglot dialect `name`, built once: `Dialect.get_or_raise` builds a new one on every call, and
    the compiler only reads it (its settings and its generator class)."""
    return Dialect.get_or_raise(name)


# The rewrites (sqlglot.transforms) that sqlglot's generators apply to every SELECT before printing it and
# that only change constructs the query builder never builds: DISTINCT ON, QUALIFY, WINDOW clauses, semi,
# anti and full outer joins, UNNEST and ANY. Each walks the whole subtree of every SELECT it is given, and
# subqueries nest: 0.4 of MySQL's and Spark's printing of a 10-clause rule, for nothing.
_INERT_SELECT_REWRITES = frozenset({
    "eliminate_distinct_on", "eliminate_qualify", "eliminate_window_clause", "eliminate_semi_and_anti_joins",
    "eliminate_full_outer_join", "unnest_to_explode", "unnest_generate_date_array_using_recursive_cte",
    "any_to_exists",
})


def _inert_select_rewrites(handler: Callable[..., str] | None) -> bool:
    """Whether a generator's SELECT handler is `transforms.preprocess` of inert rewrites only and no printer
    of its own; False whenever that cannot be read (another handler, another sqlglot)."""
    code, closure = getattr(handler, "__code__", None), getattr(handler, "__closure__", None)
    if code is None or closure is None or getattr(handler, "__module__", None) != "sqlglot.transforms":
        return False
    cells = dict(zip(code.co_freevars, (cell.cell_contents for cell in closure), strict=True))
    rewrites = cells.get("transforms")
    if cells.get("generator") is not None or not isinstance(rewrites, list | tuple):
        return False
    for rewrite in rewrites:
        rewrite = getattr(rewrite, "func", rewrite)  # a functools.partial
        if getattr(rewrite, "__module__", None) != "sqlglot.transforms" or \
                getattr(rewrite, "__name__", None) not in _INERT_SELECT_REWRITES:
            return False
    return True


@functools.cache
def _generator_class(name: str) -> type[Generator]:
    """sqlglot's generator for `name`, less the work that cannot change the SQL of the trees the compiler
    builds: they have no CTE to move to the top (a walk of the whole tree on Spark and T-SQL) and none of
    the constructs of `_INERT_SELECT_REWRITES`. A subclass: sqlglot's own class is left as it is."""
    base = sqlglot_dialect(name).generator_class
    # sqlglot's generator classes that have shortcuts below, when loaded: a base is only ever a subclass of a
    # loaded one, and importing the others would cost a fresh `rare compile` (DuckDB's alone, 0.3 s).
    duckdb_, postgres, hive, spark2 = (_loaded_class(f"sqlglot.generators.{module}", cls) for module, cls in (
        ("duckdb", "DuckDBGenerator"), ("postgres", "PostgresGenerator"), ("hive", "HiveGenerator"),
        ("spark2", "Spark2Generator")))
    members: dict[str, object] = {"__module__": __name__, "EXPRESSIONS_WITHOUT_NESTED_CTES": set()}
    if _inert_select_rewrites(base.TRANSFORMS.get(exp.Select)):
        # Without the entry, a SELECT is printed by the generator's `select_sql`, as the rewrites end.
        members["TRANSFORMS"] = {kind: handler for kind, handler in base.TRANSFORMS.items() if kind is not exp.Select}
    mixins: list[type] = []
    if spark2 is not None and issubclass(base, spark2) and base.cast_sql is spark2.cast_sql:
        mixins.append(_SparkCasts)
        members["_CASTS_OWNER"] = hive  # Spark's cast_sql ends in the one after Hive's
    for owner in (duckdb_, postgres):
        # Only where the owner's printing of types is the one in force (PostgreSQL's relatives have their own).
        if owner is not None and issubclass(base, owner) and base.datatype_sql is owner.datatype_sql:
            mixins.append(_PlainTypes)
            members["_TYPES_OWNER"] = owner
    return type(f"Compiled{base.__name__}", (*mixins, base), members)


def _loaded_class(module: str, name: str) -> type | None:
    return getattr(sys.modules.get(module), name, None)


# The types the compiler casts to on DuckDB and PostgreSQL, which their generators print as the generic one does.
_PLAIN_TYPES = frozenset({exp.DataType.Type.TIMESTAMP, exp.DataType.Type.DOUBLE})


class _PlainTypes:
    """The types of DuckDB's and PostgreSQL's generators, printed without testing them against the types
    whose printing those change (arrays, enums, times with a zone, doubles with a precision):
    `DataType.is_type` builds a node per type tested, 0.09 of compiling a short rule for DuckDB. A plain
    TIMESTAMP or DOUBLE is none of those, and is printed by the generic printer, where theirs ends."""

    _TYPES_OWNER: ClassVar[type]

    def datatype_sql(self, expression: exp.DataType) -> str:
        if expression.this in _PLAIN_TYPES and not expression.expressions:
            return super(self._TYPES_OWNER, self).datatype_sql(expression)  # type: ignore[misc]
        return super().datatype_sql(expression)  # type: ignore[misc]


class _SparkCasts:
    """The casts of Spark's generators, printed without asking whether they are about JSON when they cannot
    be: sqlglot's `cast_sql` for Spark asks by parsing the type name `json` anew for every cast, a quarter
    of compiling a short rule for Spark. The casts the compiler builds (TIMESTAMP_NTZ literals and
    placeholders, DOUBLE aggregates) are printed by the generic `CAST(x AS type)`, where Spark's ends too."""

    _CASTS_OWNER: ClassVar[type]

    def cast_sql(self, expression: exp.Cast, safe_prefix: str | None = None) -> str:
        to = expression.to
        if to.this in (exp.DataType.Type.TIMESTAMPNTZ, exp.DataType.Type.DOUBLE) and not to.expressions \
                and not to.args.get("nested") and not isinstance(expression.this, exp.JSONExtract
                                                                   | exp.JSONExtractScalar | exp.ParseJSON):
            return super(self._CASTS_OWNER, self).cast_sql(expression, safe_prefix=safe_prefix)  # type: ignore[misc]
        return super().cast_sql(expression, safe_prefix=safe_prefix)  # type: ignore[misc]


def generator(name: str, *, pretty: bool = False) -> Generator:
    """A generator printing a compiled tree for dialect `name`, as `Dialect.generate` would. Comments are off:
    the trees have none, and looking for them cost a call per node."""
    return _generator_class(name)(dialect=sqlglot_dialect(name), pretty=pretty, comments=False)


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    """A function by its name in the target engine, for functions sqlglot has no node for."""
    return exp.Anonymous(this=name, expressions=list(args))


def like_pattern(text: str, *, prefix: str, suffix: str) -> str:
    """A LIKE pattern matching `text` literally: `%`, `_` and the escape character itself are escaped."""
    escaped = "".join(_LIKE_ESCAPE + ch if ch in "%_" + _LIKE_ESCAPE else ch for ch in text)
    return prefix + escaped + suffix


def interval_parts(amount: int, unit: str) -> tuple[int, str]:
    """A duration as an interval size and SQL unit: months for `mo` and `y`, days for `w`."""
    months = months_of(amount, unit)
    if months is not None:
        return months, "MONTH"
    return {"h": (amount, "HOUR"), "d": (amount, "DAY"), "w": (7 * amount, "DAY")}[unit]


class Target:
    """The generic dialect: standard SQL through sqlglot's generator for `name`.

    Live time is refused here: a dialect gets it only from a subclass that knows how its engine reads the
    current UTC time and subtracts calendar months (see `LIVE_REFUSED` for the reasons of the others).
    """

    verified: ClassVar[bool] = False

    # Whether conditions are values (`COALESCE(a = b, FALSE)`, `ORDER BY a = b`); T-SQL and Oracle have none.
    BOOLEAN_VALUES: ClassVar[bool] = True

    # Whether LIKE takes an ESCAPE clause; the engines without one escape with a backslash, as `like_pattern` does.
    ESCAPE_CLAUSE: ClassVar[bool] = True

    # Whether an AND's conditions on contact fields are copied into the facts subqueries of its other operands,
    # as a join of the contacts (see `QueryBuilder.restrict`). Only DuckDB gains from it in bench/queries.py: it
    # builds one hash table of the contacts and probes it per fact row (0.75 of the time for `france_openers`);
    # SQLite and PostgreSQL, which plan the copy (as a join or as a semi-join) through their indexes, lost up
    # to 4 times on the rules whose condition keeps most contacts. Only into the sets a contact must be in:
    # copied into the set of an absence (`opens(6mo) = 0`, `not purchased(within: 1y)`) it made seven rules
    # 1.1 to 2 times slower on DuckDB at 1M contacts (`quality = "vip" and not purchased(within: 1y)` 94 →
    # 47 ms without it).
    COPY_FIELD_CONDITIONS: ClassVar[frozenset[str]] = frozenset()

    # Whether `customer_id IN (grouped set)` is kept from the join planner (`COALESCE(... IN ..., FALSE)`):
    # PostgreSQL turns each such IN into a semi-join, multiplies their selectivities down to one row and
    # then nests loops over grouped sets; as a filter, each set is built once and hashed (10 clauses over
    # 100,000 contacts: 23.6 s against 0.9 s, bench/queries.py `ten_clauses`).
    SEMI_JOIN_AS_FILTER: ClassVar[bool] = False

    # Whether the set of a `NOT EXISTS` is grouped even when it needs no HAVING: grouping makes SQLite
    # build it once, where it would otherwise search the facts for each contact, fast only with an index;
    # PostgreSQL anti-joins the grouped ids 3.5 times faster than the orders themselves (`never_ordered`).
    GROUP_ANTI_JOIN_SET: ClassVar[bool] = False

    # Whether a `NOT EXISTS` on an indexed fact table (`Table.indexed`, as `rare load` creates) searches the
    # facts of each contact instead of a grouped set: SQLite seeks the index per contact, 2 to 4 times faster
    # (`never_ordered`, `popup_not_newsletter`). Without the index it would scan the table per contact, so
    # the schema decides, table by table. PostgreSQL anti-joins the grouped set faster (3.2 times for
    # `never_ordered`) and keeps it.
    ANTI_JOIN_BY_LOOKUP: ClassVar[bool] = False

    # From how many conditions on facts an AND that also tests the contact's own fields reads its measures
    # per contact, as correlated subqueries on their indexed fact tables (`EXISTS ... LIMIT 1 OFFSET k-1`,
    # `(SELECT MAX(...) ... WHERE customer_id = c.customer_id)`); 0: never. The fields narrow the contacts
    # first, and each remaining contact stops at its first failing lookup, where a grouped set reads every
    # contact's facts. SQLite's seeks are cheap: 1, which won 2 to 9 times (`vip_lapsing`, `ten_clauses`,
    # `top_french_spenders` in bench/queries.py) and lost 1.8 times where the fields keep 40% of the
    # contacts (`france_openers`). A PostgreSQL subplan costs more per contact: with one or two conditions
    # on facts it lost up to 5 times (`france_openers`, `dormant_subscribers`), with seven it won 2.8 times
    # (`ten_clauses`), hence 3.
    LOOKUPS_AFTER_FIELDS: ClassVar[int] = 0

    # Whether an AND with no field condition but a condition that only contacts with some facts pass (a set,
    # `refunds(1y) >= 2`) tests that set first, the one on the table that usually holds the fewest rows, and
    # looks its other measures up for the set's members: 6 to 10 times faster on SQLite and PostgreSQL for
    # `refunders_big_baskets` in bench/queries.py.
    LOOKUPS_AFTER_FACTS: ClassVar[bool] = False

    # Whether a condition on the events a shop has few of (clicks, conversions: `_FEW_EVENTS` in query.py)
    # stays a set where the AND around it reads its other measures per contact, and is tested before them.
    # On SQLite a set of them reads each in its window, about 1 µs apiece, where a lookup costs a seek,
    # about 4 µs, for every contact the fields keep: in bench/lookups.py their lookups lost 2 to 54 times
    # to their sets even after fields that kept 4% of the contacts, where those of opens, orders and sends
    # won up to 14 times (docs/performance.md, "Lookups or sets"). PostgreSQL's planner makes its lookups
    # joins of its own choosing: after `quality = "vip"`, a set of clicks made an AND of four measures 2.4
    # times slower than looking all four up (79 → 193 ms).
    FEW_EVENTS_AS_SETS: ClassVar[bool] = False

    # Whether a first or last date compared with a constant instant, in an AND that also tests the
    # contact's own fields and sits under no OR, is written as whether the contact has facts on each side
    # of the instant (`last_order_date < 90d ago`: an order before it and none from it on), two plain
    # correlated subqueries. PostgreSQL's planner makes them a semi-join and an anti-join and picks their
    # plan from its statistics: through the index for the few contacts the fields keep, hashing the facts
    # when they keep many. `vip_lapsing` 182 → 44 ms, with `country = "France"` instead 123 → 101 ms; with
    # no field to drive from, the pair lost 2.2 times to one grouped set, which such an AND keeps. DuckDB
    # makes them a semi-join and an anti-join too, which beat its grouped set, even with the fields copied
    # in: seven such rules, after fields keeping 4% to 84% of the contacts, 0.75 to 0.91 of the time at 1M
    # contacts and 0.76 to 0.94 at 100k (`vip_lapsing` 48 → 36 ms).
    DATE_BOUNDS_AS_EXISTS: ClassVar[bool] = False

    # Whether the set an AND starts from (`LOOKUPS_AFTER_FACTS`), when it is on a table that holds few rows
    # (lists, refunds: `in_list(...)`, `refunds(1y) >= 2`), is a plain semi-join, with the absences in that
    # AND searched per contact, where the AND sits under no OR. PostgreSQL then drives from the set's
    # members through the indexes: `popup_not_newsletter` 144 → 77 ms, `refunds(1y) >= 1 and not tags
    # contains "newsletter"` 141 → 44 ms; as a filter, or with a grouped anti-join set, it read every
    # contact (138 and 154 ms for the first). From a grouped set of refunds alike: `refunders_big_baskets`
    # 74 → 53 ms, `refunds(1y) >= 2 and orders(1y) >= 3` 26 → 10 ms, `refunds(1y) >= 3 and opens(6mo) = 0`
    # 98 → 8.9 ms.
    DRIVE_FROM_SET: ClassVar[bool] = False

    # Whether the conditions of one AND that are sets on the same fact table (`opens(6mo) >= 2`,
    # `clicks(6mo) >= 1`) are one grouped set, each reading its own rows with CASE (`QueryBuilder.one_pass`):
    # one scan of the events instead of one per condition. DuckDB: `ten_clauses` 0.6 of the time at 1M
    # contacts. ORs stay apart: `spent_or_december` lost 1.1 times on DuckDB, 1.5 on PostgreSQL.
    MERGE_FACT_SETS: ClassVar[bool] = False

    # Whether an OR made only of conditions on the events a shop has few of (`clicks(3mo) >= 2 or
    # conversions(90d) >= 1`) is one grouped set, as `MERGE_FACT_SETS` makes an AND: one scan of the events
    # for them all, and few groups. Eight such ORs, old against new: DuckDB 0.71-0.98 of the time at 1M
    # contacts, 0.81-0.98 at 100k but for two whose windows are far apart (30 days against a year: 1.10 and
    # 1.18, about 0.8 ms); PostgreSQL 0.53-0.79, 1.04 for one. An OR with anything else lost (1.05-1.17 on
    # both: a field, opens or orders beside the sets), and stays apart.
    MERGE_FEW_EVENTS_OR: ClassVar[bool] = False

    # Whether an OR whose every operand is a set of contacts (`spent(1y) > 500 or orders(month: "dec") >=
    # 2`) is one set, the sets' UNION ALL (`QueryBuilder.union_of_sets`): one semi-join instead of a probe of
    # each set for every contact. DuckDB, seven such ORs: 0.73-0.99 of the time at 1M contacts, 0.74-0.95 at
    # 100k. Not where a set holds every fact of a large table (`opens(90d) >= 1 or orders(1y) >= 1`: 1.10),
    # nor under an AND whose fields are copied into the sets (`status = "subscribed" and (spent(1y) > 300 or
    # opens(30d) >= 4)`: 1.15; three others 0.84-1.09). PostgreSQL lost on four of 13 such ORs, 1.16-1.36
    # (docs/performance.md).
    OR_OF_SETS_AS_UNION: ClassVar[bool] = False

    # Whether a divisor is written `NULLIF(d, 0)` so that dividing by zero gives NULL. MySQL's `/` already
    # gives NULL for a zero divisor in a query, and MariaDB 10.11 reads `NULLIF(COUNT(*), 0)` wrongly in a
    # HAVING clause: `HAVING -250.25 = -(CAST(250.25 AS DOUBLE) / NULLIF(COUNT(*), 0))` kept no group
    # whose count is 1 (tests/test_engines.py, `-250.25 = -(250.25 / order_count)`).
    NULLIF_DIVISOR: ClassVar[bool] = True

    # Dialects whose placeholders the compiler cannot print (none today: ClickHouse's typed `{name:Type}` are
    # printed by its class).
    PLACEHOLDERS_REFUSED: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, name: str):
        self.name = name

    def finish(self, query: exp.Select) -> exp.Select:
        """The whole compiled query, for what the engine needs said once for all of it; nothing here."""
        return query

    def check_parameterized(self) -> None:
        if self.name in self.PLACEHOLDERS_REFUSED:
            raise UnsupportedDialect(f"parameterized SQL is not supported for {self.name}",
                                     hints=("compile without parameters; literals are escaped by sqlglot",))

    # ----------------------------------------------------------------------------------------- literals

    def text(self, value: str) -> exp.Expression:
        return exp.Literal.string(value)

    def param(self, value: object) -> object:
        """A placeholder's value as the engine's Python driver takes it."""
        return value

    def placeholder(self, position: int, value: object = None) -> exp.Placeholder:
        """The placeholder of the `position`-th value (from 0), `value` (as `param` gave it), in the engine's
        style; sqlglot prints an anonymous one as `?`, or `%s` for the PostgreSQL family."""
        return exp.Placeholder()

    def timestamp(self, value: dt.datetime) -> exp.Expression:
        """A naive UTC timestamp literal of the engine's TIMESTAMP type."""
        return _cast(exp.Literal.string(sql_text(value)), exp.DataType.Type.TIMESTAMP)

    def timestamp_param(self, value: dt.datetime, bind: Bind) -> exp.Expression:
        """A placeholder standing for a timestamp; the driver receives the value `bind` records."""
        return _cast(bind(value), exp.DataType.Type.TIMESTAMP)

    def is_true(self, condition: exp.Expression) -> exp.Expression:
        """A condition that may be NULL, read as true or false: NULL is false (SPEC 3.4)."""
        if self.BOOLEAN_VALUES:
            return exp.Coalesce(this=condition, expressions=[exp.false()])
        # Without boolean values only a CASE can look at the condition, and its result is compared instead.
        case = exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))], default=exp.Literal.number(0))
        return exp.EQ(this=case, expression=exp.Literal.number(1))

    def check_boolean_value(self, span: Span | None) -> None:
        """Refuse a condition used as a value (`purchased() = true`, `order by country = "France"`)."""
        if not self.BOOLEAN_VALUES:
            raise UnsupportedDialect(f"{self.name} has no boolean values: a condition cannot be used as a value here",
                                     span, label="a condition used as a value",
                                     hints=("write the condition on its own (`purchased()` for "
                                            "`purchased() = true`), or rank by a number",))

    def check_text(self, value: str, span: Span | None) -> None:
        """Refuse text the engine cannot compare the way the language does; the generic tier accepts all."""

    def ordered(self, value: exp.Expression, *, descending: bool) -> exp.Ordered:
        """A sort key with the engine's own placement of NULLs. The query puts missing values last with a
        key of its own, so the placement never matters; asking for another would make sqlglot print
        `NULLS LAST`, which MySQL and T-SQL lack, or emulate it by repeating the whole key in a CASE (and
        each placeholder in it, which parameterized SQL cannot have)."""
        ordering = sqlglot_dialect(self.name).NULL_ORDERING
        nulls_first = ordering == "nulls_are_small" if not descending else ordering == "nulls_are_large"
        return exp.Ordered(this=value, desc=descending, nulls_first=nulls_first)

    # ------------------------------------------------------------------------------------- live time

    def live_refusal(self) -> str | None:
        """Why live time cannot be compiled for this dialect, or None when it can."""
        if type(self).now is Target.now:
            return LIVE_REFUSED.get(self.name, "rare does not know how this engine reads the current UTC time")
        return None

    def now(self) -> exp.Expression:
        """The engine's current instant, of the same type as `timestamp()` gives for that instant in UTC."""
        raise self.refuse_live(None)

    def minus(self, amount: int, unit: str) -> exp.Expression:
        """`now()` minus a duration: hours, days and weeks exact, months clamped to the end of the month."""
        raise self.refuse_live(None)

    def refuse_live(self, span: Span | None) -> UnsupportedDialect:
        reason = self.live_refusal() or "live time is not supported"
        return UnsupportedDialect(
            f"live time is not supported for {self.name}: {reason}", span, label=f"needs {self.name}'s clock",
            hints=("compile with an as-of instant (`--as-of 2026-01-31`, `as_of=`): window boundaries are then "
                   "computed in Python and written as timestamp literals",),
        )

    # ----------------------------------------------------------------------------------------- values

    def month_of(self, value: exp.Expression) -> exp.Expression:
        return exp.Extract(this=exp.var("MONTH"), expression=value)

    def to_double(self, value: exp.Expression) -> exp.Expression:
        # A copy, as exp.cast made: the query builder shares one column between the aggregates it offers.
        return _cast(value.copy(), exp.DataType.Type.DOUBLE)

    # What a money column is multiplied by to be summed exactly, as `money` spells it: 1 where the engine
    # sums decimals exactly; 100 on SQLite, whose REAL money is summed in whole cents.
    MONEY_UNIT: ClassVar[int] = 1

    def money(self, value: exp.Expression) -> exp.Expression:
        """A money column as the engine sums it exactly (see `MONEY_UNIT`)."""
        return value

    def money_sum(self, value: exp.Expression) -> exp.Expression:
        """The sum of a money column, computed exactly and then made a double."""
        return self.to_double(exp.Sum(this=value))

    def average(self, value: exp.Expression) -> exp.Expression:
        """The mean of a money column as a double: the exact sum made a double, then divided by the count.
        Not `AVG`, whose precision over decimals differs by engine: MariaDB's and Spark's `AVG` of a
        `DECIMAL(12,2)` keep 4 more decimals only (30.01 over 3 orders is 10.003333), so `total_spent /
        average_order_value` ranked that contact after others with 3 orders and `average_order_value *
        order_count = total_spent` was false (found by tests/test_engines.py's generated rules, now traps)."""
        return self.divide(exp.Sum(this=value), exp.Count(this=value.copy()))

    def divide(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        """Exact division; a zero divisor gives NULL (DuckDB would give infinity, SQLite integer division)."""
        if not self.NULLIF_DIVISOR:
            return exp.Div(this=self.to_double(left), expression=exp.Paren(this=right))
        # Both operands are function calls, so neither needs parentheses whatever it holds.
        return exp.Div(this=self.to_double(left), expression=exp.Nullif(this=right, expression=exp.Literal.number(0)))

    def nonzero(self, value: exp.Expression) -> exp.Expression:
        """`value`, or NULL where it is zero: the denominator of an exact quotient (`QueryBuilder.exact`)."""
        return exp.Nullif(this=value, expression=exp.Literal.number(0))

    def lower(self, value: exp.Expression, against: str | None = None) -> exp.Expression:
        """`value` with its case folded as Python's `str.lower` does; `against` is the rule's text it is then
        compared with, when `value` is not that text itself."""
        return exp.Lower(this=value)

    def rule_text(self, text: str, bind: Bind, shape: Callable[[str], str] = str) -> exp.Expression:
        """The rule's `text` folded to lower case, `shape` (a LIKE pattern's escaping) applied to it: here
        folded by the engine, as the column it is compared with is."""
        return self.lower(bind(shape(text)))

    def stored_lower(self, value: exp.Expression) -> exp.Expression:
        """A column whose text is stored in lower case, as it is compared with the rule's text folded."""
        return value

    def text_match(self, op: str, value: exp.Expression, pattern: str, bind: Bind, *,
                   stored_lower: bool = False) -> exp.Expression:
        """`value` contains / starts with / ends with `pattern`, case-insensitive, wildcards literal.
        `stored_lower`: `value` is a column stored in lower case, so only the pattern is folded (in Python):
        over a million emails on DuckDB, the folding of the column was twice the time of the plain LIKE."""
        prefix = "" if op == "starts with" else "%"
        suffix = "" if op == "ends with" else "%"

        def shape(text: str) -> str:
            return like_pattern(text, prefix=prefix, suffix=suffix)

        if stored_lower:
            like = exp.Like(this=self.stored_lower(value), expression=bind(shape(pattern.lower())))
        else:
            like = exp.Like(this=self.lower(value, pattern), expression=self.rule_text(pattern, bind, shape))
        if not self.ESCAPE_CLAUSE:
            return like
        return exp.Escape(this=like, expression=exp.Literal.string(_LIKE_ESCAPE))

    def equal_ignoring_case(self, value: exp.Expression, text: str, bind: Bind) -> exp.Expression:
        return exp.EQ(this=self.lower(value, text), expression=self.rule_text(text, bind))


class IntervalArithmetic(Target):
    """Live time as `now - INTERVAL 'n' UNIT`: for engines whose interval arithmetic on a plain timestamp
    clamps a day the target month lacks to its last day (Aug 31 - 6 months = Feb 28), as the language does."""

    def minus(self, amount: int, unit: str) -> exp.Expression:
        size, part = interval_parts(amount, unit)
        return exp.Sub(this=self.now(), expression=exp.Interval(this=self.interval_size(size), unit=exp.Var(this=part)))

    def interval_size(self, size: int) -> exp.Expression:
        return exp.Literal.string(str(size))


class Postgres(IntervalArithmetic):
    """PostgreSQL and the engines that follow its time semantics (Materialize, RisingWave) or the SQL
    standard's (Trino, Presto, Athena, Dune): `CURRENT_TIMESTAMP AT TIME ZONE 'UTC'` is the current instant
    as a plain UTC timestamp whatever the session's time zone (sqlglot prints it `AT_TIMEZONE(...)` for
    the Trino family), and interval arithmetic on a plain timestamp clamps months."""

    def now(self) -> exp.Expression:
        utc = exp.AtTimeZone(this=exp.CurrentTimestamp(), zone=exp.Literal.string("UTC"))
        return _cast(utc, exp.DataType.Type.TIMESTAMP)


class PostgreSQL(Postgres):
    """PostgreSQL itself: verified (tests/test_engines.py runs the SQL on a real server).

    Two engine facts: text cannot hold the NUL character, so a rule naming one is refused rather than sent
    to fail; and `lower()` folds only ASCII letters under the C collation, which exact comparison wants
    on the columns (docs/dialects.md), so case is folded with ICU's root locale, like Python's `str.lower`.
    """

    verified = True
    CASE_FOLDING: ClassVar[str] = "und-x-icu"
    SEMI_JOIN_AS_FILTER = True
    GROUP_ANTI_JOIN_SET = True
    LOOKUPS_AFTER_FIELDS = 3
    LOOKUPS_AFTER_FACTS = True
    DATE_BOUNDS_AS_EXISTS = True
    DRIVE_FROM_SET = True
    MERGE_FEW_EVENTS_OR = True

    def text(self, value: str) -> exp.Expression:
        self._refuse_nul(value)
        return super().text(value)

    def param(self, value: object) -> object:
        if isinstance(value, str):
            self._refuse_nul(value)
        return value

    def lower(self, value: exp.Expression, against: str | None = None) -> exp.Expression:
        """ICU's folding, except for ASCII text, which the C collation folds alike (A-Z only) and 2 to 2.5 times
        faster: `first_name contains "an"` over 100,000 contacts 37.8 → 18.5 ms, ICU taking 0.3 µs a value.
        ASCII is told by the text's UTF-8 being as long as its characters, in any server encoding. Both
        sides of a comparison come out under the C collation, whose `=` and `LIKE` compare bytes as ICU's
        deterministic root collation does; a user's value, computed once, is always folded by ICU."""
        icu = exp.to_identifier(self.CASE_FOLDING, quoted=True)
        c = exp.to_identifier("C", quoted=True)
        folded = exp.Collate(this=exp.Lower(this=exp.Collate(this=value, expression=icu)), expression=c)
        if isinstance(value, exp.Literal | exp.Placeholder):
            return folded
        utf8 = exp.Anonymous(this="CONVERT_TO", expressions=[value.copy(), exp.Literal.string("UTF8")])
        ascii_only = exp.EQ(this=exp.Anonymous(this="OCTET_LENGTH", expressions=[utf8]),
                            expression=exp.Length(this=value.copy()))
        ascii_folded = exp.Lower(this=exp.Collate(this=value.copy(), expression=c))
        return exp.Case(ifs=[exp.If(this=ascii_only, true=ascii_folded)], default=folded)

    def stored_lower(self, value: exp.Expression) -> exp.Expression:
        # Under the C collation, as a folded column is compared: LIKE compares bytes whatever the column's
        # own collation (a nondeterministic one would refuse LIKE).
        return exp.Collate(this=value, expression=exp.to_identifier("C", quoted=True))

    @staticmethod
    def _refuse_nul(value: str) -> None:
        if "\x00" in value:
            raise UnsupportedDialect("PostgreSQL text cannot hold the NUL character (U+0000)",
                                     label="holds a NUL character",
                                     hints=("remove the \\u0000 from the text: no PostgreSQL value can hold it",))


class DuckDB(Postgres):
    """DuckDB: verified. The current instant is compared as a plain TIMESTAMP: a TIMESTAMPTZ from `now()`
    disables pruning (measured 68 times slower)."""

    verified = True
    COPY_FIELD_CONDITIONS = frozenset({"orders", "refunds", "events", "list_members"})
    MERGE_FACT_SETS = True
    MERGE_FEW_EVENTS_OR = True
    OR_OF_SETS_AS_UNION = True
    DATE_BOUNDS_AS_EXISTS = True

    def lower(self, value: exp.Expression, against: str | None = None) -> exp.Expression:
        # lower() folds the capital I with a dot to a plain "i", where Python keeps the dot.
        byte_length = exp.Anonymous(this="STRLEN", expressions=[value.copy()])
        return _lower_spelling_out(value, _needed({"\u0130": _ASCII_LOWER_CASES["\u0130"]}, against), byte_length)


class Spark(IntervalArithmetic):
    """Spark 3.4+ and Databricks, whose plain timestamp type is TIMESTAMP_NTZ (Spark's TIMESTAMP is an
    instant shown in the session's time zone). Literals, placeholders and the clock are all TIMESTAMP_NTZ
    holding UTC, so a comparison with a TIMESTAMP_NTZ column never involves the session time zone; against a
    TIMESTAMP column Spark reads them in the session zone, which is exact when that zone is UTC.

    The clock is the epoch plus the current instant's microseconds, computed on TIMESTAMP_NTZ: the usual
    spelling `CAST(TO_UTC_TIMESTAMP(CURRENT_TIMESTAMP(), CURRENT_TIMEZONE()) AS TIMESTAMP_NTZ)` is an hour
    late while the UTC wall clock is in the session zone's spring-forward gap (02:30 UTC on 2026-03-08 in
    America/New_York reads 03:30), and `CONVERT_TIMEZONE` an hour early in its fall-back overlap. Interval
    arithmetic on TIMESTAMP_NTZ is wall-clock arithmetic that clamps months (Aug 31 - 6 months = Feb 28).
    """

    _TYPE = exp.DataType.Type.TIMESTAMPNTZ

    def timestamp(self, value: dt.datetime) -> exp.Expression:
        return _cast(exp.Literal.string(sql_text(value)), self._TYPE)

    def timestamp_param(self, value: dt.datetime, bind: Bind) -> exp.Expression:
        return _cast(bind(value), self._TYPE)

    def param(self, value: object) -> object:
        # Bound as text and cast by the SQL: pyspark would turn a naive datetime into an instant of the
        # Python process's time zone.
        return sql_text(value) if isinstance(value, dt.datetime) else value

    def now(self) -> exp.Expression:
        micros = _call("UNIX_MICROS", exp.CurrentTimestamp())
        epoch = _cast(exp.Literal.string("1970-01-01 00:00:00"), self._TYPE)
        return _call("TIMESTAMPADD", exp.var("MICROSECOND"), micros, epoch)


class SparkSQL(Spark):
    """Spark itself: verified (tests/test_engine_spark.py runs the SQL on pyspark in local mode, in a session
    time zone that is not UTC). Databricks shares the SQL but no test runs it."""

    verified = True


class ClickHouse(IntervalArithmetic):
    """ClickHouse: verified on chdb, its embedded engine (tests/test_engine_clickhouse.py).

    Timestamps are instants; calendar arithmetic happens in the value's time zone, so both the clock
    (`now64(6, 'UTC')`) and the literals (`DateTime64(6, 'UTC')`) say UTC explicitly, and subtracting
    `INTERVAL n MONTH` clamps a day the target month lacks. `lower()` folds only ASCII letters: case is
    folded with `lowerUTF8`. Placeholders are ClickHouse's typed query parameters (`{p1:String}`), bound by
    the engine; a timestamp goes as text, cast in SQL, since a driver may read a naive datetime in its own zone.
    """

    verified = True
    ESCAPE_CLAUSE = False
    # A value's Python type -> its parameter's ClickHouse type; decimals are bound as the Float64 that the
    # same literal inline would be.
    _PARAM_TYPES: ClassVar[dict[type, str]] = {bool: "Bool", int: "Int64", float: "Float64", str: "String"}

    def timestamp(self, value: dt.datetime) -> exp.Expression:
        return _cast(exp.Literal.string(sql_text(value)), _clickhouse_instant())

    def timestamp_param(self, value: dt.datetime, bind: Bind) -> exp.Expression:
        return _cast(bind(sql_text(value)), _clickhouse_instant())

    def param(self, value: object) -> object:
        if isinstance(value, Decimal):
            return _driver_number(value)
        return value

    def placeholder(self, position: int, value: object = None) -> exp.Placeholder:
        kind = self._PARAM_TYPES.get(type(value))
        if kind is None:
            raise UnsupportedDialect(f"no ClickHouse parameter type for {value!r}",
                                     hints=("compile without parameters; literals are escaped by sqlglot",))
        return exp.Placeholder(this=f"p{position + 1}", kind=_clickhouse_param_type(kind).copy())

    def finish(self, query: exp.Select) -> exp.Select:
        # An unmatched LEFT JOIN row reads as the column type's default (0, 1970-01-01, '') unless
        # join_use_nulls = 1: `MAX(occurred_at)` of a non-Nullable column would rank a contact without opens
        # first. The setting applies to the whole query, subqueries and inlined segments included, and also
        # when the query is itself embedded as a subquery.
        if _has_join(query):
            query.set("settings", [exp.EQ(this=exp.column("join_use_nulls"), expression=exp.Literal.number(1))])
        return query

    def now(self) -> exp.Expression:
        return _call("now64", exp.Literal.number(6), exp.Literal.string("UTC"))

    def interval_size(self, size: int) -> exp.Expression:
        return exp.Literal.number(size)  # ClickHouse reads `INTERVAL 6 MONTH`, not `INTERVAL '6' MONTH`

    def lower(self, value: exp.Expression, against: str | None = None) -> exp.Expression:
        # lower() folds only ASCII letters ("ÉCOLE" -> "École"); lowerUTF8 folds as Python's str.lower does.
        return _call("lowerUTF8", value)


def _has_join(query: exp.Expression) -> bool:
    """Whether a join appears anywhere in the tree. `Expression.find` walks it through three layers of
    generators per node, a fifth of building a ClickHouse query; joins only ever sit in a `joins` list."""
    stack = [query]
    while stack:
        node = stack.pop()
        if node.args.get("joins"):
            return True
        for value in node.args.values():
            if isinstance(value, exp.Expression):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, exp.Expression))
    return False


def _clickhouse_instant() -> exp.DataType:
    """`DateTime64(6, 'UTC')`, as sqlglot's ClickHouse dialect parses it. Built node by node: cheaper than
    copying a parsed one, and a compile for another dialect never loads sqlglot's ClickHouse dialect."""
    return exp.DataType(this=exp.DataType.Type.DATETIME64, expressions=[
        exp.DataTypeParam(this=exp.Literal.number(6), expression=None),
        exp.DataTypeParam(this=exp.Literal.string("UTC"), expression=None),
    ], nested=False, nullable=False)


@functools.cache
def _clickhouse_param_type(kind: str) -> exp.DataType:
    # Parsed once per type: parsing it again for every placeholder cost more than the copy.
    return exp.DataType.build(kind, dialect="clickhouse")


class _SpelledOutCase(Target):
    """Case folding for an engine whose lower() leaves some letters as they are: SQLite's folds only ASCII
    letters; MariaDB's has Unicode tables older than Python's (738 of the 1,433 characters that `str.lower`
    changes are left, `ẞ` among them) and folds `İ` to a plain `i`. Leaving a letter, or folding it as Python
    does, is all either does to a character outside ASCII (checked by scanning every one on both).

    The rule's text is folded in Python; the column is folded by lower() with, first, every character outside
    ASCII whose lower case shares a character with the folded text replaced by that lower case
    (`_cases_of`): `city starts with "sã"` spells out `Ã` only. Any other character of the column cannot
    take part in a match, folded or not: neither it nor its lower case holds a character of the text. Only
    the final sigma is beyond this: `str.lower` folds `Σ` to `ς` at the end of a word and to `σ` elsewhere,
    which no replacing of characters can tell, so text whose lower case holds `σ` or `ς` is refused."""

    def byte_length(self, value: exp.Expression) -> exp.Expression:
        """The length of `value`'s UTF-8 in bytes, to tell ASCII text (as long as its characters) apart."""
        raise NotImplementedError

    def check_text(self, value: str, span: Span | None) -> None:
        if {"\u03c3", "\u03c2"} & set(value.lower()):
            raise UnsupportedDialect(
                f"{self.name} cannot compare `σ` or `ς` without regard to case: `Σ` is `ς` at the end of a word "
                "(a final sigma) and `σ` elsewhere, which its lower() cannot tell",
                span, label="compared without regard to case",
                hints=("compile for PostgreSQL, ClickHouse or Spark, whose case folding tells a final sigma",),
            )

    def rule_text(self, text: str, bind: Bind, shape: Callable[[str], str] = str) -> exp.Expression:
        return bind(shape(text.lower()))

    def lower(self, value: exp.Expression, against: str | None = None) -> exp.Expression:
        cases = _cases_of(against.lower()) if against is not None else _ASCII_LOWER_CASES
        return _lower_spelling_out(value, cases, self.byte_length(value))


class MySQL(_SpelledOutCase):
    """MySQL, MariaDB, Doris, StarRocks: `UTC_TIMESTAMP()` is the current UTC time as a DATETIME, and
    `DATE_SUB(..., INTERVAL n MONTH)` clamps a day the target month lacks to its last day.

    MySQL and MariaDB are verified (tests/test_engines.py, on MariaDB). Exact text comparison needs a binary
    NO PAD collation on the columns (the default `utf8mb4_general_ci` ignores case, PAD SPACE collations
    trailing spaces): the engine adapter creates its tables so; docs/dialects.md says why.
    """

    verified = True
    NULLIF_DIVISOR = False

    def nonzero(self, value: exp.Expression) -> exp.Expression:
        # MariaDB 10.11 reads `NULLIF(COUNT(*), 0)` in a HAVING clause wrongly (`HAVING 4 * NULLIF(COUNT(*),
        # 0) = 4` keeps no group of one row); `NULLIF(COUNT(*) + 0, 0)`, the same value, it reads right.
        operand = value if isinstance(value, exp.Func | exp.Column) else exp.Paren(this=value)
        return exp.Nullif(this=exp.Add(this=operand, expression=exp.Literal.number(0)),
                          expression=exp.Literal.number(0))

    # Fractional seconds of UTC_TIMESTAMP(fsp), which Doris and StarRocks call without an argument.
    PRECISION: ClassVar[int | None] = 6
    # Fractional seconds of the DATETIME(fsp) that literals and placeholders are cast to: a plain DATETIME
    # keeps none on MySQL, MariaDB and Doris; StarRocks' DATETIME keeps microseconds and takes no argument.
    DATETIME_PRECISION: ClassVar[int | None] = 6

    def timestamp(self, value: dt.datetime) -> exp.Expression:
        return _cast(exp.Literal.string(sql_text(value)), self._datetime())

    def timestamp_param(self, value: dt.datetime, bind: Bind) -> exp.Expression:
        return _cast(bind(value), self._datetime())

    def _datetime(self) -> exp.DataType:
        # A plain DATETIME has no fraction of a second: MariaDB's cast drops it and MySQL's rounds it, so
        # `last_open_date = 2026-06-01T23:59:59.5Z` matched nobody on MariaDB and a boundary of 23:59:59.5
        # moved by half a second. DATETIME(6) keeps the microseconds every other engine keeps.
        if self.DATETIME_PRECISION is None:
            return exp.DataType(this=exp.DataType.Type.DATETIME)
        return _with_microseconds(exp.DataType.Type.DATETIME)

    def now(self) -> exp.Expression:
        return exp.UtcTimestamp(this=exp.Literal.number(self.PRECISION) if self.PRECISION is not None else None)

    def minus(self, amount: int, unit: str) -> exp.Expression:
        size, part = interval_parts(amount, unit)
        return exp.DateSub(this=self.now(), expression=exp.Literal.number(size), unit=exp.Var(this=part))

    def byte_length(self, value: exp.Expression) -> exp.Expression:
        return exp.Anonymous(this="LENGTH", expressions=[value.copy()])  # bytes in the whole family


class Doris(MySQL):
    verified = False  # only MySQL and MariaDB run in the tests
    PRECISION = None
    NULLIF_DIVISOR = True  # their division by zero is not checked here


class StarRocks(Doris):
    DATETIME_PRECISION = None


def _with_microseconds(kind: exp.DataType.Type) -> exp.DataType:
    """`kind(6)`: a timestamp type keeping microseconds, for engines whose plain one keeps fewer."""
    return exp.DataType(this=kind, expressions=[exp.DataTypeParam(this=exp.Literal.number(6))])


class MicrosecondTimestamps(Target):
    """Literals and placeholders cast to TIMESTAMP(6): Exasol's plain TIMESTAMP keeps milliseconds, so
    `2026-06-01T23:59:59.0005Z` would lose its fraction."""

    def timestamp(self, value: dt.datetime) -> exp.Expression:
        return _cast(exp.Literal.string(sql_text(value)), _with_microseconds(exp.DataType.Type.TIMESTAMP))

    def timestamp_param(self, value: dt.datetime, bind: Bind) -> exp.Expression:
        return _cast(bind(value), _with_microseconds(exp.DataType.Type.TIMESTAMP))


class Trino(MicrosecondTimestamps, Postgres):
    """Trino and the engines built on it (Athena 3, Dune): a plain TIMESTAMP is TIMESTAMP(3), milliseconds.
    Presto's temporal types keep milliseconds only, with no way to ask for more: it stays `Postgres`."""


class DateAddFunction(Target):
    """Live time as `DATEADD(unit, -n, now)`: for engines whose DATEADD clamps a day the target month lacks
    to its last day (T-SQL, Snowflake, Redshift; their ADD_MONTHS, where it exists, keeps month ends instead)."""

    def minus(self, amount: int, unit: str) -> exp.Expression:
        size, part = interval_parts(amount, unit)
        return exp.DateAdd(this=self.now(), expression=exp.Literal.number(-size), unit=exp.Var(this=part))


class TSQL(DateAddFunction):
    """SQL Server and Fabric: `SYSUTCDATETIME()` is the current UTC time as a DATETIME2. T-SQL has no boolean
    values, so a condition that may be NULL is read through a CASE."""

    BOOLEAN_VALUES = False

    def now(self) -> exp.Expression:
        return _call("SYSUTCDATETIME")


class Snowflake(DateAddFunction):
    """Snowflake: the current time converted to UTC, as a TIMESTAMP_NTZ (what `CAST(... AS TIMESTAMP)` gives
    under the default TIMESTAMP_TYPE_MAPPING)."""

    def now(self) -> exp.Expression:
        utc = exp.ConvertTimezone(target_tz=exp.Literal.string("UTC"), timestamp=exp.CurrentTimestamp())
        return _cast(utc, exp.DataType.Type.TIMESTAMPNTZ)


class Redshift(DateAddFunction):
    """Redshift: GETDATE() is the session zone's wall clock (UTC unless the session sets another); it is
    converted from that zone to UTC."""

    def now(self) -> exp.Expression:
        zone = _call("CURRENT_SETTING", exp.Literal.string("timezone"))
        return exp.ConvertTimezone(source_tz=zone, target_tz=exp.Literal.string("UTC"), timestamp=_call("GETDATE"))


class BigQuery(Target):
    """BigQuery: sqlglot's plain TIMESTAMP is BigQuery's DATETIME; `CURRENT_DATETIME('UTC')` is the current
    UTC time of that type, and DATETIME_SUB clamps months ("the result day is the last day of the new month")."""

    ESCAPE_CLAUSE = False

    def now(self) -> exp.Expression:
        return exp.CurrentDatetime(this=exp.Literal.string("UTC"))

    def minus(self, amount: int, unit: str) -> exp.Expression:
        size, part = interval_parts(amount, unit)
        return exp.DatetimeSub(this=self.now(), expression=exp.Literal.number(size), unit=exp.Var(this=part))


class Oracle(Target):
    """Oracle: the current UTC time to the second, as a DATE (`SYS_EXTRACT_UTC(SYSTIMESTAMP)`).

    Oracle's calendar arithmetic fits the language nowhere as is: `ts - INTERVAL '6' MONTH` raises an error
    when the day does not exist in the target month, and ADD_MONTHS keeps month ends (Feb 28 minus 6 months
    gives Aug 31). The right value is the earlier of ADD_MONTHS and the same day-and-time offset from the
    first of the target month: ADD_MONTHS is right unless it moved a month end forward, and the offset is
    right unless the day does not exist there. Literals go through TO_TIMESTAMP with an explicit format, since
    `CAST('...' AS TIMESTAMP)` follows the session's NLS_TIMESTAMP_FORMAT; placeholders are numbered. SQL
    has boolean values only from Oracle 23ai on, so conditions are read through a CASE, as for T-SQL.
    """

    BOOLEAN_VALUES = False

    def timestamp(self, value: dt.datetime) -> exp.Expression:
        text = value.isoformat(sep=" ", timespec="microseconds")
        return exp.StrToTime(this=exp.Literal.string(text), format=exp.Literal.string("%Y-%m-%d %H:%M:%S.%f"))

    def placeholder(self, position: int, value: object = None) -> exp.Placeholder:
        # Oracle has no `?`. Its binds are named (`:p1`, `:p2`, ...; a driver given a sequence binds them in
        # order); `:1` would do for Oracle, but sqlglot cannot read it back.
        return exp.Placeholder(this=f"p{position + 1}")

    def now(self) -> exp.Expression:
        return _cast(_call("SYS_EXTRACT_UTC", exp.Systimestamp()), exp.DataType.Type.DATE)

    def minus(self, amount: int, unit: str) -> exp.Expression:
        months = months_of(amount, unit)
        if months is None:
            size, part = interval_parts(amount, unit)
            return exp.Sub(this=self.now(), expression=_call("NUMTODSINTERVAL", exp.Literal.number(size),
                                                             exp.Literal.string(part)))
        moved = _call("ADD_MONTHS", self.now(), exp.Literal.number(-months))
        offset = exp.Paren(this=exp.Sub(this=self.now(), expression=self._month_start(self.now())))
        same_offset = exp.Add(this=self._month_start(moved.copy()), expression=offset)
        return exp.Least(this=moved, expressions=[same_offset])

    @staticmethod
    def _month_start(value: exp.Expression) -> exp.Expression:
        return _call("TRUNC", value, exp.Literal.string("MM"))


class SQLite(_SpelledOutCase):
    """SQLite: verified. Timestamps are ISO text (`YYYY-MM-DD HH:MM:SS`), compared as text.

    Three engine facts shape this class: `datetime(t, '-6 months')` does not clamp (Aug 31 becomes Mar 3);
    `lower()` only folds ASCII letters (see `_SpelledOutCase`); and LIKE, `length()` and `substr()` stop at a
    NUL character, while `instr()`, `=` and blob `substr()` do not.
    """

    verified = True
    GROUP_ANTI_JOIN_SET = True
    ANTI_JOIN_BY_LOOKUP = True
    LOOKUPS_AFTER_FIELDS = 1
    LOOKUPS_AFTER_FACTS = True
    FEW_EVENTS_AS_SETS = True

    def text(self, value: str) -> exp.Expression:
        # A NUL cannot appear in SQL text given to SQLite; splice it in with char(0).
        if "\x00" not in value:
            return exp.Literal.string(value)
        parts: list[exp.Expression] = []
        for index, piece in enumerate(value.split("\x00")):
            if index:
                parts.append(exp.Chr(expressions=[exp.Literal.number(0)]))
            if piece:
                parts.append(exp.Literal.string(piece))
        result = parts[0]
        for part in parts[1:]:
            result = exp.DPipe(this=result, expression=part, safe=True)
        return exp.Paren(this=result)

    # Money is REAL, and a sum of REALs rounds at each step (0.10 + 0.20 is not 0.3): each amount is
    # rounded to its whole cents, which a double holds exactly, and those are summed, exactly while the
    # sum stays under 2^53 cents. The stored double of an amount of two decimals is the one nearest to
    # it, so its cents are exactly the amount's (docs/schema.md).
    MONEY_UNIT = 100

    def money(self, value: exp.Expression) -> exp.Expression:
        return exp.Round(this=exp.Mul(this=value, expression=exp.Literal.number(100)))

    def money_sum(self, value: exp.Expression) -> exp.Expression:
        # Whole cents divided by 100 in binary: the double nearest the exact sum, as a literal is.
        return exp.Div(this=self.to_double(exp.Sum(this=self.money(value))), expression=exp.Literal.number(100))

    def average(self, value: exp.Expression) -> exp.Expression:
        cents = exp.Mul(this=exp.Count(this=value.copy()), expression=exp.Literal.number(100))
        return self.divide(exp.Sum(this=self.money(value)), cents)

    def param(self, value: object) -> object:
        # sqlite3 binds no Decimal; a decimal literal means the nearest double, as it would inline.
        if isinstance(value, Decimal):
            return _driver_number(value)
        return value

    def timestamp(self, value: dt.datetime) -> exp.Expression:
        return exp.Literal.string(sql_text(value))

    def timestamp_param(self, value: dt.datetime, bind: Bind) -> exp.Expression:
        return bind(sql_text(value))

    def now(self) -> exp.Expression:
        return _call("datetime", exp.Literal.string("now"))

    def minus(self, amount: int, unit: str) -> exp.Expression:
        now = exp.Literal.string("now")
        months = months_of(amount, unit)
        if months is None:
            size, word = {"h": (amount, "hours"), "d": (amount, "days"), "w": (7 * amount, "days")}[unit]
            return _call("datetime", now, exp.Literal.string(f"-{size} {word}"))
        # datetime(now, '-N months') overflows into the next month when the day does not exist there; the
        # last day of the target month at now's time of day is the clamped value, and the earlier of the two
        # is always right ('now' is the same instant in every call of one statement step).
        unclamped = _call("datetime", now, exp.Literal.string(f"-{months} months"))
        time_of_day = exp.DPipe(this=exp.Literal.string("+"), expression=_call("time", now), safe=True)
        month_end = _call(
            "datetime", now, exp.Literal.string("start of month"), exp.Literal.string(f"-{months - 1} months"),
            exp.Literal.string("-1 day"), time_of_day,
        )
        return exp.Least(this=unclamped, expressions=[month_end])

    def month_of(self, value: exp.Expression) -> exp.Expression:
        # Timestamps are ISO text here ('2026-12-05 10:00:00'), so the month is characters 6 and 7:
        # strftime('%m', ...) parses the whole date first, 3 to 4 times slower over 200,000 orders.
        # substr, not substring: SQLite only has the longer name since 3.34.
        return _cast(_call("substr", value, exp.Literal.number(6), exp.Literal.number(2)), exp.DataType.Type.INT)

    def byte_length(self, value: exp.Expression) -> exp.Expression:
        # length() counts characters up to a NUL, the blob's its bytes.
        return exp.Length(this=_cast(value.copy(), exp.DataType.Type.VARBINARY))

    def text_match(self, op: str, value: exp.Expression, pattern: str, bind: Bind, *,
                   stored_lower: bool = False) -> exp.Expression:
        # Compare the UTF-8 bytes of the folded texts: blob functions count bytes and do not stop at NUL, and
        # a byte match of valid UTF-8 is a character match.
        haystack = _cast(value if stored_lower else self.lower(value, pattern), exp.DataType.Type.VARBINARY)
        needle = _cast(self.rule_text(pattern, bind), exp.DataType.Type.VARBINARY)
        if op == "contains":
            return exp.GT(this=_call("instr", haystack, needle), expression=exp.Literal.number(0))
        # The pattern is used twice (its length, then the comparison): each use gets its own placeholder.
        size = exp.Length(this=_cast(self.rule_text(pattern, bind), exp.DataType.Type.VARBINARY))
        if op == "starts with":
            head = exp.Substring(this=haystack, start=exp.Literal.number(1), length=size)
            return exp.EQ(this=head, expression=needle)
        tail = exp.Substring(this=haystack, start=exp.Neg(this=size))
        return exp.EQ(this=tail, expression=needle)


# The characters outside ASCII whose lower case holds ASCII letters, as Python's `str.lower` gives it (found
# by scanning every code point; tests/test_compile.py checks the list): the Kelvin sign and the capital I
# with a dot above, whose lower case keeps the dot as a combining character.
_ASCII_LOWER_CASES = {"\u212a": "k", "\u0130": "i\u0307"}


@functools.cache
def _cased_by_letter() -> dict[str, tuple[str, ...]]:
    """For each character of a lower case, the characters outside ASCII that `str.lower` changes into a text
    holding it: `É` under `é`, `ẞ` under `ß`, `İ` under `i` and the combining dot, the Kelvin sign under
    `k`. Every code point is scanned once (0.1 s), the first time a rule's text holds a letter outside ASCII."""
    index: dict[str, list[str]] = {}
    for code in range(0x80, sys.maxunicode + 1):
        upper = chr(code)
        lower = upper.lower()
        if lower != upper:
            for ch in sorted(set(lower)):
                index.setdefault(ch, []).append(upper)
    return {ch: tuple(uppers) for ch, uppers in index.items()}


def _cases_of(folded: str) -> dict[str, str]:
    """The characters outside ASCII whose lower case shares a character with `folded` (the rule's text in
    lower case), each with its lower case, in code point order. ASCII text needs only the two of
    `_ASCII_LOWER_CASES`, and no scan."""
    if folded.isascii():
        return _needed(_ASCII_LOWER_CASES, folded)
    index = _cased_by_letter()
    uppers = sorted({upper for ch in set(folded) for upper in index.get(ch, ())})
    return {upper: upper.lower() for upper in uppers}


def _needed(cases: dict[str, str], against: str | None) -> dict[str, str]:
    """The `cases` whose lower case shares a character with the lower case of `against` (all without it):
    compared with a text that has none of the letters a character folds to, it cannot be part of a match
    whichever way it folds, and needs no spelling out."""
    if against is None:
        return cases
    letters = set(against.lower())
    return {upper: lower for upper, lower in cases.items() if letters & set(lower)}


def _lower_spelling_out(value: exp.Expression, cases: dict[str, str], byte_length: exp.Expression) -> exp.Expression:
    """`LOWER(value)` with the characters of `cases` replaced by their lower case first, for an engine whose
    lower() folds them otherwise than Python does. Only a column's text that is not ASCII (its
    `byte_length` longer than its characters) pays for the replacing: over a million emails on DuckDB,
    1.04 times a plain LOWER against 1.72 times with REPLACE on every value; over 100,000 on SQLite, 1.27
    against 2.26. The rule's text is folded once: replaced when it may hold such a character."""
    if not cases:
        return exp.Lower(this=value)
    spelled = value.copy()
    for upper, lower in cases.items():
        spelled = exp.Anonymous(this="REPLACE", expressions=[spelled, exp.Literal.string(upper),
                                                             exp.Literal.string(lower)])
    if isinstance(value, exp.Literal):
        return exp.Lower(this=spelled if any(upper in value.this for upper in cases) else value)
    if isinstance(value, exp.Placeholder):
        return exp.Lower(this=spelled)
    ascii_only = exp.EQ(this=byte_length, expression=exp.Length(this=value.copy()))
    return exp.Case(ifs=[exp.If(this=ascii_only, true=exp.Lower(this=value))], default=exp.Lower(this=spelled))


_TARGETS: dict[str, type[Target]] = {
    "duckdb": DuckDB, "sqlite": SQLite,
    "postgres": PostgreSQL, "materialize": Postgres, "risingwave": Postgres,
    "trino": Trino, "presto": Postgres, "athena": Trino, "dune": Trino,
    "mysql": MySQL, "doris": Doris, "starrocks": StarRocks,
    "spark": SparkSQL, "databricks": Spark,
    "clickhouse": ClickHouse, "exasol": MicrosecondTimestamps,
    "bigquery": BigQuery, "snowflake": Snowflake, "redshift": Redshift,
    "tsql": TSQL, "fabric": TSQL, "oracle": Oracle,
}

# Why live time is refused for the SQL dialects without a clock above; `--as-of` works for all of them.
LIVE_REFUSED: dict[str, str] = {
    "hive": "Hive cannot name the session's time zone in SQL, and its add_months keeps month ends "
            "(Feb 28 minus 6 months gives Aug 31)",
    "spark2": "Spark 2 has neither current_timezone() nor TIMESTAMP_NTZ, so the current UTC time depends on "
              "the session time zone",
    "exasol": "Exasol's ADD_MONTHS keeps month ends (Feb 28 minus 6 months gives Aug 31), which the "
              "language does not",
    "teradata": "Teradata reads CURRENT_TIMESTAMP in the session's time zone, and how a cast of it to UTC "
                "behaves has not been checked",
    "drill": "Drill reads the current time in its JVM's time zone and has no conversion to UTC",
    "druid": "Druid's time arithmetic follows the query context's sqlTimeZone; it has not been checked",
    "dremio": "Dremio's calendar arithmetic on timestamps has not been checked",
    "solr": "Solr's SQL has no documented calendar arithmetic on timestamps",
    "tableau": "Tableau's time functions follow the data source; they have not been checked",
}

# sqlglot dialects that are not SQL: sqlglot reads them but prints nothing their tools would run.
NOT_SQL: frozenset[str] = frozenset({"dax", "prql"})


def target(name: str) -> Target:
    if name in NOT_SQL:
        raise UnsupportedDialect(f"`{name}` is not a SQL dialect: sqlglot only reads it",
                                 hints=("compile for a SQL dialect, e.g. `duckdb` or `postgres`",))
    return _TARGETS.get(name, Target)(name)


def verified_dialects() -> tuple[str, ...]:
    return tuple(name for name, cls in _TARGETS.items() if cls.verified)
