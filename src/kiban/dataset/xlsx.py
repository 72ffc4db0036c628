"""Excel workbooks of a dataset: the survey template a supplier fills in, and exports.

One sheet per table, named like it, with a header row. `write_template` and the xlsx export
of `kiban.dataset.io.write_dataset` write the same workbook, so an export is also a survey a
supplier can correct and send back: an instructions sheet first, then on each table sheet a
note on every header cell (meaning, type, required), required headers in dark red, allowed
values as drop-down lists, ranges and dates checked by Excel as they are typed. Everything
comes from the schema declarations (`kiban.dataset.schema`).

Reading uses fastexcel (calamine). Numbers keep every digit: xlsxwriter writes 16
significant digits, which does not read back to the same float for every value, so kiban
writes the shortest text that does (17 digits at most); a column mixing numbers and text
is read again as numbers so the text fastexcel makes of them (9 decimals) is not used.
Limits of the container: 1,048,576 rows per sheet, 32,767 characters per cell, dates from
1900-01-01 to 9999-12-31 (others are written as ISO text), no NaN or infinity (written as
text `NaN`, `inf`), whole numbers beyond 2**53 as text.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import fastexcel
import polars as pl
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from kiban.dataset.files import (
    check_column_names,
    check_size,
    drop_empty_unnamed,
    in_table_order,
    max_file_bytes,
    table_named,
    too_large,
)
from kiban.dataset.model import Dataset
from kiban.dataset.schema import FORMAT_VERSION, TABLES, Column, Kind, Table
from kiban.dataset.validate import country_codes
from kiban.errors import DatasetError, first_line

# fastexcel logs a warning for every column it cannot type (an empty column); without a
# handler Python would print it. kiban prints nothing.
logging.getLogger("fastexcel").addHandler(logging.NullHandler())

EXCEL_MAX_ROWS = 1_048_576
"""Rows in an Excel sheet, the header included."""
EXCEL_MAX_CHARS = 32_767
"""Characters in an Excel cell."""
INSTRUCTIONS_SHEET = "instructions"
LISTS_SHEET = "lists"
"""A hidden sheet holding long lists of allowed values (country codes)."""

_FIRST_DATE = dt.date(1900, 1, 1)
_LAST_DATE = dt.date(9999, 12, 31)
_EXACT_INT = 2**53
_NUMERIC_KINDS = (Kind.INT, Kind.NUMBER, Kind.FRACTION)
_TEXT_KINDS = (Kind.ID, Kind.TEXT, Kind.COUNTRY, Kind.CHOICE)
_RENAMED_DUPLICATE = re.compile(r"^(.+)_\d+$")
_DATE_TIME = r"^(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?$"
_EXCEL_EXTENSIONS = (".xlsx", ".xlsm")

# --- reading ---------------------------------------------------------------------------------


def read_workbook(path: Path) -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
    """The tables of workbook `path` and where each came from (`survey.xlsx, sheet firms`).

    Sheets are matched to tables ignoring case and surrounding spaces; other sheets (the
    instructions, lists) are ignored. Raises DatasetError if the file is not a workbook, is
    over the size limit, has no sheet named like a table, or a sheet has no header row or
    names a column twice.
    """
    where = str(path)
    _check_workbook_file(path, where)
    try:
        reader = fastexcel.read_excel(path)
        sheet_names = list(reader.sheet_names)
    except Exception as exc:
        raise DatasetError(f"{where} is not a valid Excel workbook ({first_line(exc)})") from None
    sheets: dict[str, str] = {}
    for sheet_name in sheet_names:
        table = table_named(sheet_name)
        if table is None:
            continue
        if table in sheets:
            raise DatasetError(
                f"{where}: sheets {sheets[table]!r} and {sheet_name!r} both hold table "
                f"{table}; keep one"
            )
        sheets[table] = sheet_name
    if not sheets:
        raise DatasetError(
            f"{where}: missing sheet: no sheet is named like a table of the format. The "
            f"workbook's sheets are {', '.join(repr(s) for s in sheet_names)}; expected one or "
            f"more of {', '.join(TABLES)} (one sheet per table, named like it)"
        )
    frames: dict[str, pl.DataFrame] = {}
    locations: dict[str, str] = {}
    for table in TABLES:
        if table in sheets:
            location = f"{where}, sheet {sheets[table]}"
            try:
                frames[table] = _read_sheet(reader, sheets[table], TABLES[table], location)
            except DatasetError:
                raise
            except Exception as exc:
                raise DatasetError(f"{location} cannot be read ({first_line(exc)})") from None
            locations[table] = location
    return frames, locations


def _check_workbook_file(path: Path, where: str) -> None:
    if path.suffix.lower() not in _EXCEL_EXTENSIONS:
        raise DatasetError(
            f"{where}: kiban reads Excel workbooks saved as .xlsx; open it in Excel and "
            'save it as "Excel Workbook (*.xlsx)"'
        )
    if check_size(path) == 0:
        raise DatasetError(f"{where} is empty (0 bytes), not an Excel workbook")
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except PermissionError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DatasetError(
            f"{where} is not a valid .xlsx workbook (an .xlsx file is a zip archive and this "
            'is not one): save it from Excel as "Excel Workbook (*.xlsx)"; a .xls file or a '
            "CSV file renamed to .xlsx does not work"
        ) from None
    # A workbook is compressed XML, commonly 10 times smaller than the sheets it holds.
    limit = max_file_bytes()
    if expanded > limit:
        raise too_large(where, expanded, limit, what="holds sheets of")


def _read_sheet(
    reader: fastexcel.ExcelReader, sheet_name: str, table: Table, where: str
) -> pl.DataFrame:
    # Types are guessed from every row, not the first 1,000, so one text cell far down a
    # column of numbers makes the column text instead of becoming null.
    sheet = reader.load_sheet(sheet_name, schema_sample_rows=None, skip_whitespace_tail_rows=True)
    frame = sheet.to_polars()
    if frame.width == 0:
        raise DatasetError(
            f"{where} is empty: its first row must name the columns (or delete the sheet)"
        )
    infos = sheet.available_columns()
    # Named like the CSV reader names them; letters would be lower-cased with the names.
    unnamed = {
        i.name: f"(column {i.absolute_index + 1})"
        for i in infos
        if i.column_name_from == "generated"
    }
    named = [c for c in frame.columns if c not in unnamed]
    # fastexcel renames a repeated header `x` to `x_1`; only then read the header as written.
    if any((m := _RENAMED_DUPLICATE.match(c)) and m.group(1) in named for c in named):
        header = reader.load_sheet(sheet_name, header_row=None, n_rows=1, dtypes="string")
        check_column_names([v for v in header.to_polars().row(0) if v], where)
    check_column_names(named, where)
    frame = drop_empty_unnamed(frame, list(unnamed))
    frame = frame.rename({k: v for k, v in unnamed.items() if k in frame.columns})

    fixes: list[pl.Expr] = []
    mixed_numbers: list[str] = []
    for name, dtype in frame.schema.items():
        column = _declared(table, name)
        if dtype == pl.Null:
            fixes.append(pl.col(name).cast(pl.String))
        elif dtype == pl.String and column is not None and column.kind in _NUMERIC_KINDS:
            mixed_numbers.append(name)
        elif dtype == pl.String and column is not None and column.kind is Kind.DATE:
            # Date cells in a column that also holds text come as `2024-03-31 00:00:00`.
            fixes.append(pl.col(name).str.replace(_DATE_TIME, "${1}"))
    if fixes:
        frame = frame.with_columns(fixes)
    if mixed_numbers and frame.height:
        frame = _exact_numbers(reader, sheet_name, frame, mixed_numbers)
    return frame


def _declared(table: Table, name: str) -> Column | None:
    key = name.strip().lower()
    return table.column(key) if key in table.column_names else None


def _exact_numbers(
    reader: fastexcel.ExcelReader, sheet_name: str, frame: pl.DataFrame, names: list[str]
) -> pl.DataFrame:
    """Columns of numbers and text with the numbers' exact values, the text as it is.

    fastexcel turns the numbers of such a column into text with at most 9 decimals; reading
    the column as floats gives each number exactly (and text as null).
    """
    floats = reader.load_sheet(
        sheet_name,
        schema_sample_rows=None,
        n_rows=frame.height,
        use_columns=names,
        dtypes=dict.fromkeys(names, "float"),
    ).to_polars()
    exact = []
    for name in names:
        text = pl.col(name)
        number = pl.lit(floats.get_column(name)).cast(pl.String)
        is_number = text.str.strip_chars().cast(pl.Float64, strict=False).is_not_null()
        exact.append(pl.when(is_number & number.is_not_null()).then(number).otherwise(text))
    return frame.with_columns(e.alias(n) for e, n in zip(exact, names, strict=True))


# --- writing ---------------------------------------------------------------------------------


class _ExactFloat(float):
    """A float xlsxwriter writes with every digit it needs.

    xlsxwriter formats numbers as `{:.16G}`; 16 significant digits do not read back to the
    same float for every value (0.1 + 0.2 would come back as 0.3). `repr` is the shortest
    text that does.
    """

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return repr(float(self)).upper()


def write_template(
    path: str | os.PathLike[str], dataset: Dataset | None = None, *, overwrite: bool = False
) -> Path:
    """Write the survey workbook a supplier fills in, with the rows of `dataset` if given.

    Every table has a sheet (empty but for its header when `dataset` lacks it). Returns the
    path written; DatasetError if it exists and not `overwrite`, or if a table does not fit
    in a sheet.
    """
    return write_workbook(dataset, Path(path), tables=tuple(TABLES), overwrite=overwrite)


def write_workbook(
    dataset: Dataset | None,
    path: Path,
    *,
    tables: Sequence[str] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write `tables` (default: those `dataset` has) of `dataset` as a survey workbook."""
    if tables is None:
        tables = tuple(dataset.tables) if dataset is not None else tuple(TABLES)
    frames = {
        name: in_table_order(name, dataset[name]) if dataset is not None else TABLES[name].empty()
        for name in tables
    }
    for name, frame in frames.items():
        _check_fits(name, frame)
    _check_target(path, overwrite)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        _write(partial, frames)
        os.replace(partial, path)
    except OSError as exc:
        raise DatasetError(f"{path} cannot be written: {exc.strerror or exc}") from None
    except xlsxwriter.exceptions.XlsxWriterException as exc:
        raise DatasetError(f"{path} cannot be written ({first_line(exc)})") from None
    finally:
        partial.unlink(missing_ok=True)
    return path


