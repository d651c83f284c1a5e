"""Chart builders: pixel size, Chinese text without missing glyphs, edge cases, no-font path."""
from __future__ import annotations

import struct
import subprocess
import sys
import uuid
import warnings
from datetime import date
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure

from journey_workbook import charts, fonts
from journey_workbook.charts import (
    PIXEL_SIZE,
    draw_attainment_bars,
    draw_timeline,
    draw_trajectory,
    figure_to_png,
    format_value,
    wrap_label,
)

AS_OF = date(2026, 7, 15)
PERIODS = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
ENDS = [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]

LABELS = {
    "en": {"trajectory": None, "attainment": None, "status": None, "timeline": None},
    "zh-CN": {
        "trajectory": {"start": "起点", "baseline": "基线", "plan": "计划", "actual": "实际",
                       "forecast": "预测", "target": "目标", "as_of": "截至",
                       "no_actuals": "暂无实际数据", "no_periods": "尚未规划周期"},
        "attainment": {"title": "各指标达成情况", "axis": "最近有实际值周期的达成率",
                       "no_data": "暂无实际数据"},
        "status": {"achieved": "达成", "on_track": "正常", "at_risk": "有风险",
                   "off_track": "落后", "missing": "缺数据", "not_due": "未到期"},
        "timeline": {"title": "客户旅程时间线", "milestones": "里程碑", "as_of": "截至",
                     "renewal": "续约", "done": "已完成", "planned": "计划中", "overdue": "已逾期",
                     "stage_done": "已完成阶段", "stage_current": "进行中",
                     "stage_upcoming": "未开始", "no_stages": "尚未安排阶段",
                     "no_milestones": "暂无里程碑", "no_dates": "未设日期"},
    },
}
NAMES = {
    "en": {"metric": "Lead conversion rate", "stages": ["Contract hand-off", "Go-live"],
           "topics": ["Kick-off", "Q2 business review", "Q3 business review"]},
    "zh-CN": {"metric": "线索转化率", "stages": ["合同交接", "上线"],
              "topics": ["项目启动会", "第二季度业务回顾", "第三季度业务回顾"]},
}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def require_cjk_font() -> None:
    assert fonts.has_cjk_font(), (
        "No CJK font installed: Chinese chart text would render as boxes. "
        "Install one, e.g. `apt-get install fonts-noto-cjk` on Debian/Ubuntu."
    )


def render_checked(build, cjk: bool = True) -> Figure:
    """Build and render, failing if no CJK font is installed (unless ``cjk`` is False) or on
    any missing-glyph warning (text drawn as boxes). Returns the figure."""
    if cjk:
        require_cjk_font()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = build()
        data = figure_to_png(fig)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing[:3]
    assert isinstance(fig, Figure)
    assert png_size(data) == PIXEL_SIZE
    return fig


def trajectory(lang, **changes):
    args = dict(metric_name=NAMES[lang]["metric"], unit="percent", periods=PERIODS,
                period_ends=ENDS, baseline=0.05, target=0.10, planned=[0.06, 0.08, 0.09, 0.10],
                actuals=[0.062, 0.071, None, None], forecast=0.0925, as_of=AS_OF, lang=lang,
                labels=LABELS[lang]["trajectory"])
    args.update(changes)
    return draw_trajectory(**args)


def attainment(lang, rows=None):
    names = ["线索转化率", "问题复发率（同一客户同类工单重复出现比例）", "培训覆盖率"]
    if lang == "en":
        names = ["Lead conversion", "Issue recurrence rate (same ticket type)", "Training"]
    rows = rows if rows is not None else [
        {"metric": names[0], "attainment": 0.7, "status": "at_risk", "period": "2026-Q2"},
        {"metric": names[1], "attainment": 1.2, "status": "achieved", "period": "2026-Q1"},
        {"metric": names[2], "attainment": None, "status": "missing"},
    ]
    return draw_attainment_bars(rows, lang, LABELS[lang]["attainment"], LABELS[lang]["status"])


def timeline(lang, stages=None, milestones=None, renewal=date(2027, 1, 15)):
    names, topics = NAMES[lang]["stages"], NAMES[lang]["topics"]
    if stages is None:
        stages = [{"stage": names[0], "start": date(2026, 1, 5), "end": date(2026, 2, 15)},
                  {"stage": names[1], "start": date(2026, 5, 1), "end": date(2026, 9, 30)}]
    if milestones is None:
        milestones = [{"date": date(2026, 1, 10), "topic": topics[0], "status": "done"},
                      {"date": date(2026, 6, 30), "topic": topics[1], "status": "planned"},
                      {"date": date(2026, 9, 30), "topic": topics[2], "status": "planned"}]
    return draw_timeline(stages, milestones, AS_OF, renewal, lang, LABELS[lang]["timeline"])


def legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def all_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# --- rendering in both languages ---------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("build", [trajectory, attainment, timeline],
                         ids=["trajectory", "attainment", "timeline"])
def test_renders_exact_size_without_missing_glyphs(lang, build):
    render_checked(lambda: build(lang))


