"""``refresh``: validate, compute attainment and risks, write Attainment, the Dashboard's
headline figures and risk flags, and redraw the charts. Nothing is written when validation
finds errors."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Optional

from journey_workbook.actions.common import (close, notice_days, open_file, read,
                                           renewal_date, save)
from journey_workbook.book.base import Backend
from journey_workbook.core.attainment import compute_attainment, health_score
from journey_workbook.core.risks import find_risks, headline
from journey_workbook.reader import report_missing_table
from journey_workbook.report import Report
from journey_workbook.schema import table, texts
from journey_workbook.writer import attainment_rows, in_table_order, risk_rows

OUTPUT_TABLES = ("tblAttainment", "tblRisks")


@dataclass
class RefreshResult:
    ok: bool
    report: Report
    as_of: Optional[date] = None
    health: Optional[float] = None
    headline: object = None
    risks: list = field(default_factory=list)
    rows: int = 0
    charts: list[str] = field(default_factory=list)
    path: str = ""

    def lines(self) -> list[str]:
        out = [("ERROR   " if i.severity == "error" else "warning ") + i.text()
               for i in self.report.issues]
        if not self.ok:
            out.append(f"Not refreshed: {len(self.report.errors)} error(s) to fix first; "
                       "the workbook was not changed.")
            return out
        h = self.headline
        score = "n/a (no actuals yet)" if self.health is None else f"{self.health:.1f}"
        days = "n/a" if h.days_to_renewal is None else str(h.days_to_renewal)
        out.append(f"Refreshed {self.path or 'the workbook'} as of {self.as_of}: {self.rows} "
                   f"attainment row(s), health score {score}, {h.metrics_at_risk} metric(s) at "
                   f"risk, {h.overdue_milestones} overdue milestone(s), {days} day(s) to renewal, "
                   f"{len(self.charts)} chart(s).")
        for r in self.risks:
            out.append(f"  risk: {r.kind}: {r.item}: {r.detail}")
        return out


def _as_of(journey, as_of: Optional[date]) -> date:
    """An explicit date wins; else the Settings row "As of"; else today."""
    return as_of or journey.settings.get("as_of") or date.today()


def refresh(book: Backend, as_of: Optional[date] = None, charts: bool = True,
            progress: Callable[[str], None] = lambda s: None) -> RefreshResult:
    def step(text):
        progress(text)
        book.status(text)

    step("Reading and checking the workbook...")
    journey, report = read(book)
    check_outputs(book, journey, report)
    if not report.valid:
        return RefreshResult(False, report)
    as_of = _as_of(journey, as_of)
    step("Computing attainment...")
    frame = compute_attainment(journey.targets, journey.plan, journey.actuals, as_of,
                               journey.thresholds)
    health = health_score(journey.targets, frame)
    renewal = renewal_date(journey)
    notice = notice_days(journey)
    risks = find_risks(journey.targets, frame, journey.calendar, as_of, renewal, notice, health)
    head = headline(journey.targets, risks, journey.calendar, as_of, renewal, health)
    lang = journey.lang
    units = {t.metric_id: t.unit for t in journey.targets}

    step("Writing Attainment and the Dashboard...")
    rows, fmts = attainment_rows(frame, units, lang)
    raw = book.read_table("tblAttainment")
    book.write_table("tblAttainment", in_table_order(raw, "tblAttainment", rows),
                     in_table_order(raw, "tblAttainment", fmts))
    raw_risks = book.read_table("tblRisks")
    book.write_table("tblRisks", in_table_order(raw_risks, "tblRisks", risk_rows(risks, lang)))
    book.write_name("jw_as_of", as_of, "yyyy-mm-dd")
    book.write_name("jw_health_score", None if health is None else round(health, 1), "0.0")
    book.write_name("jw_days_to_renewal", head.days_to_renewal, "0")
    book.write_name("jw_overdue_milestones", head.overdue_milestones, "0")
    book.write_name("jw_metrics_at_risk", head.metrics_at_risk, "0")
    result = RefreshResult(True, report, as_of, health, head, risks, len(rows))
    if charts:
        from journey_workbook.actions.draw import draw_charts

        result.charts = draw_charts(book, journey, frame, as_of, step)
    return result


def check_outputs(book: Backend, journey, report: Report) -> None:
    """Everything refresh writes must be there before anything is written: a workbook whose
    Attainment table or a headline name was deleted gets a message, not a half-written file."""
    for name in OUTPUT_TABLES:
        if book.read_table(name) is None:
            found = len(report.issues)
            report_missing_table(book, name, journey.lang, report, required=False)
            if len(report.issues) > found:  # converted to a range: said where it is
                continue
            tbl = table(name)
            report.add("missing-table", f"The workbook has no table named {name} (sheet "
                       f"'{tbl.sheet_en}' / '{tbl.sheet_zh}'), where refresh writes its results",
                       "Copy the sheet from the template (templates/journey_template.xlsx), or "
                       "rename the table back to " + name + " (Table Design > Table Name).",
                       sheet=tbl.sheet(journey.lang), table=name)
    for name, row, *_ in texts.HEADLINES:
        try:
            book.read_name(name)
        except KeyError:
            report.add("missing-name", f"The workbook has no defined name {name}, the cell "
                       "where refresh writes that headline figure",
                       f"Define it again (Formulas > Name Manager > New: {name}, refers to "
                       f"the Dashboard's cell B{row}).", sheet=table("tblRisks").sheet(
                           journey.lang), cell=f"B{row}", table="tblRisks")


def refresh_file(path, as_of: Optional[date] = None, charts: bool = True,
                 progress: Callable[[str], None] = lambda s: None) -> RefreshResult:
    book = open_file(path)
    try:
        result = refresh(book, as_of, charts, progress)
        if result.ok:
            progress("Saving...")
            save(book)
    finally:
        close(book)
    result.path = str(path)
    return result


def redraw(book: Backend, as_of: Optional[date] = None,
           progress: Callable[[str], None] = lambda s: None) -> RefreshResult:
    """Redraw the charts only: compute as refresh does, write no table or figure."""
    journey, report = read(book)
    if not report.valid:
        return RefreshResult(False, report)
    as_of = _as_of(journey, as_of)
    frame = compute_attainment(journey.targets, journey.plan, journey.actuals, as_of,
                               journey.thresholds)
    from journey_workbook.actions.draw import draw_charts

    def step(text):
        progress(text)
        book.status(text)

    result = RefreshResult(True, report, as_of, health_score(journey.targets, frame))
    result.headline = headline(journey.targets, [], journey.calendar, as_of,
                               renewal_date(journey), result.health)
    result.charts = draw_charts(book, journey, frame, as_of, step)
    return result
