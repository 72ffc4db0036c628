"""The program generator: deterministic, valid, and calibrated to the public figures."""

from __future__ import annotations

import math
import sys
from datetime import timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.dataset.validate import validate
from kiban.errors import GeneratorError
from kiban.network import program_supply_chain
from kiban.reference import load
from kiban.reference.programs import REFERENCE_DATE, generate_programs

SMALL = 0.05


@pytest.fixture(scope="module")
def small() -> Dataset:
    return generate_programs(3, scale=SMALL)


@pytest.fixture(scope="module")
def full() -> Dataset:
    return generate_programs(1)


@pytest.fixture(scope="module")
def full_chain(full: Dataset) -> pl.DataFrame:
    return program_supply_chain(full)


def firm_tiers(dataset: Dataset, chain: pl.DataFrame) -> pl.DataFrame:
    """(program_id, firm_id, tier, country): each firm of a program at its shallowest tier."""
    return (
        chain.group_by("program_id", "firm_id")
        .agg(pl.col("tier").min())
        .join(dataset.firms.select("firm_id", "country"), on="firm_id")
    )


def firms_per_program(chain: pl.DataFrame) -> dict[str, int]:
    counts = chain.group_by("program_id").agg(pl.col("firm_id").n_unique())
    return dict(counts.iter_rows())


def producible(dataset: Dataset, able: tuple[str, ...]) -> dict[str, bool]:
    """DATASET.md's meaning: a firm can make an item when its status is in `able` and, for
    every bom child, one of its suppliers of that child can make the child."""
    status = dict(dataset.firms.select("firm_id", "status").iter_rows())
    children: dict[str, list[str]] = {}
    for parent, child in dataset.bom.select("parent_item_id", "child_item_id").iter_rows():
        children.setdefault(parent, []).append(child)
    sources: dict[tuple[str, str], list[str]] = {}
    for supplier, customer, item in dataset.supplies.select(
        "supplier_id", "customer_id", "item_id"
    ).iter_rows():
        sources.setdefault((customer, item), []).append(supplier)
    known: dict[tuple[str, str], bool] = {}

    def can_make(firm: str, item: str) -> bool:
        key = (firm, item)
        if key not in known:
            known[key] = status[firm] in able and all(
                any(can_make(s, child) for s in sources.get((firm, child), []))
                for child in children.get(item, [])
            )
        return known[key]

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        return {
            program: can_make(prime, item)
            for program, prime, item in dataset.programs.select(
                "program_id", "prime_id", "item_id"
            ).iter_rows()
        }
    finally:
        sys.setrecursionlimit(limit)


# --- determinism and validity ------------------------------------------------------------


def test_the_same_seed_gives_identical_tables(small: Dataset) -> None:
    again = generate_programs(3, scale=SMALL)
    assert again.row_counts() == small.row_counts()
    for name, frame in small.tables.items():
        assert frame.equals(again[name]), name


def test_another_seed_gives_other_tables(small: Dataset) -> None:
    other = generate_programs(4, scale=SMALL)
    assert not other.firms.equals(small.firms)
    assert not other.supplies.equals(small.supplies)
    # the programs and their primes are the same whatever the seed
    assert other.programs.equals(small.programs)


def test_the_full_dataset_is_valid(full: Dataset) -> None:
    report = validate(full)
    assert report.ok, report.lines()
    assert report.issues.is_empty()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_a_valid_producible_dataset(seed: int) -> None:
    dataset = generate_programs(seed, scale=0.02)
    assert validate(dataset).issues.is_empty()
    assert all(producible(dataset, able=("active", "withdrawing")).values())


@pytest.mark.parametrize(
    "scale", [0.0, -1.0, math.nan, math.inf, 11.0], ids=["zero", "negative", "nan", "inf", "big"]
)
def test_a_scale_out_of_range_is_refused(scale: float) -> None:
    with pytest.raises(GeneratorError, match="scale"):
        generate_programs(1, scale=scale)


def test_a_negative_seed_is_refused() -> None:
    with pytest.raises(GeneratorError, match="seed"):
        generate_programs(-1)


# --- calibration -------------------------------------------------------------------------


