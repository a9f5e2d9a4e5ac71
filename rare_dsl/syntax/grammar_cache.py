"""The grammar's LALR parser, kept between processes in a cache file.

Building the parser analyses the grammar (LALR tables, lexer states): about a third of a second, paid by
every `rare` command before this cache. It is built once, saved with lark's own `Lark.save` (what
`Lark(..., cache=...)` uses), and later processes load it in a few milliseconds with `Lark.load`.

We manage the file rather than pass `cache=PATH` to lark because lark writes its cache in place: two
processes starting together could read each other's half-written file. Here:

- the file lives in the user's cache folder (`~/.cache/rare-dsl` on Linux, see `cache_dir`;
  `$RARE_CACHE_DIR` overrides it), never next to the package, so a read-only install works, and never in a
  shared temporary folder where another user could plant a pickle;
- its name carries a digest of everything the tables depend on (the grammar text, the options, lark's
  version and the Python implementation), so an edited grammar or an upgraded lark reads another file
  and a stale one is simply never opened;
- its content starts with a digest of the pickled payload, checked before unpickling, so a truncated or
  damaged file is rebuilt instead of loaded;
- it is written to a temporary file and renamed over the old one, so a reader sees a whole file or none;
- any failure (no home folder, a read-only or full disk, a damaged file, a lark that cannot load it)
  falls back to building the parser in memory: the cache can make a start slower, never break parsing.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
from pathlib import Path
from typing import Any

import lark

ENVIRONMENT = "RARE_CACHE_DIR"
# The cache file's first line; a new layout of the file gets a new number.
_MAGIC = b"rare-dsl parser cache 1\n"


def load_parser(grammar: str, options: dict[str, Any]) -> lark.Lark:
    """The lark parser of `grammar` built with `options`: from the cache when it holds it, else built and
    saved there for the next process."""
    path = cache_file(grammar, options)
    if path is not None:
        cached = _read(path)
        if cached is not None:
            return cached
    parser = lark.Lark(grammar, **options)
    if path is not None:
        _write(parser, path)
    return parser


def cache_dir() -> Path:
    """`$RARE_CACHE_DIR`, else `rare-dsl` in the user's cache folder: `$XDG_CACHE_HOME` or `~/.cache` on
    Linux and the other Unixes, what platformdirs says on macOS and Windows."""
    if os.environ.get(ENVIRONMENT):
        return Path(os.environ[ENVIRONMENT])
    if sys.platform not in ("darwin", "win32"):
        # The XDG rule, as platformdirs applies it (a relative XDG_CACHE_HOME is ignored), without importing
        # platformdirs: on Linux it would bring in tempfile and more, several milliseconds of every start.
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        return Path(xdg if os.path.isabs(xdg) else os.path.expanduser("~/.cache")) / "rare-dsl"
    import platformdirs

    return Path(platformdirs.user_cache_dir("rare-dsl", appauthor=False))


def cache_file(grammar: str, options: dict[str, Any]) -> Path | None:
    """Where the parser of this grammar, these options, this lark and this Python is cached; None when
    there is no cache folder to be had."""
    key = "\n".join((grammar, repr(sorted(options.items())), lark.__version__, sys.implementation.cache_tag or ""))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    try:
        return cache_dir() / f"parser-{digest}.pickle"
    except Exception:  # platformdirs could not name a folder (an unusual platform, no home): no cache
        return None


def _read(path: Path) -> lark.Lark | None:
    try:
        data = path.read_bytes()
    except OSError:  # not cached yet, or unreadable: build
        return None
    digest, newline, payload = data.removeprefix(_MAGIC).partition(b"\n")
    if not data.startswith(_MAGIC) or not newline or digest != hashlib.sha256(payload).hexdigest().encode("ascii"):
        return None  # damaged, truncated or of another layout: rebuilt and replaced by the caller
    try:
        return lark.Lark.load(io.BytesIO(payload))
    except Exception:  # whatever lark makes of a file it cannot load, the parser is rebuilt
        return None


def _write(parser: lark.Lark, path: Path) -> None:
    import tempfile  # only when writing, which happens once per grammar and lark version

    temporary: str | None = None
    try:
        buffer = io.BytesIO()
        parser.save(buffer)
        payload = buffer.getvalue()
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(_MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload)
        os.replace(temporary, path)
        temporary = None
    except Exception:  # a cache we cannot write is no cache; the parser in hand is fine
        pass
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
