"""`plan`: period milestones for every target without plan rows, and the default calendar;
what is already there is never changed, and running it twice adds nothing."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import openpyxl
import pytest

from conftest import find_table, run_cli, table_records, type_rows
from journey_workbook.actions.validate import validate_file
from journey_workbook.schema import parse_enum

PEOPLE = {"ours": ["Alex Chen", "Sam Lee"], "client": ["Jordan Wu", "Taylor Zhang", "Morgan Li"]}


def _build_client(path, args, lang, start, end, roles):
    dates = [a for a in (("--start", start) if start else ()) + (("--end", end) if end else ())]
    assert run_cli("new", path, "--client", "Acme", "--lang", lang, *dates, *args) == 0
    if roles:
        wb = openpyxl.load_workbook(path)
        ws, tbl = find_table(wb, "tblRoles")
        people = {"ours": list(PEOPLE["ours"]), "client": list(PEOPLE["client"])}
        for row in ws[tbl.ref][1:]:
            side = parse_enum("side", row[1].value)
            row[2].value = people[side].pop(0)
        wb.save(path)


@pytest.fixture(scope="module")
def _clients(tmp_path_factory):
    return tmp_path_factory.mktemp("clients"), {}


@pytest.fixture
def new_client(_clients, tmp_path):
    """A fresh client workbook (contract 2026, people named on the Roles sheet); each kind
    is made once with `new` and copied, as making one is the slow part of these tests."""
    folder, made = _clients

    def make(*args, name="client.xlsx", lang="en", start="2026-01-01", end="2026-12-31",
             roles=True):
        key = (args, lang, start, end, roles)
        if key not in made:
            made[key] = folder / f"client{len(made)}.xlsx"
            _build_client(made[key], args, lang, start, end, roles)
        path = tmp_path / name
        shutil.copyfile(made[key], path)
        return path
    return make


def add_targets(path, rows, table="tblTargets"):
    wb = openpyxl.load_workbook(path)
    type_rows(wb, table, rows)
    wb.save(path)


def plan_of(path) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for r in table_records(path, "tblPlan"):
        out.setdefault(r["Metric ID"], []).append((r["Period"], r["Period end"], r["Planned"]))
    return out


def snapshot(path) -> dict[tuple, object]:
    """Every non-empty cell of every sheet, with its number format."""
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): (c.value, c.number_format)
            for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.value not in (None, "")}


Q = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
Q_ENDS = (datetime(2026, 3, 31), datetime(2026, 6, 30), datetime(2026, 9, 30),
          datetime(2026, 12, 31))


# -- the period plan -----------------------------------------------------------------------


def test_plan_is_linear_from_baseline_to_target_and_rounded_for_the_unit(new_client):
    path = new_client()
    add_targets(path, [
        {"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.10, "Weight": 2},
        {"Metric ID": "issue_recurrence_rate", "Baseline": 0.18, "Target": 0.10},
        {"Metric ID": "adds_count", "Baseline": 0, "Target": 20_000_000},
        {"Metric ID": "lead_volume", "Baseline": 0, "Target": 1000},
        {"Metric ID": "employee_satisfaction", "Baseline": 3.5, "Target": 4.2},
        {"Metric ID": "training_coverage", "Target": 0.90},
    ])
    assert run_cli("plan", path) == 0
    plan = plan_of(path)
    assert plan["conversion_rate"] == list(zip(Q, Q_ENDS, (0.063, 0.075, 0.088, 0.10)))
    assert [p[2] for p in plan["issue_recurrence_rate"]] == [0.16, 0.14, 0.12, 0.10]
    assert [p[2] for p in plan["adds_count"]] == [5_000_000, 10_000_000, 15_000_000, 20_000_000]
    assert [p[2] for p in plan["lead_volume"]] == [250, 500, 750, 1000]
    assert [p[2] for p in plan["employee_satisfaction"]] == [3.7, 3.9, 4.0, 4.2]
    assert [p[2] for p in plan["training_coverage"]] == [0.9] * 4  # a threshold to hold
    assert validate_file(path).issues == []


def test_plan_rounding_keeps_whole_counts_and_ends_exactly_on_target(new_client):
    path = new_client()
    add_targets(path, [{"Metric ID": "lead_volume", "Baseline": 0, "Target": 1000,
                        "Start": datetime(2026, 4, 1)},
                       {"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.0571}])
    assert run_cli("plan", path) == 0
    plan = plan_of(path)
    assert [p[:2] for p in plan["lead_volume"]] == list(zip(Q[1:], Q_ENDS[1:]))
    assert [p[2] for p in plan["lead_volume"]] == [333, 667, 1000]
    values = [p[2] for p in plan["conversion_rate"]]
    assert values[-1] == 0.0571 and values == sorted(values) and len(set(values)) == 4


def test_plan_covers_only_the_periods_between_start_and_due(new_client):
    path = new_client()
    add_targets(path, [{"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.08,
                        "Start": "2026-04-15", "Due": "2026/9/1"}])
    assert run_cli("plan", path) == 0
    assert plan_of(path)["conversion_rate"] == [
        ("2026-Q2", datetime(2026, 6, 30), 0.065), ("2026-Q3", datetime(2026, 9, 30), 0.08)]


def test_monthly_cadence(new_client):
    path = new_client("--cadence", "month", end="2026-06-30")
    add_targets(path, [{"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.08},
                       {"Metric ID": "adds_count", "Target": 600_000}])
    assert run_cli("plan", path) == 0
    plan = plan_of(path)
    months = [f"2026-{m:02d}" for m in range(1, 7)]
    assert [p[0] for p in plan["conversion_rate"]] == months
    assert [p[2] for p in plan["conversion_rate"]] == [0.055, 0.06, 0.065, 0.07, 0.075, 0.08]
    assert plan["conversion_rate"][1][1] == datetime(2026, 2, 28)
    assert [p[2] for p in plan["adds_count"]] == [100_000 * k for k in range(1, 7)]
    reviews = [r for r in table_records(path, "tblCalendar")
               if parse_enum("calendar_type", r["Type"]) == "review"]
    assert [r["Date"] for r in reviews][:3] == [datetime(2026, 1, 31), datetime(2026, 2, 28),
                                                datetime(2026, 3, 31)]
    assert len(reviews) == 6
    assert validate_file(path).issues == []


def test_plan_values_carry_the_units_number_format(new_client):
    path = new_client()
    add_targets(path, [{"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.10},
                       {"Metric ID": "adds_count", "Target": 20_000_000}])
    assert run_cli("plan", path) == 0
    wb = openpyxl.load_workbook(path)
    ws, tbl = find_table(wb, "tblPlan")
    for mid, period, end, planned in ws[tbl.ref][1:]:
        assert "yy" in end.number_format
        if mid.value == "conversion_rate":
            assert "%" in planned.number_format
        else:
            assert planned.number_format == "#,##0"
    ws, tbl = find_table(wb, "tblCalendar")
    dates = [row[0] for row in ws[tbl.ref][1:]]
    assert len(dates) == 15 and all("yy" in c.number_format for c in dates)


def test_hidden_targets_and_direction_overrides_are_planned_too(new_client):
    path = new_client()
    add_targets(path, [
        {"Metric ID": "answer_rate", "Baseline": 0.30, "Target": 0.40, "Priority": "hidden"},
        # training coverage is at_least in the catalog; this client wants it ramped up
        {"Metric ID": "training_coverage", "Baseline": 0.50, "Target": 0.90,
         "Direction": "increase"},
        # Chinese labels typed in an English workbook
        {"Metric ID": "repurchase_rate", "Baseline": 0.40, "Target": 0.20, "Direction": "降低",
         "Priority": "重点"},
    ])
    assert run_cli("plan", path) == 0
    plan = plan_of(path)
    assert [p[2] for p in plan["answer_rate"]] == [0.325, 0.35, 0.375, 0.40]
    assert [p[2] for p in plan["training_coverage"]] == [0.6, 0.7, 0.8, 0.9]
    assert [p[2] for p in plan["repurchase_rate"]] == [0.35, 0.30, 0.25, 0.20]
    reviews = [r for r in table_records(path, "tblCalendar")
               if parse_enum("calendar_type", r["Type"]) == "review"]
    # a hidden metric is planned but not put on the client's review agenda
    assert all("answer_rate" not in (r["Metrics"] or "") for r in reviews)
    assert validate_file(path).issues == []


def test_targets_with_problems_are_skipped_and_said_so(new_client, capsys):
    path = new_client(start=None, end=None)
    add_targets(path, [{"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.10}])
    before = path.read_bytes()
    capsys.readouterr()
    assert run_cli("plan", path) == 0
    out = capsys.readouterr().out
    assert "Targets!G2" in out and "Start and Due are needed" in out
    assert "Contract start" in out  # why no calendar either
    assert "every target already has a plan" not in out
    assert path.read_bytes() == before


# -- the calendar --------------------------------------------------------------------------


def calendar(path) -> list[dict]:
    return table_records(path, "tblCalendar")


def test_calendar_has_kickoff_stages_reviews_and_renewal(new_client):
    path = new_client("--csm", "Alex Chen")
    wb = openpyxl.load_workbook(path)
    ws, tbl = find_table(wb, "tblSettings")
    for row in ws[tbl.ref][1:]:
        if row[0].value == "Renewal notice days":
            row[1].value = 60
    wb.save(path)
    add_targets(path, [
        {"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.10},
        {"Metric ID": "adds_count", "Target": 900, "Start": "2026-07-01"},
    ])
    assert run_cli("plan", path) == 0
    rows = calendar(path)
    kinds = [parse_enum("calendar_type", r["Type"]) for r in rows]
    assert [r["Date"] for r in rows] == sorted(r["Date"] for r in rows)
    assert all(parse_enum("calendar_status", r["Status"]) == "planned" for r in rows)

    (kickoff,) = [r for r, k in zip(rows, kinds) if k == "kickoff"]
    assert kickoff["Date"] == datetime(2026, 1, 1)

    stages = [r for r, k in zip(rows, kinds) if k == "milestone"]
    backbone = [r["Stage ID"] for r in table_records(path, "tblBackbone")]
    assert [r["Stage ID"] for r in stages] == backbone
    by_stage = {r["Stage ID"]: r for r in table_records(path, "tblBackbone")}
    holder = {r["Role"]: r["Person"] for r in table_records(path, "tblRoles")}
    assert holder["Trainer"] == "Sam Lee"
    for r in stages:  # owned by the person holding the stage's role, else by the role
        role = by_stage[r["Stage ID"]]["Owner role"]
        assert r["Owner"] == holder.get(role, role)
        assert by_stage[r["Stage ID"]]["Stage"] in r["Topic"]
    assert {r["Owner"] for r in stages} >= {"Alex Chen", "Sam Lee", "Implementation consultant"}

    reviews = [r for r, k in zip(rows, kinds) if k == "review"]
    assert [r["Date"] for r in reviews] == list(Q_ENDS)
    assert [r["Metrics"] for r in reviews] == ["conversion_rate", "conversion_rate",
                                               "conversion_rate, adds_count",
                                               "conversion_rate, adds_count"]
    assert "Lead conversion rate" in reviews[0]["Topic"] and "2026-Q1" in reviews[0]["Topic"]
    assert "Adds count" in reviews[2]["Topic"]

    (renewal,) = [r for r, k in zip(rows, kinds) if k == "renewal"]
    assert renewal["Date"] == datetime(2026, 12, 31) - timedelta(days=60)
    assert "2026-12-31" in renewal["Topic"]

    for r in rows:
        assert r["Our participants"] == "Alex Chen, Sam Lee"
        assert r["Client participants"] == "Jordan Wu, Taylor Zhang, Morgan Li"
    for r in [kickoff, renewal, *reviews]:
        assert r["Owner"] == "Alex Chen"
    assert validate_file(path).issues == []


def test_calendar_owner_comes_from_roles_when_the_profile_has_no_csm(new_client):
    for lang in ("en", "zh-CN"):
        path = new_client(name=f"c.{lang}.xlsx", lang=lang)
        assert run_cli("plan", path) == 0
        rows = calendar(path)
        kickoff = rows[0]
        assert parse_enum("calendar_type", list(kickoff.values())[1]) == "kickoff"
        assert list(kickoff.values())[7] == "Alex Chen", lang  # the Roles row of the CSM


def test_chinese_calendar_topics(new_client):
    path = new_client(lang="zh-CN")
    add_targets(path, [{"指标ID": "conversion_rate", "基线": "5%", "目标值": "10%"}])
    assert run_cli("plan", path) == 0
    rows = calendar(path)
    assert rows[0]["主题"] == "项目启动会" and rows[0]["类型"] == "启动会"
    review = next(r for r in rows if r["类型"] == "复盘会")
    assert review["主题"].startswith("2026-Q1 复盘") and "线索转化率" in review["主题"]
    assert all(r["状态"] == "计划中" for r in rows)


# -- nothing the user made changes ----------------------------------------------------------


def test_existing_rows_are_never_changed_and_a_second_run_adds_nothing(new_client, capsys):
    path = new_client()
    add_targets(path, [
        {"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.10},
        {"Metric ID": "issue_recurrence_rate", "Baseline": 0.18, "Target": 0.10},
    ])
    # The CSM's own plan for conversion (not linear) and a re-dated, re-worded kick-off.
    add_targets(path, [{"Metric ID": "conversion_rate", "Period": p, "Planned": v}
                       for p, v in zip(Q, (0.06, 0.08, 0.09, 0.10))], table="tblPlan")
    add_targets(path, [{"Date": datetime(2026, 1, 12), "Type": "kickoff",
                        "Topic": "Kick-off at the client's HQ", "Status": "done",
                        "Done on": datetime(2026, 1, 12)}], table="tblCalendar")
    before = snapshot(path)
    assert run_cli("plan", path) == 0
    after = snapshot(path)
    changed = {k: (v, after.get(k)) for k, v in before.items() if after.get(k) != v}
    assert changed == {}
    plan = plan_of(path)
    assert [p[2] for p in plan["conversion_rate"]] == [0.06, 0.08, 0.09, 0.10]
    assert [p[2] for p in plan["issue_recurrence_rate"]] == [0.16, 0.14, 0.12, 0.10]
    kickoffs = [r for r in calendar(path) if parse_enum("calendar_type", r["Type"]) == "kickoff"]
    assert len(kickoffs) == 1 and kickoffs[0]["Topic"] == "Kick-off at the client's HQ"

    once = path.read_bytes()
    capsys.readouterr()
    assert run_cli("plan", path) == 0
    assert "Added 0 plan row(s)" in capsys.readouterr().out
    assert path.read_bytes() == once  # nothing to add, nothing written


def test_a_new_target_later_gets_its_plan_without_touching_the_others(new_client):
    path = new_client()
    add_targets(path, [{"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.10}])
    assert run_cli("plan", path) == 0
    wb = openpyxl.load_workbook(path)
    ws, tbl = find_table(wb, "tblPlan")
    ws["D3"] = 0.07  # the CSM edits a generated value
    wb.save(path)
    add_targets(path, [{"Metric ID": "upsell_rate", "Baseline": 0.1, "Target": 0.2}])
    before = snapshot(path)
    assert run_cli("plan", path) == 0
    after = snapshot(path)
    assert {k: v for k, v in before.items() if after.get(k) != v} == {}
    assert plan_of(path)["conversion_rate"][1][2] == 0.07
    assert [p[2] for p in plan_of(path)["upsell_rate"]] == [0.125, 0.15, 0.175, 0.2]
    assert len(calendar(path)) == 15  # the calendar was complete already


def test_plan_appends_after_the_last_row_even_with_empty_rows_in_the_table(new_client):
    path = new_client()
    add_targets(path, [{"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.10}])
    wb = openpyxl.load_workbook(path)
    ws, tbl = find_table(wb, "tblPlan")
    tbl.ref = "A1:D12"  # a table stretched over empty rows, as people do
    tbl.autoFilter.ref = tbl.ref
    wb.save(path)
    assert run_cli("plan", path) == 0
    wb = openpyxl.load_workbook(path)
    ws, tbl = find_table(wb, "tblPlan")
    assert [ws.cell(r, 2).value for r in range(2, 6)] == list(Q)
    assert validate_file(path).issues == []


def test_plan_only_and_calendar_only(new_client):
    path = new_client()
    add_targets(path, [{"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.10}])
    assert run_cli("plan", path, "--calendar-only") == 0
    assert plan_of(path) == {}
    reviews = [r for r in calendar(path) if parse_enum("calendar_type", r["Type"]) == "review"]
    assert reviews[0]["Metrics"] == "conversion_rate"
    assert run_cli("plan", path, "--plan-only") == 0
    assert len(plan_of(path)["conversion_rate"]) == 4
    with pytest.raises(SystemExit) as exc:
        run_cli("plan", path, "--plan-only", "--calendar-only")
    assert exc.value.code == 2


def test_plan_of_a_moved_table(new_client):
    """Tables are found by name: a Plan table moved down and right still gets its rows."""
    path = new_client()
    add_targets(path, [{"Metric ID": "conversion_rate", "Baseline": 0.05, "Target": 0.10}])
    wb = openpyxl.load_workbook(path)
    ws, tbl = find_table(wb, "tblPlan")
    ws.move_range("A1:D2", rows=4, cols=2)
    tbl.ref = tbl.autoFilter.ref = "C5:F6"
    wb.save(path)
    assert run_cli("plan", path) == 0
    wb = openpyxl.load_workbook(path)
    ws, tbl = find_table(wb, "tblPlan")
    assert tbl.ref == "C5:F9"
    assert [ws.cell(r, 3).value for r in range(6, 10)] == ["conversion_rate"] * 4
    assert [ws.cell(r, 6).value for r in range(6, 10)] == [0.063, 0.075, 0.088, 0.1]
    assert ws["A6"].value is None
    assert validate_file(path).issues == []
