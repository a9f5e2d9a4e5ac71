"""Whole REPL sessions through prompt-toolkit's pipe input: typing, completing, submitting, commands, Ctrl-C.

Keys are sent in steps from a thread, each after the previous one was handled, since completion runs in
the background of the prompt. The store is the compiler's test data in a DuckDB file.
"""

from __future__ import annotations

import _thread
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.validation import ValidationError
from repl_helpers import make_store
from rich.console import Console

from rare_dsl import check, testdata
from rare_dsl.evaluate import evaluate, existing
from rare_dsl.repl.app import ReplCompleter, RuleValidator, build_session, history_path, run, toolbar
from rare_dsl.repl.session import Repl, Settings
from rare_dsl.schema import default_schema
from rare_dsl.store.connection import connect

ENTER, TAB, CTRL_C, CTRL_D = "\r", "\t", "\x03", "\x04"
CONTACTS = 200
TABLES = testdata.generate(7, contacts=CONTACTS)  # the rows make_store writes
STORED = len(TABLES["customers"])  # CONTACTS and testdata's hand-made contacts


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("store") / "shop.duckdb", contacts=CONTACTS)


def expected_count(store: Path, rule: str) -> int:
    from rare_dsl.compiler import compile as compile_rule

    sql = compile_rule(rule).sql
    # Through rare's own `connect`: DuckDB refuses a second connection to a file with another configuration.
    with connect(store, read_only=True) as connection:
        return connection.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]


@pytest.fixture
def repl(store: Path) -> Iterator[Repl]:
    console = Console(file=io.StringIO(), width=120, color_system=None, force_terminal=False)
    session = Repl(Settings(default_schema()), console=console)
    session.open(str(store))
    yield session
    session.close()


def output(repl: Repl) -> str:
    file = repl.console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def drive(repl: Repl, *steps: str, pause: float = 0.15) -> None:
    """Run a session, sending each step of keys after a pause; Ctrl-D ends it if the steps do not."""
    with create_pipe_input() as pipe:
        session = build_session(repl, history=InMemoryHistory(), input=pipe, output=DummyOutput())

        def send() -> None:
            for step in (*steps, CTRL_C, CTRL_D, CTRL_C, CTRL_D):
                time.sleep(pause)
                pipe.send_text(step)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        run(repl, session)
        sender.join(5)


def test_typing_a_rule_and_enter_prints_the_exact_count(repl: Repl, store: Path) -> None:
    rule = 'country = "France" and opens(6mo) >= 1'
    drive(repl, rule + ENTER)
    expected = expected_count(store, rule)
    assert f"{expected:,} contacts ({expected / STORED:.1%}) · " in output(repl)
    assert output(repl).rstrip().endswith("ms")


def test_an_invalid_rule_cannot_be_submitted(repl: Repl) -> None:
    drive(repl, 'contry = "France"' + ENTER, CTRL_C, "quality = 'vip'" + ENTER)
    text = output(repl)
    assert "contry" not in text  # never ran, never printed
    assert text.count("contacts (") == 1  # only the valid rule ran
    assert repl.last_rule == "quality = 'vip'"


def test_the_validator_puts_the_cursor_on_the_error(repl: Repl) -> None:
    validator = RuleValidator(repl)
    with pytest.raises(ValidationError) as caught:
        validator.validate(Document('quality = "vip" and contry = "France"'))
    assert caught.value.cursor_position == 20
    assert caught.value.message.startswith("1:21 unknown field `contry`")
    validator.validate(Document('country = "France"'))
    validator.validate(Document(":help"))


def test_tab_completes_an_enum_value(repl: Repl) -> None:
    drive(repl, 'quality = "vi', TAB, ENTER, ENTER)
    assert repl.last_rule == 'quality = "vip"'
    assert "contacts (" in output(repl)


