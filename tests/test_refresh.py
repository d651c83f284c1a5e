"""`refresh FILE --as-of`: refuses a workbook with errors and leaves it byte for byte; else
writes Attainment, the headline names, the risk flags and the charts as named pictures that a
second refresh replaces, keeping the previous file as a .bak."""
from __future__ import annotations

import shutil
import zipfile
from datetime import datetime

import openpyxl
import pytest

from conftest import defined_value, find_table, run_cli, table_records, type_rows
from journey_workbook.book.filebook import FileBook
from test_worked_example import EN_ACTUALS, EN_PLAN, EN_TARGETS

QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
AS_OF = "2026-07-15"
HEADLINES = ("jw_as_of", "jw_health_score", "jw_days_to_renewal", "jw_overdue_milestones",
             "jw_metrics_at_risk")


def _example(path, priorities=None):
    assert run_cli("new", path, "--client", "Acme", "--start", "2026-01-01", "--end",
                   "2026-12-31") == 0
    wb = openpyxl.load_workbook(path)
    targets = [dict(t, Priority=(priorities or {}).get(t["Metric ID"], "normal"))
               for t in EN_TARGETS]
    type_rows(wb, "tblTargets", targets)
    type_rows(wb, "tblPlan", [{"Metric ID": m, "Period": QUARTERS[i], "Planned": v}
                              for m, values in EN_PLAN for i, v in enumerate(values)])
    type_rows(wb, "tblActuals", [{"Metric ID": m, "Period": QUARTERS[i], "Actual": v}
                                 for m, values in EN_ACTUALS for i, v in enumerate(values)])
    wb.save(path)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    path = tmp_path_factory.mktemp("base") / "example.xlsx"
    _example(path, {"conversion_rate": "key", "adds_count": "key"})
    return path


@pytest.fixture
def example(base, tmp_path):
    path = tmp_path / "client.xlsx"
    shutil.copyfile(base, path)
    return path


def edit(path, change) -> None:
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)


def set_cells(path, table_name, **cells) -> None:
    def change(wb):
        ws, _ = find_table(wb, table_name)
        for coord, value in cells.items():
            ws[coord] = value
    edit(path, change)


def pictures(path) -> list[str]:
    book = FileBook.open(path)
    return book.picture_names(book.sheet_of_table("tblRisks"))


