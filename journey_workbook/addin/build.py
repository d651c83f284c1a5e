"""Assemble the Journey Excel add-in (``journey.xlam``) on any OS, Linux included, without Excel.

What goes in:
- the VBA modules in ``macros/*.bas`` (the ribbon dispatcher);
- the xlwings VBA runtime of the *installed* xlwings, so that the add-in always matches the
  Python side (its DLL names, AppleScript name and ``XLWINGS_VERSION`` are tied to one version):
  ``xlwings_custom_addin.bas`` -- the module ``xlwings quickstart --addin`` puts in a custom
  add-in, which reads the config and passes ``--wb`` from the *ActiveWorkbook*, so that
  ``xw.Book.caller()`` is the CSM's workbook -- with its ``PROJECT_NAME`` set to ``journey``,
  and ``addin/Dictionary.cls``, which that module needs on macOS;
- a ``journey.conf`` sheet holding the settings that are the same on every machine
  (``ADD_WORKBOOK_TO_PYTHONPATH=False``: the code is an installed package, and a workbook on
  OneDrive or SharePoint has a URL for a folder); the interpreter is per machine and goes in
  the user's ``journey.conf`` file (see ``install.py``);
- the ribbon from ``macros/ribbon.xml`` in one language, as ``customUI/customUI14.xml`` (Office
  2010 and later) and ``customUI/customUI.xml`` (Office 2007).

pyOpenVBA writes the VBA project into its Office-authored blank add-in; the sheet and the ribbon
parts are added by editing the zip afterwards, once no library will save the file again.
"""
from __future__ import annotations

import importlib.metadata
import importlib.resources
import importlib.util
import os
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from journey_workbook import __version__
from journey_workbook.addin.errors import INSTALL_HINT, AddinError, missing_dependency
from journey_workbook.addin.ribbon import LANGUAGES, NS_2006, NS_2009, render_custom_ui, ribbon_title

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

ADDIN_FILE = "journey.xlam"
#: xlwings' PROJECT_NAME for the add-in: it names the ``journey.conf`` sheet and config files.
PROJECT_NAME = "journey"
#: Settings on the add-in's own config sheet; they apply wherever the add-in is installed.
ADDIN_SETTINGS = {"ADD_WORKBOOK_TO_PYTHONPATH": "False"}

# Ribbon part: (customUI namespace, type of its relationship from the package root).
RIBBON_PARTS = {
    "customUI/customUI14.xml":
        (NS_2009, "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"),
    "customUI/customUI.xml":
        (NS_2006, "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"),
}

# The xlwings runtime: (module name, file in the xlwings package, is a class module).
_XLWINGS_MODULES = (("xlwings", "xlwings_custom_addin.bas", False),
                    ("Dictionary", "addin/Dictionary.cls", True))
_XLWINGS_PROJECT_LINE = 'Public Const PROJECT_NAME As String = "myaddin"'
# Module1 is the empty module of pyOpenVBA's blank add-in.
_TEMPLATE_MODULE = "Module1"
_TEMPLATE_SHEET = "Sheet1"


def macro_sources() -> Traversable:
    """The folder of the add-in's text sources: the repository's ``macros/``, installed as
    the package ``journey_workbook.macros`` (setup.cfg ``package_dir``)."""
    try:
        return importlib.resources.files("journey_workbook.macros")
    except ModuleNotFoundError:
        raise AddinError("The add-in sources (package journey_workbook.macros) are missing "
                         "from this installation of journey-workbook; reinstall it "
                         "(pip install --force-reinstall journey-workbook).") from None


