"""Attainment, status, forecast and health: DESIGN section 4, worked example included."""
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from journey_workbook.core.attainment import (
    COLUMNS, compute_attainment, health_score, latest_attainment, period_attainment, status_of,
)
from journey_workbook.core.model import Actual, PlanPoint, Target, Thresholds
from journey_workbook.core.periods import periods_between
from journey_workbook.core.values import parse_number, parse_percent

START, DUE, AS_OF = date(2026, 1, 1), date(2026, 12, 31), date(2026, 7, 15)
QUARTERS = periods_between(START, DUE, "quarter")


def target(metric_id, direction, baseline, final, *, unit="percent", aggregation="level", weight=1.0,
           priority="key"):
    return Target(metric_id, metric_id.replace("_", " ").capitalize(), direction, unit, aggregation, baseline,
                  final, START, DUE, weight=weight, priority=priority)


def plan_of(metric_id, values):
    return [PlanPoint(metric_id, q, v) for q, v in zip(QUARTERS, values)]


def actuals_of(metric_id, values):
    return [Actual(metric_id, q, v) for q, v in zip(QUARTERS, values) if v is not None]


def worked_example():
    targets = [
        target("lead_conversion", "increase", 0.05, 0.10, weight=2),
        target("issue_recurrence", "decrease", 0.18, 0.10),
        target("adds_count", "increase", 0, 20_000_000, unit="count", aggregation="cumulative"),
        target("training_coverage", "at_least", None, 0.90),
    ]
    plan = (plan_of("lead_conversion", [0.06, 0.08, 0.09, 0.10]) + plan_of("issue_recurrence", [0.16, 0.14, 0.12, 0.10])
            + plan_of("adds_count", [4e6, 9e6, 15e6, 20e6]) + plan_of("training_coverage", [0.9] * 4))
    actuals = (actuals_of("lead_conversion", [0.062, 0.071]) + actuals_of("issue_recurrence", [0.15, 0.145])
               + actuals_of("adds_count", [4.5e6, 3.9e6]) + actuals_of("training_coverage", [0.85, 0.92]))
    return targets, plan, actuals


@pytest.fixture
def example():
    targets, plan, actuals = worked_example()
    frame = compute_attainment(targets, plan, actuals, AS_OF)
    return targets, frame


def row(frame, metric_id, period):
    found = frame[(frame.metric_id == metric_id) & (frame.period == period)]
    assert len(found) == 1
    return found.iloc[0]


def r4(x):
    return round(x, 4)


def test_frame_shape_and_order(example):
    _, frame = example
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 16
    assert list(frame.metric_id[::4]) == ["lead_conversion", "issue_recurrence", "adds_count", "training_coverage"]
    assert list(frame.period[:4]) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert list(frame.period_end[:4]) == [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]


def test_worked_example_lead_conversion(example):
    _, frame = example
    q1, q2 = row(frame, "lead_conversion", "2026-Q1"), row(frame, "lead_conversion", "2026-Q2")
    assert (r4(q1.period_attainment), q1.status) == (1.2, "achieved")
    assert (r4(q2.period_attainment), q2.status) == (0.7, "at_risk")  # exactly at the threshold
    assert r4(q2.progress) == 0.42
    assert (r4(q2.forecast), r4(q2.forecast_attainment)) == (0.0925, 0.85)
    for period in ("2026-Q3", "2026-Q4"):
        later = row(frame, "lead_conversion", period)
        assert (later.status, later.actual, later.period_attainment) == ("not_due", None, None)
        assert r4(later.forecast) == 0.0925  # the forecast repeats on every row of the metric


def test_worked_example_issue_recurrence(example):
    _, frame = example
    q1, q2 = row(frame, "issue_recurrence", "2026-Q1"), row(frame, "issue_recurrence", "2026-Q2")
    assert (r4(q1.period_attainment), q1.status) == (1.5, "achieved")
    assert (r4(q2.period_attainment), q2.status) == (0.875, "at_risk")
    assert r4(q2.progress) == 0.4375


