"""The live backend: a workbook open in Excel, through xlwings.

It uses only what xlwings offers alike on Windows, on macOS and on the remote engine that
xlwings Server and xlwings Lite run (``xw.Book(json=...)``): cell values, tables, defined
names, number-format *setters* and pictures. No ``.api``, no format or colour getters.

Two facts of the remote engine shape this module:

- Reads never see writes: every write is queued as an action for the client to apply later,
  and reads answer from the payload the client sent. So this backend remembers what it wrote
  (a table's new extent and body, a name's new value) and answers later reads from that
  memory, on every engine, so that an action behaves the same in Excel and on a server.
- The clients address a picture by its position among the sheet's pictures, and their
  ``updatePicture`` deletes the picture and adds the new one *at the end*, which shifts the
  position of every picture after it (xlwings 0.37.8's VBA client ``addin/Remote.bas`` and
  Office Scripts client ``js/xlwings.ts`` both do). The engine does not follow that shift, so a
  second update in the same call replaces the wrong picture. A chart is therefore replaced by
  ``delete`` + ``add``, which keeps both sides in step, at the old picture's place where the
  engine can tell it (desktop Excel), else at its anchor cell.

Values are normalised to what the file backend gives: whole numbers as ``int`` (Excel hands
every number over as a float, and ``str(5.0)`` would turn an ID typed as 5 into ``"5.0"``),
dates as ``datetime`` (desktop xlwings converts date cells, the remote engine converts the ISO
strings the clients send), empty cells as ``None``.

Writes set the number formats *before* the values: desktop Excel and the clients parse text
that is written into a General cell, so a month label ``2026-03`` would become a date unless
its cell is text-formatted ("@") first. Text starting with ``=``, ``+``, ``-`` or ``@`` is
written with Excel's text prefix (an apostrophe) so that it cannot become a formula.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from typing import Any, Optional, Sequence

from journey_workbook.book.base import Backend, RawTable
from journey_workbook.book.cells import a1
from journey_workbook.errors import JourneyError
from journey_workbook.schema import texts

#: how many rows under a table are checked for values typed outside it (as the file backend)
_BELOW_SCAN = 20
#: Excel lays pictures out in points; the backend interface speaks pixels at 96 per inch
_POINTS_PER_PIXEL = 72 / 96
_FORMULA_STARTS = ("=", "+", "-", "@")
INSTALL_HINT = 'pip install "journey-workbook[excel]"'


def import_xlwings():
    """xlwings, imported only when a live workbook is used."""
    try:
        import xlwings
    except ImportError:
        raise JourneyError("The Excel buttons need the Python package xlwings, which is not "
                           "installed.", hint=f"Install it with: {INSTALL_HINT}") from None
    return xlwings


def normalise(value: Any) -> Any:
    """A cell value as the file backend would give it (see the module docstring)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, str) and value == "":
        return None
    return value


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _for_cell(value: Any) -> Any:
    """A value ready to be written into a cell: text that Excel would read as a formula gets
    the text prefix."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class _Located:
    """Where a table is now: its sheet, its xlwings table and its extent (1-based)."""

    sheet: str
    table: Any
    min_row: int
    min_col: int
    max_row: int
    max_col: int
    raw: Optional[RawTable] = None  # set once written: what the table holds now


class LiveBook(Backend):
    """A workbook open in Excel (or sent by an xlwings client), wrapped for one action."""

    #: the add-in's version when the add-in passes it (shown by the Guide button)
    addin_version: Optional[str] = None

    def __init__(self, xw_book) -> None:
        self.book = xw_book
        self.label = xw_book.name
        self._tables: dict[str, _Located] = {}
        self._names: dict[str, Any] = {}  # defined name -> value written in this action
        for sheet in xw_book.sheets:
            for tbl in sheet.tables:
                rng = tbl.range
                rows, cols = rng.shape
                if tbl.show_totals:  # a totals row is not data
                    rows -= 1
                self._tables[tbl.name.casefold()] = _Located(
                    sheet.name, tbl, rng.row, rng.column, rng.row + rows - 1,
                    rng.column + cols - 1)

    @classmethod
    def caller(cls) -> "LiveBook":
        """The workbook whose ribbon button ran this Python process."""
        return cls(import_xlwings().Book.caller())

    # -- reading --------------------------------------------------------------------------

    def table_names(self) -> list[str]:
        return [t.table.name for t in self._tables.values()]

    def sheet_of_table(self, name: str) -> Optional[str]:
        found = self._tables.get(name.casefold())
        return found.sheet if found else None

    def read_table(self, name: str) -> Optional[RawTable]:
        found = self._tables.get(name.casefold())
        if found is None:
            return None
        if found.raw is not None:
            return replace(found.raw, rows=[list(r) for r in found.raw.rows],
                           below=list(found.raw.below))
        grid = self._values(found.sheet, found.min_row, found.min_col, found.max_row,
                            found.max_col)
        headers, body = grid[0], grid[1:]
        while body and all(_is_empty(v) for v in body[-1]):
            body.pop()
        below = []
        under = self._values(found.sheet, found.max_row + 1, found.min_col,
                             found.max_row + _BELOW_SCAN, found.max_col)
        for r, values in enumerate(under, start=found.max_row + 1):
            if all(_is_empty(v) for v in values):
                break
            below.append((r, values))
        return RawTable(found.table.name, found.sheet, found.min_row, found.min_col, headers,
                        body, below)

    def _values(self, sheet: str, r1: int, c1: int, r2: int, c2: int) -> list[list]:
        rng = self.book.sheets[sheet].range((r1, c1), (r2, c2))
        return [[normalise(v) for v in row] for row in rng.options(ndim=2).value]

    def read_name(self, name: str) -> Any:
        if name in self._names:
            return self._names[name]
        return normalise(self._name_cell(name).value)

    def _name_cell(self, name: str):
        # Asked first: a missing name is a KeyError here but a COM error on Windows.
        if name not in self.book.names:
            raise KeyError(name)
        try:
            target = self.book.names[name].refers_to_range
        except ValueError:  # the remote engine: the name is not a single range
            raise KeyError(name) from None
        return target[0, 0]

    def meta(self) -> dict[str, str]:
        """The very hidden ``jw_meta`` sheet: keys in column A, values in column B."""
        if texts.META_SHEET not in self.sheet_names():
            return {}
        sheet = self.book.sheets[texts.META_SHEET]
        last = sheet.used_range.last_cell
        out = {}
        for key, value, *_ in sheet.range((1, 1), (last.row, max(2, last.column))).options(
                ndim=2).value:
            key, value = normalise(key), normalise(value)
            if key is not None:
                out[str(key)] = "" if value is None else str(value)
        return out

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def selection(self) -> Optional[tuple[str, int, int]]:
        """(sheet, row, column) of the selection's top-left cell, or None when the selection
        is not a range (a shape, a chart) or the engine cannot tell."""
        try:
            rng = self.book.selection
            if rng is None:
                return None
            return rng.sheet.name, rng.row, rng.column
        except (AttributeError, TypeError):
            # The remote engine builds a Range without coordinates for a non-cell selection.
            return None

    # -- writing --------------------------------------------------------------------------

    def write_table(self, name, rows, formats=None) -> None:
        """Replace the body with ``rows`` and resize the table to fit (at least one row, as
        Excel keeps); header, position and style stay. Rows it no longer covers are cleared."""
        found = self._tables[name.casefold()]
        before = self.read_table(name)
        rows = [_fit(r, found.max_col - found.min_col + 1) for r in rows]
        self._resize(found, found.min_row + max(1, len(rows)))
        self._write_block(found, 0, rows, formats)
        self._remember(found, before, rows)

    def append_rows(self, name, rows, formats=None) -> None:
        """Add rows after the table's last filled row, growing the table."""
        self.write_rows_at(name, len(self.read_table(name).rows), rows, formats)

    def write_rows_at(self, name, start_index, rows, formats=None) -> None:
        """Write ``rows`` from body row ``start_index`` (0-based) on, growing the table."""
        found = self._tables[name.casefold()]
        before = self.read_table(name)
        width = found.max_col - found.min_col + 1
        rows = [_fit(r, width) for r in rows]
        new_max = max(found.max_row, found.min_row + start_index + len(rows))
        self._resize(found, new_max)
        self._write_block(found, start_index, rows, formats)
        body = [list(r) for r in before.rows]
        body += [[None] * width for _ in range(start_index + len(rows) - len(body))]
        body[start_index:start_index + len(rows)] = rows
        self._remember(found, before, body)

    def _resize(self, found: _Located, new_max: int) -> None:
        """Make the table end at row ``new_max``, clearing the rows it leaves."""
        old_max = found.max_row
        if new_max == old_max:
            return
        sheet = self.book.sheets[found.sheet]
        if new_max > old_max:
            self._check_room(found, old_max, new_max)
        found.table.resize(sheet.range((found.min_row, found.min_col), (new_max, found.max_col)))
        if new_max < old_max:
            sheet.range((new_max + 1, found.min_col), (old_max, found.max_col)).clear_contents()
        found.max_row = new_max

    def _check_room(self, found: _Located, old_max: int, new_max: int) -> None:
        """Growing a table must not write over what a person typed below it."""
        grid = self._values(found.sheet, old_max + 1, found.min_col, new_max, found.max_col)
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                if not _is_empty(value):
                    where = a1(old_max + 1 + i, found.min_col + j)
                    raise JourneyError(
                        f"Table {found.table.name} on sheet '{found.sheet}' needs to grow to "
                        f"row {new_max}, but {where} below it is not empty.",
                        hint="Move what is below the table further down, or make it part of "
                             "the table, then run the command again.")

    def _write_block(self, found: _Located, start_index: int, rows, formats) -> None:
        """Formats first (see the module docstring), then all values in one write."""
        sheet = self.book.sheets[found.sheet]
        top = found.min_row + 1 + start_index
        for (first, last, col, fmt) in _format_runs(formats or [], len(rows)):
            sheet.range((top + first, found.min_col + col),
                        (top + last, found.min_col + col)).number_format = fmt
        if rows:
            sheet.range((top, found.min_col), (top + len(rows) - 1, found.max_col)).value = [
                [_for_cell(v) for v in row] for row in rows]
        else:  # an empty body: Excel keeps one blank row
            sheet.range((top, found.min_col), (top, found.max_col)).clear_contents()

    def _remember(self, found: _Located, before: RawTable, body: list[list]) -> None:
        """What the table holds now, for later reads (see the module docstring)."""
        while body and all(_is_empty(v) for v in body[-1]):
            body = body[:-1]
        found.raw = replace(before, rows=[list(r) for r in body],
                            below=[(r, v) for r, v in before.below if r > found.max_row])

    def write_name(self, name, value, number_format=None) -> None:
        cell = self._name_cell(name)
        if number_format:
            cell.number_format = number_format
        cell.value = _for_cell(value)
        self._names[name] = value

    def put_picture(self, sheet, name, png, anchor, width, height) -> None:
        """Place the PNG at ``anchor`` (or where the old picture of that name was, where the
        engine can tell), sized ``width`` x ``height`` pixels, replacing that picture."""
        ws = self.book.sheets[sheet]
        left = top = None
        if name in ws.pictures:
            old = ws.pictures[name]
            try:
                left, top = old.left, old.top
            except (KeyError, NotImplementedError):
                # The VBA and Office Scripts clients do not send a picture's position.
                left = top = None
            old.delete()
        fd, path = tempfile.mkstemp(prefix="journey-chart-", suffix=".png")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(png)
            w, h = width * _POINTS_PER_PIXEL, height * _POINTS_PER_PIXEL
            placed = dict(left=left, top=top) if left is not None else dict(anchor=ws[anchor])
            picture = ws.pictures.add(path, name=name, width=w, height=h, **placed)
            # The remote engine ignores width/height on add; its clients insert at the
            # image's own size. Setting them afterwards works everywhere.
            picture.width, picture.height = w, h
        finally:
            os.unlink(path)

    def picture_names(self, sheet: str) -> list[str]:
        return [p.name for p in self.book.sheets[sheet].pictures]

    def remove_picture(self, sheet: str, name: str) -> None:
        pictures = self.book.sheets[sheet].pictures
        if name in pictures:
            pictures[name].delete()

    # -- showing --------------------------------------------------------------------------

    def select(self, sheet: str, cell: str) -> None:
        """Activate ``sheet`` and select ``cell`` so the user sees it. A courtesy only: a
        hidden sheet or a protected one cannot be selected, and that must not hide the
        message the user is about to get."""
        try:
            ws = self.book.sheets[sheet]
            ws.activate()
            ws[cell].select()
        except Exception:  # noqa: BLE001 - COM raises its own error types on desktop
            pass

    def status(self, text) -> None:
        """Show progress in Excel's status bar (``None`` hands it back to Excel). The remote
        engine has no status bar: nothing is shown there."""
        try:
            self.book.app.status_bar = False if text is None else text
        except NotImplementedError:
            pass

    def alert(self, text: str, title: str, critical: bool = False) -> None:
        self.book.app.alert(text, title=title, buttons="ok",
                            mode="critical" if critical else "info")

    def save(self) -> None:
        """Save in Excel. The ribbon never calls it (the CSM decides when to save), and the
        VBA client of the remote engine cannot apply a queued save."""
        self.book.save()


def _fit(row: Sequence[Any], width: int) -> list:
    row = list(row)[:width]
    return row + [None] * (width - len(row))


def _format_runs(formats, nrows: int):
    """(first row, last row, column, format) for each run of equal formats down a column,
    so a table takes a handful of format writes instead of one per cell."""
    runs = []
    width = max((len(r) for r in formats[:nrows]), default=0)
    for col in range(width):
        start, current = 0, None
        for i in range(nrows + 1):
            fmt = None
            if i < nrows and i < len(formats) and col < len(formats[i]):
                fmt = formats[i][col]
            if fmt != current:
                if current:
                    runs.append((start, i - 1, col, current))
                start, current = i, fmt
    return runs
