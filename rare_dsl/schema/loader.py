"""Reading schema files: the shipped default, and a user's TOML file laid over it.

Every problem in a file becomes an RD902 diagnostic pointing at the offending key's line; all of them are
collected before `RuleError` is raised. A file that cannot be read at all is RD901.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import pkgutil
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rare_dsl.diagnostics import Diagnostic, RuleError, Source, Span, suggest
from rare_dsl.tomltext import KeyIndex, parse_toml
from rare_dsl.types import Category, Type

from .model import (
    CAMPAIGN_KINDS,
    EVENT_TYPES,
    FIELD_KINDS,
    FIELD_MEASURES,
    FUNCTION_MEASURES,
    KEYWORDS,
    PARAM_KINDS,
    PARAM_NAMES,
    WEIGHTED_EVENTS,
    Field,
    FrozenMap,
    Function,
    Param,
    Schema,
    Table,
)

DEFAULT_ORIGIN = "<default>"

_SECTIONS = ("tables", "fields", "functions", "params", "events", "campaigns", "engagement")
# The sections that hold one mapping of logical names to values, and the logical names each one maps.
_VALUE_MAPS = {
    "events": ("types", EVENT_TYPES),
    "campaigns": ("kinds", CAMPAIGN_KINDS),
    "engagement": ("weights", WEIGHTED_EVENTS),
}
_TABLE_KEYS = ("name", "columns", "indexed")
_FIELD_KEYS = ("category", "kind", "type", "column", "measure", "stored_column", "values", "lowercase", "description")
_FUNCTION_KEYS = ("category", "returns", "measure", "event", "params", "required", "description")
_PARAM_KEYS = ("kind", "description")
# What a user file may change on a built-in name; every other key keeps the default's value.
_CHANGEABLE = {
    "attribute": ("description", "column", "type", "values", "lowercase"),
    "tags": ("description",),
    "aggregate": ("description", "stored_column"),
    "function": ("description",),
    "param": ("description",),
}
_ATTRIBUTE_TYPES = (Type.TEXT, Type.NUMBER, Type.BOOLEAN, Type.TIMESTAMP, Type.ENUM)
_FIELD_TYPES = {
    "attribute": _ATTRIBUTE_TYPES,
    "tags": (Type.TEXT_LIST,),
    "aggregate": (Type.NUMBER, Type.TIMESTAMP),
}
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


# --------------------------------------------------------------------------------------------- public API


@functools.cache
def default_schema() -> Schema:
    """The reference schema of SPEC section 2 with the vocabulary of section 3.1 (built once)."""
    text = _default_text()
    source = Source(text, name=DEFAULT_ORIGIN)
    problems = _Problems()
    raw = _parse(text, problems)
    schema = _build(raw, problems, origin=DEFAULT_ORIGIN, custom=()) if raw is not None else None
    problems.raise_if_any(source)
    assert schema is not None
    return schema


def load_schema(path: str | os.PathLike[str]) -> Schema:
    """Read a user schema file and lay it over the default; raise RuleError (RD901/RD902) if it is bad."""
    name = os.fspath(path)
    text = _read(name)
    source = Source(text, name=name)
    problems = _Problems()
    user = _parse(text, problems)
    schema = None
    if user is not None:
        base = _default_raw()
        merged, custom = _overlay(base, user, problems)
        schema = _build(merged, problems, origin=name, custom=custom)
    problems.raise_if_any(source)
    assert schema is not None
    return schema


# ---------------------------------------------------------------------------------------- reading a file


def _read(name: str) -> str:
    def cannot(reason: str, hint: str | None = None) -> RuleError:
        return RuleError(
            [
                Diagnostic(
                    "RD901",
                    f"cannot read schema file `{name}`: {reason}",
                    None,
                    Source("", name=name),
                    hints=(hint,) if hint else (),
                )
            ]
        )

    try:
        with open(name, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise cannot("no such file") from None
    except IsADirectoryError:
        raise cannot("it is a directory", "give the path of a .toml file") from None
    except (OSError, ValueError) as error:
        raise cannot(getattr(error, "strerror", None) or str(error)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise cannot(f"not UTF-8 text (byte {error.start})", "save the file as UTF-8") from None


@functools.cache
def _default_text() -> str:
    # pkgutil rather than importlib.resources, which imports zipfile and tempfile: 10 to 20 ms of every start.
    return _package_text("rare_dsl.schema", "default.toml")


def _package_text(package: str, name: str) -> str:
    """A text file shipped in a package, with newlines as text mode reads them."""
    data = pkgutil.get_data(package, name)
    if data is None:  # a loader that cannot read files: not one of Python's own
        raise FileNotFoundError(f"{package}: {name}")
    return data.decode("utf-8").replace("\r\n", "\n")


@functools.cache
def _default_raw() -> dict[str, Any]:
    # Shared: `_overlay` reads it and edits only a deep copy.
    return tomllib.loads(_default_text())


def _parse(text: str, problems: _Problems) -> dict[str, Any] | None:
    data, error = parse_toml(text)
    if error is not None:
        problems.at(*error)
    return data


# ------------------------------------------------------------------------------------------------ problems


@dataclass(frozen=True)
class _Problem:
    path: tuple[str, ...]  # the TOML key path it is about; located in the text when rendered
    message: str
    label: str = ""
    hint: str | None = None
    span: Span | None = None  # when known without a path (a TOML syntax error)


class _Problems:
    """The problems found in one file, turned into diagnostics all at once at the end."""

    def __init__(self) -> None:
        self.items: list[_Problem] = []

    def add(self, path: Iterable[str], message: str, label: str = "", hint: str | None = None) -> None:
        self.items.append(_Problem(tuple(path), message, label, hint))

    def at(self, span: Span, message: str) -> None:
        self.items.append(_Problem((), message, span=span))

    def unknown(
        self, path: tuple[str, ...], what: str, where: str, candidates: Iterable[str], word: str | None = None
    ) -> None:
        """An unknown name (the last key of `path` unless given): suggest the closest, or list them."""
        word = path[-1] if word is None else word
        candidates = list(candidates)
        close = suggest(word, candidates)
        hint = f"did you mean `{close}`?" if close else f"expected one of {_listing(candidates)}"
        self.add(path, f"unknown {what} `{word}`{where}", f"not a known {what}", hint)

    def raise_if_any(self, source: Source) -> None:
        if not self.items:
            return
        index = KeyIndex(source.text)
        raise RuleError(
            Diagnostic(
                "RD902",
                problem.message,
                problem.span if problem.span is not None else index.locate(problem.path),
                source,
                label=problem.label,
                hints=(problem.hint,) if problem.hint else (),
            )
            for problem in self.items
        )


def _listing(names: Iterable[str]) -> str:
    names = [f"`{name}`" for name in names]
    if len(names) > 12:
        names = [*names[:12], "…"]
    return ", ".join(names)


def _toml_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


# ------------------------------------------------------------------------------------------------ overlay


def _overlay(base: dict[str, Any], user: dict[str, Any], problems: _Problems) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Lay a user file over the default: a deep merge that refuses names the default does not have.

    Returns the merged raw data and the names of the custom fields the user added. Values are only
    merged here; `_build` checks them.
    """
    merged = copy.deepcopy(base)
    custom: list[str] = []
    for section, value in user.items():
        path = (section,)
        if section not in _SECTIONS:
            problems.unknown(path, "section", "", _SECTIONS)
            continue
        entries = _table(value, path, problems)
        if entries is None:
            continue
        if section == "tables":
            _overlay_tables(base["tables"], entries, merged["tables"], problems)
        elif section == "fields":
            custom += _overlay_fields(base["fields"], entries, merged["fields"], problems)
        elif section in ("functions", "params"):
            kind = "function" if section == "functions" else "param"
            _overlay_builtins(section, kind, base[section], entries, merged[section], problems)
        else:
            _overlay_value_map(section, base[section], entries, merged[section], problems)
    _forget_lowercase(base["fields"], user, merged["fields"])
    return merged, tuple(custom)


