"""Reads a journey workbook through a backend into core records, and validates it.

Tables are found by name, columns by header text in either language, so sheets and columns
may be renamed, reordered or translated. Every problem becomes an Issue that names the sheet,
the cell, the value, what is wrong and how to fix it; nothing here raises on bad input.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterator, Optional

from journey_workbook.book.base import Backend, RawTable
from journey_workbook.core.model import (Actual, Metric, Milestone, PlanPoint, Target,
                                         Thresholds)
from journey_workbook.core.periods import Period, periods_between
from journey_workbook.core.values import (ValueProblem, is_blank, parse_date, parse_number,
                                          parse_percent, parse_period, parse_value)
from journey_workbook.report import Report
from journey_workbook.schema import TABLES, parse_enum, table
from journey_workbook.schema.fields import CLIENT_FIELDS, SETTINGS, Field, field_lookup
from journey_workbook.schema.tables import Table, header_map, normalise_header

REQUIRED_TABLES = ("tblClient", "tblCatalog", "tblTargets", "tblPlan", "tblActuals")


@dataclass
class Journey:
    """Everything read from one workbook, ready for core."""

    lang: str = "en"
    cadence: str = "quarter"
    client: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    thresholds: Thresholds = field(default_factory=Thresholds)
    catalog: dict[str, Metric] = field(default_factory=dict)
    backbone: list[dict] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    plan: list[PlanPoint] = field(default_factory=list)
    actuals: list[Actual] = field(default_factory=list)
    calendar: list[Milestone] = field(default_factory=list)
    roles: list[dict] = field(default_factory=list)
    raw: dict[str, RawTable] = field(default_factory=dict)
    #: metric IDs with a row on the Targets sheet, valid or not: their plan and actual rows
    #: are not reported again when the target row itself has a problem
    listed: set[str] = field(default_factory=set)
    #: whether tblTargets / tblPlan could be read at all; when not, rows that refer to them
    #: are not cross-checked (every one would be flagged for the one missing column)
    targets_read: bool = False
    plan_read: bool = False

    def target(self, metric_id: str) -> Optional[Target]:
        return next((t for t in self.targets if t.metric_id == metric_id), None)


class _Rows:
    """A table's body with columns resolved by header; yields row accessors."""

    def __init__(self, raw: RawTable, tbl: Table, report: Report):
        self.raw, self.tbl, self.report = raw, tbl, report
        self.offset: dict[str, int] = {}
        names = header_map(tbl)
        for j, text in enumerate(raw.headers):
            key = names.get(normalise_header(text))
            if key is None:
                continue
            if key in self.offset:
                report.add("duplicate-column",
                           f"Table {tbl.name} has the column '{text}' twice; the first one is read",
                           "Rename or delete the second column.", sheet=raw.sheet,
                           cell=raw.header_cell(j), value=text, table=tbl.name, severity="warning")
                continue
            self.offset[key] = j
        self.ok = True
        for col in tbl.columns:
            if col.required and col.key not in self.offset:
                self.ok = False
                report.add("missing-column",
                           f"Table {tbl.name} has no column '{col.en}' ('{col.zh}')",
                           f"Add a column with the header '{col.en}' or '{col.zh}' to the table "
                           "(Table Design > Resize Table), or undo the deletion.",
                           sheet=raw.sheet, cell=raw.header_cell(0), table=tbl.name)
        for r, values in raw.below:
            if any(not is_blank(v) for v in values):
                report.add("row-outside-table",
                           f"Row {r} is just below table {tbl.name} but not part of it, so it is "
                           "not read", "Extend the table over it: drag the resize handle at the "
                           "table's bottom-right corner, or Table Design > Resize Table.",
                           sheet=raw.sheet, cell=f"{_letter(raw.min_col)}{r}", table=tbl.name,
                           severity="warning")

    def __iter__(self) -> Iterator["_Row"]:
        for i, values in enumerate(self.raw.rows):
            if all(is_blank(v) for v in values):
                continue
            yield _Row(self, i, values)


def _letter(col: int) -> str:
    from journey_workbook.book.cells import column_letter

    return column_letter(col)


