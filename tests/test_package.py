"""The package gate: every corpus file is read correctly or refused with its code, quickly;
synthetic hostile packages are refused without decompressing; the at-risk report names what
openpyxl really drops (checked by a real openpyxl load+save of each file)."""
from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table

from journey_workbook.book import package
from journey_workbook.book.package import (
    AtRiskPart, describe, ensure_nothing_lost, inspect_package, load_safely,
    parts_openpyxl_would_drop)
from journey_workbook.errors import JourneyError, UnreadableWorkbook, WouldLoseContent

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CORPUS_FILES = sorted(p.name for p in CORPUS.iterdir() if p.suffix != ".md")
INSPECT_SECONDS = 10.0
# openpyxl itself needs ~15-20 s to build 50,000 merged ranges (poi__57893-many-merges.xlsx);
# the gate (inspect_package) is what must stay under INSPECT_SECONDS.
LOAD_SECONDS = 90.0

READ = "read"
EXPECTED = {  # file -> READ or the UnreadableWorkbook code; files not listed get the generic checks
    "calamine__date_quoted_format.xlsx": READ,
    "calamine__empty_s_attribute.xlsx": READ,  # s="" repaired in memory (openpyxl: TypeError)
    "calamine__issue_174.xlsx": READ,
    "calamine__issue_261.xlsx": READ,
    "closedxml__LibreOfficeFileWithDates.xlsx": READ,
    "closedxml__TableHeadersWithLineBreaks.xlsx": READ,
    "closedxml__ValidationWithSheetReference.xlsx": READ,
    "closedxml__hidden_sheets.xlsx": READ,
    "closedxml__sheet-names.xlsx": READ,
    "excelize__Book1.xlsx": READ,
    "exceljs__1519293514-KRISHNAPATNAM_LINE_UP.xlsx": READ,
    "exceljs__google-sheets.xlsx": READ,
    "exceljs__invalid-xml.xlsx": "malformed-xml",
    "openpyxl__contains_chartsheets.xlsx": READ,
    "openpyxl__guess_types.xlsx": READ,
    "poi__1_NoIden.xlsx": READ,
    "poi__51585.xlsx": READ,
    "poi__57893-many-merges.xlsx": READ,
    "poi__59746_NoRowNums.xlsx": READ,
    "poi__ConditionalFormattingSamples.xlsx": READ,
    "poi__SimpleStrict.xlsx": READ,  # translated from Strict (openpyxl alone: no sheets)
    "poi__clusterfuzz-XLSX2CSVFuzzer-5636439151607808.xlsx": "truncated",
    "poi__craftonhills_goalpriorityreport.xlsx": READ,
    "poi__mv-calculator-final-2-20-2013.xlsm": READ,
    "poi__no_drawing_patriarch.xlsx": READ,
    "poi__picture.xlsx": READ,  # ZMIENNA_* attributes on <xf> dropped in memory
    "poi__poc-xmlbomb.xlsx": "xml-entities",
    "poi__right-to-left.xlsx": READ,
    "poi__simple-monthly-budget.xlsx": READ,
    "poi__xlmmacro.xlsm": READ,
    "sheetjs__Attendance.xlsx": READ,
    "sheetjs__defined_names_unicode.xlsx": READ,
    "sheetjs__fn.xlsx": READ,
    "sheetjs__merge_cells.xlsx": READ,
    "sheetjs__number_format_russian.xlsm": READ,
    "sheetjs__sheet_visibility.xlsx": READ,
    "sheetjs__threaded_comments_none.xlsx": READ,
    "sheetjs__wtf_path.xlsx": READ,  # workbook under wtf/, found through _rels/.rels
}
REFUSED_PART = {"exceljs__invalid-xml.xlsx": "xl/worksheets/sheet1.xml",
                "poi__poc-xmlbomb.xlsx": "xl/sharedStrings.xml"}