def test_full_scale_programs_have_the_published_numbers_of_firms(
    full_chain: pl.DataFrame,
) -> None:
    counts = firms_per_program(full_chain)
    published = load("program_supplier_counts").filter(
        pl.col("year_or_basis") == "White Paper 2020"
    )
    figure = dict(published.select("program", "firms_approx").iter_rows())
    assert 7_000 <= counts["destroyer"] <= 9_500
    assert abs(counts["fighter"] / figure["fighter"] - 1) <= 0.15
    assert abs(counts["tank"] / figure["tank"] - 1) <= 0.15
    assert set(counts) == {"fighter", "tank", "destroyer", "submarine", "missile", "radar"}


def test_scale_shrinks_every_program(small: Dataset, full_chain: pl.DataFrame) -> None:
    large = firms_per_program(full_chain)
    reduced = firms_per_program(program_supply_chain(small))
    assert abs(reduced["destroyer"] / (large["destroyer"] * SMALL) - 1) <= 0.15
    for program, n in reduced.items():
        assert n * 6 < large[program], program


def test_supply_chains_run_at_least_five_tiers_deep(
    small: Dataset, full_chain: pl.DataFrame
) -> None:
    for chain in (full_chain, program_supply_chain(small)):
        depth = chain.group_by("program_id").agg(pl.col("tier").max())
        assert depth["tier"].min() >= 5


def test_every_program_is_producible_at_generation(full: Dataset) -> None:
    assert all(producible(full, able=("active", "withdrawing")).values())


# --- supplies ----------------------------------------------------------------------------


def test_shares_of_a_customer_and_item_sum_to_one_or_less(full: Dataset) -> None:
    totals = full.supplies.group_by("customer_id", "item_id").agg(pl.col("share").sum())
    assert totals["share"].max() <= 1 + 1e-9
    assert (totals["share"] > 0.999).mean() > 0.9  # typically 1
    assert (totals["share"] < 0.999).sum() > 0  # a few leave part in-house or unreported
    assert full.supplies["item_id"].null_count() == 0


def test_every_bom_child_of_an_item_a_firm_makes_is_supplied_to_it(full: Dataset) -> None:
    makes = pl.concat(
        [
            full.supplies.select(pl.col("supplier_id").alias("firm_id"), "item_id"),
            full.programs.select(pl.col("prime_id").alias("firm_id"), "item_id"),
        ]
    ).unique()
    needs = makes.join(full.bom, left_on="item_id", right_on="parent_item_id").select(
        "firm_id", pl.col("child_item_id").alias("item_id")
    )
    sourced = full.supplies.select(pl.col("customer_id").alias("firm_id"), "item_id").unique()
    unsourced = needs.join(sourced, on=["firm_id", "item_id"], how="anti")
    assert unsourced.is_empty()


def test_no_firm_supplies_itself(full: Dataset) -> None:
    assert full.supplies.filter(pl.col("supplier_id") == pl.col("customer_id")).is_empty()


def test_custom_items_have_one_maker_and_commercial_items_several(full: Dataset) -> None:
    makers = (
        full.supplies.group_by("item_id")
        .agg(pl.col("supplier_id").n_unique().alias("makers"))
        .join(full.items.select("item_id", "custom"), on="item_id")
    )
    assert (makers.filter("custom")["makers"] == 1).all()
    commercial = makers.filter(~pl.col("custom"))["makers"]
    assert (commercial >= 2).mean() > 0.95


def test_exited_firms_are_never_the_only_source(full: Dataset) -> None:
    status = full.firms.select(pl.col("firm_id").alias("supplier_id"), "status")
    rows = full.supplies.join(status, on="supplier_id")
    exited_needs = rows.filter(pl.col("status") == "exited").select("customer_id", "item_id")
    assert exited_needs.height > 0
    alternatives = (
        rows.join(exited_needs, on=["customer_id", "item_id"])
        .group_by("customer_id", "item_id")
        .agg((pl.col("status") != "exited").sum().alias("others"))
    )
    assert (alternatives["others"] >= 1).all()


def test_annual_values_follow_quantities_and_unit_costs(full: Dataset) -> None:
    """The prime's tier-1 purchases: annual quantity x bom quantity x unit cost."""
    direct = (
        full.programs.select("prime_id", pl.col("item_id").alias("system"), "annual_quantity")
        .join(full.bom, left_on="system", right_on="parent_item_id")
        .join(
            full.items.select("item_id", "unit_cost_jpy"),
            left_on="child_item_id",
            right_on="item_id",
        )
        .join(
            full.supplies,
            left_on=["prime_id", "child_item_id"],
            right_on=["customer_id", "item_id"],
        )
    )
    expected = (
        pl.col("share") * pl.col("annual_quantity") * pl.col("quantity") * pl.col("unit_cost_jpy")
    )
    error = direct.select(((pl.col("annual_value_jpy") - expected).abs() / expected).max()).item()
    assert direct.height >= 60
    assert error < 1e-6


