"""Parquet files of a dataset: typed columns, compressed, the fastest container to read.

A Parquet file written by another tool may hold types the format has no use for (decimals,
categoricals, time-zoned timestamps); they are brought to the plain types that
`Dataset.from_frames` converts from. Nested types (lists, structs) and binary are refused.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from kiban.dataset.files import check_column_names, check_size
from kiban.errors import DatasetError, first_line


def read_parquet_table(path: Path) -> pl.DataFrame:
    """The table in Parquet file `path`; DatasetError if it is corrupt, too large or nested."""
    where = str(path)
    if check_size(path) == 0:
        raise DatasetError(f"{where} is empty (0 bytes), not a Parquet file")
    try:
        frame = pl.read_parquet(path, glob=False)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError) as exc:
        raise DatasetError(
            f"{where} is not a readable Parquet file ({first_line(exc)}); it may be damaged or "
            "incomplete: write it again"
        ) from None
    check_column_names(frame.columns, where)
    return frame.with_columns(_plain(name, dtype, where) for name, dtype in frame.schema.items())


def write_parquet_table(frame: pl.DataFrame, path: Path) -> None:
    """Write `frame` to `path` (zstd), keeping every type and value exactly."""
    frame.write_parquet(path, compression="zstd")


def _plain(name: str, dtype: pl.DataType, where: str) -> pl.Expr:
    column = pl.col(name)
    if isinstance(dtype, pl.Decimal):
        return column.cast(pl.Float64)
    if isinstance(dtype, (pl.Categorical, pl.Enum, pl.Null)):
        return column.cast(pl.String)
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return column.dt.replace_time_zone(None)
    if dtype.is_nested() or isinstance(dtype, (pl.Binary, pl.Object)):
        raise DatasetError(
            f"{where}: column {name!r} holds {dtype} values; a dataset column holds text, "
            "numbers, booleans or dates"
        )
    return column
