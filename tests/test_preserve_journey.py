"""A journey workbook a person worked on in Excel: `refresh` keeps the cross-sheet drop-down
and the threaded comment they added on Targets, and refuses (exit 1, file byte for byte as it
was) when the sheet holds something the save cannot keep yet, naming it and the sheet."""
from __future__ import annotations

import io
import shutil
import warnings
import zipfile

import openpyxl
import pytest
from openpyxl.comments import Comment

from conftest import run_cli, table_records, type_rows
from journey_workbook.book.filebook import backup_path
from test_preserve import (
    PERSON_TYPE, REL, THREADED_TYPE, X14, XM, any_validations, drawing_objects, in_schema_order,
    libreoffice_resave, notes, read_parts, rebuild, related, sheet_parts, threads,
    x14_validations)
from test_worked_example import EN_ACTUALS, EN_PLAN, EN_TARGETS

QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
THREAD_ID = "{6A1C6B1E-0000-4000-8000-00000000000A}"
PERSON_ID = "{6A1C6B1E-0000-4000-8000-000000000001}"


@pytest.fixture(scope="module")
def journey(tmp_path_factory):
    """A filled-in journey workbook, as `new` and a person typing make it."""
    path = tmp_path_factory.mktemp("journey") / "acme.xlsx"
    assert run_cli("new", path, "--client", "Acme", "--start", "2026-01-01", "--end",
                   "2026-12-31") == 0
    wb = openpyxl.load_workbook(path)
    type_rows(wb, "tblTargets", [dict(t, Priority="normal") for t in EN_TARGETS])
    type_rows(wb, "tblPlan", [{"Metric ID": m, "Period": QUARTERS[i], "Planned": v}
                              for m, values in EN_PLAN for i, v in enumerate(values)])
    type_rows(wb, "tblActuals", [{"Metric ID": m, "Period": QUARTERS[i], "Actual": v}
                                 for m, values in EN_ACTUALS for i, v in enumerate(values)])
    # The legacy note Excel writes beside every threaded comment (its fallback text).
    wb["Targets"]["B2"].comment = Comment("[Threaded comment]\n\nComment:\n    Is this "
                                          "target agreed?", f"tc={THREAD_ID}")
    wb.save(path)
    return path


