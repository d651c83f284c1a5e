"""``validate``: every problem with sheet, cell, value, what is wrong and how to fix it."""
from __future__ import annotations

from journey_workbook.actions.common import close, open_file, read
from journey_workbook.book.base import Backend
from journey_workbook.errors import JourneyError
from journey_workbook.report import Report


def validate(book: Backend) -> Report:
    """The reader's report plus what refresh needs to write (so that a workbook that
    validates also refreshes)."""
    from journey_workbook.actions.refresh import check_outputs

    journey, report = read(book)
    check_outputs(book, journey, report)
    return report


def validate_file(path) -> Report:
    """Never raises for a bad file: an unreadable one is a report with one issue (whose
    message names the file)."""
    try:
        book = open_file(path)
        try:
            return validate(book)
        finally:
            close(book)
    except JourneyError as exc:
        report = Report()
        report.add(getattr(exc, "code", "unreadable"), exc.message, exc.hint, sheet=None)
        return report
