"""Chart builders for the Dashboard sheet: plain data in, a matplotlib ``Figure`` out.

The builders write nothing and touch no global state: they use ``matplotlib.figure.Figure``
with an Agg canvas (never pyplot, so no GUI backend is needed) and apply the CJK font chain of
:mod:`journey_workbook.fonts` only while the figure is built. :func:`figure_to_png` renders a
figure to PNG bytes of exactly ``FIGSIZE`` × ``DPI`` pixels (no tight bounding box), so that a
redrawn picture keeps its size and place on the sheet.

Every builder takes ``labels``, a mapping of text keys to localised strings; missing keys fall
back to the English defaults in ``*_LABELS``. ``lang`` ("en" or "zh-CN") only chooses how
numbers and dates are written: 6.2%, 2000万 / 1.5亿 in Chinese, 20M / 4.5K in English.
Percent values are fractions throughout (0.062 is drawn as 6.2%).
"""
from __future__ import annotations

import io
import math
from datetime import date, datetime, timedelta
from typing import Mapping, Optional, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import MonthLocator, date2num, num2date
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter, MaxNLocator

from journey_workbook.fonts import font_context

FIGSIZE = (8.0, 4.5)  # inches
DPI = 150
PIXEL_SIZE = (round(FIGSIZE[0] * DPI), round(FIGSIZE[1] * DPI))  # (1200, 675)

STATUS_ORDER = ("achieved", "on_track", "at_risk", "off_track", "missing", "not_due")
STATUS_COLORS = {
    "achieved": "#2E7D32",
    "on_track": "#26A69A",
    "at_risk": "#F2A900",
    "off_track": "#C62828",
    "missing": "#8E8E8E",
    "not_due": "#CFCFCF",
}
STATUS_LABELS = {
    "achieved": "Achieved", "on_track": "On track", "at_risk": "At risk",
    "off_track": "Off track", "missing": "Missing", "not_due": "Not due",
}
TRAJECTORY_LABELS = {
    "start": "Start", "baseline": "Baseline", "plan": "Plan", "actual": "Actual",
    "forecast": "Forecast", "target": "Target", "as_of": "As of",
    "no_actuals": "No actuals yet", "no_periods": "No periods planned yet",
}
ATTAINMENT_LABELS = {
    "title": "Attainment by metric",
    "axis": "Period attainment, latest period with an actual (bars capped at 100%)",
    "no_data": "No actuals yet",
}
TIMELINE_LABELS = {
    "title": "Journey timeline", "milestones": "Milestones", "as_of": "As of",
    "renewal": "Renewal", "done": "Done", "planned": "Planned", "overdue": "Overdue",
    "stage_done": "Completed", "stage_current": "In progress", "stage_upcoming": "Upcoming",
    "stage_late": "Behind schedule",
    "no_stages": "No stages scheduled yet", "no_milestones": "No milestones yet",
    "no_dates": "Dates not set",
}

INK, MUTED, GRID = "#263238", "#78909C", "#E3E7EA"
PLAN_COLOR, ACTUAL_COLOR, TARGET_COLOR, BASELINE_COLOR = "#90A4AE", "#1565C0", "#2E7D32", "#9E9E9E"
AS_OF_COLOR, RENEWAL_COLOR = "#37474F", "#6A1B9A"
STAGE_COLORS = {"stage_done": "#90A4AE", "stage_current": "#1565C0", "stage_upcoming": "#BBDEFB",
                "stage_late": "#E57373"}
MILESTONE_STYLES = {  # status -> marker, face, edge
    "done": ("o", "#2E7D32", "#2E7D32"),
    "planned": ("o", "white", "#1565C0"),
    "overdue": ("X", "#C62828", "#C62828"),
}
TITLE_SIZE, TEXT_SIZE, SMALL_SIZE = 13, 9, 8


# --- numbers and dates -------------------------------------------------------------------

def _is_zh(lang: str) -> bool:
    return str(lang).lower().startswith("zh")


