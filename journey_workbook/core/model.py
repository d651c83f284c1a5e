"""Plain records that the readers build from the workbook and the core computes on.

Units: every ratio and every percent value is a fraction (0.05 is 5%). Dates are
``datetime.date``. A period is a :class:`journey_workbook.core.periods.Period`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from journey_workbook.core.periods import Period


@dataclass(frozen=True)
class Metric:
    """One option of the metric catalog (tblCatalog)."""

    metric_id: str
    name: str
    phase: str = ""
    goal: str = ""
    unit: str = "count"  # percent | count | currency | score | days
    direction: str = "increase"  # increase | decrease | at_least | at_most
    aggregation: str = "level"  # level | cumulative
    industries: tuple[str, ...] = ()
    benchmark: Optional[float] = None
    definition: str = ""


@dataclass(frozen=True)
class Target:
    """A configured target (tblTargets), already merged with its catalog metric."""

    metric_id: str
    metric: str
    direction: str
    unit: str
    aggregation: str
    baseline: Optional[float]
    target: float
    start: date
    due: date
    weight: float = 1.0
    priority: str = "normal"  # key | normal | hidden
    stage_id: str = ""


@dataclass(frozen=True)
class PlanPoint:
    """A period milestone (tblPlan). For cumulative metrics ``planned`` is the running total."""

    metric_id: str
    period: Period
    planned: float


@dataclass(frozen=True)
class Actual:
    """A measurement (tblActuals). For cumulative metrics ``actual`` is that period's amount."""

    metric_id: str
    period: Period
    actual: float


@dataclass(frozen=True)
class Thresholds:
    """Lower bounds (inclusive) of the attainment statuses."""

    achieved: float = 1.0
    on_track: float = 0.9
    at_risk: float = 0.7


@dataclass(frozen=True)
class Milestone:
    """A calendar row (tblCalendar). ``kind`` is the Type column's canonical key; the
    calendar :func:`journey_workbook.core.plan.default_calendar` writes ``kickoff``,
    ``stage``, ``review`` and ``renewal``. ``metrics`` holds metric IDs."""

    when: date
    kind: str
    topic: str
    status: str = "planned"  # planned | done | cancelled
    stage_id: str = ""
    owner: str = ""
    metrics: tuple[str, ...] = ()
    our_participants: str = ""
    client_participants: str = ""
    done_on: Optional[date] = None
    notes: str = ""


@dataclass(frozen=True)
class Stage:
    """A backbone stage (tblBackbone) as far as the calendar needs it. ``weeks`` is the
    stage's typical duration in weeks (``None`` or 0: no time of its own)."""

    stage_id: str
    order: int
    name: str
    owner_role: str = ""
    weeks: Optional[float] = None
    customer_view: str = ""
    service_view: str = ""
    exit_criteria: str = ""
