"""Interface texts of the workbook in both languages: sheets without a table, headline
labels and the Guide."""
from __future__ import annotations

GUIDE_SHEET = {"en": "Guide", "zh-CN": "使用指南"}
LISTS_SHEET = "jw_lists"  # hidden, product-owned: the drop-down values
META_SHEET = "jw_meta"  # very hidden, product-owned: schema version, generator, language

DASHBOARD_TITLE = {"en": "Journey dashboard", "zh-CN": "客户成功旅程仪表盘"}
RISKS_TITLE = {"en": "Risk flags", "zh-CN": "风险提示"}

# defined name -> (row on the Dashboard, en label, zh label, number format)
HEADLINES = (
    ("jw_as_of", 3, "As of", "数据截至", "yyyy-mm-dd"),
    ("jw_health_score", 4, "Health score (0-100)", "健康分（0-100）", "0.0"),
    ("jw_days_to_renewal", 5, "Days to renewal", "距续约天数", "0"),
    ("jw_overdue_milestones", 6, "Overdue milestones", "逾期里程碑", "0"),
    ("jw_metrics_at_risk", 7, "Metrics at risk", "风险指标数", "0"),
)

GUIDE = {
    "en": [
        ("How this workbook works", None),
        ("One workbook per client. Python (the journey-workbook command or the Journey ribbon "
         "tab in Excel) reads the tables, recomputes attainment and redraws the charts.", None),
        ("1. Client", "Fill in the profile: client, contract dates, renewal date, CSM, cadence "
         "(quarter or month)."),
        ("2. Catalog", "The metric options. Add your own rows; keep each Metric ID unique."),
        ("3. Targets", "One row per metric you commit to: Metric ID (drop-down), Baseline, "
         "Target, Start and Due (blank = contract dates), Weight, Priority (key / normal / "
         "hidden). Type percentages as 5% or 0.05."),
        ("4. Plan", "Run 'Generate plan' (or: journey-workbook plan FILE) to split each "
         "target into period milestones. Edit the Planned values freely; rows you have are "
         "never overwritten."),
        ("5. Calendar and Roles", "'Generate calendar' fixes the reviews in advance: kick-off, "
         "training, go-live, a review at each period end and the renewal review. Name the "
         "people on both sides in Roles first."),
        ("6. Actuals", "Each period, add one row per metric: Metric ID, Period (2026-Q1 or "
         "2026-03), Actual. For cumulative metrics (e.g. adds count) type the period's amount."),
        ("7. Refresh", "'Refresh attainment' (or: journey-workbook refresh FILE) checks the "
         "tables, writes Attainment and the Dashboard, and flags risks before renewal."),
        ("Statuses", "achieved >= 100% of the period plan; on track >= 90%; at risk >= 70%; "
         "off track below; missing = period ended without an actual; not due = future period. "
         "Thresholds are in Settings."),
        ("Attainment", "Measured from the baseline: 6% against a 5% -> 10% target is 20% of the "
         "way, not 60%."),
        ("Health score", "The weighted average (Weight column of Targets) of each metric's "
         "latest period attainment, capped at 100%, times 100. It scores what was measured; "
         "forecast shortfalls, missing actuals and overdue milestones are listed as risk flags "
         "beside it, not folded into it. A metric with weight 0 is tracked but not scored."),
        ("Sharing", "Attainment and Dashboard are rewritten on every refresh: do not type there. "
         "Every other sheet is yours."),
    ],
    "zh-CN": [
        ("本工作簿的用法", None),
        ("每个客户一个工作簿。Python（journey-workbook 命令，或 Excel 里的“客户成功旅程”选项卡）"
         "读取各表，重新计算达成情况并重绘图表。", None),
        ("1. 客户档案", "填写客户名称、合同日期、续约日期、客户成功经理和复盘周期（季度或月度）。"),
        ("2. 指标库", "可选指标清单。可以新增行，指标ID不能重复。"),
        ("3. 目标配置", "每个承诺的指标一行：指标ID（下拉选择）、基线、目标值、开始和截止日期"
         "（留空即合同日期）、权重、优先级（重点 / 一般 / 隐藏）。百分比可输入 5% 或 0.05。"),
        ("4. 阶段目标", "点击“生成阶段目标”（或运行 journey-workbook plan 文件名），把每个目标拆成"
         "各周期的里程碑。计划值可以随意修改，已有的行不会被覆盖。"),
        ("5. 日历和分工", "“生成日历”提前排定启动会、培训、上线、每个周期末的复盘会和续约评审。"
         "请先在人员分工表里填好双方人员。"),
        ("6. 实际数据", "每个周期每个指标一行：指标ID、周期（2026年第一季度 或 2026-03）、实际值。"
         "累计型指标（如加粉数）填写本周期的数量。"),
        ("7. 刷新", "“刷新达成”（或 journey-workbook refresh 文件名）会检查各表，写入达成情况和"
         "仪表盘，并在续约前提示风险。"),
        ("状态", "达成：≥ 周期计划的100%；正常：≥ 90%；有风险：≥ 70%；偏离：低于70%；"
         "缺数据：周期已结束但没有实际值；未到期：未来的周期。阈值在“设置”表中。"),
        ("达成率", "从基线起算：目标从5%提升到10%，实际6%只完成了20%，而不是60%。"),
        ("健康分", "各指标最近一个周期达成率（最高按100%计）的加权平均（权重取自目标配置表）乘以100。"
         "它只衡量已有实际值的结果；预测不达标、缺数据和逾期里程碑作为风险提示单独列出，不计入健康分。"
         "权重为0的指标只跟踪、不计分。"),
        ("注意", "达成情况和仪表盘每次刷新都会重写，请不要在上面录入内容。其他工作表归您所有。"),
    ],
}
