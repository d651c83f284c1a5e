"""Put back what openpyxl drops, into the package it wrote, before the file is replaced.

openpyxl rewrites every sheet through its object model, so content outside that model is lost
on save (notes/excel-fidelity.md section 1). For the kinds listed in ``PRESERVED_KINDS`` the
splicer copies the original XML back verbatim (strategy B of the notes, applied to what
openpyxl wrote rather than instead of it):

- worksheet ``<extLst>`` entries: Excel 2010 data validations (cross-sheet drop-downs) and
  conditional formats, sparklines, Excel 2010 protected ranges and ignored errors; the link from
  a classic data-bar rule to its Excel 2010 twin (``x14:id``), which openpyxl also drops; and
  classic conditional formats that openpyxl cannot read (a bound given as a name);
- worksheet elements openpyxl never writes: ignoredErrors, protectedRanges, sortState,
  cellWatches, dataConsolidate, each at its place in the CT_Worksheet sequence;
- threaded comments and the workbook's person list (openpyxl keeps the legacy note that Excel
  pairs with each thread);
- custom ribbons (customUI, customUI14) and the VBA project's signature;
- charts: the original chart part (and its style, colour, shape and embedded parts) replaces
  the one openpyxl re-serialised, matched to it by the anchor position in the sheet's drawing;
- shapes and text boxes in a sheet's drawing (preserve_drawing.py).

Sheets are matched by name, since openpyxl renumbers parts. Everything else stays refused
(package.describe names it). preserve_check.verify checks the result independently of the
splicer: it re-inspects the saved package and requires every preserved item to be there.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from defusedxml.ElementTree import fromstring

from journey_workbook.book import xmlspans
from journey_workbook.book.opc import Package, rels_part
from journey_workbook.book.preserve_drawing import anchor_key, restore_shapes, shapes_copyable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
THREADED_NS = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
CHART_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
XDR_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
X14_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"

# CT_Worksheet's child sequence (ECMA-376 Part 1, 18.3.1.99).
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
    "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
    "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
    "controls", "webPublishItems", "tableParts", "extLst")
_ORDER = {name: i for i, name in enumerate(WORKSHEET_ORDER)}

# Self-contained worksheet extensions: they refer to cells and sheets by name, never to parts.
EXTENSION_KINDS = {
    "{CCE6A557-97BC-4B89-ADB6-D9C93CAAB3DF}": "x14-data-validation",
    "{78C0D931-6437-407D-A8EE-F0AAD7539E65}": "x14-conditional-formatting",
    "{05C60535-1F16-4FD2-B633-F4F36F0B64E0}": "sparkline",
    "{FC87AEE6-9EDD-4A0A-B7FB-166176984837}": "protected-range",
    "{01252117-D84E-4E92-8308-4BE1C098FCBB}": "ignored-errors",
}
# Self-contained worksheet elements openpyxl never writes.
ELEMENT_KINDS = {"ignoredErrors": "ignored-errors", "protectedRanges": "protected-range",
                 "sortState": "sort-state", "cellWatches": "cell-watch",
                 "dataConsolidate": "data-consolidation"}
CF_KINDS = {"x14-conditional-formatting", "conditional-formatting"}
_CHART_KINDS = {"chart", "chart-style", "chart-shape"}
SHEET_KINDS = (set(EXTENSION_KINDS.values()) | set(ELEMENT_KINDS.values()) | CF_KINDS
               | _CHART_KINDS | {"threaded-comment", "shape"})
SHEET_XML_KINDS = set(EXTENSION_KINDS.values()) | set(ELEMENT_KINDS.values()) | CF_KINDS
WORKBOOK_KINDS = {"threaded-comment-authors", "custom-ribbon", "custom-ribbon-2010",
                  "vba-signature"}
PRESERVED_KINDS = frozenset(SHEET_KINDS | WORKBOOK_KINDS)


class SpliceFailed(Exception):
    """The splicer could not put something back; the save must be refused."""


# ----------------------------------------------------------------------------- policy

def mark_preserved(info, parts, keep_vba: bool) -> list:
    """``parts`` (AtRiskPart) with fate "preserved" where the splicer puts the item back."""
    if info.is_strict:  # the original's XML is Strict; it cannot be copied into Transitional
        return list(parts)
    sheets = {s.name: s for s in info.sheets}
    original = None
    out = []
    for p in parts:
        ok = False
        sheet = sheets.get(p.sheet) if p.sheet is not None else None
        if p.fate == "kept" or p.kind not in PRESERVED_KINDS:
            ok = False
        elif p.kind in _CHART_KINDS:
            ok = sheet is not None and sheet.kind in ("worksheet", "chartsheet")
        elif p.kind in SHEET_KINDS:
            ok = (sheet is not None and sheet.kind == "worksheet"
                  and "AlternateContent" not in p.detail)
            if ok and p.kind in ("threaded-comment", "shape"):
                original = original or Package.from_zip(info.path)
                ok = (not unpaired_threads(original, sheet.part) if p.kind == "threaded-comment"
                      else shapes_copyable(original, sheet.part))
        elif p.kind in WORKBOOK_KINDS:
            ok = p.sheet is None and (p.kind != "vba-signature" or keep_vba)
        out.append(replace(p, fate="preserved") if ok else p)
    return out


def unpaired_threads(pkg: Package, sheet_part: str) -> list[str]:
    """Cells whose threaded comment has no legacy note beside it. Excel shows a thread only
    with its note (the note is the fallback older versions read), so both must be there."""
    threads, notes = set(), set()
    for rel in pkg.rels(sheet_part):
        if rel.target is None:
            continue
        if rel.name == "threadedComment":
            for el in fromstring(pkg.read(rel.target), forbid_dtd=True):
                if el.tag == f"{{{THREADED_NS}}}threadedComment" and not el.get("parentId"):
                    threads.add((el.get("ref") or "").upper())
        elif rel.name == "comments":
            for el in fromstring(pkg.read(rel.target), forbid_dtd=True).iter(f"{{{MAIN}}}comment"):
                notes.add((el.get("ref") or "").upper())
    return sorted(threads - notes)


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


# ----------------------------------------------------------------------------- splicing

def splice(info, written: bytes, preserved) -> bytes:
    """The package openpyxl ``written``, with the ``preserved`` items (AtRiskPart, fate
    "preserved") copied back from the original file. Raises SpliceFailed."""
    if not preserved:
        return written
    if info.digest and file_digest(info.path) != info.digest:
        raise SpliceFailed(f"{info.path.name} changed on disk since it was opened")
    try:
        job = _Splice(Package.from_zip(info.path), Package.from_zip(written), info)
        job.run(preserved)
        return job.out.to_bytes()
    except SpliceFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any surprise means: do not write
        raise SpliceFailed(f"{type(exc).__name__}: {exc}") from exc


class _Splice:
    def __init__(self, original: Package, out: Package, info):
        self.orig, self.out, self.info = original, out, info
        self.copied: dict[str, str] = {}  # original part -> its name in the output
        self.out_workbook = next((r.target for r in out.rels("") if r.name == "officeDocument"
                                  and r.target), None)
        if self.out_workbook is None:
            raise SpliceFailed("the written package has no workbook part")
        self.out_sheets = self._sheet_parts()

    def run(self, preserved) -> None:
        by_sheet: dict[str, set[str]] = {}
        workbook = set()
        for p in preserved:
            if p.sheet is None:
                workbook.add(p.kind)
            else:
                by_sheet.setdefault(p.sheet, set()).add(p.kind)
        originals = {s.name: s.part for s in self.info.sheets}
        for name, kinds in by_sheet.items():
            src, dst = originals[name], self.out_sheets.get(name)
            if dst is None:
                raise SpliceFailed(f"sheet '{name}' is not in the written package")
            if kinds & SHEET_XML_KINDS:
                self.sheet_xml(src, dst, kinds)
            if "threaded-comment" in kinds:
                self.related(src, dst, ("threadedComment",))
            if kinds & _CHART_KINDS:
                self.charts(src, dst)
            if "shape" in kinds:
                restore_shapes(self, src, dst)
        wb_src = self.info.workbook_part
        if "threaded-comment-authors" in workbook:
            self.related(wb_src, self.out_workbook, ("person",))
        if workbook & {"custom-ribbon", "custom-ribbon-2010"}:
            self.related("", "", ("ui/extensibility",))
        if "vba-signature" in workbook:
            self.signature(wb_src)

    # -- parts and relationships

    def _sheet_parts(self) -> dict[str, str]:
        rels = {r.id: r.target for r in self.out.rels(self.out_workbook)}
        root = fromstring(self.out.read(self.out_workbook), forbid_dtd=True)
        return {el.get("name"): rels.get(el.get(f"{{{R_NS}}}id")) for el in root.iter(
            f"{{{MAIN}}}sheet")}

    def copy(self, name: str) -> str:
        """Copy an original part, its content type and everything it relates to; returns its
        name in the output (a new one if openpyxl wrote a different part under that name)."""
        if name in self.copied:
            return self.copied[name]
        data = self.orig.read(name)
        existing = self.out.find(name)
        new = name if existing is None or self.out.read(existing) == data else (
            self.out.free_name(name, set(self.copied.values())))
        self.copied[name] = new
        self.out.put(new, data, self.orig.content_type(name))
        rels = self.orig.rels(name)
        if rels:
            self.out.parts.pop(self.out.find(rels_part(new)) or rels_part(new), None)
            for rel in rels:
                self.link(new, rel)
        return new

    def link(self, source: str, rel, rid: str | None = None) -> str:
        if rel.external or rel.in_place:
            return self.out.add_rel(source, rel.type, rel.raw_target, rid or rel.id,
                                    rel.external, literal=True)
        if rel.target is None:
            raise SpliceFailed(f"a relationship of {source} points at a missing part")
        return self.out.add_rel(source, rel.type, self.copy(rel.target), rid or rel.id)

    def related(self, src: str, dst: str, names: tuple[str, ...]) -> None:
        """Copy the parts ``src`` relates to by these relationship types, relating ``dst`` to
        them (unless openpyxl already did)."""
        have = {(r.type, r.target) for r in self.out.rels(dst)}
        for rel in self.orig.rels(src):
            if rel.name in names and rel.target:
                target = self.copy(rel.target)
                if (rel.type, target) not in have:
                    self.out.add_rel(dst, rel.type, target, rel.id)

    def signature(self, wb_src: str) -> None:
        vba = next((r.target for r in self.orig.rels(wb_src) if r.name == "vbaProject"), None)
        out_vba = next((r.target for r in self.out.rels(self.out_workbook)
                        if r.name == "vbaProject"), None)
        if vba is None or out_vba is None:
            raise SpliceFailed("the VBA project is not in the written package")
        self.out.parts.pop(self.out.find(rels_part(out_vba)) or "", None)
        for rel in self.orig.rels(vba):
            self.link(out_vba, rel)

    # -- worksheet XML

    def sheet_xml(self, src: str, dst: str, kinds: set[str]) -> None:
        orig = xmlspans.scan(self.orig.read(src), _sheet_paths)
        out = xmlspans.scan(self.out.read(dst), _sheet_paths)
        if out.root.scope.get(None) != MAIN:
            raise SpliceFailed(f"{dst} does not use the main namespace as default")
        scope = out.root.scope
        ignorable = xmlspans.attr(orig.root, "Ignorable", xmlspans.MC)
        top = [e for e in out.elements if len(e.path) == 2]
        present = {e.local for e in top}
        inserts: dict[str, list[bytes]] = {}
        edits = []

        def fragment(el):
            return xmlspans.standalone(orig.data, el, scope, ignorable)

        for el in orig.elements:
            if len(el.path) == 2 and ELEMENT_KINDS.get(el.local) in kinds:
                if el.local in present:
                    raise SpliceFailed(f"openpyxl wrote its own <{el.local}> in {dst}")
                inserts.setdefault(el.local, []).append(fragment(el))
        if kinds & CF_KINDS:
            lost, links = _conditional_formats(orig, out)
            if lost:
                inserts.setdefault("conditionalFormatting", []).extend(map(fragment, lost))
            for rule, ext in links:
                edits.append(_append_child(out.data, rule, fragment(ext), b"cfRule"))
        wanted = {uri for uri, kind in EXTENSION_KINDS.items() if kind in kinds}
        exts = [e for e in orig.elements if e.path[1:] == ("extLst", "ext")
                and (xmlspans.attr(e, "uri") or "").upper() in wanted]
        if exts:
            if "extLst" in present:
                raise SpliceFailed(f"openpyxl wrote its own <extLst> in {dst}")
            inserts["extLst"] = [b"<extLst>" + b"".join(map(fragment, exts)) + b"</extLst>"]
        for name in sorted(inserts, key=_ORDER.__getitem__):
            at = _place(out, name)
            edits.append((at, at, b"".join(inserts[name])))
        self.out.parts[self.out.find(dst)] = xmlspans.apply(out.data, _merge_inserts(edits))

    def insert_sheet_element(self, dst: str, name: str, element: bytes) -> None:
        """Put a worksheet child (unprefixed, main namespace) at its place in the sequence."""
        out = xmlspans.scan(self.out.read(dst), lambda path: len(path) == 2)
        if out.root.scope.get(None) != MAIN:
            raise SpliceFailed(f"{dst} does not use the main namespace as default")
        if any(e.local == name for e in out.elements):
            raise SpliceFailed(f"openpyxl wrote its own <{name}> in {dst}")
        at = _place(out, name)
        self.out.parts[self.out.find(dst)] = xmlspans.apply(out.data, [(at, at, element)])

    # -- charts

    def charts(self, src: str, dst: str) -> None:
        """Give each chart openpyxl wrote the original chart part at the same anchor."""
        originals = self._anchored_charts(self.orig, src)
        written = self._anchored_charts(self.out, dst)
        for key, parts in originals.items():
            targets = written.get(key, [])
            if len(targets) != len(parts):
                raise SpliceFailed(f"the charts of {src} do not match the written ones")
            for old, new in zip(parts, targets):
                self.out.parts[self.out.find(new)] = self.orig.read(old)
                self.out.set_content_type(new, self.orig.content_type(old))
                self.out.parts.pop(self.out.find(rels_part(new)) or "", None)
                for rel in self.orig.rels(old):
                    self.link(new, rel)

    @staticmethod
    def _anchored_charts(pkg: Package, sheet_part: str) -> dict[tuple, list[str]]:
        found: dict[tuple, list[str]] = {}
        for drawing in (r.target for r in pkg.rels(sheet_part) if r.name == "drawing"):
            if drawing is None:
                continue
            rels = {r.id: r.target for r in pkg.rels(drawing)}
            for anchor in fromstring(pkg.read(drawing), forbid_dtd=True):
                chart = next(anchor.iter(f"{{{CHART_NS}}}chart"), None)
                if chart is None or any(
                        el.tag.endswith("}AlternateContent") for el in anchor.iter()):
                    continue
                target = rels.get(chart.get(f"{{{R_NS}}}id"))
                if target:
                    found.setdefault(anchor_key(anchor), []).append(target)
        return found


def _place(scan, name: str) -> int:
    """Where a new worksheet child ``name`` goes: before the first child that follows it in
    CT_Worksheet, or at the end."""
    after = [e.start for e in scan.elements if len(e.path) == 2
             and _ORDER.get(e.local, -1) > _ORDER[name]]
    return min(after) if after else xmlspans.end_tag_start(scan.data, scan.root)


def _sheet_paths(path: tuple[str, ...]) -> bool:
    n = len(path)
    return n == 2 or (n == 3 and path[1] in ("extLst", "conditionalFormatting")) or (
        n == 4 and path[1] == "conditionalFormatting" and path[3] == "extLst")


def sqref_key(value: str | None) -> tuple[str, ...]:
    cells = []
    for ref in (value or "").replace("$", "").upper().split():
        a, _, b = ref.partition(":")
        cells.append(a if not b or a == b else ref)
    return tuple(sorted(cells))


def _conditional_formats(orig, out):
    """(original blocks openpyxl lost entirely, [(written cfRule, original rule's extLst)])."""
    def rules(scan):
        blocks = [e for e in scan.elements if e.path[1:] == ("conditionalFormatting",)]
        found = []
        for e in scan.elements:
            if e.path[1:] == ("conditionalFormatting", "cfRule"):
                block = next(b for b in blocks if b.start < e.start < b.end)
                found.append((block, e, (sqref_key(xmlspans.attr(block, "sqref")),
                                         xmlspans.attr(e, "priority"))))
        return blocks, found

    blocks, orig_rules = rules(orig)
    _, out_rules = rules(out)
    written = {key: rule for _, rule, key in out_rules}
    lost = [b for b in blocks if not any(key in written for blk, _, key in orig_rules
                                         if blk is b)]
    exts = [e for e in orig.elements if e.path[1:] == ("conditionalFormatting", "cfRule",
                                                       "extLst")]
    links = []
    for block, rule, key in orig_rules:
        if block in lost:
            continue
        ext = next((x for x in exts if rule.start < x.start < rule.end), None)
        if ext is not None:
            if key not in written:
                raise SpliceFailed(f"the conditional format at {' '.join(key[0])} was not written")
            links.append((written[key], ext))
    return lost, links


def _append_child(data: bytes, el, fragment: bytes, tag: bytes):
    """An edit that adds ``fragment`` as the last child of ``el`` (an unprefixed element)."""
    end = xmlspans.end_tag_start(data, el)
    if end >= 0:
        return (end, end, fragment)
    return (el.end - 2, el.end, b">" + fragment + b"</" + tag + b">")


def _merge_inserts(edits):
    """Pure insertions at the same offset become one edit, in the order they were made."""
    merged: dict[tuple[int, int], bytes] = {}
    for start, end, new in edits:
        merged[(start, end)] = merged.get((start, end), b"") + new
    return [(s, e, new) for (s, e), new in merged.items()]
