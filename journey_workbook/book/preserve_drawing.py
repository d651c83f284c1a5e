"""Shapes, text boxes, arrows, connectors and groups that openpyxl drops from a sheet's drawing
(it keeps only charts and pictures), put back into the drawing it wrote.

Each shape's anchor is copied verbatim from the original drawing, placed before the first
object that followed it there (so a shape behind a picture stays behind it), with its
relationships (picture fills, hyperlinks) copied and renamed, and its object ids renumbered
above the ones openpyxl used. A sheet whose drawing openpyxl dropped entirely (shapes only)
gets a new drawing part and its <drawing> element back.
"""
from __future__ import annotations

import re

from defusedxml.ElementTree import fromstring

from journey_workbook.book import xmlspans

XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DRAWING_TYPE = R + "/drawing"
DRAWING_CT = "application/vnd.openxmlformats-officedocument.drawing+xml"
SHAPES = {"sp", "grpSp", "cxnSp"}
ANCHORS = {"twoCellAnchor", "oneCellAnchor", "absoluteAnchor"}


def drawing_of(pkg, sheet_part: str) -> str | None:
    return next((r.target for r in pkg.rels(sheet_part) if r.name == "drawing" and r.target),
                None)


def shapes_copyable(pkg, sheet_part: str) -> bool:
    """Every shape in the sheet's drawing sits in a plain anchor (not inside
    mc:AlternateContent, whose fallback the splicer does not rebuild)."""
    drawing = drawing_of(pkg, sheet_part)
    if drawing is None:
        return False
    for child in fromstring(pkg.read(drawing), forbid_dtd=True):
        if _local(child.tag) not in ANCHORS and any(_local(el.tag) in SHAPES
                                                    for el in child.iter()):
            return False
    return True


def restore_shapes(job, src_sheet: str, dst_sheet: str) -> None:
    """``job``: the preserve._Splice doing the save (original and output packages)."""
    orig, out = job.orig, job.out
    src = drawing_of(orig, src_sheet)
    old = _anchors(orig.read(src))
    dst = drawing_of(out, dst_sheet)
    created = dst is None
    if created:
        dst = out.free_name("xl/drawings/drawing1.xml")
        out.put(dst, (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr '
                      f'xmlns:xdr="{XDR}" xmlns:a="{A}"></xdr:wsDr>').encode(), DRAWING_CT)
    new = _anchors(out.read(dst))
    rels = {r.id: r for r in orig.rels(src)}
    renamed: dict[str, str] = {}
    next_id = 1 + max([0] + _ids(new.data) + _ids(old.data))
    edits = []
    for i, (span, key, kind) in enumerate(old.anchors):
        if kind not in SHAPES:
            continue
        fragment = xmlspans.standalone(old.data, span, new.root.scope)
        fragment = _relink(fragment, span.scope, rels, renamed, job, dst)
        fragment, next_id = _renumber(fragment, next_id)
        edits.append((_position(old.anchors[i + 1:], new), fragment))
    at_end = xmlspans.end_tag_start(new.data, new.root)
    data = xmlspans.apply(new.data, [(at if at is not None else at_end,
                                      at if at is not None else at_end, frag)
                                     for at, frag in _in_order(edits)])
    out.parts[out.find(dst)] = data
    if created:
        rid = out.add_rel(dst_sheet, DRAWING_TYPE, dst)
        job.insert_sheet_element(dst_sheet, "drawing",
                                 f'<drawing xmlns:r="{R}" r:id="{rid}"/>'.encode())


class _Drawing:
    def __init__(self, data: bytes):
        scan = xmlspans.scan(data, lambda path: len(path) == 2)
        self.data, self.root = scan.data, scan.root
        tree = fromstring(scan.data, forbid_dtd=True)
        self.anchors = []  # (span, position key, kind of object) in document order
        for span, el in zip(scan.elements, list(tree)):
            obj = next((_local(c.tag) for c in el if _local(c.tag) in SHAPES | {
                "pic", "graphicFrame", "contentPart"}), None)
            self.anchors.append((span, anchor_key(el), obj))


