"""The kiban dataset format: schema, readers and writers, validation."""

from kiban.dataset.io import FORMATS, read_dataset, write_dataset
from kiban.dataset.model import Dataset
from kiban.dataset.report import Rule, ValidationError, ValidationReport
from kiban.dataset.schema import FORMAT_VERSION, TABLES, Column, Kind, Table
from kiban.dataset.validate import validate
from kiban.dataset.xlsx import write_template

__all__ = [
    "FORMATS",
    "FORMAT_VERSION",
    "TABLES",
    "Column",
    "Dataset",
    "Kind",
    "Rule",
    "Table",
    "ValidationError",
    "ValidationReport",
    "read_dataset",
    "validate",
    "write_dataset",
    "write_template",
]
