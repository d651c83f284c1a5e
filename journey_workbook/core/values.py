"""Reading what people type into cells, and writing values so that they read back.

Every ``parse_*`` function takes a raw cell value as a backend delivers it (``None``, ``str``,
``int``, ``float``, ``bool``, ``datetime``, ``date``) and returns the parsed value, or raises
:class:`ValueProblem` with a short kebab-case ``code``, an English ``message`` quoting the value,
and a ``hint`` saying what to type instead. Nothing ambiguous is guessed.

Conventions:
- A blank cell (``None``, NaN/NaT from a frame, or text of only spaces) parses to ``None``;
  whether a blank is allowed is the validator's call, not the parser's.
- Numbers come back as ``float``; percents as fractions (``"5%"`` -> 0.05).
- Text is normalised first: full-width ASCII (``２０００``, ``５％``, ``￥``), ideographic,
  non-breaking and thin spaces, and Unicode minus/dashes become their plain forms.
- Decimal arithmetic is used when reading text so that ``"7.1%"`` is exactly ``0.071``.
"""
from __future__ import annotations

import math
import numbers
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

import pandas as pd

from journey_workbook.core.periods import Period, check_cadence


class ValueProblem(ValueError):
    """A cell value that cannot be read: ``code`` (kebab-case key), ``message``, ``hint``."""

    def __init__(self, code: str, message: str, hint: str = "", value: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.value = value

    def __repr__(self) -> str:
        return f"ValueProblem({self.code!r}, {self.message!r}, {self.hint!r})"


# --- normalisation -------------------------------------------------------------------------

_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_TRANSLATE = {ord(c): " " for c in _SPACES}
_TRANSLATE.update({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})  # full-width ASCII
_TRANSLATE.update({0xFFE5: "¥", 0x200B: None, 0xFEFF: None})  # full-width yen; zero-width chars
_TRANSLATE.update({ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2212\ufe63"})


def normalise_text(text: str) -> str:
    """Plain-ASCII digits, signs and spaces; runs of spaces collapsed; ends stripped.

    Only full-width forms and space/dash variants are mapped (not a blanket NFKC), so that
    e.g. a superscript ``²`` is not silently read as a digit.
    """
    return re.sub(r"\s+", " ", text.translate(_TRANSLATE)).strip()


def is_blank(value: Any) -> bool:
    """``None``, NaN/NaT/NA, or text that is empty after normalisation."""
    if value is None:
        return True
    if isinstance(value, str):
        return normalise_text(value) == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# --- numbers and percents ------------------------------------------------------------------

_MULTIPLIERS = {"万": Decimal(10) ** 4, "w": Decimal(10) ** 4, "亿": Decimal(10) ** 8, "k": Decimal(10) ** 3}
_PREFIX = re.compile(r"([+-]?) ?([¥$€]?) ?([+-]?) ?(.*)")
_BODIES = (
    re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"),
    re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"),  # 2,000 / 1,234.5
    re.compile(r"[0-9]{1,3}(?: [0-9]{3})+(?:\.[0-9]+)?"),  # 12 346 (any space variant)
)
# A comma that is not a thousands separator may be a decimal comma (1,5 / 1.234,5 / 1 234,5).
_DECIMAL_COMMA = re.compile(r"[0-9][0-9 .]*,[0-9]+")
_NUMBER_HINT = "type a number such as 2000, 2,000, 2000万 or 1.5亿"


def _read_amount(text: str, allow_multiplier: bool) -> tuple[Decimal, bool]:
    """Decimal amount of ``text`` and whether it ended with ``%``; raises ValueProblem."""
    s = normalise_text(text)
    percent = s.endswith("%")
    if percent:
        s = s[:-1].rstrip()
    multiplier = Decimal(1)
    if allow_multiplier and s and s[-1].lower() in _MULTIPLIERS:
        multiplier = _MULTIPLIERS[s[-1].lower()]
        s = s[:-1].rstrip()
    sign1, _currency, sign2, body = _PREFIX.fullmatch(s).groups()
    if sign1 and sign2:
        raise ValueProblem("not-a-number", f"{text!r} is not a number (two signs)", _NUMBER_HINT, text)
    if any(pattern.fullmatch(body) for pattern in _BODIES):
        amount = Decimal(body.replace(",", "").replace(" ", ""))  # the patterns admit only valid decimals
        amount = -amount if "-" in (sign1 + sign2) else amount
        return amount * multiplier, percent
    if _DECIMAL_COMMA.fullmatch(body):
        raise ValueProblem(
            "ambiguous-number",
            f"{text!r} is ambiguous: is the comma a decimal point or a thousands separator?",
            "use a dot for decimals (1.5) and commas only between groups of three digits (1,500)",
            text,
        )
    raise ValueProblem("not-a-number", f"{text!r} is not a number", _NUMBER_HINT, text)


def _finite(amount: Decimal | float, text: Any, code: str) -> float:
    result = float(amount)
    if not math.isfinite(result):
        raise ValueProblem(code, f"{text!r} is not a finite number", _NUMBER_HINT, text)
    return result


def _wrong_type(value: Any, code: str, what: str, hint: str) -> ValueProblem:
    if isinstance(value, bool):
        kind = "a yes/no value"
    else:
        kind = "a date" if isinstance(value, date) else "a number" if _is_real(value) else type(value).__name__
    return ValueProblem(code, f"{value!r} is {kind}, not {what}", hint, value)


def parse_number(value: Any) -> Optional[float]:
    """A plain number (count, currency, score, days) as ``float``; blank -> ``None``.

    Accepts numbers; text with thousands separators (``2,000``, ``12 346``), full-width
    digits, a leading ``+``/``-``, a ``¥ $ € ￥`` prefix and a multiplier suffix ``万``/``w``
    (1e4), ``亿`` (1e8), ``k`` (1e3). Booleans and dates are not numbers. Raises
    ``not-a-number`` (incl. text with a ``%`` sign) or ``ambiguous-number`` (``1,5``).
    """
    if is_blank(value):
        return None
    if _is_real(value):
        return _finite(value, value, "not-a-number")
    if not isinstance(value, str):
        raise _wrong_type(value, "not-a-number", "a number", _NUMBER_HINT)
    amount, percent = _read_amount(value, allow_multiplier=True)
    if percent:
        raise ValueProblem(
            "not-a-number", f"{value!r} has a % sign but this value is not a percent",
            "type the number without %", value,
        )
    return _finite(amount, value, "not-a-number")


def _plain(amount: Decimal) -> str:
    """Shortest decimal text of ``amount``, without exponent: 5, 0.05, 2000000."""
    return format(amount.normalize(), "f")


def _percent_from_bare(amount: Decimal, shown: Any) -> float:
    """Read a number typed without ``%``: |x| <= 1 is a fraction, up to 100 is ambiguous."""
    if abs(amount) <= 1:
        return _finite(amount, shown, "not-a-percent")
    text = _plain(amount)
    if abs(amount) <= 100:
        raise ValueProblem(
            "ambiguous-percent",
            f"{shown!r} is ambiguous: {text}% or {_plain(amount * 100)}%?",
            f"type {text}% (or {_plain(amount / 100)})",
            shown,
        )
    raise ValueProblem(
        "not-a-percent",
        f"{shown!r} is above 100 without a % sign, which is not a percent",
        f"type {text}% if you mean {text} percent",
        shown,
    )


def parse_percent(value: Any) -> Optional[float]:
    """A percent as a fraction (``"5%"`` -> 0.05); blank -> ``None``.

    - Text with ``%`` (``5%``, ``５％``, ``6.2 %``, ``-3%``, ``120%``) is always clear.
    - A number, or text without ``%`` such as ``"0.05"``, is read the same way Excel stores a
      percent-formatted cell: 0 <= |x| <= 1 is the fraction itself (0.05 is 5%, 1 is 100%);
      1 < |x| <= 100 is ``ambiguous-percent`` (5% or 500%?); above 100 is ``not-a-percent``.
    - Multipliers (``万``, ``k``) are not accepted in a percent.
    """
    if is_blank(value):
        return None
    if _is_real(value):
        return _percent_from_bare(Decimal(repr(float(value))), value)
    hint = "type a percent such as 5% or 0.05"
    if not isinstance(value, str):
        raise _wrong_type(value, "not-a-percent", "a percent", hint)
    try:
        amount, percent = _read_amount(value, allow_multiplier=False)
    except ValueProblem as problem:
        if problem.code == "ambiguous-number":
            raise
        raise ValueProblem("not-a-percent", f"{value!r} is not a percent", hint, value) from None
    if percent:
        return _finite(amount / 100, value, "not-a-percent")
    return _percent_from_bare(amount, value)


def parse_value(value: Any, unit: str) -> Optional[float]:
    """Parse by unit: ``percent`` -> :func:`parse_percent`, any other unit -> :func:`parse_number`."""
    return parse_percent(value) if unit == "percent" else parse_number(value)


# --- dates ---------------------------------------------------------------------------------

_TIME = r"(?:(?: ?T ?| )[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)? ?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
_YMD = re.compile(r"([0-9]{4}) ?([-/.]) ?([0-9]{1,2}) ?\2 ?([0-9]{1,2})" + _TIME, re.IGNORECASE)
_YMD_ZH = re.compile(r"([0-9]{4}) ?年 ?([0-9]{1,2}) ?月 ?([0-9]{1,2}) ?[日号]?" + _TIME)
_DMY = re.compile(r"([0-9]{1,2}) ?([-/.]) ?([0-9]{1,2}) ?\2 ?([0-9]{4})" + _TIME)
_DATE_HINT = "type the date as 2026-03-01 (year-month-day) or use an Excel date"
_EXCEL_EPOCH = date(1899, 12, 30)
MAX_EXCEL_SERIAL = 2958465  # 9999-12-31


def _make_date(year: int, month: int, day: int, shown: Any) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueProblem("not-a-date", f"{shown!r} is not a real date", _DATE_HINT, shown) from None


def date_from_excel_serial(serial: float) -> date:
    """Date of an Excel serial number (1900 date system; any time fraction is dropped).

    Excel counts a non-existent 1900-02-29 as serial 60, so serials from 61 on are one day
    ahead of a plain count: 1 = 1900-01-01, 59 = 1900-02-28, 61 = 1900-03-01.
    """
    whole = math.floor(serial)
    if not 1 <= whole <= MAX_EXCEL_SERIAL:
        raise ValueProblem("not-a-date", f"{serial!r} is outside Excel's dates", _DATE_HINT, serial)
    if whole == 60:
        raise ValueProblem("not-a-date", "serial 60 is 1900-02-29, a day that does not exist", _DATE_HINT, serial)
    return _EXCEL_EPOCH + timedelta(days=whole + (1 if whole < 60 else 0))


def excel_serial(day: date) -> int:
    """The Excel serial number of ``day`` (inverse of :func:`date_from_excel_serial`)."""
    serial = (day - _EXCEL_EPOCH).days
    return serial - 1 if day < date(1900, 3, 1) else serial


def _date_from_text(text: str) -> date:
    s = normalise_text(text)
    match = _YMD.fullmatch(s)
    if match:
        return _make_date(int(match.group(1)), int(match.group(3)), int(match.group(4)), text)
    match = _YMD_ZH.fullmatch(s)
    if match:
        return _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), text)
    match = _DMY.fullmatch(s)
    if match:
        first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        if first <= 12 and second <= 12 and first != second:
            raise ValueProblem(
                "ambiguous-date", f"{text!r} is ambiguous: day/month or month/day?",
                f"type the date as year-month-day, e.g. {year}-{second:02d}-{first:02d} or {year}-{first:02d}-{second:02d}",
                text,
            )
        # At most one reading is a real date (a part above 12 can only be the day).
        day, month = (first, second) if first > 12 else (second, first)
        return _make_date(year, month, day, text)
    raise ValueProblem("not-a-date", f"{text!r} is not a date", _DATE_HINT, text)


def parse_date(value: Any) -> Optional[date]:
    """A ``date``; blank -> ``None``.

    Accepts date/datetime values (a datetime keeps only its date; a time zone suffix such as
    xlwings' ``2026-03-01T00:00:00.000Z`` is ignored, not converted), ISO and ``2026/3/1``,
    ``2026.3.1``, ``2026年3月1日`` text, and Excel serial numbers 1..2958465. ``3/1/2026``
    is ``ambiguous-date`` (unless only one reading is a real date, as in ``13/3/2026``);
    impossible dates (``2026-02-30``) and anything else are ``not-a-date``.
    """
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if _is_real(value):
        return date_from_excel_serial(value)
    if isinstance(value, str):
        return _date_from_text(value)
    raise _wrong_type(value, "not-a-date", "a date", _DATE_HINT)


# --- periods -------------------------------------------------------------------------------

_ZH_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
               "十": 10, "十一": 11, "十二": 12}
