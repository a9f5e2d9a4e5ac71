"""The compiler: a checked rule to a sqlglot tree and SQL for one dialect (SPEC sections 3.4 to 3.6 and 4).

`compile()` is the composition of the stage's parts: `dialects` (what differs between engines),
`calendar` (anchored time arithmetic in Python) and `query` (the query shapes, documented there).
`contacts()` selects every contact that exists at an instant, the total of a share. `dialect_support()` says,
for every sqlglot dialect, what the compiler does with it (`rare dialects`).
Everything it refuses is an `UnsupportedDialect`, a `RuleError` with an RD301 or RD302 diagnostic.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialects

from rare_dsl.check import check
from rare_dsl.compiler.calendar import as_of_problem, naive_utc
from rare_dsl.compiler.dialects import NOT_SQL, Target, UnsupportedDialect, generator, target, verified_dialects
from rare_dsl.compiler.query import Binder, Clock, QueryBuilder
from rare_dsl.diagnostics import Diagnostic, RuleError, suggest
from rare_dsl.schema import Schema, default_schema
from rare_dsl.typed import CheckedRule, CheckedSegment

_PLACEHOLDER = re.compile(r"rare_param_(\d+)")


@dataclass(frozen=True)
class CompiledSegment:
    """A rule compiled for one dialect: the SQL text, its sqlglot tree and, when parameterized, the values
    of the placeholders in the order they appear in `sql`."""

    sql: str
    expression: exp.Select = field(repr=False)
    dialect: str
    params: tuple[object, ...] = field(default=())
    as_of: dt.datetime | None = None  # naive UTC; None for live mode


@functools.cache
def dialects() -> tuple[str, ...]:
    """Every dialect name sqlglot knows, in its own order."""
    return tuple(d.value for d in Dialects if d.value)


@dataclass(frozen=True)
class DialectSupport:
    """What the compiler does for one dialect. `tier` is `verified` (the tests run its SQL on the real
    engine), `generated` (snapshot-tested and parsed back by sqlglot) or `unsupported` (not SQL);
    `live_refusal` says why live time is refused, empty when it is supported."""

    name: str
    tier: str
    live: bool
    parameterized: bool
    live_refusal: str = ""


def dialect_support() -> tuple[DialectSupport, ...]:
    """Every sqlglot dialect, with its tier and what it supports."""
    verified = set(verified_dialects())
    found = []
    for name in dialects():
        if name in NOT_SQL:
            found.append(DialectSupport(name, "unsupported", False, False, "not a SQL dialect: sqlglot only reads it"))
            continue
        engine = target(name)
        refusal = engine.live_refusal()
        found.append(DialectSupport(name, "verified" if name in verified else "generated", refusal is None,
                                    name not in Target.PLACEHOLDERS_REFUSED, refusal or ""))
    return tuple(found)


# What people call some engines, where spelling alone would suggest another (`mssql` is closest to `mysql`).
_OTHER_NAMES = {"mssql": "tsql", "sqlserver": "tsql", "azuresql": "tsql", "synapse": "tsql", "mariadb": "mysql",
                "postgresql": "postgres", "pg": "postgres", "psql": "postgres", "bq": "bigquery", "sparksql": "spark",
                "pyspark": "spark", "awsathena": "athena", "ch": "clickhouse"}


def check_dialect(dialect: str) -> str:
    """The sqlglot name of a dialect given in any case; an unknown one is RD302 with a did-you-mean."""
    name = dialect.strip().lower()
    known = dialects()
    if name not in known:
        close = _OTHER_NAMES.get(name.replace(" ", "").replace("-", "").replace("_", "")) or suggest(name, known)
        hints = (f"did you mean `{close}`?",) if close else ("dialects: " + ", ".join(known),)
        raise UnsupportedDialect(f"unknown dialect `{dialect}`", code="RD302", hints=hints)
    return name


def compile(
    rule: str | CheckedRule,
    *,
    dialect: str = "duckdb",
    schema: Schema | None = None,
    as_of: dt.datetime | None = None,
    parameterized: bool = False,
    segments: Mapping[str, CheckedRule | CheckedSegment] | None = None,
    pretty: bool = False,
) -> CompiledSegment:
    """Compile a rule (text or checked) to SQL selecting the `customer_id` of each matching contact.

    `as_of` anchors the rule at a fixed instant (an aware datetime, or a naive one in UTC); None compiles
    live SQL that reads the engine's clock. `segments` are the rules `in_segment` may refer to, inlined as
    subqueries or, when used twice or referring to others, compiled once as common table expressions.
    Raises `RuleError` for an invalid rule and `UnsupportedDialect` for an unknown dialect or a construct
    the dialect cannot express.
    """
    name = check_dialect(dialect)
    checked = check(rule, schema, segments=list(segments) if segments is not None else None) \
        if isinstance(rule, str) else rule
    resolved = {key: (value.rule if isinstance(value, CheckedSegment) else value)
                for key, value in (segments or {}).items()}
    engine = target(name)
    if parameterized:
        engine.check_parameterized()
    binder = Binder(engine, parameterized)
    anchor = naive_utc(as_of) if as_of is not None else None
    if anchor is not None and (problem := as_of_problem(anchor)) is not None:
        raise RuleError([Diagnostic("RD210", problem, None, None)])
    clock = Clock(anchor, engine, binder.timestamp)
    tree = engine.finish(QueryBuilder(checked.schema, engine, binder, clock, resolved).rule(checked))
    if not parameterized:
        return CompiledSegment(_generate(tree, name, pretty), tree, name, (), anchor)
    # Placeholders are named while building; the order in which they appear in the printed SQL is the
    # order of the values, whatever order the generator prints the tree's parts in.
    named = _generate(tree, name, False)
    order = [int(index) for index in _PLACEHOLDER.findall(named)]
    # A value bound for a part the compiler then left out (`order_count is set` is TRUE whatever the
    # count) is simply not passed.
    if len(set(order)) != len(order):
        # The dialect's generator repeated a value: which occurrence the engine reads would be a guess.
        raise UnsupportedDialect(f"parameterized SQL is not supported for {name}",
                                 hints=("compile without parameters; literals are escaped by sqlglot",))
    position = {index: place for place, index in enumerate(order)}
    anonymous = tree.copy()
    for placeholder in list(anonymous.find_all(exp.Placeholder)):
        index = int(_PLACEHOLDER.fullmatch(placeholder.name).group(1))  # type: ignore[union-attr]
        placeholder.replace(engine.placeholder(position[index], binder.params[index]))
    return CompiledSegment(_generate(anonymous, name, pretty), anonymous, name,
                           tuple(binder.params[i] for i in order), anchor)


def contacts(*, dialect: str = "duckdb", schema: Schema | None = None,
             as_of: dt.datetime | None = None) -> CompiledSegment:
    """Every contact, selected as `compile` selects a rule's members: at an as-of instant only the contacts
    that exist then (SPEC 8.4), live every contact of the store. The total a rule's share is of."""
    name = check_dialect(dialect)
    engine = target(name)
    binder = Binder(engine, False)
    anchor = naive_utc(as_of) if as_of is not None else None
    builder = QueryBuilder(schema or default_schema(), engine, binder, Clock(anchor, engine, binder.timestamp), {})
    tree = engine.finish(builder.contacts())
    return CompiledSegment(_generate(tree, name, False), tree, name, (), anchor)


# Dialects whose generator rewrites the tree it prints (LIMIT becomes TOP and leaves the tree).
_REWRITES_TREE = frozenset({"tsql", "fabric", "teradata"})


def _generate(tree: exp.Expression, dialect: str, pretty: bool) -> str:
    """The SQL text of a tree built for this one call. `Expression.sql` first copies the whole tree, a fifth
    of a warm compile; the other dialects' rewrites leave our trees printing the same SQL again, which
    tests/test_compile.py checks for every dialect. The generator is sqlglot's less the work that cannot
    change our trees' SQL (`dialects.generator`)."""
    return generator(dialect, pretty=pretty).generate(tree, copy=dialect in _REWRITES_TREE)


__all__ = ["CompiledSegment", "DialectSupport", "UnsupportedDialect", "check_dialect", "compile", "contacts",
           "dialect_support", "dialects", "verified_dialects"]
