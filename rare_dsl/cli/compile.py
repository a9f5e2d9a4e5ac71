"""`rare compile`: rules and rule files to SQL for a dialect, printed or written one `<segment>.sql` per segment.

With `-e RULE` it prints the rule's SQL (`--params`: placeholders, and the values after it). With paths (or
the project's `paths`), every segment of the files, checked together so `in_segment` resolves among them:
printed one after the other, or with `--out DIR` written as files whose header says where the segment comes
from and how it was compiled, so compiled SQL can live in git and diff well. Files are replaced atomically
and only when their text changes; a `.sql` file this command wrote for a segment that no longer exists is
reported, never deleted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from rare_dsl.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    RULE_FILE_SUFFIX,
    UsageError,
    add_as_of_option,
    add_schema_option,
    as_of_option,
    echo,
    file_errors,
    load_schema_option,
    project_settings,
    read_rule_files,
    rule_paths,
    write_atomically,
)
from rare_dsl.diagnostics import Diagnostic, RuleError, Source, render, use_color

# The first line of every file `--out` writes; how a stale one is recognised as ours.
HEADER = "-- rare segment: "


def register(commands: argparse._SubParsersAction) -> None:
    compile_ = commands.add_parser("compile", help="compile rules or rule files to SQL for a dialect")
    compile_.add_argument("paths", nargs="*", metavar="PATH",
                          help=f"rule files ({RULE_FILE_SUFFIX}) or folders; default: the project's `paths`")
    compile_.add_argument("-e", "--expression", dest="rule", metavar="RULE", help="compile one rule given inline")
    compile_.add_argument("--dialect", default="duckdb", metavar="D",
                          help="any sqlglot dialect (`rare dialects` lists them); default: duckdb")
    add_as_of_option(compile_)
    compile_.add_argument("--params", action="store_true",
                          help="placeholders instead of literals; the values are printed after the SQL")
    compile_.add_argument("--pretty", action="store_true", help="one clause per line (files in --out always are)")
    compile_.add_argument("--out", metavar="DIR", help="write one <segment>.sql per segment into DIR")
    add_schema_option(compile_)
    compile_.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    compile_.set_defaults(run=run)


@dataclass(frozen=True)
class Options:
    dialect: str
    as_of: dt.datetime | None  # aware UTC; None: live
    params: bool
    pretty: bool

    @property
    def time(self) -> str:
        """How the SQL reads time, in the words of the file header and the JSON output."""
        if self.as_of is None:
            return "live (the engine's clock)"
        return "anchored at " + self.as_of.strftime("%Y-%m-%dT%H:%M:%S") + \
            (f".{self.as_of.microsecond:06d}" if self.as_of.microsecond else "") + "Z"


def run(args: argparse.Namespace) -> int:
    from rare_dsl.compiler import check_dialect

    if args.rule is not None and args.paths:
        raise UsageError("give either -e RULE or paths, not both")
    if args.rule is not None and args.out:
        raise UsageError("--out writes the segments of rule files; give paths instead of -e RULE")
    as_of = as_of_option(args.as_of)
    try:
        options = Options(check_dialect(args.dialect), as_of, args.params, args.pretty)
        settings = project_settings()
        schema = load_schema_option(args, settings)
        if args.rule is None and _segment_name(args.paths):
            args.rule = args.paths[0]  # `rare compile vip_customers`, as `rare count vip_customers`
        if args.rule is not None:
            return _compile_rule(args, args.rule, schema, settings, options)
        paths = rule_paths(args.paths, settings, "a rule with -e RULE, or rule files and folders")
        return _compile_files(args, paths, schema, options)
    except RuleError as error:
        return _fail(args, error.diagnostics)


def _segment_name(paths: list[str]) -> bool:
    """One argument that names no file or folder but could name a segment of the project's rule files."""
    from rare_dsl.cli.segment_queries import _NAME

    return len(paths) == 1 and _NAME.fullmatch(paths[0]) is not None and not Path(paths[0]).exists()


def _compile_rule(args: argparse.Namespace, rule: str, schema: Any, settings: Any, options: Options) -> int:
    """One rule, or one segment of the project's rule files by name, with the segments it uses."""
    from rare_dsl.cli.segment_queries import resolve_rule
    from rare_dsl.compiler import compile

    resolved = resolve_rule(rule, schema, settings)
    compiled = compile(resolved.rule, dialect=options.dialect, as_of=options.as_of, parameterized=options.params,
                       segments=resolved.segments, pretty=options.pretty)
    if args.format == "json":
        echo(json.dumps(_record(compiled, options), indent=2, ensure_ascii=False))
    else:
        echo(compiled.sql)
        if options.params:
            echo("-- params: " + json.dumps(_values(compiled.params), ensure_ascii=False))
    return EXIT_OK


def _compile_files(args: argparse.Namespace, paths: list[str], schema: Any, options: Options) -> int:
    from rare_dsl.check import check_project
    from rare_dsl.compiler import compile

    files, problems = read_rule_files(paths)
    unreadable = file_errors(problems)
    if unreadable:
        raise RuleError(unreadable)
    project = check_project(files, schema)
    compiled: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    for name, segment in project.segments.items():
        try:
            compiled[name] = compile(segment.rule, dialect=options.dialect, as_of=options.as_of,
                                     parameterized=options.params, segments=project.segments,
                                     pretty=options.pretty or args.out is not None)
        except RuleError as error:  # every segment the dialect cannot express, not only the first
            problems.extend(error.diagnostics)
    if problems:
        raise RuleError(problems)
    if args.out is not None:
        return _write(args, Path(args.out), project, compiled, options)
    if args.format == "json":
        records = [{"segment": name, **_location(project.segments[name]), **_record(result, options)}
                   for name, result in compiled.items()]
        echo(json.dumps({"segments": records, "files": len(files)}, indent=2, ensure_ascii=False))
        return EXIT_OK
    for index, (name, result) in enumerate(compiled.items()):
        where = _location(project.segments[name])
        echo(("\n" if index else "") + f"-- segment {name} ({where['file']}:{where['line']})")
        echo(result.sql + ";")
        if options.params:
            echo("-- params: " + json.dumps(_values(result.params), ensure_ascii=False))
    return EXIT_OK


