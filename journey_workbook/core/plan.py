"""The generated parts of a journey: the period plan of each target and the default calendar.

Rounding of plan values (decided here, documented for the lead):
- ``percent``: to 0.1 percentage point (3 decimals of the fraction); if that makes the plan
  not strictly monotone from the baseline (e.g. 5% -> 5.2% over four quarters), every value
  of that plan gets 0.01 point (4 decimals); if still not, the values stay unrounded.
- ``count`` / ``currency``: whole numbers, else 1 then 2 decimals, else unrounded.
- ``score`` / ``days`` (and unknown units): 1 decimal, else 2, else unrounded.
- Halves round up (Decimal arithmetic, so 6.25% -> 6.3%, not a float-noise accident).
- The last period is always exactly the target; one precision applies to a whole plan.
Strict monotonicity matters because a plan value equal to the baseline makes the period's
attainment a division by zero.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

from journey_workbook.core.attainment import effective_baseline
from journey_workbook.core.model import Milestone, PlanPoint, Stage, Target
from journey_workbook.core.periods import Period, periods_between

_PRECISIONS = {"percent": (3, 4), "count": (0, 1, 2), "currency": (0, 1, 2), "score": (1, 2), "days": (1, 2)}


def _decimal(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def ramp_start(target: Target) -> Optional[float]:
    """The value the plan ramps from, or ``None`` when every period simply equals the target.

    Flat plans: no baseline (a cumulative target's baseline is 0, see
    :func:`effective_baseline`), a baseline equal to the target, and thresholds the baseline
    already satisfies (``at_least`` with baseline >= target, ``at_most`` with baseline <=
    target). Otherwise the plan ramps linearly, thresholds included.
    """
    baseline = effective_baseline(target)
    if baseline is None or baseline == target.target:
        return None
    if target.direction == "at_least" and baseline >= target.target:
        return None
    if target.direction == "at_most" and baseline <= target.target:
        return None
    return baseline


def _strictly_monotone(values: Sequence[Decimal]) -> bool:
    ups = all(a < b for a, b in zip(values, values[1:]))
    return ups or all(a > b for a, b in zip(values, values[1:]))


def plan_values(target: Target, count: int) -> list[float]:
    """``count`` plan values t_k = b + (T - b)·k/count for k = 1..count, rounded for the unit.

    The last value is exactly ``target.target``. See the module docstring for rounding.
    """
    if count <= 0:
        return []
    start = ramp_start(target)
    if start is None:
        return [float(target.target)] * count
    b, t = _decimal(start), _decimal(target.target)
    exact = [b + (t - b) * k / count for k in range(1, count)]
    for decimals in _PRECISIONS.get(target.unit, (1, 2)):
        step = Decimal(1).scaleb(-decimals)
        rounded = [x.quantize(step, rounding=ROUND_HALF_UP) for x in exact]
        if _strictly_monotone([b, *rounded, t]):
            return [float(x) for x in rounded] + [float(target.target)]
    return [float(f"{float(x):.12g}") for x in exact] + [float(target.target)]


def decompose(target: Target, cadence: str) -> list[PlanPoint]:
    """One plan point per period between the target's Start and Due (inclusive), in order.

    Empty when Due is before Start. ``planned`` is in the target's unit (fractions for
    percent); for cumulative targets it is the running total to reach by that period end.
    """
    periods = periods_between(target.start, target.due, cadence)
    values = plan_values(target, len(periods))
    return [PlanPoint(target.metric_id, period, value) for period, value in zip(periods, values)]


# --- the default calendar ------------------------------------------------------------------

DEFAULT_TOPICS = {
    "kickoff": "Kick-off",
    "stage": "{stage} complete",
    "review": "{period} review: {metrics}",
    "review_without_metrics": "{period} review",
    "renewal": "Renewal review (renewal on {renewal_date})",
}
_KIND_ORDER = {"kickoff": 0, "stage": 1, "review": 2, "renewal": 3}


def _stage_of(record: Any) -> Stage:
    """A :class:`Stage` from a Stage, or a mapping/object with stage_id, order, name (or
    stage), owner_role and weeks."""
    if isinstance(record, Stage):
        return record
    if isinstance(record, Mapping):
        get = record.get
    else:
        def get(key: str, default: Any = None) -> Any:
            return getattr(record, key, default)
    return Stage(stage_id=str(get("stage_id") or ""), order=get("order") or 0,
                 name=str(get("name") or get("stage") or ""), owner_role=str(get("owner_role") or ""),
                 weeks=get("weeks"))


def _stage_milestones(contract_start: date, stages: Iterable[Any], role_owners: Mapping[str, str],
                      topics: Mapping[str, str], common: dict) -> list[Milestone]:
    """One milestone per stage, at the end of its typical duration counted from the start."""
    ordered = sorted((_stage_of(s) for s in stages), key=lambda s: s.order)  # sorted() is stable
    weeks_so_far = 0.0
    milestones = []
    for stage in ordered:
        weeks_so_far += max(0.0, float(stage.weeks or 0))
        milestones.append(Milestone(
            when=contract_start + timedelta(days=round(7 * weeks_so_far)), kind="stage",
            topic=topics["stage"].format(stage=stage.name), stage_id=stage.stage_id,
            owner=role_owners.get(stage.owner_role, stage.owner_role), **common))
    return milestones


def _review_milestones(contract_start: date, targets: Sequence[Target], plan: Iterable[PlanPoint],
                       cadence: str, horizon: Optional[date], topics: Mapping[str, str], owner: str,
                       common: dict) -> list[Milestone]:
    """A review at each period end from the contract start to the last plan period (or the
    horizon, if there is no plan), naming the metrics planned for that period."""
    shown = {t.metric_id: t.metric for t in targets if t.priority != "hidden"}
    due: dict[Period, list[str]] = {}
    for point in plan:
        if point.metric_id in shown and point.metric_id not in due.setdefault(point.period, []):
            due[point.period].append(point.metric_id)
    last = max((p.end for p in due), default=horizon)
    if last is None:
        return []
    milestones = []
    for period in periods_between(contract_start, last, cadence):
        ids = tuple(m for m in shown if m in due.get(period, []))  # in target order
        names = ", ".join(shown[m] for m in ids)
        topic = topics["review" if ids else "review_without_metrics"].format(period=period.label, metrics=names)
        milestones.append(Milestone(when=period.end, kind="review", topic=topic, metrics=ids, owner=owner, **common))
    return milestones


def default_calendar(contract_start: date, stages: Iterable[Any], targets: Sequence[Target], cadence: str, *,
                     renewal_date: Optional[date] = None, notice_days: int = 90,
                     plan: Optional[Iterable[PlanPoint]] = None, our_participants: str = "",
                     client_participants: str = "", owner: str = "",
                     role_owners: Optional[Mapping[str, str]] = None,
                     topics: Optional[Mapping[str, str]] = None) -> list[Milestone]:
    """The default milestone calendar, sorted by date (kick-off, stage, review, renewal on a tie).

    - ``kickoff`` on ``contract_start``.
    - ``stage``: one per backbone stage (``Stage`` records or mappings), in stage order, dated
      ``contract_start`` + the stages' typical weeks accumulated up to and including it.
    - ``review`` at each period end from the contract start through the last plan period
      (through ``renewal_date`` when there is no plan); ``metrics`` holds the IDs of non-hidden
      targets planned for that period. ``plan`` defaults to :func:`decompose` of each target.
    - ``renewal``: ``notice_days`` before ``renewal_date`` (none without a renewal date).
    Participants are plain strings from the roles table, copied onto every row; ``owner``
    (usually the CSM) owns meetings; a stage's owner is ``role_owners[owner_role]``, or the role
    itself. ``topics`` overrides :data:`DEFAULT_TOPICS` (format keys: stage, period, metrics,
    renewal_date), e.g. for a Chinese workbook. Every row is ``planned``.
    """
    topics = {**DEFAULT_TOPICS, **(topics or {})}
    common = {"our_participants": our_participants, "client_participants": client_participants}
    if plan is None:
        plan = [point for target in targets for point in decompose(target, cadence)]
    milestones = [Milestone(when=contract_start, kind="kickoff", topic=topics["kickoff"], owner=owner, **common)]
    milestones += _stage_milestones(contract_start, stages, role_owners or {}, topics, common)
    milestones += _review_milestones(contract_start, targets, plan, cadence, renewal_date, topics, owner, common)
    if renewal_date is not None:
        milestones.append(Milestone(
            when=renewal_date - timedelta(days=notice_days), kind="renewal", owner=owner,
            topic=topics["renewal"].format(renewal_date=renewal_date.isoformat()), **common))
    return sorted(milestones, key=lambda m: (m.when, _KIND_ORDER[m.kind]))
