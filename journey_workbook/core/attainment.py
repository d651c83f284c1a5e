"""Attainment, status, forecast and health (DESIGN section 4).

Units: percent values and every ratio are fractions (0.7 is 70%). Ratios are raw: they may
be negative or above 1; only :func:`health_score` (and displays) clamp to [0, 1].

Decisions beyond the design text:
- A ratio whose denominator is zero (a target or plan value equal to the baseline, or an
  ``at_least`` threshold of 0) is ``None`` and so is its status; the validator reports such
  targets. A denominator that is only binary noise (|d| <= 1e-12 of the operands) counts as 0.
- Ratios and forecasts are tidied to 12 significant digits, so that the design's
  (7.1% - 5%) / (8% - 5%) is stored as 0.7, not 0.6999999999999997. :func:`status_of` also
  compares after rounding to 9 decimals, so a raw ratio gets the same status.
- A cumulative target without a baseline has baseline 0 (its running total starts at 0); a
  level ``increase``/``decrease`` target without a baseline has no ratios and no forecast.
- ``progress`` of an ``at_least``/``at_most`` target is its ratio against the final target.
- Several actuals (or plan rows) for one metric and period: the last one counts (the
  validator reports duplicates). Actuals of periods outside the plan are ignored, except that
  a cumulative running total adds every actual from the first plan period on.
- A period is ``missing`` when its end date is before ``as_of`` (the period is over) and it
  has no actual; ``not_due`` when it has no actual and ends on or after ``as_of``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Optional

import pandas as pd

from journey_workbook.core.model import Actual, PlanPoint, Target, Thresholds
from journey_workbook.core.periods import Period

COLUMNS = [
    "metric_id", "metric", "period", "period_end", "planned", "actual",
    "period_attainment", "progress", "status", "forecast", "forecast_attainment",
]
STATUSES = ("achieved", "on_track", "at_risk", "off_track", "missing", "not_due")
DIRECTIONS = ("increase", "decrease", "at_least", "at_most")
_STATUS_DECIMALS = 9  # far below any displayed precision, far above float noise


def tidy(x: Optional[float]) -> Optional[float]:
    """``x`` rounded to 12 significant digits (drops binary noise); ``None`` stays ``None``."""
    return None if x is None else float(f"{x:.12g}")


def status_of(ratio: Optional[float], thresholds: Thresholds = Thresholds()) -> Optional[str]:
    """``achieved`` / ``on_track`` / ``at_risk`` / ``off_track`` for an attainment ratio.

    Lower bounds are inclusive and compared after rounding to 9 decimals, so a ratio that is
    a threshold up to float error gets the higher status. ``None`` ratio -> ``None``.
    """
    if ratio is None:
        return None
    r = round(ratio, _STATUS_DECIMALS)
    for status, bound in (("achieved", thresholds.achieved), ("on_track", thresholds.on_track),
                          ("at_risk", thresholds.at_risk)):
        if r >= round(bound, _STATUS_DECIMALS):
            return status
    return "off_track"


def effective_baseline(target: Target) -> Optional[float]:
    """The baseline used in ratios: a cumulative target without one starts from 0."""
    if target.baseline is None and target.aggregation == "cumulative":
        return 0.0
    return target.baseline


def _divide(numerator: float, denominator: float, scale: float) -> Optional[float]:
    # A denominator that is zero up to float noise would give a huge, meaningless ratio.
    if abs(denominator) <= 1e-12 * max(1.0, abs(scale)):
        return None
    return numerator / denominator


def _ratio_between(actual: float, baseline: float, goal: float) -> Optional[float]:
    """How far ``actual`` went from ``baseline`` towards ``goal`` (either direction)."""
    return _divide(actual - baseline, goal - baseline, max(abs(goal), abs(baseline)))


def _threshold_ratio(direction: str, actual: float, threshold: float) -> Optional[float]:
    if direction == "at_least":
        return _divide(actual, threshold, threshold)
    return 1.0 if actual == 0 else threshold / actual  # at_most: 0 is as good as it gets


def _check_direction(target: Target) -> None:
    if target.direction not in DIRECTIONS:
        raise ValueError(f"{target.metric_id}: unknown direction {target.direction!r}")


def period_attainment(target: Target, actual: float, planned: Optional[float]) -> Optional[float]:
    """Raw attainment of one period: against the plan value, or for thresholds against
    the plan value or (when the plan has none) the final target."""
    _check_direction(target)
    if target.direction in ("increase", "decrease"):
        baseline = effective_baseline(target)
        if baseline is None or planned is None:
            return None
        return _ratio_between(actual, baseline, planned)
    return _threshold_ratio(target.direction, actual, target.target if planned is None else planned)


def progress_to_target(target: Target, actual: float) -> Optional[float]:
    """Raw progress against the final target (same formulas with the final target)."""
    _check_direction(target)
    if target.direction in ("increase", "decrease"):
        baseline = effective_baseline(target)
        return None if baseline is None else _ratio_between(actual, baseline, target.target)
    return _threshold_ratio(target.direction, actual, target.target)


def linear_forecast(baseline: float, points: Sequence[tuple[int, float]], at: int) -> float:
    """Least-squares line through (0, baseline) and each (i, value), evaluated at ``at``.

    ``points`` must not be empty; with the baseline point there are then >= 2 distinct x.
    """
    xs = [0.0] + [float(i) for i, _ in points]
    ys = [baseline] + [value for _, value in points]
    mean_x, mean_y = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    return mean_y + sxy / sxx * (at - mean_x)


def _forecast(target: Target, actuals: Sequence[Optional[float]]) -> tuple[Optional[float], Optional[float]]:
    """Forecast at the last plan period and its attainment, for increase/decrease only."""
    baseline = effective_baseline(target)
    points = [(i, a) for i, a in enumerate(actuals, start=1) if a is not None]
    if target.direction not in ("increase", "decrease") or baseline is None or not points:
        return None, None
    forecast = linear_forecast(baseline, points, len(actuals))
    return tidy(forecast), tidy(_ratio_between(forecast, baseline, target.target))


def _by_metric(records: Iterable, value_field: str) -> dict[str, dict[Period, float]]:
    """metric_id -> {period: value}; later records win; blank values are skipped."""
    grouped: dict[str, dict[Period, float]] = {}
    for record in records:
        value = getattr(record, value_field)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        grouped.setdefault(record.metric_id, {})[record.period] = value
    return grouped


def _actual_series(target: Target, periods: list[Period], actuals: dict[Period, float]) -> list[Optional[float]]:
    """Each plan period's actual; for cumulative targets the running total (None where the
    period itself has no actual)."""
    if target.aggregation != "cumulative":
        return [actuals.get(p) for p in periods]
    first_start = periods[0].start if periods else None
    series: list[Optional[float]] = []
    for period in periods:
        if period not in actuals:
            series.append(None)
            continue
        amounts = [v for q, v in actuals.items() if first_start <= q.start and q.end <= period.end]
        series.append(math.fsum(amounts))
    return series


def _target_rows(target: Target, plan: dict[Period, float], actuals: dict[Period, float],
                 as_of: date, thresholds: Thresholds) -> list[dict]:
    periods = sorted(plan)
    series = _actual_series(target, periods, actuals)
    forecast, forecast_attainment = _forecast(target, series)
    rows = []
    for period, actual in zip(periods, series):
        planned = plan[period]
        ratio = progress = None
        if actual is None:
            status = "missing" if period.end < as_of else "not_due"
        else:
            ratio = tidy(period_attainment(target, actual, planned))
            progress = tidy(progress_to_target(target, actual))
            status = status_of(ratio, thresholds)
        rows.append({
            "metric_id": target.metric_id, "metric": target.metric, "period": period.label,
            "period_end": period.end, "planned": planned, "actual": actual,
            "period_attainment": ratio, "progress": progress, "status": status,
            "forecast": forecast, "forecast_attainment": forecast_attainment,
        })
    return rows


def compute_attainment(targets: Sequence[Target], plan: Iterable[PlanPoint], actuals: Iterable[Actual],
                       as_of: date, thresholds: Thresholds = Thresholds()) -> pd.DataFrame:
    """One row per non-hidden target x plan period (target order, then period order).

    Columns are :data:`COLUMNS`; ``period`` is the label text, ``period_end`` a date. All
    columns have object dtype and blanks are ``None`` (not NaN), so writers can write them
    as empty cells. ``forecast`` and ``forecast_attainment`` repeat on every row of a metric.
    ``as_of`` is explicit (the caller defaults it to today) so results are reproducible.
    """
    plans = _by_metric(plan, "planned")
    measured = _by_metric(actuals, "actual")
    rows: list[dict] = []
    for target in targets:
        if target.priority == "hidden":
            continue
        rows += _target_rows(target, plans.get(target.metric_id, {}),
                             measured.get(target.metric_id, {}), as_of, thresholds)
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


def latest_attainment(frame: pd.DataFrame) -> pd.DataFrame:
    """Per metric (in frame order), the row of its latest period with an actual."""
    measured = frame[frame["actual"].notna()]
    return measured.groupby("metric_id", sort=False).tail(1).reset_index(drop=True)


def health_score(targets: Sequence[Target], frame: pd.DataFrame) -> Optional[float]:
    """Weighted mean x 100 of clamp(latest period attainment, 0, 1), on a 0-100 scale.

    Over non-hidden targets with at least one actual and a computable latest attainment,
    weighted by target weight (weights <= 0 drop out). ``None`` when no target qualifies.
    Not rounded: the writer shows one decimal.
    """
    weights = {t.metric_id: (1.0 if t.weight is None else t.weight) for t in targets if t.priority != "hidden"}
    total = weighted = 0.0
    for row in latest_attainment(frame).itertuples(index=False):
        weight = weights.get(row.metric_id, 0.0)
        if row.period_attainment is None or weight <= 0:
            continue
        total += weight
        weighted += weight * min(1.0, max(0.0, row.period_attainment))
    return None if total == 0 else tidy(100 * weighted / total)
