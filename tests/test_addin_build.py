"""The Excel add-in as built here, without Excel: its VBA read back by olevba, its package
parts, and its ribbon."""
from __future__ import annotations

import importlib.metadata
import re
import sys
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from journey_workbook.addin import AddinError, build_addin, ribbon_buttons, ribbon_tags
from journey_workbook.addin import build as build_module
from journey_workbook.addin.build import xlwings_dir
from journey_workbook.addin.ribbon import NS_2006, NS_2009

MACROS = Path(__file__).resolve().parents[1] / "macros"
# The actions the first ribbon must offer; journey_workbook.excel registers them.
REQUIRED_TAGS = {"validate", "refresh", "redraw", "add_metric", "plan", "calendar", "guide"}
CT_ADDIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
RIBBON_RELS = {  # relationship type: (part, customUI namespace)
    "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility":
        ("customUI/customUI14.xml", NS_2009),
    "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility":
        ("customUI/customUI.xml", NS_2006),
}
TAB_ZH = "客户成功旅程"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("addin")
    return {lang: build_addin(folder / f"journey-{lang}.xlam", lang=lang) for lang in ("en", "zh-CN")}


def read_vba(path: Path) -> dict[str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # oletools' use of old pyparsing names
        from oletools.olevba import VBA_Parser
    parser = VBA_Parser(str(path))
    try:
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def normalise(code: str) -> str:
    """Line endings unified, the Attribute VB_Name line (VBA's own header) left out."""
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line for line in lines if not line.startswith("Attribute VB_Name = ")).rstrip("\n")


def zip_xml(path: Path, part: str) -> ET.Element:
    with zipfile.ZipFile(path) as package:
        return ET.fromstring(package.read(part))


def test_macro_sources_are_ascii():
    sources = sorted(MACROS.glob("*.bas"))
    assert sources, "macros/ holds no .bas file"
    for source in sources:
        for number, line in enumerate(source.read_bytes().splitlines(), start=1):
            assert line.isascii(), f"macros/{source.name} line {number} is not ASCII: {line!r}"


def test_vba_modules_read_back_equal_the_sources(built):
    for path in built.values():
        modules = read_vba(path)
        assert set(modules) == {"ThisWorkbook", "Sheet1", "xlwings", "Dictionary",
                                *(s.stem for s in MACROS.glob("*.bas"))}
        for source in MACROS.glob("*.bas"):
            assert normalise(modules[source.stem]) == normalise(source.read_text("ascii")), source.name


def test_vba_runtime_is_the_installed_xlwings_custom_addin_module(built):
    modules = read_vba(built["en"])
    installed = (xlwings_dir() / "xlwings_custom_addin.bas").read_text("cp1252")
    expected = installed.replace('PROJECT_NAME As String = "myaddin"', 'PROJECT_NAME As String = "journey"')
    assert normalise(modules["xlwings"]) == normalise(expected)
    assert 'Public Const PROJECT_NAME As String = "journey"' in modules["xlwings"]
    version = importlib.metadata.version("xlwings")
    assert f'Public Const XLWINGS_VERSION As String = "{version}"' in modules["xlwings"]
    # The custom add-in flavour: the workbook the CSM works in, not the add-in, is the caller.
    assert '" --wb=" & """" & ActiveWorkbook.Name' in modules["xlwings"]
    assert "Public Function RunPython(PythonCommand As String)" in modules["xlwings"]
    assert "Class Dictionary" not in modules["Dictionary"]  # sanity: it is the class module body
    assert "Public Property Get Count() As Long" in modules["Dictionary"]


def test_the_runtime_file_is_what_xlwings_ships_in_a_custom_ribbon_addin():
    # `xlwings quickstart --addin --ribbon` makes its add-in from this xlam; if a new xlwings
    # changes the module inside it, the build must take the new one too.
    shipped = read_vba(xlwings_dir() / "quickstart_addin_ribbon.xlam")
    assert {"xlwings", "Dictionary"} <= set(shipped)
    source = (xlwings_dir() / "xlwings_custom_addin.bas").read_text("cp1252")
    assert normalise(shipped["xlwings"]) == normalise(source)


def test_dispatcher_runs_the_tag_through_journey_workbook_excel():
    source = (MACROS / "JourneyRibbon.bas").read_text("ascii")
    assert re.search(r"^Public Sub OnButton\(control As IRibbonControl\)$", source, re.M)
    assert """RunPython "import journey_workbook.excel as e; e.run('" & control.Tag & "')\"""" in source


def test_package_is_an_addin_with_a_vba_project_and_ribbon(built):
    for path in built.values():
        with zipfile.ZipFile(path) as package:
            assert package.testzip() is None
            names = set(package.namelist())
        types = zip_xml(path, "[Content_Types].xml")
        overrides = {e.get("PartName"): e.get("ContentType") for e in types if e.tag.endswith("Override")}
        defaults = {e.get("Extension"): e.get("ContentType") for e in types if e.tag.endswith("Default")}
        assert overrides["/xl/workbook.xml"] == CT_ADDIN
        assert defaults["bin"] == "application/vnd.ms-office.vbaProject"
        assert defaults["xml"] == "application/xml"  # what the customUI parts are served as

        workbook_rels = {r.get("Type"): r.get("Target") for r in zip_xml(path, "xl/_rels/workbook.xml.rels")}
        assert workbook_rels[REL_VBA] == "vbaProject.bin"
        assert "xl/vbaProject.bin" in names

        root_rels = {r.get("Type"): r.get("Target") for r in zip_xml(path, "_rels/.rels")}
        for rel_type, (part, _) in RIBBON_RELS.items():
            assert root_rels[rel_type] == part
            assert part in names


