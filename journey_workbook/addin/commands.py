"""``journey-workbook addin build|install|uninstall``: argparse wiring for the add-in commands.

``cli.py`` calls :func:`register` with its subparsers; every leaf parser sets ``handler``, a
function that takes the parsed arguments, prints, and returns the exit code.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from journey_workbook.addin.build import ADDIN_FILE, build_addin
from journey_workbook.addin.errors import AddinError
from journey_workbook.addin.install import install_addin, uninstall_addin
from journey_workbook.addin.ribbon import LANGUAGES, ribbon_title

def register(subparsers: argparse._SubParsersAction) -> None:
    addin = subparsers.add_parser(
        "addin", help="build or install the Excel add-in (the Journey ribbon tab)",
        description="The Excel add-in puts a Journey tab on Excel's ribbon whose buttons run "
                    "this package on the open workbook. It needs desktop Excel on Windows or "
                    'macOS and the excel extra: pip install "journey-workbook[excel]".')
    commands = addin.add_subparsers(dest="addin_command", metavar="COMMAND", required=True)

    lang_help = ("language of the ribbon's labels (default: en). Office cannot switch them "
                 "at run time, so the add-in is built in one language; rebuild to change it")
    build = commands.add_parser(
        "build", help=f"write the add-in file ({ADDIN_FILE})",
        description=f"Assemble {ADDIN_FILE} from the package's macros and the installed xlwings. "
                    "Works on any system; only Excel on Windows or macOS can use the result.")
    build.add_argument("-o", "--output", type=Path, metavar="PATH",
                       help=f"the .xlam file or the folder to write it in (default: ./{ADDIN_FILE})")
    build.add_argument("--lang", choices=LANGUAGES, default="en", help=lang_help)
    build.set_defaults(handler=run_build)

    install = commands.add_parser(
        "install", help="install the add-in into Excel (Windows, macOS)",
        description="Build the add-in into the folder Excel loads add-ins from at start-up and "
                    "write the settings that tell it which Python to run (this one).")
    install.add_argument("--lang", choices=LANGUAGES, default="en", help=lang_help)
    install.set_defaults(handler=run_install)

    uninstall = commands.add_parser(
        "uninstall", help="remove the add-in from Excel (Windows, macOS)",
        description="Remove the installed add-in and its settings file.")
    uninstall.set_defaults(handler=run_uninstall)


def run_build(args: argparse.Namespace) -> int:
    try:
        path = build_addin(args.output, lang=args.lang)
    except AddinError as exc:
        return _fail(exc)
    print(f"Built the Journey add-in ({LANGUAGES[args.lang]} ribbon): {path}")
    print("To put the add-in into Excel (Windows, macOS), run: journey-workbook addin install")
    return 0


def run_install(args: argparse.Namespace) -> int:
    try:
        done = install_addin(lang=args.lang)
    except AddinError as exc:
        return _fail(exc)
    print(f"Installed the Journey add-in ({LANGUAGES[args.lang]} ribbon): {done.addin}")
    print(f"Its Python settings are in {done.config_file}:")
    for key, value in done.settings.items():
        print(f"  {key} = {value}")
    if done.applescript is None:
        print(f"Restart Excel: the {ribbon_title(args.lang)} tab appears on the ribbon.")
    else:
        print(f"Copied xlwings' AppleScript, which RunPython needs, to {done.applescript} "
              "(what `xlwings runpython install` does).")
        print(f"Quit Excel (Cmd-Q) and start it again: the {ribbon_title(args.lang)} tab appears on "
              "the ribbon. The first click asks to let Excel run Python; allow it.")
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    try:
        removed = uninstall_addin()
    except AddinError as exc:
        return _fail(exc)
    if not removed:
        print("The Journey add-in was not installed; nothing to remove.")
    for path in removed:
        print(f"Removed {path}")
    if removed:
        print("Restart Excel to take the Journey tab off the ribbon.")
    return 0


def _fail(error: AddinError) -> int:
    print(f"Error: {error.message}", file=sys.stderr)
    if error.hint:
        print(f"  Fix: {error.hint}", file=sys.stderr)
    return 1
