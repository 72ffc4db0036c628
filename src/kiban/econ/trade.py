"""What exports save the ministry, the export volume a target margin needs, the minimum
sustaining rate of a line, and domestic production against an import price.

- `export_effect`: the scenario with and without its export orders, year by year: the
  ministry's unit price and spend, and the maker's profit and margin.
- `exports_for_margin`: the smallest export quantity, in one fiscal year, at which the maker's
  margin over the whole scenario reaches a target. Found by doubling then bisection on whole
  units, then confirmed at the answer and one below (the margin need not rise monotonically
  with volume: more units also lower the cost-plus profit on domestic units).
- `minimum_sustaining_rate`: the fewest units a year whose revenue at a given unit price
  covers the line's fixed cost and the units' recurring cost (the US DoD's "minimum
  sustaining rate": below it, the line loses money on every year it stays open).
- `import_comparison`: the ministry's domestic unit price beside an import price, year by
  year, with the premium; `cost_premium_examples` gives the published premiums of
  `cost_premiums.csv` (F-35A final assembly in Japan, licence-built machine guns) as worked
  examples, each with its source.

Cost: `exports_for_margin` runs the program O(log Q) times for an answer Q;
`minimum_sustaining_rate` evaluates O(log Q) lot costs.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from kiban.dataset import Dataset
from kiban.econ.program import (
    ExportOrder,
    ProgramCostModel,
    ProgramResult,
    ProgramScenario,
    run_program,
)
from kiban.econ.viability import supplier_viability
from kiban.errors import EconError
from kiban.reference import load

MAX_SEARCH_UNITS = 10_000_000
"""The largest quantity the searches try before they report that no quantity is enough."""


def export_effect(model: ProgramCostModel, scenario: ProgramScenario) -> pl.DataFrame:
    """The scenario with and without its exports, per fiscal year: domestic units, the
    ministry's unit price and spend with and without exports and the saving (without minus
    with), and the maker's profit and margin with and without."""
    with_exports = run_program(model, scenario).years
    without = run_program(model, scenario.without_exports()).years
    keep = ["fiscal_year", "unit_price_jpy", "ministry_spend_jpy", "profit_jpy", "margin_frac"]
    joined = with_exports.select(["fiscal_year", "domestic_units", "export_units", *keep[1:]]).join(
        without.select(keep), on="fiscal_year", how="left", suffix="_without_exports"
    )
    return joined.with_columns(
        ministry_saving_jpy=pl.col("ministry_spend_jpy_without_exports").fill_null(0.0)
        - pl.col("ministry_spend_jpy")
    )


def ministry_saving_jpy(model: ProgramCostModel, scenario: ProgramScenario) -> float:
    """What the scenario's exports save the ministry over the whole scenario (JPY)."""
    return float(export_effect(model, scenario)["ministry_saving_jpy"].sum())


def exports_for_margin(
    model: ProgramCostModel,
    scenario: ProgramScenario,
    target_margin_frac: float,
    *,
    fiscal_year: int,
    partner: str = "an ally",
    unit_price_jpy: float | None = None,
    work_share_frac: float = 1.0,
) -> int | None:
    """The fewest units exported in `fiscal_year` (on top of the scenario's orders) at which
    the maker's margin over the scenario reaches `target_margin_frac`; 0 if it already does,
    None if no quantity up to `MAX_SEARCH_UNITS` does.

    The export sells at `unit_price_jpy` (default: the ministry's unit price that year in the
    scenario as given, times the work share: the price the market pays today). The answer
    reaches the target and one unit fewer does not; where the margin does not rise
    monotonically with volume, a smaller quantity may reach it too."""
    if not -1 < target_margin_frac < 1:
        raise EconError(f"target margin {target_margin_frac} must be a fraction in (-1, 1)")
    if unit_price_jpy is None:
        unit_price_jpy = baseline_unit_price_jpy(model, scenario, fiscal_year) * work_share_frac

    def margin(quantity: int) -> float:
        order = ExportOrder(partner, fiscal_year, quantity, unit_price_jpy, work_share_frac)
        result = run_program(model, scenario.with_export(order) if quantity else scenario)
        return result.margin_frac if result.margin_frac is not None else -1.0

    def reaches(quantity: int) -> bool:
        return margin(quantity) >= target_margin_frac

    if reaches(0):
        return 0
    high = 1
    while not reaches(high):
        high *= 2
        if high > MAX_SEARCH_UNITS:
            return None
    low = high // 2  # does not reach; high does
    while high - low > 1:
        middle = (low + high) // 2
        if reaches(middle):
            high = middle
        else:
            low = middle
    return high