def _write(args: argparse.Namespace, folder: Path, project: Any, compiled: dict[str, Any], options: Options) -> int:
    """One `<segment>.sql` per segment; unchanged files are left alone, stale ones are reported."""
    from rare_dsl import __version__

    targets = {name: folder / f"{name}.sql" for name in compiled}
    clash = _case_clash(targets)
    if clash is not None:
        raise RuleError([clash])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RuleError([_unwritable(folder, error)]) from None
    written: list[str] = []
    unchanged: list[str] = []
    problems: list[Diagnostic] = []
    for name, result in compiled.items():
        text = _file_text(project.segments[name], result, options, __version__)
        path = targets[name]
        try:
            if path.is_file() and path.read_bytes() == text.encode("utf-8"):
                unchanged.append(str(path))
                continue
            write_atomically(path, text.encode("utf-8"))
            written.append(str(path))
        except OSError as error:
            problems.append(_unwritable(path, error))
    stale = _stale_files(folder, set(targets.values()))
    if problems:
        raise RuleError(problems)
    if args.format == "json":
        echo(json.dumps({"written": written, "unchanged": unchanged, "stale": [str(p) for p in stale],
                         "dialect": options.dialect, "time": options.time}, indent=2, ensure_ascii=False))
        return EXIT_OK
    for path in written:
        echo(f"wrote {path}")
    for old in stale:
        echo(f"stale: {old} was compiled for a segment that no longer exists; delete it if nothing uses it")
    echo(f"{_plural(len(written), 'file')} written, {len(unchanged):,} unchanged, in {folder}"
         + (f"; {_plural(len(stale), 'stale file')}." if stale else "."))
    return EXIT_OK


def _file_text(segment: Any, compiled: Any, options: Options, version: str) -> str:
    """The header (who, from where, how) and the statement. Nothing in it changes between two runs on the same
    input, not even a date, so an unchanged segment gives an unchanged file."""
    where = _location(segment)
    lines = [f"{HEADER}{segment.name}"]
    lines += [f"-- {line}".rstrip() for line in (segment.description or "").splitlines()]
    lines += [
        f"-- source: {where['file']}:{where['line']}",
        f"-- dialect: {options.dialect}",
        f"-- time: {options.time}",
        f"-- compiled by rare-dsl {version}; regenerate with `rare compile --out`, do not edit",
    ]
    if options.params:
        lines.append("-- params: " + json.dumps(_values(compiled.params), ensure_ascii=False))
    return "\n".join(lines) + "\n" + compiled.sql + ";\n"


def _stale_files(folder: Path, current: set[Path]) -> list[Path]:
    """`.sql` files of the folder that this command wrote (by their first line) for no current segment."""
    stale = []
    for path in sorted(folder.glob("*.sql")):
        if path in current:
            continue
        try:
            with path.open(encoding="utf-8", errors="replace") as file:
                first = file.readline()
        except OSError:
            continue
        if first.startswith(HEADER):
            stale.append(path)
    return stale


def _case_clash(targets: dict[str, Path]) -> Diagnostic | None:
    """Two segments whose files would be one file where names ignore case (macOS, Windows)."""
    seen: dict[str, str] = {}
    for name, path in targets.items():
        other = seen.setdefault(path.name.lower(), name)
        if other != name:
            return Diagnostic("RD904", f"cannot write `{path}`: segments `{other}` and `{name}` would write the "
                              "same file where file names ignore case", None, Source("", str(path)),
                              hints=("rename one of the segments",))
    return None


def _unwritable(path: Path, error: OSError) -> Diagnostic:
    return Diagnostic("RD904", f"cannot write `{path}`: {error.strerror or error}", None, Source("", str(path)))


def _location(segment: Any) -> dict[str, Any]:
    file, line = segment.location
    return {"file": file, "line": line}


def _record(compiled: Any, options: Options) -> dict[str, Any]:
    record: dict[str, Any] = {"sql": compiled.sql, "dialect": compiled.dialect, "time": options.time}
    if options.params:
        record["params"] = _values(compiled.params)
    return record


def _values(params: tuple[object, ...]) -> list[object]:
    """Placeholder values as JSON: decimals as the number engines read, timestamps as ISO text (UTC)."""
    def value(item: object) -> object:
        if isinstance(item, Decimal):
            return int(item) if item == item.to_integral_value() else float(item)
        if isinstance(item, dt.datetime):
            return item.isoformat()
        return item

    return [value(item) for item in params]


def _fail(args: argparse.Namespace, diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> int:
    if args.format == "json":
        echo(json.dumps({"diagnostics": [d.to_dict() for d in diagnostics]}, indent=2, ensure_ascii=False))
    else:
        echo(render(diagnostics, color=use_color(sys.stdout)), end="")
    return EXIT_FAILED


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"
