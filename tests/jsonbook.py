"""xlwings' remote engine, driven from real .xlsx files: the payload a client would send, and
the client's side of the answer.

- :func:`payload_from_xlsx` builds what xlwings' VBA client (``addin/Remote.bas``,
  ``RunServerPython``) POSTs for a workbook: per worksheet (hidden ones included) the values
  from A1 to the last filled cell (dates as ISO text ending in ``Z``, numbers as floats, empty
  cells as ``""``), the tables with their addresses and the pictures (name, width and height
  in points); the book's range names; the book's name, active sheet and selection.
- :func:`apply_actions` plays the answer, ``book.json()["actions"]``, onto the openpyxl
  workbook the way the VBA client does: each action is the VBA procedure of the same name,
  including its quirks (pictures addressed by position, ``updatePicture`` = delete + add at
  the end, ``setValues`` through ``ParseIso``) and Excel's own parsing of text written into a
  cell that is not text-formatted. An action the VBA client has no procedure for raises, so a
  test fails when the product asks a client for something it cannot do.
"""
from __future__ import annotations

import base64
import io
import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.drawing.image import Image
from openpyxl.drawing.picture import PictureFrame
from openpyxl.drawing.spreadsheet_drawing import AbsoluteAnchor, AnchorMarker, OneCellAnchor
from openpyxl.drawing.xdr import XDRPoint2D, XDRPositiveSize2D
from openpyxl.utils.cell import get_column_letter, range_boundaries

EMU_PER_POINT = 12700
EMU_PER_PIXEL = 9525


def vba_client_actions() -> set[str]:
    """The actions xlwings' VBA client can apply: the procedures ``Remote.bas`` declares as
    ``Sub <action>(wb As Workbook, action As Dictionary)``, read from the installed xlwings."""
    import importlib.util

    folder = Path(importlib.util.find_spec("xlwings").origin).parent
    source = (folder / "addin" / "Remote.bas").read_text(encoding="utf-8", errors="replace")
    return set(re.findall(r"^Sub (\w+)\(wb As Workbook, action As Dictionary\)", source, re.M))


# -- the request --------------------------------------------------------------------------

def _json_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00.000Z"
    return str(value)


def _extent(ws) -> tuple[int, int]:
    last_row = last_col = 0
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                last_row, last_col = max(last_row, cell.row), max(last_col, cell.column)
    return last_row, last_col


def _absolute(ref: str) -> str:
    c1, r1, c2, r2 = range_boundaries(ref)
    return f"${get_column_letter(c1)}${r1}:${get_column_letter(c2)}${r2}"


def _table(tbl) -> dict:
    c1, r1, c2, r2 = range_boundaries(tbl.ref)
    headers = 1 if tbl.headerRowCount is None else int(tbl.headerRowCount)
    totals = int(tbl.totalsRowCount or 0)
    first_body, last_body = r1 + headers, r2 - totals
    span = lambda a, b: _absolute(f"{get_column_letter(c1)}{a}:{get_column_letter(c2)}{b}")
    return {
        "name": tbl.displayName,
        "range_address": _absolute(tbl.ref),
        "header_row_range_address": span(r1, r1) if headers else None,
        "data_body_range_address": span(first_body, last_body) if last_body >= first_body else None,
        "total_row_range_address": span(r2, r2) if totals else None,
        "show_headers": bool(headers),
        "show_totals": bool(totals),
        "table_style": tbl.tableStyleInfo.name if tbl.tableStyleInfo else "",
        "show_autofilter": tbl.autoFilter is not None,
    }


def picture_name(image) -> str | None:
    try:
        return image.anchor.pic.nvPicPr.cNvPr.name
    except AttributeError:
        return None


def picture_size(image) -> tuple[float, float]:
    """Width and height in points, as Excel reports a picture's size."""
    ext = getattr(image.anchor, "ext", None)
    if ext is not None and getattr(ext, "width", None):
        return ext.width / EMU_PER_POINT, ext.height / EMU_PER_POINT
    return image.width * 0.75, image.height * 0.75


