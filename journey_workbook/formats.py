"""Number formats by unit and column kind: one place, so writer and template agree."""
from __future__ import annotations

from typing import Optional

DATE = "yyyy-mm-dd"
RATIO = "0.0%"

_UNIT = {
    "percent": "0.0%",
    "count": "#,##0",
    "currency": "#,##0.00",
    "score": "0.0",
    "days": "0.0",
}


def unit_format(unit: Optional[str]) -> Optional[str]:
    return _UNIT.get(unit or "")


def kind_format(kind: str) -> Optional[str]:
    if kind == "date":
        return DATE
    if kind == "ratio":
        return RATIO
    if kind == "weight":
        return "0.##"
    if kind == "int":
        return "0"
    return None