def test_lead_times_and_dates_are_plausible(full: Dataset) -> None:
    supplies = full.supplies
    assert supplies["lead_time_days"].min() >= 1
    assert supplies["annual_value_jpy"].min() >= 0
    oldest = REFERENCE_DATE - timedelta(days=3 * 365)
    assert supplies["observed_at"].min() >= oldest
    assert supplies["observed_at"].max() <= REFERENCE_DATE
    custom = supplies.join(full.items.select("item_id", "custom"), on="item_id")
    by_custom = dict(custom.group_by("custom").agg(pl.col("lead_time_days").median()).iter_rows())
    assert by_custom[True] > 2 * by_custom[False]


def test_programs_share_suppliers(full: Dataset, full_chain: pl.DataFrame) -> None:
    programs_of = full_chain.group_by("firm_id").agg(pl.col("program_id").n_unique().alias("n"))
    assert programs_of.filter(pl.col("n") >= 2).height > 500
    shared_synthetic = programs_of.filter(pl.col("n") >= 3).join(
        full.firms.filter("synthetic"), on="firm_id"
    )
    assert shared_synthetic.height > 50
    fan_out = full.supplies.group_by("supplier_id").agg(pl.col("customer_id").n_unique())
    assert fan_out["customer_id"].max() >= 20


def test_foreign_share_rises_with_depth(full: Dataset, full_chain: pl.DataFrame) -> None:
    tiers = firm_tiers(full, full_chain).with_columns(
        foreign=pl.col("country") != "JP", deep=pl.col("tier") >= 5
    )
    tier1 = tiers.filter(pl.col("tier") == 1)["foreign"].mean()
    deep = tiers.filter("deep")["foreign"].mean()
    assert tier1 < 0.1
    assert 0.15 <= deep <= 0.4
    by_tier = (
        tiers.filter(pl.col("tier").is_between(1, 5)).group_by("tier").agg(pl.col("foreign").mean())
    )
    shares = by_tier.sort("tier")["foreign"].to_list()
    assert shares[-1] > shares[0]
    foreign = full.firms.filter(pl.col("country") != "JP")
    assert foreign["region"].null_count() == foreign.height
    assert foreign["country"].n_unique() >= 8


# --- items and programs ------------------------------------------------------------------


def test_items_span_every_kind_with_costs_falling_with_depth(
    full: Dataset, full_chain: pl.DataFrame
) -> None:
    items = full.items
    assert set(items["kind"]) == {
        "system",
        "assembly",
        "component",
        "material",
        "software",
        "service",
    }
    assert full.bom["quantity"].min() > 0
    depth = full_chain.group_by("item_id").agg(pl.col("tier").min()).join(items, on="item_id")
    medians = depth.group_by("tier").agg(pl.col("unit_cost_jpy").median()).sort("tier")
    costs = medians.filter(pl.col("tier") <= 5)["unit_cost_jpy"].to_list()
    assert costs == sorted(costs, reverse=True)
    system = full.programs.join(items, on="item_id")
    ratio = system["unit_cost_jpy"] / system["unit_price_jpy"]
    assert ratio.is_between(0.85, 1.0).all()


def test_custom_items_take_longer_to_qualify(full: Dataset) -> None:
    custom = full.items.filter("custom")["qualification_days"]
    commercial = full.items.filter(~pl.col("custom"))["qualification_days"]
    assert custom.min() >= 180
    assert custom.max() <= 1000
    assert commercial.mean() < custom.mean()


def test_the_programs_table(full: Dataset) -> None:
    programs = full.programs
    assert programs["program_id"].to_list() == [
        "fighter",
        "tank",
        "destroyer",
        "submarine",
        "missile",
        "radar",
    ]
    categories = set(load("designated_equipment_categories")["category_en"].drop_nulls())
    assert set(programs["category"]) <= categories
    assert (programs["annual_quantity"] > 0).all()
    assert (programs["unit_price_jpy"] > 1e8).all()
    assert programs["designated"].all()
    kinds = programs.join(full.items, on="item_id")["kind"]
    assert (kinds == "system").all()


