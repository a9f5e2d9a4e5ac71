"""Lists (SPEC 5): static groups of contacts that change only when someone adds or removes people.

This module owns list operations on an open `Store`: create, delete, show, add and remove by email,
import a CSV file, and snapshot a segment (add everyone who meets a rule now). Every address is trimmed,
read out of `Name <a@b.com>` cells and validated for syntax with email-validator (no DNS), then stored
lower-case; addresses that are not contacts yet become contacts. Each change is one transaction, so a
failed import leaves the store exactly as it was.

A segment is the other kind of group: everyone who meets a rule, right now. Nothing here, or anywhere,
adds a contact to a segment by hand.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import datetime as dt
import io
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from rare_dsl import addresses
from rare_dsl.diagnostics import suggest
from rare_dsl.store import Store, StoreError
from rare_dsl.store import tables as store_tables

if TYPE_CHECKING:
    from rare_dsl.typed import CheckedRule, CheckedSegment

MAX_NAME_LENGTH = 200
# Rows are sent to DuckDB in chunks of this many: big enough to be fast, small enough for a live progress bar.
CHUNK = 100_000
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"

Progress = Callable[[str, int, int], None]  # (stage, done, total)

# Header names, normalized (see `_header_key`), that name each column a CSV import understands.
EMAIL_HEADERS = frozenset({
    "email", "emails", "mail", "emailaddress", "emailaddresses", "mailaddress", "courriel", "adresseemail",
    "adressemail", "adressecourriel", "adresseelectronique", "emailadresse", "mailadresse", "correo",
    "correoelectronico", "direcciondecorreo", "direcciondecorreoelectronico", "indirizzoemail", "posta",
    "postaelettronica", "epost", "epostadress", "emailadres", "contactemail", "customeremail", "subscriberemail",
})
CONTACT_HEADERS: dict[str, frozenset[str]] = {
    "first_name": frozenset({"firstname", "first", "givenname", "forename", "prenom", "vorname", "nombre",
                             "voornaam", "fornamn", "nome"}),
    "last_name": frozenset({"lastname", "last", "surname", "familyname", "nom", "nomdefamille", "nachname",
                            "apellido", "apellidos", "achternaam", "efternamn", "cognome"}),
    "country": frozenset({"country", "countryname", "pays", "land", "pais", "paese"}),
    "country_code": frozenset({"countrycode", "countryiso", "iso", "isocode", "codepays"}),
    "region": frozenset({"region", "state", "province", "county", "bundesland", "provincia", "regione",
                         "stateprovince"}),
    "city": frozenset({"city", "town", "ville", "stadt", "ciudad", "citta", "localidad", "stad"}),
}
CONTACT_COLUMNS = tuple(CONTACT_HEADERS)


class ListError(StoreError):
    """A list operation that cannot be done: no such list, an unreadable file, an invalid address."""


# -------------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class ListSummary:
    list_id: int
    name: str
    members: int
    created_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "members": self.members, "created_at": _iso(self.created_at)}


@dataclass(frozen=True)
class Member:
    customer_id: int
    email: str
    first_name: str | None
    last_name: str | None
    added_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "email": self.email, "first_name": self.first_name,
                "last_name": self.last_name, "added_at": _iso(self.added_at)}


@dataclass(frozen=True)
class Rejected:
    """An address that was not added: where it was (a CSV line, or the position of an argument) and why."""

    line: int
    value: str
    reason: str
    cells: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class Duplicate:
    """A row whose address an earlier row already had (case ignored): merged into that one."""

    line: int
    value: str
    first_line: int

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "value": self.value, "first_line": self.first_line}


@dataclass(frozen=True)
class DomainWarning:
    """A valid address whose domain is one typo from a common mailbox domain: added, but worth a look."""

    line: int
    value: str
    domain: str
    suggestion: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "value": self.value, "domain": self.domain, "suggestion": self.suggestion}


@dataclass
class AddReport:
    """What adding addresses to a list did (or, for a dry run, would do). Every row read is counted once:
    rows_read = added + already_members + duplicates + invalid."""

    list_name: str
    rows_read: int = 0
    added: int = 0
    new_contacts: int = 0
    already_members: int = 0
    duplicates: int = 0
    invalid: list[Rejected] = field(default_factory=list)
    dry_run: bool = False
    # The rows merged into an earlier one, and the addresses whose domain looks like a typo (warnings).
    duplicate_rows: list[Duplicate] = field(default_factory=list)
    domain_warnings: list[DomainWarning] = field(default_factory=list)
    # The list did not exist: the import made it (or, for a dry run, would make it).
    created: bool = False
    # For a CSV import: where the addresses came from and how the file was read.
    file: str | None = None
    email_column: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    header: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"list": self.list_name}
        if self.file is not None:
            record.update(file=self.file, email_column=self.email_column, delimiter=self.delimiter,
                          encoding=self.encoding)
        record.update(dry_run=self.dry_run, created=self.created, rows_read=self.rows_read, added=self.added,
                      new_contacts=self.new_contacts, already_members=self.already_members,
                      duplicates=self.duplicates, invalid=len(self.invalid),
                      invalid_rows=[r.to_dict() for r in self.invalid],
                      duplicate_rows=[d.to_dict() for d in self.duplicate_rows],
                      domain_warnings=[w.to_dict() for w in self.domain_warnings])
        return record


@dataclass
class RemoveReport:
    list_name: str
    removed: int = 0
    not_members: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"list": self.list_name, "removed": self.removed, "not_members": self.not_members}


@dataclass
class _Contact:
    """One address to add, with what the file said about the person (used only for new contacts)."""

    email: str
    details: dict[str, str]
    line: int = 0  # where it was first met


# ----------------------------------------------------------------------------------------------- the lists


def all_lists(store: Store) -> list[ListSummary]:
    """Every list with its member count, by name."""
    lists, members = store.table("lists"), store.table("list_members")
    list_id = store.column("lists", "list_id", "l")
    count = exp.select(exp.Count(this=exp.Star())).from_(members.as_("m")).where(
        exp.EQ(this=store.column("list_members", "list_id", "m"), expression=list_id))
    query = exp.select(list_id, store.column("lists", "name", "l"), count.subquery(),
                       store.column("lists", "created_at", "l")).from_(lists.as_("l")).order_by(
        store.column("lists", "name", "l"))
    return [ListSummary(int(i), n, int(c), t) for i, n, c, t in store.execute(query).fetchall()]


def list_names(store: Store) -> list[str]:
    """The names of the lists, for completion and "did you mean"."""
    return [summary.name for summary in all_lists(store)]


def find_list(store: Store, name: str) -> ListSummary:
    """The list called exactly `name`; ListError with the closest name otherwise."""
    lists = all_lists(store)
    for summary in lists:
        if summary.name == name:
            return summary
    close = suggest(name, [s.name for s in lists])
    hint = f'did you mean "{close}"?' if close else f'create it with `rare list create "{name}"`'
    if not lists:
        hint = f'the store has no lists yet: create one with `rare list create "{name}"`'
    raise ListError(f'there is no list named "{name}"', hint=hint)


def find_or_new_list(store: Store, name: str) -> ListSummary | None:
    """The list called exactly `name`, or None when there is none and a command filling a list may create
    it (`import`, `snapshot`). A name close to an existing list's is refused as `find_list` does: a typo
    never makes a new list."""
    name = check_list_name(name)  # trimmed, as a list made of it would be
    try:
        return find_list(store, name)
    except ListError as error:
        close = suggest(name, list_names(store))
        if close is not None:
            # Names equal but for case cannot both exist: only the other name is worth offering.
            making = "" if close.casefold() == name.casefold() else (
                f' (`rare list create "{name}"` starts a new list of that name)')
            raise ListError(error.message, hint=f'did you mean "{close}"?{making}') from None
    return None


def create_list(store: Store, name: str) -> ListSummary:
    name = check_list_name(name)
    with store.transaction():
        for existing in all_lists(store):
            # Names differing only in case would look like one list in every report.
            if existing.name.casefold() == name.casefold():
                raise ListError(f'a list named "{existing.name}" already exists')
        lists = store.table("lists")
        list_id = int(store.scalar(exp.select(exp.func("coalesce", exp.func("max", store.column("lists", "list_id")),
                                                        exp.Literal.number(0))).from_(lists))) + 1
        now = store.now()
        store.execute(_insert_values(store, "lists", ["list_id", "name", "created_at"]), [list_id, name, now])
        _note_change(store)
    return ListSummary(list_id, name, 0, now)


def delete_list(store: Store, name: str) -> ListSummary:
    """Delete a list and its memberships; the contacts stay."""
    with store.transaction():
        found = find_list(store, name)
        for table in ("list_members", "lists"):
            store.execute(exp.delete(store.table(table), where=exp.EQ(
                this=store.column(table, "list_id"), expression=exp.Placeholder())), [found.list_id])
        _note_change(store)
    return found


def members(store: Store, name: str, limit: int | None = 20) -> tuple[ListSummary, list[Member]]:
    """A list and its members, the most recently added first."""
    found = find_list(store, name)
    c, m = "c", "m"
    query = (exp.select(store.column("customers", "customer_id", c), store.column("customers", "email", c),
                        store.column("customers", "first_name", c), store.column("customers", "last_name", c),
                        store.column("list_members", "added_at", m))
             .from_(store.table("list_members").as_(m))
             .join(store.table("customers").as_(c),
                   on=exp.EQ(this=store.column("customers", "customer_id", c),
                             expression=store.column("list_members", "customer_id", m)))
             .where(exp.EQ(this=store.column("list_members", "list_id", m), expression=exp.Placeholder()))
             .order_by(exp.Ordered(this=store.column("list_members", "added_at", m), desc=True),
                       store.column("customers", "email", c)))
    if limit is not None:
        query = query.limit(limit)
    rows = store.execute(query, [found.list_id]).fetchall()
    return found, [Member(int(i), e, f, last, t) for i, e, f, last, t in rows]


def check_list_name(name: str) -> str:
    """A list name as stored: trimmed; refused when empty, too long or holding control characters."""
    cleaned = name.strip()
    if not cleaned:
        raise ListError("a list name cannot be empty", usage=True)
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ListError(f"a list name has at most {MAX_NAME_LENGTH} characters", usage=True)
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in cleaned):
        raise ListError("a list name cannot hold control characters or bytes that are not text", usage=True)
    return cleaned


# ----------------------------------------------------------------------------------------- adding, removing


def add(store: Store, name: str, emails: Sequence[str], *, dry_run: bool = False,
        progress: Progress | None = None) -> AddReport:
    """Add addresses to a list, creating the contacts that do not exist yet (source `list:<name>`). Nothing
    is written when any address is invalid: they were typed by hand, so the whole command is refused."""
    report = AddReport(list_name=name, dry_run=dry_run)
    contacts = _collect(((position, value, {}, ()) for position, value in enumerate(emails, 1)), report,
                        expected=len(emails))
    if report.invalid:
        return report
    _apply(store, name, contacts, report, source=f"list:{name}", progress=progress)
    return report


def remove(store: Store, name: str, emails: Sequence[str]) -> RemoveReport:
    """Take addresses off a list; the contacts stay. Addresses that were not on it are reported."""
    report = RemoveReport(list_name=name)
    wanted: dict[str, str] = {}
    for value in emails:
        wanted.setdefault(addresses.plain_address(value).lower(), value)
    with store.transaction():
        found = find_list(store, name)
        emails = list(wanted)
        members_table, customers = store.table("list_members"), store.table("customers")
        matching = (exp.select(store.column("customers", "customer_id"), store.column("customers", "email"))
                    .from_(customers).where(_in_list_parameter(store.column("customers", "email"), "VARCHAR")))
        ids = dict(store.execute(matching, [emails]).fetchall())
        member_ids = {int(row[0]) for row in store.execute(
            exp.select(store.column("list_members", "customer_id")).from_(members_table).where(
                exp.EQ(this=store.column("list_members", "list_id"), expression=exp.Placeholder())),
            [found.list_id]).fetchall()}
        leaving = [customer_id for customer_id in ids if int(customer_id) in member_ids]
        present = {email for customer_id, email in ids.items() if int(customer_id) in member_ids}
        report.not_members = [wanted[email] for email in emails if email not in present]
        if leaving:
            store.execute(exp.delete(members_table, where=exp.and_(
                exp.EQ(this=store.column("list_members", "list_id"), expression=exp.Placeholder()),
                _in_list_parameter(store.column("list_members", "customer_id"), "BIGINT"))),
                [found.list_id, leaving])
            _note_change(store)
        report.removed = len(leaving)
    return report


# ------------------------------------------------------------------------------------------------ snapshots


@dataclass
class SnapshotReport:
    """What copying a segment's members onto a list did (or, for a dry run, would do):
    matching = added + already_members. `created`: the list did not exist and was (would be) made."""

    list_name: str
    matching: int = 0
    added: int = 0
    already_members: int = 0
    dry_run: bool = False
    created: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"list": self.list_name, "dry_run": self.dry_run, "created": self.created, "matching": self.matching,
                "added": self.added, "already_members": self.already_members}


def snapshot(store: Store, name: str, rule: CheckedRule, *, as_of: dt.datetime | None = None,
             segments: Mapping[str, CheckedRule | CheckedSegment] | None = None,
             dry_run: bool = False, create: bool = False) -> SnapshotReport:
    """Add everyone who meets `rule` now (or at `as_of`) to a list, in one transaction: the "master list"
    of a segment. Members already on the list stay as they were; nobody is taken off. The list keeps
    them afterwards whatever they do: it does not follow the rule. `create` makes a missing list (see
    `find_or_new_list`); a dry run reports that it would."""
    from rare_dsl.store.queries import SegmentQueries

    if store.read_only and not dry_run:
        raise ListError(f"the store {store.location.path} is open read-only")
    members = SegmentQueries(store).members(rule, as_of, segments=segments).subquery("s")
    member = exp.column(store.schema.tables["customers"].column("customer_id"), "s", quoted=True)
    on_list = exp.select(store.column("list_members", "customer_id")).from_(store.table("list_members")).where(
        exp.EQ(this=store.column("list_members", "list_id"), expression=exp.Placeholder()))
    report = SnapshotReport(list_name=name, dry_run=dry_run)
    scope = store.transaction() if not store.read_only else contextlib.nullcontext(store)
    with scope:
        found = _target_list(store, name, report, create=create)
        count = exp.Count(this=exp.Star())
        report.matching = int(store.scalar(exp.select(count).from_(members)))
        report.already_members = 0 if found is None else int(store.scalar(
            exp.select(count.copy()).from_(members.copy()).where(member.isin(query=on_list.copy())), [found.list_id]))
        report.added = report.matching - report.already_members
        if found is not None and report.added and not dry_run:
            joining = (exp.select(exp.Placeholder(), member.copy(), exp.Placeholder()).from_(members.copy())
                       .where(exp.Not(this=member.isin(query=on_list.copy()))))
            columns = [store_tables.ident(store.schema.tables["list_members"].column(c))
                       for c in ("list_id", "customer_id", "added_at")]
            store.execute(exp.insert(joining, store.table("list_members"), columns=columns),
                          [found.list_id, store.now(), found.list_id])
            _note_change(store)
    return report


# ------------------------------------------------------------------------------------------------ importing


@dataclass
class ContactsFile:
    """A CSV file read and checked, ready to go into a list: what `read_csv` found (the report so far:
    rows, duplicates, invalid rows, how the file was read) and the contacts to add."""

    report: AddReport
    contacts: list[_Contact]


def import_csv(store: Store, name: str, path: str | Path, *, email_column: str | None = None,
               encoding: str | None = None, dry_run: bool = False, create: bool = False,
               progress: Progress | None = None) -> AddReport:
    """Add every valid address of a CSV file to a list, in one transaction. The report counts and names
    each invalid row by line number and reason; `dry_run` computes the same report and writes nothing.
    `create` makes the list when it does not exist (see `find_or_new_list`)."""
    # Before reading a big file: a typo in the name should not cost a minute.
    if create:
        find_or_new_list(store, name)
    else:
        find_list(store, name)
    read = read_csv(path, email_column=email_column, encoding=encoding, progress=progress)
    return import_contacts(store, name, read, dry_run=dry_run, create=create, progress=progress)


def read_csv(path: str | Path, *, email_column: str | None = None, encoding: str | None = None,
             progress: Progress | None = None) -> ContactsFile:
    """Read, validate and merge the addresses of a CSV file, without a store: a command can do this slow
    part before it takes the store's lock, so readers are kept waiting only while the rows are written."""
    path = Path(path)
    report = AddReport(list_name="", file=str(path))
    text, report.encoding = _read_text(path, encoding)
    rows = _records(text, path, report)
    header = next(rows, None)
    if header is None:
        raise ListError(f"{path} holds no rows")
    first_line, first = header
    index, has_header = _email_column(first, email_column, path)
    report.header = tuple(first) if has_header else ()
    report.email_column = (first[index].strip() or f"column {index + 1}") if has_header else f"column {index + 1}"
    mapping = _contact_columns(first) if has_header else {}
    total_lines = text.count("\n") + 1

    def records() -> Iterable[tuple[int, str, dict[str, str], tuple[str, ...]]]:
        if not has_header:
            yield first_line, _cell(first, index), {}, tuple(first)
        for count, (line, cells) in enumerate(rows, 1):
            if progress and count % 10_000 == 0:
                progress("reading", line, total_lines)
            details = {column: value for column, at in mapping.items() if (value := _cell(cells, at))}
            yield line, _cell(cells, index), details, tuple(cells)

    contacts = _collect(records(), report, expected=total_lines)
    if progress:
        progress("reading", total_lines, total_lines)
    return ContactsFile(report, contacts)


