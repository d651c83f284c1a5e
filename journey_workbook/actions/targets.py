"""``add_metric``: a Targets row for a metric of the catalog."""
from __future__ import annotations

from journey_workbook import formats
from journey_workbook.actions.common import read
from journey_workbook.book.base import Backend
from journey_workbook.errors import JourneyError
from journey_workbook.schema import ENUMS, table
from journey_workbook.writer import in_table_order


def target_row_formats(unit: str) -> list:
    """Number formats of a new Targets row (schema column order): Baseline and Target in the
    metric's unit, so a percent metric shows 5% where the CSM types 0.05."""
    keys = [c.key for c in table("tblTargets").columns]
    fmt = formats.unit_format(unit)
    return [fmt if k in ("baseline", "target") else formats.DATE if k in ("start", "due")
            else None for k in keys]


def add_metric(book: Backend, metric_id: str) -> str:
    """Append a target row for ``metric_id`` (priority normal, weight 1, values blank) and
    return the A1 cell of its Baseline, where the CSM types next."""
    journey, _ = read(book)
    metric = journey.catalog.get(str(metric_id).strip())
    if metric is None:
        raise JourneyError(f"{metric_id!r} is not a Metric ID of the catalog.",
                           hint="Select a cell in a catalog row (Catalog sheet) and click "
                                "Add metric again.")
    if journey.target(metric.metric_id) is not None or _listed(journey, metric.metric_id):
        raise JourneyError(f"{metric.metric_id} already has a row on the Targets sheet.",
                           hint="Edit that row; each metric has one target row.")
    lang = journey.lang
    keys = [c.key for c in table("tblTargets").columns]
    row = [None] * len(keys)
    row[keys.index("metric_id")] = metric.metric_id
    row[keys.index("metric")] = metric.name
    row[keys.index("weight")] = 1
    row[keys.index("priority")] = ENUMS["priority"].label("normal", lang)
    raw = journey.raw["tblTargets"]
    book.append_rows("tblTargets", in_table_order(raw, "tblTargets", [row]),
                     in_table_order(raw, "tblTargets", [target_row_formats(metric.unit)]))
    filled = len(raw.rows)
    col = [k for k in (in_table_order(raw, "tblTargets", [keys])[0])].index("baseline") \
        if "baseline" in in_table_order(raw, "tblTargets", [keys])[0] else 0
    return raw.cell(filled, col)


def _listed(journey, metric_id: str) -> bool:
    raw = journey.raw.get("tblTargets")
    return bool(raw) and any(metric_id in [str(v).strip() for v in r if v is not None]
                             for r in raw.rows)
