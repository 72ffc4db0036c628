"""A cost model for a program of the dataset, from its price and quantity and stated assumptions.

The dataset gives a program's `unit_price_jpy` and `annual_quantity`, not its cost structure.
`program_cost_model` fills the gap with the assumptions of `CostAssumptions`, every one a
parameter with a default that docs/economics.md explains:

- the unit price is the ministry's cost-plus price in `fiscal_year`, so the estimated unit
  cost is the price / (1 + the regime's typical allowance): `PricingTerms.rates`;
- that unit cost splits into recurring cost, the line's fixed cost (`fixed_share_frac`) and
  non-recurring cost (`non_recurring_share_frac`), the last spread over `planned_years` of
  the annual quantity;
- the line has built `years_in_production` years of the annual quantity already;
- the learning slope is the middle of the reference range (`learning_curves.csv`) of the
  domain that `LEARNING_DOMAIN` gives for the program's category; the first-unit cost is the
  one that puts this year's lot at the recurring cost above.

These are kiban's defaults, not data about any real program: an analyst with the program's
cost breakdown writes a scenario file (docs/economics.md) instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kiban.dataset import Dataset
from kiban.econ.learning import CurveKind, LearningCurve, slope_for
from kiban.econ.pricing import PricingTerms
from kiban.econ.program import ProgramCostModel, ProgramScenario
from kiban.errors import EconError

LEARNING_DOMAIN = {
    "aircraft": "aerospace",
    "ships": "shipbuilding",
    "vehicles": "50% hand assembly / 50% machining",
    "ammunition": "repetitive machining / punch press",
    "weapons": "25% hand assembly / 75% machining",
    "communications-electronics": "repetitive electronics manufacturing",
    "information systems": "repetitive electronics manufacturing",
    "unmanned systems": "aerospace",
    "space equipment": "aerospace",
}
"""The `learning_curves.csv` domain whose slope a designated-equipment category takes; a
category not listed takes `DEFAULT_DOMAIN`. kiban's choice, not a published mapping."""

DEFAULT_DOMAIN = "industrial applications generally"


@dataclass(frozen=True)
class CostAssumptions:
    """The stated assumptions that turn a program's price into a cost model (module docs)."""

    fiscal_year: int = 2025
    fixed_share_frac: float = 0.15
    non_recurring_share_frac: float = 0.10
    planned_years: int = 10
    years_in_production: int = 5
    slope: float | None = None
    pricing: PricingTerms = field(default_factory=PricingTerms)

    def __post_init__(self) -> None:
        for name in ("fixed_share_frac", "non_recurring_share_frac"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value < 1):
                raise EconError(f"{name} {value} must be a fraction in [0, 1)")
        if self.fixed_share_frac + self.non_recurring_share_frac >= 1:
            raise EconError("fixed_share_frac + non_recurring_share_frac must be below 1")
        if self.planned_years < 1:
            raise EconError(f"planned_years {self.planned_years} must be >= 1")
        if self.years_in_production < 0:
            raise EconError(f"years_in_production {self.years_in_production} must be >= 0")


@dataclass(frozen=True)
class ProgramFacts:
    """What the dataset says about a program: its name, category, price and quantity."""

    program_id: str
    name: str
    category: str | None
    unit_price_jpy: float
    annual_quantity: int


def program_facts(dataset: Dataset, program_id: str) -> ProgramFacts:
    """The program's row, checked: it must have a unit price and an annual quantity >= 1."""
    rows = dataset.programs.filter(dataset.programs["program_id"] == program_id)
    if rows.is_empty():
        known = ", ".join(dataset.programs["program_id"].to_list()) or "none"
        raise EconError(f"no program {program_id!r} in the dataset; the programs are: {known}")
    row = rows.row(0, named=True)
    price, quantity = row.get("unit_price_jpy"), row.get("annual_quantity")
    if price is None or not price > 0:
        raise EconError(f"program {program_id!r} has no unit_price_jpy: the cost model needs one")
    if quantity is None or round(quantity) < 1:
        raise EconError(
            f"program {program_id!r} has annual_quantity {quantity}: the cost model needs >= 1"
        )
    return ProgramFacts(program_id, row["name"], row.get("category"), price, round(quantity))


def learning_slope(category: str | None) -> float:
    """The middle of the reference slope range of the category's domain (`LEARNING_DOMAIN`)."""
    reference = slope_for(LEARNING_DOMAIN.get(category or "", DEFAULT_DOMAIN))
    return (reference.slope_min + reference.slope_max) / 2


def program_cost_model(
    facts: ProgramFacts, assumptions: CostAssumptions | None = None
) -> ProgramCostModel:
    """The cost model of a program from its facts and `assumptions` (module docstring)."""
    a = assumptions or CostAssumptions()
    rates = a.pricing.rates(a.fiscal_year)
    unit_cost = facts.unit_price_jpy / rates.price_factor
    quantity = facts.annual_quantity
    recurring_jpy = unit_cost * (1 - a.fixed_share_frac - a.non_recurring_share_frac)
    built = a.years_in_production * quantity
    slope = a.slope if a.slope is not None else learning_slope(facts.category)
    unit_curve = LearningCurve(1.0, slope, CurveKind.UNIT, reference_rate=float(quantity))
    # Scale the first unit so this year's lot averages the recurring cost.
    first_unit = recurring_jpy * quantity / unit_curve.lot_cost(built + 1, built + quantity)
    return ProgramCostModel(
        recurring=LearningCurve(first_unit, slope, CurveKind.UNIT, reference_rate=float(quantity)),
        non_recurring_jpy=unit_cost * a.non_recurring_share_frac * quantity * a.planned_years,
        line_fixed_jpy_per_year=unit_cost * a.fixed_share_frac * quantity,
        units_built_before=built,
    )


def steady_scenario(
    facts: ProgramFacts, assumptions: CostAssumptions | None = None, *, years: int | None = None
) -> ProgramScenario:
    """The program's annual quantity every year from `assumptions.fiscal_year` for `years`
    (default: the planned years less those already in production, at least 1)."""
    a = assumptions or CostAssumptions()
    span = years if years is not None else max(1, a.planned_years - a.years_in_production)
    if span < 1:
        raise EconError(f"years {span} must be >= 1")
    schedule = {a.fiscal_year + i: facts.annual_quantity for i in range(span)}
    return ProgramScenario(schedule, pricing=a.pricing, name=f"{facts.name}: steady orders")