def _names(wb) -> list[dict]:
    out = []
    scopes = [(None, wb.defined_names)] + [(ws, ws.defined_names) for ws in wb.worksheets]
    for ws, names in scopes:
        for dn in names.values():
            if dn.name.startswith("_xlnm"):
                continue
            dests = list(dn.destinations)
            if len(dests) != 1:  # the VBA client sends range names only
                continue
            sheet, ref = dests[0]
            scope = {"book_scope": True, "scope_sheet_name": None, "scope_sheet_index": None}
            name = dn.name
            if ws is not None:
                scope = {"book_scope": False, "scope_sheet_name": ws.title,
                         "scope_sheet_index": wb.worksheets.index(ws)}
                name = f"'{ws.title}'!{dn.name}"
            out.append({"name": name, "sheet_index": wb.sheetnames.index(sheet),
                        "address": ref.replace("$", ""), **scope})
    return out


def payload_from_xlsx(path, selection: str = "A1", active_sheet: str | None = None,
                      client: str = "VBA") -> dict:
    """The request xlwings' VBA client sends for the workbook at ``path`` (see the module
    docstring); ``selection`` is an address on ``active_sheet`` (default: the active one)."""
    import xlwings as xw

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        last_row, last_col = _extent(ws)
        values = [[_json_value(ws.cell(r, c).value) for c in range(1, last_col + 1)]
                  for r in range(1, last_row + 1)] or [[]]
        sheets.append({
            "name": ws.title,
            "values": values,
            "pictures": [dict(zip(("name", "width", "height"),
                                  (picture_name(im), *picture_size(im)))) for im in ws._images],
            "tables": [_table(t) for t in ws.tables.values()],
            "charts": [],
        })
    active = wb.sheetnames.index(active_sheet) if active_sheet else wb.worksheets.index(wb.active)
    return {
        "client": client,
        "version": xw.__version__,
        "book": {"name": Path(path).name, "active_sheet_index": active, "selection": selection},
        "names": _names(wb),
        "sheets": sheets,
    }


# -- the answer ---------------------------------------------------------------------------

@dataclass
class Applied:
    """What the client did besides changing cells: message boxes, activation, selection."""

    alerts: list[dict] = field(default_factory=list)
    activated: list[str] = field(default_factory=list)
    selected: list[tuple[str, str]] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)


class _Client:
    def __init__(self, wb, out: Applied):
        self.wb, self.out = wb, out

    # helpers
    def sheet(self, action):
        return self.wb.worksheets[action["sheet_position"]]

    def cells(self, action):
        ws = self.sheet(action)
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        return ws, [[ws.cell(r0 + i, c0 + j) for j in range(action["column_count"])]
                    for i in range(action["row_count"])]

    # Remote.bas procedures
    def setValues(self, action):
        ws, cells = self.cells(action)
        for row_cells, row_values in zip(cells, action["values"]):
            for cell, value in zip(row_cells, row_values):
                cell.value = excel_reads(value, cell.number_format)

    def rangeClearContents(self, action):
        for row in self.cells(action)[1]:
            for cell in row:
                cell.value = None

    def setNumberFormat(self, action):
        for row in self.cells(action)[1]:
            for cell in row:
                cell.number_format = action["args"][0]

    def resizeTable(self, action):
        index, address = action["args"]
        tbl = list(self.sheet(action).tables.values())[index]
        tbl.ref = address.replace("$", "")
        if tbl.autoFilter is not None:
            tbl.autoFilter.ref = tbl.ref

    def namesAdd(self, action):
        from openpyxl.workbook.defined_name import DefinedName

        name, refers_to = action["args"]
        self.wb.defined_names[name] = DefinedName(name, attr_text=refers_to.lstrip("="))

    def alert(self, action):
        prompt, title, buttons, mode, callback = action["args"]
        self.out.alerts.append({"prompt": prompt, "title": title, "buttons": buttons,
                                "mode": mode})

    def activateSheet(self, action):
        self.wb.active = action["args"][0]
        self.out.activated.append(self.wb.worksheets[action["args"][0]].title)

    def rangeSelect(self, action):
        ws, cells = self.cells(action)
        self.out.selected.append((ws.title, cells[0][0].coordinate))

    def addPicture(self, action):
        data, col, row, left, top = action["args"]
        ws = self.sheet(action)
        png = base64.b64decode(data)
        width, height = _natural_size(png)
        anchor = (_at(left, top, width, height) if left > 0 or top > 0
                  else _at_cell(row, col, width, height))
        _insert(ws, png, anchor, f"Picture {len(ws._images) + 1}")

    def updatePicture(self, action):
        data, index, _name, _width, _height = action["args"]
        ws = self.sheet(action)
        old = ws._images.pop(index)  # Pictures(index + 1), deleted ...
        anchor = old.anchor          # ... and re-added at its place and size, at the end
        _insert(ws, base64.b64decode(data), _copy_anchor(anchor), picture_name(old))

    def deletePicture(self, action):
        self.sheet(action)._images.pop(action["args"][0])

    def setPictureName(self, action):
        index, name = action["args"]
        self.sheet(action)._images[index].anchor.pic.nvPicPr.cNvPr.name = name

    def setPictureWidth(self, action):
        index, points = action["args"]
        _size(self.sheet(action)._images[index], width=points)

    def setPictureHeight(self, action):
        index, points = action["args"]
        _size(self.sheet(action)._images[index], height=points)


