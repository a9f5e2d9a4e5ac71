"""Session-wide test support: the number of generated rules each real engine ran (tests/test_engines.py),
Python's own Ctrl-C handler for the tests that press Ctrl-C, and `--update-docs`, which makes the console
blocks test of tests/test_docs.py write today's output into README.md and docs/ instead of failing."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest
from engine_helpers import RULES_RUN

# A query that runs for many seconds but not forever: a test whose Ctrl-C does not arrive fails on its
# assertions instead of hanging the suite.
SLOW_QUERY = "SELECT sum(a.range * b.range) FROM range(100000) AS a, range(100000) AS b"


@pytest.fixture
def python_handles_ctrl_c() -> Iterator[None]:
    """CI may start the suite with SIGINT ignored (a background job inherits that): Python then never turns
    Ctrl-C into KeyboardInterrupt and `_thread.interrupt_main()` does nothing. Tests that press Ctrl-C
    install Python's own handler, as an interactive `rare` has it."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-docs", action="store_true", default=False,
                     help="write what the console blocks of README.md and docs/*.md print today into them")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RULES_RUN:
        counts = ", ".join(f"{engine} {count:,}" for engine, count in sorted(RULES_RUN.items()))
        terminalreporter.write_line(f"generated rules run on real engines: {counts}")
