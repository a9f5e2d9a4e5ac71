"""Rendered diagnostics: one snapshot file per case under tests/snapshots/render/, and the color switch.

A snapshot holds the input (a rule, or rule files) and the exact plain output. When a message changes on
purpose, regenerate with `RARE_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_render.py`, then read the
changed files: the carets must sit under the exact span.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from snapshot_helpers import SNAPSHOTS as ALL_SNAPSHOTS
from snapshot_helpers import assert_snapshot

from rare_dsl import check, check_project
from rare_dsl.diagnostics import Diagnostic, Label, RuleError, Source, Span, render, use_color

SNAPSHOTS = ALL_SNAPSHOTS / "render"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# ------------------------------------------------------------------------------------------------ snapshots


@dataclass(frozen=True)
class Case:
    """A rule (checked with `check`), or rule files `(name, text)` (checked together with `check_project`)."""

    name: str
    rule: str | None = None
    files: tuple[tuple[str, str], ...] = ()


def diagnostics_of(case: Case) -> tuple[Diagnostic, ...]:
    with pytest.raises(RuleError) as caught:
        if case.rule is not None:
            check(case.rule)
        else:
            check_project([(text, name) for name, text in case.files])
    return caught.value.diagnostics


def snapshot_text(case: Case, rendered: str) -> str:
    parts = [f"-- rule --\n{visible(case.rule)}\n"] if case.rule is not None else [
        f"-- file {name} --\n{visible(text)}" + ("" if text.endswith("\n") else "\n") for name, text in case.files
    ]
    return "".join(parts) + "-- rendered --\n" + rendered


def visible(text: str) -> str:
    """The input as the snapshot shows it: control characters escaped, so the file stays text for git."""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else f"\\x{ord(ch):02x}" for ch in text)


LONG_LIST = ", ".join(f'"Country {i:02}"' for i in range(40))

CASES = [
    Case("unknown_field", 'contry = "France"'),
    Case("three_mistakes", 'contry = "France" and opens(6m) >= 3 and quality = "vipp"'),
    Case("unclosed_string", 'country = "France and opens(6mo) >= 3'),
    Case("unclosed_paren", '(country = "France" or country = "Spain" and opens(6mo) >= 3'),
    Case("unmatched_paren", 'country = "France") and opens(6mo) >= 3'),
    Case("error_at_end", 'country = "France" and'),
    Case("empty_rule", ""),
    Case("tab_before_span", 'country =\t"France"\tand\tcontry = "Spain"'),
    Case("tab_inside_span", "city =\tnull"),
    Case("wide_characters", 'city = "東京都" and contry = "日本"'),
    Case("long_line", f"country in [{LONG_LIST}] and opens(6m) >= 3 and city in [{LONG_LIST}]"),
    Case("binary_junk", "\x00\x01\x02 junk"),
    Case("operators_from_sql", 'country == "France" && opens(6mo) >= 3'),
    Case("enum_value_hints", 'quality = "gold"'),
    Case("multi_line_rule", 'country = "France"\n  and opens(6mo) >= 3\n  and last_order_date < 90d'),
    Case("file_error_on_line_3", files=(("segments/france.rare",
                                         '## French contacts who open our mail.\nsegment french_openers:\n'
                                         '    contry = "France" and opens(6mo) >= 3\n'),)),
    Case("file_gutter_two_digits", files=(("big.rare", "".join(
        f"segment s{i}:\n    opens(6mo) >= {i + 1}\n\n" for i in range(3))
        + "segment s3:\n    quality = \"gold\"\n"),)),
    Case("duplicate_across_files", files=(
        ("segments/france.rare", 'segment french_openers:\n    country = "France" and opens(6mo) >= 3\n'),
        ("segments/more.rare", '# Copied by mistake.\n\nsegment french_openers:\n    country = "France"\n'),
    )),
    Case("cycle", files=(("cycle.rare",
                          'segment a:\n    in_segment("b")\n\nsegment b:\n    in_segment("c") and opens(6mo) > 0\n\n'
                          'segment c:\n    in_segment("a")\n'),)),
    Case("not_a_rule_file", files=(("plain.rare", 'country = "France"\n'),)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rendered_diagnostics(case: Case) -> None:
    assert_snapshot(SNAPSHOTS / f"{case.name}.txt", snapshot_text(case, render(diagnostics_of(case), color=False)))


def test_diagnostic_without_a_span() -> None:
    """A file that cannot be read has no span: the header and the file name, no snippet."""
    missing = Diagnostic("RD901", "cannot read `segments/gone.rare`: no such file or folder", None,
                         Source("", "segments/gone.rare"))
    assert render([missing], color=False) == (
        "error[RD901]: cannot read `segments/gone.rare`: no such file or folder\n --> segments/gone.rare\n"
    )
    assert render([Diagnostic("RD902", "bad", None)], color=False) == "error[RD902]: bad\n"


def test_snapshot_files_are_all_used() -> None:
    """A snapshot left behind by a renamed case would never be compared again."""
    assert {p.stem for p in SNAPSHOTS.glob("*.txt")} == {c.name for c in CASES}


# --------------------------------------------------------------------------------------------- caret math


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_caret_sits_under_the_span(data: st.DataObject) -> None:
    """For any one-line ASCII source and span, the carets cover exactly the span's columns."""
    text = data.draw(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=200))
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    source = Source(text, "x.rare")
    lines = render([Diagnostic("RD001", "m", Span(start, end), source, label="here")], color=False).splitlines()
    assert lines[1] == f" --> x.rare:1:{start + 1}"
    assert lines[3] == f"1 | {text}".rstrip()
    caret_line = lines[4]
    assert caret_line.startswith("  | ")
    marks = caret_line[4:]
    assert marks == " " * start + "^" * (end - start) + " here"


