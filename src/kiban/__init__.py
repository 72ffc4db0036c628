"""kiban: analyse and strengthen a national defense industrial base.

The Python API is as small as the CLI::

    import kiban
    ds = kiban.read_dataset("survey.xlsx")        # or a folder of CSV / Parquet files
    report = kiban.validate(ds)                   # every problem, as a table
    with kiban.open_store() as store:             # ./kiban.db, or a PostgreSQL URL
        store.import_dataset(ds)
    kiban.write_dataset(ds, "out", "parquet")
    demo = kiban.generate_programs(seed=1)        # synthetic Japanese defense programs
    kiban.facts("budget").table                   # public figures with sources

Names are imported on first use so `import kiban` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Dataset": "kiban.dataset.model",
    "ValidationReport": "kiban.dataset.report",
    "ValidationError": "kiban.dataset.report",
    "KibanError": "kiban.errors",
    "read_dataset": "kiban.dataset.io",
    "write_dataset": "kiban.dataset.io",
    "write_template": "kiban.dataset.xlsx",
    "validate": "kiban.dataset.validate",
    "open_store": "kiban.store",
    "generate_programs": "kiban.reference.programs",
    "program_supply_chain": "kiban.network",
}
_RENAMED = {"facts": ("kiban.reference", "fact_table")}

__all__ = [
    "Dataset",
    "KibanError",
    "ValidationError",
    "ValidationReport",
    "__version__",
    "facts",
    "generate_programs",
    "open_store",
    "program_supply_chain",
    "read_dataset",
    "validate",
    "write_dataset",
    "write_template",
]

if TYPE_CHECKING:
    from kiban.dataset.io import read_dataset, write_dataset
    from kiban.dataset.model import Dataset
    from kiban.dataset.report import ValidationError, ValidationReport
    from kiban.dataset.validate import validate
    from kiban.dataset.xlsx import write_template
    from kiban.errors import KibanError
    from kiban.network import program_supply_chain
    from kiban.reference import fact_table as facts
    from kiban.reference.programs import generate_programs
    from kiban.store import open_store


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    if name in _RENAMED:
        module, attr = _RENAMED[name]
        return getattr(import_module(module), attr)
    raise AttributeError(f"module 'kiban' has no attribute {name!r}")
