"""The checker: every diagnostic code a rule can earn, friendly messages, and the typed rule it builds.

Typed rules are compared as S-expressions (`tx`): enum constants read `enum:vip`, timestamps are UTC with a
`Z`, measures read like calls with their filters (`opens(within=6mo)`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest

from rare_dsl import RuleError, check, check_project, parse, parse_file
from rare_dsl.diagnostics import CODES, Diagnostic
from rare_dsl.schema import Function
from rare_dsl.typed import (
    Ago,
    And,
    Arithmetic,
    Attribute,
    Between,
    Compare,
    Const,
    HasTag,
    InList,
    IsSet,
    Measure,
    Negate,
    Not,
    Or,
    TextMatch,
    Within,
    walk,
)
from rare_dsl.types import Category, Type

FILTERS = ("within", "product", "vendor", "month", "campaign", "series", "target")


def tx(node) -> str:
    """A typed rule node as a compact S-expression."""
    match node:
        case None:
            return "_"
        case Attribute(field=field):
            return field.name
        case Measure(name=name):
            filters = [(f, getattr(node, f)) for f in FILTERS if getattr(node, f) is not None]
            if not isinstance(node.definition, Function):
                assert not filters
                return name
            shown = []
            for key, value in filters:
                if key == "within":
                    value = f"{value.amount}{value.unit}"
                elif isinstance(value, str):
                    value = json.dumps(value, ensure_ascii=False)
                shown.append(f"{key}={value}")
            return f"{name}(" + ", ".join(shown) + ")"
        case Const(value=value, type=kind):
            if kind is Type.ENUM:
                return f"enum:{value}"
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, dt.datetime):
                return value.isoformat().replace("+00:00", "Z")
            if isinstance(value, str):
                return json.dumps(value, ensure_ascii=False)
            return str(value)
        case Ago(duration=duration):
            return f"(ago {duration.amount}{duration.unit})"
        case Negate(operand=operand):
            return f"(neg {tx(operand)})"
        case Arithmetic(op=op, left=left, right=right) | Compare(op=op, left=left, right=right):
            return f"({op} {tx(left)} {tx(right)})"
        case Between(value=value, low=low, high=high):
            return f"(between {tx(value)} {tx(low)} {tx(high)})"
        case InList(value=value, options=options):
            return f"(in {tx(value)} [" + " ".join(tx(o) for o in options) + "])"
        case TextMatch(op=op, value=value, pattern=pattern):
            return f"({op.replace(' ', '-')} {tx(value)} {json.dumps(pattern, ensure_ascii=False)})"
        case HasTag(tags=tags, tag=tag):
            return f"(has-tag {tx(tags)} {json.dumps(tag, ensure_ascii=False)})"
        case IsSet(value=value):
            return f"(is-set {tx(value)})"
        case Within(value=value, window=window):
            return f"(within {tx(value)} {window.amount}{window.unit})"
        case Not(operand=operand):
            return f"(not {tx(operand)})"
        case And(operands=operands):
            return "(and " + " ".join(tx(o) for o in operands) + ")"
        case Or(operands=operands):
            return "(or " + " ".join(tx(o) for o in operands) + ")"
    raise TypeError(f"no S-expression for {node!r}")


def errors(text: str, **kwargs) -> tuple[Diagnostic, ...]:
    with pytest.raises(RuleError) as caught:
        check(text, **kwargs)
    return caught.value.diagnostics


def project_errors(*files: tuple[str, str]) -> tuple[Diagnostic, ...]:
    with pytest.raises(RuleError) as caught:
        check_project(list(files))
    return caught.value.diagnostics


def underlined(d: Diagnostic) -> str:
    assert d.span is not None and d.source is not None
    return d.source.text[d.span.start:d.span.end]


def advice(d: Diagnostic) -> str:
    """What the user reads besides the message: the label under the caret and the help lines."""
    return "\n".join([d.label, *d.hints])


# ------------------------------------------------------------------------------------------- every code

DEEP = "not " * 200 + "city is set"
HUGE = "x" * 1_000_001

# (id, rule, codes in the order reported). Each row is one mistake unless its id says otherwise.
RULE_CODES = [
    ("syntax-two-conditions", 'country = "France" city = "Paris"', ["RD001"]),
    ("syntax-bad-character", "country { }", ["RD001"]),
    ("syntax-order-without-by", 'country = "France" order city', ["RD001"]),
    ("syntax-chained-compare", "order_count > 1 < 3", ["RD001"]),
    ("syntax-sql", "select * from customers where city is set", ["RD001"]),
    ("syntax-empty-parens", "()", ["RD001"]),
    ("unclosed-double-quote", 'country = "France', ["RD002"]),
    ("unclosed-single-quote", "country = 'France", ["RD002"]),
    ("unclosed-paren", '(country = "France"', ["RD003"]),
    ("unclosed-bracket", 'country in ["France"', ["RD003"]),
    ("unmatched-paren", 'country = "France")', ["RD003"]),
    ("unmatched-bracket", "order_count > 1]", ["RD003"]),
    ("bad-escape", r'city = "\q"', ["RD004"]),
    ("short-unicode-escape", r'city = "\u12"', ["RD004"]),
    ("surrogate-escape", r'city = "\ud800"', ["RD004"]),
    ("double-equals", 'country == "France"', ["RD005"]),
    ("sql-not-equal", 'country <> "France"', ["RD005"]),
    ("ampersands", "city is set && region is set", ["RD005"]),
    ("pipes", "city is set || region is set", ["RD005"]),
    ("single-ampersand", "city is set & region is set", ["RD005"]),
    ("single-pipe", "city is set | region is set", ["RD005"]),
    ("bang", "!(city is set)", ["RD005"]),
    ("like", "city like '%par%'", ["RD005"]),
    ("ilike", "city ilike 'par%'", ["RD005"]),
    ("is-as-equals", 'country is "France"', ["RD005"]),
    ("is-not-as-not-equals", 'country is not "France"', ["RD005"]),
    ("is-before-within", "last_order_date is within 30d", ["RD005"]),
    ("dollar-amount", "total_spent > $100", ["RD008"]),
    ("euro-after-amount", "total_spent > 100€", ["RD008"]),
    ("too-deep", DEEP, ["RD006"]),
    ("too-large", HUGE, ["RD006"]),
    ("empty", "", ["RD007"]),
    ("only-comment", "  # nothing here\n", ["RD007"]),
    ("dangling-and", 'country = "France" and', ["RD007"]),
    ("doubled-and", 'country = "France" and and city = "Paris"', ["RD007"]),
    ("leading-or", "or city is set", ["RD007"]),
    ("lone-not", "not", ["RD007"]),
    ("missing-right-operand", "country =", ["RD007"]),
    ("missing-left-operand", '= "France"', ["RD007"]),
    ("order-by-nothing", 'country = "France" order by', ["RD007"]),
    ("limit-nothing", "order by total_spent limit", ["RD007"]),
    ("no-such-day", "created_at = 2026-02-30", ["RD008"]),
    ("no-such-hour", "created_at > 2026-01-31T24:00Z", ["RD008"]),
    ("no-such-offset", "created_at > 2026-01-31T09:30+24:00", ["RD008"]),
    ("m-for-months", "opens(6m) >= 3", ["RD009"]),
    ("unit-in-words", "opens(6 months) >= 3", ["RD009"]),
    ("unit-word-attached", "opens(6months) >= 3", ["RD009"]),
    ("unknown-unit", "opens(6fortnights) >= 3", ["RD009"]),
    ("fractional-duration", "opens(1.5d) >= 3", ["RD009"]),
    ("number-for-duration", "opens(6) >= 3", ["RD009"]),
    ("within-number", "last_order_date within 30", ["RD009"]),
    ("unknown-field", 'contry = "France"', ["RD101"]),
    ("upper-case-field", 'Country = "France"', ["RD101"]),
    ("unknown-function", "opnes(6mo) >= 3", ["RD102"]),
    ("unknown-argument", 'opens(campain: "Spring") >= 1', ["RD103"]),
    ("function-as-field", "opens >= 3", ["RD104"]),
    ("field-as-function", 'country() = "France"', ["RD104"]),
    ("unknown-segment", 'in_segment("nope")', ["RD106"]),
    ("positional-after-named", 'opens(within: 6mo, "Spring") >= 1', ["RD108"]),
    ("argument-twice", "opens(6mo, within: 3mo) >= 1", ["RD108"]),
    ("two-arguments-twice", 'opens(6mo, within: 3mo, campaign: "a", campaign: "b") >= 1', ["RD108", "RD108"]),
    ("text-vs-number", "country > 1", ["RD201"]),
    ("enum-ordered", 'quality > "vip"', ["RD201"]),
    ("timestamp-vs-duration", "created_at > 90d", ["RD201"]),
    ("contains-on-number", 'order_count contains "1"', ["RD201"]),
    ("starts-with-on-tags", 'tags starts with "v"', ["RD201"]),
    ("in-on-tags", 'tags in ["vip"]', ["RD201"]),
    ("is-set-on-literal", '"x" is set', ["RD201"]),
    ("within-on-text", "city within 30d", ["RD201"]),
    ("minus-on-text", "-city = 1", ["RD201"]),
    ("arith-on-timestamp", "created_at + 1 > 2", ["RD201"]),
    ("between-reported-once", "country between 1 and 2", ["RD201"]),
    ("enum-between-reported-once", 'quality between "new" and "vip"', ["RD201"]),
    ("text-field-alone", "country", ["RD202"]),
    ("number-alone", "order_count + 1", ["RD202"]),
    ("unknown-enum-value", 'quality = "vipp"', ["RD203"]),
    ("unknown-enum-value-in-list", 'status in ["subscribed", "gone"]', ["RD203"]),
    ("too-many-arguments", 'opens(6mo, "a", "b", "c") >= 1', ["RD204"]),
    ("missing-required", "bought_from()", ["RD204"]),
    ("empty-name", 'in_list("")', ["RD204"]),
    ("number-for-text-argument", "opens(campaign: 3) >= 1", ["RD204"]),
    ("call-for-duration", "opens(opens()) >= 1", ["RD204"]),
    ("zero-duration", "opens(0d) >= 1", ["RD205"]),
    ("negative-duration", "opens(-6mo) >= 1", ["RD205"]),
    ("negative-ago", "created_at > -30d", ["RD205"]),
    ("within-ago", "created_at within 30d ago", ["RD205"]),
    ("duration-over-100-years", "opens(101y) >= 1", ["RD205"]),
    ("number-too-long", "total_spent > 1234567890123456", ["RD210"]),
    ("date-out-of-range", "created_at < 1899-12-31", ["RD210"]),
    ("bad-month-name", 'orders(month: "foo") > 0', ["RD206"]),
    ("bad-month-number", "orders(month: 13) > 0", ["RD206"]),
    ("month-boolean", "orders(month: true) > 0", ["RD206"]),
    ("in-not-a-list", 'country in "France"', ["RD207"]),
    ("in-empty-list", "country in []", ["RD207"]),
    ("mixed-list", 'country in ["France", 1]', ["RD207"]),
    ("list-of-fields", "country in [city]", ["RD207"]),
    ("list-in-parens", 'country in ("France", "Spain")', ["RD207"]),
    ("list-outside-in", 'country = ["France"]', ["RD207"]),
    ("limit-without-order", "limit 5", ["RD208"]),
    ("order-by-constant", "order by 1", ["RD208"]),
    ("order-by-list", "order by tags", ["RD208"]),
    ("limit-zero", "order by total_spent limit 0", ["RD208"]),
    ("limit-fraction", "order by total_spent limit 1.5", ["RD208"]),
    ("limit-alone-and-zero", "limit 0", ["RD208", "RD208"]),
    ("compare-with-null", "city = null", ["RD209"]),
    ("null-not-equal", "null != city", ["RD209"]),
    ("three-mistakes", 'contry = "France" and opnes(6mo) >= 3 and quality = "vipp"', ["RD101", "RD102", "RD203"]),
    ("mended-slips-and-name-mistakes", 'country is "France" and total_spent > £5 and opnes(6mo) >= 3',
     ["RD005", "RD008", "RD102"]),
    ("syntax-slip-and-name-mistakes", 'country == "France" and opnes(6mo) >= 3 and quality = "vipp"',
     ["RD005", "RD102", "RD203"]),
    ("every-argument-checked", 'opens(0d, campain: "x") >= 1 and bought_from(vendor: 3)', ["RD205", "RD103", "RD204"]),
    ("both-sides-checked", "contry = citty", ["RD101", "RD101"]),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in RULE_CODES])
def test_rule_codes(text: str, expected: list[str]) -> None:
    found = errors(text, segments=["known"])
    assert [d.code for d in found] == expected
    for d in found:
        assert d.message and d.span is not None and d.source is not None


# (id, files, codes): the codes that only appear when rule files are checked together.
PROJECT_CODES = [
    ("outside-segment", [("x = 1\nsegment a: city is set\n", "a.rare")], ["RD010"]),
    ("upper-case-segment-name", [("segment French: city is set\n", "a.rare")], ["RD008"]),
    ("segment-without-rule", [("segment a:\nsegment b: city is set\n", "a.rare")], ["RD007"]),
    ("duplicate-in-one-file", [("segment a: city is set\nsegment a: region is set\n", "a.rare")], ["RD105"]),
    ("duplicate-across-files", [("segment a: city is set\n", "a.rare"), ("segment a: region is set\n", "b.rare")],
     ["RD105"]),
    ("unknown-segment", [('segment a: in_segment("b")\n', "a.rare")], ["RD106"]),
    ("self-cycle", [('segment a: in_segment("a")\n', "a.rare")], ["RD107"]),
    ("cycle-across-files", [('segment a: in_segment("b")\n', "a.rare"), ('segment b: in_segment("a")\n', "b.rare")],
     ["RD107"]),
    ("one-error-per-cycle", [('segment a: in_segment("b")\nsegment b: in_segment("a") or in_segment("b")\n',
                              "a.rare")], ["RD107", "RD107"]),
    ("stray-no-break-space", [("\xa0\nsegment a: city is set\n", "a.rare")], ["RD001"]),
    ("errors-in-several-segments", [('segment a: contry = "x"\nsegment b: opnes() > 1\n', "a.rare")],
     ["RD101", "RD102"]),
]


@pytest.mark.parametrize(("files", "expected"), [pytest.param(f, e, id=i) for i, f, e in PROJECT_CODES])
def test_project_codes(files: list[tuple[str, str]], expected: list[str]) -> None:
    assert [d.code for d in project_errors(*files)] == expected


def test_the_tables_cover_every_code_but_files_and_settings() -> None:
    """Error codes; the warnings (RW4xx) have their table in test_lint.py, the compiler's (RD3xx) theirs in
    test_compile.py."""
    covered = {code for _, _, codes in RULE_CODES + PROJECT_CODES for code in codes}
    wanted = {code for code in CODES if code.startswith("RD") and not code.startswith(("RD3", "RD9"))}
    assert wanted - covered == set()
    assert covered <= set(CODES)


# ------------------------------------------------------------------------------------- friendly messages

# (id, rule, code, the exact text underlined, what the label or a hint must say).
FRIENDLY = [
    ("double-equals", 'country == "France"', "RD005", "==", "write `=`"),
    ("sql-not-equal", 'country <> "France"', "RD005", "<>", "write `!=`"),
    ("ampersands", "city is set && region is set", "RD005", "&&", "write `and`"),
    ("pipes", "city is set || region is set", "RD005", "||", "write `or`"),
    ("bang", "!(city is set)", "RD005", "!", "write `not`"),
    ("is-as-equals", 'country is "France"', "RD005", "is", 'rules compare with `=`: `country = "France"`'),
    ("is-not-as-not-equals", 'country is not "France"', "RD005", "is not",
     'rules compare with `!=`: `country != "France"`'),
    ("is-before-a-bare-word", "country is France", "RD005", "is", '`country = "France"`'),
    ("is-in-another-comparison", "opens(6mo) is 3", "RD005", "is", "write `=`"),
    ("is-not-before-in", 'country is not in ["France"]', "RD005", "is", "write `not in` on its own"),
    ("dollar-amount", "total_spent > $100", "RD008", "$",
     "amounts have no currency sign: write `total_spent > 100`"),
    ("euro-amount", "total_spent >= €99.50", "RD008", "€", "write `total_spent >= 99.50`"),
    ("pound-after-amount", "total_spent < 20£", "RD008", "£", "write `total_spent < 20`"),
    ("amount-in-a-range", "total_spent between $10 and $20", "RD008", "$", "write `10`"),
    ("dollar-parameter", "total_spent > $limit", "RD001", "$", "parameters are not part of a rule"),
    ("dangling-and", 'country = "France" and', "RD007", "and", "remove the `and`"),
    ("unclosed-string", 'country = "France', "RD002", '"France', 'end it with "'),
    ("unclosed-paren", '(country = "France"', "RD003", "(", "add `)`"),
    ("unclosed-bracket", 'country in ["France"', "RD003", "[", "add `]`"),
    ("m-for-months", "opens(6m) >= 3", "RD009", "6m", "`6mo`"),
    ("months-in-words", "opens(6 months) >= 3", "RD009", "6 months", "write `6mo`"),
    ("days-in-words", "last_order_date within 30 days", "RD009", "30 days", "write `30d`"),
    ("missing-operand", "country =", "RD007", "=", "remove the `=`"),
    ("missing-left-operand", '= "France"', "RD007", "=", "write both sides"),
    ("like-contains", "city LIKE '%par%'", "RD005", "LIKE", 'write `contains "par"`'),
    ("like-starts", "city like 'par%'", "RD005", "like", 'write `starts with "par"`'),
    ("not-like-ends", "city not like '%ris'", "RD005", "like", 'write `not ends with "ris"`'),
    ("list-in-parens", 'country in ("France", "Spain")', "RD207", "(", "write `[`"),
    ("compare-with-null", "city = null", "RD209", "city = null", "write `city is not set`"),
    ("not-equal-null", "city != null", "RD209", "city != null", "write `city is set`"),
    ("duration-for-moment", "created_at > 90d", "RD201", "created_at > 90d", "`90d ago`"),
    ("tags-compared", 'tags = "vip"', "RD201", 'tags = "vip"', 'tags contains "vip"'),
    ("unquoted-text", "city = 3", "RD201", "city = 3", 'write text in quotes: "3"'),
    ("chained-compare", "order_count > 1 < 3", "RD001", "<", "write `a < b and b < c`"),
    ("sql", "select * from customers where city is set", "RD001", "customers", "leave out `select ... where`"),
    ("function-without-parens", "opens >= 3", "RD104", "opens", "write `opens()`"),
    ("field-with-parens", 'country() = "France"', "RD104", "country()", "write `country` without parentheses"),
    ("limit-needs-order", "limit 5", "RD208", "limit 5", "order by engagement(6mo) desc limit 1000"),
    ("empty-rule", "", "RD007", "", "order by ... limit N"),
]


@pytest.mark.parametrize(("text", "code", "under", "says"), [pytest.param(*r[1:], id=r[0]) for r in FRIENDLY])
def test_friendly_messages(text: str, code: str, under: str, says: str) -> None:
    first = errors(text)[0]
    assert first.code == code
    assert underlined(first) == under
    assert says in advice(first)


# (id, rule, code, the name underlined, the suggestion).
DID_YOU_MEAN = [
    ("field", 'contry = "France"', "RD101", "contry", "did you mean `country` (Customer information)?"),
    ("field-case", 'Country = "France"', "RD101", "Country", "names are lower-case: `country`"),
    ("aggregate-field", "totl_spent > 100", "RD101", "totl_spent", "did you mean `total_spent`"),
    ("function", "opnes(6mo) >= 3", "RD102", "opnes", "did you mean `opens(…)` (Engagement information)?"),
    ("argument", 'opens(campain: "Spring") >= 1', "RD103", "campain", "did you mean `campaign`?"),
    ("enum-value", 'quality = "vipp"', "RD203", '"vipp"', "did you mean `vip`?"),
    ("enum-value-in-list", 'status in ["subscribed", "unsubscribd"]', "RD203", '"unsubscribd"',
     "did you mean `unsubscribed`?"),
    ("month", 'orders(month: "decmber") > 0', "RD206", '"decmber"', 'did you mean "December"?'),
    ("segment", 'in_segment("french_opener")', "RD106", '"french_opener"', "did you mean `french_openers`?"),
    ("duration-unit", "opens(6m) >= 3", "RD009", "6m", "did you mean `6mo`?"),
]


@pytest.mark.parametrize(("text", "code", "under", "says"), [pytest.param(*r[1:], id=r[0]) for r in DID_YOU_MEAN])
def test_did_you_mean(text: str, code: str, under: str, says: str) -> None:
    (only,) = errors(text, segments=["french_openers"])
    assert only.code == code
    assert underlined(only) == under
    assert says in advice(only)


def test_nothing_close_gives_a_way_to_find_names() -> None:
    (only,) = errors("zzzzzz > 1")
    assert only.hints == ("`rare fields` lists every field and function",)


def test_unknown_enum_value_lists_the_values_once() -> None:
    (only,) = errors('status = "gone"')
    assert only.hints == ("`status` is one of: subscribed, unsubscribed, pending, bounced",)


def test_three_independent_mistakes_are_reported_where_they_are() -> None:
    text = 'contry = "France" and opnes(6mo) >= 3 and quality = "vipp"'
    found = errors(text)
    assert [(d.code, underlined(d)) for d in found] == [
        ("RD101", "contry"), ("RD102", "opnes"), ("RD203", '"vipp"'),
    ]


def test_diagnostics_name_their_source() -> None:
    (only,) = errors('contry = "France"', name="segments/france.rare")
    assert only.source.name == "segments/france.rare"
    assert only.location() == (1, 1)


def test_parse_raises_only_syntax_errors() -> None:
    parse('contry = "France"')  # names are the checker's business
    with pytest.raises(RuleError) as caught:
        parse('country = "France" and')
    assert [d.code for d in caught.value.diagnostics] == ["RD007"]


# ------------------------------------------------------------------------------------------- typed rules

TYPED = [
    # enum values stand for their canonical spelling
    ("enum-canonical", 'quality = "VIP"', "(= quality enum:vip)"),
    ("enum-canonical-left", '"Loyal" = quality', "(= enum:loyal quality)"),
    ("enum-in-list", 'quality in ["VIP", "At_Risk"]', "(in quality [enum:vip enum:at_risk])"),
    ("enum-single-quotes", "status = 'Subscribed'", "(= status enum:subscribed)"),
    # negated forms are Not of the positive form
    ("not-equal", 'city != "Paris"', '(not (= city "Paris"))'),
    ("enum-not-equal", 'quality != "vip"', "(not (= quality enum:vip))"),
    ("not-in", 'quality not in ["vip"]', "(not (in quality [enum:vip]))"),
    ("is-set", "city is set", "(is-set city)"),
    ("is-not-set", "city is not set", "(not (is-set city))"),
    ("is-null", "city is null", "(not (is-set city))"),
    ("is-not-null", "city is not null", "(is-set city)"),
    ("not-contains", 'city not contains "par"', '(not (contains city "par"))'),
    ("not-starts-with", 'email not starts with "ann"', '(not (starts-with email "ann"))'),
    ("not-ends-with", 'email not ends with ".fr"', '(not (ends-with email ".fr"))'),
    ("not-between", "order_count not between 1 and 3", "(not (between order_count 1 3))"),
    ("not-within", "last_order_date not within 30d", "(not (within last_order_date 30d))"),
    ("not-keyword", 'not city = "Paris"', '(not (= city "Paris"))'),
    ("tags-contains", 'tags contains "VIP"', '(has-tag tags "VIP")'),
    ("tags-not-contains", 'tags not contains "vip"', '(not (has-tag tags "vip"))'),
    ("text-pattern-kept-literally", 'city contains "50%_off"', '(contains city "50%_off")'),
    # months become numbers
    ("month-short", 'purchased(month: "dec")', "purchased(month=12)"),
    ("month-long", 'orders(month: "December") > 0', "(> orders(month=12) 0)"),
    ("month-upper", 'orders(month: "JUNE") > 0', "(> orders(month=6) 0)"),
    ("month-prefix", 'orders(month: "sept") > 0', "(> orders(month=9) 0)"),
    ("month-number", "orders(month: 12) > 0", "(> orders(month=12) 0)"),
    ("month-number-as-text", 'orders(month: "3") > 0', "(> orders(month=3) 0)"),
    # a date stands for its whole UTC day
    ("date-eq", "created_at = 2026-01-31",
     "(and (>= created_at 2026-01-31T00:00:00Z) (< created_at 2026-02-01T00:00:00Z))"),
    ("date-lt", "created_at < 2026-01-31", "(< created_at 2026-01-31T00:00:00Z)"),
    ("date-le", "created_at <= 2026-01-31", "(< created_at 2026-02-01T00:00:00Z)"),
    ("date-gt", "created_at > 2026-01-31", "(>= created_at 2026-02-01T00:00:00Z)"),
    ("date-ge", "created_at >= 2026-01-31", "(>= created_at 2026-01-31T00:00:00Z)"),
    ("date-ne", "created_at != 2026-01-31",
     "(not (and (>= created_at 2026-01-31T00:00:00Z) (< created_at 2026-02-01T00:00:00Z)))"),
    ("date-between", "created_at between 2026-01-01 and 2026-01-31",
     "(and (>= created_at 2026-01-01T00:00:00Z) (< created_at 2026-02-01T00:00:00Z))"),
    ("date-not-between", "created_at not between 2026-01-01 and 2026-01-31",
     "(not (and (>= created_at 2026-01-01T00:00:00Z) (< created_at 2026-02-01T00:00:00Z)))"),
    ("date-between-timestamp", "created_at between 2026-01-01T12:00Z and 2026-01-31",
     "(and (>= created_at 2026-01-01T12:00:00Z) (< created_at 2026-02-01T00:00:00Z))"),
    ("date-on-the-left", "2026-01-31 < created_at", "(>= created_at 2026-02-01T00:00:00Z)"),
    ("date-on-the-left-le", "2026-01-31 >= created_at", "(< created_at 2026-02-01T00:00:00Z)"),
    ("date-year-end", "created_at = 2026-12-31",
     "(and (>= created_at 2026-12-31T00:00:00Z) (< created_at 2027-01-01T00:00:00Z))"),
    ("date-leap-day", "created_at <= 2028-02-28", "(< created_at 2028-02-29T00:00:00Z)"),
    ("date-in-list", "created_at in [2026-01-31]",
     "(and (>= created_at 2026-01-31T00:00:00Z) (< created_at 2026-02-01T00:00:00Z))"),
    ("timestamp-not-lowered", "created_at < 2026-01-31T09:30:00+02:00", "(< created_at 2026-01-31T07:30:00Z)"),
    # values
    ("ago", "last_order_date < 90d ago", "(< last_order_date (ago 90d))"),
    ("arithmetic", "clicks(6mo) / opens(6mo) >= 0.2", "(>= (/ clicks(within=6mo) opens(within=6mo)) 0.2)"),
    ("negate", "-order_count < -1", "(< (neg order_count) -1)"),
    ("between", "total_spent between 10 and 49.90", "(between total_spent 10 49.90)"),
    ("boolean-call", 'purchased(product: "Red Shoes", within: 90d)', 'purchased(within=90d, product="Red Shoes")'),
    ("boolean-compare", "purchased() = true", "(= purchased() true)"),
    ("shorthand", 'bought_from("Nike", 1y)', 'bought_from(within=1y, vendor="Nike")'),
    ("named-equals-positional", 'opens(series: "Welcome", within: 6mo) >= 1',
     '(>= opens(within=6mo, series="Welcome") 1)'),
    ("membership", 'in_list("Popup leads") or in_segment("known")',
     '(or in_list(target="Popup leads") in_segment(target="known"))'),
    ("precedence", 'not city is set or country = "France" and opens() > 0',
     '(or (not (is-set city)) (and (= country "France") (> opens() 0)))'),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in TYPED])
def test_typed(text: str, expected: str) -> None:
    checked = check(text, segments=["known"])
    assert tx(checked.condition) == expected
    assert not any(isinstance(n, Const) and n.type in (Type.DATE, Type.DURATION, Type.NULL) for n in walk(checked))


def test_positional_and_named_arguments_mean_the_same() -> None:
    positional = check('opens(6mo, "Spring") >= 1').condition.left
    named = check('opens(campaign: "Spring", within: 6mo) >= 1').condition.left
    assert tx(positional) == tx(named) == 'opens(within=6mo, campaign="Spring")'
    assert (positional.measure, positional.event) == ("events", "open")


def test_bought_from_is_purchased() -> None:
    measure = check('bought_from("Nike")').condition
    assert (measure.measure, measure.vendor, measure.type) == ("purchased", "Nike", Type.BOOLEAN)


def test_ordering_and_limit() -> None:
    checked = check("order by engagement(6mo) desc, total_spent limit 1000")
    assert checked.condition is None
    assert [(tx(k.expr), k.descending) for k in checked.order_by] == [
        ("engagement(within=6mo)", True), ("total_spent", False),
    ]
    assert checked.limit == 1000


def test_names_give_type_and_category() -> None:
    text = ('country = "France" and opens(6mo) >= 3 and tags contains "vip" and in_list("Leads") '
            "and purchased() and last_open_date within 30d order by total_spent desc")
    checked = check(text)
    assert [(text[n.span.start:n.span.end], n.type, n.category) for n in checked.names()] == [
        ("country", Type.TEXT, Category.CUSTOMER),
        ("opens(6mo)", Type.NUMBER, Category.ENGAGEMENT),
        ("tags", Type.TEXT_LIST, Category.CUSTOMER),
        ('in_list("Leads")', Type.BOOLEAN, Category.MEMBERSHIP),
        ("purchased()", Type.BOOLEAN, Category.ECOMMERCE),
        ("last_open_date", Type.TIMESTAMP, Category.ENGAGEMENT),
        ("total_spent", Type.NUMBER, Category.ECOMMERCE),
    ]


def test_check_accepts_a_parsed_rule() -> None:
    parsed = parse('quality = "VIP"')
    assert tx(check(parsed).condition) == "(= quality enum:vip)"


def test_segment_references_unchecked_without_segment_names() -> None:
    assert tx(check('in_segment("anything")').condition) == 'in_segment(target="anything")'


# ------------------------------------------------------------------------------------------------ projects


def test_project_orders_referenced_segments_first() -> None:
    files = [
        ('segment top: in_segment("mid") and in_segment("side")\n', "top.rare"),
        ('segment mid: in_segment("low")\nsegment side: in_segment("low")\n', "mid.rare"),
        ("## The base.\nsegment low: city is set\nsegment alone: region is set\n", "low.rare"),
    ]
    project = check_project(files)
    assert set(project.segments) == {"top", "mid", "side", "low", "alone"}
    assert project.order == ("low", "mid", "side", "top", "alone")
    for name, segment in project.segments.items():
        for ref in segment.rule.segment_references():
            assert project.order.index(ref.target) < project.order.index(name)
    assert project.segments["low"].description == "The base."
    assert tx(project.segments["top"].rule.condition) == '(and in_segment(target="mid") in_segment(target="side"))'


def test_project_accepts_parsed_files() -> None:
    parsed = parse_file('segment b: in_segment("a")\n', name="b.rare")
    project = check_project([parsed, ("segment a: city is set\n", "a.rare")])
    assert project.order == ("a", "b")


CYCLES = [
    ("self", [('segment a: in_segment("a")\n', "a.rare")], "a → a"),
    ("two-files", [('segment a: in_segment("b")\n', "a.rare"), ('segment b: in_segment("a")\n', "b.rare")],
     "a → b → a"),
    ("three-files", [
        ('segment a:\n  in_segment("b") and country = "France"\nsegment base: city is set\n', "a.rare"),
        ('segment b:\n  in_segment("c")\n', "b.rare"),
        ('segment c:\n  in_segment("base") or in_segment("a")\n', "c.rare"),
    ], "a → b → c → a"),
]


@pytest.mark.parametrize(("files", "cycle"), [pytest.param(f, c, id=i) for i, f, c in CYCLES])
def test_cycle_message_names_the_whole_cycle(files: list[tuple[str, str]], cycle: str) -> None:
    (only,) = project_errors(*files)
    assert only.code == "RD107"
    assert only.message.endswith(f"cycle: {cycle}")
    links = cycle.split(" → ")
    # The first link is the main span, every other link a label, each in its own file.
    assert underlined(only) == f'in_segment("{links[1]}")'
    assert only.source.name == f"{links[0]}.rare"
    assert [(label.source.name, label.message) for label in only.labels] == [
        (f"{a}.rare", f"`{a}` uses `{b}`") for a, b in itertools.pairwise(links[1:])
    ]


def test_duplicate_points_at_both_definitions() -> None:
    (only,) = project_errors(("segment a: city is set\n", "one.rare"), ("\nsegment a: region is set\n", "two.rare"))
    assert only.code == "RD105"
    assert (only.source.name, only.location()) == ("two.rare", (2, 9))
    (first,) = only.labels
    assert (first.source.name, first.span.start, first.message) == ("one.rare", 8, "first defined here")


def test_unknown_segment_suggests_a_loaded_one() -> None:
    (only,) = project_errors(('segment a: in_segment("french_openr")\nsegment french_openers: city is set\n', "a"))
    assert (only.code, underlined(only)) == ("RD106", '"french_openr"')
    assert only.hints == ("did you mean `french_openers`?",)


def test_every_syntax_error_of_a_file_is_reported() -> None:
    text = 'segment a: country == "x"\nsegment b: city = \nsegment c: (region is set\n'
    found = project_errors((text, "f.rare"))
    assert [(d.code, d.source.position(d.span.start)[0]) for d in found] == [
        ("RD005", 1), ("RD007", 2), ("RD003", 3),
    ]


def test_message_codes_are_documented() -> None:
    for code in CODES:
        assert re.fullmatch(r"R[DW]\d{3}", code)


def test_a_broken_segment_does_not_hide_the_other_segments_errors() -> None:
    text = (
        "segment a:\n    country = \"France\" and\n\n"
        "segment b:\n    contry = \"x\" and in_segment(\"a\")\n\n"
        "segment c:\n    in_segment(\"zz\")\n"
    )
    found = project_errors((text, "f.rare"))
    # The reference to the broken segment `a` is not reported as unknown; `zz` is.
    assert [(d.code, d.source.position(d.span.start)[0]) for d in found] == [
        ("RD007", 2), ("RD101", 5), ("RD106", 8)
    ]


def test_null_in_a_list_points_to_is_set() -> None:
    (found,) = errors('country in [null, "France"]')
    assert found.code == "RD209"
    assert underlined(found) == "null"
    assert "country is not set" in advice(found)


def test_limit_before_order_by_says_which_comes_first() -> None:
    (found,) = errors("limit 5 order by total_spent")
    assert found.code == "RD001"
    assert "`order by` comes before `limit`" in advice(found)
