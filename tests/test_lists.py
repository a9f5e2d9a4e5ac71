"""Lists (SPEC 5): create, add, remove, show, delete, and CSV import over a corpus of the files shops really
export (BOM, CRLF, `;`, quoted newlines, Latin-1, `Name <a@b.com>`, empty cells, duplicates in other case,
100,000 rows); an import is one transaction, a dry run writes nothing."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import snapshot

from rare_dsl import lists
from rare_dsl.cli import main
from rare_dsl.lists import ListError
from rare_dsl.schema import load_schema
from rare_dsl.store import Store
from rare_dsl.store.tables import INFO_TABLE


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A store with one contact and an empty list "Leads"."""
    store_path = tmp_path / "shop.duckdb"
    with Store.open(store_path, write=True) as store:
        store.execute("INSERT INTO customers (customer_id, email, first_name, city, created_at, source) "
                      "VALUES (41, 'known@shop.com', 'Known', 'Lyon', now(), 'store')")
        lists.create_list(store, "Leads")
    return store_path


@pytest.fixture
def store(path: Path) -> Iterator[Store]:
    with Store.open(path, write=True) as opened:
        yield opened


def write(folder: Path, name: str, data: str | bytes, encoding: str = "utf-8") -> Path:
    file = folder / name
    file.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return file


def members_of(path: Path, name: str = "Leads") -> int:
    with Store.open(path) as reader:
        return lists.find_list(reader, name).members


def balanced(report: lists.AddReport) -> bool:
    return report.rows_read == report.added + report.already_members + report.duplicates + len(report.invalid)


# ------------------------------------------------------------------------------------------- the lists


def test_create_show_delete(store: Store) -> None:
    created = lists.create_list(store, "  VIP preview ")
    assert created.name == "VIP preview"
    assert lists.list_names(store) == ["Leads", "VIP preview"]
    lists.add(store, "VIP preview", ["known@shop.com"])
    summary, members = lists.members(store, "VIP preview")
    assert summary.members == 1 and members[0].email == "known@shop.com" and members[0].first_name == "Known"
    deleted = lists.delete_list(store, "VIP preview")
    assert deleted.members == 1
    assert lists.list_names(store) == ["Leads"]
    assert store.total_contacts() == 1  # the contact stays
    assert store.row_counts()["list_members"] == 0


@pytest.mark.parametrize(("name", "words"), [
    ("leads", 'a list named "Leads" already exists'),
    ("", "cannot be empty"),
    ("x" * 201, "at most 200"),
    ("tab\there", "control characters"),
])
def test_create_refuses(store: Store, name: str, words: str) -> None:
    with pytest.raises(ListError, match=words):
        lists.create_list(store, name)


def test_an_unknown_list_suggests_the_closest(store: Store) -> None:
    with pytest.raises(ListError) as caught:
        lists.members(store, "leds")
    assert caught.value.message == 'there is no list named "leds"'
    assert caught.value.hint == 'did you mean "Leads"?'


def test_add_creates_missing_contacts_and_reuses_known_ones(store: Store) -> None:
    report = lists.add(store, "Leads", ["KNOWN@shop.com", " New Person <New@Example.org> ", "mailto:third@x.io",
                                        "new@example.org"])
    assert (report.added, report.new_contacts, report.duplicates, report.already_members) == (3, 2, 1, 0)
    rows = dict(store.execute("SELECT email, source FROM customers").fetchall())
    assert rows == {"known@shop.com": "store", "new@example.org": "list:Leads", "third@x.io": "list:Leads"}
    assert store.scalar("SELECT min(customer_id) FROM customers WHERE source = 'list:Leads'") == 42
    again = lists.add(store, "Leads", ["new@example.org"])
    assert (again.added, again.already_members) == (0, 1)


