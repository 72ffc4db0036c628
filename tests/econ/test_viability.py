"""Supplier viability: program revenue per chain firm, margins through a volume scenario."""

from __future__ import annotations

import itertools
import math
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset, validate
from kiban.econ.viability import (
    VIABILITY_COLUMNS,
    ViabilityAssumptions,
    firms_in_year,
    program_revenue,
    supplier_viability,
)
from kiban.errors import EconError
from kiban.network import SupplyNetwork
from kiban.reference.programs import generate_programs
from kiban.risk.config import load_config
from kiban.risk.fragility import fragility


def chain_dataset() -> Dataset:
    """Program X: prime P makes SYS from SUB (tier 1: A), which A makes from PART (tier 2:
    B, C, E). Rows that serve no part of X's chain are there to be left out."""
    firms = pl.DataFrame(
        {
            "firm_id": ["P", "A", "B", "C", "E", "Z"],
            "revenue_jpy": [1000.0, 100.0, 20.0, 50.0, 40.0, 10.0],
            "defense_revenue_jpy": [400.0, 50.0, None, 30.0, 20.0, 5.0],
            "operating_margin": [0.05, 0.04, 0.02, None, 0.03, 0.1],
        }
    ).with_columns(name=pl.col("firm_id"), country=pl.lit("JP"))
    supplies: list[dict[str, Any]] = [
        {"supplier_id": "A", "customer_id": "P", "item_id": "SUB", "annual_value_jpy": 40.0},
        {"supplier_id": "P", "customer_id": "P", "item_id": "SUB", "annual_value_jpy": 999.0},
        {"supplier_id": "B", "customer_id": "A", "item_id": "PART", "annual_value_jpy": 10.0},
        {"supplier_id": "C", "customer_id": "A", "item_id": "PART", "annual_value_jpy": 8.0},
        {"supplier_id": "E", "customer_id": "A", "item_id": "PART", "annual_value_jpy": None},
        # B also sells PART to Z, outside the chain; A sells P an item SYS does not need.
        {"supplier_id": "B", "customer_id": "Z", "item_id": "PART", "annual_value_jpy": 5.0},
        {"supplier_id": "A", "customer_id": "P", "item_id": "OTHER", "annual_value_jpy": 100.0},
    ]
    return Dataset.from_frames(
        {
            "firms": firms,
            "items": pl.DataFrame(
                {
                    "item_id": ["SYS", "SUB", "PART", "OTHER"],
                    "name": ["system", "sub-assembly", "part", "other"],
                    "kind": ["system", "assembly", "component", "component"],
                }
            ),
            "bom": pl.DataFrame(
                {
                    "parent_item_id": ["SYS", "SUB"],
                    "child_item_id": ["SUB", "PART"],
                    "quantity": [1.0, 2.0],
                }
            ),
            "supplies": pl.DataFrame(supplies),
            "programs": pl.DataFrame(
                {
                    "program_id": ["X"],
                    "name": ["X"],
                    "item_id": ["SYS"],
                    "prime_id": ["P"],
                    "annual_quantity": [2.0],
                    "unit_price_jpy": [100.0],
                }
            ),
        }
    )


def prime_only(revenue: float, defense: float, margin: float, program: float) -> Dataset:
    """A program with a prime and nothing else: the model on one firm."""
    return Dataset.from_frames(
        {
            "firms": pl.DataFrame(
                {
                    "firm_id": ["P"],
                    "name": ["P"],
                    "country": ["JP"],
                    "revenue_jpy": [revenue],
                    "defense_revenue_jpy": [defense],
                    "operating_margin": [margin],
                }
            ),
            "items": pl.DataFrame({"item_id": ["SYS"], "name": ["s"], "kind": ["system"]}),
            "programs": pl.DataFrame(
                {
                    "program_id": ["X"],
                    "name": ["X"],
                    "item_id": ["SYS"],
                    "prime_id": ["P"],
                    "annual_quantity": [1.0],
                    "unit_price_jpy": [program],
                }
            ),
        }
    )


