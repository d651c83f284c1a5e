"""Risk details in the workbook's language, rebuilt from each risk's language-neutral facts
(core writes English details; a Chinese workbook gets Chinese ones)."""
from __future__ import annotations

from journey_workbook.core.values import display_ratio, display_value

_ZH = {
    "off_track": "{period} 达成率 {attainment}（计划 {planned}，实际 {actual}）",
    "at_risk": "{period} 达成率 {attainment}（计划 {planned}，实际 {actual}）",
    "forecast_shortfall": "按当前趋势，{period} 预计达到 {forecast}，仅完成从基线到目标 {target} 的 {ratio}",
    "missing_data": "{period} 没有实际值（周期已于 {period_end} 结束）",
    "overdue_milestone": "原定 {date}，已逾期 {days} 天{owner}",
    "renewal_approaching": "续约日 {renewal_date}，{when}；{score}",
}


def risk_detail(risk, lang: str) -> str:
    if lang == "en" or risk.kind not in _ZH:
        return risk.detail
    f = dict(risk.facts)
    unit = f.get("unit", "count")
    try:
        if risk.kind in ("off_track", "at_risk"):
            return _ZH[risk.kind].format(period=f["period"], attainment=display_ratio(f["attainment"]),
                                         planned=display_value(f["planned"], unit),
                                         actual=display_value(f["actual"], unit))
        if risk.kind == "forecast_shortfall":
            return _ZH[risk.kind].format(period=f["period"], forecast=display_value(f["forecast"], unit),
                                         target=display_value(f["target"], unit),
                                         ratio=display_ratio(f["forecast_attainment"]))
        if risk.kind == "missing_data":
            return _ZH[risk.kind].format(period=f["period"], period_end=f["period_end"].isoformat())
        if risk.kind == "overdue_milestone":
            owner = f"；负责人 {f['owner']}" if f.get("owner") else ""
            return _ZH[risk.kind].format(date=f["date"].isoformat(), days=f["days_overdue"], owner=owner)
        days = f["days_to_renewal"]
        when = f"还有 {days} 天" if days >= 0 else f"已过 {-days} 天"
        score = "尚无健康分" if f.get("health_score") is None else f"健康分 {f['health_score']:.1f}"
        return _ZH[risk.kind].format(renewal_date=f["renewal_date"].isoformat(), when=when, score=score)
    except (KeyError, AttributeError, TypeError):
        return risk.detail  # facts incomplete: the English detail is still right


def risk_item(risk, lang: str) -> str:
    if lang != "en" and risk.kind == "renewal_approaching" and risk.item == "Renewal":
        return "续约"
    return risk.item
