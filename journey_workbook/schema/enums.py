"""Enumerations: canonical keys, with English and Simplified Chinese labels.

The workbook shows the label of its language; the reader accepts the key, either language's
label, and small spelling variants (case, spaces, hyphens).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Enum:
    name: str
    items: tuple[tuple[str, str, str], ...]  # (key, en label, zh label)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _, _ in self.items)

    def labels(self, lang: str) -> list[str]:
        return [en if lang == "en" else zh for _, en, zh in self.items]

    def label(self, key: str, lang: str) -> str:
        for k, en, zh in self.items:
            if k == key:
                return en if lang == "en" else zh
        return key


def _e(name: str, *items: tuple[str, str]) -> Enum:
    # English labels are the keys made readable; only Chinese is spelled out.
    return Enum(name, tuple((k, k.replace("_", " "), zh) for k, zh in items))


ENUMS: dict[str, Enum] = {e.name: e for e in (
    _e("unit", ("percent", "百分比"), ("count", "数量"), ("currency", "金额"),
       ("score", "分数"), ("days", "天数")),
    _e("direction", ("increase", "提升"), ("decrease", "降低"), ("at_least", "不低于"),
       ("at_most", "不高于")),
    _e("aggregation", ("level", "期末值"), ("cumulative", "累计")),
    _e("priority", ("key", "重点"), ("normal", "一般"), ("hidden", "隐藏")),
    _e("calendar_status", ("planned", "计划中"), ("done", "已完成"), ("cancelled", "已取消")),
    _e("calendar_type", ("kickoff", "启动会"), ("milestone", "里程碑"), ("training", "培训"),
       ("go_live", "上线"), ("review", "复盘会"), ("survey", "满意度调研"),
       ("renewal", "续约评审"), ("other", "其他")),
    _e("status", ("achieved", "达成"), ("on_track", "正常"), ("at_risk", "有风险"),
       ("off_track", "偏离"), ("missing", "缺数据"), ("not_due", "未到期")),
    _e("phase", ("acquisition", "引流"), ("conversion", "转化"), ("repurchase", "复购"),
       ("adoption", "使用"), ("satisfaction", "满意度")),
    _e("goal", ("revenue_growth", "收入增长"), ("cost_reduction", "降本"),
       ("efficiency", "提效"), ("employee_satisfaction", "员工满意度")),
    _e("side", ("ours", "我方"), ("client", "客户方")),
    _e("cadence", ("quarter", "季度"), ("month", "月度")),
    _e("language", ("en", "English"), ("zh-CN", "简体中文")),
    _e("tier", ("key", "重点客户"), ("normal", "一般客户")),
    _e("risk", ("off_track", "偏离目标"), ("at_risk", "有风险"),
       ("forecast_shortfall", "预测不达标"), ("missing_data", "缺少数据"),
       ("overdue_milestone", "里程碑逾期"), ("renewal_approaching", "临近续约")),
)}


def _norm(text: str) -> str:
    return re.sub(r"[\s\-_]+", "_", text.strip().casefold())


def parse_enum(name: str, value) -> Optional[str]:
    """The canonical key for ``value`` in enumeration ``name``; None when it matches nothing."""
    if value is None:
        return None
    text = _norm(str(value))
    for key, en, zh in ENUMS[name].items:
        if text in (_norm(key), _norm(en), _norm(zh)):
            return key
    return None


def enum_label(name: str, key: str, lang: str) -> str:
    return ENUMS[name].label(key, lang)
