"""Time spent in each stage of a long run, fed by the `(stage, done, total)` progress callbacks that
`rare_dsl.store.demo.generate` and `rare_dsl.lists.import_csv` take. Shared by bench/demo.py and
bench/import_csv.py."""

from __future__ import annotations

import time


class Stages:
    def __init__(self, first: str) -> None:
        self.seconds: dict[str, float] = {}
        self._stage = first
        self._since = time.perf_counter()

    def __call__(self, stage: str, done: int = 0, total: int = 0) -> None:
        now = time.perf_counter()
        self.seconds[self._stage] = self.seconds.get(self._stage, 0.0) + now - self._since
        self._stage, self._since = stage, now

    def slowest(self, count: int = 5) -> str:
        self("")
        ranked = sorted(((name, s) for name, s in self.seconds.items() if name), key=lambda item: -item[1])
        return ", ".join(f"{name} {s:.1f} s" for name, s in ranked[:count])