class _Row:
    def __init__(self, rows: _Rows, index: int, values: list):
        self.rows, self.index, self.values = rows, index, values

    def has(self, key: str) -> bool:
        return key in self.rows.offset

    def raw(self, key: str) -> Any:
        j = self.rows.offset.get(key)
        return None if j is None or j >= len(self.values) else self.values[j]

    def cell(self, key: str) -> str:
        j = self.rows.offset.get(key, 0)
        return self.rows.raw.cell(self.index, j)

    def issue(self, key: str, code: str, message: str, hint: str = "", severity="error",
              value: Any = None) -> None:
        self.rows.report.add(code, message, hint, sheet=self.rows.raw.sheet, cell=self.cell(key),
                             value=self.raw(key) if value is None else value,
                             table=self.rows.tbl.name, severity=severity)

    def get(self, key: str, parse: Callable[[Any], Any], required: bool = False,
            what: str = "", label: str = "") -> Any:
        """The parsed value of column ``key``; None (and an issue) when it cannot be read.
        ``label`` names the value in messages instead of the column (key-value tables)."""
        from journey_workbook.book.filebook import FormulaWithoutValue

        value = self.raw(key)
        col = self.rows.tbl.column(key)
        if label:
            from dataclasses import replace

            col = replace(col, en=label)
        if isinstance(value, FormulaWithoutValue):
            self.issue(key, "formula-without-value",
                       f"{col.en} is a formula that has never been calculated",
                       "Open and save the workbook in Excel or LibreOffice so the formula is "
                       "calculated, or type the value.")
            return None
        if is_blank(value):
            if required:
                self.issue(key, "missing-value", f"{col.en} is required{what}",
                           f"Fill in {col.en}.")
            return None
        try:
            return parse(value)
        except ValueProblem as problem:
            self.issue(key, problem.code, f"{col.en}: {problem.message}",
                       problem.hint[:1].upper() + problem.hint[1:] if problem.hint else "")
            return None

    def text(self, key: str, required: bool = False) -> str:
        value = self.get(key, lambda v: str(v).strip(), required)
        return value or ""

    def enum(self, key: str, enum: str, required: bool = False) -> Optional[str]:
        from journey_workbook.schema import ENUMS

        def parse(v):
            found = parse_enum(enum, v)
            if found is None:
                choices = ", ".join(ENUMS[enum].labels(self.rows.report_lang))
                raise ValueProblem(f"unknown-{enum.replace('_', '-')}",
                                   f"{v!r} is not one of the choices",
                                   f"pick one of: {choices}", v)
            return found
        return self.get(key, parse, required)


def read_journey(book: Backend) -> tuple[Journey, Report]:
    """Read and validate every table of the workbook; never raises on bad content."""
    report = Report()
    j = Journey()
    j.lang = book.meta().get("language", "") or _guess_language(book)
    for tbl in TABLES:
        if tbl.owner != "user":
            continue
        raw = book.read_table(tbl.name)
        if raw is None:
            if tbl.name in REQUIRED_TABLES:
                _report_missing_table(book, tbl, j.lang, report)
            continue
        j.raw[tbl.name] = raw
    rows = {}
    for name, raw in j.raw.items():
        r = _Rows(raw, table(name), report)
        r.report_lang = j.lang
        rows[name] = r
    _read_client(j, rows.get("tblClient"), report)
    _read_settings(j, rows.get("tblSettings"), report)
    _read_catalog(j, rows.get("tblCatalog"))
    _read_backbone(j, rows.get("tblBackbone"))
    _read_targets(j, rows.get("tblTargets"))
    _read_plan(j, rows.get("tblPlan"))
    _read_actuals(j, rows.get("tblActuals"))
    _read_calendar(j, rows.get("tblCalendar"))
    _read_roles(j, rows.get("tblRoles"))
    return j, report


