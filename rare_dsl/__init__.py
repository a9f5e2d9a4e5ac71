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
"""

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
