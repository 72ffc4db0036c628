"""`kiban.econ.budget`: figures derived from the shipped reference data, checked by hand."""

from __future__ import annotations

import math

import polars as pl
import pytest

from kiban.econ.budget import (
    BUDGET_TOPICS,
    FMS_CONTRACTOR,
    budget_picture,
    defense_budget,
    defense_share_of_sales,
    domestic_share,
    earmarks,
    fms_purchases,
    hhi_bounds,
    industrial_base_support,
    procurement_concentration,
)
from kiban.errors import EconError
from kiban.reference import load
from kiban.reference.facts import CAVEAT


def _one(frame: pl.DataFrame, **where: object) -> dict[str, object]:
    """The only row of `frame` matching `where`."""
    rows = frame.filter(**where).to_dicts()
    assert len(rows) == 1, f"{len(rows)} rows match {where}"
    return rows[0]


def _raw(name: str, **where: object) -> dict[str, object]:
    return _one(load(name), **where)


# --- every topic ------------------------------------------------------------------------------


def test_the_topics_are_the_six_of_the_issue() -> None:
    assert BUDGET_TOPICS == ("budget", "fms", "domestic", "concentration", "sipri", "support")


@pytest.mark.parametrize("topic", BUDGET_TOPICS)
def test_every_row_keeps_a_source_a_grade_and_a_method(topic: str) -> None:
    figure = budget_picture(topic)

    assert figure.topic == topic
    assert figure.title
    assert figure.table.height > 0
    assert figure.table.columns[-5:] == [
        "method",
        "note",
        "source_desc",
        "source_url",
        "confidence",
    ]
    assert figure.table["source_url"].str.starts_with("http").all()
    assert figure.table["confidence"].is_in(["H", "M", "L"]).all()
    assert (figure.table["method"].str.len_chars() > 0).all()
    assert figure.notes[-1] == CAVEAT


@pytest.mark.parametrize("topic", BUDGET_TOPICS)
def test_units_in_column_names_match_their_types(topic: str) -> None:
    schema = budget_picture(topic).table.schema

    for name, dtype in schema.items():
        if name.endswith("_jpy"):
            assert dtype == pl.Int64(), name
        if name.endswith("_frac"):
            assert dtype == pl.Float64(), name


def test_an_unknown_topic_names_the_known_ones() -> None:
    with pytest.raises(EconError) as raised:
        budget_picture("budgets")

    assert "budgets" in str(raised.value)
    for topic in BUDGET_TOPICS:
        assert topic in str(raised.value)


def test_a_topic_is_found_whatever_its_case() -> None:
    assert budget_picture(" FMS ").topic == "fms"


# --- budget -----------------------------------------------------------------------------------


def test_the_budget_change_is_this_year_over_last_on_each_basis() -> None:
    table = defense_budget().table
    fy2023, fy2022 = (
        _raw("defense_budget", fiscal_year=2023),
        _raw("defense_budget", fiscal_year=2022),
    )
    row = _one(table, fiscal_year=2023)

    assert row["excl_yoy_change_frac"] == 6600100000000 / 5178800000000 - 1
    assert row["incl_yoy_change_frac"] == 6821900000000 / 5400500000000 - 1
    # both years' sources are kept, and the lower grade of the two
    assert row["source_url"] == f"{fy2023['source_url']} ; {fy2022['source_url']}"
    assert _one(table, fiscal_year=2015)["confidence"] == "M"  # FY2014 (M) is its base


def test_the_first_year_has_no_change_and_the_proposal_keeps_its_status() -> None:
    table = defense_budget().table

    assert table["fiscal_year"].to_list() == list(range(2011, 2027))
    assert _one(table, fiscal_year=2011)["excl_yoy_change_frac"] is None
    assert _one(table, fiscal_year=2026)["status"] == "proposal"


# --- FMS --------------------------------------------------------------------------------------


def test_every_fms_row_keeps_its_basis_and_one_series_is_preferred() -> None:
    table = fms_purchases().table
    preferred = table.filter(preferred=True)

    assert table.height == load("fms").height
    assert preferred["basis"].unique().to_list() == ["initial_budget"]
    assert preferred["fiscal_year"].to_list() == list(range(2013, 2026))


def test_fms_share_on_the_board_of_audit_statistical_basis() -> None:
    table = fms_purchases().table
    total = _raw(
        "procurement_mix",
        fiscal_year=2017,
        metric="equipment_procurement_statistical_basis",
        category="total",
    )
    row = _one(table, fiscal_year=2017, basis="board_of_audit_statistical")

    assert row["share_frac"] == 0.159  # as the Board of Audit states it
    assert row["share_computed"] is False
    assert row["denominator_jpy"] == total["amount_jpy"] == 2380500000000
    assert row["amount_jpy"] / row["denominator_jpy"] == pytest.approx(0.159, abs=5e-4)
    assert row["share_of_budget_frac"] == 379100000000 / 4899600000000


