"""Generated workbooks in LibreOffice: they open and render (Chinese included), and a
workbook re-saved by LibreOffice, as a CSM without Excel would, refreshes without loss."""
from __future__ import annotations

import openpyxl
import pytest

from conftest import defined_value, find_table, run_cli, table_records, type_rows
from lo import convert, pdf_text


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert run_cli("demo", out) == 0
    return out


@pytest.mark.parametrize("lang, expected", [
    ("en", ["Journey dashboard", "Health score", "Lead conversion rate", "Risk flags"]),
    ("zh-CN", ["客户成功旅程仪表盘", "健康分", "线索转化率", "风险提示", "本工作簿的用法"]),
])
def test_libreoffice_renders_generated_workbook(demo, tmp_path, lang, expected):
    pdf = convert(demo / f"example-client.{lang}.xlsx", tmp_path / "pdf", "pdf", tmp_path / "p")
    text = pdf_text(pdf)
    for phrase in expected:
        assert phrase in text, f"{phrase!r} not rendered in the {lang} PDF"
    assert "84.2" in text  # the health score's cached value is what viewers show


def test_libreoffice_resaved_workbook_refreshes_without_loss(demo, tmp_path):
    src = tmp_path / "client.xlsx"
    src.write_bytes((demo / "example-client.zh-CN.xlsx").read_bytes())
    # a CSM's own content on user sheets, which must survive both programs
    wb = openpyxl.load_workbook(src)
    ws, tbl = find_table(wb, "tblTargets")
    ws["N2"] = "客户要求每月同步一次"
    wb.save(src)
    resaved = convert(src, tmp_path / "lo", "xlsx:Calc MS Excel 2007 XML", tmp_path / "p")

    assert run_cli("validate", resaved) == 0
    assert run_cli("refresh", resaved, "--as-of", "2026-07-15") == 0

    rows = {(r["指标ID"], r["周期"]): r for r in table_records(resaved, "tblAttainment")}
    assert rows[("conversion_rate", "2026-Q2")]["周期达成率"] == pytest.approx(0.7, abs=5e-5)
    assert rows[("conversion_rate", "2026-Q2")]["状态"] == "有风险"
    assert rows[("adds_count", "2026-Q2")]["实际值"] == pytest.approx(8_400_000)
    assert defined_value(resaved, "jw_health_score") == pytest.approx(84.2, abs=0.05)

    wb = openpyxl.load_workbook(resaved)
    tables = {t.displayName for w in wb.worksheets for t in w.tables.values()}
    assert {"tblClient", "tblTargets", "tblPlan", "tblActuals", "tblCalendar", "tblRoles",
            "tblCatalog", "tblBackbone", "tblSettings", "tblAttainment", "tblRisks"} <= tables
    ws, _ = find_table(wb, "tblTargets")
    assert ws["N2"].value == "客户要求每月同步一次"
    sources = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert {"jw_metric_ids", "jw_list_direction", "jw_list_priority"} <= sources
    for name in ("jw_as_of", "jw_health_score", "jw_days_to_renewal", "jw_overdue_milestones",
                 "jw_metrics_at_risk", "jw_metric_ids", "jw_list_direction"):
        assert name in wb.defined_names, name
    dashboard, _ = find_table(wb, "tblRisks")
    names = sorted(im.anchor.pic.nvPicPr.cNvPr.name for im in dashboard._images)
    assert names == sorted(["jw_chart_attainment", "jw_chart_timeline",
                            "jw_chart_trend_conversion_rate", "jw_chart_trend_adds_count",
                            "jw_chart_trend_add_friend_rate"])  # replaced, not stacked
    pct = wb[find_table(wb, "tblAttainment")[0].title]["G2"].number_format
    assert "%" in pct


def test_formula_without_cached_value_is_reported_then_read_after_libreoffice(tmp_path):
    path = tmp_path / "client.xlsx"
    assert run_cli("new", path, "--client", "Acme", "--start", "2026-01-01",
                   "--end", "2026-12-31") == 0
    wb = openpyxl.load_workbook(path)
    type_rows(wb, "tblTargets", [{"Metric ID": "conversion_rate", "Baseline": 0.05,
                                  "Target": 0.10}])
    type_rows(wb, "tblPlan", [{"Metric ID": "conversion_rate", "Period": f"2026-Q{q}",
                               "Planned": v} for q, v in ((1, .06), (2, .08), (3, .09), (4, .1))])
    # a formula as someone types it in a program that does not calculate (openpyxl here)
    type_rows(wb, "tblActuals", [{"Metric ID": "conversion_rate", "Period": "2026-Q1",
                                  "Actual": "=0.031+0.031"}])
    wb.save(path)
    from journey_workbook.actions.validate import validate_file

    report = validate_file(path)
    assert report.flatten(["sheet", "cell", "code"]) == [["Actuals", "C2", "formula-without-value"]]
    assert run_cli("refresh", path, "--as-of", "2026-07-15", "--no-charts") == 1

    calculated = convert(path, tmp_path / "lo", "xlsx:Calc MS Excel 2007 XML", tmp_path / "p",
                         recalc=True)
    assert validate_file(calculated).flatten(["code"]) == []
    assert run_cli("refresh", calculated, "--as-of", "2026-07-15", "--no-charts") == 0
    rows = {(r["Metric ID"], r["Period"]): r for r in table_records(calculated, "tblAttainment")}
    assert rows[("conversion_rate", "2026-Q1")]["Period attainment"] == pytest.approx(1.2, abs=5e-5)
