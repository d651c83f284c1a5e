"""What openpyxl drops is put back on save (preserve.py): each preserved kind, taken from a real
workbook (the shared corpus) or injected into one, survives FileBook.save after a cell edit,
the package stays valid (openpyxl reads it, LibreOffice opens and re-saves it with the content),
and the self-check refuses a splice that lost something, leaving the file as it was."""
from __future__ import annotations

import io
import posixpath
import re
import subprocess
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml.ElementTree import fromstring

from conftest import need_soffice
from journey_workbook.book import preserve
from journey_workbook.book.filebook import FileBook, backup_path
from journey_workbook.book.package import (
    AtRiskPart, describe, describe_preserved, ensure_nothing_lost, inspect_package,
    parts_openpyxl_would_drop)
from journey_workbook.errors import WouldLoseContent

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
TC = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
RELS = f'<Relationships xmlns="{PKG}">'
THREADED_TYPE = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
PERSON_TYPE = "http://schemas.microsoft.com/office/2017/10/relationships/person"


# ----------------------------------------------------------------------------- helpers

def read_parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def rebuild(data: bytes, changes: dict) -> bytes:
    """Copy a package, replacing parts (bytes, or a function of the old bytes; None deletes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w",
                                                                   zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            new = changes.get(name, src.read(name))
            if callable(new):
                new = new(src.read(name))
            if new is not None:
                dst.writestr(name, new)
        for name, new in changes.items():
            if name not in src.namelist() and new is not None and not callable(new):
                dst.writestr(name, new)
    return out.getvalue()


def insert_before(marker: bytes, text: str):
    def change(data: bytes) -> bytes:
        assert marker in data, marker
        return data.replace(marker, text.encode() + marker, 1)
    return change


def sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> part, through the workbook and its relationships."""
    office = next(el for el in fromstring(parts["_rels/.rels"]) if el.get("Type").endswith(
        "/officeDocument"))
    wb_part = office.get("Target").lstrip("/")
    folder = wb_part.rpartition("/")[0]
    rels_name = f"{folder}/_rels/{wb_part.rpartition('/')[2]}.rels"
    rels = {el.get("Id"): el.get("Target") for el in fromstring(parts[rels_name])}
    out = {}
    for el in fromstring(parts[wb_part]).iter(f"{{{MAIN}}}sheet"):
        target = rels[el.get(f"{{{REL}}}id")]
        out[el.get("name")] = target.lstrip("/") if target.startswith("/") else (
            f"{folder}/{target}")
    return out


def related(parts, source: str, rtype: str) -> list[str]:
    """Targets (part names) of ``source``'s relationships of type ``rtype``."""
    folder, _, base = source.rpartition("/")
    rels = parts.get(f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels")
    if rels is None:
        return []
    found = []
    for el in fromstring(rels):
        if el.get("Type") == rtype:
            target = el.get("Target")
            found.append(target.lstrip("/") if target.startswith("/") else
                         posixpath.normpath(posixpath.join(folder, target)))
    return found


def children(sheet_xml: bytes) -> list[str]:
    return [el.tag.rpartition("}")[2] for el in fromstring(sheet_xml)]


def in_schema_order(sheet_xml: bytes) -> bool:
    order = [preserve.WORKSHEET_ORDER.index(c) for c in children(sheet_xml)]
    return order == sorted(order)


def content_type(parts, name: str) -> str | None:
    root = fromstring(parts["[Content_Types].xml"])
    for el in root:
        if el.get("PartName", "").lower() == "/" + name.lower():
            return el.get("ContentType")
    ext = name.rpartition(".")[2].lower()
    return next((el.get("ContentType") for el in root if el.get("Extension", "").lower() == ext),
                None)


def edit_and_save(src, tmp_path: Path, name: str | None = None, data: bytes | None = None) -> Path:
    """Copy the workbook, open it with FileBook, change a cell, save; returns the path."""
    path = tmp_path / (name or Path(src).name)
    path.write_bytes(data if data is not None else Path(src).read_bytes())
    book = FileBook.open(path)
    book.wb.worksheets[0]["AA100"] = "edited"
    book.save()
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    with warnings.catch_warnings():  # openpyxl warns about the extensions it cannot read
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)  # the package stays valid for openpyxl
    assert wb.worksheets[0]["AA100"].value == "edited"
    return path


