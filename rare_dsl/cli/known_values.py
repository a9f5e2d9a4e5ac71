"""The values contacts have, for the RW404 lint of `rare check --db PATH`: `rare_dsl.lint.KnownValues` over
the store, with the store's problems turned into RD901 diagnostics.

The queries are `rare_dsl.store.queries.SegmentQueries.values` and `.value_counts`, the ones the REPL
completes values with, and the store is opened by `rare_dsl.store.Store` (read-only, reading only the
customers table); this module adds what the command needs on top: answers cached per field (a project of
many segments asks about each value once), and a store or a column that cannot be read reported once, as a
diagnostic, with no value ever called unknown because it could not be looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from rare_dsl.diagnostics import Diagnostic, RuleError, Source
from rare_dsl.schema import Field, Schema

if TYPE_CHECKING:
    from rare_dsl.store.queries import SegmentQueries

T = TypeVar("T")
# Only the lint's table: a file holding just the customers table (an export of the shop's contacts) will do.
_READS = ("customers",)


class StoreValues:
    """The `KnownValues` of one store opened with `open`; `problems` are the RD901 diagnostics of the fields
    that could not be read, to report after the rules' own."""

    def __init__(self, queries: SegmentQueries, name: str) -> None:
        self.queries = queries
        self.name = name  # the store as the user wrote it, for messages
        self.counts: dict[str, dict[str, int]] = {}  # field -> value -> contacts
        self.common: dict[tuple[str, int], list[tuple[str, int]]] = {}
        self.problems: list[Diagnostic] = []  # fields that could not be read, reported once each
        self.failed: set[str] = set()

    @classmethod
    def open(cls, db: str, schema: Schema) -> StoreValues:
        """Open the store `--db` names, read-only; raise `RuleError` (RD901) when it cannot be read."""
        from rare_dsl.store import Store, StoreError, locate
        from rare_dsl.store.queries import SegmentQueries

        try:
            if db == "":  # `locate` would take an empty --db for none given, and fall back to RARE_DB
                raise RuleError([_unreadable(db, "no such file")])
            location = locate(db)
            # Said here rather than by `Store.open`, whose hint offers to create a store: a check only reads.
            if not location.path.exists():
                from rare_dsl.store.files import broken_link

                raise RuleError([_unreadable(db, broken_link(location.path) or "no such file")])
            store = Store.open(location, schema=schema, reads=_READS)
        except StoreError as error:
            raise RuleError([_unreadable(db, error.message, error.hint)]) from None
        return cls(SegmentQueries(store), db)

    def close(self) -> None:
        self.queries.store.close()

    # ------------------------------------------------------------------------------------- KnownValues

    def contacts_with(self, field: Field, values: Sequence[str]) -> Mapping[str, int] | None:
        if field.name in self.failed:
            return None
        known = self.counts.setdefault(field.name, {})
        asked = [value for value in values if value not in known]
        if asked:
            found = self._ask(field, lambda: self.queries.value_counts(field.name, asked))
            if found is None:
                return None
            known.update(found)
        return {value: known[value] for value in values}

    def common_values(self, field: Field, limit: int) -> Sequence[tuple[str, int]]:
        key = (field.name, limit)
        if key not in self.common and field.name not in self.failed:
            self.common[key] = self._ask(field, lambda: self.queries.values(field.name, top=limit)) or []
        return self.common.get(key, [])

    # ------------------------------------------------------------------------------------------ helpers

    def _ask(self, field: Field, query: Callable[[], T]) -> T | None:
        from rare_dsl.store.queries import Cancelled, QueryError

        try:
            return query()
        except Cancelled:
            raise KeyboardInterrupt from None  # Ctrl-C: `rare` exits 130, like any command stopped
        except QueryError as error:
            # A schema that does not match the database: say so once, and claim nothing about the values.
            self.failed.add(field.name)
            self.problems.append(_unreadable(self.name, f"cannot read `{field.name}` from it: {error.reason}"))
            return None


def _unreadable(name: str, why: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic("RD901", f"cannot read database `{name}`: {why}", None, Source("", name),
                      hints=(hint or "`--db` takes a DuckDB file such as the one `rare demo` writes",))
