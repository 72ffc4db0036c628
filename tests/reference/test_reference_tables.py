"""`kiban.reference.tables`: every shipped file loads, typed by its column names, with sources."""

from __future__ import annotations

import re
from importlib import resources

import polars as pl
import pytest

from kiban.errors import ReferenceDataError
from kiban.reference import (
    CONFIDENCE_GRADES,
    SOURCE_COLUMNS,
    RefKind,
    column_kind,
    countries,
    load,
    names,
)
from kiban.reference.tables import parse_reference_csv

HEADER = (
    "fiscal_year,amount_jpy,share_frac,approx,date,country,"
    "note,source_url,confidence,confidence_origin,source_url_alt,source_desc"
)
GOOD_ROW = "2024,1000,0.5,true,2024-03,JP,,https://example.org/a,H,row,,Example"


def _readme_rows() -> dict[str, int]:
    """The `| `file.csv` | rows |` table of data/README.md: what the package promises."""
    readme = (resources.files("kiban.reference") / "data" / "README.md").read_text("utf-8")
    rows = re.findall(r"^\| `(\w+)\.csv` \| (\d+) \|", readme, flags=re.MULTILINE)
    return {name: int(count) for name, count in rows}


def test_names_are_the_files_the_readme_lists() -> None:
    assert countries() == ["japan"]
    assert names() == sorted(_readme_rows())
    assert len(names()) == 23


@pytest.mark.parametrize("name", sorted(_readme_rows()))
def test_every_file_loads_with_the_declared_types(name: str) -> None:
    frame = load(name)

    assert frame.height == _readme_rows()[name]
    for column, dtype in frame.schema.items():
        assert dtype == column_kind(column).dtype, column
    assert set(SOURCE_COLUMNS) <= set(frame.columns)


@pytest.mark.parametrize("name", sorted(_readme_rows()))
def test_every_row_keeps_its_source(name: str) -> None:
    frame = load(name)

    assert frame["source_url"].str.contains(r"^https?://\S+$").all()
    assert (frame["source_desc"].str.len_chars() > 0).all()
    assert frame["confidence"].is_in(CONFIDENCE_GRADES).all()


def test_column_kinds_follow_the_naming_conventions() -> None:
    assert column_kind("incl_total_jpy") is RefKind.INT
    assert column_kind("fiscal_year") is RefKind.INT
    assert column_kind("arms_revenue_usd_m") is RefKind.INT
    assert column_kind("rate_max_frac") is RefKind.FRACTION
    assert column_kind("arms_share_pct") is RefKind.NUMBER
    assert column_kind("value_min") is RefKind.NUMBER
    assert column_kind("captured") is RefKind.BOOL
    assert column_kind("key_date") is RefKind.DATE
    assert column_kind("key_date").dtype == pl.String()
    assert column_kind("contractor") is RefKind.TEXT


def test_budget_values_are_exact_integer_yen() -> None:
    budget = load("defense_budget").filter(fiscal_year=2022)

    assert budget["excl_realignment_jpy"].item() == 5_178_800_000_000
    assert budget["incl_total_jpy"].item() == 5_400_500_000_000


def test_blanks_are_null_not_zero() -> None:
    fms = load("fms")

    assert fms["contracts"].null_count() > 0
    assert (fms["contracts"].drop_nulls() > 0).all()
    assert fms.filter(fiscal_year=2019, reported_via="WING")["contracts"].item() == 215


def test_reduced_precision_dates_stay_text() -> None:
    exports = load("exports")

    assert "2020-08" in exports["date"].to_list()
    assert "2020" in exports["date"].to_list()


def test_booleans_and_fractions_are_typed() -> None:
    categories = load("designated_equipment_categories")
    profit = load("profit_rates")

    assert categories["captured"].to_list().count(False) == 1
    assert profit.filter(component="total_maximum")["rate_max_frac"].item() == pytest.approx(0.15)


def test_a_caller_cannot_corrupt_the_cached_table() -> None:
    first = load("fms")
    first.insert_column(0, pl.Series("scratch", [0] * first.height))
    first.drop_in_place("amount_jpy")

    again = load("fms")
    assert "scratch" not in again.columns
    assert "amount_jpy" in again.columns


def test_name_may_carry_the_csv_suffix() -> None:
    assert load("fms.csv").equals(load("fms"))


def test_unknown_name_lists_the_available_tables() -> None:
    with pytest.raises(ReferenceDataError, match="no reference table 'budget'") as raised:
        load("budget")
    assert "defense_budget" in str(raised.value)
    assert "top_contractors" in str(raised.value)


def test_unknown_country_lists_the_available_ones() -> None:
    with pytest.raises(ReferenceDataError, match=r"country 'korea'.*available: japan"):
        load("fms", country="korea")
    with pytest.raises(ReferenceDataError, match="country 'korea'"):
        names("korea")


def test_a_well_formed_text_parses() -> None:
    frame = parse_reference_csv(f"{HEADER}\n{GOOD_ROW}\n", origin="t.csv")

    assert frame.row(0, named=True) == {
        "fiscal_year": 2024,
        "amount_jpy": 1000,
        "share_frac": 0.5,
        "approx": True,
        "date": "2024-03",
        "country": "JP",
        "note": None,
        "source_url": "https://example.org/a",
        "confidence": "H",
        "confidence_origin": "row",
        "source_url_alt": None,
        "source_desc": "Example",
    }