def _count_scale(magnitude: float, lang: str) -> tuple[float, str]:
    steps = ((1e8, "亿"), (1e4, "万")) if _is_zh(lang) else ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    for factor, suffix in steps:
        if magnitude >= factor:
            return factor, suffix
    return 1.0, ""


def _trim(number: float, decimals: int, grouping: bool = True) -> str:
    text = f"{number:,.{decimals}f}" if grouping else f"{number:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _auto_decimals(number: float) -> int:
    size = abs(number)
    return 2 if size < 10 else 1 if size < 100 else 0


def format_value(
    value: Optional[float], unit: str, lang: str = "en", decimals: Optional[int] = None
) -> str:
    """Write one value for a chart: percent fractions as ``6.2%``, counts and currency
    scaled (``2000万``, ``1.5亿`` in zh-CN; ``20M``, ``4.5K`` in English), days as ``12d`` /
    ``12天``. Trailing zeros are dropped; None and NaN give ``–``."""
    if value is None or value != value:
        return "–"
    if unit == "percent":
        number = value * 100
        return _trim(number, _auto_decimals(number) if decimals is None else decimals) + "%"
    if unit in ("count", "currency"):
        factor, suffix = _count_scale(abs(value), lang)
        number = value / factor
        places = _auto_decimals(number) if decimals is None else decimals
        return _trim(number, places, grouping=not suffix) + suffix  # 2000万, not 2,000万
    text = _trim(value, _auto_decimals(value) if decimals is None else decimals)
    if unit == "days":
        return text + ("天" if _is_zh(lang) else "d")
    return text


class _UnitFormatter(Formatter):
    """Axis ticks in the unit's style, with one scale and as few decimals as the ticks need."""

    def __init__(self, unit: str, lang: str):
        self.unit, self.lang = unit, lang

    def __call__(self, x, pos=None):
        return format_value(x, self.unit, self.lang)

    def format_ticks(self, values):
        if not len(values):
            return []
        values = list(values)
        scale_suffix, unit_suffix = "", ""
        if self.unit == "percent":
            scaled, unit_suffix = [v * 100 for v in values], "%"
        elif self.unit in ("count", "currency"):
            factor, scale_suffix = _count_scale(max(abs(v) for v in values), self.lang)
            scaled = [v / factor for v in values]
        else:
            scaled = values
            if self.unit == "days":
                unit_suffix = "天" if _is_zh(self.lang) else "d"
        decimals = next(
            (d for d in range(4)
             if all(abs(round(s, d) - s) < 1e-9 * max(1, abs(s)) for s in scaled)),
            4,
        )
        return [
            ("0" if abs(s) < 1e-12 else _trim(s, decimals, not scale_suffix) + scale_suffix)
            + unit_suffix
            for s in scaled
        ]


def format_date(day: date, lang: str = "en") -> str:
    """``2026-07-15`` in English, ``2026年7月15日`` in Chinese."""
    return f"{day.year}年{day.month}月{day.day}日" if _is_zh(lang) else day.isoformat()


class _MonthFormatter(Formatter):
    _NAMES = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

    def __init__(self, lang: str):
        self.lang = lang

    def __call__(self, x, pos=None):
        day = num2date(x)
        if _is_zh(self.lang):
            return f"{day.year}年{day.month}月"
        return f"{self._NAMES[day.month - 1]} {day.year}"


def _as_date(value) -> Optional[date]:
    if value is None or value != value:  # None, NaN, NaT
        return None
    if isinstance(value, datetime):  # also pandas.Timestamp
        return value.date()
    return value if isinstance(value, date) else None


def _as_number(value) -> Optional[float]:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


# --- text layout -------------------------------------------------------------------------