def test_pixel_size_is_figsize_times_dpi():
    assert PIXEL_SIZE == (1200, 675)
    assert PIXEL_SIZE == (charts.FIGSIZE[0] * charts.DPI, charts.FIGSIZE[1] * charts.DPI)


def test_fonts_survive_rendering_outside_the_builder():
    # xlwings saves the figure itself, long after the builder's font context has closed.
    fig = trajectory("zh-CN")
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        render_checked(lambda: fig)


def test_builders_leave_global_rcparams_alone():
    require_cjk_font()
    before = (list(matplotlib.rcParams["font.family"]), matplotlib.rcParams["axes.unicode_minus"])
    trajectory("zh-CN"), attainment("zh-CN"), timeline("zh-CN")
    after = (list(matplotlib.rcParams["font.family"]), matplotlib.rcParams["axes.unicode_minus"])
    assert after == before


def test_charts_do_not_import_pyplot():
    code = "import sys, journey_workbook.charts; sys.exit('matplotlib.pyplot' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0


# --- no CJK font -------------------------------------------------------------------------

def test_without_cjk_font_warns_once_and_still_draws(monkeypatch):
    # The ONLY thing patched: the font chain, pointed at families without Chinese glyphs. The
    # unknown family name is unique per run, so the once-per-process warning is fresh here.
    monkeypatch.setattr(fonts, "CJK_FONT_CHAIN", [f"No Such Font {uuid.uuid4()}", "DejaVu Sans"])
    assert not fonts.has_cjk_font()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = trajectory("zh-CN")
        second = timeline("zh-CN")
        data = figure_to_png(first)
    ours = [w for w in caught if issubclass(w.category, fonts.NoCJKFontWarning)]
    assert len(ours) == 1
    assert "fonts-noto-cjk" in str(ours[0].message)
    assert issubclass(fonts.NoCJKFontWarning, UserWarning)
    assert isinstance(first, Figure) and isinstance(second, Figure)
    assert png_size(data) == PIXEL_SIZE


