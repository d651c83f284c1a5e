"""Client tiers by the 80/20 rule on revenue."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Optional


def tier_by_revenue(clients: Mapping[str, Optional[float]], share: float = 0.8) -> dict[str, str]:
    """``key`` for the smallest set of top clients whose revenue covers ``share`` of the total,
    ``normal`` for the rest; returned in the input order.

    Clients are ranked by revenue, highest first, ties by name so the result is
    deterministic. Missing, NaN or negative revenue counts as 0 and such a client is never
    ``key``. With no positive revenue at all every client is ``normal``. ``share`` must be in
    (0, 1]. The coverage test allows a relative 1e-9 of float error, so clients whose revenue
    is exactly 80% of the total are enough.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], not {share!r}")
    revenue = {name: _revenue(value) for name, value in clients.items()}
    total = math.fsum(revenue.values())
    key: set[str] = set()
    covered = 0.0
    for name in sorted(revenue, key=lambda n: (-revenue[n], n)):
        if total <= 0 or revenue[name] <= 0 or covered >= share * total * (1 - 1e-9):
            break
        key.add(name)
        covered += revenue[name]
    return {name: "key" if name in key else "normal" for name in clients}


def _revenue(value: Optional[float]) -> float:
    if value is None or isinstance(value, bool) or math.isnan(value):
        return 0.0
    return max(0.0, float(value))