def import_contacts(store: Store, name: str, read: ContactsFile, *, dry_run: bool = False, create: bool = False,
                    progress: Progress | None = None) -> AddReport:
    """Add the contacts of a file `read_csv` read to a list, in one transaction (nothing, for a dry run);
    `create` makes the list when it does not exist (see `find_or_new_list`)."""
    report = dataclasses.replace(read.report, list_name=name, dry_run=dry_run, invalid=list(read.report.invalid),
                                 duplicate_rows=list(read.report.duplicate_rows),
                                 domain_warnings=list(read.report.domain_warnings))
    _apply(store, name, read.contacts, report, source="import", progress=progress, create=create)
    return report


def check_rejects_path(path: str | Path, *, source: str | Path | None = None,
                       store: str | Path | None = None) -> Path:
    """The rejects file `path`, refused (ListError, a usage error) when writing it would destroy something:
    the store or one of its files (the WAL), the file being imported, either under another name (a link:
    same device and inode), a folder, or any DuckDB database. Called before anything is read."""
    target = Path(path)
    guarded: list[tuple[Path, str]] = []
    if store is not None:
        store = Path(store)
        guarded += [(store, "the store"), (Path(f"{store}.wal"), "the store's write-ahead log"),
                    (Path(f"{store}.tmp"), "the store's temporary folder")]
    if source is not None:
        guarded.append((Path(source), "the file being imported"))
    for other, what in guarded:
        if _same_file(target, other):
            named = "" if target == other else f" ({other}) under another name"
            raise ListError(f"the rejects file {target} is {what}{named}: writing the rejected rows there would "
                            "destroy it", hint="give --rejects a new file name, such as rejects.csv", usage=True)
    if not target.parent.is_dir():
        raise ListError(f"cannot write the rejects file {target}: the folder {target.parent} does not exist",
                        usage=True)
    if target.is_dir():
        raise ListError(f"the rejects file {target} is a folder", hint="give --rejects a file name, such as "
                        f"{target / 'rejects.csv'}", usage=True)
    if _is_duckdb(target):
        raise ListError(f"the rejects file {target} is a DuckDB database: writing the rejected rows there would "
                        "destroy it", hint="give --rejects a new file name, such as rejects.csv", usage=True)
    return target