# What openpyxl does to these files, checked by unzipping them: (kind, sheet, fate, count).
AT_RISK = {
    "sheetjs__threaded_comments_none.xlsx": [
        ("comment", "Sheet1", "damaged", 1), ("threaded-comment", "Sheet1", "dropped", 3),
        ("threaded-comment-authors", None, "dropped", 1)],
    "poi__right-to-left.xlsx": [
        ("comment", "English", "damaged", 1), ("comment", "عربى", "damaged", 1),
        ("threaded-comment", "English", "dropped", 1),
        ("threaded-comment", "عربى", "dropped", 1),
        ("threaded-comment-authors", None, "dropped", 1)],
    # Its "image" is the sheet background (<picture>); each chart has style + colour parts.
    "excelize__Book1.xlsx": [
        ("background-image", "Sheet1", "dropped", 1), ("chart", "Sheet1", "damaged", 1),
        ("chart", "Sheet1", "damaged", 1)] + [("chart-style", "Sheet1", "dropped", 1)] * 4 + [
        ("comment", "Sheet1", "damaged", 1), ("rich-text", "Sheet2", "damaged", 1)],
    # The x14 list on 'UI Sheet' (A2, source ValuesSheet!$A$1:$A$4); B2's classic list is kept.
    "closedxml__ValidationWithSheetReference.xlsx": [
        ("x14-data-validation", "UI Sheet", "dropped", 1)],
    # openpyxl also discards the classic data bar rule: its maximum is a defined name, which
    # it reads as a float ("Failed to load a conditional formatting rule").
    "poi__simple-monthly-budget.xlsx": [
        ("chart", "Simple Monthly Budget", "damaged", 1),
        ("conditional-formatting", "Simple Monthly Budget", "dropped", 1),
        ("shape", "Simple Monthly Budget", "dropped", 1),
        ("x14-conditional-formatting", "Simple Monthly Budget", "dropped", 1)],
    "exceljs__1519293514-KRISHNAPATNAM_LINE_UP.xlsx": [
        ("image", "KRISHNAPATNAM", "kept", 1), ("shape", "KRISHNAPATNAM", "dropped", 3)],
    # 163 VML buttons/check boxes (their drawing-layer twins are not counted twice); .xlsm so
    # the VBA project is kept (keep_vba), and the controls' <controls> wiring is lost.
    "poi__mv-calculator-final-2-20-2013.xlsm": [
        ("form-control", "MV Calculator", "damaged", 163),
        ("rich-text", "User Guide", "damaged", 10),
        ("vba", None, "kept", 1)],
    "poi__xlmmacro.xlsm": [("xlm-macro-sheet", "Macro1", "damaged", 1)],
    "sheetjs__fn.xlsx": [("rich-value", "Sheet1", "dropped", 1)],
    "sheetjs__wtf_path.xlsx": [
        ("comment", "SheetJS", "damaged", 1), ("ignored-errors", "Hidden", "dropped", 1),
        ("ignored-errors", "SheetJS", "dropped", 1)],
    "poi__no_drawing_patriarch.xlsx": [("ignored-errors", "Лист 1", "dropped", 1)],
    "openpyxl__contains_chartsheets.xlsx": [
        ("chart", "chart", "damaged", 1), ("chart", "moredata", "damaged", 1)],
    "sheetjs__number_format_russian.xlsm": [("vba", None, "kept", 1)],
    "sheetjs__sheet_visibility.xlsx": [],
    "closedxml__hidden_sheets.xlsx": [],
    "sheetjs__merge_cells.xlsx": [],
    "poi__57893-many-merges.xlsx": [],
    "poi__SimpleStrict.xlsx": [],
}
# After a real openpyxl save, a damaged item of these kinds is still there (changed); the
# other damaged kinds (rich text flattened, macro sheet saved as a worksheet) are gone.
DAMAGED_BUT_PRESENT = {"chart", "comment", "form-control"}


def rows(parts):
    return sorted((p.kind, p.sheet, p.fate, p.count) for p in parts)


# ----------------------------------------------------------------------------- the corpus

def test_the_corpus_is_there():
    assert set(EXPECTED) <= set(CORPUS_FILES), f"corpus files missing from {CORPUS}"


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_file_is_read_correctly_or_refused_with_its_code(name, tmp_path):
    path = CORPUS / name
    expected = EXPECTED.get(name)
    started = time.perf_counter()
    try:
        info = inspect_package(path)
    except UnreadableWorkbook as exc:
        assert time.perf_counter() - started < INSPECT_SECONDS
        assert expected in (None, exc.code), f"{name}: refused as {exc.code}: {exc}"
        assert name in exc.message and exc.hint, "the message names the file and says what to do"
        if name in REFUSED_PART:
            assert exc.part == REFUSED_PART[name] and REFUSED_PART[name] in exc.message
        return
    except Exception as exc:  # noqa: BLE001 - the point: nothing else may escape
        pytest.fail(f"{name}: {type(exc).__name__} escaped inspect_package: {exc}")
    assert time.perf_counter() - started < INSPECT_SECONDS
    assert expected in (None, READ), f"{name} should have been refused as {expected}"

    started = time.perf_counter()
    try:
        wb = load_safely(path, info=info)
    except UnreadableWorkbook as exc:
        assert expected is None, f"{name}: inspected fine but not loaded: {exc.code}: {exc}"
        return
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"{name}: {type(exc).__name__} escaped load_safely: {exc}")
    assert time.perf_counter() - started < LOAD_SECONDS
    # Never "read as empty": the same sheets, in order, with their kinds and states.
    assert wb.sheetnames == [s.name for s in info.sheets]
    assert len(wb.worksheets) == sum(s.kind != "chartsheet" for s in info.sheets)
    assert len(wb.chartsheets) == sum(s.kind == "chartsheet" for s in info.sheets)
    assert [wb[n].sheet_state for n in wb.sheetnames] == [s.state for s in info.sheets]

    # The fates are true: save through openpyxl and look again.
    out = tmp_path / name
    wb.save(out)
    after = {(p.kind, p.sheet) for p in inspect_package(out).at_risk}
    for p in info.at_risk:
        present = (p.kind, p.sheet) in after
        if p.fate == "dropped":
            assert not present, f"{name}: {p.kind} on {p.sheet} claimed dropped, but survived"
        elif p.fate == "kept" or p.kind in DAMAGED_BUT_PRESENT:
            assert present, f"{name}: {p.kind} on {p.sheet} claimed {p.fate}, but is gone"
        else:
            assert not present, f"{name}: {p.kind} on {p.sheet} claimed damaged, but unchanged"


@pytest.mark.parametrize("name", sorted(AT_RISK))
def test_at_risk_report_names_the_real_content(name):
    assert rows(inspect_package(CORPUS / name).at_risk) == sorted(AT_RISK[name])


def test_conditional_formatting_samples_are_classic_but_every_sheet_has_shapes():
    # Microsoft's CF sample predates Excel 2010: its data bars and icon sets are classic
    # (kept); what openpyxl would lose are the rounded-rectangle and text-box shapes.
    info = inspect_package(CORPUS / "poi__ConditionalFormattingSamples.xlsx")
    kinds = {p.kind for p in info.at_risk}
    assert "x14-conditional-formatting" not in kinds
    assert {p.sheet for p in info.at_risk if p.kind == "shape"} == {s.name for s in info.sheets}
    assert sum(p.count for p in info.at_risk if p.kind == "shape") == 17 + 2 * 17
    assert [(p.sheet, p.fate) for p in info.at_risk if p.kind == "sort-state"] == [
        ("Mountains", "dropped")]
    assert kinds == {"shape", "image", "sort-state", "rich-text"}


