"""Periods: labels, bounds, stepping, containment and ranges."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journey_workbook.core.periods import Period, periods_between


def test_quarter_label_and_bounds():
    q = Period(2026, "quarter", 1)
    assert (q.label, q.start, q.end) == ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))
    assert Period(2026, "quarter", 4).end == date(2026, 12, 31)


def test_month_label_and_bounds_including_leap_february():
    assert Period(2026, "month", 3).label == "2026-03"
    assert Period(2028, "month", 2).end == date(2028, 2, 29)
    assert Period(2026, "month", 2).end == date(2026, 2, 28)


def test_next_and_previous_wrap_the_year():
    assert Period(2026, "quarter", 4).next() == Period(2027, "quarter", 1)
    assert Period(2026, "month", 12).next() == Period(2027, "month", 1)
    assert Period(2027, "month", 1).previous() == Period(2026, "month", 12)


def test_containing():
    assert Period.containing(date(2026, 7, 15), "quarter") == Period(2026, "quarter", 3)
    assert Period.containing(date(2026, 7, 15), "month") == Period(2026, "month", 7)


@pytest.mark.parametrize("args", [(2026, "quarter", 5), (2026, "month", 0), (2026, "week", 1), (0, "month", 1)])
def test_invalid_periods_are_refused(args):
    with pytest.raises(ValueError):
        Period(*args)


def test_periods_between_is_inclusive_of_both_ends():
    labels = [p.label for p in periods_between(date(2026, 1, 1), date(2026, 12, 31), "quarter")]
    assert labels == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    labels = [p.label for p in periods_between(date(2026, 2, 15), date(2026, 4, 1), "month")]
    assert labels == ["2026-02", "2026-03", "2026-04"]
    assert periods_between(date(2026, 11, 20), date(2027, 1, 5), "quarter")[-1].label == "2027-Q1"


def test_periods_between_due_before_start_is_empty():
    assert periods_between(date(2026, 5, 1), date(2026, 4, 1), "month") == []


def test_periods_are_hashable_and_ordered_chronologically():
    q3, q1 = Period(2026, "quarter", 3), Period(2026, "quarter", 1)
    assert sorted([q3, Period(2025, "quarter", 4), q1])[0] == Period(2025, "quarter", 4)
    assert len({q1, Period(2026, "quarter", 1)}) == 1
    assert Period(2025, "month", 12) < Period(2026, "quarter", 1)


periods = st.builds(
    lambda year, cadence, i: Period(year, cadence, i % (4 if cadence == "quarter" else 12) + 1),
    st.integers(1900, 9998), st.sampled_from(["quarter", "month"]), st.integers(0, 11),
)


@given(periods)
def test_next_starts_the_day_after_the_end(period):
    assert (period.next().start - period.end).days == 1
    assert period.next().previous() == period
    assert Period.containing(period.start, period.cadence) == period == Period.containing(period.end, period.cadence)
