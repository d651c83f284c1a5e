"""Turns computed results into table rows in the workbook's language and column order."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from journey_workbook import formats
from journey_workbook.book.base import RawTable
from journey_workbook.schema import ENUMS, table
from journey_workbook.schema.tables import header_map, normalise_header


def in_table_order(raw: RawTable, table_name: str, rows: Sequence[Sequence[Any]]) -> list[list]:
    """Rows built in schema column order, rearranged to the table's current header order
    (columns the table does not have are left out; unknown columns get None)."""
    tbl = table(table_name)
    names = header_map(tbl)
    keys = [c.key for c in tbl.columns]
    positions = [names.get(normalise_header(h)) for h in raw.headers]
    return [[row[keys.index(k)] if k in keys else None for k in positions] for row in rows]


def _none(value: Any) -> Any:
    try:
        if value != value:  # NaN
            return None
    except (TypeError, ValueError):
        pass
    return value


def attainment_rows(frame, units: dict[str, str], lang: str) -> tuple[list[list], list[list]]:
    """tblAttainment rows and number formats from core's attainment frame."""
    rows, fmts = [], []
    status = ENUMS["status"]
    for r in frame.itertuples(index=False):
        unit_fmt = formats.unit_format(units.get(r.metric_id))
        rows.append([r.metric_id, r.metric, r.period, r.period_end, _none(r.planned),
                     _none(r.actual), _none(r.period_attainment), _none(r.progress),
                     status.label(r.status, lang) if r.status else None, _none(r.forecast),
                     _none(r.forecast_attainment)])
        fmts.append([None, None, "@", formats.DATE, unit_fmt, unit_fmt, formats.RATIO,
                     formats.RATIO, None, unit_fmt, formats.RATIO])
    return rows, fmts


def risk_rows(risks, lang: str) -> list[list]:
    from journey_workbook.risk_text import risk_detail, risk_item

    return [[ENUMS["risk"].label(r.kind, lang), risk_item(r, lang), risk_detail(r, lang)]
            for r in risks]
