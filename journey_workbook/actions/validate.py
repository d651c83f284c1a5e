"""``validate``: every problem with sheet, cell, value, what is wrong and how to fix it."""
from __future__ import annotations

from journey_workbook.actions.common import open_file, read
from journey_workbook.book.base import Backend
from journey_workbook.errors import JourneyError
from journey_workbook.report import Report


def validate(book: Backend) -> Report:
    _, report = read(book)
    return report


def validate_file(path) -> Report:
    """Never raises for a bad file: an unreadable one is a report with one issue."""
    try:
        return validate(open_file(path))
    except JourneyError as exc:
        report = Report()
        report.add(getattr(exc, "code", "unreadable"), exc.message, exc.hint, sheet=None,
                   value=str(path))
        return report
