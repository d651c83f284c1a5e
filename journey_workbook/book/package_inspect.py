"""The inspection behind inspect_package: the workbook part found through the relationships,
its sheets, the shared parts openpyxl reads (checked), and every part or element openpyxl 3.1.5
would drop or damage (AtRiskPart findings with openpyxl's own fates; package.py adjusts them to
the load options and the splicer).
"""
from __future__ import annotations

import importlib.util
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from journey_workbook.book.package_xml import (
    DrawingScan, SharedStringsScan, SheetScan, attribute, local_name, parse_small,
    parse_stream)
from journey_workbook.book.package_zip import RESAVE, ZipPackage, unreadable

MAX_MERGED_CELLS = 2_000_000  # openpyxl creates an object per merged cell: A1:XFD1048576 hangs

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_WB = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_MS = "application/vnd.ms-excel."
_WORKBOOK_TYPES = {_WB + "sheet.main+xml", _WB + "template.main+xml",
                   _MS + "sheet.macroEnabled.main+xml", _MS + "template.macroEnabled.main+xml"}

# Worksheet children openpyxl reads and writes back (worksheet/_writer.py: write_top, write_tail)
# or that are harmless to lose (dimension is recomputed; phoneticPr and sheetCalcPr are defaults).
_SHEET_KEPT = {"sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
               "sheetProtection", "scenarios", "autoFilter", "mergeCells", "conditionalFormatting",
               "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup",
               "headerFooter", "rowBreaks", "colBreaks", "drawing", "legacyDrawing", "tableParts",
               "phoneticPr", "sheetCalcPr", "extLst", "AlternateContent"}
_SHEET_DROPPED = {"protectedRanges": "protected-range", "sortState": "sort-state",
                  "dataConsolidate": "data-consolidation", "customSheetViews": "custom-view",
                  "customProperties": "sheet-custom-property", "cellWatches": "cell-watch",
                  "ignoredErrors": "ignored-errors", "smartTags": "smart-tag",
                  "legacyDrawingHF": "header-footer-image", "drawingHF": "header-footer-image",
                  "picture": "background-image", "oleObjects": "ole-object",
                  "controls": "form-control", "webPublishItems": "web-publishing"}
# Worksheet <extLst><ext uri>: openpyxl drops them all (it warns for some).
_SHEET_EXTENSIONS = {
    "{CCE6A557-97BC-4B89-ADB6-D9C93CAAB3DF}": "x14-data-validation",
    "{78C0D931-6437-407D-A8EE-F0AAD7539E65}": "x14-conditional-formatting",
    "{05C60535-1F16-4FD2-B633-F4F36F0B64E0}": "sparkline",
    "{A8765BA9-456A-4DAB-B4F3-ACF838C121DE}": "slicer",
    "{3A4CF648-6AED-40F4-86FF-DC5316D8AED3}": "slicer",
    "{7E03D99C-DC04-49D9-9315-930204A7B6E9}": "timeline",
    "{FC87AEE6-9EDD-4A0A-B7FB-166176984837}": "protected-range",
    "{01252117-D84E-4E92-8308-4BE1C098FCBB}": "ignored-errors",
    "{F7C9EE02-42E1-4005-9D12-6889AFFD525C}": "web-extension",
    "{64002731-A6B0-56B0-2670-7721B7C09600}": None,  # Mac Excel page-layout view: harmless
}
_EXTENSION_DETAIL = {
    "x14-data-validation": "Excel 2010 data validation (a drop-down whose list is on another "
                           "sheet)",
    "x14-conditional-formatting": "Excel 2010 conditional formatting (data bars, icon sets)",
    "sparkline": "sparklines", "slicer": "slicers", "timeline": "timelines",
    "protected-range": "Excel 2010 protected ranges", "ignored-errors": "ignored error checks",
    "web-extension": "Office add-in (web extension) bindings",
}
_GRAPHIC_KINDS = {"drawingml/2006/chart": "chart", "drawingml/2006/diagram": "smartart",
                  "office/drawing/2010/slicer": "slicer",
                  "office/drawing/2012/timeslicer": "timeline",
                  "office/drawing/2014/chartex": "chart-2016"}
