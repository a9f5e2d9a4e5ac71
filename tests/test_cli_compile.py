"""`rare compile` and `rare dialects`, in-process: output, files written with `--out`, and exit codes (0 success,
1 diagnostics, 2 usage error)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlglot

from rare_dsl import __version__
from rare_dsl.cli import main
from rare_dsl.compiler import dialects

ROOT = Path(__file__).resolve().parent.parent
FRENCH = 'country = "France" and opens(6mo) >= 3'


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("NO_COLOR", "TERM", "RARE_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no project settings around: the defaults


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PROJECT = """\
## French contacts who open our mail.
## Two lines of description.
segment french_openers:
    country = "France" and opens(6mo) >= 3

segment at_risk:
    in_segment("french_openers") and last_order_date < 90d ago
    order by total_spent desc
    limit 500
"""


# ------------------------------------------------------------------------------------------------- one rule


def test_the_issue_example_prints_snowflake_sql(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compile", "-e", FRENCH, "--dialect", "snowflake")
    assert (code, err) == (0, "")
    assert out.startswith('SELECT "c"."customer_id" FROM "customers" AS "c" WHERE')
    assert "CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())" in out and "DATEADD(MONTH, -6" in out
    assert sqlglot.parse_one(out, read="snowflake") is not None


def test_default_dialect_is_duckdb_and_pretty_prints_clauses(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compile", "-e", FRENCH, "--pretty", "--as-of", "2026-08-31T10:00:00Z")
    assert code == 0
    assert out.splitlines()[:3] == ["SELECT", '  "c"."customer_id"', 'FROM "customers" AS "c"']
    assert "CAST('2026-02-28 10:00:00' AS TIMESTAMP)" in out


@pytest.mark.parametrize(("given", "literal"), [
    ("2026-01-31", "2026-01-31 00:00:00"),
    ("2026-01-31T09:30:00Z", "2026-01-31 09:30:00"),
    ("2026-01-31T10:30:00+01:00", "2026-01-31 09:30:00"),
])
def test_as_of_forms(capsys: pytest.CaptureFixture[str], given: str, literal: str) -> None:
    code, out, _ = run(capsys, "compile", "-e", "opens() > 1", "--as-of", given)
    assert code == 0 and f"'{literal}'" in out


def test_as_of_now_is_live(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compile", "-e", "opens() > 1", "--as-of", "now")
    assert code == 0 and "CURRENT_TIMESTAMP AT TIME ZONE 'UTC'" in out


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "31/01/2026", "2026-01-31T25:00:00Z", ""])
def test_bad_as_of_is_a_usage_error_naming_the_forms(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    code, out, err = run(capsys, "compile", "-e", "opens() > 1", "--as-of", bad)
    assert (code, out) == (2, "")
    assert "--as-of" in err and "`now`" in err and "2026-01-31T09:30:00Z" in err and "Traceback" not in err


def test_params_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compile", "-e", FRENCH, "--params", "--as-of", "2026-08-31", "--dialect", "sqlite")
    assert code == 0
    sql, params = out.rstrip("\n").split("\n")
    assert sql.count("?") == 5 and "France" not in sql
    # The instant that says which contacts exist (SPEC 8.4) first; then SQLite looks up each French contact's
    # third open: `EXISTS (... LIMIT 1 OFFSET ?)` with 2.
    assert json.loads(params.removeprefix("-- params: ")) == ["2026-08-31 00:00:00", "France", "2026-08-31 00:00:00",
                                                               "2026-02-28 00:00:00", 2]
    code, out, _ = run(capsys, "compile", "-e", FRENCH, "--params", "--as-of", "2026-08-31", "--format", "json")
    record = json.loads(out)
    assert code == 0 and record["dialect"] == "duckdb" and record["time"] == "anchored at 2026-08-31T00:00:00Z"
    # DuckDB copies the country test into the events subquery, with its own parameter.
    assert record["params"] == ["2026-08-31T00:00:00", "France", "2026-08-31T00:00:00", "2026-02-28T00:00:00",
                                "France", 3]


def test_unknown_dialect_is_rd302_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compile", "-e", FRENCH, "--dialect", "snowflak")
    assert code == 1
    assert out == "error[RD302]: unknown dialect `snowflak`\n  |\n  = help: did you mean `snowflake`?\n"
    code, out, _ = run(capsys, "compile", "-e", FRENCH, "--dialect", "postgresql", "--format", "json")
    (diagnostic,) = json.loads(out)["diagnostics"]
    assert code == 1 and diagnostic["code"] == "RD302" and diagnostic["hints"] == ["did you mean `postgres`?"]


def test_live_time_refused_points_at_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compile", "-e", FRENCH, "--dialect", "hive")
    assert code == 1
    assert out.startswith("error[RD301]: live time is not supported for hive")
    assert " --> <rule>:1:24" in out and "= help: compile with an as-of instant (`--as-of 2026-01-31`" in out
    code, out, _ = run(capsys, "compile", "-e", FRENCH, "--dialect", "hive", "--as-of", "2026-01-31")
    assert code == 0 and "'2025-07-31 00:00:00'" in out


def test_invalid_rule_and_junk(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compile", "-e", 'contry = "France"')
    assert code == 1 and out.startswith("error[RD101]: unknown field `contry`")
    code, out, err = run(capsys, "compile", "-e", "\udcff\udcfe(((")
    assert code == 1 and "RD901" in out and err == ""


@pytest.mark.parametrize("argv", [
    ["compile", "-e", FRENCH, "rules.rare"],
    ["compile", "-e", FRENCH, "--out", "sql"],
    ["compile"],
    ["compile", "-e", FRENCH, "--format", "yaml"],
])
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, _ = run(capsys, *argv)
    assert (code, out) == (2, "")


# ------------------------------------------------------------------------------------------------ rule files


def test_files_print_every_segment_with_a_heading(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "segments/france.rare", PROJECT)
    code, out, _ = run(capsys, "compile", "segments", "--dialect", "postgres", "--as-of", "2026-08-31")
    assert code == 0
    assert out.count("-- segment ") == 2
    assert out.startswith(f"-- segment french_openers ({Path('segments/france.rare')}:3)\nSELECT ")
    statements = [s for s in out.split(";\n") if s.strip()]
    assert len(statements) == 2 and all(sqlglot.parse_one(s, read="postgres") for s in statements)
    # in_segment is inlined: the second statement contains the first's condition
    assert "'France'" in statements[1] and "LIMIT 500" in statements[1]


def test_files_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "france.rare", PROJECT)
    code, out, _ = run(capsys, "compile", "france.rare", "--format", "json")
    payload = json.loads(out)
    assert code == 0 and payload["files"] == 1
    assert [(s["segment"], s["line"]) for s in payload["segments"]] == [("french_openers", 3), ("at_risk", 6)]


def test_every_error_of_the_files_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.rare", 'segment a:\n    contry = "France"\n\nsegment b:\n    opens(6m) > 1\n')
    code, out, _ = run(capsys, "compile", "a.rare")
    assert code == 1 and "RD101" in out and "RD009" in out
    write(tmp_path, "b.rare", "segment c:\n    opens(6mo) > 1\n\nsegment d:\n    last_order_date within 1d\n")
    code, out, _ = run(capsys, "compile", "b.rare", "--dialect", "exasol")
    assert code == 1 and out.count("error[RD301]") == 2 and "b.rare:2:5" in out and "b.rare:5:5" in out


def test_out_writes_one_file_per_segment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "rules/france.rare", PROJECT)
    code, out, _ = run(capsys, "compile", "rules", "--out", "sql", "--dialect", "snowflake")
    assert code == 0 and out.endswith("2 files written, 0 unchanged, in sql.\n")
    text = (tmp_path / "sql" / "french_openers.sql").read_text(encoding="utf-8")
    assert text.splitlines()[:7] == [
        "-- rare segment: french_openers",
        "-- French contacts who open our mail.",
        "-- Two lines of description.",
        f"-- source: {Path('rules/france.rare')}:3",
        "-- dialect: snowflake",
        "-- time: live (the engine's clock)",
        f"-- compiled by rare-dsl {__version__}; regenerate with `rare compile --out`, do not edit",
    ]
    assert text.endswith(";\n") and sqlglot.parse_one(text.rstrip(";\n"), read="snowflake") is not None
    assert "\n  " in text  # pretty-printed: one clause per line, for readable diffs
    assert sorted(p.name for p in (tmp_path / "sql").iterdir()) == ["at_risk.sql", "french_openers.sql"]


def test_out_leaves_unchanged_files_alone_and_reports_stale_ones(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rules = write(tmp_path, "france.rare", PROJECT)
    assert run(capsys, "compile", "france.rare", "--out", "sql")[0] == 0
    first = tmp_path / "sql" / "french_openers.sql"
    os.utime(first, (1_000_000, 1_000_000))
    code, out, _ = run(capsys, "compile", "france.rare", "--out", "sql")
    assert code == 0 and out == "0 files written, 2 unchanged, in sql.\n"
    assert first.stat().st_mtime == 1_000_000
    # at_risk is removed: its file stays, and is reported; a .sql file of someone else is not ours to judge
    rules.write_text(PROJECT.split("segment at_risk")[0], encoding="utf-8")
    write(tmp_path, "sql/handwritten.sql", "SELECT 1;\n")
    code, out, _ = run(capsys, "compile", "france.rare", "--out", "sql", "--format", "json")
    payload = json.loads(out)
    assert code == 0 and payload["stale"] == [str(Path("sql/at_risk.sql"))] and payload["unchanged"]
    assert (tmp_path / "sql" / "at_risk.sql").exists()
    code, out, _ = run(capsys, "compile", "france.rare", "--out", "sql")
    assert f"stale: {Path('sql/at_risk.sql')} was compiled for a segment that no longer exists" in out
    assert out.endswith("; 1 stale file.\n")


def test_out_rewrites_a_file_whose_segment_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = write(tmp_path, "france.rare", PROJECT)
    run(capsys, "compile", "france.rare", "--out", "sql", "--as-of", "2026-01-31")
    rules.write_text(PROJECT.replace('"France"', '"Spain"'), encoding="utf-8")
    code, out, _ = run(capsys, "compile", "france.rare", "--out", "sql", "--as-of", "2026-01-31")
    assert code == 0 and out.endswith("2 files written, 0 unchanged, in sql.\n")
    text = (tmp_path / "sql" / "french_openers.sql").read_text(encoding="utf-8")
    assert "'Spain'" in text and "-- time: anchored at 2026-01-31T00:00:00Z" in text
    assert not list((tmp_path / "sql").glob(".*.tmp"))  # atomic writes leave no temporary file behind


def test_out_into_a_file_is_a_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "france.rare", PROJECT)
    write(tmp_path, "taken", "not a folder")
    code, out, err = run(capsys, "compile", "france.rare", "--out", "taken")
    assert code == 1 and out.startswith("error[RD904]: cannot write `taken`") and "Traceback" not in err


def test_example_segments_compile_for_every_sql_dialect(capsys: pytest.CaptureFixture[str]) -> None:
    for dialect in ("duckdb", "postgres", "tsql", "bigquery", "oracle"):
        code, out, _ = run(capsys, "compile", str(ROOT / "examples"), "--dialect", dialect, "--as-of", "2026-01-31")
        assert code == 0, out
        assert out.count("-- segment ") >= 10


# ---------------------------------------------------------------------------------------------------- dialects


def test_dialects_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "dialects")
    assert code == 0
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:len(dialects()) + 1]}
    assert set(rows) == set(dialects())
    assert rows["duckdb"] == ["verified", "yes", "yes"] and rows["sqlite"] == ["verified", "yes", "yes"]
    assert rows["snowflake"] == ["generated", "yes", "yes"] and rows["hive"][:2] == ["generated", "no"]
    assert rows["clickhouse"] == ["verified", "yes", "yes"] and rows["dax"][0] == "unsupported"
    assert "  hive: Hive cannot name the session's time zone" in out


def test_dialects_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "dialects", "--format", "json")
    entries = {entry["name"]: entry for entry in json.loads(out)}
    assert code == 0 and set(entries) == set(dialects())
    assert entries["duckdb"] == {"name": "duckdb", "tier": "verified", "live": True, "parameterized": True,
                                 "live_refusal": ""}
    assert entries["exasol"]["live"] is False and "ADD_MONTHS" in entries["exasol"]["live_refusal"]


def test_a_fresh_clone_compiles_segments_by_name(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The repository's rare.toml points at examples/: a segment's name compiles as `rare count` counts it,
    positional or with -e, and a rule may use the project's segments."""
    monkeypatch.chdir(ROOT)
    code, by_name, _ = run(capsys, "compile", "vip_customers", "--as-of", "2026-08-31")
    assert code == 0 and "\"c\".\"quality\" = 'vip'" in by_name
    code, inline, _ = run(capsys, "compile", "-e", "vip_customers", "--as-of", "2026-08-31")
    assert code == 0 and inline == by_name
    code, used, _ = run(capsys, "compile", "-e", 'in_segment("vip_customers") and country = "France"')
    assert code == 0 and "'vip'" in used and "'France'" in used
    code, out, _ = run(capsys, "compile", "vip_custmers")
    assert code == 1 and "did you mean the segment `vip_customers`?" in out


def test_a_segment_name_without_project_paths_is_an_unknown_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compile", "vip_customers")
    assert code == 1 and "RD101" in out
