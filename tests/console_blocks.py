"""The ```console blocks of README.md and docs/*.md as sessions to run: parsing them, running their
commands in a folder of their own, comparing what they print, and writing today's output back into the
document (`python -m pytest tests/test_docs.py -k console --update-docs`). docs/contributing.md says how
a block is written; tests/test_docs.py runs them.

A block is a list of steps: a `$ ` line and the output that follows it, up to the next `$ ` line. A REPL
step (`$ python repl.py ...` or `$ rare repl ...`) also holds the `rare> ` lines typed into it, each
followed by what the REPL printed. What a block needs is said in its info string:

- ```console: the commands run with the pinned demo shop as `rare.duckdb` (and a copy of `examples/`);
- ```console empty: they run in a folder with no store (first starts, "there is no store" messages);
- ```console illustrative: not run (another process holding the store, a file the docs do not ship).

A ```rare-file PATH block (a rule file the document shows) is written to PATH in the folder of every
console block after it in the same document.

In the shown output, a line `…` stands for any number of lines, and a time (`2.7 s`, `17 ms`) for any time.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The day the documented sessions are pinned to: `rare demo --until` it, and `--as-of` it where time matters.
PINNED = "2026-12-01"
# The documents whose blocks run. docs/diagnostics.md is not among them: each of its commands is followed by
# its output in a ```text block, which the section tests of tests/test_docs.py compare with the renderer's.
DOCUMENTS = [ROOT / "README.md", *(p for p in sorted((ROOT / "docs").glob("*.md")) if p.name != "diagnostics.md")]
KINDS = ("", "empty", "illustrative")
# What a block's folder holds besides the store: copies, so that a documented `rare fmt` rewrites nothing real.
SHIPPED = ("examples", "rare.toml")

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```console(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                    re.MULTILINE | re.DOTALL)
_FILE = re.compile(r"^```rare-file[ \t]+(?P<path>[\w./-]+)[ \t]*\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_TIME = re.compile(r"\b\d+(?:\.\d+)? m?s\b")
_ELIDED = ("…", "...")
PROMPT = "rare> "


@dataclass
class Step:
    """`$ command`, the output shown under it (`typed` inputs of a REPL each with theirs) and the blank
    lines that separate it from the next step."""

    command: str
    output: list[str] = field(default_factory=list)
    typed: list[tuple[str, list[str]]] = field(default_factory=list)
    gap: int = 0

    @property
    def repl(self) -> list[str] | None:
        """The REPL's arguments, for a step that starts one; None otherwise."""
        words = shlex.split(self.command, comments=True)
        if words[:2] == ["python", "repl.py"]:
            return words[2:]
        if words[:2] == ["rare", "repl"]:
            return words[2:]
        return None

    def lines(self) -> list[str]:
        shown = [f"$ {self.command}", *self.output]
        for text, output in self.typed:
            shown += [PROMPT + text, *output]
        return shown + [""] * self.gap


@dataclass
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    ordinal: int  # among the console blocks of its document
    kind: str
    indent: str
    steps: list[Step]
    files: dict[str, str] = field(default_factory=dict)  # the rule files shown above it: path -> text

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def text(self) -> str:
        lines = [line for step in self.steps for line in step.lines()]
        while lines and not lines[-1]:
            lines.pop()
        return "".join(f"{self.indent}{line}\n" if line else "\n" for line in lines)


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for ordinal, match in enumerate(_FENCE.finditer(text)):
        kind = match.group("info").strip()
        if kind not in KINDS:
            raise ValueError(f"{path.name}:{text.count(chr(10), 0, match.start()) + 1}: ```console {kind}: "
                             f"a console block is ```console, ```console empty or ```console illustrative")
        indent = match.group("indent")
        body = [line.removeprefix(indent) for line in match.group("body").splitlines()]
        files = {shown.group("path"): shown.group("body") for shown in _FILE.finditer(text, 0, match.start())}
        found.append(Block(path, text.count("\n", 0, match.start()) + 1, ordinal, kind, indent, _steps(body), files))
    return found


def _steps(lines: list[str]) -> list[Step]:
    steps: list[Step] = []
    for line in lines:
        if line.startswith("$ "):
            steps.append(Step(line[2:]))
        elif not steps:
            raise ValueError(f"a console block starts with a `$ ` command, not {line!r}")
        elif steps[-1].repl is not None and line.startswith(PROMPT):
            steps[-1].typed.append((line.removeprefix(PROMPT), []))
        elif steps[-1].typed:
            steps[-1].typed[-1][1].append(line)
        else:
            steps[-1].output.append(line)
    for step in steps:
        shown = step.typed[-1][1] if step.typed else step.output
        while shown and not shown[-1]:
            shown.pop()
            step.gap += 1
    return steps