@contextlib.contextmanager
def rejects_written(report: AddReport, path: str | Path, *, store: str | Path | None = None) -> Iterator[Path]:
    """Write the invalid rows of `report` to a temporary file beside `path` now, and move it into place
    when the block ends without an error: a failure while writing (a full disk) or inside the block leaves
    `path` as it was and no half file. The rows are CSV: line, reason, then the row's cells under the
    file's own header."""
    target = check_rejects_path(path, source=report.file, store=store)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        # O_EXCL: never write through a file (or a link) that is already there.
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "w", encoding="utf-8",
                       newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "reason", *(report.header or ["value"])])
            for rejected in report.invalid:
                writer.writerow([rejected.line, rejected.reason, *(rejected.cells or (rejected.value,))])
            out.flush()
            os.fsync(out.fileno())
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ListError(f"cannot write the rejects file {target}: {error.strerror or error}") from None
        raise
    try:
        yield target
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    try:
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ListError(f"cannot write the rejects file {target}: {error.strerror or error}") from None


def write_rejects(report: AddReport, path: str | Path, *, store: str | Path | None = None) -> None:
    """Write the invalid rows of `report` to `path` as CSV, all or nothing (see `rejects_written`)."""
    with rejects_written(report, path, store=store):
        pass


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same path once links are followed, or, for an existing file,
    the same device and inode (a hard link)."""
    with contextlib.suppress(OSError, RuntimeError):
        if a.resolve() == b.resolve():
            return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _is_duckdb(path: Path) -> bool:
    """Whether `path` is a DuckDB database file: its header holds the magic bytes `DUCK` at offset 8."""
    try:
        with path.open("rb") as handle:
            return handle.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


# ------------------------------------------------------------------------------------- reading the CSV file


def _read_text(path: Path, encoding: str | None) -> tuple[str, str]:
    """The file's text and the encoding it was read with: UTF-8 with or without BOM (UTF-16 with a BOM,
    as Excel's "Unicode text" saves), or the encoding given."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ListError(f"{path} is a folder, not a CSV file", usage=True) from None
    except FileNotFoundError:
        raise ListError(f"there is no file {path}", usage=True) from None
    except OSError as error:
        raise ListError(f"cannot read {path}: {error.strerror or error}") from None
    if encoding:
        try:
            info = codecs.lookup(encoding)
        except LookupError:
            info = None
        if info is None or not getattr(info, "_is_text_encoding", True):  # rot13, base64: not text encodings
            raise ListError(f"unknown encoding `{encoding}`", hint="for example utf-8, latin-1 or cp1252",
                            usage=True)
        codec = info.name
        if codec == "utf-8":
            codec = "utf-8-sig"  # a BOM is never part of the first header
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    else:
        codec = "utf-8-sig"
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start : error.start + 1].hex().upper()
        if encoding:
            raise ListError(f"{path} is not {encoding} text: line {line} has the byte 0x{byte}") from None
        raise ListError(f"{path} is not UTF-8 text: line {line} has the byte 0x{byte}",
                        hint="files saved by Excel or older tools are often Latin-1: add --encoding latin-1 "
                             "(or --encoding cp1252)") from None
    if "\x00" in text[:SNIFF_BYTES]:
        raise ListError(f"{path} is not a CSV file: it holds binary data")
    return text, "utf-8" if codec == "utf-8-sig" else codec


