"""The self-check of a spliced save: the file about to replace the workbook is inspected afresh,
as the next open would, and every item the splicer was to preserve must be in it. Independent
of the splicer's own bookkeeping, so that a splicer bug refuses the save instead of losing
content silently.
"""
from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

from defusedxml.ElementTree import iterparse

from journey_workbook.book import xmlspans
from journey_workbook.book.opc import Package
from journey_workbook.book.preserve import (
    CF_KINDS, ELEMENT_KINDS, EXTENSION_KINDS, MAIN, SHEET_XML_KINDS, X14_NS, sqref_key,
    unpaired_threads)
from journey_workbook.errors import JourneyError, WouldLoseContent


def verify(info, saved: Path, preserved) -> tuple[object, list[str]]:
    """(PackageInfo of ``saved``, what is missing from it among the ``preserved`` items: []
    when all are there). Independent of the splicer: the saved file is inspected afresh, as
    the next open would."""
    from journey_workbook.book.package import inspect_package

    try:
        after = inspect_package(saved)
    except JourneyError as exc:
        return None, [f"the spliced package does not pass the gate: {exc.message}"]
    try:
        return after, _missing(info, after, saved, preserved)
    except Exception as exc:  # noqa: BLE001 - a check that cannot run is a failed check
        return after, [f"the check could not run ({type(exc).__name__}: {exc})"]


def _missing(info, after, saved: Path, preserved) -> list[str]:
    problems = []
    need, have = Counter(), Counter()
    for p in preserved:
        need[(p.kind, p.sheet)] += p.count
    for p in after.at_risk:
        have[(p.kind, p.sheet)] += p.count
    for (kind, sheet), count in sorted(need.items(), key=str):
        if have[(kind, sheet)] < count:
            where = f"sheet '{sheet}'" if sheet else "the workbook"
            problems.append(f"{kind} on {where}: {have[(kind, sheet)]} of {count} found")
    pkg = Package.from_zip(saved)
    problems += _broken_links(pkg)
    sheets = {s.name: s.part for s in after.sheets}
    original = Package.from_zip(info.path)
    by_sheet: dict[str, set[str]] = {}
    for p in preserved:
        if p.sheet is not None and p.kind in SHEET_XML_KINDS:
            by_sheet.setdefault(p.sheet, set()).add(p.kind)
    for name, kinds in by_sheet.items():
        src = next(s.part for s in info.sheets if s.name == name)
        problems += [f"sheet '{name}': {what}" for what in _sheet_xml_differences(
            original.read(src), pkg.read(sheets[name]), kinds)]
    for name in {p.sheet for p in preserved if p.kind == "threaded-comment"}:
        cells = unpaired_threads(pkg, sheets[name])
        if cells:
            problems.append(f"threaded comments on sheet '{name}' without their note: "
                            + ", ".join(cells))
    charts = {pkg.read(r.target) for part in pkg.parts if part.endswith(".rels")
              for r in pkg.rels(_source_of(part)) if r.name == "chart" and r.target}
    for p in preserved:
        if p.kind == "chart" and original.read(p.part) not in charts:
            problems.append(f"chart {p.part} on sheet '{p.sheet}' was not restored")
    return problems


def _sheet_xml_differences(before: bytes, after: bytes, kinds: set[str]) -> list[str]:
    """What the saved sheet lacks among the preserved elements and extensions, compared as
    trees (namespaces resolved, prefixes and declarations ignored)."""
    old, new = _top_level(before), _top_level(after)
    problems = []
    for name, kind in ELEMENT_KINDS.items():
        if kind in kinds and list(map(_shape, old.get(name, []))) != list(
                map(_shape, new.get(name, []))):
            problems.append(f"<{name}> differs from the original")
    for uri, kind in EXTENSION_KINDS.items():
        if kind in kinds:
            mine = [_shape(e) for lst in old.get("extLst", []) for e in lst
                    if (e.get("uri") or "").upper() == uri]
            theirs = [_shape(e) for lst in new.get("extLst", []) for e in lst
                      if (e.get("uri") or "").upper() == uri]
            if mine != theirs:
                problems.append(f"the {kind} extension differs from the original")
    if kinds & CF_KINDS:
        def rules(tree):
            return {(sqref_key(cf.get("sqref")), rule.get("priority")):
                    [x.text for x in rule.iter(f"{{{X14_NS}}}id")]
                    for cf in tree.get("conditionalFormatting", [])
                    for rule in cf.iter(f"{{{MAIN}}}cfRule")}
        mine, theirs = rules(old), rules(new)
        for key, links in mine.items():
            if key not in theirs or theirs[key] != links:
                problems.append(f"the conditional format at {' '.join(key[0])} (priority "
                                f"{key[1]}) is missing or lost its Excel 2010 link")
    return problems


def _top_level(data: bytes) -> dict[str, list]:
    """The worksheet's children by local name, except sheetData (dropped as it is read)."""
    found: dict[str, list] = {}
    depth = 0
    for event, el in iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True):
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth == 2 and el.tag.endswith("}row"):
            el.clear()
        elif depth == 1:
            local = el.tag.rpartition("}")[2]
            if local == "sheetData":
                el.clear()
            else:
                found.setdefault(local, []).append(el)
    return found


def _shape(el) -> tuple:
    ignorable = f"{{{xmlspans.MC}}}Ignorable"  # added by the splicer where it was inherited
    attrs = tuple(sorted((k, v) for k, v in el.attrib.items() if k != ignorable))
    return (el.tag, attrs, (el.text or "").strip(), tuple(_shape(c) for c in el))


def _source_of(rels: str) -> str:
    folder, _, base = rels.rpartition("/")
    parent = folder.rpartition("/")[0] if folder.endswith("_rels") else folder
    return (parent + "/" if parent else "") + base[: -len(".rels")]


def _broken_links(pkg: Package) -> list[str]:
    """Relationships to missing parts, and parts without a content type."""
    problems = []
    for part in list(pkg.parts):
        if part.endswith(".rels"):
            for rel in pkg.rels(_source_of(part)):
                if not rel.external and not rel.in_place and rel.target is None:
                    problems.append(f"{part}: {rel.id} points at a missing part {rel.raw_target}")
        elif part != "[Content_Types].xml" and not pkg.content_type(part):
            problems.append(f"{part} has no content type")
    return problems


def refusal(info, preserved, problems: list[str]) -> WouldLoseContent:
    return WouldLoseContent(
        f"Refusing to save {info.path.name}: the content openpyxl drops could not be put back "
        f"safely ({'; '.join(problems[:5])}). Nothing was written.", list(preserved),
        hint="Save the workbook in Excel and run the command again; if it fails again, report "
             "it with the workbook attached.")