def _width_units(text: str) -> int:
    """Display width: East Asian wide characters count 2, others 1."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def wrap_label(text: str, width: int = 20, max_lines: int = 3) -> str:
    """Wrap ``text`` to lines of at most ``width`` units (a Chinese character is 2 units),
    breaking Latin text at spaces where possible and never starting a line with closing
    punctuation; lines are balanced (no one-character last line). The last line ends in …
    if the text needs more than ``max_lines``."""
    tokens = _tokens(str(text).strip())
    lines = _fill(tokens, width)
    if 1 < len(lines) <= max_lines:  # the narrowest width that needs no more lines
        total = _width_units("".join(tokens))
        for narrower in range(max(math.ceil(total / len(lines)), 1), width):
            candidate = _fill(tokens, narrower)
            if len(candidate) <= len(lines):
                lines = candidate
                break
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        lines = lines[: max_lines - 1] + [last[: _cut(last, width - 2)] + "…"]
    return "\n".join(lines)


def _fill(tokens: list[str], width: int) -> list[str]:
    lines, line = [], ""
    for token in tokens:
        if line and _width_units(line + token.rstrip()) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
        while _width_units(line.rstrip()) > width:  # a single token longer than a line
            cut = _cut(line, width)
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


_NO_LINE_START = set("，。、：；！？）》」』】,.:;!?)%％")


def _tokens(text: str) -> list[str]:
    """Units a line may break between: Latin words (with their trailing space) and single
    wide characters; closing punctuation sticks to what precedes it."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch in _NO_LINE_START and (word or tokens):
            if word:
                word += ch
            else:
                tokens[-1] += ch
        elif ord(ch) >= 0x2E80:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        elif ch == " ":
            tokens.append(word + " ")
            word = ""
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def _cut(text: str, width: int) -> int:
    used = 0
    for i, ch in enumerate(text):
        used += _width_units(ch)
        if used > width:
            return max(i, 1)
    return len(text)


# --- figures -----------------------------------------------------------------------------

def _new_figure(**subplots) -> tuple[Figure, object]:
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    fig.get_layout_engine().set(h_pad=0.06, w_pad=0.08)
    return fig, fig.subplots(**subplots)