def _anchors(data: bytes) -> _Drawing:
    return _Drawing(data)


def _position(following, new: _Drawing) -> int | None:
    """Offset of the written anchor that matches the first kept object after the shape."""
    keys = {}
    for span, key, _kind in new.anchors:
        keys.setdefault(key, span.start)
    for _span, key, kind in following:
        if kind not in SHAPES and key in keys:
            return keys[key]
    return None


def _in_order(edits):
    """Several shapes before the same anchor keep their original order."""
    merged: dict = {}
    for at, fragment in edits:
        merged[at] = merged.get(at, b"") + fragment
    return list(merged.items())


_R_ATTR = rb'(\s%s:[A-Za-z]+\s*=\s*")([^"]*)(")'


def _relink(fragment: bytes, scope: dict, rels, renamed, job, dst: str) -> bytes:
    """Copy the parts the shape refers to and point its r:... attributes at the new ids."""
    prefixes = {p for p, uri in scope.items() if uri == R and p}
    prefixes |= {m.group(1).decode() for m in re.finditer(
        rb'xmlns:([\w.-]+)="' + re.escape(R.encode()) + b'"', fragment)}

    def swap(match):
        old = match.group(2).decode()
        if not old:  # r:id="" (a click action without a link)
            return match.group()
        if old not in renamed:
            rel = rels.get(old)
            if rel is None:
                raise ValueError(f"a shape refers to a missing relationship {old}")
            renamed[old] = job.link(dst, rel)
        return match.group(1) + renamed[old].encode() + match.group(3)

    for prefix in prefixes:
        fragment = re.sub(_R_ATTR % re.escape(prefix.encode()), swap, fragment)
    return fragment


_OBJECT_TAG = re.compile(rb"<(?:[\w.-]+:)?(cNvPr|stCxn|endCxn)\b")
_ID = re.compile(rb'(\sid\s*=\s*")(\d+)(")')


def _ids(data: bytes) -> list[int]:
    return [int(m.group(2)) for tag in _tags(data, (b"cNvPr",)) for m in [_ID.search(tag[2])]
            if m]


def _tags(data: bytes, names):
    for m in _OBJECT_TAG.finditer(data):
        if m.group(1) in names:
            tag = xmlspans._START_TAG.match(data, m.start())
            if tag:
                yield tag.start(), tag.end(), tag.group()


def _renumber(fragment: bytes, next_id: int) -> tuple[bytes, int]:
    """New object ids for the shapes (connections between them follow)."""
    mapping = {}
    for _s, _e, tag in _tags(fragment, (b"cNvPr",)):
        m = _ID.search(tag)
        if m and m.group(2) not in mapping:
            mapping[m.group(2)] = str(next_id).encode()
            next_id += 1
    edits = []
    for start, end, tag in _tags(fragment, (b"cNvPr", b"stCxn", b"endCxn")):
        m = _ID.search(tag)
        if m and m.group(2) in mapping:
            edits.append((start, end, tag[:m.start(2)] + mapping[m.group(2)] + tag[m.end(2):]))
    return xmlspans.apply(fragment, edits), next_id


def anchor_key(anchor) -> tuple:
    """Where an anchor puts its object; openpyxl writes the same markers back."""
    kind = _local(anchor.tag)

    def marker(name):
        el = anchor.find(f"{{{XDR}}}{name}")
        if el is None:
            return None
        if name == "pos":
            return (el.get("x"), el.get("y"))
        return tuple((child.text or "").strip() for child in el)

    if kind == "absoluteAnchor":
        return (kind, marker("pos"))
    if kind == "oneCellAnchor":
        return (kind, marker("from"))
    return (kind, marker("from"), marker("to"))


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
