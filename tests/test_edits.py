"""The edits people really make to a journey workbook in Excel, each made with openpyxl on a
copy of the demo client (English: Targets rows 2-8, Plan rows 2-29 (7 metrics x 4 quarters),
Actuals rows 2-15 (Q1 and Q2 of each), Client!B12 is the cadence). Each edit must give a
located message (sheet, cell, code) or the right result, never a traceback or a silent
wrong answer."""
from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from conftest import find_table, run_cli, table_records, type_rows
from journey_workbook.actions.validate import validate_file
from journey_workbook.book.filebook import FileBook
from journey_workbook.reader import read_journey

WHERE = ["sheet", "cell", "code"]
AS_OF = ("--as-of", "2026-07-15")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("demo")
    assert run_cli("demo", folder, *AS_OF) == 0
    return {"en": folder / "example-client.en.xlsx", "zh-CN": folder / "example-client.zh-CN.xlsx"}


@pytest.fixture
def client(demo, tmp_path) -> Path:
    path = tmp_path / "client.xlsx"
    shutil.copyfile(demo["en"], path)
    return path


def edit(path: Path, change) -> Path:
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def report(path: Path):
    return validate_file(path)


def where(path: Path) -> list[list]:
    return report(path).flatten(WHERE)


def refresh(path: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = run_cli("refresh", path, *AS_OF, "--no-charts")
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def attainment(path: Path) -> dict[tuple[str, str], dict]:
    return {(r["Metric ID"], r["Period"]): r for r in table_records(path, "tblAttainment")}


def assert_worked_example(path: Path) -> None:
    """DESIGN section 4's figures, which the demo client reproduces."""
    rows = attainment(path)
    q2 = rows[("conversion_rate", "2026-Q2")]
    assert round(q2["Period attainment"], 4) == 0.7 and round(q2["Progress to target"], 4) == 0.42
    assert round(rows[("issue_recurrence_rate", "2026-Q2")]["Period attainment"], 4) == 0.875
    assert round(rows[("adds_count", "2026-Q2")]["Period attainment"], 4) == 0.9333
    assert round(rows[("training_coverage", "2026-Q1")]["Period attainment"], 4) == 0.9444


def unchanged_by(path: Path, capsys) -> str:
    """Refresh refuses the workbook and leaves it as it was; returns what it printed."""
    before = path.read_bytes()
    code, text = refresh(path, capsys)
    assert code == 1 and "Not refreshed" in text
    assert path.read_bytes() == before
    return text


def table_columns(wb, name: str):
    ws, tbl = find_table(wb, name)
    c1, r1, c2, r2 = range_boundaries(tbl.ref)
    return ws, tbl, c1, r1, c2, r2


def set_ref(tbl, c1, r1, c2, r2) -> None:
    tbl.ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
    if tbl.autoFilter is not None:
        tbl.autoFilter.ref = tbl.ref


def delete_column(name: str, header: str):
    """Right-click a column of the table > Delete > Table Columns."""
    def change(wb):
        ws, tbl, c1, r1, c2, r2 = table_columns(wb, name)
        j = [c.name for c in tbl.tableColumns].index(header)
        ws.delete_cols(c1 + j)
        del tbl.tableColumns[j]
        for k, col in enumerate(tbl.tableColumns, start=1):
            col.id = k
        set_ref(tbl, c1, r1, c2 - 1, r2)
    return change


def swap_columns(name: str, first: str, second: str):
    """Cut a column and insert it elsewhere: header and cells move together."""
    def change(wb):
        ws, tbl, c1, r1, c2, r2 = table_columns(wb, name)
        names = [c.name for c in tbl.tableColumns]
        a, b = names.index(first), names.index(second)
        for r in range(r1, r2 + 1):
            x, y = ws.cell(r, c1 + a), ws.cell(r, c1 + b)
            x.value, y.value = y.value, x.value
            x.number_format, y.number_format = y.number_format, x.number_format
        cols = tbl.tableColumns
        cols[a].name, cols[b].name = cols[b].name, cols[a].name
    return change


def retitle(name: str, header: str, new: str):
    """Type a new header text over a table's header cell."""
    def change(wb):
        ws, tbl, c1, r1, c2, r2 = table_columns(wb, name)
        j = [c.name for c in tbl.tableColumns].index(header)
        ws.cell(r1, c1 + j).value = new
        tbl.tableColumns[j].name = new
    return change


def cells(sheet: str, **values):
    def change(wb):
        for coord, value in values.items():
            wb[sheet][coord] = value
    return change


# -- columns: deleted, moved, renamed, translated ---------------------------------------------


def test_a_needed_column_deleted(client, capsys):
    edit(client, delete_column("tblTargets", "Baseline"))
    found = report(client)
    assert found.flatten(WHERE) == [["Targets", "A1", "missing-column"]]
    assert "'Baseline'" in found.issues[0].message and "row 2" in found.issues[0].message
    unchanged_by(client, capsys)


def test_a_required_column_deleted(client, capsys):
    edit(client, delete_column("tblActuals", "Actual"))
    assert where(client) == [["Actuals", "A1", "missing-column"]]
    unchanged_by(client, capsys)


def test_an_optional_column_deleted_changes_nothing(client, capsys):
    edit(client, delete_column("tblTargets", "Notes"))
    edit(client, delete_column("tblActuals", "Source"))
    assert where(client) == []
    assert refresh(client, capsys)[0] == 0
    assert_worked_example(client)


def test_a_column_of_the_attainment_table_deleted(client, capsys):
    edit(client, delete_column("tblAttainment", "Status"))
    assert where(client) == []
    assert refresh(client, capsys)[0] == 0
    assert_worked_example(client)
    assert "Status" not in table_records(client, "tblAttainment")[0]


def test_columns_moved(client, capsys):
    edit(client, swap_columns("tblTargets", "Baseline", "Target"))
    edit(client, swap_columns("tblActuals", "Metric ID", "Actual"))
    edit(client, swap_columns("tblAttainment", "Metric ID", "Status"))
    assert where(client) == []
    assert refresh(client, capsys)[0] == 0
    assert_worked_example(client)
    first = table_records(client, "tblAttainment")[0]
    assert list(first)[0] == "Status" and first["Status"] == "achieved"


def test_plan_writes_under_moved_columns(client, capsys):
    def change(wb):
        swap_columns("tblPlan", "Period", "Planned")(wb)
        type_rows(wb, "tblTargets", [{"Metric ID": "answer_rate", "Baseline": 0.30,
                                      "Target": 0.40, "Start": datetime(2026, 1, 1),
                                      "Due": datetime(2026, 12, 31)}])
    edit(client, change)
    assert run_cli("plan", client, "--plan-only") == 0
    rows = [r for r in table_records(client, "tblPlan") if r["Metric ID"] == "answer_rate"]
    assert [(r["Period"], r["Planned"]) for r in rows] == [
        ("2026-Q1", 0.325), ("2026-Q2", 0.35), ("2026-Q3", 0.375), ("2026-Q4", 0.4)]
    assert where(client) == []


def test_a_header_renamed_to_something_unknown(client, capsys):
    edit(client, retitle("tblTargets", "Baseline", "Starting point"))
    found = report(client)
    assert found.flatten(WHERE) == [["Targets", "A1", "missing-column"]]
    issue = found.issues[0]
    assert "'Starting point' (E1)" in issue.message and "'Baseline'" in issue.hint
    unchanged_by(client, capsys)


def test_a_required_header_renamed(client):
    edit(client, retitle("tblActuals", "Actual", "Value"))
    found = report(client)
    assert found.flatten(WHERE) == [["Actuals", "A1", "missing-column"]]
    assert "'Value' (C1)" in found.issues[0].message


def test_headers_translated_english_to_chinese(client, capsys):
    edit(client, retitle("tblTargets", "Baseline", "基线"))
    edit(client, retitle("tblActuals", "Period", "周期"))
    edit(client, retitle("tblAttainment", "Planned", "计划值"))
    assert where(client) == []
    assert refresh(client, capsys)[0] == 0
    assert_worked_example(client)


def test_headers_translated_chinese_to_english(demo, tmp_path, capsys):
    path = tmp_path / "zh.xlsx"
    shutil.copyfile(demo["zh-CN"], path)
    edit(path, retitle("tblTargets", "目标值", "Target"))
    edit(path, retitle("tblActuals", "实际值", "Actual"))
    assert where(path) == []
    assert refresh(path, capsys)[0] == 0
    rows = {(r["指标ID"], r["周期"]): r for r in table_records(path, "tblAttainment")}
    assert round(rows[("conversion_rate", "2026-Q2")]["周期达成率"], 4) == 0.7


# -- cells: text in numbers, merges, formulas, dates -------------------------------------------


def test_text_in_number_cells(client, capsys):
    edit(client, cells("Actuals", C6="about 4.5M"))
    edit(client, cells("Targets", I3="heavy"))
    assert where(client) == [["Targets", "I3", "not-a-number"],
                             ["Actuals", "C6", "not-a-number"]]
    unchanged_by(client, capsys)


def test_merged_cells_inside_a_table_that_blank_a_needed_cell(client, capsys):
    edit(client, lambda wb: wb["Actuals"].merge_cells("A2:A3"))
    found = report(client)
    assert found.flatten(WHERE) == [["Actuals", "A3", "merged-cells"]]
    assert "A2:A3" in found.issues[0].message and "Unmerge" in found.issues[0].hint
    unchanged_by(client, capsys)


def test_merged_cells_inside_a_table_that_blank_an_optional_cell(client, capsys):
    edit(client, lambda wb: wb["Targets"].merge_cells("K2:L2"))
    found = report(client)
    assert found.flatten(WHERE + ["severity"]) == [["Targets", "K2", "merged-cells", "warning"]]
    assert "K2:L2" in found.issues[0].message and found.valid
    assert refresh(client, capsys)[0] == 0


def test_formulas_without_a_cached_value(client, capsys):
    edit(client, cells("Actuals", C2="=0.06+0.002"))
    edit(client, cells("Targets", F3="=E3-0.08"))
    assert where(client) == [["Targets", "F3", "formula-without-value"],
                             ["Actuals", "C2", "formula-without-value"]]
    unchanged_by(client, capsys)


def test_dates_typed_as_text_are_read(client, capsys):
    edit(client, cells("Targets", G2="2026/3/1", H2="2026年12月31日"))
    edit(client, cells("Calendar", A2="2026年1月2日"))
    assert where(client) == []
    journey, _ = read_journey(FileBook.open(client))
    conversion = journey.target("conversion_rate")
    assert (conversion.start, conversion.due) == (date(2026, 3, 1), date(2026, 12, 31))
    assert journey.calendar[0].when == date(2026, 1, 2)
    assert refresh(client, capsys)[0] == 0


def test_an_ambiguous_date_is_reported_not_guessed(client, capsys):
    edit(client, cells("Targets", G3="03/04/2026"))
    edit(client, cells("Calendar", A3="03/04/2026"))
    found = report(client)
    assert found.flatten(WHERE) == [["Targets", "G3", "ambiguous-date"],
                                    ["Calendar", "A3", "ambiguous-date"]]
    assert "2026-04-03" in found.issues[0].hint and "2026-03-04" in found.issues[0].hint
    unchanged_by(client, capsys)


def test_a_percent_above_100_typed_in_excel(client, capsys):
    """Excel stores a typed 130% as 1.3 in a percent-formatted cell: that is not ambiguous,
    and neither is the plan the product writes from it. A bare 1.3 in a General cell is."""
    def retention(wb):
        type_rows(wb, "tblTargets", [{"Metric ID": "retention_rate", "Direction": "increase",
                                      "Baseline": 1.1, "Target": 1.3}],
                  {"Baseline": "0%", "Target": "0%"})
    edit(client, retention)
    assert where(client) == []
    assert run_cli("plan", client, "--plan-only") == 0
    plan = [r for r in table_records(client, "tblPlan") if r["Metric ID"] == "retention_rate"]
    assert [r["Planned"] for r in plan] == [1.15, 1.2, 1.25, 1.3]
    assert where(client) == []
    assert refresh(client, capsys)[0] == 0
    edit(client, lambda wb: setattr(wb["Targets"]["F9"], "number_format", "General"))
    assert where(client) == [["Targets", "F9", "ambiguous-percent"]]


def test_profile_and_settings_values_are_named_in_messages(client):
    edit(client, cells("Client", B12="weekly"))
    edit(client, cells("Settings", B5=-10))
    edit(client, cells("Targets", H3=datetime(2025, 1, 1)))
    found = report(client)
    assert found.flatten(WHERE) == [["Client", "B12", "unknown-cadence"],
                                    ["Settings", "B5", "not-a-whole-number"],
                                    ["Targets", "H3", "due-before-start"]]
    texts = [i.text() for i in found.issues]
    assert texts[0].startswith("Client!B12: Cadence: 'weekly' is not one of the choices")
    assert texts[1].startswith("Settings!B5: Renewal notice days: -10 is not a whole number")
    assert "(found: '2025-01-01')" in texts[2]  # a date as people write it, not a repr


# -- rows: below the table, twice, orphaned ----------------------------------------------------


def test_a_row_typed_just_below_a_table(client, capsys):
    edit(client, cells("Actuals", A16="conversion_rate", B16="2026-Q3", C16=0.08))
    found = report(client)
    assert found.flatten(WHERE + ["severity"]) == [["Actuals", "A16", "row-outside-table",
                                                     "warning"]]
    assert "Resize Table" in found.issues[0].hint
    code, text = refresh(client, capsys)
    assert code == 0 and "Actuals!A16" in text  # refreshed, and told why Q3 is not counted
    assert attainment(client)[("conversion_rate", "2026-Q3")]["Actual"] is None


def test_plan_does_not_write_over_a_row_typed_below_the_plan(client, capsys):
    def change(wb):
        type_rows(wb, "tblTargets", [{"Metric ID": "answer_rate", "Baseline": 0.30,
                                      "Target": 0.40}])
        wb["Plan"]["A31"] = "my note"  # a blank row, then a note under the table
        wb["Plan"]["A30"] = "answer_rate"
    edit(client, change)
    before = client.read_bytes()
    capsys.readouterr()
    assert run_cli("plan", client, "--plan-only") == 1
    err = capsys.readouterr().err
    assert "tblPlan" in err and "A30" in err and "Traceback" not in err
    assert client.read_bytes() == before


def test_the_same_metric_twice(client, capsys):
    def change(wb):
        type_rows(wb, "tblTargets", [{"Metric ID": "adds_count", "Baseline": 0,
                                      "Target": 30_000_000}])
        type_rows(wb, "tblActuals", [{"Metric ID": "adds_count", "Period": "2026 Q2",
                                      "Actual": 4_000_000}])
        ws, tbl, c1, r1, c2, r2 = table_columns(wb, "tblCatalog")
        for c in range(c1, c2 + 1):  # copy the conversion row to the end of the catalog
            ws.cell(r2 + 1, c).value = ws.cell(2, c).value
        set_ref(tbl, c1, r1, c2, r2 + 1)
    edit(client, change)
    assert where(client) == [["Catalog", "A22", "duplicate-metric"],
                             ["Targets", "A9", "duplicate-target"],
                             ["Actuals", "B16", "duplicate-actual"]]
    unchanged_by(client, capsys)


def test_a_catalog_row_deleted_while_targets_use_it(client, capsys):
    def change(wb):
        ws, tbl, c1, r1, c2, r2 = table_columns(wb, "tblCatalog")
        row = next(r for r in range(r1 + 1, r2 + 1) if ws.cell(r, 1).value == "conversion_rate")
        ws.delete_rows(row)
        set_ref(tbl, c1, r1, c2, r2 - 1)
    edit(client, change)
    found = report(client)
    # one message, at the target row; its plan and actual rows are not flagged again
    assert found.flatten(WHERE) == [["Targets", "A2", "unknown-metric"]]
    assert "Catalog" in found.issues[0].hint
    unchanged_by(client, capsys)


# -- tables and sheets -------------------------------------------------------------------------


def convert_to_range(name: str):
    """Table Design > Convert to Range: the ListObject goes, the cells stay."""
    def change(wb):
        ws, _ = find_table(wb, name)
        del ws.tables[name]
    return change


@pytest.mark.parametrize("name, sheet, ref", [("tblTargets", "Targets", "A1:N8"),
                                              ("tblActuals", "Actuals", "A1:E15"),
                                              ("tblCalendar", "Calendar", "A1:K16"),
                                              ("tblAttainment", "Attainment", "A1:K29")])
def test_a_table_converted_to_a_plain_range(client, capsys, name, sheet, ref):
    edit(client, convert_to_range(name))
    found = report(client)
    assert found.flatten(WHERE) == [[sheet, "A1", "table-converted-to-range"]]
    text = found.issues[0].text()
    assert f"{sheet}!{ref}" in text and "Insert > Table" in text and f"name it {name}" in text
    unchanged_by(client, capsys)


def test_a_table_deleted_with_its_cells(client, capsys):
    def change(wb):
        convert_to_range("tblPlan")(wb)
        wb["Plan"].delete_rows(1, 40)
    edit(client, change)
    assert where(client) == [["Plan", None, "missing-table"]]
    unchanged_by(client, capsys)


def test_a_range_moved_elsewhere_is_found_on_another_sheet(client):
    def change(wb):
        convert_to_range("tblTargets")(wb)
        notes = wb.create_sheet("Notes")
        for row in wb["Targets"].iter_rows(min_row=1, max_row=8, max_col=14, values_only=True):
            notes.append([None, None] + list(row))
        wb["Targets"].delete_rows(1, 10)
    edit(client, change)
    found = report(client)
    assert found.flatten(WHERE) == [["Notes", "C1", "table-converted-to-range"]]
    assert "Notes!C1:P8" in found.issues[0].message


def test_sheets_renamed_reordered_and_hidden(client, capsys):
    def change(wb):
        ws = wb["Targets"]
        ws.title = "Goals 2026"
        wb.move_sheet(ws, offset=len(wb.sheetnames))
        wb["Plan"].sheet_state = "hidden"
        wb.move_sheet(wb["Actuals"], offset=-4)
    edit(client, change)
    assert where(client) == []
    assert refresh(client, capsys)[0] == 0
    assert_worked_example(client)
    edit(client, cells("Goals 2026", E4="lots"))
    assert where(client) == [["Goals 2026", "E4", "not-a-number"]]


def test_the_dashboard_renamed(client, capsys):
    def change(wb):  # Excel rewrites the defined names that point at a renamed sheet
        wb["Dashboard"].title = "Overview"
        for name in wb.defined_names.values():
            name.attr_text = name.attr_text.replace("'Dashboard'!", "'Overview'!")
    edit(client, change)
    assert where(client) == []
    capsys.readouterr()
    assert run_cli("refresh", client, "--as-of", "2026-08-01") == 0
    wb = openpyxl.load_workbook(client)
    assert wb["Overview"]["B3"].value == datetime(2026, 8, 1)
    assert len(wb["Overview"]._images) >= 3  # the charts went to the renamed sheet


# -- the cadence changed after planning --------------------------------------------------------


def test_cadence_changed_from_quarter_to_month_after_planning(client, capsys):
    edit(client, cells("Client", B12="month"))
    found = report(client)
    plan_cells = [["Plan", f"B{r}", "period-cadence-mismatch"] for r in range(2, 30)]
    actual_cells = [["Actuals", f"B{r}", "period-cadence-mismatch"] for r in range(2, 16)]
    assert found.flatten(WHERE) == ([["Client", "B12", "cadence-changed"]] + plan_cells
                                    + actual_cells)
    first, plan_row = found.issues[0], found.issues[1]
    assert "'month'" in first.message and "28 row(s) on Plan" in first.message
    assert plan_row.hint.startswith("Set Cadence (Client!B12) back to quarter")
    assert "run plan again" in plan_row.hint and plan_row.value == "2026-Q1"
    unchanged_by(client, capsys)
    before = client.read_bytes()
    assert run_cli("plan", client, "--plan-only") == 0  # nothing planned over the old rows
    assert client.read_bytes() == before


def test_cadence_set_back_clears_it(client, capsys):
    edit(client, cells("Client", B12="month"))
    edit(client, cells("Client", B12="季度"))  # 'quarter', typed in Chinese
    assert where(client) == []
    assert refresh(client, capsys)[0] == 0
