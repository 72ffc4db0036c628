"""A program's cost model run through a scenario of domestic and export orders, year by year.

A program's cost (`ProgramCostModel`) has three parts:

- non-recurring cost (development, tooling), spread evenly over every unit of the program:
  those built before the scenario (`units_built_before`, which carried their share) and
  those the scenario builds, domestic and export;
- a fixed yearly cost of keeping the line open, in every year from the first to the last year
  with production, spread over that year's units (a year with none in between still pays it,
  and the maker bears it: this is what an uneven order book costs);
- recurring cost per unit, on a learning curve (`kiban.econ.learning`) indexed by every unit
  the line has built (`units_built_before` places the scenario on the curve), with the
  curve's production-rate effect at the year's quantity.

A scenario (`ProgramScenario`) gives the ministry's units by fiscal year and export orders
(partner, year, quantity, unit price). An export order with `work_share_frac` below 1 is
co-production: the ally builds the unit and the maker builds that share of it; the unit still
counts on the maker's learning curve, and the maker's cost, non-recurring and fixed shares
included, is that share of a unit's.

Each year the ministry pays the cost-plus price of `kiban.econ.pricing` on the estimated unit
cost; an export unit sells at its order's price (default: the ministry's price that year,
times the work share). The maker spends estimated cost x (1 + cost growth). So every year

    maker_revenue = ministry_spend + export_revenue = maker_cost + profit

`run_program` returns one row per fiscal year (`ProgramResult.years`).

Cost: O(years + orders) curve evaluations; each exact lot cost is O(1) for long lots (see
`kiban.econ.learning`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import polars as pl

from kiban.econ.learning import LearningCurve
from kiban.econ.pricing import PricingTerms
from kiban.errors import EconError


def _check_amount(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise EconError(f"{name} {value} must be a finite amount >= 0")


@dataclass(frozen=True)
class ProgramCostModel:
    """What one unit of a program costs its maker (JPY, in the prices of the cost estimate).

    `recurring` is the learning curve of one whole unit; `non_recurring_jpy` is development
    and tooling; `line_fixed_jpy_per_year` the yearly cost of keeping the line open;
    `units_built_before` the units built before the scenario starts."""

    recurring: LearningCurve
    non_recurring_jpy: float = 0.0
    line_fixed_jpy_per_year: float = 0.0
    units_built_before: int = 0

    def __post_init__(self) -> None:
        _check_amount("non_recurring_jpy", self.non_recurring_jpy)
        _check_amount("line_fixed_jpy_per_year", self.line_fixed_jpy_per_year)
        if self.units_built_before < 0:
            raise EconError(f"units_built_before {self.units_built_before} must be >= 0")


@dataclass(frozen=True)
class ExportOrder:
    """An order from abroad: `quantity` units delivered in `fiscal_year` to `partner` (ISO
    country code or name), at `unit_price_jpy` each to the maker (None: the ministry's price
    that year times the work share), of which the maker builds `work_share_frac`."""

    partner: str
    fiscal_year: int
    quantity: int
    unit_price_jpy: float | None = None
    work_share_frac: float = 1.0

    def __post_init__(self) -> None:
        if self.quantity < 0:
            raise EconError(f"export to {self.partner}: quantity {self.quantity} must be >= 0")
        if not 0 < self.work_share_frac <= 1:
            raise EconError(
                f"export to {self.partner}: work_share_frac {self.work_share_frac} "
                "must be in (0, 1]"
            )
        if self.unit_price_jpy is not None:
            _check_amount(f"export to {self.partner}: unit_price_jpy", self.unit_price_jpy)


@dataclass(frozen=True)
class ProgramScenario:
    """The ministry's units by fiscal year, export orders, and the pricing terms."""

    domestic_units: Mapping[int, int]
    exports: tuple[ExportOrder, ...] = ()
    pricing: PricingTerms = field(default_factory=PricingTerms)
    name: str = "scenario"

    def __post_init__(self) -> None:
        for year, units in self.domestic_units.items():
            if units < 0:
                raise EconError(f"domestic units in FY{year}: {units} must be >= 0")
        if not self.domestic_units:
            raise EconError("the scenario has no domestic order schedule")
        first = min(self.domestic_units)
        for order in self.exports:
            if order.fiscal_year < first:
                raise EconError(
                    f"export to {order.partner} in FY{order.fiscal_year} is before the "
                    f"schedule starts (FY{first})"
                )

    @property
    def fiscal_years(self) -> range:
        years = [*self.domestic_units, *(o.fiscal_year for o in self.exports)]
        return range(min(years), max(years) + 1)

    def without_exports(self) -> ProgramScenario:
        return replace(self, exports=(), name=f"{self.name} without exports")

    def with_export(self, order: ExportOrder) -> ProgramScenario:
        return replace(self, exports=(*self.exports, order))


