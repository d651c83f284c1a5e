"""`validate`: every problem is reported with sheet, cell and code, one line per case, on a
copy of DESIGN's worked example (valid as typed) with one thing broken.

Layout of the English example: Targets rows 2-5 are conversion_rate, issue_recurrence_rate,
adds_count, training_coverage (A Metric ID, D Direction, E Baseline, F Target, G Start,
H Due, I Weight, J Priority); Plan rows 2-17 are their Q1-Q4 (B Period, D Planned); Actuals
rows 2-9 are their Q1-Q2 (B Period, C Actual)."""
from __future__ import annotations

import json
import shutil
from datetime import datetime

import openpyxl
import pytest

from conftest import find_table, run_cli, type_rows
from journey_workbook.actions.validate import validate_file
from test_worked_example import (EN_ACTUALS, EN_PLAN, EN_TARGETS, ZH_ACTUALS, ZH_PLAN,
                                 ZH_QUARTERS, ZH_TARGETS)

WHERE = ["sheet", "cell", "code"]
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")


def _example(path, lang, targets, plan, actuals, quarters, headers):
    assert run_cli("new", path, "--client", "Acme", "--start", "2026-01-01", "--end",
                   "2026-12-31", "--lang", lang) == 0
    wb = openpyxl.load_workbook(path)
    mid, period, planned, actual = headers
    type_rows(wb, "tblTargets", targets)
    type_rows(wb, "tblPlan", [{mid: m, period: quarters[i], planned: v}
                              for m, values in plan for i, v in enumerate(values)])
    type_rows(wb, "tblActuals", [{mid: m, period: quarters[i], actual: v}
                                 for m, values in actuals for i, v in enumerate(values)])
    wb.save(path)


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("examples")
    en, zh = folder / "example.en.xlsx", folder / "example.zh-CN.xlsx"
    _example(en, "en", EN_TARGETS, EN_PLAN, EN_ACTUALS, QUARTERS,
             ("Metric ID", "Period", "Planned", "Actual"))
    _example(zh, "zh-CN", ZH_TARGETS, ZH_PLAN, ZH_ACTUALS, ZH_QUARTERS,
             ("指标ID", "周期", "计划值", "实际值"))
    return {"en": en, "zh-CN": zh}


@pytest.fixture
def example(examples, tmp_path):
    """A copy of the valid English example, and a way to change it as a person would."""
    path = tmp_path / "client.xlsx"
    shutil.copyfile(examples["en"], path)
    return path


def edit(path, change) -> None:
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)


def set_cells(path, table_name: str, **cells) -> None:
    def change(wb):
        ws, _ = find_table(wb, table_name)
        for coord, value in cells.items():
            ws[coord] = value
    edit(path, change)


def add_rows(path, table_name: str, rows: list[dict]) -> None:
    edit(path, lambda wb: type_rows(wb, table_name, rows))


def where(path) -> list[list]:
    return validate_file(path).flatten(WHERE)


def test_the_examples_are_valid_as_typed(examples):
    for path in examples.values():
        assert validate_file(path).issues == []
        assert run_cli("validate", path) == 0


# -- one problem, one line -----------------------------------------------------------------


def test_text_typed_as_a_count_baseline(example):
    set_cells(example, "tblTargets", E4="abc")
    assert where(example) == [["Targets", "E4", "not-a-number"]]


def test_text_typed_as_a_percent_baseline(example):
    set_cells(example, "tblTargets", E2="abc")
    assert where(example) == [["Targets", "E2", "not-a-percent"]]


def test_text_typed_as_a_target(example):
    set_cells(example, "tblTargets", F3="ten percent")
    assert where(example) == [["Targets", "F3", "not-a-percent"]]


def test_metric_id_not_in_the_catalog(example):
    add_rows(example, "tblTargets", [{"Metric ID": "churn_rate", "Baseline": 0.1,
                                      "Target": 0.05}])
    assert where(example) == [["Targets", "A6", "unknown-metric"]]


