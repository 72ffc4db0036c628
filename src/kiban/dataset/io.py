"""Read and write a dataset in any of its containers: CSV folder, Parquet folder, Excel workbook.

`read_dataset` takes what a user points at and returns a `Dataset` whose values are in the
schema's types, with what reading found wrong kept for `kiban.dataset.validate.validate`.
Whatever cannot be read at all (a missing path, a file that is not UTF-8, a corrupt Parquet
file, a workbook without table sheets, a file over `KIBAN_MAX_FILE_BYTES`) raises
`DatasetError` naming the file and, where it can, the line.

`write_dataset` writes every table a dataset has; reading back what it wrote gives the same
tables, value for value, in all three containers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

import polars as pl

from kiban.dataset.csvio import read_csv_table, write_csv_table
from kiban.dataset.files import in_table_order, table_named
from kiban.dataset.model import Dataset
from kiban.dataset.parquetio import read_parquet_table, write_parquet_table
from kiban.dataset.schema import TABLES
from kiban.dataset.xlsx import read_workbook, write_workbook
from kiban.errors import DatasetError

Format = Literal["csv", "parquet", "xlsx"]
FORMATS: tuple[Format, ...] = get_args(Format)

_READERS: dict[str, Callable[[Path], pl.DataFrame]] = {
    ".csv": read_csv_table,
    ".parquet": read_parquet_table,
}
_WRITERS: dict[str, Callable[[pl.DataFrame, Path], None]] = {
    "csv": write_csv_table,
    "parquet": write_parquet_table,
}
# Other spreadsheet files go to the workbook reader too, which says how to save them as .xlsx.
_WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
_EXPECTED = ", ".join(f"{name}.csv" for name in TABLES)


def read_dataset(path: str | os.PathLike[str]) -> Dataset:
    """Read the dataset at `path`: a folder of CSV or Parquet files, or an .xlsx workbook.

    A folder holds one file per table (`firms.csv`, `supplies.parquet`, ...); files named
    like no table are reported as warnings and not read. A workbook holds one sheet per
    table; other sheets are ignored. A single `firms.csv` or `firms.parquet` is a dataset
    of one table. Tables a dataset does not need may be absent.

    Values are converted to the schema's types by `Dataset.from_frames`; values that do not
    convert are kept in `read_issues`, not raised. Raises DatasetError when the dataset
    cannot be read at all.
    """
    where = Path(path)
    suffix = where.suffix.lower()
    try:
        if not where.exists():
            raise DatasetError(f"{where} does not exist")
        if where.is_dir():
            frames, locations = _read_folder(where)
        elif suffix in _WORKBOOKS:
            frames, locations = read_workbook(where)
        elif suffix in _READERS:
            table = table_named(where.stem)
            if table is None:
                raise DatasetError(
                    f"{where}: a single {suffix} file must be named like a table "
                    f"({', '.join(f'{n}{suffix}' for n in TABLES)}); to read "
                    "several tables, give the folder that holds them"
                )
            frames = {table: _READERS[suffix](where)}
            locations = {table: str(where)}
        else:
            raise DatasetError(
                f"{where} is not a dataset: give a folder of CSV or Parquet files "
                f"({_EXPECTED}) or an .xlsx workbook"
            )
    except OSError as exc:
        raise DatasetError(
            f"{exc.filename or where} cannot be read: {exc.strerror or exc}"
        ) from None
    return Dataset.from_frames(frames, source=str(path), locations=locations)


def _read_folder(folder: Path) -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
    by_table: dict[str, Path] = {}
    unknown: list[Path] = []
    others: list[Path] = []
    for entry in sorted(folder.iterdir()):
        # Editors' lock and backup files (~$survey.xlsx, .~lock.firms.csv#) are not data.
        if entry.name.startswith((".", "~$")) or not entry.is_file():
            continue
        if entry.suffix.lower() not in _READERS:
            others.append(entry)
            continue
        table = table_named(entry.stem)
        if table is None:
            unknown.append(entry)
        elif table in by_table:
            raise DatasetError(
                f"{folder}: both {by_table[table].name} and {entry.name} hold table {table}; "
                "keep one"
            )
        else:
            by_table[table] = entry
    if not by_table:
        workbooks = [p.name for p in others if p.suffix.lower() in _WORKBOOKS]
        hint = (
            f"; to read the workbook, give the file itself ({folder / workbooks[0]})"
            if workbooks
            else ""
        )
        raise DatasetError(
            f"{folder} holds no dataset files: expected CSV or Parquet files named like the "
            f"tables ({_EXPECTED}, or .parquet){hint}"
        )
    frames: dict[str, pl.DataFrame] = {}
    locations: dict[str, str] = {}
    for table in TABLES:
        if table in by_table:
            file = by_table[table]
            frames[table] = _READERS[file.suffix.lower()](file)
            locations[table] = str(file)
    for file in unknown:
        # An empty frame is enough for `from_frames` to warn that the file was not read.
        frames[file.stem] = pl.DataFrame()
        locations[file.stem] = str(file)
    return frames, locations


def write_dataset(
    dataset: Dataset,
    path: str | os.PathLike[str],
    format: Format,
    *,
    overwrite: bool = False,
) -> Path:
    """Write every table of `dataset` to `path` and return the path written.

    `format` "csv" or "parquet" writes a folder with one file per table; "xlsx" writes one
    workbook (the survey workbook of `kiban.dataset.xlsx`, with the dataset's rows). Columns
    come in the schema's order, then any extra columns. Reading the result with
    `read_dataset` gives the same tables back, value for value.

    Raises DatasetError if `path` is a non-empty folder or an existing file and not
    `overwrite`, or the data does not fit the container (an Excel sheet holds 1,048,575
    rows). With `overwrite`, the folder's other table files are removed, so that it holds
    exactly this dataset; files that are not table files are left alone.

    >>> import tempfile
    >>> ds = Dataset.from_frames({"firms": pl.DataFrame({"firm_id": ["F1"],
    ...     "name": ["Acme, Inc."], "country": ["JP"], "revenue_jpy": [0.1 + 0.2]})})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for fmt in FORMATS:
    ...         path = write_dataset(ds, Path(tmp) / f"out.{fmt}", fmt)
    ...         print(path.name, read_dataset(path).firms.equals(ds.firms))
    out.csv True
    out.parquet True
    out.xlsx True
    """
    if format not in FORMATS:
        raise DatasetError(f"unknown dataset format {format!r}; the formats are {FORMATS}")
    if not dataset.tables:
        raise DatasetError("the dataset has no tables; there is nothing to write")
    target = Path(path)
    if format == "xlsx":
        return write_workbook(dataset, target, overwrite=overwrite)
    try:
        _write_folder(dataset, target, format, overwrite)
    except OSError as exc:
        raise DatasetError(
            f"{exc.filename or target} cannot be written: {exc.strerror or exc}"
        ) from None
    return target


def _write_folder(dataset: Dataset, folder: Path, format: Format, overwrite: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise DatasetError(f"{folder} is a file; a {format} dataset is written to a folder")
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise DatasetError(
            f"{folder} is not empty; pass overwrite=True (--overwrite) to replace the dataset "
            "in it, or give a new folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    written = set()
    for name, frame in dataset.tables.items():
        file = folder / f"{name}.{format}"
        partial = folder / f".{file.name}.{os.getpid()}.partial"
        try:
            _WRITERS[format](in_table_order(name, frame), partial)
            os.replace(partial, file)
        finally:
            partial.unlink(missing_ok=True)
        written.add(file.name)
    # Table files left from an earlier dataset would be read back with this one.
    for entry in folder.iterdir():
        if (
            entry.is_file()
            and entry.suffix.lower() in _READERS
            and table_named(entry.stem) is not None
            and entry.name not in written
        ):
            entry.unlink()
