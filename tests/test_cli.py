"""The `rare` command line: `rare check` and `rare fields`, in-process and once as a real process.

Exit codes (SPEC 6): 0 success, 1 diagnostics or a failed check, 2 usage error.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rare_dsl.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "TERM", "RARE_DEBUG"):
        monkeypatch.delenv(name, raising=False)


# ------------------------------------------------------------------------------------------- the process


def test_entry_point_runs_as_a_real_process() -> None:
    """`python -m rare_dsl` works, and its output to a pipe is plain."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    done = subprocess.run([sys.executable, "-m", "rare_dsl", "check", "-e", 'contry = "France"'], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "error[RD101]: unknown field `contry`" in done.stdout
    assert "\x1b[" not in done.stdout
    assert done.stderr == ""


def test_binary_junk_in_argv_is_a_diagnostic_not_a_traceback() -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates; they must not crash the output."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}  # strict: a surrogate printed as-is would raise
    for junk in (b"\xff\xfe\x01binary", b'quality = "\xff"', b'in_segment("\xc3\x28")'):
        done = subprocess.run([sys.executable.encode(), b"-m", b"rare_dsl", b"check", b"-e", junk], cwd=ROOT,
                              capture_output=True, env=env, timeout=60)
        assert done.returncode == 1, (junk, done.stderr)
        assert b"error[RD9" in done.stdout or b"error[RD0" in done.stdout, (junk, done.stdout)
        assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr, (junk, done.stderr)


# ------------------------------------------------------------------------------------------- check -e


def test_check_unknown_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "-e", 'contry = "France"')
    assert code == 1
    assert out == (
        "error[RD101]: unknown field `contry`\n"
        " --> <rule>:1:1\n"
        "  |\n"
        '1 | contry = "France"\n'
        "  | ^^^^^^ not a field of the schema\n"
        "  |\n"
        "  = help: did you mean `country` (Customer information)?\n"
        "Found 1 error in the rule.\n"
    )


def test_check_valid_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "-e", 'country = "France" and opens(6mo) >= 3')
    assert (code, out, err) == (0, "All checks passed: the rule.\n", "")


def test_check_reports_every_mistake(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "-e", 'contry = "France" and opens(6m) >= 3 and quality = "vipp"')
    assert code == 1
    headers = [line for line in out.splitlines() if line.startswith("error[")]
    assert headers == [
        "error[RD101]: unknown field `contry`",
        "error[RD009]: `m` is not a duration unit",
        "error[RD203]: `vipp` is not a value of `quality`",
    ]
    assert " --> <rule>:1:1" in out and " --> <rule>:1:29" in out and " --> <rule>:1:52" in out
    assert out.endswith("Found 3 errors in the rule.\n")


@pytest.mark.parametrize("junk", [
    "\x00\x01\x02", "\x00", "\ufeff\u200b", "\udcff\udcfe", 'country = "\udcff"', "((((" * 3000, "🙂" * 50,
    "\x1b[31m red", "segment a:\n  country = \"x\"", "a" * 1_100_000,
])
def test_junk_rules_end_in_a_diagnostic(capsys: pytest.CaptureFixture[str], junk: str) -> None:
    code, out, err = run(capsys, "check", "-e", junk)
    assert code == 1
    assert out.startswith("error[RD") and "Found 1 error" in out
    assert err == ""


def test_check_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "-e", 'contry = "France" and opens(6m) >= 3', "--format", "json")
    assert code == 1
    payload = json.loads(out)
    assert (payload["errors"], payload["warnings"]) == (2, 0)
    first, second = payload["diagnostics"]
    assert {k: first[k] for k in ("code", "severity", "file", "line", "column", "end_line", "end_column")} == {
        "code": "RD101", "severity": "error", "file": "<rule>", "line": 1, "column": 1, "end_line": 1,
        "end_column": 7,
    }
    assert first["message"] == "unknown field `contry`"
    assert first["hints"] == ["did you mean `country` (Customer information)?"]
    assert (second["code"], second["column"], second["end_column"]) == ("RD009", 29, 31)


def test_check_json_of_a_valid_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--format", "json", "-e", 'country = "France"')
    assert code == 0
    assert json.loads(out) == {"diagnostics": [], "errors": 0, "warnings": 0, "files": 0, "segments": 0}


# ------------------------------------------------------------------------------------------ check PATH


