"""Persistence: a kiban dataset kept in SQLite (the default, `./kiban.db`) or PostgreSQL.

>>> import polars as pl
>>> from kiban.dataset import Dataset
>>> with open_store("sqlite://", create=True) as store:
...     ds = Dataset.from_frames({"firms": pl.DataFrame(
...         {"firm_id": ["F1"], "name": ["Acme"], "country": ["JP"]})})
...     print(store.import_dataset(ds, actor="analyst").summary())
...     print(store.import_dataset(ds, actor="analyst").summary())
...     print(store.info().row_counts["firms"])
added firms 1; 0 rows unchanged
nothing changed: the store already holds all 1 rows
1
"""

from kiban.store.audit import ImportRecord, TableCounts
from kiban.store.store import ImportResult, Store, StoreInfo, open_store

__all__ = [
    "ImportRecord",
    "ImportResult",
    "Store",
    "StoreInfo",
    "TableCounts",
    "open_store",
]
