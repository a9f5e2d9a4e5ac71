"""How a number and a share of contacts are printed (`1 contact`, `4.0%`, `<0.1%`): one function each for
every count line, `explain`, `breakdown` and `rare segments`, in the CLI and the REPL alike. It imports
nothing, so a command that loads neither DuckDB nor the compiler can use it."""

from __future__ import annotations

# Shares print with one decimal, so the smallest share shown as a number is 0.1%.
_STEP = 0.001


def percent(part: float, whole: float) -> str:
    """`part` out of `whole` as a percentage with one decimal: `5.8%`. A share that is not none but under
    0.1% is `<0.1%` (three contacts of 100,000 are not `0.0%`), and one that is not everyone but over 99.9%
    is `>99.9%`; none (or an empty whole) is `0.0%`, everyone `100.0%`."""
    if whole <= 0 or part <= 0:
        return f"{0:.1%}"
    share = part / whole
    if share < _STEP:
        return f"<{_STEP:.1%}"
    if 1 - _STEP < share < 1:
        return f">{1 - _STEP:.1%}"
    return f"{share:.1%}"


def contacts(number: int) -> str:
    """`4,019 contacts`, and `1 contact`."""
    return f"{number:,} contact{'' if number == 1 else 's'}"