def libreoffice_resave(paths: list[Path], tmp_path: Path) -> dict[str, dict[str, bytes]]:
    """Open each file in LibreOffice and save it again as .xlsx; returns the new packages."""
    exe = need_soffice()
    outdir, profile = tmp_path / "lo", tmp_path / "lo-profile"
    proc = subprocess.run([exe, f"-env:UserInstallation={profile.resolve().as_uri()}",
                           "--headless", "--norestore", "--convert-to", "xlsx", "--outdir",
                           str(outdir), *map(str, paths)],
                          capture_output=True, text=True, timeout=300)
    found = {}
    for path in paths:
        out = outdir / (path.stem + ".xlsx")
        assert out.exists(), f"LibreOffice did not open {path.name}: {proc.stdout} {proc.stderr}"
        found[path.name] = read_parts(out)
    return found


def x14_validations(sheet_xml: bytes) -> list[tuple[str, str]]:
    """(formula, sqref) of each Excel 2010 data validation on the sheet."""
    root = fromstring(sheet_xml)
    return [(dv.find(f"{{{X14}}}formula1/{{{XM}}}f").text, dv.find(f"{{{XM}}}sqref").text)
            for dv in root.iter(f"{{{X14}}}dataValidation")]


def any_validations(sheet_xml: bytes) -> list[tuple[str, str]]:
    """(formula, sqref) of every data validation, classic or Excel 2010 (LibreOffice writes
    cross-sheet lists as classic ones)."""
    classic = [(dv.find(f"{{{MAIN}}}formula1").text, dv.get("sqref"))
               for dv in fromstring(sheet_xml).iter(f"{{{MAIN}}}dataValidation")]
    return classic + x14_validations(sheet_xml)


def threads(xml: bytes) -> list[tuple[str, str]]:
    return [(el.get("ref"), el.find(f"{{{TC}}}text").text)
            for el in fromstring(xml).iter(f"{{{TC}}}threadedComment")]


def notes(parts, sheet_part: str) -> dict[str, str]:
    """Legacy comments of a sheet: cell -> text."""
    found = {}
    for part in related(parts, sheet_part, f"{REL}/comments"):
        for el in fromstring(parts[part]).iter(f"{{{MAIN}}}comment"):
            found[el.get("ref")] = "".join(t.text or "" for t in el.iter(f"{{{MAIN}}}t"))
    return found


# ----------------------------------------------------------------------------- the policy

def test_spliced_fates_mark_what_the_save_puts_back():
    info = inspect_package(CORPUS / "sheetjs__threaded_comments_none.xlsx")
    plain = parts_openpyxl_would_drop(info, rich_text=True)
    spliced = parts_openpyxl_would_drop(info, rich_text=True, spliced=True)
    assert sorted((p.kind, p.fate) for p in plain) == [
        ("comment", "damaged"), ("threaded-comment", "dropped"),
        ("threaded-comment-authors", "dropped")]
    assert sorted((p.kind, p.fate) for p in spliced) == [
        ("comment", "damaged"), ("threaded-comment", "preserved"),
        ("threaded-comment-authors", "preserved")]
    ensure_nothing_lost(info, rich_text=True, allow={"comment"}, spliced=True)
    with pytest.raises(WouldLoseContent):
        ensure_nothing_lost(info, rich_text=True, allow={"comment"})


def test_describe_names_what_is_preserved_apart_from_what_blocks():
    parts = [AtRiskPart("shape", "Targets", "xl/drawings/drawing1.xml", "", "dropped", 2),
             AtRiskPart("x14-data-validation", "Plan", "xl/worksheets/sheet2.xml", "",
                        "preserved")]
    assert describe(parts) == (
        "Refusing to save: saving would drop 2 shapes on sheet 'Targets' "
        "(xl/drawings/drawing1.xml). These would be preserved: 1 cross-sheet drop-down on sheet "
        "'Plan' (xl/worksheets/sheet2.xml). Nothing was written. Move them to a sheet the "
        "product does not rewrite, or remove them in Excel, then run the command again.")
    assert describe(parts[1:]) == ""
    assert describe_preserved(parts) == ("These would be preserved: 1 cross-sheet drop-down on "
                                         "sheet 'Plan' (xl/worksheets/sheet2.xml).")


def test_a_thread_without_its_note_is_not_preserved(tmp_path):
    data = rebuild((CORPUS / "sheetjs__threaded_comments_none.xlsx").read_bytes(), {
        "xl/comments1.xml": lambda d: d.replace(b'ref="E5"', b'ref="A1"')})
    path = tmp_path / "unpaired.xlsx"
    path.write_bytes(data)
    info = inspect_package(path)
    fates = {p.kind: p.fate for p in parts_openpyxl_would_drop(info, spliced=True)}
    assert fates["threaded-comment"] == "dropped"