def test_actual_of_a_metric_not_in_the_catalog(example):
    add_rows(example, "tblActuals", [{"Metric ID": "churn_rate", "Period": "2026-Q1",
                                      "Actual": 0.1}])
    assert where(example) == [["Actuals", "A10", "unknown-metric"]]


def test_plan_period_outside_start_and_due(example):
    add_rows(example, "tblPlan", [{"Metric ID": "conversion_rate", "Period": "2027-Q1",
                                   "Planned": 0.11}])
    assert where(example) == [["Plan", "B18", "period-outside-target"]]


def test_plan_period_before_a_later_start(example):
    set_cells(example, "tblTargets", G3=datetime(2026, 4, 1))  # issue recurrence from Q2 on
    assert where(example) == [["Plan", "B6", "period-outside-target"],
                              ["Actuals", "B4", "actual-without-plan"]]


def test_actual_for_a_period_the_plan_does_not_have(example):
    add_rows(example, "tblActuals", [{"Metric ID": "conversion_rate", "Period": "2027-Q1",
                                      "Actual": 0.08}])
    assert where(example) == [["Actuals", "B10", "actual-without-plan"]]


def test_target_equal_to_its_baseline_for_increase(example):
    set_cells(example, "tblTargets", F2=0.05)
    assert where(example) == [["Targets", "F2", "target-equals-baseline"]]


def test_target_equal_to_its_baseline_for_decrease(example):
    set_cells(example, "tblTargets", F3="18%")
    assert where(example) == [["Targets", "F3", "target-equals-baseline"]]


def test_target_equal_to_the_zero_start_of_a_cumulative_metric(example):
    set_cells(example, "tblTargets", E4=None, F4=0)
    assert where(example) == [["Targets", "F4", "target-equals-baseline"]]


def test_target_against_its_direction(example):
    set_cells(example, "tblTargets", F3=0.25)  # a decrease metric planned to rise
    assert where(example) == [["Targets", "F3", "target-against-direction"]]


def test_duplicate_target_rows(example):
    add_rows(example, "tblTargets", [{"Metric ID": "conversion_rate", "Baseline": 0.05,
                                      "Target": 0.12}])
    assert where(example) == [["Targets", "A6", "duplicate-target"]]


def test_duplicate_plan_and_actual_rows(example):
    add_rows(example, "tblPlan", [{"Metric ID": "adds_count", "Period": "2026Q2",
                                   "Planned": 9_500_000}])
    add_rows(example, "tblActuals", [{"Metric ID": "adds_count", "Period": "Q2 2026",
                                      "Actual": 4_000_000}])
    assert where(example) == [["Plan", "B18", "duplicate-plan"],
                              ["Actuals", "B10", "duplicate-actual"]]


def test_ambiguous_5_in_a_percent_cell(example):
    set_cells(example, "tblActuals", C2=5)
    assert where(example) == [["Actuals", "C2", "ambiguous-percent"]]


def test_ambiguous_5_as_a_percent_baseline(example):
    set_cells(example, "tblTargets", E2=5)
    assert where(example) == [["Targets", "E2", "ambiguous-percent"]]


def test_ambiguous_date(example):
    set_cells(example, "tblTargets", G2="03/04/2026")
    assert where(example) == [["Targets", "G2", "ambiguous-date"]]


def test_unambiguous_dates_and_periods_as_people_type_them(example):
    set_cells(example, "tblTargets", G2="2026/1/1", H2="2026年12月31日", G3="13/01/2026")
    set_cells(example, "tblActuals", B2="2026年第一季度", B3="Q2 2026", B4=datetime(2026, 3, 1))
    assert where(example) == []


def test_missing_required_column(example):
    def rename(wb):
        ws, tbl = find_table(wb, "tblTargets")
        ws["F1"] = "Goal value"
        tbl.tableColumns[5].name = "Goal value"
    edit(example, rename)
    assert where(example) == [["Targets", "A1", "missing-column"]]


def test_missing_required_column_of_the_plan(example):
    def rename(wb):
        ws, tbl = find_table(wb, "tblPlan")
        ws["D1"] = "Value"
        tbl.tableColumns[3].name = "Value"
    edit(example, rename)
    assert where(example) == [["Plan", "A1", "missing-column"]]


