"""Syntax: rule text to a syntax tree with spans (`parse`, `parse_file`), and the tree itself (`ast`)."""

from rare_dsl.syntax.parser import parse, parse_file

__all__ = ["parse", "parse_file"]
