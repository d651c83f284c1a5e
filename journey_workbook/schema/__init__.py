"""The workbook contract as data: tables, columns, enumerations, labels and seed content.

One declaration per table drives the template writer, the reader, the validator and both
languages. Table names are fixed and language-neutral; sheet names and headers are localised.
"""
from journey_workbook.schema.enums import ENUMS, Enum, enum_label, parse_enum
from journey_workbook.schema.tables import TABLES, Column, Table, table, header_map

SCHEMA_VERSION = 1
LANGUAGES = ("en", "zh-CN")

__all__ = [
    "ENUMS", "Enum", "enum_label", "parse_enum", "TABLES", "Column", "Table", "table",
    "header_map", "SCHEMA_VERSION", "LANGUAGES",
]
