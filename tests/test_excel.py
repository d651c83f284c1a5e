"""The ribbon buttons, run for real: ``journey_workbook.excel.run(tag)`` on xlwings' remote
engine, the engine xlwings Server and xlwings Lite run. Each test builds the request xlwings'
VBA client would send for a workbook file (tests/jsonbook.py), resolves ``xw.Book.caller()``
through xlwings' own ``set_mock_caller``, presses the button, and applies the returned actions
onto the file the way the VBA client does, so the results are read back from a workbook.

The remote engine is xlwings PRO. It is used here under xlwings' ``noncommercial`` licence key,
set for these tests only; commercial users of xlwings Server (or anyone running these tests for
a commercial product) need their own xlwings PRO key, trial or paid.
"""
from __future__ import annotations

import base64
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from conftest import find_table, run_cli, type_rows
from jsonbook import click, forget_mock_caller, picture_name, remote_engine
from journey_workbook import __version__, excel
from journey_workbook.book.filebook import FileBook

AS_OF = date(2026, 7, 15)
CHARTS = ["jw_chart_attainment", "jw_chart_timeline", "jw_chart_trend_conversion_rate",
          "jw_chart_trend_adds_count", "jw_chart_trend_add_friend_rate"]
HEADLINES = ["jw_as_of", "jw_health_score", "jw_days_to_renewal", "jw_overdue_milestones",
             "jw_metrics_at_risk"]
approx = lambda x: pytest.approx(x, abs=5e-5)  # noqa: E731


@pytest.fixture(autouse=True)
def xw(monkeypatch, tmp_path):
    monkeypatch.setenv(excel.LOG_ENV, str(tmp_path / "logs" / "journey.log"))
    yield remote_engine(monkeypatch)
    forget_mock_caller()


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """``journey-workbook demo``: DESIGN's worked example, refreshed as of 2026-07-15."""
    out = tmp_path_factory.mktemp("demo")
    assert run_cli("demo", out, "--as-of", AS_OF.isoformat()) == 0
    return out


def _load(path):
    return openpyxl.load_workbook(path)


def pinned(source: Path, target: Path, as_of=AS_OF, clear_results: bool = False) -> Path:
    """A copy of ``source`` with the Settings row "As of" typed in (so a refresh is
    reproducible); with ``clear_results`` the product's tables and headline cells emptied, so
    that what a refresh writes is all that is there to compare."""
    wb = _load(source)
    setting = "As of" if "Settings" in wb.sheetnames else "数据截至"
    headers = ("Setting", "Value") if setting == "As of" else ("设置项", "值")
    day = datetime.combine(as_of, datetime.min.time())
    ws, _ = find_table(wb, "tblSettings")
    row = next(c.row for c in ws["A"] if c.value == setting)  # the template's "As of" row
    ws.cell(row, 2, day).number_format = "yyyy-mm-dd"
    if clear_results:
        for name in ("tblAttainment", "tblRisks"):
            ws, tbl = find_table(wb, name)
            for row in ws[tbl.ref][1:]:
                for cell in row:
                    cell.value = None
        for name in HEADLINES:
            (sheet, coord), = wb.defined_names[name].destinations
            wb[sheet][coord.replace("$", "")].value = None
    wb.save(target)
    return target


def file_refresh(source: Path, tmp_path: Path) -> FileBook:
    """The file backend's refresh of the same workbook, saved and opened again."""
    from journey_workbook.actions.refresh import refresh

    path = tmp_path / "file-backend.xlsx"
    shutil.copy(source, path)
    book = FileBook.open(path)
    assert refresh(book, AS_OF, charts=False).ok
    book.save()
    return FileBook.open(path)


def by_period(raw) -> dict:
    return {(r[0], r[2]): r for r in raw.rows}


def headline_values(book) -> dict:
    return {n: book.read_name(n) for n in HEADLINES}


