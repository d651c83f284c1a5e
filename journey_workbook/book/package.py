"""The gate every workbook passes before openpyxl reads it, and before the product saves over it.

``inspect_package`` opens the file as a zip, with limits, and never extracts to disk: it refuses
what cannot be read safely (missing file, encrypted or legacy .xls, truncated zip, XML entities,
zip bombs, bad part names, malformed XML in a part openpyxl reads) with an UnreadableWorkbook
that names the file and says what to do. It returns a PackageInfo: the parts, the sheets, and
what openpyxl 3.1.5 would drop or damage on load+save (``parts_openpyxl_would_drop``;
``describe`` turns that into the refusal message). ``load_safely`` hands openpyxl the package.

Decisions (see the tests for the evidence):
- Part names with ``\\`` are read as ``/``. Excel opens such files; Python's zipfile already
  does this on Windows but not elsewhere, so openpyxl would find no parts on Linux.
- Strict Open XML is translated to Transitional in memory (namespaces, relationship types,
  ``conformance``); openpyxl alone reads it as a workbook with no sheets.
- A workbook part outside ``xl/`` (``wtf/workbook.xml``) is found through the relationships.
  openpyxl does that too but reads styles and theme from fixed paths; we copy them there.
- Two writer quirks openpyxl cannot parse are repaired in memory: ``s=""`` on cells, and
  attributes outside the schema on ``<xf>`` (ODF Converter's ``ZMIENNA_*``).
- Every XML parse refuses a DOCTYPE (so no entity is ever declared or expanded): small parts go
  through defusedxml, large ones through expat with a DOCTYPE handler that raises.
- What openpyxl drops is not always lost: FileBook.save splices back the kinds preserve.py
  restores (``spliced=True`` gives them the fate "preserved"); the rest blocks the save.

The work is split by layer: package_zip.py (the container), package_xml.py (safe parsing and
the one-pass scanners), package_inspect.py (the findings); this module is the public face.
"""
from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path

from journey_workbook.book.package_inspect import (
    MAX_MERGED_CELLS, XF_ATTRIBUTES, AtRiskPart, Inspector, PackageInfo, SheetInfo)
from journey_workbook.book.package_xml import PROLOG_WINDOW, check_prolog, is_xml_part
from journey_workbook.book.package_zip import (
    MAX_PARTS, MAX_RATIO, MAX_UNCOMPRESSED, RATIO_MIN_SIZE, RESAVE, check_container, open_zip,
    unreadable)
from journey_workbook.errors import UnreadableWorkbook, WouldLoseContent

__all__ = ["AtRiskPart", "PackageInfo", "SheetInfo", "describe", "describe_preserved",
           "ensure_nothing_lost", "inspect_package", "load_safely", "parts_openpyxl_would_drop",
           "MAX_PARTS", "MAX_UNCOMPRESSED", "MAX_RATIO", "RATIO_MIN_SIZE", "PROLOG_WINDOW",
           "MAX_MERGED_CELLS"]

_OPENPYXL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")  # openpyxl refuses other file names
# openpyxl 3.1.5 writer/excel.py _merge_vba copies only VML parts matching this (one digit!).
_OPENPYXL_VBA_VML = re.compile(r"xl/drawings/.*vmlDrawing\d\.vml")
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"

# ----------------------------------------------------------------------------- public API

def inspect_package(path: str | Path) -> PackageInfo:
    """Check the file and list its sheets and at-risk parts; raise UnreadableWorkbook if unsafe."""
    path = Path(path)
    check_container(path)
    with open_zip(path) as pkg:
        for name in pkg.names:
            if is_xml_part(name):
                check_prolog(pkg, name)
        info = Inspector(pkg).run()
    from journey_workbook.book.preserve import file_digest

    return replace(info, at_risk=tuple(parts_openpyxl_would_drop(info)),
                   digest=file_digest(path))


