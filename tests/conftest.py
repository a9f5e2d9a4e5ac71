"""Session-wide reporting: the number of generated rules each real engine ran (tests/test_engines.py)."""

from __future__ import annotations

from typing import Any

from engine_helpers import RULES_RUN


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RULES_RUN:
        counts = ", ".join(f"{engine} {count:,}" for engine, count in sorted(RULES_RUN.items()))
        terminalreporter.write_line(f"generated rules run on real engines: {counts}")
