"""Every file of the shared corpus through the commands a CSM runs, as a CSM runs them.

None of the corpus files is a journey workbook, so each command must exit 1 with one clear
message that names the file and says what is wrong (or that it is not a journey workbook),
quickly, without a traceback, and without touching the file. A journey workbook that is
encrypted, or whose sheet lost its relationship, is built here from a real one."""
from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import msoffcrypto.format.ooxml
import pytest

from conftest import ROOT, run_cli

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FILES = sorted(p.name for p in CORPUS.iterdir() if p.name != "README.md")
SECONDS = 15  # per file and command; the slowest (50,000 merges) takes about 1 s

# What the message must say, beyond naming the file, for the files that are not even
# readable workbooks; every other corpus file is "not a journey workbook".
UNREADABLE = {
    "poi__clusterfuzz-XLSX2CSVFuzzer-5636439151607808.xlsx": "the file is incomplete",
    "exceljs__invalid-xml.xlsx": "is not well-formed XML",
    "poi__poc-xmlbomb.xlsx": "declares a DOCTYPE or XML entities",
}
ARGS = {"validate": [], "plan": [], "refresh": ["--as-of", "2026-07-15", "--no-charts"]}


def test_the_corpus_is_there():
    described = re.findall(r"^\| `([^`]+)` \|", (CORPUS / "README.md").read_text("utf-8"), re.M)
    assert len(described) > 30 and sorted(described) == FILES


def sheets_listed(path: Path) -> list[str]:
    """Sheet names from the workbook part, found through the package relationships, read
    independently of the product (so that 'no sheets' cannot pass for 'no tables')."""
    with zipfile.ZipFile(path) as zf:
        rels = zf.read("_rels/.rels").decode("utf-8")
        target = re.search(r'Target="/?([^"]+)"[^>]*Type="[^"]*officeDocument"|'
                           r'Type="[^"]*officeDocument"[^>]*Target="/?([^"]+)"', rels)
        part = next(g for g in target.groups() if g)
        xml = zf.read(part).decode("utf-8")
    return [name.replace("&amp;", "&").replace("&apos;", "'").replace("&quot;", '"')
            .replace("&lt;", "<").replace("&gt;", ">")
            for name in re.findall(r'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"', xml)]


class Unraisable:
    """Collects what Python would print as 'Exception ignored in ...' (a traceback on the
    terminal) instead of raising."""

    def __init__(self):
        self.seen = []

    def __call__(self, info):
        self.seen.append(f"{info.exc_type.__name__}: {info.exc_value} in {info.object!r}")


def run_in_process(capsys, monkeypatch, *argv):
    hook = Unraisable()
    monkeypatch.setattr(sys, "unraisablehook", hook)
    started = time.perf_counter()
    code = run_cli(*argv)
    seconds = time.perf_counter() - started
    gc.collect()  # what the workbook objects leave behind shows up now, not at exit
    out, err = capsys.readouterr()
    return code, out + err, seconds, hook.seen


@pytest.mark.parametrize("command", ["validate", "refresh", "plan"])
@pytest.mark.parametrize("name", FILES)
def test_a_corpus_file_is_refused_with_a_clear_message(name, command, tmp_path, capsys,
                                                        monkeypatch):
    path = tmp_path / name
    before = (CORPUS / name).read_bytes()
    path.write_bytes(before)
    code, text, seconds, unraisable = run_in_process(capsys, monkeypatch, command, path,
                                                     *ARGS[command])
    assert code == 1, text
    assert "Traceback" not in text and unraisable == [], (text, unraisable)
    assert name in text, text
    assert seconds < SECONDS, f"{name}: {command} took {seconds:.1f} s"
    if name in UNREADABLE:
        assert UNREADABLE[name] in text, text
    else:
        assert f"{name} is not a journey workbook" in text, text
        if "hold no tables at all" in text:  # read, not read as empty: every sheet counted
            sheets = sheets_listed(path)
            assert sheets and f"its {len(sheets)} sheet(s) ({sheets[0]!r}" in text, text
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [name]  # no backup, no temporary file


def test_strict_open_xml_is_read_with_its_sheets(tmp_path, capsys):
    path = tmp_path / "strict.xlsx"
    path.write_bytes((CORPUS / "poi__SimpleStrict.xlsx").read_bytes())
    assert run_cli("validate", path) == 1
    out = capsys.readouterr().out
    assert "its 2 sheet(s) ('Sheet1', 'Sheet Number 2') hold no tables" in out, out


SUBPROCESS_FILES = ["poi__SimpleStrict.xlsx", "poi__xlmmacro.xlsm", "poi__poc-xmlbomb.xlsx",
                    "poi__clusterfuzz-XLSX2CSVFuzzer-5636439151607808.xlsx",
                    "sheetjs__number_format_russian.xlsm", "poi__57893-many-merges.xlsx"]


