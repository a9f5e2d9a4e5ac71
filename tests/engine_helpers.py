"""Shared by tests/test_engines.py and the terminal summary in tests/conftest.py: how many generated rules
each engine ran in this session."""

from __future__ import annotations

from collections import Counter

RULES_RUN: Counter[str] = Counter()
