"""The prompt-toolkit wiring: a `PromptSession` with the lexer, completer, validator, key bindings, toolbar
and history, around a `Repl` that does the work. Nothing here decides what a rule means.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.enums import DEFAULT_BUFFER
from prompt_toolkit.filters import has_focus
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.styles import Style
from prompt_toolkit.validation import ValidationError, Validator

from rare_dsl.diagnostics import Diagnostic, Span
from rare_dsl.repl.commands import COMMANDS
from rare_dsl.repl.completion import is_complete, suggest
from rare_dsl.repl.lexer import STYLE, RuleLexer
from rare_dsl.repl.session import Repl

PROMPT = "rare> "
CONTINUATION = "  ... "
# While typing, the menu opens by itself in a word or after one of these; elsewhere (right after `"vip"` or
# `)`) only Tab opens it.
_OPENERS = ("", " ", "\t", "\n", "(", "[", ",", ":")


def history_path() -> Path:
    """`$RARE_HISTORY`, else `history` in the user's data directory (XDG_DATA_HOME on Linux)."""
    if os.environ.get("RARE_HISTORY"):
        return Path(os.environ["RARE_HISTORY"])
    import platformdirs

    return Path(platformdirs.user_data_dir("rare-dsl", appauthor=False)) / "history"


def file_history() -> History:
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        return FileHistory(str(path))
    except OSError:
        return InMemoryHistory()  # a read-only home must not stop the REPL


# ---------------------------------------------------------------------------------------------- adapters


