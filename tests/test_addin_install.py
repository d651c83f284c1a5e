"""Installing the add-in into a fake home folder laid out as on Windows and on macOS, the
message on Linux, and the ``addin`` commands."""
from __future__ import annotations

import argparse
import functools
import re
import sys
import zipfile
from pathlib import Path

import pytest

from journey_workbook.addin import AddinError, install_addin, uninstall_addin
from journey_workbook.addin import commands
from journey_workbook.addin.build import xlwings_dir, xlwings_version

PYTHON_WIN = r"C:\Users\csm\journey\.venv\Scripts\python.exe"
PYTHON_MAC = "/Users/csm/journey/.venv/bin/python"


def windows_env(home: Path) -> dict[str, str]:
    return {"APPDATA": str(home / "AppData" / "Roaming"), "USERPROFILE": str(home)}


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def tab_label(addin: Path) -> str:
    with zipfile.ZipFile(addin) as package:
        xml = package.read("customUI/customUI14.xml").decode("utf-8")
    return xml.split('<tab id="jwTab" label="', 1)[1].split('"', 1)[0]


def test_windows_install_puts_the_addin_in_xlstart_and_writes_settings(tmp_path):
    env = windows_env(tmp_path)
    done = install_addin(platform="win32", environ=env, interpreter=PYTHON_WIN)

    addin = tmp_path / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART" / "journey.xlam"
    config = tmp_path / ".journey" / "journey.conf"
    assert (done.addin, done.config_file, done.applescript) == (addin, config, None)
    assert files_under(tmp_path) == sorted([addin, config])
    assert zipfile.is_zipfile(addin) and tab_label(addin) == "Journey"
    assert config.read_bytes() == (b'"INTERPRETER_WIN","C:\\Users\\csm\\journey\\.venv\\Scripts\\python.exe"\r\n'
                                   b'"ADD_WORKBOOK_TO_PYTHONPATH","False"\r\n')

    assert uninstall_addin(platform="win32", environ=env) == [addin, config]
    assert files_under(tmp_path) == []
    assert not (tmp_path / ".journey").exists()
    assert uninstall_addin(platform="win32", environ=env) == []


def test_windows_install_defaults_to_this_python_and_keeps_other_settings(tmp_path):
    env = windows_env(tmp_path)
    config = tmp_path / ".journey" / "journey.conf"
    config.parent.mkdir()
    config.write_bytes(b'"INTERPRETER_WIN","C:\\old\\python.exe"\r\n"SHOW_ERROR_POPUPS","False"\r\n')
    install_addin("zh-CN", platform="win32", environ=env)
    assert config.read_text("utf-8").splitlines() == [
        f'"INTERPRETER_WIN","{sys.executable}"',
        '"ADD_WORKBOOK_TO_PYTHONPATH","False"',
        '"SHOW_ERROR_POPUPS","False"',
    ]
    assert tab_label(tmp_path / "AppData/Roaming/Microsoft/Excel/XLSTART/journey.xlam") == "客户成功旅程"


def test_windows_install_from_a_conda_environment_activates_it(tmp_path):
    env = {**windows_env(tmp_path), "CONDA_DEFAULT_ENV": "journey",
           "CONDA_EXE": r"C:\Users\csm\miniconda3\Scripts\conda.exe"}
    done = install_addin(platform="win32", environ=env, interpreter=PYTHON_WIN)
    assert done.settings == {"INTERPRETER_WIN": PYTHON_WIN, "ADD_WORKBOOK_TO_PYTHONPATH": "False",
                             "CONDA PATH": r"C:\Users\csm\miniconda3", "CONDA ENV": "journey"}


def test_macos_install_uses_excels_startup_folder_and_sandbox(tmp_path):
    env = {"HOME": str(tmp_path)}
    done = install_addin(platform="darwin", environ=env, interpreter=PYTHON_MAC)

    library = tmp_path / "Library"
    addin = library / "Group Containers/UBF8T346G9.Office/User Content/Startup/Excel/journey.xlam"
    config = library / "Containers/com.microsoft.Excel/Data/journey.conf"
    script_name = f"xlwings-{xlwings_version()}.applescript"
    script = library / "Application Scripts/com.microsoft.Excel" / script_name
    assert (done.addin, done.config_file, done.applescript) == (addin, config, script)
    assert files_under(tmp_path) == sorted([addin, config, script])
    assert config.read_bytes() == (b'"INTERPRETER_MAC","/Users/csm/journey/.venv/bin/python"\r\n'
                                   b'"ADD_WORKBOOK_TO_PYTHONPATH","False"\r\n')
    assert script.read_bytes() == (xlwings_dir() / script_name).read_bytes()

    # The AppleScript stays: any xlwings add-in uses it.
    assert uninstall_addin(platform="darwin", environ=env) == [addin, config]
    assert files_under(tmp_path) == [script]