_QUARTERS = (
    (re.compile(r"([0-9]{4}) ?[-/ ]? ?(?:年 ?)?Q ?([1-4])"), 1, 2),
    (re.compile(r"Q ?([1-4]) ?[-/ ]? ?([0-9]{4})"), 2, 1),
    (re.compile(r"([0-9]{4}) ?年? ?第? ?([1-4一二三四]) ?季度?"), 1, 2),
)
_MONTHS = (
    re.compile(r"([0-9]{4}) ?[-/.] ?M? ?([0-9]{1,2})"),
    re.compile(r"([0-9]{4}) ?M ?([0-9]{1,2})"),
    re.compile(r"([0-9]{4}) ?年 ?([0-9]{1,2}|十[一二]?|[一二三四五六七八九]) ?月份?"),
)
_PERIOD_EXAMPLE = {"quarter": "2026-Q1", "month": "2026-03"}


def _period_from_label(text: str) -> Optional[Period]:
    """The period a quarter or month label names, or None if ``text`` is not such a label."""
    s = normalise_text(text).upper()
    for pattern, year_group, index_group in _QUARTERS:
        match = pattern.fullmatch(s)
        if match:
            index = match.group(index_group)
            return Period(int(match.group(year_group)), "quarter", _ZH_NUMBERS.get(index) or int(index))
    for pattern in _MONTHS:
        match = pattern.fullmatch(s)
        if match:
            month = _ZH_NUMBERS.get(match.group(2)) or int(match.group(2))
            if not 1 <= month <= 12:
                raise ValueProblem("not-a-period", f"{text!r}: there is no month {month}",
                                   "type a month such as 2026-03", text)
            return Period(int(match.group(1)), "month", month)
    return None


