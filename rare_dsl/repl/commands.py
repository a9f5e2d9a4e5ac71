"""The REPL's `:commands`: one registry, which also writes `:help` and feeds completion of command names.

Each command is a function `(repl, argument text) -> None` registered with `@command`. Only `:quit` ends
the session, by raising `EndSession`: a command that fails says why and the session goes on, whatever it
returns. A command whose backend is missing says so in one line.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rare_dsl.diagnostics import RuleError, suggest
from rare_dsl.schema.model import KEYWORDS
from rare_dsl.store.shares import percent

if TYPE_CHECKING:
    from rare_dsl.repl.session import Repl


@dataclass(frozen=True)
class Command:
    name: str  # with its colon: ":sql"
    usage: str  # the arguments, e.g. "[dialect]"
    summary: str
    run: Callable[[Repl, str], None]


class EndSession(Exception):
    """Raised by `:quit`: the one way a command ends the session."""


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, summary: str) -> Callable[[Callable[[Repl, str], Any]], Callable[..., Any]]:
    def register(function: Callable[[Repl, str], Any]) -> Callable[[Repl, str], Any]:
        COMMANDS[name] = Command(name, usage, summary, function)
        return function

    return register


def run_command(repl: Repl, line: str) -> bool:
    """Run `:name arguments`; False when the session should end."""
    name, _, argument = line.strip().partition(" ")
    found = COMMANDS.get(name.lower())
    if found is None:
        close = suggest(name, list(COMMANDS))
        hint = f" Did you mean `{close}`?" if close else ""
        repl.say(f"Unknown command `{name}`.{hint} `:help` lists the commands.", style="red")
        return True
    try:
        found.run(repl, argument.strip())
    except EndSession:
        return False
    except ValueError as error:  # shlex: an unclosed quote in the arguments
        repl.say(f"{found.name}: {error}. Usage: {found.name} {found.usage}".rstrip(), style="red")
    return True


def help_text() -> str:
    width = max(len(f"{c.name} {c.usage}".strip()) for c in COMMANDS.values())
    lines = ["Type a rule and press Enter to count it; Tab completes; Alt-Enter adds a line.", ""]
    lines += [f"  {f'{c.name} {c.usage}'.strip():<{width}}  {c.summary}" for c in COMMANDS.values()]
    lines += ["", "Keys: Ctrl-R searches the history, → accepts a suggestion, Ctrl-C cancels, Ctrl-D exits."]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------- helpers


def _rule(repl: Repl) -> Any:
    """The last rule run, checked, or None after saying why there is none."""
    if repl.last_rule is None:
        repl.say("No rule yet: type a rule and press Enter first.", style="yellow")
        return None
    checked = repl.check(repl.last_rule)
    if checked.rule is None:
        repl.print_diagnostics(checked.diagnostics)
        return None
    return checked.rule


def _compiler_ready(repl: Repl) -> bool:
    try:
        import rare_dsl.compiler  # noqa: F401
    except ImportError:
        repl.say("The SQL compiler is not part of this build yet.", style="yellow")
        return False
    return True


def _compiled(repl: Repl, dialect: str = "duckdb") -> Any:
    rule = _rule(repl)
    if rule is None or not _compiler_ready(repl):
        return None
    try:
        return repl.compile(rule, dialect)
    except RuleError as error:
        repl.print_diagnostics(error.diagnostics)
    except Exception as error:  # UnsupportedDialect and friends carry their own message
        repl.say(f"Cannot compile for {dialect}: {error}", style="red")
    return None


def parse_as_of(text: str) -> dt.datetime | None:
    """`now` (None), a date (its start, 00:00 UTC) or an ISO timestamp; aware, in UTC."""
    text = text.strip()
    if text.lower() == "now":
        return None
    value = dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


# ---------------------------------------------------------------------------------------------- commands


@command(":help", "", "this list")
def _help(repl: Repl, argument: str) -> None:
    repl.say(help_text())


@command(":sql", "[dialect]", "the SQL of the last rule (in the session's dialect by default)")
def _sql(repl: Repl, argument: str) -> None:
    dialect = argument or repl.settings.dialect
    compiled = _compiled(repl, dialect)
    if compiled is not None:
        repl.say(compiled.expression.sql(dialect=compiled.dialect, pretty=True))


@command(":dialect", "D", "the SQL dialect `:sql` prints (any sqlglot dialect)")
def _dialect(repl: Repl, argument: str) -> None:
    if not argument:
        repl.say(f"The dialect is {repl.settings.dialect}.")
        return
    if _compiler_ready(repl):
        from rare_dsl.compiler import dialects

        known = dialects()
        if argument.lower() not in known:
            close = suggest(argument, known)
            hint = f" Did you mean `{close}`?" if close else ""
            repl.say(f"Unknown dialect `{argument}`.{hint}", style="red")
            return
    repl.settings.dialect = argument.lower()
    repl.say(f"The dialect is now {repl.settings.dialect}.")


@command(":sample", "[N]", "N contacts of the last rule (default 10), with the values the rule looks at")
def _sample(repl: Repl, argument: str) -> None:
    try:
        limit = int(argument or 10)
    except ValueError:
        limit = 0
    if limit < 1:
        repl.say("Usage: :sample [N], N a number of contacts", style="red")
        return
    rule = _rule(repl)
    if rule is None or not _compiler_ready(repl):
        return
    found = repl.query(lambda cursor: repl.queries().sample(rule, limit, repl.settings.as_of,
                                                            segments=repl.segments, cursor=cursor))
    if found is None:
        return
    if not found.rows:
        repl.say("No contact matches the rule.")
        return
    from rare_dsl.cli.segment_queries import sample_table

    repl.console.print(sample_table(found))


@command(":explain", "", "how many contacts survive each `and` clause of the last rule, and each `or` brings")
def _explain(repl: Repl, argument: str) -> None:
    rule = _rule(repl)
    if rule is None or not _compiler_ready(repl):
        return
    found = repl.query(lambda cursor: repl.queries().explain(rule, repl.settings.as_of, segments=repl.segments,
                                                             cursor=cursor))
    if found is None:
        return
    from rare_dsl.cli.segment_queries import explain_lines

    for line in explain_lines(found):
        repl.say(line)


@command(":breakdown", "FIELD [--bucket B] [--bins N] [--top N]",
         "a bar chart of the last rule's contacts by a field: values, tags, time buckets or ranges")
def _breakdown(repl: Repl, argument: str) -> None:
    from rare_dsl.cli.segment_queries import breakdown_request
    from rare_dsl.store.breakdown import breakdown_field, check_options
    from rare_dsl.store.errors import StoreError

    try:
        request = breakdown_request(argument)
        field = breakdown_field(repl.settings.schema, request.by)
        check_options(field, bucket=request.bucket, bins=request.bins, top=request.top)
    except (StoreError, ValueError) as error:
        text = error.message if isinstance(error, StoreError) else str(error)
        hint = error.hint if isinstance(error, StoreError) else None
        message = f"Usage: :breakdown FIELD [--bucket B] [--bins N] [--top N]. {text[0].upper()}{text[1:]}"
        message += f"; {hint}" if hint else ""
        repl.say(message if message.endswith(("?", ".")) else message + ".", style="red")
        return
    rule = _rule(repl)
    if rule is None or not _compiler_ready(repl):
        return
    found = repl.query(lambda cursor: repl.queries().breakdown(
        rule, field.name, repl.settings.as_of, top=request.top, bucket=request.bucket, bins=request.bins,
        segments=repl.segments, cursor=cursor))
    if found is None:
        return
    from rare_dsl.cli.segment_queries import breakdown_lines

    for line in breakdown_lines(found):
        repl.say(line)


@command(":as-of", "T|now", "evaluate rules at an instant (2026-01-31 or 2026-01-31T09:30:00Z) or now")
def _as_of(repl: Repl, argument: str) -> None:
    if not argument:
        shown = repl.settings.as_of.isoformat() if repl.settings.as_of else "now"
        repl.say(f"Rules are evaluated as of {shown}.")
        return
    try:
        repl.settings.as_of = parse_as_of(argument)
    except ValueError:
        repl.say(f"`{argument}` is not a date or timestamp; write 2026-01-31, 2026-01-31T09:30:00Z or now.",
                 style="red")
        return
    shown = repl.settings.as_of.isoformat() if repl.settings.as_of else "now"
    repl.say(f"Rules are now evaluated as of {shown}.")
    if repl.settings.as_of is not None and repl.database is not None:
        # The contacts created since do not exist then (SPEC 8.4): the shares that follow are of fewer.
        size = repl.query(repl.size)
        if size is not None:
            repl.say(f"The store has {size}.")
    repl.live.update("")  # the preview's count is stale


@command(":fields", "[category]", "the fields and functions rules can use")
def _fields(repl: Repl, argument: str) -> None:
    from rare_dsl.cli.common import UsageError
    from rare_dsl.cli.fields import _category
    from rare_dsl.schema import Field
    from rare_dsl.types import Category

    groups = repl.settings.schema.by_category()
    if argument:
        try:
            wanted = _category(argument, Category)
        except UsageError as error:
            repl.say(str(error), style="red")
            return
        groups = {wanted: groups.get(wanted, [])}
    for category, entries in groups.items():
        repl.say(category.title, style="bold")
        for entry in entries:
            usage = entry.name if isinstance(entry, Field) else entry.signature()
            kind = entry.type if isinstance(entry, Field) else entry.returns
            values = f" ({', '.join(entry.values)})" if getattr(entry, "values", ()) else ""
            repl.say(f"  {usage:<44} {kind.value:<12} {entry.description}{values}")


@command(":lists", "", "the lists of the store and their sizes")
def _lists(repl: Repl, argument: str) -> None:
    rows = repl.query(lambda cursor: repl.queries().lists(cursor=cursor))
    if rows is None:
        return
    if not rows:
        repl.say("The store has no lists.")
    for name, members in rows:
        repl.say(f"  {name}  ({members:,} contacts)")


@command(":segments", "[FILE]", "the loaded segments (loading FILE first), with their counts")
def _segments(repl: Repl, argument: str) -> None:
    if argument and not _load(repl, argument):
        return
    if not repl.segments:
        repl.say("No segments loaded: `:load FILE` loads a rule file.")
        return
    counting = repl.database is not None and _compiler_ready(repl)
    rows: list[tuple[str, str, Any]] = []
    for name, segment in repl.segments.items():
        file, line = segment.location
        count = None
        if counting:
            count = repl.query(lambda cursor, rule=segment.rule: repl.count(rule, cursor))
            if count is None:
                return
        rows.append((name, f"{_shown_path(file)}:{line}", count))
    # Columns padded to their widest entry: the name, where it is defined, then its count and share.
    names = max(len(name) for name, _, _ in rows)
    places = max(len(place) for _, place, _ in rows)
    numbers = max((len(f"{count.matching:,}") for _, _, count in rows if count is not None), default=0)
    for name, place, count in rows:
        line = f"  {name:<{names}}  {place:<{places}}"
        if count is not None:
            line += f"  {count.matching:>{numbers},} contacts  {percent(count.matching, count.total):>6}"
        repl.say(line.rstrip())


def _shown_path(file: str) -> str:
    """A rule file as the user would type it: relative to the working folder when it is inside it (the
    files a loaded file uses are found by absolute path)."""
    path = Path(file)
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return file
    return file


@command(":load", "FILE", "load a rule file's segments, for `in_segment`")
def _load(repl: Repl, argument: str) -> bool:
    from rare_dsl.cli.common import read_rule_files

    paths = shlex.split(argument)
    if not paths:
        repl.say("Usage: :load FILE", style="red")
        return False
    files, problems = read_rule_files(paths)
    if problems:
        repl.print_diagnostics(problems)
    if any(d.is_error for d in problems):
        return False
    try:
        count = repl.load_segments(files)
        used: list[tuple[str, str]] = []
    except RuleError as error:
        # Segments that use segments of other files: load those from the configured rule paths and the
        # files' own folders, once, and report the other errors as they are.
        used = _files_used(repl, files) if any(d.code == "RD106" for d in error.diagnostics) else []
        try:
            count = repl.load_segments([*used, *files]) if used else None
        except RuleError:
            count = None
        if count is None:
            repl.print_diagnostics(error.diagnostics)
            return False
    also = f" (and {len(used)} file{'s' * (len(used) != 1)} they use)" if used else ""
    repl.say(f"Loaded {len(files)} file{'s' * (len(files) != 1)}{also}: {count} segments in all.")
    return True  # `:segments FILE` lists the segments only after a load that worked


def _files_used(repl: Repl, files: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The other rule files of the configured paths and of the loaded files' folders."""
    from rare_dsl.cli.common import read_rule_files

    folders = {str(Path(name).parent) for _, name in files}
    places = [*(str(p) for p in repl.settings.rule_paths), *sorted(folders)]
    found, _ = read_rule_files(places)
    asked = {str(Path(name).resolve()) for _, name in files}
    seen: set[str] = set()
    others = []
    for text, name in found:
        key = str(Path(name).resolve())
        if key not in asked and key not in seen:
            seen.add(key)
            others.append((text, name))
    return others