class ReplCompleter(Completer):
    """Adapts `completion.suggest` (rules) and the command registry (`:commands`) to prompt-toolkit."""

    def __init__(self, repl: Repl):
        self.repl = repl
        self.paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        if text.lstrip().startswith(":"):
            yield from self._command(document, complete_event)
            return
        found = suggest(text, self.repl.settings.schema, self.repl.known)
        if not complete_event.completion_requested and not found.prefix and text[-1:] not in _OPENERS:
            return
        for item in found.suggestions:
            yield Completion(item.text, -len(found.prefix), display=item.shown, display_meta=item.meta)

    def _command(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor.lstrip()
        name, space, argument = text.partition(" ")
        if not space:
            for command in COMMANDS.values():
                if command.name.startswith(name.lower()):
                    yield Completion(command.name, -len(name), display_meta=command.summary)
            return
        choices: list[str] = []
        if name == ":breakdown":
            choices = [f.name for f in self.repl.settings.schema.fields.values()
                       if f.kind in ("attribute", "tags", "aggregate")]
        elif name == ":fields":
            choices = ["customer", "ecommerce", "engagement", "membership"]
        elif name in (":dialect", ":sql"):
            try:
                from rare_dsl.compiler import dialects

                choices = list(dialects())
            except ImportError:
                choices = []
        elif name in (":load", ":segments", ":db") or (name == ":save" and " " in argument.strip()):
            word = argument.rsplit(" ", 1)[-1]
            yield from self.paths.get_completions(Document(word, len(word)), complete_event)
            return
        for choice in choices:
            if choice.startswith(argument.lower()):
                yield Completion(choice, -len(argument))


class RuleValidator(Validator):
    """An invalid rule cannot be submitted: the cursor jumps to the first error."""

    def __init__(self, repl: Repl):
        self.repl = repl

    def validate(self, document: Document) -> None:
        text = document.text
        if not text.strip() or text.lstrip().startswith(":"):
            return
        error = self.repl.check(text).error
        if error is None:
            return
        position = min(error.span.start if error.span else 0, len(text))
        location = error.location()
        where = f"{location[0]}:{location[1]} " if location else ""
        raise ValidationError(cursor_position=position, message=f"{where}{error.message} [{error.code}]")


def error_span(repl: Repl, text: str) -> Span | None:
    """The span to underline: the first error, unless it only says the rule is not finished yet."""
    if not text.strip() or text.lstrip().startswith(":"):
        return None
    error = repl.check(text).error
    if error is None or error.span is None:
        return None
    if error.span.end >= len(text.rstrip()):
        return None  # at the end: `country =` is being typed, not wrong (the toolbar still tells)
    return error.span


def toolbar(repl: Repl, text: str) -> StyleAndTextTuples:
    """One line under the prompt: the first diagnostic, or the live count, or a hint."""
    right = f" {repl.database.name if repl.database else 'no store'} · {repl.settings.dialect} · " \
            f"as of {repl.settings.as_of.isoformat() if repl.settings.as_of else 'now'} "
    if not text.strip():
        left: StyleAndTextTuples = [("class:toolbar.hint", " Type a rule · Tab completes · :help lists commands")]
    elif text.lstrip().startswith(":"):
        name = text.split()[0].lower()
        command = COMMANDS.get(name)
        left = [("class:toolbar.hint", f" {command.name} {command.usage} · {command.summary}" if command
                 else " :help lists the commands")]
    else:
        checked = repl.check(text)
        error = checked.error
        if error is not None:
            left = [("class:toolbar.error", f" ✗ {_describe(error)}")]
        else:
            preview = repl.live.preview(text)
            if preview is not None:
                left = [("class:toolbar.count", f" ✓ {preview}")]
            elif repl.database is not None:
                left = [("class:toolbar.ok", " ✓ valid · counting…")]
            else:
                left = [("class:toolbar.ok", " ✓ valid")]
            if checked.diagnostics:
                left.append(("class:toolbar.warning", f"  ⚠ {_describe(checked.diagnostics[0])}"))
    return [*left, ("class:toolbar.hint", "  ·" + right)]


def _describe(diagnostic: Diagnostic) -> str:
    """`col 21: unknown field `contry` [RD101] · did you mean ...`: a diagnostic on one line."""
    location = diagnostic.location()
    where = "" if location is None else f"col {location[1]}: " if location[0] == 1 else \
        f"line {location[0]} col {location[1]}: "
    hint = f" · {diagnostic.hints[0]}" if diagnostic.hints else ""
    return f"{where}{diagnostic.message} [{diagnostic.code}]{hint}"


def key_bindings(repl: Repl) -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter", filter=has_focus(DEFAULT_BUFFER))
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:
            buffer.apply_completion(state.current_completion)
            return
        if is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n    ")

    @bindings.add("escape", "enter", filter=has_focus(DEFAULT_BUFFER))
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return bindings


def style() -> Style:
    return Style.from_dict({
        **STYLE,
        "bottom-toolbar": "noreverse bg:ansibrightblack ansiwhite",
        "toolbar.error": "bg:ansired ansiwhite bold",
        "toolbar.count": "ansigreen bold",
        "toolbar.ok": "ansigreen",
        "toolbar.warning": "ansiyellow bold",
        "toolbar.hint": "",
    })


def build_session(repl: Repl, *, history: History | None = None, **options: Any) -> PromptSession:
    """The prompt for a session; `options` go to `PromptSession` (tests pass `input` and `output`)."""
    session: PromptSession = PromptSession(
        PROMPT,
        lexer=RuleLexer(lambda: repl.settings.schema, lambda text: error_span(repl, text)),
        completer=ReplCompleter(repl),
        complete_while_typing=True,
        validator=RuleValidator(repl),
        validate_while_typing=False,
        bottom_toolbar=lambda: toolbar(repl, session.default_buffer.text),
        history=history if history is not None else file_history(),
        auto_suggest=AutoSuggestFromHistory(),
        enable_history_search=False,
        key_bindings=key_bindings(repl),
        multiline=True,
        prompt_continuation=lambda width, line, wrap: CONTINUATION[-width:] if width else CONTINUATION,
        style=style(),
        include_default_pygments_style=False,
        **options,
    )
    session.default_buffer.on_text_changed += lambda buffer: repl.live.update(buffer.text)

    def redraw() -> None:
        app = session.app
        if app.is_running:
            app.invalidate()

    def refresh_completions() -> None:
        # Values that were still loading where the cursor wants them: complete again, unless one is chosen.
        buffer = session.default_buffer
        state = buffer.complete_state
        text = buffer.document.text_before_cursor
        if not text.strip() or text.lstrip().startswith(":") or \
                (state is not None and state.current_completion is not None):
            return
        if suggest(text, repl.settings.schema, repl.known).wants is not None:
            buffer.start_completion(select_first=False)

    def values_loaded() -> None:
        app = session.app
        if app.is_running and app.loop is not None:
            app.loop.call_soon_threadsafe(refresh_completions)

    repl.on_change = redraw
    repl.on_values = values_loaded
    return session


def run(repl: Repl, session: PromptSession) -> int:
    """The read-eval-print loop: Ctrl-C clears the line or cancels a query, Ctrl-D ends the session."""
    try:
        while True:
            try:
                text = session.prompt()
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            repl.live.update("")  # the submitted rule is counted exactly; the preview is over
            try:
                if not repl.handle(text):
                    break
            except KeyboardInterrupt:
                repl.say("Cancelled.", style="yellow")
            except Exception as error:  # never die: say what happened and give the prompt back
                if os.environ.get("RARE_DEBUG"):
                    raise
                repl.say(f"Internal error: {type(error).__name__}: {error} (set RARE_DEBUG=1 for details)",
                         style="red")
    finally:
        repl.close()
    return 0
