"""The command line: parses arguments, calls an action, prints, sets the exit code.

Exit codes: 0 done / valid; 1 problems found or the file could not be read or written;
2 usage error (argparse's own).
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import Optional, Sequence

from journey_workbook import __version__
from journey_workbook.errors import JourneyError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD")


def _number(text: str) -> float:
    from journey_workbook.core.values import ValueProblem, parse_number

    try:
        return parse_number(text)
    except ValueProblem as problem:
        raise argparse.ArgumentTypeError(problem.message)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="journey-workbook",
        description="Run a client's customer-success journey in an Excel workbook: targets, "
                    "period milestones, review calendar, attainment, risk flags and charts.")
    p.add_argument("--version", action="version", version=f"journey-workbook {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    n = sub.add_parser("new", help="create a client workbook from the template",
                       description="Create a client's journey workbook with the profile filled in.")
    n.add_argument("out", type=Path, metavar="OUT.xlsx")
    n.add_argument("--client", required=True, help="client name")
    n.add_argument("--client-id", default="")
    n.add_argument("--industry", default="", help="suggest the catalog's metrics for this "
                   "industry as target rows (e.g. insurance, retail, education, saas, finance)")
    n.add_argument("--arr", type=_number, help="annual recurring revenue, e.g. 1200000 or 120万")
    n.add_argument("--start", type=_date, help="contract start, YYYY-MM-DD")
    n.add_argument("--end", type=_date, help="contract end (and renewal date), YYYY-MM-DD")
    n.add_argument("--cadence", choices=("quarter", "month"), default="quarter")
    n.add_argument("--lang", choices=("en", "zh-CN"), default="en")
    n.add_argument("--csm", default="", help="the CSM's name")
    n.add_argument("--force", action="store_true", help="replace OUT if it exists (kept as .bak)")

    pl = sub.add_parser("plan", help="fill the period plan and the milestone calendar",
                        description="Fill tblPlan for targets without plan rows and tblCalendar "
                                    "with the default schedule. Existing rows are never changed.")
    pl.add_argument("file", type=Path)
    which = pl.add_mutually_exclusive_group()
    which.add_argument("--plan-only", action="store_true", help="only fill tblPlan")
    which.add_argument("--calendar-only", action="store_true", help="only fill tblCalendar")

    v = sub.add_parser("validate", help="check a workbook and list every problem",
                       description="List every problem with sheet, cell, value and fix. "
                                   "Exit 0 when valid, 1 when there are problems.")
    v.add_argument("file", type=Path)
    v.add_argument("--json", action="store_true", help="print the report as JSON")

    r = sub.add_parser("refresh", help="validate, compute attainment, write the Dashboard",
                       description="Validate, compute attainment and risks, and write "
                                   "Attainment, the Dashboard figures, risk flags and charts. "
                                   "Nothing is written when validation finds errors.")
    r.add_argument("file", type=Path)
    r.add_argument("--as-of", type=_date, default=None,
                   help="YYYY-MM-DD (default: the As of setting, else today)")
    r.add_argument("--no-charts", action="store_true", help="skip drawing the charts")

    d = sub.add_parser("demo", help="write a refreshed example client in English and Chinese",
                       description="Write a realistic example client (an insurance SCRM "
                                   "rollout) with targets, plan, calendar, roles and two "
                                   "quarters of actuals, refreshed, in both languages.")
    d.add_argument("outdir", type=Path, nargs="?", default=Path("journey-demo"))
    d.add_argument("--as-of", type=_date, default=date(2026, 7, 15),
                   help="YYYY-MM-DD (default 2026-07-15, mid-year of the example)")

    bt = sub.add_parser("build-template", help="regenerate templates/journey_template.xlsx",
                        description="Write the user-facing template(s) generated from the schema.")
    bt.add_argument("outdir", type=Path, nargs="?", default=Path("templates"))

    try:
        from journey_workbook.addin.commands import register
    except ImportError:  # pragma: no cover - the add-in module is part of the package
        register = None
    if register:
        register(sub)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except JourneyError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  Fix: {exc.hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; the workbook was not changed.", file=sys.stderr)
        return 1
    except OSError as exc:  # a file the actions did not expect to fail on (output folder, ...)
        where = f": {exc.filename}" if exc.filename else ""
        print(f"Error: {exc.strerror or exc}{where}.", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the net under the messages: never a traceback
        if os.environ.get("JOURNEY_WORKBOOK_DEBUG"):
            raise
        print(f"Error: an unexpected problem stopped '{args.command}' ({type(exc).__name__}: "
              f"{exc}). Saves are atomic: a workbook is either saved whole or not at all.",
              file=sys.stderr)
        print("  Fix: please report it with the workbook; set JOURNEY_WORKBOOK_DEBUG=1 to see "
              "the details.", file=sys.stderr)
        return 1


def _run(args) -> int:
    if hasattr(args, "handler"):
        return args.handler(args)
    from journey_workbook import actions  # noqa: F401 - keeps the import cost out of --help

    if args.command == "new":
        from journey_workbook.actions.new import new_workbook

        book = new_workbook(args.out, args.client, client_id=args.client_id,
                            industry=args.industry, arr=args.arr, start=args.start,
                            end=args.end, cadence=args.cadence, lang=args.lang, csm=args.csm,
                            overwrite=args.force)
        print(f"Created {book.path}")
        print(f"Next: fill in Targets, then run: journey-workbook plan {book.path}")
        return 0
    if args.command == "validate":
        from journey_workbook.actions.validate import validate_file

        report = validate_file(args.file)
        if args.json:
            print(report.to_json())
        else:
            for issue in report.issues:
                print(("ERROR   " if issue.severity == "error" else "warning ") + issue.text())
            print(f"{args.file.name}: {report.summary()}")
        return 0 if report.valid else 1
    if args.command == "plan":
        from journey_workbook.actions.plan import plan_file

        parts = ("plan",) if args.plan_only else ("calendar",) if args.calendar_only else (
            "plan", "calendar")
        result = plan_file(args.file, parts)
        for line in result.lines():
            print(line)
        return 0
    if args.command == "refresh":
        from journey_workbook.actions.refresh import refresh_file

        result = refresh_file(args.file, as_of=args.as_of,
                              charts=not args.no_charts, progress=_progress)
        for line in result.lines():
            print(line)
        return 0 if result.ok else 1
    if args.command == "demo":
        from journey_workbook.actions.demo import write_demo

        for path in write_demo(args.outdir, as_of=args.as_of, progress=_progress):
            print(f"Wrote {path}")
        return 0
    if args.command == "build-template":
        from journey_workbook.actions.templates import write_templates

        for path in write_templates(args.outdir):
            print(f"Wrote {path}")
        return 0
    raise AssertionError(args.command)  # argparse only lets known commands through


def _progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
