"""The live backend (xlwings) against the file backend (openpyxl), on xlwings' remote engine:
the same workbook must read the same, and writes must land as the file backend's do once the
VBA client has applied them (tests/jsonbook.py).

The remote engine is xlwings PRO. It is used here under xlwings' ``noncommercial`` licence key,
set for these tests only; commercial users of xlwings Server (or anyone running these tests for
a commercial product) need their own xlwings PRO key, trial or paid.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from conftest import run_cli
from jsonbook import apply_actions, payload_from_xlsx, remote_engine
from journey_workbook.book.filebook import FileBook
from journey_workbook.book.livebook import LiveBook, normalise
from journey_workbook.errors import JourneyError
from journey_workbook.reader import read_journey


@pytest.fixture(autouse=True)
def xw(monkeypatch):
    return remote_engine(monkeypatch)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert run_cli("demo", out) == 0
    return out


def live(xw, path, **payload_args) -> LiveBook:
    return LiveBook(xw.Book(json=payload_from_xlsx(path, **payload_args)))


def applied(xw_book, source: Path, target: Path) -> FileBook:
    """``source`` with the live book's actions applied, saved as ``target``, opened again."""
    wb = openpyxl.load_workbook(source)
    apply_actions(wb, xw_book.json()["actions"])
    wb.save(target)
    return FileBook.open(target)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_reads_every_table_as_the_file_backend(xw, demo, lang):
    path = demo / f"example-client.{lang}.xlsx"
    book, file = live(xw, path), FileBook.open(path)
    assert book.label == path.name
    assert sorted(book.table_names()) == sorted(file.table_names())
    for name in file.table_names():
        assert book.sheet_of_table(name) == file.sheet_of_table(name)
        assert book.read_table(name) == file.read_table(name), name
    assert book.read_table("tblNope") is None
    assert book.meta() == file.meta() == {"schema_version": "1", "generator": "journey-workbook",
                                          "generator_version": "0.1.0", "language": lang}
    for name in ("jw_as_of", "jw_health_score", "jw_days_to_renewal"):
        assert book.read_name(name) == file.read_name(name)
    with pytest.raises(KeyError):
        book.read_name("jw_nope")
    # ... so the reader finds the same journey and the same issues
    (j1, r1), (j2, r2) = read_journey(book), read_journey(file)
    assert r1.issues == r2.issues
    assert j1.targets == j2.targets and j1.actuals == j2.actuals and j1.plan == j2.plan


def test_values_normalised_as_the_file_backend_gives_them(xw):
    # What clients send: whole numbers as 5 (VBA) or 5.0, dates as ISO text ending in Z.
    payload = {"client": "VBA", "version": xw.__version__,
               "book": {"name": "t.xlsx", "active_sheet_index": 0, "selection": "A1"},
               "names": [], "sheets": [{
                   "name": "S", "pictures": [], "charts": [],
                   "values": [["ID", "When", "N", "Share", "Text"],
                              [5, "2026-03-31T00:00:00.000Z", 2.0, 0.071, ""],
                              [6.0, "2026-03-31T13:45:00.000Z", 2000000.0, 1.0, "2026-03-01"]],
                   "tables": [{"name": "tblT", "range_address": "$A$1:$E$3",
                               "header_row_range_address": "$A$1:$E$1",
                               "data_body_range_address": "$A$2:$E$3",
                               "total_row_range_address": None, "show_headers": True,
                               "show_totals": False, "table_style": "", "show_autofilter": True}]}]}
    rows = LiveBook(xw.Book(json=payload)).read_table("tblT").rows
    assert rows == [[5, datetime(2026, 3, 31), 2, 0.071, None],
                    [6, datetime(2026, 3, 31, 13, 45), 2_000_000, 1, "2026-03-01"]]
    assert [type(v) for v in rows[1][:4]] == [int, datetime, int, int]
    assert normalise(0.5) == 0.5 and normalise(float(2 ** 60)) == float(2 ** 60)


def test_write_table_shrinks_and_clears_what_it_leaves(xw, demo, tmp_path):
    path = demo / "example-client.en.xlsx"
    book = live(xw, path)
    before = book.read_table("tblRoles")
    rows = [list(r) for r in before.rows[:2]]
    book.write_table("tblRoles", rows)
    # the book remembers what it wrote (the remote engine would still read the old cells)
    assert book.read_table("tblRoles").rows == rows
    funcs = [a["func"] for a in book.book.json()["actions"]]
    assert funcs == ["resizeTable", "rangeClearContents", "setValues"]
    after = applied(book.book, path, tmp_path / "after.xlsx").read_table("tblRoles")
    assert after.rows == rows and after.below == []
    resized = openpyxl.load_workbook(tmp_path / "after.xlsx")["Roles"].tables["tblRoles"]
    assert resized.ref == "A1:E3"