def test_add_with_an_invalid_address_writes_nothing(store: Store, path: Path) -> None:
    report = lists.add(store, "Leads", ["ok@shop.com", "bad@@shop.com", ""])
    # The reasons are email-validator's own words (they vary a little between its versions).
    assert [r.line for r in report.invalid] == [2, 3]
    assert "@-sign" in report.invalid[0].reason and report.invalid[1].reason == "no email address"
    assert store.row_counts()["list_members"] == 0 and store.total_contacts() == 1


def test_remove(store: Store) -> None:
    lists.add(store, "Leads", ["a@shop.com", "b@shop.com"])
    report = lists.remove(store, "Leads", ["A@shop.com", "nobody@shop.com", "known@shop.com"])
    assert report.removed == 1
    assert report.not_members == ["nobody@shop.com", "known@shop.com"]
    assert [m.email for m in lists.members(store, "Leads")[1]] == ["b@shop.com"]
    assert store.total_contacts() == 3  # contacts stay


# ------------------------------------------------------------------------------------------ the corpus

CORPUS = {
    # name: (bytes or text, encoding of the file, expected (rows read, added, duplicates, invalid))
    "bom_crlf_semicolon": ("\ufeffE-mail;Prénom;Ville\r\nzoe@example.fr;Zoé;Paris\r\nmax@example.de;Max;Köln\r\n",
                           (2, 2, 0, 0)),
    "quoted_newlines": ('email,notes\n"a@x.com","line one\nline two"\nbad@@x.com,x\n"b@x.com",\n', (3, 2, 0, 1)),
    "display_names": ('Email Address\n"Jane Doe <JANE@x.com>"\n"\'Bob\' <bob@x.com>"\n<c@x.com>\n', (3, 3, 0, 0)),
    "empty_cells": ("first_name,email,city\nAnn,,Paris\n,,\nBen,ben@x.com,\n\n,carl@x.com,Rome\n", (3, 2, 0, 1)),
    "case_duplicates": ("courriel\nMarie@Example.com\nmarie@example.COM\nMARIE@EXAMPLE.COM\nkim@x.com\n",
                        (4, 2, 2, 0)),
    "tab_delimited": ("name\temail\tcountry\nAna\tana@x.pt\tPortugal\nLi\tli@x.cn\tChina\n", (2, 2, 0, 0)),
    "pipe_delimited": ("email|city\na@x.com|Oslo\nb@x.com|Bergen\n", (2, 2, 0, 0)),
    "no_header": ("alpha@x.com\nbeta@x.com\nnot-an-address\n", (3, 2, 0, 1)),
    "german_header": ("Vorname;E-Mail-Adresse;Stadt\nJörg;joerg@x.de;Köln\n", (1, 1, 0, 0)),
    "email_like_headers": ("Email opt-in;Work email;E-mail\nyes;work@x.com;home@x.com\n", (1, 1, 0, 0)),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus(store: Store, tmp_path: Path, name: str) -> None:
    text, (read, added, duplicates, invalid) = CORPUS[name]
    report = lists.import_csv(store, "Leads", write(tmp_path, f"{name}.csv", text))
    assert (report.rows_read, report.added, report.duplicates, len(report.invalid)) == (read, added, duplicates,
                                                                                        invalid)
    assert balanced(report)
    assert store.scalar("SELECT count(*) FROM list_members") == added
    assert store.scalar("SELECT count(*) FROM customers WHERE email <> lower(email)") == 0


def test_bom_crlf_semicolon_details(store: Store, tmp_path: Path) -> None:
    report = lists.import_csv(store, "Leads", write(tmp_path, "f.csv", CORPUS["bom_crlf_semicolon"][0]))
    assert (report.delimiter, report.email_column, report.encoding) == (";", "E-mail", "utf-8")
    rows = store.execute("SELECT email, first_name, city, source FROM customers WHERE customer_id > 41 "
                         "ORDER BY customer_id").fetchall()
    assert rows == [("zoe@example.fr", "Zoé", "Paris", "import"), ("max@example.de", "Max", "Köln", "import")]


def test_an_exact_email_header_wins(store: Store, tmp_path: Path) -> None:
    report = lists.import_csv(store, "Leads", write(tmp_path, "f.csv", CORPUS["email_like_headers"][0]))
    assert report.email_column == "E-mail"
    assert lists.members(store, "Leads")[1][0].email == "home@x.com"


def test_invalid_rows_are_named_by_their_line(store: Store, tmp_path: Path) -> None:
    report = lists.import_csv(store, "Leads", write(tmp_path, "f.csv", CORPUS["quoted_newlines"][0]))
    assert [(r.line, r.value) for r in report.invalid] == [(4, "bad@@x.com")]  # after a record on lines 2-3
    report = lists.import_csv(store, "Leads", write(tmp_path, "g.csv", CORPUS["empty_cells"][0]))
    assert [(r.line, r.reason) for r in report.invalid] == [(2, "no email address")]


def test_known_columns_fill_new_contacts_only(store: Store, tmp_path: Path) -> None:
    text = "email,first_name,last_name,country,country_code,region,city\n" \
           "known@shop.com,Other,Name,Spain,ES,Madrid,Madrid\nfresh@x.com,Fresh,Face,Spain,es,Cataluña,Barcelona\n"
    lists.import_csv(store, "Leads", write(tmp_path, "f.csv", text))
    rows = store.execute("SELECT email, first_name, last_name, country, country_code, region, city FROM customers "
                         "ORDER BY customer_id").fetchall()
    assert rows == [("known@shop.com", "Known", None, None, None, None, "Lyon"),
                    ("fresh@x.com", "Fresh", "Face", "Spain", "ES", "Cataluña", "Barcelona")]


def test_duplicates_merge_their_details(store: Store, tmp_path: Path) -> None:
    text = "email,first_name,city\nann@x.com,,Paris\nANN@x.com,Ann,Nice\n"
    report = lists.import_csv(store, "Leads", write(tmp_path, "f.csv", text))
    assert report.duplicates == 1
    assert store.execute("SELECT first_name, city FROM customers WHERE email = 'ann@x.com'").fetchone() == (
        "Ann", "Paris")


def test_latin1_is_a_clear_error_and_works_with_encoding(store: Store, tmp_path: Path, path: Path) -> None:
    file = write(tmp_path, "excel.csv", "email;prénom\nelise@x.fr;Élise\n", encoding="latin-1")
    with pytest.raises(ListError) as caught:
        lists.import_csv(store, "Leads", file)
    assert "is not UTF-8 text: line 1 has the byte 0xE9" in caught.value.message
    assert "--encoding latin-1" in (caught.value.hint or "")
    report = lists.import_csv(store, "Leads", file, encoding="latin-1")
    assert report.added == 1
    assert store.scalar("SELECT first_name FROM customers WHERE email = 'elise@x.fr'") == "Élise"


def test_utf16_from_excel(store: Store, tmp_path: Path) -> None:
    file = write(tmp_path, "unicode.txt", "email\tname\r\nhana@x.jp\t花子\r\n".encode("utf-16"))
    report = lists.import_csv(store, "Leads", file)
    assert (report.added, report.encoding, report.delimiter) == (1, "utf-16", "\t")


@pytest.mark.parametrize(("text", "column", "expected"), [
    ("id;Contact;Mail perso\n1;a@x.com;b@y.com\n", "Mail perso", "b@y.com"),
    ("id;Contact;Mail perso\n1;a@x.com;b@y.com\n", "contact", "a@x.com"),
    ("1;a@x.com;b@y.com\n", "3", "b@y.com"),
])
def test_email_column_given(store: Store, tmp_path: Path, text: str, column: str, expected: str) -> None:
    report = lists.import_csv(store, "Leads", write(tmp_path, "f.csv", text), email_column=column)
    assert report.added == 1
    assert lists.members(store, "Leads")[1][0].email == expected


@pytest.mark.parametrize(("text", "kwargs", "words"), [
    ("id;Contact\n1;someone\n", {}, "cannot find the email column"),
    ("id;Contact\n1;a@x.com\n", {"email_column": "Contcat"}, "has no column `Contcat`"),
    ("", {}, "holds no rows"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {}, "not UTF-8 text"),
    (b"\x00\x01\x02binary\x00junk", {}, "binary data"),
    (b"email\nab\x00c@x.com\n", {}, "binary data"),
    ("email\na@x.com\n", {"encoding": "klingon"}, "unknown encoding"),
])
def test_files_that_cannot_be_imported(store: Store, tmp_path: Path, text: str | bytes, kwargs: dict[str, str],
                                       words: str) -> None:
    with pytest.raises(ListError, match=words):
        lists.import_csv(store, "Leads", write(tmp_path, "f.csv", text), **kwargs)
    assert store.row_counts()["list_members"] == 0


def test_a_missing_file_or_list(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ListError, match="there is no file"):
        lists.import_csv(store, "Leads", tmp_path / "nope.csv")
    with pytest.raises(ListError, match='no list named "Lead"'):
        lists.import_csv(store, "Lead", write(tmp_path, "f.csv", "email\na@x.com\n"))


def test_a_hundred_thousand_rows(store: Store, tmp_path: Path) -> None:
    file = tmp_path / "big.csv"
    with file.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Email", "First name"])
        for n in range(100_000):
            email = f"broken{n}@@x.com" if n % 1000 == 7 else f"Lead{n % 99_000}@Example.org"
            writer.writerow([email, f"First{n}"])
    started = time.perf_counter()
    report = lists.import_csv(store, "Leads", file)
    assert time.perf_counter() - started < 60
    assert (report.rows_read, len(report.invalid)) == (100_000, 100)
    valid = [n for n in range(100_000) if n % 1000 != 7]
    distinct = {n % 99_000 for n in valid}
    assert report.added == report.new_contacts == len(distinct)
    assert report.duplicates == len(valid) - len(distinct)
    assert balanced(report)
    assert store.scalar("SELECT count(*) FROM list_members") == report.added
    assert report.invalid[0].line == 9  # header, then row 7 of 0..


def test_another_schema_gets_its_own_names(tmp_path: Path) -> None:
    schema = load_schema(Path(__file__).resolve().parent.parent / "examples" / "schema.toml")
    file = write(tmp_path, "f.csv", "email,first_name,country\nana@x.com,Ana,Spain\n")
    with Store.open(tmp_path / "other.duckdb", write=True, schema=schema) as store:
        lists.create_list(store, "Leads")
        lists.add(store, "Leads", ["bo@x.com"])
        report = lists.import_csv(store, "Leads", file)
        assert report.added == 1 and lists.find_list(store, "Leads").members == 2
        rows = store.execute("SELECT email_address, first_name, country_name, grade, orders_count, lifetime_value "
                             "FROM shop_contacts ORDER BY contact_id").fetchall()
        assert rows == [("bo@x.com", None, None, "new", 0, 0), ("ana@x.com", "Ana", "Spain", "new", 0, 0)]
        assert [m.email for m in lists.members(store, "Leads")[1]] == ["ana@x.com", "bo@x.com"]
        assert lists.remove(store, "Leads", ["bo@x.com"]).removed == 1


# ------------------------------------------------------------------------------------ one transaction


def test_dry_run_writes_nothing(path: Path, tmp_path: Path) -> None:
    file = write(tmp_path, "f.csv", "email\nknown@shop.com\nnew@x.com\nbad@\n")
    before = snapshot(path)
    with Store.open(path) as reader:  # read-only is enough
        report = lists.import_csv(reader, "Leads", file, dry_run=True)
    assert (report.added, report.new_contacts, len(report.invalid)) == (2, 1, 1)
    assert snapshot(path) == before
    with Store.open(path, write=True) as store:
        real = lists.import_csv(store, "Leads", file)
    assert (real.added, real.new_contacts) == (report.added, report.new_contacts)


@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()])
@pytest.mark.parametrize("stage", ["adding contacts", "adding members"])
def test_a_failure_midway_leaves_the_store_exactly_as_before(path: Path, tmp_path: Path, stage: str,
                                                             failure: BaseException) -> None:
    file = write(tmp_path, "f.csv", "email\nknown@shop.com\nnew1@x.com\nnew2@x.com\n")
    with Store.open(path, write=True) as store:
        lists.add(store, "Leads", ["earlier@x.com"])
    before = snapshot(path)

    def fail(at: str, done: int, total: int) -> None:
        if at == stage:
            raise failure

    with Store.open(path, write=True) as store:
        with pytest.raises(type(failure)):
            lists.import_csv(store, "Leads", file, progress=fail)
        # The same connection goes on working: nothing is left half-done or locked.
        assert lists.members(store, "Leads")[0].members == 1
    assert snapshot(path) == before