def body_write(click_, sheet_index: int, top: int) -> dict:
    """The one setValues action that writes a table body starting at row ``top`` (1-based)."""
    (found,) = [a for a in click_.of("setValues")
                if a["sheet_position"] == sheet_index and a["start_row"] == top - 1]
    return found


# -- refresh --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_refresh_writes_the_worked_example_like_the_file_backend(demo, tmp_path, lang):
    source = pinned(demo / f"example-client.{lang}.xlsx", tmp_path / "client.xlsx",
                    clear_results=True)
    done = click(source, "refresh", tmp_path / "after.xlsx")

    # attainment: one write over tblAttainment's body, the figures of DESIGN section 4
    attainment_sheet = "Attainment" if lang == "en" else "达成情况"
    sheet_index = done.workbook.sheetnames.index(attainment_sheet)
    write = body_write(done, sheet_index, top=2)
    assert (write["start_column"], write["row_count"], write["column_count"]) == (0, 28, 11)
    written = {(r[0], r[2]): r for r in write["values"]}
    q2 = written[("conversion_rate", "2026-Q2")]
    assert q2[6] == approx(0.7) and q2[7] == approx(0.42)
    assert q2[8] == ("at risk" if lang == "en" else "有风险")
    assert q2[9] == approx(0.0925) and q2[10] == approx(0.85)
    assert q2[3] == "2026-06-30"  # a date, sent as ISO text as xlwings sends dates

    live = FileBook.open(done.path)
    rows = by_period(live.read_table("tblAttainment"))
    assert rows[("conversion_rate", "2026-Q1")][6] == approx(1.2)
    assert rows[("issue_recurrence_rate", "2026-Q1")][6] == approx(1.5)
    assert rows[("issue_recurrence_rate", "2026-Q2")][6:8] == [approx(0.875), approx(0.4375)]
    adds = rows[("adds_count", "2026-Q2")]
    assert adds[5] == approx(8_400_000) and adds[6] == approx(0.9333)
    assert adds[9] == approx(16_900_000) and adds[10] == approx(0.845)
    assert rows[("training_coverage", "2026-Q1")][6] == approx(0.9444)
    assert rows[("training_coverage", "2026-Q2")][6] == approx(1.0222)
    assert rows[("conversion_rate", "2026-Q2")][3] == datetime(2026, 6, 30)
    assert headline_values(live)["jw_health_score"] == pytest.approx(84.2)
    assert headline_values(live)["jw_as_of"] == datetime(2026, 7, 15)

    # ... exactly what the file backend computes from the same workbook
    filed = file_refresh(source, tmp_path)
    assert live.read_table("tblAttainment") == filed.read_table("tblAttainment")
    assert live.read_table("tblRisks") == filed.read_table("tblRisks")
    assert headline_values(live) == headline_values(filed)

    # the headline cells are written through their defined names, with their number formats
    dashboard = done.workbook.sheetnames.index("Dashboard" if lang == "en" else "仪表盘")
    named = {(a["start_row"], a["start_column"]): a["values"][0][0] for a in done.of("setValues")
             if a["sheet_position"] == dashboard and a["row_count"] == 1}
    assert named[(2, 1)] == "2026-07-15" and named[(3, 1)] == 84.2
    formats = {(a["start_row"], a["start_column"]): a["args"][0] for a in done.of("setNumberFormat")
               if a["sheet_position"] == dashboard}
    assert formats[(2, 1)] == "yyyy-mm-dd" and formats[(3, 1)] == "0.0"

    # the charts, replaced by name at a fixed size (480 x 270 points = 640 x 360 pixels)
    assert [a["args"][1] for a in done.of("setPictureName")] == CHARTS
    assert {a["args"][1] for a in done.of("setPictureWidth")} == {480.0}
    assert {a["args"][1] for a in done.of("setPictureHeight")} == {270.0}
    assert FileBook.open(done.path).picture_names(live.sheet_of_table("tblRisks")) == CHARTS

    alert = done.alert
    assert alert["mode"] == "info"
    if lang == "en":
        assert alert["title"] == "Journey"
        assert alert["prompt"].startswith("Refreshed as of 2026-07-15: 28 attainment row(s), "
                                          "health score 84.2, 5 metric(s) at risk")
        assert ("- Lead conversion rate: 2026-Q2 attainment 70% (plan 8.0%, actual 7.1%)"
                in alert["prompt"])
    else:
        assert alert["title"] == "客户成功旅程"
        assert alert["prompt"].startswith("已刷新（截至 2026-07-15）：28 行达成数据，健康分 84.2")
    # Settings' "As of" row is read, not reported as an unknown setting
    assert "As of" not in alert["prompt"] and "数据截至" not in alert["prompt"]
    # nothing went wrong on the way: no failure, no warning (a missing glyph, say) was logged
    assert not (tmp_path / "logs" / "journey.log").exists()


