"""The reference tables of SPEC 2 as DDL, built with sqlglot from a schema's physical names: the store's
(DuckDB, with keys) and, for the other engines, plain copies with types that suit each (`engine_tables`).

Types suit DuckDB: ids BIGINT, timestamps TIMESTAMP holding UTC (naive, like every engine the compiler
targets), money DECIMAL(12,2). Keys are those SPEC implies: customers by id and by lower-case email, lists
by id and by name, one list_members row per (list, contact), and the ids of orders, refunds and campaigns.
There are no foreign keys: DuckDB checks them row by row, which would make the demo's bulk loads and a
list's deletion slower without protecting anything the store's own code does not already keep right.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlglot
from sqlglot import exp

from rare_dsl.schema import Schema
from rare_dsl.types import Type

# The store's own bookkeeping (format version, what the demo generated); not part of any schema.
INFO_TABLE = "rare_store"
FORMAT_VERSION = "1"

MONEY = "DECIMAL(12,2)"
# logical table -> (logical column, DuckDB type, NOT NULL) in the order SPEC 2 lists them.
COLUMNS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "customers": (
        ("customer_id", "BIGINT", True), ("email", "VARCHAR", True), ("first_name", "VARCHAR", False),
        ("last_name", "VARCHAR", False), ("country", "VARCHAR", False), ("country_code", "VARCHAR", False),
        ("region", "VARCHAR", False), ("city", "VARCHAR", False), ("quality", "VARCHAR", False),
        ("status", "VARCHAR", False), ("created_at", "TIMESTAMP", True), ("source", "VARCHAR", False),
    ),
    "customer_tags": (("customer_id", "BIGINT", True), ("tag", "VARCHAR", True)),
    "orders": (("order_id", "BIGINT", True), ("customer_id", "BIGINT", True), ("created_at", "TIMESTAMP", True),
               ("total", MONEY, True)),
    "order_items": (
        ("order_id", "BIGINT", True), ("customer_id", "BIGINT", True), ("product_id", "VARCHAR", False),
        ("product_name", "VARCHAR", False), ("vendor", "VARCHAR", False), ("quantity", "INTEGER", True),
        ("price", MONEY, True),
    ),
    "refunds": (("refund_id", "BIGINT", True), ("order_id", "BIGINT", False), ("customer_id", "BIGINT", True),
                ("created_at", "TIMESTAMP", True), ("amount", MONEY, True)),
    "campaigns": (("campaign_id", "BIGINT", True), ("name", "VARCHAR", True), ("kind", "VARCHAR", True)),
    "events": (("customer_id", "BIGINT", True), ("campaign_id", "BIGINT", False), ("type", "VARCHAR", True),
               ("occurred_at", "TIMESTAMP", True)),
    "lists": (("list_id", "BIGINT", True), ("name", "VARCHAR", True), ("created_at", "TIMESTAMP", True)),
    "list_members": (("list_id", "BIGINT", True), ("customer_id", "BIGINT", True), ("added_at", "TIMESTAMP", True)),
}
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "orders": ("order_id",),
    "refunds": ("refund_id",),
    "campaigns": ("campaign_id",),
    "lists": ("list_id",),
    "list_members": ("list_id", "customer_id"),
}
UNIQUE: dict[str, tuple[str, ...]] = {"customers": ("email",), "lists": ("name",)}
TABLES = tuple(COLUMNS)
# The enum columns of customers and their reference values, in the order of the default schema.
REFERENCE_ENUMS = {
    "quality": ("new", "promising", "loyal", "vip", "at_risk", "lapsed"),
    "status": ("subscribed", "unsubscribed", "pending", "bounced"),
}

# The type of a column a schema adds to customers: a custom attribute, or an aggregate stored there.
_FIELD_TYPES = {Type.TEXT: "VARCHAR", Type.ENUM: "VARCHAR", Type.NUMBER: "DOUBLE", Type.BOOLEAN: "BOOLEAN",
                Type.TIMESTAMP: "TIMESTAMP"}
STORED_MEASURE_TYPES = {
    "order_count": "BIGINT", "refund_count": "BIGINT", "total_spent": MONEY, "average_order_value": MONEY,
    "first_order_date": "TIMESTAMP", "last_order_date": "TIMESTAMP", "last_open_date": "TIMESTAMP",
    "last_click_date": "TIMESTAMP",
}


def ident(name: str) -> exp.Identifier:
    """A quoted identifier: a physical name may be a keyword (`order`, `user`) or hold any character."""
    return exp.to_identifier(name, quoted=True)


def table(schema: Schema, logical: str) -> exp.Table:
    return exp.Table(this=ident(schema.tables[logical].name))


def column(schema: Schema, logical_table: str, logical_column: str, alias: str | None = None) -> exp.Column:
    physical = ident(schema.tables[logical_table].column(logical_column))
    return exp.Column(this=physical, table=ident(alias) if alias else None)


def enum_values(schema: Schema, logical_column: str) -> dict[str, str]:
    """Reference value -> the value the schema stores in that enum column of customers. A schema that
    renames the values (examples/schema.toml grades contacts new ... champion, slipping, dormant) maps them
    position by position; one with another number of values keeps the reference ones."""
    reference = REFERENCE_ENUMS[logical_column]
    physical = schema.tables["customers"].column(logical_column)
    field = next((f for f in schema.fields.values() if f.kind == "attribute" and f.column == physical), None)
    if field is not None and len(field.values) == len(reference):
        return dict(zip(reference, field.values, strict=True))
    return {value: value for value in reference}


def stored_columns(schema: Schema) -> dict[str, str]:
    """Physical columns of customers the schema reads beyond the reference ones -> DuckDB type: custom
    attributes, and aggregates a schema keeps on customers (`stored_column`)."""
    reference = set(schema.tables["customers"].columns.values())
    extra: dict[str, str] = {}
    for field in schema.fields.values():
        if field.kind == "attribute" and field.column and field.column not in reference:
            extra.setdefault(field.column, _FIELD_TYPES.get(field.type, "VARCHAR"))
        elif field.kind == "aggregate" and field.stored_column and field.stored_column not in reference:
            extra.setdefault(field.stored_column, STORED_MEASURE_TYPES.get(field.measure or "", "DOUBLE"))
    return extra


def create_statements(schema: Schema) -> Iterator[exp.Create]:
    """CREATE TABLE IF NOT EXISTS for every reference table, then the store's info table."""
    for logical, columns in COLUMNS.items():
        mapped = schema.tables[logical]
        definitions: list[exp.Expression] = [
            _column_def(mapped.column(name), kind, not_null) for name, kind, not_null in columns
        ]
        if logical == "customers":
            email = exp.Column(this=ident(mapped.column("email")))
            # SPEC 2: stored lower-case. The check makes a writer that forgets fail loudly instead.
            definitions[1].append("constraints", exp.ColumnConstraint(kind=exp.CheckColumnConstraint(
                this=exp.EQ(this=email, expression=exp.Lower(this=email.copy())))))
            definitions += [_column_def(name, kind, False) for name, kind in stored_columns(schema).items()]
        if logical in PRIMARY_KEYS:
            definitions.append(exp.PrimaryKey(expressions=[ident(mapped.column(c)) for c in PRIMARY_KEYS[logical]]))
        if logical in UNIQUE:
            definitions.append(exp.UniqueColumnConstraint(
                this=exp.Schema(expressions=[ident(mapped.column(c)) for c in UNIQUE[logical]])))
        yield exp.Create(kind="TABLE", exists=True,
                         this=exp.Schema(this=exp.Table(this=ident(mapped.name)), expressions=definitions))
    yield exp.Create(kind="TABLE", exists=True, this=exp.Schema(this=exp.Table(this=ident(INFO_TABLE)), expressions=[
        _column_def("key", "VARCHAR", True), _column_def("value", "VARCHAR", False),
        exp.PrimaryKey(expressions=[ident("key")]),
    ]))


