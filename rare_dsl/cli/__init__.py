"""The `rare` command line: argument parsing and output only; the work is done by the pipeline modules.

Each command is a module of this package with a `register(commands)` function that adds its subparser
and sets `run`; `COMMANDS` lists them in the order `rare --help` shows them. Commands import the heavy
parts of the pipeline inside `run`, so `rare --help` stays quick.

Exit codes: 0 success, 1 diagnostics or a failed check, 2 usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

from rare_dsl.cli.common import EXIT_FAILED, EXIT_USAGE, UsageError, echo
from rare_dsl.diagnostics import RuleError, render, use_color

COMMANDS = [
    "check",
    "fmt",
    "compile",
    "segments",
    "fields",
    "dialects",
    "repl",
    "demo",
    "segment_queries",
    "lists",
    "load",
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse's --help (0) and usage errors (2): a return code like any other
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except UsageError as error:
        print(f"rare {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except RuleError as error:
        echo(render(error.diagnostics, color=use_color(sys.stdout)), end="")
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader stopped reading (`rare check dir/ | head`). Like rich, and Python's own advice: send the
        # rest to /dev/null so the exit flush stays quiet, and do not claim a success nobody saw.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as error:  # a bug of ours: say so in one line, never with a traceback
        if os.environ.get("RARE_DEBUG"):
            raise
        print(f"rare {args.command}: internal error: {type(error).__name__}: {error} "
              "(set RARE_DEBUG=1 for details, and please report it)", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rare", description="The rare segment language: check, format and compile segment rules."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"rare_dsl.cli.{name}").register(commands)
    return parser
