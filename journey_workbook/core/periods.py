"""Reporting periods: calendar quarters and months.

A :class:`Period` is a value (frozen, hashable, ordered by its dates). Its canonical text is
its :attr:`Period.label`: ``2026-Q1`` for a quarter, ``2026-03`` for a month. Turning what
people type into a period is the job of :func:`journey_workbook.core.values.parse_period`.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import total_ordering

CADENCES = ("quarter", "month")
_PERIODS_PER_YEAR = {"quarter": 4, "month": 12}
_MONTHS_PER_PERIOD = {"quarter": 3, "month": 1}


def check_cadence(cadence: str) -> str:
    """Return ``cadence`` if it is ``"quarter"`` or ``"month"``, else raise ValueError."""
    if cadence not in CADENCES:
        raise ValueError(f"cadence must be 'quarter' or 'month', not {cadence!r}")
    return cadence


@total_ordering
@dataclass(frozen=True)
class Period:
    """A calendar quarter (``index`` 1-4) or month (``index`` 1-12) of ``year``.

    Periods sort by start date, then end date, so that sorting is chronological even in the
    unusual case of a list mixing cadences.
    """

    year: int
    cadence: str
    index: int

    def __post_init__(self) -> None:
        check_cadence(self.cadence)
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be between 1 and 9999, not {self.year!r}")
        count = _PERIODS_PER_YEAR[self.cadence]
        if not 1 <= self.index <= count:
            raise ValueError(f"a {self.cadence} index must be between 1 and {count}, not {self.index!r}")

    def _key(self) -> tuple[date, date, str]:
        return (self.start, self.end, self.cadence)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """Canonical text: ``2026-Q1`` or ``2026-03``."""
        if self.cadence == "quarter":
            return f"{self.year:04d}-Q{self.index}"
        return f"{self.year:04d}-{self.index:02d}"

    @property
    def first_month(self) -> int:
        return (self.index - 1) * _MONTHS_PER_PERIOD[self.cadence] + 1

    @property
    def last_month(self) -> int:
        return self.index * _MONTHS_PER_PERIOD[self.cadence]

    @property
    def start(self) -> date:
        """First day of the period."""
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        month = self.last_month
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def next(self) -> "Period":
        """The period right after this one, of the same cadence."""
        if self.index == _PERIODS_PER_YEAR[self.cadence]:
            return Period(self.year + 1, self.cadence, 1)
        return Period(self.year, self.cadence, self.index + 1)

    def previous(self) -> "Period":
        """The period right before this one, of the same cadence."""
        if self.index == 1:
            return Period(self.year - 1, self.cadence, _PERIODS_PER_YEAR[self.cadence])
        return Period(self.year, self.cadence, self.index - 1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @classmethod
    def containing(cls, day: date, cadence: str) -> "Period":
        """The period of ``cadence`` that contains ``day`` (a datetime counts by its date)."""
        check_cadence(cadence)
        index = (day.month - 1) // _MONTHS_PER_PERIOD[cadence] + 1
        return cls(day.year, cadence, index)


def periods_between(start: date, due: date, cadence: str) -> list[Period]:
    """Periods from the one containing ``start`` to the one containing ``due``, inclusive.

    Returns an empty list when ``due`` is before ``start`` (the validator reports that).
    """
    if due < start:
        return []
    current = Period.containing(start, cadence)
    last = Period.containing(due, cadence)
    periods = [current]
    while current != last:
        current = current.next()
        periods.append(current)
    return periods