def test_x14_drop_down_detail_names_its_cells():
    info = inspect_package(CORPUS / "closedxml__ValidationWithSheetReference.xlsx")
    (dv,) = info.at_risk
    assert dv.part == "xl/worksheets/sheet1.xml" and "in A2" in dv.detail


def test_sheet_kinds_and_states():
    info = inspect_package(CORPUS / "openpyxl__contains_chartsheets.xlsx")
    assert [(s.name, s.kind, s.part) for s in info.sheets] == [
        ("data", "worksheet", "xl/worksheets/sheet1.xml"),
        ("chart", "chartsheet", "xl/chartsheets/sheet1.xml"),
        ("moredata", "worksheet", "xl/worksheets/sheet2.xml")]
    info = inspect_package(CORPUS / "sheetjs__sheet_visibility.xlsx")
    assert [s.state for s in info.sheets] == ["visible", "hidden", "veryHidden"]
    info = inspect_package(CORPUS / "poi__xlmmacro.xlsm")
    assert [(s.name, s.kind) for s in info.sheets][0] == ("Macro1", "macrosheet")
    assert info.macro_enabled and not info.has_vba


def test_strict_workbook_is_translated_and_read_with_its_values():
    path = CORPUS / "poi__SimpleStrict.xlsx"
    with pytest.warns(UserWarning):  # why the translation exists: openpyxl reads no sheet
        assert openpyxl.load_workbook(path).sheetnames == []
    info = inspect_package(path)
    assert info.is_strict and info.repairs == (("strict-namespaces", "*"),)
    wb = load_safely(path, info=info)
    assert wb.sheetnames == ["Sheet1", "Sheet Number 2"]
    assert [c.value for c in wb["Sheet1"]["C"]] == [1, 2, 3, 4, 5, 6]
    assert isinstance(wb["Sheet1"]["A1"].value, str) and wb["Sheet1"]["A1"].value


def test_workbook_outside_xl_is_read_with_its_styles():
    path = CORPUS / "sheetjs__wtf_path.xlsx"
    with pytest.raises(IndexError):  # openpyxl reads styles from xl/styles.xml only
        openpyxl.load_workbook(path)
    info = inspect_package(path)
    assert info.workbook_part == "wtf/workbook.xml"
    wb = load_safely(path, info=info)
    assert wb.sheetnames == ["SheetJS", "Hidden"] and wb["Hidden"].sheet_state == "hidden"
    formats = {c.number_format for row in wb["SheetJS"].iter_rows() for c in row}
    assert formats - {"General"}, "the styles part was applied, not openpyxl's defaults"


def test_writer_quirks_are_repaired_in_memory_only():
    path = CORPUS / "calamine__empty_s_attribute.xlsx"
    before = path.read_bytes()
    info = inspect_package(path)
    assert info.repairs == (("empty-style-attribute", "xl/worksheets/sheet1.xml"),)
    assert load_safely(path, info=info)["Sheet1"]["B5"].value == 4
    assert path.read_bytes() == before
    info = inspect_package(CORPUS / "poi__picture.xlsx")
    assert info.repairs == (("foreign-xf-attributes", "xl/styles.xml"),)


def test_xlsm_saved_without_vba_would_lose_it_and_its_file_type():
    info = inspect_package(CORPUS / "sheetjs__number_format_russian.xlsm")
    parts = parts_openpyxl_would_drop(info, keep_vba=False)
    assert rows(parts) == [("macro-enabled-type", None, "damaged", 1), ("vba", None, "dropped", 1)]


def test_rich_text_is_kept_when_loaded_with_rich_text():
    info = inspect_package(CORPUS / "excelize__Book1.xlsx")
    assert [p.fate for p in parts_openpyxl_would_drop(info, rich_text=True)
            if p.kind == "rich-text"] == ["kept"]
    cell = load_safely(CORPUS / "excelize__Book1.xlsx", info=info, rich_text=True)
    assert any(type(c.value).__name__ == "CellRichText" for row in cell["Sheet2"].iter_rows()
               for c in row)


# ----------------------------------------------------------------------------- building packages

