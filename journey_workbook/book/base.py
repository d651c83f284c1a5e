"""The backend interface that every action is written against.

A backend gives the actions tables as :class:`RawTable` (raw cell values that remember their
sheet and cell) and takes back whole table bodies, single named cells and pictures. It never
parses or computes: that is the reader's and core's work, so the file backend (openpyxl) and
the live backend (xlwings, also xlwings Server's JSON book) behave the same.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from journey_workbook.book.cells import a1


@dataclass
class RawTable:
    """A table as found: header texts and body values, with where they are."""

    name: str
    sheet: str
    min_row: int  # the header row
    min_col: int
    headers: list[Any]
    rows: list[list[Any]]  # body rows, trailing empty rows already dropped
    below: list[tuple[int, list[Any]]] = field(default_factory=list)  # filled rows just under the table

    def cell(self, body_index: int, col_offset: int) -> str:
        """A1 of body row ``body_index`` (0-based) and column ``col_offset`` (0-based)."""
        return a1(self.min_row + 1 + body_index, self.min_col + col_offset)

    def header_cell(self, col_offset: int) -> str:
        return a1(self.min_row, self.min_col + col_offset)


@dataclass
class CellFormat:
    """What a writer may set on a written cell: a number format, and nothing else, so that
    the live backend can do the same through xlwings."""

    number_format: Optional[str] = None


class Backend(ABC):
    """A workbook open for an action."""

    #: a name people recognise, for messages (file name or Excel book name)
    label: str = ""

    @abstractmethod
    def table_names(self) -> list[str]: ...

    @abstractmethod
    def read_table(self, name: str) -> Optional[RawTable]:
        """The table, or None when the workbook has no table of that name."""

    @abstractmethod
    def write_table(self, name: str, rows: Sequence[Sequence[Any]],
                    formats: Optional[Sequence[Sequence[Optional[str]]]] = None) -> None:
        """Replace the table's body with ``rows`` (resizing the table), keeping its header,
        position and style. ``formats`` gives a number format per cell (None = leave)."""

    @abstractmethod
    def append_rows(self, name: str, rows: Sequence[Sequence[Any]],
                    formats: Optional[Sequence[Sequence[Optional[str]]]] = None) -> None:
        """Add ``rows`` after the table's last filled row, growing the table; rows already
        there are not touched."""

    @abstractmethod
    def read_name(self, name: str) -> Any:
        """The value of the single cell a workbook-level defined name points to."""

    @abstractmethod
    def write_name(self, name: str, value: Any, number_format: Optional[str] = None) -> None: ...

    @abstractmethod
    def put_picture(self, sheet: str, name: str, png: bytes, anchor: str,
                    width: int, height: int) -> None:
        """Place a PNG (``width`` x ``height`` pixels) on ``sheet`` at cell ``anchor``,
        replacing the picture of the same name in place."""

    @abstractmethod
    def picture_names(self, sheet: str) -> list[str]:
        """Names of the pictures on ``sheet``."""

    @abstractmethod
    def remove_picture(self, sheet: str, name: str) -> None:
        """Delete the picture of that name (no error if there is none)."""

    @abstractmethod
    def sheet_of_table(self, name: str) -> Optional[str]: ...

    @abstractmethod
    def meta(self) -> dict[str, str]:
        """The hidden metadata: schema version, generator version, language."""

    def select(self, sheet: str, cell: str) -> None:  # pragma: no cover - live backend only
        """Show the user a cell (the live backend selects it; files ignore it)."""

    def status(self, text: str) -> None:
        """Progress for long work (status bar in Excel, nothing for files)."""

    @abstractmethod
    def save(self) -> None: ...
