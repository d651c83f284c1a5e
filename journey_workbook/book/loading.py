"""Opening a workbook file with openpyxl, behind the package checks of package.py."""
from __future__ import annotations

from pathlib import Path

from journey_workbook.book.package import PackageInfo, inspect_package, load_safely


def open_package(path: Path) -> tuple[PackageInfo, object]:
    """Inspect the file (refusing hostile or unreadable ones) and load it with openpyxl.
    Rich text is loaded as rich text so that saving keeps it."""
    info = inspect_package(path)
    return info, load_safely(path, info=info, rich_text=True)


def load_values(path: Path, info: PackageInfo):
    """The same workbook with formulas replaced by their cached results."""
    return load_safely(path, info=info, data_only=True)