def _report_missing_table(book: Backend, tbl: Table, lang: str, report: Report) -> None:
    """A table renamed by hand (Excel's Table1) is found by its headers and named; a table
    that is really gone is reported on the sheet it belongs to."""
    found = _renamed_table(book, tbl)
    if found is not None:
        report.add("missing-table",
                   f"The table {found.name} has the columns of {tbl.name}, but table names must "
                   "stay as they are", f"Rename it back to {tbl.name} (Table Design > Table "
                   "Name).", sheet=found.sheet, cell=found.header_cell(0), value=found.name,
                   table=tbl.name)
        return
    report.add("missing-table",
               f"The workbook has no table named {tbl.name} (sheet '{tbl.sheet_en}' / "
               f"'{tbl.sheet_zh}')",
               "Restore it from a backup or the template: table names must stay as "
               "they are (Table Design > Table Name).", sheet=tbl.sheet(lang), table=tbl.name)


def _renamed_table(book: Backend, tbl: Table) -> Optional[RawTable]:
    known = {t.name.casefold() for t in TABLES}
    names = header_map(tbl)
    required = {c.key for c in tbl.columns if c.required}
    for other in book.table_names():
        if other.casefold() in known:
            continue
        raw = book.read_table(other)
        keys = {names.get(normalise_header(h)) for h in raw.headers} - {None} if raw else set()
        if required <= keys and 2 * len(keys) >= len(tbl.columns):
            return raw
    return None


def _guess_language(book: Backend) -> str:
    sheet = book.sheet_of_table("tblTargets") or ""
    return "zh-CN" if sheet == table("tblTargets").sheet_zh else "en"


def _usable(rows: Optional[_Rows]) -> bool:
    return rows is not None and rows.ok


def _parser_for(kind: str) -> Callable[[Any], Any]:
    return {"date": parse_date, "number": parse_number, "int": parse_number,
            "ratio": parse_percent}.get(kind, lambda v: v if not isinstance(v, str) else v.strip())


def _read_fields(rows: Optional[_Rows], fields: tuple[Field, ...], key_col: str,
                 report: Report) -> dict[str, Any]:
    out = {f.key: f.default for f in fields}
    if not _usable(rows):
        return out
    lookup = field_lookup(fields)
    for row in rows:
        label = row.raw(key_col)
        f = lookup.get(normalise_header(label))
        if f is None:
            row.issue(key_col, "unknown-field", f"'{label}' is not a known {rows.tbl.sheet_en} "
                      "field; it is ignored", "Check the spelling or delete the row.",
                      severity="warning")
            continue
        if f.kind.startswith("enum:"):
            value = row.enum("value", f.kind[5:])
        else:
            value = row.get("value", _parser_for(f.kind), label=f.en)
        if value is not None:
            out[f.key] = value
    return out


def _read_client(j: Journey, rows, report: Report) -> None:
    j.client = _read_fields(rows, CLIENT_FIELDS, "field", report)
    j.cadence = j.client.get("cadence") or "quarter"


def _read_settings(j: Journey, rows, report: Report) -> None:
    j.settings = _read_fields(rows, SETTINGS, "setting", report)
    s = j.settings
    j.thresholds = Thresholds(s["threshold_achieved"], s["threshold_on_track"],
                              s["threshold_at_risk"])
    if not (j.thresholds.achieved >= j.thresholds.on_track >= j.thresholds.at_risk):
        report.add("thresholds-out-of-order", "The status thresholds must go down: achieved >= "
                   "on track >= at risk", "Fix them in Settings.",
                   sheet=rows.raw.sheet if rows else None, table="tblSettings")


def _read_catalog(j: Journey, rows) -> None:
    if not _usable(rows):
        return
    seen: dict[str, str] = {}
    for row in rows:
        mid = row.text("metric_id", required=True)
        if not mid:
            continue
        if mid in seen:
            row.issue("metric_id", "duplicate-metric",
                      f"Metric ID {mid} is already in the catalog at {seen[mid]}",
                      "Give each metric its own ID, or delete the duplicate row.")
            continue
        seen[mid] = row.cell("metric_id")
        unit = row.enum("unit", "unit", required=True) or "count"
        j.catalog[mid] = Metric(
            metric_id=mid, name=row.text("metric", required=True) or mid,
            phase=row.enum("phase", "phase") or "", goal=row.enum("goal", "goal") or "",
            unit=unit, direction=row.enum("direction", "direction", required=True) or "increase",
            aggregation=row.enum("aggregation", "aggregation") or "level",
            industries=tuple(s.strip() for s in row.text("industries").replace(",", ";")
                             .replace("，", ";").replace("；", ";").split(";") if s.strip()),
            benchmark=row.get("benchmark", lambda v: parse_value(v, unit)),
            definition=row.text("definition"))