YEAR_COLUMNS = {
    "fiscal_year": pl.Int64,
    "domestic_units": pl.Int64,
    "export_units": pl.Int64,
    "units": pl.Int64,
    "cumulative_units": pl.Int64,
    "maker_work_units": pl.Float64,
    "regime": pl.String,
    "recurring_unit_cost_jpy": pl.Float64,
    "non_recurring_per_unit_jpy": pl.Float64,
    "fixed_per_unit_jpy": pl.Float64,
    "unit_cost_jpy": pl.Float64,
    "profit_rate_frac": pl.Float64,
    "adjustment_frac": pl.Float64,
    "unit_price_jpy": pl.Float64,
    "ministry_spend_jpy": pl.Float64,
    "export_revenue_jpy": pl.Float64,
    "maker_revenue_jpy": pl.Float64,
    "maker_cost_jpy": pl.Float64,
    "profit_jpy": pl.Float64,
    "margin_frac": pl.Float64,
}
"""The columns of `ProgramResult.years`. `maker_work_units` counts the units the maker
builds, a co-produced unit as its work share; unit costs are estimates for one whole unit;
the unit price is the ministry's; margin is profit / maker revenue (null in a year without
revenue)."""


@dataclass(frozen=True)
class ProgramResult:
    """A scenario's years (`YEAR_COLUMNS`) and its totals."""

    scenario: ProgramScenario
    years: pl.DataFrame

    def total(self, column: str) -> float:
        return float(self.years[column].sum())

    @property
    def margin_frac(self) -> float | None:
        """The maker's margin over the whole scenario: total profit / total revenue."""
        revenue = self.total("maker_revenue_jpy")
        return self.total("profit_jpy") / revenue if revenue > 0 else None

    @property
    def units(self) -> int:
        return int(self.years["units"].sum())


def run_program(model: ProgramCostModel, scenario: ProgramScenario) -> ProgramResult:
    """Run `model` through `scenario`: one row per fiscal year (see the module docstring).

    >>> from kiban.econ.learning import LearningCurve
    >>> model = ProgramCostModel(LearningCurve(100.0, 0.9), line_fixed_jpy_per_year=50.0)
    >>> result = run_program(model, ProgramScenario({2024: 5, 2025: 5}))
    >>> result.years["units"].to_list(), result.units
    ([5, 5], 10)
    """
    years = scenario.fiscal_years
    domestic = [scenario.domestic_units.get(y, 0) for y in years]
    exports = [[o for o in scenario.exports if o.fiscal_year == y] for y in years]
    units = [
        d + sum(o.quantity for o in orders) for d, orders in zip(domestic, exports, strict=True)
    ]
    work_units = [
        d + sum(o.quantity * o.work_share_frac for o in orders)
        for d, orders in zip(domestic, exports, strict=True)
    ]
    total_work = sum(work_units)
    producing = [y for y, n in zip(years, units, strict=True) if n > 0]
    line_open = range(min(producing), max(producing) + 1) if producing else range(0)
    program_units = model.units_built_before + total_work
    non_recurring_per_unit = model.non_recurring_jpy / program_units if program_units > 0 else 0.0

    rows = []
    built = model.units_built_before
    for year, n_domestic, orders, n, n_work in zip(
        years, domestic, exports, units, work_units, strict=True
    ):
        rates = scenario.pricing.rates(year)
        fixed = model.line_fixed_jpy_per_year if year in line_open else 0.0
        recurring = (
            model.recurring.lot_cost(built + 1, built + n, rate=float(n)) / n if n > 0 else 0.0
        )
        fixed_per_unit = fixed / n_work if n_work > 0 else 0.0
        unit_cost = recurring + non_recurring_per_unit + fixed_per_unit
        unit_price = unit_cost * rates.price_factor
        ministry_spend = n_domestic * unit_price
        export_revenue = sum(
            o.quantity
            * (o.unit_price_jpy if o.unit_price_jpy is not None else unit_price * o.work_share_frac)
            for o in orders
        )
        # The maker's estimated cost: its share of each unit, plus a fixed cost no unit carries.
        estimated_cost = n_work * unit_cost + (fixed if n_work == 0 else 0.0)
        maker_cost = estimated_cost * rates.cost_factor
        revenue = ministry_spend + export_revenue
        profit = revenue - maker_cost
        built += n
        rows.append(
            {
                "fiscal_year": year,
                "domestic_units": n_domestic,
                "export_units": n - n_domestic,
                "units": n,
                "cumulative_units": built,
                "maker_work_units": n_work,
                "regime": rates.regime,
                "recurring_unit_cost_jpy": recurring,
                "non_recurring_per_unit_jpy": non_recurring_per_unit if n > 0 else 0.0,
                "fixed_per_unit_jpy": fixed_per_unit,
                "unit_cost_jpy": unit_cost if n > 0 else None,
                "profit_rate_frac": rates.profit_rate_frac,
                "adjustment_frac": rates.adjustment_frac,
                "unit_price_jpy": unit_price if n > 0 else None,
                "ministry_spend_jpy": ministry_spend,
                "export_revenue_jpy": export_revenue,
                "maker_revenue_jpy": revenue,
                "maker_cost_jpy": maker_cost,
                "profit_jpy": profit,
                "margin_frac": profit / revenue if revenue > 0 else None,
            }
        )
    return ProgramResult(scenario, pl.DataFrame(rows, schema=YEAR_COLUMNS))