def make_workbook() -> bytes:
    """A workbook openpyxl wrote itself, with what a journey workbook uses."""
    wb = openpyxl.Workbook()
    targets = wb.active
    targets.title = "Targets"
    targets.append(["Metric", "Target", "Owner"])
    targets.append(["NRR", 1.1, "Ana"])
    targets["B2"].number_format = "0%"
    targets.merge_cells("A4:C4")
    targets.freeze_panes = "A2"
    dv = DataValidation(type="list", formula1='"Ana,Bo"', allow_blank=True)
    dv.add("C2:C20")
    targets.add_data_validation(dv)
    targets.add_table(Table(displayName="tblTargets", ref="A1:C2"))
    plan = wb.create_sheet("Plan")
    plan.append(["Milestone", "Status"])
    plan.append(["Kick-off", "Done"])
    lists = wb.create_sheet("Lists")
    lists.sheet_state = "hidden"
    for status in ("Done", "Late", "Open"):
        lists.append([status])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rebuild(data: bytes, changes: dict, rename=None) -> bytes:
    """Copy a package, replacing parts (bytes or a function of the old bytes; None deletes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w",
                                                                   zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            new = changes.get(info.filename, src.read(info.filename))
            if callable(new):
                new = new(src.read(info.filename))
            if new is not None:
                dst.writestr(rename(info.filename) if rename else info.filename, new)
        for name, new in changes.items():
            if name not in src.namelist() and not callable(new) and new is not None:
                dst.writestr(name, new)
    return out.getvalue()


def insert(before: bytes, text: str):
    return lambda data: data.replace(before, text.encode() + before, 1)


def write(tmp_path: Path, data: bytes, name="book.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


XDR = 'xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" ' \
      'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'


def shape(n: int, name: str) -> str:
    return (f'<xdr:twoCellAnchor><xdr:from><xdr:col>4</xdr:col><xdr:colOff>0</xdr:colOff>'
            f'<xdr:row>{n}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>6'
            f'</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{n + 2}</xdr:row><xdr:rowOff>0'
            f'</xdr:rowOff></xdr:to><xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr '
            f'id="{n + 2}" name="{name}"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr><xdr:spPr>'
            f'<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr><xdr:txBody><a:bodyPr/>'
            f'<a:p><a:r><a:t>Note {n}</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/>'
            f'</xdr:twoCellAnchor>')


def with_user_content(data: bytes) -> bytes:
    """Add what users add in Excel: two text boxes on Targets, a cross-sheet (x14) drop-down
    and a threaded comment on Plan."""
    ct = "application/vnd.openxmlformats-officedocument."
    x14 = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http://schemas.'
           'microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations count="1" xmlns:'
           'xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:dataValidation type='
           '"list" allowBlank="1"><x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f></x14:formula1>'
           '<xm:sqref>B2:B20</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>')
    threaded = ('<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
                'threadedcomments"><threadedComment ref="B2" dT="2026-03-01T10:00:00.00" personId='
                '"{00000000-0000-0000-0000-000000000001}" '
                'id="{00000000-0000-0000-0000-00000000000A}">'
                '<text>Is this late?</text></threadedComment></ThreadedComments>')
    persons = ('<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
               'threadedcomments"><person displayName="Ana" id="{00000000-0000-0000-0000-'
               '000000000001}" providerId="None"/></personList>')
    return rebuild(data, {
        "xl/worksheets/sheet1.xml": insert(b"</worksheet>",
                                           f'<drawing xmlns:r="{REL}" r:id="rIdD"/>'),
        "xl/worksheets/_rels/sheet1.xml.rels": insert(
            b"</Relationships>", f'<Relationship Id="rIdD" Type="{REL}/drawing" '
                                 'Target="../drawings/drawing1.xml"/>'),
        "xl/drawings/drawing1.xml": f'<xdr:wsDr {XDR}>{shape(3, "TextBox 1")}'
                                    f'{shape(7, "Arrow note")}</xdr:wsDr>'.encode(),
        "xl/worksheets/sheet2.xml": insert(b"</worksheet>", x14),
        "xl/worksheets/_rels/sheet2.xml.rels": (
            f'{RELS}<Relationship Id="rIdT" Type="http://schemas.microsoft.com/office/2017/10/'
            'relationships/threadedComment" Target="../threadedComments/threadedComment1.xml"/>'
            "</Relationships>").encode(),
        "xl/threadedComments/threadedComment1.xml": threaded.encode(),
        "xl/persons/person.xml": persons.encode(),
        "xl/_rels/workbook.xml.rels": insert(
            b"</Relationships>", '<Relationship Id="rIdP" Type="http://schemas.microsoft.com/'
                                 'office/2017/10/relationships/person" '
                                 'Target="persons/person.xml"/>'),
        "[Content_Types].xml": insert(
            b"</Types>", f'<Override PartName="/xl/drawings/drawing1.xml" ContentType="{ct}'
                         'drawing+xml"/><Override PartName="/xl/threadedComments/threadedComment1.'
                         'xml" ContentType="application/vnd.ms-excel.threadedcomments+xml"/>'
                         '<Override PartName="/xl/persons/person.xml" ContentType="application/'
                         'vnd.ms-excel.person+xml"/>'),
    })


# ----------------------------------------------------------------------------- at-risk parts

def test_a_workbook_openpyxl_wrote_has_nothing_at_risk(tmp_path):
    info = inspect_package(write(tmp_path, make_workbook()))
    assert [(s.name, s.state, s.kind) for s in info.sheets] == [
        ("Targets", "visible", "worksheet"), ("Plan", "visible", "worksheet"),
        ("Lists", "hidden", "worksheet")]
    assert info.at_risk == () and info.repairs == ()
    assert describe(parts_openpyxl_would_drop(info)) == ""
    ensure_nothing_lost(info)


def test_user_content_is_reported_per_sheet_and_really_dropped(tmp_path):
    path = write(tmp_path, with_user_content(make_workbook()))
    info = inspect_package(path)
    assert sorted((p.kind, p.sheet, p.part, p.fate, p.count) for p in info.at_risk) == [
        ("shape", "Targets", "xl/drawings/drawing1.xml", "dropped", 2),
        ("threaded-comment", "Plan", "xl/threadedComments/threadedComment1.xml", "dropped", 1),
        ("threaded-comment-authors", None, "xl/persons/person.xml", "dropped", 1),
        ("x14-data-validation", "Plan", "xl/worksheets/sheet2.xml", "dropped", 1)]
    shape_part = next(p for p in info.at_risk if p.kind == "shape")
    assert shape_part.detail == "TextBox 1, Arrow note"
    assert "B2:B20" in next(p for p in info.at_risk if p.kind == "x14-data-validation").detail
    # What openpyxl really does with them:
    saved = tmp_path / "saved.xlsx"
    load_safely(path, info=info).save(saved)
    assert inspect_package(saved).at_risk == ()
    with zipfile.ZipFile(saved) as z:
        assert not [n for n in z.namelist() if "drawing" in n or "threaded" in n or "person" in n]
        assert b"x14:dataValidation" not in z.read("xl/worksheets/sheet2.xml")


def test_describe_and_ensure_nothing_lost(tmp_path):
    info = inspect_package(write(tmp_path, with_user_content(make_workbook())))
    message = describe(parts_openpyxl_would_drop(info))
    assert message.startswith("Refusing to save: saving would drop ")
    assert "2 shapes on sheet 'Targets' (xl/drawings/drawing1.xml)" in message
    assert "1 cross-sheet drop-down on sheet 'Plan' (xl/worksheets/sheet2.xml)" in message
    assert "1 threaded comment on sheet 'Plan'" in message
    assert "1 list of comment authors in the workbook (xl/persons/person.xml)" in message
    assert "Nothing was written." in message and "a sheet the product does not rewrite" in message
    with pytest.raises(WouldLoseContent) as caught:
        ensure_nothing_lost(info)
    assert str(caught.value) == message and len(caught.value.parts) == 4
    assert isinstance(caught.value, JourneyError)


def test_describe_exact_wording_with_damage():
    parts = [AtRiskPart("shape", "Targets", "xl/drawings/drawing1.xml", "", "dropped", 2),
             AtRiskPart("chart", "Plan", "xl/charts/chart1.xml", "", "damaged"),
             AtRiskPart("pivot-table", "Plan", "xl/pivotTables/pivotTable1.xml", "", "kept")]
    assert describe(parts) == (
        "Refusing to save: saving would drop 2 shapes on sheet 'Targets' "
        "(xl/drawings/drawing1.xml); it would also damage 1 chart on sheet 'Plan' "
        "(xl/charts/chart1.xml). Nothing was written. Move them to a sheet the product does not "
        "rewrite, or remove them in Excel, then run the command again.")
    assert describe(parts[2:]) == ""


def test_sheets_filter_keeps_workbook_level_parts(tmp_path):
    info = inspect_package(write(tmp_path, with_user_content(make_workbook())))
    assert rows(parts_openpyxl_would_drop(info, sheets=["Targets"])) == [
        ("shape", "Targets", "dropped", 2), ("threaded-comment-authors", None, "dropped", 1)]
    with pytest.raises(ValueError, match="'Nope'"):
        parts_openpyxl_would_drop(info, sheets=["Nope"])


def test_wmf_pictures_are_dropped_and_png_kept(tmp_path):
    png = io.BytesIO()
    from PIL import Image as PILImage  # Pillow is what openpyxl needs to keep pictures
    PILImage.new("RGB", (2, 2)).save(png, "PNG")

    def pic(n, rid):
        return (f'<xdr:oneCellAnchor><xdr:from><xdr:col>0</xdr:col><xdr:colOff>0</xdr:colOff>'
                f'<xdr:row>{n}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="9" '
                f'cy="9"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="{n + 1}" name="Picture {n}"/>'
                f'<xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill><a:blip xmlns:r="{REL}" r:embed='
                f'"{rid}"/></xdr:blipFill><xdr:spPr/></xdr:pic><xdr:clientData/>'
                f'</xdr:oneCellAnchor>')
    data = rebuild(make_workbook(), {
        "xl/worksheets/sheet2.xml": insert(b"</worksheet>",
                                           f'<drawing xmlns:r="{REL}" r:id="rId1"/>'),
        "xl/worksheets/_rels/sheet2.xml.rels": (
            f'{RELS}<Relationship Id="rId1" Type="{REL}/drawing" '
            'Target="../drawings/drawing1.xml"/></Relationships>'),
        "xl/drawings/drawing1.xml": f'<xdr:wsDr {XDR}>{pic(1, "rA")}{pic(5, "rB")}</xdr:wsDr>',
        "xl/drawings/_rels/drawing1.xml.rels": (
            f'{RELS}<Relationship Id="rA" Type="{REL}/image" Target="../media/image1.png"/>'
            f'<Relationship Id="rB" Type="{REL}/image" Target="../media/image2.wmf"/>'
            "</Relationships>"),
        "xl/media/image1.png": png.getvalue(),
        "xl/media/image2.wmf": b"\xd7\xcd\xc6\x9a" + bytes(40),
    })
    info = inspect_package(write(tmp_path, data))
    assert sorted((p.kind, p.sheet, p.part, p.fate) for p in info.at_risk) == [
        ("image", "Plan", "xl/media/image1.png", "kept"),
        ("image", "Plan", "xl/media/image2.wmf", "dropped")]


def test_form_controls_in_vml_follow_keep_vba(tmp_path):
    vml = (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:x="urn:schemas-microsoft-com:'
           b'office:excel"><v:shape id="_x0000_s1025"><x:ClientData ObjectType="Button">'
           b'<x:FmlaMacro>[0]!Refresh</x:FmlaMacro></x:ClientData></v:shape></xml>')
    data = rebuild(make_workbook(), {
        "xl/worksheets/sheet1.xml": insert(b"<tableParts", f'<legacyDrawing xmlns:r="{REL}" '
                                                           'r:id="rIdV"/>'),
        "xl/worksheets/_rels/sheet1.xml.rels": insert(
            b"</Relationships>", f'<Relationship Id="rIdV" Type="{REL}/vmlDrawing" '
                                 'Target="../drawings/vmlDrawing1.vml"/>'),
        "xl/drawings/vmlDrawing1.vml": vml,
    })
    info = inspect_package(write(tmp_path, data))
    assert rows(info.at_risk) == [("form-control", "Targets", "dropped", 1)]  # .xlsx: no keep_vba
    assert rows(parts_openpyxl_would_drop(info, keep_vba=True)) == [
        ("form-control", "Targets", "damaged", 1)]


X14 = 'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"'
XM = 'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"'
SHEET_ADDITIONS = {
    "sparkline": f'<extLst><ext uri="{{05C60535-1F16-4fd2-B633-F4F36F0B64E0}}" {X14}>'
                 f'<x14:sparklineGroups {XM}><x14:sparklineGroup><x14:sparklines><x14:sparkline>'
                 '<xm:f>Plan!A1:B1</xm:f><xm:sqref>C1</xm:sqref></x14:sparkline></x14:sparklines>'
                 '</x14:sparklineGroup></x14:sparklineGroups></ext></extLst>',
    "extension": '<extLst><ext uri="{00000000-1111-2222-3333-444444444444}"><x/></ext></extLst>',
    "protected-range": '<protectedRanges><protectedRange name="Inputs" sqref="B2:B9"/>'
                       '</protectedRanges>',
    "ignored-errors": '<ignoredErrors><ignoredError sqref="A1:A9" numberStoredAsText="1"/>'
                      '</ignoredErrors>',
    "ole-object": '<oleObjects><oleObject progId="Package" shapeId="1025"/></oleObjects>',
    "header-footer-image": f'<legacyDrawingHF xmlns:r="{REL}" r:id="rIdHF"/>',
    "web-publishing": '<webPublishItems count="1"><webPublishItem id="1" divId="d" '
                      'sourceType="sheet" destinationFile="x.htm"/></webPublishItems>',
}


@pytest.mark.parametrize("kind", sorted(SHEET_ADDITIONS))
def test_sheet_content_openpyxl_drops_is_named_and_really_dropped(tmp_path, kind):
    data = rebuild(make_workbook(), {
        "xl/worksheets/sheet2.xml": insert(b"</worksheet>", SHEET_ADDITIONS[kind]),
        "xl/worksheets/_rels/sheet2.xml.rels": f'{RELS}<Relationship Id="rIdHF" Type="{REL}/'
                                               'vmlDrawing" Target="../drawings/vmlDrawing9.vml"/>'
                                               '</Relationships>',
        "xl/drawings/vmlDrawing9.vml": b'<xml xmlns:v="urn:schemas-microsoft-com:vml"/>'})
    path = write(tmp_path, data)
    info = inspect_package(path)
    assert rows(info.at_risk) == [(kind, "Plan", "dropped", 1)]
    saved = tmp_path / "saved.xlsx"
    load_safely(path, info=info).save(saved)
    assert inspect_package(saved).at_risk == ()


def test_dynamic_array_cells_are_counted(tmp_path):
    data = rebuild(make_workbook(), {"xl/worksheets/sheet2.xml": lambda d: d.replace(
        b'<c r="A2" t="inlineStr">', b'<c r="A2" t="inlineStr" cm="1">')})
    info = inspect_package(write(tmp_path, data))
    assert rows(info.at_risk) == [("dynamic-array", "Plan", "dropped", 1)]


def test_custom_ribbons(tmp_path):
    ui = "http://schemas.microsoft.com/office/{}/relationships/ui/extensibility"
    ribbon = b'<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui"/>'
    data = rebuild(make_workbook(), {
        "_rels/.rels": insert(b"</Relationships>", (
            f'<Relationship Id="rU1" Type="{ui.format(2006)}" Target="customUI/customUI.xml"/>'
            f'<Relationship Id="rU2" Type="{ui.format(2007)}" Target="customUI/customUI14.xml"/>')),
        "customUI/customUI.xml": ribbon, "customUI/customUI14.xml": ribbon})
    path = write(tmp_path, data, "book.xlsm")
    info = inspect_package(path)
    assert rows(info.at_risk) == [("custom-ribbon", None, "dropped", 1),
                                  ("custom-ribbon-2010", None, "dropped", 1)]
    # keep_vba keeps the 2006 ribbon and its relationship, not the 2010 one's relationship.
    assert rows(parts_openpyxl_would_drop(info, keep_vba=True)) == [
        ("custom-ribbon", None, "kept", 1), ("custom-ribbon-2010", None, "dropped", 1)]
    saved = tmp_path / "saved.xlsm"
    load_safely(path, info=info, keep_vba=True).save(saved)
    assert rows(inspect_package(saved).at_risk) == [("custom-ribbon", None, "kept", 1)]


def test_external_links_are_kept(tmp_path):
    link = (f'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:r="{REL}"><externalBook r:id="rId1"><sheetNames><sheetName val="Data"/>'
            '</sheetNames></externalBook></externalLink>')
    data = rebuild(make_workbook(), {
        "xl/externalLinks/externalLink1.xml": link.encode(),
        "xl/externalLinks/_rels/externalLink1.xml.rels": (
            f'{RELS}<Relationship Id="rId1" Type="{REL}/externalLinkPath" Target="other.xlsx" '
            'TargetMode="External"/></Relationships>').encode(),
        "xl/_rels/workbook.xml.rels": insert(b"</Relationships>", (
            f'<Relationship Id="rIdX" Type="{REL}/externalLink" '
            'Target="externalLinks/externalLink1.xml"/>')),
        "xl/workbook.xml": insert(b"</workbook>", f'<externalReferences xmlns:r="{REL}">'
                                                  '<externalReference r:id="rIdX"/>'
                                                  "</externalReferences>"),
        "[Content_Types].xml": insert(b"</Types>", (
            '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/>'))})
    path = write(tmp_path, data)
    info = inspect_package(path)
    assert rows(info.at_risk) == [("external-link", None, "kept", 1)]
    saved = tmp_path / "saved.xlsx"
    load_safely(path, info=info).save(saved)
    assert rows(inspect_package(saved).at_risk) == [("external-link", None, "kept", 1)]


# ----------------------------------------------------------------------------- hostile packages

def zeros_deflate(mebibytes: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of `mebibytes` MiB of zeros, built from one compressed MiB
    repeated (a full flush makes every block independent), so it costs ~1 MiB of work."""
    zeros = bytes(1 << 20)
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = block.compress(zeros) + block.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    return chunk * mebibytes + b"\x03\x00", crc, mebibytes << 20


