"""Bad input: a clear message on stderr, a non-zero exit, no traceback, the store untouched.

Every bad dataset is the good one of `conftest` written as CSV and then broken in one way.
`kiban validate` must reject it naming the problem, and `kiban import` must refuse it and
leave a store that already holds the good dataset exactly as it was.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from polars.testing import assert_frame_equal

from kiban.dataset import Dataset
from kiban.dataset.io import write_dataset
from tests.cli.conftest import fails, good_dataset, one_line, store_tables, succeeds

Breaker = Callable[[Path], Path]
"""Breaks the good CSV dataset in the folder it is given; returns the path to hand kiban."""


def _edit(folder: Path, table: str, change: Callable[[pl.DataFrame], pl.DataFrame]) -> Path:
    path = folder / f"{table}.csv"
    change(pl.read_csv(path, infer_schema=False)).write_csv(path)
    return folder


def _set(table: str, row: int, column: str, value: str) -> Breaker:
    """Set one cell (`row` counts data rows from 0) to the text `value`."""

    def change(frame: pl.DataFrame) -> pl.DataFrame:
        at_row = pl.int_range(pl.len()) == row
        return frame.with_columns(
            pl.when(at_row).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
        )

    return lambda folder: _edit(folder, table, change)


def _append(table: str, **values: str) -> Breaker:
    return lambda folder: _edit(
        folder, table, lambda frame: pl.concat([frame, pl.DataFrame([values])], how="diagonal")
    )


def _drop(table: str, column: str) -> Breaker:
    return lambda folder: _edit(folder, table, lambda frame: frame.drop(column))


def _empty_file(folder: Path) -> Path:
    (folder / "firms.csv").write_bytes(b"")
    return folder


def _cp932(folder: Path) -> Path:
    # As Excel on Japanese Windows saves "CSV (Comma delimited)".
    text = pl.read_csv(folder / "firms.csv", infer_schema=False).write_csv()
    (folder / "firms.csv").write_bytes(text.encode("cp932"))
    return folder


def _workbook_without_table_sheets(folder: Path) -> Path:
    path = folder.parent / "survey.xlsx"
    workbook = xlsxwriter.Workbook(path)
    workbook.add_worksheet("Sheet1").write_row(0, 0, ["firm_id", "name", "country"])
    workbook.close()
    return path


def _two_gigabytes(folder: Path) -> Path:
    # Sparse: takes no disk, but reading it would need gigabytes of memory.
    with (folder / "supplies.csv").open("r+b") as handle:
        handle.truncate(2 << 30)
    return folder


def _nowhere(folder: Path) -> Path:
    return folder.parent / "no-such-dataset"


CASES: dict[str, tuple[Breaker, *tuple[str, ...]]] = {
    "empty file": (_empty_file, "firms.csv is empty (0 bytes): a CSV file needs a"),
    "wrong encoding": (
        _cp932,
        "firms.csv is not UTF-8 text: line 4 has a byte that is not UTF-8",
        "It looks like Shift-JIS (cp932)",
    ),
    "missing sheet": (
        _workbook_without_table_sheets,
        "survey.xlsx: missing sheet: no sheet is named like a table of the format. The "
        "workbook's sheets are 'Sheet1'",
    ),
    "missing required column": (
        _drop("firms", "country"),
        "firms.csv, row 1, column country: required column 'country' is missing",
    ),
    "wrong type": (
        _set("firms", 1, "employees", "many"),
        "firms.csv, row 3, column employees: 'many': is not a whole number [type]",
    ),
    "negative": (
        _set("firms", 1, "employees", "-5"),
        "firms.csv, row 3, column employees: '-5': must be at least 0 [range]",
    ),
    "out of range": (
        _set("firms", 0, "cyber_level", "7"),
        "firms.csv, row 2, column cyber_level: '7': must be at most 3 [range]",
    ),
    "fraction over 1": (
        _set("firms", 0, "operating_margin", "1.5"),
        "firms.csv, row 2, column operating_margin: '1.5': must be at most 1 [range]",
    ),
    "bad date": (
        _set("firms", 0, "observed_at", "2024-13-01"),
        "column observed_at: '2024-13-01': is not a date written as YYYY-MM-DD [date]",
    ),
    "unknown country": (
        _set("firms", 3, "country", "ZZ"),
        "firms.csv, row 5, column country: 'ZZ': is not an ISO 3166-1 alpha-2 country code",
    ),
    "duplicate id": (
        _set("firms", 1, "firm_id", "F1"),
        "firms.csv, row 3, column firm_id: 'F1': duplicate id: also on row 2 [duplicate-id]",
    ),
    "dangling reference": (
        _set("supplies", 0, "supplier_id", "F9"),
        "supplies.csv, row 2, column supplier_id: 'F9': no such firm_id in firms",
    ),
    "shares over 1": (
        _set("supplies", 1, "share", "0.8"),
        "shares of customer F2 for item CMP-1 sum to 1.2 (> 1); rows 3, 4 [share-sum]",
    ),
    "bom cycle": (
        _append("bom", parent_item_id="MAT-1", child_item_id="SYS-1", quantity="1"),
        "the bill of materials has a cycle: SYS-1 -> ASM-1 -> CMP-1 -> MAT-1 -> SYS-1",
    ),
    "program of a non-system": (
        _set("programs", 0, "item_id", "ASM-1"),
        "the end item of a program must be of kind system, not assembly",
    ),
    "2 GB file": (
        _two_gigabytes,
        "supplies.csv is 2.00 GiB (2,147,483,648 bytes), over the limit of 1.00 GiB",
    ),
    "path that does not exist": (_nowhere, "no-such-dataset does not exist"),
}


def _max_rss_bytes() -> int:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.parametrize("case", list(CASES))
def test_bad_dataset_is_refused_clearly_and_the_store_is_unchanged(
    case: str, good: Path, stored: str
) -> None:
    breaker, *expected = CASES[case]
    target = breaker(good)
    before = store_tables(stored)
    rss_before = _max_rss_bytes()

    checked = fails("validate", target)
    assert all(text in one_line(checked.stderr) for text in expected), checked.stderr
    assert checked.stderr.startswith("error:")

    refused = fails("import", target, "--db", stored)
    assert all(text in one_line(refused.stderr) for text in expected), refused.stderr

    after = store_tables(stored)
    assert list(after) == list(before)
    for name, frame in before.items():
        assert_frame_equal(after[name], frame)
    # Nothing was read into memory to find out (the 2 GB file above all).
    assert _max_rss_bytes() - rss_before < 256 << 20


def test_every_error_of_a_dataset_is_reported_at_once(good: Path) -> None:
    for breaker in (
        _set("firms", 1, "employees", "-5"),
        _set("firms", 3, "country", "ZZ"),
        _set("supplies", 0, "supplier_id", "F9"),
        _set("supplies", 1, "share", "0.8"),
        _append("bom", parent_item_id="MAT-1", child_item_id="SYS-1", quantity="1"),
    ):
        breaker(good)
    result = fails("validate", good, "--max-errors", "0")
    rules = {line.rsplit("[", 1)[1] for line in result.stderr.splitlines() if "[" in line}
    assert {"range]", "country]", "unknown-reference]", "share-sum]", "bom-cycle]"} <= rules


def test_a_workbook_without_a_needed_sheet(good: Path, tmp_path: Path, stored: str) -> None:
    """Without a firms sheet, supplies name firms the dataset lacks: invalid on its own, and
    refused by an empty store, but fine for a store that holds those firms."""
    partial = Dataset.from_frames(
        {name: frame for name, frame in good_dataset().tables.items() if name != "firms"}
    )
    survey = write_dataset(partial, tmp_path / "no-firms.xlsx", "xlsx")

    checked = fails("validate", survey)
    assert "sheet supplies, row 2, column customer_id: 'F1': refers to table firms" in (
        one_line(checked.stderr)
    )

    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    succeeds("init", "--db", empty)
    refused = fails("import", survey, "--db", empty)
    assert "nothing was imported" in refused.stderr
    assert store_tables(empty) == {}

    assert "nothing changed" in succeeds("import", survey, "--db", stored).stdout


def test_an_unusable_size_limit_is_a_clear_error(good: Path) -> None:
    result = fails("validate", good, env={"KIBAN_MAX_FILE_BYTES": "lots"})
    assert "KIBAN_MAX_FILE_BYTES must be a positive whole number of bytes" in result.stderr
    assert os.environ.get("KIBAN_MAX_FILE_BYTES") is None