DAMAGED_CELLS = {
    # column: (bad text replacing the good one, the rule the error must state)
    "amount_jpy": ("2024,1000", "2024,10.5", "'10.5' is not an integer"),
    "share_frac": ("0.5", "1.5", "'1.5' is not a fraction in [0, 1]"),
    "approx": ("true", "yes", "'yes' is not true/false"),
    "date": ("2024-03", "2024-13", "'2024-13' is not an ISO date"),
    "country": (",JP,", ",Japan,", "'Japan' is not an ISO 3166-1 alpha-2 code"),
    "source_url": ("https://example.org/a", "", "blank but every row needs a value"),
    "confidence": (",H,", ",A,", "'A' is not a confidence grade H/M/L"),
    "confidence_origin": (",row,", ",guess,", "'guess' is not one of row, table"),
    "source_url_alt": (",row,,", ",row,ftp://x,", "'ftp://x' holds 'ftp://x', not an http(s) URL"),
    "source_desc": ("Example", "", "blank but every row needs a value"),
}


@pytest.mark.parametrize("column", sorted(DAMAGED_CELLS))
def test_a_damaged_cell_names_file_line_and_column(column: str) -> None:
    good, bad, rule = DAMAGED_CELLS[column]
    text = f"{HEADER}\n{GOOD_ROW}\n{GOOD_ROW.replace(good, bad)}\n"

    with pytest.raises(ReferenceDataError) as raised:
        parse_reference_csv(text, origin="japan/t.csv")
    assert str(raised.value).startswith(
        f"reference file japan/t.csv, line 3, column {column}: {rule}"
    )


def test_a_ragged_row_is_refused() -> None:
    with pytest.raises(ReferenceDataError, match=r"t\.csv, line 2: 13 fields, header has 12"):
        parse_reference_csv(f"{HEADER}\n{GOOD_ROW},extra\n", origin="t.csv")


def test_a_damaged_header_is_refused() -> None:
    without_sources = "fiscal_year,amount_jpy\n2024,1\n"
    with pytest.raises(ReferenceDataError, match=r"missing source columns \['note', 'source_url'"):
        parse_reference_csv(without_sources, origin="t.csv")
    with pytest.raises(ReferenceDataError, match="not snake_case: \\['Amount'\\]"):
        parse_reference_csv(HEADER.replace("amount_jpy", "Amount") + "\n", origin="t.csv")
    with pytest.raises(ReferenceDataError, match="duplicate columns \\['note'\\]"):
        parse_reference_csv(HEADER.replace("date", "note") + "\n", origin="t.csv")
    with pytest.raises(ReferenceDataError, match="is empty"):
        parse_reference_csv("", origin="t.csv")
    with pytest.raises(ReferenceDataError, match="byte-order mark"):
        parse_reference_csv("\ufeff" + HEADER + "\n", origin="t.csv")


def test_bounds_out_of_order_are_refused() -> None:
    header = "value_min,value_max,unit," + ",".join(SOURCE_COLUMNS)
    tail = ",https://example.org,M,row,,Example"  # note, url, grade, origin, alt, desc
    with pytest.raises(
        ReferenceDataError, match=r"line 2: value_min 8\.0 is greater than value_max 6\.0"
    ):
        parse_reference_csv(f"{header}\n8,6,ratio,{tail}\n", origin="t.csv")
    with pytest.raises(ReferenceDataError, match=r"line 3, column value_max: 1\.2 with unit frac"):
        parse_reference_csv(f"{header}\n6,8,ratio,{tail}\n0.5,1.2,frac,{tail}\n", origin="t.csv")


def test_lines_are_counted_as_an_editor_counts_them() -> None:
    # A quoted note spanning two lines pushes the next row to line 4.
    spanning = GOOD_ROW.replace("JP,,", 'JP,"first line\nsecond line",')
    text = f"{HEADER}\n{spanning}\n{GOOD_ROW.replace('true', 'maybe')}\n"

    with pytest.raises(ReferenceDataError, match=r"line 4, column approx: 'maybe'"):
        parse_reference_csv(text, origin="t.csv")
    assert parse_reference_csv(f"{HEADER}\n{spanning}\n")["note"].item() == (
        "first line\nsecond line"
    )


def test_text_that_is_not_csv_is_refused() -> None:
    broken = GOOD_ROW.replace(",Example", ',"Example"x')

    with pytest.raises(ReferenceDataError, match=r"t\.csv, line 2: not valid CSV"):
        parse_reference_csv(f"{HEADER}\n{broken}\n", origin="t.csv")


@pytest.mark.parametrize("text", ["1_000", "nan", "inf", " 0.5", "0,5"])
def test_numbers_are_plain_decimals(text: str) -> None:
    row = GOOD_ROW.replace(",0.5,", f',"{text}",')

    with pytest.raises(ReferenceDataError, match=r"column share_frac: .* is not a number"):
        parse_reference_csv(f"{HEADER}\n{row}\n", origin="t.csv")
