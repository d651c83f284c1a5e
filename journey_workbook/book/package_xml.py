"""Safe XML for the gate: every parse refuses a DOCTYPE (so no entity is ever declared or
expanded). Small parts go through defusedxml, large ones through expat with a DOCTYPE handler
that raises; the expat scanners here read sheets, shared strings and drawings in one pass each.
"""
from __future__ import annotations

import re
import xml.parsers.expat as expat
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _defused_fromstring

from journey_workbook.book.package_zip import ZipPackage, unreadable
from journey_workbook.errors import UnreadableWorkbook

PROLOG_WINDOW = 64 * 1024  # a DOCTYPE must come before the root element, so within this
# Not scanned for a DOCTYPE: binaries, and SVG pictures (which may carry one; openpyxl never
# parses them).
_BINARY_EXT = (".bin", ".png", ".jpeg", ".jpg", ".gif", ".emf", ".wmf", ".bmp", ".tif",
               ".tiff", ".data", ".psd", ".svg", ".wdp")


class _Refused(Exception):
    pass


def is_xml_part(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".xml", ".rels", ".vml", ".psmdcp")) or (
        not lower.endswith(_BINARY_EXT) and "." not in lower.rpartition("/")[2])


def check_prolog(pkg: ZipPackage, name: str) -> None:
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
            raise entities(pkg.path, name)
        else:
            break
        if i < 0:
            raise malformed(pkg.path, name, f"its prolog does not end within the first "
                             f"{PROLOG_WINDOW // 1024} KiB")
        i = text.find("<", i)
    if "<!ENTITY" in text:
        raise entities(pkg.path, name)


def entities(path: Path, part: str) -> UnreadableWorkbook:
    return unreadable(path, "xml-entities", f"the part {part} declares a DOCTYPE or XML "
                       "entities. Workbooks never need them, and they can make a reader expand "
                       "text without limit (an 'XML bomb'), so the file was not read.",
                       "Discard the file unless its source is trusted; then open it in Excel and "
                       "save it again.", part=part)


def malformed(path: Path, part: str, where: str) -> UnreadableWorkbook:
    return unreadable(path, "malformed-xml", f"the part {part} is not well-formed XML "
                       f"({where}).", "Open the file in Excel: if Excel repairs it, save the "
                       "repaired copy and use that.", part=part)


def parse_small(pkg: ZipPackage, name: str):
    """Parse a small part with defusedxml, refusing any DTD."""
    try:
        return _defused_fromstring(pkg.read(name), forbid_dtd=True)
    except DefusedXmlException:
        raise entities(pkg.path, name) from None
    except ParseError as exc:
        raise malformed(pkg.path, name, str(exc)) from None


def parse_stream(pkg: ZipPackage, name: str, scan=None) -> None:
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
        raise entities(pkg.path, name) from None
    except expat.ExpatError as exc:
        raise malformed(pkg.path, name, f"line {exc.lineno}, column {exc.offset}: "
                         f"{expat.ErrorString(exc.code)}") from None


def local_name(name: str) -> str:
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


def attribute(attrs: dict, local: str) -> str | None:
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


class SheetScan(_Scan):
    """One pass over a sheet: top-level children, extensions, cell markers, rich strings."""

    def __init__(self, rich_strings: set[str]):
        super().__init__()
        self.rich_strings = rich_strings
        self.children: list[tuple[str, dict]] = []
        self.extensions: dict[str, list] = {}  # uri -> [count, sqrefs]
        self.alternate: list[str] = []  # element names inside mc:AlternateContent
        self.cm = self.vm = self.rich = self.merged = 0
        self.empty_style = False
        self.unreadable_formats: list[str] = []  # sqrefs of conditional formats openpyxl drops
        self._format: list | None = None  # [sqref, readable] of the current one
        self._child = self._ext = self._collect = None
        self._in_shared = self._in_inline = False

    def start(self, name, attrs):
        self.depth += 1
        d, local = self.depth, local_name(name)
        if d == 2:
            self._child = local
            self.children.append((local, attrs))
            if local == "conditionalFormatting":
                self._format = [attrs.get("sqref") or "", True]
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
        elif self._format is not None and local == "cfvo":
            self._format[1] &= _openpyxl_reads_bound(attrs.get("type"), attrs.get("val"))
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
        local = local_name(name)
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
        elif self.depth == 2 and self._format is not None:
            if not self._format[1]:
                self.unreadable_formats.append(self._format[0])
            self._format = None
        self.depth -= 1

    def text(self, data):
        if self._collect is not None:
            self._collect.append(data)


def _openpyxl_reads_bound(kind: str | None, value: str | None) -> bool:
    """openpyxl 3.1.5 (formatting/rule.py ValueDescriptor) reads a <cfvo val> as a float unless
    the type is formula or the value is a single cell; otherwise it discards the whole
    conditional format with a warning."""
    if value is None or kind == "formula" or re.fullmatch(r"\$?[A-Za-z]{1,3}\$?\d+", value):
        return True
    try:
        float(value)
    except ValueError:
        return False
    return True


class SharedStringsScan(_Scan):
    def __init__(self):
        super().__init__()
        self.index = -1
        self.rich: set[str] = set()

    def start(self, name, attrs):
        self.depth += 1
        if self.depth == 2:
            self.index += 1
        elif self.depth == 3 and local_name(name) == "r":
            self.rich.add(str(self.index))


class DrawingScan(_Scan):
    """Objects anchored in a drawing: (kind, name, r:id, in_alternate, extra)."""

    _OBJECTS = {"sp", "grpSp", "cxnSp", "pic", "graphicFrame", "contentPart"}

    def __init__(self):
        super().__init__()
        self.objects: list[dict] = []
        self._anchor = self._obj = None
        self._alternate = self._fallback = 0

    def start(self, name, attrs):
        self.depth += 1
        local = local_name(name)
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
                obj["rid"] = (attribute(attrs, "embed") or attribute(attrs, "id")
                              or attribute(attrs, "dm"))
            elif local == "svgBlip":
                obj["svg"] = True
            elif local == "compatExt":
                obj["control"] = True  # the drawing-layer twin of a form control (VML)

    def end(self, name):
        local = local_name(name)
        if local == "Fallback":
            self._fallback -= 1
        elif local == "AlternateContent":
            self._alternate -= 1
        elif not self._fallback and self._anchor == self.depth:
            self._anchor = self._obj = None
        self.depth -= 1


