"""The workbook contract of DESIGN section 3, checked on the generated workbook: real Excel
Tables with the documented names and headers, seeded content, drop-downs behind defined names,
formats, the headline names, the Guide, and the golden template in templates/.

Expected names and headers are written out here from DESIGN, not derived from the schema
module, so a schema edit that breaks the contract fails these tests."""
from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from conftest import ROOT, find_table, run_cli
from journey_workbook.schema import parse_enum
from journey_workbook.template import build_workbook

# table -> (English sheet, Simplified Chinese sheet, English headers in order)
CONTRACT = {
    "tblClient": ("Client", "客户档案", ["Field", "Value"]),
    "tblBackbone": ("Backbone", "旅程主干", [
        "Stage ID", "Order", "Stage", "Customer view", "Service view", "Owner role", "Weeks",
        "Exit criteria"]),
    "tblCatalog": ("Catalog", "指标库", [
        "Metric ID", "Metric", "Phase", "Goal", "Unit", "Direction", "Aggregation", "Industries",
        "Benchmark", "Definition"]),
    "tblTargets": ("Targets", "目标配置", [
        "Metric ID", "Metric", "Stage ID", "Direction", "Baseline", "Target", "Start", "Due",
        "Weight", "Priority", "Owner (ours)", "Owner (client)", "Data source", "Notes"]),
    "tblPlan": ("Plan", "阶段目标", ["Metric ID", "Period", "Period end", "Planned"]),
    "tblActuals": ("Actuals", "实际数据", ["Metric ID", "Period", "Actual", "Source", "Note"]),
    "tblCalendar": ("Calendar", "里程碑日历", [
        "Date", "Type", "Stage ID", "Topic", "Metrics", "Our participants",
        "Client participants", "Owner", "Status", "Done on", "Notes"]),
    "tblRoles": ("Roles", "人员分工", ["Responsibility", "Side", "Person", "Role", "Email"]),
    "tblSettings": ("Settings", "设置", ["Setting", "Value"]),
    "tblAttainment": ("Attainment", "达成情况", [
        "Metric ID", "Metric", "Period", "Period end", "Planned", "Actual", "Period attainment",
        "Progress to target", "Status", "Forecast", "Forecast attainment"]),
    "tblRisks": ("Dashboard", "仪表盘", ["Kind", "Item", "Detail"]),
}
HEADLINE_NAMES = ("jw_as_of", "jw_health_score", "jw_days_to_renewal", "jw_overdue_milestones",
                  "jw_metrics_at_risk")
CJK = re.compile(r"[\u4e00-\u9fff]")
LANGS = ("en", "zh-CN")


def sheet_name(table_name: str, lang: str) -> str:
    en, zh, _ = CONTRACT[table_name]
    return en if lang == "en" else zh


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    """Both languages built, saved and so round-tripped through the file format."""
    out = tmp_path_factory.mktemp("built")
    paths = {}
    for lang in LANGS:
        paths[lang] = out / f"built.{lang}.xlsx"
        build_workbook(lang).save(paths[lang])
    return paths


@pytest.fixture(scope="module")
def books(saved):
    return {lang: openpyxl.load_workbook(path) for lang, path in saved.items()}


def body(ws, tbl) -> list[list]:
    rows = [[c.value for c in row] for row in ws[tbl.ref]][1:]
    return [r for r in rows if any(v not in (None, "") for v in r)]


def column(ws, tbl, header: str) -> tuple[str, int]:
    """(column letter, header row) of ``header`` in the table."""
    first_row = ws[tbl.ref][0]
    for cell in first_row:
        if cell.value == header:
            return cell.column_letter, cell.row
    raise KeyError(header)


