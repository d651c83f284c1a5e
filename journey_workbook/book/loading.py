"""Opening a workbook file with openpyxl, behind the package checks of package.py."""
from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl

from journey_workbook.errors import UnreadableWorkbook


def load_workbook_safely(path: Path, data_only: bool = False):
    if not path.exists():
        raise UnreadableWorkbook("not-found", f"{path} does not exist.",
                                 hint="Check the file name and folder.")
    with warnings.catch_warnings():
        # openpyxl warns about parts it does not model; package.py reports those properly.
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path, data_only=data_only)
