"""Table declarations: the one source of truth for every table of the workbook contract.

Column ``kind`` says how the reader parses a cell and how the writer formats it:
  text, int, number, weight, value (a number in the metric's unit: percent as a fraction),
  ratio (a fraction shown as a percent), date, period, ``enum:<name>`` (see enums.py),
  ``ref:metric`` / ``ref:stage`` (an ID that must exist in the catalog / backbone).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    kind: str = "text"
    required: bool = False
    width: float = 14.0

    def header(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    @property
    def enum(self) -> Optional[str]:
        return self.kind[5:] if self.kind.startswith("enum:") else None


@dataclass(frozen=True)
class Table:
    name: str
    sheet_en: str
    sheet_zh: str
    owner: str  # "user" or "product"
    columns: tuple[Column, ...]
    anchor: str = "A1"  # top-left cell of the header row in a new workbook

    def sheet(self, lang: str) -> str:
        return self.sheet_en if lang == "en" else self.sheet_zh

    def headers(self, lang: str) -> list[str]:
        return [c.header(lang) for c in self.columns]

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(f"{self.name} has no column {key!r}")


C = Column

TABLES: tuple[Table, ...] = (
    Table("tblClient", "Client", "客户档案", "user", (
        C("field", "Field", "字段", required=True, width=22),
        C("value", "Value", "值", width=36),
    )),
    Table("tblBackbone", "Backbone", "旅程主干", "user", (
        C("stage_id", "Stage ID", "阶段ID", required=True, width=12),
        C("order", "Order", "顺序", "int", width=8),
        C("stage", "Stage", "阶段", required=True, width=24),
        C("customer_view", "Customer view", "客户视角", width=40),
        C("service_view", "Service view", "服务视角", width=40),
        C("owner_role", "Owner role", "负责角色", width=18),
        C("weeks", "Weeks", "周数", "number", width=8),
        C("exit_criteria", "Exit criteria", "退出标准", width=40),
    )),
    Table("tblCatalog", "Catalog", "指标库", "user", (
        C("metric_id", "Metric ID", "指标ID", required=True, width=24),
        C("metric", "Metric", "指标", required=True, width=26),
        C("phase", "Phase", "阶段", "enum:phase", width=13),
        C("goal", "Goal", "目标类型", "enum:goal", width=20),
        C("unit", "Unit", "单位", "enum:unit", required=True, width=10),
        C("direction", "Direction", "方向", "enum:direction", required=True, width=11),
        C("aggregation", "Aggregation", "汇总方式", "enum:aggregation", width=12),
        C("industries", "Industries", "适用行业", width=26),
        C("benchmark", "Benchmark", "行业基准", "value", width=11),
        C("definition", "Definition", "定义", width=50),
    )),
    Table("tblTargets", "Targets", "目标配置", "user", (
        C("metric_id", "Metric ID", "指标ID", "ref:metric", required=True, width=24),
        C("metric", "Metric", "指标", width=24),
        C("stage_id", "Stage ID", "阶段ID", "ref:stage", width=10),
        C("direction", "Direction", "方向", "enum:direction", width=11),
        C("baseline", "Baseline", "基线", "value", width=11),
        C("target", "Target", "目标值", "value", required=True, width=11),
        C("start", "Start", "开始日期", "date", width=12),
        C("due", "Due", "截止日期", "date", width=12),
        C("weight", "Weight", "权重", "weight", width=8),
        C("priority", "Priority", "优先级", "enum:priority", width=10),
        C("owner_ours", "Owner (ours)", "负责人（我方）", width=16),
        C("owner_client", "Owner (client)", "负责人（客户方）", width=16),
        C("data_source", "Data source", "数据来源", width=18),
        C("notes", "Notes", "备注", width=30),
    )),
    Table("tblPlan", "Plan", "阶段目标", "user", (
        C("metric_id", "Metric ID", "指标ID", "ref:metric", required=True, width=24),
        C("period", "Period", "周期", "period", required=True, width=12),
        C("period_end", "Period end", "周期结束", "date", width=12),
        C("planned", "Planned", "计划值", "value", required=True, width=12),
    )),
    Table("tblActuals", "Actuals", "实际数据", "user", (
        C("metric_id", "Metric ID", "指标ID", "ref:metric", required=True, width=24),
        C("period", "Period", "周期", "period", required=True, width=12),
        C("actual", "Actual", "实际值", "value", required=True, width=12),
        C("source", "Source", "来源", width=18),
        C("note", "Note", "备注", width=30),
    )),
    Table("tblCalendar", "Calendar", "里程碑日历", "user", (
        C("date", "Date", "日期", "date", required=True, width=13),
        C("type", "Type", "类型", "enum:calendar_type", width=12),
        C("stage_id", "Stage ID", "阶段ID", "ref:stage", width=10),
        C("topic", "Topic", "主题", required=True, width=48),
        C("metrics", "Metrics", "相关指标", width=40),
        C("our_participants", "Our participants", "我方参与人", width=30),
        C("client_participants", "Client participants", "客户方参与人", width=30),
        C("owner", "Owner", "负责人", width=24),
        C("status", "Status", "状态", "enum:calendar_status", width=11),
        C("done_on", "Done on", "完成日期", "date", width=12),
        C("notes", "Notes", "备注", width=30),
    )),
    Table("tblRoles", "Roles", "人员分工", "user", (
        C("responsibility", "Responsibility", "职责", required=True, width=30),
        C("side", "Side", "所属方", "enum:side", width=10),
        C("person", "Person", "人员", width=16),
        C("role", "Role", "角色", width=20),
        C("email", "Email", "邮箱", width=28),
    )),
    Table("tblSettings", "Settings", "设置", "user", (
        C("setting", "Setting", "设置项", required=True, width=30),
        C("value", "Value", "值", width=14),
    )),
    Table("tblAttainment", "Attainment", "达成情况", "product", (
        C("metric_id", "Metric ID", "指标ID", width=24),
        C("metric", "Metric", "指标", width=24),
        C("period", "Period", "周期", "period", width=10),
        C("period_end", "Period end", "周期结束", "date", width=12),
        C("planned", "Planned", "计划值", "value", width=12),
        C("actual", "Actual", "实际值", "value", width=12),
        C("period_attainment", "Period attainment", "周期达成率", "ratio", width=18),
        C("progress", "Progress to target", "目标进度", "ratio", width=18),
        C("status", "Status", "状态", "enum:status", width=10),
        C("forecast", "Forecast", "预测值", "value", width=12),
        C("forecast_attainment", "Forecast attainment", "预测达成率", "ratio", width=19),
    )),
    Table("tblRisks", "Dashboard", "仪表盘", "product", (
        C("kind", "Kind", "类型", "enum:risk", width=16),
        C("item", "Item", "对象", width=44),
        C("detail", "Detail", "说明", width=80),
    ), anchor="A10"),
)

_BY_NAME = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    return _BY_NAME[name]


def normalise_header(text) -> str:
    """Headers compare without case, surrounding or inner line breaks and spacing, and with
    full-width brackets folded, so a header retyped by hand still matches."""
    text = "" if text is None else str(text)
    text = text.replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text).casefold()


def header_map(tbl: Table) -> dict[str, str]:
    """Normalised header text in either language -> column key."""
    out: dict[str, str] = {}
    for c in tbl.columns:
        for h in (c.en, c.zh, c.key):
            out[normalise_header(h)] = c.key
    return out
