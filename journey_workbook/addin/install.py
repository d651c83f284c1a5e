"""Put the add-in where desktop Excel loads it and write the Python settings it reads.

What ``xlwings addin install`` does for xlwings' own add-in, done for ``journey.xlam``:
- Windows: the user's XLSTART folder, ``%APPDATA%\\Microsoft\\Excel\\XLSTART`` (Excel opens every
  file there at start-up; xlwings asks Excel for ``Application.StartupPath``, which is this
  folder unless changed). Settings: ``%USERPROFILE%\\.journey\\journey.conf``.
- macOS: ``~/Library/Group Containers/UBF8T346G9.Office/User Content/Startup/Excel`` (the
  ``StartupPath`` of Excel 2016 and later). Settings: ``journey.conf`` in Excel's sandbox home,
  ``~/Library/Containers/com.microsoft.Excel/Data``. RunPython on macOS also needs xlwings'
  AppleScript in ``~/Library/Application Scripts/com.microsoft.Excel``: it is copied there, as
  ``xlwings runpython install`` does.
These are the places the add-in's xlwings VBA (``GetConfigFilePath``) reads its user settings from.
Every path is a function of the platform and the environment passed in, so tests can install
into a temporary home.
"""
from __future__ import annotations

import csv
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from journey_workbook.addin.build import (ADDIN_FILE, PROJECT_NAME, build_addin, xlwings_dir,
                                          xlwings_version)
from journey_workbook.addin.errors import AddinError

# sys.platform values of the systems with a desktop Excel.
DESKTOP_EXCEL = ("win32", "darwin")
# VBA reads the settings file with `Input #`, in the system's ANSI code page on Windows.
_CONFIG_ENCODING = "mbcs" if os.name == "nt" else "utf-8"


@dataclass(frozen=True)
class ExcelLayout:
    """Where one platform's desktop Excel looks for add-ins and for the add-in's settings."""

    addin_dir: Path
    config_file: Path
    applescript_dir: Path | None = None  # macOS only


@dataclass(frozen=True)
class Installation:
    addin: Path
    config_file: Path
    settings: dict[str, str]
    applescript: Path | None = None


