"""Validation reports every problem, each at the right table, row, column and rule."""

from __future__ import annotations

from collections import Counter, defaultdict

import networkx as nx
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset, Rule
from kiban.dataset.validate import validate


def good_frames() -> dict[str, pl.DataFrame]:
    return {
        "firms": pl.DataFrame(
            {
                "firm_id": ["P", "S1", "S2", "S3"],
                "name": ["Prime", "Sub 1", "Sub 2", "Sub 3"],
                "country": ["JP", "JP", "US", "JP"],
                "revenue_jpy": [1e12, 1e9, 5e8, 2e8],
                "defense_revenue_jpy": [1e11, 5e7, 1e8, 2e8],
                "operating_margin": [0.05, 0.02, -0.1, 0.0],
                "cyber_level": [3, 1, 2, 0],
                "status": ["active", "active", "withdrawing", "exited"],
            }
        ),
        "items": pl.DataFrame(
            {
                "item_id": ["SYS", "ASM", "CMP"],
                "name": ["System", "Assembly", "Component"],
                "kind": ["system", "assembly", "component"],
            }
        ),
        "bom": pl.DataFrame(
            {
                "parent_item_id": ["SYS", "ASM"],
                "child_item_id": ["ASM", "CMP"],
                "quantity": [2.0, 0.5],
            }
        ),
        "supplies": pl.DataFrame(
            {
                "supplier_id": ["S1", "S2", "S3", "S1"],
                "customer_id": ["P", "P", "S1", "P"],
                "item_id": ["ASM", "ASM", "CMP", None],
                "share": [0.5, 0.5, 1.0, None],
            }
        ),
        "programs": pl.DataFrame(
            {"program_id": ["PRG"], "name": ["Program"], "item_id": ["SYS"], "prime_id": ["P"]}
        ),
    }


def with_change(table: str, column: str, row: int, value: object) -> Dataset:
    frames = good_frames()
    frame = frames[table].with_columns(pl.col(column).cast(pl.String))
    values = frame.get_column(column).to_list()
    values[row] = value
    frames[table] = frame.with_columns(pl.Series(column, values, dtype=pl.String))
    return Dataset.from_frames(frames)


def only_error(ds: Dataset) -> dict[str, object]:
    errors = validate(ds).errors
    assert errors.height == 1, errors
    return errors.row(0, named=True)


def test_a_good_dataset_has_no_issues() -> None:
    report = validate(Dataset.from_frames(good_frames()))
    assert report.ok
    assert report.issues.height == 0
    assert report.row_counts == {"firms": 4, "items": 3, "bom": 2, "supplies": 4, "programs": 1}


@pytest.mark.parametrize(
    ("table", "column", "row", "value", "rule"),
    [
        ("firms", "name", 1, None, Rule.REQUIRED_VALUE),
        ("firms", "country", 2, "XX", Rule.COUNTRY),
        ("firms", "country", 2, "jp", Rule.COUNTRY),
        ("firms", "cyber_level", 0, "4", Rule.RANGE),
        ("firms", "cyber_level", 0, "two", Rule.TYPE),
        ("firms", "operating_margin", 3, "1.5", Rule.RANGE),
        ("firms", "revenue_jpy", 1, "-1", Rule.RANGE),
        ("firms", "defense_revenue_jpy", 1, "2e9", Rule.AT_MOST),
        ("firms", "status", 1, "bankrupt", Rule.CHOICE),
        ("firms", "firm_id", 1, "P", Rule.DUPLICATE_ID),
        ("firms", "firm_id", 3, "S3 ", Rule.ID_FORMAT),
        ("items", "kind", 1, "gadget", Rule.CHOICE),
        ("bom", "quantity", 0, "0", Rule.RANGE),
        ("bom", "child_item_id", 1, "NOPE", Rule.UNKNOWN_REFERENCE),
        ("supplies", "supplier_id", 0, "GHOST", Rule.UNKNOWN_REFERENCE),
        ("supplies", "share", 1, "0.7", Rule.SHARE_SUM),
        ("supplies", "share", 2, "1.01", Rule.RANGE),
        ("programs", "item_id", 0, "ASM", Rule.PROGRAM_ITEM_KIND),
        ("programs", "prime_id", 0, "NOBODY", Rule.UNKNOWN_REFERENCE),
    ],
)
def test_each_rule_is_reported_where_it_is_broken(
    table: str, column: str, row: int, value: object, rule: Rule
) -> None:
    # One broken value may break other rules too (a renamed id leaves references dangling);
    # the rule under test must be reported once, at the right place.
    errors = validate(with_change(table, column, row, value)).errors
    matching = errors.filter(pl.col("rule") == rule.value)
    assert matching.height == 1, errors
    error = matching.row(0, named=True)
    assert error["table"] == table
    assert error["rule"] == rule.value
    assert error["column"] == column
    # Rows are numbered as a spreadsheet shows them: the header is row 1.
    expected_row = 2 if rule is Rule.SHARE_SUM else row + 2
    assert error["row"] == expected_row
    assert error["message"]


def test_dates_must_be_iso() -> None:
    frames = good_frames()
    frames["firms"] = frames["firms"].with_columns(
        observed_at=pl.Series(["2024-03-31", "31/03/2024", None, "2024-02-30"])
    )
    errors = validate(Dataset.from_frames(frames)).errors
    assert errors.select("row", "rule", "value").rows() == [
        (3, "date", "31/03/2024"),
        (5, "date", "2024-02-30"),
    ]