def _forget_lowercase(base: dict, user: dict[str, Any], merged: dict) -> None:
    """The default's `lowercase = true` (on `email`) is the promise of the store `rare demo` and `rare load`
    write, which keeps it with a CHECK. A file that names its own contacts table (`[tables.customers]`), or
    another column or type for the field, describes data nobody checked: the field is then compared
    folded unless the file says `lowercase = true` itself."""
    tables, fields = user.get("tables"), user.get("fields")
    own_contacts = isinstance(tables, dict) and "customers" in tables
    for name, entry in base.items():
        if not entry.get("lowercase") or not isinstance(merged.get(name), dict):
            continue
        written = fields.get(name) if isinstance(fields, dict) else None
        written = written if isinstance(written, dict) else {}
        if "lowercase" not in written and (own_contacts or "column" in written or "type" in written):
            merged[name].pop("lowercase", None)


def _overlay_tables(base: dict, user: dict, merged: dict, problems: _Problems) -> None:
    for table, entry in user.items():
        path = ("tables", table)
        if table not in base:
            problems.unknown(path, "table", "", base)
            continue
        entry = _table(entry, path, problems)
        if entry is None:
            continue
        # The default's indexes are those `rare load` creates: a table the file describes is the user's own,
        # indexed only if the file says so (a lookup per contact on a table without one scans it each time).
        merged[table]["indexed"] = False
        for key, value in entry.items():
            if key != "columns":
                merged[table][key] = value  # unknown keys are reported by _build
                continue
            columns = _table(value, (*path, key), problems)
            for column, physical in (columns or {}).items():
                if column not in base[table]["columns"]:
                    problems.unknown((*path, key, column), "column", f" in table `{table}`", base[table]["columns"])
                else:
                    merged[table]["columns"][column] = physical


