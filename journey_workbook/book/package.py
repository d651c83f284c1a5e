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
"""
from __future__ import annotations

import importlib.util
import io
import posixpath
import re
import struct
import warnings
import xml.parsers.expat as expat
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _defused_fromstring

from journey_workbook.errors import UnreadableWorkbook, WouldLoseContent

MAX_PARTS = 10_000
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # bytes, all parts together
MAX_RATIO = 200  # uncompressed/compressed; real sheets stay under ~20, deflate bombs near 1000
RATIO_MIN_SIZE = 1024 * 1024  # the ratio is only judged for parts larger than this
PROLOG_WINDOW = 64 * 1024  # a DOCTYPE must come before the root element, so within this
MAX_MERGED_CELLS = 2_000_000  # openpyxl creates an object per merged cell: A1:XFD1048576 hangs

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_WB = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_MS = "application/vnd.ms-excel."
_WORKBOOK_TYPES = {_WB + "sheet.main+xml", _WB + "template.main+xml",
                   _MS + "sheet.macroEnabled.main+xml", _MS + "template.macroEnabled.main+xml"}
_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# Not scanned for a DOCTYPE: binaries, and SVG pictures (which may carry one; openpyxl never
# parses them).
_BINARY_EXT = (".bin", ".png", ".jpeg", ".jpg", ".gif", ".emf", ".wmf", ".bmp", ".tif",
               ".tiff", ".data", ".psd", ".svg", ".wdp")
_OPENPYXL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")  # openpyxl refuses other file names

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
# openpyxl 3.1.5 writer/excel.py _merge_vba copies only VML parts matching this (one digit!).
_OPENPYXL_VBA_VML = re.compile(r"xl/drawings/.*vmlDrawing\d\.vml")
# CT_Xf attributes (ECMA-376 18.8.45); openpyxl raises TypeError on any other plain attribute.
_XF_ATTRIBUTES = {"numFmtId", "fontId", "fillId", "borderId", "xfId", "quotePrefix", "pivotButton",
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
    fate: str  # dropped | damaged | kept
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


# ----------------------------------------------------------------------------- public API

def inspect_package(path: str | Path) -> PackageInfo:
    """Check the file and list its sheets and at-risk parts; raise UnreadableWorkbook if unsafe."""
    path = Path(path)
    _check_container(path)
    with _open_zip(path) as pkg:
        for name in pkg.names:
            if _is_xml_part(name):
                _check_prolog(pkg, name)
        return _Inspector(pkg).run()


def parts_openpyxl_would_drop(info: PackageInfo, sheets=None, *, keep_vba: bool | None = None,
                              rich_text: bool = False) -> list[AtRiskPart]:
    """What openpyxl 3.1.5's load+save does to the package, fate included (kept items too).

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
    return found


def describe(parts) -> str:
    """The refusal message for the dropped and damaged parts; '' when there are none."""
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
    return ("Refusing to save: " + "; ".join(clauses) + ". Nothing was written. Move them to a "
            "sheet the product does not rewrite, or remove them in Excel, then run the command "
            "again.")


def ensure_nothing_lost(info: PackageInfo, sheets=None, *, keep_vba: bool | None = None,
                        rich_text: bool = False, allow=()) -> None:
    """Raise WouldLoseContent if saving through openpyxl would drop or damage anything.

    ``allow``: kinds the caller accepts losing or damaging, e.g. {"comment"} to let comment
    boxes go back to their default size and colour.
    """
    parts = [p for p in parts_openpyxl_would_drop(info, sheets, keep_vba=keep_vba,
                                                  rich_text=rich_text)
             if p.fate != "kept" and p.kind not in allow]
    if parts:
        raise WouldLoseContent(describe(parts), parts)


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


# ----------------------------------------------------------------------------- the container

def _unreadable(path: Path, code: str, what: str, hint: str, part: str | None = None):
    return UnreadableWorkbook(code, f"{path.name}: {what}", hint, part=part)


_RESAVE = "Open it in Excel and save it as 'Excel Workbook (*.xlsx)', then use that copy."


