"""``build-template``: the user-facing templates, generated from the schema."""
from __future__ import annotations

from pathlib import Path

from journey_workbook.book.filebook import FileBook
from journey_workbook.template import build_workbook

TEMPLATE_NAMES = {"en": "journey_template.xlsx", "zh-CN": "journey_template.zh-CN.xlsx"}


def write_templates(outdir) -> list[Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for lang, name in TEMPLATE_NAMES.items():
        path = outdir / name
        book = FileBook(path, build_workbook(lang))
        book.save()
        backup = path.with_name(path.name + ".bak")
        if backup.exists():  # a template is regenerated, not edited: no backup wanted
            backup.unlink()
        paths.append(path)
    return paths
