"""Driving the `kiban` command in-process, a small good dataset, and stores to import it into."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from kiban.cli import app
from kiban.dataset import Dataset
from kiban.dataset.io import write_dataset
from kiban.store import open_store


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
    """A prime and three sub-tier firms (one abroad, one withdrawing), a four-level bill of
    materials, item-level supplies with shares summing to 1, one program."""
    return Dataset.from_frames(
        {
            "firms": pl.DataFrame(
                {
                    "firm_id": ["F1", "F2", "F3", "F4"],
                    "name": ["Prime Heavy", "Gear Works", "シール工業", "Ore GmbH"],
                    "country": ["JP", "JP", "JP", "DE"],
                    "region": ["Aichi", "Gifu", None, None],
                    "employees": [80_000, 120, 35, 2_000],
                    "revenue_jpy": [4.5e12, 2.1e9, 3.3e8, 9.9e10],
                    "defense_revenue_jpy": [4.5e11, 1.2e9, 0.0, None],
                    "operating_margin": [0.031, -0.012, 0.1, None],
                    "cyber_level": [3, 1, 0, None],
                    "has_successor": [True, False, None, True],
                    "status": ["active", "active", "withdrawing", "active"],
                    "observed_at": [dt.date(2024, 3, 31), None, dt.date(2023, 12, 1), None],
                }
            ),
            "items": pl.DataFrame(
                {
                    "item_id": ["SYS-1", "ASM-1", "CMP-1", "MAT-1"],
                    "name": ["Fighter", "Landing gear", "Seal", "Titanium"],
                    "kind": ["system", "assembly", "component", "material"],
                    "custom": [True, True, False, False],
                    "qualification_days": [None, 540, 180, 90],
                    "unit_cost_jpy": [1.1e10, 3.0e7, 1.5e4, None],
                }
            ),
            "bom": pl.DataFrame(
                {
                    "parent_item_id": ["SYS-1", "ASM-1", "CMP-1"],
                    "child_item_id": ["ASM-1", "CMP-1", "MAT-1"],
                    "quantity": [3.0, 12.0, 0.25],
                }
            ),
            "supplies": pl.DataFrame(
                {
                    "supplier_id": ["F2", "F3", "F4", "F4"],
                    "customer_id": ["F1", "F2", "F2", "F3"],
                    "item_id": ["ASM-1", "CMP-1", "CMP-1", "MAT-1"],
                    "share": [1.0, 0.6, 0.4, None],
                    "annual_value_jpy": [9.0e8, 1.2e7, 8.0e6, 2.5e6],
                    "lead_time_days": [400, 120, 200, None],
                }
            ),
            "programs": pl.DataFrame(
                {
                    "program_id": ["P1"],
                    "name": ["Fighter program"],
                    "item_id": ["SYS-1"],
                    "prime_id": ["F1"],
                    "category": ["aircraft"],
                    "annual_quantity": [10.0],
                    "unit_price_jpy": [1.2e10],
                    "designated": [True],
                }
            ),
        },
        source="good",
    )


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
