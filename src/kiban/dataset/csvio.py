"""CSV files of a dataset: UTF-8 (a byte order mark is fine), a header row, RFC 4180 quoting.

Every value is read as text, so nothing is guessed and nothing is lost; `Dataset.from_frames`
gives values their types and reports those that have none. polars reads the file, on all
cores. Only when a file is malformed is it read a second time, line by line, to say where.

polars fills the missing fields of a short line with nulls instead of failing, so after the
read the commas outside quoted fields are counted (numpy, about 0.1 s per 400 MB): a file
whose count does not match rows x (columns - 1) is scanned for the line that is short.
"""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from kiban.dataset.files import check_column_names, check_size, drop_empty_unnamed
from kiban.errors import DatasetError, first_line

if TYPE_CHECKING:
    from _csv import Reader

_COMMA = ord(",")
_QUOTE = ord('"')
_CHUNK_BYTES = 1 << 24
_SAVE_AS = (
    'save it as "CSV UTF-8 (Comma delimited) (*.csv)" (Excel: File > Save As) and read it again'
)
_MAGIC = {
    b"\x1f\x8b": "compressed (gzip); decompress it first",
    b"\x28\xb5\x2f\xfd": "compressed (zstd); decompress it first",
    b"PK\x03\x04": "a zip archive, perhaps an Excel workbook: give it an .xlsx name",
}
_QUOTING = (
    "a value that holds a comma, a double quote or a line break must be enclosed in double "
    'quotes, with its own double quotes doubled ("")'
)


def read_csv_table(path: Path) -> pl.DataFrame:
    """The table in CSV file `path`, every column as text (polars String).

    Columns with an empty header and no values (a trailing comma on every line) are dropped;
    a column with an empty header and values is named `(column N)`, N counting from 1.
    Raises DatasetError, naming the file and line, if the file is empty, not UTF-8, over
    the size limit, malformed (a line with more or fewer fields than the header, a quote
    never closed) or names a column twice.
    """
    where = str(path)
    if check_size(path) == 0:
        raise DatasetError(f"{where} is empty (0 bytes): a CSV file needs at least a header row")
    _refuse_binary(path, where)
    header = _read_header(path, where)
    if len(header) == 1 and (separator := next((c for c in ";\t|" if c in header[0]), None)):
        raise DatasetError(
            f"{where}: the header is one column, {header[0]!r}, separated by {separator!r}; "
            'kiban reads comma-separated files: save it as "CSV UTF-8 (Comma delimited)"'
        )
    check_column_names(header, where)
    names = [n if n.strip() else f"(column {i})" for i, n in enumerate(header, start=1)]
    try:
        # glob=False: a folder named `survey[2024]` is a name, not a pattern.
        frame = pl.read_csv(path, infer_schema=False, new_columns=names, glob=False)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as exc:
        raise _diagnose(path, where, len(header), exc) from None
    if frame.width != len(header):
        raise DatasetError(
            f"{where}: the header has {len(header)} columns but the rows have {frame.width}"
        )
    blank_tail = _blank_lines_at_end(path)
    if blank_tail and frame.tail(blank_tail).null_count().sum_horizontal().item() == (
        blank_tail * frame.width
    ):
        frame = frame.head(frame.height - blank_tail)
    if frame.width > 1:
        expected = (frame.height + 1) * (frame.width - 1)
        if _commas_outside_quotes(path) != expected:
            ragged = _bad_row_error(path, where, frame.width)
            if ragged is not None:
                raise ragged
    return drop_empty_unnamed(
        frame, [n for n, h in zip(names, header, strict=True) if not h.strip()]
    )


def write_csv_table(frame: pl.DataFrame, path: Path) -> None:
    """Write `frame` to `path` so that `read_csv_table` gives every value back exactly.

    Floats are written with the fewest digits that read back to the same float, dates as
    ISO 8601, booleans as true/false, nulls as empty fields and empty strings as `""`. The
    file starts with a UTF-8 byte order mark, as Excel's "CSV UTF-8" does, so that Excel
    on Japanese Windows opens it as UTF-8 rather than Shift-JIS.
    """
    frame.write_csv(path, include_bom=True)


def _refuse_binary(path: Path, where: str) -> None:
    # polars would quietly decompress gzip, and a compressed file can expand past the limit.
    with path.open("rb") as handle:
        head = handle.read(4)
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise DatasetError(f"{where} is not CSV text: it is {what}")


def _read_header(path: Path, where: str) -> list[str]:
    try:
        with _open_text(path) as rows:
            for fields in rows:
                if fields:
                    return fields
    except UnicodeDecodeError:
        raise _encoding_error(path, where) from None
    except csv.Error as exc:
        raise DatasetError(f"{where}: the header row cannot be read ({exc}); {_QUOTING}") from None
    raise DatasetError(f"{where} has no header row: the first line must name the columns")


@contextmanager
def _open_text(path: Path) -> Iterator[Reader]:
    # The stdlib reader refuses fields over 128 KiB by default; polars has no such limit.
    previous = csv.field_size_limit(sys.maxsize)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield csv.reader(handle, strict=True)
    finally:
        csv.field_size_limit(previous)


