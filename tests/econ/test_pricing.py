"""Cost-plus pricing under the shipped profit-rate regimes."""

from __future__ import annotations

import polars as pl
import pytest

from kiban.econ.pricing import (
    BY_YEAR,
    PricingTerms,
    Role,
    component_role,
    default_cost_growth_frac,
    implied_cost_growth,
    profit_regime,
    regime_for_year,
    regimes_from_frame,
)
from kiban.errors import EconError
from kiban.reference import load


def test_the_shipped_regimes_read_as_the_sources_say() -> None:
    old, new = profit_regime("pre_fy2023"), profit_regime("fy2023_onward")
    assert old.allowance_frac == (0.08, 0.08)
    assert old.adjustment_cap_frac == 0.0
    assert old.realized_margin_frac == pytest.approx(0.02)
    assert old.last_fiscal_year == 2022
    assert old.first_fiscal_year is None
    assert new.allowance_frac == (0.05, 0.10)
    assert new.adjustment_cap_frac == pytest.approx(0.05)
    assert new.total_cap_frac == pytest.approx(0.15)
    assert new.first_fiscal_year == 2023
    assert new.last_fiscal_year is None
    assert all(c.source_url.startswith("http") for c in new.components)


def test_the_regime_in_force_follows_the_fiscal_year() -> None:
    assert regime_for_year(2022).name == "pre_fy2023"
    assert regime_for_year(2023).name == "fy2023_onward"
    assert PricingTerms(BY_YEAR).rates(2010).regime == "pre_fy2023"


def test_the_old_regime_with_its_realised_margin_earns_that_margin() -> None:
    rates = PricingTerms("pre_fy2023", realized_margin_frac=0.02).rates(2020)
    assert rates.profit_rate_frac == 0.08
    assert rates.adjustment_frac == 0.0
    assert rates.margin_frac == pytest.approx(0.02, abs=1e-12)


def test_the_default_cost_growth_explains_the_realised_two_percent() -> None:
    assert default_cost_growth_frac() == pytest.approx(1.08 * 0.98 - 1)
    assert implied_cost_growth(0.08, 0.02) == pytest.approx(0.0584)
    # Same costs in both regimes: the reform compensates up to 5% of the growth.
    old = PricingTerms("pre_fy2023").rates(2022)
    new = PricingTerms("fy2023_onward", profit_rate_frac=0.075).rates(2023)
    assert old.cost_growth_frac == new.cost_growth_frac
    assert new.adjustment_frac == pytest.approx(0.05)
    assert new.margin_frac == pytest.approx(1 - 1.0584 / 1.125)
    assert new.margin_frac > old.margin_frac


@pytest.mark.parametrize(
    ("growth", "adjustment"), [(0.0, 0.0), (0.03, 0.03), (0.08, 0.05), (-0.02, 0.0)]
)
def test_the_new_regime_compensates_cost_growth_up_to_its_cap(
    growth: float, adjustment: float
) -> None:
    rates = PricingTerms("fy2023_onward", 0.10, cost_growth_frac=growth).rates(2024)
    assert rates.adjustment_frac == pytest.approx(adjustment)
    assert rates.price_factor == pytest.approx(1.10 + adjustment)
    assert rates.profit_rate_frac + rates.adjustment_frac <= 0.15 + 1e-12


def test_with_no_cost_growth_the_margin_is_the_markup_over_one_plus_it() -> None:
    rates = PricingTerms("fy2023_onward", 0.07, cost_growth_frac=0.0).rates(2024)
    assert rates.margin_frac == pytest.approx(0.07 / 1.07)


def test_a_rate_outside_the_band_an_unknown_regime_and_conflicting_inputs_are_refused() -> None:
    with pytest.raises(EconError, match=r"12\.00% is outside the fy2023_onward allowance 5\.00%"):
        PricingTerms("fy2023_onward", 0.12).rates(2024)
    with pytest.raises(EconError, match=r"unknown profit regime 'fy2030'.*pre_fy2023"):
        PricingTerms("fy2030")
    with pytest.raises(EconError, match="not both"):
        PricingTerms(cost_growth_frac=0.01, realized_margin_frac=0.02)
    with pytest.raises(EconError, match="compensates up to 5%"):
        PricingTerms("fy2023_onward", realized_margin_frac=0.02).rates(2024)
    with pytest.raises(EconError, match="profit_rate_frac nan"):
        PricingTerms(profit_rate_frac=float("nan"))


def test_a_new_rule_is_a_new_row() -> None:
    rates = load("profit_rates")
    extra = rates.head(1).with_columns(
        regime=pl.lit("fy2027_onward"),
        component=pl.lit("qcd_evaluation"),
        rate_min_frac=pl.lit(0.06),
        rate_max_frac=pl.lit(0.12),
    )
    regimes = regimes_from_frame(pl.concat([rates, extra]))
    regime = regimes["fy2027_onward"]
    assert regime.allowance_frac == (0.06, 0.12)
    assert regime.covers(2027)
    assert not regime.covers(2026)
    assert regime.components[0].role is Role.ALLOWANCE


def test_component_roles_follow_their_names() -> None:
    assert component_role("cost_fluctuation_adjustment") is Role.ADJUSTMENT_CAP
    assert component_role("total_maximum") is Role.TOTAL_CAP
    assert component_role("benchmark_rate") is Role.CONTEXT
    assert component_role("adjusted_average_rate") is Role.ALLOWANCE
