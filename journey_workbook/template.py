"""Builds a journey workbook from the schema with openpyxl: every table, the seeded content,
drop-downs, formats, status colours, the Dashboard with its headline names, and the Guide.

``templates/journey_template.xlsx`` is this function's output for English (see
``build-template``); ``new`` calls it too, so an installed package never needs that file.
"""
from __future__ import annotations


from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table as XlTable, TableStyleInfo

from journey_workbook import __version__, formats
from journey_workbook.book.cells import absolute, column_letter, parse_a1, range_ref
from journey_workbook.schema import ENUMS, SCHEMA_VERSION, TABLES, Table, table
from journey_workbook.schema import seed, texts
from journey_workbook.schema.fields import CLIENT_FIELDS, SETTINGS

#: how far down drop-downs and column formats reach, so rows a person adds get them too
INPUT_ROWS = 500

STATUS_COLOURS = {  # status key -> (fill, font colour)
    "achieved": ("C6EFCE", "006100"),
    "on_track": ("DDEBF7", "1F4E78"),
    "at_risk": ("FFEB9C", "9C5700"),
    "off_track": ("FFC7CE", "9C0006"),
    "missing": ("D9D9D9", "3A3A3A"),
    "not_due": ("F2F2F2", "7F7F7F"),
}

SHEET_ORDER = ("guide", "tblRisks", "tblClient", "tblTargets", "tblPlan", "tblActuals",
               "tblAttainment", "tblCalendar", "tblRoles", "tblBackbone", "tblCatalog",
               "tblSettings")

# Drop-downs: column kind -> defined name of the list
_ENUM_LIST = "jw_list_{}"
REF_LISTS = {"ref:metric": ("jw_metric_ids", "tblCatalog", "metric_id"),
             "ref:stage": ("jw_stage_ids", "tblBackbone", "stage_id")}


def build_workbook(lang: str = "en") -> Workbook:
    """A new, empty-client journey workbook in ``lang`` ("en" or "zh-CN")."""
    wb = Workbook()
    wb.remove(wb.active)
    for key in SHEET_ORDER:
        if key == "guide":
            _write_guide(wb, lang)
        elif key == "tblRisks":
            _write_dashboard(wb, lang)
        else:
            tbl = table(key)
            ws = wb.create_sheet(tbl.sheet(lang))
            _write_table(ws, tbl, lang, _seed_rows(tbl, lang))
            _format_seeded_values(ws, tbl)
    _write_lists(wb, lang)
    _write_meta(wb, lang)
    _add_validations(wb, lang)
    _colour_statuses(wb, lang)
    for ws in wb.worksheets:
        _print_setup(ws)
    wb.active = 0
    return wb