def rows(frame: pl.DataFrame) -> dict[tuple[int, str], dict[str, Any]]:
    return {(r["fiscal_year"], r["firm_id"]): r for r in frame.iter_rows(named=True)}


def test_the_hand_built_dataset_is_valid() -> None:
    assert validate(chain_dataset()).ok


def test_program_revenue_counts_the_rows_the_chain_passes_through() -> None:
    frame = program_revenue(chain_dataset(), "X")
    got = {r["firm_id"]: (r["tier"], r["program_revenue_jpy"]) for r in frame.iter_rows(named=True)}
    # P: 2 units x 100 (its own row to itself is no sale); A: SUB to P, not OTHER; B: PART to
    # A, not to Z (outside the chain); E's row has no value. Z is not in the chain at all.
    assert got == {
        "P": (0, 200.0),
        "A": (1, 40.0),
        "B": (2, 10.0),
        "C": (2, 8.0),
        "E": (2, None),
    }
    assert frame.columns == [
        "firm_id",
        "name",
        "tier",
        "program_revenue_jpy",
        "revenue_jpy",
        "defense_revenue_jpy",
        "operating_margin",
    ]


def test_halving_volume_matches_the_hand_computed_margins() -> None:
    out = supplier_viability(chain_dataset(), "X", {2026: 0.5})
    assert out.columns == list(VIABILITY_COLUMNS)
    got = rows(out)
    a = got[2026, "A"]
    # A: p 40 of D 50, R 100, m 0.04. Lost revenue 20; fixed cost left 0.3 x 0.96 x 20 = 5.76.
    # Defense cost 48 -> 48 - 38.4 + 0.3 x 38.4 + 0.7 x 38.4 x 0.5 = 34.56 on sales of 30.
    assert a["program_revenue_scenario_jpy"] == 20.0
    assert a["defense_revenue_scenario_jpy"] == 30.0
    assert a["revenue_scenario_jpy"] == 80.0
    assert a["defense_margin_scenario_frac"] == pytest.approx((30 - 34.56) / 30)
    assert a["defense_margin_scenario_frac"] == pytest.approx(-0.152)
    assert a["operating_margin_scenario_frac"] == pytest.approx(0.04 - 5.76 / 80)
    assert (a["viable_baseline"], a["viable"], a["below_threshold_since"]) == (True, False, 2026)
    # B: defense revenue unknown, so taken as its program revenue 10 (all its defense work).
    b = got[2026, "B"]
    assert b["defense_revenue_baseline_jpy"] == 10.0
    assert b["defense_margin_scenario_frac"] == pytest.approx(0.02 - 0.3 * 0.98 * 5 / 5)
    assert b["operating_margin_scenario_frac"] == pytest.approx(0.02 - 0.3 * 0.98 * 5 / 15)
    # P: p 200 of D 400 and R 1000: fixed cost left 0.3 x 0.95 x 100 = 28.5.
    p = got[2026, "P"]
    assert p["defense_margin_scenario_frac"] == pytest.approx(0.05 - 28.5 / 300)
    assert p["operating_margin_scenario_frac"] == pytest.approx(0.05 - 28.5 / 900)
    assert p["viable"] is False


def test_unknown_figures_give_nulls_not_numbers() -> None:
    got = rows(supplier_viability(chain_dataset(), "X", {2026: 0.5}))
    c, e = got[2026, "C"], got[2026, "E"]
    # C has no margin: its revenues move, its margins and viability are unknown.
    assert c["defense_revenue_scenario_jpy"] == 26.0
    assert c["defense_margin_scenario_frac"] is None
    assert c["operating_margin_scenario_frac"] is None
    assert c["viable"] is None
    assert c["below_threshold_since"] is None
    # E's supply has no value: what the program is worth to it, and so the change, is unknown.
    assert e["program_revenue_baseline_jpy"] is None
    assert e["defense_revenue_scenario_jpy"] is None
    assert e["defense_margin_scenario_frac"] is None
    assert e["viable"] is None
    assert e["viable_baseline"] is True