def test_fms_share_of_central_procurement_is_computed_where_not_stated() -> None:
    table = fms_purchases().table
    stated = _one(table, fiscal_year=2019, basis="central_procurement", reported_via="WING")
    computed = _one(
        table,
        fiscal_year=2019,
        basis="central_procurement",
        reported_via="MOD material submitted to the Diet",
    )

    assert stated["share_frac"] == 0.376
    assert stated["share_computed"] is False
    assert computed["share_frac"] == 686900000000 / 1824330000000
    assert computed["share_computed"] is True
    assert computed["share_denominator"] == "central procurement"
    assert computed["share_of_budget_frac"] == 686900000000 / 5007000000000
    assert " ; " in str(computed["source_url"])


def test_cumulative_fms_rows_get_no_shares() -> None:
    cumulative = fms_purchases().table.filter(pl.col("fiscal_year") != pl.col("fiscal_year_end"))

    assert cumulative.height == 3
    assert cumulative["share_of_budget_frac"].is_null().all()
    assert cumulative["share_frac"].is_null().all()


# --- domestic ---------------------------------------------------------------------------------


def test_domestic_shares_are_stated_or_computed_from_amounts() -> None:
    table = domestic_share().table
    stated = _one(
        table, fiscal_year=2013, category="domestic", basis="statistical directive (Board of Audit)"
    )
    computed = _one(table, fiscal_year=2017, category="general_import")

    assert "total" not in table["category"].to_list()
    assert stated["share_frac"] == 0.892
    assert stated["share_computed"] is False
    assert stated["total_jpy"] == 2075600000000
    assert computed["share_frac"] == 163100000000 / 2380500000000
    assert computed["share_computed"] is True


def test_an_amount_without_a_total_gets_no_share() -> None:
    row = _one(
        domestic_share().table, fiscal_year=2011, metric="domestic_directed_amount_of_buppinhi"
    )

    assert row["share_frac"] is None
    assert "no total" in str(row["method"])


# --- concentration ----------------------------------------------------------------------------


def test_hhi_bounds_of_a_tiny_market_by_hand() -> None:
    # 0.4 and 0.3 known; the 0.3 left is one block of 0.3 at most
    lower, upper = hhi_bounds([0.4, 0.3])

    assert lower == pytest.approx(0.4**2 + 0.3**2)
    assert upper == pytest.approx(0.4**2 + 0.3**2 + 0.3**2)


def test_hhi_bounds_from_a_frame_of_amounts() -> None:
    market = pl.DataFrame({"firm": ["a", "b", "c"], "amount_jpy": [50, 30, 10]})
    shares = (market["amount_jpy"] / 100).to_list()  # a total of 100: 10 left unknown

    lower, upper = hhi_bounds(shares)

    assert lower == pytest.approx(0.25 + 0.09 + 0.01)
    assert upper == pytest.approx(lower + 0.01)  # the 0.1 left fits in one block of 0.1


def test_hhi_bounds_coincide_when_the_known_shares_cover_the_market() -> None:
    lower, upper = hhi_bounds([0.5, 0.3, 0.2])

    assert lower == upper == pytest.approx(0.38)


@pytest.mark.parametrize("shares", [[], [0.0, 0.5], [0.7, 0.6], [1.2]])
def test_hhi_bounds_refuse_shares_that_are_no_market(shares: list[float]) -> None:
    with pytest.raises(EconError):
        hhi_bounds(shares)


def test_fy2018_concentration_by_hand() -> None:
    table = procurement_concentration().table.filter(fiscal_year=2018)
    total = _raw("central_procurement_totals", fiscal_year=2018)["total_jpy"]
    listed = load("top_contractors").filter(fiscal_year=2018).drop_nulls("amount_jpy")
    # the WING row of FMS, the reporter of the total; the Diet-material row is left out
    firms = listed.filter(
        (pl.col("contractor") != FMS_CONTRACTOR) | (pl.col("reported_via") == "WING")
    )
    shares = [a / total for a in firms["amount_jpy"]]
    lower = math.fsum(s * s for s in shares)
    cap = 68600000000 / total  # NEC, rank 4: ranks 1-4 all have amounts
    rest = 1 - sum(shares)
    blocks = math.floor(rest / cap)
    upper = lower + blocks * cap**2 + (rest - blocks * cap) ** 2

    assert total == 1440180000000
    assert firms.height == 5
    assert _one(table, measure="hhi_lower")["value_frac"] == pytest.approx(lower)
    assert _one(table, measure="hhi_upper")["value_frac"] == pytest.approx(upper)
    assert _one(table, measure="hhi_lower")["hhi_points"] == pytest.approx(lower * 10_000)
    assert lower <= upper
    assert _one(table, measure="top3_share")["value_frac"] == pytest.approx(
        (194900000000 + 153400000000 + 111500000000) / total
    )
    assert table.filter(measure="top5_share").height == 0  # rank 5 has no amount
    assert _one(table, measure="share", contractor=FMS_CONTRACTOR)["amount_jpy"] == 400299000000


