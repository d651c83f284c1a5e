"""The parser of what people type, and the formatters whose output reads back to itself."""
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journey_workbook.core.periods import Period
from journey_workbook.core.values import (
    ValueProblem, date_from_excel_serial, display_ratio, display_value, excel_serial, format_date,
    format_number, format_percent, format_period, format_value, parse_date, parse_number,
    parse_percent, parse_period, parse_value,
)


def problem_code(parse, *args):
    with pytest.raises(ValueProblem) as caught:
        parse(*args)
    assert caught.value.message and caught.value.hint  # every problem says what to type
    return caught.value.code


# --- numbers -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, expected", [
    (2000, 2000.0), (2.5, 2.5), ("2000", 2000.0), ("2,000", 2000.0), ("1,234,567.5", 1234567.5),
    ("12 346", 12346.0), ("12\u00a0346", 12346.0), ("12\u2009346", 12346.0), ("12\u202f346", 12346.0),
    ("２０００", 2000.0), ("１，２３４．５", 1234.5), ("2000万", 2e7), ("2000w", 2e7), ("2000W", 2e7),
    ("1.5亿", 1.5e8), ("3k", 3000.0), ("3K", 3000.0), ("2000 万", 2e7), ("  42  ", 42.0), ("+5", 5.0),
    ("-5", -5.0), ("\u22125", -5.0), ("¥2,000", 2000.0), ("$2,000", 2000.0), ("￥2000", 2000.0),
    ("€1.5k", 1500.0), ("-$5", -5.0), ("$-5", -5.0), ("0.07万", 700.0), (".5", 0.5),
])
def test_parse_number_reads_what_people_type(typed, expected):
    assert parse_number(typed) == expected


@pytest.mark.parametrize("typed, code", [
    ("abc", "not-a-number"), ("1.2.3", "not-a-number"), (True, "not-a-number"), (False, "not-a-number"),
    ("--5", "not-a-number"), ("+-5", "not-a-number"), ("5%", "not-a-number"), (date(2026, 1, 1), "not-a-number"),
    ("12,34,567", "not-a-number"), (float("inf"), "not-a-number"), ("1e999", "not-a-number"),
    ("1,5", "ambiguous-number"), ("1,50", "ambiguous-number"), ("1.234,56", "ambiguous-number"),
    ("1 234,5", "ambiguous-number"), ("12,3456", "ambiguous-number"),
])
def test_parse_number_reports_what_it_cannot_read(typed, code):
    assert problem_code(parse_number, typed) == code


@pytest.mark.parametrize("blank", [None, "", "   ", "\u3000", float("nan")])
def test_blank_cells_parse_to_none(blank):
    assert parse_number(blank) is None
    assert parse_percent(blank) is None
    assert parse_date(blank) is None
    assert parse_period(blank, "quarter") is None


def test_a_problem_quotes_the_value():
    with pytest.raises(ValueProblem) as caught:
        parse_number("abc")
    assert "'abc'" in caught.value.message and caught.value.value == "abc"


# --- percents ------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, expected", [
    ("5%", 0.05), ("５％", 0.05), ("6.2%", 0.062), ("6.2 %", 0.062), ("7.1%", 0.071), ("-3%", -0.03),
    ("120%", 1.2), ("0.05", 0.05), (0.05, 0.05), (0.071, 0.071), (1, 1.0), (0, 0.0), (-0.02, -0.02),
    ("100%", 1.0), ("1,000%", 10.0),
])
def test_parse_percent_returns_a_fraction(typed, expected):
    assert parse_percent(typed) == expected


@pytest.mark.parametrize("typed, code", [
    (5, "ambiguous-percent"), ("5", "ambiguous-percent"), (100, "ambiguous-percent"), (1.5, "ambiguous-percent"),
    (150, "not-a-percent"), ("150", "not-a-percent"), ("abc", "not-a-percent"), ("5w%", "not-a-percent"),
    (True, "not-a-percent"), (date(2026, 1, 1), "not-a-percent"), ("1,5%", "ambiguous-number"),
])
def test_parse_percent_reports_ambiguity_instead_of_guessing(typed, code):
    assert problem_code(parse_percent, typed) == code


