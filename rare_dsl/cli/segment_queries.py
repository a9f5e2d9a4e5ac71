"""`rare count`, `rare sample`, `rare explain` and `rare breakdown`: what a rule selects on the store.

The answers come from `rare_dsl.store.queries`, which the REPL uses too; this module reads the RULE
argument (rule text, or the name of a segment of the project's rule files), opens the store read-only and
prints. The text layouts of `explain` and `breakdown` (`explain_lines`, `breakdown_lines`) and the cells
of a sample are shared with the REPL's `:explain`, `:breakdown` and `:sample`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

from rare_dsl.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_as_of_option,
    add_schema_option,
    as_of_option,
    echo,
    file_errors,
    load_schema_option,
    project_settings,
    read_rule_files,
    undecodable_rule,
)
from rare_dsl.cli.store_options import add_db_option, open_store, reports_store_errors
from rare_dsl.diagnostics import RuleError, render, suggest, use_color
from rare_dsl.store.shares import contacts, percent

if TYPE_CHECKING:
    from rare_dsl.schema import Schema
    from rare_dsl.settings import Settings
    from rare_dsl.store.queries import Breakdown, Explanation, Sample, SegmentQueries
    from rare_dsl.typed import CheckedRule, CheckedSegment

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
BAR_WIDTH = 30


def register(commands: argparse._SubParsersAction) -> None:
    _command(commands, "count", "how many contacts match a rule, and their share of all contacts", _count)
    sample = _command(commands, "sample", "some contacts that match a rule, with the values the rule looks at",
                      _sample)
    sample.add_argument("-n", "--limit", type=int, default=10, metavar="N", help="how many contacts; default 10")
    _command(commands, "explain", "how many contacts remain after each clause of a rule", _explain)
    breakdown = _command(commands, "breakdown", "a bar chart of a rule's contacts by a field", _breakdown)
    breakdown.add_argument("--by", required=True, metavar="FIELD",
                           help="a field: country, quality, city, tags, created_at, total_spent, order_count…")
    add_breakdown_options(breakdown)


def add_breakdown_options(parser: argparse.ArgumentParser) -> None:
    """`--top`, `--bucket` and `--bins`: the options of `rare breakdown`, and of the REPL's `:breakdown`."""
    from rare_dsl.store.defaults import BREAKDOWN_BINS, BREAKDOWN_MAX_ROWS, BREAKDOWN_TOP, BUCKETS

    parser.add_argument("--top", type=int, default=BREAKDOWN_TOP, metavar="N",
                        help=f"values (or tags) shown before `other`; default {BREAKDOWN_TOP}")
    parser.add_argument("--bucket", choices=BUCKETS, default=None,
                        help="a timestamp by day, week, month or year; default: the finest giving "
                             f"{BREAKDOWN_MAX_ROWS} rows or fewer")
    parser.add_argument("--bins", type=int, default=None, metavar="N",
                        help=f"a number in about N ranges with round edges (0–50, 50–100); default {BREAKDOWN_BINS}")


def _command(commands: argparse._SubParsersAction, name: str, help_text: str,
             run: Callable[[argparse.Namespace, Question], int]) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
    parser.add_argument("rule", nargs="?", metavar="RULE",
                        help="a rule, or the name of a segment of the project's rule files (`paths` in rare.toml)")
    parser.add_argument("-e", "--expression", dest="expression", metavar="RULE",
                        help="the rule, given as an option (for a rule that starts with `-`)")
    add_db_option(parser)
    add_as_of_option(parser)
    add_schema_option(parser)
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    parser.set_defaults(run=reports_store_errors(lambda args: _ask(args, run)))
    return parser


# ------------------------------------------------------------------------------------------------ the rule


@dataclass(frozen=True)
class Resolved:
    """A RULE argument checked: the rule, the segments `in_segment` may name, and the segment's name when
    the argument named one."""

    rule: CheckedRule
    segments: dict[str, CheckedSegment]
    name: str | None = None