def parse_period(value: Any, cadence: str) -> Optional[Period]:
    """The :class:`Period` of ``cadence`` that ``value`` names; blank -> ``None``.

    Quarter labels: ``2026-Q1``, ``2026Q1``, ``2026 Q1``, ``Q1 2026``, ``Q1-2026``,
    ``2026年第一季度``, ``2026年第1季度``, ``2026年一季度``. Month labels: ``2026-03``,
    ``2026/03``, ``2026-M03``, ``2026年3月``. A date, or date text such as ``2026-03-01``
    (Excel turns a typed ``2026-03`` into a date), gives the period of ``cadence`` containing
    it. A label of the other cadence is ``period-cadence-mismatch``, never converted.
    """
    check_cadence(cadence)
    if is_blank(value):
        return None
    if isinstance(value, Period):
        found = value
    elif isinstance(value, date):
        return Period.containing(parse_date(value), cadence)
    elif isinstance(value, str):
        found = _period_from_label(value)
        if found is None:
            return Period.containing(_date_for_period(value, cadence), cadence)
    else:
        raise _wrong_type(value, "not-a-period", "a period", f"type a period such as {_PERIOD_EXAMPLE[cadence]}")
    if found.cadence != cadence:
        example = Period.containing(found.start, cadence).label
        raise ValueProblem(
            "period-cadence-mismatch",
            f"{value!r} is a {found.cadence} but this workbook plans by {cadence}",
            f"type a {cadence} such as {example}", value,
        )
    return found


