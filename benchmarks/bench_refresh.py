"""How much a refresh costs compared with what it cannot avoid: openpyxl loading and saving
the same workbook. Prints ratios (lower is better), not absolute timings, so the numbers mean
the same on a laptop and on CI.

    python benchmarks/bench_refresh.py [--rounds 5] [--periods 12] [--metrics 20]

The workbook is the demo client scaled up: ``--metrics`` targets over ``--periods`` monthly
periods with actuals for half of them.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

import openpyxl

from journey_workbook import formats
from journey_workbook.actions.new import new_workbook
from journey_workbook.actions.plan import plan
from journey_workbook.actions.refresh import refresh_file
from journey_workbook.schema.seed import CATALOG
from journey_workbook.writer import in_table_order


def build(path: Path, metrics: int, periods: int) -> None:
    book = new_workbook(path, "Benchmark Co", start=date(2026, 1, 1),
                        end=date(2026, periods, 28) if periods <= 12 else date(2027, 12, 31),
                        cadence="month", overwrite=True)
    ids = [m for m in CATALOG if m[4] != "count"][:metrics]
    rows, fmts = [], []
    for m in ids:
        unit = m[4]
        base, target = (0.05, 0.10) if unit == "percent" else (10.0, 20.0)
        if m[5] == "decrease":
            base, target = target, base
        rows.append([m[0], None, None, None, base, target, None, None, 1, None, None, None,
                     None, None])
        fmts.append([None] * 4 + [formats.unit_format(unit)] * 2 + [None] * 8)
    raw = book.read_table("tblTargets")
    book.write_table("tblTargets", in_table_order(raw, "tblTargets", rows))
    plan(book)
    raw = book.read_table("tblPlan")
    plan_rows = [r for r in raw.rows]
    actuals = [[r[0], r[1], r[3], "bench", None] for i, r in enumerate(plan_rows)
               if int(str(r[1])[-2:]) <= periods // 2]
    book.append_rows("tblActuals", actuals)
    book.save()


def timed(fn, rounds: int) -> tuple[float, int]:
    times, peak = [], 0
    for _ in range(rounds):
        tracemalloc.start()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return statistics.median(times), peak


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--metrics", type=int, default=12)
    p.add_argument("--periods", type=int, default=12)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        build(path, args.metrics, args.periods)

        def baseline():
            openpyxl.load_workbook(path).save(Path(tmp) / "copy.xlsx")

        def refresh_no_charts():
            refresh_file(path, date(2026, 7, 15), charts=False)

        def refresh_with_charts():
            refresh_file(path, date(2026, 7, 15), charts=True)

        base_t, base_m = timed(baseline, args.rounds)
        rows = []
        for name, fn in (("refresh, no charts", refresh_no_charts),
                         ("refresh with charts", refresh_with_charts)):
            t, m = timed(fn, args.rounds)
            rows.append((name, t / base_t, m / base_m))
    print(f"workbook: {args.metrics} metrics x {args.periods} monthly periods; "
          f"median of {args.rounds} rounds")
    print(f"{'':24} {'time ratio':>11} {'peak memory ratio':>18}   (1.0 = openpyxl load+save)")
    for name, tr, mr in rows:
        print(f"{name:24} {tr:11.2f} {mr:18.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