def _overlay_fields(base: dict, user: dict, merged: dict, problems: _Problems) -> list[str]:
    custom = []
    for name, entry in user.items():
        path = ("fields", name)
        entry = _table(entry, path, problems)
        if entry is None:
            continue
        if name not in base:
            # A custom attribute: a column of customers named like the field unless `column` says otherwise.
            merged[name] = {
                "category": "customer",
                "kind": "attribute",
                "column": name,
                "description": f"Custom contact attribute (column `{entry.get('column', name)}`)",
                **entry,
            }
            custom.append(name)
            continue
        kind = base[name]["kind"]
        entry = _accepted_changes(path, f"built-in field `{name}`", base[name], {}, entry, _CHANGEABLE[kind], problems)
        merged[name].update(entry)
        if entry.get("type", "enum") != "enum" and "values" not in entry:
            merged[name].pop("values", None)  # an enum attribute retyped as text has no values left
    return custom


def _overlay_builtins(section: str, kind: str, base: dict, user: dict, merged: dict, problems: _Problems) -> None:
    """Functions and params: a user file may reword their descriptions, never add or reshape one."""
    what = "function" if kind == "function" else "parameter"
    for name, entry in user.items():
        path = (section, name)
        if name not in base:
            problems.unknown(path, what, f" (a schema file cannot add a {what})", base)
            continue
        entry = _table(entry, path, problems)
        if entry is None:
            continue
        # An unset `required` or `event` is part of the built-in shape too.
        implicit = {"required": [], "event": None} if kind == "function" else {}
        entry = _accepted_changes(
            path, f"built-in {what} `{name}`", base[name], implicit, entry, _CHANGEABLE[kind], problems
        )
        merged[name].update(entry)


def _accepted_changes(
    path: tuple[str, ...],
    what: str,
    base: dict,
    implicit: dict,
    entry: dict,
    changeable: tuple[str, ...],
    problems: _Problems,
) -> dict[str, Any]:
    """The part of a user's entry for a built-in name that may be merged; a change to its shape is refused.

    Restating a built-in value unchanged is fine: a copy of default.toml is a valid user file.
    """
    accepted = {}
    for key, value in entry.items():
        # Unknown or out-of-place keys pass through: `_build` reports them with a better message.
        fixed = key not in changeable and (key in base or key in implicit)
        default = base.get(key, implicit.get(key))
        if fixed and value != default:
            shown = f"`{json.dumps(default, ensure_ascii=False)}`" if default is not None else "not set"
            problems.add(
                (*path, key),
                f"cannot change `{key}` of the {what}",
                f"built in: {shown}",
                f"a schema file may change only {_listing(changeable)} here",
            )
        else:
            accepted[key] = value
    return accepted


def _overlay_value_map(section: str, base: dict, user: dict, merged: dict, problems: _Problems) -> None:
    inner, names = _VALUE_MAPS[section]
    for key, value in user.items():
        if key != inner:
            problems.unknown((section, key), "key", f" in `[{section}]`", [inner])
            continue
        values = _table(value, (section, key), problems)
        for name, stored in (values or {}).items():
            if name not in names:
                problems.unknown((section, key, name), "name", f" in `[{section}.{key}]`", names)
            else:
                merged[inner][name] = stored