def test_every_onaction_is_a_public_sub_in_the_vba(built):
    modules = read_vba(built["en"])
    for part, namespace in RIBBON_RELS.values():
        ribbon = zip_xml(built["en"], part)  # well-formed, or this raises
        assert ribbon.tag == f"{{{namespace}}}customUI"
        actions = {e.get("onAction") for e in ribbon.iter() if e.get("onAction")}
        assert actions == {"JourneyRibbon.OnButton"}
        for action in actions:
            module, sub = action.split(".")
            assert re.search(rf"^Public Sub {sub}\(control As \w+\)", modules[module], re.M), action


def test_tags_are_the_actions_python_registers(built):
    tags = ribbon_tags()
    assert REQUIRED_TAGS <= set(tags)
    assert len(tags) == len(set(tags))
    for lang, path in built.items():
        for part, namespace in RIBBON_RELS.values():
            buttons = zip_xml(path, part).iter(f"{{{namespace}}}button")
            assert [b.get("tag") for b in buttons] == tags, (lang, part)


def test_english_and_chinese_ribbons(built):
    en = zip_xml(built["en"], "customUI/customUI14.xml")
    assert en.find(f".//{{{NS_2009}}}tab").get("label") == "Journey"
    assert [b.get("label") for b in en.iter(f"{{{NS_2009}}}button")][:2] == ["Validate", "Refresh attainment"]
    with zipfile.ZipFile(built["zh-CN"]) as package:
        for part, namespace in RIBBON_RELS.values():
            raw = package.read(part)
            assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"')
            assert TAB_ZH.encode("utf-8") in raw
            assert b"urn:journey-workbook" not in raw  # no attribute Office's schema refuses
            ribbon = ET.fromstring(raw)
            assert ribbon.find(f".//{{{namespace}}}tab").get("label") == TAB_ZH
            for button in ribbon.iter(f"{{{namespace}}}button"):
                assert re.search(r"[\u4e00-\u9fff]", button.get("label") + button.get("screentip"))


def test_addin_properties_name_it_and_its_versions(built):
    core = zip_xml(built["zh-CN"], "docProps/core.xml")
    assert core.findtext("{http://purl.org/dc/elements/1.1/}title") == TAB_ZH
    description = core.findtext("{http://purl.org/dc/elements/1.1/}description")
    assert f"xlwings {importlib.metadata.version('xlwings')}" in description


def test_addin_carries_its_config_sheet(built):
    workbook = zip_xml(built["en"], "xl/workbook.xml")
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    assert [s.get("name") for s in workbook.iter(f"{ns}sheet")] == ["journey.conf"]
    sheet = zip_xml(built["en"], "xl/worksheets/sheet1.xml")
    cells = {c.get("r"): c.findtext(f"{ns}is/{ns}t") for c in sheet.iter(f"{ns}c")}
    assert cells == {"A1": "ADD_WORKBOOK_TO_PYTHONPATH", "B1": "False"}


def test_default_output_is_journey_xlam_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert build_addin() == tmp_path / "journey.xlam"
    (tmp_path / "dist").mkdir()
    assert build_addin(tmp_path / "dist") == tmp_path / "dist" / "journey.xlam"
    # Rebuilding replaces the file and leaves no temporary files behind.
    assert build_addin("journey.xlam", lang="zh-CN") == tmp_path / "journey.xlam"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "journey.xlam"]


def test_bad_output_or_language_is_refused(tmp_path):
    with pytest.raises(AddinError, match=r"must end in \.xlam.*'journey\.xlsm'"):
        build_addin(tmp_path / "journey.xlsm")
    with pytest.raises(AddinError, match="Unknown ribbon language 'fr'"):
        build_addin(tmp_path / "journey.xlam", lang="fr")
    assert list(tmp_path.iterdir()) == []


def test_missing_pyopenvba_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyopenvba", None)
    with pytest.raises(AddinError, match=re.escape('pip install "journey-workbook[excel]"')):
        build_addin(tmp_path / "journey.xlam")


def test_non_ascii_macro_is_refused_with_its_line(tmp_path, monkeypatch):
    (tmp_path / "ribbon.xml").write_bytes((MACROS / "ribbon.xml").read_bytes())
    bad = 'Attribute VB_Name = "Bad"\nSub X()\n    MsgBox "刷新"\nEnd Sub\n'
    (tmp_path / "Bad.bas").write_text(bad, "utf-8")
    monkeypatch.setattr(build_module, "macro_sources", lambda: tmp_path)
    with pytest.raises(AddinError, match=r"macros/Bad\.bas line 3: VBA sources must be ASCII"):
        build_addin(tmp_path / "journey.xlam")


def test_inconsistent_ribbon_source_is_refused(tmp_path):
    source = (MACROS / "ribbon.xml").read_text("utf-8")
    broken = tmp_path / "ribbon.xml"
    broken.write_text(source.replace('tag="redraw"', 'tag="refresh"')
                            .replace(' jw:label-zh-CN="使用指南"', "")
                            .replace('tag="plan"', 'tag="Plan it"'), "utf-8")
    with pytest.raises(AddinError) as error:
        ribbon_buttons(broken)
    message = str(error.value)
    assert "repeated button tag: refresh" in message
    assert "'jwGuide': label has no zh-CN text" in message
    assert "tag 'Plan it' must be lower-case" in message