def test_linux_builds_the_addin_and_says_desktop_excel_is_needed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AddinError) as error:
        install_addin(platform="linux", environ={})
    message = str(error.value)
    assert "desktop Excel on Windows or macOS" in message
    assert f"the add-in was built at {tmp_path / 'journey.xlam'}" in message
    assert 'run `pip install "journey-workbook[excel]"`, then `journey-workbook addin install`' in message
    assert (tmp_path / "journey.xlam").is_file()
    with pytest.raises(AddinError, match="desktop Excel on Windows or macOS"):
        uninstall_addin(platform="linux", environ={})


def test_missing_home_variable_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AddinError, match="The environment variable APPDATA is not set"):
        install_addin(platform="win32", environ={"USERPROFILE": str(tmp_path)})
    assert list(tmp_path.iterdir()) == []


# -- the commands ------------------------------------------------------------------------------

def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="journey-workbook")
    commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_build_command(tmp_path, capsys):
    assert run("addin", "build", "-o", str(tmp_path / "out.xlam"), "--lang", "zh-CN") == 0
    assert tab_label(tmp_path / "out.xlam") == "客户成功旅程"
    out = capsys.readouterr().out
    assert f"Built the Journey add-in (Simplified Chinese ribbon): {tmp_path / 'out.xlam'}" in out


def test_build_command_refuses_an_unknown_language(capsys):
    with pytest.raises(SystemExit) as exit_:
        run("addin", "build", "--lang", "fr")
    assert exit_.value.code == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_build_command_reports_errors_without_traceback(tmp_path, capsys):
    assert run("addin", "build", "-o", str(tmp_path / "journey.xlsx")) == 1
    assert capsys.readouterr().err.startswith("Error: The add-in file must end in .xlam")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the message for Linux")
def test_install_and_uninstall_commands_on_linux(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run("addin", "install") == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: The Journey add-in runs in desktop Excel on Windows or macOS")
    assert str(tmp_path / "journey.xlam") in err
    assert "\n  Fix: On the CSM's Windows or Mac computer, run" in err
    assert run("addin", "uninstall") == 1
    assert "desktop Excel on Windows or macOS" in capsys.readouterr().err


@pytest.mark.parametrize("platform, restart", [("win32", "Restart Excel"), ("darwin", "Quit Excel (Cmd-Q)")],
                         ids=["windows", "macos"])
def test_install_and_uninstall_commands_report_paths(tmp_path, monkeypatch, capsys, platform, restart):
    env = windows_env(tmp_path) if platform == "win32" else {"HOME": str(tmp_path)}
    # The real install and uninstall, into the fake home: the commands only choose what to print.
    for name, function in (("install_addin", install_addin), ("uninstall_addin", uninstall_addin)):
        monkeypatch.setattr(commands, name, functools.partial(function, platform=platform, environ=env))

    assert run("addin", "install") == 0
    out = capsys.readouterr().out
    addin = next(tmp_path.rglob("journey.xlam"))
    assert f"Installed the Journey add-in (English ribbon): {addin}" in out
    assert f"  INTERPRETER_{'WIN' if platform == 'win32' else 'MAC'} = {sys.executable}" in out
    assert restart in out and "the Journey tab appears" in out
    assert ("xlwings runpython install" in out) == (platform == "darwin")

    assert run("addin", "uninstall") == 0
    assert f"Removed {addin}" in capsys.readouterr().out
    assert run("addin", "uninstall") == 0
    assert "was not installed" in capsys.readouterr().out


def test_every_addin_command_has_help(capsys):
    with pytest.raises(SystemExit):
        run("addin", "--help")
    out = capsys.readouterr().out
    for command, help_ in (("build", "write the add-in file"), ("install", "install the add-in into Excel"),
                           ("uninstall", "remove the add-in from Excel")):
        assert re.search(rf"^\s+{command}\s+{help_}", out, re.M), command


def test_journey_workbook_cli_runs_the_addin_commands(tmp_path, capsys):
    from journey_workbook.cli import main

    assert main(["addin", "build", "-o", str(tmp_path)]) == 0
    assert (tmp_path / "journey.xlam").is_file()
    assert "Built the Journey add-in" in capsys.readouterr().out