def _style_axes(ax, families: list[str]) -> None:
    # Tick labels are created lazily at draw time, perhaps outside the font context: pin them.
    ax.tick_params(labelfontfamily=families, labelsize=TEXT_SIZE, colors=INK, length=3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#B0BEC5")
    ax.set_axisbelow(True)


def _title(ax, text: str) -> None:
    ax.set_title(text, loc="left", fontsize=TITLE_SIZE, fontweight="bold", color=INK, pad=10)


def _placeholder(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            fontsize=11, color=MUTED, zorder=10,
            bbox=dict(boxstyle="round,pad=0.5", fc="white", ec=GRID))


def _legend(fig: Figure, handles: list, ncols: Optional[int] = None) -> None:
    if handles:
        fig.legend(handles=handles, loc="outside lower center", frameon=False,
                   ncols=ncols or len(handles), fontsize=TEXT_SIZE, handlelength=2.2,
                   columnspacing=1.6)


def figure_to_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes at ``DPI``. No tight bounding box: the image is exactly
    ``FIGSIZE`` × ``DPI`` pixels (``PIXEL_SIZE``) for a figure made by this module."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor=fig.get_facecolor())
    return buffer.getvalue()


def _merge(defaults: Mapping[str, str], labels: Optional[Mapping[str, str]]) -> dict[str, str]:
    return {**defaults, **{k: v for k, v in (labels or {}).items() if v}}


# --- 1. trajectory -----------------------------------------------------------------------

def draw_trajectory(
    metric_name: str,
    unit: str,
    periods: Sequence[str],
    period_ends: Optional[Sequence[Optional[date]]],
    baseline: Optional[float],
    target: Optional[float],
    planned: Sequence[Optional[float]],
    actuals: Sequence[Optional[float]],
    forecast: Optional[float],
    as_of: Optional[date],
    lang: str = "en",
    labels: Optional[Mapping[str, str]] = None,
) -> Figure:
    """One metric over its periods: baseline and final target as reference lines, the plan
    (from the baseline at "start"), the actuals, the forecast (dashed, from the last actual to
    the last period) and the as-of position. Values are in the metric's unit (percent as
    fractions). ``planned``/``actuals`` are aligned with ``periods``; None marks a gap."""
    text = _merge(TRAJECTORY_LABELS, labels)
    metric_name, periods = str(metric_name or ""), [str(p) for p in periods or []]
    n = len(periods)
    plan, act = _align(planned, n), _align(actuals, n)
    baseline, target, forecast = _as_number(baseline), _as_number(target), _as_number(forecast)

    def fmt(value: Optional[float]) -> str:
        return format_value(value, unit, lang)

    with font_context([metric_name, *periods, *text.values()]) as families:
        fig, ax = _new_figure()
        _style_axes(ax, families)
        _title(ax, wrap_label(metric_name, 80, 2))
        ax.grid(axis="y", color=GRID, linewidth=0.8)
        handles = []
        if baseline is not None:
            ax.axhline(baseline, color=BASELINE_COLOR, linestyle=(0, (4, 3)), linewidth=1.1)
            handles.append(Line2D([], [], color=BASELINE_COLOR, linestyle=(0, (4, 3)),
                                  label=f"{text['baseline']} {fmt(baseline)}"))
        if target is not None:
            ax.axhline(target, color=TARGET_COLOR, linestyle=(0, (1, 2)), linewidth=1.6)
            handles.append(Line2D([], [], color=TARGET_COLOR, linestyle=(0, (1, 2)),
                                  linewidth=1.6, label=f"{text['target']} {fmt(target)}"))
        start = [(0, baseline)] if baseline is not None else []
        plan_points = start + [(i + 1, v) for i, v in enumerate(plan) if v is not None]
        if len(plan_points) > len(start):
            ax.plot(*zip(*plan_points), color=PLAN_COLOR, linewidth=1.8, marker="o",
                    markersize=6, markerfacecolor="white", markeredgewidth=1.6, zorder=3)
            handles.append(Line2D([], [], color=PLAN_COLOR, marker="o", markerfacecolor="white",
                                  markeredgewidth=1.6, label=text["plan"]))
        actual_points = [(i + 1, v) for i, v in enumerate(act) if v is not None]
        if actual_points:
            _draw_actuals(ax, start, act, plan, fmt)
            handles.append(Line2D([], [], color=ACTUAL_COLOR, linewidth=2.4, marker="o",
                                  label=text["actual"]))
            last_x, last_y = actual_points[-1]
            if forecast is not None and last_x < n:
                ax.plot([last_x, n], [last_y, forecast], color=ACTUAL_COLOR, linewidth=1.8,
                        linestyle=(0, (5, 3)), zorder=4)
                ax.plot([n], [forecast], marker="o", markersize=7, markerfacecolor="white",
                        markeredgecolor=ACTUAL_COLOR, markeredgewidth=1.6, zorder=5)
                below = plan[-1] is not None and plan[-1] > forecast
                ax.annotate(fmt(forecast), (n, forecast), xytext=(0, -10 if below else 9),
                            textcoords="offset points", ha="center",
                            va="top" if below else "baseline", fontsize=SMALL_SIZE,
                            color=ACTUAL_COLOR)
                handles.append(Line2D([], [], color=ACTUAL_COLOR, linestyle=(0, (5, 3)),
                                      label=f"{text['forecast']} {fmt(forecast)}"))
        _set_value_limits(ax, [baseline, target, *plan, *act,
                               forecast if actual_points else None], unit)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_formatter(_UnitFormatter(unit, lang))
        left, right = (-0.35 if baseline is not None else 0.5), max(n, 1) + 0.35
        ax.set_xlim(left, right)
        ax.set_xticks(range(n + 1) if baseline is not None else range(1, n + 1),
                      ([text["start"]] if baseline is not None else []) + list(periods))
        if n > 8:
            ax.tick_params(axis="x", labelrotation=35)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
        x_as_of = _as_of_position(period_ends, as_of, n)
        if x_as_of is not None:  # an as-of date outside the plan is shown at the edge
            x_as_of = min(max(x_as_of, left + 0.05), right - 0.05)
        _draw_as_of(ax, x_as_of, as_of, text["as_of"], lang)
        if not n:
            _placeholder(ax, text["no_periods"])
        elif not actual_points:
            _placeholder(ax, text["no_actuals"])
        _legend(fig, handles)
    return fig


def _align(values: Optional[Sequence[Optional[float]]], n: int) -> list[Optional[float]]:
    """``values`` as numbers (None for blanks), cut or padded with None to ``n`` periods."""
    numbers = [_as_number(v) for v in list(values or [])[:n]]
    return numbers + [None] * (n - len(numbers))


def _draw_actuals(ax, start, act, plan, fmt) -> None:
    """Solid line through consecutive actuals (a gap breaks it), each point labelled on the
    side away from the plan point of its period."""
    ax.plot(range(1, len(act) + 1), [math.nan if v is None else v for v in act],
            color=ACTUAL_COLOR, linewidth=2.4, marker="o", markersize=6.5, zorder=5)
    if start and act and act[0] is not None:  # the journey starts at the baseline
        ax.plot([0, 1], [start[0][1], act[0]], color=ACTUAL_COLOR, linewidth=2.4, zorder=4)
    for x, y, planned in zip(range(1, len(act) + 1), act, plan):
        if y is not None:
            below = planned is not None and planned > y
            ax.annotate(fmt(y), (x, y), xytext=(0, -10 if below else 9),
                        textcoords="offset points", ha="center", va="top" if below else "baseline",
                        fontsize=SMALL_SIZE, fontweight="bold", color=ACTUAL_COLOR, zorder=6,
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))


