"""The formatter: one canonical layout, every comment kept, and the meaning never changed.

Tables show the layout decisions; property tests generate rules from the grammar and the default
schema, written in any case, spacing and parenthesization with comments between tokens, and prove that
formatting twice changes nothing, that the formatted text parses to the same tree (`shape`: spans and
spellings aside) and checks to the same typed rule, and that every comment is still there.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rare_dsl import CheckedProject, RuleError, check, check_project, format_file, format_rule, parse, parse_file
from rare_dsl.format import WIDTH
from rare_dsl.syntax.ast import shape

BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------------------------------- layout

# (id, input, canonical output)
RULES = [
    ("keyword-case", 'country = "France" AND opens(6mo) >= 3', 'country = "France" and opens(6mo) >= 3'),
    ("spacing", 'country="France"and  opens( within : 6mo , )>=3', 'country = "France" and opens(within: 6mo) >= 3'),
    ("is-null", "city IS NULL", "city is not set"),
    ("is-not-null", "city is not null", "city is set"),
    ("not-equal-kept", 'country != "France"', 'country != "France"'),
    ("single-quotes", r"last_name = 'O\'Brien'", 'last_name = "O\'Brien"'),
    ("escapes", r'city = "a\"b\\c\td\u00e9"', 'city = "a\\"b\\\\c\\td\u00e9"'),
    ("control-character", 'city = "a\\u0007b"', 'city = "a\\u0007b"'),
    ("numbers", "order_count >= 0_005 and total_spent >= 1000 and total_spent < 2_5000 and total_spent != 999",
     "order_count >= 5 and total_spent >= 1_000 and total_spent < 25_000 and total_spent != 999"),
    ("price-keeps-its-decimals", "average_order_value >= 49.90", "average_order_value >= 49.90"),
    ("negative", "total_spent > - 5", "total_spent > -5"),
    ("double-negative", "-(-order_count) > 1", "-(-order_count) > 1"),
    ("timestamp-utc", "created_at > 2026-01-31t09:30+02:00", "created_at > 2026-01-31T07:30:00Z"),
    ("date", "created_at > 2026-01-31", "created_at > 2026-01-31"),
    ("durations", "last_order_date < 90D AGO and created_at within 6MO",
     "last_order_date < 90d ago and created_at within 6mo"),
    ("redundant-parens", '((country = "France"))', 'country = "France"'),
    ("needed-parens", '(country = "France" or country = "Spain") and opens(6mo) > 1',
     '(country = "France" or country = "Spain") and opens(6mo) > 1'),
    ("and-inside-or-is-parenthesized", 'quality = "vip" or total_spent > 1 and order_count > 1',
     'quality = "vip" or (total_spent > 1 and order_count > 1)'),
    ("nested-same-operator-kept", "city is set and (region is set and email is set)",
     "city is set and (region is set and email is set)"),
    ("not-of-comparison", 'not (country = "France")', 'not country = "France"'),
    ("not-of-and", "not (city is set and region is set)", "not (city is set and region is set)"),
    ("arithmetic-precedence", "(clicks(6mo) + 1) / (opens(6mo) - (2 - 1)) >= 0.2 * 3",
     "(clicks(6mo) + 1) / (opens(6mo) - (2 - 1)) >= 0.2 * 3"),
    ("arithmetic-redundant", "(clicks(6mo) * 2) + 1 > 3", "clicks(6mo) * 2 + 1 > 3"),
    ("lists", 'country in ["France","Spain",] and city NOT IN ["Paris"]',
     'country in ["France", "Spain"] and city not in ["Paris"]'),
    ("text-predicates", 'email NOT ENDS WITH "@x.com" and city Starts With "Par"',
     'email not ends with "@x.com" and city starts with "Par"'),
    ("ordering", "ORDER BY engagement(6mo) DESC, total_spent ASC LIMIT 1_000",
     "order by engagement(6mo) desc, total_spent limit 1_000"),
    ("booleans", "purchased(product: \"Shoes\") = TRUE", 'purchased(product: "Shoes") = true'),
    ("trailing-comment", 'country = "France"   # the French store   ', 'country = "France"  # the French store'),
    ("comment-breaks-the-rule", 'country = "France" # French\nand opens(6mo) >= 3',
     'country = "France"  # French\n    and opens(6mo) >= 3'),
    ("own-line-comment", 'country = "France"\n# and engaged:\nand opens(6mo) >= 3',
     'country = "France"\n    # and engaged:\n    and opens(6mo) >= 3'),
    ("leading-comment", '# French\ncountry = "France"', '# French\ncountry = "France"'),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in RULES])
def test_rule_layout(text: str, expected: str) -> None:
    assert format_rule(text) == expected
    assert format_rule(expected) == expected


def test_a_long_rule_breaks_before_each_top_level_operator() -> None:
    text = " and ".join(f'city != "A rather long city name number {i}"' for i in range(4))
    text += ' and (country = "France" or country = "Spain") order by total_spent desc limit 10'
    assert format_rule(text) == (
        'city != "A rather long city name number 0"\n'
        '    and city != "A rather long city name number 1"\n'
        '    and city != "A rather long city name number 2"\n'
        '    and city != "A rather long city name number 3"\n'
        '    and (country = "France" or country = "Spain")\n'
        "order by total_spent desc\n"
        "limit 10"
    )


def test_a_rule_of_exactly_the_width_stays_on_one_line() -> None:
    head = 'city = "'
    text = head + "x" * (WIDTH - len(head) - len('" and city is set')) + '" and city is set'
    assert len(text) == WIDTH
    assert format_rule(text) == text
    longer = text.replace('"x', '"xx')
    assert format_rule(longer).count("\n") == 1


def test_a_comment_inside_a_call_breaks_the_line_there() -> None:
    text = "opens(  # six months\n 6mo) >= 3"
    formatted = format_rule(text)
    assert formatted == "opens(  # six months\n        6mo) >= 3"
    assert format_rule(formatted) == formatted
    assert shape(parse(formatted).rule) == shape(parse(text).rule)


def test_syntax_errors_are_not_formatted() -> None:
    with pytest.raises(RuleError) as caught:
        format_rule('country == "France"')
    assert [d.code for d in caught.value.diagnostics] == ["RD005"]
    with pytest.raises(RuleError):
        format_file('segment a:\n    country = "France" and\n')


# --------------------------------------------------------------------------------------------------- files

FILE = """\
# Segments of the French store.
# Kept in git.



