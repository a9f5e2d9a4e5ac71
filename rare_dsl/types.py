"""The value types of the language and the categories of information a name belongs to."""

from __future__ import annotations

from enum import StrEnum


class Type(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    ENUM = "enum"
    TEXT_LIST = "list of text"
    # Only literals have these: a date stands for a whole UTC day, a duration for a length of time.
    DATE = "date"
    DURATION = "duration"
    # A list literal; its element type is kept beside it.
    LIST = "list"
    NULL = "null"

    @property
    def article(self) -> str:
        return {
            Type.NUMBER: "a number",
            Type.TEXT: "text",
            Type.BOOLEAN: "a condition (true or false)",
            Type.TIMESTAMP: "a timestamp",
            Type.ENUM: "one of a fixed set of values",
            Type.TEXT_LIST: "a list of text",
            Type.DATE: "a date",
            Type.DURATION: "a duration",
            Type.LIST: "a list",
            Type.NULL: "null",
        }[self]


class Category(StrEnum):
    CUSTOMER = "customer"
    ECOMMERCE = "ecommerce"
    ENGAGEMENT = "engagement"
    MEMBERSHIP = "membership"

    @property
    def title(self) -> str:
        return {
            Category.CUSTOMER: "Customer information",
            Category.ECOMMERCE: "Ecommerce information",
            Category.ENGAGEMENT: "Engagement information",
            Category.MEMBERSHIP: "Membership",
        }[self]