# -- tables ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_table_is_a_real_excel_table_on_its_localised_sheet(saved, books, lang):
    wb = books[lang]
    found = {t.displayName: ws.title for ws in wb.worksheets for t in ws.tables.values()}
    assert found == {name: sheet_name(name, lang) for name in CONTRACT}
    with zipfile.ZipFile(saved[lang]) as z:
        parts = [n for n in z.namelist() if n.startswith("xl/tables/")]
        xml = {n: z.read(n).decode("utf-8") for n in parts}
    assert len(parts) == len(CONTRACT)
    for name in CONTRACT:
        part = next(t for t in xml.values() if f'displayName="{name}"' in t)
        ws, tbl = find_table(wb, name)
        headers = [c.value for c in ws[tbl.ref][0]]
        # Excel repairs (and warns about) a table whose column names differ from its headers.
        assert re.findall(r'<tableColumn [^>]*name="([^"]*)"', part) == headers
        assert "<autoFilter" in part


def test_english_headers_are_exactly_the_designed_ones(books):
    wb = books["en"]
    for name, (_, _, expected) in CONTRACT.items():
        ws, tbl = find_table(wb, name)
        assert [c.value for c in ws[tbl.ref][0]] == expected, name


def test_chinese_headers_are_chinese_in_the_same_column_order(books):
    from journey_workbook.schema.tables import header_map, normalise_header
    from journey_workbook.schema import table

    for name, (_, _, english) in CONTRACT.items():
        ws, tbl = find_table(books["zh-CN"], name)
        headers = [c.value for c in ws[tbl.ref][0]]
        assert len(headers) == len(english), name
        assert all(CJK.search(h) for h in headers), (name, headers)
        names = header_map(table(name))
        # Column k of the Chinese table is the same field as column k of the English one.
        assert [names[normalise_header(h)] for h in headers] == \
               [names[normalise_header(h)] for h in english], name


@pytest.mark.parametrize("lang", LANGS)
def test_header_rows_are_frozen_and_columns_have_widths(books, lang):
    wb = books[lang]
    for name, (_, _, english) in CONTRACT.items():
        ws, tbl = find_table(wb, name)
        letters = [c.column_letter for c in ws[tbl.ref][0]]
        for letter in letters:
            dim = ws.column_dimensions[letter]
            assert dim.customWidth and dim.width >= 8, (name, letter)
        if name != "tblRisks":  # the Dashboard's table sits under the headline figures
            assert ws.freeze_panes == "A2", name


# -- seeded content ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_backbone_has_at_least_eight_complete_stages(books, lang):
    ws, tbl = find_table(books[lang], "tblBackbone")
    rows = body(ws, tbl)
    assert len(rows) >= 8
    for stage_id, order, stage, customer, service, owner, weeks, exit_criteria in rows:
        assert stage_id and stage and customer and service and owner and exit_criteria
        assert isinstance(order, int)
        assert isinstance(weeks, (int, float)) and weeks > 0
        if lang == "zh-CN":
            assert CJK.search(stage) and CJK.search(customer) and CJK.search(exit_criteria)
    assert len({r[0] for r in rows}) == len(rows)


@pytest.fixture(scope="module")
def catalogs(books):
    """Metric ID -> {English header: value} for both languages."""
    out = {}
    for lang in LANGS:
        ws, tbl = find_table(books[lang], "tblCatalog")
        out[lang] = {r[0]: dict(zip(CONTRACT["tblCatalog"][2], r)) for r in body(ws, tbl)}
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_covers_every_phase_with_complete_metrics(catalogs, lang):
    catalog = catalogs[lang]
    assert len(catalog) >= 15
    phases = {parse_enum("phase", m["Phase"]) for m in catalog.values()}
    assert {"acquisition", "conversion", "repurchase", "adoption", "satisfaction"} <= phases
    for mid, m in catalog.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", mid)
        assert m["Metric"] and m["Definition"], mid
        assert parse_enum("goal", m["Goal"]), mid
        assert parse_enum("unit", m["Unit"]), mid
        assert parse_enum("direction", m["Direction"]), mid
        assert parse_enum("aggregation", m["Aggregation"]), mid
    with_benchmark = [m for m in catalog.values() if m["Benchmark"] is not None]
    assert len(with_benchmark) >= 10
    assert sum(bool(m["Industries"]) for m in catalog.values()) >= 8
    goals = {parse_enum("goal", m["Goal"]) for m in catalog.values()}
    assert goals == {"revenue_growth", "cost_reduction", "efficiency", "employee_satisfaction"}