def resolve_rule(text: str, schema: Schema, settings: Settings | None = None) -> Resolved:
    """Rule text or a segment name: a name of a segment of the project's rule files (settings `paths`) is
    that segment; anything else is checked as a rule, with the project's segments for `in_segment`.
    Raises RuleError (the rule's errors, or the rule files' when the rule needs them)."""
    from rare_dsl.check import check, check_project

    undecodable = undecodable_rule(text)
    if undecodable:
        raise RuleError([undecodable])
    settings = settings if settings is not None else project_settings()
    segments: dict[str, CheckedSegment] = {}
    wanted = text.strip()
    if settings.paths:
        files, problems = read_rule_files(settings.display_paths())
        unreadable = file_errors(problems)
        try:
            if unreadable:
                raise RuleError(unreadable)
            segments = dict(check_project(files, schema).segments)
        except RuleError:
            # Broken rule files matter only to a rule that needs their segments.
            if _NAME.fullmatch(wanted) or "in_segment" in text:
                raise
    if wanted in segments:
        return Resolved(segments[wanted].rule, segments, wanted)
    try:
        return Resolved(check(text, schema, segments=list(segments)), segments)
    except RuleError as error:
        if _NAME.fullmatch(wanted):
            raise RuleError([_with_segment_hint(d, wanted, settings, segments) for d in error.diagnostics]) from None
        raise


def _with_segment_hint(diagnostic: Any, name: str, settings: Settings, segments: dict[str, Any]) -> Any:
    """RD101 for a bare name: it may have been meant as a segment; say which one is close, or where
    segment names come from."""
    if diagnostic.code != "RD101":
        return diagnostic
    close = suggest(name, list(segments))
    if close:
        where = f"did you mean the segment `{close}`?"
    elif settings.paths:
        where = f"no segment `{name}` in {', '.join(settings.display_paths())}"
    else:
        where = "segment names come from the rule files of `paths` in rare.toml or [tool.rare], and none is set"
    return dataclasses.replace(diagnostic, hints=(*diagnostic.hints, where))


@dataclass(frozen=True)
class Question:
    """What every one of these commands works from: the store's queries, the rule, the instant."""

    queries: SegmentQueries
    resolved: Resolved
    as_of: dt.datetime | None

    @property
    def rule(self) -> CheckedRule:
        return self.resolved.rule

    @property
    def segments(self) -> dict[str, CheckedSegment]:
        return self.resolved.segments


def _ask(args: argparse.Namespace, run: Callable[[argparse.Namespace, Question], int]) -> int:
    """Check the options and the rule, open the store read-only, then run the command."""
    from rare_dsl.store.queries import SegmentQueries

    text = _rule_text(args)
    as_of = as_of_option(args.as_of)
    try:
        settings = project_settings()
        schema = load_schema_option(args, settings)
        resolved = resolve_rule(text, schema, settings)
    except RuleError as error:
        return print_diagnostics(args, error)
    with open_store(args, write=False, schema=schema) as store:
        queries = SegmentQueries(store)
        warnings = _warnings(text, resolved, schema, queries)
        if warnings:
            print(render(warnings, color=use_color(sys.stderr)), end="", file=sys.stderr)
        return run(args, Question(queries, resolved, as_of))


def _warnings(text: str, resolved: Resolved, schema: Schema, queries: Any) -> Sequence[Any]:
    """The rule's warnings with those only the data can give (RW404, a value no contact has), as the REPL
    shows them. A rule typed here is checked again with the store's values, so its `# rare: ignore[...]`
    comments apply; a named segment was checked with its file, and gets the store's warnings added."""
    from rare_dsl.check import check
    from rare_dsl.lint import STORE_LINTS, lint

    values = queries.known_values()
    if resolved.name is None:
        return check(text, schema, segments=list(resolved.segments), values=values).warnings
    found = [d for d in lint(resolved.rule, values) if d.code in STORE_LINTS]
    return sorted([*resolved.rule.warnings, *found], key=lambda d: (d.span.start, d.code) if d.span else (-1, d.code))


def _rule_text(args: argparse.Namespace) -> str:
    if args.rule is not None and args.expression is not None:
        raise UsageError("give the rule once: as RULE or with -e RULE")
    text = args.rule if args.rule is not None else args.expression
    if text is None or not text.strip():
        raise UsageError("give a rule, e.g. `rare count 'country = \"France\"'`, or a segment name")
    return text