def test_labels_in_the_same_file_need_no_file_header() -> None:
    source = Source("segment a:\n    x\nsegment a:\n    y\n", "f.rare")
    d = Diagnostic("RD105", "dup", Span(25, 26), source, label="again",
                   labels=(Label(Span(8, 9), "first", source),))
    assert render([d], color=False) == (
        "error[RD105]: dup\n --> f.rare:3:9\n  |\n3 | segment a:\n  |         ^ again\n"
        "1 | segment a:\n  |         ^ first\n"
    )


# ------------------------------------------------------------------------------------------------- color


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def rule_error(rule: str = 'contry = "France"') -> tuple[Diagnostic, ...]:
    with pytest.raises(RuleError) as caught:
        check(rule)
    return caught.value.diagnostics


def test_color_mode_paints_and_plain_mode_does_not() -> None:
    diagnostics = rule_error('contry = "France" and opens(6m) >= 3')
    colored = render(diagnostics, color=True)
    plain = render(diagnostics, color=False)
    assert "\x1b[1;31merror[RD101]\x1b[0m" in colored
    assert "\x1b[" not in plain
    # Color changes nothing but the escape codes.
    assert ANSI.sub("", colored) == plain


def test_no_color_env_turns_color_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert use_color(FakeTerminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(FakeTerminal())
    monkeypatch.setenv("NO_COLOR", "")  # https://no-color.org: only a non-empty value counts
    assert use_color(FakeTerminal())
    monkeypatch.setenv("TERM", "dumb")
    assert not use_color(FakeTerminal())


def test_a_stream_that_is_not_a_terminal_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert not use_color(io.StringIO())
    assert not use_color(object())  # type: ignore[arg-type]  # no isatty at all


def test_render_decides_from_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    diagnostics = rule_error()
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert "\x1b[" not in render(diagnostics)
    monkeypatch.setattr("sys.stdout", FakeTerminal())
    assert "\x1b[" in render(diagnostics)


def test_rule_error_message_is_the_plain_rendering() -> None:
    with pytest.raises(RuleError) as caught:
        check('contry = "France"')
    assert str(caught.value) == render(caught.value.diagnostics, color=False).rstrip("\n")
    assert "\x1b[" not in str(caught.value)