EN_TARGETS = [
    {"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.10, "Weight": 2},
    {"Metric ID": "issue_recurrence_rate", "Baseline": 0.18, "Target": 0.10, "Weight": 1},
    {"Metric ID": "adds_count", "Baseline": 0, "Target": 20_000_000, "Weight": 1},
    {"Metric ID": "training_coverage", "Target": 0.90, "Weight": 1},
]
EN_PLAN = {"conversion_rate": ("6%", "8%", "9%", "10%"),
           "issue_recurrence_rate": (0.16, 0.14, 0.12, 0.10),
           "adds_count": ("400万", "900万", "1500万", "2000万"),
           "training_coverage": (0.9, 0.9, 0.9, 0.9)}
EN_ACTUALS = {"conversion_rate": ("6.2%", 0.071), "issue_recurrence_rate": (0.15, "14.5%"),
              "adds_count": (4_500_000, "390万"), "training_coverage": ("85%", 0.92)}
QUARTERS = ("2026-Q1", "2026Q2", "Q3 2026", "2026年第四季度")


def typed_client(tmp_path: Path, cadence: str = "quarter", plan: bool = True) -> Path:
    """``journey-workbook new``, then the worked example typed in as a CSM types it."""
    path = tmp_path / "acme.xlsx"
    assert run_cli("new", path, "--client", "Acme", "--start", "2026-01-01", "--end",
                   "2026-12-31", "--cadence", cadence) == 0
    wb = _load(path)
    type_rows(wb, "tblTargets", EN_TARGETS)
    if plan:
        type_rows(wb, "tblPlan", [{"Metric ID": m, "Period": QUARTERS[i], "Planned": v}
                                  for m, values in EN_PLAN.items() for i, v in enumerate(values)])
        type_rows(wb, "tblActuals", [{"Metric ID": m, "Period": QUARTERS[i], "Actual": v}
                                     for m, values in EN_ACTUALS.items()
                                     for i, v in enumerate(values)])
    wb.save(path)
    return pinned(path, tmp_path / "acme-pinned.xlsx")


def test_first_refresh_of_a_typed_workbook_grows_the_tables(tmp_path):
    source = typed_client(tmp_path)
    done = click(source, "refresh", tmp_path / "after.xlsx")

    resized = {done.workbook.worksheets[a["sheet_position"]].title: a["args"][1]
               for a in done.of("resizeTable")}
    assert resized["Attainment"] == "$A$1:$K$17"  # from one empty row to 16 rows
    assert resized["Dashboard"].startswith("$A$10:$C$")
    ws, tbl = find_table(done.workbook, "tblAttainment")
    assert tbl.ref == "A1:K17"

    live = FileBook.open(done.path)
    rows = by_period(live.read_table("tblAttainment"))
    assert rows[("conversion_rate", "2026-Q2")][6:9] == [approx(0.7), approx(0.42), "at risk"]
    assert rows[("adds_count", "2026-Q2")][6] == approx(0.9333)
    assert rows[("conversion_rate", "2026-Q3")][8] == "not due"
    assert live.read_name("jw_health_score") == pytest.approx(84.2)
    filed = file_refresh(source, tmp_path)
    assert live.read_table("tblAttainment") == filed.read_table("tblAttainment")
    assert headline_values(live) == headline_values(filed)


def test_refresh_of_an_invalid_workbook_changes_nothing(demo, tmp_path):
    wb = _load(demo / "example-client.en.xlsx")
    wb["Targets"]["E2"] = "abc"
    wb.save(tmp_path / "bad.xlsx")
    done = click(tmp_path / "bad.xlsx", "refresh", tmp_path / "after.xlsx")
    assert done.funcs() == ["activateSheet", "rangeSelect", "alert"]
    prompt = done.alert["prompt"]
    assert prompt.startswith("Not refreshed: 1 error(s) to fix first. "
                             "The workbook was not changed.")
    assert "Targets!E2: Baseline: 'abc' is not a percent" in prompt
    assert done.applied.selected == [("Targets", "E2")]


def test_refresh_needs_every_headline_name(demo, tmp_path):
    wb = _load(demo / "example-client.en.xlsx")
    del wb.defined_names["jw_health_score"]
    wb.save(tmp_path / "client.xlsx")
    done = click(tmp_path / "client.xlsx", "refresh", tmp_path / "after.xlsx")
    assert done.funcs() == ["activateSheet", "rangeSelect", "alert"]
    assert "Dashboard!B4: The workbook has no defined name jw_health_score" in done.alert["prompt"]
    assert done.applied.selected == [("Dashboard", "B4")]


def test_as_of_that_is_not_a_date(demo, tmp_path):
    wb = _load(demo / "example-client.en.xlsx")
    ws, tbl = find_table(wb, "tblSettings")
    row = next(c.row for c in ws["A"] if c.value == "As of")
    ws.cell(row, 2, "next week")
    wb.save(tmp_path / "client.xlsx")
    done = click(tmp_path / "client.xlsx", "refresh", tmp_path / "after.xlsx")
    assert f"Settings!B{row}: As of: 'next week' is not a date" in done.alert["prompt"]
    assert not done.of("setValues")  # nothing refreshed


# -- validate -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, sheet, heading", [
    ("en", "Targets", "1 error(s) to fix in bad.xlsx:"),
    ("zh-CN", "目标配置", "bad.xlsx 有 1 个错误需要修正："),
])
def test_validation_problem_is_listed_and_its_cell_selected(demo, tmp_path, lang, sheet, heading):
    wb = _load(demo / f"example-client.{lang}.xlsx")
    wb[sheet]["E2"] = "abc"  # Baseline of the first target
    wb.save(tmp_path / "bad.xlsx")
    done = click(tmp_path / "bad.xlsx", "validate", tmp_path / "after.xlsx")
    alert = done.alert
    assert alert["mode"] == "critical"
    lines = alert["prompt"].splitlines()
    assert lines[0] == heading
    fix = "Fix" if lang == "en" else "修正"
    assert lines[2] == (f"{sheet}!E2: Baseline: 'abc' is not a percent (found: 'abc'). "
                        f"{fix}: Type a percent such as 5% or 0.05")
    assert done.applied.activated == [sheet]
    assert done.applied.selected == [(sheet, "E2")]
    assert done.workbook.active.title == sheet