# -------------------------------------------------------------------------------------------------- build


def _build(raw: dict[str, Any], problems: _Problems, *, origin: str, custom: Iterable[str]) -> Schema:
    """Check every value of a complete (default or merged) file and build the Schema from it."""
    for section in raw:
        if section not in _SECTIONS:
            problems.unknown((section,), "section", "", _SECTIONS)
    section = {name: _table(raw.get(name, {}), (name,), problems) or {} for name in _SECTIONS}
    tables = _build_tables(section["tables"], problems)
    event_types = _build_value_map("events", section["events"], problems)
    campaign_kinds = _build_value_map("campaigns", section["campaigns"], problems)
    weights = _build_value_map("engagement", section["engagement"], problems)
    params = _build_params(section["params"], problems)
    functions = _build_functions(section["functions"], params, problems)
    customers = tables.get("customers")
    fields = _build_fields(section["fields"], customers, functions, set(custom), problems)
    return Schema(
        fields=FrozenMap(fields),
        functions=FrozenMap(functions),
        tables=FrozenMap(tables),
        event_types=FrozenMap(event_types),
        campaign_kinds=FrozenMap(campaign_kinds),
        engagement_weights=FrozenMap(weights),
        origin=origin,
    )


class _Entry:
    """Typed reads of one TOML table (a field, a function...) that report what is wrong and go on."""

    def __init__(self, raw: Any, path: tuple[str, ...], what: str, keys: tuple[str, ...], problems: _Problems):
        self.path, self.what, self.problems = path, what, problems
        self.raw: dict[str, Any] = _table(raw, path, problems) or {}
        for key in self.raw:
            if key not in keys:
                problems.unknown((*path, key), "key", f" in {what}", keys)

    def has(self, key: str) -> bool:
        return key in self.raw

    def text(self, key: str, *, required: bool = True, default: str | None = None) -> str | None:
        value = self.raw.get(key)
        if value is None:
            if required:
                self.missing(key)
            return default
        if not isinstance(value, str):
            self.wrong(key, "text", value)
            return default
        if not value.strip():
            self.problems.add((*self.path, key), f"`{key}` of {self.what} is empty", "empty text")
            return default
        if key == "description" and "\n" in value:
            self.problems.add((*self.path, key), f"the description of {self.what} is more than one line")
            return default
        return value

    def choice(self, key: str, choices: Iterable[str], *, required: bool = True) -> str | None:
        choices = list(choices)
        value = self.text(key, required=required)
        if value is not None and value not in choices:
            self.problems.unknown((*self.path, key), key, f" for {self.what}", choices, word=value)
            return None
        return value

    def names(self, key: str) -> list[str] | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.wrong(key, "an array of text", value)
            return None
        return value

    def missing(self, key: str) -> None:
        self.problems.add(self.path, f"{self.what} has no `{key}`", f"`{key}` missing", f"add `{key} = ...`")

    def wrong(self, key: str, expected: str, value: Any) -> None:
        self.problems.add(
            (*self.path, key),
            f"`{key}` of {self.what} must be {expected}, not {_toml_kind(value)}",
            f"expected {expected}",
        )

    def out_of_place(self, key: str, why: str, hint: str | None = None) -> None:
        self.problems.add((*self.path, key), f"`{key}` is not allowed on {self.what}: {why}", "not allowed here", hint)


def _table(value: Any, path: tuple[str, ...], problems: _Problems) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    problems.add(path, f"`{_dotted(path)}` must be a table, not {_toml_kind(value)}", "expected a table")
    return None


def _build_tables(raw: dict[str, Any], problems: _Problems) -> dict[str, Table]:
    tables = {}
    for logical, value in raw.items():
        entry = _Entry(value, ("tables", logical), f"table `{logical}`", _TABLE_KEYS, problems)
        name = entry.text("name") or logical
        columns = {}
        column_map = _table(entry.raw.get("columns", {}), ("tables", logical, "columns"), problems) or {}
        if not column_map:
            entry.missing("columns")
        for column, physical in column_map.items():
            if isinstance(physical, str) and physical.strip():
                columns[column] = physical
            else:
                what = "empty text" if isinstance(physical, str) else _toml_kind(physical)
                problems.add(
                    ("tables", logical, "columns", column),
                    f"column `{column}` of table `{logical}` must be a column name, not {what}",
                    "expected the physical column name",
                )
                columns[column] = column
        indexed = entry.raw.get("indexed", False)
        if not isinstance(indexed, bool):
            entry.wrong("indexed", "true or false", indexed)
            indexed = False
        tables[logical] = Table(name=name, columns=FrozenMap(columns), indexed=indexed)
    return tables


