"""What every action does first: open the workbook and read it."""
from __future__ import annotations

from pathlib import Path

from journey_workbook.book.base import Backend
from journey_workbook.errors import NotAJourneyWorkbook
from journey_workbook.reader import REQUIRED_TABLES, Journey, read_journey
from journey_workbook.report import Report


def open_file(path) -> "FileBook":
    from journey_workbook.book.filebook import FileBook

    return FileBook.open(Path(path))


def read(book: Backend) -> tuple[Journey, Report]:
    """Read and validate; refuse a workbook that has none of the journey tables."""
    names = {n.casefold() for n in book.table_names()}
    if not any(t.casefold() in names for t in REQUIRED_TABLES):
        raise NotAJourneyWorkbook(
            f"{book.label} is not a journey workbook: it has none of the tables "
            f"{', '.join(REQUIRED_TABLES)}.",
            hint="Create one with: journey-workbook new CLIENT.xlsx --client NAME")
    return read_journey(book)