def create_temporary(name: str, columns: Sequence[tuple[str, str]]) -> exp.Create:
    """CREATE OR REPLACE TEMP TABLE name (column type, ...): scratch space of one connection."""
    return exp.Create(kind="TABLE", replace=True, properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
                      this=exp.Schema(this=exp.Table(this=ident(name)),
                                      expressions=[_column_def(column, kind, False) for column, kind in columns]))


# Where sqlglot's spelling of a DuckDB type does not suit the engine: MySQL's DATETIME keeps no fraction of a
# second (and its TIMESTAMP converts between time zones), SQLite compares timestamps as ISO text, ClickHouse's
# DateTime keeps no fraction either and, without a zone, reads text in the server's, Spark's TIMESTAMP is an
# instant read in the session's time zone (TIMESTAMP_NTZ is the plain one). Every ClickHouse column is
# Nullable(...), as a copy that takes the rows as they are needs: sqlglot wraps the types it translates, a type
# spelled in ClickHouse's own terms says so itself.
ENGINE_TYPES: dict[str, dict[str, str]] = {
    "mysql": {"TIMESTAMP": "DATETIME(6)"},
    "spark": {"TIMESTAMP": "TIMESTAMP_NTZ"},
    "sqlite": {"TIMESTAMP": "TEXT", MONEY: "REAL"},
    "clickhouse": {"TIMESTAMP": "Nullable(DateTime64(6, 'UTC'))"},
}
# Table properties an engine requires: every ClickHouse table names its table engine. MergeTree keeps the rows
# on disk under a chdb path; with nothing but nullable columns the sort key is the empty tuple.
ENGINE_PROPERTIES: dict[str, str] = {"clickhouse": "ENGINE = MergeTree ORDER BY tuple()"}