def baseline_unit_price_jpy(
    model: ProgramCostModel, scenario: ProgramScenario, fiscal_year: int
) -> float:
    """The ministry's unit price in `fiscal_year` of the scenario (or, in a year without
    units, of the nearest earlier year with units)."""
    years = run_program(model, scenario).years.filter(
        (pl.col("fiscal_year") <= fiscal_year) & pl.col("unit_price_jpy").is_not_null()
    )
    if years.is_empty():
        raise EconError(f"the scenario builds nothing by FY{fiscal_year}: no price to export at")
    return float(years["unit_price_jpy"][-1])


def _lot_profit(model: ProgramCostModel, units: int, unit_price_jpy: float, growth: float) -> float:
    built = model.units_built_before
    recurring = model.recurring.lot_cost(built + 1, built + units, rate=float(units))
    cost = (recurring + model.line_fixed_jpy_per_year) * (1 + growth)
    return units * unit_price_jpy - cost


def minimum_sustaining_rate(
    model: ProgramCostModel, unit_price_jpy: float, *, cost_growth_frac: float = 0.0
) -> int | None:
    """The fewest units a year, built after `model.units_built_before`, whose revenue at
    `unit_price_jpy` covers the year's line fixed cost and their recurring cost (times 1 +
    `cost_growth_frac`); None if no quantity up to `MAX_SEARCH_UNITS` does (the price is
    below the marginal cost). Non-recurring cost is sunk and left out.

    Revenue less cost is concave in the quantity only where the rate effect is absent, so
    the answer is confirmed by checking that one unit fewer does not cover the cost."""
    if not unit_price_jpy > 0:
        raise EconError(f"unit price {unit_price_jpy} must be > 0")
    if _lot_profit(model, 1, unit_price_jpy, cost_growth_frac) >= 0:
        return 1
    high = 2
    while _lot_profit(model, high, unit_price_jpy, cost_growth_frac) < 0:
        high *= 2
        if high > MAX_SEARCH_UNITS:
            return None
    low = high // 2
    while high - low > 1:
        middle = (low + high) // 2
        if _lot_profit(model, middle, unit_price_jpy, cost_growth_frac) >= 0:
            high = middle
        else:
            low = middle
    return high


def import_comparison(result: ProgramResult, import_unit_price_jpy: float) -> pl.DataFrame:
    """The ministry's domestic unit price beside an import price, per fiscal year with
    domestic units: premium per unit (JPY and as a fraction of the import price) and over the
    year's units."""
    if not import_unit_price_jpy > 0:
        raise EconError(f"import unit price {import_unit_price_jpy} must be > 0")
    return (
        result.years.filter(pl.col("domestic_units") > 0)
        .select("fiscal_year", "domestic_units", "unit_price_jpy")
        .with_columns(import_unit_price_jpy=pl.lit(float(import_unit_price_jpy)))
        .with_columns(
            premium_per_unit_jpy=pl.col("unit_price_jpy") - pl.col("import_unit_price_jpy"),
        )
        .with_columns(
            premium_frac=pl.col("premium_per_unit_jpy") / pl.col("import_unit_price_jpy"),
            premium_jpy=pl.col("premium_per_unit_jpy") * pl.col("domestic_units"),
        )
    )


def cost_premium_examples() -> pl.DataFrame:
    """The published premiums of domestic production over import (`cost_premiums.csv`), as
    worked examples: item, maker, fiscal year, metric, value range and unit, the comparator,
    and the source of each."""
    return load("cost_premiums").select(
        "item",
        "maker",
        "fiscal_year",
        "metric",
        "value_min",
        "value_max",
        "unit",
        "comparator",
        "approx",
        "note",
        "source_url",
        "confidence",
    )


