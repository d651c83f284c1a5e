"""``new``: a client workbook from the template with the profile filled in."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

from journey_workbook.book.filebook import FileBook
from journey_workbook.errors import JourneyError
from journey_workbook.formats import DATE
from journey_workbook.schema import ENUMS, table
from journey_workbook.schema.fields import CLIENT_FIELDS
from journey_workbook.schema.seed import CATALOG
from journey_workbook.template import build_workbook


def new_workbook(out, client: str, *, client_id: str = "", industry: str = "",
                 arr: Optional[float] = None, start: Optional[date] = None,
                 end: Optional[date] = None, cadence: str = "quarter", lang: str = "en",
                 csm: str = "", overwrite: bool = False, save: bool = True) -> FileBook:
    """Create ``out``; returns the open FileBook (saved unless ``save`` is False, for a
    caller that adds to it and saves once, so that the .bak is the previous file)."""
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise JourneyError(f"{out.name}: a journey workbook is saved as .xlsx.",
                           hint="Use a file name ending in .xlsx.")
    if out.exists() and not overwrite:
        raise JourneyError(f"{out} already exists; nothing was written.",
                           hint="Choose another name, or pass --force to replace it "
                                "(the old file is kept as a .bak).")
    if start and end and end <= start:
        raise JourneyError(f"The contract end {end} is not after its start {start}.",
                           hint="Check --start and --end (YYYY-MM-DD).")
    industry = industry.strip().casefold()
    # A whole tag, not a substring: "sur" must not pass as "insurance" and suggest nothing.
    if industry and not any(industry in _industries(m) for m in CATALOG):
        known = sorted({s for m in CATALOG for s in _industries(m)})
        raise JourneyError(f"No catalog metric is tagged with the industry {industry!r}.",
                           hint="Use one of: " + ", ".join(known) + " (or leave --industry out).")
    out.parent.mkdir(parents=True, exist_ok=True)
    book = FileBook(out, build_workbook(lang))
    profile = {"client": client, "client_id": client_id, "industry": industry, "arr": arr,
               "contract_start": start, "contract_end": end, "renewal_date": end,
               "csm": csm, "cadence": ENUMS["cadence"].label(cadence, lang),
               "language": ENUMS["language"].label(lang, lang)}
    rows, fmts = [], []
    for f in CLIENT_FIELDS:
        value = profile.get(f.key)
        if f.key == "tier":
            value = ENUMS["tier"].label("normal", lang)
        rows.append([f.label(lang), value if value not in ("", None) else None])
        fmts.append([None, DATE if f.kind == "date" else ("#,##0" if f.key == "arr" else None)])
    book.write_table("tblClient", rows, fmts)
    if industry:
        suggest_targets(book, industry, lang)
    if save:
        book.save()
    return book


def _industries(metric: tuple) -> list[str]:
    return [s.strip().casefold() for s in metric[7].split(";") if s.strip()]


def suggest_targets(book: FileBook, industry: str, lang: str) -> int:
    """Target rows (priority normal, values blank) for the catalog's metrics of ``industry``."""
    from journey_workbook.actions.targets import target_row_formats
    from journey_workbook.writer import in_table_order

    tbl = table("tblTargets")
    keys = [c.key for c in tbl.columns]
    rows, fmts = [], []
    for m in CATALOG:
        mid, name, unit = m[0], m[1], m[4]
        if industry.casefold() not in _industries(m):
            continue
        row = [None] * len(keys)
        row[keys.index("metric_id")] = mid
        row[keys.index("metric")] = name[0 if lang == "en" else 1]
        row[keys.index("priority")] = ENUMS["priority"].label("normal", lang)
        row[keys.index("weight")] = 1
        rows.append(row)
        fmts.append(target_row_formats(unit))
    raw = book.read_table("tblTargets")
    book.append_rows("tblTargets", in_table_order(raw, "tblTargets", rows),
                     in_table_order(raw, "tblTargets", fmts))
    return len(rows)
