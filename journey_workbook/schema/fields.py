"""Key-value tables: the client profile fields and the settings, with their labels and kinds."""
from __future__ import annotations

from dataclasses import dataclass

from journey_workbook.schema.tables import normalise_header


@dataclass(frozen=True)
class Field:
    key: str
    en: str
    zh: str
    kind: str = "text"  # as Column.kind
    default: object = None

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


CLIENT_FIELDS: tuple[Field, ...] = (
    Field("client", "Client", "客户名称"),
    Field("client_id", "Client ID", "客户编号"),
    Field("industry", "Industry", "行业"),
    Field("tier", "Tier", "客户分级", "enum:tier", "normal"),
    Field("arr", "ARR", "年度合同额", "number"),
    Field("contract_start", "Contract start", "合同开始", "date"),
    Field("contract_end", "Contract end", "合同结束", "date"),
    Field("renewal_date", "Renewal date", "续约日期", "date"),
    Field("csm", "CSM", "客户成功经理"),
    Field("client_sponsor", "Client sponsor", "客户方负责人"),
    Field("cadence", "Cadence", "复盘周期", "enum:cadence", "quarter"),
    Field("language", "Language", "语言", "enum:language", "en"),
)

SETTINGS: tuple[Field, ...] = (
    Field("threshold_achieved", "Status threshold: achieved", "状态阈值：达成", "ratio", 1.0),
    Field("threshold_on_track", "Status threshold: on track", "状态阈值：正常", "ratio", 0.9),
    Field("threshold_at_risk", "Status threshold: at risk", "状态阈值：有风险", "ratio", 0.7),
    Field("renewal_notice_days", "Renewal notice days", "续约提前天数", "int", 90),
    # Blank: refresh computes as of today. A date pins the figures, e.g. for a QBR deck.
    Field("as_of", "As of", "数据截至", "date", None),
)


def field_lookup(fields: tuple[Field, ...]) -> dict[str, Field]:
    """Normalised label in either language (or the key) -> field."""
    out: dict[str, Field] = {}
    for f in fields:
        for text in (f.key, f.en, f.zh):
            out[normalise_header(text)] = f
    return out