def test_strict_workbooks_are_never_spliced():
    info = inspect_package(CORPUS / "poi__SimpleStrict.xlsx")
    assert info.is_strict
    assert preserve.mark_preserved(info, [AtRiskPart("ignored-errors", "Sheet1", "x", "",
                                                     "dropped")], False)[0].fate == "dropped"


# ----------------------------------------------------------------------------- preserved kinds

def test_cross_sheet_drop_down_survives_save_and_libreoffice(tmp_path):
    src = CORPUS / "closedxml__ValidationWithSheetReference.xlsx"
    before = x14_validations(read_parts(src)["xl/worksheets/sheet1.xml"])
    assert before == [("ValuesSheet!$A$1:$A$4", "A2")]
    path = edit_and_save(src, tmp_path)
    parts = read_parts(path)
    sheet = sheet_parts(parts)["UI Sheet"]
    assert x14_validations(parts[sheet]) == before
    assert children(parts[sheet])[-1] == "extLst" and in_schema_order(parts[sheet])
    assert ("$E$1:$E$4", "B2") in any_validations(parts[sheet])  # the classic one is kept too
    assert inspect_package(path).at_risk == inspect_package(src).at_risk

    resaved = libreoffice_resave([path], tmp_path)[path.name]
    lo_sheet = sheet_parts(resaved)["UI Sheet"]
    assert ("ValuesSheet!$A$1:$A$4", "A2") in any_validations(resaved[lo_sheet])


@pytest.mark.parametrize("name, sheets", [
    ("sheetjs__threaded_comments_none.xlsx", {"Sheet1": ["E5"]}),
    ("poi__right-to-left.xlsx", {"English": ["A3"], "عربى": ["A3"]}),
])
def test_threaded_comments_survive_save_and_libreoffice(tmp_path, name, sheets):
    src = CORPUS / name
    original = read_parts(src)
    path = edit_and_save(src, tmp_path)
    parts = read_parts(path)
    out_sheets, orig_sheets = sheet_parts(parts), sheet_parts(original)
    for sheet, cells in sheets.items():
        (old,) = related(original, orig_sheets[sheet], THREADED_TYPE)
        (new,) = related(parts, out_sheets[sheet], THREADED_TYPE)
        assert parts[new] == original[old]
        assert sorted({ref for ref, _ in threads(parts[new])}) == cells
        assert content_type(parts, new) == "application/vnd.ms-excel.threadedcomments+xml"
        # Excel shows a thread with its legacy note: openpyxl kept the note at the same cell.
        legacy = notes(parts, out_sheets[sheet])
        assert set(cells) <= set(legacy)
        assert all(legacy[c].startswith("[Threaded comment]") for c in cells)
    wb_part = next(p for p in parts if p.endswith("workbook.xml"))
    (persons,) = related(parts, wb_part, PERSON_TYPE)
    assert parts[persons] == original["xl/persons/person.xml"]
    assert content_type(parts, persons) == "application/vnd.ms-excel.person+xml"

    # LibreOffice has no threaded comments: it opens the file and keeps the thread's text in
    # the note, which is what it shows.
    resaved = libreoffice_resave([path], tmp_path)[path.name]
    lo_sheets = sheet_parts(resaved)
    for sheet, cells in sheets.items():
        lo_notes = notes(resaved, lo_sheets[sheet])
        first = threads(parts[related(parts, out_sheets[sheet], THREADED_TYPE)[0]])[0][1]
        assert all(first.strip() in lo_notes[c] for c in cells)