def test_check_example_folder(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(EXAMPLES))
    assert (code, out) == (0, "All checks passed: 22 segments in 3 files.\n")


def test_check_files_and_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.rare", 'segment french:\n    country = "France"\n')
    write(tmp_path, "nested/b.rare", "segment openers:\n    opens(6mo) >= 3\n")
    write(tmp_path, "notes.txt", "not a rule file")
    code, out, _ = run(capsys, "check", str(tmp_path))
    assert (code, out) == (0, "All checks passed: 2 segments in 2 files.\n")
    code, out, _ = run(capsys, "check", str(tmp_path / "a.rare"))
    assert (code, out) == (0, "All checks passed: 1 segment in 1 file.\n")


def test_errors_in_two_files_are_both_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, "a.rare", '## French.\nsegment french:\n    contry = "France"\n')
    b = write(tmp_path, "b.rare", "segment openers:\n    opens(6m) >= 3\n")
    code, out, _ = run(capsys, "check", str(a), str(b))
    assert code == 1
    assert f" --> {a}:3:5\n" in out
    assert f" --> {b}:2:11\n" in out
    assert out.endswith("Found 2 errors in 2 files.\n")
    code, out_folder, _ = run(capsys, "check", str(tmp_path))
    assert (code, out_folder) == (1, out)


def test_a_file_given_twice_is_checked_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.rare", 'segment french:\n    country = "France"\n')
    code, out, _ = run(capsys, "check", str(tmp_path), str(path))
    assert (code, out) == (0, "All checks passed: 1 segment in 1 file.\n")


def test_duplicate_segment_across_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.rare", 'segment french:\n    country = "France"\n')
    write(tmp_path, "b.rare", 'segment french:\n    country = "France"\n')
    code, out, _ = run(capsys, "check", str(tmp_path))
    assert code == 1
    assert f" --> {tmp_path / 'b.rare'}:1:9\n" in out
    assert f" ::: {tmp_path / 'a.rare'}:1:9\n" in out


def test_check_files_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, "a.rare", 'segment french:\n    contry = "France"\n')
    code, out, _ = run(capsys, "check", "--format", "json", str(a))
    assert code == 1
    payload = json.loads(out)
    (only,) = payload["diagnostics"]
    assert (only["code"], only["file"], only["line"], only["column"], only["end_column"]) == (
        "RD101", str(a), 2, 5, 11)
    assert payload["files"] == 1


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "gone.rare"
    code, out, err = run(capsys, "check", str(missing))
    assert code == 1
    assert out == (f"error[RD901]: cannot read `{missing}`: no such file or folder\n --> {missing}\n"
                   "Found 1 error in 1 file.\n")
    assert err == ""


def test_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(tmp_path))
    assert code == 1
    assert "error[RD901]" in out and "holds no .rare files" in out


def test_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.rare"
    path.write_bytes('segment a:\n    city = "Besançon"\n'.encode("latin-1"))
    write(tmp_path, "fine.rare", "segment b:\n    opens(6mo) > 1\n")
    code, out, _ = run(capsys, "check", str(tmp_path))
    assert code == 1
    assert f"error[RD901]: cannot read `{path}`: not UTF-8 text\n --> {path}:2:18\n" in out
    assert '2 |     city = "Besan\ufffdon"\n  |                  ^ not UTF-8\n' in out
    assert out.endswith("Found 1 error in 2 files.\n")  # the other file was checked all the same


def test_file_with_bom_and_crlf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "windows.rare"
    path.write_bytes(b'\xef\xbb\xbfsegment a:\r\n    contry = "France"\r\n')
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    assert f" --> {path}:2:5\n" in out
    assert '2 |     contry = "France"\n' in out


# ---------------------------------------------------------------------------------------------- schema


def test_example_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--schema", str(EXAMPLES / "schema.toml"), "-e", 'country = "France"')
    assert (code, out) == (0, "All checks passed: the rule.\n")


def test_broken_schema_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = write(tmp_path, "schema.toml", "[fields.country\ntype = 'text'\n")
    code, out, err = run(capsys, "check", "--schema", str(schema), "-e", 'country = "France"')
    assert code == 1
    assert out.startswith("error[RD902]: ")
    assert f" --> {schema}:1:" in out
    assert out.endswith("Found 1 error in the schema file.\n")
    assert err == ""


