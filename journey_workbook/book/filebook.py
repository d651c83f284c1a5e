"""The file backend: a workbook on disk, read and written with openpyxl.

Saving is atomic: the new file is written beside the old one, flushed, then moved over it, so
an interrupted save leaves the original intact; the previous version is kept as
``<name>.bak``. A workbook that is open in Excel (its ``~$name`` lock file exists) or
read-only is not written.
"""
from __future__ import annotations

import dataclasses
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Optional

from openpyxl.cell.rich_text import CellRichText
from openpyxl.drawing.image import Image
from openpyxl.drawing.picture import PictureFrame
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.utils.units import pixels_to_EMU

from journey_workbook.book.base import Backend, RawTable
from journey_workbook.book.cells import parse_a1, parse_range, range_ref
from journey_workbook.errors import JourneyError, WorkbookLocked
from journey_workbook.schema import texts

#: how many rows under a table are checked for values typed outside it
_BELOW_SCAN = 20


def _plain(value: Any) -> Any:
    """Rich text (loaded as such so that saving keeps it) reads as its plain text."""
    if isinstance(value, CellRichText):
        return str(value)
    return value


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def lock_file(path: Path) -> Path:
    """Excel's owner file for an open workbook: ``~$`` plus the name (Excel shortens long
    names, dropping their first two characters, so both forms are checked by the caller)."""
    return path.with_name("~$" + path.name)


def check_writable(path: Path) -> None:
    """Raise WorkbookLocked when the workbook must not be written now."""
    for candidate in (lock_file(path), path.with_name("~$" + path.name[2:])):
        if candidate.exists() and candidate != path:
            raise WorkbookLocked(
                f"{path.name} is open in Excel (lock file {candidate.name} exists), so it was "
                "not written.",
                hint="Close it in Excel (or run the command from the Journey ribbon tab "
                     "inside Excel) and try again. If Excel is closed, delete the lock file.")
    # The mode bits as well as os.access: for root os.access always says yes, but a file
    # marked read-only was marked so by a person, and is not to be written.
    if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        raise WorkbookLocked(f"{path.name} is read-only, so it was not written.",
                             hint="Clear the read-only flag or save a copy under another name.")
    if not os.access(path.parent if str(path.parent) else Path("."), os.W_OK):
        raise WorkbookLocked(f"The folder of {path.name} is not writable, so nothing was written.",
                             hint="Copy the workbook to a folder you can write to.")