def _build_value_map(section: str, raw: dict[str, Any], problems: _Problems) -> dict[str, Any]:
    inner, names = _VALUE_MAPS[section]
    for key in raw:
        if key != inner:
            problems.unknown((section, key), "key", f" in `[{section}]`", [inner])
    values = _table(raw.get(inner, {}), (section, inner), problems) or {}
    result: dict[str, Any] = {}
    seen: dict[Any, str] = {}
    for name in values:
        if name not in names:
            problems.unknown((section, inner, name), "name", f" in `[{section}.{inner}]`", names)
    for name in names:
        path = (section, inner, name)
        if name not in values:
            problems.add((section, inner), f"`[{section}.{inner}]` has no `{name}`", f"`{name}` missing")
            continue
        value = values[name]
        if section == "engagement":
            weight = _weight(value)
            if weight is None:
                problems.add(
                    path,
                    f"engagement weight `{name}` must be a non-negative number, not {_shown(value)}",
                    "expected a number, 0 or more",
                )
            result[name] = weight if weight is not None else 0
            continue
        if not isinstance(value, str) or not value:
            problems.add(path, f"`{name}` must be the text stored for it, not {_shown(value)}", "expected text")
            continue
        if value in seen:
            problems.add(
                path,
                f"`{name}` and `{seen[value]}` are both stored as `{value}`",
                "duplicate stored value",
                f"give each of {_listing(names)} its own value",
            )
        seen[value] = name
        result[name] = value
    return result


def _weight(value: Any) -> int | Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = int(value) if value.is_integer() else Decimal(repr(value))
    return value if value >= 0 else None


