"""Plan decomposition and the default milestone calendar."""
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from journey_workbook.core.model import PlanPoint, Stage, Target
from journey_workbook.core.periods import Period
from journey_workbook.core.plan import decompose, default_calendar, plan_values

START, DUE = date(2026, 1, 1), date(2026, 12, 31)


def target(direction, baseline, final, unit="percent", aggregation="level", metric_id="m", priority="key",
           start=START, due=DUE):
    return Target(metric_id, metric_id.capitalize(), direction, unit, aggregation, baseline, final, start, due,
                  priority=priority)


def planned(t, cadence="quarter"):
    return [p.planned for p in decompose(t, cadence)]


def test_percent_plan_is_linear_and_rounded_to_a_tenth_of_a_point():
    points = decompose(target("increase", 0.05, 0.10), "quarter")
    assert [p.period.label for p in points] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert [p.planned for p in points] == [0.063, 0.075, 0.088, 0.1]  # 6.25% -> 6.3%: halves round up
    assert all(p.metric_id == "m" for p in points)


def test_decrease_plan():
    assert planned(target("decrease", 0.18, 0.10)) == [0.16, 0.14, 0.12, 0.10]


def test_percent_plan_uses_hundredths_of_a_point_only_when_tenths_would_repeat():
    assert planned(target("increase", 0.05, 0.052)) == [0.0505, 0.051, 0.0515, 0.052]


def test_percent_plan_too_fine_for_hundredths_stays_unrounded_but_monotone():
    values = planned(target("increase", 0.05, 0.051), "month")
    assert len(values) == 12 and values[-1] == 0.051
    assert all(a < b for a, b in zip([0.05] + values, values))


def test_count_plan_is_whole_numbers_and_cumulative_without_baseline_starts_at_zero():
    assert planned(target("increase", None, 20_000_000, unit="count", aggregation="cumulative")) == [5e6, 1e7, 1.5e7, 2e7]
    assert planned(target("increase", 0, 10, unit="count")) == [3, 5, 8, 10]  # 2.5 -> 3, 7.5 -> 8


def test_small_count_plan_falls_back_to_decimals_to_stay_strictly_monotone():
    assert planned(target("increase", 0, 2, unit="count")) == [0.5, 1, 1.5, 2]


def test_score_and_days_plans_use_one_decimal():
    assert planned(target("increase", 3, 4, unit="score")) == [3.3, 3.5, 3.8, 4]
    assert planned(target("decrease", 10, 5, unit="days"), "month")[:3] == [9.6, 9.2, 8.8]


def test_threshold_plans():
    assert planned(target("at_least", None, 0.9)) == [0.9] * 4
    assert planned(target("at_most", None, 3, unit="days")) == [3.0] * 4
    assert planned(target("at_least", 0.95, 0.9)) == [0.9] * 4  # already held: nothing to ramp
    assert planned(target("at_least", 0.5, 0.9)) == [0.6, 0.7, 0.8, 0.9]  # not yet held: ramp up


def test_due_before_start_gives_no_plan():
    assert decompose(target("increase", 0, 10, start=DUE, due=START), "quarter") == []
    assert plan_values(target("increase", 0, 10), 0) == []


def test_target_equal_to_baseline_is_flat():
    assert planned(target("increase", 0.05, 0.05)) == [0.05] * 4


@given(st.integers(-10_000, 10_000), st.integers(-10_000, 10_000), st.integers(1, 36),
       st.sampled_from(["percent", "count", "currency", "score", "days"]))
def test_plans_end_exactly_at_the_target_and_move_strictly_towards_it(b, t, n, unit):
    scale = 10_000 if unit == "percent" else 10
    baseline, final = b / scale, t / scale
    values = plan_values(target("increase" if t >= b else "decrease", baseline, final, unit=unit), n)
    assert len(values) == n and values[-1] == final
    if b != t:
        sign = 1 if t > b else -1
        assert all(sign * (y - x) > 0 for x, y in zip([baseline] + values, values))