def _check_container(path: Path) -> None:
    """Missing, empty, OLE2 (encrypted or .xls), not a zip, truncated, too many parts."""
    if not path.exists():
        raise UnreadableWorkbook("not-found", f"{path} does not exist.",
                                 "Check the file name and the folder.")
    if not path.is_file():
        raise _unreadable(path, "not-a-workbook", "this is a folder, not a workbook file.",
                          "Give the path of an .xlsx file.")
    with path.open("rb") as fh:
        head = fh.read(8)
        if head == _CFB_MAGIC:
            names = _cfb_stream_names(fh)
            if "EncryptionInfo" in names:
                raise _unreadable(path, "encrypted", "the workbook is password-protected "
                                  "(encrypted), so it cannot be read.",
                                  "Open it in Excel, remove the password (File > Info > Protect "
                                  "Workbook > Encrypt with Password, clear the box), save, and "
                                  "try again.")
            if names & {"Workbook", "Book"}:
                raise _unreadable(path, "legacy-xls", "this is an Excel 97-2003 workbook (.xls), "
                                  "which this product does not read.", _RESAVE)
            raise _unreadable(path, "not-a-workbook", "this is an Office file of another kind "
                              "(OLE2), not an Excel workbook.", "Give the path of an .xlsx file.")
        if not head.startswith(b"PK"):
            text = head.startswith(b"\xef\xbb\xbf") or all(32 <= b < 127 or b in b"\t\r\n"
                                                          for b in head)
            looks = ("empty" if not head else "a text, CSV or HTML file" if text
                     else "not a zip package")
            raise _unreadable(path, "not-a-workbook", f"this is not an Excel workbook (it is "
                              f"{looks}).", "Open it in Excel and save it as 'Excel Workbook "
                              "(*.xlsx)', or give the path of the real .xlsx file.")
        entries = _central_directory_entries(fh)
    if entries is None:
        raise _unreadable(path, "truncated", "the file is incomplete (the zip package has no "
                          "end-of-central-directory record, so it was cut short while being "
                          "copied or downloaded).", "Copy or download it again from the source.")
    if entries > MAX_PARTS:
        raise _unreadable(path, "too-many-parts", f"the package holds {entries:,} parts; "
                          f"workbooks this product reads have at most {MAX_PARTS:,}.",
                          "Check that this is the right file.")


def _central_directory_entries(fh) -> int | None:
    """The entry count from the end-of-central-directory record (zip64 aware), or None."""
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(max(0, size - 65557))
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    entries = struct.unpack_from("<H", tail, at + 10)[0]
    locator = tail.rfind(b"PK\x06\x07", 0, at)
    if entries == 0xFFFF and locator >= 0:
        fh.seek(struct.unpack_from("<Q", tail, locator + 8)[0])
        record = fh.read(56)
        if record[:4] == b"PK\x06\x06":
            entries = struct.unpack_from("<Q", record, 32)[0]
    return entries