def test_completion_offers_known_values_from_the_store(repl: Repl) -> None:
    repl.known.values("country")
    repl.known.wait()
    completer = ReplCompleter(repl)
    found = [c.text for c in completer.get_completions(Document('country = "Fr'), CompleteEvent(True))]
    assert '"France"' in found and '"Spain"' not in found
    lists = [c.text for c in completer.get_completions(Document("in_list("), CompleteEvent(True))]
    repl.known.wait()
    lists = [c.text for c in completer.get_completions(Document("in_list("), CompleteEvent(True))]
    assert '"Popup leads"' in lists


def test_command_names_complete(repl: Repl) -> None:
    completer = ReplCompleter(repl)
    assert [c.text for c in completer.get_completions(Document(":sa"), CompleteEvent(True))] == [":sample", ":save"]
    assert ":breakdown" in [c.text for c in completer.get_completions(Document(":b"), CompleteEvent(True))]
    assert "quality" in [c.text for c in completer.get_completions(Document(":breakdown q"), CompleteEvent(True))]


def test_enter_continues_while_a_parenthesis_is_open(repl: Repl) -> None:
    drive(repl, 'country = "France" and (opens(6mo) >= 1' + ENTER, "or clicks(6mo) >= 1)" + ENTER)
    assert repl.last_rule is not None
    assert "\n" in repl.last_rule
    assert output(repl).count("contacts (") == 1


def test_enter_continues_after_and(repl: Repl) -> None:
    drive(repl, 'country = "France" and' + ENTER, "opens(6mo) >= 1" + ENTER)
    assert repl.last_rule is not None and repl.last_rule.startswith('country = "France" and\n')


def test_commands(repl: Repl, tmp_path: Path) -> None:
    saved = tmp_path / "saved.rare"
    drive(repl, "quality = 'vip'" + ENTER, ":sql" + ENTER, ":sql postgres" + ENTER, ":breakdown country" + ENTER,
          ":explain" + ENTER, ":sample 2" + ENTER, ":lists" + ENTER, f":save vips {saved}" + ENTER, ":nope" + ENTER,
          ":help" + ENTER)
    text = output(repl)
    assert 'WHERE\n  "c"."quality" = \'vip\'' in text
    assert "█" in text
    assert "Popup leads" in text
    assert "Unknown command `:nope`" in text
    assert ":breakdown FIELD" in text and ":as-of T|now" in text
    assert saved.read_text(encoding="utf-8").startswith("segment vips:\n")
    from rare_dsl import check_project

    assert "vips" in check_project([(saved.read_text(encoding="utf-8"), str(saved))]).segments


def test_help_lists_every_command_of_the_registry(repl: Repl) -> None:
    from rare_dsl.repl.commands import COMMANDS

    repl.handle(":help")
    text = output(repl)
    for name in (":sql", ":dialect", ":sample", ":explain", ":breakdown", ":as-of", ":fields", ":lists",
                 ":segments", ":save", ":load", ":db", ":quit"):
        assert name in COMMANDS
        assert f"  {name}" in text


def test_quit_ends_the_session(repl: Repl) -> None:
    drive(repl, ":quit" + ENTER, "quality = 'vip'" + ENTER)
    assert repl.last_rule is None


def test_ctrl_c_at_the_prompt_clears_the_line_and_keeps_the_session(repl: Repl) -> None:
    drive(repl, "country = ", CTRL_C, "quality = 'vip'" + ENTER)
    assert repl.last_rule == "quality = 'vip'"


@pytest.mark.usefixtures("python_handles_ctrl_c")
def test_ctrl_c_cancels_a_running_query(repl: Repl) -> None:
    from conftest import SLOW_QUERY

    slow = SLOW_QUERY
    timer = threading.Timer(0.3, _thread.interrupt_main)
    started = time.perf_counter()
    timer.start()
    result = repl.query(lambda cursor: cursor.execute(slow).fetchall())
    assert result is None
    assert time.perf_counter() - started < 5
    assert "Cancelled after" in output(repl)
    repl.handle("quality = 'vip'")  # the session goes on
    assert "contacts (" in output(repl)