# --- calendar ------------------------------------------------------------------------------

STAGES = [
    Stage("S3", 3, "Integration", "Implementation engineer", 4),
    Stage("S1", 1, "Contract hand-off", "Sales", 1),
    {"stage_id": "S4", "order": 4, "stage": "Training", "owner_role": "Trainer", "weeks": 2},
    {"stage_id": "S5", "order": 5, "name": "Go-live", "owner_role": "CSM", "weeks": 1},
    Stage("S2", 2, "Discovery", "CSM", 2),
]


def calendar(**overrides):
    targets = [target("increase", 0.05, 0.10, metric_id="conv"),
               target("decrease", 0.18, 0.10, metric_id="recur", due=date(2026, 6, 30)),
               target("increase", 0, 10, unit="count", metric_id="secret", priority="hidden")]
    options = dict(renewal_date=date(2027, 1, 1), notice_days=90, our_participants="Ann (CSM)",
                   client_participants="Bo (sponsor)", owner="Ann",
                   role_owners={"Trainer": "Tim", "CSM": "Ann"})
    options.update(overrides)
    return default_calendar(START, STAGES, targets, "quarter", **options)


def test_calendar_starts_with_the_kickoff_and_is_sorted():
    rows = calendar()
    assert (rows[0].kind, rows[0].when, rows[0].topic) == ("kickoff", START, "Kick-off")
    assert [r.when for r in rows] == sorted(r.when for r in rows)
    assert all(r.status == "planned" and r.our_participants == "Ann (CSM)" for r in rows)
    assert all(r.client_participants == "Bo (sponsor)" for r in rows)


def test_stage_milestones_accumulate_typical_weeks_in_stage_order():
    stages = [(r.stage_id, r.when, r.owner) for r in calendar() if r.kind == "stage"]
    assert stages == [
        ("S1", date(2026, 1, 8), "Sales"), ("S2", date(2026, 1, 22), "Ann"),
        ("S3", date(2026, 2, 19), "Implementation engineer"), ("S4", date(2026, 3, 5), "Tim"),
        ("S5", date(2026, 3, 12), "Ann"),
    ]
    topics = {r.stage_id: r.topic for r in calendar() if r.kind == "stage"}
    assert topics["S4"] == "Training complete" and topics["S5"] == "Go-live complete"


def test_a_review_at_each_period_end_names_the_metrics_due():
    reviews = [r for r in calendar() if r.kind == "review"]
    assert [r.when for r in reviews] == [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]
    assert reviews[0].metrics == ("conv", "recur") and reviews[0].topic == "2026-Q1 review: Conv, Recur"
    assert reviews[2].metrics == ("conv",)  # recur was due by Q2; the hidden target never shows
    assert all(r.owner == "Ann" for r in reviews)


def test_renewal_review_is_notice_days_before_renewal():
    renewal = [r for r in calendar() if r.kind == "renewal"]
    assert len(renewal) == 1 and renewal[0].when == date(2026, 10, 3)
    assert "2027-01-01" in renewal[0].topic
    assert not [r for r in calendar(renewal_date=None) if r.kind == "renewal"]


def test_explicit_plan_and_localised_topics():
    plan = [PlanPoint("conv", Period(2026, "quarter", 2), 0.08)]
    rows = calendar(plan=plan, topics={"review": "{period} 业务回顾：{metrics}", "review_without_metrics": "{period} 业务回顾",
                                       "kickoff": "启动会"})
    reviews = [r for r in rows if r.kind == "review"]
    assert [r.topic for r in reviews] == ["2026-Q1 业务回顾", "2026-Q2 业务回顾：Conv"]
    assert rows[0].topic == "启动会"


def test_calendar_without_plan_or_renewal_has_no_reviews():
    rows = default_calendar(START, [], [], "quarter")
    assert [r.kind for r in rows] == ["kickoff"]