def _cfb_stream_names(fh, max_sectors: int = 100_000) -> set[str]:
    """Names in an OLE2/CFB directory (MS-CFB 2.2, 2.6): header, DIFAT, FAT, directory chain."""
    fh.seek(0)
    header = fh.read(512)
    names: set[str] = set()
    try:
        size = 1 << struct.unpack_from("<H", header, 30)[0]
        per = size // 4
        n_fat, first_dir = struct.unpack_from("<II", header, 44)
        difat_sector = struct.unpack_from("<I", header, 68)[0]
        fat = list(struct.unpack_from("<109I", header, 76))

        def sector(n: int) -> bytes:
            fh.seek((n + 1) * size)
            data = fh.read(size)
            if len(data) < size:
                raise EOFError
            return data

        while difat_sector < 0xFFFFFFFA and len(fat) < max_sectors:
            values = struct.unpack(f"<{per}I", sector(difat_sector))
            fat.extend(values[:-1])
            difat_sector = values[-1]
        fat = fat[:n_fat]
        current, seen = first_dir, set()
        while current < 0xFFFFFFFA and current not in seen and len(seen) < max_sectors:
            seen.add(current)
            data = sector(current)
            for off in range(0, size, 128):
                length = struct.unpack_from("<H", data, off + 64)[0]
                if 2 <= length <= 64:
                    names.add(data[off:off + length - 2].decode("utf-16-le", "replace"))
            current = struct.unpack_from("<I", sector(fat[current // per]), (current % per) * 4)[0]
    except (struct.error, IndexError, EOFError):
        pass  # a damaged directory: report what was found
    return names


class _Package:
    """The zip, with part names normalised ("\\" read as "/") and found case-insensitively."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo],
                 backslashes: bool):
        self.path, self.zf, self.infos, self.backslashes = path, zf, infos, backslashes
        self.names = tuple(infos)
        self._lower = {n.lower(): n for n in infos}

    def find(self, name: str | None) -> str | None:
        return self._lower.get(name.lower()) if name else None

    @contextmanager
    def open(self, name: str):
        try:
            with self.zf.open(self.infos[name]) as fh:
                yield fh
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError,
                ValueError) as exc:
            raise _unreadable(self.path, "corrupt-zip", f"the part {name} cannot be decompressed "
                              f"({exc}).", "Copy the file again from the source; if Excel opens "
                              "it, save it again from Excel.", part=name) from exc

    def read(self, name: str, limit: int | None = None) -> bytes:
        with self.open(name) as fh:
            return fh.read(limit) if limit else fh.read()

    def content_type(self, name: str, types: dict[str, str]) -> str:
        return types.get("/" + name.lower()) or types.get(name.rpartition(".")[2].lower(), "")


@contextmanager
def _open_zip(path: Path):
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise _unreadable(path, "corrupt-zip", f"the zip package is damaged ({exc}).",
                          "Copy the file again from the source; if Excel opens it, save it "
                          "again from Excel.") from exc
    with zf:
        infos: dict[str, zipfile.ZipInfo] = {}
        seen: set[str] = set()
        total = 0
        backslashes = False
        for info in zf.infolist():
            name = info.filename.replace("\\", "/")
            backslashes |= name != info.filename
            if name.endswith("/") and info.file_size == 0:
                continue  # a folder entry
            if (not name or name.startswith("/") or "\x00" in name
                    or any(seg in ("", ".", "..") for seg in name.split("/"))):
                raise _unreadable(path, "bad-part-name", f"the package has a part named "
                                  f"{info.filename!r}, which is not a valid part name.",
                                  "The file was written by a faulty tool: open it in Excel and "
                                  "save it again.", part=info.filename)
            if name.lower() in seen:
                raise _unreadable(path, "bad-part-name", f"the package has two parts named "
                                  f"{name!r} (names differ only in case or slash direction).",
                                  "The file was written by a faulty tool: open it in Excel and "
                                  "save it again.", part=name)
            seen.add(name.lower())
            if info.flag_bits & 0x1:
                raise _unreadable(path, "encrypted", f"the part {name} is encrypted inside the "
                                  "zip, which Excel never does.", "Give the original workbook.",
                                  part=name)
            total += info.file_size
            if total > MAX_UNCOMPRESSED:
                raise _unreadable(path, "too-large", f"the package would expand to more than "
                                  f"{MAX_UNCOMPRESSED:,} bytes (the limit). Nothing was "
                                  "decompressed.", "Check that this is the right file; remove "
                                  "unused sheets and pictures in Excel.", part=name)
            if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(
                    info.compress_size, 1):
                raise _unreadable(path, "zip-bomb", f"the part {name} would expand "
                                  f"{info.file_size // max(info.compress_size, 1):,} times "
                                  f"(to {info.file_size:,} bytes), which no workbook does (a "
                                  "'zip bomb'). Nothing was decompressed.",
                                  "Discard the file unless its source is trusted; then open it "
                                  "in Excel and save it again.", part=name)
            infos[name] = info
        yield _Package(path, zf, infos, backslashes)


# ----------------------------------------------------------------------------- XML

class _Refused(Exception):
    pass


def _is_xml_part(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".xml", ".rels", ".vml", ".psmdcp")) or (
        not lower.endswith(_BINARY_EXT) and "." not in lower.rpartition("/")[2])


def _check_prolog(pkg: _Package, name: str) -> None:
    """Refuse a DOCTYPE/ENTITY before the root element, reading only the part's first bytes."""
    head = pkg.read(name, PROLOG_WINDOW)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:2] in (b"<\x00", b"\x00<"):
        codec = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else (
            "utf-16-le" if head[0] == 0x3C else "utf-16-be")
        text = head[: len(head) // 2 * 2].decode(codec, "ignore")
    else:
        text = head.decode("latin-1")
    i = text.find("<")
    while 0 <= i < len(text):
        if text.startswith("<?", i):
            i = text.find("?>", i)
        elif text.startswith("<!--", i):
            i = text.find("-->", i)
        elif text.startswith("<!", i):
            raise _entities(pkg.path, name)
        else:
            break
        if i < 0:
            raise _malformed(pkg.path, name, f"its prolog does not end within the first "
                             f"{PROLOG_WINDOW // 1024} KiB")
        i = text.find("<", i)
    if "<!ENTITY" in text:
        raise _entities(pkg.path, name)


def _entities(path: Path, part: str) -> UnreadableWorkbook:
    return _unreadable(path, "xml-entities", f"the part {part} declares a DOCTYPE or XML "
                       "entities. Workbooks never need them, and they can make a reader expand "
                       "text without limit (an 'XML bomb'), so the file was not read.",
                       "Discard the file unless its source is trusted; then open it in Excel and "
                       "save it again.", part=part)


def _malformed(path: Path, part: str, where: str) -> UnreadableWorkbook:
    return _unreadable(path, "malformed-xml", f"the part {part} is not well-formed XML "
                       f"({where}).", "Open the file in Excel: if Excel repairs it, save the "
                       "repaired copy and use that.", part=part)


def _tree(pkg: _Package, name: str):
    """Parse a small part with defusedxml, refusing any DTD."""
    try:
        return _defused_fromstring(pkg.read(name), forbid_dtd=True)
    except DefusedXmlException:
        raise _entities(pkg.path, name) from None
    except ParseError as exc:
        raise _malformed(pkg.path, name, str(exc)) from None


def _stream(pkg: _Package, name: str, scan=None) -> None:
    """Parse a part of any size with expat, refusing any DOCTYPE, feeding ``scan`` if given."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args):
        raise _Refused

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    if scan is not None:
        parser.buffer_text = True
        parser.StartElementHandler = scan.start
        parser.EndElementHandler = scan.end
        parser.CharacterDataHandler = scan.text
    try:
        with pkg.open(name) as fh:
            while chunk := fh.read(1 << 20):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Refused:
        raise _entities(pkg.path, name) from None
    except expat.ExpatError as exc:
        raise _malformed(pkg.path, name, f"line {exc.lineno}, column {exc.offset}: "
                         f"{expat.ErrorString(exc.code)}") from None


def _local(name: str) -> str:
    return name.rpartition(" ")[2].rpartition("}")[2]


def _area(ref: str) -> int:
    """Cells in an A1 range such as B2:D10 (0 if it does not parse)."""
    corners = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?",
                           ref.upper())
    if not corners:
        return 0
    c1, r1, c2, r2 = corners.groups()
    col = [sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(c))) for c in
           (c1, c2 or c1)]
    return (abs(col[1] - col[0]) + 1) * (abs(int(r2 or r1) - int(r1)) + 1)


def _attr(attrs: dict, local: str) -> str | None:
    for key, value in attrs.items():
        if key == local or key.endswith(" " + local):
            return value
    return None


class _Scan:
    """Base expat handler: tracks depth; subclasses look at what they need."""

    def __init__(self):
        self.depth = 0

    def start(self, name, attrs):
        self.depth += 1

    def end(self, name):
        self.depth -= 1

    def text(self, data):
        pass


class _SheetScan(_Scan):
    """One pass over a sheet: top-level children, extensions, cell markers, rich strings."""

    def __init__(self, rich_strings: set[str]):
        super().__init__()
        self.rich_strings = rich_strings
        self.children: list[tuple[str, dict]] = []
        self.extensions: dict[str, list] = {}  # uri -> [count, sqrefs]
        self.alternate: list[str] = []  # element names inside mc:AlternateContent
        self.cm = self.vm = self.rich = self.merged = 0
        self.empty_style = False
        self._child = self._ext = self._collect = None
        self._in_shared = self._in_inline = False

    def start(self, name, attrs):
        self.depth += 1
        d, local = self.depth, _local(name)
        if d == 2:
            self._child = local
            self.children.append((local, attrs))
        elif local == "mergeCell":
            self.merged += _area(attrs.get("ref") or "")
        elif local == "row":
            self.empty_style |= attrs.get("s") == ""
        elif local == "c":
            self.cm += "cm" in attrs
            self.vm += "vm" in attrs
            self.empty_style |= attrs.get("s") == ""
            self._in_shared = bool(self.rich_strings) and attrs.get("t") == "s"
        elif local == "v" and self._in_shared:
            self._collect = []
        elif local == "is":
            self._in_inline = True
        elif local == "r" and self._in_inline:
            self.rich += 1
            self._in_inline = False  # count the cell once
        elif self._child == "extLst":
            if d == 3 and local == "ext":
                self._ext = self.extensions.setdefault((attrs.get("uri") or "").upper(), [0, []])
            elif d == 5 and self._ext is not None:
                self._ext[0] += 1
            elif local == "sqref" and self._ext is not None:
                self._collect = []
        elif self._child == "AlternateContent" and d == 4:
            self.alternate.append(local)

    def end(self, name):
        local = _local(name)
        if self._collect is not None and local in ("v", "sqref"):
            value = "".join(self._collect)
            if local == "v":
                self.rich += value in self.rich_strings
            elif self._ext is not None:
                self._ext[1].append(value)
            self._collect = None
        elif local == "is":
            self._in_inline = False
        elif local == "c":
            self._in_shared = False
        self.depth -= 1

    def text(self, data):
        if self._collect is not None:
            self._collect.append(data)


class _SharedStringsScan(_Scan):
    def __init__(self):
        super().__init__()
        self.index = -1
        self.rich: set[str] = set()

    def start(self, name, attrs):
        self.depth += 1
        if self.depth == 2:
            self.index += 1
        elif self.depth == 3 and _local(name) == "r":
            self.rich.add(str(self.index))


class _DrawingScan(_Scan):
    """Objects anchored in a drawing: (kind, name, r:id, in_alternate, extra)."""

    _OBJECTS = {"sp", "grpSp", "cxnSp", "pic", "graphicFrame", "contentPart"}

    def __init__(self):
        super().__init__()
        self.objects: list[dict] = []
        self._anchor = self._obj = None
        self._alternate = self._fallback = 0

    def start(self, name, attrs):
        self.depth += 1
        local = _local(name)
        if local == "AlternateContent":
            self._alternate += 1
        elif local == "Fallback":
            self._fallback += 1
        if self._fallback:
            return
        if local in ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor") and self._anchor is None:
            self._anchor = self.depth
        elif self._anchor and self._obj is None and self.depth == self._anchor + 1 and (
                local in self._OBJECTS):
            self._obj = {"tag": local, "name": None, "rid": None, "uri": None, "svg": False,
                         "control": False, "textbox": False, "alternate": bool(self._alternate)}
            self.objects.append(self._obj)
        elif self._obj is not None:
            obj = self._obj
            if local == "cNvPr" and obj["name"] is None:
                obj["name"] = attrs.get("name")
            elif local == "cNvSpPr":
                obj["textbox"] |= attrs.get("txBox") == "1"
            elif local == "graphicData":
                obj["uri"] = attrs.get("uri")
            elif local in ("blip", "chart", "relIds") and obj["rid"] is None:
                obj["rid"] = _attr(attrs, "embed") or _attr(attrs, "id") or _attr(attrs, "dm")
            elif local == "svgBlip":
                obj["svg"] = True
            elif local == "compatExt":
                obj["control"] = True  # the drawing-layer twin of a form control (VML)

    def end(self, name):
        local = _local(name)
        if local == "Fallback":
            self._fallback -= 1
        elif local == "AlternateContent":
            self._alternate -= 1
        elif not self._fallback and self._anchor == self.depth:
            self._anchor = self._obj = None
        self.depth -= 1


# ----------------------------------------------------------------------------- inspection

@dataclass(frozen=True)
class _Rel:
    id: str
    name: str  # the type's last segments: worksheet, chartStyle, ui/extensibility, ...
    type: str
    target: str | None  # the part, or None when external or missing


class _Inspector:
    def __init__(self, pkg: _Package):
        self.pkg = pkg
        self.findings: list[AtRiskPart] = []
        self.repairs: list[tuple[str, str]] = []
        self.pillow = importlib.util.find_spec("PIL") is not None
        if pkg.backslashes:
            self.repairs.append(("backslash-names", "*"))

    def fail(self, code: str, what: str, hint: str, part: str | None = None):
        return _unreadable(self.pkg.path, code, what, hint, part=part)

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
        root = _tree(pkg, wb_part)
        is_strict = root.tag.startswith("{" + _STRICT_MAIN)
        if root.tag not in (f"{{{_MAIN}}}workbook", f"{{{_STRICT_MAIN}}}workbook"):
            raise self.fail("not-a-workbook", f"the workbook part {wb_part} holds "
                            f"<{_local(root.tag)}>, not a workbook.", _RESAVE, wb_part)
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
        return replace(info, at_risk=tuple(parts_openpyxl_would_drop(info)))

    def content_types(self) -> dict[str, str]:
        pkg = self.pkg
        name = pkg.find("[Content_Types].xml")
        if name is None:
            if pkg.find("mimetype") and b"opendocument" in pkg.read(pkg.find("mimetype"), 200):
                raise self.fail("not-a-workbook", "this is an OpenDocument file (.ods), not an "
                                "Excel workbook.", "Open it in LibreOffice or Excel and save it "
                                "as 'Excel 2007-365 (.xlsx)'.")
            raise self.fail("missing-part", "the package has no [Content_Types].xml, so it is "
                            "not an Office file (or it is damaged).", _RESAVE)
        types = {}
        for el in _tree(self.pkg, name):
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
        for el in _tree(self.pkg, rels_part):
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
            raise self.fail("missing-part", "the package has no workbook part.", _RESAVE)
        ctype = self.pkg.content_type(part, types)
        if "sheet.binary" in ctype:
            raise self.fail("xlsb", "this is an Excel Binary Workbook (.xlsb), which this "
                            "product does not read.", _RESAVE)
        if ctype not in _WORKBOOK_TYPES:
            what = ("a Word document" if "wordprocessingml" in ctype else "a PowerPoint file"
                    if "presentationml" in ctype else "an Excel add-in" if "addin" in ctype
                    else f"an Office file of type {ctype or 'unknown'}")
            raise self.fail("not-a-workbook", f"this is {what}, not an Excel workbook.",
                            "Give the path of an .xlsx file.", part)
        return part

    def sheets(self, root, wb_rels, is_strict, wb_part) -> list[SheetInfo]:
        main, rel_ns = (_STRICT_MAIN, _STRICT_REL_NS) if is_strict else (_MAIN, _REL_NS)
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
                            _RESAVE, wb_part)
        return found

    # --- workbook-level parts

    def workbook_parts(self, wb_rels: list[_Rel], root_rels: list[_Rel]) -> set[str]:
        """Check the shared parts openpyxl reads; note workbook-level findings. Returns the
        indexes of shared strings that carry formatting runs."""
        pkg, rich = self.pkg, set()
        for fixed in ("docProps/core.xml", "docProps/custom.xml"):  # openpyxl reads these paths
            if fixed in pkg.infos:
                _tree(pkg, fixed)
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
                _tree(pkg, part)
                if part != "xl/theme/theme1.xml":
                    self.repairs.append(("theme-location", part))
            elif rel.name == "sharedStrings":
                scan = _SharedStringsScan()
                _stream(pkg, part, scan)
                rich = scan.rich
            elif rel.name == "externalLink":
                _tree(pkg, part)
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
        root = _tree(self.pkg, part)
        if part != "xl/styles.xml":
            self.repairs.append(("styles-location", part))
        for el in root.iter():
            if _local(el.tag) == "xf" and any(
                    "}" not in key and key not in _XF_ATTRIBUTES for key in el.attrib):
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
        scan = _SheetScan(rich)
        _stream(pkg, sheet.part, scan)
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
            target = getattr(rels.get(_attr(attrs, "id") or ""), "target", None)
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
                count = sum(1 for el in _tree(pkg, rel.target).iter() if _local(el.tag) ==
                            "comment")
                self.add("comment", name, rel.target, "comments: text and author kept; box "
                         "size, colour and visibility reset", count)
            elif rel.name == "threadedComment":
                count = sum(1 for el in _tree(pkg, rel.target).iter() if _local(el.tag) ==
                            "threadedComment")
                self.add("threaded-comment", name, rel.target, "threaded comments (replies "
                         "and mentions); only the legacy note text remains", count)
            elif rel.name == "table":
                _tree(pkg, rel.target)
                for query in self.rels(rel.target):
                    if query.name == "queryTable" and query.target:
                        self.add("query-table", name, query.target, "query table (refreshable "
                                 "external data)")
            elif rel.name == "pivotTable":
                _tree(pkg, rel.target)
                self.add("pivot-table", name, rel.target, "pivot table (openpyxl preserves it)")

    def drawing(self, sheet: str, part: str) -> None:
        scan = _DrawingScan()
        _stream(self.pkg, part, scan)
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
        _stream(self.pkg, part)
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
    "http://purl.oclc.org/ooxml/spreadsheetml/main": _MAIN,
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
                      lambda a: a.group() if a.group(1).decode() in _XF_ATTRIBUTES else b"",
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
        return _unreadable(info.path, "strict-ooxml", f"the workbook is saved as Strict Open "
                           f"XML and could not be translated for reading ({why}).",
                           "Save it in Excel as 'Excel Workbook (*.xlsx)', not Strict Open XML.")
    return _unreadable(info.path, "unsupported-content", f"openpyxl could not read the "
                       f"workbook ({why}).", _RESAVE)
