"""How fast `rare` starts: a few commands, each run as a fresh process, median wall-clock time of N runs.

    python bench/startup.py [--runs 20] [--python PATH ...] [--realtime]

The commands run with the interpreter given (default: this one) and the `rare` script next to it, on the
repository's `examples/`. One untimed run of each command comes first, so the operating system's file
cache and the parser cache (docs/performance.md, "Start-up") are warm: the figures are what a user sees
from the second run on. The runs of the commands are interleaved, so a burst of load on a shared machine
lands on all of them alike rather than on one. Besides the wall clock, each run's CPU time (user + system,
from `os.wait4`) is reported: on a busy machine it is closer to what a quiet one shows.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULE = 'country = "France" and opens(6mo) >= 3'
# A user's Python writes the modules' bytecode (__pycache__) on the first run and reads it from then on; a
# PYTHONDONTWRITEBYTECODE set in this shell would make every run compile the package from source again.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# Run from a folder outside the repository: `python -c` puts the current folder first on sys.path, and from
# the repository root it would import the checkout instead of the package installed next to --python.
CWD = tempfile.gettempdir()


def commands(python: str) -> dict[str, list[str]]:
    rare = str(Path(python).with_name("rare"))
    return {
        "python -c pass": [python, "-c", "pass"],
        # What any compilation to DuckDB imports, whoever does it: the floor under `rare compile`.
        "python -c 'import sqlglot.dialects.duckdb'": [python, "-c", "import sqlglot.dialects.duckdb"],
        "python -c 'import rare_dsl'": [python, "-c", "import rare_dsl"],
        "rare --help": [rare, "--help"],
        f"rare compile -e '{RULE}' --dialect duckdb": [rare, "compile", "-e", RULE, "--dialect", "duckdb"],
        "rare check examples/": [rare, "check", str(ROOT / "examples")],
        "rare fmt --check examples/": [rare, "fmt", "--check", str(ROOT / "examples")],
    }


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one run of the command as a new process."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=CWD, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    errors = child.stderr.read()
    # os.wait4 rather than child.wait(): it also returns the child's own CPU time, which waiting for a busy
    # CPU does not inflate the way it inflates the wall clock on a shared machine.
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({child.returncode}): {errors.decode()[-500:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each command (default 20)")
    parser.add_argument("--python", action="append", metavar="PATH",
                        help="an interpreter whose `rare` to time (default: this one); give several to compare "
                             "installs, their runs interleaved")
    parser.add_argument("--realtime", action="store_true",
                        help="run each command with `chrt -f 50` (root, Linux), so the other processes of a "
                             "shared machine do not preempt it")
    args = parser.parse_args()
    pythons = args.python or [sys.executable]
    prefix = ["chrt", "-f", "50"] if args.realtime else []
    todo = {(name, python): prefix + argv for python in pythons for name, argv in commands(python).items()}
    for argv in todo.values():  # warm-up: file cache, bytecode, parser cache
        run_once(argv)
    times: dict[tuple[str, str], list[tuple[float, float]]] = {key: [] for key in todo}
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        for key, argv in todo.items():
            times[key].append(run_once(argv))
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}; {args.runs} runs each"
          f"{', chrt -f 50' if args.realtime else ''}; median wall-clock ms (median CPU ms)\n")
    print("| command | " + " | ".join(f"`{python}`" for python in pythons) + " |")
    print("| --- |" + " ---: |" * len(pythons))
    for name in commands(pythons[0]):
        cells = []
        for python in pythons:
            samples = times[(name, python)]
            wall = statistics.median(w for w, _ in samples) * 1000
            cpu = statistics.median(c for _, c in samples) * 1000
            cells.append(f"{wall:.0f} ({cpu:.0f})")
        print(f"| `{name}` | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