_KEPT_IMAGES = {"png", "jpeg", "jpg", "gif", "bmp", "tif", "tiff"}  # Pillow reads them
# CT_Xf attributes (ECMA-376 18.8.45); openpyxl raises TypeError on any other plain attribute.
XF_ATTRIBUTES = {"numFmtId", "fontId", "fillId", "borderId", "xfId", "quotePrefix", "pivotButton",
                  "applyNumberFormat", "applyFont", "applyFill", "applyBorder", "applyAlignment",
                  "applyProtection"}

_FIXED_FATES = {"chart": "damaged", "comment": "damaged", "xlm-macro-sheet": "damaged",
                "dialog-sheet": "damaged", "pivot-table": "kept", "external-link": "kept"}


@dataclass(frozen=True)
class SheetInfo:
    name: str
    state: str  # visible | hidden | veryHidden
    kind: str  # worksheet | chartsheet | macrosheet | dialogsheet
    part: str  # e.g. xl/worksheets/sheet1.xml


@dataclass(frozen=True)
class AtRiskPart:
    """Something openpyxl's load+save would drop, damage or (for the record) keep."""

    kind: str  # stable key: shape, chart, threaded-comment, x14-data-validation, vba, ...
    sheet: str | None  # None: workbook-level
    part: str  # the zip part that holds it
    detail: str
    fate: str  # dropped | damaged | kept | preserved (put back by the splicer, preserve.py)
    count: int = 1


@dataclass(frozen=True)
class PackageInfo:
    path: Path
    parts: tuple[str, ...]  # part names, "/" separated, as openpyxl will see them
    workbook_part: str
    sheets: tuple[SheetInfo, ...]
    has_vba: bool
    macro_enabled: bool  # the workbook content type is .xlsm/.xltm
    is_strict: bool
    at_risk: tuple[AtRiskPart, ...]  # for the default load (see parts_openpyxl_would_drop)
    repairs: tuple[tuple[str, str], ...] = ()  # (what, part) fixed in memory by load_safely
    digest: str = ""  # sha256 of the file as inspected: the splicer copies from that file only



@dataclass(frozen=True)
class _Rel:
    id: str
    name: str  # the type's last segments: worksheet, chartStyle, ui/extensibility, ...
    type: str
    target: str | None  # the part, or None when external or missing