def test_valid_workbook(demo, tmp_path):
    source = pinned(demo / "example-client.en.xlsx", tmp_path / "client.xlsx")
    done = click(source, "validate", tmp_path / "after.xlsx")
    assert done.funcs() == ["alert"]
    assert done.alert == {"prompt": "No problems found in client.xlsx.", "title": "Journey",
                          "buttons": "ok", "mode": "info"}


def test_warnings_only(demo, tmp_path):
    """A row typed just under a table, outside it: read from below the table, reported."""
    wb = _load(demo / "example-client.en.xlsx")
    ws, tbl = find_table(wb, "tblActuals")
    last = int(tbl.ref.split(":")[1][1:])
    ws.cell(last + 1, 1, "conversion_rate")
    ws.cell(last + 1, 2, "2026-Q3")
    wb.save(tmp_path / "client.xlsx")
    done = click(tmp_path / "client.xlsx", "validate", tmp_path / "after.xlsx")
    assert done.alert["mode"] == "info"
    assert done.alert["prompt"].splitlines() == [
        "No errors in client.xlsx; 1 warning(s):", "",
        f"Actuals!A{last + 1}: Row {last + 1} is just below table tblActuals but not part of "
        "it, so it is not read. Fix: Extend the table over it: drag the resize handle at the "
        "table's bottom-right corner, or Table Design > Resize Table."]
    assert not done.applied.selected  # warnings do not move the selection