def _date_for_period(text: str, cadence: str) -> date:
    try:
        return _date_from_text(text)
    except ValueProblem as problem:
        if problem.code == "ambiguous-date":
            raise
        raise ValueProblem("not-a-period", f"{text!r} is not a period",
                           f"type a period such as {_PERIOD_EXAMPLE[cadence]}", text) from None


# --- writing -------------------------------------------------------------------------------

def _exact(x: float) -> Decimal:
    # repr() is the shortest text that reads back to the same float, so it loses nothing.
    return Decimal(repr(float(x)))


def format_number(x: Optional[float]) -> str:
    """Exact text of ``x`` with thousands commas (``2,000``, ``1,234.5``); ``None`` -> ``""``."""
    return "" if x is None else format(_exact(x).normalize(), ",f")


def format_percent(x: Optional[float]) -> str:
    """Exact percent text of the fraction ``x`` (0.062 -> ``6.2%``); ``None`` -> ``""``."""
    return "" if x is None else _plain(_exact(x) * 100) + "%"


def format_value(x: Optional[float], unit: str) -> str:
    """Text of ``x`` that :func:`parse_value` reads back to exactly ``x``."""
    return format_percent(x) if unit == "percent" else format_number(x)


def format_date(day: Optional[date]) -> str:
    """ISO text (``2026-03-01``); reads back with :func:`parse_date`."""
    return "" if day is None else day.isoformat()


def format_period(period: Optional[Period]) -> str:
    """Canonical label (``2026-Q1``, ``2026-03``); reads back with :func:`parse_period`."""
    return "" if period is None else period.label


def _rounded(amount: Decimal, decimals: int) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def display_value(x: Optional[float], unit: str) -> str:
    """Readable, rounded text for messages: ``8.0%``, ``9.25%``, ``8,400,000``, ``4.5``.

    Percents show 1 or 2 decimals of a percentage point; counts whole numbers (a forecast of
    17,083,333.33 adds is 17,083,333); currency whole numbers (2 decimals if fractional);
    scores and days 1 decimal. Halves round up. ``None`` -> ``""``.
    """
    if x is None:
        return ""
    amount = _exact(x)
    if unit == "percent":
        two = _rounded(amount * 100, 2)
        return f"{two if two != _rounded(two, 1) else _rounded(two, 1)}%"
    if unit in ("score", "days"):
        return format(_rounded(amount, 1), ",f")
    whole = _rounded(amount, 0)
    if unit == "count":
        return format(whole, ",f")
    return format(whole if whole == _rounded(amount, 2) else _rounded(amount, 2), ",f")


def display_ratio(r: Optional[float]) -> str:
    """A ratio as a whole percent for messages (0.9444 -> ``94%``); ``None`` -> ``"n/a"``."""
    return "n/a" if r is None else f"{_rounded(_exact(r) * 100, 0)}%"
