"""Rule files in git (issue 7): `rare fmt`, `rare check` output formats and store lint, `rare segments`,
and the project settings they read (rare.toml, `[tool.rare]`).
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import duckdb
import pytest

from rare_dsl.cli import main
from rare_dsl.diagnostics import CODES, RuleError
from rare_dsl.settings import find_settings_file, load_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

UNFORMATTED = 'segment french:\n  country="France"   AND opens(6mo)>=3 # engaged\n# the end\n'
FORMATTED = 'segment french:\n    country = "France" and opens(6mo) >= 3  # engaged\n\n# the end\n'


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test runs in its own folder, so no settings file of the machine is found."""
    for name in ("NO_COLOR", "TERM", "RARE_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


# ------------------------------------------------------------------------------------------------- fmt


def test_fmt_check_lists_the_files_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.rare", UNFORMATTED)
    write(tmp_path, "b.rare", FORMATTED)
    code, out, _ = run(capsys, "fmt", "--check", str(tmp_path))
    assert code == 1
    assert out == f"Would reformat: {path}\n1 file would be reformatted, 1 file already formatted.\n"
    assert path.read_text() == UNFORMATTED


def test_fmt_diff_prints_a_patch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.rare", UNFORMATTED)
    code, out, err = run(capsys, "fmt", "--diff", str(path))
    assert code == 1
    assert out.startswith(f"--- {path} (original)\n+++ {path} (formatted)\n@@ ")
    assert '-  country="France"   AND opens(6mo)>=3 # engaged\n' in out
    assert '+    country = "France" and opens(6mo) >= 3  # engaged\n' in out
    assert err == "1 file would be reformatted.\n"
    assert path.read_text() == UNFORMATTED
    code, out, _ = run(capsys, "fmt", "--check", "--diff", str(path))
    assert code == 1 and out.startswith("---")


def test_fmt_writes_the_canonical_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.rare", UNFORMATTED)
    path.chmod(0o640)
    code, out, _ = run(capsys, "fmt", str(tmp_path))
    assert (code, out) == (0, "1 file reformatted.\n")
    assert path.read_text() == FORMATTED
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.rare"]  # no temporary file left behind
    assert run(capsys, "fmt", "--check", str(path))[:2] == (0, "1 file already formatted.\n")


def test_fmt_keeps_crlf_and_the_byte_order_mark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "windows.rare"
    path.write_bytes(b"\xef\xbb\xbf" + UNFORMATTED.replace("\n", "\r\n").encode())
    assert run(capsys, "fmt", str(path))[0] == 0
    assert path.read_bytes() == b"\xef\xbb\xbf" + FORMATTED.replace("\n", "\r\n").encode()


def test_fmt_keeps_every_comment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("# header\n## Described.\nsegment a: # on the header\n  # before the rule\n  city is set # after city\n"
            "  # between\n  and region is set\n  # commented out\n\n# trailer\n")
    path = write(tmp_path, "a.rare", text)
    assert run(capsys, "fmt", str(path))[0] == 0
    formatted = path.read_text()
    for comment in ("# header", "## Described.", "# on the header", "# before the rule", "# after city",
                    "# between", "# commented out", "# trailer"):
        assert formatted.count(comment) == 1, comment
    assert "segment a:  # on the header\n" in formatted and "city is set  # after city\n" in formatted


def test_fmt_leaves_a_file_with_syntax_errors_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = write(tmp_path, "broken.rare", 'segment a:\n    country == "France"\n')
    fine = write(tmp_path, "fine.rare", UNFORMATTED)
    before = broken.stat().st_mtime_ns
    code, out, _ = run(capsys, "fmt", str(tmp_path))
    assert code == 1
    assert "error[RD005]: `==` is not an operator here" in out
    assert out.endswith("1 file reformatted, 1 file with errors left as it is.\n")
    assert broken.read_text() == 'segment a:\n    country == "France"\n'
    assert broken.stat().st_mtime_ns == before
    assert fine.read_text() == FORMATTED


def test_a_failed_write_leaves_the_file_and_no_temporary_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "a.rare", UNFORMATTED)

    def full_disk(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", full_disk)
    code, out, _ = run(capsys, "fmt", str(path))
    assert code == 1
    assert out.startswith(f"error[RD904]: cannot write `{path}`: No space left on device\n")
    assert out.endswith("1 file with errors left as it is.\n")
    assert path.read_text() == UNFORMATTED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.rare"]


def test_fmt_unreadable_and_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "latin1.rare").write_bytes('segment a:\n    city = "Besançon"\n'.encode("latin-1"))
    code, out, _ = run(capsys, "fmt", str(tmp_path), str(tmp_path / "gone.rare"))
    assert code == 1
    assert "not UTF-8 text" in out and "no such file or folder" in out
    assert "Traceback" not in out