def test_the_upper_bound_is_left_out_when_fms_may_exceed_the_cap() -> None:
    table = procurement_concentration().table.filter(fiscal_year=2015)
    upper = _one(table, measure="hhi_upper")

    assert upper["value_frac"] is None
    assert FMS_CONTRACTOR in str(upper["method"])
    assert _one(table, measure="hhi_lower")["value_frac"] is not None


def test_concentration_only_for_years_with_a_total() -> None:
    figure = procurement_concentration()
    years = set(figure.table["fiscal_year"])

    assert years == {2014, 2015, 2016, 2017, 2018, 2019, 2021}
    assert any("FY2013" in note and "total" in note for note in figure.notes)
    bounds = figure.table.filter(measure="hhi_upper").drop_nulls("value_frac")
    lowers = figure.table.filter(measure="hhi_lower").join(bounds, on="fiscal_year")
    assert (lowers["value_frac"] <= lowers["value_frac_right"]).all()


# --- SIPRI ------------------------------------------------------------------------------------


def test_arms_share_of_revenue_from_sipri() -> None:
    table = defense_share_of_sales().table
    sipri = table.filter(measure="arms_share_of_revenue")
    checked = sipri.drop_nulls("total_revenue_usd_m")

    assert _one(sipri, year=2023, company="Kawasaki Heavy Industries")["share_frac"] == 15.6 / 100
    # SIPRI rounds its percentages to 0.1: the stated share is the ratio, within that rounding
    ratio = checked["arms_revenue_usd_m"] / checked["total_revenue_usd_m"]
    assert ((checked["share_frac"] - ratio).abs() <= 0.0005 + 1e-9).all()
    assert sipri["share_frac"].is_not_null().all()


def test_average_defense_share_of_sales_comes_as_context() -> None:
    context = defense_share_of_sales().table.filter(measure="avg_defense_share_of_sales")

    assert sorted(context["share_frac"]) == [0.03, 0.03, 0.044, 0.05]
    assert context["bound"].to_list().count("at most") == 1


# --- industrial-base support ------------------------------------------------------------------


def test_the_fy2022_earmark_shows_with_its_unverified_caveat() -> None:
    figure = industrial_base_support()
    earmark = _one(figure.table, fiscal_year=2022, item="supply_chain_industry_measures_claimed")

    assert earmark["amount_jpy"] == 2200000000
    assert earmark["status"] == "unverified"
    assert earmark["confidence"] == "L"
    assert "Unverified" in str(earmark["note"])
    assert any("UNVERIFIED" in note for note in figure.notes)


def test_one_support_budget_a_year_compared_with_the_earmark() -> None:
    table = industrial_base_support().table
    counted = table.filter(counted=True)
    fy2023 = _one(counted, fiscal_year=2023)

    assert counted["fiscal_year"].to_list() == list(range(2021, 2027))
    assert counted["item"].to_list() == [
        "industry_directed_measures",
        "industry_directed_measures",
        "act_support_measures",
        "production_base_structure_project",
        "production_base_structure_project",
        "production_base_inferred",
    ]
    assert fy2023["ratio_to_fy2022_earmark"] == 36300000000 / 2200000000
    assert fy2023["ratio_to_fy2022_white_paper"] == 36300000000 / 3200000000
    assert fy2023["confidence"] == "L"  # the earmark's grade
    assert table.height == load("industrial_base_support").height


def test_earmarks_mark_the_fy2022_claim_and_each_support_budget() -> None:
    marks = earmarks()
    claim = next(m for m in marks if m.status == "unverified")

    assert (claim.fiscal_year, claim.amount_jpy) == (2022, 2200000000)
    assert "unverified" in claim.label
    assert [(m.fiscal_year, m.amount_jpy, m.status) for m in marks if m.fiscal_year >= 2023] == [
        (2023, 36300000000, "budget"),
        (2024, 25100000000, "budget"),
        (2025, 32100000000, "request"),
        (2026, 30400000000, "proposal"),
    ]
    assert all(m.source_url.startswith("http") for m in marks)
