"""Reads a journey workbook through a backend into core records, and validates it.

Tables are found by name, columns by header text in either language, so sheets and columns
may be renamed, reordered or translated. Every problem becomes an Issue that names the sheet,
the cell, the value, what is wrong and how to fix it; nothing here raises on bad input.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any, Callable, Iterator, Optional

from journey_workbook.book.base import Backend, RawTable
from journey_workbook.book.cells import a1, column_letter, range_ref
from journey_workbook.core.model import (Actual, Metric, Milestone, PlanPoint, Target,
                                         Thresholds)
from journey_workbook.core.periods import Period, periods_between
from journey_workbook.core.values import (ValueProblem, is_blank, parse_date, parse_number,
                                          parse_percent, parse_period, parse_value)
from journey_workbook.report import Issue, Report
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
    #: (sheet, cell) of each Client field's value, for messages that send the user there
    client_cells: dict[str, tuple[str, str]] = field(default_factory=dict)

    def target(self, metric_id: str) -> Optional[Target]:
        return next((t for t in self.targets if t.metric_id == metric_id), None)


class _Rows:
    """A table's body with columns resolved by header; yields row accessors."""

    def __init__(self, raw: RawTable, tbl: Table, report: Report,
                 merged: tuple[tuple[int, int, int, int], ...] = ()):
        self.raw, self.tbl, self.report = raw, tbl, report
        self.offset: dict[str, int] = {}
        self.unknown: list[tuple[int, str]] = []  # (offset, text) of headers not in the schema
        self.merged = merged  # merged ranges over the table, as (r1, c1, r2, c2)
        self.formats: Callable[[int, int], Optional[str]] = lambda row, col: None
        self.merges_reported: set[tuple[int, int, int, int]] = set()
        self.missing_reported: set[str] = set()
        names = header_map(tbl)
        for j, text in enumerate(raw.headers):
            key = names.get(normalise_header(text))
            if key is None:
                if not is_blank(text):
                    self.unknown.append((j, str(text).strip()))
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
                self.report_missing_column(col.key)
        for r, values in raw.below:
            if any(not is_blank(v) for v in values):
                report.add("row-outside-table",
                           f"Row {r} is just below table {tbl.name} but not part of it, so it is "
                           "not read", "Extend the table over it: drag the resize handle at the "
                           "table's bottom-right corner, or Table Design > Resize Table.",
                           sheet=raw.sheet, cell=f"{_letter(raw.min_col)}{r}", table=tbl.name,
                           severity="warning")

    def number_format(self, index: int, key: str) -> Optional[str]:
        """The number format of body row ``index`` in column ``key``, when the backend
        tells (the file backend does)."""
        j = self.offset.get(key)
        if j is None:
            return None
        return self.formats(self.raw.min_row + 1 + index, self.raw.min_col + j)

    def report_missing_column(self, key: str, needed_by: str = "") -> None:
        """One issue per absent column, at the table's first header cell. Headers the product
        does not know are named: a renamed header is the usual cause."""
        if key in self.missing_reported:
            return
        self.missing_reported.add(key)
        col, raw = self.tbl.column(key), self.raw
        message = f"Table {self.tbl.name} has no column '{col.en}' ('{col.zh}')"
        if needed_by:
            message += f", which {needed_by}"
        hint = ""
        if self.unknown:
            many = len(self.unknown) > 1
            named = ", ".join(f"'{text}' ({raw.header_cell(j)})" for j, text in self.unknown)
            message += (f"; the header{'s' if many else ''} {named} {'are' if many else 'is'} "
                        "not one the product knows")
            hint = f"If a header was renamed, type '{col.en}' or '{col.zh}' back into it; else a"
        else:
            hint = "A"
        hint += (f"dd a column with the header '{col.en}' or '{col.zh}' to the table (Table "
                 "Design > Resize Table), or undo the deletion.")
        self.report.add("missing-column", message, hint, sheet=raw.sheet,
                        cell=raw.header_cell(0), table=self.tbl.name)

    def merge_over(self, row: int, col: int) -> Optional[tuple[int, int, int, int]]:
        """The merged range that covers (row, col) without starting there."""
        for m in self.merged:
            r1, c1, r2, c2 = m
            if r1 <= row <= r2 and c1 <= col <= c2 and (row, col) != (r1, c1):
                return m
        return None

    def report_merges(self) -> None:
        """A warning for each merge over the table that no error named already: Excel does not
        allow merging inside a table, and only a merge's first cell keeps a value."""
        for m in self.merged:
            if m in self.merges_reported:
                continue
            self.merges_reported.add(m)
            r1, c1, r2, c2 = m
            self.report.add(
                "merged-cells", f"Cells {range_ref(r1, c1, r2, c2)} inside table "
                f"{self.tbl.name} are merged, so only {a1(r1, c1)} holds a value and the "
                "others read as empty", "Unmerge them (Home > Merge & Center) and type the "
                "value into each cell.", sheet=self.raw.sheet, cell=a1(r1, c1),
                table=self.tbl.name, severity="warning")

    def __iter__(self) -> Iterator["_Row"]:
        for i, values in enumerate(self.raw.rows):
            if all(is_blank(v) for v in values):
                continue
            yield _Row(self, i, values)