def test_appends_follow_each_other(xw, demo, tmp_path):
    """Two appends in one action: the second goes below the first although the remote engine
    never reads back the first (the book remembers it)."""
    path = demo / "example-client.en.xlsx"
    book = live(xw, path)
    count = len(book.read_table("tblActuals").rows)
    book.append_rows("tblActuals", [["nps", "2026-Q1", 31, "survey", None]],
                     [[None, "@", "0.0", None, None]])
    book.append_rows("tblActuals", [["nps", "2026-Q2", 35, "survey", None]])
    rows = applied(book.book, path, tmp_path / "after.xlsx").read_table("tblActuals").rows
    assert len(rows) == count + 2
    assert rows[-2:] == [["nps", "2026-Q1", 31, "survey", None],
                         ["nps", "2026-Q2", 35, "survey", None]]


def test_text_is_written_as_text(xw, demo, tmp_path):
    """Text that Excel would turn into a formula, a number or a date stays the text it is."""
    path = demo / "example-client.en.xlsx"
    book = live(xw, path)
    rows = [["=1+1", "-", "+86 138 0000 0000", "@home", "2026-03"],
            ["- see notes", "ours", "Lee", "2026-03", "2026/3/1"]]
    book.write_table("tblRoles", rows, [[None, None, None, None, "@"]] * 2)
    after = applied(book.book, path, tmp_path / "after.xlsx").read_table("tblRoles").rows
    assert after[0] == rows[0]
    assert after[1][:3] == rows[1][:3] and after[1][4] == "2026/3/1"
    # without the text format, Excel reads "2026-03" as a date, as it would typed by hand
    assert after[1][3] == datetime(2026, 3, 1)


def test_growing_over_typed_cells_is_refused_like_the_file_backend(xw, demo, tmp_path):
    wb = openpyxl.load_workbook(demo / "example-client.en.xlsx")
    wb["Roles"]["C9"] = "a note"
    wb.save(tmp_path / "client.xlsx")
    rows = [["Training", "ours", None, "Trainer", None]] * 8
    book, file = live(xw, tmp_path / "client.xlsx"), FileBook.open(tmp_path / "client.xlsx")
    messages = []
    for backend in (book, file):
        with pytest.raises(JourneyError) as raised:
            backend.write_table("tblRoles", rows)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert "Table tblRoles on sheet 'Roles' needs to grow to row 9, but C9 below it is not " \
           "empty." in messages[0]
    assert book.book.json()["actions"] == []  # nothing written


def test_pictures_replace_by_name_at_a_fixed_size(xw, demo, tmp_path):
    from PIL import Image
    import io

    path = demo / "example-client.en.xlsx"
    book = live(xw, path)
    png = io.BytesIO()
    Image.new("RGB", (1200, 675), "white").save(png, format="PNG", dpi=(200, 200))
    book.put_picture("Dashboard", "jw_chart_timeline", png.getvalue(), "E2", 640, 360)
    book.put_picture("Dashboard", "jw_chart_new", png.getvalue(), "E60", 640, 360)
    actions = book.book.json()["actions"]
    assert [a["func"] for a in actions] == [
        "deletePicture", "addPicture", "setPictureName", "setPictureWidth", "setPictureHeight",
        "addPicture", "setPictureName", "setPictureWidth", "setPictureHeight"]
    assert actions[0]["args"] == [1]  # jw_chart_timeline is the second picture
    assert [a["args"] for a in actions if a["func"] == "setPictureName"] == [
        [4, "jw_chart_timeline"], [5, "jw_chart_new"]]
    assert actions[5]["args"][1:3] == [4, 59]  # anchored at E60
    wb = openpyxl.load_workbook(path)
    apply_actions(wb, actions)
    sizes = {im.anchor.pic.nvPicPr.cNvPr.name: (im.anchor.ext.width, im.anchor.ext.height)
             for im in wb["Dashboard"]._images}
    assert len(sizes) == len(wb["Dashboard"]._images) == 6
    assert sizes["jw_chart_new"] == sizes["jw_chart_timeline"] == (640 * 9525, 360 * 9525)


def test_selection_and_select(xw, demo):
    book = live(xw, demo / "example-client.en.xlsx", selection="C5:D7", active_sheet="Catalog")
    assert book.selection() == ("Catalog", 5, 3)
    book.select("Targets", "E3")
    book.select("No such sheet", "A1")  # a courtesy: ignored where it cannot be done
    assert [(a["func"], a["sheet_position"]) for a in book.book.json()["actions"]] == [
        ("activateSheet", 3), ("rangeSelect", 3)]
    book.status("Working...")  # no status bar on this engine: nothing to send
    assert len(book.book.json()["actions"]) == 2


def test_selection_of_a_shape(xw, demo):
    payload = payload_from_xlsx(demo / "example-client.en.xlsx")
    payload["book"]["selection"] = None  # what the VBA client sends when a picture is selected
    assert LiveBook(xw.Book(json=payload)).selection() is None