def engine_tables(schema: Schema, dialect: str, *, collation: str | None = None) -> Iterator[exp.Create]:
    """CREATE TABLE for every reference table in `dialect`, without keys or NOT NULL: a copy of facts for
    counting, which takes the rows as they are. `collation` is given to every text column, so that `=`
    and `<` compare text exactly, code point by code point, as the language does (see docs/dialects.md)."""
    for logical, columns in COLUMNS.items():
        mapped = schema.tables[logical]
        kinds = [(mapped.column(name), kind) for name, kind, _ in columns]
        if logical == "customers":
            kinds += list(stored_columns(schema).items())
        definitions = [_column_def(name, kind, False, dialect=dialect, collation=collation) for name, kind in kinds]
        yield exp.Create(kind="TABLE", this=exp.Schema(this=exp.Table(this=ident(mapped.name)),
                                                        expressions=definitions),
                         properties=_properties(dialect))


def _properties(dialect: str) -> exp.Properties | None:
    spelled = ENGINE_PROPERTIES.get(dialect)
    if spelled is None:
        return None
    parsed = sqlglot.parse_one(f"CREATE TABLE t (x Int64) {spelled}", read=dialect)
    return parsed.args["properties"]


# What the compiled SQL looks facts up by: each contact's rows (of one event type), from the start of a window.
# Created after the rows are loaded (faster than maintaining them row by row); SQLite and PostgreSQL read a
# contact's facts through them (bench/queries.py: the 10-clause rule on SQLite takes 0.5 s with the event
# type in the index, 2.5 s without). MySQL's text columns are TEXT, which an index takes only with a prefix
# length: there the text columns are left out. The contacts by id with their creation time: an anchored rule
# tests who existed (SPEC 8.4), which SQLite answers from this index without reading each contact's row
# (`orders() = 0` on 100,000 contacts: 134 ms reading the rows, 35 ms from the index, bench/existing.py).
ENGINE_INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "customers": (("customer_id", "created_at"),),
    "customer_tags": (("customer_id",),),
    "orders": (("customer_id", "created_at"), ("order_id",)),
    "order_items": (("order_id",),),
    "refunds": (("customer_id", "created_at"),),
    "events": (("customer_id", "type", "occurred_at"),),
    "list_members": (("customer_id",), ("list_id",)),
}


def index_statements(schema: Schema, dialect: str) -> Iterator[exp.Create]:
    """CREATE INDEX for the lookups in `ENGINE_INDEXES`, named after the physical table and columns."""
    text = {(table, name) for table, columns in COLUMNS.items() for name, kind, _ in columns if kind == "VARCHAR"}
    for logical, indexes in ENGINE_INDEXES.items():
        mapped = schema.tables[logical]
        for columns in indexes:
            kept = [c for c in columns if dialect != "mysql" or (logical, c) not in text]
            physical = [mapped.column(name) for name in kept]
            name = "_".join([mapped.name, *physical, "idx"])
            yield exp.Create(kind="INDEX", this=exp.Index(
                this=ident(name), table=exp.Table(this=ident(mapped.name)),
                params=exp.IndexParameters(columns=[exp.column(c, quoted=True) for c in physical])))


def drop_statements(schema: Schema) -> Iterator[exp.Drop]:
    for logical in COLUMNS:
        yield exp.Drop(kind="TABLE", exists=True, tables=[exp.Table(this=ident(schema.tables[logical].name))])


def _column_def(name: str, kind: str, not_null: bool, *, dialect: str = "duckdb",
                collation: str | None = None) -> exp.ColumnDef:
    constraints = [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())] if not_null else []
    spelled = ENGINE_TYPES.get(dialect, {}).get(kind, kind)
    data_type = exp.DataType.build(spelled, dialect="duckdb" if spelled == kind else dialect)
    if collation and kind == "VARCHAR":
        constraints.append(exp.ColumnConstraint(kind=exp.CollateColumnConstraint(this=exp.to_identifier(
            collation, quoted=dialect != "mysql"))))
    return exp.ColumnDef(this=ident(name), kind=data_type, constraints=constraints)
