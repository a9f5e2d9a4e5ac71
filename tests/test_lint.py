"""Lints (RW4xx): each warning with the rules that earn it, the rules that must stay clean, suppression
comments used and unused, warnings of projects, and a property proving the never/always analysis exact
on rules about one number: a warning is never a guess, and no contradiction goes unnoticed.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rare_dsl import RuleError, check, check_project, typed
from rare_dsl.diagnostics import CODES, Diagnostic
from rare_dsl.schema import Field

# (id, rule, the warnings it gets)
WARNINGS = [
    ("two-countries", 'country = "France" and country = "Spain"', ["RW401"]),
    ("empty-range", "opens(6mo) >= 3 and opens(6mo) < 2", ["RW401"]),
    ("not-set-and-equal", "city is not set and city = \"x\"", ["RW401"]),
    ("not-set-and-in", 'city is not set and city in ["a", "b"]', ["RW401"]),
    ("range-and-between", "total_spent > 5 and total_spent between 1 and 3", ["RW401"]),
    ("between-backwards", "total_spent between 10 and 1", ["RW401"]),
    ("negative-count", "order_count < 0", ["RW401"]),
    ("count-never-missing", "opens(6mo) is not set", ["RW401"]),
    ("enum-values", 'quality = "vip" and quality in ["loyal", "new"]', ["RW401"]),
    ("enum-not-every-value", 'quality = "VIP" and quality != "vip"', ["RW401"]),
    ("boolean-and-its-negation", "purchased() and not purchased()", ["RW401"]),
    ("dates", "created_at = 2026-01-31 and created_at = 2026-02-01", ["RW401"]),
    ("relative-times", "last_order_date within 30d and last_order_date < 90d ago", ["RW401"]),
    ("months-and-years", "last_order_date < 1y ago and last_order_date > 6mo ago", ["RW401"]),
    ("nested-or", 'country = "France" and (country = "Spain" or country = "Italy")', ["RW401"]),
    ("inside-an-or", 'city is set or (country = "France" and country = "Spain")', ["RW401"]),
    ("count-at-least-zero", "order_count >= 0", ["RW402"]),
    ("count-clause", 'order_count >= 0 and country = "France"', ["RW402"]),
    ("value-or-not", "total_spent = 1 or total_spent != 1", ["RW402"]),
    ("text-or-not", 'city = "Paris" or city != "Paris"', ["RW402"]),
    ("set-or-not-set", "city is set or city is not set", ["RW402"]),
    ("count-split", "order_count < 5 or order_count >= 5", ["RW402"]),
    ("count-is-set", "opens(6mo) is set", ["RW402"]),
    ("repeated-and", 'country = "France" and opens(6mo) >= 3 and country = "France"', ["RW403"]),
    ("repeated-or", "city is set or region is set or city is set", ["RW403"]),
    ("repeated-across-parentheses", "(city is set and region is set) and city is set", ["RW403"]),
    ("repeated-and-contradicting", 'country = "x" and country = "x" and country = "y"', ["RW401", "RW403"]),
]

# Rules that look close to a warning but are fine: a lint must never guess.
CLEAN = [
    'country = "France" and opens(6mo) >= 3',
    'city != "Paris" and city != "Lyon"',
    "order_count > 1 and order_count < 2",  # a number between: the analysis does not assume whole numbers
    "average_order_value < 5 or average_order_value >= 5",  # false for contacts without orders
    "city is not set or city = \"Paris\"",
    "last_order_date < 90d ago and last_order_date > 6mo ago",  # days and months are not compared
    "created_at > 2026-01-01 and created_at < 90d ago",  # a date and a moment relative to the as-of instant
    'email contains "x" and email not contains "x"',  # text patterns are left alone
    "opens(6mo) >= 3 and opens(1y) < 2",  # different windows are different values
    "clicks(6mo) > opens(6mo)",
    "order_count = 0 or order_count >= 1",  # 0.5 orders is not a thing, but the analysis does not know
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in WARNINGS])
def test_warnings(text: str, expected: list[str]) -> None:
    warnings = check(text).warnings
    assert sorted(d.code for d in warnings) == sorted(expected)
    for d in warnings:
        assert not d.is_error and d.span is not None and 0 <= d.span.start <= d.span.end <= len(text)


@pytest.mark.parametrize("text", CLEAN)
def test_no_false_warnings(text: str) -> None:
    assert check(text).warnings == ()


def test_total_spent_split_is_always_true() -> None:
    # total_spent is never missing (a sum over no orders is 0), so one side or the other always holds.
    assert [d.code for d in check("total_spent < 5 or total_spent >= 5").warnings] == ["RW402"]


def test_messages_say_what_and_why() -> None:
    (only,) = check('country = "France" and country = "Spain"').warnings
    assert only.message == ('the rule can never match: `country = "France"` and `country = "Spain"` cannot both '
                            "be true")
    assert (only.span.start, only.span.end) == (0, 40)  # one line: one span over both
    (only,) = check("order_count >= 0").warnings
    assert only.message == "the rule matches every contact: `order_count >= 0` is always true"
    assert "`order_count` counts, so it is 0 or more" in only.hints
    (only,) = check("city is set and (order_count < 0 or region is set)").warnings
    assert only.message == "`order_count < 0` is never true"  # only part of an `or`: the rule can still match


def test_conditions_on_several_lines_are_labelled_where_they_are() -> None:
    text = 'country = "France"\n    and opens(6mo) >= 3\n    and country = "Spain"'
    (only,) = check(text).warnings
    assert only.code == "RW401"
    assert only.source.position(only.span.start) == (3, 9)
    assert [(label.message, only.source.position(label.span.start)) for label in only.labels] == [
        ("…and this", (1, 1))]


def test_the_innermost_problem_is_reported_once() -> None:
    warnings = check("order_count < 0 and order_count > 5").warnings
    assert [d.code for d in warnings] == ["RW401"]
    assert warnings[0].span.end == len("order_count < 0")


def test_every_warning_code_is_covered() -> None:
    covered = {code for _, _, codes in WARNINGS for code in codes} | {"RW404", "RW405"}  # tested below
    # The lints are RW4xx; RW9xx warn about files (tests/test_faults_store.py).
    assert {code for code in CODES if code.startswith("RW4")} == covered


# ------------------------------------------------------------------------------------------ store values


class Store:
    """A store that knows a few countries, as `rare check --db` would."""

    def __init__(self) -> None:
        self.countries = {"France": 12_034, "Spain": 8_211, "Spainn": 3}
        self.asked: list[tuple[str, tuple[str, ...]]] = []

    def contacts_with(self, field: Field, values: Sequence[str]) -> Mapping[str, int] | None:
        self.asked.append((field.name, tuple(values)))
        if field.name != "country":
            return None  # this store cannot tell: no warning may follow
        return {value: self.countries[value] for value in values if value in self.countries}

    def common_values(self, field: Field, limit: int) -> Sequence[tuple[str, int]]:
        return sorted(self.countries.items(), key=lambda item: -item[1])[:limit]


def test_a_value_no_contact_has() -> None:
    store = Store()
    (only,) = check('country = "Frnace" and opens(6mo) >= 3', values=store).warnings
    assert (only.code, only.message) == ("RW404", 'no contact has country "Frnace"')
    assert only.hints == ("did you mean `France` (12,034 contacts)?",)
    assert (only.span.start, only.span.end) == (10, 18)
    assert store.asked == [("country", ("Frnace",))]


def test_values_in_lists_and_negations_are_looked_up() -> None:
    warnings = check('country in ["France", "Spian"] and country != "Portugal"', values=Store()).warnings
    assert [(d.code, d.message) for d in warnings] == [
        ("RW404", 'no contact has country "Spian"'), ("RW404", 'no contact has country "Portugal"')]
    assert warnings[0].hints == ("did you mean `Spain` (8,211 contacts), `Spainn` (3 contacts)?",)
    assert warnings[1].hints == ("`rare sample` shows the values `country` has",)


def test_case_matters_and_the_hint_says_which_spelling_exists() -> None:
    (only,) = check('country = "france"', values=Store()).warnings
    assert only.hints[0].startswith("did you mean `France` (12,034 contacts)")


def test_no_warning_when_the_store_cannot_tell() -> None:
    assert check('city = "Nowhere"', values=Store()).warnings == ()


def test_no_store_no_value_warning() -> None:
    assert check('country = "Frnace"').warnings == ()


# ------------------------------------------------------------------------------------------- suppression


def codes(text: str, **kwargs: object) -> list[str]:
    try:
        return [d.code for d in check(text, **kwargs).warnings]  # type: ignore[arg-type]
    except RuleError as error:
        return [d.code for d in error.diagnostics]


def test_suppression_silences_its_code_on_its_line() -> None:
    assert codes('order_count >= 0 and country = "France"  # rare: ignore[RW402]') == []
    assert codes("order_count >= 0 and order_count >= 0  # rare: ignore[RW403, rw402]") == []
    assert codes('order_count >= 0  # rare: ignore[RW401]') == ["RW402", "RW405"]


def test_suppression_on_any_line_of_a_multi_line_warning() -> None:
    text = 'country = "France"\n    and country = "Spain"  # rare: ignore[RW401]'
    assert codes(text) == []
    text = 'country = "France"  # rare: ignore[RW401]\n    and opens(6mo) >= 3\n    and country = "Spain"'
    assert codes(text) == ["RW401", "RW405"]  # the warning is on line 3, the suppression on line 1


def test_unused_suppression() -> None:
    text = 'country = "France"  # rare: ignore[RW402]'
    (only,) = check(text).warnings
    assert (only.code, only.message) == ("RW405", "unused suppression: no RW402 warning on this line")
    assert text[only.span.start:only.span.end] == "RW402"


def test_errors_cannot_be_suppressed() -> None:
    with pytest.raises(RuleError) as caught:
        check('contry = "France"  # rare: ignore[RD101]')
    found = {d.code: d for d in caught.value.diagnostics}
    assert set(found) == {"RD101", "RW405"}
    assert found["RW405"].message == "`RD101` is an error: errors cannot be suppressed"
    assert not found["RW405"].is_error


def test_malformed_suppressions() -> None:
    assert [d.message for d in check('city is set  # rare: ignore').warnings] == [
        "a suppression names the warnings it silences"]
    (unknown,) = check('city is set  # rare: ignore[RW999]').warnings
    assert unknown.message == "unknown code `RW999`"
    (itself,) = check('city is set  # rare: ignore[RW405]').warnings
    assert itself.message == "`RW405` cannot be suppressed"


def test_a_store_warning_suppressed_without_a_store_is_not_unused() -> None:
    text = 'country = "Frnace"  # rare: ignore[RW404]'
    assert codes(text) == []
    assert codes(text, values=Store()) == []
    assert codes('country = "France"  # rare: ignore[RW404]', values=Store()) == ["RW405"]


# ---------------------------------------------------------------------------------------------- projects


def test_project_warnings_are_on_their_segments() -> None:
    files = [('segment a:\n    order_count >= 0\n\nsegment b:\n    city is set\n', "a.rare"),
             ('segment c:\n    city is set and city is set  # rare: ignore[RW403]\n', "b.rare")]
    project = check_project(files)
    assert [d.code for d in project.warnings] == ["RW402"]
    assert [d.code for d in project.segments["a"].rule.warnings] == ["RW402"]
    assert project.segments["b"].rule.warnings == ()
    assert project.segments["c"].rule.warnings == ()


def test_errors_come_with_the_warnings() -> None:
    files = [('segment a:\n    order_count >= 0\n', "a.rare"), ('segment b:\n    contry = "x"\n', "b.rare")]
    with pytest.raises(RuleError) as caught:
        check_project(files)
    assert sorted(d.code for d in caught.value.diagnostics) == ["RD101", "RW402"]


def test_no_unused_suppression_in_a_file_with_errors() -> None:
    text = 'segment a:\n    contry = "x"  # rare: ignore[RW402]\n\nsegment b:\n    city is set  # rare: ignore[RW402]\n'
    with pytest.raises(RuleError) as caught:
        check_project([(text, "a.rare")])
    assert [d.code for d in caught.value.diagnostics] == ["RD101"]


# ---------------------------------------------------------------------------------------------- property


def evaluate(node: typed.Node, value: Decimal | None) -> bool:
    """The condition for a contact whose one number is `value` (None: missing), per SPEC 3.4."""
    match node:
        case typed.And(operands=operands):
            return all(evaluate(op, value) for op in operands)
        case typed.Or(operands=operands):
            return any(evaluate(op, value) for op in operands)
        case typed.Not(operand=operand):
            return not evaluate(operand, value)
        case typed.IsSet():
            return value is not None
        case typed.Compare(op=op, right=typed.Const(value=constant)):
            return value is not None and {"=": value == constant, "<": value < constant, "<=": value <= constant,
                                          ">": value > constant, ">=": value >= constant}[op]
        case typed.Between(low=typed.Const(value=low), high=typed.Const(value=high)):
            return value is not None and low <= value <= high
        case typed.InList(options=options):
            return value is not None and value in {o.value for o in options}
    raise AssertionError(node)


SUBJECTS = {"total_spent": (False, None), "average_order_value": (True, None), "order_count": (False, 0)}
number = st.sampled_from(["0", "1", "2", "3", "5", "-1", "2.5"])
atom = st.one_of(
    st.tuples(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), number).map(lambda t: f"x {t[0]} {t[1]}"),
    st.tuples(st.sampled_from(["between", "not between"]), number, number).map(lambda t: f"x {t[0]} {t[1]} and {t[2]}"),
    st.tuples(st.sampled_from(["in", "not in"]), number, number).map(lambda t: f"x {t[0]} [{t[1]}, {t[2]}]"),
    st.sampled_from(["x is set", "x is not set"]),
)
condition = st.recursive(atom, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    inner.map(lambda c: f"not ({c})"),
), max_leaves=5)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SUBJECTS)), condition)
def test_never_and_always_are_exact_for_one_number(subject: str, text: str) -> None:
    rule = text.replace("x", subject)
    checked = check(rule)
    may_be_missing, lowest = SUBJECTS[subject]
    constants = sorted({Decimal(n) for n in ["0", "1", "2", "3", "5", "-1", "2.5"]})
    # Every constant, a point between each two, and beyond both ends decide any union of intervals.
    points = constants + [(a + b) / 2 for a, b in itertools.pairwise(constants)] + [constants[0] - 1,
                                                                                      constants[-1] + 1]
    samples: list[Decimal | None] = [p for p in points if lowest is None or p >= lowest]
    if may_be_missing:
        samples.append(None)
    assert checked.condition is not None
    results = [evaluate(checked.condition, value) for value in samples]
    warned = {d.code for d in checked.warnings}
    whole = [d.message for d in checked.warnings]
    if any(m.startswith("the rule can never match") for m in whole):
        assert not any(results), rule
    if any(m.startswith("the rule matches every contact") for m in whole):
        assert all(results), rule
    if not any(results) or all(results):
        assert warned & {"RW401", "RW402"}, rule  # nothing unnoticed


def test_a_warning_is_data_like_any_diagnostic() -> None:
    (only,) = check("order_count >= 0").warnings
    assert isinstance(only, Diagnostic)
    assert only.to_dict()["severity"] == "warning"