def apply_actions(wb, actions: list[dict]) -> Applied:
    """Apply ``actions`` to ``wb`` as xlwings' VBA client does (see the module docstring)."""
    out = Applied()
    client = _Client(wb, out)
    known = vba_client_actions()
    for action in actions:
        func = action["func"]
        if func not in known:
            raise AssertionError(f"xlwings' VBA client has no procedure {func!r}: {action}")
        handler = getattr(client, func, None)
        if handler is None:
            raise NotImplementedError(f"this test client does not play {func!r} yet")
        handler(action)
        out.applied.append(func)
    return out


# -- Excel's reading of what is written ------------------------------------------------------

_ISO = re.compile(r"(\d{1,4})-(\d{1,2})-(\d{1,2})(?:T(\d{1,2}):(\d{2})(?::(\d{2}))?[^ ]*)?")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_MONTH = re.compile(r"(\d{4})[-/](\d{1,2})")
_SLASHED = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")


def excel_reads(value: Any, number_format: str) -> Any:
    """What a cell holds after the VBA client writes ``value`` into it: ``ParseIso`` turns
    ISO dates into dates; then Excel parses text as typed input unless the cell is
    text-formatted ("@") or the text starts with the text prefix ``'``."""
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    iso = _ISO.fullmatch(value)
    if iso:
        parts = [int(p) if p else 0 for p in iso.groups()]
        return datetime(*parts[:3], *parts[3:])
    if value.startswith("'"):
        return value[1:]
    if number_format == "@":
        return value
    if value.startswith("="):
        return value  # a formula
    if _NUMBER.fullmatch(value):
        return float(value)
    for pattern in (_SLASHED, _MONTH):
        m = pattern.fullmatch(value)
        if m:
            y, mo, d = (int(g) for g in (m.groups() + ("1",))[:3])
            return datetime(y, mo, d)
    return value


# -- pictures -------------------------------------------------------------------------------

def _natural_size(png: bytes) -> tuple[float, float]:
    """The size Excel gives an inserted image (``AddPicture`` with -1, -1): its pixels at
    the resolution it declares, in points."""
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as im:
        dpi = im.info.get("dpi", (96, 96))
        return im.width * 72 / float(dpi[0]), im.height * 72 / float(dpi[1])


def _ext(width: float, height: float) -> XDRPositiveSize2D:
    return XDRPositiveSize2D(round(width * EMU_PER_POINT), round(height * EMU_PER_POINT))


