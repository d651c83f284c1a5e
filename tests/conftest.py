"""Shared test helpers. Tests drive the product the way its users do: through the CLI
in-process, and by typing into workbook cells with openpyxl as a person types in Excel."""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from journey_workbook.cli import main

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def run_cli(*args: str) -> int:
    return main([str(a) for a in args])


def find_table(wb, name):
    for ws in wb.worksheets:
        for tbl in ws.tables.values():
            if tbl.displayName == name:
                return ws, tbl
    raise KeyError(name)


def type_rows(wb, table_name: str, rows: list[dict], number_formats: dict | None = None):
    """Type ``rows`` (header text -> value) under a table's last filled row, growing the table
    as Excel does when a person types just below it. Independent of the product's writer."""
    ws, tbl = find_table(wb, table_name)
    first, last = tbl.ref.split(":")
    c1 = openpyxl.utils.cell.coordinate_from_string(first)
    c2 = openpyxl.utils.cell.coordinate_from_string(last)
    col1 = openpyxl.utils.column_index_from_string(c1[0])
    col2 = openpyxl.utils.column_index_from_string(c2[0])
    header_row = c1[1]
    headers = {ws.cell(header_row, c).value: c for c in range(col1, col2 + 1)}
    r = header_row + 1
    while r <= c2[1] and any(ws.cell(r, c).value not in (None, "") for c in range(col1, col2 + 1)):
        r += 1
    for row in rows:
        for header, value in row.items():
            cell = ws.cell(r, headers[header], value)
            if number_formats and header in number_formats:
                cell.number_format = number_formats[header]
        r += 1
    new_last = max(c2[1], r - 1)
    ref = f"{first}:{c2[0]}{new_last}"
    tbl.ref = ref
    if tbl.autoFilter is not None:
        tbl.autoFilter.ref = ref


def table_records(path, table_name: str, data_only: bool = True) -> list[dict]:
    wb = openpyxl.load_workbook(path, data_only=data_only)
    ws, tbl = find_table(wb, table_name)
    rows = list(ws[tbl.ref])
    headers = [c.value for c in rows[0]]
    return [dict(zip(headers, [c.value for c in row])) for row in rows[1:]
            if any(c.value not in (None, "") for c in row)]


def defined_value(path, name: str):
    wb = openpyxl.load_workbook(path, data_only=True)
    (sheet, coord), = list(wb.defined_names[name].destinations)
    return wb[sheet][coord.replace("$", "")].value


@pytest.fixture
def corpus() -> Path:
    assert CORPUS.is_dir(), f"the shared corpus is missing at {CORPUS}"
    return CORPUS


def need_soffice() -> str:
    """LibreOffice is part of the test environment: its absence is a failure, not a skip."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe, ("LibreOffice is required for this test: apt-get install libreoffice-calc-nogui "
                 "(.ci/run installs it)")
    return exe