def test_ambiguous_percent_hint_says_what_to_type():
    with pytest.raises(ValueProblem) as caught:
        parse_percent(5)
    assert caught.value.hint == "type 5% (or 0.05)"


def test_parse_value_dispatches_by_unit():
    assert parse_value("5%", "percent") == 0.05
    assert parse_value("2000万", "count") == 2e7
    assert parse_value("1.5", "score") == 1.5
    assert problem_code(parse_value, "5", "percent") == "ambiguous-percent"


# --- dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    date(2026, 3, 1), datetime(2026, 3, 1, 17, 30), "2026-03-01", "2026-3-1", "2026/3/1", "2026/03/01",
    "2026.3.1", "2026年3月1日", "2026年03月01日", "2026年3月1号", "2026-03-01T00:00:00.000Z",
    "2026-03-01T00:00:00", "2026-03-01 00:00", "2026-03-01T08:00:00+08:00", "２０２６－０３－０１",
    46082, 46082.75,
])
def test_parse_date_reads_what_people_and_backends_send(typed):
    assert parse_date(typed) == date(2026, 3, 1)


def test_excel_serials_mind_the_1900_leap_year_bug():
    assert parse_date(1) == date(1900, 1, 1)
    assert parse_date(59) == date(1900, 2, 28)
    assert parse_date(61) == date(1900, 3, 1)
    assert parse_date(2958465) == date(9999, 12, 31)
    assert excel_serial(date(1900, 3, 1)) == 61 and excel_serial(date(1900, 1, 1)) == 1


def test_day_month_order_is_accepted_only_when_one_reading_exists():
    assert parse_date("13/3/2026") == date(2026, 3, 13)
    assert parse_date("3/13/2026") == date(2026, 3, 13)
    assert parse_date("3/3/2026") == date(2026, 3, 3)


@pytest.mark.parametrize("typed, code", [
    ("3/1/2026", "ambiguous-date"), ("01/03/2026", "ambiguous-date"), ("01.03.2026", "ambiguous-date"),
    ("2026-02-30", "not-a-date"), ("2026-13-01", "not-a-date"), ("2026年2月30日", "not-a-date"),
    ("13/13/2026", "not-a-date"), ("yesterday", "not-a-date"), ("26-3-1", "not-a-date"),
    (60, "not-a-date"), (0, "not-a-date"), (2958466, "not-a-date"), (True, "not-a-date"),
])
def test_parse_date_reports_ambiguous_and_impossible_dates(typed, code):
    assert problem_code(parse_date, typed) == code


# --- periods -------------------------------------------------------------------------------

Q1, MARCH = Period(2026, "quarter", 1), Period(2026, "month", 3)


@pytest.mark.parametrize("typed", [
    "2026-Q1", "2026Q1", "2026 Q1", "Q1 2026", "Q1-2026", "q1 2026", "2026/Q1", "2026年第一季度",
    "2026年第1季度", "2026年一季度", "2026年Q1", "２０２６－Ｑ１", "2026-03-01", "2026/1/15",
    date(2026, 3, 1), datetime(2026, 2, 1), Q1,
])
def test_parse_quarter(typed):
    assert parse_period(typed, "quarter") == Q1


@pytest.mark.parametrize("typed", [
    "2026-03", "2026/03", "2026-3", "2026年3月", "2026年三月", "2026-M03", "2026M03",
    "2026-03-01", "2026-03-31T00:00:00.000Z", date(2026, 3, 15), MARCH,
])
def test_parse_month(typed):
    assert parse_period(typed, "month") == MARCH


def test_chinese_month_numerals_up_to_twelve():
    assert parse_period("2026年十二月", "month") == Period(2026, "month", 12)
    assert parse_period("2026年十月", "month") == Period(2026, "month", 10)