def test_rejects_file(store: Store, tmp_path: Path) -> None:
    file = write(tmp_path, "f.csv", "Name;Email\nAnn;ann@x.com\nBob;bob@@x.com\n\"Cy\nCyrus\";\n")
    report = lists.import_csv(store, "Leads", file)
    rejects = tmp_path / "rejects.csv"
    lists.write_rejects(report, rejects)
    with rejects.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "reason", "Name", "Email"]
    assert [row[0] for row in rows[1:]] == ["3", "4"]
    assert rows[1][2:] == ["Bob", "bob@@x.com"] and rows[2][2:] == ["Cy\nCyrus", ""]
    with pytest.raises(ListError, match="is the file being imported"):
        lists.write_rejects(report, file)


# -------------------------------------------------------------------------------------------------- CLI


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_round_trip(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(path)]
    assert run(capsys, "list", "create", "Popup", *db)[:2] == (0, 'Created the list "Popup".\n')
    code, out, _ = run(capsys, "list", "add", "Popup", "a@x.com", "known@shop.com", *db)
    assert code == 0 and "  2  added to the list\n  1    of them new contacts\n" in out
    file = write(tmp_path, "f.csv", "email\nb@x.com\nB@X.com\nnope\n")
    code, out, _ = run(capsys, "list", "import", "Popup", str(file), "--rejects", str(tmp_path / "r.csv"), *db)
    assert code == 0
    assert f'Imported {file} into "Popup":' in out
    assert "line 4: `nope`: " in out and "@-sign" in out
    assert (tmp_path / "r.csv").exists()
    code, out, _ = run(capsys, "list", "ls", "--format", "json", *db)
    assert [(entry["name"], entry["members"]) for entry in json.loads(out)] == [("Leads", 0), ("Popup", 3)]
    code, out, _ = run(capsys, "list", "show", "Popup", "-n", "2", "--format", "json", *db)
    shown = json.loads(out)
    assert shown["members"] == 3 and len(shown["shown"]) == 2
    code, out, _ = run(capsys, "list", "show", "Popup", "-n", "1", *db)
    assert "… and 2 more (-n 0 shows them all)" in out
    code, out, _ = run(capsys, "list", "remove", "Popup", "a@x.com", *db)
    assert out.startswith('Removed 1 contact from "Popup"')
    assert run(capsys, "list", "delete", "Popup", *db)[0] == 0
    out = run(capsys, "list", "ls", *db)[1]
    assert out.startswith(f"Lists in {path}:\n  Leads ") and " 0 contacts  created " in out
    assert out.count("\n") == 2


