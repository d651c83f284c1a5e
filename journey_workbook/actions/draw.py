"""Draws the Dashboard charts and places them as named pictures, so a redraw replaces each
one in place: the attainment bars, the journey timeline and a trajectory per key metric."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from journey_workbook.book.base import Backend
from journey_workbook.book.cells import a1, column_index

# Shown size on the sheet (pixels); the PNG itself is charts.PIXEL_SIZE, i.e. sharper.
WIDTH, HEIGHT = 640, 360
_ROWS_PER_CHART = 19  # 360 px at Excel's default 20 px rows, plus a gap
_COLUMNS = ("E", "N")  # columns are 10 wide (75 px): 9 columns per 640 px chart
MAX_TRAJECTORIES = 8

ZH = {
    "trajectory": {"start": "起点", "baseline": "基线", "plan": "计划", "actual": "实际",
                   "forecast": "预测", "target": "目标", "as_of": "截至",
                   "no_actuals": "暂无实际数据", "no_periods": "尚未生成阶段目标"},
    "attainment": {"title": "各指标达成率", "axis": "最近一个有实际值周期的达成率（条形最长100%）",
                   "no_data": "暂无实际数据"},
    "timeline": {"title": "客户成功旅程时间线", "milestones": "里程碑", "as_of": "截至",
                 "renewal": "续约", "done": "已完成", "planned": "计划中", "overdue": "已逾期",
                 "stage_done": "已完成阶段", "stage_current": "进行中", "stage_upcoming": "未开始",
                 "stage_late": "进度落后",
                 "no_stages": "尚未排定阶段", "no_milestones": "暂无里程碑",
                 "no_dates": "未设置日期"},
    "status": {"achieved": "达成", "on_track": "正常", "at_risk": "有风险",
               "off_track": "偏离", "missing": "缺数据", "not_due": "未到期"},
}


def chart_name(kind: str, metric_id: str = "") -> str:
    return f"jw_chart_{kind}" + (f"_{metric_id}" if metric_id else "")


def _anchor(k: int) -> str:
    return a1(2 + (k // 2) * _ROWS_PER_CHART, column_index(_COLUMNS[k % 2]))


def draw_charts(book: Backend, journey, frame, as_of: date,
                step: Callable[[str], None] = lambda s: None) -> list[str]:
    from journey_workbook import charts  # matplotlib is imported only when drawing

    lang = journey.lang
    zh = lang != "en"
    sheet = book.sheet_of_table("tblRisks")
    if sheet is None:
        return []
    figures = []
    latest = frame[frame["actual"].notna()].groupby("metric_id", sort=False).tail(1)
    latest_by_id = {r.metric_id: r for r in latest.itertuples(index=False)}
    bars = []
    for t in journey.targets:
        if t.priority == "hidden":
            continue
        r = latest_by_id.get(t.metric_id)
        bars.append({"metric": t.metric, "attainment": None if r is None else r.period_attainment,
                     "status": "missing" if r is None else r.status,
                     "period": None if r is None else r.period})
    figures.append((chart_name("attainment"), lambda: charts.draw_attainment_bars(
        bars, lang, ZH["attainment"] if zh else None, ZH["status"] if zh else None)))
    figures.append((chart_name("timeline"), lambda: charts.draw_timeline(
        _stage_bars(journey), [{"date": m.when, "topic": m.topic, "status": m.status}
                               for m in journey.calendar],
        as_of, journey.client.get("renewal_date"), lang, ZH["timeline"] if zh else None)))
    for t in _trajectory_targets(journey):
        rows = frame[frame["metric_id"] == t.metric_id]
        forecast = next((v for v in rows["forecast"] if v is not None), None)
        figures.append((chart_name("trend", t.metric_id), _trajectory(charts, t, rows, forecast,
                                                                      as_of, lang, zh)))
    names = []
    drawn = {name for name, _ in figures}
    for stale in book.picture_names(sheet):
        # A chart of a metric that is no longer key, or now hidden, must not stay behind
        # (a hidden metric's chart would reach the client). Only the product's own
        # pictures are touched.
        if stale and stale.startswith("jw_chart_") and stale not in drawn:
            book.remove_picture(sheet, stale)
    for k, (name, build) in enumerate(figures):
        step(f"Drawing chart {k + 1} of {len(figures)}...")
        fig = build()
        png = charts.figure_to_png(fig)
        book.put_picture(sheet, name, png, _anchor(k), WIDTH, HEIGHT)
        names.append(name)
    return names


def _trajectory(charts, t, rows, forecast, as_of, lang, zh):
    return lambda: charts.draw_trajectory(
        t.metric, t.unit, list(rows["period"]), list(rows["period_end"]), t.baseline,
        t.target, list(rows["planned"]), list(rows["actual"]), forecast, as_of, lang,
        ZH["trajectory"] if zh else None)


def _trajectory_targets(journey):
    shown = [t for t in journey.targets if t.priority != "hidden"]
    key = [t for t in shown if t.priority == "key"]
    return (key or shown)[:MAX_TRAJECTORIES]


def _stage_bars(journey) -> list[dict]:
    start = journey.client.get("contract_start")
    if start is None:
        return []
    out, day = [], start
    for s in sorted(journey.backbone, key=lambda s: s.get("order") or 0):
        end = day + timedelta(weeks=float(s.get("weeks") or 0))
        out.append({"stage": s["stage"], "start": day, "end": end,
                    "done": _stage_done(journey, s["stage_id"])})
        day = end
    return out


def _stage_done(journey, stage_id: str):
    """True when the calendar marks the stage's milestone done, False when it is there but
    not done, None when the calendar has no row for the stage (then the dates decide)."""
    rows = [m for m in journey.calendar if m.stage_id == stage_id and m.status != "cancelled"]
    if not rows:
        return None
    return all(m.status == "done" for m in rows)
