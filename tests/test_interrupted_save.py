"""A save that is interrupted, refused by a full disk, or not allowed leaves the workbook as it
was. ``refresh`` runs in a real process on a large workbook (25 metrics x 60 months: 1,500
plan, actual and attainment rows) and is killed with SIGKILL at delays spread over its run;
after each kill the file at the original path must load and be the old or the new version,
never a mix or a torn file."""
from __future__ import annotations

import io
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import warnings
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from conftest import ROOT, find_table, run_cli, type_rows

METRICS, OLD, NEW = 25, "2029-06-15", "2030-01-15"


def command(*argv) -> list[str]:
    return [sys.executable, "-m", "journey_workbook", *map(str, argv)]


def environment() -> dict:
    env = dict(os.environ, XLWINGS_LICENSE_KEY=os.environ.get("XLWINGS_LICENSE_KEY",
                                                             "noncommercial"))
    env.pop("JOURNEY_WORKBOOK_DEBUG", None)
    return env


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A monthly client over five years with 25 metrics, refreshed once as of OLD."""
    path = tmp_path_factory.mktemp("big") / "BIG.xlsx"
    assert run_cli("new", path, "--client", "Big", "--start", "2025-01-01", "--end",
                   "2029-12-31", "--cadence", "month") == 0
    wb = openpyxl.load_workbook(path)
    type_rows(wb, "tblCatalog", [{"Metric ID": f"m{i:03d}", "Metric": f"Metric {i}",
                                  "Unit": "count", "Direction": "increase"}
                                 for i in range(METRICS)])
    type_rows(wb, "tblTargets", [{"Metric ID": f"m{i:03d}", "Baseline": 100 + i,
                                  "Target": 1000 + 10 * i} for i in range(METRICS)])
    wb.save(path)
    assert run_cli("plan", path, "--plan-only") == 0
    wb = openpyxl.load_workbook(path)
    type_rows(wb, "tblActuals", [{"Metric ID": f"m{i:03d}", "Period": f"{y}-{m:02d}",
                                  "Actual": 100 + i + (y - 2025) * 200 + m * 15}
                                 for i in range(METRICS) for y in range(2025, 2030)
                                 for m in range(1, 13)])
    wb.save(path)
    assert run_cli("refresh", path, "--as-of", OLD, "--no-charts") == 0
    wb = openpyxl.load_workbook(path)  # an actual corrected since: the next refresh differs
    ws, tbl = find_table(wb, "tblActuals")
    row = next(r for r in ws[tbl.ref] if r[0].value == "m000" and r[1].value == "2029-12")
    row[2].value = 2000
    wb.save(path)
    return path


def version(path: Path) -> tuple:
    """What tells the old file from the new: the as-of date and the whole Attainment table.
    Loading it is itself the check that the file is a complete workbook."""
    wb = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), data_only=True,  # also a .bak
                                read_only=True)
    try:
        return wb["Dashboard"]["B3"].value, tuple(wb["Attainment"].iter_rows(values_only=True))
    finally:
        wb.close()


def temp_files(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}.")
                  and p.name.endswith(".tmp"))


def start_refresh(path: Path, tmp: Path, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    # openpyxl writes each sheet to a temporary file of its own while saving: keep those
    # in a folder of this test, to count what a kill leaves there too.
    tmp.mkdir(exist_ok=True)
    return subprocess.Popen(command("refresh", path, "--as-of", NEW, "--no-charts"), cwd=ROOT,
                            env=dict(environment(), TMPDIR=str(tmp)),
                            stdout=subprocess.DEVNULL, stderr=stderr)


def watch(path: Path, tmp: Path) -> tuple[float, float, float, float]:
    """Run refresh once, polling: when it starts saving, when its temporary file beside the
    workbook appears and disappears, and when it ends (seconds from the start)."""
    log = path.with_suffix(".log")
    with log.open("w") as err:
        started = time.monotonic()
        proc = start_refresh(path, tmp, stderr=err)
        seen, saving = [], None
        while proc.poll() is None:
            now = time.monotonic() - started
            if temp_files(path.parent, path.name):
                seen.append(now)
            if saving is None and "Saving..." in log.read_text():  # flushed as it is printed
                saving = now
            time.sleep(0.002)
        ended = time.monotonic() - started
    assert proc.returncode == 0, log.read_text()
    assert saving is not None and seen, "no 'Saving...' or no temporary file beside the workbook"
    return saving, seen[0], seen[-1], ended


def test_killed_mid_save_the_workbook_is_old_or_new(big, tmp_path):
    old = version(big)
    assert old[0] == datetime(2029, 6, 15) and len(old[1]) == 1 + METRICS * 60

    probe = tmp_path / "probe"
    probe.mkdir()
    shutil.copyfile(big, probe / big.name)
    saving, first, last, ended = watch(probe / big.name, tmp_path / "probe-tmp")
    new = version(probe / big.name)
    assert new[0] == datetime(2030, 1, 15) and new[1] != old[1]

    # 20 kills: 8 at delays spread over reading and computing; 9 timed from the moment the
    # run says "Saving..." (so that a slower machine does not shift them), spread over
    # openpyxl's save into memory and densely around the moments the new file is written
    # beside the old one and moved over it; 3 the instant that new file appears (None).
    window = first - saving, last - saving
    plan = [(saving * (k + 0.5) / 8, False) for k in range(8)]
    plan += [(window[0] * (k + 0.5) / 4, True) for k in range(4)]
    plan += [(window[0] - 0.03 + (window[1] - window[0] + 0.06) * k / 4, True) for k in range(5)]
    plan += [(None, True)] * 3
    outcomes, left, stray, torn_backups = [], {}, 0, 0
    for k, (delay, after_saving) in enumerate(plan):
        folder = tmp_path / f"kill{k:02d}"
        folder.mkdir()
        path = folder / big.name
        shutil.copyfile(big, path)
        proc = start_refresh(path, folder / "tmp", stderr=subprocess.PIPE)
        if after_saving:
            for line in proc.stderr:
                if b"Saving..." in line:
                    break
        if delay is None:
            while proc.poll() is None and not temp_files(folder, big.name):
                pass  # no sleep: the file lives for milliseconds
        else:
            time.sleep(max(delay, 0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        found = version(path)
        when = "at the new file" if delay is None else f"{delay:.3f} s"
        assert found in (old, new), f"kill {k} ({when}) left a workbook that is neither"
        outcomes.append("new" if found == new else "old")
        temps = temp_files(folder, big.name)
        if temps:
            left[f"kill {k} ({when})"] = temps
        stray += len(os.listdir(folder / "tmp"))
        backup = folder / (big.name + ".bak")
        if backup.exists() and found == new:
            assert version(backup) == old  # moved over only after the backup was complete
        elif backup.exists():  # killed while the backup was being copied
            try:
                torn_backups += version(backup) != old
            except Exception:  # noqa: BLE001 - a torn copy fails to load in many ways
                torn_backups += 1
    assert "old" in outcomes  # the kills really interrupted runs
    summary = (f"{len(plan)} kills over a {ended:.2f} s run (saving from {saving:.2f} s, "
               f"temporary file beside it from "
               f"{first:.2f} to {last:.2f} s): {outcomes.count('old')} old, "
               f"{outcomes.count('new')} new; a hidden .{big.name}.*.tmp left by {len(left)} "
               f"kill(s) {sorted(left)}; {stray} openpyxl temporary file(s) left in TMPDIR; "
               f"{torn_backups} torn .bak file(s)")
    print("\n" + summary)
    if left or stray or torn_backups:
        # Reported, not failed: leftovers never touch the workbook, but nothing removes them
        # yet (a later save should; see the report to the lead).
        warnings.warn(summary)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    assert run_cli("demo", folder, "--as-of", "2026-07-15") == 0
    return folder / "example-client.en.xlsx"


def largest_sheet_part(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return max(i.file_size for i in zf.infolist() if i.filename.startswith("xl/worksheets/"))


@pytest.mark.parametrize("where", ["openpyxl's own temporary files", "the file beside it"])
def test_a_full_disk_fails_the_save_with_a_message(where, big, demo, tmp_path):
    """RLIMIT_FSIZE makes every write past the limit fail with EFBIG, as a full disk fails
    with ENOSPC. openpyxl first writes each sheet's XML to a temporary file: with the large
    workbook that is what fails; the demo's sheets are small but its charts are not, so there
    the new workbook itself cannot be written beside the old one."""
    source, argv = ((big, ["--no-charts"]) if where.startswith("openpyxl") else (demo, []))
    path = tmp_path / source.name
    shutil.copyfile(source, path)
    before = path.read_bytes()
    if source is big:
        limit = len(before) // 2
    else:
        limit = (largest_sheet_part(path) + len(before)) // 2
        assert largest_sheet_part(path) * 1.5 < limit < len(before) * 0.8

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(command("refresh", path, "--as-of", NEW, *argv), cwd=ROOT,
                          env=environment(), capture_output=True, text=True, timeout=300,
                          preexec_fn=small_files)
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done
    assert f"{path.name} could not be saved (File too large)" in done.stderr
    assert "was not changed" in done.stderr and "disk space" in done.stderr
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [path.name]  # no temporary file, no backup


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "client.xlsx"
    assert run_cli("new", path, "--client", "Acme", "--start", "2026-01-01", "--end",
                   "2026-12-31") == 0
    wb = openpyxl.load_workbook(path)
    type_rows(wb, "tblTargets", [{"Metric ID": "conversion_rate", "Baseline": 0.05,
                                  "Target": 0.10}])
    wb.save(path)
    return path


def refused(path: Path, capsys, *argv) -> str:
    before = path.read_bytes()
    capsys.readouterr()
    assert run_cli(*argv) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert path.read_bytes() == before
    return out + err


def test_a_read_only_workbook_is_not_written(small, capsys):
    os.chmod(small, 0o444)
    try:
        for argv in (("plan", small), ("refresh", small, "--as-of", NEW)):
            text = refused(small, capsys, *argv)
            assert "client.xlsx is read-only, so it was not written" in text, text
        assert sorted(os.listdir(small.parent)) == ["client.xlsx"]
    finally:
        os.chmod(small, 0o644)


def test_a_workbook_open_in_excel_is_not_written(small, capsys):
    lock = small.with_name("~$client.xlsx")
    lock.write_bytes(b"\x05Alex Chen" + b" " * 40)  # what Excel puts in its owner file
    for argv in (("plan", small), ("refresh", small, "--as-of", NEW)):
        text = refused(small, capsys, *argv)
        assert "client.xlsx is open in Excel" in text and "~$client.xlsx" in text, text
    assert sorted(os.listdir(small.parent)) == ["client.xlsx", "~$client.xlsx"]
    done = subprocess.run(command("refresh", small, "--as-of", NEW), cwd=ROOT,
                          env=environment(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "open in Excel" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_later_save_removes_temp_files_left_by_a_killed_one(tmp_path):
    import os
    import time

    from conftest import run_cli

    path = tmp_path / "client.xlsx"
    assert run_cli("new", path, "--client", "Acme") == 0
    stale = tmp_path / ".client.xlsx.k1ll3d.tmp"
    fresh = tmp_path / ".client.xlsx.s4v1ng.tmp"  # another save may be writing it right now
    for leftover in (stale, fresh):
        leftover.write_bytes(b"partial")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    assert run_cli("new", path, "--client", "Acme", "--force") == 0
    assert not stale.exists()
    assert fresh.exists()


def test_read_only_mode_is_respected_even_for_root(tmp_path):
    import os
    import stat

    from conftest import run_cli

    path = tmp_path / "client.xlsx"
    assert run_cli("new", path, "--client", "Acme") == 0
    before = path.read_bytes()
    os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    assert run_cli("new", path, "--client", "Other", "--force") == 1  # a save is needed
    assert path.read_bytes() == before