def parts_openpyxl_would_drop(info: PackageInfo, sheets=None, *, keep_vba: bool | None = None,
                              rich_text: bool = False, spliced: bool = False) -> list[AtRiskPart]:
    """What openpyxl 3.1.5's load+save does to the package, fate included (kept items too).

    ``spliced``: the save puts back what it can (preserve.splice, as FileBook.save does), so
    the kinds it restores get the fate "preserved" instead of "dropped" or "damaged".

    ``sheets``: names of the sheets whose content will be rewritten; findings on other sheets
    are left out. Only a writer that copies the other sheets' parts untouched may pass it: a
    plain openpyxl save rewrites every sheet, so pass None. Workbook-level findings always stay.
    ``keep_vba`` and ``rich_text`` must match the load_workbook call; keep_vba=None means
    "keep it if the file is macro-enabled", as load_safely does.
    """
    if sheets is not None:
        unknown = set(sheets) - {s.name for s in info.sheets}
        if unknown:
            raise ValueError(f"No sheet named {', '.join(sorted(map(repr, unknown)))} in "
                             f"{info.path.name}.")
    keep_vba = _resolve_keep_vba(info, keep_vba)
    found = [replace(p, fate=_option_fate(p, keep_vba, rich_text)) for p in info.at_risk
             if sheets is None or p.sheet is None or p.sheet in sheets]
    if info.macro_enabled and not keep_vba:
        found.append(AtRiskPart("macro-enabled-type", None, info.workbook_part,
                                "saved with the .xlsx content type; Excel refuses an .xlsm whose "
                                "content type says .xlsx", "damaged"))
    if spliced:
        from journey_workbook.book.preserve import mark_preserved

        found = mark_preserved(info, found, keep_vba)
    return found


def describe(parts) -> str:
    """The refusal message for the dropped and damaged parts; '' when there are none. What the
    save would preserve is named in a sentence of its own: it does not block the save."""
    dropped = [_phrase(p) for p in parts if p.fate == "dropped"]
    damaged = [_phrase(p) for p in parts if p.fate == "damaged"]
    if not dropped and not damaged:
        return ""
    clauses = []
    if dropped:
        clauses.append("saving would drop " + _join(dropped))
    if damaged:
        clauses.append(("it would also damage " if dropped else "saving would damage ")
                       + _join(damaged))
    kept = describe_preserved(parts)
    return ("Refusing to save: " + "; ".join(clauses) + ". " + (kept + " " if kept else "")
            + "Nothing was written. Move them to a sheet the product does not rewrite, or remove "
            "them in Excel, then run the command again.")


def describe_preserved(parts, done: bool = False) -> str:
    """One sentence naming what a spliced save puts back (fate "preserved"); '' if nothing.
    ``done``: worded for a save that happened."""
    kept = [_phrase(p) for p in parts if p.fate == "preserved"]
    if not kept:
        return ""
    return ("Preserved: " if done else "These would be preserved: ") + _join(kept) + "."


def ensure_nothing_lost(info: PackageInfo, sheets=None, *, keep_vba: bool | None = None,
                        rich_text: bool = False, allow=(), spliced: bool = False) -> None:
    """Raise WouldLoseContent if saving through openpyxl would drop or damage anything.

    ``allow``: kinds the caller accepts losing or damaging, e.g. {"comment"} to let comment
    boxes go back to their default size and colour. ``spliced``: see parts_openpyxl_would_drop;
    preserved items do not block, and the message names them apart.
    """
    found = parts_openpyxl_would_drop(info, sheets, keep_vba=keep_vba, rich_text=rich_text,
                                      spliced=spliced)
    parts = [p for p in found if p.fate in ("dropped", "damaged") and p.kind not in allow]
    if parts:
        preserved = [p for p in found if p.fate == "preserved"]
        raise WouldLoseContent(describe(parts + preserved), parts)


def load_safely(path: str | Path, *, info: PackageInfo | None = None, keep_vba: bool | None = None,
                rich_text: bool = False, read_only: bool = False, data_only: bool = False):
    """Inspect, repair in memory if needed, and load with openpyxl; never 'read as empty'.

    Returns the openpyxl Workbook. Pass ``info`` (from inspect_package on the same path) to
    avoid inspecting twice. openpyxl's warnings about parts it drops are silenced: call
    parts_openpyxl_would_drop (with the same keep_vba and rich_text) before saving.
    """
    import openpyxl  # the gate itself works without it

    info = info or inspect_package(path)
    keep_vba = _resolve_keep_vba(info, keep_vba)
    source = _openpyxl_source(info)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(source, read_only=read_only, keep_vba=keep_vba,
                                        data_only=data_only, rich_text=rich_text)
    except Exception as exc:  # openpyxl raises anything from KeyError to TypeError
        raise _openpyxl_failed(info, f"{type(exc).__name__}: {exc}") from exc
    if wb.sheetnames != [s.name for s in info.sheets]:
        raise _openpyxl_failed(info, f"openpyxl read {len(wb.sheetnames)} of the "
                                     f"{len(info.sheets)} sheets")
    return wb


