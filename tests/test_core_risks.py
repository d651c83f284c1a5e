"""Risk flags and headline figures on the worked example of DESIGN section 4."""
from dataclasses import replace
from datetime import date

from journey_workbook.core.attainment import compute_attainment, health_score
from journey_workbook.core.model import Actual, Milestone, PlanPoint, Target
from journey_workbook.core.periods import periods_between
from journey_workbook.core.risks import KINDS, find_risks, headline

START, DUE, AS_OF = date(2026, 1, 1), date(2026, 12, 31), date(2026, 7, 15)
QUARTERS = periods_between(START, DUE, "quarter")
RENEWAL = date(2026, 9, 30)


def target(metric_id, name, direction, baseline, final, unit="percent", aggregation="level", weight=1.0,
           priority="key"):
    return Target(metric_id, name, direction, unit, aggregation, baseline, final, START, DUE, weight=weight,
                  priority=priority)


def setup():
    targets = [
        target("conv", "Lead conversion", "increase", 0.05, 0.10, weight=2),
        target("recur", "Issue recurrence", "decrease", 0.18, 0.10),
        target("adds", "Adds count", "increase", 0, 20_000_000, unit="count", aggregation="cumulative"),
        target("train", "Training coverage", "at_least", None, 0.90),
        target("nps", "NPS", "increase", 10, 40, unit="score"),
        target("secret", "Hidden metric", "increase", 0, 10, unit="count", priority="hidden"),
    ]
    plans = {"conv": [0.06, 0.08, 0.09, 0.10], "recur": [0.16, 0.14, 0.12, 0.10], "adds": [4e6, 9e6, 15e6, 20e6],
             "train": [0.9] * 4, "nps": [17.5, 25, 32.5, 40], "secret": [5, 10]}
    actuals = {"conv": [0.062, 0.071], "recur": [0.15, 0.145], "adds": [4.5e6, 3.9e6], "train": [0.85, 0.92],
               "nps": [12], "secret": []}
    plan = [PlanPoint(m, q, v) for m, vs in plans.items() for q, v in zip(QUARTERS, vs)]
    measured = [Actual(m, q, v) for m, vs in actuals.items() for q, v in zip(QUARTERS, vs)]
    frame = compute_attainment(targets, plan, measured, AS_OF)
    milestones = [
        Milestone(date(2026, 3, 12), "stage", "Go-live complete", status="done"),
        Milestone(date(2026, 6, 30), "review", "2026-Q2 review", owner="Ann"),
        Milestone(date(2026, 7, 1), "stage", "Training complete", status="cancelled"),
        Milestone(date(2026, 7, 15), "review", "Today", owner="Ann"),
        Milestone(date(2026, 9, 30), "review", "2026-Q3 review"),
    ]
    return targets, frame, milestones


def risks_and_headline(renewal=RENEWAL, notice_days=90):
    targets, frame, milestones = setup()
    health = health_score(targets, frame)
    risks = find_risks(targets, frame, milestones, AS_OF, renewal, notice_days, health)
    return risks, headline(targets, risks, milestones, AS_OF, renewal, health)


def test_flags_by_kind_in_canonical_order():
    risks, _ = risks_and_headline()
    assert [(r.kind, r.item) for r in risks] == [
        ("off_track", "NPS"),
        ("at_risk", "Lead conversion"), ("at_risk", "Issue recurrence"),
        ("forecast_shortfall", "Lead conversion"), ("forecast_shortfall", "Issue recurrence"),
        ("forecast_shortfall", "Adds count"), ("forecast_shortfall", "NPS"),
        ("missing_data", "NPS"),
        ("overdue_milestone", "2026-Q2 review"),
        ("renewal_approaching", "Renewal"),
    ]
    assert {r.kind for r in risks} <= set(KINDS)


def test_details_quote_readable_numbers():
    risks, _ = risks_and_headline()
    details = {(r.kind, r.metric_id): r.detail for r in risks}
    assert details[("at_risk", "conv")] == "2026-Q2 attainment 70% (plan 8.0%, actual 7.1%)"
    assert details[("off_track", "nps")] == "2026-Q1 attainment 27% (plan 17.5, actual 12.0)"
    assert details[("forecast_shortfall", "adds")] == (
        "forecast 16,900,000 by 2026-Q4: 85% of the way from baseline to target 20,000,000")
    assert details[("missing_data", "nps")] == "2026-Q2 has no actual (period ended 2026-06-30)"
    overdue = next(r for r in risks if r.kind == "overdue_milestone")
    assert overdue.detail == "planned for 2026-06-30, 15 days overdue; owner Ann"
    renewal = next(r for r in risks if r.kind == "renewal_approaching")
    assert renewal.detail.startswith("renewal on 2026-09-30, in 77 days; health score ")


def test_facts_keep_the_raw_values_for_localisation():
    risks, _ = risks_and_headline()
    at_risk = next(r for r in risks if r.kind == "at_risk" and r.metric_id == "conv")
    assert at_risk.period == "2026-Q2"
    assert at_risk.facts == {"period": "2026-Q2", "attainment": 0.7, "planned": 0.08, "actual": 0.071, "unit": "percent"}


def test_headline_figures():
    _, head = risks_and_headline()
    assert head.as_of == AS_OF and head.days_to_renewal == 77
    assert head.overdue_milestones == 1  # done / cancelled / dated today do not count
    assert head.metrics_at_risk == 4  # conv, recur, adds, nps; training is fine, the hidden metric never counts


def test_renewal_far_away_or_unknown_raises_no_flag():
    risks, head = risks_and_headline(renewal=date(2027, 6, 30))
    assert "renewal_approaching" not in {r.kind for r in risks}
    assert head.days_to_renewal == 350
    risks, head = risks_and_headline(renewal=None)
    assert "renewal_approaching" not in {r.kind for r in risks} and head.days_to_renewal is None


def test_a_passed_renewal_is_still_flagged():
    risks, head = risks_and_headline(renewal=date(2026, 7, 1))
    renewal = next(r for r in risks if r.kind == "renewal_approaching")
    assert "passed 14 days ago" in renewal.detail and head.days_to_renewal == -14


def test_hidden_rows_in_the_frame_are_ignored():
    targets, _, _ = setup()
    visible = [replace(t, priority="normal") if t.metric_id == "secret" else t for t in targets]
    leaky = compute_attainment(visible, [PlanPoint("secret", QUARTERS[0], 5)], [], AS_OF)  # one missing row
    assert [r.kind for r in find_risks(visible, leaky, [], AS_OF, None, 90, None)] == ["missing_data"]
    assert find_risks(targets, leaky, [], AS_OF, None, 90, None) == []
    stray = find_risks(visible, leaky, [], AS_OF, None, 90, None)
    assert headline(visible, stray, [], AS_OF, None, None).metrics_at_risk == 1
    assert headline(targets, stray, [], AS_OF, None, None).metrics_at_risk == 0