def test_worked_example_cumulative_adds_count(example):
    _, frame = example
    q1, q2 = row(frame, "adds_count", "2026-Q1"), row(frame, "adds_count", "2026-Q2")
    assert q1.actual == 4_500_000 and q2.actual == 8_400_000  # running total
    assert (r4(q2.period_attainment), q2.status) == (0.9333, "on_track")
    assert r4(q2.progress) == 0.42
    assert (r4(q2.forecast), r4(q2.forecast_attainment)) == (16_900_000, 0.845)
    assert row(frame, "adds_count", "2026-Q3").actual is None


def test_worked_example_training_coverage(example):
    _, frame = example
    q1, q2 = row(frame, "training_coverage", "2026-Q1"), row(frame, "training_coverage", "2026-Q2")
    assert (r4(q1.period_attainment), q1.status) == (0.9444, "on_track")
    assert (r4(q2.period_attainment), q2.status) == (1.0222, "achieved")
    assert q2.forecast is None and q2.forecast_attainment is None  # thresholds get no forecast


def test_worked_example_health_score(example):
    targets, frame = example
    assert round(health_score(targets, frame), 1) == 84.2


def test_worked_example_from_typed_text():
    """The same figures when the inputs are read the way people type them."""
    targets, plan, actuals = worked_example()
    adds = targets[2]
    targets[2] = Target(adds.metric_id, adds.metric, adds.direction, adds.unit, adds.aggregation,
                        parse_number("0"), parse_number("2000万"), START, DUE)
    typed = {"6.2%": 0.062, "7.1%": 0.071, "６％": 0.06, "8%": 0.08}
    assert {text: parse_percent(text) for text in typed} == typed
    frame = compute_attainment(targets, plan, actuals, AS_OF)
    assert r4(row(frame, "adds_count", "2026-Q2").forecast_attainment) == 0.845


def test_ratios_are_stored_without_float_noise(example):
    _, frame = example
    assert row(frame, "lead_conversion", "2026-Q2").period_attainment == 0.7


def test_latest_attainment_is_the_last_period_with_an_actual(example):
    _, frame = example
    latest = latest_attainment(frame)
    assert list(latest.period) == ["2026-Q2"] * 4
    assert list(latest.metric_id) == ["lead_conversion", "issue_recurrence", "adds_count", "training_coverage"]


def test_missing_versus_not_due_and_a_future_period_with_an_actual():
    t = target("conv", "increase", 0.05, 0.10)
    plan = plan_of("conv", [0.06, 0.08, 0.09, 0.10])
    actuals = [Actual("conv", QUARTERS[0], 0.062), Actual("conv", QUARTERS[2], 0.09)]
    frame = compute_attainment([t], plan, actuals, AS_OF)
    assert list(frame.status) == ["achieved", "missing", "achieved", "not_due"]
    on_the_last_day = compute_attainment([t], plan, actuals, date(2026, 6, 30))
    assert on_the_last_day.status[1] == "not_due"  # the period is not over until its end date has passed


def test_hidden_targets_are_excluded():
    shown, hidden = target("a", "increase", 0, 10, unit="count"), target("b", "increase", 0, 10, unit="count",
                                                                       priority="hidden")
    frame = compute_attainment([shown, hidden], plan_of("a", [5, 10]) + plan_of("b", [5, 10]),
                               actuals_of("a", [5]) + actuals_of("b", [1]), AS_OF)
    assert set(frame.metric_id) == {"a"}
    assert health_score([shown, hidden], frame) == 100.0


def test_zero_denominators_give_none_not_an_error():
    flat = target("flat", "increase", 0.05, 0.05)
    zero = target("zero", "at_least", None, 0.0)
    frame = compute_attainment([flat, zero], plan_of("flat", [0.05, 0.05]) + plan_of("zero", [0.0]),
                               actuals_of("flat", [0.06]) + actuals_of("zero", [0.5]), AS_OF)
    assert frame.period_attainment.tolist()[0] is None and frame.status.tolist()[0] is None
    assert frame.forecast_attainment.tolist()[0] is None
    assert frame.period_attainment.tolist()[2] is None
    assert health_score([flat, zero], frame) is None


def test_at_most_ratio_and_a_zero_actual():
    t = target("tickets", "at_most", None, 10, unit="count")
    assert period_attainment(t, 8, 10) == 1.25
    assert period_attainment(t, 0, 10) == 1.0
    assert period_attainment(t, 20, None) == 0.5  # no plan value: the final target is the threshold


