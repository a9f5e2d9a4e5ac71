"""rare-dsl: a segment language for e-commerce email marketing.

The pipeline, one module per arrow:

    text ──parse──▶ syntax tree ──check(schema)──▶ typed rule ──compile(dialect)──▶ sqlglot tree ──▶ SQL

Public API:

- `parse(text)`: the syntax tree of one rule (`ParsedRule`); `parse_file(text)` for a rule file.
- `check(rule, schema=None)`: the typed rule (`CheckedRule`), every name resolved and typed.
- `check_project(files, schema=None)`: the segments of rule files checked together.
- `compile(rule, dialect="duckdb", schema=None, as_of=None, parameterized=False, segments=None)`: a
  `CompiledSegment` with `.sql`, `.params`, `.expression` (the sqlglot tree) and `.dialect`; `as_of=None`
  compiles live SQL that reads the engine's clock. `dialects()` lists the dialect names (any sqlglot
  dialect); the package `rare_dsl.compiler` holds the rest (`dialect_support()`, `UnsupportedDialect`).
- `default_schema()`, `load_schema(path)`, `Schema`: the vocabulary and how it maps onto tables.
- `Diagnostic`, `RuleError`: every problem is a `Diagnostic`; `RuleError` carries all of them.
- `render(diagnostics)`: rustc-style text, plain when `NO_COLOR` is set or output is not a terminal.

Importing the package costs almost nothing: each name above is imported from its module on first use
(PEP 562), so `rare --help` or `rare fmt` never load the compiler and sqlglot, and `from rare_dsl import
compile` works as before.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names are, for type checkers and editors; at run time see `__getattr__`
    from rare_dsl.check import check, check_project
    from rare_dsl.compiler import CompiledSegment, compile, dialects
    from rare_dsl.diagnostics import Diagnostic, RuleError, Severity, Source, Span, render
    from rare_dsl.format import format_file, format_rule
    from rare_dsl.schema import Schema, default_schema, load_schema
    from rare_dsl.syntax import parse, parse_file
    from rare_dsl.typed import CheckedProject, CheckedRule

__version__ = "0.1.0"

__all__ = [
    "CheckedProject",
    "CheckedRule",
    "CompiledSegment",
    "Diagnostic",
    "RuleError",
    "Schema",
    "Severity",
    "Source",
    "Span",
    "check",
    "check_project",
    "compile",
    "default_schema",
    "dialects",
    "format_file",
    "format_rule",
    "load_schema",
    "parse",
    "parse_file",
    "render",
]

# Where each public name lives; `__getattr__` imports it from there the first time it is asked for.
_LAZY = {
    "check": "rare_dsl.check", "check_project": "rare_dsl.check",
    "CompiledSegment": "rare_dsl.compiler", "compile": "rare_dsl.compiler", "dialects": "rare_dsl.compiler",
    "Diagnostic": "rare_dsl.diagnostics", "RuleError": "rare_dsl.diagnostics", "Severity": "rare_dsl.diagnostics",
    "Source": "rare_dsl.diagnostics", "Span": "rare_dsl.diagnostics", "render": "rare_dsl.diagnostics",
    "format_file": "rare_dsl.format", "format_rule": "rare_dsl.format",
    "Schema": "rare_dsl.schema", "default_schema": "rare_dsl.schema", "load_schema": "rare_dsl.schema",
    "parse": "rare_dsl.syntax", "parse_file": "rare_dsl.syntax",
    "CheckedProject": "rare_dsl.typed", "CheckedRule": "rare_dsl.typed",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once found, a plain attribute: later lookups do not come here again
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package module, keeping `rare_dsl.check` the function.

    Importing the submodule `rare_dsl.check` makes Python set the package's attribute `check` to that module,
    after the module has run. When `__init__` imported everything up front, its own `from rare_dsl.check
    import check` came later and won; with lazy names the submodule may be imported first (by the compiler),
    and `from rare_dsl import check` would then return the module. So a submodule never replaces a public
    function of the same name.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == f"{__name__}.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