def test_without_cjk_font_english_chart_does_not_warn(monkeypatch):
    monkeypatch.setattr(fonts, "CJK_FONT_CHAIN", [f"No Such Font {uuid.uuid4()}", "DejaVu Sans"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_checked(lambda: trajectory("en"), cjk=False)
    assert not [w for w in caught if issubclass(w.category, fonts.NoCJKFontWarning)]


def test_font_rc_uses_only_installed_families():
    families = fonts.font_rc(["No Such Font", "DejaVu Sans"])["font.family"]
    assert families == ["DejaVu Sans"]
    assert fonts.font_rc(["No Such Font"])["font.family"] == [fonts.FALLBACK_FAMILY]
    assert fonts.font_rc()["axes.unicode_minus"] is False


# --- edge cases --------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_trajectory_without_actuals_says_so(lang):
    render_checked(lambda: trajectory(lang, actuals=[None] * 4, forecast=None))
    fig = render_checked(lambda: trajectory(lang, actuals=[], forecast=None))
    expected = (LABELS[lang]["trajectory"] or charts.TRAJECTORY_LABELS)["no_actuals"]
    assert expected in all_texts(fig)


@pytest.mark.parametrize(
    "changes",
    [
        dict(periods=[], period_ends=[], planned=[], actuals=[], forecast=None),
        dict(periods=[], period_ends=None, planned=None, actuals=None, forecast=None,
             baseline=None, target=None, as_of=None),
        dict(periods=["2026-Q1"], period_ends=[date(2026, 3, 31)], planned=[0.06],
             actuals=[0.062], forecast=0.062),
        dict(planned=[0.1] * 4, baseline=0.1, target=0.1, actuals=[0.1, None, None, None]),
        dict(planned=[None, 0.08, None, 0.1], actuals=[None, 0.07, None, None]),
        dict(period_ends=[None] * 4, as_of=date(2030, 1, 1)),
        dict(as_of=date(2020, 1, 1)),
        dict(unit="count", baseline=0, target=20_000_000, planned=[4e6, 9e6, 15e6, 2e7],
             actuals=[4.5e6, 8.4e6, float("nan"), None], forecast=16.9e6),
        dict(unit="score", baseline=-12, target=30, planned=[-5, 5, 20, 30], actuals=[-8, 2],
             forecast=22.5),
    ],
    ids=["empty", "all-none", "one-period", "flat-plan", "gaps", "no-ends", "as-of-before",
         "count", "negative"],
)
def test_trajectory_edge_cases(changes):
    render_checked(lambda: trajectory("zh-CN", **changes))


def test_trajectory_title_is_metric_name():
    assert trajectory("zh-CN").axes[0].get_title(loc="left") == "线索转化率"


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_attainment_empty(lang):
    fig = render_checked(lambda: attainment(lang, rows=[]))
    expected = (LABELS[lang]["attainment"] or charts.ATTAINMENT_LABELS)["no_data"]
    assert expected in all_texts(fig)


def test_attainment_bars_are_clamped_and_coloured_by_status():
    rows = [{"metric": "甲", "attainment": 1.2, "status": "achieved"},
            {"metric": "乙", "attainment": -0.3, "status": "off_track"},
            {"metric": "丙", "attainment": 0.875, "status": "at_risk"},
            {"metric": "丁", "attainment": None, "status": "not_due"},
            {"metric": None, "attainment": float("nan"), "status": "nonsense"}]
    fig = render_checked(
        lambda: draw_attainment_bars(rows, "zh-CN", status_labels=LABELS["zh-CN"]["status"]))
    bars = fig.axes[0].patches
    assert [round(b.get_width(), 4) for b in bars] == [1.0, 0.0, 0.875]
    colour = matplotlib.colors.to_hex(bars[2].get_facecolor()).upper()
    assert colour == charts.STATUS_COLORS["at_risk"]
    assert "120%" in all_texts(fig)  # the label keeps the raw ratio
    assert legend_texts(fig) == ["达成", "有风险", "落后", "缺数据", "未到期"]


def test_attainment_many_long_names():
    rows = [{"metric": f"指标{i}：很长很长的中文指标名称需要换行显示", "attainment": i / 14,
             "status": "on_track", "period": "2026-Q2"} for i in range(15)]
    render_checked(lambda: draw_attainment_bars(rows, "zh-CN"))


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_timeline_empty(lang):
    fig = render_checked(lambda: timeline(lang, stages=[], milestones=[], renewal=None))
    expected = (LABELS[lang]["timeline"] or charts.TIMELINE_LABELS)["no_stages"]
    assert expected in all_texts(fig)


def test_timeline_statuses_and_missing_dates():
    stages = [{"stage": "合同交接", "start": date(2026, 1, 5), "end": date(2026, 2, 1)},
              {"stage": "上线", "start": None, "end": None}]
    milestones = [{"date": date(2026, 6, 30), "topic": "第二季度业务回顾", "status": "planned"},
                  {"date": date(2026, 3, 31), "topic": "第一季度业务回顾", "status": "done"},
                  {"date": date(2026, 4, 1), "topic": "取消的会", "status": "cancelled"},
                  {"date": None, "topic": "无日期", "status": "planned"}]
    zh = LABELS["zh-CN"]["timeline"]
    fig = render_checked(lambda: draw_timeline(stages, milestones, AS_OF, None, "zh-CN", zh))
    legend = legend_texts(fig)
    assert "已逾期" in legend and "已完成" in legend and "计划中" not in legend
    assert not any(t.startswith("续约") for t in legend)
    assert "取消的会" not in all_texts(fig) and "无日期" not in all_texts(fig)


def test_timeline_single_milestone_and_no_as_of():
    milestones = [{"date": date(2026, 5, 1), "topic": "上线", "status": None}]
    render_checked(lambda: draw_timeline([], milestones, None, None, "zh-CN"))


# --- numbers and labels ------------------------------------------------------------------

@pytest.mark.parametrize(
    "value, unit, lang, expected",
    [
        (0.062, "percent", "en", "6.2%"),
        (0.0925, "percent", "zh-CN", "9.25%"),
        (0.1, "percent", "en", "10%"),
        (20_000_000, "count", "zh-CN", "2000万"),
        (16_900_000, "count", "zh-CN", "1690万"),
        (150_000_000, "count", "zh-CN", "1.5亿"),
        (20_000_000, "count", "en", "20M"),
        (4_500, "count", "en", "4.5K"),
        (4_500, "count", "zh-CN", "4,500"),
        (-8, "score", "en", "-8"),
        (12, "days", "zh-CN", "12天"),
        (None, "percent", "en", "–"),
    ],
)
def test_format_value(value, unit, lang, expected):
    assert format_value(value, unit, lang) == expected


def test_axis_ticks_share_one_scale():
    ticks = charts._UnitFormatter("count", "zh-CN").format_ticks([0, 5e6, 1e7, 1.5e7, 2e7])
    assert ticks == ["0", "500万", "1000万", "1500万", "2000万"]
    ticks = charts._UnitFormatter("percent", "en").format_ticks([0.05, 0.0625, 0.075])
    assert ticks == ["5%", "6.25%", "7.5%"]


def test_wrap_label_balances_and_truncates():
    assert wrap_label("调研：行业、业务流程与角色", 24, 2) == "调研：行业、业\n务流程与角色"
    english = wrap_label("Discovery: industry, process, roles", 24, 2)
    assert english == "Discovery: industry,\nprocess, roles"
    assert wrap_label("很长" * 30, 10, 2).endswith("…")
    assert wrap_label("", 10) == ""


def test_stage_state_follows_the_calendar_before_the_dates():
    from datetime import date as d

    from journey_workbook.charts import _stage_state

    start, end, as_of = d(2026, 1, 1), d(2026, 2, 1), d(2026, 3, 1)
    assert _stage_state(start, end, True, d(2025, 12, 1)) == "stage_done"  # done early
    assert _stage_state(start, end, False, as_of) == "stage_late"  # past its end, not done
    assert _stage_state(start, end, None, as_of) == "stage_done"  # no calendar row: dates
    assert _stage_state(start, end, False, d(2026, 1, 15)) == "stage_current"
    assert _stage_state(start, end, None, d(2025, 12, 1)) == "stage_upcoming"