def test_ids_are_readable(full: Dataset) -> None:
    assert full.firms["firm_id"].str.contains(r"^F\d{6}$").all()
    assert full.items["item_id"].str.contains(r"^I\d{5}$").all()
    assert full.firms["name"].n_unique() == full.firms.height


# --- firms -------------------------------------------------------------------------------


PRIMES = {
    "fighter": "Mitsubishi Heavy Industries",
    "tank": "Mitsubishi Heavy Industries",
    "destroyer": "Japan Marine United",
    "submarine": "Kawasaki Heavy Industries",
    "missile": "Mitsubishi Heavy Industries",
    "radar": "NEC",
}


def test_primes_are_real_contractors_with_public_figures(full: Dataset) -> None:
    primes = full.programs.join(full.firms, left_on="prime_id", right_on="firm_id", suffix="_firm")
    assert dict(primes.select("program_id", "name_firm").iter_rows()) == PRIMES
    assert not primes["synthetic"].any()
    assert (primes["cyber_level"] == 3).all()
    mhi = full.firms.filter(pl.col("name") == "Mitsubishi Heavy Industries").row(0, named=True)
    sipri = load("sipri_top100_japan").filter(
        (pl.col("company") == "Mitsubishi Heavy Industries")
        & pl.col("arms_share_pct").is_not_null()
    )
    latest = sipri.sort("year").row(-1, named=True)
    assert "sipri_top100_japan.csv" in mhi["source"]
    share = mhi["defense_revenue_jpy"] / mhi["revenue_jpy"]
    assert share == pytest.approx(latest["arms_share_pct"] / 100, abs=0.005)


def test_real_contractors_make_tier_one_subsystems(full: Dataset, full_chain: pl.DataFrame) -> None:
    real = full.firms.filter(~pl.col("synthetic"))
    assert {"IHI", "Mitsubishi Electric", "NEC", "Fujitsu", "Kawasaki Heavy Industries"} <= set(
        real["name"]
    )
    assert real["source"].str.contains(r"(sipri_top100_japan|top_contractors)\.csv").all()
    tier1 = full_chain.filter(pl.col("tier") == 1).join(real, on="firm_id")
    assert tier1["firm_id"].n_unique() >= 10


def test_synthetic_firms_are_flagged_and_sourced(full: Dataset) -> None:
    synthetic = full.firms.filter("synthetic")
    assert synthetic.height > 10_000
    assert (synthetic["source"] == "kiban generate programs --seed 1").all()
    assert (full.supplies["source"] == "kiban generate programs --seed 1").all()


def test_synthetic_firm_attributes_match_published_figures(full: Dataset) -> None:
    firms = full.firms.filter("synthetic")
    share = firms["defense_revenue_jpy"] / firms["revenue_jpy"]
    assert 0.03 <= share.mean() <= 0.07  # about 4-5% on average (defense_dependence.csv)
    assert share.median() < 0.04  # mostly a few percent
    assert (share > 0.5).sum() > 10  # a tail of small firms relying on defense
    assert (firms["defense_revenue_jpy"] <= firms["revenue_jpy"]).all()
    margin = firms["operating_margin"]
    assert 0.02 <= margin.median() <= 0.05  # thin margins (profit_rates.csv)
    assert (margin < 0).sum() > 100
    employees = firms["employees"]
    assert employees.median() < 100 < 1_000 < employees.max()  # heavy-tailed, most small
    small = firms.filter(pl.col("employees") < 50)
    assert (small["has_successor"] == False).mean() > 0.2  # noqa: E712
    cyber = dict(
        firms.group_by(pl.col("employees") >= 300).agg(pl.col("cyber_level").mean()).iter_rows()
    )
    assert cyber[False] < cyber[True]
    status = dict(firms.group_by("status").len().iter_rows())
    assert status["withdrawing"] > 0
    assert 0 < status["exited"] <= 0.01 * firms.height
    oldest = REFERENCE_DATE - timedelta(days=3 * 365)
    assert firms["observed_at"].min() >= oldest
    assert (firms["observed_at"] < REFERENCE_DATE - timedelta(days=365)).sum() > 1_000  # stale
    japanese = firms.filter(pl.col("country") == "JP")
    top_region = japanese.group_by("region").len().sort("len", descending=True)["region"][0]
    assert top_region == "Aichi"
    assert japanese["region"].null_count() == 0
    assert firms["final_demand_jpy"].min() >= 0
