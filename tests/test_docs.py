"""The user documents say true things: every example in docs/language.md is a valid rule,
docs/diagnostics.md documents every code of `CODES` with an example that really produces it, and every
```console block of README.md and docs/*.md prints what it shows, numbers included, on the demo shop pinned
to one day (`--update-docs` writes today's output in; docs/contributing.md).
"""

from __future__ import annotations

import contextlib
import difflib
import io
import itertools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import console_blocks
import pytest

from rare_dsl import check, check_project, render
from rare_dsl.diagnostics import CODES, Diagnostic, RuleError
from rare_dsl.schema import Field

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
# Sections of diagnostics.md: a `## ` heading that starts with a code, e.g. "## RD101: unknown field".
SECTION = re.compile(r"^## (R[DW]\d{3})\b[^\n]*\n(.*?)(?=^## R[DW]\d{3}\b|\Z)", re.MULTILINE | re.DOTALL)


def blocks(text: str, *kinds: str) -> list[tuple[int, str, str]]:
    """(line, kind, body) of each fenced block whose language is one of `kinds`."""
    return [
        (text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2).rstrip("\n"))
        for m in FENCE.finditer(text)
        if m.group(1) in kinds
    ]


COUNTRIES = {"France": 12_034, "Spain": 8_211, "Germany": 15_902}


class DemoStore:
    """What `rare check --db` would find in a shop's data: the store the RW404 example is checked against."""

    def contacts_with(self, field: Field, values: Sequence[str]) -> Mapping[str, int] | None:
        known = COUNTRIES if field.name == "country" else {}
        return {value: known[value] for value in values if value in known}

    def common_values(self, field: Field, limit: int) -> Sequence[tuple[str, int]]:
        known = COUNTRIES if field.name == "country" else {}
        return sorted(known.items(), key=lambda item: -item[1])[:limit]


# The codes whose examples need a connected store.
STORE_CODES = {"RW404"}


def diagnostics_of(kind: str, body: str, name: str = "doc", code: str = "") -> tuple[Diagnostic, ...]:
    """What `rare check` reports for a `rare` (one rule) or `rare-file` (a rule file) example: its errors,
    or else its warnings; empty when clean."""
    values = DemoStore() if code in STORE_CODES else None
    try:
        if kind == "rare":
            return check(body, name=name, values=values).warnings
        return check_project([(body + "\n", name)], values=values).warnings
    except RuleError as error:
        return error.diagnostics


def codes_of(kind: str, body: str, code: str = "") -> set[str]:
    return {d.code for d in diagnostics_of(kind, body, code=code)}


# ---------------------------------------------------------------------------------------------- language

LANGUAGE = (DOCS / "language.md").read_text(encoding="utf-8")
LANGUAGE_EXAMPLES = blocks(LANGUAGE, "rare", "rare-file")


def test_language_has_examples() -> None:
    assert len([b for b in LANGUAGE_EXAMPLES if b[1] == "rare"]) >= 60
    assert any(b[1] == "rare-file" for b in LANGUAGE_EXAMPLES)


@pytest.mark.parametrize(("line", "kind", "body"), LANGUAGE_EXAMPLES, ids=[f"line{b[0]}" for b in LANGUAGE_EXAMPLES])
def test_language_example_is_valid(line: int, kind: str, body: str) -> None:
    assert codes_of(kind, body) == set(), f"docs/language.md:{line}: the example does not check clean"


def test_language_names_every_field_and_function() -> None:
    from rare_dsl import default_schema

    schema = default_schema()
    for name in schema.names():
        assert f"`{name}" in LANGUAGE, f"{name} is not documented in docs/language.md"
    for field in schema.fields.values():
        for value in field.values:
            assert f"`{value}`" in LANGUAGE, f"value {value} of {field.name} is not documented"


NUMBER_WORDS = {3: "three", 4: "four", 5: "five", 6: "six"}


@pytest.mark.parametrize("path", ["README.md", "docs/language.md"])
def test_the_categories_named_are_the_schemas(path: str) -> None:
    """The README's first lines and the language guide name as many categories as there are, each by name."""
    from rare_dsl.types import Category

    text = (DOCS.parent / path).read_text(encoding="utf-8")
    claim = re.search(r"(\w+) categories of information([^.]*)", text)
    assert claim is not None, f"{path} does not say which categories the vocabulary comes in"
    assert claim.group(1) == NUMBER_WORDS[len(Category)]
    for category in Category:
        assert category.value.capitalize() in claim.group(2), f"{path} does not name the {category} category"


# ------------------------------------------------------------------------------------------- diagnostics

DIAGNOSTICS = (DOCS / "diagnostics.md").read_text(encoding="utf-8")
SECTIONS = {m.group(1): m.group(2) for m in SECTION.finditer(DIAGNOSTICS)}
# Codes about files and settings around the rules: their examples are schema files and commands.
NOT_RULES = {code for code in CODES if code[2] == "9"}
# Codes of the compiler: their examples are `rare compile` commands, run by `test_compiler_examples_run`.
COMPILER = {code for code in CODES if code.startswith("RD3")}
NOT_RULES |= COMPILER


def test_every_code_has_a_section() -> None:
    assert set(CODES) - set(SECTIONS) == set(), "codes without a section in docs/diagnostics.md"
    assert set(SECTIONS) - set(CODES) == set(), "sections for codes that do not exist"


@pytest.mark.parametrize("code", sorted(CODES))
def test_section_names_the_title(code: str) -> None:
    heading = re.search(rf"^## {code}\b(.*)$", DIAGNOSTICS, re.MULTILINE)
    assert heading is not None
    assert CODES[code] in heading.group(1), f"the heading of {code} should carry its title {CODES[code]!r}"