# metric -> (phase, unit, direction, aggregation) where DESIGN or the issue fixes them
REQUIRED_METRICS = {
    "answer_rate": ("acquisition", "percent", None, None),
    "add_friend_rate": ("acquisition", "percent", None, None),
    "adds_count": ("acquisition", "count", "increase", "cumulative"),
    "realtime_lead_pass_rate": ("acquisition", "percent", None, None),
    "silent_lead_pass_rate": ("acquisition", "percent", None, None),
    "conversion_rate": ("conversion", "percent", "increase", "level"),
    "repurchase_rate": (None, "percent", None, None),
    "upsell_rate": (None, "percent", None, None),
    "training_coverage": ("adoption", "percent", "at_least", "level"),
    "issue_recurrence_rate": ("adoption", "percent", "decrease", "level"),
    "employee_satisfaction": ("satisfaction", None, None, None),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("mid", sorted(REQUIRED_METRICS))
def test_catalog_has_the_metrics_the_method_names(catalogs, lang, mid):
    m = catalogs[lang][mid]
    phase, unit, direction, aggregation = REQUIRED_METRICS[mid]
    for key, header in ((phase, "Phase"), (unit, "Unit"), (direction, "Direction"),
                        (aggregation, "Aggregation")):
        if key is not None:
            enum = header.lower()
            assert parse_enum(enum, m[header]) == key, (mid, header, m[header])
    if parse_enum("unit", m["Unit"]) == "percent" and m["Benchmark"] is not None:
        assert 0 < m["Benchmark"] <= 1, "percent benchmarks are fractions"
    if mid == "employee_satisfaction":
        assert parse_enum("goal", m["Goal"]) == "employee_satisfaction"


def test_percent_benchmarks_are_shown_as_percent(books):
    ws, tbl = find_table(books["en"], "tblCatalog")
    unit_col, _ = column(ws, tbl, "Unit")
    bench_col, top = column(ws, tbl, "Benchmark")
    seen = 0
    for r in range(top + 1, top + 1 + len(body(ws, tbl))):
        cell = ws[f"{bench_col}{r}"]
        if ws[f"{unit_col}{r}"].value == "percent" and cell.value is not None:
            assert "%" in cell.number_format, cell.coordinate
            seen += 1
    assert seen >= 10


@pytest.mark.parametrize("lang", LANGS)
def test_default_settings(books, lang):
    from journey_workbook.book.filebook import FileBook
    from journey_workbook.reader import read_journey

    journey, report = read_journey(FileBook("x.xlsx", books[lang]))
    assert report.issues == []
    t = journey.thresholds
    assert (t.achieved, t.on_track, t.at_risk) == (1.0, 0.9, 0.7)
    assert journey.settings["renewal_notice_days"] == 90
    ws, tbl = find_table(books[lang], "tblSettings")
    rows = body(ws, tbl)
    assert [r[1] for r in rows[:3]] == [1, 0.9, 0.7]
    notice = next(r for r in rows if "renewal" in str(r[0]).lower() or "续约" in str(r[0]))
    assert notice[1] == 90


# -- drop-downs ----------------------------------------------------------------------------

# (table, English header, what the list holds: an enumeration, or "metric" / "stage" IDs)
DROPDOWNS = [
    ("tblTargets", "Metric ID", "metric"), ("tblPlan", "Metric ID", "metric"),
    ("tblActuals", "Metric ID", "metric"), ("tblTargets", "Stage ID", "stage"),
    ("tblCalendar", "Stage ID", "stage"), ("tblTargets", "Direction", "direction"),
    ("tblCatalog", "Direction", "direction"), ("tblTargets", "Priority", "priority"),
    ("tblCalendar", "Type", "calendar_type"), ("tblCalendar", "Status", "calendar_status"),
    ("tblCatalog", "Unit", "unit"), ("tblRoles", "Side", "side"),
]
ENUM_KEYS = {
    "direction": ["increase", "decrease", "at_least", "at_most"],
    "priority": ["key", "normal", "hidden"],
    "calendar_status": ["planned", "done", "cancelled"],
    "calendar_type": ["kickoff", "milestone", "training", "go_live", "review", "survey",
                      "renewal", "other"],
    "unit": ["percent", "count", "currency", "score", "days"],
    "side": ["ours", "client"],
}


def name_values(wb, name: str) -> list:
    dn = wb.defined_names[name]
    (sheet, ref), = list(dn.destinations)
    return [c.value for row in wb[sheet][ref.replace("$", "")] for c in row]


@pytest.mark.parametrize("lang", LANGS)
def test_no_drop_down_refers_to_another_sheet(books, lang):
    for ws in books[lang].worksheets:
        for dv in ws.data_validations.dataValidation:
            assert "!" not in (dv.formula1 or ""), (ws.title, dv.sqref, dv.formula1)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("table_name,header,kind", DROPDOWNS)
def test_drop_down_uses_a_defined_name_holding_the_right_values(books, lang, table_name,
                                                                header, kind):
    wb = books[lang]
    ws, tbl = find_table(wb, table_name)
    english = CONTRACT[table_name][2]
    letter = ws[tbl.ref][0][english.index(header)].column_letter
    top = ws[tbl.ref][0][0].row
    dvs = [dv for dv in ws.data_validations.dataValidation
           if f"{letter}{top + 1}" in dv.sqref and f"{letter}{top + 200}" in dv.sqref]
    assert len(dvs) == 1, (table_name, header)
    dv = dvs[0]
    assert dv.type == "list"
    assert dv.formula1 in wb.defined_names, dv.formula1
    values = [v for v in name_values(wb, dv.formula1) if v not in (None, "")]
    if kind == "metric":
        cat_ws, cat = find_table(wb, "tblCatalog")
        assert values == [r[0] for r in body(cat_ws, cat)]
    elif kind == "stage":
        assert values == [f"S{i}" for i in range(1, len(values) + 1)] and len(values) >= 8
    else:
        assert [parse_enum(kind, v) for v in values] == ENUM_KEYS[kind]
        if lang == "zh-CN":
            assert all(CJK.search(v) for v in values)


# -- formats and colours ------------------------------------------------------------------


@pytest.mark.parametrize("table_name,header", [
    ("tblTargets", "Start"), ("tblTargets", "Due"), ("tblPlan", "Period end"),
    ("tblCalendar", "Date"), ("tblCalendar", "Done on"), ("tblAttainment", "Period end")])
def test_date_columns_have_a_date_format(books, table_name, header):
    ws, tbl = find_table(books["en"], table_name)
    letter, top = column(ws, tbl, header)
    for r in (top + 1, top + 50):
        assert "yy" in ws[f"{letter}{r}"].number_format, (table_name, header)


@pytest.mark.parametrize("header", ["Period attainment", "Progress to target",
                                    "Forecast attainment"])
def test_attainment_ratios_are_shown_as_percent(books, header):
    ws, tbl = find_table(books["en"], "tblAttainment")
    letter, top = column(ws, tbl, header)
    assert "%" in ws[f"{letter}{top + 1}"].number_format


@pytest.mark.parametrize("lang", LANGS)
def test_attainment_status_column_is_coloured_by_status(books, lang):
    from journey_workbook.schema import ENUMS

    ws, tbl = find_table(books[lang], "tblAttainment")
    letter, top = column(ws, tbl, "Status" if lang == "en" else "状态")
    formulas = []
    for rng in ws.conditional_formatting:
        if f"{letter}{top + 1}" in rng.sqref:
            for rule in rng.rules:
                assert rule.dxf is not None and rule.dxf.fill is not None
                formulas += rule.formula
    labels = [ENUMS["status"].label(k, lang) for k in
              ("achieved", "on_track", "at_risk", "off_track", "missing", "not_due")]
    for label in labels:
        assert any(f'"{label}"' in f and letter in f for f in formulas), label


@pytest.mark.parametrize("lang", LANGS)
def test_guide_sheet_is_first_and_in_the_workbook_language(books, lang):
    wb = books[lang]
    ws = wb.worksheets[0]
    assert ws.title == ("Guide" if lang == "en" else "使用指南")
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert len(text) > 500
    if lang == "en":
        assert not CJK.search(text) and "Targets" in text and "refresh" in text
    else:
        assert len(CJK.findall(text)) > 200


@pytest.mark.parametrize("lang", LANGS)
def test_lists_and_meta_sheets_are_hidden(books, lang):
    wb = books[lang]
    states = {ws.title: ws.sheet_state for ws in wb.worksheets}
    assert states.pop("jw_lists") == "hidden"
    assert states.pop("jw_meta") == "veryHidden"
    assert set(states.values()) == {"visible"}
    meta = {r[0]: r[1] for r in wb["jw_meta"].iter_rows(values_only=True)}
    assert meta["language"] == lang and int(meta["schema_version"]) >= 1


# -- headline names --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_headline_names_are_single_cells_on_the_dashboard(books, lang):
    wb = books[lang]
    for name in HEADLINE_NAMES:
        dn = wb.defined_names[name]
        assert dn.localSheetId is None  # workbook-level
        (sheet, ref), = list(dn.destinations)
        assert sheet == sheet_name("tblRisks", lang)
        assert re.fullmatch(r"\$?[A-Z]+\$?\d+", ref), (name, ref)
        label = wb[sheet].cell(wb[sheet][ref.replace("$", "")].row, 1).value
        assert label, f"{name} has no label beside it"
    refs = [list(wb.defined_names[n].destinations)[0][1] for n in HEADLINE_NAMES]
    assert len(set(refs)) == len(refs)


# -- the reader takes either language's headers ---------------------------------------------


def _rename_header(wb, table_name: str, old: str, new: str) -> None:
    ws, tbl = find_table(wb, table_name)
    for cell in ws[tbl.ref][0]:
        if cell.value == old:
            cell.value = new
    for col in tbl.tableColumns:  # as Excel does when a header cell is retyped
        if col.name == old:
            col.name = new


@pytest.mark.parametrize("lang,table_name,old,new", [
    ("en", "tblTargets", "Baseline", "基线"),
    ("en", "tblTargets", "Metric ID", "指标ID"),
    ("zh-CN", "tblTargets", "目标值", "Target"),
    ("zh-CN", "tblTargets", "开始日期", " start "),
])
def test_reader_accepts_either_languages_headers(tmp_path, lang, table_name, old, new):
    from journey_workbook.actions.validate import validate_file
    from journey_workbook.reader import read_journey
    from journey_workbook.actions.common import open_file

    path = tmp_path / "renamed.xlsx"
    assert run_cli("new", path, "--client", "Acme", "--start", "2026-01-01", "--end",
                   "2026-12-31", "--lang", lang) == 0
    wb = openpyxl.load_workbook(path)
    ws, tbl = find_table(wb, "tblTargets")
    values = ["conversion_rate", None, None, None, 0.05, 0.10, date(2026, 4, 1)]
    for j, v in enumerate(values):
        ws.cell(2, 1 + j, v)
    _rename_header(wb, table_name, old, new)
    wb.save(path)
    assert validate_file(path).issues == []
    journey, _ = read_journey(open_file(path))
    (t,) = journey.targets
    assert (t.metric_id, t.baseline, t.target, t.start) == \
           ("conversion_rate", 0.05, 0.10, date(2026, 4, 1))


# -- build_workbook, sheet by sheet, in memory ------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("table_name", list(CONTRACT))
def test_build_workbook_writes_each_sheet_in_memory(lang, table_name):
    wb = build_workbook(lang)  # never saved: the writer alone
    ws = wb[sheet_name(table_name, lang)]
    assert list(ws.tables) == [table_name] or table_name in ws.tables
    tbl = ws.tables[table_name]
    header = [c.value for c in ws[tbl.ref][0]]
    if lang == "en":
        assert header == CONTRACT[table_name][2]
    assert len(header) == len(CONTRACT[table_name][2])
    first, last = tbl.ref.split(":")
    assert re.sub(r"\d", "", last) == ws[tbl.ref][0][-1].column_letter
    assert ws[first].font.bold


def test_build_workbook_sheet_order_puts_the_guide_and_dashboard_first():
    wb = build_workbook("en")
    assert wb.sheetnames[:4] == ["Guide", "Dashboard", "Client", "Targets"]
    assert wb.sheetnames[-2:] == ["jw_lists", "jw_meta"]
    assert wb.active.title == "Guide"


def test_built_workbook_is_valid_and_has_no_targets_yet():
    from journey_workbook.book.filebook import FileBook
    from journey_workbook.reader import read_journey

    for lang in LANGS:
        journey, report = read_journey(FileBook("x.xlsx", build_workbook(lang)))
        assert report.issues == [] and journey.targets == [] and journey.lang == lang
        assert len(journey.catalog) >= 15 and len(journey.backbone) >= 8


# -- the golden template ------------------------------------------------------------------------

TEMPLATES = ROOT / "templates"
_STAMPS = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def normalised_parts(path: Path) -> dict[str, bytes]:
    """Every part of the zip, with what legitimately changes on each save masked: the
    creation and modification times in docProps/core.xml."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["docProps/core.xml"] = _STAMPS.sub(rb"\1\3", parts.get("docProps/core.xml", b""))
    return parts


def template_differences(committed: Path, fresh: Path) -> list[str]:
    a, b = normalised_parts(committed), normalised_parts(fresh)
    out = [f"{n}: only in the committed template" for n in sorted(set(a) - set(b))]
    out += [f"{n}: missing from the committed template" for n in sorted(set(b) - set(a))]
    out += [f"{n}: differs" for n in sorted(set(a) & set(b)) if a[n] != b[n]]
    return out


def stale_message(name: str, differences: list[str]) -> str:
    return (f"templates/{name} is stale ({'; '.join(differences[:5])}). Regenerate it with: "
            "journey-workbook build-template templates")


@pytest.fixture(scope="module")
def fresh_templates(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    assert run_cli("build-template", out) == 0
    return out


@pytest.mark.parametrize("name", ["journey_template.xlsx", "journey_template.zh-CN.xlsx"])
def test_committed_template_is_current(fresh_templates, name):
    committed = TEMPLATES / name
    assert committed.exists(), ("templates/journey_template.xlsx is missing; generate it with: "
                                "journey-workbook build-template templates")
    differences = template_differences(committed, fresh_templates / name)
    assert not differences, stale_message(name, differences)


def test_a_stale_template_is_detected_and_the_message_says_how_to_fix_it(fresh_templates,
                                                                         tmp_path):
    stale = tmp_path / "journey_template.xlsx"
    wb = openpyxl.load_workbook(fresh_templates / "journey_template.xlsx")
    ws, tbl = find_table(wb, "tblCatalog")
    ws["B2"] = "An old metric name"
    wb.save(stale)
    differences = template_differences(stale, fresh_templates / "journey_template.xlsx")
    assert differences
    assert "journey-workbook build-template" in stale_message("journey_template.xlsx",
                                                              differences)


def test_two_builds_differ_only_in_their_timestamps(fresh_templates, tmp_path):
    assert run_cli("build-template", tmp_path) == 0
    for name in ("journey_template.xlsx", "journey_template.zh-CN.xlsx"):
        assert template_differences(fresh_templates / name, tmp_path / name) == []
        assert not (tmp_path / f"{name}.bak").exists()


def test_template_is_the_english_workbook_with_an_empty_client(fresh_templates):
    wb = openpyxl.load_workbook(fresh_templates / "journey_template.xlsx")
    assert wb.worksheets[0].title == "Guide"
    ws, tbl = find_table(wb, "tblClient")
    values = dict(body(ws, tbl))
    assert values["Client"] is None and values["Contract start"] is None
    assert values["Cadence"] == "quarter"
    assert not isinstance(values.get("Contract start"), (date, datetime))