def command_line(*argv, timeout=120):
    env = dict(os.environ, XLWINGS_LICENSE_KEY=os.environ.get("XLWINGS_LICENSE_KEY",
                                                             "noncommercial"))
    env.pop("JOURNEY_WORKBOOK_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "journey_workbook", *map(str, argv)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("name", SUBPROCESS_FILES)
def test_no_traceback_reaches_a_real_terminal(name, tmp_path):
    path = tmp_path / name
    path.write_bytes((CORPUS / name).read_bytes())
    for argv in (["validate", path], ["refresh", path, "--as-of", "2026-07-15"]):
        done = command_line(*argv)
        assert done.returncode == 1, done
        assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done
        assert name in done.stdout + done.stderr
    assert path.read_bytes() == (CORPUS / name).read_bytes()


# -- journey workbooks damaged in ways the corpus does not show -------------------------------


@pytest.fixture(scope="module")
def journey(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("journey") / "client.xlsx"
    assert run_cli("new", path, "--client", "Acme", "--start", "2026-01-01", "--end",
                   "2026-12-31") == 0
    return path


def test_an_encrypted_workbook_is_reported_as_encrypted(journey, tmp_path, capsys):
    path = tmp_path / "locked.xlsx"
    with journey.open("rb") as plain, path.open("wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("secret", out)
    before = path.read_bytes()
    assert before[:8] == bytes.fromhex("D0CF11E0A1B11AE1")  # an OLE2 container, as Excel makes
    for command in ("validate", "refresh", "plan"):
        assert run_cli(command, path, *ARGS[command]) == 1
        text = "".join(capsys.readouterr())
        assert "locked.xlsx" in text and "encrypted" in text and "password" in text, text
        assert "Traceback" not in text
    assert path.read_bytes() == before
    done = command_line("validate", path)
    assert done.returncode == 1 and "password" in done.stdout and "Traceback" not in done.stderr


def without_relationship(src: Path, dst: Path, sheet: str) -> None:
    """A copy whose workbook part still lists ``sheet`` but whose relationships lost it."""
    with zipfile.ZipFile(src) as zin:
        workbook = zin.read("xl/workbook.xml").decode("utf-8")
        rid = re.search(rf'<sheet [^>]*name="{sheet}"[^>]*r:id="(rId\d+)"', workbook).group(1)
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename == "xl/_rels/workbook.xml.rels":
                    data, n = re.subn(rf'<Relationship [^>]*Id="{rid}"[^>]*/>'.encode(), b"", data)
                    assert n == 1
                zout.writestr(info, data)


def test_a_sheet_without_its_relationship_is_not_read_as_empty(journey, tmp_path, capsys):
    path = tmp_path / "norel.xlsx"
    without_relationship(journey, path, "Targets")
    before = path.read_bytes()
    for command in ("validate", "refresh", "plan"):
        assert run_cli(command, path, *ARGS[command]) == 1
        text = "".join(capsys.readouterr())
        assert "norel.xlsx" in text and "'Targets'" in text and "missing" in text, text
    assert path.read_bytes() == before


def test_an_unexpected_failure_is_a_message_not_a_traceback(journey, tmp_path, capsys,
                                                             monkeypatch):
    """The net under the messages: a bug still ends in one line and exit 1; the details are
    there for whoever sets JOURNEY_WORKBOOK_DEBUG."""
    import journey_workbook.actions.refresh as refresh

    def broken(*args, **kwargs):
        raise RuntimeError("something nobody planned for")

    monkeypatch.setattr(refresh, "refresh_file", broken)
    monkeypatch.delenv("JOURNEY_WORKBOOK_DEBUG", raising=False)
    assert run_cli("refresh", journey) == 1
    err = capsys.readouterr().err
    assert "unexpected problem stopped 'refresh'" in err and "something nobody" in err
    assert "JOURNEY_WORKBOOK_DEBUG" in err and "Traceback" not in err
    monkeypatch.setenv("JOURNEY_WORKBOOK_DEBUG", "1")
    with pytest.raises(RuntimeError):
        run_cli("refresh", journey)


def test_a_macro_workbook_is_closed_without_noise(capsys, monkeypatch):
    """openpyxl keeps an .xlsm's parts in an in-memory zip; unless the action closes it,
    collecting the workbook prints 'Exception ignored in ZipFile.__del__' and a traceback."""
    from journey_workbook.actions.common import close
    from journey_workbook.book.filebook import FileBook

    hook = Unraisable()
    monkeypatch.setattr(sys, "unraisablehook", hook)
    for _ in range(3):
        book = FileBook.open(CORPUS / "poi__xlmmacro.xlsm")
        assert book.wb.vba_archive is not None
        close(book)
        del book
        gc.collect()
    assert hook.seen == []