def test_table_removed_but_cells_kept_is_a_range(example):
    def drop(wb):
        ws, tbl = find_table(wb, "tblPlan")
        del ws.tables["tblPlan"]
    edit(example, drop)
    assert where(example) == [["Plan", "A1", "table-converted-to-range"]]


def test_missing_table(example):
    def drop(wb):
        ws, tbl = find_table(wb, "tblPlan")
        del ws.tables["tblPlan"]
        ws.delete_rows(1, ws.max_row)
    edit(example, drop)
    assert where(example) == [["Plan", None, "missing-table"]]


def test_renamed_table_is_found_and_named(example):
    def rename(wb):
        ws, tbl = find_table(wb, "tblActuals")
        tbl.displayName = tbl.name = "Table1"
    edit(example, rename)
    report = validate_file(example)
    assert report.flatten(WHERE) == [["Actuals", "A1", "missing-table"]]
    assert "Table1" in report.issues[0].text() and "tblActuals" in report.issues[0].text()


def test_empty_trailing_rows_are_ignored(example):
    def stretch(wb):
        for name in ("tblTargets", "tblPlan", "tblActuals", "tblCalendar"):
            ws, tbl = find_table(wb, name)
            first, last = tbl.ref.split(":")
            letters = "".join(ch for ch in last if ch.isalpha())
            row = int(last[len(letters):]) + 10
            tbl.ref = f"{first}:{letters}{row}"
            if tbl.autoFilter is not None:
                tbl.autoFilter.ref = tbl.ref
            ws[f"B{row - 3}"] = "   "  # spaces count as empty
    edit(example, stretch)
    assert where(example) == []


def test_empty_rows_between_rows_are_skipped_with_the_right_cells(example):
    def gap(wb):
        ws, tbl = find_table(wb, "tblActuals")
        ws.move_range("A8:E9", rows=3)
        tbl.ref = tbl.autoFilter.ref = "A1:E12"
        ws["C12"] = "lots"
    edit(example, gap)
    assert where(example) == [["Actuals", "C12", "not-a-percent"]]


def test_cells_are_named_where_a_moved_table_now_is(example):
    def move(wb):
        ws, tbl = find_table(wb, "tblTargets")
        ws.move_range(tbl.ref, rows=3, cols=2)
        tbl.ref = tbl.autoFilter.ref = "C4:P8"
    edit(example, move)
    set_cells(example, "tblTargets", G7="abc")  # adds_count's Baseline, moved from E4
    assert where(example) == [["Targets", "G7", "not-a-number"]]


def test_chinese_labels_typed_in_an_english_workbook(example):
    set_cells(example, "tblTargets", D2="提升", J2="重点", J3="隐藏", D5="不低于")
    assert where(example) == []


def test_unknown_label(example):
    set_cells(example, "tblTargets", D2="upwards", J3="urgent")
    assert where(example) == [["Targets", "D2", "unknown-direction"],
                              ["Targets", "J3", "unknown-priority"]]


def test_weights(example):
    set_cells(example, "tblTargets", I2=0)
    assert where(example) == []
    set_cells(example, "tblTargets", I2=-1, I3="heavy")
    assert where(example) == [["Targets", "I2", "negative-weight"],
                              ["Targets", "I3", "not-a-number"]]


def test_blank_start_and_due_without_contract_dates(example):
    def clear(wb):
        ws, tbl = find_table(wb, "tblClient")
        for row in ws[tbl.ref][1:]:
            if row[0].value in ("Contract start", "Contract end", "Renewal date"):
                row[1].value = None
    edit(example, clear)
    set_cells(example, "tblTargets", G3=datetime(2026, 1, 1), H3=datetime(2026, 12, 31))
    assert where(example) == [["Targets", "G2", "missing-date"],
                              ["Targets", "G4", "missing-date"],
                              ["Targets", "G5", "missing-date"]]


def test_a_cumulative_target_needs_no_baseline(example):
    set_cells(example, "tblTargets", E4=None)
    assert where(example) == []