HEADER_FILL = PatternFill(start_color="1F4E78", end_color="1F4E78", fill_type="solid")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def _print_setup(ws) -> None:
    """Landscape, one page wide: what a CSM prints or exports to PDF for a review."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


# -- tables ---------------------------------------------------------------------------------

def _write_table(ws, tbl: Table, lang: str, rows: list[list]) -> None:
    top, left = parse_a1(tbl.anchor)
    for j, col in enumerate(tbl.columns):
        cell = ws.cell(top, left + j, col.header(lang))
        # Explicit header colours as well as the table style: LibreOffice and some viewers
        # do not draw Excel table styles.
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        dim = ws.column_dimensions[column_letter(left + j)]
        dim.width = max(dim.width, col.width) if dim.customWidth else col.width
    for i, row in enumerate(rows, 1):
        for j, value in enumerate(row):
            ws.cell(top + i, left + j, value)
    for j, col in enumerate(tbl.columns):
        fmt = formats.kind_format(col.kind)
        if fmt:
            for r in range(top + 1, top + 1 + INPUT_ROWS):
                ws.cell(r, left + j).number_format = fmt
    last = top + max(1, len(rows))
    xl = XlTable(displayName=tbl.name, ref=range_ref(top, left, last, left + len(tbl.columns) - 1))
    xl.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(xl)
    if tbl.anchor == "A1":
        ws.freeze_panes = "A2"


def _seed_rows(tbl: Table, lang: str) -> list[list]:
    pick = 0 if lang == "en" else 1
    if tbl.name == "tblClient":
        return [[f.label(lang), _enum_default(f, lang)] for f in CLIENT_FIELDS]
    if tbl.name == "tblSettings":
        return [[f.label(lang), f.default] for f in SETTINGS]
    if tbl.name == "tblBackbone":
        return [[sid, order, stage[pick], cv[pick], sv[pick], role[pick], weeks, exit_[pick]]
                for sid, order, stage, cv, sv, role, weeks, exit_ in seed.BACKBONE]
    if tbl.name == "tblCatalog":
        return [catalog_row(m, lang) for m in seed.CATALOG]
    if tbl.name == "tblRoles":
        return [[resp[pick], ENUMS["side"].label(side, lang), None, role[pick], None]
                for resp, side, role in seed.ROLES]
    return []


def _format_seeded_values(ws, tbl: Table) -> None:
    """Seeded values whose format depends on the row: a percent metric's benchmark shows as
    35%, not 0.35, and the status thresholds as 90%."""
    top, left = parse_a1(tbl.anchor)
    keys = [c.key for c in tbl.columns]
    if tbl.name == "tblCatalog":
        col = left + keys.index("benchmark")
        for i, m in enumerate(seed.CATALOG, 1):
            fmt = formats.unit_format(m[4])
            if fmt and m[8] is not None:
                ws.cell(top + i, col).number_format = fmt
    elif tbl.name == "tblSettings":
        col = left + keys.index("value")
        for i, f in enumerate(SETTINGS, 1):
            if f.kind == "ratio":
                ws.cell(top + i, col).number_format = formats.RATIO


def catalog_row(m: tuple, lang: str) -> list:
    mid, name, phase, goal, unit, direction, agg, industries, bench, definition = m
    pick = 0 if lang == "en" else 1
    return [mid, name[pick], ENUMS["phase"].label(phase, lang), ENUMS["goal"].label(goal, lang),
            ENUMS["unit"].label(unit, lang), ENUMS["direction"].label(direction, lang),
            ENUMS["aggregation"].label(agg, lang), industries, bench, definition[pick]]


def _enum_default(field, lang: str):
    if field.default is None:
        return None
    enum = field.kind[5:] if field.kind.startswith("enum:") else None
    return ENUMS[enum].label(field.default, lang) if enum else field.default


# -- Dashboard, Guide, lists, meta ----------------------------------------------------------

def _write_dashboard(wb: Workbook, lang: str) -> None:
    risks = table("tblRisks")
    ws = wb.create_sheet(risks.sheet(lang))
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 26
    # Chart columns get an explicit width so that Excel and LibreOffice (whose default
    # column widths differ) place the pictures the same way; see actions/draw.py.
    for col in range(4, 30):
        ws.column_dimensions[column_letter(col)].width = 10
    ws["A1"] = texts.DASHBOARD_TITLE[lang]
    ws["A1"].font = Font(bold=True, size=16)
    for name, row, en, zh, fmt in texts.HEADLINES:
        label = ws.cell(row, 1, en if lang == "en" else zh)
        label.font = Font(bold=True)
        value = ws.cell(row, 2)
        value.number_format = fmt
        value.alignment = Alignment(horizontal="right")
        wb.defined_names[name] = DefinedName(name, attr_text=absolute(ws.title, row, 2))
    top, _ = parse_a1(risks.anchor)
    ws.cell(top - 1, 1, texts.RISKS_TITLE[lang]).font = Font(bold=True, size=12)
    _write_table(ws, risks, lang, [])
    ws.freeze_panes = None


def _write_guide(wb: Workbook, lang: str) -> None:
    ws = wb.create_sheet(texts.GUIDE_SHEET[lang])
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 100
    for i, (head, body) in enumerate(texts.GUIDE[lang], 1):
        a = ws.cell(i, 1, head)
        if body is None:
            ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=2)
            a.font = Font(bold=True, size=14 if i == 1 else 11)
            a.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[i].height = 24 if i == 1 else 32
            continue
        a.font = Font(bold=True)
        a.alignment = Alignment(vertical="top")
        b = ws.cell(i, 2, body)
        b.alignment = Alignment(wrap_text=True, vertical="top")
        # Row heights are not recalculated on open by every app: set them from the text.
        per_line = 95 if lang == "en" else 50
        ws.row_dimensions[i].height = 15 * (1 + len(body) // per_line) + 3
    ws.sheet_view.showGridLines = False


def _write_lists(wb: Workbook, lang: str) -> None:
    ws = wb.create_sheet(texts.LISTS_SHEET)
    ws.sheet_state = "hidden"
    for j, enum in enumerate(ENUMS.values(), 1):
        ws.cell(1, j, enum.name)
        labels = enum.labels(lang)
        for i, label in enumerate(labels, 2):
            ws.cell(i, j, label)
        ref = f"{absolute(ws.title, 2, j)}:${column_letter(j)}${1 + len(labels)}"
        name = _ENUM_LIST.format(enum.name)
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    for name, table_name, key in REF_LISTS.values():
        tbl = table(table_name)
        sheet = tbl.sheet(lang)
        top, left = parse_a1(tbl.anchor)
        col = left + [c.key for c in tbl.columns].index(key)
        # A fixed, generous range rather than a structured reference: LibreOffice and older
        # Excel builds do not resolve tblX[Column] inside a defined name used by validation.
        ref = f"{absolute(sheet, top + 1, col)}:${column_letter(col)}${top + INPUT_ROWS}"
        wb.defined_names[name] = DefinedName(name, attr_text=ref)


def _write_meta(wb: Workbook, lang: str) -> None:
    ws = wb.create_sheet(texts.META_SHEET)
    ws.sheet_state = "veryHidden"
    for i, (k, v) in enumerate((("schema_version", SCHEMA_VERSION), ("generator", "journey-workbook"),
                                ("generator_version", __version__), ("language", lang)), 1):
        ws.cell(i, 1, k)
        ws.cell(i, 2, v)


def _add_validations(wb: Workbook, lang: str) -> None:
    for tbl in TABLES:
        if tbl.owner != "user":
            continue
        ws = wb[tbl.sheet(lang)]
        top, left = parse_a1(tbl.anchor)
        for j, col in enumerate(tbl.columns):
            if col.enum:
                source = _ENUM_LIST.format(col.enum)
            elif col.kind in REF_LISTS:
                source = REF_LISTS[col.kind][0]
            else:
                continue
            dv = DataValidation(type="list", formula1=source, allow_blank=True,
                                showErrorMessage=True, errorStyle="warning",
                                errorTitle=col.header(lang)[:32],
                                error=("Pick a value from the list." if lang == "en"
                                       else "请从下拉列表中选择。"))
            letter = column_letter(left + j)
            dv.add(f"{letter}{top + 1}:{letter}{top + INPUT_ROWS}")
            ws.add_data_validation(dv)


def _colour_statuses(wb: Workbook, lang: str) -> None:
    tbl = table("tblAttainment")
    ws = wb[tbl.sheet(lang)]
    top, left = parse_a1(tbl.anchor)
    letter = column_letter(left + [c.key for c in tbl.columns].index("status"))
    area = f"{letter}{top + 1}:{letter}{top + INPUT_ROWS}"
    for key, (fill, font) in STATUS_COLOURS.items():
        label = ENUMS["status"].label(key, lang)
        ws.conditional_formatting.add(area, FormulaRule(
            formula=[f'${letter}{top + 1}="{label}"'],
            fill=PatternFill(start_color=fill, end_color=fill, fill_type="solid"),
            font=Font(color=font)))
