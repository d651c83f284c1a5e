"""Risk flags and the dashboard's headline figures.

A :class:`Risk` carries a canonical ``kind`` (the writer localises it), the ``item`` it is
about (a metric name, a milestone topic, or ``"Renewal"``), an English ``detail`` with
readable numbers, and the language-neutral ``facts`` behind the detail (raw numbers, dates
and period labels) so that a localised detail can be rebuilt without parsing text.

What raises a flag:
- ``off_track`` / ``at_risk``: the status of a metric's latest period with an actual
  (an earlier bad period that has since recovered is history, not a risk).
- ``forecast_shortfall``: a forecast attainment below 1 (compared like statuses, to 9 decimals).
- ``missing_data``: each period that is over and has no actual.
- ``overdue_milestone``: a calendar row still ``planned`` dated before the as-of date.
- ``renewal_approaching``: the renewal date is at most ``notice_days`` away (or has passed).
Flags are ordered by kind in that order, then by target / calendar order.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional

import pandas as pd

from journey_workbook.core.attainment import latest_attainment
from journey_workbook.core.model import Milestone, Target
from journey_workbook.core.values import display_ratio, display_value

KINDS = ("off_track", "at_risk", "forecast_shortfall", "missing_data", "overdue_milestone", "renewal_approaching")
METRIC_KINDS = frozenset({"off_track", "at_risk", "forecast_shortfall", "missing_data"})


@dataclass(frozen=True)
class Risk:
    """One row of tblRisks: ``kind`` is one of :data:`KINDS`."""

    kind: str
    item: str
    detail: str
    metric_id: str = ""
    period: str = ""
    facts: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Headline:
    """The Dashboard's single-cell figures (defined names ``jw_*``)."""

    as_of: date
    health_score: Optional[float]
    days_to_renewal: Optional[int]
    overdue_milestones: int
    metrics_at_risk: int


def _status_risks(frame: pd.DataFrame, units: dict[str, str]) -> list[Risk]:
    risks = []
    for row in latest_attainment(frame).itertuples(index=False):
        if row.status not in ("off_track", "at_risk"):
            continue
        unit = units.get(row.metric_id, "count")
        detail = (f"{row.period} attainment {display_ratio(row.period_attainment)} "
                  f"(plan {display_value(row.planned, unit)}, actual {display_value(row.actual, unit)})")
        facts = {"period": row.period, "attainment": row.period_attainment, "planned": row.planned,
                 "actual": row.actual, "unit": unit}
        risks.append(Risk(row.status, row.metric, detail, row.metric_id, row.period, facts))
    return risks


def _forecast_risks(frame: pd.DataFrame, targets: dict[str, Target]) -> list[Risk]:
    risks = []
    for row in frame.groupby("metric_id", sort=False).tail(1).itertuples(index=False):
        ratio = row.forecast_attainment
        if ratio is None or round(ratio, 9) >= 1 or row.metric_id not in targets:
            continue
        target = targets[row.metric_id]
        detail = (f"forecast {display_value(row.forecast, target.unit)} by {row.period}: {display_ratio(ratio)} "
                  f"of the way from baseline to target {display_value(target.target, target.unit)}")
        facts = {"period": row.period, "forecast": row.forecast, "forecast_attainment": ratio,
                 "target": target.target, "unit": target.unit}
        risks.append(Risk("forecast_shortfall", row.metric, detail, row.metric_id, row.period, facts))
    return risks


def _missing_risks(frame: pd.DataFrame) -> list[Risk]:
    return [Risk("missing_data", row.metric, f"{row.period} has no actual (period ended {row.period_end.isoformat()})",
                 row.metric_id, row.period, {"period": row.period, "period_end": row.period_end})
            for row in frame[frame["status"] == "missing"].itertuples(index=False)]


def is_overdue(milestone: Milestone, as_of: date) -> bool:
    """Still ``planned`` and dated before ``as_of``."""
    return milestone.status == "planned" and milestone.when < as_of


def _milestone_risks(milestones: Sequence[Milestone], as_of: date) -> list[Risk]:
    risks = []
    for m in milestones:
        if not is_overdue(m, as_of):
            continue
        days = (as_of - m.when).days
        detail = f"planned for {m.when.isoformat()}, {days} days overdue" + (f"; owner {m.owner}" if m.owner else "")
        facts = {"date": m.when, "days_overdue": days, "owner": m.owner, "kind": m.kind}
        risks.append(Risk("overdue_milestone", m.topic, detail, facts=facts))
    return risks


def _renewal_risk(as_of: date, renewal_date: Optional[date], notice_days: int,
                  health: Optional[float]) -> list[Risk]:
    if renewal_date is None or (renewal_date - as_of).days > notice_days:
        return []
    days = (renewal_date - as_of).days
    when = f"in {days} days" if days >= 0 else f"passed {-days} days ago"
    score = "no health score yet" if health is None else f"health score {health:.1f}"
    detail = f"renewal on {renewal_date.isoformat()}, {when}; {score}"
    facts = {"renewal_date": renewal_date, "days_to_renewal": days, "health_score": health}
    return [Risk("renewal_approaching", "Renewal", detail, facts=facts)]


def find_risks(targets: Sequence[Target], frame: pd.DataFrame, milestones: Sequence[Milestone], as_of: date,
               renewal_date: Optional[date], notice_days: int, health: Optional[float]) -> list[Risk]:
    """All risk flags, ordered by :data:`KINDS` then by target / calendar order.

    ``frame`` is :func:`compute_attainment`'s output; rows of hidden targets are ignored even
    if present. ``health`` (0-100 or ``None``) is quoted in the renewal flag.
    """
    hidden = {t.metric_id for t in targets if t.priority == "hidden"}
    frame = frame[~frame["metric_id"].isin(hidden)]
    shown = {t.metric_id: t for t in targets if t.priority != "hidden"}
    risks = (_status_risks(frame, {m: t.unit for m, t in shown.items()}) + _forecast_risks(frame, shown)
             + _missing_risks(frame) + _milestone_risks(milestones, as_of)
             + _renewal_risk(as_of, renewal_date, notice_days, health))
    return sorted(risks, key=lambda r: KINDS.index(r.kind))  # stable: keeps order within a kind


def headline(targets: Sequence[Target], risks: Sequence[Risk], milestones: Sequence[Milestone], as_of: date,
             renewal_date: Optional[date], health: Optional[float]) -> Headline:
    """Headline figures: days to renewal (negative once passed, ``None`` without a date), the
    count of overdue calendar rows, and the count of distinct non-hidden metrics with an
    off_track / at_risk / missing_data / forecast_shortfall flag."""
    shown = {t.metric_id for t in targets if t.priority != "hidden"}
    at_risk = {r.metric_id for r in risks if r.kind in METRIC_KINDS and r.metric_id in shown}
    return Headline(
        as_of=as_of, health_score=health,
        days_to_renewal=None if renewal_date is None else (renewal_date - as_of).days,
        overdue_milestones=sum(is_overdue(m, as_of) for m in milestones),
        metrics_at_risk=len(at_risk),
    )