def test_missing_schema_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--schema", str(tmp_path / "nope.toml"), "-e", 'country = "France"')
    assert code == 1
    assert out.startswith("error[RD901]: ")


def test_broken_schema_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = write(tmp_path, "schema.toml", '[fields.country]\ntype = "txt"\n')
    code, out, _ = run(capsys, "check", "--schema", str(schema), "--format", "json", "-e", "x")
    assert code == 1
    (only,) = json.loads(out)["diagnostics"]
    assert (only["code"], only["file"], only["line"]) == ("RD902", str(schema), 2)


# ----------------------------------------------------------------------------------------------- usage


@pytest.mark.parametrize("argv", [
    [],
    ["check"],
    ["check", "-e", 'country = "France"', "examples"],
    ["check", "--bogus"],
    ["check", "-e", "x", "--format", "yaml"],
    ["bogus"],
    ["fields", "--category"],
])
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # outside the repository, whose rare.toml gives `rare check` its paths
    code, _out, err = run(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err


def test_usage_error_messages(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no project settings around
    assert run(capsys, "check")[2] == ("rare check: give a rule with -e RULE, or rule files and folders, or set "
                                       "`paths` in the project settings (rare.toml or [tool.rare])\n")
    assert run(capsys, "check", "-e", "x", "y.rare")[2] == "rare check: give either -e RULE or paths, not both\n"
    assert "unrecognized arguments: --bogus" in run(capsys, "check", "--bogus")[2]


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--help")
    assert code == 0
    assert "--format" in out and "--schema" in out


# ---------------------------------------------------------------------------------------------- fields


def test_fields_lists_every_category(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fields")
    assert code == 0
    for title in ("Customer information", "Ecommerce information", "Engagement information", "Membership"):
        assert title in out
    for usage in ("country", "tags", "order_count", "bought_from(vendor, within?)", "engagement(within?)",
                  "last_click_date", 'in_list(name)', "in_segment(name)"):
        assert usage in out
    assert "subscribed, unsubscribed, pending, bounced" in out  # enum values are listed
    assert not any(line != line.rstrip() for line in out.splitlines())  # no trailing blanks in a pipe


def test_fields_of_one_category(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fields", "--category", "engagement")
    assert code == 0
    assert "Engagement information" in out and "opens(within?, campaign?, series?)" in out
    assert "Customer information" not in out and "country" not in out and "in_list" not in out
    # The category can be named by its title or a unique prefix too.
    assert run(capsys, "fields", "--category", "Engagement information")[1] == out
    assert run(capsys, "fields", "--category", "eng")[1] == out


def test_fields_unknown_category(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "fields", "--category", "engagment")
    assert (code, out) == (2, "")
    assert "unknown category `engagment`; did you mean `engagement`?" in err
    code, _, err = run(capsys, "fields", "--category", "nope")
    assert code == 2
    assert "unknown category `nope`" in err and "customer, ecommerce, engagement, membership" in err


def test_fields_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fields", "--format", "json")
    assert code == 0
    entries = json.loads(out)
    by_name = {e["name"]: e for e in entries}
    assert {e["category"] for e in entries} == {"customer", "ecommerce", "engagement", "membership"}
    assert by_name["quality"]["values"] == ["new", "promising", "loyal", "vip", "at_risk", "lapsed"]
    assert by_name["opens"] == {
        "category": "engagement", "name": "opens", "usage": "opens(within?, campaign?, series?)",
        "kind": "function", "type": "number", "description": by_name["opens"]["description"],
    }
    assert (by_name["tags"]["type"], by_name["tags"]["kind"]) == ("list of text", "field")
    code, out, _ = run(capsys, "fields", "--format", "json", "--category", "membership")
    assert [e["name"] for e in json.loads(out)] == ["in_list", "in_segment"]


# ----------------------------------------------------------------------------------------------- color


@pytest.mark.parametrize("argv", [["check", "-e", 'contry = "France"'], ["fields"]])
def test_color_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    main(argv)
    assert "\x1b[" in terminal.getvalue()

    monkeypatch.setenv("NO_COLOR", "1")
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    main(argv)
    assert "\x1b[" not in terminal.getvalue()

    monkeypatch.delenv("NO_COLOR")
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stdout", pipe)
    main(argv)
    assert "\x1b[" not in pipe.getvalue() and pipe.getvalue()