def test_program_revenue_is_capped_at_defense_revenue() -> None:
    # The program pays 300 a year, more than the firm's whole defense revenue of 200.
    out = supplier_viability(prime_only(1000.0, 200.0, 0.05, 300.0), "X", {2026: 0.0})
    row = out.row(0, named=True)
    assert row["program_revenue_baseline_jpy"] == 200.0
    assert row["defense_revenue_scenario_jpy"] == 0.0
    # No defense sales left, fixed cost still paid: the limit of the margin, not viable.
    assert row["defense_margin_scenario_frac"] == -math.inf
    assert row["viable"] is False
    assert row["operating_margin_scenario_frac"] == pytest.approx(0.05 - 0.3 * 0.95 * 200 / 800)


def test_volume_one_gives_back_the_baseline_exactly() -> None:
    out = supplier_viability(chain_dataset(), "X", {2025: 1.0})
    for name in ("program_revenue", "defense_revenue", "revenue"):
        assert out[f"{name}_scenario_jpy"].eq_missing(out[f"{name}_baseline_jpy"]).all()
    for name in ("defense_margin", "operating_margin"):
        assert out[f"{name}_scenario_frac"].eq_missing(out[f"{name}_baseline_frac"]).all()
    assert out["viable"].eq_missing(out["viable_baseline"]).all()


def test_the_scenario_cost_is_the_baseline_cost_less_the_variable_part() -> None:
    phi, v = 0.4, 0.3
    out = supplier_viability(chain_dataset(), "X", {2026: v}, ViabilityAssumptions(phi))
    for r in out.drop_nulls("defense_margin_scenario_frac").iter_rows(named=True):
        p, d, m = (
            r["program_revenue_baseline_jpy"],
            r["defense_revenue_baseline_jpy"],
            r["defense_margin_baseline_frac"],
        )
        cost = d * (1 - m) - p * (1 - m) + phi * p * (1 - m) + (1 - phi) * p * (1 - m) * v
        d_new = r["defense_revenue_scenario_jpy"]
        assert d_new == pytest.approx(d - p + p * v)
        assert (1 - r["defense_margin_scenario_frac"]) * d_new == pytest.approx(cost)
        assert r["revenue_baseline_jpy"] - r["revenue_scenario_jpy"] == pytest.approx(d - d_new)


@settings(max_examples=60, deadline=None)
@given(
    margin=st.floats(-1.0, 0.99),
    phi=st.floats(0.01, 1.0),
    dependence=st.floats(0.01, 1.0),
    program_share=st.floats(0.01, 1.0),
    ratios=st.lists(st.floats(0.0, 2.0), min_size=2, max_size=8, unique=True),
)
def test_margin_falls_as_volume_falls(
    margin: float, phi: float, dependence: float, program_share: float, ratios: list[float]
) -> None:
    revenue = 1e9
    defense = revenue * dependence
    ds = prime_only(revenue, defense, margin, defense * program_share)
    volume = {2000 + i: v for i, v in enumerate(sorted(ratios))}
    out = supplier_viability(ds, "X", volume, ViabilityAssumptions(phi)).sort("volume_ratio")
    for name in ("defense_margin_scenario_frac", "operating_margin_scenario_frac"):
        margins = out[name].to_list()
        assert all(lo <= hi + 1e-12 for lo, hi in itertools.pairwise(margins))
    below = out.filter(pl.col("volume_ratio") < 0.999)
    assert (below["defense_margin_scenario_frac"] < margin).all()


