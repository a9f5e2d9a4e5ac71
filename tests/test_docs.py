"""The user documents say true things: every example in docs/language.md is a valid rule, and
docs/diagnostics.md documents every code of `CODES` with an example that really produces it.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from rare_dsl import check, check_project, render
from rare_dsl.diagnostics import CODES, RuleError

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


def codes_of(kind: str, body: str) -> set[str]:
    """The codes a `rare` (one rule) or `rare-file` (a rule file) example produces; empty when clean."""
    try:
        if kind == "rare":
            checked = check(body, name="doc")
            return {d.code for d in checked.warnings}
        project = check_project([(body + "\n", "doc")])
        return {d.code for d in project.warnings}
    except RuleError as error:
        return {d.code for d in error.diagnostics}


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


# ------------------------------------------------------------------------------------------- diagnostics

DIAGNOSTICS = (DOCS / "diagnostics.md").read_text(encoding="utf-8")
SECTIONS = {m.group(1): m.group(2) for m in SECTION.finditer(DIAGNOSTICS)}
# Codes about files and settings around the rules: their examples are schema files and commands.
NOT_RULES = {code for code in CODES if code.startswith("RD9")}


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
        assert code in codes_of(kind, body), f"{code}: this example does not produce {code}:\n{body}"


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
        with pytest.raises(RuleError) as caught:
            if kind == "rare":
                check(body)
            else:
                located = re.search(r"^ --> (\S+?):\d+:\d+$", shown, re.MULTILINE)
                assert located, shown
                check_project([(body + "\n", located.group(1))])
        expected = shown.rpartition("\nFound ")[0]  # the CLI's summary line is not part of the rendering
        assert render(caught.value.diagnostics, color=False).rstrip("\n") == expected, (
            f"{code}: the output shown in docs/diagnostics.md is out of date; run `rare check` again"
        )
        compared += 1
    assert compared, f"{code}: no example is followed by its output"
