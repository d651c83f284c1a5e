"""Damaged packages: whatever the damage, the gate and the safe loader raise UnreadableWorkbook
or read every sheet; no other exception escapes."""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey_workbook.book.package import inspect_package, load_safely
from journey_workbook.errors import UnreadableWorkbook


def _workbook() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Targets"
    ws.append(["Metric", "Target"])
    ws.append(["NRR", 1.1])
    ws.merge_cells("A4:B4")
    wb.create_sheet("Plan")["A1"] = "Kick-off"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


BASE = _workbook()
with zipfile.ZipFile(io.BytesIO(BASE)) as _z:
    PARTS = {n: _z.read(n) for n in _z.namelist()}
XML_PARTS = sorted(n for n in PARTS if n.endswith((".xml", ".rels")))
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def _gate(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.xlsx"
        path.write_bytes(data)
        try:
            info = inspect_package(path)
            wb = load_safely(path, info=info)
        except UnreadableWorkbook as exc:
            assert exc.code and exc.hint and "book.xlsx" in exc.message
            return
        assert len(wb.sheetnames) == len(info.sheets)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(BASE) - 1), st.integers(0, 255)), min_size=1,
                max_size=8),
       st.one_of(st.none(), st.integers(0, len(BASE))))
def test_damaged_zip_bytes_never_escape(flips, cut):
    data = bytearray(BASE)
    for at, value in flips:
        data[at] = value
    _gate(bytes(data[:cut] if cut is not None else data))


@FUZZ
@given(st.sampled_from(XML_PARTS), st.integers(0, 10_000), st.integers(0, 20),
       st.binary(max_size=12))
def test_damaged_xml_never_escapes(part, at, remove, inserted):
    content = PARTS[part]
    at %= len(content) + 1
    changed = dict(PARTS, **{part: content[:at] + inserted + content[at + remove:]})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, value in changed.items():
            z.writestr(name, value)
    _gate(out.getvalue())