def test_fmt_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(UNFORMATTED))
    assert run(capsys, "fmt", "-") == (0, FORMATTED, "")


def test_fmt_examples_are_formatted(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fmt", "--check", str(EXAMPLES))
    assert (code, out) == (0, "3 files already formatted.\n")


# --------------------------------------------------------------------------------------- check formats

WARNED = 'segment a:\n    order_count >= 0 and country = "France"\n'
BROKEN = 'segment b:\n    contry = "France"\n'


def test_warnings_alone_pass_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.rare", WARNED)
    code, out, _ = run(capsys, "check", str(tmp_path))
    assert code == 0
    assert out.startswith("warning[RW402]: `order_count >= 0` is always true\n")
    assert out.endswith("Found 1 warning in 1 segment in 1 file.\n")


def test_sarif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.rare", WARNED)
    write(tmp_path, "b.rare", BROKEN)
    code, out, _ = run(capsys, "check", "--format", "sarif", "a.rare", "b.rare")
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (sarif_run,) = log["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(CODES)
    assert all(rule["shortDescription"]["text"] and rule["defaultConfiguration"]["level"] in ("error", "warning")
               for rule in rules)
    results = {r["ruleId"]: r for r in sarif_run["results"]}
    assert set(results) == {"RW402", "RD101"}
    error = results["RD101"]
    assert error["level"] == "error" and rules[error["ruleIndex"]]["id"] == "RD101"
    assert error["message"]["text"].startswith("unknown field `contry`")
    (where,) = error["locations"]
    assert where["physicalLocation"] == {
        "artifactLocation": {"uri": "b.rare"},
        "region": {"startLine": 2, "startColumn": 5, "endLine": 2, "endColumn": 11},
    }
    assert results["RW402"]["level"] == "warning"


def test_sarif_related_locations_and_uris(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "my segments/a.rare", 'segment a:\n    city is set\n')
    write(tmp_path, "my segments/b.rare", 'segment a:\n    city is set\n')
    _, out, _ = run(capsys, "check", "--format", "sarif", "my segments")
    (result,) = json.loads(out)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "my%20segments/b.rare"
    (related,) = result["relatedLocations"]
    assert related["message"]["text"] == "first defined here"
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "my%20segments/a.rare"


def test_sarif_of_a_clean_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--format", "sarif", "-e", 'country = "France"')
    assert code == 0
    assert json.loads(out)["runs"][0]["results"] == []


def test_github_annotations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.rare", WARNED)
    write(tmp_path, "b.rare", BROKEN)
    code, out, _ = run(capsys, "check", "--format", "github", "a.rare", "b.rare")
    assert code == 1
    assert out.splitlines() == [
        "::warning file=a.rare,line=2,col=5,endLine=2,endColumn=21,title=RW402::`order_count >= 0` is always true"
        "%0Ahelp: `order_count` counts, so it is 0 or more%0Ahelp: remove it: it does not narrow the segment",
        "::error file=b.rare,line=2,col=5,endLine=2,endColumn=11,title=RD101::unknown field `contry`: not a field "
        "of the schema%0Ahelp: did you mean `country` (Customer information)?",
        "Found 1 error and 1 warning in 2 files.",
    ]


def test_github_escapes_what_it_must(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", "--format", "github", "-e", 'city = "a" and city = "b, 100%: c"')
    assert out.startswith("::warning title=RW401::")
    assert "100%25: c" in out


def test_json_carries_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.rare", WARNED + "  # rare: ignore[RW401]\n")
    code, out, _ = run(capsys, "check", "--format", "json", "a.rare")
    assert code == 0
    payload = json.loads(out)
    assert (payload["errors"], payload["warnings"]) == (0, 2)
    assert [(d["code"], d["severity"], d["line"]) for d in payload["diagnostics"]] == [
        ("RW402", "warning", 2), ("RW405", "warning", 3)]


def test_suppression_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.rare", 'segment a:\n    order_count >= 0 and country = "France"  # rare: ignore[RW402]\n')
    assert run(capsys, "check", "a.rare")[:2] == (0, "All checks passed: 1 segment in 1 file.\n")


# ------------------------------------------------------------------------------------------ store lint


def make_store(path: Path, table: str = "customers", column: str = "country") -> Path:
    connection = duckdb.connect(str(path))
    connection.execute(f'create table {table} (customer_id integer, "{column}" varchar)')
    rows = [(i, "France") for i in range(12)] + [(100 + i, "Spain") for i in range(3)] + [(200, None)]
    connection.executemany(f"insert into {table} values (?, ?)", rows)
    connection.close()
    return path


def test_check_with_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = make_store(tmp_path / "shop.duckdb")
    code, out, _ = run(capsys, "check", "--db", str(db), "-e", 'country = "Frnace" or country = "Spain"')
    assert code == 0
    assert out.startswith('warning[RW404]: no contact has country "Frnace"\n')
    assert "= help: did you mean `France` (12 contacts)?" in out
    assert out.endswith("Found 1 warning in the rule.\n")
    # Read-only: the store is not locked against its other users, and nothing was written.
    duckdb.connect(str(db)).close()


def test_the_store_is_read_through_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """examples/schema.toml renames customers to shop_contacts and country to country_name."""
    db = make_store(tmp_path / "shop.duckdb", table="shop_contacts", column="country_name")
    code, out, _ = run(capsys, "check", "--schema", str(EXAMPLES / "schema.toml"), "--db", str(db),
                       "-e", 'country = "Spian"')
    assert code == 0
    assert "did you mean `Spain` (3 contacts)?" in out


def test_a_store_that_does_not_match_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = make_store(tmp_path / "shop.duckdb", column="pays")
    code, out, _ = run(capsys, "check", "--db", str(db), "-e", 'country = "France"')
    assert code == 1
    assert out.startswith(f"error[RD901]: cannot read database `{db}`: cannot read `country` from it: ")
    assert '"customers"' in out.splitlines()[0]  # the engine's words name the table, not an alias of ours
    assert "RW404" not in out  # a value is never called unknown when it could not be looked up


def test_a_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--db", str(tmp_path / "nope.duckdb"), "-e", 'country = "France"')
    assert code == 1
    assert out.startswith(f"error[RD901]: cannot read database `{tmp_path / 'nope.duckdb'}`: no such file\n")
    assert out.endswith("Found 1 error in the database.\n")


def other_tables(path: Path) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE contacts (id INTEGER)")


@pytest.mark.parametrize(("prepare", "db", "words"), [
    pytest.param(lambda p: p.mkdir(), "{}", "is a folder, not a store file", id="folder"),
    pytest.param(lambda p: p.write_text("id,country\n1,France\n"), "{}", "is not a DuckDB database file",
                 id="not DuckDB"),
    pytest.param(other_tables, "{}", "is a DuckDB database, but not a rare store", id="no reference table"),
    pytest.param(lambda p: None, "postgresql://localhost/shop", "PostgreSQL stores are not supported yet",
                 id="engine URL"),
    pytest.param(lambda p: None, "", "no such file", id="empty"),
])
def test_a_store_that_cannot_be_opened(tmp_path: Path, capsys: pytest.CaptureFixture[str], prepare, db: str,
                                       words: str) -> None:
    """The store's own reasons (`rare_dsl.store.Store.open`), as one RD901 before any rule is looked at."""
    path = tmp_path / "shop.duckdb"
    prepare(path)
    db = db.format(path)
    code, out, err = run(capsys, "check", "--db", db, "-e", 'country = "France"')
    assert (code, err) == (1, "")
    assert out.startswith(f"error[RD901]: cannot read database `{db}`: ")
    assert words in out.splitlines()[0]
    assert out.endswith("Found 1 error in the database.\n")


# ---------------------------------------------------------------------------------------------- segments

PROJECT = {
    "base.rare": '## Everyone we may email.\nsegment subscribed:\n    status = "subscribed"\n',
    "more.rare": ('segment french:\n    in_segment("subscribed") and country = "France" and opens(6mo) >= 3\n\n'
                  'segment leads:\n    in_list("Popup leads") and in_segment("french")\n'
                  '    order by engagement(6mo) desc\n    limit 100\n'),
}


def test_segments_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, text in PROJECT.items():
        write(tmp_path, f"segments/{name}", text)
    code, out, _ = run(capsys, "segments", "segments")
    assert code == 0
    base, more = Path("segments/base.rare"), Path("segments/more.rare")
    assert out == (
        f"subscribed  {base}:2\n"
        "    Everyone we may email.\n"
        "    customer    status\n"
        "    used by     french\n"
        "\n"
        f"french  {more}:1\n"
        "    customer    country\n"
        "    engagement  opens\n"
        "    segments    subscribed\n"
        "    used by     leads\n"
        "\n"
        f"leads  {more}:4\n"
        "    engagement  engagement\n"
        '    lists       "Popup leads"\n'
        "    segments    french\n"
        "    ranked      by engagement(6mo) desc, first 100\n"
        "    used by     no other segment\n"
        "\n"
        "3 segments in 2 files.\n"
    )


def test_segments_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, text in PROJECT.items():
        write(tmp_path, name, text)
    code, out, _ = run(capsys, "segments", "--format", "json", ".")
    assert code == 0
    payload = json.loads(out)
    assert payload["files"] == 2
    by_name = {s["name"]: s for s in payload["segments"]}
    assert by_name["french"] == {
        "name": "french", "description": None, "file": "more.rare", "line": 1,
        "uses": {"customer": ["country"], "ecommerce": [], "engagement": ["opens"]},
        "lists": [], "segments": ["subscribed"], "used_by": ["leads"], "order_by": [], "limit": None,
    }
    assert (by_name["leads"]["lists"], by_name["leads"]["order_by"], by_name["leads"]["limit"]) == (
        ["Popup leads"], ["engagement(6mo) desc"], 100)


def test_segments_of_a_broken_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.rare", 'segment a:\n    in_segment("b")\n')
    code, out, _ = run(capsys, "segments", ".")
    assert code == 1
    assert out.startswith("error[RD106]: unknown segment `b`")


def test_segments_of_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "segments", "--format", "json", str(EXAMPLES))
    assert code == 0
    segments = json.loads(out)["segments"]
    assert len(segments) >= 15
    assert all(s["description"] for s in segments)
    for category in ("customer", "ecommerce", "engagement"):
        assert any(s["uses"][category] for s in segments), category
    assert any(s["lists"] for s in segments) and any(s["segments"] for s in segments)
    assert any(s["order_by"] and s["limit"] for s in segments)
    # References cross files: the library is one project.
    files = {s["name"]: s["file"] for s in segments}
    assert any(files[ref] != s["file"] for s in segments for ref in s["segments"])


# ---------------------------------------------------------------------------------------------- settings


def test_settings_from_rare_toml_in_a_parent_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "rare.toml", 'schema = "config/schema.toml"\ndialect = "Postgres"\npaths = ["segments/"]\n')
    (tmp_path / "segments" / "deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "segments" / "deep")
    settings = load_settings()
    assert settings.file == tmp_path / "rare.toml"
    assert settings.schema == tmp_path / "config" / "schema.toml"
    assert settings.dialect == "postgres"
    assert settings.paths == (tmp_path / "segments/",)
    assert settings.display_paths() == [".."]  # the segments folder, seen from segments/deep


def test_settings_from_pyproject(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "shop"\n\n[tool.rare]\npaths = ["rules"]\n')
    assert load_settings(tmp_path).paths == (tmp_path / "rules",)


def test_a_pyproject_without_rare_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path, "rare.toml", 'paths = ["segments"]\n')
    write(tmp_path, "app/pyproject.toml", '[project]\nname = "app"\n')
    assert find_settings_file(tmp_path / "app") == (tmp_path / "rare.toml", ())


def test_rare_toml_wins_over_pyproject_in_one_folder(tmp_path: Path) -> None:
    write(tmp_path, "rare.toml", 'paths = ["a"]\n')
    write(tmp_path, "pyproject.toml", '[tool.rare]\npaths = ["b"]\n')
    assert load_settings(tmp_path).paths == (tmp_path / "a",)


def test_no_settings(tmp_path: Path) -> None:
    assert load_settings(tmp_path).file is None


def test_unknown_keys_are_reported_where_they_are(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "shop"\n\n[tool.rare]\npaths = ["rules"]\nshema = "x.toml"\n'
                                      'dialect = "postgress"\n')
    with pytest.raises(RuleError) as caught:
        load_settings(tmp_path)
    found = [(d.code, d.message, d.source.position(d.span.start), d.hints) for d in caught.value.diagnostics]
    assert found == [
        ("RD903", "unknown setting `shema`", (6, 1), ("did you mean `schema`?",)),
        ("RD903", "unknown dialect `postgress`", (7, 1), ("did you mean `postgres`?",)),
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("paths = 3\n", "`paths` must be an array of paths"),
    ('schema = ["a"]\n', "`schema` must be text"),
    ("paths = [\n", "invalid TOML"),
])
def test_invalid_settings(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "rare.toml", text)
    with pytest.raises(RuleError) as caught:
        load_settings(tmp_path)
    (only,) = caught.value.diagnostics
    assert only.code == "RD903" and only.message.startswith(message)


def test_check_and_fmt_use_the_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "rare.toml", 'paths = ["segments"]\nschema = "schema.toml"\n')
    write(tmp_path, "schema.toml", (EXAMPLES / "schema.toml").read_text())
    path = write(tmp_path, "segments/a.rare", 'segment champions:\n  quality = "champion"\n')
    # The renamed backend's schema has a `champion` quality; the default schema does not.
    assert run(capsys, "check")[:2] == (0, "All checks passed: 1 segment in 1 file.\n")
    assert run(capsys, "check", "--schema", str(EXAMPLES.parent / "rare_dsl/schema/default.toml"))[0] == 1
    assert run(capsys, "fmt", "--check")[0] == 1
    assert run(capsys, "fmt")[0] == 0
    assert path.read_text() == 'segment champions:\n    quality = "champion"\n'