def excel_layout(platform: str | None = None, environ: Mapping[str, str] | None = None) -> ExcelLayout:
    """The add-in locations for ``platform`` (``sys.platform`` values; default this machine)."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    if platform == "win32":
        appdata, profile = _env(environ, "APPDATA"), _env(environ, "USERPROFILE")
        return ExcelLayout(addin_dir=appdata / "Microsoft" / "Excel" / "XLSTART",
                           config_file=profile / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf")
    if platform == "darwin":
        library = _env(environ, "HOME") / "Library"
        office = library / "Group Containers" / "UBF8T346G9.Office"
        return ExcelLayout(
            addin_dir=office / "User Content" / "Startup" / "Excel",
            config_file=library / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT_NAME}.conf",
            applescript_dir=library / "Application Scripts" / "com.microsoft.Excel")
    raise _no_desktop_excel(platform)


def install_addin(lang: str = "en", *, platform: str | None = None,
                  environ: Mapping[str, str] | None = None,
                  interpreter: str | None = None) -> Installation:
    """Build the add-in into Excel's start-up folder and write its settings.

    ``interpreter`` is the Python that the buttons run (default: this one, ``sys.executable``).
    Settings already in the user's ``journey.conf`` other than the ones written are kept.
    Where there is no desktop Excel (Linux), the add-in is built into the current folder and
    :class:`AddinError` says where it is.
    """
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    if platform not in DESKTOP_EXCEL:
        built = build_addin(lang=lang)
        raise AddinError(f"{_no_desktop_excel(platform).message} Nothing was installed; the add-in "
                         f"was built at {built}.",
                         hint="On the CSM's Windows or Mac computer, run "
                              '`pip install "journey-workbook[excel]"`, then '
                              "`journey-workbook addin install`.")
    layout = excel_layout(platform, environ)
    addin = build_addin(layout.addin_dir / ADDIN_FILE, lang=lang)
    settings = interpreter_settings(platform, environ, interpreter or sys.executable)
    _write_config(layout.config_file, settings)
    applescript = None
    if layout.applescript_dir is not None:
        applescript = _install_applescript(layout.applescript_dir)
    return Installation(addin=addin, config_file=layout.config_file, settings=settings,
                        applescript=applescript)


def uninstall_addin(*, platform: str | None = None,
                    environ: Mapping[str, str] | None = None) -> list[Path]:
    """Remove the installed add-in and its settings file; return what was removed.

    xlwings' AppleScript stays: other xlwings add-ins use it too.
    """
    platform = sys.platform if platform is None else platform
    if platform not in DESKTOP_EXCEL:
        raise AddinError(f"{_no_desktop_excel(platform).message} Nothing was installed here, so "
                         "there is nothing to remove.")
    layout = excel_layout(platform, environ)
    removed = []
    for path in (layout.addin_dir / ADDIN_FILE, layout.config_file):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except PermissionError:
            raise AddinError(f"Cannot remove {path}: it is in use, probably by Excel.",
                             hint="Quit Excel and try again, or delete the file by hand.") from None
        removed.append(path)
    if layout.config_file.parent.name == f".{PROJECT_NAME}":
        try:
            layout.config_file.parent.rmdir()
        except OSError:
            pass  # missing, or holds files the user put there
    return removed


def interpreter_settings(platform: str, environ: Mapping[str, str], interpreter: str) -> dict[str, str]:
    """The user settings RunPython needs, keyed as xlwings' VBA ``GetConfig`` reads them."""
    key = "INTERPRETER_WIN" if platform == "win32" else "INTERPRETER_MAC"
    settings = {key: interpreter, "ADD_WORKBOOK_TO_PYTHONPATH": "False"}
    conda_env, conda_exe = environ.get("CONDA_DEFAULT_ENV"), environ.get("CONDA_EXE")
    if platform == "win32" and conda_env and conda_exe:
        # As `xlwings config create`: a conda Python on Windows finds its DLLs only once its
        # environment is activated, which RunPython does given these two settings.
        settings["CONDA PATH"] = str(PureWindowsPath(conda_exe).parents[1])
        settings["CONDA ENV"] = conda_env
    return settings


def _write_config(path: Path, settings: dict[str, str]) -> None:
    kept = []
    if path.is_file():
        with path.open(encoding=_CONFIG_ENCODING, errors="replace", newline="") as f:
            kept = [row for row in csv.reader(f) if len(row) == 2 and row[0].upper() not in settings]
    rows = [*settings.items(), *kept]
    path.parent.mkdir(parents=True, exist_ok=True)
    # `Input #` reads "KEY","VALUE" pairs; a quoted value may hold commas but no quotes.
    text = "".join(f'"{key}","{value}"\r\n' for key, value in rows)
    try:
        data = text.encode(_CONFIG_ENCODING)
    except UnicodeEncodeError as exc:
        raise AddinError(f"Excel reads {path} in this system's code page, which cannot hold "
                         f"{exc.object[exc.start:exc.end]!r} (in the Python path).",
                         hint="Install Python in a folder whose path has no such characters.") from None
    path.write_bytes(data)


def _install_applescript(folder: Path) -> Path:
    source = xlwings_dir() / f"xlwings-{xlwings_version()}.applescript"
    if not source.is_file():
        raise AddinError(f"The installed xlwings has no {source.name}, which RunPython needs on macOS.",
                         hint='Reinstall it: pip install "journey-workbook[excel]"')
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(source, folder / source.name))


def _no_desktop_excel(platform: str) -> AddinError:
    return AddinError(f"The Journey add-in runs in desktop Excel on Windows or macOS; there is "
                      f"no desktop Excel on this system ({platform}).")


def _env(environ: Mapping[str, str], name: str) -> Path:
    value = environ.get(name)
    if not value:
        raise AddinError(f"The environment variable {name} is not set, so the Excel folders "
                         "cannot be found.")
    return Path(value)
