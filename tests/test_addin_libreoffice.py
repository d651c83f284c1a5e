"""LibreOffice, a second independent reader of VBA projects, opens the built add-in.

Headless soffice converts the add-in to ODS, which stores the VBA modules it imported as the
Basic library ``VBAProject``: that lists what LibreOffice found. The test fails (not skips)
without soffice, so a CI image that lost LibreOffice is noticed.
"""
from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import pytest

from journey_workbook.addin import build_addin

MODULE = "{http://openoffice.org/2000/script}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def test_libreoffice_opens_the_addin_and_lists_its_vba_modules(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice is needed for this test: install it (Debian: libreoffice-calc-nogui)")
    addin = build_addin(tmp_path / "journey.xlam")
    # LibreOffice's type detection does not take .xlam by extension: name the import filter.
    run = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
         "--norestore", "--infilter=Calc MS Excel 2007 VBA XML", "--convert-to", "ods",
         "--outdir", str(tmp_path / "out"), str(addin)],
        capture_output=True, text=True, timeout=60)
    converted = tmp_path / "out" / "journey.ods"
    assert converted.is_file(), f"soffice wrote nothing:\n{run.stdout}\n{run.stderr}"

    with zipfile.ZipFile(converted) as ods:
        library = "Basic/VBAProject/"
        modules = {name[len(library):-len(".xml")]: ET.fromstring(ods.read(name)).text
                   for name in ods.namelist()
                   if name.startswith(library) and not name.endswith("script-lb.xml")}
        content = ET.fromstring(ods.read("content.xml"))

    assert set(modules) == {"ThisWorkbook", "Sheet1", "JourneyRibbon", "xlwings", "Dictionary"}
    assert "Public Sub OnButton(control As IRibbonControl)" in modules["JourneyRibbon"]
    assert "e.run('\" & control.Tag & \"')" in modules["JourneyRibbon"]
    assert 'Public Const PROJECT_NAME As String = "journey"' in modules["xlwings"]
    sheets = {t.get(f"{TABLE}name"): [p.text for p in t.iter(f"{TEXT}p")]
              for t in content.iter(f"{TABLE}table")}
    assert sheets == {"journey.conf": ["ADD_WORKBOOK_TO_PYTHONPATH", "False"]}
