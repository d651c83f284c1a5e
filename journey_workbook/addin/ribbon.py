"""The Journey ribbon tab, read from its one source, ``macros/ribbon.xml``.

The source is a customUI document (2009 namespace) written in English, whose
``jw:<attribute>-<lang>`` attributes carry the other languages' texts. Office's customUI has no
way to switch a label's language at run time short of ``getLabel`` callbacks, which would put
logic (and Chinese text the VBA code page cannot hold) into VBA; so the add-in is built in one
language instead, and :func:`render_custom_ui` produces the part for that language.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING

from journey_workbook.addin.errors import AddinError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# The ribbon languages: code -> name.
LANGUAGES = {"en": "English", "zh-CN": "Simplified Chinese"}

NS_2009 = "http://schemas.microsoft.com/office/2009/07/customui"
NS_2006 = "http://schemas.microsoft.com/office/2006/01/customui"
NS_JW = "urn:journey-workbook:ribbon"

# Texts a button, group or tab shows; each needs a translation in every language.
_TRANSLATED = ("label", "screentip")
# A tag is pasted into Python source by the VBA dispatcher, so it must stay a plain name.
_TAG = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class Button:
    id: str
    tag: str
    group: str
    on_action: str
    labels: dict[str, str]


def ribbon_source() -> Traversable:
    from journey_workbook.addin.build import macro_sources

    return macro_sources() / "ribbon.xml"


def _parse(source: Traversable | None) -> ET.Element:
    source = ribbon_source() if source is None else source
    try:
        root = ET.fromstring(source.read_bytes())
    except ET.ParseError as exc:
        raise AddinError(f"The ribbon source {source} is not well-formed XML: {exc}") from exc
    if root.tag != f"{{{NS_2009}}}customUI":
        raise AddinError(f"The ribbon source {source} must be a customUI document in the "
                         f"namespace {NS_2009}.")
    return root


def _text(element: ET.Element, attribute: str, lang: str) -> str | None:
    if lang == "en":
        return element.get(attribute)
    return element.get(f"{{{NS_JW}}}{attribute}-{lang}")


def ribbon_buttons(source: Traversable | None = None) -> list[Button]:
    """The buttons of the tab in ribbon order, checked: unique ids and tags, every text translated."""
    return _checked_buttons(_parse(source))


def _checked_buttons(root: ET.Element) -> list[Button]:
    buttons: list[Button] = []
    problems: list[str] = []
    for group in root.iter(f"{{{NS_2009}}}group"):
        for element in group.iter(f"{{{NS_2009}}}button"):
            button = Button(id=element.get("id", ""), tag=element.get("tag", ""),
                            group=group.get("id", ""), on_action=element.get("onAction", ""),
                            labels={lang: _text(element, "label", lang) or "" for lang in LANGUAGES})
            if not _TAG.match(button.tag):
                problems.append(f"button {button.id!r}: tag {button.tag!r} must be lower-case "
                                "letters, digits and _ (it is the action name)")
            if not button.on_action:
                problems.append(f"button {button.id!r} has no onAction")
            buttons.append(button)
    for what, values in (("id", [b.id for b in buttons]), ("tag", [b.tag for b in buttons])):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            problems.append(f"repeated button {what}: {', '.join(repeated)}")
    for element in root.iter():
        for attribute in _TRANSLATED:
            if element.get(attribute) is None:
                continue
            missing = [lang for lang in LANGUAGES if not _text(element, attribute, lang)]
            if missing:
                problems.append(f"{element.get('id')!r}: {attribute} has no "
                                f"{' / '.join(missing)} text")
    if problems:
        raise AddinError("The ribbon source macros/ribbon.xml is wrong: " + "; ".join(problems))
    return buttons


def ribbon_title(lang: str = "en", source: Traversable | None = None) -> str:
    """The tab's label in ``lang``: what the CSM looks for on Excel's ribbon."""
    tab = _parse(source).find(f".//{{{NS_2009}}}tab")
    if tab is None:
        raise AddinError("The ribbon source macros/ribbon.xml has no tab.")
    return _text(tab, "label", lang) or ""


def ribbon_tags(source: Traversable | None = None) -> list[str]:
    """The action names the ribbon's buttons send to ``journey_workbook.excel.run``."""
    return [button.tag for button in ribbon_buttons(source)]


def render_custom_ui(lang: str = "en", namespace: str = NS_2009,
                     source: Traversable | None = None) -> bytes:
    """The customUI part for one language, as UTF-8 XML in ``namespace`` (2009 or 2006).

    The two namespaces accept the same tab, group and button elements; the 2006 one is what
    Office 2007 reads, the 2009 one (``customUI14.xml``) what Office 2010 and later prefer.
    """
    if lang not in LANGUAGES:
        raise AddinError(f"Unknown ribbon language {lang!r}; choose one of {', '.join(LANGUAGES)}.")
    root = _parse(source)
    _checked_buttons(root)  # refuse an inconsistent source before building from it
    for element in root.iter():
        # Unqualified names plus an xmlns attribute: ElementTree writes prefixes otherwise.
        element.tag = element.tag.replace(f"{{{NS_2009}}}", "")
        for attribute in _TRANSLATED:
            if element.get(attribute) is not None:
                element.set(attribute, _text(element, attribute, lang))
        for key in [k for k in element.attrib if k.startswith(f"{{{NS_JW}}}")]:
            del element.attrib[key]
    root.set("xmlns", namespace)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body).encode("utf-8")