# ----------------------------------------------------------------------------- fates

def _resolve_keep_vba(info: PackageInfo, keep_vba: bool | None) -> bool:
    # keep_vba=True on an .xlsx makes openpyxl write the .xlsm content type, which Excel
    # refuses under an .xlsx name; so keep it exactly when the file is macro-enabled.
    return (info.macro_enabled or info.has_vba) if keep_vba is None else keep_vba


def _option_fate(p: AtRiskPart, keep_vba: bool, rich_text: bool) -> str:
    if p.kind in ("vba", "custom-ribbon"):
        return "kept" if keep_vba else "dropped"
    if p.kind == "vba-signature":
        return "damaged" if keep_vba else "dropped"
    if p.kind == "form-control":
        return "damaged" if keep_vba and _OPENPYXL_VBA_VML.match(p.part) else "dropped"
    if p.kind == "rich-text":
        return "kept" if rich_text else "damaged"
    return p.fate


_LABELS = {
    "shape": "shape", "chart": "chart", "chart-style": "chart style part",
    "chart-shape": "chart with drawn shapes", "chart-2016": "Excel 2016 chart",
    "smartart": "SmartArt graphic", "image": "picture", "svg-image": "SVG picture",
    "ink": "ink drawing", "drawing-object": "drawing object",
    "threaded-comment": "threaded comment", "comment": "comment",
    "threaded-comment-authors": "list of comment authors",
    "x14-data-validation": "cross-sheet drop-down",
    "x14-conditional-formatting": "Excel 2010 conditional format",
    "conditional-formatting": "conditional format",
    "sparkline": "sparkline group", "slicer": "slicer", "timeline": "timeline",
    "web-extension": "Office add-in extension", "extension": "Excel extension",
    "in-cell-picture": "picture in a cell", "rich-value": "rich-value cell",
    "dynamic-array": "dynamic-array formula", "checkbox": "set of cell check boxes",
    "form-control": "form control", "activex": "ActiveX control", "ole-object": "embedded object",
    "header-footer-image": "header/footer picture", "background-image": "sheet background",
    "ignored-errors": "set of ignored error checks", "protected-range": "protected range",
    "sort-state": "saved sort", "custom-view": "custom view", "cell-watch": "cell watch",
    "data-consolidation": "data consolidation", "smart-tag": "smart tag",
    "web-publishing": "web-publishing item", "sheet-custom-property": "sheet custom property",
    "sheet-element": "sheet setting", "vba": "VBA project", "vba-signature": "VBA signature",
    "custom-ribbon": "custom ribbon", "custom-ribbon-2010": "Office 2010+ custom ribbon",
    "data-connection": "data connection part", "query-table": "query table",
    "data-model": "Power Pivot data model part", "power-query": "Power Query part",
    "xlm-macro-sheet": "Excel 4.0 macro sheet", "dialog-sheet": "dialog sheet",
    "rich-text": "cell with mixed text formats", "macro-enabled-type": "macro-enabled file type",
}


_PLURALS = {"chart with drawn shapes": "charts with drawn shapes",
            "picture in a cell": "pictures in cells",
            "cell with mixed text formats": "cells with mixed text formats",
            "set of cell check boxes": "sets of cell check boxes",
            "set of ignored error checks": "sets of ignored error checks",
            "list of comment authors": "lists of comment authors"}


def _phrase(p: AtRiskPart) -> str:
    label = _LABELS.get(p.kind, p.kind)
    if p.count != 1:
        label = _PLURALS.get(label, label + "s")
    where = f"on sheet '{p.sheet}'" if p.sheet is not None else "in the workbook"
    return f"{p.count} {label} {where} ({p.part})"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# ----------------------------------------------------------------------------- openpyxl view