def test_a_supplier_crosses_the_threshold_at_the_volume_solved_by_hand() -> None:
    # A (p 40, D 50, m 0.04, phi 0.3) breaks even when 0.04 (50 - x) = 0.3 x 0.96 x for the
    # lost revenue x = (1 - v) 40: x = 2 / 0.328, v = 1 - x / 40.
    v_star = 1 - (2 / 0.328) / 40
    assert v_star == pytest.approx(0.847561, abs=1e-6)
    out = supplier_viability(chain_dataset(), "X", {1: v_star + 1e-6, 2: v_star, 3: v_star - 1e-6})
    a = out.filter(firm_id="A").sort("fiscal_year")
    assert a["viable"].to_list() == [True, a["viable"][1], False]
    assert a["defense_margin_scenario_frac"][1] == pytest.approx(0.0, abs=1e-12)
    # With a 2% threshold it crosses sooner: (0.04 - 0.02) (50 - x) = 0.3 x 0.96 x.
    threshold = ViabilityAssumptions(viability_margin_frac=0.02)
    x = 0.02 * 50 / (0.3 * 0.96 + 0.02)
    v_two = 1 - x / 40
    out = supplier_viability(chain_dataset(), "X", {1: v_two + 1e-6, 2: v_two - 1e-6}, threshold)
    assert out.filter(firm_id="A").sort("fiscal_year")["viable"].to_list() == [True, False]


def test_below_threshold_since_starts_each_run_of_bad_years() -> None:
    volume = {2025: 1.0, 2026: 0.5, 2027: 0.5, 2028: 1.0, 2029: 0.5}
    a = supplier_viability(chain_dataset(), "X", volume).filter(firm_id="A").sort("fiscal_year")
    assert a["below_threshold_since"].to_list() == [None, 2026, 2026, None, 2029]


def test_volume_ratio_as_a_frame_is_the_same_as_a_mapping() -> None:
    frame = pl.DataFrame({"fiscal_year": [2026, 2025], "volume_ratio": [0.5, 1.0]})
    by_frame = supplier_viability(chain_dataset(), "X", frame)
    by_mapping = supplier_viability(chain_dataset(), "X", {2025: 1.0, 2026: 0.5})
    assert by_frame.equals(by_mapping)


def test_firms_in_year_feeds_the_fragility_score() -> None:
    ds = chain_dataset()
    out = supplier_viability(ds, "X", {2026: 0.5})
    scenario = firms_in_year(ds, out, 2026)
    assert validate(scenario).ok
    assert scenario.firms.schema == ds.firms.schema
    assert scenario.firms["firm_id"].to_list() == ds.firms["firm_id"].to_list()
    firms = {r["firm_id"]: r for r in scenario.firms.iter_rows(named=True)}
    assert firms["A"]["operating_margin"] == pytest.approx(0.04 - 5.76 / 80)
    assert (firms["A"]["revenue_jpy"], firms["A"]["defense_revenue_jpy"]) == (80.0, 30.0)
    # B's defense revenue was unknown: the model's stand-in is not written back.
    assert (firms["B"]["revenue_jpy"], firms["B"]["defense_revenue_jpy"]) == (15.0, None)
    assert firms["Z"] == ds.firms.filter(firm_id="Z").row(0, named=True)

    config = load_config()
    before = fragility(SupplyNetwork.build(ds), config).filter(firm_id="A").row(0, named=True)
    after = fragility(SupplyNetwork.build(scenario), config).filter(firm_id="A").row(0, named=True)
    assert before["operating_margin_value"] == pytest.approx(0.04)
    assert after["operating_margin_value"] == pytest.approx(-0.032)
    # The scale reads 0.04 as 2.33 and a 3.2% loss as 4.64: A became more fragile.
    assert before["operating_margin_score"] == pytest.approx(2 + 1 / 3)
    assert after["operating_margin_score"] == pytest.approx(4.64)
    assert after["fragility"] > before["fragility"]


def test_firms_in_year_keeps_the_margin_in_the_format_range() -> None:
    # All the firm's sales are the program, and the program stops: the margin's limit is
    # -inf, which the firms table records as -1, the bottom of its range.
    ds = prime_only(100.0, 100.0, 0.0, 100.0)
    scenario = firms_in_year(ds, supplier_viability(ds, "X", {2026: 0.0}), 2026)
    assert scenario.firms["operating_margin"].to_list() == [-1.0]
    assert scenario.firms["revenue_jpy"].to_list() == [0.0]
    assert validate(scenario).ok


