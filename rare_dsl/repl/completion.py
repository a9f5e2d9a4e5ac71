"""Completion analysis: what may come at the cursor, as a pure function of the text before it.

`suggest(text, schema, known)` asks lark's interactive parser which terminals the grammar accepts next
(`accepts()`), then narrows them with the schema: after an operand only the operators its type takes,
after `and` only fields, functions and `not`, inside a call the function's parameters and the values of
the parameter at hand, after `quality =` the enum's values. Values that live in the database (list and
segment names, countries, vendors) come from a `Known` provider, which never blocks: it answers with what
it has cached. `ReplCompleter` in `app.py` only adapts the result to prompt-toolkit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import lark

from rare_dsl.check import MONTHS
from rare_dsl.schema import Field, Function, Schema
from rare_dsl.syntax.parser import _lark, iter_tokens
from rare_dsl.types import Type

# ------------------------------------------------------------------------------------------------ records


@dataclass(frozen=True)
class Suggestion:
    """One completion: `text` replaces the word being typed; `display` and `meta` are what the menu shows."""

    text: str
    kind: str  # field, function, argument, keyword, operator, value, list, segment
    meta: str = ""
    display: str = ""

    @property
    def shown(self) -> str:
        return self.display or self.text


@dataclass(frozen=True)
class Completions:
    """The suggestions for one cursor position; `prefix` is the typed text they replace."""

    prefix: str
    suggestions: tuple[Suggestion, ...]
    # A topic of `Known.values` this position would use (so a caller may warm it), or None.
    wants: str | None = None

    def texts(self) -> list[str]:
        return [s.text for s in self.suggestions]


class Known(Protocol):
    """Names and values that live in the database. Every method answers at once from a cache."""

    def lists(self) -> Sequence[str]: ...

    def segments(self) -> Sequence[str]: ...

    def values(self, topic: str) -> Sequence[str]:
        """Known values of a topic, most common first: a text field (`country`, `tags`) or a parameter
        (`param:vendor`, `param:campaign`); empty while they are still loading."""
        ...


@dataclass(frozen=True)
class StaticKnown:
    """A fixed `Known`: for tests, and for a session without a database."""

    list_names: tuple[str, ...] = ()
    segment_names: tuple[str, ...] = ()
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def lists(self) -> Sequence[str]:
        return self.list_names

    def segments(self) -> Sequence[str]:
        return self.segment_names

    def values(self, topic: str) -> Sequence[str]:
        return self.topics.get(topic, ())


NOTHING_KNOWN = StaticKnown()

# ------------------------------------------------------------------------------------------- vocabulary

# Keywords offered for a terminal the parser accepts. Spellings from other languages (`&&`, `like`) that
# the grammar parses only to explain them are never offered.
_KEYWORDS: dict[str, tuple[tuple[str, str], ...]] = {
    "AND": (("and", "both conditions"),),
    "OR": (("or", "either condition"),),
    "NOT": (("not", "negates a condition"),),
    "ORDER": (("order by", "rank the matching contacts"),),
    "LIMIT": (("limit", "keep the first N (needs order by)"),),
    "ASC": (("asc", "smallest first"),),
    "DESC": (("desc", "largest first"),),
    "TRUE": (("true", "boolean"),),
    "FALSE": (("false", "boolean"),),
    "AGO": (("ago", "the as-of instant minus the duration"),),
}
# Operators after an operand, by the operand's type; `None` is an operand of unknown type.
_COMPARE = ("=", "!=", "<", "<=", ">", ">=")
_OPERATORS: dict[Type | None, tuple[str, ...]] = {
    Type.NUMBER: (*_COMPARE, "between", "not between", "in", "not in", "is set", "is not set"),
    Type.TEXT: ("=", "!=", "in", "not in", "contains", "not contains", "starts with", "not starts with",
                "ends with", "not ends with", "is set", "is not set"),
    Type.ENUM: ("=", "!=", "in", "not in", "is set", "is not set"),
    Type.TIMESTAMP: (*_COMPARE, "between", "not between", "within", "not within", "is set", "is not set"),
    Type.TEXT_LIST: ("contains", "not contains"),
    Type.BOOLEAN: (),
    None: (*_COMPARE, "between", "in", "contains", "starts with", "ends with", "within", "is set"),
}
_OPERATOR_META = {
    "between": "x between low and high (inclusive)",
    "in": 'x in ["a", "b"]',
    "contains": "text or tag, ignores case",
    "starts with": "ignores case",
    "ends with": "ignores case",
    "within": "in the window up to the as-of instant",
    "is set": "has a value",
    "is not set": "has no value",
}
# The first word of each operator, as the terminal the parser must accept for it.
_OPERATOR_TERMINAL = {"between": "BETWEEN", "in": "IN", "contains": "CONTAINS", "starts": "STARTS",
                      "ends": "ENDS", "within": "WITHIN", "is": "IS", "not": "NOT"}
_ARITHMETIC = ("+", "-", "*", "/")
_DURATIONS = (("30d", "30 days"), ("90d", "90 days"), ("6mo", "6 calendar months"), ("1y", "1 year"),
              ("2w", "2 weeks"), ("12h", "12 hours"))
_UNITS = (("d", "days"), ("w", "weeks"), ("mo", "calendar months"), ("y", "years"), ("h", "hours"))
_LITERAL_TYPES = {"STRING": Type.TEXT, "NUMBER": Type.NUMBER, "DATE": Type.TIMESTAMP,
                  "TIMESTAMP": Type.TIMESTAMP, "AGO": Type.TIMESTAMP, "TRUE": Type.BOOLEAN, "FALSE": Type.BOOLEAN}

_NAME_PREFIX = re.compile(r"(?<![\w.])[A-Za-z_]\w*\Z")
_NUMBER_PREFIX = re.compile(r"(?<![\w.])\d[\w.]*\Z")
_OPEN_STRING = re.compile(r"""(["'])((?:[^"'\\\n]|\\.)*)\Z""")


# ------------------------------------------------------------------------------------------------ public


def suggest(text: str, schema: Schema, known: Known = NOTHING_KNOWN) -> Completions:
    """The completions at the end of `text` (the text before the cursor)."""
    head, prefix, quote = _split(text)
    if head is None:
        return Completions(prefix, ())
    tokens = _feed(head)
    if tokens is None:
        return Completions(prefix, ())
    fed, accepts = tokens
    context = _Context(fed, schema, known)
    if quote:
        found, wants = context.values(quote)
        return Completions(quote + prefix, _matching(found, quote + prefix), wants)
    if prefix[:1].isdigit():
        found = context.number_words(accepts, prefix)
        return Completions(prefix, _matching(found, prefix))
    found, wants = context.everything(accepts)
    return Completions(prefix, _matching(found, prefix), wants)


def is_complete(text: str) -> bool:
    """Whether pressing Enter should submit `text` rather than start a new line: not while a parenthesis
    or bracket is open, nor when the last word is an operator, `and`, `or` or `not`."""
    if text.lstrip().startswith(":"):
        return True
    depth = 0
    last = None
    tokens = _tokens(text)
    for kind, _start, _end in tokens:
        if kind in ("LPAR", "LSQB"):
            depth += 1
        elif kind in ("RPAR", "RSQB"):
            depth -= 1
        if kind != "COMMENT":
            last = kind
    if text[tokens[-1][2] if tokens else 0:].lstrip()[:1] in ("'", '"'):
        return True  # an unclosed string cannot go on on the next line: let the checker point at it
    return depth <= 0 and last not in _CONTINUES


_CONTINUES = frozenset({
    "AND", "OR", "NOT", "COMPARE", "PLUS", "MINUS", "STAR", "SLASH", "BETWEEN", "IN", "CONTAINS", "STARTS",
    "ENDS", "WITH", "WITHIN", "IS", "ORDER", "BY", "LIMIT", "COMMA", "COLON", "PIPES", "AMPERSANDS",
})


# ----------------------------------------------------------------------------------------------- helpers


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return list(iter_tokens(text))


def _split(text: str) -> tuple[str | None, str, str]:
    """(the text the parser should read, the word being typed, its opening quote if it is text)."""
    tokens = _tokens(text)
    lexed_to = tokens[-1][2] if tokens else 0
    if tokens and tokens[-1][0] == "COMMENT" and tokens[-1][2] == len(text):
        return None, "", ""
    rest = text[lexed_to:]
    if rest.strip():
        match = _OPEN_STRING.search(text)
        if match and match.start() >= lexed_to:
            return text[: match.start()], match.group(2), match.group(1)
        return None, "", ""  # a character the language does not have
    for pattern in (_NAME_PREFIX, _NUMBER_PREFIX):
        match = pattern.search(text)
        if match:
            return text[: match.start()], match.group(0), ""
    return text, "", ""


def _feed(head: str) -> tuple[list[lark.Token], set[str]] | None:
    parser = _lark().parse_interactive(head, start="rule_text")
    fed: list[lark.Token] = []
    try:
        for token in parser.iter_parse():
            fed.append(token)
        return fed, set(parser.accepts())
    except lark.exceptions.LarkError:
        return None


def _matching(found: Sequence[Suggestion], prefix: str) -> tuple[Suggestion, ...]:
    """Suggestions that start with the prefix (ignoring case), then those that contain it; no duplicates."""
    lowered = prefix.lower()
    seen: set[str] = set()
    first: list[Suggestion] = []
    then: list[Suggestion] = []
    for suggestion in found:
        if suggestion.text in seen:
            continue
        candidate = suggestion.text.lower()
        if candidate.startswith(lowered):
            first.append(suggestion)
        elif lowered and len(lowered) > 1 and lowered in candidate:
            then.append(suggestion)
        else:
            continue
        seen.add(suggestion.text)
    return tuple(first + then)


def _quoted(value: str, quote: str) -> str:
    quote = quote or '"'
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return f"{quote}{escaped}{quote}"


def _field_suggestion(entry: Field) -> Suggestion:
    return Suggestion(entry.name, "field", f"{entry.type.value} · {entry.category.title}")


def _function_suggestion(entry: Function) -> Suggestion:
    return Suggestion(entry.name + "(", "function", f"{entry.returns.value} · {entry.category.title}",
                      entry.signature())


@dataclass
class _Frame:
    """An open parenthesis or bracket: a call (with its function), a group or a list."""

    kind: str  # call, group, list
    function: Function | None = None
    positional: int = 0
    named: list[str] = field(default_factory=list)


class _Context:
    """What the tokens before the cursor say about where it is."""

    def __init__(self, tokens: list[lark.Token], schema: Schema, known: Known):
        self.tokens = tokens
        self.schema = schema
        self.known = known
        self.frames: list[_Frame] = []
        for i, token in enumerate(tokens):
            kind = token.type
            if kind == "LPAR":
                before = tokens[i - 1] if i else None
                if before is not None and before.type == "NAME":
                    self.frames.append(_Frame("call", schema.functions.get(before.value.lower())))
                else:
                    self.frames.append(_Frame("group"))
            elif kind == "LSQB":
                self.frames.append(_Frame("list"))
            elif kind in ("RPAR", "RSQB") and self.frames:
                self.frames.pop()
            elif kind == "COMMA" and self.frames and self.frames[-1].kind == "call":
                frame = self.frames[-1]
                start = self._argument_start(i)
                if start + 1 < i and tokens[start + 1].type == "COLON":
                    frame.named.append(tokens[start].value.lower())
                else:
                    frame.positional += 1

    def _argument_start(self, end: int) -> int:
        """Index of the first token of the argument that ends before index `end` of the innermost call."""
        depth = 0
        for j in range(end - 1, -1, -1):
            kind = self.tokens[j].type
            if kind in ("RPAR", "RSQB"):
                depth += 1
            elif kind in ("LPAR", "LSQB"):
                if depth == 0:
                    return j + 1
                depth -= 1
            elif kind == "COMMA" and depth == 0:
                return j + 1
        return 0

    def _last(self, n: int = 1) -> list[str]:
        return [t.type for t in self.tokens[-n:]]

    # ------------------------------------------------------------------------------- what comes next

    def everything(self, accepts: set[str]) -> tuple[list[Suggestion], str | None]:
        found: list[Suggestion] = []
        wants = None
        call = self.frames[-1] if self.frames and self.frames[-1].kind == "call" else None
        last = self._last()[0] if self.tokens else None
        at_argument = call is not None and last in ("LPAR", "COMMA", "COLON")
        if at_argument and call is not None and call.function is not None:
            values, wants = self._argument_values(call)
            found += values
            if last != "COLON":
                found += self._parameters(call)
        elif "STRING" in accepts or "NUMBER" in accepts:
            values, wants = self.values("")
            found += values
        # Names are offered where a condition or an operand starts, but not as a function's argument nor
        # where the field compared with has values to offer (`quality =` wants "vip", not another field).
        if "NAME" in accepts and not at_argument and not (found and self._subject() is not None):
            found += [_field_suggestion(f) for f in self.schema.fields.values()]
            found += [_function_suggestion(f) for f in self.schema.functions.values()]
        if "COMPARE" in accepts:
            found += self._operators(accepts)
        elif "NOT" in accepts:
            found.append(Suggestion("not", "keyword", "negates a condition"))
        for terminal in ("AND", "OR", "ORDER", "LIMIT", "ASC", "DESC", "AGO"):
            if terminal in accepts:
                found += [Suggestion(word, "keyword", meta) for word, meta in _KEYWORDS[terminal]]
        if "BY" in accepts and self._last() == ["ORDER"]:
            found.append(Suggestion("by", "keyword"))
        if "WITH" in accepts:
            found.append(Suggestion("with", "keyword"))
        if "SET" in accepts:
            found.append(Suggestion("set", "keyword", "has a value"))
        return found, wants

    def number_words(self, accepts: set[str], digits: str) -> list[Suggestion]:
        """After digits: the number with each duration unit where a duration is expected (a window), or
        `Nd ago` where a timestamp is compared; nothing where a plain number fits (`opens(6mo) >= 3`)."""
        if "DURATION" not in accepts or not digits.isdigit():
            return []
        durations = [Suggestion(f"{digits}{unit}", "value", f"{digits} {meaning}") for unit, meaning in _UNITS]
        call = self.frames[-1] if self.frames and self.frames[-1].kind == "call" else None
        if call is not None and call.function is not None:
            name = self._current_parameter(call)
            param = call.function.param(name) if name else None
            return durations if param is not None and param.kind == "duration" else []
        if self.tokens and self.tokens[-1].type == "WITHIN":
            return durations
        if len(self.tokens) >= 2 and self.tokens[-1].type in ("COMPARE", "BETWEEN", "AND"):
            subject = self.schema.fields.get(self.tokens[-2].value.lower()) \
                if self.tokens[-2].type == "NAME" else None
            if self.tokens[-1].type == "AND":
                subject = self._between_subject()
            if subject is not None and subject.type is Type.TIMESTAMP:
                return [Suggestion(f"{d.text} ago", "value", f"{d.meta} before the as-of instant")
                        for d in durations]
        return []

    def _between_subject(self) -> Field | None:
        """`x between LOW and`: the field x."""
        tokens = self.tokens
        for j in range(len(tokens) - 2, 0, -1):
            if tokens[j].type == "BETWEEN":
                start = j - 1 - (tokens[j - 1].type == "NOT")
                return self.schema.fields.get(tokens[start].value.lower()) if tokens[start].type == "NAME" else None
            if tokens[j].type in ("AND", "OR", "LPAR", "RPAR"):
                return None
        return None

    # -------------------------------------------------------------------------------------- operators

    def _operand_type(self) -> tuple[Type | None, bool]:
        """The type of the operand that ends at the cursor, and whether a comparison already precedes it."""
        if not self.tokens:
            return None, False
        last = self.tokens[-1]
        kind: Type | None = None
        if last.type == "NAME":
            entry = self.schema.lookup(last.value.lower())
            kind = entry.type if isinstance(entry, Field) else entry.returns if isinstance(entry, Function) else None
        elif last.type == "RPAR":
            start = self._opening(len(self.tokens) - 1)
            if start is not None and start > 0 and self.tokens[start - 1].type == "NAME":
                function = self.schema.functions.get(self.tokens[start - 1].value.lower())
                kind = function.returns if function else None
        elif last.type == "DURATION":
            kind = Type.DURATION
        else:
            kind = _LITERAL_TYPES.get(last.type)
        compared = False
        depth = 0
        for token in reversed(self.tokens):
            if token.type in ("RPAR", "RSQB"):
                depth += 1
            elif token.type in ("LPAR", "LSQB"):
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and token.type in ("AND", "OR", "AMPERSANDS", "PIPES"):
                break
            elif depth == 0 and token.type in ("COMPARE", "BETWEEN", "IN", "CONTAINS", "WITH", "WITHIN"):
                compared = True
                break
        return kind, compared

    def _opening(self, index: int) -> int | None:
        depth = 0
        for j in range(index, -1, -1):
            kind = self.tokens[j].type
            if kind in ("RPAR", "RSQB"):
                depth += 1
            elif kind in ("LPAR", "LSQB"):
                depth -= 1
                if depth == 0:
                    return j
        return None

    def _operators(self, accepts: set[str]) -> list[Suggestion]:
        kind, _compared = self._operand_type()
        operators = _OPERATORS.get(kind, _OPERATORS[None])
        found = []
        for operator in operators:
            first = operator.split()[0]
            terminal = _OPERATOR_TERMINAL.get(first, "COMPARE")
            if terminal in accepts:
                found.append(Suggestion(operator, "operator", _OPERATOR_META.get(operator, "")))
        if kind is Type.NUMBER and "PLUS" in accepts:
            found += [Suggestion(op, "operator", "arithmetic") for op in _ARITHMETIC]
        return found

    # ------------------------------------------------------------------------------------------ values

    def _subject(self) -> Field | None:
        """The field a value at the cursor is compared with: `quality =`, `quality in [..,`, `tags contains`."""
        tokens = self.tokens
        i = len(tokens) - 1
        if self.frames and self.frames[-1].kind == "list":
            # inside `x in [ ... ]`: step back to the bracket
            opening = next((j for j in range(i, -1, -1) if tokens[j].type == "LSQB"), None)
            if opening is None:
                return None
            i = opening - 1
        while i >= 0 and tokens[i].type in ("COMPARE", "IN", "NOT", "CONTAINS", "STARTS", "ENDS", "WITH"):
            i -= 1
        if i == len(tokens) - 1 or i < 0 or tokens[i].type != "NAME":
            return None
        entry = self.schema.fields.get(tokens[i].value.lower())
        return entry

    def values(self, quote: str) -> tuple[list[Suggestion], str | None]:
        """Values for a literal at the cursor: enum values, known values of a field, a parameter's.

        `quote` is the quote the user opened, or "" when no text literal is open yet."""
        call = self.frames[-1] if self.frames and self.frames[-1].kind == "call" else None
        if call is not None and call.function is not None:
            return self._argument_values(call, quote)
        subject = self._subject()
        if subject is None:
            return [], None
        if subject.values:
            return [Suggestion(_quoted(v, quote), "value", f"{subject.name} value") for v in subject.values], None
        if subject.type in (Type.TEXT, Type.TEXT_LIST):
            known = self.known.values(subject.name)
            return [Suggestion(_quoted(v, quote), "value", f"{subject.name} in the store") for v in known], \
                subject.name
        return [], None

    def _current_parameter(self, call: _Frame) -> str | None:
        tokens = self.tokens
        if len(tokens) >= 2 and tokens[-1].type == "COLON" and tokens[-2].type in ("NAME", "WITHIN"):
            return tokens[-2].value.lower()
        if tokens and tokens[-1].type not in ("LPAR", "COMMA"):
            return None
        assert call.function is not None
        params = call.function.params
        if call.named:
            return None  # positional after named is an error; offer the names instead
        return params[call.positional].name if call.positional < len(params) else None

    def _argument_values(self, call: _Frame, quote: str = "") -> tuple[list[Suggestion], str | None]:
        function = call.function
        assert function is not None
        name = self._current_parameter(call)
        param = function.param(name) if name else None
        if param is None:
            return [], None
        if function.measure in ("in_list", "in_segment"):
            names = self.known.lists() if function.measure == "in_list" else self.known.segments()
            kind = "list" if function.measure == "in_list" else "segment"
            return [Suggestion(_quoted(n, quote), kind, kind) for n in names], None
        if param.kind == "duration":
            return ([] if quote else [Suggestion(text, "value", meta) for text, meta in _DURATIONS]), None
        if param.kind == "month":
            return [Suggestion(_quoted(m.capitalize(), quote), "value", "month") for m in MONTHS], None
        topic = f"param:{param.name}"
        return [Suggestion(_quoted(v, quote), "value", f"{param.name} in the store")
                for v in self.known.values(topic)], topic

    def _parameters(self, call: _Frame) -> list[Suggestion]:
        assert call.function is not None
        given = set(call.named)
        given.update(p.name for p in call.function.params[: call.positional])
        return [Suggestion(f"{p.name}: ", "argument", p.description, f"{p.name}:")
                for p in call.function.params if p.name not in given]
