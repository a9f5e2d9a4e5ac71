"""The schema package: the default vocabulary, user schema files laid over it, and their diagnostics."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rare_dsl.diagnostics import RuleError, render
from rare_dsl.schema import Field, Function, Schema, default_schema, load_schema
from rare_dsl.types import Category, Type

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "schema.toml"
DEFAULT_TOML = ROOT / "rare_dsl" / "schema" / "default.toml"

C, E, G, M = Category.CUSTOMER, Category.ECOMMERCE, Category.ENGAGEMENT, Category.MEMBERSHIP


def write(tmp_path: Path, text: str, name: str = "schema.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> tuple[RuleError, str]:
    with pytest.raises(RuleError) as caught:
        load_schema(path)
    return caught.value, render(caught.value.diagnostics, color=False)


# ------------------------------------------------------------------------------------------ the default

# SPEC 3.1: every field, with its category and type.
FIELDS = [
    ("email", C, Type.TEXT),
    ("first_name", C, Type.TEXT),
    ("last_name", C, Type.TEXT),
    ("country", C, Type.TEXT),
    ("country_code", C, Type.TEXT),
    ("region", C, Type.TEXT),
    ("city", C, Type.TEXT),
    ("quality", C, Type.ENUM),
    ("status", C, Type.ENUM),
    ("tags", C, Type.TEXT_LIST),
    ("created_at", C, Type.TIMESTAMP),
    ("order_count", E, Type.NUMBER),
    ("refund_count", E, Type.NUMBER),
    ("total_spent", E, Type.NUMBER),
    ("average_order_value", E, Type.NUMBER),
    ("first_order_date", E, Type.TIMESTAMP),
    ("last_order_date", E, Type.TIMESTAMP),
    ("last_open_date", G, Type.TIMESTAMP),
    ("last_click_date", G, Type.TIMESTAMP),
]

# SPEC 3.1: every function, as the spec writes its signature.
FUNCTIONS = [
    ("orders(within?, product?, vendor?, month?)", E, Type.NUMBER, "orders", None),
    ("spent(within?, product?, vendor?, month?)", E, Type.NUMBER, "spent", None),
    ("refunds(within?)", E, Type.NUMBER, "refunds", None),
    ("purchased(product?, vendor?, within?, month?)", E, Type.BOOLEAN, "purchased", None),
    ("bought_from(vendor, within?)", E, Type.BOOLEAN, "purchased", None),
    ("sends(within?, campaign?, series?)", G, Type.NUMBER, "events", "sent"),
    ("opens(within?, campaign?, series?)", G, Type.NUMBER, "events", "open"),
    ("clicks(within?, campaign?, series?)", G, Type.NUMBER, "events", "click"),
    ("conversions(within?, campaign?, series?)", G, Type.NUMBER, "events", "conversion"),
    ("engagement(within?)", G, Type.NUMBER, "engagement", None),
    ("in_list(name)", M, Type.BOOLEAN, "in_list", None),
    ("in_segment(name)", M, Type.BOOLEAN, "in_segment", None),
]

# SPEC 2: the reference tables and their columns.
TABLES = {
    "customers": "customer_id email first_name last_name country country_code region city quality status "
    "created_at source",
    "customer_tags": "customer_id tag",
    "orders": "order_id customer_id created_at total",
    "order_items": "order_id customer_id product_id product_name vendor quantity price",
    "refunds": "refund_id order_id customer_id created_at amount",
    "campaigns": "campaign_id name kind",
    "events": "customer_id campaign_id type occurred_at",
    "lists": "list_id name created_at",
    "list_members": "list_id customer_id added_at",
}


@pytest.mark.parametrize(("name", "category", "type_"), FIELDS)
def test_default_fields(name: str, category: Category, type_: Type) -> None:
    field = default_schema().lookup(name)
    assert isinstance(field, Field)
    assert (field.category, field.type) == (category, type_)
    assert field.description and "\n" not in field.description
    if field.kind == "attribute":
        assert field.column == name
    elif field.kind == "aggregate":
        assert field.measure == name and field.stored_column is None
    else:
        assert name == "tags" and field.kind == "tags"


@pytest.mark.parametrize(("signature", "category", "returns", "measure", "event"), FUNCTIONS)
def test_default_functions(signature: str, category: Category, returns: Type, measure: str, event: str) -> None:
    function = default_schema().lookup(signature.split("(")[0])
    assert isinstance(function, Function)
    assert function.signature() == signature
    assert (function.category, function.returns, function.measure, function.event) == (
        category,
        returns,
        measure,
        event,
    )
    assert function.description


def test_default_has_exactly_the_spec_vocabulary() -> None:
    schema = default_schema()
    assert set(schema.fields) == {name for name, _, _ in FIELDS}
    assert set(schema.functions) == {signature.split("(")[0] for signature, *_ in FUNCTIONS}
    assert schema.names() == [*schema.fields, *schema.functions]
    assert list(schema.by_category()) == [C, E, G, M]
    assert [item.name for item in schema.by_category()[M]] == ["in_list", "in_segment"]
    assert schema.lookup("contry") is None


def test_default_enums_params_and_values() -> None:
    schema = default_schema()
    assert schema.fields["quality"].values == ("new", "promising", "loyal", "vip", "at_risk", "lapsed")
    assert schema.fields["status"].values == ("subscribed", "unsubscribed", "pending", "bounced")
    within = schema.functions["opens"].param("within")
    assert within is not None and (within.kind, within.required) == ("duration", False)
    assert schema.functions["spent"].param("month").kind == "month"
    assert schema.functions["bought_from"].param("vendor").required
    assert schema.functions["in_segment"].param("name").required
    assert schema.functions["refunds"].param("vendor") is None
    assert dict(schema.event_types) == {t: t for t in ("sent", "open", "click", "conversion")}
    assert dict(schema.campaign_kinds) == {"campaign": "campaign", "series": "series"}
    assert dict(schema.engagement_weights) == {"open": 1, "click": 2, "conversion": 5}


@pytest.mark.parametrize(("table", "columns"), TABLES.items())
def test_default_tables(table: str, columns: str) -> None:
    mapped = default_schema().tables[table]
    assert mapped.name == table
    assert list(mapped.columns) == columns.split()
    assert all(mapped.column(column) == column for column in columns.split())


def test_default_schema_is_cached_immutable_and_hashable() -> None:
    schema = default_schema()
    assert default_schema() is schema
    assert schema.origin == "<default>"
    assert hash(schema) == hash(default_schema())
    with pytest.raises(TypeError):
        schema.fields["x"] = schema.fields["city"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        schema.origin = "elsewhere"  # type: ignore[misc]


def test_a_copy_of_the_default_file_is_a_valid_user_file(tmp_path: Path) -> None:
    copy = tmp_path / "copy.toml"
    shutil.copy(DEFAULT_TOML, copy)
    schema = load_schema(copy)
    assert schema == default_schema()
    assert schema.origin == str(copy)


def test_an_empty_file_is_the_default(tmp_path: Path) -> None:
    assert load_schema(write(tmp_path, "# nothing to change\n")) == default_schema()


# ------------------------------------------------------------------------------------------ user files


def test_example_schema() -> None:
    schema = load_schema(EXAMPLE)
    customers = schema.tables["customers"]
    assert customers.name == "shop_contacts"
    assert customers.column("customer_id") == "contact_id"
    assert customers.column("first_name") == "first_name"  # not listed: keeps its reference name
    assert schema.fields["country"].column == "country_name"  # follows the renamed column
    assert schema.fields["quality"].column == "grade"
    assert schema.fields["quality"].values == ("new", "active", "loyal", "champion", "slipping", "dormant")
    assert schema.fields["order_count"].stored_column == "orders_count"
    assert schema.fields["total_spent"].stored_column == "lifetime_value"
    assert schema.fields["refund_count"].stored_column is None
    assert dict(schema.event_types) == {"sent": "SENT", "open": "OPEN", "click": "CLICK", "conversion": "CONVERSION"}
    assert dict(schema.campaign_kinds) == {"campaign": "broadcast", "series": "flow"}
    assert dict(schema.engagement_weights) == {"open": 1, "click": 3, "conversion": 10}
    assert schema.tables["events"].column("type") == "event_type"
    assert schema.tables["customer_tags"].column("tag") == "label"
    assert schema.tables["refunds"].name == "refunds"
    points = schema.fields["loyalty_points"]
    assert (points.category, points.type, points.kind, points.column) == (C, Type.NUMBER, "attribute", "loyalty_points")
    assert schema.fields["accepts_sms"].column == "sms_opt_in"
    assert schema.fields["preferred_language"].values == ("en", "fr", "de", "es")
    assert schema.names()[: len(FIELDS)] == [name for name, _, _ in FIELDS]  # custom fields come after
    assert schema.origin == str(EXAMPLE)
    assert schema != default_schema()


def test_overlay_changes_only_what_it_states(tmp_path: Path) -> None:
    schema = load_schema(write(tmp_path, '[tables.orders.columns]\ntotal = "grand_total"\n'))
    default = default_schema()
    assert schema.tables["orders"].column("total") == "grand_total"
    assert schema.tables["orders"].name == "orders"
    assert {c: p for c, p in schema.tables["orders"].columns.items() if c != "total"} == {
        c: p for c, p in default.tables["orders"].columns.items() if c != "total"
    }
    assert {k: v for k, v in schema.tables.items() if k != "orders"} == {
        k: v for k, v in default.tables.items() if k != "orders"
    }
    assert (schema.fields, schema.functions) == (default.fields, default.functions)
    assert (schema.event_types, schema.campaign_kinds, schema.engagement_weights) == (
        default.event_types,
        default.campaign_kinds,
        default.engagement_weights,
    )


@pytest.mark.parametrize(
    ("text", "check"),
    [
        ('[engagement.weights]\nclick = 2.5\nopen = 0\nconversion = 4.0\n',
         lambda s: dict(s.engagement_weights) == {"open": 0, "click": Decimal("2.5"), "conversion": 4}),
        ('[fields.city]\ndescription = "Town or city"\n',
         lambda s: s.fields["city"].description == "Town or city"),
        ('[fields.region]\ncolumn = "state"\n', lambda s: s.fields["region"].column == "state"),
        ('[fields.quality]\ntype = "text"\n',
         lambda s: s.fields["quality"].type is Type.TEXT and s.fields["quality"].values == ()),
        ('[fields.city]\ntype = "enum"\nvalues = ["paris", "lyon"]\n',
         lambda s: s.fields["city"].values == ("paris", "lyon")),
        ('[fields.vip_since]\ntype = "timestamp"\n',
         lambda s: s.fields["vip_since"].column == "vip_since" and s.fields["vip_since"].description),
        ('[functions.opens]\ndescription = "Opens"\nparams = ["within", "campaign", "series"]\n',
         lambda s: s.functions["opens"].description == "Opens"),
        ('[params.within]\ndescription = "Time window"\n',
         lambda s: s.functions["opens"].param("within").description == "Time window"),
        ('fields.country.column = "land"\n', lambda s: s.fields["country"].column == "land"),
        # The default's fact tables are indexed (rare load makes them so); a table the file mentions is the
        # user's own, indexed only when the file says so.
        ("", lambda s: [t for t, table in s.tables.items() if table.indexed]
         == ["customer_tags", "orders", "refunds", "events", "list_members"]),
        ('[tables.orders]\nname = "shop_orders"\n', lambda s: not s.tables["orders"].indexed
         and s.tables["events"].indexed),
        ('[tables.orders.columns]\ntotal = "amount"\n', lambda s: not s.tables["orders"].indexed),
        ('[tables.orders]\nname = "shop_orders"\nindexed = true\n', lambda s: s.tables["orders"].indexed),
        ("[tables.events]\nindexed = false\n", lambda s: not s.tables["events"].indexed),
        ('[fields]\nscore = { type = "number", description = "Score" }\n',
         lambda s: s.fields["score"].type is Type.NUMBER),
        # `email` is stored lower-case in the store (its CHECK); a file's own contacts table, or another
        # column or type for it, is the user's data: compared folded unless the file says otherwise.
        ("", lambda s: s.fields["email"].lowercase and not s.fields["city"].lowercase),
        ('fields.email.description = "Mail"\n', lambda s: s.fields["email"].lowercase),
        ('[tables.customers]\nname = "contacts"\n', lambda s: not s.fields["email"].lowercase),
        ('[tables.customers]\nname = "contacts"\n[fields.email]\nlowercase = true\n',
         lambda s: s.fields["email"].lowercase),
        ('fields.email.column = "mail"\n', lambda s: not s.fields["email"].lowercase),
        ("fields.email.lowercase = false\n", lambda s: not s.fields["email"].lowercase),
        ("fields.city.lowercase = true\n", lambda s: s.fields["city"].lowercase),
        ('[fields]\nhandle = { type = "text", lowercase = true }\n', lambda s: s.fields["handle"].lowercase),
        ('fields.email.type = "number"\n', lambda s: not s.fields["email"].lowercase),
    ],
)  # fmt: skip
def test_overlays(tmp_path: Path, text: str, check) -> None:
    assert check(load_schema(write(tmp_path, text)))


# ------------------------------------------------------------------------------------------ broken files

# (file text, line of the diagnostic, words of its message, words of its help or None)
BROKEN = [
    ('[tabels.customers]\nname = "x"\n', 1, "unknown section `tabels`", "did you mean `tables`?"),
    ('[tables.custmers]\nname = "x"\n', 1, "unknown table `custmers`", "did you mean `customers`?"),
    ('[tables.orders]\nname = "o"\n[tables.orders.columns]\ntotl = "t"\n', 4,
     "unknown column `totl` in table `orders`", "did you mean `total`?"),
    ('[tables.orders]\nnmae = "o"\n', 2, "unknown key `nmae` in table `orders`", "did you mean `name`?"),
    ('[tables.orders]\nname = 3\n', 2, "`name` of table `orders` must be text, not a number", None),
    ('[tables.orders]\nname = ""\n', 2, "`name` of table `orders` is empty", None),
    ('[tables.orders]\nindexed = "yes"\n', 2, "`indexed` of table `orders` must be true or false, not text", None),
    ('[tables.orders]\nindex = true\n', 2, "unknown key `index` in table `orders`", "did you mean `indexed`?"),
    ('[tables.orders.columns]\ntotal = ["a"]\n', 2, "column `total` of table `orders` must be a column name", None),
    ("tables = 3\n", 1, "`tables` must be a table, not a number", None),
    ('[fields.quality]\ntpye = "enum"\n', 2, "unknown key `tpye` in field `quality`", "did you mean `type`?"),
    ('[fields.quality]\nvalues = ["new", "Vip"]\n', 2, "enum value `Vip` of field `quality` is not a lower-case",
     "write it as `vip`"),
    ('[fields.quality]\nvalues = ["new", "new"]\n', 2, "enum value `new` of field `quality` is listed twice", None),
    ("[fields.quality]\nvalues = []\n", 2, "enum field `quality` has no values", None),
    ("[fields.quality]\nvalues = [1, 2]\n", 2, "`values` of field `quality` must be an array of text", None),
    ('[fields.city]\ntype = "enum"\n', 1, "field `city` has no `values`", "add `values = ...`"),
    ('[fields.country]\nstored_column = "c"\n', 2, "`stored_column` is not allowed on field `country`", None),
    ('[fields.tags]\nstored_column = "c"\n', 2, "`stored_column` is not allowed on field `tags`", None),
    ('[fields.order_count]\ncolumn = "c"\n', 2, "`column` is not allowed on field `order_count`", None),
    ('[fields.city]\nvalues = ["a"]\n', 2, "`values` is not allowed on field `city`", 'add type = "enum"'),
    ('[fields.order_count]\ntype = "text"\n', 2, "cannot change `type` of the built-in field `order_count`",
     "may change only `description`, `stored_column`"),
    ('[fields.order_count]\nmeasure = "total_spent"\n', 2, "cannot change `measure`", None),
    ('[fields.country]\ncategory = "ecommerce"\n', 2, "cannot change `category` of the built-in field", None),
    ('[fields.Points]\ntype = "number"\n', 1, "field name `Points` is not a lower-case name", None),
    ('[fields.order]\ntype = "number"\n', 1, "field name `order` is a keyword of the language", None),
    ('[fields.segment]\ntype = "number"\n', 1, "field name `segment` is a keyword", None),
    ('[fields.opens]\ntype = "number"\n', 1, "field name `opens` is already the name of a function", None),
    ('[fields.points]\ntype = "integer"\n', 2, "unknown type `integer` for custom field `points`",
     "`text`, `number`, `boolean`, `timestamp`, `enum`"),
    ('[fields.points]\ntype = "list of text"\n', 2, "unknown type `list of text`", None),
    ('[fields.points]\ntype = "nubmer"\n', 2, "unknown type `nubmer`", "did you mean `number`?"),
    ('[fields.points]\ncategory = "ecommerce"\ntype = "number"\n', 2,
     "`category` is not allowed on custom field `points`", 'category = "customer"'),
    ('[fields.points]\nkind = "aggregate"\nmeasure = "order_count"\ntype = "number"\n', 2,
     "`kind` is not allowed on custom field `points`", None),
    ('[fields.points]\ntype = "number"\ndescription = """two\nlines"""\n', 3, "more than one line", None),
    ('[fields.points]\ntype = "number"\ncolumn = 7\n', 3, "`column` of custom field `points` must be text", None),
    ('[functions.open]\ndescription = "x"\n', 1, "unknown function `open` (a schema file cannot add",
     "did you mean `opens`?"),
    ('[functions.bought_from]\nrequired = []\n', 2, "cannot change `required` of the built-in function",
     None),
    ('[functions.opens]\nevent = "click"\n', 2, "cannot change `event` of the built-in function `opens`", None),
    ('[functions.orders]\nparams = ["within"]\n', 2, "cannot change `params`", None),
    ('[functions.orders]\nevent = "open"\n', 2, "cannot change `event` of the built-in function `orders`", None),
    ('[functions.orders]\ndescripton = "x"\n', 2, "unknown key `descripton`", "did you mean `description`?"),
    ('[params.product]\nkind = "duration"\n', 2, "cannot change `kind` of the built-in parameter", None),
    ('[params.withn]\ndescription = "x"\n', 1, "unknown parameter `withn`", "did you mean `within`?"),
    ("[engagement.weights]\nopen = -1\n", 2, "engagement weight `open` must be a non-negative number, not -1",
     None),
    ('[engagement.weights]\nclick = "2"\n', 2, "engagement weight `click` must be a non-negative number", None),
    ("[engagement.weights]\nclick = true\n", 2, "engagement weight `click` must be a non-negative number", None),
    ("[engagement.weights]\nclick = nan\n", 2, "engagement weight `click` must be a non-negative number", None),
    ("[engagement.weights]\nclcik = 2\n", 2, "unknown name `clcik` in `[engagement.weights]`",
     "did you mean `click`?"),
    ("[engagement]\nweight = { open = 2 }\n", 2, "unknown key `weight` in `[engagement]`", "did you mean `weights`?"),
    ('[events.types]\nopen = "X"\nclick = "X"\n', 3, "`click` and `open` are both stored as `X`", None),
    ('[events.types]\nopen = ""\n', 2, "`open` must be the text stored for it, not empty text", None),
    ('[campaigns.kinds]\nseries = 1\n', 2, "`series` must be the text stored for it, not 1", None),
    ('[campaigns.kinds]\nflow = "flow"\n', 2, "unknown name `flow` in `[campaigns.kinds]`", None),
    ('[fields]\npoints = { type = "number", colour = "x" }\n', 2, "unknown key `colour` in custom field `points`",
     "did you mean `column`?"),
    ('[fields.city]\nlowercase = "yes"\n', 2, "`lowercase` of field `city` must be true or false, not text", None),
    ("[fields.quality]\nlowercase = true\n", 2, "`lowercase` is not allowed on field `quality`: only a text",
     'make the field `type = "text"`'),
    ("[fields.tags]\nlowercase = true\n", 2, "`lowercase` is not allowed on field `tags`: only a text attribute",
     None),
    ("[fields.order_count]\nlowercase = true\n", 2, "`lowercase` is not allowed on field `order_count`", None),
    ('[fields]\npoints = { type = "number", lowercase = true }\n', 2,
     "`lowercase` is not allowed on custom field `points`", None),
    ('[fields.email]\nlowercse = true\n', 2, "unknown key `lowercse` in field `email`", "did you mean `lowercase`?"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "message", "hint"), BROKEN)
def test_broken_files(tmp_path: Path, text: str, line: int, message: str, hint: str | None) -> None:
    path = write(tmp_path, text)
    error, rendered = errors_of(path)
    assert [d.code for d in error.diagnostics] == ["RD902"], rendered
    diagnostic = error.diagnostics[0]
    assert diagnostic.is_error and diagnostic.source is not None
    assert diagnostic.source.name == str(path) and diagnostic.source.text == text
    assert diagnostic.location()[0] == line, rendered
    assert f"error[RD902]: {message}" in rendered.replace("\n", " ") or message in diagnostic.message, rendered
    assert f"--> {path}:{line}:" in rendered
    if hint is not None:
        assert hint in rendered, rendered


def test_rendered_diagnostic_points_at_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, '# my shop\n[tables.customers.columns]\nemial = "mail"   # the address\n')
    _, rendered = errors_of(path)
    assert rendered == (
        "error[RD902]: unknown column `emial` in table `customers`\n"
        f" --> {path}:3:1\n"
        "  |\n"
        '3 | emial = "mail"   # the address\n'
        "  | ^^^^^^^^^^^^^^ not a known column\n"
        "  |\n"
        "  = help: did you mean `email`?\n"
    )


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = (
        '[tables.custmers]\nname = "x"\n'
        '[fields.quality]\nvalues = ["A b"]\n'
        '[fields.country]\nstored_column = "c"\n'
        "[engagement.weights]\nopen = -1\nclick = -2\n"
    )
    error, _ = errors_of(write(tmp_path, text))
    assert [d.location()[0] for d in error.diagnostics] == [1, 4, 6, 8, 9]
    assert "write it as `a_b`" in error.diagnostics[1].hints[0]


def test_located_in_inline_and_dotted_keys(tmp_path: Path) -> None:
    text = '[tables]\norders = { name = "o", columns = { totl = "t" } }\nfields.quality.values = ["X"]\n'
    error, rendered = errors_of(write(tmp_path, text))
    assert [d.location() for d in error.diagnostics] == [(2, 36), (3, 1)], rendered


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('[fields.city]\ndescription = "Town\n', 2, 20),
        ("[fields.city\n", 1, 13),
        ("[engagement.weights]\nopen = 1\nopen = 2\n", 3, 9),
        ("a = \n", 1, 5),
        ("a = [1,\n", 2, 1),
    ],
)
def test_toml_syntax_error(tmp_path: Path, text: str, line: int, column: int) -> None:
    error, rendered = errors_of(write(tmp_path, text))
    (diagnostic,) = error.diagnostics
    assert diagnostic.code == "RD902"
    assert diagnostic.message.startswith("invalid TOML: ")
    assert "(at line" not in diagnostic.message
    assert diagnostic.location() == (line, column), rendered


def test_deeply_nested_toml(tmp_path: Path) -> None:
    error, _ = errors_of(write(tmp_path, "a = " + "[" * 5000))
    assert [d.code for d in error.diagnostics] == ["RD902"]


def test_crlf_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "windows.toml"
    path.write_bytes(b'\xef\xbb\xbf[fields.city]\r\ndescription = "Town"\r\n[fields.region]\r\ntpye = "x"\r\n')
    error, _ = errors_of(path)
    assert error.diagnostics[0].location() == (4, 1)


# ------------------------------------------------------------------------------------------ unreadable


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: tmp / "missing.toml", "no such file"),
        (lambda tmp: tmp, "it is a directory"),
        (lambda tmp: (tmp / "latin1.toml").write_bytes(b"[fields.city]\ndescription = 'Br\xe9sil'\n")
         and tmp / "latin1.toml", "not UTF-8 text"),
    ],
)  # fmt: skip
def test_unreadable_file(tmp_path: Path, make, reason: str) -> None:
    path = make(tmp_path)
    error, rendered = errors_of(path)
    (diagnostic,) = error.diagnostics
    assert (diagnostic.code, diagnostic.span) == ("RD901", None)
    assert f"cannot read schema file `{path}`: {reason}" in diagnostic.message
    assert str(path) in rendered


# ------------------------------------------------------------------------------------------ never a traceback


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes_give_a_schema_or_rule_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.toml"
    path.write_bytes(data)
    try:
        schema = load_schema(path)
    except RuleError as error:
        assert error.diagnostics and {d.code for d in error.diagnostics} <= {"RD901", "RD902"}
        render(error.diagnostics, color=False)
    else:
        assert isinstance(schema, Schema)


def test_junk_bytes_give_rule_error(tmp_path: Path) -> None:
    for junk in (b"\x00\x01\x02", b"\xff\xfe\xfd", b"\x89PNG\r\n\x1a\n", b"= = =", b"[[[", b"fields = 1"):
        path = tmp_path / "junk.toml"
        path.write_bytes(junk)
        with pytest.raises(RuleError):
            load_schema(path)


# Plausible but wrong files: real section and key names with values of any type, to reach the validator.
# fmt: off
_KEYS = ["tables", "fields", "functions", "params", "events", "campaigns", "engagement", "customers", "orders",
         "columns", "name", "quality", "country", "order_count", "tags", "points", "opens", "bought_from",
         "within", "types", "kinds", "weights", "open", "click", "series", "type", "values", "column",
         "stored_column", "measure", "kind", "category", "description", "params", "required", "event", "Bad-Key"]
# fmt: on
_SCALARS = st.one_of(
    st.sampled_from(["text", "enum", "number", "customer", "vip", "", "X Y", "list of text", "open", "within"]),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=5),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=3),
    max_leaves=12,
)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=4))
def test_random_documents_give_a_schema_or_located_errors(tmp_path: Path, document: dict) -> None:
    text = "".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in document.items())
    path = write(tmp_path, text)
    try:
        load_schema(path)
    except RuleError as error:
        for diagnostic in error.diagnostics:
            assert diagnostic.code == "RD902"
            assert diagnostic.span is not None and diagnostic.span.end <= len(text)
        render(error.diagnostics, color=False)


_EXAMPLE_TEXT = EXAMPLE.read_text(encoding="utf-8")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, len(_EXAMPLE_TEXT)),
            st.integers(0, 20),
            st.text(alphabet="[]{}=\"'.,#\n abcX_-1", max_size=4),
        ),
        max_size=4,
    )
)
def test_edits_of_the_example_give_a_schema_or_located_errors(tmp_path: Path, edits: list) -> None:
    text = _EXAMPLE_TEXT
    for position, cut, insert in edits:
        text = text[:position] + insert + text[position + cut :]
    path = write(tmp_path, text)
    try:
        load_schema(path)
    except RuleError as error:
        assert all(d.span is not None and d.span.end <= len(text) for d in error.diagnostics)
        render(error.diagnostics, color=False)


def test_reserved_field_names_are_the_grammars_keywords():
    """A custom field may not be named like a keyword: the two lists must not drift apart."""
    from rare_dsl.schema.model import KEYWORDS
    from rare_dsl.syntax.parser import _lark

    grammar_keywords = {
        t.pattern.value.lower()
        for t in _lark().terminals
        if t.pattern.type == "str" and t.pattern.value.isalpha()
    }
    assert grammar_keywords == set(KEYWORDS)