def _at_cell(row: int, col: int, width: float, height: float) -> OneCellAnchor:
    return OneCellAnchor(_from=AnchorMarker(col=col, row=row), ext=_ext(width, height))


def _at(left: float, top: float, width: float, height: float) -> AbsoluteAnchor:
    return AbsoluteAnchor(pos=XDRPoint2D(round(left * EMU_PER_POINT), round(top * EMU_PER_POINT)),
                          ext=_ext(width, height))


def _copy_anchor(anchor):
    if isinstance(anchor, OneCellAnchor):
        return OneCellAnchor(_from=AnchorMarker(col=anchor._from.col, row=anchor._from.row,
                                                colOff=anchor._from.colOff,
                                                rowOff=anchor._from.rowOff),
                             ext=XDRPositiveSize2D(anchor.ext.width, anchor.ext.height))
    return anchor


def _insert(ws, png: bytes, anchor, name: str) -> None:
    from openpyxl.drawing.fill import Blip
    from openpyxl.drawing.geometry import PresetGeometry2D

    image = Image(io.BytesIO(png))
    frame = PictureFrame()
    frame.nvPicPr.cNvPr.name = name
    frame.blipFill.blip = Blip()
    frame.spPr.prstGeom = PresetGeometry2D(prst="rect")
    anchor.pic = frame
    image.anchor = anchor
    image.width = anchor.ext.width / EMU_PER_PIXEL
    image.height = anchor.ext.height / EMU_PER_PIXEL
    ws.add_image(image)


def _size(image, width: float | None = None, height: float | None = None) -> None:
    ext = image.anchor.ext
    if width is not None:
        ext.width = round(width * EMU_PER_POINT)
        image.width = ext.width / EMU_PER_PIXEL
    if height is not None:
        ext.height = round(height * EMU_PER_POINT)
        image.height = ext.height / EMU_PER_PIXEL


# -- running a ribbon button on the remote engine ---------------------------------------------

def remote_engine(monkeypatch):
    """xlwings with its remote engine unlocked by the noncommercial key (xlwings reads the key
    when it is imported, so an xlwings imported earlier without it is imported again)."""
    import importlib
    import sys

    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings

    if not xlwings.__pro__:
        xlwings = importlib.reload(sys.modules["xlwings"])
    assert "remote" in [e.name for e in xlwings.engines], "xlwings' remote engine is not available"
    return xlwings


def forget_mock_caller() -> None:
    import xlwings

    if hasattr(xlwings.Book, "_mock_caller"):
        del xlwings.Book._mock_caller


@dataclass
class Click:
    """One ribbon click, as xlwings Server would serve it: the book sent, the actions returned
    (checked to be JSON, as they travel), and the workbook after the VBA client applied them."""

    book: Any
    actions: list[dict]
    applied: Applied
    workbook: Any  # openpyxl, with the actions applied
    path: Path  # the workbook saved after the actions were applied

    def funcs(self) -> list[str]:
        return [a["func"] for a in self.actions]

    @property
    def alert(self) -> dict:
        (alert,) = self.applied.alerts
        return alert

    def of(self, func: str) -> list[dict]:
        return [a for a in self.actions if a["func"] == func]


def click(path, tag: str, out: Path, selection: str = "A1", active_sheet: str | None = None,
          **run_args) -> Click:
    """Press the ribbon button ``tag`` on the workbook at ``path``: ``excel.run(tag)`` with
    ``xw.Book.caller()`` mocked (xlwings' own ``set_mock_caller``) by a remote-engine book built
    from the file; then the answer applied onto the file, saved as ``out``."""
    import json

    import xlwings as xw

    from journey_workbook import excel

    book = xw.Book(json=payload_from_xlsx(path, selection=selection, active_sheet=active_sheet))
    book.set_mock_caller()
    try:
        excel.run(tag, **run_args)
    finally:
        forget_mock_caller()
    actions = json.loads(json.dumps(book.json()))["actions"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
    applied = apply_actions(wb, actions)
    wb.save(out)
    return Click(book, actions, applied, wb, Path(out))
