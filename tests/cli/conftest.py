"""Driving the `kiban` command in-process, a small good dataset, and stores to import it into."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from kiban.cli import app
from kiban.dataset import Dataset
from kiban.dataset.io import write_dataset
from kiban.store import open_store
from tests.samples import sample_frames


def kiban(*args: str | Path, env: dict[str, str | None] | None = None) -> Result:
    """Run `kiban ARGS` in-process; stdout and stderr are kept apart, nothing may trace back."""
    result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output, result.output
    if result.exception is not None:
        # Every failure ends the command through typer's exit, never an escaped exception.
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def succeeds(*args: str | Path, env: dict[str, str | None] | None = None) -> Result:
    result = kiban(*args, env=env)
    assert result.exit_code == 0, result.output
    return result


def fails(*args: str | Path, env: dict[str, str | None] | None = None) -> Result:
    """Run `kiban ARGS`, which must exit non-zero with its reason on stderr."""
    result = kiban(*args, env=env)
    assert result.exit_code != 0, result.output
    assert result.stderr.strip(), "a failure must say why on stderr"
    return result


def one_line(text: str) -> str:
    """Text with line breaks and runs of spaces collapsed, to match a message however wrapped."""
    return " ".join(text.split())


def good_dataset() -> Dataset:
    """The shared sample (tests/samples.py) as a program survey gives it: no unknown column,
    item-level supplies only."""
    frames = sample_frames()
    frames["firms"] = frames["firms"].drop("survey_note")
    frames["supplies"] = frames["supplies"].filter(pl.col("item_id").is_not_null())
    return Dataset.from_frames(frames, source="good")


@pytest.fixture(autouse=True)
def _no_store_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own KIBAN_DATABASE_URL must not steer the tests to their store.
    monkeypatch.delenv("KIBAN_DATABASE_URL", raising=False)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """The good dataset as a folder of CSV files."""
    return write_dataset(good_dataset(), tmp_path / "good", "csv")


@pytest.fixture
def db(tmp_path: Path) -> str:
    """URL of a SQLite store not yet created."""
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def stored(db: str, good: Path) -> str:
    """URL of a store holding the good dataset."""
    succeeds("import", good, "--db", db)
    return db


def store_tables(url: str) -> dict[str, pl.DataFrame]:
    """What the store at `url` holds, table by table."""
    with open_store(url) as store:
        return dict(store.dataset().tables)


def table_rows(text: str) -> list[list[str]]:
    """The cells of every line of the terminal tables in `text`, header lines included."""
    return [
        [cell.strip() for cell in line.replace("┃", "│").split("│")[1:-1]]
        for line in text.splitlines()
        if line.startswith(("│", "┃"))
    ]


def table_row(text: str, first: str) -> list[str]:
    """The cells of the table line whose first cell is `first`."""
    rows = [row for row in table_rows(text) if row and row[0] == first]
    assert len(rows) == 1, text
    return rows[0]