def print_diagnostics(args: argparse.Namespace, error: RuleError) -> int:
    """A rule's errors, as text or (`--format json`) a `diagnostics` record; exit 1."""
    if args.format == "json":
        echo(json.dumps({"diagnostics": [d.to_dict() for d in error.diagnostics]}, indent=2, ensure_ascii=False))
    else:
        echo(render(error.diagnostics, color=use_color(sys.stdout)), end="")
    return EXIT_FAILED


# ------------------------------------------------------------------------------------------------ commands


def _count(args: argparse.Namespace, question: Question) -> int:
    found = question.queries.count(question.rule, question.as_of, segments=question.segments)
    if args.format == "json":
        _json({"count": found.matching, "total": found.total, "as_of": instant(found.as_of)})
    else:
        echo(found.of_total())
    return EXIT_OK


def _sample(args: argparse.Namespace, question: Question) -> int:
    if args.limit < 1:
        raise UsageError("-n takes 1 or more contacts")
    queries, rule = question.queries, question.rule
    found = queries.sample(rule, args.limit, question.as_of, segments=question.segments)
    matching = queries.count(rule, question.as_of, segments=question.segments).matching
    if args.format == "json":
        shown = [{column: plain(value) for column, value in zip(found.columns, row, strict=True)}
                 for row in found.rows]
        _json({"count": matching, "shown": len(found.rows), "as_of": instant(question.as_of),
               "columns": list(found.columns), "contacts": shown})
        return EXIT_OK
    if not found.rows:
        echo("No contact matches the rule.")
        return EXIT_OK
    from rich.console import Console
    from rich.measure import Measurement

    table = sample_table(found)
    console = Console(highlight=False)
    if not console.is_terminal:
        # Piped or redirected: rich would assume 80 columns and cut cells; give the table the width it needs.
        needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
        console = Console(highlight=False, width=max(80, needed))
    console.print(table)
    echo(f"{len(found.rows):,} of {matching:,} matching contacts" + (" (-n shows more)" if matching > len(found.rows)
                                                                    else "") + ".")
    return EXIT_OK


def _explain(args: argparse.Namespace, question: Question) -> int:
    found = question.queries.explain(question.rule, question.as_of, segments=question.segments)
    if args.format == "json":
        steps = [{"clause": s.clause, "depth": s.depth, "remaining": s.remaining,
                  "share": round(s.remaining / found.total, 6) if found.total else 0.0, "brings": s.brings}
                 for s in found.steps]
        _json({"steps": steps, "total": found.total, "as_of": instant(found.as_of)})
        return EXIT_OK
    for line in explain_lines(found):
        echo(line)
    return EXIT_OK


def _breakdown(args: argparse.Namespace, question: Question) -> int:
    found = question.queries.breakdown(question.rule, args.by, question.as_of, top=args.top, bucket=args.bucket,
                                       bins=args.bins, segments=question.segments)
    if args.format == "json":
        _json({"field": found.field, "kind": found.kind, **({"bucket": found.bucket} if found.bucket else {}),
               "count": found.matching, "as_of": instant(found.as_of),
               "values": [breakdown_row(found, value, n) for value, n in found.top],
               "other": found.other, "missing": found.missing})
        return EXIT_OK
    for line in breakdown_lines(found):
        echo(line)
    return EXIT_OK


def _json(payload: dict[str, Any]) -> None:
    echo(json.dumps(payload, indent=2, ensure_ascii=False))


# ------------------------------------------------------------------------------------ shared with the REPL


def explain_lines(explanation: Explanation) -> list[str]:
    """`explain` as aligned lines: each clause, the contacts remaining and their share; a branch of an `or`
    also shows how many contacts it adds (`+556`)."""
    if not explanation.steps:
        return []
    labels = ["    " * step.depth + step.clause for step in explanation.steps]
    width = max(len(label) for label in labels)
    total = explanation.total
    lines = []
    for label, step in zip(labels, explanation.steps, strict=True):
        line = f"  {label:<{width}}  {step.remaining:>10,}  {percent(step.remaining, total):>6}"
        if step.brings is not None:
            line += f"  +{step.brings:,} new"
        lines.append(line)
    return lines


class _Options(argparse.ArgumentParser):
    """The REPL's `:breakdown` options, read by the same declarations as `rare breakdown`'s; a mistake is a
    ValueError with argparse's message, never an exit."""

    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