# ------------------------------------------------------------------------------------------------ running


def prepare(folder: Path, block: Block, store: Path) -> None:
    """The folder a block runs in: copies of what the repository ships, the rule files the document showed
    before it, and the pinned store unless empty."""
    for name in SHIPPED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy(source, folder / name)
    for name, text in block.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    if block.kind != "empty":
        shutil.copy(store, folder / "rare.duckdb")


@contextlib.contextmanager
def _captured() -> Iterator[io.StringIO]:
    """Standard output and error into one buffer, in the order they are written, as a terminal shows them."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        yield buffer


class _Typing:
    """Standard input for the REPL: the typed lines, one at a time, noting where the output stood when each
    was read, so that the output can be cut into what each input printed."""

    def __init__(self, lines: list[str], output: io.StringIO):
        self.lines, self.output, self.marks = lines, output, []  # type: ignore[var-annotated]

    def isatty(self) -> bool:
        return False

    def __iter__(self) -> Iterator[str]:
        for line in self.lines:
            self.marks.append(self.output.tell())
            yield line + "\n"


def run(step: Step) -> Step:
    """Run a step in the current folder and return it with the output it prints today."""
    from rare_dsl.cli import main

    arguments = step.repl
    words = shlex.split(step.command, comments=True)
    if words[0] != "rare" and arguments is None:
        raise ValueError(f"a console block runs `rare` commands and the REPL, not `{step.command}`")
    if arguments is None:
        with _captured() as output:
            main(words[1:])
        return Step(step.command, _lines(output.getvalue()), gap=step.gap)
    typing = _Typing([text for text, _ in step.typed], io.StringIO())
    stdin = sys.stdin
    with _captured() as output:
        typing.output = output
        sys.stdin = typing  # type: ignore[assignment]
        try:
            main(["repl", *arguments])
        finally:
            sys.stdin = stdin
    printed = output.getvalue()
    marks = [*typing.marks, len(printed)]
    typed = [(text, _lines(printed[start:end])) for (text, _), start, end
             in zip(step.typed, marks, marks[1:], strict=False)]
    return Step(step.command, _lines(printed[:marks[0]]), typed, step.gap)


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def environment() -> dict[str, str | None]:
    """The environment the blocks run in: no colors, no RARE_DB, the history in the block's folder."""
    return {"NO_COLOR": "1", "RARE_DB": None, "RARE_DEBUG": None, "COLUMNS": None, "RARE_HISTORY": "history"}


# ------------------------------------------------------------------------------------------------ comparing


def matches(shown: list[str], printed: list[str]) -> bool:
    """Whether output shown in a document is what was printed: exactly, but for `…` lines and times."""
    pattern = "".join(r"(?:[^\n]*\n)*?" if line in _ELIDED else _line_pattern(line) for line in shown)
    return re.fullmatch(pattern, "".join(line + "\n" for line in printed)) is not None


def _line_pattern(line: str) -> str:
    """A shown line as a pattern: its text exactly, each of its times as any time."""
    parts, start = [], 0
    for found in _TIME.finditer(line):
        parts += [re.escape(line[start:found.start()]), r"\d+(?:\.\d+)? m?s"]
        start = found.end()
    return "".join([*parts, re.escape(line[start:])]) + r"\n"


def refreshed(shown: list[str], printed: list[str]) -> list[str]:
    """What a document should show for `printed`: the shown lines when they still match (their times and
    elisions kept), else the printed lines, shortened again where the shown ones were (`…` keeps as many
    lines before and after it as it did)."""
    if matches(shown, printed):
        return shown
    if any(line in _ELIDED for line in shown):
        cut = next(i for i, line in enumerate(shown) if line in _ELIDED)
        head, tail = cut, len(shown) - cut - 1
        if head + tail < len(printed):
            return [*printed[:head], shown[cut], *(printed[len(printed) - tail:] if tail else [])]
    return printed


def refresh(block: Block, ran: list[Step]) -> Block:
    steps = []
    for before, after in zip(block.steps, ran, strict=True):
        typed = [(text, refreshed(shown, printed)) for (text, shown), (_, printed)
                 in zip(before.typed, after.typed, strict=True)]
        steps.append(Step(before.command, refreshed(before.output, after.output), typed, before.gap))
    return Block(block.path, block.line, block.ordinal, block.kind, block.indent, steps, block.files)


def rewrite(block: Block) -> None:
    """Put a block's new text into its document, found again by its place among the console blocks (an
    earlier rewrite may have moved its line)."""
    text = block.path.read_text(encoding="utf-8")
    match = list(_FENCE.finditer(text))[block.ordinal]
    start, end = match.span("body")
    block.path.write_text(text[:start] + block.text() + text[end:], encoding="utf-8")
