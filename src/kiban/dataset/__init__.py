"""The kiban dataset format: schema, readers and writers, validation."""

from kiban.dataset.model import Dataset
from kiban.dataset.report import Rule, ValidationError, ValidationReport
from kiban.dataset.schema import FORMAT_VERSION, TABLES, Column, Kind, Table

__all__ = [
    "FORMAT_VERSION",
    "TABLES",
    "Column",
    "Dataset",
    "Kind",
    "Rule",
    "Table",
    "ValidationError",
    "ValidationReport",
]