@pytest.mark.parametrize("typed, cadence, code", [
    ("2026-03", "quarter", "period-cadence-mismatch"), ("2026年3月", "quarter", "period-cadence-mismatch"),
    ("2026-Q1", "month", "period-cadence-mismatch"), (Q1, "month", "period-cadence-mismatch"),
    ("2026-13", "month", "not-a-period"), ("2026-Q5", "quarter", "not-a-period"), ("Q1", "quarter", "not-a-period"),
    ("2026", "quarter", "not-a-period"), (2026, "quarter", "not-a-period"), ("spring", "month", "not-a-period"),
    ("2026-02-30", "month", "not-a-period"), ("3/1/2026", "month", "ambiguous-date"),
])
def test_parse_period_problems(typed, cadence, code):
    assert problem_code(parse_period, typed, cadence) == code


def test_cadence_mismatch_hint_names_the_expected_form():
    with pytest.raises(ValueProblem) as caught:
        parse_period("2026-03", "quarter")
    assert "2026-Q1" in caught.value.hint
    with pytest.raises(ValueProblem) as caught:
        parse_period("2026-Q2", "month")
    assert "2026-04" in caught.value.hint


# --- formatting and round trips ------------------------------------------------------------

def test_format_examples():
    assert format_number(2e7) == "20,000,000"
    assert format_number(1234.5) == "1,234.5"
    assert format_percent(0.062) == "6.2%"
    assert format_value(0.05, "percent") == "5%"
    assert format_value(None, "count") == ""
    assert format_date(date(2026, 3, 1)) == "2026-03-01"
    assert format_period(MARCH) == "2026-03"


def test_display_examples():
    assert display_value(0.08, "percent") == "8.0%"
    assert display_value(0.0925, "percent") == "9.25%"
    assert display_value(8.4e6, "count") == "8,400,000"
    assert display_value(17_083_333.333, "count") == "17,083,333"  # a forecast of adds
    assert display_value(2.5, "currency") == "2.50"
    assert display_value(4.25, "score") == "4.3"
    assert display_ratio(0.6999999999999997) == "70%"
    assert display_ratio(0.845) == "85%"
    assert display_ratio(None) == "n/a"


finite = dict(allow_nan=False, allow_infinity=False)


@given(st.floats(min_value=-1e15, max_value=1e15, **finite))
def test_numbers_round_trip(x):
    assert parse_number(format_number(x)) == x
    assert parse_value(format_value(x, "count"), "count") == x
    assert parse_number(x) == x


@given(st.floats(min_value=-50, max_value=50, **finite))
def test_percents_round_trip(x):
    assert parse_percent(format_percent(x)) == x
    assert parse_value(format_value(x, "percent"), "percent") == x


@given(st.floats(min_value=-1, max_value=1, **finite))
def test_a_cell_fraction_is_taken_as_is(x):
    assert parse_percent(x) == x


@given(st.floats(min_value=-1e6, max_value=1e6, **finite))
def test_full_width_text_reads_like_ascii(x):
    text = format_number(x)
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    assert parse_number(wide) == x


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)))
def test_dates_round_trip(d):
    assert parse_date(format_date(d)) == d
    assert parse_date(f"{d.year}年{d.month}月{d.day}日") == d
    assert parse_date(f"{d.year}/{d.month}/{d.day}") == d
    assert parse_date(f"{d.isoformat()}T00:00:00.000Z") == d
    assert date_from_excel_serial(excel_serial(d)) == d


periods = st.builds(
    lambda year, cadence, i: Period(year, cadence, i % (4 if cadence == "quarter" else 12) + 1),
    st.integers(1900, 9999), st.sampled_from(["quarter", "month"]), st.integers(0, 11),
)


@given(periods)
def test_periods_round_trip(p):
    assert parse_period(format_period(p), p.cadence) == p
    assert parse_period(p.start, p.cadence) == p
    assert parse_period(p.end.isoformat(), p.cadence) == p


@given(st.integers(1900, 9999), st.integers(1, 4))
def test_every_quarter_spelling_reads_the_same(year, q):
    zh = "一二三四"[q - 1]
    spellings = [f"{year}-Q{q}", f"{year}Q{q}", f"Q{q} {year}", f"Q{q}-{year}", f"{year}年第{zh}季度",
                 f"{year}年第{q}季度", f"{year}年{zh}季度"]
    assert {parse_period(s, "quarter") for s in spellings} == {Period(year, "quarter", q)}