def _read_backbone(j: Journey, rows) -> None:
    if not _usable(rows):
        return
    for row in rows:
        sid = row.text("stage_id", required=True)
        if sid:
            j.backbone.append({"stage_id": sid, "order": row.get("order", parse_number),
                               "stage": row.text("stage", required=True) or sid,
                               "owner_role": row.text("owner_role"),
                               "weeks": row.get("weeks", parse_number) or 0})


def _read_targets(j: Journey, rows) -> None:
    if not _usable(rows):
        return
    stages = {s["stage_id"] for s in j.backbone}
    start0, end0 = j.client.get("contract_start"), j.client.get("contract_end")
    j.targets_read = True
    seen: dict[str, str] = {}
    for row in rows:
        mid = row.text("metric_id", required=True)
        if not mid:
            continue
        j.listed.add(mid)
        metric = j.catalog.get(mid)
        if metric is None:
            row.issue("metric_id", "unknown-metric", f"Metric ID {mid} is not in the catalog",
                      "Pick a Metric ID from the drop-down, or add the metric to the Catalog "
                      "sheet first.")
            continue
        if mid in seen:
            row.issue("metric_id", "duplicate-target",
                      f"{mid} already has a target at {seen[mid]}",
                      "Keep one row per metric: delete or merge the duplicate.")
            continue
        seen[mid] = row.cell("metric_id")
        direction = row.enum("direction", "direction") or metric.direction
        unit = metric.unit
        needs_base = direction in ("increase", "decrease")
        # A cumulative total starts from 0, so its baseline may stay blank (as core reads it).
        cumulative = metric.aggregation == "cumulative"
        base_required = needs_base and not cumulative
        if is_blank(row.raw("target")) and is_blank(row.raw("baseline")):
            # A suggested row nobody has filled in yet: not an error, just not counted.
            row.issue("target", "target-not-set", f"{mid} has no baseline or target yet, so it "
                      "is left out", "Fill in Baseline and Target, or delete the row.",
                      severity="warning")
            continue
        baseline = row.get("baseline", lambda v: parse_value(v, unit), required=base_required,
                           what=f" for an {direction} target")
        target = row.get("target", lambda v: parse_value(v, unit), required=True)
        start = row.get("start", parse_date) or start0
        due = row.get("due", parse_date) or end0
        weight = row.get("weight", parse_number)
        priority = row.enum("priority", "priority") or "normal"
        stage = row.text("stage_id")
        if stage and stages and stage not in stages:
            row.issue("stage_id", "unknown-stage", f"Stage ID {stage} is not in the backbone",
                      "Pick a Stage ID from the drop-down.", severity="warning")
        if weight is not None and weight < 0:
            row.issue("weight", "negative-weight", "Weight cannot be negative",
                      "Type 0 to leave the metric out of the health score, or a positive number.")
            continue
        if start is None or due is None:
            row.issue("start" if start is None else "due", "missing-date",
                      "Start and Due are needed (blank means the contract dates, which are "
                      "not filled in either)", "Fill in Start and Due, or the contract start "
                      "and end on the Client sheet.")
            continue
        if due < start:
            row.issue("due", "due-before-start", f"Due {due} is before Start {start}",
                      "Swap or correct the dates.")
            continue
        if target is None or (base_required and baseline is None):
            continue
        base = 0.0 if baseline is None and cumulative else baseline
        if needs_base and abs(target - base) < 1e-12:
            row.issue("target", "target-equals-baseline",
                      f"Target equals the baseline, so there is nothing to {direction}",
                      "Set a target above the baseline (increase) or below it (decrease), or "
                      "use at least / at most to hold a level.")
            continue
        if needs_base and (target > base) != (direction == "increase"):
            row.issue("target", "target-against-direction",
                      f"A {direction} target should be {'above' if direction == 'increase' else 'below'} "
                      "its baseline", "Check Baseline, Target and Direction.")
            continue
        j.targets.append(Target(
            metric_id=mid, metric=row.text("metric") or metric.name, direction=direction,
            unit=unit, aggregation=metric.aggregation, baseline=baseline, target=target,
            start=start, due=due, weight=1.0 if weight is None else weight, priority=priority,
            stage_id=stage))