def _set_value_limits(ax, values, unit: str) -> None:
    present = [v for v in values if v is not None]
    if not present:
        ax.set_ylim(0, 1 if unit != "percent" else 0.1)
        return
    low, high = min(present), max(present)
    span = high - low
    pad = span * 0.15 if span > 0 else (abs(high) * 0.2 or (0.01 if unit == "percent" else 1))
    bottom = low - pad
    if low >= 0 and bottom < 0:  # never suggest negative rates or counts
        bottom = 0
    ax.set_ylim(bottom, high + pad * 1.4)  # headroom for the value labels


def _as_of_position(period_ends, as_of, n: int) -> Optional[float]:
    """The as-of date on the period axis: period i ends at x = i, the start is x = 0."""
    as_of = _as_date(as_of)
    ends = [(i + 1, _as_date(d)) for i, d in enumerate(list(period_ends or [])[:n])]
    ends = [(x, d) for x, d in ends if d is not None]
    if as_of is None or not ends:
        return None
    known = [(0, ends[0][1] - timedelta(days=_period_days(ends)))] + ends
    for (x0, d0), (x1, d1) in zip(known, known[1:]):
        if as_of <= d1:
            return x0 + (x1 - x0) * (as_of - d0).days / max((d1 - d0).days, 1)
    x_last, d_last = known[-1]
    return x_last + (as_of - d_last).days / _period_days(ends)


def _period_days(ends) -> float:
    if len(ends) >= 2:
        (x0, d0), (x1, d1) = ends[0], ends[1]
        return max((d1 - d0).days / (x1 - x0), 1)
    return 91.0  # one period only: assume a quarter


