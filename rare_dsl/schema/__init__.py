"""The schema: the names rules may use, and how they map onto a backend's tables.

`default_schema()` is the reference schema; `load_schema(path)` lays a user's TOML file over it.
"""

from .loader import default_schema, load_schema
from .model import Field, Function, Param, Schema, Table

__all__ = ["Field", "Function", "Param", "Schema", "Table", "default_schema", "load_schema"]