class _Lines:
    """The lines of a text for csv.reader, noting when they run out. The reader returns a record after
    that only when the file ended inside a quoted field, which Python's csv module does silently."""

    def __init__(self, text: str) -> None:
        self._lines = iter(io.StringIO(text, newline=""))
        self.ended = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            return next(self._lines)
        except StopIteration:
            self.ended = True
            raise


def _records(text: str, path: Path, report: AddReport) -> Iterable[tuple[int, list[str]]]:
    """(line where the record starts, cells) of each non-blank record; quoted cells may span lines, but a
    quote still open at the end of the file is an error, not a cell holding every line after it."""
    delimiter = _delimiter(text)
    report.delimiter = delimiter
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if lines.ended:
                raise _unclosed_quote(path, start, reader.line_num, cells[-1] if cells else "")
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as error:
        raise ListError(f"{path}:{reader.line_num}: not valid CSV: {error}") from None


def _unclosed_quote(path: Path, start: int, last_line: int, cell: str) -> ListError:
    """The error for a quoted field that runs to the end of the file, at the line its quote opens on:
    the cell holds the rest of that line and every line after it, each line break kept."""
    breaks = len(re.findall(r"\r\n|\r|\n", cell))
    opened = max(start, last_line - breaks + (1 if cell.endswith(("\n", "\r")) else 0))
    swallowed = last_line - opened
    taken = f", taking in {swallowed:,} more line{'s' if swallowed != 1 else ''}" if swallowed else ""
    return ListError(f"{path}:{opened}: a quote opens on line {opened} and is never closed, so its field runs to "
                     f"the end of the file{taken}; nothing was imported",
                     hint='close the quote, or double a quote that is part of the text (`""`)')