def _period_reader(j: Journey):
    return lambda v: parse_period(v, j.cadence)


def _read_plan(j: Journey, rows) -> None:
    if not _usable(rows) or not j.targets_read:
        return
    j.plan_read = True
    seen: dict[tuple, str] = {}
    for row in rows:
        mid = row.text("metric_id", required=True)
        period = row.get("period", _period_reader(j), required=True)
        if not mid or period is None:
            continue
        tgt = j.target(mid)
        if tgt is None and mid in j.listed:
            continue  # the target row is not usable yet and says why
        if tgt is None:
            row.issue("metric_id", "plan-without-target",
                      f"{mid} has plan rows but no valid target row", "Add (or fix) its row on "
                      "the Targets sheet, or delete these plan rows.",
                      severity="warning" if mid in j.catalog else "error")
            continue
        if period not in periods_between(tgt.start, tgt.due, j.cadence):
            row.issue("period", "period-outside-target",
                      f"{period.label} is outside the target's Start-Due ({tgt.start} to "
                      f"{tgt.due})", "Delete the row or widen Start / Due on the Targets sheet.")
            continue
        key = (mid, period)
        if key in seen:
            row.issue("period", "duplicate-plan", f"{mid} {period.label} is planned twice "
                      f"(also at {seen[key]})", "Delete one of the two rows.")
            continue
        seen[key] = row.cell("period")
        planned = row.get("planned", lambda v: parse_value(v, tgt.unit), required=True)
        if planned is not None:
            j.plan.append(PlanPoint(mid, period, planned))


def _read_actuals(j: Journey, rows) -> None:
    if not _usable(rows) or not j.targets_read:
        return
    planned = {(p.metric_id, p.period) for p in j.plan}
    seen: dict[tuple, str] = {}
    for row in rows:
        mid = row.text("metric_id", required=True)
        period = row.get("period", _period_reader(j), required=True)
        if not mid or period is None:
            continue
        tgt = j.target(mid)
        if tgt is None:
            if mid not in j.catalog:
                row.issue("metric_id", "unknown-metric", f"Metric ID {mid} is not in the catalog",
                          "Use a Metric ID from the drop-down.")
            continue
        if j.plan_read and (mid, period) not in planned:
            row.issue("period", "actual-without-plan",
                      f"There is no plan row for {mid} in {period.label}",
                      "Check the period, or run 'plan' / add the plan row first.")
            continue
        key = (mid, period)
        if key in seen:
            row.issue("period", "duplicate-actual", f"{mid} {period.label} has two actuals "
                      f"(also at {seen[key]})", "Keep one row per metric and period.")
            continue
        seen[key] = row.cell("period")
        value = row.get("actual", lambda v: parse_value(v, tgt.unit), required=True)
        if value is not None:
            j.actuals.append(Actual(mid, period, value))


def _read_calendar(j: Journey, rows) -> None:
    if not _usable(rows):
        return
    for row in rows:
        when = row.get("date", parse_date, required=True)
        if when is None:
            continue
        metrics = tuple(s.strip() for s in row.text("metrics").replace("，", ",").split(",")
                        if s.strip())
        j.calendar.append(Milestone(
            when=when, kind=row.enum("type", "calendar_type") or "other",
            topic=row.text("topic"), status=row.enum("status", "calendar_status") or "planned",
            stage_id=row.text("stage_id"), owner=row.text("owner"), metrics=metrics,
            done_on=row.get("done_on", parse_date)))


def _read_roles(j: Journey, rows) -> None:
    if not _usable(rows):
        return
    for row in rows:
        j.roles.append({"responsibility": row.text("responsibility"),
                        "side": row.enum("side", "side") or "",
                        "person": row.text("person"), "role": row.text("role")})
