"""What the product writes into a workbook reads back to itself through the product's reader.

Hypothesis generates targets (unit, direction, aggregation, baseline, target, start, due) and
actuals; they are typed into a new workbook as a person types them in Excel (a percent as a
number in a percent-formatted cell, which is what Excel stores for a typed "130%"); then
``plan`` writes the period plan and ``refresh`` the Attainment table. Reopened, the plan read
by ``read_journey`` is exactly what core decomposed, and every Attainment cell (period label,
period end, planned, actual, ratios, forecast, status) reads back to the computed value."""
from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import run_cli, type_rows
from journey_workbook.book.filebook import FileBook
from journey_workbook.core.attainment import compute_attainment
from journey_workbook.core.periods import periods_between
from journey_workbook.core.plan import decompose
from journey_workbook.core.values import parse_date, parse_period
from journey_workbook.reader import read_cell_value, read_journey
from journey_workbook.schema import parse_enum
from journey_workbook.schema.tables import header_map, normalise_header

START, END = date(2026, 1, 1), date(2027, 12, 31)
AS_OF = date(2027, 3, 15)  # some periods due, some not yet
PERCENT_FORMAT = "0.0%"  # what Excel gives a cell where a person typed 12.5%

# A value of each unit as people type them: percent as a fraction up to 200% (a retention of
# 130% is real), counts whole, currency in cents, scores and days to one decimal.
VALUES = {
    "percent": st.integers(0, 20_000).map(lambda n: n / 10_000),
    "count": st.integers(0, 10**9),
    "currency": st.integers(0, 10**11).map(lambda n: n / 100),
    "score": st.integers(0, 10_000).map(lambda n: n / 10),
    "days": st.integers(0, 3650).map(lambda n: n / 10),
}


@st.composite
def targets(draw, index: int):
    unit = draw(st.sampled_from(sorted(VALUES)))
    direction = draw(st.sampled_from(["increase", "decrease", "at_least", "at_most"]))
    cumulative = unit in ("count", "currency") and direction == "increase" and draw(st.booleans())
    baseline = None if cumulative and draw(st.booleans()) else draw(VALUES[unit])
    goal = draw(VALUES[unit])
    base = 0 if baseline is None else baseline
    if direction == "increase":
        assume(goal > base)
    elif direction == "decrease":
        assume(goal < base)
    first = draw(st.integers(0, 5))
    length = draw(st.integers(0, 7 - first))
    quarters = periods_between(START, END, "quarter")
    return {"id": f"hm{index}", "unit": unit, "direction": direction,
            "aggregation": "cumulative" if cumulative else "level", "baseline": baseline,
            "target": goal, "start": quarters[first].start, "due": quarters[first + length].end,
            "actuals": draw(st.lists(VALUES[unit], min_size=0, max_size=8))}


@pytest.fixture(scope="module")
def blanks(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("blank")
    out = {}
    for cadence in ("quarter", "month"):
        out[cadence] = folder / f"{cadence}.xlsx"
        assert run_cli("new", out[cadence], "--client", "Round Trip", "--start", str(START),
                       "--end", str(END), "--cadence", cadence) == 0
    return out


def typed(unit: str) -> dict:
    return {"percent": PERCENT_FORMAT} if unit == "percent" else {}


def type_targets(path: Path, chosen: list[dict]) -> None:
    wb = openpyxl.load_workbook(path)
    type_rows(wb, "tblCatalog", [{"Metric ID": t["id"], "Metric": f"Metric {t['id']}",
                                  "Unit": t["unit"], "Direction": t["direction"],
                                  "Aggregation": t["aggregation"]} for t in chosen])
    for t in chosen:
        type_rows(wb, "tblTargets", [{"Metric ID": t["id"], "Baseline": t["baseline"],
                                      "Target": t["target"], "Direction": t["direction"],
                                      "Start": datetime.combine(t["start"], datetime.min.time()),
                                      "Due": datetime.combine(t["due"], datetime.min.time())}],
                  {"Baseline": PERCENT_FORMAT, "Target": PERCENT_FORMAT}
                  if t["unit"] == "percent" else None)
    wb.save(path)


def type_actuals(path: Path, chosen: list[dict], cadence: str) -> None:
    wb = openpyxl.load_workbook(path)
    for t in chosen:
        periods = periods_between(t["start"], t["due"], cadence)
        rows = [{"Metric ID": t["id"], "Period": p.label, "Actual": value}
                for p, value in zip(periods, t["actuals"]) if p.end <= AS_OF]
        type_rows(wb, "tblActuals", rows, {"Actual": PERCENT_FORMAT, "Period": "@"}
                  if t["unit"] == "percent" else {"Period": "@"})
    wb.save(path)


def attainment_cells(path: Path):
    """tblAttainment as the product's backend reads it: (row values by column key, the
    number format of each cell)."""
    book = FileBook.open(path)
    raw = book.read_table("tblAttainment")
    from journey_workbook.schema import table

    names = header_map(table("tblAttainment"))
    keys = [names.get(normalise_header(h)) for h in raw.headers]
    ws = book.wb[raw.sheet]
    out = []
    for i, values in enumerate(raw.rows):
        formats = [ws.cell(raw.min_row + 1 + i, raw.min_col + j).number_format
                   for j in range(len(values))]
        out.append((dict(zip(keys, values)), dict(zip(keys, formats))))
    return out


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(cadence=st.sampled_from(["quarter", "month"]),
       chosen=st.integers(1, 3).flatmap(lambda n: st.tuples(*[targets(i) for i in range(n)])))
def test_what_plan_and_refresh_write_reads_back_to_itself(blanks, tmp_path_factory, cadence,
                                                          chosen):
    chosen = list(chosen)
    path = tmp_path_factory.mktemp("rt") / "client.xlsx"
    shutil.copyfile(blanks[cadence], path)
    type_targets(path, chosen)

    assert run_cli("plan", path, "--plan-only") == 0
    journey, report = read_journey(FileBook.open(path))
    assert report.issues == [], [i.text() for i in report.issues]
    assert [t.metric_id for t in journey.targets] == [t["id"] for t in chosen]
    for t, read in zip(chosen, journey.targets):
        assert (read.baseline, read.target, read.unit, read.direction, read.start, read.due) == (
            t["baseline"], t["target"], t["unit"], t["direction"], t["start"], t["due"])
    expected = [p for t in journey.targets for p in decompose(t, cadence)]
    assert journey.plan == expected  # every planned value and period, exactly

    type_actuals(path, chosen, cadence)
    assert run_cli("refresh", path, "--as-of", str(AS_OF), "--no-charts") == 0
    journey, report = read_journey(FileBook.open(path))
    assert report.valid, [i.text() for i in report.issues]
    frame = compute_attainment(journey.targets, journey.plan, journey.actuals, AS_OF,
                               journey.thresholds)
    written = attainment_cells(path)
    assert len(written) == len(frame)
    units = {t.metric_id: t.unit for t in journey.targets}
    for (cells, formats), row in zip(written, frame.itertuples(index=False)):
        unit = units[row.metric_id]
        assert cells["metric_id"] == row.metric_id
        assert parse_period(cells["period"], cadence).label == row.period
        assert parse_date(cells["period_end"]) == row.period_end
        for key in ("planned", "actual", "forecast"):
            assert read_cell_value(cells[key], unit, formats[key]) == getattr(row, key), key
        for key in ("period_attainment", "progress", "forecast_attainment"):
            assert read_cell_value(cells[key], "percent", formats[key]) == getattr(row, key), key
        assert parse_enum("status", cells["status"]) == row.status
