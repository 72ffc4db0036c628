"""`kiban generate programs`, the whole chain through the real console script, `kiban demo`."""

from __future__ import annotations

import subprocess
import sysconfig
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from kiban.dataset.io import read_dataset
from kiban.econ.trade import export_study
from kiban.reference.formatting import format_jpy
from kiban.store import open_store
from tests.cli.conftest import fails, store_tables, succeeds, table_rows

KIBAN = Path(sysconfig.get_path("scripts")) / "kiban"


def test_generate_programs_writes_a_valid_dataset_the_same_for_a_seed(tmp_path: Path) -> None:
    first = succeeds("generate", "programs", tmp_path / "a", "--seed", "3", "--scale", "0.02")
    assert first.stdout.startswith(f"wrote {tmp_path / 'a'} (")
    assert " programs)" in first.stdout
    succeeds("validate", tmp_path / "a")
    succeeds(
        "generate", "programs", tmp_path / "b.xlsx", "--seed", "3", "--scale", "0.02", "-f", "xlsx"
    )
    a, b = read_dataset(tmp_path / "a"), read_dataset(tmp_path / "b.xlsx")
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        assert_frame_equal(a.tables[name], b.tables[name])


def test_generate_refuses_bad_parameters_and_existing_output(tmp_path: Path) -> None:
    assert "scale must be a number in (0, " in (
        fails("generate", "programs", tmp_path / "x", "--scale", "0").stderr
    )
    assert not (tmp_path / "x").exists()
    target = tmp_path / "y"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert "is not empty" in fails("generate", "programs", target, "--scale", "0.02").stderr


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(KIBAN), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


def test_done_when_chain_through_the_console_script(tmp_path: Path) -> None:
    """generate, validate, import, export as Parquet, and back again: nothing changes."""
    assert KIBAN.is_file(), f"the console script is not installed at {KIBAN}"
    steps = [
        ("generate", "programs", "d", "--seed", "1", "--scale", "0.05"),
        ("validate", "d"),
        ("import", "d"),
        ("export", "e", "--format", "parquet"),
        ("import", "e"),
    ]
    outputs = []
    for step in steps:
        done = _run(*step, cwd=tmp_path)
        assert done.returncode == 0, f"{step}: {done.stderr}"
        outputs.append(done.stdout)
    assert "valid: d (0 warning(s))" in outputs[1]
    assert "stored." in outputs[2]
    assert "nothing changed: the store already holds it." in outputs[4]
    assert sorted(p.name for p in (tmp_path / "e").iterdir()) == [
        f"{name}.parquet" for name in ("bom", "firms", "items", "programs", "supplies")
    ]
    # The default store, in the current folder.
    held = store_tables(f"sqlite:///{tmp_path / 'kiban.db'}")
    exported = read_dataset(tmp_path / "e")
    generated = read_dataset(tmp_path / "d")
    assert list(exported.tables) == list(held) == list(generated.tables)
    for name, frame in held.items():
        assert_frame_equal(exported.tables[name], frame)
        assert_frame_equal(
            generated.tables[name].sort(pl.all()), frame.sort(pl.all()), check_row_order=True
        )

    failed = _run("validate", "nothing-here", cwd=tmp_path)
    assert failed.returncode == 1
    assert failed.stderr == "error: nothing-here does not exist\n"


def test_demo_builds_its_store_and_shows_the_programs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = succeeds("demo", "--db", url, "--seed", "1")
    out = result.stdout
    assert f"Demo store {url}: built." in out
    assert "FY2022 5.40 trillion yen" in out
    assert "kiban facts budget" in out
    headers = [row[:2] for row in table_rows(out) if row and row[0] == "program"]
    # The programs table, then the headline risks (kiban risk summary) of each program.
    assert headers == [["program", "prime"], ["program", "ok"]]
    assert "Headline risks" in out
    assert "Riskiest suppliers" in out
    stored = store_tables(url)
    assert stored["programs"].height == 6
    assert "shape:" not in out
    # The worked economics case: an export order of the fighter, as `kiban econ exports`.
    with open_store(url) as store:
        summary = export_study(store.dataset(), "fighter", 6)["summary"]
    text = " ".join(out.split())
    assert "What would an export order do?" in text
    assert f"saves {format_jpy(summary['ministry_saving_jpy'])} JPY" in text
    assert f"kiban econ exports --program fighter --quantity 6 --db {url}" in text
    # The plan at the FY2022 earmark and the latest enacted support budget (FY2024).
    assert "What would the support budget buy?" in text
    assert "At the FY2022 earmark (2.2 bn JPY):" in text
    assert "At the FY2024 budget (25.1 bn JPY):" in text
