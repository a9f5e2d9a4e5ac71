"""`rare list`: the static lists of the store (SPEC 5): ls, create, delete, show, add, remove, import, and
snapshot (everyone who meets a rule now, added to a list).

Reading subcommands (ls, show, import --dry-run, snapshot --dry-run) open the store read-only; the others
write, each change in one transaction. The work is done by `rare_dsl.lists`; this module parses arguments
and prints reports.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import Any

from rare_dsl.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_as_of_option,
    add_schema_option,
    as_of_option,
    echo,
    load_schema_option,
    project_settings,
)
from rare_dsl.cli.store_options import add_db_option, open_store, progress_bar, reports_store_errors
from rare_dsl.diagnostics import RuleError

# An import shows a progress bar from this size on; smaller files are done before a bar could be read.
BIG_FILE_BYTES = 2_000_000
# The text report names this many invalid rows; JSON and --rejects have all of them.
SHOWN_REJECTS = 50


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("list", help="static lists of contacts: create, fill from a CSV file, show",
                                 description="Lists are people you put there; a segment is everyone who meets a "
                                             "rule, right now.")
    add_db_option(parser)
    subcommands = parser.add_subparsers(dest="list_command", metavar="SUBCOMMAND")
    parser.set_defaults(run=_help(parser))

    def subcommand(name: str, help_text: str, run: Any) -> argparse.ArgumentParser:
        sub = subcommands.add_parser(name, help=help_text, description=help_text)
        add_db_option(sub, nested=True)
        sub.add_argument("--format", choices=["text", "json"], default="text", help="output format")
        sub.set_defaults(run=reports_store_errors(run))
        return sub

    subcommand("ls", "the lists and how many contacts each holds", _ls)
    create = subcommand("create", "create an empty list", _create)
    create.add_argument("name", metavar="NAME")
    delete = subcommand("delete", "delete a list (its contacts stay)", _delete)
    delete.add_argument("name", metavar="NAME")
    show = subcommand("show", "a list's size and its most recently added members", _show)
    show.add_argument("name", metavar="NAME")
    show.add_argument("-n", "--limit", type=int, default=20, metavar="N", help="members to show (0: all); default 20")
    add = subcommand("add", "add contacts by email, creating those that do not exist yet", _add)
    add.add_argument("name", metavar="NAME")
    add.add_argument("emails", nargs="+", metavar="EMAIL")
    add.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    remove = subcommand("remove", "take contacts off a list by email (the contacts stay)", _remove)
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("emails", nargs="+", metavar="EMAIL")
    imported = subcommand("import", "add every valid address of a CSV file to a list, in one transaction", _import)
    imported.add_argument("name", metavar="NAME")
    imported.add_argument("file", metavar="FILE.csv")
    imported.add_argument("--email-column", metavar="C", help="the column holding addresses (default: found by "
                                                              "its header: email, e-mail, Email Address, courriel…)")
    imported.add_argument("--encoding", metavar="E", help="the file's encoding (default: UTF-8, with or without BOM)")
    imported.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    imported.add_argument("--rejects", metavar="FILE", help="write the invalid rows to this CSV file")
    snapshot = subcommand("snapshot", "add everyone who meets a rule now to a list, in one transaction", _snapshot)
    snapshot.add_argument("name", metavar="NAME")
    snapshot.add_argument("--segment", required=True, metavar="RULE_OR_SEGMENT_NAME",
                          help="a rule, or the name of a segment of the project's rule files")
    add_as_of_option(snapshot)
    add_schema_option(snapshot)
    snapshot.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")


def _help(parser: argparse.ArgumentParser) -> Any:
    def run(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return EXIT_USAGE

    return run


# ------------------------------------------------------------------------------------------- subcommands


def _ls(args: argparse.Namespace) -> int:
    from rare_dsl import lists

    with open_store(args, write=False) as store:
        found = lists.all_lists(store)
        where = store.location.path
    if args.format == "json":
        echo(json.dumps([summary.to_dict() for summary in found], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not found:
        echo(f'The store {where} has no lists yet; `rare list create "NAME"` makes one.')
        return EXIT_OK
    width = max(len(summary.name) for summary in found)
    echo(f"Lists in {where}:")
    for summary in found:
        echo(f"  {summary.name:<{width}}  {_contacts(summary.members):>16}  created {_when(summary.created_at)}")
    return EXIT_OK


def _create(args: argparse.Namespace) -> int:
    from rare_dsl import lists

    with open_store(args, write=True, create=True) as store:
        created = lists.create_list(store, args.name)
    _done(args, created.to_dict(), f'Created the list "{created.name}".')
    return EXIT_OK


def _delete(args: argparse.Namespace) -> int:
    from rare_dsl import lists

    with open_store(args, write=True) as store:
        deleted = lists.delete_list(store, args.name)
    _done(args, deleted.to_dict(), f'Deleted the list "{deleted.name}" ({_contacts(deleted.members)} were on it; '
                                   "the contacts stay).")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from rare_dsl import lists

    if args.limit < 0:
        from rare_dsl.cli.common import UsageError

        raise UsageError("-n takes 0 (all members) or more")
    with open_store(args, write=False) as store:
        summary, shown = lists.members(store, args.name, limit=args.limit or None)
    if args.format == "json":
        echo(json.dumps({**summary.to_dict(), "shown": [m.to_dict() for m in shown]}, indent=2, ensure_ascii=False))
        return EXIT_OK
    echo(f'"{summary.name}": {_contacts(summary.members)}, created {_when(summary.created_at)}')
    if shown:
        rows = [(m.email, m.first_name or "", m.last_name or "", _when(m.added_at)) for m in shown]
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("email", "first name", "last name"))]
        echo(f"  {'email':<{widths[0]}}  {'first name':<{widths[1]}}  {'last name':<{widths[2]}}  added")
        for email, first, last, added in rows:
            echo(f"  {email:<{widths[0]}}  {first:<{widths[1]}}  {last:<{widths[2]}}  {added}")
    if summary.members > len(shown):
        echo(f"  … and {summary.members - len(shown):,} more (-n 0 shows them all)")
    return EXIT_OK


def _add(args: argparse.Namespace) -> int:
    from rare_dsl import lists

    with open_store(args, write=not args.dry_run) as store:
        report = lists.add(store, args.name, args.emails, dry_run=args.dry_run)
    if report.invalid:
        # Typed by hand: one bad address refuses the whole command, so nothing half-happens.
        if args.format == "json":
            echo(json.dumps({**report.to_dict(), "added": 0, "new_contacts": 0}, indent=2, ensure_ascii=False))
        else:
            for rejected in report.invalid:
                print(f"rare list: `{rejected.value}` is not a valid email address: {rejected.reason}",
                      file=sys.stderr)
            print(f'rare list: nothing was added to "{args.name}"', file=sys.stderr)
        return EXIT_FAILED
    _report(args, report)
    return EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    from rare_dsl import lists

    with open_store(args, write=True) as store:
        report = lists.remove(store, args.name, args.emails)
    lines = [f'Removed {_contacts(report.removed)} from "{report.list_name}" (the contacts stay).']
    if report.not_members:
        lines.append(f"Not on the list: {', '.join(report.not_members)}")
    _done(args, report.to_dict(), "\n".join(lines))
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    import os

    from rare_dsl import lists
    from rare_dsl.store import locate

    where = locate(args.db).path
    # Before anything is read: a rejects file must never replace the store, its WAL or the input.
    if args.rejects:
        lists.check_rejects_path(args.rejects, source=args.file, store=where)
    try:
        big = os.path.getsize(args.file) >= BIG_FILE_BYTES
    except OSError:
        big = False
    # A misspelt list should fail at once, not after reading a big file; the reading happens before the
    # store is opened for writing, so other programs are kept out only while the rows are written. A
    # missing list is created (a missing store too, as `rare list create` does), unless a dry run.
    if args.dry_run or where.exists():
        with open_store(args, write=False) as store:
            lists.find_or_new_list(store, args.name)
    with progress_bar("Importing", show=big) as progress:
        read = lists.read_csv(args.file, email_column=args.email_column, encoding=args.encoding, progress=progress)
        # The rejects are written first and moved into place once the import is committed: a failure of
        # either leaves both as they were.
        rejects = lists.rejects_written(read.report, args.rejects, store=where) if args.rejects else (
            contextlib.nullcontext())
        with rejects, open_store(args, write=not args.dry_run, create=True) as store:
            report = lists.import_contacts(store, args.name, read, dry_run=args.dry_run, create=True,
                                           progress=progress)
    _report(args, report)
    return EXIT_OK


def _snapshot(args: argparse.Namespace) -> int:
    from rare_dsl import lists
    from rare_dsl.cli.segment_queries import print_diagnostics, resolve_rule

    as_of = as_of_option(args.as_of)
    try:
        settings = project_settings()
        schema = load_schema_option(args, settings)
        resolved = resolve_rule(args.segment, schema, settings)
    except RuleError as error:
        return print_diagnostics(args, error)
    with open_store(args, write=not args.dry_run, schema=schema) as store:
        report = lists.snapshot(store, args.name, resolved.rule, as_of=as_of, segments=resolved.segments,
                                dry_run=args.dry_run, create=True)
    from rare_dsl.cli.segment_queries import instant  # for both outputs: imported in one branch, it failed the other
    if args.format == "json":
        echo(json.dumps({**report.to_dict(), "segment": resolved.name, "rule": None if resolved.name else args.segment,
                         "as_of": instant(as_of)}, indent=2, ensure_ascii=False))
        return EXIT_OK
    source = f"the segment {resolved.name}" if resolved.name else "the rule"
    if report.dry_run:
        creating = " create the list and" if report.created else ""
        echo(f'Dry run: a snapshot of {source} into "{report.list_name}" would{creating} change this '
             "(nothing was written):")
    else:
        if report.created:
            echo(f'Created the list "{report.list_name}".')
        echo(f'Snapshot of {source} into "{report.list_name}":')
    counts = [(f"contacts meet {source}" + ("" if as_of is None else f" as of {instant(as_of)}"), report.matching),
              ("to add to the list" if report.dry_run else "added to the list", report.added),
              ("already on the list", report.already_members)]
    width = max(len(f"{n:,}") for _label, n in counts)
    for label, number in counts:
        echo(f"  {number:>{width},}  {label}")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- printing


def _report(args: argparse.Namespace, report: Any) -> None:
    """An add or import report: the counts, then each invalid row by line number and reason, the
    duplicates merged, and the addresses whose domain looks like a typo."""
    if args.format == "json":
        echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    source = f"{report.file} " if report.file else ""
    if report.dry_run:
        creating = " create the list and" if report.created else ""
        echo(f'Dry run: adding {source}to "{report.list_name}" would{creating} change this (nothing was written):')
    else:
        if report.created:
            echo(f'Created the list "{report.list_name}".')
        echo(f'Imported {report.file} into "{report.list_name}":' if report.file else
             f'Added to "{report.list_name}":')
    verb = "to add" if report.dry_run else "added"
    counts = [(f"{'rows' if report.file else 'addresses'} read", report.rows_read),
              (f"{verb} to the list", report.added), ("  of them new contacts", report.new_contacts),
              ("already on the list", report.already_members), ("duplicates, merged", report.duplicates),
              ("invalid, skipped", len(report.invalid))]
    width = max(len(f"{n:,}") for _label, n in counts)
    for label, number in counts:
        echo(f"  {number:>{width},}  {label}")
    if report.file:
        echo(f"  (email column: {report.email_column}; delimiter: {_delimiter_name(report.delimiter)}; "
             f"encoding: {report.encoding})")
    if report.invalid:
        echo("Invalid rows:" if report.file else "Invalid addresses:")
        for rejected in report.invalid[:SHOWN_REJECTS]:
            shown = f"`{rejected.value}`: " if rejected.value else ""
            echo(f"  line {rejected.line}: {shown}{rejected.reason}")
        if len(report.invalid) > SHOWN_REJECTS:
            where = f"written to {args.rejects}" if getattr(args, "rejects", None) else "--rejects FILE writes them all"
            echo(f"  … and {len(report.invalid) - SHOWN_REJECTS:,} more ({where})")
    # A file's rows are named by line; addresses given as arguments, by their position.
    if report.file:
        at, same = "line", "as on line"
        merged, again = "Duplicates, merged into the first row with the address:", "; fix and import again if so"
    else:
        at, same, merged, again = "address", "as address", "Duplicates, merged:", ""
    _listed(merged, [f"{at} {d.line}: `{d.value}`, {same} {d.first_line}" for d in report.duplicate_rows])
    _listed(f"Warnings, addresses whose domain looks like a typo (added as written{again}):",
            [f"{at} {w.line}: `{w.value}`: {w.domain} looks like {w.suggestion}" for w in report.domain_warnings])


def _listed(title: str, lines: list[str]) -> None:
    """A titled section of a report, its first SHOWN_REJECTS lines (`--format json` has all of them)."""
    if not lines:
        return
    echo(title)
    for line in lines[:SHOWN_REJECTS]:
        echo(f"  {line}")
    if len(lines) > SHOWN_REJECTS:
        echo(f"  … and {len(lines) - SHOWN_REJECTS:,} more (--format json lists them all)")


def _done(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    echo(json.dumps(payload, indent=2, ensure_ascii=False) if args.format == "json" else text)


def _contacts(number: int) -> str:
    return f"{number:,} contact{'' if number == 1 else 's'}"


def _when(instant: Any) -> str:
    return instant.strftime("%Y-%m-%d %H:%M UTC") if instant else "?"


def _delimiter_name(delimiter: str | None) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(delimiter or ",", repr(delimiter))