class Inspector:
    def __init__(self, pkg: ZipPackage):
        self.pkg = pkg
        self.findings: list[AtRiskPart] = []
        self.repairs: list[tuple[str, str]] = []
        self.pillow = importlib.util.find_spec("PIL") is not None
        if pkg.backslashes:
            self.repairs.append(("backslash-names", "*"))

    def fail(self, code: str, what: str, hint: str, part: str | None = None):
        return unreadable(self.pkg.path, code, what, hint, part=part)

    def add(self, kind, sheet, part, detail, count=1, fate="dropped"):
        self.findings.append(AtRiskPart(kind, sheet, part, detail, _FIXED_FATES.get(kind, fate),
                                        count))

    # --- package structure

    def run(self) -> PackageInfo:
        pkg = self.pkg
        types = self.content_types()
        root_rels = self.rels("")
        wb_part = self.workbook_part(types, root_rels)
        wb_type = pkg.content_type(wb_part, types)
        root = parse_small(pkg, wb_part)
        is_strict = root.tag.startswith("{" + STRICT_MAIN_NS)
        if root.tag not in (f"{{{MAIN_NS}}}workbook", f"{{{STRICT_MAIN_NS}}}workbook"):
            raise self.fail("not-a-workbook", f"the workbook part {wb_part} holds "
                            f"<{local_name(root.tag)}>, not a workbook.", RESAVE, wb_part)
        if is_strict:
            self.repairs.append(("strict-namespaces", "*"))
        wb_rels = self.rels(wb_part)
        sheets = self.sheets(root, wb_rels, is_strict, wb_part)
        rich = self.workbook_parts(wb_rels, root_rels)
        for sheet in sheets:
            self.sheet(sheet, rich)
        self.loose_parts()
        info = PackageInfo(
            path=pkg.path, parts=pkg.names, workbook_part=wb_part, sheets=tuple(sheets),
            has_vba=any(r.name == "vbaProject" and r.target for r in wb_rels),
            macro_enabled="macroEnabled" in wb_type, is_strict=is_strict,
            at_risk=tuple(self.findings), repairs=tuple(self.repairs))
        return info

    def content_types(self) -> dict[str, str]:
        pkg = self.pkg
        name = pkg.find("[Content_Types].xml")
        if name is None:
            if pkg.find("mimetype") and b"opendocument" in pkg.read(pkg.find("mimetype"), 200):
                raise self.fail("not-a-workbook", "this is an OpenDocument file (.ods), not an "
                                "Excel workbook.", "Open it in LibreOffice or Excel and save it "
                                "as 'Excel 2007-365 (.xlsx)'.")
            raise self.fail("missing-part", "the package has no [Content_Types].xml, so it is "
                            "not an Office file (or it is damaged).", RESAVE)
        types = {}
        for el in parse_small(self.pkg, name):
            if el.tag == f"{{{_CT_NS}}}Override" and el.get("PartName"):
                types[unquote(el.get("PartName")).replace("\\", "/").lower()] = el.get(
                    "ContentType", "")
            elif el.tag == f"{{{_CT_NS}}}Default" and el.get("Extension"):
                types[el.get("Extension").lower()] = el.get("ContentType", "")
        return types

    def rels(self, source: str) -> list[_Rel]:
        folder, _, base = source.rpartition("/")
        rels_part = self.pkg.find(posixpath.join(folder, "_rels", base + ".rels"))
        if rels_part is None:
            return []
        found = []
        for el in parse_small(self.pkg, rels_part):
            if el.tag != f"{{{_PKG_RELS}}}Relationship":
                continue
            rtype = el.get("Type", "")
            target = None
            if el.get("TargetMode") != "External":
                ref = unquote(el.get("Target", "").split("#")[0]).replace("\\", "/")
                if ref:
                    ref = ref[1:] if ref.startswith("/") else posixpath.join(folder, ref)
                    target = self.pkg.find(posixpath.normpath(ref).lstrip("/"))
            found.append(_Rel(el.get("Id", ""), rtype.split("/relationships/")[-1], rtype,
                              target))
        return found

    def workbook_part(self, types: dict[str, str], root_rels: list[_Rel]) -> str:
        office = [r for r in root_rels if r.name == "officeDocument"]
        part = office[0].target if office else None
        if part is None:  # openpyxl falls back on the content types; so do we
            part = next((self.pkg.find(p[1:]) for p, t in types.items() if p.startswith("/")
                         and t in _WORKBOOK_TYPES and self.pkg.find(p[1:])), None)
        if part is None:
            raise self.fail("missing-part", "the package has no workbook part.", RESAVE)
        ctype = self.pkg.content_type(part, types)
        if "sheet.binary" in ctype:
            raise self.fail("xlsb", "this is an Excel Binary Workbook (.xlsb), which this "
                            "product does not read.", RESAVE)
        if ctype not in _WORKBOOK_TYPES:
            what = ("a Word document" if "wordprocessingml" in ctype else "a PowerPoint file"
                    if "presentationml" in ctype else "an Excel add-in" if "addin" in ctype
                    else f"an Office file of type {ctype or 'unknown'}")
            raise self.fail("not-a-workbook", f"this is {what}, not an Excel workbook.",
                            "Give the path of an .xlsx file.", part)
        return part

    def sheets(self, root, wb_rels, is_strict, wb_part) -> list[SheetInfo]:
        main, rel_ns = (STRICT_MAIN_NS, STRICT_REL_NS) if is_strict else (MAIN_NS, REL_NS)
        by_id = {r.id: r for r in wb_rels}
        found = []
        for el in root.iter(f"{{{main}}}sheet"):
            name = el.get("name") or "?"
            rel = by_id.get(el.get(f"{{{rel_ns}}}id") or "")
            if rel is None or rel.target is None:
                raise self.fail("missing-part", f"the sheet '{name}' is listed in {wb_part} but "
                                "its part is missing, so it would be read as nothing.",
                                "Open the file in Excel: if Excel repairs it, save the repaired "
                                "copy and use that.", wb_part)
            kind = {"xlMacrosheet": "macrosheet", "xlIntlMacrosheet": "macrosheet"}.get(
                rel.name, rel.name)
            found.append(SheetInfo(name, el.get("state") or "visible", kind, rel.target))
        if not found:
            raise self.fail("missing-part", f"the workbook part {wb_part} lists no sheets.",
                            RESAVE, wb_part)
        return found

    # --- workbook-level parts

    def workbook_parts(self, wb_rels: list[_Rel], root_rels: list[_Rel]) -> set[str]:
        """Check the shared parts openpyxl reads; note workbook-level findings. Returns the
        indexes of shared strings that carry formatting runs."""
        pkg, rich = self.pkg, set()
        for fixed in ("docProps/core.xml", "docProps/custom.xml"):  # openpyxl reads these paths
            if fixed in pkg.infos:
                parse_small(pkg, fixed)
        for rel in root_rels:
            if rel.target and rel.name == "ui/extensibility":
                if "/2007/" in rel.type:
                    self.add("custom-ribbon-2010", None, rel.target, "Office 2010+ ribbon "
                             "(customUI14): openpyxl drops its relationship")
                else:
                    self.add("custom-ribbon", None, rel.target, "custom ribbon (customUI)")
        for rel in wb_rels:
            part = rel.target
            if part is None:
                continue
            if rel.name == "styles":
                self.styles(part)
            elif rel.name == "theme":
                parse_small(pkg, part)
                if part != "xl/theme/theme1.xml":
                    self.repairs.append(("theme-location", part))
            elif rel.name == "sharedStrings":
                scan = SharedStringsScan()
                parse_stream(pkg, part, scan)
                rich = scan.rich
            elif rel.name == "externalLink":
                parse_small(pkg, part)
                self.add("external-link", None, part, "link to another workbook")
            elif rel.name == "vbaProject":
                self.add("vba", None, part, "VBA project (macros)")
                for sig in self.rels(part):
                    if sig.target:
                        self.add("vba-signature", None, sig.target, "digital signature of the "
                                 "VBA project: openpyxl drops its relationship")
            elif rel.name == "person":
                self.add("threaded-comment-authors", None, part, "the people who wrote "
                         "threaded comments (persons)")
            elif rel.name == "connections":
                self.add("data-connection", None, part, "data connections (external queries)")
            elif rel.name.lower() == "featurepropertybag":
                self.add("checkbox", None, part, "check boxes in cells")
        return rich

    def styles(self, part: str) -> None:
        root = parse_small(self.pkg, part)
        if part != "xl/styles.xml":
            self.repairs.append(("styles-location", part))
        for el in root.iter():
            if local_name(el.tag) == "xf" and any(
                    "}" not in key and key not in XF_ATTRIBUTES for key in el.attrib):
                self.repairs.append(("foreign-xf-attributes", part))
                return

    def loose_parts(self) -> None:
        """Parts found by name rather than by relationship."""
        pkg = self.pkg
        model = [n for n in pkg.names if n.lower().startswith("xl/model/")]
        if model:
            self.add("data-model", None, model[0], "Power Pivot data model", len(model))
        for name in pkg.names:
            if name.lower().startswith("customxml/item") and not name.lower().startswith(
                    "customxml/itemprops"):
                head = pkg.read(name, 1024)
                if b"DataMashup" in head or "DataMashup".encode("utf-16-le") in head:
                    self.add("power-query", None, name, "Power Query queries (DataMashup)")

    # --- sheets

    def sheet(self, sheet: SheetInfo, rich: set[str]) -> None:
        pkg, name = self.pkg, sheet.name
        scan = SheetScan(rich)
        parse_stream(pkg, sheet.part, scan)
        rels = {r.id: r for r in self.rels(sheet.part)}
        if sheet.kind == "macrosheet":
            self.add("xlm-macro-sheet", name, sheet.part, "Excel 4.0 macro sheet: openpyxl "
                     "reads and saves it as an ordinary worksheet, so its macros stop working")
        elif sheet.kind == "dialogsheet":
            self.add("dialog-sheet", name, sheet.part, "Excel 5.0 dialog sheet: saved as an "
                     "ordinary worksheet")
        if scan.merged > MAX_MERGED_CELLS:
            raise self.fail("too-large", f"the merged ranges on sheet '{name}' cover "
                            f"{scan.merged:,} cells; openpyxl would create an object for each "
                            f"(the limit is {MAX_MERGED_CELLS:,}).", "Unmerge the large ranges "
                            "in Excel (Home > Merge & Center > Unmerge Cells) and save again.",
                            sheet.part)
        if scan.empty_style:
            self.repairs.append(("empty-style-attribute", sheet.part))
        for local, attrs in scan.children:
            target = getattr(rels.get(attribute(attrs, "id") or ""), "target", None)
            if local == "drawing" and target:
                self.drawing(name, target)
            elif local == "legacyDrawing" and target:
                self.vml_controls(name, target)
            elif local == "controls":
                self.controls(name, sheet.part, rels)
            elif local in _SHEET_DROPPED:
                kind = _SHEET_DROPPED[local]
                self.add(kind, name, target or sheet.part, f"<{local}>")
            elif local not in _SHEET_KEPT:
                self.add("sheet-element", name, sheet.part, f"<{local}>, which openpyxl does "
                         "not write back")
        for inner in scan.alternate:
            kind = _SHEET_DROPPED.get(inner)
            if kind == "form-control":
                self.controls(name, sheet.part, rels)
            elif kind:
                self.add(kind, name, sheet.part, f"<{inner}> inside mc:AlternateContent")
        for uri, (count, sqrefs) in scan.extensions.items():
            kind = _SHEET_EXTENSIONS.get(uri, "extension")
            if kind:
                where = f" in {', '.join(sqrefs[:5])}" if sqrefs else ""
                what = _EXTENSION_DETAIL.get(kind, f"Excel extension {uri or '(no uri)'}")
                self.add(kind, name, sheet.part, what + where, max(count, 1))
        if scan.unreadable_formats:
            self.add("conditional-formatting", name, sheet.part, "conditional formats openpyxl "
                     "cannot read (a bound given as a name or formula) in "
                     + ", ".join(scan.unreadable_formats[:5]), len(scan.unreadable_formats))
        if scan.cm:
            self.add("dynamic-array", name, self.pkg.find("xl/metadata.xml") or sheet.part,
                     "dynamic-array formulas (they would stop spilling)", scan.cm)
        if scan.vm:
            rich_parts = sorted(n for n in pkg.names if n.lower().startswith("xl/richdata/"))
            pictures = any("richvaluerel" in n.lower() for n in rich_parts)
            self.add("in-cell-picture" if pictures else "rich-value", name,
                     rich_parts[0] if rich_parts else sheet.part,
                     "pictures in cells" if pictures else "rich values (linked data types, "
                     "in-cell pictures)", scan.vm)
        if scan.rich:
            self.add("rich-text", name, sheet.part, "cells whose text mixes formats (bold "
                     "words, coloured runs)", scan.rich, fate="damaged")
        for rel in rels.values():
            if rel.target is None:
                continue
            if rel.name == "comments":
                count = sum(1 for el in parse_small(pkg, rel.target).iter() if local_name(el.tag) ==
                            "comment")
                self.add("comment", name, rel.target, "comments: text and author kept; box "
                         "size, colour and visibility reset", count)
            elif rel.name == "threadedComment":
                count = sum(1 for el in parse_small(pkg, rel.target).iter() if local_name(el.tag) ==
                            "threadedComment")
                self.add("threaded-comment", name, rel.target, "threaded comments (replies "
                         "and mentions); only the legacy note text remains", count)
            elif rel.name == "table":
                parse_small(pkg, rel.target)
                for query in self.rels(rel.target):
                    if query.name == "queryTable" and query.target:
                        self.add("query-table", name, query.target, "query table (refreshable "
                                 "external data)")
            elif rel.name == "pivotTable":
                parse_small(pkg, rel.target)
                self.add("pivot-table", name, rel.target, "pivot table (openpyxl preserves it)")

    def drawing(self, sheet: str, part: str) -> None:
        scan = DrawingScan()
        parse_stream(self.pkg, part, scan)
        rels = {r.id: r for r in self.rels(part)}
        groups: dict[tuple[str, str, str], list] = {}

        def note(kind, where, label, fate="dropped"):
            entry = groups.setdefault((kind, where, fate), [])
            entry.append(label)

        for obj in scan.objects:
            label = obj["name"] or obj["tag"]
            target = getattr(rels.get(obj["rid"] or ""), "target", None)
            if obj["control"]:
                continue  # reported with the sheet's form controls
            if obj["tag"] in ("sp", "grpSp", "cxnSp"):
                note("shape", part, label)
            elif obj["tag"] == "contentPart":
                note("ink", part, label)
            elif obj["tag"] == "pic":
                ext = (target or "").rpartition(".")[2].lower()
                kept = self.pillow and ext in _KEPT_IMAGES and not obj["alternate"]
                note("image", target or part, label, "kept" if kept else "dropped")
                if obj["svg"]:
                    note("svg-image", target or part, label)
            else:
                uri = obj["uri"] or ""
                kind = next((k for key, k in _GRAPHIC_KINDS.items() if uri.endswith(key)),
                            "drawing-object")
                if kind == "chart" and target and not obj["alternate"]:
                    self.chart(sheet, target, label)
                else:
                    note(kind if kind != "chart" else "drawing-object", target or part, label)
        for (kind, where, fate), labels in groups.items():
            self.add(kind, sheet, where, ", ".join(labels[:5]) + (", ..." if len(labels) > 5
                                                                  else ""), len(labels), fate)

    def chart(self, sheet: str, part: str, label: str) -> None:
        parse_stream(self.pkg, part)
        self.add("chart", sheet, part, f"{label}: redrawn from openpyxl's chart model, which "
                 "loses formatting it does not model")
        for rel in self.rels(part):
            if rel.target and rel.name in ("chartStyle", "chartColorStyle"):
                self.add("chart-style", sheet, rel.target, f"{label}: Excel 2013+ chart style "
                         "or colour part")
            elif rel.target and rel.name == "chartUserShapes":
                self.add("chart-shape", sheet, rel.target, f"{label}: shapes drawn on the chart")

    def vml_controls(self, sheet: str, part: str) -> None:
        """Legacy VML: notes are reported with the comments; anything else is a form control."""
        kinds = re.findall(rb'ObjectType\s*=\s*"(\w+)"', self.pkg.read(part))
        controls = [k.decode() for k in kinds if k != b"Note"]
        if controls:
            self.add("form-control", sheet, part, "form controls: " + ", ".join(
                sorted(set(controls))), len(controls))

    def controls(self, sheet: str, part: str, rels: dict[str, _Rel]) -> None:
        """<controls>: ActiveX, or the wiring of form controls already counted in the VML."""
        found = {f.kind for f in self.findings if f.sheet == sheet}
        if "activex" not in found and any(r.name == "control" for r in rels.values()):
            self.add("activex", sheet, part, "ActiveX controls (<controls>)")
        if "form-control" not in found and any(r.name == "ctrlProp" for r in rels.values()):
            self.add("form-control", sheet, part, "form controls (<controls> with ctrlProps)")