_STRICT_NAMESPACES = {
    "http://purl.oclc.org/ooxml/spreadsheetml/main":
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    _STRICT_REL_NS + "/extendedProperties": _REL_NS + "/extended-properties",
    _STRICT_REL_NS + "/customProperties": _REL_NS + "/custom-properties",
    _STRICT_REL_NS: _REL_NS,
    "http://purl.oclc.org/ooxml/officeDocument/extendedProperties":
        "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
    "http://purl.oclc.org/ooxml/officeDocument/customProperties":
        "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    **{f"http://purl.oclc.org/ooxml/officeDocument/{n}":
       f"http://schemas.openxmlformats.org/officeDocument/2006/{n}"
       for n in ("docPropsVTypes", "sharedTypes", "math", "bibliography", "customXml")},
    **{f"http://purl.oclc.org/ooxml/drawingml/{n}":
       f"http://schemas.openxmlformats.org/drawingml/2006/{n}"
       for n in ("main", "chart", "chartDrawing", "spreadsheetDrawing", "picture", "diagram",
                 "lockedCanvas", "compatibility")},
    "http://purl.oclc.org/ooxml/schemaLibrary/main":
        "http://schemas.openxmlformats.org/schemaLibrary/2006/main",
}
_STRICT_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(
    _STRICT_NAMESPACES, key=len, reverse=True)).encode())


def _to_transitional(data: bytes) -> bytes:
    data = _STRICT_PATTERN.sub(lambda m: _STRICT_NAMESPACES[m.group().decode()].encode(), data)
    return data.replace(b' conformance="strict"', b"")


def _strip_foreign_xf_attributes(data: bytes) -> bytes:
    def clean(tag: re.Match) -> bytes:
        return re.sub(rb'\s+([\w.-]+)\s*=\s*("[^"]*"|\'[^\']*\')',
                      lambda a: a.group() if a.group(1).decode() in XF_ATTRIBUTES else b"",
                      tag.group())
    return re.sub(rb"<(?:\w+:)?xf\b[^>]*>", clean, data)


def _openpyxl_source(info: PackageInfo):
    """The path itself, or an in-memory copy of the package with the repairs applied."""
    if not info.repairs:
        if info.path.suffix.lower() in _OPENPYXL_SUFFIXES:
            return info.path
        return io.BytesIO(info.path.read_bytes())  # e.g. an .xlsx exported as "report.xls"
    todo: dict[str, set[str]] = {}
    for what, part in info.repairs:
        todo.setdefault(what, set()).add(part)
    aliases = {p: "xl/styles.xml" for p in todo.get("styles-location", ())}
    aliases.update({p: "xl/theme/theme1.xml" for p in todo.get("theme-location", ())})
    buf = io.BytesIO()
    with zipfile.ZipFile(info.path) as src, zipfile.ZipFile(
            buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        names = {zi.filename.replace("\\", "/") for zi in src.infolist()}
        for zi in src.infolist():
            name = zi.filename.replace("\\", "/")
            if name.endswith("/") and zi.file_size == 0:
                continue
            data = src.read(zi)
            if "strict-namespaces" in todo and name.lower().endswith((".xml", ".rels")):
                data = _to_transitional(data)
            if name in todo.get("empty-style-attribute", ()):
                data = re.sub(rb'(<(?:\w+:)?(?:c|row)\b[^>]*?)\ss=""', rb"\1", data)
            if name in todo.get("foreign-xf-attributes", ()):
                data = _strip_foreign_xf_attributes(data)
            dst.writestr(name, data)
            if name in aliases and aliases[name] not in names:
                dst.writestr(aliases[name], data)
    buf.seek(0)
    return buf


def _openpyxl_failed(info: PackageInfo, why: str) -> UnreadableWorkbook:
    if info.is_strict:
        return unreadable(info.path, "strict-ooxml", f"the workbook is saved as Strict Open "
                           f"XML and could not be translated for reading ({why}).",
                           "Save it in Excel as 'Excel Workbook (*.xlsx)', not Strict Open XML.")
    return unreadable(info.path, "unsupported-content", f"openpyxl could not read the "
                       f"workbook ({why}).", RESAVE)

