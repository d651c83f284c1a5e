"""Where elements sit in an XML part, as byte offsets, so that XML can be copied verbatim.

The splicer (preserve.py) moves elements from the original package into the one openpyxl wrote
without re-serialising them: a parse-and-rewrite would rename namespace prefixes and could
reorder attributes that other readers compare. expat gives byte offsets; this module turns them
into spans and makes a copied span stand on its own (the namespace declarations it inherited
from its ancestors are added to its start tag). Every parse refuses a DOCTYPE, as the gate does.
"""
from __future__ import annotations

import re
import xml.parsers.expat as expat
from dataclasses import dataclass, field
from typing import Callable

MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


class XmlError(ValueError):
    """The part is not well-formed, declares a DOCTYPE, or is not UTF-8/UTF-16 encoded."""


@dataclass
class Element:
    path: tuple[str, ...]  # local names from the root down to this element
    ns: str  # namespace URI ("" when none)
    attrs: dict[str, str]  # keyed by local name, or "uri local" for namespaced attributes
    start: int  # byte offset of "<"
    end: int = -1  # byte offset just past the element
    own: dict = field(default_factory=dict)  # prefix (None: default) -> URI declared here
    scope: dict = field(default_factory=dict)  # declarations in force here (own included)

    @property
    def local(self) -> str:
        return self.path[-1]


@dataclass
class Scan:
    data: bytes  # the part, UTF-8
    root: Element
    elements: list[Element]  # the ones asked for, in document order


def utf8(data: bytes) -> bytes:
    """The part in UTF-8 (Excel writes UTF-8; a UTF-16 part is converted, declaration too)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16")
    elif data[:2] in (b"<\x00", b"\x00<"):
        text = data.decode("utf-16-le" if data[0] == 0x3C else "utf-16-be")
    else:
        return data
    text = re.sub(r'^(<\?xml[^>]*?)encoding=["\'][^"\']*["\']', r'\1encoding="UTF-8"', text)
    return text.encode("utf-8")


_UNPREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*[\s/>]")
_START_TAG = re.compile(rb'<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|\'[^\']*\'))*\s*/?>')


def scan(data: bytes, want: Callable[[tuple[str, ...]], bool]) -> Scan:
    """Parse ``data`` and return the spans of the elements whose path ``want`` accepts (the
    root is always returned). ``want`` sees local names only: ("worksheet", "extLst")."""
    data = utf8(data)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    kept: list[Element] = []
    pending: dict = {}
    found: dict[str, Element] = {}

    def refuse(*_args):
        raise XmlError("the part declares a DOCTYPE")

    def declare(prefix, uri):
        pending[prefix] = uri or ""

    def start(name, attrs):
        ns, _, local = name.rpartition(" ")
        path = (stack[-1].path if stack else ()) + (local,)
        scope = dict(stack[-1].scope) if stack else {}
        scope.update(pending)
        el = Element(path, ns, attrs, parser.CurrentByteIndex, own=dict(pending), scope=scope)
        pending.clear()
        stack.append(el)
        if not found:
            found["root"] = el
        elif want(path):
            kept.append(el)

    def end(_name):
        el = stack.pop()
        at = parser.CurrentByteIndex
        if data.startswith(b"</", at):
            el.end = data.index(b">", at) + 1
        else:  # an empty-element tag: expat reports its end just past "/>"
            tag = _START_TAG.match(data, el.start)
            if tag is None or not tag.group().endswith(b"/>"):
                raise XmlError(f"cannot find the end of <{el.local}>")
            el.end = tag.end()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartNamespaceDeclHandler = declare
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise XmlError(f"line {exc.lineno}, column {exc.offset}: "
                       f"{expat.ErrorString(exc.code)}") from None
    return Scan(data, found["root"], kept)


def attr(el: Element, local: str, ns: str = "") -> str | None:
    return el.attrs.get(f"{ns} {local}" if ns else local)


def end_tag_start(data: bytes, el: Element) -> int:
    """Offset of an element's end tag, or -1 for an empty-element tag."""
    if data[el.end - 2: el.end] == b"/>":
        return -1
    return data.rindex(b"</", el.start, el.end)


def standalone(data: bytes, el: Element, dest_scope: dict, ignorable: str | None = None) -> bytes:
    """The element's bytes, with the namespace declarations it inherited (and that the place
    it goes to does not provide) written on its start tag. ``ignorable``: the original root's
    mc:Ignorable, carried over so that prefixes marked ignorable there stay ignorable."""
    raw = data[el.start:el.end]
    extra = []
    for prefix, uri in el.scope.items():
        if prefix in el.own or dest_scope.get(prefix) == uri:
            continue
        extra.append(f' xmlns="{uri}"' if prefix is None else f' xmlns:{prefix}="{uri}"')
    if None not in el.scope and dest_scope.get(None) and _UNPREFIXED.search(raw):
        extra.append(' xmlns=""')  # unprefixed names had no namespace there: keep it so
    if ignorable and f"{MC} Ignorable" not in el.attrs:
        declared = {p for p, u in el.scope.items() if p and u}
        wanted = [p for p in ignorable.split() if p in declared]
        mc = next((p for p, u in el.scope.items() if u == MC and p), None)
        if wanted and mc:
            extra.append(f' {mc}:Ignorable="{" ".join(wanted)}"')
    if not extra:
        return raw
    tag = _START_TAG.match(raw)
    if tag is None:
        raise XmlError(f"cannot read the start tag of <{el.local}>")
    head = tag.group()
    cut = len(head) - (2 if head.endswith(b"/>") else 1)
    return head[:cut] + "".join(extra).encode() + raw[cut:]


def apply(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Replace data[start:end] by the new bytes for each edit; edits must not overlap."""
    out, last = [], 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < last:
            raise XmlError("overlapping edits")
        out += [data[last:start], new]
        last = end
    out.append(data[last:])
    return b"".join(out)


def escape_attr(value: str) -> str:
    return (value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))