def _shown(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return "empty text" if not value else f"`{value}`"
    return _toml_kind(value)


def _build_params(raw: dict[str, Any], problems: _Problems) -> dict[str, tuple[str, str]]:
    params = {}
    for name, value in raw.items():
        if name not in PARAM_NAMES:
            problems.unknown(("params", name), "parameter", "", PARAM_NAMES)
            continue
        entry = _Entry(value, ("params", name), f"parameter `{name}`", _PARAM_KEYS, problems)
        kind = entry.choice("kind", PARAM_KINDS) or "text"
        params[name] = (kind, entry.text("description") or "")
    return params


def _build_functions(
    raw: dict[str, Any], params: Mapping[str, tuple[str, str]], problems: _Problems
) -> dict[str, Function]:
    functions = {}
    for name, value in raw.items():
        path = ("functions", name)
        entry = _Entry(value, path, f"function `{name}`", _FUNCTION_KEYS, problems)
        category = entry.choice("category", [c.value for c in Category])
        returns = entry.choice("returns", [Type.NUMBER.value, Type.BOOLEAN.value])
        measure = entry.choice("measure", FUNCTION_MEASURES)
        event = entry.choice("event", EVENT_TYPES, required=measure == "events")
        if event is not None and measure != "events":
            entry.out_of_place("event", "only functions with measure `events` count one event type")
        names = entry.names("params") or []
        required = entry.names("required") or []
        for key, listed in (("params", names), ("required", required)):
            for duplicate in sorted({n for n in listed if listed.count(n) > 1}):
                problems.add((*path, key), f"`{duplicate}` is listed twice in `{key}` of function `{name}`")
        for param in names:
            if param not in params:
                problems.unknown((*path, "params"), "parameter", f" in function `{name}`", params, word=param)
        for param in required:
            if param not in names:
                problems.add(
                    (*path, "required"),
                    f"required parameter `{param}` is not among the params of function `{name}`",
                    hint=f"the params are {_listing(names)}",
                )
        functions[name] = Function(
            name=name,
            category=Category(category or "ecommerce"),
            returns=Type(returns or "number"),
            description=entry.text("description") or "",
            measure=measure or "orders",
            params=tuple(
                Param(param, params[param][0], param in required, params[param][1])
                for param in dict.fromkeys(names)
                if param in params
            ),
            event=event if measure == "events" else None,
        )
    return functions


def _build_fields(
    raw: dict[str, Any],
    customers: Table | None,
    functions: Mapping[str, Function],
    custom: set[str],
    problems: _Problems,
) -> dict[str, Field]:
    fields = {}
    for name, value in raw.items():
        path = ("fields", name)
        what = f"custom field `{name}`" if name in custom else f"field `{name}`"
        _check_field_name(name, path, functions, problems)
        entry = _Entry(value, path, what, _FIELD_KEYS, problems)
        category = entry.choice("category", [c.value for c in Category])
        kind = entry.choice("kind", FIELD_KINDS) or "attribute"
        allowed = _FIELD_TYPES[kind]
        type_ = entry.choice("type", [t.value for t in allowed])
        if name in custom:
            if category is not None and category != Category.CUSTOMER.value:
                entry.out_of_place("category", "a custom field is customer information", 'write category = "customer"')
            if kind != "attribute":
                entry.out_of_place("kind", "a custom field is a column of customers", 'write kind = "attribute"')
                continue  # the rest of it was written for a kind it cannot have
        column = measure = stored = None
        if kind == "attribute":
            logical = entry.text("column")
            if logical is not None and customers is not None:
                column = customers.columns.get(logical, logical)
        elif entry.has("column"):
            entry.out_of_place("column", f"`{name}` is computed, not read from a column of customers")
        if kind == "aggregate":
            measure = entry.choice("measure", FIELD_MEASURES)
            stored = entry.text("stored_column", required=False)
        else:
            for key in ("measure", "stored_column"):
                if entry.has(key):
                    entry.out_of_place(
                        key,
                        "only aggregate fields (such as `order_count`) have one",
                        f'this {kind} field reads its column: use `column = "..."`' if kind == "attribute" else None,
                    )
        values: tuple[str, ...] = ()
        if type_ == Type.ENUM.value:
            values = _enum_values(entry, name, problems)
        elif entry.has("values"):
            entry.out_of_place("values", "only enum fields have values", 'add type = "enum" to make it an enum')
        lowercase = entry.raw.get("lowercase", False)
        if not isinstance(lowercase, bool):
            entry.wrong("lowercase", "true or false", lowercase)
            lowercase = False
        elif lowercase and (kind != "attribute" or (type_ or allowed[0].value) != Type.TEXT.value):
            entry.out_of_place("lowercase", "only a text attribute is stored as text in lower case",
                               "remove it, or make the field `type = \"text\"`" if kind == "attribute" else None)
            lowercase = False
        fields[name] = Field(
            name=name,
            category=Category(category or "customer"),
            type=Type(type_ or allowed[0].value),
            description=entry.text("description") or "",
            kind=kind,
            column=column,
            measure=measure,
            stored_column=stored,
            values=values,
            lowercase=lowercase,
        )
    return fields


def _check_field_name(name: str, path: tuple[str, ...], functions: Mapping[str, Function], problems: _Problems) -> None:
    if not _NAME.match(name):
        problems.add(
            path,
            f"field name `{name}` is not a lower-case name",
            "rules could not use this name",
            "use lower-case letters, digits and `_`, starting with a letter",
        )
    elif name in KEYWORDS:
        problems.add(path, f"field name `{name}` is a keyword of the language", "rules could not use this name")
    elif name in functions:
        problems.add(path, f"field name `{name}` is already the name of a function", "name taken")


def _enum_values(entry: _Entry, name: str, problems: _Problems) -> tuple[str, ...]:
    path = (*entry.path, "values")
    values = entry.raw.get("values")
    if values is None:
        entry.missing("values")
        return ()
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        entry.wrong("values", "an array of text", values)
        return ()
    if not values:
        problems.add(path, f"enum field `{name}` has no values", "empty", "list at least one value")
        return ()
    seen: set[str] = set()
    for value in values:
        if not _NAME.match(value):
            lower = value.strip().lower().replace(" ", "_").replace("-", "_")
            problems.add(
                path,
                f"enum value `{value}` of field `{name}` is not a lower-case name",
                "values are written in lower case",
                f"write it as `{lower}`" if _NAME.match(lower) else "use lower-case letters, digits and `_`",
            )
        elif value in seen:
            problems.add(path, f"enum value `{value}` of field `{name}` is listed twice", "duplicate value")
        seen.add(value)
    return tuple(dict.fromkeys(values))
