"""What every reader and writer of dataset files checks: file size, file and column names.

A file larger than `max_file_bytes()` is refused before a byte of it is read, so a mistaken
2 GB upload cannot exhaust memory. The limit is 1 GiB unless the environment variable
`KIBAN_MAX_FILE_BYTES` sets another (a whole number of bytes).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from kiban.dataset.schema import TABLES
from kiban.errors import DatasetError

MAX_FILE_BYTES_ENV = "KIBAN_MAX_FILE_BYTES"
DEFAULT_MAX_FILE_BYTES = 1 << 30
"""1 GiB: a CSV file of about 10 million supplies, a Parquet file of about 40 million."""

_GIB = 1 << 30


def max_file_bytes() -> int:
    """The largest file, in bytes, a reader accepts (`KIBAN_MAX_FILE_BYTES`, default 1 GiB)."""
    raw = os.environ.get(MAX_FILE_BYTES_ENV, "").strip().replace("_", "")
    if not raw:
        return DEFAULT_MAX_FILE_BYTES
    if not raw.isdigit() or int(raw) == 0:
        raise DatasetError(
            f"{MAX_FILE_BYTES_ENV} must be a positive whole number of bytes "
            f"(e.g. {2 * _GIB} for 2 GiB), not {raw!r}"
        )
    return int(raw)


def _size_text(n_bytes: int) -> str:
    if n_bytes >= _GIB:
        return f"{n_bytes / _GIB:.2f} GiB"
    return f"{n_bytes / (1 << 20):.1f} MiB"


def too_large(where: str, n_bytes: int, limit: int, *, what: str = "is") -> DatasetError:
    """The error for a file over the limit: its size, the limit and how to go on."""
    suggested = -(-n_bytes // _GIB) * _GIB
    hint = "" if where.lower().endswith(".parquet") else ", or save the data as Parquet (smaller)"
    return DatasetError(
        f"{where} {what} {_size_text(n_bytes)} ({n_bytes:,} bytes), over the limit of "
        f"{_size_text(limit)} ({limit:,} bytes) that keeps kiban within memory. To read it, "
        f"raise the limit, e.g. {MAX_FILE_BYTES_ENV}={suggested} if the machine has several "
        f"times that in memory{hint}."
    )


def check_size(path: Path) -> int:
    """The size of `path` in bytes; DatasetError if over `max_file_bytes()`."""
    size = path.stat().st_size
    limit = max_file_bytes()
    if size > limit:
        raise too_large(str(path), size, limit)
    return size


def table_named(name: str) -> str | None:
    """The table a file stem or sheet name stands for (`Firms ` -> `firms`), or None."""
    key = name.strip().lower()
    return key if key in TABLES else None


def check_column_names(names: Sequence[str], where: str) -> None:
    """DatasetError if a header names a column twice (ignoring case and surrounding spaces).

    `Dataset.from_frames` matches column names that way, so `Firm_ID` and `firm_id` in one
    header would be the same column.
    """
    keys = [n.strip().lower() for n in names if n.strip()]
    twice = sorted(k for k, count in Counter(keys).items() if count > 1)
    if twice:
        listed = ", ".join(
            " / ".join(repr(n) for n in names if n.strip().lower() == key) for key in twice
        )
        raise DatasetError(
            f"{where}: the header names the same column more than once: {listed} (names are "
            "compared ignoring case and surrounding spaces); rename or remove the duplicates"
        )


def in_table_order(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with the columns of table `name` in the schema's order, then any others."""
    declared = [c for c in TABLES[name].column_names if c in frame.columns]
    extra = [c for c in frame.columns if c not in TABLES[name].column_names]
    return frame.select(declared + extra)


def drop_empty_unnamed(frame: pl.DataFrame, unnamed: Sequence[str]) -> pl.DataFrame:
    """Drop columns with no header and no value (a stray delimiter or formatted cell)."""
    empty = [c for c in unnamed if frame.get_column(c).null_count() == frame.height]
    return frame.drop(empty)