def test_many_problems_are_cut_short(demo, tmp_path):
    wb = _load(demo / "example-client.en.xlsx")
    for row in range(2, 9):
        wb["Targets"][f"E{row}"] = "abc"
        wb["Targets"][f"F{row}"] = "xyz"
    wb.save(tmp_path / "bad.xlsx")
    prompt = click(tmp_path / "bad.xlsx", "validate", tmp_path / "after.xlsx").alert["prompt"]
    lines = prompt.splitlines()
    assert lines[0] == "14 error(s) to fix in bad.xlsx:"
    assert len([line for line in lines if line.startswith("Targets!")]) == excel.MAX_LISTED
    assert lines[-1].startswith("... and ") and lines[-1].endswith(" more.")


# -- what is not a journey workbook, what fails, what is unknown ----------------------------

def test_not_a_journey_workbook(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Budget"
    wb.active.append(["Item", "Amount"])
    wb.active.append(["Travel", 1200])
    wb.save(tmp_path / "budget.xlsx")
    for tag in ("validate", "refresh", "add_metric"):
        done = click(tmp_path / "budget.xlsx", tag, tmp_path / "after.xlsx")
        assert done.funcs() == ["alert"], tag
        assert done.alert["mode"] == "critical"
        assert done.alert["prompt"] == (
            "budget.xlsx is not a journey workbook: it has none of the tables tblClient, "
            "tblCatalog, tblTargets, tblPlan, tblActuals.\n\n"
            "Create one with: journey-workbook new CLIENT.xlsx --client NAME")


def test_unexpected_failure_is_logged_not_raised(demo, tmp_path, monkeypatch):
    def fails(book):
        raise RuntimeError("the chart engine broke")

    monkeypatch.setitem(excel.ACTIONS, "redraw", fails)
    done = click(demo / "example-client.en.xlsx", "redraw", tmp_path / "after.xlsx")
    log = tmp_path / "logs" / "journey.log"
    assert done.funcs() == ["alert"]
    assert done.alert["mode"] == "critical"
    from journey_workbook.addin.ribbon import ribbon_buttons

    label = next(b.labels["en"] for b in ribbon_buttons() if b.tag == "redraw")
    assert done.alert["prompt"] == (
        f"{label} failed: RuntimeError: the chart engine broke\n\n"
        f"The details are in the log file:\n{log}\n\n"
        "Some changes may already be in the workbook: check it before you save.")
    text = log.read_text(encoding="utf-8")
    assert "run('redraw') on example-client.en.xlsx failed" in text
    assert "Traceback (most recent call last)" in text
    assert 'raise RuntimeError("the chart engine broke")' in text


def test_without_a_calling_workbook_it_logs_and_returns(tmp_path):
    """Outside Excel, with no mock caller, Book.caller() fails: there is no workbook to show a
    message in, so the log gets it, and run() still returns normally."""
    assert excel.run("validate") is None
    text = (tmp_path / "logs" / "journey.log").read_text(encoding="utf-8")
    assert "run('validate') on no workbook failed" in text
    assert "in caller\n" in text and "Traceback (most recent call last)" in text
    assert "no workbook to show this in: " in text


def test_a_registered_action_is_a_new_button(demo, tmp_path, monkeypatch, capsys):
    """Adding a button = a ribbon entry + a function registered with @excel.action. Its
    warnings go to the log, not to stderr (which Excel on macOS shows as an error)."""
    import warnings

    monkeypatch.setattr(excel, "ACTIONS", dict(excel.ACTIONS))

    @excel.action("count_targets")
    def count_targets(book):
        warnings.warn("a font lacks a glyph")
        return f"{len(book.read_table('tblTargets').rows)} target(s)"

    done = click(demo / "example-client.en.xlsx", "count_targets", tmp_path / "after.xlsx")
    assert done.alert["prompt"] == "7 target(s)" and done.alert["mode"] == "info"
    assert "UserWarning: a font lacks a glyph" in (tmp_path / "logs" / "journey.log").read_text(
        encoding="utf-8")
    assert capsys.readouterr().err == ""


def test_unknown_tag(demo, tmp_path):
    done = click(demo / "example-client.en.xlsx", "export", tmp_path / "after.xlsx")
    assert done.funcs() == ["alert"]
    assert done.alert["mode"] == "critical"
    assert done.alert["prompt"] == (
        f"This button asks for 'export', which journey-workbook {__version__} does not know."
        "\n\nThe add-in and the Python package are different versions. Run 'journey-workbook "
        "addin install' to install the add-in that matches, then restart Excel.")


def test_every_ribbon_button_has_an_action():
    from journey_workbook.addin.ribbon import ribbon_tags

    tags = ribbon_tags()
    assert set(tags) <= set(excel.ACTIONS)
    assert sorted(tags) == sorted(["validate", "refresh", "redraw", "add_metric", "plan",
                                   "calendar", "guide"])


# -- add_metric -----------------------------------------------------------------------------

def test_add_metric_from_any_cell_of_a_catalog_row(demo, tmp_path):
    source = demo / "example-client.en.xlsx"
    catalog = FileBook.open(source).read_table("tblCatalog")
    row = next(i for i, r in enumerate(catalog.rows) if r[0] == "repurchase_rate") + 2
    done = click(source, "add_metric", tmp_path / "after.xlsx", selection=f"H{row}",
                 active_sheet="Catalog")

    assert done.alert["prompt"] == ("Added repurchase_rate to the Targets sheet. Type its "
                                    "baseline and target, starting at Targets!E9.")
    assert done.applied.selected == [("Targets", "E9")]
    (resize,) = done.of("resizeTable")
    assert resize["args"][1] == "$A$1:$N$9"
    (values,) = done.of("setValues")
    assert values["values"][0][:2] == ["repurchase_rate", "Repurchase rate"]
    # Baseline and Target are percent-formatted before anything is written
    first_value = done.actions.index(values)
    assert {a["args"][0] for a in done.actions[:first_value]
            if a["func"] == "setNumberFormat" and a["start_column"] in (4, 5)} == {"0.0%"}

    # the same row the file backend adds
    from journey_workbook.actions.targets import add_metric

    shutil.copy(source, tmp_path / "file.xlsx")
    book = FileBook.open(tmp_path / "file.xlsx")
    assert add_metric(book, "repurchase_rate") == "E9"
    book.save()
    assert (FileBook.open(done.path).read_table("tblTargets")
            == FileBook.open(tmp_path / "file.xlsx").read_table("tblTargets"))


@pytest.mark.parametrize("sheet, cell", [("Targets", "C3"), ("Catalog", "A1"),
                                         ("Catalog", "B40")])
def test_add_metric_needs_a_catalog_row(demo, tmp_path, sheet, cell):
    done = click(demo / "example-client.en.xlsx", "add_metric", tmp_path / "after.xlsx",
                 selection=cell, active_sheet=sheet)
    assert done.funcs() == ["alert"]
    assert done.alert["mode"] == "critical"
    assert done.alert["prompt"] == (
        "Select a metric first: no catalog row is selected.\n\n"
        "Click any cell in the metric's row on the Catalog sheet, then click Add metric.")


def test_add_metric_already_targeted(demo, tmp_path):
    done = click(demo / "example-client.zh-CN.xlsx", "add_metric", tmp_path / "after.xlsx",
                 selection="C8", active_sheet="指标库")  # conversion_rate
    assert done.funcs() == ["alert"]
    assert done.alert["title"] == "客户成功旅程"
    assert done.alert["prompt"].startswith(
        "conversion_rate already has a row on the Targets sheet.")


# -- redraw ---------------------------------------------------------------------------------

def _picture_data(wb, sheet: str) -> dict[str, bytes]:
    return {picture_name(im): im._data() for im in wb[sheet]._images}


def _pngs_by_name(done) -> dict[str, bytes]:
    """The PNG each chart name was given: an addPicture followed by the setPictureName that
    names the picture it added."""
    out, pending = {}, None
    for a in done.actions:
        if a["func"] == "addPicture":
            pending = base64.b64decode(a["args"][0])
        elif a["func"] == "setPictureName":
            out[a["args"][1]] = pending
    return out


def test_redraw_twice_replaces_each_chart_by_name(demo, tmp_path):
    source = pinned(demo / "example-client.en.xlsx", tmp_path / "client.xlsx")
    first = click(source, "redraw", tmp_path / "once.xlsx")
    second = click(first.path, "redraw", tmp_path / "twice.xlsx")

    assert second.alert["prompt"] == "Redrew 5 chart(s) as of 2026-07-15."
    # the second run finds the five pictures by name and replaces each one ...
    sent = second.book.sheets["Dashboard"].pictures
    assert [p.name for p in sent] == CHARTS
    assert [a["args"][1] for a in second.of("setPictureName")] == CHARTS
    assert len(second.of("deletePicture")) == len(second.of("addPicture")) == 5
    assert not second.of("setValues")  # a redraw writes no table
    # ... so they are not stacked, and each name shows its own new chart
    after = _picture_data(_load(second.path), "Dashboard")
    assert sorted(after) == sorted(CHARTS)
    assert after == _pngs_by_name(second)
    # at the cells where the file backend put them (the VBA client does not tell where a
    # picture is, so a replaced chart goes back to its anchor cell), at the same size
    def placed(path):
        return {picture_name(im): (im.anchor._from.row, im.anchor._from.col, im.anchor.ext.width,
                                   im.anchor.ext.height) for im in _load(path)["Dashboard"]._images}

    assert placed(second.path) == placed(source)


def test_a_chart_no_longer_drawn_is_deleted_and_the_others_keep_their_images(demo, tmp_path):
    source = pinned(demo / "example-client.en.xlsx", tmp_path / "client.xlsx")
    wb = _load(source)
    ws, tbl = find_table(wb, "tblTargets")
    # conversion_rate (first target row) becomes hidden: its trend chart must not stay behind
    priority_col = [c.value for c in ws[1]].index("Priority") + 1
    ws.cell(2, priority_col, "hidden")
    wb.save(source)
    done = click(source, "refresh", tmp_path / "after.xlsx")
    after = _picture_data(_load(done.path), "Dashboard")
    expected = [c for c in CHARTS if c != "jw_chart_trend_conversion_rate"]
    assert sorted(after) == sorted(expected)
    assert after == _pngs_by_name(done)  # each name shows its own new chart


def test_why_charts_are_not_replaced_with_update(demo, tmp_path):
    """xlwings' ``pictures.add(..., update=True)`` on the remote engine sends ``updatePicture``
    with the picture's position; the client deletes it and adds the new one at the end, which
    moves the pictures after it, but the engine keeps the old positions. A second update in the
    same call then replaces the wrong picture. (If this test fails, xlwings has fixed it, and
    LiveBook.put_picture could use update=True again.)"""
    import xlwings as xw

    from jsonbook import apply_actions, payload_from_xlsx

    book = xw.Book(json=payload_from_xlsx(demo / "example-client.en.xlsx"))
    sheet = book.sheets["Dashboard"]
    pngs = {}
    for name, colour in (("jw_chart_attainment", "red"), ("jw_chart_timeline", "blue")):
        from PIL import Image

        path = tmp_path / f"{name}.png"
        Image.new("RGB", (64, 36), colour).save(path)
        pngs[name] = path.read_bytes()
        sheet.pictures.add(path, name=name, update=True)
    assert [a["func"] for a in book.json()["actions"]] == ["updatePicture", "updatePicture"]
    wb = _load(demo / "example-client.en.xlsx")
    apply_actions(wb, book.json()["actions"])
    wb.save(tmp_path / "after.xlsx")
    data = _picture_data(_load(tmp_path / "after.xlsx"), "Dashboard")
    assert data["jw_chart_attainment"] == pngs["jw_chart_attainment"]
    assert data["jw_chart_timeline"] != pngs["jw_chart_timeline"]  # not replaced ...
    assert data["jw_chart_trend_conversion_rate"] == pngs["jw_chart_timeline"]  # ... this was


# -- plan and calendar ----------------------------------------------------------------------

def test_plan_then_calendar_by_month(tmp_path):
    source = typed_client(tmp_path, cadence="month", plan=False)
    planned = click(source, "plan", tmp_path / "planned.xlsx")
    assert planned.alert["prompt"].startswith("Added 48 plan row(s) for 4 metric(s).")
    # month labels stay text: the Period column is text-formatted before they are written
    plan = FileBook.open(planned.path).read_table("tblPlan")
    assert [r[1] for r in plan.rows[:3]] == ["2026-01", "2026-02", "2026-03"]
    (values,) = planned.of("setValues")
    fmt_first = [a for a in planned.actions[:planned.actions.index(values)]
                 if a["func"] == "setNumberFormat" and a["start_column"] == 1]
    assert [a["args"][0] for a in fmt_first] == ["@"]

    calendar = click(planned.path, "calendar", tmp_path / "calendar.xlsx")
    assert calendar.alert["prompt"].startswith("Added ")
    assert "row(s) to the milestone calendar." in calendar.alert["prompt"].splitlines()[0]

    # the file backend adds the same rows
    from journey_workbook.actions.plan import plan as file_plan

    shutil.copy(source, tmp_path / "file.xlsx")
    book = FileBook.open(tmp_path / "file.xlsx")
    file_plan(book, ("plan",))
    file_plan(book, ("calendar",))
    book.save()
    filed, live = FileBook.open(tmp_path / "file.xlsx"), FileBook.open(calendar.path)
    assert live.read_table("tblPlan") == filed.read_table("tblPlan")
    assert live.read_table("tblCalendar") == filed.read_table("tblCalendar")

    again = click(calendar.path, "plan", tmp_path / "again.xlsx")
    assert again.alert["prompt"] == "Nothing to add: every target already has a plan."
    assert again.funcs() == ["alert"]


# -- guide ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, sheet", [("en", "Guide"), ("zh-CN", "使用指南")])
def test_guide_shows_the_sheet_and_the_versions(demo, tmp_path, lang, sheet):
    import platform

    import xlwings

    done = click(demo / f"example-client.{lang}.xlsx", "guide", tmp_path / "after.xlsx",
                 active_sheet="Client" if lang == "en" else "客户档案", addin="0.1.0")
    assert done.applied.activated == [sheet]
    assert done.applied.selected == [(sheet, "A1")]
    prompt = done.alert["prompt"]
    assert done.alert["mode"] == "info"
    assert f"journey-workbook {__version__}" in prompt
    assert f"xlwings {xlwings.__version__}" in prompt
    assert f"Python {platform.python_version()}" in prompt
    assert str(tmp_path / "logs" / "journey.log") in prompt
    if lang == "en":
        assert "Add-in: 0.1.0" in prompt
        assert "This workbook: schema 1, made by journey-workbook 0.1.0, language en" in prompt
    else:
        assert "加载项：0.1.0" in prompt and "语言 zh-CN" in prompt
