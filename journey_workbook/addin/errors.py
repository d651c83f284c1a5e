"""The error the add-in commands raise: a message for the user and, where useful, a hint."""
from __future__ import annotations

from journey_workbook.errors import JourneyError

INSTALL_HINT = 'pip install "journey-workbook[excel]"'


class AddinError(JourneyError):
    """Building, installing or removing the Excel add-in failed; the message says why."""


def missing_dependency(package: str) -> AddinError:
    return AddinError(f"The Excel add-in needs the Python package {package!r}, which is not installed.",
                      hint=f"Install it with: {INSTALL_HINT}")
