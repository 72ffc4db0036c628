"""Importing datasets: round trips, merges, conflicts, replacement, refusals, the audit log."""

from __future__ import annotations

import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from kiban.dataset import Dataset, ValidationError
from kiban.errors import ConflictError, StoreError
from kiban.store import Store, TableCounts
from tests.samples import sample_dataset, sample_frames, sorted_by_key, subtier_dataset


def assert_holds(store: Store, expected: Dataset) -> None:
    """The store holds exactly `expected`: same tables, columns, types, values, rows by key."""
    held = store.dataset()
    want = sorted_by_key(expected)
    assert list(held.tables) == list(want)
    for name, frame in want.items():
        assert_frame_equal(held.tables[name], frame, check_exact=True)


def test_round_trip_keeps_values_types_and_extra_columns(store: Store, sample: Dataset) -> None:
    result = store.import_dataset(sample, actor="analyst")

    assert result.changed
    assert result.counts["firms"] == TableCounts(added=4)
    assert result.counts["supplies"] == TableCounts(added=5)
    assert_holds(store, sample)
    assert store.dataset().extra_columns("firms") == ("survey_note",)


def test_reimporting_the_same_dataset_changes_nothing_and_says_so(
    store: Store, sample: Dataset
) -> None:
    store.import_dataset(sample)
    again = store.import_dataset(sample_dataset())

    assert not again.changed
    assert again.counts["firms"] == TableCounts(unchanged=4)
    assert again.summary().startswith("nothing changed")
    assert_holds(store, sample)
    assert store.imports().get_column("outcome").to_list() == ["changed", "unchanged"]


def test_subtier_survey_may_refer_to_stored_firms_and_items(store: Store, sample: Dataset) -> None:
    store.import_dataset(sample)
    result = store.import_dataset(subtier_dataset())

    assert result.counts["firms"] == TableCounts(added=1)
    assert result.counts["supplies"] == TableCounts(added=1)
    held = store.dataset()
    assert held.firms.height == 5
    assert ("F5", "F4", "MAT-1") in held.supplies.select(
        "supplier_id", "customer_id", "item_id"
    ).rows()
    # The stored extra column is still there, null for the firm that came without it.
    assert held.firms.filter(pl.col("firm_id") == "F5").get_column("survey_note").to_list() == [
        None
    ]


def test_subtier_survey_alone_in_an_empty_store_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError, match="no such firm_id in firms"):
        store.import_dataset(subtier_dataset())
    assert store.dataset().tables == {}


def test_survey_naming_a_stored_firm_without_its_details_keeps_them(
    store: Store, sample: Dataset
) -> None:
    store.import_dataset(sample)
    # A second survey names the stored F4 by id, name and country only, and adds a firm.
    survey = Dataset.from_frames(
        {
            "firms": pl.DataFrame(
                {"firm_id": ["F4", "F6"], "name": ["Ore GmbH", "Forge KK"], "country": ["DE", "JP"]}
            ),
            "supplies": pl.DataFrame(
                {"supplier_id": ["F6"], "customer_id": ["F4"], "item_id": ["MAT-1"]}
            ),
        }
    )

    result = store.import_dataset(survey)

    assert result.counts["firms"] == TableCounts(added=1, unchanged=1)
    held = store.dataset().firms
    stored_f4 = sample.firms.filter(pl.col("firm_id") == "F4")
    assert_frame_equal(held.filter(pl.col("firm_id") == "F4"), stored_f4, check_exact=True)
    # The new firm has no survey_note: the column was absent, not given as empty.
    assert held.filter(pl.col("firm_id") == "F6").get_column("survey_note").to_list() == [None]


def test_a_column_given_empty_is_a_change_not_an_absence(store: Store, sample: Dataset) -> None:
    store.import_dataset(sample)
    survey = Dataset.from_frames(
        {
            "firms": pl.DataFrame(
                {"firm_id": ["F4"], "name": ["Ore GmbH"], "country": ["DE"], "employees": [None]},
                schema_overrides={"employees": pl.Int64},
            )
        }
    )

    with pytest.raises(ConflictError, match=r"firms \(F4\), column employees: '2000' -> \(empty\)"):
        store.import_dataset(survey)
    assert_holds(store, sample)


def test_merge_that_would_change_a_stored_row_is_refused(store: Store, sample: Dataset) -> None:
    store.import_dataset(sample)
    frames = sample_frames()
    frames["firms"] = frames["firms"].with_columns(
        pl.when(pl.col("firm_id") == "F2")
        .then(pl.lit("Gear Works Ltd"))
        .otherwise(pl.col("name"))
        .alias("name")
    )
    frames["supplies"] = frames["supplies"].with_columns(pl.col("lead_time_days") + 1)

    with pytest.raises(ConflictError) as raised:
        store.import_dataset(Dataset.from_frames(frames))

    message = str(raised.value)
    assert "would change 5 stored row(s) (firms 1, supplies 4)" in message
    assert "firms (F2), column name: 'Gear Works' -> 'Gear Works Ltd'" in message
    assert "supplies (F2, F1, ASM-1), column lead_time_days: '400' -> '401'" in message
    assert "--replace" in message
    assert_holds(store, sample)
    log = store.imports()
    assert log.get_column("outcome").to_list() == ["changed", "conflict"]
    assert log.get_column("added").to_list() == [17, 0]