def test_no_actual_at_all_gives_no_forecast_and_no_health():
    t = target("conv", "increase", 0.05, 0.10)
    frame = compute_attainment([t], plan_of("conv", [0.06, 0.08]), [], AS_OF)
    assert frame.forecast.tolist() == [None, None]
    assert health_score([t], frame) is None


def test_empty_inputs_give_an_empty_frame_with_the_columns():
    frame = compute_attainment([], [], [], AS_OF)
    assert list(frame.columns) == COLUMNS and frame.empty
    assert health_score([], frame) is None


def test_raw_ratios_are_not_clamped():
    t = target("conv", "increase", 0.05, 0.10)
    frame = compute_attainment([t], plan_of("conv", [0.06]), actuals_of("conv", [0.04]), AS_OF)
    assert r4(frame.period_attainment[0]) == -1.0 and frame.status[0] == "off_track"


# --- status thresholds ---------------------------------------------------------------------

def test_status_at_and_around_each_default_threshold():
    assert [status_of(r) for r in (1.0, 0.9, 0.7)] == ["achieved", "on_track", "at_risk"]
    assert [status_of(r) for r in (0.99999, 0.89999, 0.69999)] == ["on_track", "at_risk", "off_track"]
    assert status_of((0.071 - 0.05) / (0.08 - 0.05)) == "at_risk"
    assert status_of(None) is None


thresholds = st.tuples(st.integers(1, 300), st.integers(1, 300), st.integers(1, 300)).map(
    lambda t: Thresholds(achieved=sum(t) / 100, on_track=(t[0] + t[1]) / 100, at_risk=t[0] / 100))


@given(thresholds)
def test_exactly_at_a_threshold_is_the_higher_status(th):
    assert status_of(th.achieved, th) == "achieved"
    assert status_of(th.on_track, th) == "on_track"
    assert status_of(th.at_risk, th) == "at_risk"
    assert status_of(th.at_risk - 1e-6, th) == "off_track"


@given(st.integers(-100_000, 100_000), st.integers(-100_000, 100_000), st.sampled_from([1.0, 0.9, 0.7]))
def test_an_actual_exactly_at_a_threshold_share_of_the_plan_gets_that_status(b, t, share):
    """a = b + share·(t − b) in decimal; float division must not push it below the bound."""
    assume(abs(t - b) >= 1)
    baseline, planned = b / 1000, t / 1000
    actual = float(f"{(b + share * (t - b)) / 1000:.10f}")
    tgt = target("m", "increase" if t > b else "decrease", baseline, planned)
    expected = {1.0: "achieved", 0.9: "on_track", 0.7: "at_risk"}[share]
    assert status_of(period_attainment(tgt, actual, planned)) == expected


# --- direction symmetry --------------------------------------------------------------------

values = st.integers(-10_000, 10_000).map(lambda n: n / 100)


@given(values, values, st.lists(values, min_size=2, max_size=2), st.lists(values, min_size=1, max_size=2),
       st.integers(-500, 500))
def test_an_increase_mirrored_as_a_decrease_has_the_same_attainment(b, final, plan, actuals, pivot):
    """Reflecting every value around any pivot turns an increase into a decrease."""
    assume(abs(final - b) >= 0.01 and all(abs(p - b) >= 0.01 for p in plan))
    plan = plan + [final]
    mirror = lambda x: pivot - x  # noqa: E731
    up = target("m", "increase", b, final, unit="count")
    down = target("m", "decrease", mirror(b), mirror(final), unit="count")
    frame_up = compute_attainment([up], plan_of("m", plan), actuals_of("m", actuals), AS_OF)
    frame_down = compute_attainment([down], plan_of("m", [mirror(p) for p in plan]),
                                    actuals_of("m", [mirror(a) for a in actuals]), AS_OF)
    assert list(frame_up.status) == list(frame_down.status)
    for column in ("period_attainment", "progress", "forecast_attainment"):
        for x, y in zip(frame_up[column], frame_down[column]):
            assert (x is None and y is None) or x == pytest.approx(y, rel=1e-9, abs=1e-9)