def breakdown_request(argument: str) -> argparse.Namespace:
    """`FIELD [--bucket B] [--bins N] [--top N]` of the REPL's `:breakdown`: `by`, `top`, `bucket`, `bins`."""
    import shlex

    parser = _Options(prog=":breakdown", add_help=False)
    parser.add_argument("by", metavar="FIELD")
    add_breakdown_options(parser)
    try:
        words = shlex.split(argument)
    except ValueError as error:
        raise ValueError(str(error).lower()) from None
    if not words:
        raise ValueError("give a field")
    return parser.parse_args(words)


def breakdown_lines(breakdown: Breakdown) -> list[str]:
    """`breakdown` as a bar chart: each value (tag, time bucket, range), its contacts and share, a bar; then
    other and missing. Time buckets and ranges are shown in order, empty ones too."""
    from rare_dsl.store.breakdown import label as shown

    if not breakdown.matching:
        return ["No contact matches the rule."]
    rows = [(shown(value, breakdown.bucket), n) for value, n in breakdown.top]
    if breakdown.other:
        rows.append(("(other tags)" if breakdown.kind == "tags" else "(other values)", breakdown.other))
    if breakdown.missing:
        rows.append(("(no tag)" if breakdown.kind == "tags" else "(missing)", breakdown.missing))
    if not rows:
        return [f"{contacts(breakdown.matching)} by {breakdown.field}: none has one."]
    width = max(len(label) for label, _ in rows)
    largest = max(n for _, n in rows)
    how = {"tags": " (a contact counts under each of its tags)", "time": f", by {breakdown.bucket}"}.get(
        breakdown.kind, "")
    if breakdown.kind == "ranges" and breakdown.top:
        first = breakdown.top[0][0]
        how = f", in ranges of {shown(first.high - first.low)}"
    lines = [f"{contacts(breakdown.matching)} by {breakdown.field}{how}:"]
    for label, n in rows:
        lines.append(f"  {label:<{width}}  {n:>9,}  {percent(n, breakdown.matching):>6}  {bar(n, largest)}")
    return lines


def breakdown_row(breakdown: Breakdown, value: Any, contacts: int) -> dict[str, Any]:
    """A row of `breakdown --format json`: the value as the chart shows it, a time bucket's first day, a
    range's edges (numbers: decimals are exact in JSON text)."""
    from rare_dsl.store.breakdown import Range, label

    row: dict[str, Any] = {"value": plain(value)}
    if breakdown.kind == "time":
        row = {"value": label(value, breakdown.bucket), "from": value.isoformat()}
    elif isinstance(value, Range):
        row = {"value": str(value), "from": _edge(value.low), "to": None if value.high is None else _edge(value.high)}
    return {**row, "contacts": contacts}


def _edge(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def bar(value: int, largest: int, width: int = BAR_WIDTH) -> str:
    """A horizontal bar in eighths of a character, `width` long for the largest value."""
    if largest <= 0:
        return ""
    eighths = round(value / largest * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + ("" if rest == 0 else " ▏▎▍▌▋▊▉"[rest])


def sample_table(sample: Sample) -> Any:
    """A rich table of a sample, each value as `cell` shows it."""
    from rich.table import Table

    table = Table()
    for index, column in enumerate(sample.columns):
        values = [row[index] for row in sample.rows if row[index] is not None]
        numeric = index > 0 and bool(values) and all(isinstance(v, int | float | Decimal) and not isinstance(v, bool)
                                                      for v in values)
        table.add_column(column, justify="right" if numeric else "left")
    for row in sample.rows:
        table.add_row(*(cell(value) for value in row))
    return table


def cell(value: Any) -> str:
    """A value for a person: nothing for missing, yes/no, a timestamp to the minute (second when it has
    one), two decimals for money and other fractions."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, float | Decimal):
        return f"{value:.2f}"
    return str(value)


def plain(value: Any) -> Any:
    """A value for JSON: timestamps as ISO 8601 in UTC, decimals as numbers."""
    if isinstance(value, dt.datetime):
        return instant(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def instant(value: dt.datetime | None) -> str | None:
    """An instant as `2026-08-31T00:00:00Z`; None stays None (live mode)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"

