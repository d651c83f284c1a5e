"""DESIGN section 4's worked example, end to end: `new`, typed in as a person would, `refresh`
through the CLI, read back from the saved file. All figures to 4 decimals."""
from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest

from conftest import defined_value, run_cli, table_records, type_rows

PCT = "0.0%"

EN_TARGETS = [
    {"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.10, "Weight": 2},
    {"Metric ID": "issue_recurrence_rate", "Baseline": 0.18, "Target": 0.10, "Weight": 1},
    {"Metric ID": "adds_count", "Baseline": 0, "Target": 20_000_000, "Weight": 1},
    {"Metric ID": "training_coverage", "Target": 0.90, "Weight": 1},
]
EN_PLAN = [
    ("conversion_rate", (0.06, 0.08, 0.09, 0.10)),
    ("issue_recurrence_rate", (0.16, 0.14, 0.12, 0.10)),
    ("adds_count", (4_000_000, 9_000_000, 15_000_000, 20_000_000)),
    ("training_coverage", (0.90, 0.90, 0.90, 0.90)),
]
EN_ACTUALS = [
    ("conversion_rate", (0.062, 0.071)),
    ("issue_recurrence_rate", (0.15, 0.145)),
    ("adds_count", (4_500_000, 3_900_000)),
    ("training_coverage", (0.85, 0.92)),
]

# The same example, typed as text the way people type it in a Chinese workbook.
ZH_TARGETS = [
    {"指标ID": "conversion_rate", "基线": "5%", "目标值": "10%", "权重": "2"},
    {"指标ID": "issue_recurrence_rate", "基线": "18%", "目标值": "10％", "权重": 1},
    {"指标ID": "adds_count", "基线": "0", "目标值": "2000万", "权重": 1},
    {"指标ID": "training_coverage", "目标值": "90%", "权重": 1},
]
ZH_PLAN = [
    ("conversion_rate", ("6%", "8%", "9%", "10%")),
    ("issue_recurrence_rate", ("16%", "14%", "12%", "10%")),
    ("adds_count", ("400万", "900w", "1,500万", "0.2亿")),
    ("training_coverage", ("90%", "90%", "90%", "90%")),
]
ZH_ACTUALS = [
    ("conversion_rate", ("6.2%", "7.1%")),
    ("issue_recurrence_rate", ("15%", "14.5%")),
    ("adds_count", ("450万", "390万")),
    ("training_coverage", ("85%", "92%")),
]
ZH_QUARTERS = ("2026年第一季度", "2026Q2", "Q3 2026", "2026年第四季度")


def _make(tmp_path, lang, targets, plan, actuals, quarters, headers, fmt):
    path = tmp_path / f"client-{lang}.xlsx"
    assert run_cli("new", path, "--client", "Acme" if lang == "en" else "示例客户",
                   "--start", "2026-01-01", "--end", "2026-12-31", "--lang", lang) == 0
    wb = openpyxl.load_workbook(path)
    mid, period, planned, actual = headers
    units = {"adds_count": None}
    type_rows(wb, "tblTargets", targets,
              {h: PCT for h in ("Baseline", "Target")} if fmt else None)
    type_rows(wb, "tblPlan", [{mid: m, period: quarters[i], planned: v}
                              for m, values in plan for i, v in enumerate(values)])
    type_rows(wb, "tblActuals", [{mid: m, period: quarters[i], actual: v}
                                 for m, values in actuals for i, v in enumerate(values)])
    if fmt:  # percent-formatted cells, as Excel shows a typed 6.2%
        for name in ("tblPlan", "tblActuals"):
            from conftest import find_table
            ws, tbl = find_table(wb, name)
            for row in ws[tbl.ref][1:]:
                if row[0].value != "adds_count":
                    for cell in row:
                        if isinstance(cell.value, float):
                            cell.number_format = PCT
    wb.save(path)
    return path


@pytest.fixture(params=["en", "zh-CN"])
def refreshed(request, tmp_path):
    if request.param == "en":
        path = _make(tmp_path, "en", EN_TARGETS, EN_PLAN, EN_ACTUALS,
                     ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"),
                     ("Metric ID", "Period", "Planned", "Actual"), fmt=True)
    else:
        path = _make(tmp_path, "zh-CN", ZH_TARGETS, ZH_PLAN, ZH_ACTUALS, ZH_QUARTERS,
                     ("指标ID", "周期", "计划值", "实际值"), fmt=False)
    assert run_cli("validate", path) == 0
    assert run_cli("refresh", path, "--as-of", "2026-07-15", "--no-charts") == 0
    return request.param, path


def _rows(path, lang):
    records = table_records(path, "tblAttainment")
    if lang != "en":  # same columns, Chinese headers: map them back
        from journey_workbook.schema import table

        cols = table("tblAttainment").columns
        zh_to_en = {c.zh: c.en for c in cols}
        records = [{zh_to_en[k]: v for k, v in r.items()} for r in records]
    return {(r["Metric ID"], r["Period"]): r for r in records}


def test_worked_example_figures(refreshed):
    lang, path = refreshed
    rows = _rows(path, lang)
    approx = lambda x: pytest.approx(x, abs=5e-5)
    conv1, conv2 = rows[("conversion_rate", "2026-Q1")], rows[("conversion_rate", "2026-Q2")]
    assert conv1["Period attainment"] == approx(1.2)
    assert conv2["Period attainment"] == approx(0.7)
    assert conv2["Progress to target"] == approx(0.42)
    assert conv2["Forecast"] == approx(0.0925)
    assert conv2["Forecast attainment"] == approx(0.85)
    issue2 = rows[("issue_recurrence_rate", "2026-Q2")]
    assert rows[("issue_recurrence_rate", "2026-Q1")]["Period attainment"] == approx(1.5)
    assert issue2["Period attainment"] == approx(0.875)
    assert issue2["Progress to target"] == approx(0.4375)
    adds2 = rows[("adds_count", "2026-Q2")]
    assert adds2["Actual"] == approx(8_400_000)
    assert adds2["Period attainment"] == approx(0.9333)
    assert adds2["Progress to target"] == approx(0.42)
    assert adds2["Forecast"] == approx(16_900_000)
    assert adds2["Forecast attainment"] == approx(0.845)
    assert rows[("training_coverage", "2026-Q1")]["Period attainment"] == approx(0.9444)
    assert rows[("training_coverage", "2026-Q2")]["Period attainment"] == approx(1.0222)
    assert defined_value(path, "jw_health_score") == pytest.approx(84.2, abs=0.05)
    assert defined_value(path, "jw_as_of") == datetime(2026, 7, 15)


def test_worked_example_statuses(refreshed):
    lang, path = refreshed
    rows = _rows(path, lang)
    from journey_workbook.schema import ENUMS

    label = lambda key: ENUMS["status"].label(key, lang)
    assert rows[("conversion_rate", "2026-Q1")]["Status"] == label("achieved")
    # exactly at the 0.70 threshold, which naive float division puts just below it
    assert rows[("conversion_rate", "2026-Q2")]["Status"] == label("at_risk")
    assert rows[("conversion_rate", "2026-Q3")]["Status"] == label("not_due")
    assert rows[("conversion_rate", "2026-Q4")]["Status"] == label("not_due")
    assert rows[("issue_recurrence_rate", "2026-Q2")]["Status"] == label("at_risk")
    assert rows[("adds_count", "2026-Q2")]["Status"] == label("on_track")
    assert rows[("training_coverage", "2026-Q1")]["Status"] == label("on_track")
    assert rows[("training_coverage", "2026-Q2")]["Status"] == label("achieved")
