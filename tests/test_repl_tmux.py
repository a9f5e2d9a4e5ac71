"""The real program in a real terminal: `python repl.py` in tmux, on a fresh folder with no store.

It drives the keyboard with `send-keys` and reads the screen with `capture-pane`: the demo store is created
on the first start, a typed rule is counted live in the toolbar, and Enter prints the exact count.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def tmux() -> Iterator[Callable[..., str]]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is required in CI (.ci/run installs it)")
        pytest.skip("tmux is not installed (apt-get install tmux); CI runs this test")
    socket = f"rare-test-{os.getpid()}"

    def run(*args: str) -> str:
        done = subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=30)
        return done.stdout

    yield run
    subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=30)


def wait_for(screen: Callable[[], str], found: Callable[[str], bool], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    shown = screen()
    while not found(shown):
        if time.monotonic() > deadline:
            raise AssertionError(f"not on the screen after {seconds} s:\n{shown}")
        time.sleep(0.1)
        shown = screen()
    return shown


def test_type_a_rule_on_a_fresh_store_and_see_the_count(tmux: Callable[..., str], tmp_path: Path) -> None:
    environment = {"RARE_HISTORY": str(tmp_path / "history"), "PYTHONPATH": str(REPO), "TERM": "xterm-256color"}
    command = " ".join([
        "env", *(f"{key}={shlex.quote(value)}" for key, value in environment.items()),
        shlex.quote(sys.executable), shlex.quote(str(REPO / "repl.py")),
    ])
    tmux("new-session", "-d", "-s", "repl", "-x", "120", "-y", "30", "-c", str(tmp_path), command)

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", "repl")

    shown = wait_for(screen, lambda s: "rare>" in s, 120)
    assert "created a demo shop with 100,000 contacts" in shown
    assert (tmp_path / "rare.duckdb").exists()

    tmux("send-keys", "-t", "repl", "-l", 'country = "France" and opens(6mo) >= 3')
    shown = wait_for(screen, lambda s: "≈ " in s, 30)
    preview = re.search(r"✓ ≈ ([\d,]+) contacts \((\d+\.\d)%\)", shown)
    assert preview, shown

    tmux("send-keys", "-t", "repl", "Enter")
    shown = wait_for(screen, lambda s: re.search(r"^[\d,]+ contacts \(", s, re.M) is not None, 30)
    exact = re.search(r"^([\d,]+) contacts \((\d+\.\d)%\) · \d+ ms", shown, re.M)
    assert exact, shown
    assert exact.group(1) == preview.group(1)  # the live preview and the exact count agree

    tmux("send-keys", "-t", "repl", "C-d")
    wait_for(lambda: tmux("list-sessions"), lambda s: "repl" not in s, 30)
