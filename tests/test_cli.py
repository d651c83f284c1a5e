"""The command line as a whole: every command has help and documentation, --version works,
usage errors exit 2, library errors become `Error: ...` and exit 1, and `demo` writes both
languages, valid and refreshed."""
from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from conftest import ROOT, defined_value, run_cli, table_records
from journey_workbook import __version__
from journey_workbook.actions.validate import validate_file
from journey_workbook.cli import build_parser, main


def _subcommands(parser: argparse.ArgumentParser, prefix=()) -> dict[tuple, argparse.ArgumentParser]:
    """Every command path (("new",), ("addin", "build"), ...) and its parser."""
    out = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out[prefix + (name,)] = sub
                out.update(_subcommands(sub, prefix + (name,)))
    return out


COMMANDS = _subcommands(build_parser())
TOP = sorted(path[0] for path in COMMANDS if len(path) == 1)


def test_the_documented_commands_exist():
    assert {"new", "plan", "validate", "refresh", "demo", "build-template"} <= set(TOP)


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_command_has_help(path, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*path, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: journey-workbook " + " ".join(path))
    parser = COMMANDS[path]
    assert parser.description and len(parser.description) > 20, path


def test_every_command_has_a_one_line_summary(capsys):
    summaries = {}
    for parser_path, parser in [((), build_parser()), *COMMANDS.items()]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    summaries[parser_path + (choice.dest,)] = choice.help
    assert set(summaries) == set(COMMANDS)
    for path, text in summaries.items():
        assert text and len(text) > 10, path
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(f"    {name}" in out for name in TOP)


def test_readme_mentions_every_command():
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md is not written yet")
    text = readme.read_text(encoding="utf-8")
    for path in COMMANDS:
        assert f"journey-workbook {' '.join(path)}" in text or (
            len(path) == 2 and f"journey-workbook {path[0]} " in text and path[1] in text), path


def test_python_m_version():
    done = subprocess.run([sys.executable, "-m", "journey_workbook", "--version"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0
    assert done.stdout.strip() == f"journey-workbook {__version__}"


def test_python_m_usage_error_exits_2():
    done = subprocess.run([sys.executable, "-m", "journey_workbook", "frobnicate"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2 and "invalid choice" in done.stderr


@pytest.mark.parametrize("argv", [
    [], ["frobnicate"], ["new"], ["new", "x.xlsx"], ["plan"], ["refresh"],
    ["refresh", "x.xlsx", "--as-of", "yesterday"], ["validate", "--json"],
    ["demo", "out", "--as-of", "2026-13-01"], ["new", "x.xlsx", "--client", "X", "--bogus"],
])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_library_errors_are_messages_not_tracebacks(tmp_path, capsys):
    assert run_cli("plan", tmp_path / "missing.xlsx") == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "missing.xlsx" in err and "Traceback" not in err
    (tmp_path / "text.xlsx").write_text("not a workbook")
    assert run_cli("plan", tmp_path / "text.xlsx") == 1
    assert capsys.readouterr().err.startswith("Error: ")


# -- demo ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert run_cli("demo", out) == 0
    return out


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_demo_writes_both_languages_valid_and_refreshed(demo, lang):
    path = demo / f"example-client.{lang}.xlsx"
    assert path.exists()
    assert validate_file(path).issues == []
    assert defined_value(path, "jw_health_score") == pytest.approx(84.2, abs=0.05)
    assert table_records(path, "tblAttainment")
    assert table_records(path, "tblCalendar")


def test_demo_output_folder_holds_only_the_two_workbooks(demo):
    assert sorted(p.name for p in demo.iterdir()) == ["example-client.en.xlsx",
                                                      "example-client.zh-CN.xlsx"]


def test_demo_validates_and_refreshes_through_the_cli(demo, tmp_path):
    import shutil

    path = tmp_path / "demo.xlsx"
    shutil.copyfile(demo / "example-client.zh-CN.xlsx", path)
    assert run_cli("validate", path) == 0
    assert run_cli("refresh", path, "--as-of", "2026-07-15", "--no-charts") == 0
    assert defined_value(path, "jw_health_score") == pytest.approx(84.2, abs=0.05)


def test_demo_again_keeps_the_users_edited_copy_as_the_backup(demo, tmp_path):
    import shutil

    import openpyxl

    out = tmp_path / "demo"
    out.mkdir()
    shutil.copyfile(demo / "example-client.en.xlsx", out / "example-client.en.xlsx")
    wb = openpyxl.load_workbook(out / "example-client.en.xlsx")
    wb["Client"]["B2"] = "My own notes on this client"
    wb.save(out / "example-client.en.xlsx")
    edited = (out / "example-client.en.xlsx").read_bytes()
    assert run_cli("demo", out) == 0
    assert (out / "example-client.en.xlsx.bak").read_bytes() == edited
    assert not (out / "example-client.zh-CN.xlsx.bak").exists()
