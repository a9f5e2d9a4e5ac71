"""Snapshot files shared by the tests that keep one (tests/snapshots/<kind>/...): compare, or regenerate with
`RARE_UPDATE_SNAPSHOTS=1 python -m pytest ...`, then read the changed files before committing them."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def updating() -> bool:
    return os.environ.get("RARE_UPDATE_SNAPSHOTS") == "1"


def assert_snapshot(path: Path, actual: str) -> None:
    """Compare `actual` with the file at `path`; with RARE_UPDATE_SNAPSHOTS=1, (re)write the file instead."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path.name}; run with RARE_UPDATE_SNAPSHOTS=1 to create it, then read it")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                            f"{path.name} (snapshot)", f"{path.name} (now)"))
        pytest.fail(f"output differs from the snapshot {path}; RARE_UPDATE_SNAPSHOTS=1 rewrites it\n{diff}")
