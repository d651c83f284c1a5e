"""Parts, content types and relationships of a package held in memory (Open Packaging
Conventions, ECMA-376 part 2): just what the splicer needs to read the original package and
edit the one openpyxl wrote. Small XML parts (relationships, content types) are parsed with
defusedxml, refusing any DTD.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import quote, unquote

from defusedxml.ElementTree import fromstring

from journey_workbook.book.xmlspans import escape_attr

PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"


@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str | None  # the part name, or None when external or missing
    raw_target: str
    external: bool

    @property
    def in_place(self) -> bool:
        """A link to a place in the source part itself (Target="#Sheet2!A1")."""
        return not self.external and self.raw_target.startswith("#")

    @property
    def name(self) -> str:  # the type's last segments: worksheet, chartStyle, ui/extensibility
        return self.type.split("/relationships/")[-1]


def part_uri(name: str) -> str:
    """A part name as it appears in a PartName or a relationship target (percent-encoded)."""
    return quote(name, safe="/!$&'()*+,;=:@-._~")


def rels_part(source: str) -> str:
    """The relationships part of ``source`` ("" for the package itself)."""
    folder, _, base = source.rpartition("/")
    return posixpath.join(folder, "_rels", base + ".rels")


class Package:
    """Part name -> bytes, names "/"-separated and found case-insensitively. Edits are kept in
    memory; ``to_bytes`` writes a new zip."""

    def __init__(self, parts: dict[str, bytes]):
        self.parts = dict(parts)
        self._types = None  # parsed [Content_Types].xml, dropped when it changes

    @classmethod
    def from_zip(cls, data_or_path) -> "Package":
        source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
        with zipfile.ZipFile(source) as zf:
            parts = {}
            for info in zf.infolist():
                name = info.filename.replace("\\", "/")
                if not (name.endswith("/") and info.file_size == 0):
                    parts[name] = zf.read(info)
        return cls(parts)

    def find(self, name: str | None) -> str | None:
        if not name:
            return None
        if name in self.parts:
            return name
        lower = name.lower()
        return next((n for n in self.parts if n.lower() == lower), None)

    def read(self, name: str) -> bytes:
        return self.parts[self.find(name) or name]

    # -- relationships

    def rels(self, source: str) -> list[Rel]:
        part = self.find(rels_part(source))
        if part is None:
            return []
        folder = source.rpartition("/")[0]
        found = []
        for el in fromstring(self.parts[part], forbid_dtd=True):
            if el.tag != f"{{{PKG_RELS}}}Relationship":
                continue
            raw = el.get("Target", "")
            external = el.get("TargetMode") == "External"
            target = None
            if not external:
                ref = unquote(raw.split("#")[0]).replace("\\", "/")
                if ref:
                    ref = ref[1:] if ref.startswith("/") else posixpath.join(folder, ref)
                    target = self.find(posixpath.normpath(ref).lstrip("/"))
            found.append(Rel(el.get("Id", ""), el.get("Type", ""), target, raw, external))
        return found

    def add_rel(self, source: str, rtype: str, target: str, rid: str | None = None,
                external: bool = False, literal: bool = False) -> str:
        """Add a relationship from ``source`` to the part ``target`` (or, when ``external``
        or ``literal``, to the target exactly as given); returns its Id (``rid`` if free)."""
        part = self.find(rels_part(source)) or rels_part(source)
        data = self.parts.get(part) or (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                                        f'\n<Relationships xmlns="{PKG_RELS}"></Relationships>'
                                        ).encode()
        taken = {r.id for r in self.rels(source)} if part in self.parts else set()
        if rid is None or rid in taken:
            base = rid or "rIdJw"
            n = 1
            while f"{base}{n}" in taken:
                n += 1
            rid = f"{base}{n}"
        ref = target if external or literal else "/" + part_uri(target)
        mode = ' TargetMode="External"' if external else ""
        new = (f'<Relationship Id="{escape_attr(rid)}" Type="{escape_attr(rtype)}" '
               f'Target="{escape_attr(ref)}"{mode}/>').encode()
        self.parts[part] = _before_end(data, b"Relationships", new)
        return rid

    # -- content types

    def content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        """(defaults by extension, overrides by "/part", both keys lower-case)."""
        if self._types is not None:
            return self._types
        defaults, overrides = {}, {}
        for el in fromstring(self.parts[self.find("[Content_Types].xml")], forbid_dtd=True):
            if el.tag == f"{{{CT_NS}}}Override" and el.get("PartName"):
                overrides[unquote(el.get("PartName")).replace("\\", "/").lower()] = el.get(
                    "ContentType", "")
            elif el.tag == f"{{{CT_NS}}}Default" and el.get("Extension"):
                defaults[el.get("Extension").lower()] = el.get("ContentType", "")
        self._types = defaults, overrides
        return self._types

    def content_type(self, name: str) -> str | None:
        defaults, overrides = self.content_types()
        return overrides.get("/" + name.lower()) or defaults.get(
            name.rpartition(".")[2].lower() if "." in name.rpartition("/")[2] else "")

    def set_content_type(self, name: str, ctype: str | None) -> None:
        """Make ``name`` have ``ctype``: an Override unless a Default already gives it."""
        if not ctype:
            return
        defaults, overrides = self.content_types()
        key = "/" + name.lower()
        if overrides.get(key) == ctype:
            return
        ext = name.rpartition(".")[2].lower() if "." in name.rpartition("/")[2] else ""
        if key not in overrides and defaults.get(ext) == ctype:
            return
        ct = self.find("[Content_Types].xml")
        data = self.parts[ct]
        if key in overrides:  # replace the old override
            data = re.sub(rb'<Override\b[^>]*PartName="' + re.escape(
                ("/" + part_uri(name)).encode()) + rb'"[^>]*/>', b"", data, flags=re.IGNORECASE)
        new = (f'<Override PartName="/{escape_attr(part_uri(name))}" '
               f'ContentType="{escape_attr(ctype)}"/>').encode()
        self.parts[ct] = _before_end(data, b"Types", new)
        self._types = None

    def put(self, name: str, data: bytes, ctype: str | None = None) -> None:
        self.parts[self.find(name) or name] = data
        self.set_content_type(name, ctype)

    def free_name(self, name: str, taken: set[str] = frozenset()) -> str:
        """``name`` if no part has it, else the same name with the next free number."""
        taken = {t.lower() for t in taken}

        def used(candidate):
            return self.find(candidate) is not None or candidate.lower() in taken
        if not used(name):
            return name
        folder, _, base = name.rpartition("/")
        stem, dot, ext = base.rpartition(".")
        if not dot:
            stem, ext = base, ""
        match = re.fullmatch(r"(.*?)(\d*)", stem)
        prefix, n = match.group(1), int(match.group(2) or 1)
        while True:
            n += 1
            candidate = f"{folder}/{prefix}{n}{dot}{ext}" if folder else f"{prefix}{n}{dot}{ext}"
            if not used(candidate):
                return candidate

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            ct = self.find("[Content_Types].xml")
            for name in [ct] + [n for n in self.parts if n != ct]:
                zf.writestr(name, self.parts[name])
        return out.getvalue()


def _before_end(data: bytes, root: bytes, new: bytes) -> bytes:
    """Insert ``new`` before the root's end tag (an empty root element is opened first)."""
    end = data.rfind(b"</" + root)
    if end < 0:
        empty = re.search(rb"<" + root + rb"\b[^>]*/>", data)
        if empty is None:
            raise ValueError(f"no <{root.decode()}> element")
        head = empty.group()[:-2]
        return (data[:empty.start()] + head + b">" + new + b"</" + root + b">"
                + data[empty.end():])
    return data[:end] + new + data[end:]