def _draw_as_of(ax, x: Optional[float], as_of, label: str, lang: str) -> None:
    if x is None:
        return
    ax.axvline(x, color=AS_OF_COLOR, linewidth=1.1, linestyle=(0, (6, 2, 1, 2)), zorder=2)
    right_half = x > sum(ax.get_xlim()) / 2
    ax.annotate(f"{label} {format_date(_as_date(as_of), lang)}", (x, 1),
                xycoords=("data", "axes fraction"),
                xytext=(-4 if right_half else 4, -4), textcoords="offset points",
                ha="right" if right_half else "left", va="top", fontsize=SMALL_SIZE,
                color=AS_OF_COLOR, bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none"))


# --- 2. attainment bars ------------------------------------------------------------------

def draw_attainment_bars(
    rows: Sequence[Mapping[str, object]],
    lang: str = "en",
    labels: Optional[Mapping[str, str]] = None,
    status_labels: Optional[Mapping[str, str]] = None,
) -> Figure:
    """One horizontal bar per metric, in the order given.

    Each row: ``metric`` (name), ``attainment`` (period attainment of the metric's latest
    period with an actual, a raw ratio, or None), ``status`` (a key of ``STATUS_COLORS``) and
    optionally ``period``. The bar is the attainment clamped to [0, 1] and coloured by status;
    its label shows the raw ratio (e.g. 120%) and the period. A dashed line marks 100%.
    """
    text = _merge(ATTAINMENT_LABELS, labels)
    names = _merge(STATUS_LABELS, status_labels)
    rows = list(rows)
    n = len(rows)
    strings = [str(r.get(key) or "") for r in rows for key in ("metric", "period")]
    with font_context([*strings, *text.values(), *names.values()]) as families:
        fig, ax = _new_figure()
        _style_axes(ax, families)
        _title(ax, text["title"])
        size = TEXT_SIZE if n <= 8 else SMALL_SIZE
        seen = set()
        for i, row in enumerate(rows):
            status = row.get("status") if row.get("status") in STATUS_COLORS else "missing"
            seen.add(status)
            value = _as_number(row.get("attainment"))
            end = 0.0 if value is None else min(max(value, 0.0), 1.0)
            if value is not None:
                ax.barh(i, end, height=0.62, color=STATUS_COLORS[status], zorder=3)
            if value is None:  # no bar: a chip in the status colour says why
                ax.annotate(names[status], (0, i), xytext=(6, 0), textcoords="offset points",
                            va="center", fontsize=size,
                            color="white" if status == "missing" else INK,
                            bbox=dict(boxstyle="round,pad=0.35", fc=STATUS_COLORS[status],
                                      ec="none"))
            # A column right of the 100% line, so that no label crosses the line or a bar.
            ax.annotate(format_value(value, "percent", lang, 0), (1.03, i), va="center",
                        fontsize=size, fontweight="bold", color=INK)
            if row.get("period"):
                ax.annotate(str(row["period"]), (1.03, i), xytext=(34, 0),
                            textcoords="offset points", va="center", fontsize=size, color=MUTED)
        ax.axvline(1.0, color=INK, linewidth=1.1, linestyle=(0, (4, 3)), zorder=4)
        ax.set_xlim(0, 1.3)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.spines["bottom"].set_bounds(0, 1)
        ax.xaxis.set_major_formatter(_UnitFormatter("percent", lang))
        ax.grid(axis="x", color=GRID, linewidth=0.8)
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0, pad=6)
        max_lines = 1 if n > 10 else 2 if n > 5 else 3
        width = 28 if max_lines == 1 else 22  # one line per row: give it more room
        ax.set_yticks(range(n), [wrap_label(str(r.get("metric") or ""), width, max_lines)
                                 for r in rows])
        ax.tick_params(axis="y", labelsize=size)
        ax.set_ylim(max(n, 1) - 0.5, -0.5)  # first row on top
        ax.set_xlabel(text["axis"], fontsize=SMALL_SIZE, color=MUTED)
        if not n:
            _placeholder(ax, text["no_data"])
        _legend(fig, [Patch(color=STATUS_COLORS[s], label=names[s])
                      for s in STATUS_ORDER if s in seen])
    return fig


# --- 3. timeline -------------------------------------------------------------------------

