"""Completion analysis as a pure function: text before the cursor in, suggestions out (no terminal)."""

from __future__ import annotations

import pytest

from rare_dsl.repl.completion import StaticKnown, is_complete, suggest
from rare_dsl.schema import default_schema

SCHEMA = default_schema()
KNOWN = StaticKnown(
    list_names=("Popup leads", "VIP's"),
    segment_names=("french_openers",),
    topics={"country": ("France", "Spain", "Germany"), "param:vendor": ("Acme", "Nordic Knits"),
            "tags": ("vip", "newsletter"), "param:campaign": ("Black Friday",)},
)
FIELDS = {"country", "quality", "order_count", "last_order_date"}
FUNCTIONS = {"opens(", "purchased(", "in_list("}
COMPARISONS = {"=", "!=", "<", ">="}

# (text before the cursor, suggestions that must be offered, suggestions that must not)
CASES = [
    # where a condition starts: fields, functions and `not`, never operators
    ("", FIELDS | FUNCTIONS | {"not", "order by"}, COMPARISONS | {"and"}),
    ('country = "France" and ', FIELDS | FUNCTIONS | {"not"}, COMPARISONS | {"and", "or", "order by"}),
    ('country = "France" or not ', FIELDS | FUNCTIONS, COMPARISONS | {"and"}),
    # a word being typed is completed from its prefix, then from its middle
    ("co", {"country", "country_code", "conversions("}, {"quality"}),
    ("spent", {"spent(", "total_spent"}, {"country"}),
    ('country = "France" an', {"and"}, {"or", "country"}),
    ("opens(6mo) >= 3 and no", {"not"}, {"and"}),
    # after an operand: only the operators its type takes
    ("country ", {"=", "!=", "in", "contains", "starts with", "is set", "not in"}, FIELDS | {"<", "between"}),
    ("opens(6mo) ", COMPARISONS | {"between", "not between", "+"}, FIELDS | {"contains", "within"}),
    ("last_order_date ", {"<", "within", "not within", "between", "is set"}, {"contains", "+"} | FIELDS),
    ("tags ", {"contains", "not contains"}, {"=", "<"}),
    ("quality ", {"=", "!=", "in", "not in"}, {"<", "contains"}),
    ('purchased(product: "Red Shoes") ', {"and", "or", "order by"}, COMPARISONS),
    ('country = "France" ', {"and", "or", "order by", "limit"}, COMPARISONS | FIELDS),
    ("order ", {"by"}, FIELDS),
    # enum values after a comparison or inside a list
    ("quality = ", {'"vip"', '"at_risk"', '"new"'}, FIELDS),
    ("quality in [", {'"vip"', '"lapsed"'}, FIELDS),
    ('quality in ["vip", ', {'"loyal"'}, FIELDS),
    ('status != "un', {'"unsubscribed"'}, {'"subscribed"'}),
    # known values of text fields, from the store
    ('country = "Fr', {'"France"'}, {'"Spain"'}),
    ("country = 'Sp", {"'Spain'"}, {'"Spain"'}),
    ("country = ", {'"France"', '"Germany"'}, FIELDS),
    ('tags contains "news', {'"newsletter"'}, {'"vip"'}),
    # inside a call: named arguments, and the values of the parameter at hand
    ("opens(", {"within: ", "campaign: ", "series: ", "6mo", "30d"}, FIELDS),
    ("opens(6mo, ", {"campaign: ", "series: ", '"Black Friday"'}, {"within: "} | FIELDS),
    ("opens(within: ", {"6mo", "90d"}, {"within: "} | FIELDS),
    ("opens(within: 6", {"6mo", "6d", "6w"}, {"30d"}),
    ("opens(6", {"6mo", "6d"}, set()),
    ("opens(6mo) >= 3", set(), {"3d", "3mo"}),  # a plain number fits here: nothing to complete
    ("last_order_date within 9", {"9d", "9mo"}, {"9d ago"}),
    ("last_order_date < 9", {"9d ago", "9mo ago"}, {"9d"}),
    ("last_order_date between 9", {"9d ago"}, set()),
    ("last_order_date between 90d ago and 3", {"3d ago"}, set()),
    ("bought_from(", {'"Acme"', '"Nordic Knits"', "vendor: ", "within: "}, FIELDS),
    ('bought_from(vendor: "No', {'"Nordic Knits"'}, {'"Acme"'}),
    ("orders(month: ", {'"December"', '"January"'}, FIELDS),
    ("in_list(", {'"Popup leads"', '''"VIP's"'''}, FIELDS | {'"french_openers"'}),
    ('in_segment("fr', {'"french_openers"'}, {'"Popup leads"'}),
    # nothing where nothing can be completed
    ("country = # a comment", set(), FIELDS),
    ("country = 1 )", set(), FIELDS | {"and"}),
]