def export_study(
    dataset: Dataset,
    program_id: str,
    quantity: int,
    *,
    year: int | None = None,
    partner: str = "an ally",
    price: float | None = None,
    work_share: float = 1.0,
    start_year: int = 2025,
    years: int = 5,
    target_margin: float = 0.08,
) -> dict[str, Any]:
    """What an export order does to a dataset program, under the stated cost assumptions of
    `kiban.econ.assumptions` (from `start_year`) and `years` of steady domestic orders: the
    `effect` per year (`export_effect`) and a `summary`: the ministry's unit price in the
    export year with and without it, the ministry's saving, the maker's margin and profit
    with and without, and the exports a `target_margin` needs at the same price. The export
    is in `year` (default: the second year) at `price` (default: the ministry's price that
    year, times the work share)."""
    from kiban.econ.assumptions import (
        CostAssumptions,
        program_cost_model,
        program_facts,
        steady_scenario,
    )

    facts = program_facts(dataset, program_id)
    assumptions = CostAssumptions(fiscal_year=start_year)
    model = program_cost_model(facts, assumptions)
    base = steady_scenario(facts, assumptions, years=years)
    year = start_year + min(1, years - 1) if year is None else year
    if year < start_year:
        raise EconError(f"the export in FY{year} is before the schedule starts (FY{start_year})")
    if price is None:
        price = baseline_unit_price_jpy(model, base, year) * work_share
    scenario = base.with_export(ExportOrder(partner, year, quantity, price, work_share))
    effect = export_effect(model, scenario)
    before, after = run_program(model, base), run_program(model, scenario)
    row = effect.filter(pl.col("fiscal_year") == year).row(0, named=True)
    summary = {
        "program_id": program_id,
        "program": facts.name,
        "quantity": quantity,
        "fiscal_year": year,
        "partner": partner,
        "export_unit_price_jpy": price,
        "unit_price_jpy_without_exports": row["unit_price_jpy_without_exports"],
        "unit_price_jpy": row["unit_price_jpy"],
        "ministry_saving_jpy": float(effect["ministry_saving_jpy"].sum()),
        "margin_frac_without_exports": before.margin_frac,
        "margin_frac": after.margin_frac,
        "profit_jpy_without_exports": before.total("profit_jpy"),
        "profit_jpy": after.total("profit_jpy"),
        "target_margin_frac": target_margin,
        "exports_for_target_margin_units": exports_for_margin(
            model,
            base,
            target_margin,
            fiscal_year=year,
            unit_price_jpy=price,
            work_share_frac=work_share,
        ),
    }
    suppliers_without = suppliers_not_viable(
        supplier_viability(dataset, program_id, volume_ratio(before, facts.annual_quantity))
    )
    viability = supplier_viability(dataset, program_id, volume_ratio(after, facts.annual_quantity))
    suppliers_with = suppliers_not_viable(viability)
    summary["suppliers"] = int(viability.filter(pl.col("tier") >= 1)["firm_id"].n_unique())
    summary["suppliers_not_viable_without_exports"] = suppliers_without.get(year, 0)
    summary["suppliers_not_viable"] = suppliers_with.get(year, 0)
    return {"summary": summary, "effect": effect, "viability": viability}


def volume_ratio(result: ProgramResult, annual_quantity: float) -> dict[int, float]:
    """Per fiscal year, the units the maker builds (`maker_work_units`) over the program's
    usual annual quantity: the volume its suppliers see (`kiban.econ.viability`)."""
    if not annual_quantity > 0:
        raise EconError(f"annual quantity {annual_quantity} must be > 0")
    return {
        row["fiscal_year"]: row["maker_work_units"] / annual_quantity
        for row in result.years.iter_rows(named=True)
    }


def suppliers_not_viable(viability: pl.DataFrame) -> dict[int, int]:
    """Per fiscal year, the suppliers (tier 1 and below) whose defense margin is below the
    viability threshold."""
    below = viability.filter((pl.col("tier") >= 1) & (pl.col("viable") == False))  # noqa: E712
    counts = below.group_by("fiscal_year").agg(pl.col("firm_id").n_unique().alias("n"))
    return {row["fiscal_year"]: row["n"] for row in counts.iter_rows(named=True)}
