"""The schema model: the names a rule may use (fields, functions) and the tables and values they read.

Everything here is frozen and hashable, so a `Schema` can key a cache; `loader.py` builds one from TOML.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from rare_dsl.types import Category, Type

K = TypeVar("K")
V = TypeVar("V")

# The kinds of a field: a column of customers, the customer_tags table, or a value computed from the facts.
FIELD_KINDS = ("attribute", "tags", "aggregate")
# What the compiler knows how to compute. A schema file picks among these; it cannot add one.
FIELD_MEASURES = (
    "order_count",
    "refund_count",
    "total_spent",
    "average_order_value",
    "first_order_date",
    "last_order_date",
    "last_open_date",
    "last_click_date",
)
FUNCTION_MEASURES = (
    "orders",
    "spent",
    "refunds",
    "purchased",
    "events",
    "engagement",
    "in_list",
    "in_segment",
)
PARAM_NAMES = ("within", "product", "vendor", "month", "campaign", "series", "name")
PARAM_KINDS = ("duration", "month", "text")
# Logical values a schema maps to what the backend stores.
EVENT_TYPES = ("sent", "open", "click", "conversion")
CAMPAIGN_KINDS = ("campaign", "series")
WEIGHTED_EVENTS = ("open", "click", "conversion")
# Words of the language: a field with one of these names could not be written in a rule.
KEYWORDS = frozenset(
    {
        *("and", "or", "not", "in", "between", "contains", "starts", "ends", "with", "is", "set"),
        *("within", "ago", "order", "by", "asc", "desc", "limit", "true", "false", "null", "segment"),
        *("like", "ilike"),
    }
)


class FrozenMap(Mapping[K, V]):
    """A read-only, hashable mapping that keeps insertion order (a dict inside a frozen dataclass)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, items: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(items or {})
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # The dict's own lookups and views (read-only too): `Mapping`'s generic ones go through `__getitem__`,
    # a Python call or two per name the checker and the compiler look up.
    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: K, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> KeysView[K]:
        return self._data.keys()

    def values(self) -> ValuesView[V]:
        return self._data.values()

    def items(self) -> ItemsView[K, V]:
        return self._data.items()

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


@dataclass(frozen=True)
class Param:
    """A parameter of a function; its `kind` says which literal it takes."""

    name: str
    kind: str  # "duration" (within), "month" (month), "text" (the others)
    required: bool
    description: str


@dataclass(frozen=True)
class Field:
    """A name used without parentheses: `country`, `tags`, `order_count`."""

    name: str
    category: Category
    type: Type
    description: str
    kind: str  # "attribute", "tags" or "aggregate"
    column: str | None = None  # attribute: physical column of the customers table
    measure: str | None = None  # aggregate: one of FIELD_MEASURES
    stored_column: str | None = None  # aggregate read from this physical column of customers instead
    values: tuple[str, ...] = ()  # enum: the canonical values, lower-case
    # text attribute: its column holds text in lower case (`str.lower`), so case-insensitive tests fold only
    # the rule's text (schema key `lowercase`)
    lowercase: bool = False


@dataclass(frozen=True)
class Function:
    """A name used with parentheses: `opens(6mo)`, `bought_from("Acme")`."""

    name: str
    category: Category
    returns: Type
    description: str
    measure: str  # one of FUNCTION_MEASURES
    params: tuple[Param, ...]  # in positional order
    event: str | None = None  # measure "events": the logical event type (sent, open, click, conversion)

    def signature(self) -> str:
        """How the function reads in the docs: `bought_from(vendor, within?)`."""
        args = ", ".join(p.name if p.required else f"{p.name}?" for p in self.params)
        return f"{self.name}({args})"

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class Table:
    """A table of the backend: its physical name, the physical name of each logical column, and whether an
    index led by its customer id lets an engine read one contact's rows without scanning the table."""

    name: str
    columns: Mapping[str, str]
    indexed: bool = False

    def column(self, logical: str) -> str:
        return self.columns[logical]


@dataclass(frozen=True)
class Schema:
    """The vocabulary of the language and how it maps onto one backend's tables."""

    fields: Mapping[str, Field]
    functions: Mapping[str, Function]
    tables: Mapping[str, Table]  # logical table name -> table
    event_types: Mapping[str, str]  # logical event type -> value stored in events.type
    campaign_kinds: Mapping[str, str]  # logical kind (campaign, series) -> value stored in campaigns.kind
    engagement_weights: Mapping[str, int | Decimal]  # open, click, conversion -> weight
    # Where the schema came from; two schemas with the same content are equal wherever they came from.
    origin: str = field(default="<default>", compare=False)

    def lookup(self, name: str) -> Field | Function | None:
        return self.fields.get(name) or self.functions.get(name)

    def names(self) -> list[str]:
        """Every field and function name, fields first: the candidates for "did you mean"."""
        return [*self.fields, *self.functions]

    def by_category(self) -> dict[Category, list[Field | Function]]:
        """Fields then functions of each category, categories in the order the docs present them."""
        groups: dict[Category, list[Field | Function]] = {category: [] for category in Category}
        for item in (*self.fields.values(), *self.functions.values()):
            groups[item.category].append(item)
        return {category: items for category, items in groups.items() if items}