def _delimiter(text: str) -> str:
    """The delimiter: csv.Sniffer's guess among , ; tab |, checked against the header line; when the
    sniffer gives up or its guess is not in the header, the candidate the header holds most often."""
    sample = text[:SNIFF_BYTES]
    first_line = sample.split("\n", 1)[0]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed and (sniffed in first_line or not any(d in first_line for d in DELIMITERS)):
        return sniffed
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header_key(cell: str) -> str:
    """A header cell as compared with the known names: no accents, case, spaces or punctuation."""
    plain = unicodedata.normalize("NFKD", cell).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", plain)


def _email_column(first: list[str], wanted: str | None, path: Path) -> tuple[int, bool]:
    """(index of the email column, whether the first row is a header)."""
    keys = [_header_key(cell) for cell in first]
    if wanted is not None:
        # The exact name first, so `--email-column Email` chooses between `email` and `Email`.
        exact = [index for index, cell in enumerate(first) if cell.strip() == wanted.strip()]
        loose = exact or [index for index, cell in enumerate(first)
                          if cell.strip().casefold() == wanted.strip().casefold() or keys[index] == _header_key(wanted)]
        if loose:
            return _only_email_column(loose, first, path), True
        if wanted.strip().isdigit() and 1 <= int(wanted) <= len(first):
            index = int(wanted) - 1
            return index, "@" not in first[index]
        close = suggest(wanted, [c.strip() for c in first if c.strip()])
        raise ListError(f"{path} has no column `{wanted}`",
                        hint=(f"did you mean `{close}`? " if close else "") + f"the columns are: {_shown(first)}",
                        usage=True)
    # A header named like an email column; else one that ends so ("Work email"), unless it is an address.
    named = [index for index, key in enumerate(keys) if key in EMAIL_HEADERS]
    if not named:
        named = [index for index, key in enumerate(keys)
                 if key.endswith(("email", "emailaddress")) and "@" not in first[index]]
    if named:
        return _only_email_column(named, first, path), True
    # No header: a file that starts with data, such as a bare column of addresses.
    for index, cell in enumerate(first):
        if "@" in cell and addresses.check(cell)[0] is not None:
            return index, False
    raise ListError(f"cannot find the email column of {path}: none of its columns is called email",
                    hint=f"name it with --email-column (the columns are: {_shown(first)})", usage=True)