class FileBook(Backend):
    """A workbook file opened for one action."""

    #: kinds of content whose loss on save is accepted: openpyxl keeps a comment's text and
    #: author but resets its box (size, colour, visibility) to the default
    ACCEPTED_DAMAGE = frozenset({"comment"})

    def __init__(self, path, workbook, values_workbook=None, info=None):
        self.path = Path(path)
        self.label = self.path.name
        self.wb = workbook
        self.info = info  # package.PackageInfo of the file as opened; None for a new book
        self.notes: list[str] = []  # what a save accepted (see ACCEPTED_DAMAGE)
        # Cached formula results, loaded only when a table holds formulas (see _values_of).
        self._values_wb = values_workbook
        self._tables = {}
        for ws in self.wb.worksheets:
            for tbl in ws.tables.values():  # TableList.items() gives refs, not tables
                self._tables[tbl.displayName.casefold()] = (ws, tbl)

    @classmethod
    def open(cls, path) -> "FileBook":
        from journey_workbook.book.loading import open_package

        info, wb = open_package(Path(path))
        return cls(path, wb, info=info)

    # -- reading --------------------------------------------------------------------------

    def table_names(self) -> list[str]:
        return [tbl.displayName for _, tbl in self._tables.values()]

    def sheet_of_table(self, name: str) -> Optional[str]:
        found = self._tables.get(name.casefold())
        return found[0].title if found else None

    def read_table(self, name: str) -> Optional[RawTable]:
        found = self._tables.get(name.casefold())
        if not found:
            return None
        ws, tbl = found
        r1, c1, r2, c2 = parse_range(tbl.ref)
        grid = [[_plain(ws.cell(r, c).value) for c in range(c1, c2 + 1)]
                for r in range(r1, r2 + 1)]
        grid = self._with_cached_values(ws, r1, c1, grid)
        headers, body = grid[0], grid[1:]
        while body and all(_is_empty(v) for v in body[-1]):
            body.pop()
        below = []
        for r in range(r2 + 1, r2 + 1 + _BELOW_SCAN):
            values = [_plain(ws.cell(r, c).value) for c in range(c1, c2 + 1)]
            if all(_is_empty(v) for v in values):
                break
            below.append((r, values))
        return RawTable(tbl.displayName, ws.title, r1, c1, headers, body, below)

    def _with_cached_values(self, ws, r1, c1, grid):
        """Formulas are read as their last computed value, like a person sees them; a
        formula that was never computed reads as a FormulaWithoutValue marker."""
        if not any(isinstance(v, str) and v.startswith("=") for row in grid for v in row):
            return grid
        if self._values_wb is None:
            from journey_workbook.book.loading import load_values

            self._values_wb = load_values(self.path, self.info)
        vws = self._values_wb[ws.title]
        out = []
        for i, row in enumerate(grid):
            new = []
            for j, v in enumerate(row):
                if isinstance(v, str) and v.startswith("="):
                    cached = vws.cell(r1 + i, c1 + j).value
                    new.append(FormulaWithoutValue(v) if cached is None else cached)
                else:
                    new.append(v)
            out.append(new)
        return out

    def read_name(self, name: str) -> Any:
        ws, coord = self._name_cell(name)
        return ws[coord].value

    def _name_cell(self, name: str):
        dn = self.wb.defined_names.get(name)
        if dn is None:
            raise KeyError(name)
        for sheet, coord in dn.destinations:
            return self.wb[sheet], coord.replace("$", "").split(":")[0]
        raise KeyError(name)

    def meta(self) -> dict[str, str]:
        if texts.META_SHEET not in self.wb.sheetnames:
            return {}
        ws = self.wb[texts.META_SHEET]
        return {str(r[0].value): str(r[1].value) for r in ws.iter_rows(max_col=2)
                if r[0].value is not None}

    # -- writing --------------------------------------------------------------------------

    def write_table(self, name, rows, formats=None) -> None:
        ws, tbl = self._tables[name.casefold()]
        r1, c1, r2, c2 = parse_range(tbl.ref)
        width = c2 - c1 + 1
        new_r2 = r1 + max(1, len(rows))
        self._check_room(ws, tbl, r2, new_r2, c1, c2)
        for r in range(r1 + 1, max(r2, new_r2) + 1):
            i = r - r1 - 1
            for j in range(width):
                cell = ws.cell(r, c1 + j)
                if i < len(rows):
                    cell.value = rows[i][j] if j < len(rows[i]) else None
                    fmt = formats[i][j] if formats and i < len(formats) and j < len(formats[i]) else None
                    if fmt:
                        cell.number_format = fmt
                else:
                    cell.value = None
        self._resize(tbl, r1, c1, new_r2, c2)

    def append_rows(self, name, rows, formats=None) -> None:
        """Add rows after the table's last filled row, growing the table."""
        raw = self.read_table(name)
        existing = raw.rows
        self.write_rows_at(name, len(existing), rows, formats)

    def write_rows_at(self, name, start_index, rows, formats=None) -> None:
        ws, tbl = self._tables[name.casefold()]
        r1, c1, r2, c2 = parse_range(tbl.ref)
        new_r2 = max(r2, r1 + start_index + len(rows))
        self._check_room(ws, tbl, r2, new_r2, c1, c2)
        for i, row in enumerate(rows):
            r = r1 + 1 + start_index + i
            for j, value in enumerate(row):
                cell = ws.cell(r, c1 + j)
                cell.value = value
                fmt = formats[i][j] if formats and j < len(formats[i]) else None
                if fmt:
                    cell.number_format = fmt
        self._resize(tbl, r1, c1, new_r2, c2)

    def _check_room(self, ws, tbl, old_r2, new_r2, c1, c2) -> None:
        """Growing a table must not write over what a person typed below it."""
        for r in range(old_r2 + 1, new_r2 + 1):
            for c in range(c1, c2 + 1):
                if not _is_empty(ws.cell(r, c).value):
                    raise JourneyError(
                        f"Table {tbl.displayName} on sheet '{ws.title}' needs to grow to row "
                        f"{new_r2}, but {ws.cell(r, c).coordinate} below it is not empty.",
                        hint="Move what is below the table further down, or make it part of "
                             "the table, then run the command again.")

    @staticmethod
    def _resize(tbl, r1, c1, r2, c2) -> None:
        ref = range_ref(r1, c1, r2, c2)
        tbl.ref = ref
        if tbl.autoFilter is not None:
            tbl.autoFilter.ref = ref

    def write_name(self, name, value, number_format=None) -> None:
        ws, coord = self._name_cell(name)
        ws[coord].value = value
        if number_format:
            ws[coord].number_format = number_format

    def put_picture(self, sheet, name, png, anchor, width, height) -> None:
        ws = self.wb[sheet]
        image = Image(io.BytesIO(png))
        image.width, image.height = width, height
        old = next((im for im in ws._images if picture_name(im) == name), None)
        if old is not None:
            # Keep where the user may have moved it; take the new size.
            marker = old.anchor._from
            ws._images.remove(old)
        else:
            row, col = parse_a1(anchor)
            marker = AnchorMarker(col=col - 1, row=row - 1)
        frame = PictureFrame()
        frame.nvPicPr.cNvPr.name = name
        frame.nvPicPr.cNvPr.descr = name
        frame.spPr.prstGeom = None
        new_anchor = OneCellAnchor(_from=marker, ext=XDRPositiveSize2D(
            pixels_to_EMU(width), pixels_to_EMU(height)))
        new_anchor.pic = frame
        image.anchor = new_anchor
        _finish_frame(frame)
        ws.add_image(image)

    def picture_names(self, sheet: str) -> list[str]:
        return [picture_name(im) for im in self.wb[sheet]._images]

    def remove_picture(self, sheet: str, name: str) -> None:
        ws = self.wb[sheet]
        ws._images = [im for im in ws._images if picture_name(im) != name]

    def save(self, path=None) -> Path:
        """Write atomically, keeping a .bak; refuse (WouldLoseContent, nothing written) when
        openpyxl would drop or damage something the workbook holds that cannot be put back.

        What openpyxl drops but preserve.py can restore is spliced back into openpyxl's output
        before the file is replaced; the result is then inspected afresh, and the save is
        refused if anything preserved is missing from it."""
        target = Path(path) if path else self.path
        check_writable(target)
        preserved = self._check_losses()
        data = io.BytesIO()
        self.wb.save(data)
        written = data.getvalue()
        if preserved:
            written = self._splice(written, preserved)
        _remove_stale_temps(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(written)
                fh.flush()
                os.fsync(fh.fileno())
            checked = self._verify(Path(tmp), preserved) if preserved else None
            if target.exists():
                _backup(target)
                shutil.copymode(target, tmp)
            else:  # mkstemp makes the file private; a workbook gets the usual permissions
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self.path = target
        if checked is not None:  # the next save splices from the file just written
            self.info = dataclasses.replace(checked, path=target)
        return target

    def _check_losses(self) -> list:
        """Refuse what cannot be kept; return what the splice must put back (AtRiskPart)."""
        if self.info is None:
            return []
        from journey_workbook.book.package import (describe_preserved, ensure_nothing_lost,
                                                   parts_openpyxl_would_drop)

        ensure_nothing_lost(self.info, rich_text=True, allow=self.ACCEPTED_DAMAGE, spliced=True)
        found = parts_openpyxl_would_drop(self.info, rich_text=True, spliced=True)
        accepted = [p for p in found if p.kind in self.ACCEPTED_DAMAGE
                    and p.fate in ("dropped", "damaged")]
        preserved = [p for p in found if p.fate == "preserved"]
        self.notes = [f"{p.detail} on sheet '{p.sheet}': kept, box formatting reset"
                      for p in accepted]
        if preserved:
            self.notes.append(describe_preserved(preserved, done=True))
        return preserved

    def _splice(self, written: bytes, preserved: list) -> bytes:
        from journey_workbook.book import preserve, preserve_check

        try:
            return preserve.splice(self.info, written, preserved)
        except preserve.SpliceFailed as exc:
            raise preserve_check.refusal(self.info, preserved, [str(exc)]) from exc

    def _verify(self, saved: Path, preserved: list):
        """The PackageInfo of ``saved`` if every preserved item is in it; else refuse."""
        from journey_workbook.book import preserve_check

        checked, problems = preserve_check.verify(self.info, saved, preserved)
        if problems:
            raise preserve_check.refusal(self.info, preserved, problems)
        return checked


class FormulaWithoutValue(str):
    """A formula cell whose result was never computed (saved by a program that does not
    calculate). Readers report it instead of reading it as text."""


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _backup(target: Path) -> None:
    """Copy the current file to its .bak atomically: a kill mid-copy must not leave a torn
    backup in place of a good one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".bak.tmp", dir=target.parent)
    os.close(fd)
    try:
        shutil.copy2(target, tmp)
        os.replace(tmp, backup_path(target))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


#: a temp file older than this is left over from a save that was killed
_STALE_SECONDS = 3600


def _remove_stale_temps(target: Path) -> None:
    """Hidden temp files of this workbook left by a killed save (a kill skips the clean-up)."""
    import time

    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        try:
            if time.time() - leftover.stat().st_mtime > _STALE_SECONDS:
                leftover.unlink()
        except OSError:
            pass  # another process's, or already gone


def picture_name(image) -> Optional[str]:
    anchor = getattr(image, "anchor", None)
    pic = getattr(anchor, "pic", None)
    try:
        return pic.nvPicPr.cNvPr.name
    except AttributeError:
        return None


def _finish_frame(frame) -> None:
    """What openpyxl's drawing writer fills in for pictures it names itself."""
    from openpyxl.drawing.fill import Blip
    from openpyxl.drawing.geometry import PresetGeometry2D

    frame.blipFill.blip = Blip()
    frame.blipFill.blip.cstate = "print"
    frame.spPr.prstGeom = PresetGeometry2D(prst="rect")
    frame.spPr.ln = None