def test_cli_import_json_and_dry_run(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = write(tmp_path, "f.csv", "email\nb@x.com\nnope\n")
    code, out, _ = run(capsys, "list", "import", "Leads", str(file), "--dry-run", "--format", "json", "--db", str(path))
    report = json.loads(out)
    assert code == 0 and report["dry_run"] and report["added"] == 1 and report["invalid"] == 1
    [rejected] = report["invalid_rows"]
    assert (rejected["line"], rejected["value"]) == (3, "nope") and "@-sign" in rejected["reason"]
    assert members_of(path) == 0


@pytest.mark.parametrize(("argv", "code", "words"), [
    (["list", "import", "Leads", "{latin1}"], 1, "add --encoding latin-1"),
    (["list", "import", "Leads", "{missing}"], 2, "there is no file"),
    (["list", "import", "Lead", "{latin1}"], 1, 'did you mean "Leads"?'),
    (["list", "add", "Leads", "bad@@x.com", "ok@x.com"], 1, 'nothing was added to "Leads"'),
    (["list", "create", ""], 2, "cannot be empty"),
    (["list", "show", "Leads", "-n", "-1"], 2, "-n takes 0"),
    (["list"], 2, "usage: rare list"),
    (["list", "add", "Leads", "a@x.com", "--db", "{missing_store}"], 1, "there is no store at"),
    (["list", "import", "Leads", "{latin1}", "--encoding", "rot13"], 2, "unknown encoding"),
])
def test_cli_errors(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int,
                    words: str) -> None:
    latin1 = write(tmp_path, "latin1.csv", "email;prénom\nelise@x.fr;Élise\n", encoding="latin-1")
    argv = [a.format(latin1=latin1, missing=tmp_path / "missing.csv", missing_store=tmp_path / "none.duckdb")
            for a in argv]
    got, out, err = run(capsys, *argv, *(["--db", str(path)] if len(argv) > 1 and "--db" not in argv else []))
    assert got == code
    assert words in out + err
    assert not (tmp_path / "none.duckdb").exists()
    assert "Traceback" not in err and "internal error" not in err
    assert members_of(path) == 0


# ------------------------------------------------------------- a newcomer's first hour (issue 18, 4 and 8)

ROOT = Path(__file__).resolve().parent.parent
LEADS = ROOT / "examples" / "leads.csv"


def test_the_readme_list_commands_work_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `$ rare list` line of the README, run as written from the repository root on a demo store."""
    import shlex

    from rare_dsl.store.demo import generate

    store_path = tmp_path / "rare.duckdb"
    with Store.open(store_path, write=True) as store:
        generate(store, contacts=2_000, seed=1)
    monkeypatch.setenv("RARE_DB", str(store_path))
    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [shlex.split(line.split("$ ", 1)[1], comments=True) for line in readme.splitlines()
                if line.startswith("$ rare list ")]
    assert [argv[:3] for argv in commands] == [["rare", "list", "import"], ["rare", "list", "show"],
                                               ["rare", "list", "snapshot"]]
    before = snapshot(store_path)
    outputs = []
    for argv in commands:
        code, out, err = run(capsys, *argv[1:])
        assert code == 0, err
        assert "Traceback" not in err
        outputs.append(out)
    imported, shown, snapped = outputs
    assert imported.startswith('Dry run: adding examples/leads.csv to "Popup leads" would change this')
    assert "Invalid rows:" in imported and "Duplicates, merged" in imported and "looks like gmail.com" in imported
    assert shown.startswith('"Popup leads": ')
    assert snapped.startswith('Created the list "Black Friday".\nSnapshot of the rule into "Black Friday":')
    after = snapshot(store_path)
    # The snapshot wrote a list, its members and when lists last changed; nothing else changed.
    changed = ("lists", "list_members", INFO_TABLE)
    assert {table: rows for table, rows in after.items() if table not in changed} \
        == {table: rows for table, rows in before.items() if table not in changed}
    with Store.open(store_path) as reader:
        vip = int(reader.scalar("SELECT count(*) FROM customers WHERE quality = 'vip'"))
        assert vip > 0 and lists.find_list(reader, "Black Friday").members == vip


def test_examples_leads_csv_shows_every_part_of_the_report(path: Path) -> None:
    with Store.open(path) as reader:
        report = lists.import_csv(reader, "Leads", LEADS, dry_run=True)
    assert (report.rows_read, report.added, report.duplicates, len(report.invalid)) == (12, 8, 1, 3)
    assert balanced(report)
    assert [(r.line, r.value) for r in report.invalid] == [(9, "sophie.martin@@example.fr"), (10, ""),
                                                           (13, "not an address")]
    assert [(d.line, d.value, d.first_line) for d in report.duplicate_rows] == [(7, "LEA.MOREAU@example.com", 2)]
    assert [(w.line, w.domain, w.suggestion) for w in report.domain_warnings] == [
        (6, "gmial.com", "gmail.com"), (12, "hotmail.co", "hotmail.com")]


def test_import_into_a_missing_list_creates_it_and_says_so(path: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(path)]
    before = snapshot(path)
    code, out, _ = run(capsys, "list", "import", "Spring fair", str(LEADS), "--dry-run", *db)
    assert code == 0
    assert out.startswith(f'Dry run: adding {LEADS} to "Spring fair" would create the list and change this '
                          "(nothing was written):\n  12  rows read\n   8  to add to the list\n")
    assert snapshot(path) == before
    code, out, _ = run(capsys, "list", "import", "Spring fair", str(LEADS), "--dry-run", "--format", "json", *db)
    assert json.loads(out)["created"] is True and snapshot(path) == before
    code, out, _ = run(capsys, "list", "import", "Spring fair", str(LEADS), *db)
    assert code == 0
    assert out.startswith(f'Created the list "Spring fair".\nImported {LEADS} into "Spring fair":\n  12  rows read\n')
    assert members_of(path, "Spring fair") == 8
    # Into the list it made, a second time: nothing new, nothing created.
    code, out, _ = run(capsys, "list", "import", "Spring fair", str(LEADS), "--format", "json", *db)
    again = json.loads(out)
    assert (again["created"], again["added"], again["already_members"]) == (False, 0, 8)


def test_import_into_a_missing_store_creates_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store_path = tmp_path / "new.duckdb"
    code, out, err = run(capsys, "list", "import", "Leads", str(LEADS), "--dry-run", "--db", str(store_path))
    assert code == 1 and "there is no store at" in err and not store_path.exists()
    code, out, err = run(capsys, "list", "import", "Leads", str(LEADS), "--db", str(store_path))
    assert code == 0, err
    assert out.startswith('Created the list "Leads".') and members_of(store_path) == 8


@pytest.mark.parametrize("name", ["Lead", "leads", "Leads "])
def test_a_name_close_to_an_existing_list_never_makes_a_new_one(store: Store, name: str) -> None:
    if name.strip() == "Leads":  # the same list, trimmed as list names are
        assert lists.import_csv(store, name, LEADS, create=True).list_name == "Leads"
        assert lists.list_names(store) == ["Leads"]
        return
    with pytest.raises(ListError, match=f'no list named "{name}"') as caught:
        lists.import_csv(store, name, LEADS, create=True)
    assert 'did you mean "Leads"?' in (caught.value.hint or "")
    # `rare list create "leads"` would be refused: two lists cannot differ only by case.
    assert (f'`rare list create "{name}"`' in (caught.value.hint or "")) == (name != "leads")
    assert lists.list_names(store) == ["Leads"]


@pytest.mark.parametrize("stage", ["adding contacts", "adding members"])
def test_a_failed_import_leaves_no_new_list(path: Path, stage: str) -> None:
    before = snapshot(path)

    def fail(at: str, done: int, total: int) -> None:
        if at == stage:
            raise RuntimeError("disk full")

    with Store.open(path, write=True) as store, pytest.raises(RuntimeError):
        lists.import_csv(store, "Spring fair", LEADS, create=True, progress=fail)
    assert snapshot(path) == before


def test_snapshot_into_a_missing_list_creates_it(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(path)]
    before = snapshot(path)
    code, out, _ = run(capsys, "list", "snapshot", "Lyon", "--segment", 'city = "Lyon"', "--dry-run", *db)
    assert code == 0
    assert out == ('Dry run: a snapshot of the rule into "Lyon" would create the list and change this (nothing '
                   "was written):\n  1  contacts meet the rule\n  1  to add to the list\n  0  already on the list\n")
    assert snapshot(path) == before
    code, out, _ = run(capsys, "list", "snapshot", "Lyon", "--segment", 'city = "Lyon"', *db)
    assert out.startswith('Created the list "Lyon".\nSnapshot of the rule into "Lyon":\n  1  contacts meet')
    assert members_of(path, "Lyon") == 1
    code, out, _ = run(capsys, "list", "snapshot", "Lyon", "--segment", 'city = "Lyon"', "--format", "json", *db)
    assert json.loads(out)["created"] is False and json.loads(out)["already_members"] == 1
    code, _, err = run(capsys, "list", "snapshot", "Lyo", "--segment", 'city = "Lyon"', *db)
    assert code == 1 and 'did you mean "Lyon"?' in err and members_of(path, "Lyon") == 1


@pytest.mark.parametrize(("domain", "meant"), [
    ("gmial.com", "gmail.com"), ("gmail.co", "gmail.com"), ("hotmial.com", "hotmail.com"), ("gamil.com", "gmail.com"),
    ("gmai.com", "gmail.com"), ("gmaill.com", "gmail.com"), ("gmail.con", "gmail.com"), ("yahooo.com", "yahoo.com"),
    ("outlok.com", "outlook.com"), ("hotmail.co", "hotmail.com"), ("icloud.co", "icloud.com"), ("aol.con", "aol.com"),
    ("wanadoo.ff", None),  # two country codes: taken for a country variant
    ("gmail.com", None), ("mail.com", None), ("ymail.com", None), ("email.com", None), ("hotmail.be", None),
    ("hotmail.nl", None), ("life.com", None), ("aok.com", None), ("example.com", None), ("gmail.fr", None),
    ("shop.co.uk", None), ("gmäil.com", None),
])
def test_likely_domain_typos(domain: str, meant: str | None) -> None:
    from rare_dsl.addresses import likely_typo

    assert likely_typo(domain) == meant


def test_typos_and_duplicates_are_named_but_not_rejected(store: Store, tmp_path: Path) -> None:
    text = "email\nann@gmial.com\nANN@gmial.com\nbo@gmail.com\nBo@Gmail.com\nbo@gmail.com\n"
    report = lists.import_csv(store, "Leads", write(tmp_path, "f.csv", text))
    assert (report.added, report.duplicates, len(report.invalid)) == (2, 3, 0)
    assert [(d.line, d.first_line) for d in report.duplicate_rows] == [(3, 2), (5, 4), (6, 4)]
    assert [(w.line, w.value) for w in report.domain_warnings] == [(2, "ann@gmial.com")]  # once per address
    assert store.scalar("SELECT count(*) FROM customers WHERE email = 'ann@gmial.com'") == 1
    assert report.to_dict()["duplicate_rows"][0] == {"line": 3, "value": "ANN@gmial.com", "first_line": 2}
    assert report.to_dict()["domain_warnings"] == [{"line": 2, "value": "ann@gmial.com", "domain": "gmial.com",
                                                    "suggestion": "gmail.com"}]


def test_add_names_duplicates_and_typos_by_position(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "add", "Leads", "ann@hotmial.com", "bo@x.com", "ANN@hotmial.com",
                       "--db", str(path))
    assert code == 0
    assert out.endswith("Duplicates, merged:\n  address 3: `ANN@hotmial.com`, as address 1\n"
                        "Warnings, addresses whose domain looks like a typo (added as written):\n"
                        "  address 1: `ann@hotmial.com`: hotmial.com looks like hotmail.com\n")
    assert members_of(path) == 2
