"""`kiban validate, init, import, export, template, info`: a dataset in and out of the store."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from kiban.dataset import TABLES
from kiban.dataset.io import read_dataset
from kiban.store import open_store
from tests.cli.conftest import (
    fails,
    good_dataset,
    one_line,
    store_tables,
    succeeds,
    table_row,
)


def test_help_lists_the_commands() -> None:
    result = succeeds("--help")
    for command in ("init", "validate", "import", "export", "template", "info", "facts"):
        assert f" {command} " in result.stdout
    assert "programs" in succeeds("generate", "--help").stdout


# --- validate --------------------------------------------------------------------------------


def test_validate_good_dataset_exits_0_with_a_summary(good: Path) -> None:
    result = succeeds("validate", good)
    assert f"valid: {good} (0 warning(s))" in result.stdout
    # The summary table: one line per table with its rows, no errors.
    for name, rows in good_dataset().row_counts().items():
        assert table_row(result.stdout, name) == [name, str(rows), "0", "0"]
    assert result.stderr == ""


def _many_bad_countries(folder: Path, n: int) -> None:
    frame = pl.read_csv(folder / "firms.csv", infer_schema=False)
    extra = pl.DataFrame(
        {"firm_id": [f"X{i:03d}" for i in range(n)], "name": ["Bad"] * n, "country": ["ZZ"] * n}
    )
    pl.concat([frame, extra], how="diagonal").write_csv(folder / "firms.csv")


def test_validate_lists_every_error_with_max_errors_0(good: Path) -> None:
    _many_bad_countries(good, 60)
    shortened = fails("validate", good)
    assert shortened.exit_code == 1
    assert shortened.stderr.count("[country]") == 50
    assert "... 10 more errors (--max-errors 0 shows all" in shortened.stderr
    assert "invalid: 60 error(s)" in shortened.stderr

    everything = fails("validate", good, "--max-errors", "0")
    lines = [line for line in everything.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 60
    # Each names the file, the row as a spreadsheet shows it, the column, the value, the rule.
    assert lines[0] == (
        f"error: {good / 'firms.csv'}, row 6, column country: 'ZZ': is not an ISO 3166-1 "
        "alpha-2 country code [country]"
    )
    assert lines[-1].startswith(f"error: {good / 'firms.csv'}, row 65, column country:")
    assert "more errors" not in everything.stderr


def test_validate_json_gives_the_issues(good: Path) -> None:
    _many_bad_countries(good, 3)
    result = fails("validate", good, "--format", "json")
    issues = json.loads(result.stdout)
    assert [(i["table"], i["row"], i["column"], i["value"], i["rule"]) for i in issues] == [
        ("firms", row, "country", "ZZ", "country") for row in (6, 7, 8)
    ]
    assert {i["severity"] for i in issues} == {"error"}
    assert "invalid: 3 error(s)" in result.stderr

    as_csv = pl.read_csv(fails("validate", good, "-f", "csv").stdout.encode())
    assert as_csv["row"].to_list() == [6, 7, 8]
    assert as_csv["rule"].to_list() == ["country"] * 3


def test_validate_json_of_a_good_dataset_is_an_empty_list(good: Path) -> None:
    result = succeeds("validate", good, "--format", "json")
    assert json.loads(result.stdout) == []
    assert "valid:" in result.stderr


def test_warnings_do_not_make_a_dataset_invalid(good: Path, db: str) -> None:
    firms = pl.read_csv(good / "firms.csv", infer_schema=False)
    firms.with_columns(survey_note=pl.lit("checked")).write_csv(good / "firms.csv")
    unknown_column = (
        f"warning: {good / 'firms.csv'}, row 1, column survey_note: unknown column, kept as "
        "text but not used by kiban [unknown-column]"
    )
    checked = succeeds("validate", good)
    assert unknown_column in checked.stderr
    assert f"valid: {good} (1 warning(s))" in checked.stdout
    assert table_row(checked.stdout, "firms") == ["firms", "4", "0", "1"]

    imported = succeeds("import", good, "--db", db)
    assert unknown_column in imported.stderr
    assert "stored." in imported.stdout
    assert store_tables(db)["firms"]["survey_note"].to_list() == ["checked"] * 4


def test_validate_errors_csv_writes_every_problem(good: Path, tmp_path: Path) -> None:
    _many_bad_countries(good, 75)
    errors_csv = tmp_path / "problems.csv"
    fails("validate", good, "--errors-csv", errors_csv)
    problems = pl.read_csv(errors_csv)
    assert problems.columns == ["severity", "table", "row", "column", "value", "rule", "message"]
    assert problems.height == 75
    assert problems["row"].to_list() == list(range(6, 81))


def test_validate_errors_csv_in_a_missing_folder_is_a_clear_error(
    good: Path, tmp_path: Path
) -> None:
    result = fails("validate", good, "--errors-csv", tmp_path / "nowhere" / "problems.csv")
    assert "cannot write the problems to" in result.stderr


def test_validate_shows_markup_like_values_as_text(tmp_path: Path) -> None:
    # Rich would read `[/x]` as a closing tag and `[bold]` as a style, and fail or drop them;
    # polars would read `[bold]` in a path as a glob pattern.
    folder = tmp_path / "survey [bold]"
    folder.mkdir()
    (folder / "firms.csv").write_text("firm_id,name,country\nF1,Acme,[/x]\n")
    result = fails("validate", folder)
    assert f"error: {folder / 'firms.csv'}, row 2, column country: '[/x]':" in result.stderr
    assert f"invalid: 1 error(s) in {folder}" in result.stderr

    empty = tmp_path / "[bold]"
    empty.mkdir()
    assert f"error: {empty} holds no dataset files" in fails("validate", empty).stderr


# --- init, import ----------------------------------------------------------------------------


def test_init_creates_the_store_and_is_idempotent(db: str, tmp_path: Path) -> None:
    first = succeeds("init", "--db", db)
    assert f"store ready: {db} (sqlite, schema " in first.stdout
    assert (tmp_path / "store.db").is_file()
    succeeds("init", "--db", db)
    assert all(frame.height == 0 for frame in store_tables(db).values())


def test_import_stores_the_dataset_and_says_what_it_added(db: str, good: Path) -> None:
    result = succeeds("import", good, "--db", db, "--actor", "analyst")
    assert "stored." in result.stdout
    assert table_row(result.stdout, "table") == [
        "table",
        "added",
        "updated",
        "unchanged",
        "removed",
    ]
    assert table_row(result.stdout, "firms") == ["firms", "4", "0", "0", "0"]
    assert table_row(result.stdout, "bom") == ["bom", "3", "0", "0", "0"]
    stored = store_tables(db)
    assert {name: frame.height for name, frame in stored.items()} == good_dataset().row_counts()
    with open_store(db) as store:
        assert store.imports()["actor"].to_list() == ["analyst"]


def test_reimporting_the_same_dataset_changes_nothing(stored: str, good: Path) -> None:
    before = store_tables(stored)
    result = succeeds("import", good, "--db", stored)
    assert "nothing changed: the store already holds it." in result.stdout
    _assert_same_tables(store_tables(stored), before)


def _conflicting(good: Path, tmp_path: Path) -> Path:
    changed = (
        good_dataset()
        .tables["firms"]
        .with_columns(
            employees=pl.when(pl.col("firm_id") == "F2").then(999).otherwise(pl.col("employees"))
        )
    )
    folder = tmp_path / "changed"
    folder.mkdir()
    changed.write_csv(folder / "firms.csv")
    return folder


def test_a_conflicting_import_exits_1_naming_the_conflict_and_replace(
    stored: str, good: Path, tmp_path: Path
) -> None:
    before = store_tables(stored)
    result = fails("import", _conflicting(good, tmp_path), "--db", stored)
    assert result.exit_code == 1
    assert "nothing was imported" in result.stderr
    assert "firms (F2), column employees: '120' -> '999'" in result.stderr
    assert "import it with --replace" in one_line(result.stderr)
    _assert_same_tables(store_tables(stored), before)


def test_import_replace_makes_the_store_hold_exactly_the_dataset(
    stored: str, good: Path, tmp_path: Path
) -> None:
    result = succeeds("import", _conflicting(good, tmp_path), "--replace", "--db", stored)
    assert "stored." in result.stdout
    after = store_tables(stored)
    # Only the firms of the new dataset are left; the rest were removed with them.
    assert list(after) == ["firms"]
    assert after["firms"].filter(pl.col("firm_id") == "F2")["employees"].item() == 999
    assert table_row(result.stdout, "firms") == ["firms", "0", "1", "3", "0"]
    assert table_row(result.stdout, "supplies") == ["supplies", "0", "0", "0", "4"]


# --- export ----------------------------------------------------------------------------------


def _assert_same_tables(actual: dict[str, pl.DataFrame], expected: dict[str, pl.DataFrame]) -> None:
    assert list(actual) == list(expected)
    for name in expected:
        assert_frame_equal(actual[name], expected[name])


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_export_round_trips_losslessly(stored: str, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / ("export.xlsx" if fmt == "xlsx" else f"export-{fmt}")
    result = succeeds("export", target, "--format", fmt, "--db", stored)
    assert result.stdout.strip() == (
        f"wrote {target} (4 firms, 4 items, 3 bom, 4 supplies, 1 programs)"
    )
    held = store_tables(stored)
    exported = read_dataset(target)
    assert exported.read_issues.height == 0
    _assert_same_tables(dict(exported.tables), held)
    again = succeeds("import", target, "--db", stored)
    assert "nothing changed" in again.stdout


def test_export_refuses_to_overwrite_without_overwrite(stored: str, tmp_path: Path) -> None:
    target = tmp_path / "export"
    succeeds("export", target, "--db", stored)
    result = fails("export", target, "--db", stored)
    assert "--overwrite" in result.stderr
    succeeds("export", target, "--overwrite", "--db", stored)


def test_export_of_an_empty_store_says_there_is_nothing(db: str, tmp_path: Path) -> None:
    succeeds("init", "--db", db)
    result = fails("export", tmp_path / "out", "--db", db)
    assert "holds no data" in result.stderr
    assert "kiban import" in result.stderr
    assert not (tmp_path / "out").exists()


# --- template --------------------------------------------------------------------------------


def test_template_writes_a_workbook_and_refuses_to_overwrite(tmp_path: Path) -> None:
    survey = tmp_path / "survey.xlsx"
    result = succeeds("template", survey)
    assert f"wrote {survey}" in result.stdout
    # An empty survey reads as a dataset with every table and no rows: valid.
    assert set(read_dataset(survey).tables) == set(TABLES)
    succeeds("validate", survey)
    written = survey.read_bytes()

    refused = fails("template", survey)
    assert "exists; use --overwrite" in refused.stderr
    assert survey.read_bytes() == written
    succeeds("template", survey, "--overwrite")


# --- info ------------------------------------------------------------------------------------


def test_info_as_table_json_and_csv(stored: str) -> None:
    table = succeeds("info", "--db", stored).stdout
    assert f"store: {stored} (sqlite)" in table
    assert "dataset format v1" in table
    # The last imports, one readable line each, without the raw per-table JSON.
    assert "merge: added 16" in table
    assert "{" not in table

    facts = json.loads(succeeds("info", "--db", stored, "--format", "json").stdout)
    assert facts["url"] == stored
    assert facts["backend"] == "sqlite"
    assert facts["row_counts"] == {"firms": 4, "items": 4, "bom": 3, "supplies": 4, "programs": 1}
    assert facts["import_count"] == 1
    assert facts["last_import"]["outcome"] == "changed"

    csv = succeeds("info", "--db", stored, "-f", "csv").stdout
    assert csv.splitlines() == [
        "table,rows",
        "firms,4",
        "items,4",
        "bom,3",
        "supplies,4",
        "programs,1",
    ]


def test_info_of_a_new_store_suggests_an_import(db: str) -> None:
    succeeds("init", "--db", db)
    assert "no imports yet" in succeeds("info", "--db", db).stdout


def test_info_without_a_store_says_to_run_init(db: str) -> None:
    result = fails("info", "--db", db)
    assert "kiban init" in result.stderr
