"""What a file named as a DuckDB database is, judged before DuckDB opens it, and whether a store can be written.

DuckDB opens more than its own files: a SQLite file makes it load (and, allowed to, download) the sqlite
extension, and a CSV or Parquet file becomes an in-memory database with a view of it, where anything
written is lost when the command ends. So a file is read as a DuckDB database only when its header says
it is one (`duckdb_problem`). And a store DuckDB cannot write fails only when a change is committed (the
write-ahead log `PATH.wal` is created then), so writing commands ask first (`write_problem`) and refuse
before anything is done. Neither imports DuckDB; nor does `broken_link`, which says what is wrong with a
symbolic link that leads to no file (the rule-file loader uses it too).
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

# A DuckDB file starts with a checksum (8 bytes), then its magic bytes.
_DUCKDB_MAGIC = (8, b"DUCK")
# Other files people give as a store, by their first bytes, to say what the file is instead.
_OTHER_FORMATS = (
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"PK\x03\x04", "a zip archive (or a spreadsheet)"),
)
_SNIFF = 4096


def broken_link(path: Path, *, missing_ok: bool = False) -> str | None:
    """What is wrong with `path` when it is a symbolic link that leads to no file: a loop (a link to itself,
    or links that lead back to each other), or a link to something missing (unless `missing_ok`: a file
    about to be created there); None otherwise."""
    if not path.is_symlink():
        return None
    try:
        path.stat()
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "it is a symbolic link that leads back to itself"
        if error.errno == errno.ENOENT:
            if missing_ok:
                return None
            with contextlib.suppress(OSError):
                return f"it is a symbolic link to `{os.readlink(path)}`, which does not exist"
        return f"it is a symbolic link that cannot be followed ({error.strerror or error})"
    return None


def wal_of(path: Path) -> Path:
    """DuckDB's write-ahead log of the database `path`."""
    return path.with_name(path.name + ".wal")


def duckdb_problem(path: Path) -> str | None:
    """Why the existing file `path` is not a DuckDB database ("it is a SQLite database", "it is empty"...),
    or None when its header is DuckDB's (or it cannot be read: opening it will say why)."""
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF)
    except OSError:
        return None
    start, magic = _DUCKDB_MAGIC
    if head[start : start + len(magic)] == magic:
        return None
    if not head:
        return "it is empty"
    for prefix, what in _OTHER_FORMATS:
        if head.startswith(prefix):
            return f"it is {what}"
    if b"\x00" not in head and _is_text(head):
        return "it holds text (a CSV file?)"
    return "its first bytes are not those of a DuckDB database"


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A character cut by the end of the sample is still text.
        return len(head) == _SNIFF and error.reason == "unexpected end of data"
    return True


def write_problem(path: Path) -> str | None:
    """Why the store `path` (which may not exist yet) cannot be written: the file or its write-ahead log is
    read-only, or the folder does not let DuckDB create them; None when it can.

    `os.access` answers as the kernel will (root included: an immutable file or a read-only file system
    refuses root too); the reason is then the one the system gives when asked to open the file, which it
    refuses without changing anything."""
    wal = wal_of(path)
    for target, what in ((path, "the file"), (wal, "its write-ahead log")):
        if target.exists() and not os.access(target, os.W_OK):
            reason = _open_refusal(target, os.O_WRONLY)
            if reason:
                return f"{what} {target} cannot be written ({reason})"
    folder = path.parent
    if not (path.exists() and wal.exists()) and not os.access(folder, os.W_OK | os.X_OK):
        made = wal if path.exists() else path
        reason = _open_refusal(folder / f".{made.name}.rare-probe-{os.getpid()}",
                               os.O_WRONLY | os.O_CREAT | os.O_EXCL, remove=True)
        if reason:
            what = "its write-ahead log" if made is wal else "the file"
            return f"the folder {folder} does not let {what} {made.name} be created ({reason})"
    return None


def _open_refusal(target: Path, flags: int, *, remove: bool = False) -> str | None:
    """The system's reason for refusing to open `target` with `flags`, or None when it opens (then it is
    closed again, and removed when `remove`: a probe file this function created)."""
    try:
        handle = os.open(target, flags, 0o600)
    except OSError as error:
        return error.strerror or str(error)
    os.close(handle)
    if remove:
        with contextlib.suppress(OSError):
            os.unlink(target)
    return None
