"""The column-wise read of a SQLite store gives exactly the frames of the row-wise read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from kiban.dataset import TABLES, Dataset
from kiban.errors import StoreError
from kiban.store import open_store
from kiban.store.rows import read_sqlite_file, read_table
from tests.samples import sample_dataset, sample_frames, sorted_by_key


def _row_wise(url: str) -> dict[str, pl.DataFrame]:
    with open_store(url) as store, store.engine.connect() as connection:
        return {name: read_table(connection, name) for name in TABLES}


def _stored(tmp_path: Path, dataset: Dataset | None) -> tuple[Path, str]:
    path = tmp_path / "kiban.db"
    url = f"sqlite:///{path}"
    with open_store(url, create=True) as store:
        if dataset is not None:
            store.import_dataset(dataset)
    return path, url


@pytest.mark.parametrize("batch_rows", [1, 2, 65_536])
def test_columnar_read_equals_row_wise_read(tmp_path: Path, batch_rows: int) -> None:
    # The sample has every column type, nulls in each (some leading, some trailing), and an
    # extra column; one-row batches put every column's first null in a batch of its own.
    path, url = _stored(tmp_path, sample_dataset())

    columnar = read_sqlite_file(path, batch_rows=batch_rows)

    row_wise = _row_wise(url)
    assert list(columnar) == list(row_wise)
    for name, frame in row_wise.items():
        assert_frame_equal(columnar[name], frame, check_exact=True)
    want = sorted_by_key(sample_dataset())
    for name, frame in want.items():
        assert_frame_equal(columnar[name], frame, check_exact=True)


def test_columns_null_for_a_whole_batch_keep_their_types(tmp_path: Path) -> None:
    # The driver guesses a column's type from its first batch; a column that is null there
    # and filled later must still come back in its declared type.
    firms = pl.concat(
        [
            pl.DataFrame({"firm_id": [f"A{i}" for i in range(5)], "name": ["x"] * 5}),
            sample_frames()["firms"].drop("survey_note"),
        ],
        how="diagonal_relaxed",
    ).with_columns(pl.lit(None, dtype=pl.String).alias("late_extra"))
    firms = firms.with_columns(
        pl.when(pl.col("firm_id") == "F4").then(pl.lit("filled")).alias("late_extra"),
        country=pl.col("country").fill_null("JP"),
    )
    dataset = Dataset.from_frames({"firms": firms})
    path, url = _stored(tmp_path, dataset)

    columnar = read_sqlite_file(path, batch_rows=3)

    assert_frame_equal(columnar["firms"], _row_wise(url)["firms"], check_exact=True)
    assert_frame_equal(columnar["firms"], sorted_by_key(dataset)["firms"], check_exact=True)


def test_an_empty_store_reads_as_empty_frames_of_the_schema(tmp_path: Path) -> None:
    path, url = _stored(tmp_path, None)

    columnar = read_sqlite_file(path)

    for name, frame in _row_wise(url).items():
        assert frame.height == 0
        assert_frame_equal(columnar[name], frame)
    with open_store(url) as store:
        assert store.dataset().tables == {}


def test_reading_sees_committed_rows_only_while_an_import_writes(tmp_path: Path) -> None:
    path, url = _stored(tmp_path, sample_dataset())
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO firms (firm_id, name, country) VALUES ('F9', 'New', 'JP')")
        with open_store(url) as store:
            held = store.dataset()
        writer.execute("COMMIT")
    finally:
        writer.close()

    assert "F9" not in held.tables["firms"]["firm_id"].to_list()
    assert held.tables["firms"].height == 4
    with open_store(url) as store:
        assert "F9" in store.dataset().tables["firms"]["firm_id"].to_list()


def test_a_store_file_that_cannot_be_read_says_so(tmp_path: Path) -> None:
    path, url = _stored(tmp_path, sample_dataset())
    with open_store(url) as store:
        path.unlink()
        path.write_bytes(b"not a database" * 100)
        with pytest.raises(StoreError, match=r"cannot read the store .*kiban\.db"):
            store.dataset()