def test_a_lost_database_prints_a_message_and_the_prompt_returns(repl: Repl, store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(store, copy)
    repl.open(str(copy))
    assert repl.database is not None
    repl.database.release()  # idle: the session does not hold the store
    copy.unlink()  # as if the store's file went away under the session
    drive(repl, "quality = 'vip'" + ENTER, ":help" + ENTER)
    text = output(repl)
    assert f"there is no store at {copy} yet" in text
    assert ":breakdown FIELD" in text  # the next command still ran


def test_live_count_shows_in_the_toolbar_and_drops_stale_results(repl: Repl) -> None:
    old, new = "quality = 'vip'", "quality = 'new'"
    repl.live.update(old)
    repl.live.update(new)
    deadline = time.monotonic() + 5
    while repl.live.preview(new) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    line = "".join(text for _, text in toolbar(repl, new))
    assert "✓ ≈ " in line and "contacts (" in line
    assert repl.live.preview(old) is None


def test_toolbar_shows_the_first_diagnostic_with_its_column(repl: Repl) -> None:
    line = "".join(text for _, text in toolbar(repl, 'quality = "vip" and contry = 1'))
    assert "✗ col 21: unknown field `contry` [RD101]" in line


@pytest.mark.parametrize(("rule", "says"), [
    ('country is "France"', '✗ col 9: `is` is not an operator here [RD005] · rules compare with `=`: '
                            '`country = "France"`'),
    ("total_spent > $100", "✗ col 15: amounts are written without a currency sign [RD008] · amounts have no "
                           "currency sign: write `total_spent > 100`"),
])
def test_toolbar_says_how_to_write_a_slip_from_everyday_language(repl: Repl, rule: str, says: str) -> None:
    assert says in "".join(text for _, text in toolbar(repl, rule))


def test_history_lives_in_the_xdg_data_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RARE_HISTORY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr("sys.platform", "linux")
    assert history_path() == tmp_path / "rare-dsl" / "history"


def test_ctrl_r_searches_the_history(repl: Repl) -> None:
    history = InMemoryHistory()
    for line in ("quality = 'vip'", 'country = "France"', "opens(6mo) >= 1"):
        history.append_string(line)
    with create_pipe_input() as pipe:
        session = build_session(repl, history=history, input=pipe, output=DummyOutput())

        def send() -> None:
            for step in ("\x12", "Fra", ENTER, ENTER, CTRL_C, CTRL_D):  # Ctrl-R, a word, accept, submit
                time.sleep(0.15)
                pipe.send_text(step)

        threading.Thread(target=send, daemon=True).start()
        run(repl, session)
    assert repl.last_rule == 'country = "France"'


def test_load_makes_segments_usable(repl: Repl, tmp_path: Path) -> None:
    rules = tmp_path / "segments.rare"
    rules.write_text('segment french_openers:\n    country = "France" and opens(6mo) >= 1\n\n'
                     'segment french_openers_at_risk:\n    in_segment("french_openers") and last_order_date < 90d ago\n'
                     "\nsegment most_engaged:\n    order by engagement(6mo) desc limit 10\n", encoding="utf-8")
    drive(repl, f":load {rules}" + ENTER, 'in_segment("french_openers")' + ENTER, ":segments" + ENTER)
    text = output(repl)
    assert "Loaded 1 file: 3 segments in all." in text
    assert repl.last_rule == 'in_segment("french_openers")'
    assert "  most_engaged  " in text
    completer = ReplCompleter(repl)
    found = [c.text for c in completer.get_completions(Document('in_segment("fr'), CompleteEvent(True))]
    assert found == ['"french_openers"', '"french_openers_at_risk"']


def test_db_switches_the_store_and_a_missing_one_is_a_message(repl: Repl, store: Path, tmp_path: Path) -> None:
    drive(repl, f":db {tmp_path / 'nowhere.duckdb'}" + ENTER, f":db {store}" + ENTER, "quality = 'vip'" + ENTER)
    text = output(repl)
    assert "there is no store at" in text
    assert f"Opened {store}: {STORED} contacts." in text
    assert "contacts (" in text


AT = testdata.ANCHORS[0]  # some contacts were created after it (testdata.NOT_YET_CREATED among them)
EXISTED = len(existing(default_schema(), TABLES, AT))


def members_at(rule: str) -> int:
    return len(evaluate(check(rule), TABLES, AT))


def test_at_an_as_of_the_shares_are_of_the_contacts_that_existed(repl: Repl, store: Path) -> None:
    """SPEC 8.4: a contact created after the instant is in no count, no sample and no total."""
    assert 0 < EXISTED < STORED
    rule = "orders() = 0"  # true for a contact without facts: a late one must still not count
    for line in (":as-of 2026-08-31T10:00:00Z", rule, ":explain", f"{rule} order by first_name asc limit 500",
                 ":sample 500"):
        repl.handle(line)
    text = output(repl)
    assert f"The store has {STORED} contacts, {EXISTED} of them as of 2026-08-31T10:00:00+00:00." in text
    want = members_at(rule)
    assert f"{want:,} contacts ({want / EXISTED:.1%}) · " in text
    assert f"  orders() = 0  {want:>10,}  {want / EXISTED:>6.1%}" in text
    shown = {int(line.split()[1]) for line in text.splitlines() if line.startswith("│ ") and line.split()[1].isdigit()}
    assert len(shown) == want and testdata.LATE_WITHOUT_FACTS not in shown
    repl.live.update(rule)  # the toolbar's share too
    deadline = time.monotonic() + 5
    while repl.live.preview(rule) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert f"≈ {want:,} contacts ({want / EXISTED:.1%})" in "".join(text for _, text in toolbar(repl, rule))
    repl.handle(":as-of now")  # live: every contact of the store again
    repl.handle(rule)
    live = expected_count(store, rule)
    assert f"{live:,} contacts ({live / STORED:.1%}) · " in output(repl)


def test_rare_repl_at_an_as_of_says_how_many_contacts_existed(store: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from rare_dsl.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO('country = "France"\n'))
    assert main(["repl", "--db", str(store), "--as-of", "2026-08-31T10:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert f"{store.name}: {STORED} contacts, {EXISTED} of them as of 2026-08-31T10:00:00+00:00." in out
    want = members_at('country = "France"')
    assert f"{want:,} contacts ({want / EXISTED:.1%})" in out


def test_rare_repl_rejects_a_bad_as_of(capsys: pytest.CaptureFixture[str]) -> None:
    from rare_dsl.cli import main

    assert main(["repl", "--as-of", "yesterday"]) == 2
    assert "--as-of: `yesterday` is not a date or timestamp" in capsys.readouterr().err


def test_underlined_errors_wait_for_the_rule_to_be_finished(repl: Repl) -> None:
    from rare_dsl.repl.app import error_span

    assert error_span(repl, "country = ") is None  # still being typed
    assert error_span(repl, 'contry = "France"') is not None


def test_the_toolbar_warns_about_a_value_no_contact_has(repl: Repl) -> None:
    repl.known.counts("country")
    repl.known.wait()
    line = "".join(text for _, text in toolbar(repl, 'country = "Frnace"'))
    assert '⚠ col 11: no contact has country "Frnace" [RW404]' in line
    assert "did you mean `France`" in line or "did you mean `france`" in line


def test_rare_check_and_the_repl_know_the_same_values(repl: Repl, store: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """One implementation, `SegmentQueries.values`: what the REPL completes is what `rare check --db`
    suggests for a typo, with the same counts."""
    from rare_dsl.cli import main
    from rare_dsl.cli.known_values import StoreValues

    repl.known.counts("country")
    repl.known.wait()
    loaded = list(repl.known.counts("country") or ())
    assert loaded and loaded == repl.queries().values("country", top=repl.known.limit)
    values = StoreValues.open(str(store), default_schema())
    try:
        assert list(values.common_values(default_schema().fields["country"], repl.known.limit)) == loaded
    finally:
        values.close()
    top, contacts = loaded[0]
    typo = top[0] + top[2] + top[1] + top[3:]  # France -> Frnace
    completer = ReplCompleter(repl)
    assert f'"{top}"' in [c.text for c in completer.get_completions(Document(f'country = "{top[:2]}'),
                                                                    CompleteEvent(True))]
    assert main(["check", "--db", str(store), "-e", f'country = "{typo}"']) == 0
    out = capsys.readouterr().out
    assert out.startswith(f'warning[RW404]: no contact has country "{typo}"\n')
    assert f"did you mean `{top}` ({contacts:,} contact{'' if contacts == 1 else 's'})" in out


def test_without_a_terminal_lines_are_read_as_typed(repl: Repl) -> None:
    from rare_dsl.repl import run_lines

    run_lines(repl, ['country = "France" and\n', "  opens(6mo) >= 1\n", ":nope\n", ":quit\n", "quality = 'vip'\n"])
    text = output(repl)
    assert repl.last_rule == 'country = "France" and\n  opens(6mo) >= 1'
    assert text.count("contacts (") == 1 and "Unknown command `:nope`" in text


def test_values_that_arrive_late_open_the_menu(repl: Repl) -> None:
    loader = repl.known._load

    def slow(topic: str) -> object:
        time.sleep(0.5)
        return loader(topic)

    repl.known._load = slow
    repl.known.clear()
    seen: dict[str, object] = {}
    with create_pipe_input() as pipe:
        session = build_session(repl, history=InMemoryHistory(), input=pipe, output=DummyOutput())

        def send() -> None:
            time.sleep(0.15)
            pipe.send_text('country = "Fr')
            time.sleep(0.1)
            state = session.default_buffer.complete_state
            seen["before"] = [c.text for c in state.completions] if state else []
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not seen.get("after"):
                time.sleep(0.05)
                state = session.default_buffer.complete_state
                seen["after"] = [c.text for c in state.completions] if state else []
            for step in (CTRL_C, CTRL_D):
                time.sleep(0.1)
                pipe.send_text(step)

        threading.Thread(target=send, daemon=True).start()
        run(repl, session)
    assert seen["before"] == []
    assert '"France"' in seen["after"]


def test_explain_counts_each_clause_then_the_ranking(repl: Repl, store: Path) -> None:
    repl.handle('country = "France" and opens(6mo) >= 1 order by total_spent desc limit 5')
    repl.handle(":explain")
    lines = output(repl).splitlines()[-3:]
    assert [line.split("  ")[1] for line in lines] == [
        'country = "France"', "and opens(6mo) >= 1", "order by total_spent desc limit 5"]
    counts = [int(line.split()[-2].replace(",", "")) for line in lines]
    assert counts == [expected_count(store, 'country = "France"'),
                      expected_count(store, 'country = "France" and opens(6mo) >= 1'), min(5, counts[1])]


def test_settings_commands(repl: Repl) -> None:
    for line in (":as-of 2026-01-31T09:30:00Z", ":dialect postgres", ":dialect nosuch", "opens(6mo) >= 1", ":sql",
                 ":fields engagement", ":as-of now", ":as-of soon"):
        repl.handle(line)
    text = output(repl)
    assert "Rules are now evaluated as of 2026-01-31T09:30:00+00:00." in text
    assert "The dialect is now postgres." in text and "Unknown dialect `nosuch`." in text
    assert "2026-01-31 09:30:00" in text  # :sql prints the anchored rule
    assert "opens(within?, campaign?, series?)" in text
    assert "Rules are now evaluated as of now." in text
    assert "`soon` is not a date or timestamp" in text
    assert repl.settings.as_of is None and repl.settings.dialect == "postgres"


def test_breakdown_takes_the_options_of_rare_breakdown(repl: Repl) -> None:
    """`:breakdown FIELD [--bucket B] [--bins N] [--top N]`: the same breakdowns and lines as the CLI's,
    and a mistake in the options is a usage line, not the end of the session."""
    from rare_dsl import check
    from rare_dsl.cli.segment_queries import breakdown_lines

    rule = "order_count >= 0"
    for line in (rule, ":breakdown created_at --bucket month", ":breakdown total_spent --bins 4",
                 ":breakdown tags --top 2", ":breakdown city --bucket week", ":breakdown total_spent --bins x",
                 ":breakdown qualty", ":breakdown"):
        assert repl.handle(line)
    text = output(repl)
    queries = repl.queries()
    for field, options in (("created_at", {"bucket": "month"}), ("total_spent", {"bins": 4}), ("tags", {"top": 2})):
        expected = "\n".join(breakdown_lines(queries.breakdown(check(rule), field, None, **options)))
        assert expected in text, field
    assert "by created_at, by month:" in text and "contacts by tags (a contact counts" in text
    assert "Usage: :breakdown FIELD [--bucket B] [--bins N] [--top N]. A bucket groups timestamps, and `city` is text" \
        in text
    assert "[--top N]. Argument --bins: invalid int value: 'x'." in text
    assert "Unknown field `qualty`; did you mean `quality`?" in text and "Give a field." in text


def test_a_failed_load_keeps_the_session(repl: Repl, tmp_path: Path) -> None:
    drive(repl, ":load" + ENTER, f":load {tmp_path / 'nosuch.rare'}" + ENTER, "quality = 'vip'" + ENTER)
    text = output(repl)
    assert "Usage: :load FILE" in text
    assert repl.last_rule == "quality = 'vip'"


def test_load_brings_the_segments_a_file_uses_from_its_folder(repl: Repl, tmp_path: Path) -> None:
    (tmp_path / "base.rare").write_text('segment french:\n    country = "France"\n', encoding="utf-8")
    uses = tmp_path / "uses.rare"
    uses.write_text('segment french_vips:\n    in_segment("french") and quality = \'vip\'\n', encoding="utf-8")
    drive(repl, f":load {uses}" + ENTER, 'in_segment("french_vips")' + ENTER)
    text = output(repl)
    assert "Loaded 1 file (and 1 file they use): 2 segments in all." in text
    assert repl.last_rule == 'in_segment("french_vips")'


def test_an_unknown_segment_is_reported_and_the_session_goes_on(repl: Repl, tmp_path: Path) -> None:
    uses = tmp_path / "uses.rare"
    uses.write_text('segment broken:\n    in_segment("nowhere")\n', encoding="utf-8")
    drive(repl, f":load {uses}" + ENTER, "quality = 'vip'" + ENTER)
    assert "RD106" in output(repl)
    assert repl.last_rule == "quality = 'vip'"


def test_no_failing_command_ends_the_session(repl: Repl) -> None:
    from rare_dsl.repl.commands import COMMANDS

    for name in COMMANDS:
        if name != ":quit":
            assert repl.handle(f"{name} 'unclosed nosuch") is True
            assert repl.handle(f"{name} nosuch extra words") is True
    assert repl.handle(":quit") is False


# ----------------------------------------------------------------------------- other programs and the store

ROOT = Path(__file__).resolve().parent.parent


def rare(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`rare ARGS` in a process of its own: DuckDB's file lock is per process, so only another one tests it."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    environment.pop("RARE_DB", None)
    return subprocess.run([sys.executable, "-m", "rare_dsl", *map(str, args)], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A small demo store of its own (a real store: the list commands write only into one)."""
    from rare_dsl.store import Store
    from rare_dsl.store.demo import generate

    path = tmp_path / "shop.duckdb"
    with Store.open(path, write=True) as store:
        generate(store, contacts=300)
    return path


@pytest.fixture
def shop_repl(shop: Path) -> Iterator[Repl]:
    console = Console(file=io.StringIO(), width=120, color_system=None, force_terminal=False)
    session = Repl(Settings(default_schema()), console=console)
    session.open(str(shop))
    yield session
    session.close()


def test_other_programs_write_the_store_while_the_repl_is_open(shop_repl: Repl, shop: Path) -> None:
    """Issue 18 item 7: the REPL holds the store only while it works, and its next count sees the change."""
    repl = shop_repl
    rule = 'in_list("Spring fair")'
    repl.handle('quality = "vip"')
    assert "contacts (" in output(repl)
    created = rare("list", "create", "Spring fair", "--db", shop, cwd=shop.parent)
    assert created.returncode == 0, created.stderr
    added = rare("list", "add", "Spring fair", "ana@example.com", "--db", shop, cwd=shop.parent)
    assert added.returncode == 0, added.stderr
    repl.handle(rule)
    assert "1 contact (0.3%) · " in output(repl)  # the new member, of 301 contacts: the one added is new
    assert repl.query(repl.size) == "301 contacts"
    repl.known.wait()  # the store changed: the values completion offers are read again
    assert "Spring fair" in repl.known.lists()
    repl.live.update(rule)
    deadline = time.monotonic() + 5
    while repl.live.preview(rule) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert repl.live.preview(rule) == "≈ 1 contact (0.3%)"


def test_the_repl_lets_go_of_the_store_after_a_second(shop_repl: Repl) -> None:
    from rare_dsl.repl.database import IDLE

    database = shop_repl.database
    assert database is not None
    shop_repl.handle('quality = "vip"')
    shop_repl.known.wait()
    assert database.is_open  # just used: kept open for the next keystroke's count
    deadline = time.monotonic() + IDLE + 5
    while database.is_open and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not database.is_open


def test_a_store_being_written_is_a_message_and_the_session_goes_on(shop_repl: Repl, shop: Path) -> None:
    from store_helpers import held_by_another_process

    repl = shop_repl
    assert repl.database is not None
    repl.known.wait()
    repl.database.release()
    repl.database.wait = 0.3  # how long the REPL waits for the writer before saying so
    with held_by_another_process(shop, write=True) as pid:
        repl.handle('quality = "vip"')
        text = output(repl)
        assert f"The store cannot be read now: the store {shop} is being written by another process (PID {pid}" \
            in text
        assert "Traceback" not in text
        assert repl.live.compute('quality = "vip"').startswith("cannot count: the store ")
    repl.handle('quality = "vip"')  # the writer is done: counting works again
    assert output(repl).rstrip().endswith(" ms") or output(repl).rstrip().endswith(" s")


# --------------------------------------------------------------------------------------------- counting…


def slowed(repl: Repl, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Every count of the session takes `seconds` longer, as on a big store."""
    count = repl.count

    def slow_count(rule: object, cursor: object) -> object:
        time.sleep(seconds)
        return count(rule, cursor)  # type: ignore[arg-type]

    monkeypatch.setattr(repl, "count", slow_count)


def test_a_slow_count_says_counting_until_its_result_replaces_it(repl: Repl, monkeypatch: pytest.MonkeyPatch) -> None:
    repl.progress = True  # as at a terminal
    slowed(repl, monkeypatch, 1.3)
    repl.handle("quality = 'vip'")
    text = output(repl)
    first, rest = text.split("counting… (Ctrl-C cancels)\x1b[K", 1)
    assert first.endswith("\r")
    assert "\rcounting… 1 s (Ctrl-C cancels)\x1b[K" in rest  # the seconds so far, after a second
    erased, result = rest.rsplit("\r\x1b[2K", 1)  # erased before the result is printed
    assert "contacts (" in result and "contacts (" not in erased


def test_a_quick_count_shows_no_counting(repl: Repl) -> None:
    repl.progress = True
    repl.handle("quality = 'vip'")
    text = output(repl)
    assert "contacts (" in text
    assert "counting" not in text and "\r" not in text


def test_without_a_terminal_a_slow_count_prints_only_its_result(repl: Repl, monkeypatch: pytest.MonkeyPatch) -> None:
    assert repl.progress is False  # tests and `rare repl < file`: transcripts stay as they are
    slowed(repl, monkeypatch, 0.6)
    repl.handle("quality = 'vip'")
    text = output(repl)
    assert "counting" not in text and "\r" not in text
    assert text.count("\n") == 1 and "contacts (" in text


def test_rare_repl_shows_counting_only_at_a_terminal(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rare_dsl.repl as repl_package
    import rare_dsl.repl.app as app

    seen: list[bool] = []

    def run(repl: Repl, session: object) -> int:
        seen.append(repl.progress)
        repl.close()  # as `run` does when the session ends
        return 0

    monkeypatch.setattr(app, "run", run)
    monkeypatch.setattr(repl_package, "settle", lambda repl: None)
    monkeypatch.setattr("rich.console.Console.is_terminal", property(lambda self: True))
    with create_pipe_input() as pipe:
        repl_package.start(schema=default_schema(), db=str(store), input=pipe, output=DummyOutput(),
                           history=InMemoryHistory())
    monkeypatch.setattr("rich.console.Console.is_terminal", property(lambda self: False))
    with create_pipe_input() as pipe:
        repl_package.start(schema=default_schema(), db=str(store), input=pipe, output=DummyOutput(),
                           history=InMemoryHistory())
    assert seen == [True, False]


# -------------------------------------------------------------------------------------------- :segments


def test_segments_prints_aligned_columns(repl: Repl, tmp_path: Path) -> None:
    rules = tmp_path / "segments.rare"
    rules.write_text('segment vip:\n    quality = "vip"\n\nsegment french_openers_at_risk:\n'
                     '    country = "France" and opens(6mo) >= 1 and last_order_date < 90d ago\n\n'
                     "segment everyone:\n    status != \"bounced\" or status = \"bounced\"\n", encoding="utf-8")
    repl.handle(f":segments {rules}")
    lines = [line for line in output(repl).splitlines() if line.startswith("  ")]
    assert [line.split()[0] for line in lines] == ["vip", "french_openers_at_risk", "everyone"]
    assert [line.split()[1] for line in lines] == [f"{rules}:1", f"{rules}:4", f"{rules}:7"]
    # Each column starts where the one above starts; the counts and shares end where the ones above end.
    assert len({line.index(str(rules)) for line in lines}) == 1
    assert len({line.index(" contacts") for line in lines}) == 1
    assert len({len(line) for line in lines}) == 1
    want = expected_count(Path(repl.settings.db_target), 'quality = "vip"')
    assert lines[0].endswith(f"  {want:,} contacts  {want / STORED:>6.1%}")


def test_segments_without_a_store_lists_names_and_files(tmp_path: Path) -> None:
    repl = Repl(Settings(default_schema()), console=Console(file=io.StringIO(), width=120, color_system=None))
    try:
        rules = tmp_path / "segments.rare"
        rules.write_text('segment vip:\n    quality = "vip"\n\nsegment lapsed_buyers:\n    orders() > 0\n',
                         encoding="utf-8")
        repl.handle(f":segments {rules}")
        assert output(repl).splitlines()[1:] == [f"  vip            {rules}:1", f"  lapsed_buyers  {rules}:4"]
    finally:
        repl.close()


# ------------------------------------------------------------------------------------- campaign names


def newest_first(shop: Path, kind: str) -> list[str]:
    """Campaign names by their latest send or open, computed from the store's rows in Python."""
    from store_helpers import rows_of

    rows = rows_of(shop)
    kinds = {c["campaign_id"]: c for c in rows["campaigns"] if c["kind"] == kind}
    latest: dict[str, dt.datetime] = {}
    for event in rows["events"]:
        campaign = kinds.get(event["campaign_id"])
        if campaign is not None and event["type"] in ("sent", "open"):
            name = campaign["name"]
            latest[name] = max(latest.get(name, event["occurred_at"]), event["occurred_at"])
    names = {c["name"] for c in kinds.values()}
    dated = sorted((n for n in names if n in latest), key=lambda n: (-latest[n].timestamp(), n))
    return dated + sorted(names - set(latest))


def test_campaign_names_complete_newest_first(shop_repl: Repl, shop: Path) -> None:
    """Issue 18 item 8: the campaign a rule is about is most often the latest, not the first by name."""
    repl = shop_repl
    repl.known.wait()
    for kind in ("campaign", "series"):
        want = newest_first(shop, kind)
        assert len(want) > 3 and want != sorted(want)
        assert repl.known.values(f"param:{kind}") == want
    completer = ReplCompleter(repl)
    found = [c.text for c in completer.get_completions(Document('opens(campaign: "'), CompleteEvent(True))]
    assert found == [f'"{name}"' for name in newest_first(shop, "campaign")]