@pytest.mark.parametrize(("text", "offered", "not_offered"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_suggestions(text: str, offered: set[str], not_offered: set[str]) -> None:
    texts = set(suggest(text, SCHEMA, KNOWN).texts())
    assert offered <= texts, f"missing: {offered - texts}"
    assert not (not_offered & texts), f"unexpected: {not_offered & texts}"


def test_prefix_is_what_the_completion_replaces() -> None:
    assert suggest("co", SCHEMA).prefix == "co"
    assert suggest('country = "Fr', SCHEMA, KNOWN).prefix == '"Fr'
    assert suggest("opens(within: 6", SCHEMA).prefix == "6"
    assert suggest("country ", SCHEMA).prefix == ""


def test_functions_show_signature_and_category() -> None:
    found = {s.text: s for s in suggest("op", SCHEMA).suggestions}
    assert found["opens("].display == "opens(within?, campaign?, series?)"
    assert found["opens("].meta == "number · Engagement information"
    assert found["opens("].kind == "function"
    fields = {s.text: s for s in suggest("", SCHEMA).suggestions}
    assert fields["country"].meta == "text · Customer information"


def test_values_from_the_store_say_which_topic_they_need() -> None:
    assert suggest('country = "', SCHEMA, KNOWN).wants == "country"
    assert suggest("bought_from(", SCHEMA, KNOWN).wants == "param:vendor"
    assert suggest("quality = ", SCHEMA, KNOWN).wants is None  # enum values come from the schema


def test_named_arguments_already_given_are_not_offered_again() -> None:
    texts = suggest("orders(within: 90d, ", SCHEMA).texts()
    assert "within: " not in texts
    assert {"product: ", "vendor: ", "month: "} <= set(texts)


def test_quotes_in_values_are_escaped() -> None:
    texts = suggest("in_list('V", SCHEMA, KNOWN).texts()
    assert texts == ["'VIP\\'s'"]


@pytest.mark.parametrize(("text", "complete"), [
    ('country = "France"', True),
    ('country = "France" and', False),
    ('country = "France" or', False),
    ("opens(6mo) >=", False),
    ("opens(6mo", False),
    ("quality in [", False),
    ("quality in [\"vip\"]", True),
    ("not", False),
    ("", True),
    (":sql postgres", True),
    ('country = "Fr', True),  # an unclosed string does not continue: the checker points at it
    ("country = 1 # and", True),
    ('opens(campaign: "Bl', True),
])
def test_enter_continues_an_unfinished_rule(text: str, complete: bool) -> None:
    assert is_complete(text) is complete


def test_highlighting_follows_the_grammar_tokens() -> None:
    from rare_dsl.repl.lexer import token_styles

    text = 'country = "France" AND opens(6mo) >= 3 # note'
    styles = {text[start:end]: style for style, start, end in token_styles(text, SCHEMA)}
    assert styles == {
        "country": "class:rare.field", "=": "class:rare.operator", '"France"': "class:rare.text",
        "AND": "class:rare.keyword", "opens": "class:rare.function", "(": "", "6mo": "class:rare.literal",
        ")": "", ">=": "class:rare.operator", "3": "class:rare.number", "# note": "class:rare.comment",
    }


def test_the_lexer_underlines_the_error_span() -> None:
    from prompt_toolkit.document import Document

    from rare_dsl.diagnostics import Span
    from rare_dsl.repl.lexer import RuleLexer

    lexer = RuleLexer(lambda: SCHEMA, lambda text: Span(0, 6))
    line = lexer.lex_document(Document('contry = "France"'))(0)
    assert line[0] == ("class:rare.unknown class:rare.error", "contry")
    commands = RuleLexer(lambda: SCHEMA).lex_document(Document(":sql postgres"))(0)
    assert commands[0] == ("class:rare.command", ":sql")
