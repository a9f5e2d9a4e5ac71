"""The parser: rule text to syntax tree (SPEC 3), spans, and rule files with their comments (SPEC 3.7).

Trees are compared as S-expressions (`sx`), so each table row reads as the rule and what it means:
`(or (not a) (and b c))`. Calls read `opens(within: 6mo)`, timestamps are shown in UTC with a `Z`.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from rare_dsl import RuleError, Span, parse, parse_file
from rare_dsl.syntax import ast
from rare_dsl.syntax.parser import MAX_REPAIRS, parse_rule_lenient


def sx(node: ast.Node | None) -> str:
    """A syntax tree as a compact S-expression."""
    match node:
        case None:
            return "_"
        case ast.Name(name=name):
            return name
        case ast.Text(value=value):
            return json.dumps(value, ensure_ascii=False)
        case ast.Number(value=value):
            return str(value)
        case ast.Boolean(value=value):
            return "true" if value else "false"
        case ast.Date(value=value):
            return value.isoformat()
        case ast.Timestamp(value=value):
            return value.isoformat().replace("+00:00", "Z")
        case ast.Duration(amount=amount, unit=unit):
            return f"{amount}{unit}"
        case ast.Ago(duration=duration):
            return f"(ago {sx(duration)})"
        case ast.Null():
            return "null"
        case ast.ListLiteral(items=items):
            return "[" + " ".join(sx(item) for item in items) + "]"
        case ast.Call(name=name, args=args):
            return f"{name}(" + ", ".join(f"{a.name}: {sx(a.value)}" if a.name else sx(a.value) for a in args) + ")"
        case ast.Negate(operand=operand):
            return f"(neg {sx(operand)})"
        case ast.Arithmetic(op=op, left=left, right=right) | ast.Compare(op=op, left=left, right=right):
            return f"({op} {sx(left)} {sx(right)})"
        case ast.Between(value=value, low=low, high=high, negated=negated):
            return f"({'not-' * negated}between {sx(value)} {sx(low)} {sx(high)})"
        case ast.In(value=value, options=options, negated=negated):
            return f"({'not-' * negated}in {sx(value)} {sx(options)})"
        case ast.TextMatch(op=op, value=value, pattern=pattern, negated=negated):
            return f"({'not-' * negated}{op.replace(' ', '-')} {sx(value)} {sx(pattern)})"
        case ast.IsSet(value=value, negated=negated):
            return f"({'is-not-set' if negated else 'is-set'} {sx(value)})"
        case ast.Within(value=value, window=window, negated=negated):
            return f"({'not-' * negated}within {sx(value)} {sx(window)})"
        case ast.Not(operand=operand):
            return f"(not {sx(operand)})"
        case ast.And(operands=operands):
            return "(and " + " ".join(sx(o) for o in operands) + ")"
        case ast.Or(operands=operands):
            return "(or " + " ".join(sx(o) for o in operands) + ")"
        case ast.Rule(condition=condition, order_by=keys, limit=limit):
            if not keys and limit is None:
                return sx(condition)
            parts = [sx(condition)]
            if keys:
                parts.append("(order-by " + " ".join(
                    f"({'desc' if k.descending else 'asc'} {sx(k.expr)})" for k in keys) + ")")
            if limit is not None:
                parts.append(f"(limit {sx(limit.value)})")
            return "(rule " + " ".join(parts) + ")"
    raise TypeError(f"no S-expression for {node!r}")


def tree(text: str) -> str:
    return sx(parse(text).rule)


def rows(*table: tuple[str, str, str]) -> list:
    """(id, rule, expected) rows as pytest params."""
    return [pytest.param(text, expected, id=name) for name, text, expected in table]


# --------------------------------------------------------------------------------------- and, or, not

LOGIC = rows(
    ("not-binds-tighter-than-or-and", "not a or b and c", "(or (not a) (and b c))"),
    ("and-binds-tighter-than-or", "a or b and c or d", "(or a (and b c) d)"),
    ("or-chain-is-flat", "a or b or c", "(or a b c)"),
    ("and-chain-is-flat", "a and b and c", "(and a b c)"),
    ("parens-override", "(a or b) and c", "(and (or a b) c)"),
    ("not-of-group", "not (a or b)", "(not (or a b))"),
    ("not-not", "not not a", "(not (not a))"),
    ("not-over-comparison", "not a = 1", "(not (= a 1))"),
    ("not-over-predicate", "not a in [1]", "(not (in a [1]))"),
    ("redundant-parens-vanish", "((a = 1))", "(= a 1)"),
    ("mixed", "a = 1 or b = 2 or c = 3 and d = 4 and e", "(or (= a 1) (= b 2) (and (= c 3) (= d 4) e))"),
    ("upper-case-keywords", "NOT a OR b AND c", "(or (not a) (and b c))"),
    ("mixed-case-keywords", "Not a Or b aNd c", "(or (not a) (and b c))"),
)


@pytest.mark.parametrize(("text", "expected"), LOGIC)
def test_logic(text: str, expected: str) -> None:
    assert tree(text) == expected


# ------------------------------------------------------------------------------ comparisons, predicates

PREDICATES = rows(
    ("eq", 'country = "France"', '(= country "France")'),
    ("ne", 'country != "France"', '(!= country "France")'),
    ("lt", "order_count < 3", "(< order_count 3)"),
    ("le", "order_count <= 3", "(<= order_count 3)"),
    ("gt", "order_count > 3", "(> order_count 3)"),
    ("ge", "order_count >= 3", "(>= order_count 3)"),
    ("between", "total_spent between 10 and 20", "(between total_spent 10 20)"),
    ("not-between", "total_spent not between 10 and 20", "(not-between total_spent 10 20)"),
    ("between-then-and", "x between 1 and 2 and y", "(and (between x 1 2) y)"),
    ("between-arithmetic-bounds", "x between 1 + 1 and 2 * 3", "(between x (+ 1 1) (* 2 3))"),
    ("in", 'country in ["France", "Spain"]', '(in country ["France" "Spain"])'),
    ("not-in", 'country not in ["France"]', '(not-in country ["France"])'),
    ("in-empty-list-parses", "country in []", "(in country [])"),
    ("contains", 'city contains "par"', '(contains city "par")'),
    ("not-contains", 'city not contains "par"', '(not-contains city "par")'),
    ("starts-with", 'email starts with "ann"', '(starts-with email "ann")'),
    ("not-starts-with", 'email not starts with "ann"', '(not-starts-with email "ann")'),
    ("ends-with", 'email ends with ".fr"', '(ends-with email ".fr")'),
    ("not-ends-with", 'email not ends with ".fr"', '(not-ends-with email ".fr")'),
    ("tags-contains", 'tags contains "vip"', '(contains tags "vip")'),
    ("is-set", "city is set", "(is-set city)"),
    ("is-not-set", "city is not set", "(is-not-set city)"),
    ("is-null-is-not-set", "city is null", "(is-not-set city)"),
    ("is-not-null-is-set", "city is not null", "(is-set city)"),
    ("within", "last_order_date within 30d", "(within last_order_date 30d)"),
    ("not-within", "last_order_date not within 2w", "(not-within last_order_date 2w)"),
    ("bare-boolean-call", 'purchased(product: "Red Shoes", within: 90d)',
     'purchased(product: "Red Shoes", within: 90d)'),
    ("bare-name", "vip", "vip"),
    ("upper-between", "x BETWEEN 1 AND 2", "(between x 1 2)"),
    ("upper-not-in", "x NOT IN [1]", "(not-in x [1])"),
    ("upper-starts-with", 'x NOT STARTS WITH "a"', '(not-starts-with x "a")'),
    ("mixed-is-not-null", "x Is Not Null", "(is-set x)"),
    ("upper-is-not-set", "x IS NOT SET", "(is-not-set x)"),
    ("mixed-within", "x NoT WiThIn 3D", "(not-within x 3d)"),
)


@pytest.mark.parametrize(("text", "expected"), PREDICATES)
def test_predicates(text: str, expected: str) -> None:
    assert tree(text) == expected


# --------------------------------------------------------------------------------------------- arithmetic

ARITHMETIC = rows(
    ("times-before-plus", "a = 1 + 2 * 3", "(= a (+ 1 (* 2 3)))"),
    ("divide-before-minus", "a = 1 - 4 / 2", "(= a (- 1 (/ 4 2)))"),
    ("minus-is-left-assoc", "a = b - 1 - 2", "(= a (- (- b 1) 2))"),
    ("divide-is-left-assoc", "a = b / c / d", "(= a (/ (/ b c) d))"),
    ("parens", "a = (1 + 2) * 3", "(= a (* (+ 1 2) 3))"),
    ("arith-on-both-sides", "clicks(6mo) / opens(6mo) >= 0.2", "(>= (/ clicks(6mo) opens(6mo)) 0.2)"),
    ("unary-minus-binds-tightest", "a = -b * c", "(= a (* (neg b) c))"),
    ("unary-minus-of-group", "a = -(1 + 2)", "(= a (neg (+ 1 2)))"),
    ("negative-number-is-a-literal", "a = -1.5", "(= a -1.5)"),
    ("double-minus-folds", "a = - -1", "(= a 1)"),
    ("minus-minus-number", "a = 1 -- 2", "(= a (- 1 -2))"),
    ("minus-minus-name", "a = b -- c", "(= a (- b (neg c)))"),
    ("arith-binds-tighter-than-compare", "a + 1 > b * 2", "(> (+ a 1) (* b 2))"),
    ("date-like-subtraction", "a = 2026-1-1", "(= a (- (- 2026 1) 1))"),
)


@pytest.mark.parametrize(("text", "expected"), ARITHMETIC)
def test_arithmetic(text: str, expected: str) -> None:
    assert tree(text) == expected


# ----------------------------------------------------------------------------------------------- literals

LITERALS = rows(
    ("double-quoted", 'x = "France"', '"France"'),
    ("single-quoted", "x = 'France'", '"France"'),
    ("escaped-single-quote", r"x = 'O\'Brien'", '"O\'Brien"'),
    ("escaped-double-quote", r'x = "say \"hi\""', '"say \\"hi\\""'),
    ("escaped-backslash", r'x = "a\\b"', '"a\\\\b"'),
    ("escaped-newline", r'x = "a\nb"', '"a\\nb"'),
    ("escaped-tab", r'x = "a\tb"', '"a\\tb"'),
    ("unicode-escape", r'x = "caf\u00e9"', '"café"'),
    ("unicode-escape-upper-hex", r'x = "caf\u00E9"', '"café"'),
    ("hash-inside-text", 'x = "#1 fan"', '"#1 fan"'),
    ("unicode-text", 'x = "Zürich 東京"', '"Zürich 東京"'),
    ("empty-text", 'x = ""', '""'),
    ("integer", "x = 3", "3"),
    ("zero", "x = 0", "0"),
    ("decimal", "x = 49.90", "49.90"),
    ("underscores", "x = 1_000", "1000"),
    ("underscores-and-decimals", "x = 1_000.000_1", "1000.0001"),
    ("negative", "x = -7", "-7"),
    ("true", "x = true", "true"),
    ("false", "x = false", "false"),
    ("upper-true", "x = TRUE", "true"),
    ("date", "x = 2026-01-31", "2026-01-31"),
    ("leap-day", "x = 2028-02-29", "2028-02-29"),
    ("timestamp-z", "x = 2026-01-31T09:30:00Z", "2026-01-31T09:30:00Z"),
    ("timestamp-lower-t-z", "x = 2026-01-31t09:30:00z", "2026-01-31T09:30:00Z"),
    ("timestamp-no-seconds", "x = 2026-01-31T09:30Z", "2026-01-31T09:30:00Z"),
    ("timestamp-no-zone-is-utc", "x = 2026-01-31T09:30", "2026-01-31T09:30:00Z"),
    ("timestamp-fraction", "x = 2026-01-31T09:30:00.25Z", "2026-01-31T09:30:00.250000Z"),
    ("timestamp-nanos-truncated", "x = 2026-01-31T09:30:00.123456789Z", "2026-01-31T09:30:00.123456Z"),
    ("timestamp-plus-offset", "x = 2026-01-31T09:30:00+02:00", "2026-01-31T07:30:00Z"),
    ("timestamp-minus-offset", "x = 2026-01-31T22:30:00-05:00", "2026-02-01T03:30:00Z"),
    ("timestamp-offset-no-colon", "x = 2026-01-31T01:30-0230", "2026-01-31T04:00:00Z"),
    ("timestamp-offset-crosses-year", "x = 2026-01-01T01:00:00+02:00", "2025-12-31T23:00:00Z"),
    ("hours", "x = 12h", "12h"),
    ("days", "x = 30d", "30d"),
    ("weeks", "x = 2w", "2w"),
    ("months", "x = 6mo", "6mo"),
    ("years", "x = 1y", "1y"),
    ("upper-unit", "x = 6MO", "6mo"),
    ("duration-underscores", "x = 1_000d", "1000d"),
    ("ago", "x = 90d ago", "(ago 90d)"),
    ("upper-ago", "x = 90D AGO", "(ago 90d)"),
    ("list", 'x = ["France", "Spain"]', '["France" "Spain"]'),
    ("list-trailing-comma", "x = [1, 2, 3,]", "[1 2 3]"),
    ("list-one", "x = [1]", "[1]"),
    ("list-empty", "x = []", "[]"),
    ("list-negatives", "x = [-1, 2]", "[-1 2]"),
    ("list-of-durations", "x = [12h, 30d, 2w, 6mo, 1y]", "[12h 30d 2w 6mo 1y]"),
    ("null", "x = null", "null"),
)


@pytest.mark.parametrize(("text", "expected"), LITERALS)
def test_literals(text: str, expected: str) -> None:
    rule = parse(text).rule
    assert isinstance(rule.condition, ast.Compare)
    assert sx(rule.condition.right) == expected


def test_number_values_are_exact() -> None:
    decimal = parse("x = 49.90").rule.condition.right
    integer = parse("x = 1_000").rule.condition.right
    assert decimal.value == Decimal("49.90") and isinstance(decimal.value, Decimal)
    assert integer.value == 1000 and isinstance(integer.value, int)
    assert integer.raw == "1_000"


def test_timestamps_are_aware_utc() -> None:
    stamp = parse("x = 2026-01-31T09:30:00+05:30").rule.condition.right
    assert isinstance(stamp, ast.Timestamp)
    assert stamp.value.utcoffset() == dt.timedelta(0)
    assert stamp.value == dt.datetime(2026, 1, 31, 4, 0, tzinfo=dt.UTC)


def test_every_duration_unit_is_known() -> None:
    assert set(ast.DURATION_UNITS) == {"h", "d", "w", "mo", "y"}
    for unit in ast.DURATION_UNITS:
        duration = parse(f"x = 7{unit}").rule.condition.right
        assert (duration.amount, duration.unit) == (7, unit)


# --------------------------------------------------------------------------------------------------- calls

CALLS = rows(
    ("no-args", "engagement() > 1", "engagement()"),
    ("positional", "opens(6mo) > 1", "opens(6mo)"),
    ("two-positional", 'opens(6mo, "Spring sale") > 1', 'opens(6mo, "Spring sale")'),
    ("named", "opens(within: 6mo) > 1", "opens(within: 6mo)"),
    ("named-any-order", 'opens(campaign: "Spring", within: 6mo) > 1', 'opens(campaign: "Spring", within: 6mo)'),
    ("positional-then-named", 'opens(6mo, series: "Welcome") > 1', 'opens(6mo, series: "Welcome")'),
    ("trailing-comma", "opens(6mo,) > 1", "opens(6mo)"),
    ("named-trailing-comma", "f(a: 1, b: 2,) > 1", "f(a: 1, b: 2)"),
    ("expression-arg", "f(1 + 2) > 1", "f((+ 1 2))"),
    ("nested-call", "f(g(1)) > 1", "f(g(1))"),
    ("unknown-names-still-parse", 'nope(x: "y") > 1', 'nope(x: "y")'),
)


@pytest.mark.parametrize(("text", "expected"), CALLS)
def test_calls(text: str, expected: str) -> None:
    assert sx(parse(text).rule.condition.left) == expected


# ------------------------------------------------------------------------------------ ordering and limits

RULES = rows(
    ("order-by", 'country = "France" order by engagement(6mo) desc limit 1000',
     '(rule (= country "France") (order-by (desc engagement(6mo))) (limit 1000))'),
    ("asc-is-default", "a order by b", "(rule a (order-by (asc b)))"),
    ("explicit-asc", "a order by b asc", "(rule a (order-by (asc b)))"),
    ("several-keys", "a order by b desc, c asc, d", "(rule a (order-by (desc b) (asc c) (asc d)))"),
    ("arith-key", "a order by clicks(6mo) / opens(6mo) desc", "(rule a (order-by (desc (/ clicks(6mo) opens(6mo)))))"),
    ("upper-keywords", "a ORDER BY b DESC LIMIT 5", "(rule a (order-by (desc b)) (limit 5))"),
    ("rank-everyone", "order by total_spent desc limit 500", "(rule _ (order-by (desc total_spent)) (limit 500))"),
    ("rank-everyone-no-limit", "order by total_spent", "(rule _ (order-by (asc total_spent)))"),
    ("limit-alone-parses", "limit 5", "(rule _ (limit 5))"),
    ("condition-limit-parses", "a limit 5", "(rule a (limit 5))"),
    ("multi-line", "a\norder by b desc\nlimit 10\n", "(rule a (order-by (desc b)) (limit 10))"),
)


@pytest.mark.parametrize(("text", "expected"), RULES)
def test_rules(text: str, expected: str) -> None:
    assert tree(text) == expected


COMMENTS = rows(
    ("before", "# why\na = 1", "(= a 1)"),
    ("after", "a = 1 # why", "(= a 1)"),
    ("between-every-token", "a # c1\n= # c2\n1 # c3", "(= a 1)"),
    ("inside-call", "opens( # c\n 6mo # d\n) >= # e\n 3", "(>= opens(6mo) 3)"),
    ("inside-list", 'x in [ # c\n "a", # d\n "b" # e\n]', '(in x ["a" "b"])'),
    ("before-order-by", "a # c\norder by b # d\nlimit 3 # e", "(rule a (order-by (asc b)) (limit 3))"),
    ("hash-in-text-is-not-a-comment", 'x = "a # b"', '(= x "a # b")'),
)


@pytest.mark.parametrize(("text", "expected"), COMMENTS)
def test_comments_anywhere(text: str, expected: str) -> None:
    assert tree(text) == expected


def test_comments_of_a_rule_are_kept_with_positions() -> None:
    text = '# lead\ncountry = "#not a comment" # tail\n'
    parsed = parse(text)
    assert [(c.text, c.span) for c in parsed.comments] == [("# lead", Span(0, 6)), ("# tail", Span(34, 40))]
    assert parsed.rule.span == Span(7, 33)


# ---------------------------------------------------------------------------------- recoverable mistakes

# Mistakes with a clear meaning are reported but parsed, so the checker can report the rest too.
LENIENT = [
    pytest.param("a == 1", "(= a 1)", "RD005", id="double-equals"),
    pytest.param("a <> 1", "(!= a 1)", "RD005", id="sql-not-equal"),
    pytest.param("a && b", "(and a b)", "RD005", id="ampersands"),
    pytest.param("a || b", "(or a b)", "RD005", id="pipes"),
    pytest.param("!a", "(not a)", "RD005", id="bang"),
    pytest.param("a like '%x%'", '(contains a "x")', "RD005", id="like-contains"),
    pytest.param("a LIKE 'x%'", '(starts-with a "x")', "RD005", id="like-starts"),
    pytest.param("a not ilike '%x'", '(not-ends-with a "x")', "RD005", id="ilike-ends"),
    pytest.param("a within 6m", "(within a 6mo)", "RD009", id="m-means-months"),
    pytest.param("a within 6months", "(within a 6mo)", "RD009", id="unit-word"),
    pytest.param(r'a = "\q"', r'(= a "\\q")', "RD004", id="bad-escape-kept"),
    pytest.param("a = 2026-02-30", "(= a 1970-01-01)", "RD008", id="bad-date"),
    pytest.param('a is "x"', '(= a "x")', "RD005", id="is-means-equals"),
    pytest.param("a IS NOT 3", "(!= a 3)", "RD005", id="is-not-means-not-equals"),
    pytest.param("a is between 1 and 2", "(between a 1 2)", "RD005", id="is-before-between"),
    pytest.param("a > $100", "(> a 100)", "RD008", id="dollar-sign"),
    pytest.param("a < 9.99€", "(< a 9.99)", "RD008", id="euro-sign-after"),
]


def test_a_mended_mistake_keeps_the_spans_of_the_text_as_written() -> None:
    text = 'a is not "x" and b > $5'
    parsed, diagnostics = parse_rule_lenient(text)
    assert parsed is not None
    assert [text[d.span.start:d.span.end] for d in diagnostics] == ["is not", "$"]
    second = parsed.rule.condition.operands[1]
    assert text[second.span.start:second.span.end] == "b > $5"
    assert text[second.right.span.start:second.right.span.end] == "5"


def test_mending_stops_after_a_bounded_number_of_repairs() -> None:
    text = " and ".join(f"a > ${i}" for i in range(MAX_REPAIRS + 5))
    parsed, diagnostics = parse_rule_lenient(text)
    assert parsed is None
    assert [d.code for d in diagnostics] == ["RD008"] * MAX_REPAIRS + ["RD001"]


@pytest.mark.parametrize(("text", "expected", "code"), LENIENT)
def test_recoverable_mistakes_still_build_a_tree(text: str, expected: str, code: str) -> None:
    parsed, diagnostics = parse_rule_lenient(text)
    assert parsed is not None
    assert sx(parsed.rule) == expected
    assert [d.code for d in diagnostics] == [code]
    with pytest.raises(RuleError):
        parse(text)


# -------------------------------------------------------------------------------------------------- spans


def _cond(text: str) -> ast.Node:
    return parse(text).rule.condition


SPANS = [
    pytest.param('contry = "France"', lambda c: c.left.span, "contry", Span(0, 6), id="name"),
    pytest.param("opens(6mo) >= 3", lambda c: c.op_span, ">=", Span(11, 13), id="op"),
    pytest.param("opens(6mo) >= 3", lambda c: c.span, "opens(6mo) >= 3", Span(0, 15), id="compare"),
    pytest.param("opens(6mo) >= 3", lambda c: c.left.span, "opens(6mo)", Span(0, 10), id="call"),
    pytest.param("opens(6mo) >= 3", lambda c: c.left.name_span, "opens", Span(0, 5), id="call-name"),
    pytest.param("opens(within: 6mo) > 1", lambda c: c.left.args[0].span, "within: 6mo", Span(6, 17), id="arg"),
    pytest.param("opens(within: 6mo) > 1", lambda c: c.left.args[0].name_span, "within", Span(6, 12),
                 id="arg-name"),
    pytest.param('x = "a\\nb"', lambda c: c.right.span, '"a\\nb"', Span(4, 10), id="text-with-quotes"),
    pytest.param("x < 90d ago", lambda c: c.right.span, "90d ago", Span(4, 11), id="ago"),
    pytest.param("x < 90d ago", lambda c: c.right.duration.span, "90d", Span(4, 7), id="ago-duration"),
    pytest.param("x = -1", lambda c: c.right.span, "-1", Span(4, 6), id="negative-number"),
    pytest.param("x = - y", lambda c: c.right.span, "- y", Span(4, 7), id="negate"),
    pytest.param('email not starts with "a"', lambda c: c.op_span, "starts with", Span(10, 21),
                 id="text-match-op"),
    pytest.param("x between 1 and 2", lambda c: c.span, "x between 1 and 2", Span(0, 17), id="between"),
    pytest.param("(a = 1)", lambda c: c.span, "a = 1", Span(1, 6), id="group-keeps-inner-span"),
    pytest.param("a and (b or c)", lambda c: c.operands[1].span, "b or c", Span(7, 13), id="or-in-group"),
    pytest.param("x in [1, 2]", lambda c: c.options.span, "[1, 2]", Span(5, 11), id="list"),
    pytest.param("a or b", lambda c: c.span, "a or b", Span(0, 6), id="or"),
    pytest.param("a   =\n  1", lambda c: c.right.span, "1", Span(8, 9), id="second-line"),
    pytest.param("x = 2026-01-31T09:30:00+02:00", lambda c: c.right.span, "2026-01-31T09:30:00+02:00", Span(4, 29),
                 id="timestamp"),
]


@pytest.mark.parametrize(("text", "select", "snippet", "span"), SPANS)
def test_spans(text: str, select, snippet: str, span: Span) -> None:
    found = select(_cond(text))
    assert found == span
    assert text[found.start:found.end] == snippet


def test_rule_order_key_and_limit_spans() -> None:
    text = "  a order by b desc limit 10  # x"
    rule = parse(text).rule
    assert rule.span == Span(2, 28)
    assert text[rule.order_by[0].span.start:rule.order_by[0].span.end] == "b desc"
    assert text[rule.limit.span.start:rule.limit.span.end] == "limit 10"


def test_every_span_lies_inside_its_parent() -> None:
    text = 'not (country = "France" or city in ["A", "B"]) and opens(within: 6mo) / 2 >= -x order by y desc limit 3'
    rule = parse(text).rule
    for parent in ast.walk(rule):
        for child in ast.children(parent):
            assert parent.span.start <= child.span.start <= child.span.end <= parent.span.end, (parent, child)


# ---------------------------------------------------------------------------------------------- rule files

FILE = """\
# Header comment: not a description.
## Orphan description, cut off by the blank line below.