def _blank_lines_at_end(path: Path) -> int:
    """Empty lines after the last row (polars reads each as a row of nulls)."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - 4096))
        tail = handle.read()
    ending = tail[len(tail.rstrip(b"\r\n")) :]
    return max(0, ending.count(b"\n") - 1)


def _commas_outside_quotes(path: Path) -> int:
    """Field separators in the file, not counting commas inside quoted values."""
    buffer = bytearray(_CHUNK_BYTES)
    inside = False
    total = 0
    with path.open("rb", buffering=0) as handle:
        while n := handle.readinto(buffer):
            chunk = np.frombuffer(buffer, dtype=np.uint8, count=n)
            quotes = np.flatnonzero(chunk == _QUOTE)
            if quotes.size == 0:
                total += 0 if inside else int(np.count_nonzero(chunk == _COMMA))
                continue
            commas = np.flatnonzero(chunk == _COMMA)
            # Quotes alternately open and close a quoted value; a doubled quote inside one
            # closes and reopens it around no commas, so counting by parity is exact.
            bounds = np.concatenate(([0], quotes)) if inside else quotes
            if bounds.size % 2:
                bounds = np.append(bounds, n)
            quoted = np.searchsorted(commas, bounds[1::2]) - np.searchsorted(commas, bounds[0::2])
            total += commas.size - int(quoted.sum())
            inside ^= bool(quotes.size % 2)
    return total


def _bad_row_error(path: Path, where: str, n_columns: int) -> DatasetError | None:
    """The error naming the first malformed line, or None; empty lines are not malformed."""
    found = _first_bad_row(path, n_columns)
    if found is None:
        return None
    line, problem = found
    return DatasetError(f"{where}, line {line}: {problem}")


def _first_bad_row(path: Path, n_columns: int) -> tuple[int, str] | None:
    """(line, problem) of the first row with a field count other than the header's or bad
    quoting."""
    start = 1
    header_seen = False
    with _open_text(path) as reader:
        try:
            for fields in reader:
                line, start = start, reader.line_num + 1
                if not fields:
                    continue
                if not header_seen:
                    header_seen = True
                elif len(fields) != n_columns:
                    return line, (
                        f"{len(fields)} field(s) where the header has {n_columns}: every line "
                        "needs one value per column (an empty value still needs its comma), "
                        f"and {_QUOTING}"
                    )
        except csv.Error as exc:
            if "end of data" in str(exc):
                return start, (
                    "a double quote opens a quoted value that is never closed: the rest of the "
                    f"file would be one value; {_QUOTING}"
                )
            return start, f"malformed quoting ({exc}); {_QUOTING}"
    return None


def _diagnose(path: Path, where: str, n_columns: int, exc: BaseException) -> DatasetError:
    """The error to show when polars cannot read `path`: where the file is malformed."""
    bad_byte = _first_invalid_utf8(path)
    if bad_byte is not None:
        return _encoding_error(path, where, bad_byte)
    ragged = _bad_row_error(path, where, n_columns)
    if ragged is not None:
        return ragged
    return DatasetError(f"{where} cannot be read as CSV ({first_line(exc)}); {_QUOTING}")


def _first_invalid_utf8(path: Path) -> tuple[int, int] | None:
    """(line, byte offset) of the first byte that is not UTF-8, or None if all is UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    line = 1
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # exc.start counts from the bytes the decoder held back from the last chunk.
                held = len(exc.object) - len(chunk)
                position = exc.start - held
                return line + chunk.count(b"\n", 0, max(position, 0)), offset + position
            offset += len(chunk)
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line, offset
    return None


def _encoding_error(
    path: Path, where: str, bad_byte: tuple[int, int] | None = None
) -> DatasetError:
    bad_byte = bad_byte or _first_invalid_utf8(path) or (1, 0)
    line, offset = bad_byte
    with path.open("rb") as handle:
        head = handle.read(2)
        handle.seek(max(0, offset - 200))
        around = handle.read(400)
    if head in (b"\xff\xfe", b"\xfe\xff"):
        guess = ' It is UTF-16 (Excel\'s "Unicode Text").'
    elif _decodes_as_cp932(around):
        guess = (
            " It looks like Shift-JIS (cp932), which Excel writes for "
            '"CSV (Comma delimited)" on Japanese Windows.'
        )
    else:
        guess = ""
    return DatasetError(
        f"{where} is not UTF-8 text: line {line} has a byte that is not UTF-8 "
        f"(byte {offset:,} of the file).{guess} Kiban reads CSV files in UTF-8 only: {_SAVE_AS}."
    )


def _decodes_as_cp932(raw: bytes) -> bool:
    # The window may cut a two-byte character at either end: try it trimmed by a byte.
    n = len(raw)
    for start, end in ((0, n), (1, n), (0, n - 1), (1, n - 1)):
        try:
            raw[start:end].decode("cp932")
        except UnicodeDecodeError:
            continue
        return True
    return False
