"""`kiban.reference.facts`: every reference file as a readable table with sources and caveats."""

from __future__ import annotations

import polars as pl
import pytest

from kiban.errors import ReferenceDataError
from kiban.reference import fact_table, find_topic, load, names, topics
from kiban.reference.facts import CAVEAT

SLUGS = [topic.slug for topic in topics()]


def test_every_reference_file_has_exactly_one_topic() -> None:
    files = [topic.file for topic in topics()]

    assert sorted(files) == names()
    assert len(set(SLUGS)) == len(SLUGS)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_topic_builds_a_table_with_a_source_per_row(slug: str) -> None:
    facts = fact_table(slug)

    assert facts.topic == slug
    assert facts.title
    assert facts.description
    assert facts.data.equals(load(facts.file))
    assert facts.table.height == facts.data.height
    assert set(facts.table.dtypes) == {pl.String()}
    assert facts.table.columns[-2:] == ["conf", "src"]
    assert facts.table["conf"].to_list() == facts.data["confidence"].to_list()
    assert CAVEAT in facts.notes


@pytest.mark.parametrize("slug", SLUGS)
def test_each_row_points_to_the_source_it_cites(slug: str) -> None:
    facts = fact_table(slug)
    by_ref = {row["ref"]: row for row in facts.sources.iter_rows(named=True)}

    assert list(by_ref) == list(range(1, len(by_ref) + 1))
    for src, row in zip(facts.table["src"], facts.data.iter_rows(named=True), strict=True):
        source = by_ref[int(src.strip("[]"))]
        assert (source["source_desc"], source["source_url"]) == (
            row["source_desc"],
            row["source_url"],
        )
        assert row["confidence"] in source["confidence"].split("/")


def test_fy2022_budget_reads_5_4_trillion_yen() -> None:
    facts = fact_table("budget", fiscal_year=2022)

    assert facts.table.row(0, named=True) == {
        "FY": "FY2022",
        "excl. realignment (JPY)": "5.18 tn",
        "incl. total (JPY)": "5.40 tn",
        "status": "enacted",
        "conf": "H",
        "src": "[1]",
    }
    assert facts.data["incl_total_jpy"].item() == 5_400_500_000_000
    assert facts.data["excl_realignment_jpy"].item() == 5_178_800_000_000
    assert facts.sources["source_url"].item().startswith("https://")


def test_budget_has_both_bases_for_every_fiscal_year() -> None:
    facts = fact_table("budget")

    assert facts.data["fiscal_year"].to_list() == list(range(2011, 2027))
    assert facts.data["excl_realignment_jpy"].null_count() == 0
    assert facts.data["incl_total_jpy"].null_count() == 0
    assert any("FY2026" in note and "proposal" in note for note in facts.notes)


def test_fms_fy2023_is_present_on_every_basis_it_was_reported() -> None:
    facts = fact_table("fms", fiscal_year=2023)
    single_year = facts.data.filter(pl.col("fiscal_year_end") == 2023, fiscal_year=2023)

    assert dict(single_year.select("basis", "amount_jpy").iter_rows()) == {
        "board_of_audit": 1_386_700_000_000,
        "central_procurement": 1_368_600_000_000,
        "initial_budget": 1_476_800_000_000,
    }
    assert "1.39 tn" in facts.table["amount (JPY)"].to_list()
    # The cumulative FY2018–2023 audit rows cover FY2023 too, and say so.
    assert "FY2018–2023" in facts.table["FY"].to_list()


def test_contractors_filter_by_fiscal_year() -> None:
    facts = fact_table("contractors", fiscal_year=2024)

    assert set(facts.data["fiscal_year"]) == {2024}
    assert facts.table["contractor"].to_list()[:3] == [
        "Mitsubishi Heavy Industries",
        "US Government (FMS)",
        "Kawasaki Heavy Industries",
    ]
    assert facts.table["amount (JPY)"].to_list()[0] == "1.46 tn"
    assert facts.table["rank"].to_list()[-1] == ""  # rank not known: blank, not 0


def test_topics_answer_to_their_file_names_too() -> None:
    assert fact_table("defense_budget").topic == "budget"
    assert fact_table("top_contractors").topic == "contractors"
    assert fact_table("profit_rates").topic == "profit-rates"
    assert fact_table("Network_Stats").topic == "network-stats"
    assert find_topic("sipri_top100_japan").slug == "sipri"


def test_unknown_topic_lists_the_topics() -> None:
    with pytest.raises(ReferenceDataError, match="no fact topic 'tanks'") as raised:
        fact_table("tanks")
    for slug in ("budget", "fms", "contractors", "profit-rates", "shocks"):
        assert slug in str(raised.value)


def test_a_year_is_refused_where_the_topic_has_none_or_no_rows() -> None:
    with pytest.raises(ReferenceDataError, match="'learning-curves' has no fiscal year"):
        fact_table("learning-curves", fiscal_year=2020)
    with pytest.raises(ReferenceDataError, match=r"no rows for 2030; its years: 2011, .*2026"):
        fact_table("budget", fiscal_year=2030)


def test_sipri_topics_carry_the_attribution() -> None:
    assert any("SIPRI Arms Industry Database" in note for note in fact_table("sipri").notes)
    assert any("SIPRI Military Expenditure" in note for note in fact_table("milex").notes)
    assert any("SIPRI Arms Transfers" in note for note in fact_table("imports").notes)
    assert any("SIPRI Arms Transfers" in note for note in fact_table("exports").notes)


def test_sipri_filters_by_its_own_year_label() -> None:
    facts = fact_table("sipri", fiscal_year=2023)

    assert facts.table["company"].to_list()[0] == "Mitsubishi Heavy Industries"
    assert facts.table["arms revenue (US$ m)"].to_list()[0] == "3,890"
    assert facts.table["arms share"].to_list()[0] == "11.7%"


def test_approximate_figures_and_bounds_are_marked() -> None:
    profit = dict(fact_table("profit-rates").table.select("component", "rate").iter_rows())

    assert profit["standard_margin_average"] == "8%"
    assert profit["realized_margin_industry_view"] == "~2%"
    assert profit["qcd_evaluation"] == "≤ 10%"
    assert profit["total_maximum"] == "≤ ~15%"
    assert profit["qcd_evaluation_band_mof_2025"] == "5% – 10%"


def test_unverified_support_claim_is_shown_with_its_low_grade() -> None:
    facts = fact_table("support", fiscal_year=2022)
    claimed = facts.table.filter(item="supply_chain_industry_measures_claimed")

    assert claimed.select("amount (JPY)", "status", "conf").row(0) == ("~2.2 bn", "unverified", "L")
    assert facts.table.filter(item="industry_directed_measures")["amount (JPY)"].item() == "3.2 bn"


def test_long_tables_format_each_row_by_its_unit() -> None:
    dependence = fact_table("dependence").table["value"].to_list()
    premiums = fact_table("cost-premiums").table["value"].to_list()

    assert "4.4%" in dependence
    assert "4,568 firms" in dependence
    assert "~¥3.00 tn" in dependence
    assert "~7.2×" in premiums
    assert "¥9.37 bn" in premiums
    assert "¥9.42 bn" in premiums