def test_a_missing_required_column_is_one_error_not_one_per_row() -> None:
    frames = good_frames()
    frames["firms"] = frames["firms"].drop("country")
    errors = validate(Dataset.from_frames(frames)).errors
    assert errors.select("table", "row", "column", "rule").rows() == [
        ("firms", 1, "country", "required-column")
    ]


def test_unknown_columns_are_warnings_and_kept() -> None:
    frames = good_frames()
    frames["firms"] = frames["firms"].with_columns(pl.lit("x").alias("internal_code"))
    ds = Dataset.from_frames(frames)
    report = validate(ds)
    assert report.ok
    assert report.warnings.select("column", "rule").rows() == [("internal_code", "unknown-column")]
    assert ds.firms.get_column("internal_code").to_list() == ["x"] * 4


def test_references_to_an_absent_table_are_errors() -> None:
    frames = good_frames()
    del frames["items"]
    errors = validate(Dataset.from_frames(frames)).errors
    assert set(errors.get_column("rule")) == {"unknown-reference"}
    # bom (2 rows x 2 columns), item-level supplies (3), programs (1)
    assert errors.height == 8


def test_every_error_is_reported_in_one_pass() -> None:
    frames = good_frames()
    frames["firms"] = frames["firms"].with_columns(
        pl.Series("country", ["XX", "YY", "JP", "ZZ"]), pl.Series("cyber_level", [9, 9, 9, 9])
    )
    errors = validate(Dataset.from_frames(frames)).errors
    assert Counter(errors.get_column("rule")) == {"country": 3, "range": 4}


def test_a_bom_cycle_names_its_items() -> None:
    frames = good_frames()
    frames["bom"] = pl.DataFrame(
        {
            "parent_item_id": ["SYS", "ASM", "CMP"],
            "child_item_id": ["ASM", "CMP", "ASM"],
            "quantity": [1.0, 1.0, 1.0],
        }
    )
    frames["items"] = frames["items"]
    error = only_error(Dataset.from_frames(frames))
    assert error["rule"] == "bom-cycle"
    assert "ASM -> CMP -> ASM" in str(error["message"]) or "CMP -> ASM -> CMP" in str(
        error["message"]
    )


ITEM_IDS = [f"I{i}" for i in range(6)]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ITEM_IDS), st.sampled_from(ITEM_IDS)), max_size=15))
def test_bom_cycles_are_found_exactly_when_networkx_finds_one(edges: list[tuple[str, str]]) -> None:
    edges = list(dict.fromkeys(edges))
    frames = {
        "items": pl.DataFrame({"item_id": ITEM_IDS, "name": ITEM_IDS, "kind": ["component"] * 6}),
        "bom": pl.DataFrame(
            {
                "parent_item_id": [p for p, _ in edges],
                "child_item_id": [c for _, c in edges],
                "quantity": [1.0] * len(edges),
            },
            schema={
                "parent_item_id": pl.String,
                "child_item_id": pl.String,
                "quantity": pl.Float64,
            },
        ),
    }
    errors = validate(Dataset.from_frames(frames)).errors
    graph = nx.DiGraph(edges)
    has_cycle = bool(edges) and not nx.is_directed_acyclic_graph(graph)
    assert (errors.height > 0) == has_cycle
    # Breaking each reported edge leaves an acyclic bill of materials.
    reported = {edges[row - 2] for row in errors.get_column("row")}
    graph.remove_edges_from(reported)
    assert nx.is_directed_acyclic_graph(graph)


FIRM_IDS = ["A", "B", "C", "D"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*FIRM_IDS, "GHOST"]),
            st.sampled_from(FIRM_IDS),
            st.sampled_from(["X", "Y", None]),
            st.one_of(st.none(), st.sampled_from([0.0, 0.25, 0.5, 0.6, 1.0])),
        ),
        max_size=20,
    )
)
def test_supply_rules_agree_with_brute_force(
    rows: list[tuple[str, str, str | None, float | None]],
) -> None:
    frames = {
        "firms": pl.DataFrame({"firm_id": FIRM_IDS, "name": FIRM_IDS, "country": ["JP"] * 4}),
        "items": pl.DataFrame(
            {"item_id": ["X", "Y"], "name": ["X", "Y"], "kind": ["component", "material"]}
        ),
        "supplies": pl.DataFrame(
            rows,
            schema={
                "supplier_id": pl.String,
                "customer_id": pl.String,
                "item_id": pl.String,
                "share": pl.Float64,
            },
            orient="row",
        ),
    }
    errors = validate(Dataset.from_frames(frames)).errors

    expected: set[tuple[int, str]] = set()
    seen: dict[tuple[str, str, str | None], int] = {}
    totals: dict[tuple[str, str], float] = defaultdict(float)
    first_row: dict[tuple[str, str], int] = {}
    for i, (supplier, customer, item, share) in enumerate(rows, start=2):
        if supplier == "GHOST":
            expected.add((i, "unknown-reference"))
        key = (supplier, customer, item)
        if key in seen:
            expected.add((i, "duplicate-row"))
        seen.setdefault(key, i)
        if item is not None and share is not None:
            totals[(customer, item)] += share
            first_row.setdefault((customer, item), i)
    for group, total in totals.items():
        if total > 1 + 1e-9:
            expected.add((first_row[group], "share-sum"))
    assert set(errors.select("row", "rule").iter_rows()) == expected


def test_lines_name_the_file_row_column_value_and_rule() -> None:
    ds = with_change("firms", "country", 2, "XX")
    ds = Dataset.from_frames(dict(ds.tables), locations={"firms": "survey/firms.csv"})
    (line,) = validate(ds).lines()
    assert line == (
        "survey/firms.csv, row 4, column country: 'XX': "
        "is not an ISO 3166-1 alpha-2 country code [country]"
    )