def draw_timeline(
    stages: Sequence[Mapping[str, object]],
    milestones: Sequence[Mapping[str, object]],
    as_of: Optional[date],
    renewal_date: Optional[date] = None,
    lang: str = "en",
    labels: Optional[Mapping[str, str]] = None,
) -> Figure:
    """Backbone stages as bars over a date axis (completed / in progress / upcoming relative to
    ``as_of``), calendar milestones as markers in a lane below (done, planned, and overdue =
    planned but dated before ``as_of``; cancelled ones are left out), the as-of date and the
    renewal date as vertical lines. Stages: ``stage``, ``start``, ``end``; milestones:
    ``date``, ``topic``, ``status``. Rows without dates are listed without a bar or skipped."""
    text = _merge(TIMELINE_LABELS, labels)
    as_of, renewal = _as_date(as_of), _as_date(renewal_date)
    bars = [(str(s.get("stage") or ""), _as_date(s.get("start")), _as_date(s.get("end")),
             s.get("done")) for s in stages]
    events = sorted(_milestone_events(milestones, as_of))
    strings = [name for name, _, _, _ in bars] + [topic for _, topic, _ in events]
    with font_context([*strings, *text.values()]) as families:
        fig, (top, lane) = _new_figure(nrows=2, sharex=True,
                                       gridspec_kw={"height_ratios": [3, 1.3]})
        for ax in (top, lane):
            _style_axes(ax, families)
        _title(top, text["title"])
        days = [d for _, s, e, _ in bars for d in (s, e)] + [d for d, _, _ in events]
        left, right = _date_range([d for d in days + [as_of, renewal] if d is not None])
        top.set_xlim(left, right)
        handles = _draw_stages(top, bars, as_of, text)
        handles += _draw_milestones(lane, events, text)
        for day, color, style, key in ((as_of, AS_OF_COLOR, (0, (6, 2, 1, 2)), "as_of"),
                                        (renewal, RENEWAL_COLOR, (0, (4, 2)), "renewal")):
            if day is not None:
                for ax in (top, lane):
                    ax.axvline(date2num(day), color=color, linewidth=1.4, linestyle=style, zorder=4)
                handles.append(Line2D([], [], color=color, linestyle=style, linewidth=1.4,
                                      label=f"{text[key]} {format_date(day, lang)}"))
        _set_month_ticks(lane, left, right, lang)
        _legend(fig, handles, ncols=min(len(handles), 4))
        _place_milestone_labels(fig, lane, events)
    return fig


def _milestone_events(milestones, as_of) -> list[tuple[date, str, str]]:
    events = []
    for row in milestones:
        day = _as_date(row.get("date"))
        status = str(row.get("status") or "planned").strip().lower()
        if day is None or status == "cancelled":
            continue
        if status != "done":
            status = "overdue" if as_of is not None and day < as_of else "planned"
        events.append((day, str(row.get("topic") or ""), status))
    return events


def _date_range(days: list[date]) -> tuple[float, float]:
    if not days:
        days = [date.today()]
    low, high = min(days), max(days)
    if (high - low).days < 120:  # too short a range reads badly on a month axis
        middle = low + (high - low) / 2
        low, high = middle - timedelta(days=60), middle + timedelta(days=60)
    pad = (high - low).days * 0.03
    return date2num(low) - pad, date2num(high) + pad


def _stage_state(start: date, end: date, done: Optional[bool], as_of: Optional[date]) -> str:
    """A stage marked done in the calendar is done whatever the dates say; one past its end
    but not marked done is behind schedule; without a mark (None) the dates decide."""
    if done:
        return "stage_done"
    if as_of is None or as_of < start:
        return "stage_upcoming"
    if as_of > end:
        return "stage_late" if done is False else "stage_done"
    return "stage_current"