def xlwings_dir() -> Path:
    """The installed xlwings package folder, found without importing xlwings."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        raise missing_dependency("xlwings")
    return Path(spec.origin).parent


def xlwings_modules() -> list[tuple[str, str, bool]]:
    """The xlwings VBA runtime for a custom add-in named ``journey``: (name, source, is_class)."""
    folder = xlwings_dir()
    modules = []
    for name, file, is_class in _XLWINGS_MODULES:
        try:
            source = (folder / file).read_bytes().decode("cp1252")
        except FileNotFoundError:
            raise AddinError(f"xlwings {xlwings_version()} has no {file}, which the add-in is "
                             "built from.", hint=f"Install the xlwings version journey-workbook "
                             f"pins: {INSTALL_HINT}") from None
        if name == "xlwings":
            if source.count(_XLWINGS_PROJECT_LINE) != 1:
                raise AddinError(f"xlwings {xlwings_version()}'s {file} no longer declares "
                                 f"{_XLWINGS_PROJECT_LINE!r}, so the add-in cannot be named "
                                 f"{PROJECT_NAME!r}.", hint=f"Install the xlwings version "
                                 f"journey-workbook pins: {INSTALL_HINT}")
            source = source.replace(_XLWINGS_PROJECT_LINE,
                                    _XLWINGS_PROJECT_LINE.replace("myaddin", PROJECT_NAME))
        modules.append((name, _crlf(source), is_class))
    return modules


def macro_modules() -> list[tuple[str, str]]:
    """The add-in's own VBA modules, ``macros/*.bas``: (name, source), checked to be ASCII
    (the project's code page, 1252, cannot carry Chinese) and named as their file."""
    modules = []
    for file in sorted(macro_sources().iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".bas"):
            continue
        name = file.name[: -len(".bas")]
        data = file.read_bytes()
        try:
            source = data.decode("ascii")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise AddinError(f"macros/{file.name} line {line}: VBA sources must be ASCII; the VBA "
                             "project's code page cannot carry Chinese or other non-ASCII "
                             "text.") from None
        if f'Attribute VB_Name = "{name}"' not in source.splitlines()[:1]:
            raise AddinError(f'macros/{file.name} must start with Attribute VB_Name = "{name}".')
        modules.append((name, _crlf(source)))
    return modules


def build_addin(output: str | os.PathLike[str] | None = None, lang: str = "en") -> Path:
    """Build the add-in and return its path.

    ``output``: the ``.xlam`` to write, or a folder to write ``journey.xlam`` into; default
    ``journey.xlam`` in the current folder. An existing file is replaced in one step.
    ``lang``: the ribbon's language, ``en`` or ``zh-CN``.
    """
    if lang not in LANGUAGES:
        raise AddinError(f"Unknown ribbon language {lang!r}; choose one of {', '.join(LANGUAGES)}.")
    target = _output_path(output)
    ribbon = {part: render_custom_ui(lang, namespace) for part, (namespace, _) in RIBBON_PARTS.items()}
    modules = [*((name, source, False) for name, source in macro_modules()), *xlwings_modules()]
    try:
        from pyopenvba import ExcelFile, VBAModuleKind
    except ImportError:
        raise missing_dependency("pyopenvba") from None

    target.parent.mkdir(parents=True, exist_ok=True)
    # Beside the target, so that the finished file replaces it in one step (os.replace).
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".journey-build-",
                                     ignore_cleanup_errors=True) as tmp:
        draft = Path(tmp) / "draft.xlam"
        with ExcelFile.create_new(draft) as book:
            project = book.vba_project()
            project.delete_module(_TEMPLATE_MODULE)
            for name, source, is_class in modules:
                kind = VBAModuleKind.other if is_class else VBAModuleKind.standard
                project.add_module(name, source, kind=kind)
            book.save()
        finished = Path(tmp) / ADDIN_FILE
        _finish_package(draft, finished, ribbon, lang)
        try:
            os.replace(finished, target)
        except PermissionError:
            raise AddinError(f"Cannot replace {target}: it is open, probably in Excel.",
                             hint="Quit Excel and try again.") from None
    return target


def _output_path(output: str | os.PathLike[str] | None) -> Path:
    target = Path.cwd() / ADDIN_FILE if output is None else Path(output)
    if target.is_dir():
        target = target / ADDIN_FILE
    if target.suffix.lower() != ".xlam":
        raise AddinError(f"The add-in file must end in .xlam (Excel loads add-ins by that "
                         f"extension); got {target.name!r}.")
    return target.resolve()


def _finish_package(draft: Path, dest: Path, ribbon: dict[str, bytes], lang: str) -> None:
    """Copy the package saved by pyOpenVBA, adding the config sheet, properties and ribbon."""
    edits = {
        "xl/workbook.xml": lambda xml: _replace_once(
            xml, f'<sheet name="{_TEMPLATE_SHEET}"', f'<sheet name="{PROJECT_NAME}.conf"'),
        "docProps/app.xml": lambda xml: _replace_once(
            xml, f"<vt:lpstr>{_TEMPLATE_SHEET}</vt:lpstr>", f"<vt:lpstr>{PROJECT_NAME}.conf</vt:lpstr>"),
        "xl/worksheets/sheet1.xml": _write_settings,
        "docProps/core.xml": lambda _: _core_properties(ribbon_title(lang), lang),
        "_rels/.rels": _relate_ribbon,
    }
    with zipfile.ZipFile(draft) as source, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        missing = set(edits) - set(source.namelist())
        if missing:
            raise _template_changed(f"no {', '.join(sorted(missing))}")
        for info in source.infolist():
            data = source.read(info)
            if info.filename in edits:
                data = edits[info.filename](data.decode("utf-8")).encode("utf-8")
            out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        for part, data in ribbon.items():
            out.writestr(part, data)


def _write_settings(sheet_xml: str) -> str:
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{escape(key)}</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>{escape(value)}</t></is></c></row>'
        for r, (key, value) in enumerate(ADDIN_SETTINGS.items(), start=1))
    sheet_xml = _replace_once(sheet_xml, '<dimension ref="A1"/>',
                              f'<dimension ref="A1:B{len(ADDIN_SETTINGS)}"/>')
    return _replace_once(sheet_xml, "<sheetData/>", f"<sheetData>{rows}</sheetData>")


def _relate_ribbon(rels_xml: str) -> str:
    added = "".join(f'<Relationship Id="jwRibbon{n}" Type="{rel_type}" Target="{part}"/>'
                    for n, (part, (_, rel_type)) in enumerate(RIBBON_PARTS.items(), start=1))
    return _replace_once(rels_xml, "</Relationships>", added + "</Relationships>")


def _core_properties(title: str, lang: str) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    about = (f"Ribbon tab for journey workbooks: journey-workbook {__version__}, "
             f"xlwings {xlwings_version()}, ribbon language {lang}.")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(title)}</dc:title><dc:description>{escape(about)}</dc:description>"
            "<dc:creator>journey-workbook</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
            "</cp:coreProperties>")


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise _template_changed(f"{old!r} is not in it once")
    return text.replace(old, new)


def _template_changed(what: str) -> AddinError:
    return AddinError(f"pyOpenVBA's blank add-in, which the build starts from, has changed ({what}).",
                      hint=f"Install the pyopenvba version journey-workbook pins: {INSTALL_HINT}")


def _crlf(source: str) -> str:
    return source.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def xlwings_version() -> str:
    try:
        return importlib.metadata.version("xlwings")
    except importlib.metadata.PackageNotFoundError:
        raise missing_dependency("xlwings") from None