def raw_zip(entries) -> bytes:
    """A zip from (name, deflated bytes, crc, size) entries, written by hand."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in entries:
        offset = out.tell()
        out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), size,
                              len(name), 0) + name.encode() + data)
        central.write(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data),
                                  size, len(name), 0, 0, 0, 0, 0, offset) + name.encode())
    cd = central.getvalue()
    count = len(entries)
    return out.getvalue() + cd + struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, count, count,
                                             len(cd), out.tell(), 0)


def deflated_parts(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            raw = z.read(info.filename)
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            yield info.filename, c.compress(raw) + c.flush(), zlib.crc32(raw), len(raw)


@pytest.fixture
def forbid_decompression(monkeypatch):
    """Call it once the test file is built: from then on, opening any zip member fails."""
    def refuse(*args, **kwargs):
        raise AssertionError("a part was decompressed")
    return lambda: monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


def test_zeros_deflate_builds_a_valid_stream():
    data, crc, size = zeros_deflate(3)
    with zipfile.ZipFile(io.BytesIO(raw_zip([("zeros.bin", data, crc, size)]))) as z:
        assert z.read("zeros.bin") == bytes(3 << 20)


def test_zip_bomb_of_one_gibibyte_is_refused_without_decompressing(tmp_path, forbid_decompression):
    bomb = zeros_deflate(1024)
    data = raw_zip(list(deflated_parts(make_workbook())) + [("xl/media/zeros.bin", *bomb)])
    path = write(tmp_path, data)
    assert path.stat().st_size < 2 << 20
    forbid_decompression()
    started = time.perf_counter()
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(path)
    assert time.perf_counter() - started < 1.0
    assert caught.value.code == "too-large" and "Nothing was decompressed" in caught.value.message


def test_high_ratio_part_under_the_size_limit_is_a_zip_bomb(tmp_path, forbid_decompression):
    data = raw_zip(list(deflated_parts(make_workbook()))
                   + [("xl/worksheets/sheet9.xml", *zeros_deflate(64))])
    forbid_decompression()
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, data))
    assert caught.value.code == "zip-bomb" and caught.value.part == "xl/worksheets/sheet9.xml"


def test_forged_sizes_in_the_central_directory_are_believed_and_refused(tmp_path,
                                                                         forbid_decompression):
    entries = [(n, d, c, s if n != "xl/styles.xml" else 1 << 30)
               for n, d, c, s in deflated_parts(make_workbook())]
    forbid_decompression()
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, raw_zip(entries)))
    assert caught.value.code in ("too-large", "zip-bomb")


def test_too_many_parts_is_refused_from_the_end_record(tmp_path, forbid_decompression):
    out = io.BytesIO(make_workbook())
    with zipfile.ZipFile(out, "a") as z:
        for i in range(package.MAX_PARTS + 1):
            z.writestr(f"customXml/x{i}.xml", b"")
    path = write(tmp_path, out.getvalue())
    forbid_decompression()
    started = time.perf_counter()
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(path)
    assert caught.value.code == "too-many-parts" and time.perf_counter() - started < 1.0


def test_merge_over_the_whole_grid_is_refused(tmp_path):
    data = rebuild(make_workbook(), {"xl/worksheets/sheet1.xml": lambda d: d.replace(
        b'<mergeCell ref="A4:C4" />', b'<mergeCell ref="A4:XFD1048576" />')})
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, data))
    assert caught.value.code == "too-large" and "'Targets'" in caught.value.message


def cfb(stream_names) -> bytes:
    """A minimal Compound File (MS-CFB v3): header, one FAT sector, one directory sector,
    empty streams. A structural stand-in for Office's encrypted package or a .xls: only the
    directory matters to the gate."""
    free, end, fat_sect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = struct.pack("<8s16s6H6I", bytes.fromhex("D0CF11E0A1B11AE1"), bytes(16), 0x3E, 3,
                         0xFFFE, 9, 6, 0, 0, 0, 1, 1, 0, 4096)  # ... FAT sectors 1, directory at 1
    header += struct.pack("<4I", end, 0, end, 0) + struct.pack("<109I", 0, *[free] * 108)
    fat = struct.pack("<128I", fat_sect, end, *[free] * 126)  # sector 0: FAT, sector 1: directory
    names = ["Root Entry", *stream_names]
    entries = b""
    for i, name in enumerate(names):
        encoded = (name + "\0").encode("utf-16-le")
        kind, child = (5, 1) if i == 0 else (2, nostream)
        right = i + 1 if 0 < i < len(names) - 1 else nostream
        entries += struct.pack("<64sHBB3I16sI2QIQ", encoded, len(encoded), kind, 1, nostream,
                               right, child, bytes(16), 0, 0, 0, end, 0)
    directory = entries.ljust(512, b"\0")
    return header + fat + directory


def test_forged_cfb_stand_ins_are_valid_compound_files(tmp_path):
    import olefile  # installed with oletools (test extra)
    path = write(tmp_path, cfb(["EncryptionInfo", "EncryptedPackage"]))
    assert sorted(olefile.OleFileIO(str(path)).listdir()) == [["EncryptedPackage"],
                                                              ["EncryptionInfo"]]


def test_encrypted_workbook_stand_in_is_refused_with_the_fix(tmp_path):
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, cfb(["EncryptionInfo", "EncryptedPackage"])))
    assert caught.value.code == "encrypted"
    assert "Encrypt with Password" in caught.value.hint


def test_really_encrypted_workbook_is_refused(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile  # installed with oletools (test extra)
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(make_workbook())).encrypt("secret", encrypted)
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, encrypted.getvalue()))
    assert caught.value.code == "encrypted"


def test_legacy_xls_stand_in_is_refused_with_save_as(tmp_path):
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, cfb(["Workbook", "\x05SummaryInformation"]), "old.xls"))
    assert caught.value.code == "legacy-xls" and "*.xlsx" in caught.value.hint
    assert "old.xls" in caught.value.message


@pytest.mark.parametrize("content, code", [
    (None, "not-found"),
    (b"", "not-a-workbook"),
    (b"Metric,Target\nNRR,110%\n", "not-a-workbook"),
    (b"<html><body><table></table></body></html>", "not-a-workbook"),
])
def test_not_a_workbook(tmp_path, content, code):
    path = tmp_path / "book.xlsx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(path)
    assert caught.value.code == code and caught.value.hint
    with pytest.raises(UnreadableWorkbook):
        load_safely(path)


def test_folder_is_not_a_workbook(tmp_path):
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(tmp_path)
    assert caught.value.code == "not-a-workbook"


def test_cut_short_download_is_truncated(tmp_path):
    data = make_workbook()
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, data[: len(data) // 2]))
    assert caught.value.code == "truncated"


def test_damaged_part_is_corrupt_zip(tmp_path):
    data = bytearray(raw_zip(list(deflated_parts(make_workbook()))))
    at = data.find(b"xl/styles.xml") + len("xl/styles.xml") + 20  # inside the deflated data
    data[at] ^= 0xFF
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, bytes(data)))
    assert caught.value.code in ("corrupt-zip", "malformed-xml")


@pytest.mark.parametrize("prolog", [
    '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaa">]>',
    '<?xml version="1.0"?><!-- harmless --><!DOCTYPE worksheet SYSTEM "http://example.com/x">',
])
def test_doctype_in_any_part_is_refused_before_parsing(tmp_path, prolog):
    data = rebuild(make_workbook(), {"xl/worksheets/sheet2.xml": lambda d: prolog.encode() + d})
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, data))
    assert caught.value.code == "xml-entities" and caught.value.part == "xl/worksheets/sheet2.xml"


def test_utf16_doctype_is_refused(tmp_path):
    bomb = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    data = rebuild(make_workbook(), {"customXml/item1.xml": "\ufeff".encode("utf-16-le")
                                     + bomb.encode("utf-16-le")})
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, data))
    assert caught.value.code == "xml-entities"


def test_malformed_styles_are_named(tmp_path):
    data = rebuild(make_workbook(), {"xl/styles.xml": lambda d: d.replace(b"</fonts>", b"</font>")})
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, data))
    assert caught.value.code == "malformed-xml" and caught.value.part == "xl/styles.xml"
    assert "xl/styles.xml" in caught.value.message and "line 1" in caught.value.message


def test_missing_sheet_part_is_refused_not_read_as_nothing(tmp_path):
    data = rebuild(make_workbook(), {"xl/worksheets/sheet2.xml": None})
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, data))
    assert caught.value.code == "missing-part" and "'Plan'" in caught.value.message


def test_word_document_is_not_a_workbook(tmp_path):
    data = rebuild(make_workbook(), {"[Content_Types].xml": lambda d: d.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")})
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, data))
    assert caught.value.code == "not-a-workbook" and "Word document" in caught.value.message


def test_backslash_part_names_are_read_as_slashes(tmp_path):
    data = rebuild(make_workbook(), {}, rename=lambda n: n.replace("/", "\\"))
    path = write(tmp_path, data)
    with pytest.raises(KeyError):  # openpyxl on Linux finds no part (Windows' zipfile would)
        openpyxl.load_workbook(path)
    info = inspect_package(path)
    assert ("backslash-names", "*") in info.repairs
    assert "xl/worksheets/sheet1.xml" in info.parts
    wb = load_safely(path, info=info)
    assert wb.sheetnames == ["Targets", "Plan", "Lists"] and wb["Targets"]["B2"].value == 1.1


def test_names_that_collide_after_normalising_are_refused(tmp_path):
    data = rebuild(make_workbook(), {"xl\\styles.xml": b"<styleSheet/>"})
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, data))
    assert caught.value.code == "bad-part-name"


def test_parent_segments_in_part_names_are_refused(tmp_path):
    data = rebuild(make_workbook(), {"xl/../../evil.xml": b"<x/>"})
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect_package(write(tmp_path, data))
    assert caught.value.code == "bad-part-name"


def test_xlsx_exported_under_an_xls_name_is_read(tmp_path):
    path = write(tmp_path, make_workbook(), "export.xls")
    assert load_safely(path).sheetnames == ["Targets", "Plan", "Lists"]


def test_load_safely_read_only_sees_the_same_sheets(tmp_path):
    path = write(tmp_path, make_workbook())
    wb = load_safely(path, read_only=True)
    assert wb.sheetnames == ["Targets", "Plan", "Lists"]
    wb.close()