## French contacts
## who open our mail.
segment french_openers:  # trailing comment
    country = "France" and opens(6mo) >= 3  # why three

# plain comment
## At-risk French openers.
segment french_openers_at_risk:
    in_segment("french_openers") and last_order_date < 90d ago
    order by total_spent desc
    limit 500  ## trailing, not a description
SEGMENT everyone_ranked: order by engagement(6mo) desc limit 10

## Separated by a plain comment,
# so this segment has no description.
segment plain:
    city is set
"""


@pytest.fixture(scope="module")
def rule_file() -> ast.RuleFile:
    return parse_file(FILE, name="segments.rare")


def test_file_segments(rule_file: ast.RuleFile) -> None:
    assert [(s.name, sx(s.rule)) for s in rule_file.segments] == [
        ("french_openers", '(and (= country "France") (>= opens(6mo) 3))'),
        ("french_openers_at_risk",
         '(rule (and in_segment("french_openers") (< last_order_date (ago 90d))) '
         "(order-by (desc total_spent)) (limit 500))"),
        ("everyone_ranked", "(rule _ (order-by (desc engagement(6mo))) (limit 10))"),
        ("plain", "(is-set city)"),
    ]
    assert rule_file.source.name == "segments.rare"


def test_file_descriptions(rule_file: ast.RuleFile) -> None:
    assert [s.description for s in rule_file.segments] == [
        "French contacts\nwho open our mail.",
        "At-risk French openers.",
        None,  # the line above is a `##` comment at the end of a rule line
        None,  # the line above is a plain `#` comment
    ]


def test_file_segment_spans(rule_file: ast.RuleFile) -> None:
    text = rule_file.source.text
    first = rule_file.segments[0]
    assert text[first.name_span.start:first.name_span.end] == "french_openers"
    assert text[first.span.start:first.span.end].startswith("segment french_openers:")
    assert text[first.span.start:first.span.end].endswith("opens(6mo) >= 3")
    assert rule_file.source.position(first.name_span.start) == (6, 9)


def test_file_keeps_every_comment_in_order(rule_file: ast.RuleFile) -> None:
    text = rule_file.source.text
    assert [c.text for c in rule_file.comments] == [
        "# Header comment: not a description.",
        "## Orphan description, cut off by the blank line below.",
        "## French contacts",
        "## who open our mail.",
        "# trailing comment",
        "# why three",
        "# plain comment",
        "## At-risk French openers.",
        "## trailing, not a description",
        "## Separated by a plain comment,",
        "# so this segment has no description.",
    ]
    for comment in rule_file.comments:
        assert text[comment.span.start:comment.span.end] == comment.text
    starts = [c.span.start for c in rule_file.comments]
    assert starts == sorted(starts)
    assert rule_file.comments[0].span == Span(0, 36)


FILES = [
    pytest.param("", [], id="empty"),
    pytest.param("# only a comment\n", [], id="only-comment"),
    pytest.param("segment a: city is set", [("a", None)], id="one-line"),
    pytest.param("## d\nsegment a: city is set", [("a", "d")], id="description"),
    pytest.param("##d\nsegment a: city is set", [("a", "d")], id="description-no-space"),
    pytest.param("## d\n\nsegment a: city is set", [("a", None)], id="blank-line-cuts-description"),
    pytest.param("## d\r\n## e\r\nsegment a:\r\n  city is set\r\n", [("a", "d\ne")], id="crlf"),
    pytest.param("  ## indented\nsegment a: city is set", [("a", "indented")], id="indented-description"),
    pytest.param("segment a: city is set ## not b's\nsegment b: city is set", [("a", None), ("b", None)],
                 id="trailing-double-hash"),
    pytest.param("segment a: city is set\nsegment b: city is set\nsegment c: city is set",
                 [("a", None), ("b", None), ("c", None)], id="three"),
]


@pytest.mark.parametrize(("text", "expected"), FILES)
def test_files(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert [(s.name, s.description) for s in parse_file(text).segments] == expected