def media(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return sorted(n for n in z.namelist() if n.startswith("xl/media/"))


@pytest.fixture(scope="module")
def refreshed_twice(base, tmp_path_factory):
    """The example refreshed with charts, then refreshed again; the states in between."""
    path = tmp_path_factory.mktemp("twice") / "client.xlsx"
    shutil.copyfile(base, path)
    before = path.read_bytes()
    assert run_cli("refresh", path, "--as-of", AS_OF) == 0
    first = {"bytes": path.read_bytes(), "pictures": pictures(path), "media": media(path),
             "backup": path.with_name("client.xlsx.bak").read_bytes()}
    assert run_cli("refresh", path, "--as-of", "2026-07-16") == 0
    second = {"pictures": pictures(path), "media": media(path),
              "backup": path.with_name("client.xlsx.bak").read_bytes()}
    return path, before, first, second


# -- what a refresh writes ----------------------------------------------------------------


def test_attainment_table_is_written(refreshed_twice):
    path = refreshed_twice[0]
    rows = table_records(path, "tblAttainment")
    assert len(rows) == 16
    assert [(r["Metric ID"], r["Period"]) for r in rows[:4]] == \
           [("conversion_rate", q) for q in QUARTERS]
    q2 = rows[1]
    assert q2["Planned"] == 0.08 and q2["Actual"] == 0.071
    assert q2["Period attainment"] == pytest.approx(0.7) and q2["Status"] == "at risk"
    assert q2["Period end"] == datetime(2026, 6, 30)


def test_attainment_values_are_formatted_by_unit(refreshed_twice):
    wb = openpyxl.load_workbook(refreshed_twice[0])
    ws, tbl = find_table(wb, "tblAttainment")
    header = [c.value for c in ws[tbl.ref][0]]
    col = {h: header.index(h) for h in header}
    for row in ws[tbl.ref][1:]:
        pct = row[0].value != "adds_count"
        for h in ("Planned", "Actual", "Forecast"):
            fmt = row[col[h]].number_format
            assert ("%" in fmt) == pct, (row[0].value, h, fmt)
        assert "%" in row[col["Period attainment"]].number_format
        assert "yy" in row[col["Period end"]].number_format


def test_headline_names_are_set(refreshed_twice):
    path = refreshed_twice[0]
    assert defined_value(path, "jw_as_of") == datetime(2026, 7, 16)
    assert defined_value(path, "jw_health_score") == pytest.approx(84.2)
    assert defined_value(path, "jw_days_to_renewal") == 168
    assert defined_value(path, "jw_metrics_at_risk") == 3
    assert isinstance(defined_value(path, "jw_overdue_milestones"), int)


def test_risks_are_listed(refreshed_twice):
    risks = table_records(refreshed_twice[0], "tblRisks")
    kinds = [(r["Kind"], r["Item"]) for r in risks]
    assert ("at risk", "Lead conversion rate") in kinds
    assert ("forecast shortfall", "Adds count") in kinds
    assert all(r["Detail"] for r in risks)


def test_charts_are_named_pictures(refreshed_twice):
    _, _, first, _ = refreshed_twice
    assert first["pictures"] == ["jw_chart_attainment", "jw_chart_timeline",
                                 "jw_chart_trend_conversion_rate", "jw_chart_trend_adds_count"]
    assert len(first["media"]) == 4


def test_a_second_refresh_replaces_the_pictures(refreshed_twice):
    _, _, first, second = refreshed_twice
    assert second["pictures"] == first["pictures"]
    assert len(second["media"]) == len(first["media"])


def test_the_previous_version_is_kept_as_bak(refreshed_twice):
    _, before, first, second = refreshed_twice
    assert first["backup"] == before
    assert second["backup"] == first["bytes"]


def test_user_sheets_are_not_rewritten(refreshed_twice, base):
    path = refreshed_twice[0]
    for name in ("tblTargets", "tblPlan", "tblActuals", "tblCatalog", "tblClient"):
        assert table_records(path, name) == table_records(base, name), name


# -- refusals -------------------------------------------------------------------------------


def test_refuses_a_workbook_with_errors_and_leaves_it_byte_identical(example, capsys):
    set_cells(example, "tblTargets", E4="abc")
    before = example.read_bytes()
    capsys.readouterr()
    assert run_cli("refresh", example, "--as-of", AS_OF) == 1
    out = capsys.readouterr().out
    assert "Targets!E4" in out and "Not refreshed" in out
    assert example.read_bytes() == before
    assert not example.with_name("client.xlsx.bak").exists()


def test_refuses_without_the_attainment_table(example, capsys):
    def drop(wb):
        ws, _ = find_table(wb, "tblAttainment")
        del ws.tables["tblAttainment"]
    edit(example, drop)
    before = example.read_bytes()
    capsys.readouterr()
    assert run_cli("refresh", example, "--as-of", AS_OF, "--no-charts") == 1
    out = capsys.readouterr()
    assert "tblAttainment" in out.out + out.err and "Traceback" not in out.err
    assert example.read_bytes() == before


def test_refuses_without_a_headline_name(example, capsys):
    edit(example, lambda wb: wb.defined_names.pop("jw_health_score"))
    before = example.read_bytes()
    capsys.readouterr()
    assert run_cli("refresh", example, "--as-of", AS_OF, "--no-charts") == 1
    out = capsys.readouterr()
    assert "jw_health_score" in out.out + out.err
    assert example.read_bytes() == before


def test_refuses_while_open_in_excel(example, capsys):
    lock = example.with_name("~$client.xlsx")
    lock.write_bytes(b"owner")
    before = example.read_bytes()
    assert run_cli("refresh", example, "--as-of", AS_OF, "--no-charts") == 1
    assert "open in Excel" in capsys.readouterr().err
    assert example.read_bytes() == before


def test_bad_as_of_is_a_usage_error(example):
    with pytest.raises(SystemExit) as exc:
        run_cli("refresh", example, "--as-of", "15/07/2026")
    assert exc.value.code == 2


# -- cases a CSM's workbook brings ----------------------------------------------------------


def test_hidden_target_with_actuals_is_tracked_but_not_shown(example):
    edit(example, lambda wb: type_rows(wb, "tblTargets", [
        {"Metric ID": "answer_rate", "Baseline": 0.3, "Target": 0.4, "Priority": "hidden"}]))
    edit(example, lambda wb: type_rows(wb, "tblActuals", [
        {"Metric ID": "answer_rate", "Period": "2026-Q1", "Actual": 0.1}]))
    assert run_cli("plan", example) == 0  # plans the hidden target as well
    assert run_cli("refresh", example, "--as-of", AS_OF, "--no-charts") == 0
    rows = table_records(example, "tblAttainment")
    assert "answer_rate" not in {r["Metric ID"] for r in rows}
    assert defined_value(example, "jw_health_score") == pytest.approx(84.2)


def test_weight_0_leaves_the_health_score(example):
    set_cells(example, "tblTargets", I2=0)  # conversion, whose Q2 is 0.7
    assert run_cli("refresh", example, "--as-of", AS_OF, "--no-charts") == 0
    # (0.8 * 1 + 0.9333 * 1 + 1 * 1) / 3 with issue recurrence at 0.875 -> (0.875+0.9333+1)/3
    assert defined_value(example, "jw_health_score") == pytest.approx(93.6, abs=0.05)


def test_direction_override_on_a_target(example):
    # training coverage is at_least in the catalog; here it is an increase from 80%
    set_cells(example, "tblTargets", D5="increase", E5=0.80)
    assert run_cli("refresh", example, "--as-of", AS_OF, "--no-charts") == 0
    rows = {(r["Metric ID"], r["Period"]): r for r in table_records(example, "tblAttainment")}
    # (85% - 80%) / (90% - 80%) against the flat 90% plan
    assert rows[("training_coverage", "2026-Q1")]["Period attainment"] == pytest.approx(0.5)
    assert rows[("training_coverage", "2026-Q2")]["Progress to target"] == pytest.approx(1.2)


def test_cumulative_target_without_a_baseline(example):
    set_cells(example, "tblTargets", E4=None)
    assert run_cli("refresh", example, "--as-of", AS_OF, "--no-charts") == 0
    rows = {(r["Metric ID"], r["Period"]): r for r in table_records(example, "tblAttainment")}
    assert rows[("adds_count", "2026-Q2")]["Period attainment"] == pytest.approx(0.9333,
                                                                                 abs=5e-5)


def test_renewal_notice_of_0_days_is_kept(example):
    def notice(wb):
        ws, tbl = find_table(wb, "tblSettings")
        for row in ws[tbl.ref][1:]:
            if row[0].value == "Renewal notice days":
                row[1].value = 0
    edit(example, notice)
    assert run_cli("refresh", example, "--as-of", "2026-12-01", "--no-charts") == 0
    kinds = [r["Kind"] for r in table_records(example, "tblRisks")]
    assert "renewal approaching" not in kinds  # 30 days away, notice 0


def test_moved_tables_are_written_where_they_are(example):
    def move(wb):
        ws, tbl = find_table(wb, "tblAttainment")
        ws.move_range(tbl.ref, rows=3, cols=2)
        tbl.ref = tbl.autoFilter.ref = "C4:M5"
        ws, tbl = find_table(wb, "tblActuals")
        ws.move_range(tbl.ref, rows=1, cols=1)
        tbl.ref = tbl.autoFilter.ref = "B2:F10"
    edit(example, move)
    assert run_cli("refresh", example, "--as-of", AS_OF, "--no-charts") == 0
    wb = openpyxl.load_workbook(example)
    ws, tbl = find_table(wb, "tblAttainment")
    assert tbl.ref == "C4:M20"
    assert ws["C5"].value == "conversion_rate" and ws["E5"].value == "2026-Q1"
    assert ws["A5"].value is None and ws["A1"].value is None
    assert defined_value(example, "jw_health_score") == pytest.approx(84.2)


def test_monthly_workbook(tmp_path):
    path = tmp_path / "monthly.xlsx"
    assert run_cli("new", path, "--client", "Acme", "--start", "2026-01-01", "--end",
                   "2026-06-30", "--cadence", "month") == 0
    edit(path, lambda wb: type_rows(wb, "tblTargets", [
        {"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.08}]))
    assert run_cli("plan", path) == 0
    edit(path, lambda wb: type_rows(wb, "tblActuals", [
        {"Metric ID": "conversion_rate", "Period": "2026-01", "Actual": 0.055},
        {"Metric ID": "conversion_rate", "Period": "2026年2月", "Actual": 0.0575}]))
    assert run_cli("refresh", path, "--as-of", "2026-03-15", "--no-charts") == 0
    rows = table_records(path, "tblAttainment")
    assert [r["Period"] for r in rows] == [f"2026-{m:02d}" for m in range(1, 7)]
    assert [r["Status"] for r in rows[:3]] == ["achieved", "at risk", "not due"]
    assert defined_value(path, "jw_days_to_renewal") == 107


def test_refresh_in_chinese_with_charts(tmp_path):
    path = tmp_path / "zh.xlsx"
    assert run_cli("new", path, "--client", "示例", "--start", "2026-01-01", "--end",
                   "2026-12-31", "--lang", "zh-CN") == 0
    edit(path, lambda wb: type_rows(wb, "tblTargets", [
        {"指标ID": "conversion_rate", "基线": "5%", "目标值": "10%", "优先级": "重点"}]))
    assert run_cli("plan", path) == 0
    edit(path, lambda wb: type_rows(wb, "tblActuals", [
        {"指标ID": "conversion_rate", "周期": "2026年第一季度", "实际值": "6.2%"}]))
    assert run_cli("refresh", path, "--as-of", AS_OF) == 0
    rows = table_records(path, "tblAttainment")
    assert rows[0]["状态"] == "正常" and rows[1]["状态"] == "缺数据"  # 6.2% of a 6.3% plan
    assert pictures(path) == ["jw_chart_attainment", "jw_chart_timeline",
                              "jw_chart_trend_conversion_rate"]
    assert defined_value(path, "jw_as_of") == datetime(2026, 7, 15)


def test_refuses_to_grow_a_table_over_what_someone_typed_below_it(example, capsys):
    set_cells(example, "tblAttainment", A8="my note, two rows under the table")
    before = example.read_bytes()
    capsys.readouterr()
    assert run_cli("refresh", example, "--as-of", AS_OF, "--no-charts") == 1
    err = capsys.readouterr().err
    assert "Error: Table tblAttainment" in err and "A8" in err
    assert example.read_bytes() == before


def test_a_chart_no_longer_drawn_is_removed(refreshed_twice, tmp_path):
    path = tmp_path / "client.xlsx"
    shutil.copyfile(refreshed_twice[0], path)
    set_cells(path, "tblTargets", J2="hidden")  # conversion_rate had a trend chart
    assert run_cli("refresh", path, "--as-of", AS_OF) == 0
    assert "jw_chart_trend_conversion_rate" not in pictures(path)