@command(":save", "NAME FILE", "append the last rule to a rule file as segment NAME")
def _save(repl: Repl, argument: str) -> None:
    parts = shlex.split(argument)
    if len(parts) != 2:
        repl.say("Usage: :save NAME FILE", style="red")
        return
    name, file = parts
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or name in KEYWORDS:
        repl.say(f"`{name}` cannot name a segment: use lower-case letters, digits and _ (e.g. french_vips).",
                 style="red")
        return
    if repl.last_rule is None or _rule(repl) is None:
        return
    block = _segment_block(name, repl.last_rule)
    path = Path(file)
    try:
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
        if f"segment {name}:" in existing:
            repl.say(f"`{file}` already has a segment `{name}`; choose another name.", style="red")
            return
        separator = "" if not existing else ("\n" if existing.endswith("\n") else "\n\n")
        with path.open("a", encoding="utf-8") as out:
            out.write(separator + block)
    except OSError as error:
        repl.say(f"Cannot write `{file}`: {error.strerror or error}", style="red")
        return
    repl.say(f"Saved segment `{name}` to {file}.")


def _segment_block(name: str, rule: str) -> str:
    """`segment NAME:` and the rule below it, formatted by the formatter when this build has one."""
    text = f"segment {name}:\n" + "".join(f"    {line.strip()}\n" for line in rule.strip().splitlines()
                                          if line.strip())
    try:
        from rare_dsl.format import format_file
    except ImportError:
        return text
    try:
        return format_file(text)
    except Exception:
        return text


@command(":db", "URL", "open another store (a path or duckdb:///path)")
def _db(repl: Repl, argument: str) -> None:
    from rare_dsl.repl.database import DatabaseError

    if not argument:
        repl.say(f"The store is {repl.settings.db_target}" + ("" if repl.database else " (not open)") + ".")
        return
    try:
        repl.open(argument)
    except DatabaseError as error:
        repl.say(str(error), style="red")
        return
    size = repl.query(repl.size)
    if size is not None:
        repl.say(f"Opened {argument}: {size}.")


@command(":quit", "", "leave (Ctrl-D too)")
def _quit(repl: Repl, argument: str) -> None:
    raise EndSession