def test_value_typed_just_below_a_table(example):
    set_cells(example, "tblActuals", A10="conversion_rate", B10="2026-Q3", C10=0.08)
    report = validate_file(example)
    assert report.flatten(WHERE + ["severity"]) == [["Actuals", "A10", "row-outside-table",
                                                      "warning"]]
    assert report.valid


def test_problems_in_a_chinese_workbook_name_the_chinese_sheets(examples, tmp_path):
    path = tmp_path / "zh.xlsx"
    shutil.copyfile(examples["zh-CN"], path)
    set_cells(path, "tblTargets", E4="很多", F2="10")
    set_cells(path, "tblActuals", B3="2026/05")
    assert where(path) == [["目标配置", "F2", "ambiguous-percent"],
                           ["目标配置", "E4", "not-a-number"],
                           ["实际数据", "B3", "period-cadence-mismatch"]]


def test_every_issue_says_what_and_how_to_fix(example):
    set_cells(example, "tblTargets", E4="abc", G2="03/04/2026")
    for issue in validate_file(example).issues:
        text = issue.text()
        assert text.startswith(f"Targets!{issue.cell}: ")
        assert "Fix: " in text and issue.hint
        assert repr(issue.value) in text


# -- the command: exit codes and JSON -------------------------------------------------------


def test_exit_codes(example, tmp_path, capsys):
    assert run_cli("validate", example) == 0
    set_cells(example, "tblTargets", E4="abc")
    capsys.readouterr()
    assert run_cli("validate", example) == 1
    out = capsys.readouterr().out
    assert "Targets!E4" in out and "'abc'" in out and "1 error(s)" in out


@pytest.mark.parametrize("content", [b"", b"not a workbook", b"PK\x03\x04broken"])
def test_unreadable_files_exit_1_with_a_message(tmp_path, capsys, content):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    assert run_cli("validate", path) == 1
    captured = capsys.readouterr()
    assert "broken.xlsx" in captured.out and "Traceback" not in captured.err
    assert run_cli("refresh", path, "--as-of", "2026-07-15") == 1
    assert path.read_bytes() == content


def test_missing_file_and_foreign_workbook_exit_1(tmp_path, capsys):
    assert run_cli("validate", tmp_path / "nowhere.xlsx") == 1
    assert "does not exist" in capsys.readouterr().out
    other = tmp_path / "budget.xlsx"
    openpyxl.Workbook().save(other)
    assert run_cli("validate", other) == 1
    assert "not a journey workbook" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["validate"], ["validate", "a.xlsx", "--xml"],
                                  ["validate", "a.xlsx", "b.xlsx"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as exc:
        run_cli(*argv)
    assert exc.value.code == 2


def test_json_output_carries_the_same_locations(example, capsys):
    set_cells(example, "tblTargets", E4="abc", G2="03/04/2026")
    add_rows(example, "tblActuals", [{"Metric ID": "conversion_rate", "Period": "2027-Q1",
                                      "Actual": 0.08}])
    capsys.readouterr()
    assert run_cli("validate", example, "--json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False and data["errors"] == 3 and data["warnings"] == 0
    located = [[i["sheet"], i["cell"], i["code"]] for i in data["issues"]]
    assert located == validate_file(example).flatten(WHERE) == [
        ["Targets", "G2", "ambiguous-date"], ["Targets", "E4", "not-a-number"],
        ["Actuals", "B10", "actual-without-plan"]]
    first = data["issues"][1]
    assert first["value"] == "abc" and first["severity"] == "error" and first["hint"]
    assert first["table"] == "tblTargets" and first["text"].startswith("Targets!E4: ")


def test_json_of_a_valid_workbook(example, capsys):
    assert run_cli("validate", example, "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"valid": True, "errors": 0, "warnings": 0,
                                                   "issues": []}


def test_json_of_an_unreadable_file(tmp_path, capsys):
    path = tmp_path / "x.xlsx"
    path.write_text("hello")
    assert run_cli("validate", path, "--json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False and len(data["issues"]) == 1