def _budget_without_drawing() -> bytes:
    """poi's monthly budget without its drawing (a chart and a text box), leaving its 2010 data
    bar: a classic rule whose bound is a name (openpyxl discards it), linked by x14:id to its
    Excel 2010 twin in the sheet's extLst."""
    src = (CORPUS / "poi__simple-monthly-budget.xlsx").read_bytes()
    return rebuild(src, {
        "xl/worksheets/sheet1.xml": lambda d: d.replace(b'<drawing r:id="rId2"/>', b""),
        "xl/worksheets/_rels/sheet1.xml.rels": lambda d: d.replace(
            b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/drawing" Target="../drawings/drawing1.xml"/>', b"")})


def test_excel_2010_data_bar_survives_with_its_classic_rule(tmp_path):
    data = _budget_without_drawing()
    info_parts = [(p.kind, p.fate) for p in parts_openpyxl_would_drop(
        inspect_package(_write(tmp_path / "in.xlsx", data)), spliced=True)]
    assert sorted(info_parts) == [("conditional-formatting", "preserved"),
                                  ("x14-conditional-formatting", "preserved")]
    path = edit_and_save(None, tmp_path, "budget.xlsx", data)
    sheet = read_parts(path)[sheet_parts(read_parts(path))["Simple Monthly Budget"]]
    root = fromstring(sheet)
    (x14_rule,) = root.iter(f"{{{X14}}}cfRule")
    (classic,) = root.iter(f"{{{MAIN}}}cfRule")
    assert x14_rule.get("type") == "dataBar" and classic.get("type") == "dataBar"
    assert classic.find(f"{{{MAIN}}}extLst/{{{MAIN}}}ext/{{{X14}}}id").text == x14_rule.get("id")
    assert in_schema_order(sheet)

    resaved = libreoffice_resave([path], tmp_path)[path.name]
    lo_sheet = resaved[sheet_parts(resaved)["Simple Monthly Budget"]]
    assert list(fromstring(lo_sheet).iter(f"{{{MAIN}}}dataBar"))


NAMED_BOUND = ('<conditionalFormatting sqref="B2:B7"><cfRule type="dataBar" priority="1">'
               '<dataBar><cfvo type="min"/><cfvo type="num" val="TopTarget"/><color '
               'rgb="FF638EC6"/></dataBar></cfRule></conditionalFormatting>')


def test_classic_data_bar_bounded_by_a_name_is_detected_and_put_back(tmp_path):
    # openpyxl reads <cfvo val> as a number: a defined name makes it discard the whole rule.
    data = rebuild(_openpyxl_book(), {"xl/worksheets/sheet1.xml": lambda d: d.replace(
        b"<pageMargins", NAMED_BOUND.encode() + b"<pageMargins", 1)})
    src = _write(tmp_path / "in.xlsx", data)
    info = inspect_package(src)
    assert [(p.kind, p.sheet, p.fate, p.detail) for p in info.at_risk] == [
        ("conditional-formatting", "Targets", "dropped", "conditional formats openpyxl cannot "
         "read (a bound given as a name or formula) in B2:B7")]
    plain = tmp_path / "plain.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        openpyxl.load_workbook(src).save(plain)
    assert b"dataBar" not in read_parts(plain)["xl/worksheets/sheet1.xml"]
    path = edit_and_save(src, tmp_path, "out.xlsx")
    xml = read_parts(path)["xl/worksheets/sheet1.xml"]
    (rule,) = fromstring(xml).iter(f"{{{MAIN}}}cfRule")
    assert [c.get("val") for c in rule.iter(f"{{{MAIN}}}cfvo")] == [None, "TopTarget"]
    assert in_schema_order(xml)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name, sheets", [
    ("poi__no_drawing_patriarch.xlsx", ["Лист 1"]),
    ("sheetjs__wtf_path.xlsx", ["SheetJS", "Hidden"]),  # workbook under wtf/, written to xl/
])
def test_ignored_errors_survive_in_schema_order(tmp_path, name, sheets):
    src = CORPUS / name
    original = read_parts(src)
    path = edit_and_save(src, tmp_path)
    parts = read_parts(path)
    for sheet in sheets:
        old = fromstring(original[sheet_parts(original)[sheet]]).find(f"{{{MAIN}}}ignoredErrors")
        xml = parts[sheet_parts(parts)[sheet]]
        new = fromstring(xml).find(f"{{{MAIN}}}ignoredErrors")
        assert [e.attrib for e in new] == [e.attrib for e in old]
        assert in_schema_order(xml)
    libreoffice_resave([path], tmp_path)  # opens


def test_charts_get_their_original_parts_back(tmp_path):
    src = CORPUS / "openpyxl__contains_chartsheets.xlsx"  # a chart sheet and a sheet's chart
    original = read_parts(src)
    path = edit_and_save(src, tmp_path)
    parts = read_parts(path)
    charts = {n: d for n, d in parts.items() if n.startswith("xl/charts/")}
    assert sorted(charts.values()) == sorted(original[n] for n in original
                                             if n.startswith("xl/charts/"))
    resaved = libreoffice_resave([path], tmp_path)[path.name]
    assert len([n for n in resaved if n.startswith("xl/charts/chart")]) == 2


def test_shapes_drawn_on_a_chart_come_back(tmp_path):
    cdr = "http://schemas.openxmlformats.org/drawingml/2006/chartDrawing"
    user_shapes = (f'<c:userShapes xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/'
                   f'chart" xmlns:cdr="{cdr}"><cdr:relSizeAnchor><cdr:from><cdr:x>0.1</cdr:x>'
                   '<cdr:y>0.1</cdr:y></cdr:from><cdr:to><cdr:x>0.4</cdr:x><cdr:y>0.2</cdr:y>'
                   '</cdr:to><cdr:sp macro="" textlink=""><cdr:nvSpPr><cdr:cNvPr id="2" '
                   'name="TextBox 1"/><cdr:cNvSpPr txBox="1"/></cdr:nvSpPr><cdr:spPr/>'
                   '<cdr:txBody><a:bodyPr xmlns:a="http://schemas.openxmlformats.org/drawingml/'
                   '2006/main"/></cdr:txBody></cdr:sp></cdr:relSizeAnchor></c:userShapes>')
    data = rebuild((CORPUS / "openpyxl__contains_chartsheets.xlsx").read_bytes(), {
        "xl/charts/chart2.xml": lambda d: d.replace(
            b"</c:chartSpace>", f'<c:userShapes xmlns:r="{REL}" r:id="rIdU"/>'
                                f'</c:chartSpace>'.encode()),
        "xl/charts/_rels/chart2.xml.rels": f'{RELS}<Relationship Id="rIdU" Type="{REL}/'
                                           'chartUserShapes" Target="../drawings/drawing9.xml"/>'
                                           '</Relationships>',
        "xl/drawings/drawing9.xml": user_shapes,
        "[Content_Types].xml": insert_before(b"</Types>", (
            '<Override PartName="/xl/drawings/drawing9.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.drawingml.chartshapes+xml"/>'))})
    src = _write(tmp_path / "in.xlsx", data)
    assert ("chart-shape", "preserved") in [(p.kind, p.fate) for p in parts_openpyxl_would_drop(
        inspect_package(src), spliced=True)]
    path = edit_and_save(src, tmp_path, "out.xlsx")
    parts = read_parts(path)
    (chart,) = [n for n, d in parts.items() if b"c:userShapes" in d and n.startswith("xl/charts")]
    (shapes,) = related(parts, chart, f"{REL}/chartUserShapes")
    assert parts[shapes] == user_shapes.encode()
    assert content_type(parts, shapes).endswith("drawingml.chartshapes+xml")
    libreoffice_resave([path], tmp_path)


def test_chart_style_and_colour_parts_come_back(tmp_path):
    # excelize's Book1 without its sheet background (still refused) and its comment box.
    data = rebuild((CORPUS / "excelize__Book1.xlsx").read_bytes(), {
        "xl/worksheets/sheet1.xml": lambda d: d.replace(b'<picture r:id="rId4" />', b"")})
    assert b'<picture r:id="rId4" />' in read_parts(CORPUS / "excelize__Book1.xlsx")[
        "xl/worksheets/sheet1.xml"]
    path = edit_and_save(None, tmp_path, "book1.xlsx", data)
    parts = read_parts(path)
    original = read_parts(CORPUS / "excelize__Book1.xlsx")
    for chart in ("xl/charts/chart1.xml", "xl/charts/chart2.xml"):
        (same,) = [n for n, d in parts.items() if d == original[chart]]
        styles = related(parts, same, "http://schemas.microsoft.com/office/2011/relationships/"
                                      "chartStyle")
        colours = related(parts, same, "http://schemas.microsoft.com/office/2011/relationships/"
                                       "chartColorStyle")
        assert len(styles) == len(colours) == 1
        assert content_type(parts, styles[0]) == "application/vnd.ms-office.chartstyle+xml"
        assert content_type(parts, colours[0]) == "application/vnd.ms-office.chartcolorstyle+xml"
    libreoffice_resave([path], tmp_path)


XDR_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


def drawing_objects(parts, sheet_part: str) -> list[tuple[str, str]]:
    """(kind, text) of each object in the sheet's drawing, in z-order: kind is sp, grpSp,
    cxnSp, pic or graphicFrame; text is a shape's words."""
    found = []
    for drawing in related(parts, sheet_part, f"{REL}/drawing"):
        for anchor in fromstring(parts[drawing]):
            for obj in anchor:
                kind = obj.tag.rpartition("}")[2]
                if kind in ("sp", "grpSp", "cxnSp", "pic", "graphicFrame"):
                    found.append((kind, "".join(t.text or "" for t in obj.iter(f"{{{A_NS}}}t"))))
    return found


@pytest.mark.parametrize("name", [
    "exceljs__1519293514-KRISHNAPATNAM_LINE_UP.xlsx",  # text boxes over a kept picture
    "sheetjs__Attendance.xlsx",  # text boxes only: openpyxl drops the whole drawing
    "poi__ConditionalFormattingSamples.xlsx",  # 18 sheets, shapes with links to sheets
])
def test_shapes_and_text_boxes_come_back_in_their_order(tmp_path, name):
    src = CORPUS / name
    original = read_parts(src)
    path = edit_and_save(src, tmp_path)
    parts = read_parts(path)
    before_sheets, after_sheets = sheet_parts(original), sheet_parts(parts)
    shapes = 0
    for sheet, part in before_sheets.items():
        before = drawing_objects(original, part)
        assert drawing_objects(parts, after_sheets[sheet]) == before, sheet
        shapes += sum(kind != "pic" for kind, _ in before)
        for drawing in related(parts, after_sheets[sheet], f"{REL}/drawing"):
            ids = [el.get("id") for el in fromstring(parts[drawing]).iter(f"{{{XDR_NS}}}cNvPr")]
            assert len(ids) == len(set(ids)), f"object ids repeat in {drawing}"
        assert in_schema_order(parts[after_sheets[sheet]])
    assert shapes
    resaved = libreoffice_resave([path], tmp_path)[path.name]
    lo_sheets = sheet_parts(resaved)
    for sheet, part in before_sheets.items():  # LibreOffice rewrites line breaks and spaces
        texts = sorted("".join(t.split()) for kind, t in drawing_objects(original, part)
                       if kind == "sp")
        assert sorted("".join(t.split()) for kind, t in drawing_objects(
            resaved, lo_sheets[sheet]) if kind == "sp") == texts


def test_budget_keeps_chart_text_box_and_data_bar_together(tmp_path):
    src = CORPUS / "poi__simple-monthly-budget.xlsx"
    original = read_parts(src)
    path = edit_and_save(src, tmp_path)
    parts = read_parts(path)
    sheet = sheet_parts(parts)["Simple Monthly Budget"]
    assert [k for k, _ in drawing_objects(parts, sheet)] == [
        k for k, _ in drawing_objects(original, "xl/worksheets/sheet1.xml")]
    assert original["xl/charts/chart1.xml"] in parts.values()
    assert list(fromstring(parts[sheet]).iter(f"{{{X14}}}cfRule"))


def _openpyxl_book() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Targets"
    ws.append(["Metric", "Target", "Owner"])
    for i in range(2, 8):
        ws.append([f"M{i}", i * 10, "Ana"])
    ws.auto_filter.ref = "A1:C7"
    lists = wb.create_sheet("Lists")
    for v in ("Ana", "Bo", "Cy"):
        lists.append([v])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


SPARKLINES = (
    f'<extLst><ext uri="{{05C60535-1F16-4fd2-B633-F4F36F0B64E0}}" xmlns:x14="{X14}">'
    f'<x14:sparklineGroups xmlns:xm="{XM}"><x14:sparklineGroup displayEmptyCellsAs="gap">'
    '<x14:colorSeries rgb="FF376092"/><x14:sparklines><x14:sparkline><xm:f>Targets!B2:B7</xm:f>'
    '<xm:sqref>D2</xm:sqref></x14:sparkline></x14:sparklines></x14:sparklineGroup>'
    '</x14:sparklineGroups></ext>'
    f'<ext uri="{{FC87AEE6-9EDD-4a0a-B7FB-166176984837}}" xmlns:x14="{X14}"><x14:protectedRanges>'
    f'<x14:protectedRange name="Owners" xmlns:xm="{XM}"><xm:sqref>C2:C7</xm:sqref>'
    '</x14:protectedRange></x14:protectedRanges></ext></extLst>')
SHEET_ELEMENTS = {
    "protectedRanges": '<protectedRanges><protectedRange name="Inputs" sqref="B2:B7"/>'
                       '</protectedRanges>',
    "sortState": '<sortState ref="A2:C7"><sortCondition descending="1" ref="B2:B7"/>'
                 '</sortState>',
    "dataConsolidate": '<dataConsolidate function="sum"><dataRefs count="1"><dataRef '
                       'ref="A1:A3" sheet="Lists"/></dataRefs></dataConsolidate>',
    "cellWatches": '<cellWatches><cellWatch r="B2"/></cellWatches>',
    "ignoredErrors": '<ignoredErrors><ignoredError sqref="B2:B7" numberStoredAsText="1"/>'
                     '</ignoredErrors>',
}


def _with_sheet_elements(xml: bytes) -> bytes:
    """Each element at its place: protectedRanges before autoFilter, sortState and
    dataConsolidate after it, cellWatches and ignoredErrors after pageMargins, the extensions
    (sparklines, Excel 2010 protected ranges) last."""
    auto_filter = re.search(rb"<autoFilter\b[^>]*/>", xml)
    xml = (xml[:auto_filter.start()] + SHEET_ELEMENTS["protectedRanges"].encode()
           + auto_filter.group() + SHEET_ELEMENTS["sortState"].encode()
           + SHEET_ELEMENTS["dataConsolidate"].encode() + xml[auto_filter.end():])
    return xml.replace(b"</worksheet>", (SHEET_ELEMENTS["cellWatches"] + SHEET_ELEMENTS[
        "ignoredErrors"] + SPARKLINES + "</worksheet>").encode())


def test_sheet_elements_and_sparklines_go_back_in_schema_order(tmp_path):
    data = rebuild(_openpyxl_book(), {"xl/worksheets/sheet1.xml": _with_sheet_elements})
    src = _write(tmp_path / "in.xlsx", data)
    assert in_schema_order(read_parts(src)["xl/worksheets/sheet1.xml"])
    fates = sorted((p.kind, p.fate) for p in parts_openpyxl_would_drop(inspect_package(src),
                                                                       spliced=True))
    assert fates == [("cell-watch", "preserved"), ("data-consolidation", "preserved"),
                     ("ignored-errors", "preserved"), ("protected-range", "preserved"),
                     ("protected-range", "preserved"), ("sort-state", "preserved"),
                     ("sparkline", "preserved")]
    path = edit_and_save(src, tmp_path, "out.xlsx")
    xml = read_parts(path)["xl/worksheets/sheet1.xml"]
    assert in_schema_order(xml)
    assert {"protectedRanges", "sortState", "dataConsolidate", "cellWatches", "ignoredErrors",
            "extLst"} <= set(children(xml))
    assert [el.get("name") for el in fromstring(xml).iter(f"{{{X14}}}protectedRange")] == [
        "Owners"]
    assert [el.text for el in fromstring(xml).iter(f"{{{XM}}}f")] == ["Targets!B2:B7"]
    resaved = libreoffice_resave([path], tmp_path)[path.name]
    lo_sheet = resaved[sheet_parts(resaved)["Targets"]]
    assert [el.text for el in fromstring(lo_sheet).iter(f"{{{XM}}}f")] == ["Targets!B2:B7"]


UI = "http://schemas.microsoft.com/office/{}/relationships/ui/extensibility"


def test_custom_ribbons_and_their_relationships_come_back(tmp_path):
    ribbon = (b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui">'
              b'<ribbon><tabs><tab id="jw" label="Journey"/></tabs></ribbon></customUI>')
    data = rebuild(_openpyxl_book(), {
        "_rels/.rels": insert_before(b"</Relationships>", (
            f'<Relationship Id="rU1" Type="{UI.format(2006)}" Target="customUI/customUI.xml"/>'
            f'<Relationship Id="rU2" Type="{UI.format(2007)}" '
            'Target="customUI/customUI14.xml"/>')),
        "customUI/customUI.xml": ribbon, "customUI/customUI14.xml": ribbon})
    src = _write(tmp_path / "in.xlsx", data)
    path = edit_and_save(src, tmp_path, "out.xlsx")
    parts = read_parts(path)
    assert related(parts, "", UI.format(2006)) == ["customUI/customUI.xml"]
    assert related(parts, "", UI.format(2007)) == ["customUI/customUI14.xml"]
    assert parts["customUI/customUI14.xml"] == ribbon
    assert sorted(p.kind for p in inspect_package(path).at_risk) == [
        "custom-ribbon", "custom-ribbon-2010"]


def test_vba_signature_keeps_its_relationship(tmp_path):
    sig_type = "http://schemas.microsoft.com/office/2006/relationships/vbaProjectSignature"
    data = rebuild((CORPUS / "sheetjs__number_format_russian.xlsm").read_bytes(), {
        "xl/_rels/vbaProject.bin.rels": f'{RELS}<Relationship Id="rId1" Type="{sig_type}" '
                                        'Target="vbaProjectSignature.bin"/></Relationships>',
        "xl/vbaProjectSignature.bin": b"\x00signature\x00",
        "[Content_Types].xml": insert_before(b"</Types>", (
            '<Override PartName="/xl/vbaProjectSignature.bin" '
            'ContentType="application/vnd.ms-office.vbaProjectSignature"/>'))})
    src = _write(tmp_path / "signed.xlsm", data)
    assert [(p.kind, p.fate) for p in parts_openpyxl_would_drop(
        inspect_package(src), spliced=True) if p.kind.startswith("vba")] == [
        ("vba", "kept"), ("vba-signature", "preserved")]
    path = edit_and_save(src, tmp_path, "out.xlsm")
    parts = read_parts(path)
    (sig,) = related(parts, "xl/vbaProject.bin", sig_type)
    assert parts[sig] == b"\x00signature\x00"
    assert content_type(parts, sig) == "application/vnd.ms-office.vbaProjectSignature"


def test_a_second_save_splices_from_the_file_just_written(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes((CORPUS / "closedxml__ValidationWithSheetReference.xlsx").read_bytes())
    book = FileBook.open(path)
    book.wb.worksheets[0]["C3"] = 1
    book.save()
    assert book.notes == ["Preserved: 1 cross-sheet drop-down on sheet 'UI Sheet' "
                          "(xl/worksheets/sheet1.xml)."]
    book.wb.worksheets[0]["C4"] = 2
    book.save()
    parts = read_parts(path)
    assert x14_validations(parts[sheet_parts(parts)["UI Sheet"]]) == [
        ("ValuesSheet!$A$1:$A$4", "A2")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert openpyxl.load_workbook(path)["UI Sheet"]["C4"].value == 2


def test_a_file_changed_since_it_was_opened_is_not_spliced_over(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes((CORPUS / "closedxml__ValidationWithSheetReference.xlsx").read_bytes())
    book = FileBook.open(path)
    path.write_bytes(path.read_bytes() + b"\0")  # someone saved it meanwhile
    changed = path.read_bytes()
    with pytest.raises(WouldLoseContent, match="changed on disk"):
        book.save()
    assert path.read_bytes() == changed and not backup_path(path).exists()


# ----------------------------------------------------------------------------- the self-check

def _drop_from_splice(monkeypatch, drop):
    real = preserve.splice

    def broken(info, written, preserved):
        parts = read_parts(io.BytesIO(real(info, written, preserved)))
        return rebuild(written, {}) if drop is None else _zip({**parts, **drop(parts)})
    monkeypatch.setattr(preserve, "splice", broken)


def _zip(parts: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if data is not None:
                z.writestr(name, data)
    return out.getvalue()


def _remove_x14_validation(parts):
    name = sheet_parts(parts)["UI Sheet"]
    xml = parts[name]
    start = xml.index(b"<x14:dataValidation ")
    end = xml.index(b"</x14:dataValidation>") + len(b"</x14:dataValidation>")
    return {name: xml[:start] + xml[end:]}


def _remove_thread_relationship(parts):
    name = "xl/worksheets/_rels/sheet1.xml.rels"
    xml = parts[name]
    start = xml.index(b'<Relationship Id="rId3"')
    return {name: xml[:start] + xml[xml.index(b"/>", start) + 2:]}


def _unrestore_charts(parts):
    return {n: b'<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"/>'
            for n in parts if n.startswith("xl/charts/chart")}


@pytest.mark.parametrize("name, drop, says", [
    ("closedxml__ValidationWithSheetReference.xlsx", _remove_x14_validation,
     "sheet 'UI Sheet': the x14-data-validation extension differs from the original"),
    ("sheetjs__threaded_comments_none.xlsx", _remove_thread_relationship,
     "threaded-comment on sheet 'Sheet1': 0 of 3 found"),
    ("openpyxl__contains_chartsheets.xlsx", _unrestore_charts, "was not restored"),
    ("closedxml__ValidationWithSheetReference.xlsx", None,
     "x14-data-validation on sheet 'UI Sheet': 0 of 1 found"),
])
def test_a_splice_that_lost_something_is_refused_and_the_file_left_alone(
        tmp_path, monkeypatch, name, drop, says):
    path = tmp_path / name
    path.write_bytes((CORPUS / name).read_bytes())
    before = path.read_bytes()
    book = FileBook.open(path)
    book.wb.worksheets[0]["AA1"] = "edited"
    _drop_from_splice(monkeypatch, drop)
    with pytest.raises(WouldLoseContent) as caught:
        book.save()
    assert says in caught.value.message and "Nothing was written" in caught.value.message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no .bak, no temp file
