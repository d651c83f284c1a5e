"""What every action does first and last: open the workbook and read it; save it, close it."""
from __future__ import annotations

import errno
import gc
import re
import sys
import zipfile
from pathlib import Path

from journey_workbook.book.base import Backend
from journey_workbook.errors import (JourneyError, NotAJourneyWorkbook, UnreadableWorkbook,
                                     WorkbookLocked)
from journey_workbook.reader import REQUIRED_TABLES, Journey, read_journey
from journey_workbook.report import Report


def open_file(path) -> "FileBook":
    from journey_workbook.book.filebook import FileBook

    path = Path(path)
    try:
        _refuse_without_tables(path)
        return FileBook.open(path)
    except JourneyError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the loader trips on, the user gets a message
        # The package gate names most problems precisely; this is the net under it, so that
        # a file that is not a workbook is a message and exit 1, never a traceback.
        raise UnreadableWorkbook(
            "not-a-workbook", f"{path.name} could not be read as an Excel workbook "
            f"({type(exc).__name__}: {exc}).",
            hint="Check that it is an .xlsx file; open it in Excel and save it again as "
                 "'Excel Workbook (*.xlsx)'.") from exc


_TABLE_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
_TABLE_PART = re.compile(r"(^|/)tables/[^/]+\.xml$", re.IGNORECASE)


def _refuse_without_tables(path: Path) -> None:
    """A package with no table part cannot be a journey workbook: say so after the package
    gate, without loading it (openpyxl takes ~20 s over a sheet of 50,000 merges)."""
    from defusedxml.ElementTree import fromstring

    from journey_workbook.book.package import inspect_package

    info = inspect_package(path)  # raises UnreadableWorkbook, naming what is wrong
    if any(_TABLE_PART.search(name) for name in info.parts):
        return
    with zipfile.ZipFile(path) as zf:
        types = next((n for n in zf.namelist() if n.lower() == "[content_types].xml"), None)
        root = fromstring(zf.read(types), forbid_dtd=True) if types else None
    if root is not None and any(el.get("ContentType") == _TABLE_TYPE for el in root.iter()):
        return
    sheets = [s.name for s in info.sheets]
    shown = ", ".join(repr(s) for s in sheets[:6]) + (", ..." if len(sheets) > 6 else "")
    raise NotAJourneyWorkbook(
        f"{path.name} is not a journey workbook: its {len(sheets)} sheet(s) ({shown}) hold no "
        f"tables at all, so none of the tables {', '.join(REQUIRED_TABLES)}.", hint=_CREATE)


_CREATE = "Create one with: journey-workbook new CLIENT.xlsx --client NAME"


def read(book: Backend) -> tuple[Journey, Report]:
    """Read and validate; refuse a workbook that has none of the journey tables."""
    names = {n.casefold() for n in book.table_names()}
    if not any(t.casefold() in names for t in REQUIRED_TABLES):
        raise NotAJourneyWorkbook(
            f"{book.label} is not a journey workbook: it has none of the tables "
            f"{', '.join(REQUIRED_TABLES)}.", hint=_CREATE)
    return read_journey(book)


def save(book) -> None:
    """Save a file workbook, turning what the operating system refuses into a message. The
    save is atomic, so when it fails the workbook on disk is the one that was read."""
    path = Path(book.path)
    if path.exists() and not path.stat().st_mode & 0o222:
        # os.access (the file backend's check) says yes to root whatever the mode says.
        raise WorkbookLocked(f"{path.name} is read-only, so it was not written.",
                             hint="Clear the read-only flag (file Properties, or chmod u+w) "
                                  "or save a copy under another name, then run the command "
                                  "again.")
    try:
        book.save()
    except OSError as exc:
        _release(exc)
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", -1)):
            hint = "Free some disk space (or ask for more quota)"
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            hint = "Check that you may write to the file and its folder"
        else:
            hint = "If it keeps failing, copy the workbook to another folder"
        hint += ", then run the command again."
        raise JourneyError(f"{path.name} could not be saved ({reason}); the workbook on disk "
                           "was not changed.", hint=hint) from exc


def _release(exc: BaseException) -> None:
    """openpyxl leaves the stream of the sheet it was writing open when the disk refuses a
    write; collected later (at exit), the stream fails again and Python prints that failure
    with a traceback. Drop the frames that hold it and collect it now, quietly."""
    exc.__traceback__ = None
    hook = sys.unraisablehook
    sys.unraisablehook = lambda info: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


def close(book) -> None:
    """Release what a file workbook holds open. openpyxl keeps a macro-enabled workbook's
    parts in an in-memory zip whose buffer may be collected first, which prints "Exception
    ignored in ZipFile.__del__" at exit unless the zip is closed here."""
    for wb in (getattr(book, "wb", None), getattr(book, "_values_wb", None)):
        archive = getattr(wb, "vba_archive", None)
        if archive is not None:
            archive.close()


def notice_days(journey: Journey) -> int:
    """Renewal notice from Settings; 0 is a valid setting (only a blank means the default)."""
    days = journey.settings.get("renewal_notice_days")
    return 90 if days is None else int(days)


def renewal_date(journey: Journey):
    """The renewal date, or the contract end when the profile has no renewal date."""
    return journey.client.get("renewal_date") or journey.client.get("contract_end")