def test_replace_makes_the_store_hold_exactly_the_new_dataset(
    store: Store, sample: Dataset
) -> None:
    store.import_dataset(sample)
    frames = sample_frames()
    frames["firms"] = (
        frames["firms"]
        .filter(pl.col("firm_id") != "F4")
        .with_columns(pl.col("name").str.to_uppercase())
        .drop("survey_note")
    )
    frames["supplies"] = frames["supplies"].filter(pl.col("supplier_id") != "F4")
    frames["bom"] = frames["bom"].filter(pl.col("child_item_id") != "MAT-1")
    frames["items"] = frames["items"].filter(pl.col("item_id") != "MAT-1")
    del frames["programs"]
    replacement = Dataset.from_frames(frames)

    result = store.import_dataset(replacement, replace=True)

    assert result.counts["firms"] == TableCounts(updated=3, removed=1)
    assert result.counts["supplies"] == TableCounts(unchanged=3, removed=2)
    assert result.counts["programs"] == TableCounts(removed=1)
    assert_holds(store, replacement)
    assert store.imports().get_column("mode").to_list() == ["merge", "replace"]


def test_replace_with_an_empty_dataset_is_refused(store: Store, sample: Dataset) -> None:
    store.import_dataset(sample)
    empty = Dataset.from_frames({"firms": pl.DataFrame({"firm_id": [], "name": [], "country": []})})

    with pytest.raises(StoreError, match="holds no rows"):
        store.import_dataset(empty, replace=True)

    assert_holds(store, sample)


def test_replace_with_the_stored_dataset_changes_nothing(store: Store, sample: Dataset) -> None:
    store.import_dataset(sample)
    result = store.import_dataset(sample_dataset(), replace=True)
    assert not result.changed
    assert_holds(store, sample)


def test_dataset_with_an_error_changes_nothing(store: Store, sample: Dataset) -> None:
    store.import_dataset(sample)
    frames = sample_frames()
    frames["firms"] = pl.concat(
        [frames["firms"], pl.DataFrame({"firm_id": ["F9"], "name": ["Bad"], "country": ["XX"]})],
        how="diagonal",
    )

    with pytest.raises(ValidationError) as raised:
        store.import_dataset(Dataset.from_frames(frames), replace=True)

    assert "firms, row 6, column country: 'XX'" in str(raised.value)
    assert_holds(store, sample)
    log = store.imports()
    assert log.get_column("outcome").to_list() == ["changed", "invalid"]
    assert "not an ISO 3166-1" in log.get_column("detail")[1]


def test_supplies_with_and_without_an_item_are_distinct_keys(store: Store, sample: Dataset) -> None:
    store.import_dataset(sample)
    held = store.dataset().supplies.filter(
        (pl.col("supplier_id") == "F3") & (pl.col("customer_id") == "F2")
    )
    assert held.get_column("item_id").to_list() == [None, "CMP-1"]


def test_audit_log_records_who_when_what_and_counts(store: Store, sample: Dataset) -> None:
    first = store.import_dataset(sample, actor="sato", source="survey/2024.xlsx")
    store.import_dataset(subtier_dataset(), actor="suzuki")

    log = store.imports()
    assert log.get_column("import_id").to_list()[0] == first.import_id
    assert log.get_column("actor").to_list() == ["sato", "suzuki"]
    assert log.get_column("source").to_list() == ["survey/2024.xlsx", "subtier"]
    assert log.get_column("added").to_list() == [17, 2]
    assert log.schema["imported_at"] == pl.Datetime("us", "UTC")
    counts = json.loads(log.get_column("row_counts")[0])
    assert counts["firms"] == {"added": 4, "updated": 0, "unchanged": 0, "removed": 0}
    assert log.get_column("imported_at").is_sorted()

    info = store.info()
    assert info.import_count == 2
    assert info.last_import is not None
    assert info.last_import.actor == "suzuki"
    assert info.last_import.outcome == "changed"
    assert info.last_import.imported_at.utcoffset() is not None


def test_actor_defaults_to_the_os_user(
    store: Store, sample: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "tanaka")
    monkeypatch.setenv("USER", "tanaka")
    store.import_dataset(sample)
    assert store.imports().get_column("actor").to_list() == ["tanaka"]


def test_info_counts_rows_and_names_versions(store: Store, sample: Dataset) -> None:
    store.import_dataset(sample)
    info = store.info()
    assert info.row_counts == {"firms": 4, "items": 4, "bom": 3, "supplies": 5, "programs": 1}
    assert info.format_version == 1
    assert info.revision == "0001"
    assert info.backend in ("sqlite", "postgresql")
    assert json.loads(json.dumps(info.to_dict(), default=str))["row_counts"]["bom"] == 3