def test_invalid_settings_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "rare.toml", 'pahts = ["segments"]\n')
    code, out, _ = run(capsys, "check", "-e", "city is set")
    assert code == 1
    assert out == (
        "error[RD903]: unknown setting `pahts`\n"
        " --> rare.toml:1:1\n"
        "  |\n"
        '1 | pahts = ["segments"]\n'
        "  | ^^^^^^^^^^^^^^^^^^^^ not a setting of rare\n"
        "  |\n"
        "  = help: did you mean `paths`?\n"
        "Found 1 error in the settings file.\n"
    )
    assert run(capsys, "fmt")[0] == 1


def test_no_paths_anywhere_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "fmt")
    assert code == 2
    assert "set `paths` in the project settings" in err


# ------------------------------------------------------------------------------------------------- docs

RULE_FILES_DOC = (ROOT / "docs" / "rule-files.md").read_text(encoding="utf-8")


def test_rule_file_examples_in_the_docs_check_clean_and_are_formatted() -> None:
    from rare_dsl import check_project, format_file

    examples = re.findall(r"^```rare-file\n(.*?)^```", RULE_FILES_DOC, re.MULTILINE | re.DOTALL)
    assert examples
    for body in examples:
        assert check_project([(body, "doc.rare")]).warnings == ()
        assert format_file(body) == body


def test_the_segments_listing_in_the_docs_is_real(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    shown = re.search(r"^\$ rare segments examples/\n(.*?)^\.\.\.$", RULE_FILES_DOC, re.MULTILINE | re.DOTALL)
    assert shown is not None
    monkeypatch.chdir(ROOT)
    _, out, _ = run(capsys, "segments", "examples/")
    assert out.startswith(shown.group(1))
