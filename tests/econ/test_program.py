"""A program's cost model through a scenario: accounting, learning, exports and comparisons."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.econ.assumptions import (
    CostAssumptions,
    learning_slope,
    program_cost_model,
    program_facts,
    steady_scenario,
)
from kiban.econ.learning import CurveKind, LearningCurve
from kiban.econ.pricing import PricingTerms
from kiban.econ.program import ExportOrder, ProgramCostModel, ProgramScenario, run_program
from kiban.econ.trade import (
    export_effect,
    exports_for_margin,
    import_comparison,
    minimum_sustaining_rate,
    ministry_saving_jpy,
)
from kiban.errors import EconError
from kiban.reference.programs import generate_programs

NO_GROWTH = PricingTerms("fy2023_onward", 0.08, cost_growth_frac=0.0)


def model(
    slope: float = 0.9, fixed: float = 0.0, nre: float = 0.0, before: int = 0
) -> ProgramCostModel:
    return ProgramCostModel(LearningCurve(100.0, slope), nre, fixed, before)


@settings(max_examples=60, deadline=None)
@given(
    slope=st.floats(0.6, 1.0),
    fixed=st.floats(0, 1e4),
    nre=st.floats(0, 1e5),
    before=st.integers(0, 50),
    schedule=st.lists(st.integers(0, 30), min_size=1, max_size=6),
    export=st.tuples(st.integers(0, 5), st.integers(0, 20), st.floats(0.1, 1.0)),
    regime=st.sampled_from(["pre_fy2023", "fy2023_onward", "by_year"]),
    growth=st.floats(-0.05, 0.2),
)
def test_revenue_is_cost_plus_profit_every_year(
    slope: float,
    fixed: float,
    nre: float,
    before: int,
    schedule: list[int],
    export: tuple[int, int, float],
    regime: str,
    growth: float,
) -> None:
    offset, quantity, share = export
    scenario = ProgramScenario(
        {2020 + i: n for i, n in enumerate(schedule)},
        (ExportOrder("AU", 2020 + offset, quantity, work_share_frac=share),),
        PricingTerms(regime, cost_growth_frac=growth),
    )
    years = run_program(model(slope, fixed, nre, before), scenario).years
    for row in years.iter_rows(named=True):
        assert row["maker_revenue_jpy"] == pytest.approx(row["maker_cost_jpy"] + row["profit_jpy"])
        assert row["maker_revenue_jpy"] == pytest.approx(
            row["ministry_spend_jpy"] + row["export_revenue_jpy"]
        )
    # Every yen of non-recurring cost lands on some unit of the program, past or scenario.
    work = sum(schedule) + quantity * share
    carried = (years["non_recurring_per_unit_jpy"] * (years["domestic_units"] + 0.0)).sum()
    if work:
        assert carried + (quantity * share) * nre / (before + work) == pytest.approx(
            nre * work / (before + work), rel=1e-9, abs=1e-6
        )


def test_a_flat_curve_prices_every_unit_at_first_unit_cost_plus_the_allowance() -> None:
    result = run_program(model(slope=1.0), ProgramScenario({2024: 3, 2025: 4}, pricing=NO_GROWTH))
    assert result.years["unit_price_jpy"].to_list() == pytest.approx([108.0, 108.0])
    assert result.margin_frac == pytest.approx(0.08 / 1.08)
    assert result.years["cumulative_units"].to_list() == [3, 7]


def test_the_recurring_cost_follows_the_learning_curve_exactly() -> None:
    curve = LearningCurve(100.0, 0.8)
    result = run_program(
        ProgramCostModel(curve), ProgramScenario({2024: 2, 2025: 2}, pricing=NO_GROWTH)
    )
    # 80% unit curve: units 1..4 cost 100, 80, 70.21, 64.
    third = 100 * 3 ** math.log2(0.8)
    assert result.years["recurring_unit_cost_jpy"].to_list() == pytest.approx(
        [90.0, (third + 64.0) / 2]
    )


def test_exports_lower_the_ministrys_price_and_spend() -> None:
    base = ProgramScenario({2024: 10, 2025: 10, 2026: 10}, pricing=NO_GROWTH)
    scenario = base.with_export(ExportOrder("AU", 2025, 10, unit_price_jpy=200.0))
    cost = model(slope=0.85, fixed=500.0, nre=3000.0)
    effect = export_effect(cost, scenario)
    assert (effect["unit_price_jpy"] <= effect["unit_price_jpy_without_exports"]).all()
    assert effect.filter(effect["fiscal_year"] == 2025)["ministry_saving_jpy"].item() > 0
    assert ministry_saving_jpy(cost, scenario) == pytest.approx(
        run_program(cost, base).total("ministry_spend_jpy")
        - run_program(cost, scenario).total("ministry_spend_jpy")
    )


def test_a_year_without_orders_inside_the_schedule_leaves_the_maker_the_fixed_cost() -> None:
    result = run_program(
        model(fixed=1000.0), ProgramScenario({2024: 5, 2025: 0, 2026: 5}, pricing=NO_GROWTH)
    )
    gap = result.years.row(1, named=True)
    assert gap["units"] == 0
    assert gap["maker_revenue_jpy"] == 0
    assert gap["profit_jpy"] == pytest.approx(-1000.0)
    assert gap["margin_frac"] is None


def test_co_production_charges_the_maker_its_work_share() -> None:
    scenario = ProgramScenario(
        {2024: 0, 2025: 4},
        (ExportOrder("US", 2024, 4, unit_price_jpy=60.0, work_share_frac=0.5),),
        NO_GROWTH,
    )
    years = run_program(model(slope=1.0), scenario).years
    first = years.row(0, named=True)
    assert first["units"] == 4
    assert first["export_units"] == 4
    assert first["maker_cost_jpy"] == pytest.approx(4 * 0.5 * 100.0)
    assert first["profit_jpy"] == pytest.approx(4 * (60.0 - 50.0))
    assert years["cumulative_units"].to_list() == [4, 8]


def test_the_export_search_answers_as_a_scan_does() -> None:
    base = ProgramScenario({2024: 5, 2025: 5}, pricing=NO_GROWTH)
    cost = model(slope=0.85, fixed=300.0)

    def margin(quantity: int) -> float:
        order = ExportOrder("AU", 2025, quantity, unit_price_jpy=110.0)
        found = run_program(cost, base.with_export(order)).margin_frac
        assert found is not None
        return found

    target = 0.12
    found = exports_for_margin(cost, base, target, fiscal_year=2025, unit_price_jpy=110.0)
    scanned = next(q for q in range(500) if margin(q) >= target)
    assert found == scanned
    assert exports_for_margin(cost, base, 0.0, fiscal_year=2025, unit_price_jpy=110.0) == 0
    # On a flat curve, at a price below cost, no export volume reaches 50%.
    flat = model(slope=1.0, fixed=300.0)
    assert exports_for_margin(flat, base, 0.5, fiscal_year=2025, unit_price_jpy=90.0) is None


def test_the_minimum_sustaining_rate_is_the_first_covering_quantity() -> None:
    cost = ProgramCostModel(
        LearningCurve(100.0, 0.9), line_fixed_jpy_per_year=2000.0, units_built_before=10
    )

    def covered(q: int) -> bool:
        return q * 90.0 >= 2000.0 + cost.recurring.lot_cost(11, 10 + q)

    rate = minimum_sustaining_rate(cost, 90.0)
    assert rate == next(q for q in range(1, 10_000) if covered(q))
    assert rate is not None
    assert covered(rate)
    assert not covered(rate - 1)
    assert minimum_sustaining_rate(ProgramCostModel(LearningCurve(100.0, 1.0)), 50.0) is None


def test_the_import_comparison_is_price_less_import_price() -> None:
    result = run_program(
        model(slope=1.0), ProgramScenario({2024: 3, 2025: 0, 2026: 2}, pricing=NO_GROWTH)
    )
    frame = import_comparison(result, 90.0)
    assert frame["fiscal_year"].to_list() == [2024, 2026]
    assert frame["premium_per_unit_jpy"].to_list() == pytest.approx([18.0, 18.0])
    assert frame["premium_frac"].to_list() == pytest.approx([0.2, 0.2])
    assert frame["premium_jpy"].to_list() == pytest.approx([54.0, 36.0])


def test_bad_scenarios_are_refused_with_what_is_wrong() -> None:
    with pytest.raises(EconError, match="FY2019 is before the schedule starts \\(FY2020\\)"):
        ProgramScenario({2020: 1}, (ExportOrder("AU", 2019, 1),))
    with pytest.raises(EconError, match="domestic units in FY2021: -1"):
        ProgramScenario({2020: 1, 2021: -1})
    with pytest.raises(EconError, match="quantity -3"):
        ExportOrder("AU", 2021, -3)
    with pytest.raises(EconError, match=r"work_share_frac 1\.5"):
        ExportOrder("AU", 2021, 3, work_share_frac=1.5)
    with pytest.raises(EconError, match="line_fixed_jpy_per_year -1"):
        ProgramCostModel(LearningCurve(1.0, 0.9), line_fixed_jpy_per_year=-1)
    with pytest.raises(EconError, match="target margin 2"):
        exports_for_margin(model(), ProgramScenario({2020: 1}), 2, fiscal_year=2020)


def test_a_generated_programs_cost_model_reproduces_its_price() -> None:
    dataset = generate_programs(1)
    facts = program_facts(dataset, "fighter")
    assumptions = CostAssumptions(fiscal_year=2025)
    cost = program_cost_model(facts, assumptions)
    result = run_program(cost, steady_scenario(facts, assumptions))
    # The first year sits where the dataset's price says, by construction.
    assert result.years["unit_price_jpy"][0] == pytest.approx(facts.unit_price_jpy, rel=1e-9)
    assert cost.recurring.slope == pytest.approx(learning_slope("aircraft")) == 0.85
    assert cost.recurring.kind is CurveKind.UNIT
    # Later years are cheaper: the line keeps learning.
    assert result.years["unit_price_jpy"][-1] < facts.unit_price_jpy
    with pytest.raises(EconError, match=r"no program 'frigate'.*fighter"):
        program_facts(dataset, "frigate")
