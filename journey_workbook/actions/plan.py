"""``plan``: period milestones for targets without plan rows, and the default calendar.

Rows the user already has are never changed, and running it twice adds nothing: a plan is
added only for a metric with no plan rows at all, and a calendar entry only where the
calendar has none of its kind yet (the kick-off, each stage, each period's review, the
renewal review), so a generated row the user re-dated or re-worded is not added again.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from journey_workbook import formats
from journey_workbook.actions.common import (close, notice_days, open_file, read,
                                           renewal_date, save)
from journey_workbook.book.base import Backend
from journey_workbook.core.periods import Period
from journey_workbook.core.plan import decompose, default_calendar
from journey_workbook.core.values import is_blank
from journey_workbook.reader import read_journey
from journey_workbook.report import Report
from journey_workbook.schema import ENUMS, table
from journey_workbook.writer import in_table_order

TOPICS_ZH = {
    "kickoff": "项目启动会",
    "stage": "{stage}完成",
    "review": "{period} 复盘：{metrics}",
    "review_without_metrics": "{period} 复盘",
    "renewal": "续约评审（续约日 {renewal_date}）",
}
_KIND_TO_TYPE = {"kickoff": "kickoff", "stage": "milestone", "review": "review",
                 "renewal": "renewal"}


@dataclass
class PlanResult:
    plan_rows: int = 0
    calendar_rows: int = 0
    planned_metrics: list[str] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    path: str = ""

    def lines(self) -> list[str]:
        out = [f"warning {i.text()}" if i.severity == "warning" else f"skipped {i.text()}"
               for i in self.report.issues]
        out.append(f"Added {self.plan_rows} plan row(s) for {len(self.planned_metrics)} "
                   f"metric(s) and {self.calendar_rows} calendar row(s)"
                   + (f" to {self.path}" if self.path else "") + ".")
        if self.report.errors:
            out.append(f"{len(self.report.errors)} problem(s) above kept rows from being added: "
                       "fix them and run plan again.")
        elif not self.plan_rows and not self.calendar_rows:
            out.append("Nothing to add: every target already has a plan and the calendar is "
                       "complete.")
        return out


def plan(book: Backend, parts=("plan", "calendar")) -> PlanResult:
    """Add the missing plan rows and/or calendar rows (``parts``) to the open workbook."""
    journey, report = read(book)
    result = PlanResult(report=report)
    if "plan" in parts:
        book.status("Generating the period plan...")
        _add_plan(book, journey, result)
        if result.plan_rows:
            # The new rows answer "there is no plan row for ..." on the Actuals sheet: report
            # what is still wrong, not what this run just fixed.
            _, result.report = read_journey(book)
    if "calendar" in parts:
        if "plan" not in parts:  # review topics name the metrics due: use the full plan
            journey.plan.extend(p for t in journey.targets
                                if t.metric_id not in {q.metric_id for q in journey.plan}
                                for p in decompose(t, journey.cadence))
        book.status("Generating the milestone calendar...")
        _add_calendar(book, journey, result)
    return result


def plan_file(path, parts=("plan", "calendar")) -> PlanResult:
    book = open_file(path)
    try:
        result = plan(book, parts)
        if result.plan_rows or result.calendar_rows:
            save(book)
    finally:
        close(book)
    result.path = str(path)
    return result


def _ids_in(book: Backend, table_name: str) -> set[str]:
    raw = book.read_table(table_name)
    if raw is None:
        return set()
    from journey_workbook.schema.tables import header_map, normalise_header

    names = header_map(table(table_name))
    cols = [j for j, h in enumerate(raw.headers) if names.get(normalise_header(h)) == "metric_id"]
    if not cols:
        return set()
    return {str(r[cols[0]]).strip() for r in raw.rows if not is_blank(r[cols[0]])}


def _add_plan(book: Backend, journey, result: PlanResult) -> None:
    if "tblPlan" not in journey.raw:
        return
    have = _ids_in(book, "tblPlan")
    rows, fmts = [], []
    for target in journey.targets:
        # Hidden targets are planned too: they are tracked, only kept off the client's view,
        # and their actuals need plan rows to be accepted.
        if target.metric_id in have:
            continue
        points = decompose(target, journey.cadence)
        journey.plan.extend(points)
        unit_fmt = formats.unit_format(target.unit)
        for p in points:
            rows.append([target.metric_id, p.period.label, p.period.end, p.planned])
            fmts.append([None, "@", formats.DATE, unit_fmt])
        if points:
            result.planned_metrics.append(target.metric_id)
    if rows:
        book.append_rows("tblPlan", _order(rows, "tblPlan", journey), _order(fmts, "tblPlan", journey))
    result.plan_rows = len(rows)


def _order(rows, table_name, journey):
    """Rows are built in schema column order; put them in the order the table has now."""
    return in_table_order(journey.raw[table_name], table_name, rows)


def _csm_from_roles(role_owners: dict[str, str]) -> str:
    """The person on the Roles sheet whose role is CSM, in either language."""
    by_role = {role.strip().casefold(): person for role, person in role_owners.items()}
    return next((by_role[r] for r in _CSM_ROLES if r in by_role), "")


_CSM_ROLES = ("csm", "客户成功经理")  # the role as seeded on the Roles sheet, en and zh-CN


def _people(journey, side: str) -> str:
    return ", ".join(r["person"] for r in journey.roles if r["side"] == side and r["person"])


def _add_calendar(book: Backend, journey, result: PlanResult) -> None:
    if "tblCalendar" not in journey.raw:
        return
    start = journey.client.get("contract_start")
    if start is None:
        client = journey.raw.get("tblClient")
        result.report.add("missing-contract-start", "The calendar needs the contract start",
                          "Fill in Contract start on the Client sheet, then run plan again.",
                          sheet=client.sheet if client else None, table="tblClient",
                          severity="warning")
        return
    lang = journey.lang
    role_owners = {r["role"]: r["person"] for r in journey.roles if r["role"] and r["person"]}
    milestones = default_calendar(
        start, journey.backbone, journey.targets, journey.cadence,
        renewal_date=renewal_date(journey),
        notice_days=notice_days(journey), plan=journey.plan,
        our_participants=_people(journey, "ours"), client_participants=_people(journey, "client"),
        owner=journey.client.get("csm") or _csm_from_roles(role_owners), role_owners=role_owners,
        topics=TOPICS_ZH if lang != "en" else None)
    existing = journey.calendar
    rows, fmts = [], []
    for m in milestones:
        if _already_there(m, existing, journey.cadence):
            continue
        rows.append([m.when, ENUMS["calendar_type"].label(_KIND_TO_TYPE[m.kind], lang),
                     m.stage_id or None, m.topic, ", ".join(m.metrics) or None,
                     m.our_participants or None, m.client_participants or None,
                     m.owner or None, ENUMS["calendar_status"].label("planned", lang), None, None])
        fmts.append([formats.DATE] + [None] * 8 + [formats.DATE, None])
    if rows:
        book.append_rows("tblCalendar", _order(rows, "tblCalendar", journey),
                         _order(fmts, "tblCalendar", journey))
    result.calendar_rows = len(rows)


def _already_there(m, existing, cadence: str) -> bool:
    kind = _KIND_TO_TYPE[m.kind]
    for e in existing:
        if m.kind == "stage":
            if e.stage_id and e.stage_id == m.stage_id:
                return True
        elif m.kind == "review":
            if e.kind == "review" and Period.containing(e.when, cadence) == Period.containing(m.when, cadence):
                return True
        elif e.kind == kind:
            return True
    return False
