"""The exceptions the library raises on purpose. The CLI and the add-in turn them into messages."""

from __future__ import annotations


class JourneyError(Exception):
    """Base of every error meant for the user: a message, and optionally a hint on what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class UnreadableWorkbook(JourneyError):
    """The file cannot be read safely. `code` is a stable key: `not-found`, `not-a-workbook`,
    `truncated`, `corrupt-zip`, `encrypted`, `legacy-xls`, `xlsb`, `strict-ooxml`, `xml-entities`,
    `too-large`, `zip-bomb`, `too-many-parts`, `bad-part-name`, `malformed-xml`, `missing-part`,
    `unsupported-content`."""

    def __init__(self, code: str, message: str, hint: str | None = None,
                 part: str | None = None) -> None:
        super().__init__(message, hint)
        self.code = code
        self.part = part


class WorkbookLocked(JourneyError):
    """The workbook is open in Excel or LibreOffice (a lock file sits beside it) or is read-only."""


class WouldLoseContent(JourneyError):
    """Saving would drop or damage content the user made; `parts` lists it (AtRiskPart items)."""

    def __init__(self, message: str, parts: list, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.parts = list(parts)


class NotAJourneyWorkbook(JourneyError):
    """A readable workbook that is not a journey workbook (missing sheets or tables)."""