@pytest.mark.parametrize("code", sorted(set(CODES) - NOT_RULES))
def test_section_example_produces_its_code(code: str) -> None:
    examples = blocks(SECTIONS.get(code, ""), "rare", "rare-file")
    assert examples, f"the section of {code} has no rare example"
    for _line, kind, body in examples:
        assert code in codes_of(kind, body, code), f"{code}: this example does not produce {code}:\n{body}"


@pytest.mark.parametrize("code", sorted(CODES))
def test_section_shows_real_output(code: str) -> None:
    """Each section shows rendered output with its code in a ```text block."""
    rendered = [body for _line, _kind, body in blocks(SECTIONS.get(code, ""), "text")]
    assert any(f"error[{code}]" in body or f"warning[{code}]" in body for body in rendered), code


@pytest.mark.parametrize("code", sorted(set(CODES) - NOT_RULES))
def test_rendered_output_matches_the_example(code: str) -> None:
    """The ```text block that follows an example is what `rare check` prints for it today."""
    fenced = blocks(SECTIONS.get(code, ""), "rare", "rare-file", "text")
    compared = 0
    for (_line, kind, body), (_next_line, next_kind, shown) in itertools.pairwise(fenced):
        if kind not in ("rare", "rare-file") or next_kind != "text":
            continue
        name = "<rule>"
        if kind == "rare-file":
            located = re.search(r"^ --> (\S+?):\d+:\d+$", shown, re.MULTILINE)
            assert located, shown
            name = located.group(1)
        found = diagnostics_of(kind, body, name, code)
        expected = shown.rpartition("\nFound ")[0]  # the CLI's summary line is not part of the rendering
        assert render(found, color=False).rstrip("\n") == expected, (
            f"{code}: the output shown in docs/diagnostics.md is out of date; run `rare check` again"
        )
        compared += 1
    assert compared, f"{code}: no example is followed by its output"


@pytest.mark.parametrize("code", sorted(COMPILER))
def test_compiler_examples_run(code: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each `$ rare compile ...` of a compiler code's section prints exactly the ```text block after it."""
    import shlex

    from rare_dsl.cli import main

    monkeypatch.delenv("NO_COLOR", raising=False)
    fenced = blocks(SECTIONS.get(code, ""), "console", "text")
    compared = 0
    for (_line, kind, body), (_next_line, next_kind, shown) in itertools.pairwise(fenced):
        if kind != "console" or next_kind != "text":
            continue
        argv = shlex.split(body.removeprefix("$ rare "))
        assert main(argv) == 1
        assert capsys.readouterr().out.rstrip("\n") == shown, f"{code}: `{body}` prints something else today"
        compared += 1
    assert compared, f"{code}: no command is followed by its output"


# ---------------------------------------------------------------------------------------- console blocks
# Every ```console block of README.md and docs/*.md runs against the demo shop pinned to one day and prints
# what it shows (tests/console_blocks.py; docs/contributing.md). `--update-docs` writes today's output in.

CONSOLE = [block for path in console_blocks.DOCUMENTS for block in console_blocks.blocks(path)]
RUN = [block for block in CONSOLE if block.kind != "illustrative"]


@pytest.fixture(scope="session")
def pinned_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop of the documents, made once per session: `rare demo --until` the pinned day."""
    from rare_dsl.cli import main

    path = tmp_path_factory.mktemp("pinned") / "rare.duckdb"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["demo", "--until", console_blocks.PINNED, "--db", str(path)]) == 0
    return path


def test_console_blocks_are_mostly_run() -> None:
    """Illustrative blocks are the exception: each needs another process or a file the repository lacks."""
    assert len(RUN) >= 10
    illustrative = [block.name for block in CONSOLE if block.kind == "illustrative"]
    assert len(illustrative) <= 4, illustrative
    assert all(block.steps for block in CONSOLE)


@pytest.mark.parametrize("block", RUN, ids=[block.name for block in RUN])
def test_console_block_prints_what_it_shows(block: console_blocks.Block, pinned_store: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    for name, value in console_blocks.environment().items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    console_blocks.prepare(tmp_path, block, pinned_store)
    monkeypatch.chdir(tmp_path)
    today = console_blocks.refresh(block, [console_blocks.run(step) for step in block.steps])
    if request.config.getoption("--update-docs"):
        if today.text() != block.text():
            console_blocks.rewrite(today)
        return
    diff = "".join(difflib.unified_diff(block.text().splitlines(True), today.text().splitlines(True),
                                        f"{block.name} (shown)", "printed today"))
    assert today.text() == block.text(), (
        f"{block.name}: the block shows something else than its commands print; after checking the difference, "
        f"`python -m pytest tests/test_docs.py -k console --update-docs` writes it in:\n{diff}")


def test_shown_output_matches_times_and_elisions() -> None:
    assert console_blocks.matches(["Generated in 2.7 s (seed 1):", "…", "  lists  3"],
                                  ["Generated in 13.0 s (seed 1):", "  a  1", "  b  2", "  lists  3"])
    assert console_blocks.matches(["4,018 contacts (4.0%) · 17 ms"], ["4,018 contacts (4.0%) · 170 ms"])
    assert not console_blocks.matches(["4,018 contacts (4.0%) · 17 ms"], ["4,019 contacts (4.0%) · 17 ms"])
    assert not console_blocks.matches(["a", "…", "c"], ["a", "b"])
    assert console_blocks.refreshed(["a", "…", "z"], ["b", "c", "d", "y"]) == ["b", "…", "y"]
    assert console_blocks.refreshed(["x 2.7 s"], ["x 3.1 s"]) == ["x 2.7 s"]
