"""The compiler prints with a subclass of each sqlglot generator that skips work which cannot change the SQL of
its trees (`rare_dsl.compiler.dialects.generator`): SELECT rewrites of constructs it never builds, the CTE
hoisting walk, comments, and sqlglot's slow type tests for the plain types it casts to. Here every rule of the
snapshot fixtures, in every SQL dialect, anchored, live and parameterized, prints exactly as sqlglot's own
generator prints the same tree: a sqlglot upgrade that gives those skipped parts work to do on our trees
fails here.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from sqlglot.dialects.dialect import Dialect
from test_compile_snapshots import RULES, SEGMENTS

from rare_dsl import RuleError
from rare_dsl.compiler import compile, dialects
from rare_dsl.compiler.dialects import NOT_SQL

AS_OF = dt.datetime(2026, 8, 31, 10, 0, 0)
MODES = [{"as_of": AS_OF}, {"as_of": None}, {"as_of": AS_OF, "parameterized": True}]


@pytest.mark.parametrize("dialect", [name for name in dialects() if name not in NOT_SQL])
def test_the_compiler_prints_as_sqlglot_does(dialect: str) -> None:
    printed = 0
    for rule in RULES:
        for mode in MODES:
            for pretty in (False, True):
                try:
                    compiled = compile(rule, dialect=dialect, segments=SEGMENTS, pretty=pretty, **mode)
                except RuleError:  # refused for this dialect (RD301): nothing printed
                    continue
                expected = Dialect.get_or_raise(dialect).generate(compiled.expression, copy=True, pretty=pretty)
                assert compiled.sql == expected, (dialect, rule, mode, pretty)
                printed += 1
    assert printed


def test_compiling_loads_no_other_dialect(tmp_path) -> None:
    """The generator's shortcuts look for sqlglot's generator classes without importing them: a fresh
    `rare compile` for SQLite must not pay for DuckDB's generator module (about 0.3 s), nor any other."""
    probe = ("import sys, datetime as dt, rare_dsl; "
             "rare_dsl.compile('opens(6mo) >= 3 and spent(1y) > 10', dialect='sqlite', as_of=dt.datetime(2026, 1, 1)); "
             "print(sorted(m for m in sys.modules if m.startswith(('sqlglot.generators.', 'sqlglot.dialects.'))))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path,
                            env={**os.environ, "RARE_CACHE_DIR": str(tmp_path)})
    loaded = ["sqlglot.dialects.dialect", "sqlglot.dialects.sqlite", "sqlglot.generators.sqlite"]
    assert result.stdout.strip() == repr(loaded)
