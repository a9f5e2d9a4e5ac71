"""The one exception the store raises: a message for a person, an optional hint, and whether it was a
mistake in how the store was named (a usage error, exit 2) or a problem with the store itself (exit 1)."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot do what was asked; `message` and `hint` are written for the person at the prompt."""

    def __init__(self, message: str, *, hint: str | None = None, usage: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.usage = usage

    def __str__(self) -> str:
        return self.message + (f" ({self.hint})" if self.hint else "")


class StoreLocked(StoreError):
    """Another process holds the store's file lock (DuckDB allows one writer, or many readers)."""