##   French contacts who open our mail.
segment french_openers :   country = "France" AND opens(6mo) >= 3   # engaged
## At risk.
segment french_openers_at_risk: in_segment("french_openers")
    and last_order_date < 90d ago ORDER BY total_spent DESC LIMIT 500
    # and quality = "vip"


# Christmas.
segment christmas_shoppers:  # any year
    orders(month: "December") >= 1
    # and still on our mailing list:
    and status = "subscribed"
# the end
"""

FORMATTED = """\
# Segments of the French store.
# Kept in git.

##   French contacts who open our mail.
segment french_openers:
    country = "France" and opens(6mo) >= 3  # engaged

## At risk.
segment french_openers_at_risk:
    in_segment("french_openers") and last_order_date < 90d ago
    order by total_spent desc
    limit 500
    # and quality = "vip"

# Christmas.
segment christmas_shoppers:  # any year
    orders(month: "December") >= 1
        # and still on our mailing list:
        and status = "subscribed"

# the end
"""


def test_file_layout() -> None:
    assert format_file(FILE) == FORMATTED
    assert format_file(FORMATTED) == FORMATTED


def test_file_keeps_descriptions() -> None:
    before = parse_file(FILE)
    after = parse_file(format_file(FILE))
    assert [s.description for s in after.segments] == [s.description for s in before.segments]
    assert [s.description for s in after.segments][:2] == ["French contacts who open our mail.", "At risk."]


def test_file_newlines() -> None:
    crlf = FILE.replace("\n", "\r\n")
    assert format_file(crlf) == FORMATTED.replace("\n", "\r\n")
    assert format_file("segment a: city is set") == "segment a:\n    city is set\n"
    assert format_file("") == ""
    assert format_file("\n\n  \n") == ""
    assert format_file("# only a comment\n\n\n# and another") == "# only a comment\n\n# and another\n"
    assert format_file("\ufeffsegment a: city is set\n") == "\ufeffsegment a:\n    city is set\n"


def test_a_blank_line_keeps_a_note_apart_from_the_description() -> None:
    text = "# a note\n\n## The description.\nsegment a:\n    city is set\n"
    assert format_file(text) == text
    assert parse_file(text).segments[0].description == "The description."


def test_500_segments_format_in_one_pass() -> None:
    text = "".join(f'## Segment {i}.\nsegment s{i}: country = "France" AND opens(6mo) >= {i}  # n{i}\n'
                   for i in range(500))
    formatted = format_file(text)
    assert formatted.count("\n\n## Segment ") == 499
    assert format_file(formatted) == formatted


# --------------------------------------------------------------------------------------------- properties

KEYWORDS = {"and", "or", "not", "in", "is", "set", "null", "between", "contains", "starts", "ends", "with",
            "within", "ago", "order", "by", "asc", "desc", "limit", "true", "false", "segment"}

number = st.sampled_from(["0", "3", "1_000", "10000", "49.90", "0.2", "007"])
duration = st.sampled_from(["12h", "30d", "2w", "6mo", "1y"])
text_value = st.sampled_from(['"France"', "'Spain'", '"O\\\'Brien"', '"a\\"b"', '"tab\\there"', '"\\u00e9t\\u00e9"',
                              '"#not a comment"', '""'])
numeric_value: st.SearchStrategy[list[str]] = st.deferred(lambda: st.one_of(
    st.sampled_from([["order_count"], ["total_spent"], ["opens", "(", "6mo", ")"], ["clicks", "(", "30d", ")"],
                     ["engagement", "(", "within", ":", "1y", ")"],
                     ["orders", "(", "month", ":", '"December"', ",", ")"],
                     ["spent", "(", "vendor", ":", '"Acme"', ")"]]),
    number.map(lambda n: [n]),
    st.tuples(numeric_value, st.sampled_from(["+", "-", "*", "/"]), numeric_value).map(
        lambda t: [*t[0], t[1], *t[2]]),
    numeric_value.map(lambda v: ["(", *v, ")"]),
    numeric_value.map(lambda v: ["-", *v]),
))
atom: st.SearchStrategy[list[str]] = st.one_of(
    st.tuples(st.sampled_from(["country", "city", "email"]), st.sampled_from(["=", "!="]), text_value).map(list),
    st.tuples(numeric_value, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), numeric_value).map(
        lambda t: [*t[0], t[1], *t[2]]),
    st.tuples(numeric_value, st.sampled_from([["between"], ["not", "between"]]), number, number).map(
        lambda t: [*t[0], *t[1], t[2], "and", t[3]]),
    st.tuples(st.sampled_from(["quality", "status"]), st.sampled_from([["in"], ["not", "in"]]),
              st.sampled_from(['["vip", "LOYAL"]', '["subscribed",]', '["pending"]'])).map(
        lambda t: [t[0], *t[1], *re.findall(r'"[^"]*"|[\[\],]', t[2])]),
    st.tuples(st.sampled_from(["city", "email"]),
              st.sampled_from([["contains"], ["not", "contains"], ["starts", "with"], ["not", "ends", "with"]]),
              text_value).map(lambda t: [t[0], *t[1], t[2]]),
    st.tuples(st.sampled_from(["last_order_date", "created_at"]), st.sampled_from([["within"], ["not", "within"]]),
              duration).map(lambda t: [t[0], *t[1], t[2]]),
    st.tuples(st.sampled_from(["last_order_date", "created_at"]), st.sampled_from(["<", ">="]),
              st.sampled_from([["90d", "ago"], ["2026-01-31"], ["2026-01-31T09:30:00+02:00"]])).map(
        lambda t: [t[0], t[1], *t[2]]),
    st.tuples(st.sampled_from(["city", "average_order_value", "last_open_date"]),
              st.sampled_from([["is", "set"], ["is", "not", "set"], ["is", "null"], ["is", "not", "null"]])).map(
        lambda t: [t[0], *t[1]]),
    st.sampled_from([["tags", "contains", '"vip"'], ["in_list", "(", '"Popup leads"', ")"],
                     ["purchased", "(", "product", ":", '"Red Shoes"', ",", "within", ":", "90d", ")"],
                     ["bought_from", "(", '"Nordic Knits"', ")"], ["purchased", "(", ")", "=", "true"]]),
)
condition: st.SearchStrategy[list[str]] = st.recursive(
    atom,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: [*t[0], t[1], *t[2]]),
        inner.map(lambda c: ["not", *c]),
        inner.map(lambda c: ["(", *c, ")"]),
    ),
    max_leaves=6,
)
ordering = st.sampled_from([[], ["order", "by", "engagement", "(", "6mo", ")", "desc"],
                            ["order", "by", "total_spent", "asc", ",", "city", "limit", "1_000"]])


@st.composite
def written(draw: st.DrawFn, tokens: list[str]) -> str:
    """The tokens joined by any spacing, with comments, and keywords in any case."""
    out: list[str] = []
    for index, token in enumerate(tokens):
        if token in KEYWORDS and draw(st.booleans()):
            token = token.upper()
        if index:
            out.append(draw(st.sampled_from([" ", " ", "  ", "\n", "\n\t", "  # note\n", "\n# own line\n  "])))
        out.append(token)
    return "".join(out)


rules = st.tuples(condition, ordering).map(lambda t: t[0] + t[1]).flatmap(written)


def checked_shape(text: str) -> object:
    try:
        rule = check(text)
    except RuleError as error:
        return sorted(d.code for d in error.diagnostics)
    return shape((rule.condition, rule.order_by, rule.limit))


@BOUNDED
@given(rules)
def test_formatting_twice_changes_nothing(text: str) -> None:
    once = format_rule(text)
    assert format_rule(once) == once


@BOUNDED
@given(rules)
def test_formatting_keeps_the_tree_the_typed_rule_and_the_comments(text: str) -> None:
    formatted = format_rule(text)
    assert shape(parse(formatted).rule) == shape(parse(text).rule)
    assert checked_shape(formatted) == checked_shape(text)
    assert Counter(c.text.rstrip() for c in parse(formatted).comments) == Counter(
        c.text.rstrip() for c in parse(text).comments)


@st.composite
def rule_files(draw: st.DrawFn) -> str:
    parts: list[str] = [draw(st.sampled_from(["", "# file header\n", "# header\n\n\n"]))]
    for index in range(draw(st.integers(1, 4))):
        parts.append(draw(st.sampled_from(["", "## A description.\n", "# note\n\n## Described.\n", "\n\n# apart\n"])))
        parts.append(f"segment s{index}:" + draw(st.sampled_from([" ", "\n    ", "  # header note\n  "])))
        parts.append(draw(rules))
        parts.append(draw(st.sampled_from(["\n", "  # trailing\n", "\n    # kept below\n", "\n\n", ""])) + "\n")
    return "".join(parts)


@BOUNDED
@given(rule_files())
def test_files_format_idempotently_and_keep_their_meaning(text: str) -> None:
    formatted = format_file(text)
    assert format_file(formatted) == formatted
    before, after = parse_file(text), parse_file(formatted)
    assert [(s.name, s.description, shape(s.rule)) for s in after.segments] == [
        (s.name, s.description, shape(s.rule)) for s in before.segments]
    assert Counter(c.text.rstrip() for c in after.comments) == Counter(c.text.rstrip() for c in before.comments)
    try:
        project = check_project([(text, "a.rare")])
    except RuleError as error:
        with pytest.raises(RuleError) as again:
            check_project([(formatted, "a.rare")])
        assert sorted(d.code for d in again.value.diagnostics) == sorted(d.code for d in error.diagnostics)
    else:
        reformatted = check_project([(formatted, "a.rare")])

        def meanings(checked: CheckedProject) -> dict[str, object]:
            return {name: shape((s.rule.condition, s.rule.order_by, s.rule.limit))
                    for name, s in checked.segments.items()}

        assert meanings(reformatted) == meanings(project)


@BOUNDED
@given(st.text(max_size=120) | st.text(alphabet=st.sampled_from(list("segmnt a:=#\n\r\"'()[],<>!-09_.éZT")),
                                        max_size=120))
def test_any_text_formats_or_fails_with_diagnostics(text: str) -> None:
    for function in (format_rule, format_file):
        try:
            once = function(text)
        except RuleError as error:
            assert error.diagnostics
        else:
            assert function(once) == once
