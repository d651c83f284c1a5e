"""What every action does first: open the workbook and read it."""
from __future__ import annotations

from pathlib import Path

from journey_workbook.book.base import Backend
from journey_workbook.errors import JourneyError, NotAJourneyWorkbook, UnreadableWorkbook
from journey_workbook.reader import REQUIRED_TABLES, Journey, read_journey
from journey_workbook.report import Report


def open_file(path) -> "FileBook":
    from journey_workbook.book.filebook import FileBook

    path = Path(path)
    try:
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


def read(book: Backend) -> tuple[Journey, Report]:
    """Read and validate; refuse a workbook that has none of the journey tables."""
    names = {n.casefold() for n in book.table_names()}
    if not any(t.casefold() in names for t in REQUIRED_TABLES):
        raise NotAJourneyWorkbook(
            f"{book.label} is not a journey workbook: it has none of the tables "
            f"{', '.join(REQUIRED_TABLES)}.",
            hint="Create one with: journey-workbook new CLIENT.xlsx --client NAME")
    return read_journey(book)


def notice_days(journey: Journey) -> int:
    """Renewal notice from Settings; 0 is a valid setting (only a blank means the default)."""
    days = journey.settings.get("renewal_notice_days")
    return 90 if days is None else int(days)


def renewal_date(journey: Journey):
    """The renewal date, or the contract end when the profile has no renewal date."""
    return journey.client.get("renewal_date") or journey.client.get("contract_end")