def _check_target(path: Path, overwrite: bool) -> None:
    if path.suffix.lower() != ".xlsx":
        raise DatasetError(f"{path}: an Excel workbook's name must end in .xlsx")
    if path.is_dir():
        raise DatasetError(f"{path} is a folder; give the name of the .xlsx file to write")
    if path.exists() and not overwrite:
        raise DatasetError(f"{path} exists; pass overwrite=True (--overwrite) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)


def _check_fits(name: str, frame: pl.DataFrame) -> None:
    if frame.height >= EXCEL_MAX_ROWS:
        raise DatasetError(
            f"table {name} has {frame.height:,} rows, more than an Excel sheet holds "
            f"({EXCEL_MAX_ROWS - 1:,} below the header); write the dataset as Parquet or CSV"
        )
    for column, dtype in frame.schema.items():
        if dtype == pl.String and frame.height:
            longest = frame.get_column(column).str.len_chars().max()
            if isinstance(longest, int) and longest > EXCEL_MAX_CHARS:
                raise DatasetError(
                    f"table {name}, column {column}: a value of {longest:,} characters is "
                    f"longer than an Excel cell holds ({EXCEL_MAX_CHARS:,}); write the "
                    "dataset as Parquet or CSV"
                )


def _write(path: Path, frames: Mapping[str, pl.DataFrame]) -> None:
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            # Rows go to disk as they are written: a million rows need no more memory than one.
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties(
        {
            "title": "kiban dataset",
            "subject": f"kiban dataset format, version {FORMAT_VERSION}",
            "keywords": "kiban, defense industrial base, supply chain survey",
            "comments": "Confidential: business information of the firms it describes.",
        }
    )
    workbook.set_custom_property("kiban_format_version", FORMAT_VERSION)
    styles = _Styles(workbook)
    _write_instructions(workbook.add_worksheet(INSTRUCTIONS_SHEET), styles, frames)
    lists = _Lists(workbook)
    for name, frame in frames.items():
        _write_table(workbook.add_worksheet(name), styles, lists, TABLES[name], frame)
    lists.write()
    workbook.close()


class _Styles:
    """The cell formats of a workbook (xlsxwriter formats belong to one workbook)."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        header = {"bold": True, "bottom": 1, "valign": "top"}
        self.required = workbook.add_format(
            {**header, "font_color": "#FFFFFF", "bg_color": "#C00000"}
        )
        self.optional = workbook.add_format({**header, "bg_color": "#DDEBF7"})
        self.extra = workbook.add_format(
            {**header, "bold": False, "italic": True, "bg_color": "#EDEDED"}
        )
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.text = workbook.add_format({"num_format": "@"})
        self.title = workbook.add_format({"bold": True, "font_size": 16})
        self.heading = workbook.add_format({"bold": True, "font_size": 12})
        self.wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.bold = workbook.add_format({"bold": True, "valign": "top"})


class _Lists:
    """The hidden sheet of long drop-down lists, written once the table sheets are."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._workbook = workbook
        self._columns: list[list[str]] = []

    def source(self, values: Sequence[str]) -> str:
        """A reference to `values` in the hidden sheet, for a list validation."""
        if list(values) not in self._columns:
            self._columns.append(list(values))
        index = self._columns.index(list(values))
        letter = xl_col_to_name(index)
        return f"={LISTS_SHEET}!${letter}$1:${letter}${len(values)}"

    def write(self) -> None:
        if not self._columns:
            return
        sheet = self._workbook.add_worksheet(LISTS_SHEET)
        sheet.hide()
        for row in range(max(len(c) for c in self._columns)):
            for col, values in enumerate(self._columns):
                if row < len(values):
                    sheet.write_string(row, col, values[row])


def _write_instructions(sheet: Any, styles: _Styles, frames: Mapping[str, pl.DataFrame]) -> None:
    sheet.set_column(0, 0, 24, styles.wrap)
    sheet.set_column(1, 1, 100, styles.wrap)
    row = 0

    def put(label: str, text: str = "", style: Any = None) -> None:
        nonlocal row
        sheet.write_string(row, 0, label, style or styles.bold)
        if text:
            sheet.write_string(row, 1, text, styles.wrap)
        row += 1

    put(f"kiban dataset, format version {FORMAT_VERSION}", style=styles.title)
    row += 1
    for label, text in _INSTRUCTIONS:
        put(label, text)
        if label == "How to fill it in":
            put("Identifiers", _identifiers_text())
    row += 1
    put("Sheets", style=styles.heading)
    for name in frames:
        table = TABLES[name]
        required = ", ".join(c.name for c in table.required)
        put(name, f"{table.doc} Required columns: {required}.")
    row += 1
    put("Column headers", style=styles.heading)
    sheet.write_string(row, 0, "required_column", styles.required)
    sheet.write_string(row, 1, "required: every row needs a value", styles.wrap)
    row += 1
    sheet.write_string(row, 0, "optional_column", styles.optional)
    sheet.write_string(row, 1, "optional: leave empty if unknown", styles.wrap)
    row += 1
    sheet.write_string(row, 0, "other_column", styles.extra)
    sheet.write_string(row, 1, "not part of the format: kept, but not used", styles.wrap)
    sheet.activate()


_INSTRUCTIONS: tuple[tuple[str, str], ...] = (
    (
        "What this is",
        "A survey of the supply chains of Japan's defense industrial base, in the format of "
        "kiban (基盤, 'base'), an open-source platform that maps the supply chains of defense "
        "programs, finds where they can break and what a disruption would stop.",
    ),
    (
        "Confidentiality",
        "What you enter is business-sensitive and is treated as confidential: it is stored "
        "with access limited to authorised analysts and used only for the analysis of the "
        "defense industrial base. Send the workbook back only by the channel you were given.",
    ),
    (
        "How to fill it in",
        "Each sheet after this one is a table: one row per firm, item, supply relation or "
        "program. Fill the sheets that apply to you and leave the others empty. Keep the "
        "first row (the column names) and the sheet names as they are; the order of the "
        "columns does not matter. Point at a column name to read its note: what it means, "
        "its type and whether it is required.",
    ),
    (
        "Units and values",
        "Money in yen (columns ending _jpy), durations in days (_days), shares and other "
        "fractions between 0 and 1 (25% is 0.25). Dates as YYYY-MM-DD (2024-03-31). Yes/no "
        "as TRUE or FALSE. Countries as two-letter ISO codes (JP, US). Where a column has a "
        "drop-down list, pick from it.",
    ),
    (
        "Checking",
        "Excel checks ranges and lists as you type. kiban checks everything else when the "
        "workbook is read (`kiban validate survey.xlsx`) and lists every problem with its "
        "sheet, row and column; nothing is imported until all are fixed.",
    ),
)


def _identifiers_text() -> str:
    """Which columns hold the ids of which table, from the schema's references."""
    referring: dict[str, list[str]] = {}
    for table in TABLES.values():
        for column in table.columns:
            if column.references:
                referring.setdefault(column.references, []).append(f"{table.name}.{column.name}")
    uses = "; ".join(
        f"{', '.join(columns)} are {target.split('.')[1]}s of sheet {target.split('.')[0]}"
        for target, columns in referring.items()
    )
    return (
        "Give each firm, item and program an id of your choice (text, unique within its "
        "sheet, no spaces at either end) and use the same id wherever a row refers to it: "
        f"{uses}."
    )


def _write_table(
    sheet: Any, styles: _Styles, lists: _Lists, table: Table, frame: pl.DataFrame
) -> None:
    sheet.freeze_panes(1, 0)
    cells: list[tuple[list[Any], Callable[[int, Any], object]]] = []
    for index, name in enumerate(frame.columns):
        column = table.column(name) if name in table.column_names else None
        series = frame.get_column(name)
        sheet.set_column(index, index, _width(name, column, series), _column_style(column, styles))
        if column is None:
            sheet.write_string(0, index, name, styles.extra)
            sheet.write_comment(0, index, f"{name}: not part of the kiban format; kept, not used.")
        else:
            style = styles.required if column.required else styles.optional
            sheet.write_string(0, index, name, style)
            sheet.write_comment(0, index, _note(column), {"x_scale": 2.5, "y_scale": 1.6})
            rule = _validation(column, lists)
            if rule is not None:
                sheet.data_validation(1, index, EXCEL_MAX_ROWS - 1, index, rule)
        if series.dtype not in (pl.Float64, pl.Int64, pl.Boolean, pl.Date, pl.String):
            series = series.cast(pl.String)
        cells.append((series.to_list(), _cell_writer(sheet, index, series.dtype, styles)))
    for row in range(frame.height):
        for values, put in cells:
            value = values[row]
            if value is not None:
                put(row + 1, value)


def _cell_writer(
    sheet: Any, col: int, dtype: pl.DataType, styles: _Styles
) -> Callable[[int, Any], object]:
    if dtype == pl.Float64:

        def put_float(row: int, value: float) -> object:
            if math.isfinite(value):
                return sheet.write_number(row, col, _ExactFloat(value))
            return sheet.write_string(row, col, repr(value).replace("nan", "NaN"))

        return put_float
    if dtype == pl.Int64:

        def put_int(row: int, value: int) -> object:
            if -_EXACT_INT <= value <= _EXACT_INT:
                return sheet.write_number(row, col, value)
            return sheet.write_string(row, col, str(value))

        return put_int
    if dtype == pl.Boolean:
        return lambda row, value: sheet.write_boolean(row, col, value)
    if dtype == pl.Date:

        def put_date(row: int, value: dt.date) -> object:
            if _FIRST_DATE <= value <= _LAST_DATE:
                return sheet.write_datetime(row, col, value, styles.date)
            return sheet.write_string(row, col, value.isoformat())

        return put_date
    return lambda row, value: sheet.write_string(row, col, value)


def _column_style(column: Column | None, styles: _Styles) -> Any:
    if column is None or column.kind in _TEXT_KINDS:
        # Text format keeps what is typed as typed: id 007 stays 007, JSIC code 0911 too.
        return styles.text
    if column.kind is Kind.DATE:
        return styles.date
    return None


_TYPICAL_WIDTH = {
    Kind.ID: 14,
    Kind.TEXT: 28,
    Kind.COUNTRY: 9,
    Kind.CHOICE: 14,
    Kind.INT: 12,
    Kind.NUMBER: 16,
    Kind.FRACTION: 10,
    Kind.BOOL: 9,
    Kind.DATE: 12,
}


def _width(name: str, column: Column | None, series: pl.Series) -> float:
    """Characters: the header, a typical value of the column's kind, the longest value."""
    longest = _TYPICAL_WIDTH[column.kind] if column is not None else 16
    if series.dtype == pl.String and series.null_count() < series.len():
        longest = max(longest, int(series.str.len_chars().max() or 0))  # type: ignore[arg-type]
    return float(min(max(len(name) + 4, longest + 2), 60))


def _note(column: Column) -> str:
    need = "required" if column.required else "optional"
    lines = [f"{column.name} ({need})", column.doc, f"Type: {column.describe_type()}"]
    if column.at_most:
        lines.append(f"At most {column.at_most} of the same row.")
    if column.default is not None:
        lines.append(f"If empty: {str(column.default).lower()}.")
    return "\n".join(lines)


def _validation(column: Column, lists: _Lists) -> dict[str, Any] | None:
    """Excel's check of values typed in `column`, from its declaration."""
    rule: dict[str, Any]
    if column.kind is Kind.CHOICE:
        rule = {"validate": "list", "source": list(column.choices)}
        message = f"choose one of {', '.join(column.choices)}"
    elif column.kind is Kind.BOOL:
        rule = {"validate": "list", "source": ["TRUE", "FALSE"]}
        message = "TRUE or FALSE"
    elif column.kind is Kind.COUNTRY:
        rule = {"validate": "list", "source": lists.source(sorted(country_codes()))}
        message = "a two-letter ISO 3166-1 country code (JP, US, ...)"
    elif column.kind is Kind.DATE:
        rule = {
            "validate": "date",
            "criteria": "between",
            "minimum": _FIRST_DATE,
            "maximum": _LAST_DATE,
        }
        message = "a date (YYYY-MM-DD)"
    elif column.kind in _NUMERIC_KINDS:
        rule = _numeric_rule(column)
        message = column.describe_type()
    else:
        return None
    return {**rule, "error_title": "kiban", "error_message": f"{column.name}: {message}"[:255]}


def _numeric_rule(column: Column) -> dict[str, Any]:
    kind = "integer" if column.kind is Kind.INT else "decimal"
    low, high = column.minimum, column.maximum
    if column.kind is Kind.FRACTION:
        low = 0.0 if low is None else low
        high = 1.0 if high is None else high
    if low is not None and high is not None and not column.exclusive_minimum:
        return {"validate": kind, "criteria": "between", "minimum": low, "maximum": high}
    if low is not None:
        return {
            "validate": kind,
            "criteria": ">" if column.exclusive_minimum else ">=",
            "value": low,
        }
    if high is not None:
        return {"validate": kind, "criteria": "<=", "value": high}
    # No bounds, but a number all the same.
    return {"validate": kind, "criteria": "between", "minimum": -1e300, "maximum": 1e300}