def test_unknown_program_names_the_known_ones() -> None:
    with pytest.raises(EconError, match=r"no program 'nope'.*the programs are: X"):
        supplier_viability(chain_dataset(), "nope", {2026: 1.0})
    with pytest.raises(EconError, match="'nope'"):
        program_revenue(chain_dataset(), "nope")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"fixed_cost_share_frac": 1.5}, "fixed_cost_share_frac"),
        ({"fixed_cost_share_frac": -0.1}, "fixed_cost_share_frac"),
        ({"fixed_cost_share_frac": math.nan}, "fixed_cost_share_frac"),
        ({"viability_margin_frac": 2.0}, "viability_margin_frac"),
        ({"viability_margin_frac": True}, "viability_margin_frac"),
    ],
)
def test_bad_assumptions_are_refused_by_name(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(EconError, match=named):
        ViabilityAssumptions(**fields)


@pytest.mark.parametrize(
    ("volume", "message"),
    [
        ({}, "names no fiscal year"),
        ({2026: -0.5}, r"FY2026: -0.5 must be a finite number >= 0"),
        ({2026: math.inf}, "FY2026"),
        ({"2026": 1.0}, "fiscal year '2026' must be a whole number"),
        (pl.DataFrame({"year": [2026], "volume_ratio": [1.0]}), "lacks fiscal_year"),
        (pl.DataFrame({"fiscal_year": [2026, 2026], "volume_ratio": [1.0, 0.5]}), r"\[2026\]"),
        (pl.DataFrame({"fiscal_year": [2026], "volume_ratio": [None]}), "FY2026: None"),
    ],
)
def test_bad_volume_ratios_are_refused(volume: Any, message: str) -> None:
    with pytest.raises(EconError, match=message):
        supplier_viability(chain_dataset(), "X", volume)


def test_firms_in_year_refuses_a_year_the_scenario_lacks() -> None:
    ds = chain_dataset()
    out = supplier_viability(ds, "X", {2025: 1.0, 2026: 0.5})
    with pytest.raises(EconError, match=r"no FY2030.*its years are: 2025, 2026"):
        firms_in_year(ds, out, 2030)
    with pytest.raises(EconError, match="lacks"):
        firms_in_year(ds, out.drop("revenue_scenario_jpy"), 2026)


@pytest.fixture(scope="module")
def programs() -> Dataset:
    return generate_programs(1)


@pytest.mark.parametrize(
    "program_id", ["fighter", "tank", "destroyer", "submarine", "missile", "radar"]
)
def test_generated_programs_halving_volume_flags_more_firms(
    programs: Dataset, program_id: str
) -> None:
    out = supplier_viability(programs, program_id, {2025: 1.0, 2026: 0.5})
    chain = program_revenue(programs, program_id)
    assert chain.height > 50
    for year in (2025, 2026):
        assert sorted(out.filter(fiscal_year=year)["firm_id"]) == sorted(chain["firm_id"])
    # Suppliers (tier >= 1) carry values: the model has something to say about most of them.
    suppliers = out.filter(pl.col("tier") >= 1, fiscal_year=2026)
    assert suppliers["program_revenue_baseline_jpy"].null_count() == 0
    assert suppliers["viable"].null_count() < 0.1 * suppliers.height
    kept = out.filter(fiscal_year=2025)
    assert kept["viable"].eq_missing(kept["viable_baseline"]).all()
    flagged = {y: int((~out.filter(fiscal_year=y)["viable"]).sum()) for y in (2025, 2026)}
    assert flagged[2026] > flagged[2025]


def test_generated_program_scenario_dataset_validates(programs: Dataset) -> None:
    out = supplier_viability(programs, "fighter", {2026: 0.5})
    scenario = firms_in_year(programs, out, 2026)
    assert validate(scenario).ok
    assert scenario.firms.schema == programs.firms.schema