def _targets(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return sheet_parts({n: z.read(n) for n in z.namelist()})["Targets"]


def _add(data: bytes, sheet_xml=None, sheet_rels: str = "", parts=None, types: str = "",
         workbook_rels: str = "") -> bytes:
    """Inject into the Targets sheet: XML before <tableParts> (or before </worksheet> for an
    extLst), relationships, parts, content types."""
    sheet = _targets(data)
    folder, _, base = sheet.rpartition("/")
    changes = dict(parts or {})
    if sheet_xml:
        changes[sheet] = sheet_xml
    if sheet_rels:
        changes[f"{folder}/_rels/{base}.rels"] = lambda d: d.replace(
            b"</Relationships>", sheet_rels.encode() + b"</Relationships>")
    if types:
        changes["[Content_Types].xml"] = lambda d: d.replace(b"</Types>", types.encode()
                                                             + b"</Types>")
    if workbook_rels:
        changes["xl/_rels/workbook.xml.rels"] = lambda d: d.replace(
            b"</Relationships>", workbook_rels.encode() + b"</Relationships>")
    return rebuild(data, changes)


def _before(marker: bytes, text: str):
    def change(xml: bytes) -> bytes:
        assert marker in xml
        return xml.replace(marker, text.encode() + marker, 1)
    return change


DROP_DOWN = (f'<extLst><ext uri="{{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}}" xmlns:x14="{X14}">'
             f'<x14:dataValidations count="1" xmlns:xm="{XM}"><x14:dataValidation type="list" '
             'allowBlank="1" showInputMessage="1" showErrorMessage="1"><x14:formula1><xm:f>'
             'jw_lists!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>H2:H40</xm:sqref>'
             '</x14:dataValidation></x14:dataValidations></ext></extLst>')
THREAD = (f'<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
          f'threadedcomments"><threadedComment ref="B2" dT="2026-03-01T10:00:00.00" personId='
          f'"{PERSON_ID}" id="{THREAD_ID}"><text>Is this target agreed?</text></threadedComment>'
          '</ThreadedComments>')
PERSONS = ('<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
           f'threadedcomments"><person displayName="Ana Li" id="{PERSON_ID}" userId="ana@acme"'
           ' providerId="None"/></personList>')


def _user_additions(data: bytes) -> bytes:
    return _add(
        data, sheet_xml=_before(b"</worksheet>", DROP_DOWN),
        sheet_rels=f'<Relationship Id="rIdTc" Type="{THREADED_TYPE}" '
                   'Target="../threadedComments/threadedComment1.xml"/>',
        parts={"xl/threadedComments/threadedComment1.xml": THREAD.encode(),
               "xl/persons/person.xml": PERSONS.encode()},
        types='<Override PartName="/xl/threadedComments/threadedComment1.xml" '
              'ContentType="application/vnd.ms-excel.threadedcomments+xml"/>'
              '<Override PartName="/xl/persons/person.xml" '
              'ContentType="application/vnd.ms-excel.person+xml"/>',
        workbook_rels=f'<Relationship Id="rIdPersons" Type="{PERSON_TYPE}" '
                      'Target="persons/person.xml"/>')


def test_refresh_keeps_the_drop_down_and_the_threaded_comment(journey, tmp_path, capsys):
    path = tmp_path / "acme.xlsx"
    path.write_bytes(_user_additions(journey.read_bytes()))
    assert run_cli("refresh", path, "--as-of", "2026-07-15") == 0, capsys.readouterr().err
    parts = read_parts(path)
    sheet = sheet_parts(parts)["Targets"]
    assert x14_validations(parts[sheet]) == [("jw_lists!$A$1:$A$3", "H2:H40")]
    assert in_schema_order(parts[sheet])
    (thread,) = related(parts, sheet, THREADED_TYPE)
    assert threads(parts[thread]) == [("B2", "Is this target agreed?")]
    assert notes(parts, sheet)["B2"].startswith("[Threaded comment]")
    (persons,) = related(parts, "xl/workbook.xml", PERSON_TYPE)
    assert b'displayName="Ana Li"' in parts[persons]
    # The refresh itself happened: attainment rows, the previous file kept as .bak.
    assert table_records(path, "tblAttainment")
    assert backup_path(path).exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert openpyxl.load_workbook(path)["Targets"]["B2"].comment is not None
    # A second refresh (from the spliced file) keeps them too.
    assert run_cli("refresh", path, "--as-of", "2026-07-16") == 0
    parts = read_parts(path)
    assert x14_validations(parts[sheet_parts(parts)["Targets"]]) == [
        ("jw_lists!$A$1:$A$3", "H2:H40")]
    resaved = libreoffice_resave([path], tmp_path)[path.name]
    lo_sheet = resaved[sheet_parts(resaved)["Targets"]]
    assert ("jw_lists!$A$1:$A$3", "H2:H40") in any_validations(lo_sheet)
    assert "Is this target agreed?" in notes(resaved, sheet_parts(resaved)["Targets"])["B2"]


def test_refresh_keeps_a_text_box_on_targets(journey, tmp_path, capsys):
    """Targets has no drawing of its own: the text box comes back in a new one."""
    path = tmp_path / "acme.xlsx"
    path.write_bytes(_drawing(_user_additions(journey.read_bytes())))
    assert run_cli("refresh", path, "--as-of", "2026-07-15") == 0, capsys.readouterr().err
    parts = read_parts(path)
    sheet = sheet_parts(parts)["Targets"]
    assert drawing_objects(parts, sheet) == [("sp", "Agreed with Ana")]
    assert in_schema_order(parts[sheet])
    assert x14_validations(parts[sheet]) == [("jw_lists!$A$1:$A$3", "H2:H40")]
    resaved = libreoffice_resave([path], tmp_path)[path.name]
    assert drawing_objects(resaved, sheet_parts(resaved)["Targets"]) == [
        ("sp", "Agreed with Ana")]


def test_a_text_box_on_the_dashboard_survives_the_redrawn_charts(journey, tmp_path, capsys):
    """The Dashboard's drawing holds the product's chart pictures, which refresh replaces: a
    text box the user put beside them is merged into the new drawing, twice over."""
    path = tmp_path / "acme.xlsx"
    shutil.copyfile(journey, path)
    assert run_cli("refresh", path, "--as-of", "2026-07-01") == 0  # draws the charts
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    (drawing,) = related(parts, sheet_parts(parts)["Dashboard"], f"{REL}/drawing")
    note = TEXT_BOX[TEXT_BOX.index("<xdr:twoCellAnchor>"):TEXT_BOX.index("</xdr:wsDr>")]
    note = note.replace("<xdr:twoCellAnchor>", f"<xdr:twoCellAnchor {XDR}>", 1)
    path.write_bytes(rebuild(data, {drawing: lambda d: d.replace(b"</wsDr>",
                                                                 note.encode() + b"</wsDr>")}))
    before = drawing_objects(read_parts(path), sheet_parts(read_parts(path))["Dashboard"])
    assert ("sp", "Agreed with Ana") in before and ("pic", "") in before
    pictures = []
    for day in ("2026-07-15", "2026-07-16"):
        assert run_cli("refresh", path, "--as-of", day) == 0, capsys.readouterr().err
        parts = read_parts(path)
        after = drawing_objects(parts, sheet_parts(parts)["Dashboard"])
        assert after.count(("sp", "Agreed with Ana")) == 1
        pictures.append([k for k, _ in after].count("pic"))
    assert pictures[0] == pictures[1] >= 2  # redrawn, not stacked


XDR = ('xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
       'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"')
TEXT_BOX = (f'<xdr:wsDr {XDR}><xdr:twoCellAnchor><xdr:from><xdr:col>9</xdr:col><xdr:colOff>0'
            '</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to>'
            '<xdr:col>12</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>5</xdr:row><xdr:rowOff>0'
            '</xdr:rowOff></xdr:to><xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" '
            'name="TextBox 1"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr><xdr:spPr><a:prstGeom '
            'prst="rect"><a:avLst/></a:prstGeom></xdr:spPr><xdr:txBody><a:bodyPr/><a:p><a:r>'
            '<a:t>Agreed with Ana</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/>'
            '</xdr:twoCellAnchor></xdr:wsDr>')
BUTTON = (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:x="urn:schemas-microsoft-com:'
          b'office:excel"><v:shape id="_x0000_s1025"><x:ClientData ObjectType="Button">'
          b'<x:FmlaMacro>[0]!Refresh</x:FmlaMacro></x:ClientData></v:shape></xml>')
SLICER = ('<ext uri="{A8765BA9-456A-4dab-B4F3-ACF838C121DE}" xmlns:x14="'
          f'{X14}"><x14:slicerList><x14:slicer xmlns:r="{REL}" r:id="rIdS"/></x14:slicerList>'
          '</ext>')


def _drawing(data):
    return _add(data, sheet_xml=_before(b"<tableParts", f'<drawing xmlns:r="{REL}" r:id="rIdD"/>'),
                sheet_rels=f'<Relationship Id="rIdD" Type="{REL}/drawing" '
                           'Target="../drawings/drawing9.xml"/>',
                parts={"xl/drawings/drawing9.xml": TEXT_BOX.encode()},
                types='<Override PartName="/xl/drawings/drawing9.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.drawing+xml"/>')


def _ole_object(data):
    return _add(data, sheet_xml=_before(b"<tableParts", '<oleObjects><oleObject progId="Package" '
                                                        'shapeId="1025"/></oleObjects>'))


def _form_control(data):
    return _add(data, sheet_xml=_before(b"<tableParts", f'<legacyDrawing xmlns:r="{REL}" '
                                                        'r:id="rIdV"/>'),
                sheet_rels=f'<Relationship Id="rIdV" Type="{REL}/vmlDrawing" '
                           'Target="../drawings/vmlDrawing9.vml"/>',
                parts={"xl/drawings/vmlDrawing9.vml": BUTTON})


def _mark_first_cell(attribute: bytes):
    def change(xml: bytes) -> bytes:
        at = xml.index(b"<c ", xml.index(b"<sheetData"))
        return xml[:at + 2] + b" " + attribute + xml[at + 2:]
    return change


def _in_cell_picture(data):
    return _add(data, sheet_xml=_mark_first_cell(b'vm="1"'),
                parts={"xl/richData/richValueRel.xml": b'<richValueRels xmlns="http://schemas.'
                       b'microsoft.com/office/spreadsheetml/2022/richvaluerel"/>',
                       "xl/richData/rdrichvalue.xml": b'<rvData xmlns="http://schemas.microsoft'
                       b'.com/office/spreadsheetml/2017/richdata" count="0"/>'})


def _dynamic_array(data):
    return _add(data, sheet_xml=_mark_first_cell(b'cm="1"'))


def _slicer(data):
    return _add(data, sheet_xml=_before(b"</extLst>", SLICER))  # beside the drop-down


def _background(data):
    return _add(data, sheet_xml=_before(b"<tableParts", f'<picture xmlns:r="{REL}" r:id="rIdB"/>'),
                sheet_rels=f'<Relationship Id="rIdB" Type="{REL}/image" '
                           'Target="../media/background.png"/>',
                parts={"xl/media/background.png": b"\x89PNG\r\n\x1a\n"})


def _header_picture(data):
    return _add(data, sheet_xml=_before(b"<tableParts", f'<legacyDrawingHF xmlns:r="{REL}" '
                                                        'r:id="rIdHF"/>'),
                sheet_rels=f'<Relationship Id="rIdHF" Type="{REL}/vmlDrawing" '
                           'Target="../drawings/vmlDrawing8.vml"/>',
                parts={"xl/drawings/vmlDrawing8.vml": b'<xml xmlns:v="urn:schemas-microsoft-'
                                                      b'com:vml"/>'})


def _custom_view(data):
    return _add(data, sheet_xml=lambda xml: xml.replace(b"</sheetData>", (
        b'</sheetData><customSheetViews><customSheetView guid="{6A1C6B1E-0000-4000-8000-'
        b'0000000000C1}" scale="90"/></customSheetViews>'), 1))


def _web_publishing(data):
    return _add(data, sheet_xml=_before(b"<tableParts", (
        '<webPublishItems count="1"><webPublishItem id="1" divId="d" sourceType="sheet" '
        'destinationFile="targets.htm"/></webPublishItems>')))


def _unknown_extension(data):
    return _add(data, sheet_xml=_before(b"</extLst>", '<ext uri="{00000000-1111-2222-3333-'
                                                      '444444444444}"><x/></ext>'))


@pytest.mark.parametrize("inject, label", [
    (_ole_object, "1 embedded object on sheet 'Targets'"),
    (_form_control, "1 form control on sheet 'Targets'"),
    (_in_cell_picture, "1 picture in a cell on sheet 'Targets'"),
    (_dynamic_array, "1 dynamic-array formula on sheet 'Targets'"),
    (_slicer, "1 slicer on sheet 'Targets'"),
    (_background, "1 sheet background on sheet 'Targets'"),
    (_header_picture, "1 header/footer picture on sheet 'Targets'"),
    (_custom_view, "1 custom view on sheet 'Targets'"),
    (_web_publishing, "1 web-publishing item on sheet 'Targets'"),
    (_unknown_extension, "1 Excel extension on sheet 'Targets'"),
])
def test_refresh_refuses_what_it_cannot_keep_and_leaves_the_file(journey, tmp_path, capsys,
                                                                 inject, label):
    path = tmp_path / "acme.xlsx"
    # What it can keep comes along, and is named apart from what blocks the save.
    path.write_bytes(inject(_user_additions(journey.read_bytes())))
    before = path.read_bytes()
    assert run_cli("refresh", path, "--as-of", "2026-07-15") == 1
    (err,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("Error:")]
    assert err.startswith("Error: Refusing to save: saving would drop ")
    assert label in err and "Nothing was written." in err
    assert "These would be preserved: " in err and "cross-sheet drop-down on sheet 'Targets'" in err
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.xlsx"]


def test_journey_fixture_is_a_plain_openpyxl_book(journey, tmp_path):
    """Control: without the additions, nothing is preserved or refused."""
    path = tmp_path / "plain.xlsx"
    shutil.copyfile(journey, path)
    from journey_workbook.book.package import inspect_package, parts_openpyxl_would_drop
    found = parts_openpyxl_would_drop(inspect_package(path), spliced=True)
    assert [(p.kind, p.fate) for p in found] == [("comment", "damaged")]
