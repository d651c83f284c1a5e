"""LibreOffice as a real second spreadsheet app: open, recalculate, render and re-save what
the product writes. Each call uses a throwaway profile so runs do not share state."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import need_soffice


def convert(src: Path, outdir: Path, target: str, profile: Path, recalc: bool = False) -> Path:
    """``soffice --convert-to target``; returns the output path. ``recalc`` sets LibreOffice
    to recalculate formulas on load (its default keeps cached values)."""
    exe = need_soffice()
    profile.mkdir(parents=True, exist_ok=True)
    if recalc:
        user = profile / "user"
        user.mkdir(exist_ok=True)
        (user / "registrymodifications.xcu").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
            '<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>\n'
            '</oor:items>\n', encoding="utf-8")
    outdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [exe, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless",
         "--norestore", "--convert-to", target, "--outdir", str(outdir), str(src)],
        capture_output=True, text=True, timeout=180)
    ext = target.split(":")[0]
    out = outdir / (src.stem + "." + ext)
    assert out.exists(), f"LibreOffice did not convert {src.name}: {proc.stdout} {proc.stderr}"
    return out


def pdf_text(pdf: Path) -> str:
    exe = shutil.which("pdftotext")
    assert exe, "pdftotext is required: apt-get install poppler-utils (.ci/run installs it)"
    return subprocess.run([exe, "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