def _only_email_column(candidates: list[int], first: list[str], path: Path) -> int:
    """The one column of `candidates`; several is an error naming them all: taking the first would import
    one column's addresses and silently drop the other's."""
    if len(candidates) == 1:
        return candidates[0]
    named = [f"`{first[index].strip()}` (column {index + 1})" for index in candidates]
    both = "both" if len(named) == 2 else "all"
    raise ListError(f"{path} has {len(named)} columns that {both} look like the email column: "
                    f"{', '.join(named[:-1])} and {named[-1]}",
                    hint=f"choose one with --email-column, by its exact name or its number (--email-column "
                         f"{candidates[0] + 1})", usage=True)


def _contact_columns(header: list[str]) -> dict[str, int]:
    """Known contact columns of the header -> their index (the first one wins)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _header_key(cell)
        for column, names in CONTACT_HEADERS.items():
            if key in names:
                found.setdefault(column, index)
    return found


def _shown(cells: list[str]) -> str:
    shown = ", ".join(f"`{c.strip()}`" for c in cells[:12])
    return shown + (", …" if len(cells) > 12 else "")


def _cell(cells: Sequence[str], index: int) -> str:
    return cells[index] if index < len(cells) else ""


# ------------------------------------------------------------------------------------- checking addresses


def _collect(records: Iterable[tuple[int, str, dict[str, str], tuple[str, ...]]], report: AddReport, *,
             expected: int) -> list[_Contact]:
    """Validate and merge the addresses: one contact per address (case ignored); later duplicates fill in
    details the first one lacked. `expected` (about how many records) decides whether to validate in
    parallel."""
    contacts: dict[str, _Contact] = {}

    def batches() -> Iterable[tuple[list[tuple[int, str, dict[str, str], tuple[str, ...]]], list[str]]]:
        batch: list[tuple[int, str, dict[str, str], tuple[str, ...]]] = []
        for record in records:
            batch.append(record)
            if len(batch) == addresses.BATCH:
                yield batch, [value for _line, value, _details, _cells in batch]
                batch = []
        if batch:
            yield batch, [value for _line, value, _details, _cells in batch]

    for batch, results in addresses.check_many(batches(), expected=expected):
        for (line, value, details, cells), (address, reason) in zip(batch, results, strict=True):
            report.rows_read += 1
            if address is None:
                report.invalid.append(Rejected(line, value.strip(), reason, cells))
                continue
            known = contacts.get(address)
            if known is None:
                contacts[address] = _Contact(address, details, line)
                meant = addresses.likely_typo(domain := address.rpartition("@")[2])
                if meant is not None:
                    report.domain_warnings.append(DomainWarning(line, value.strip(), domain, meant))
            else:
                report.duplicates += 1
                report.duplicate_rows.append(Duplicate(line, value.strip(), known.line))
                for column, detail in details.items():
                    known.details.setdefault(column, detail)
    return list(contacts.values())


# -------------------------------------------------------------------------------------- writing the store


def _apply(store: Store, name: str, contacts: list[_Contact], report: AddReport, *, source: str,
           progress: Progress | None, create: bool = False) -> None:
    """Stage the contacts in a temporary table, count what changes, and unless it is a dry run add the new
    contacts and the memberships (and the list, when `create` and it is missing); all inside one
    transaction."""
    if store.read_only and not report.dry_run:
        raise ListError(f"the store {store.location.path} is open read-only")
    # A dry run on a read-only store cannot open a transaction; it writes nothing but a temporary table.
    scope = store.transaction() if not store.read_only else contextlib.nullcontext(store)
    with scope:
        found = _target_list(store, name, report, create=create)
        _stage(store, contacts, progress)
        # A list a dry run would create has no members: an id no list has matches none.
        store.execute(_matching(store, -1 if found is None else found.list_id))
        known, already = store.execute("SELECT count(known), count(*) FILTER (WHERE member) FROM rare_matched"
                                       ).fetchone()
        report.new_contacts = len(contacts) - int(known)
        report.already_members = int(already)
        report.added = len(contacts) - report.already_members
        if not report.dry_run:
            now = store.now()
            if report.new_contacts:
                if progress:
                    progress("adding contacts", 0, report.new_contacts)
                _insert_new_contacts(store, source, now)
            if report.added:
                assert found is not None  # only a dry run leaves a missing list uncreated
                if progress:
                    progress("adding members", 0, report.added)
                _insert_members(store, found.list_id, now)
            if report.added:
                _note_change(store)
        store.execute("DROP TABLE IF EXISTS rare_matched")
        store.execute("DROP TABLE IF EXISTS rare_import")


def _target_list(store: Store, name: str, report: AddReport | SnapshotReport, *, create: bool
                 ) -> ListSummary | None:
    """The list a change fills, inside its transaction: found, or (with `create`) made there, so it is
    made only if the rest is written too. None only for a dry run whose list would be created."""
    found = find_or_new_list(store, name) if create else find_list(store, name)
    if found is None:
        report.created = True
        if not report.dry_run:
            found = create_list(store, name)
    report.list_name = found.name if found is not None else check_list_name(name)
    return found


def _stage(store: Store, contacts: list[_Contact], progress: Progress | None) -> None:
    """The contacts into the temporary table rare_import, chunk by chunk as list parameters (far faster
    than a row at a time)."""
    columns = ["email", *CONTACT_COLUMNS]
    store.execute(store_tables.create_temporary("rare_import", [("ord", "BIGINT"), *((c, "VARCHAR") for c in columns)]))
    insert = exp.insert(exp.select(*(
        exp.func("unnest", exp.cast(exp.Placeholder(), exp.DataType.build(f"{kind}[]", dialect="duckdb")))
        for kind in ["BIGINT", *["VARCHAR"] * len(columns)])), "rare_import")
    sql = insert.sql(dialect="duckdb")
    for start in range(0, len(contacts), CHUNK):
        if progress:
            progress("checking", start, len(contacts))
        chunk = contacts[start : start + CHUNK]
        values: list[list[Any]] = [list(range(start, start + len(chunk))), [c.email for c in chunk]]
        values += [[_detail(c.details, column) for c in chunk] for column in CONTACT_COLUMNS]
        store.execute(sql, values)
    if progress:
        progress("checking", len(contacts), len(contacts))


def _detail(details: dict[str, str], column: str) -> str | None:
    value = details.get(column, "").strip()
    if not value:
        return None
    if column == "country_code":
        return value.upper() if len(value) == 2 and value.isalpha() else None
    return value


def _matching(store: Store, list_id: int) -> exp.Create:
    """rare_matched: for each staged address (by `ord`), the contact it already is (`known`, NULL for a
    new one), whether that contact is on the list (`member`), and the id it will have (`customer_id`):
    new contacts get the ids after the highest one, in file order."""
    customers, members = store.table("customers"), store.table("list_members")
    known = store.column("customers", "customer_id", "c")
    joined = (exp.select(exp.column("ord", "s"), exp.alias_(known, "known"),
                         exp.alias_(exp.Not(this=exp.Is(this=store.column("list_members", "customer_id", "m"),
                                                        expression=exp.Null())), "member"))
              .from_(exp.Table(this=store_tables.ident("rare_import")).as_("s"))
              .join(customers.as_("c"), join_type="left", on=exp.EQ(this=store.column("customers", "email", "c"),
                                                                    expression=exp.column("email", "s")))
              .join(members.as_("m"), join_type="left", on=exp.and_(
                  exp.EQ(this=store.column("list_members", "list_id", "m"), expression=exp.Literal.number(list_id)),
                  exp.EQ(this=store.column("list_members", "customer_id", "m"), expression=known.copy()))))
    top = exp.select(exp.func("coalesce", exp.func("max", store.column("customers", "customer_id")),
                              exp.Literal.number(0))).from_(customers.copy())
    is_new = exp.Is(this=exp.column("known"), expression=exp.Null())
    new_so_far = exp.Window(this=exp.Sum(this=exp.Case(ifs=[exp.If(this=is_new, true=exp.Literal.number(1))],
                                                       default=exp.Literal.number(0))),
                            order=exp.Order(expressions=[exp.column("ord")]))
    query = exp.select("ord", "known", "member", exp.alias_(exp.func(
        "coalesce", exp.column("known"), exp.Add(this=top.subquery(), expression=new_so_far)), "customer_id")
    ).from_(joined.subquery("j"))
    return exp.Create(kind="TABLE", replace=True, this=exp.Table(this=store_tables.ident("rare_matched")),
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]), expression=query)


def _insert_new_contacts(store: Store, source: str, now: dt.datetime) -> None:
    """A contact for each staged address that is not one yet, with what the file said about the person."""
    schema = store.schema
    quality = store_tables.enum_values(schema, "quality")["new"]
    status = store_tables.enum_values(schema, "status")["subscribed"]
    values: dict[str, exp.Expression] = {
        "customer_id": exp.column("customer_id", "x"), "email": exp.column("email", "s"),
        **{column: exp.column(column, "s") for column in CONTACT_COLUMNS},
        "quality": exp.Literal.string(quality), "status": exp.Literal.string(status),
        "created_at": exp.Placeholder(), "source": exp.Placeholder(),
    }
    columns = [store_tables.ident(schema.tables["customers"].column(c)) for c in values]
    selected = list(values.values())
    # Aggregates a schema keeps on customers start where a contact without history is: no orders, nothing spent.
    for measure_column, value in _stored_defaults(schema).items():
        columns.append(store_tables.ident(measure_column))
        selected.append(value)
    query = (exp.select(*selected).from_(exp.Table(this=store_tables.ident("rare_import")).as_("s"))
             .join(exp.Table(this=store_tables.ident("rare_matched")).as_("x"),
                   on=exp.EQ(this=exp.column("ord", "x"), expression=exp.column("ord", "s")))
             .where(exp.Is(this=exp.column("known", "x"), expression=exp.Null())))
    store.execute(exp.insert(query, store.table("customers"), columns=columns), [now, source])


def _stored_defaults(schema: Any) -> dict[str, exp.Expression]:
    zero = {"order_count", "refund_count", "total_spent"}
    return {f.stored_column: exp.Literal.number(0) for f in schema.fields.values()
            if f.kind == "aggregate" and f.stored_column and f.measure in zero}


def _insert_members(store: Store, list_id: int, now: dt.datetime) -> None:
    """A membership for each staged address not on the list yet."""
    query = (exp.select(exp.Literal.number(list_id), exp.column("customer_id"), exp.Placeholder())
             .from_(exp.Table(this=store_tables.ident("rare_matched")))
             .where(exp.Not(this=exp.column("member"))))
    columns = [store_tables.ident(store.schema.tables["list_members"].column(c))
               for c in ("list_id", "customer_id", "added_at")]
    store.execute(exp.insert(query, store.table("list_members"), columns=columns), [now])


def _in_list_parameter(value: exp.Expression, kind: str) -> exp.Expression:
    """`value` is one of the elements of a list parameter (`list_contains(?::kind[], value)`)."""
    return exp.func("list_contains", exp.cast(exp.Placeholder(), exp.DataType.build(f"{kind}[]", dialect="duckdb")),
                    value)


def _insert_values(store: Store, table: str, logical_columns: Sequence[str]) -> exp.Insert:
    values = exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in logical_columns])])
    columns = [store_tables.ident(store.schema.tables[table].column(c)) for c in logical_columns]
    return exp.insert(values, store.table(table), columns=columns)


def _note_change(store: Store) -> None:
    """Remember when lists last changed: `rare demo` will not silently replace a store someone worked in."""
    store.set_info({"changed_at": store.now().isoformat(sep=" ")})


def _iso(instant: dt.datetime | None) -> str | None:
    return instant.isoformat(sep=" ", timespec="seconds") + "Z" if instant else None