def _draw_stages(ax, bars, as_of, text) -> list:
    seen = set()
    for i, (name, start, end, done) in enumerate(bars):
        if start is None or end is None:
            ax.annotate(text["no_dates"], (0, i), xycoords=("axes fraction", "data"),
                        xytext=(4, 0), textcoords="offset points", va="center",
                        fontsize=SMALL_SIZE, color=MUTED)
            continue
        start, end = min(start, end), max(start, end)
        state = _stage_state(start, end, done, as_of)
        seen.add(state)
        ax.barh(i, max(date2num(end) - date2num(start), 1), left=date2num(start), height=0.56,
                color=STAGE_COLORS[state], zorder=3)
    n = len(bars)
    ax.set_yticks(range(n), [wrap_label(name, 24, 2 if n <= 9 else 1) for name, *_ in bars])
    ax.set_ylim(max(n, 1) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0, labelsize=TEXT_SIZE if n <= 6 else SMALL_SIZE)
    ax.tick_params(axis="x", length=0)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    if not n:
        _placeholder(ax, text["no_stages"])
    return [Patch(color=STAGE_COLORS[s], label=text[s]) for s in STAGE_COLORS if s in seen]


def _draw_milestones(ax, events, text) -> list:
    ax.set_ylim(-1, 1)
    ax.set_yticks([0], [text["milestones"]])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.axhline(0, color="#B0BEC5", linewidth=1, zorder=1)
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    for status, (marker, face, edge) in MILESTONE_STYLES.items():
        xs = [date2num(d) for d, _, s in events if s == status]
        if xs:
            ax.plot(xs, [0] * len(xs), linestyle="none", marker=marker, markersize=8,
                    markerfacecolor=face, markeredgecolor=edge, markeredgewidth=1.6, zorder=5)
    if not events:
        ax.annotate(text["no_milestones"], (0.5, 0.5), xycoords="axes fraction", ha="center",
                    va="bottom", xytext=(0, 6), textcoords="offset points",
                    fontsize=TEXT_SIZE, color=MUTED, zorder=10,
                    bbox=dict(boxstyle="square,pad=0.2", fc="white", ec="none"))
    present = {s for _, _, s in events}
    return [Line2D([], [], linestyle="none", marker=m, markersize=8, markerfacecolor=f,
                   markeredgecolor=e, markeredgewidth=1.6, label=text[s])
            for s, (m, f, e) in MILESTONE_STYLES.items() if s in present]


def _set_month_ticks(ax, left: float, right: float, lang: str) -> None:
    months = (right - left) / 30.4
    interval = next(step for limit, step in ((7, 1), (14, 2), (30, 3), (60, 6), (math.inf, 12))
                    if months <= limit)
    ax.xaxis.set_major_locator(MonthLocator(bymonthday=1, interval=interval))
    ax.xaxis.set_major_formatter(_MonthFormatter(lang))


_LEVELS = ((7, "bottom"), (-7, "top"), (19, "bottom"), (-19, "top"))  # offsets in points


def _place_milestone_labels(fig: Figure, ax, events) -> None:
    """Label each milestone with its topic, above or below the marker on the first of four
    levels where it does not overlap the previous label (measured after layout)."""
    if not events:
        return
    fig.draw_without_rendering()  # settles the layout so that text extents are final
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    right_edges = [-math.inf] * len(_LEVELS)
    for day, topic, status in events:
        color = MILESTONE_STYLES[status][2] if status != "planned" else INK
        label = ax.annotate(wrap_label(topic, 18, 1), (date2num(day), 0), xytext=(0, 0),
                            textcoords="offset points", ha="center", fontsize=SMALL_SIZE,
                            color=color, zorder=6, annotation_clip=False,
                            bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.85))
        label.set_in_layout(False)
        extent = label.get_window_extent(renderer)
        shift = max(box.x0 - extent.x0, 0) or min(box.x1 - extent.x1, 0)
        x0, x1 = extent.x0 + shift, extent.x1 + shift
        gap = 4 * fig.dpi / 72
        level = next((k for k, edge in enumerate(right_edges) if x0 > edge + gap),
                     min(range(len(_LEVELS)), key=lambda k: right_edges[k]))
        right_edges[level] = x1
        offset, va = _LEVELS[level]
        label.set_position((shift * 72 / fig.dpi, offset))
        label.set_va(va)