def _shown(value: Any) -> Any:
    """A cell value as a person reads it in a message: dates and times as ISO text, not
    datetime.datetime(2025, 1, 1, 0, 0)."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


def _letter(col: int) -> str:
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
                             value=_shown(self.raw(key) if value is None else value),
                             table=self.rows.tbl.name, severity=severity)

    def get(self, key: str, parse: Callable[[Any], Any], required: bool = False,
            what: str = "", label: str = "") -> Any:
        """The parsed value of column ``key``; None (and an issue) when it cannot be read.
        ``label`` names the value in messages instead of the column (key-value tables)."""
        from journey_workbook.book.filebook import FormulaWithoutValue

        col = self.rows.tbl.column(key)
        if key not in self.rows.offset:
            if required:  # the column itself is gone: said once for the table, not per row
                row = self.rows.raw.min_row + 1 + self.index
                self.rows.report_missing_column(key, f"row {row} needs{what}")
            return None
        value = self.raw(key)
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
                self._report_blank(key, col, what)
            return None
        try:
            return parse(value)
        except ValueProblem as problem:
            self.issue(key, problem.code, f"{col.en}: {problem.message}",
                       problem.hint[:1].upper() + problem.hint[1:] if problem.hint else "")
            return None

    def value(self, key: str, unit: str, required: bool = False, what: str = "",
              label: str = "") -> Optional[float]:
        """A number in ``unit`` (see :func:`read_cell_value`: the cell's number format
        settles what a bare number in a percent cell means)."""
        number_format = self.rows.number_format(self.index, key)
        return self.get(key, lambda v: read_cell_value(v, unit, number_format), required,
                        what, label)

    def _report_blank(self, key: str, col, what: str) -> None:
        raw = self.rows.raw
        merge = self.rows.merge_over(raw.min_row + 1 + self.index,
                                     raw.min_col + self.rows.offset[key])
        if merge is None:
            self.issue(key, "missing-value", f"{col.en} is required{what}", f"Fill in {col.en}.")
            return
        self.rows.merges_reported.add(merge)
        self.issue(key, "merged-cells", f"{col.en} reads as empty because {self.cell(key)} is "
                   f"part of the merged cells {range_ref(*merge)}, whose value is in "
                   f"{a1(merge[0], merge[1])} only", "Unmerge them (Home > Merge & Center) and "
                   f"type {col.en} into every row.")

    def text(self, key: str, required: bool = False) -> str:
        value = self.get(key, lambda v: str(v).strip(), required)
        return value or ""

    def enum(self, key: str, enum: str, required: bool = False,
             label: str = "") -> Optional[str]:
        from journey_workbook.schema import ENUMS

        def parse(v):
            found = parse_enum(enum, v)
            if found is None:
                choices = ", ".join(ENUMS[enum].labels(self.rows.report_lang))
                raise ValueProblem(f"unknown-{enum.replace('_', '-')}",
                                   f"{v!r} is not one of the choices",
                                   f"pick one of: {choices}", v)
            return found
        return self.get(key, parse, required, label=label)


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
            report_missing_table(book, tbl.name, j.lang, report,
                                 required=tbl.name in REQUIRED_TABLES)
            continue
        j.raw[tbl.name] = raw
    rows = {}
    for name, raw in j.raw.items():
        r = _Rows(raw, table(name), report, _merges_over(book, raw))
        r.formats = _formats_of(book, raw.sheet)
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
    _report_cadence_change(j, report)
    for r in rows.values():
        r.report_merges()
    return j, report


def report_missing_table(book: Backend, name: str, lang: str, report: Report,
                         required: bool = True) -> None:
    """A table renamed by hand (Excel's Table1) is found by its headers and named; a table
    converted to a plain range is found by its header row and its range named; a table that
    is really gone is reported on the sheet it belongs to (only when ``required``: the other
    tables may be left out of a workbook)."""
    tbl = table(name)
    rng = _plain_range(book, tbl)
    if rng is not None:
        sheet, ref = rng
        report.add("table-converted-to-range",
                   f"The table {tbl.name} was converted to a plain range at {sheet}!{ref}: the "
                   "cells are there, but the product reads only tables",
                   f"Select {sheet}!{ref}, then Insert > Table (My table has headers), and name "
                   f"it {tbl.name} (Table Design > Table Name).",
                   sheet=sheet, cell=ref.split(":")[0], table=tbl.name)
        return
    if not required:
        return
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


# -- what only the sheet's cells show (merges, a table turned into a range) -----------------
# The backend interface speaks tables, names and pictures; these checks need the cells around
# the tables. The file backend gives them through its openpyxl workbook; other backends skip
# the checks and fall back to the plain messages.

_HEADER_SCAN = 60  # rows and columns searched for the header row of a table turned into a range


def _worksheet(book: Backend, sheet: str):
    wb = getattr(book, "wb", None)
    if wb is None or sheet not in wb.sheetnames:
        return None
    ws = wb[sheet]
    return ws if hasattr(ws, "merged_cells") else None  # a chartsheet has no cells


def _formats_of(book: Backend, sheet: str) -> Callable[[int, int], Optional[str]]:
    ws = _worksheet(book, sheet)
    if ws is None:
        return lambda row, col: None
    return lambda row, col: ws.cell(row, col).number_format


def _merges_over(book: Backend, raw: RawTable) -> tuple[tuple[int, int, int, int], ...]:
    """Merged ranges that overlap the table (header and body), as (r1, c1, r2, c2)."""
    ws = _worksheet(book, raw.sheet)
    if ws is None:
        return ()
    r1, c1 = raw.min_row, raw.min_col
    r2, c2 = r1 + max(len(raw.rows), 1), c1 + len(raw.headers) - 1
    out = []
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= r2 and rng.max_row >= r1 and rng.min_col <= c2 and rng.max_col >= c1:
            out.append((rng.min_row, rng.min_col, rng.max_row, rng.max_col))
    return tuple(sorted(out))


def _plain_range(book: Backend, tbl: Table) -> Optional[tuple[str, str]]:
    """(sheet, A1 range) of a header row with the table's columns that belongs to no table:
    the table was converted to a range (Table Design > Convert to Range). Its own sheet, in
    either language, is searched first."""
    wb = getattr(book, "wb", None)
    if wb is None:
        return None
    taken = _table_header_cells(book)
    names = header_map(tbl)
    required = {c.key for c in tbl.columns if c.required}
    sheets = sorted(wb.sheetnames, key=lambda n: n not in (tbl.sheet_en, tbl.sheet_zh))
    for sheet in sheets:
        ws = _worksheet(book, sheet)
        if ws is None:
            continue
        for r, row in enumerate(ws.iter_rows(max_row=min(ws.max_row, _HEADER_SCAN),
                                             max_col=min(ws.max_column, _HEADER_SCAN),
                                             values_only=True), start=1):
            cols = {}
            for c, value in enumerate(row, start=1):
                key = names.get(normalise_header(value)) if isinstance(value, str) else None
                if key and key not in cols and (sheet, r, c) not in taken:
                    cols[key] = c
            if required <= cols.keys() and 2 * len(cols) >= len(tbl.columns):
                return sheet, _extent(ws, r, min(cols.values()), max(cols.values()))
    return None


def _table_header_cells(book: Backend) -> set[tuple[str, int, int]]:
    cells = set()
    for name in book.table_names():
        raw = book.read_table(name)
        if raw is not None:
            cells.update((raw.sheet, raw.min_row, raw.min_col + j)
                         for j in range(len(raw.headers)))
    return cells


def _extent(ws, header_row: int, c1: int, c2: int) -> str:
    """The range under a header row: widened over adjacent filled header cells, down to the
    last row before the first empty one. (Reads stay inside the sheet's used range: openpyxl
    creates every cell it is asked for.)"""
    while c1 > ws.min_column and not is_blank(ws.cell(header_row, c1 - 1).value):
        c1 -= 1
    while c2 < ws.max_column and not is_blank(ws.cell(header_row, c2 + 1).value):
        c2 += 1
    r2 = header_row
    for row in ws.iter_rows(min_row=header_row + 1, max_row=ws.max_row, min_col=c1,
                            max_col=c2, values_only=True):
        if all(is_blank(v) for v in row):
            break
        r2 += 1
    return range_ref(header_row, c1, max(r2, header_row + 1), c2)


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


def _whole(value: Any) -> int:
    """A count of days or the like: a whole number, 0 or more."""
    number = parse_number(value)
    if number < 0 or number != int(number):
        raise ValueProblem("not-a-whole-number", f"{value!r} is not a whole number of 0 or more",
                           "type a whole number such as 90", value)
    return int(number)


def _parser_for(kind: str) -> Callable[[Any], Any]:
    return {"date": parse_date, "number": parse_number, "int": _whole,
            "ratio": parse_percent}.get(kind, lambda v: v if not isinstance(v, str) else v.strip())


def _read_fields(rows: Optional[_Rows], fields: tuple[Field, ...], key_col: str,
                 report: Report, cells: Optional[dict] = None) -> dict[str, Any]:
    """Field -> value; ``cells``, when given, gets field -> (sheet, A1 of its value)."""
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
        if cells is not None and row.has("value"):
            cells[f.key] = (rows.raw.sheet, row.cell("value"))
        if f.kind.startswith("enum:"):
            value = row.enum("value", f.kind[5:], label=f.en)
        elif f.kind == "ratio":
            value = row.value("value", "percent", label=f.en)
        else:
            value = row.get("value", _parser_for(f.kind), label=f.en)
        if value is not None:
            out[f.key] = value
    return out


def _read_client(j: Journey, rows, report: Report) -> None:
    j.client = _read_fields(rows, CLIENT_FIELDS, "field", report, j.client_cells)
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
            benchmark=row.value("benchmark", unit),
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
        article = "an" if direction[0] in "aeiou" else "a"
        baseline = row.value("baseline", unit, required=base_required,
                             what=f" for {article} {direction} target")
        target = row.value("target", unit, required=True)
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


_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # literals, escapes, [colour] / [$-411]


def is_percent_format(number_format: Optional[str]) -> bool:
    """Whether an Excel number format shows its number as a percent ('0.0%'; a '%' inside
    quotes, escaped or in brackets does not count)."""
    return bool(number_format) and "%" in _QUOTED.sub("", number_format)


def read_cell_value(value: Any, unit: str, number_format: Optional[str] = None
                    ) -> Optional[float]:
    """A cell's value in ``unit``, as the reader reads it.

    A number in a percent-formatted cell is the fraction Excel stored for what was typed or
    written (12.5% is 0.125, 130% is 1.3), so it is never ambiguous, whatever its size. Any
    other value goes through :func:`parse_value`, where a bare 5 in a percent column is
    ambiguous (5% or 500%?) and reported, not guessed.
    """
    if (unit == "percent" and isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and is_percent_format(number_format)):
        return float(value)
    return parse_value(value, unit)


def _period_reader(j: Journey):
    return lambda v: parse_period(v, j.cadence)


def _report_cadence_change(j: Journey, report: Report) -> None:
    """When most plan rows use periods of the other cadence, the cadence was changed after
    planning: one issue at the Cadence cell goes before the per-row ones, and their fixes
    say to set it back or plan again (a single mistyped period keeps its own fix)."""
    at = [k for k, i in enumerate(report.issues) if i.code == "period-cadence-mismatch"]
    in_plan = [k for k in at if report.issues[k].table == "tblPlan"]
    raw = j.raw.get("tblPlan")
    planned = sum(1 for r in raw.rows if any(not is_blank(v) for v in r)) if raw else 0
    if not in_plan or 2 * len(in_plan) < planned:
        return
    other = "month" if j.cadence == "quarter" else "quarter"
    sheet, cell = j.client_cells.get("cadence", (None, None))
    where = f" ({_quote_sheet(sheet)}!{cell})" if sheet else " on the Client sheet"
    for k in at:
        i = report.issues[k]
        redo = (f"delete these plan rows and run plan again to plan by {j.cadence}"
                if i.table == "tblPlan" else i.hint[:1].lower() + i.hint[1:])
        report.issues[k] = replace(i, hint=f"Set Cadence{where} back to {other}, or {redo}")
    first = report.issues[at[0]]
    counts = " and ".join(f"{n} row(s) on {name}" for name, n in
                          Counter(report.issues[k].sheet for k in at).items())
    report.issues.insert(at[0], Issue(
        "cadence-changed", f"Cadence is '{j.cadence}', but {counts} use {other} periods "
        f"(first: {first.sheet}!{first.cell}); was the cadence changed after planning?",
        f"Set Cadence back to {other}; or, to plan by {j.cadence}, delete the {other} plan "
        f"rows, run plan again and retype the actuals by {j.cadence}.",
        sheet=sheet or first.sheet, cell=cell or first.cell, value=j.client.get("cadence"),
        table="tblClient"))


def _quote_sheet(sheet: str) -> str:
    return sheet if sheet.replace("_", "").isalnum() else "'" + sheet.replace("'", "''") + "'"


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
        planned = row.value("planned", tgt.unit, required=True)
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
            # A metric with a target row that is not usable: that row says why.
            if mid not in j.catalog and mid not in j.listed:
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
        value = row.value("actual", tgt.unit, required=True)
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
