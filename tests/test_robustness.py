"""Bad input of any kind ends in diagnostics, never in a traceback (SPEC 3.8).

Properties: whatever text `check` and `parse_file` get, they return a result or raise `RuleError`, and
every diagnostic has a span inside the text and renders. Then the extremes: deep nesting, huge input,
long flat rules, binary junk.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rare_dsl
from rare_dsl import RuleError, check, parse, parse_file, render
from rare_dsl.diagnostics import CODES, Diagnostic
from rare_dsl.syntax import ast
from rare_dsl.typed import CheckedRule, Compare, Const, walk

BOUNDED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYWORDS = [
    "and", "or", "not", "between", "in", "contains", "starts with", "ends with", "within", "is", "set", "null",
    "ago", "order by", "asc", "desc", "limit", "true", "false", "segment", "like", "ilike", "AND", "Or", "NOT",
]
OPERATORS = ["=", "!=", "<", "<=", ">", ">=", "==", "<>", "&&", "||", "!", "+", "-", "*", "/", "&", "|", "%"]
PUNCTUATION = ["(", ")", "[", "]", ",", ":", "\n", "# comment\n", "## description\n", '"', "'"]
NAMES = [
    "country", "city", "quality", "status", "tags", "created_at", "order_count", "total_spent",
    "last_order_date", "opens", "clicks", "orders", "spent", "refunds", "purchased", "bought_from", "in_list",
    "in_segment", "engagement", "contry", "Country", "x", "within:", "product:", "month:", "campaign:", "name:",
]
LITERALS = [
    '"France"', "'Spain'", '"vip"', '"VIP"', '"dec"', r'"\q"', r'"\u00e9"', r'"\u12"', "3", "0", "-1", "49.90",
    "1_000", "2026-01-31", "2026-02-30", "2026-01-31T09:30:00Z", "2026-01-31T09:30+02:00", "2026-01-31T25:00",
    "12h", "30d", "2w", "6mo", "1y", "6m", "0d", "1.5d", "90d ago", "[]", '["a", "b",]',
]
TOKENS = KEYWORDS + OPERATORS + PUNCTUATION + NAMES + LITERALS

token_rules = st.builds(
    lambda tokens, sep: sep.join(tokens),
    st.lists(st.sampled_from(TOKENS), max_size=25),
    st.sampled_from([" ", "", "\n", "  "]),
)
# Rules that are well formed more often than random tokens: `name op literal`, joined by and / or.
conditions = st.builds(
    lambda name, op, literal: f"{name} {op} {literal}",
    st.sampled_from([*NAMES[:19], "opens(6mo)", 'purchased(product: "Shoes")', "engagement(within: 1y)"]),
    st.sampled_from(["=", "!=", "<", ">=", "in", "not in", "contains", "not starts with", "within", "between 1 and"]),
    st.sampled_from(LITERALS),
)
simple_rules = st.builds(
    lambda first, rest: first + "".join(f" {joiner} {c}" for joiner, c in rest),
    conditions,
    st.lists(st.tuples(st.sampled_from(["and", "or", "and not", "OR NOT"]), conditions), max_size=4),
)
any_rule = token_rules | simple_rules
any_text = st.text(max_size=200) | st.text(
    alphabet=st.sampled_from(list("abcz_09 \t\n\r\x00\x0b\x1b\"'\\#()[],:=<>!&|+-*/%.éZT\u2028\ufeff東")),
    max_size=80,
)


def outcome(function, text: str):
    """Call `function(text)`: a result, or the diagnostics of the `RuleError` it raised, checked for sanity."""
    try:
        return function(text)
    except RuleError as error:
        assert error.diagnostics, "a RuleError carries at least one diagnostic"
        for d in error.diagnostics:
            assert_sane(d, text)
        assert str(error)
        return error


def assert_sane(d: Diagnostic, text: str) -> None:
    assert d.code in CODES and d.message
    assert d.span is not None and d.source is not None
    assert d.source.text == text
    assert 0 <= d.span.start <= d.span.end <= len(text), (d.code, d.span, len(text))
    for label in d.labels:
        assert 0 <= label.span.start <= label.span.end <= len((label.source or d.source).text)
    shown = render([d], color=False)
    assert f"[{d.code}]: " in shown and "\x1b[" not in shown


# ------------------------------------------------------------------------------------------------ properties


@BOUNDED
@given(any_text)
def test_any_text_checks_or_fails_with_diagnostics(text: str) -> None:
    result = outcome(check, text)
    assert isinstance(result, CheckedRule | RuleError)


@BOUNDED
@given(any_rule)
def test_spans_of_whatever_parses_nest_inside_the_text(text: str) -> None:
    try:
        parsed = parse(text)
    except RuleError:
        return
    for parent in ast.walk(parsed.rule):
        assert 0 <= parent.span.start <= parent.span.end <= len(text)
        for child in ast.children(parent):
            assert parent.span.start <= child.span.start <= child.span.end <= parent.span.end, (parent, child)


@BOUNDED
@given(any_text)
def test_any_text_as_a_file_parses_or_fails_with_diagnostics(text: str) -> None:
    result = outcome(parse_file, text)
    assert isinstance(result, ast.RuleFile | RuleError)


@BOUNDED
@given(any_rule)
def test_any_token_sequence_checks_or_fails_with_diagnostics(text: str) -> None:
    result = outcome(check, text)
    assert isinstance(result, CheckedRule | RuleError)
    if isinstance(result, CheckedRule):
        for node in walk(result):
            assert 0 <= node.span.start <= node.span.end <= len(text)


@BOUNDED
@given(token_rules, token_rules)
def test_any_token_sequence_in_a_file_parses_or_fails_with_diagnostics(first: str, second: str) -> None:
    text = f"segment a:\n    {first}\nsegment b: {second}\n"
    result = outcome(parse_file, text)
    assert isinstance(result, ast.RuleFile | RuleError)


@BOUNDED
@given(token_rules, token_rules)
def test_any_token_sequence_in_a_project_checks_or_fails_with_diagnostics(first: str, second: str) -> None:
    files = [(f"segment a:\n    {first}\n", "a.rare"), (f'segment b: in_segment("a") or {second}\n', "b.rare")]
    try:
        project = rare_dsl.check_project(files)
    except RuleError as error:
        texts = {name: text for text, name in files}
        for d in error.diagnostics:
            assert_sane(d, texts[d.source.name])
    else:
        assert set(project.segments) == {"a", "b"}


@BOUNDED
@given(st.binary(max_size=300))
def test_any_bytes_check_or_fail_with_diagnostics(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    result = outcome(check, text)
    assert isinstance(result, CheckedRule | RuleError)


# -------------------------------------------------------------------------------------------------- extremes

N = 10_000


def codes(function, text: str) -> list[str]:
    result = outcome(function, text)
    assert isinstance(result, RuleError), "expected a RuleError"
    return [d.code for d in result.diagnostics]


def test_nested_parentheses_around_a_comparison_collapse() -> None:
    checked = check("(" * N + "order_count > 1" + ")" * N)
    assert isinstance(checked.condition, Compare)
    assert checked.condition.right.value == 1


def test_nested_parentheses_around_a_value_collapse() -> None:
    checked = check("order_count > " + "(" * N + "1" + ")" * N)
    assert isinstance(checked.condition.right, Const) and checked.condition.right.value == 1


def test_unclosed_nested_parentheses() -> None:
    assert codes(check, "(" * N + "order_count > 1") == ["RD003"]


def test_many_nots_are_too_deep() -> None:
    assert codes(check, "not " * N + "city is set") == ["RD006"]


def test_many_bangs_are_too_deep() -> None:
    assert codes(check, "!" * N + "city is set") == ["RD006"]


def test_many_minuses_before_a_number_fold_into_the_number() -> None:
    checked = check("order_count > " + "-" * N + "1")
    assert checked.condition.right.value == 1  # an even number of minuses
    checked = check("order_count > " + "-" * (N + 1) + "1")
    assert checked.condition.right.value == -1


def test_many_minuses_before_a_name_are_too_deep() -> None:
    assert codes(check, "order_count > " + "- " * N + "order_count") == ["RD006"]


def test_long_plus_chain_is_too_deep() -> None:
    assert codes(check, "order_count > " + " + ".join(["1"] * 5_000)) == ["RD006"]


def test_nested_lists_are_too_deep() -> None:
    assert codes(check, "country in " + "[" * N + '"a"' + "]" * N) == ["RD006"]


def test_nested_calls_are_too_deep() -> None:
    assert codes(check, "opens(" * N + ")" * N + " > 1") == ["RD006"]


def test_deep_rule_in_a_file_is_too_deep() -> None:
    text = "segment fine: city is set\nsegment deep:\n    " + "not " * N + "city is set\n"
    assert codes(parse_file, text) == ["RD006"]


def test_nesting_under_the_limit_checks() -> None:
    checked = check("not " * 100 + "city is set")
    assert checked.condition is not None


def test_ten_megabyte_rule_is_too_large() -> None:
    text = "order_count > 1 and " * 500_000 + "order_count > 1"
    assert len(text) > 10_000_000
    result = outcome(check, text)
    assert [d.code for d in result.diagnostics] == ["RD006"]
    assert "too large" in result.diagnostics[0].message
    assert codes(parse_file, "segment a:\n" + text) == ["RD006"]


def test_five_thousand_ors_check() -> None:
    text = " or ".join(f"order_count = {i}" for i in range(5_000))
    checked = check(text)
    assert len(checked.condition.operands) == 5_000


def test_five_thousand_ands_check() -> None:
    text = " and ".join(f"order_count != {i}" for i in range(5_000))
    checked = check(text)
    assert len(checked.condition.operands) == 5_000


JUNK = [
    pytest.param("\x00", id="nul"),
    pytest.param("\x00" * 1000, id="nuls"),
    pytest.param("country = \x00", id="nul-after-rule"),
    pytest.param(bytes(range(256)).decode("utf-8", errors="replace"), id="every-byte"),
    pytest.param(random.Random(0).randbytes(4096).decode("utf-8", errors="replace"), id="random-4k"),
    pytest.param(random.Random(1).randbytes(65536).decode("latin-1"), id="random-64k-latin1"),
    pytest.param("\ufeffcountry = 'x'", id="byte-order-mark"),
    pytest.param("\ufffd" * 100, id="replacement-chars"),
    pytest.param("\u2028", id="line-separator"),
    pytest.param("\xa0\nsegment a: city is set", id="no-break-space-before-a-segment"),
    pytest.param("city = \"a\x00b", id="nul-in-unclosed-text"),
]


@pytest.mark.parametrize("text", JUNK)
def test_binary_junk_is_a_rule_error(text: str) -> None:
    assert codes(check, text)
    assert codes(parse_file, text)


def test_long_single_line_renders_around_the_span() -> None:
    text = "order_count > 1 and " * 5_000 + "contry = 1"
    (only,) = outcome(check, text).diagnostics
    assert only.code == "RD101"
    shown = render([only], color=False)
    assert "contry" in shown and len(shown) < 2_000
