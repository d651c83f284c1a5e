"""Validation results: a Report of Issues, each naming sheet, cell, value, what is wrong and
how to fix it. Validation returns a report instead of raising."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Optional


@dataclass(frozen=True)
class Issue:
    code: str  # stable kebab-case key, e.g. "not-a-number"
    message: str  # what is wrong, in a sentence
    hint: str = ""  # how to fix it
    sheet: Optional[str] = None
    cell: Optional[str] = None  # A1
    value: Any = None  # the value as found (shown with repr-like quoting)
    table: Optional[str] = None
    severity: str = "error"  # "error" blocks refresh; "warning" does not

    def location(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or (self.table or "workbook")

    def text(self) -> str:
        shown = "" if self.value is None or self.value == "" else f" (found: {self.value!r})"
        message = self.message.rstrip()
        if not shown and message.endswith("."):
            message = message[:-1]  # the sentence gets its full stop below
        hint = f" Fix: {self.hint}" if self.hint else ""
        return f"{self.location()}: {message}{shown}.{hint}"


@dataclass
class Report:
    issues: list[Issue] = field(default_factory=list)

    def add(self, code: str, message: str, hint: str = "", **where) -> Issue:
        issue = Issue(code, message, hint, **where)
        self.issues.append(issue)
        return issue

    def extend(self, issues: Iterable[Issue]) -> None:
        self.issues.extend(issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def flatten(self, keys: Iterable[str]) -> list[list[Any]]:
        keys = list(keys)
        return [[getattr(i, k) for k in keys] for i in self.issues]

    def to_json(self) -> str:
        rows = []
        for i in self.issues:
            d = asdict(i)
            d["value"] = None if i.value is None else str(i.value)
            d["text"] = i.text()
            rows.append(d)
        return json.dumps({"valid": self.valid, "errors": len(self.errors),
                           "warnings": len(self.warnings), "issues": rows},
                          ensure_ascii=False, indent=2)

    def summary(self) -> str:
        if not self.issues:
            return "No problems found."
        return f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)."
