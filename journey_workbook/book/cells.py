"""The one place that converts between (row, column) and A1. Rows and columns are 1-based
here, as in Excel; messages always say A1."""
from __future__ import annotations

import re

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def column_letter(col: int) -> str:
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def a1(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


def parse_a1(ref: str) -> tuple[int, int]:
    m = _A1.match(ref.strip())
    if not m:
        raise ValueError(f"not an A1 cell reference: {ref!r}")
    return int(m.group(2)), column_index(m.group(1))


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """``"A1:D9"`` -> (min_row, min_col, max_row, max_col)."""
    first, _, last = ref.replace("$", "").partition(":")
    r1, c1 = parse_a1(first)
    r2, c2 = parse_a1(last or first)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def range_ref(min_row: int, min_col: int, max_row: int, max_col: int) -> str:
    return f"{a1(min_row, min_col)}:{a1(max_row, max_col)}"


def absolute(sheet: str, row: int, col: int) -> str:
    """A workbook-level reference such as ``'Dashboard'!$B$3`` (sheet name always quoted)."""
    quoted = sheet.replace("'", "''")
    return f"'{quoted}'!${column_letter(col)}${row}"
