"""The ministry's cost-plus pricing and its profit-rate regimes.

Japan's Ministry of Defense buys most domestic equipment at a cost-plus price: its estimate
of the maker's cost plus a profit allowance (the "P-rate"). The regimes live in the shipped
reference table `profit_rates.csv`, one row per component, so a new rule is a new row:

- `pre_fy2023`: an allowance of about 8% (the 2021 benchmark of 7.2%, the average of about
  1,000 profitable listed manufacturers, adjusted to an 8.0% average), while makers realised
  about 2%: material prices rose over long deliveries and the maker bore the rise.
- `fy2023_onward`: up to 10% from an evaluation of quality, cost and delivery (5 to 10% in the
  Finance Ministry's 2025 reading) plus up to 5% for cost changes over the contract, at most
  about 15% in all.

A component's role follows from its name (`component_role`): `realized_margin*` rows are
observations, `benchmark*` rows are context, `cost_fluctuation*` is the cap on compensated
cost growth, `total_maximum*` caps the whole allowance, and every other row bounds the profit
allowance. A regime named `pre_fyYYYY` applies to contracts before fiscal year YYYY and one
named `fyYYYY_onward` from YYYY on.

The price model (kiban's reading of the rules; docs/economics.md):

    price     = estimated_cost * (1 + profit_rate + adjustment)
    adjustment = min(cost_growth, adjustment_cap)          (0 where the regime has none)
    cost      = estimated_cost * (1 + cost_growth)           (what the maker actually spends)
    profit    = price - cost,  margin = profit / price

The allowance is a markup on cost, so with no cost growth the margin on sales is
`rate / (1 + rate)`. `cost_growth` is the maker's actual cost over the estimate the price was
set on. For a regime with a realised-margin observation it defaults to the growth that
explains it: 8% allowed and 2% realised give (1.08)(0.98) - 1 = 5.84%, and the same growth
is the default in every regime, so that regimes are compared on the same costs.

Sources: each component's `source_url` in `profit_rates.csv` (Finance Ministry Fiscal System
Council 2022 and 2025 materials; Keizaikai; Jiji Press; the Defense Minister in the Diet,
2023-01-30, via The Diplomat and The Japan Times).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from kiban.errors import EconError
from kiban.reference import load

BY_YEAR = "by_year"
"""The regime name that means: the regime in force in each fiscal year."""


class Role(StrEnum):
    """What a component of a regime does in the price."""

    ALLOWANCE = "allowance"
    ADJUSTMENT_CAP = "adjustment_cap"
    TOTAL_CAP = "total_cap"
    REALIZED = "realized"
    CONTEXT = "context"


def component_role(component: str) -> Role:
    """The role of a `profit_rates.csv` component, from its name (see the module docstring).

    >>> component_role("qcd_evaluation"), component_role("realized_margin_industry_view")
    (<Role.ALLOWANCE: 'allowance'>, <Role.REALIZED: 'realized'>)
    """
    if component.startswith("realized_margin"):
        return Role.REALIZED
    if component.startswith("benchmark"):
        return Role.CONTEXT
    if component.startswith("cost_fluctuation"):
        return Role.ADJUSTMENT_CAP
    if component.startswith("total_maximum"):
        return Role.TOTAL_CAP
    return Role.ALLOWANCE


@dataclass(frozen=True)
class Component:
    """One row of `profit_rates.csv`: a rate (a fraction) with its bounds and source."""

    name: str
    role: Role
    fiscal_year: int | None
    rate_min_frac: float | None
    rate_max_frac: float | None
    approx: bool
    source_url: str


@dataclass(frozen=True)
class ProfitRegime:
    """A profit-rate regime: its components and the fiscal years it covers (None: open)."""

    name: str
    components: tuple[Component, ...]
    first_fiscal_year: int | None
    last_fiscal_year: int | None

    def of_role(self, role: Role) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.role is role)

    @property
    def allowance_frac(self) -> tuple[float, float]:
        """The band of the profit allowance: the lowest and highest bound its allowance rows
        give (a row with one bound counts as that bound)."""
        bounds = [
            bound
            for c in self.of_role(Role.ALLOWANCE)
            for bound in (c.rate_min_frac, c.rate_max_frac)
            if bound is not None
        ]
        if not bounds:
            raise EconError(f"profit regime {self.name!r} has no allowance row in profit_rates.csv")
        return min(bounds), max(bounds)

    @property
    def adjustment_cap_frac(self) -> float:
        """The most cost growth the price compensates (0 where the regime has no such row)."""
        caps = [c.rate_max_frac for c in self.of_role(Role.ADJUSTMENT_CAP) if c.rate_max_frac]
        return max(caps, default=0.0)

    @property
    def total_cap_frac(self) -> float | None:
        """The cap on allowance plus adjustment, if the regime has one."""
        caps = [c.rate_max_frac for c in self.of_role(Role.TOTAL_CAP) if c.rate_max_frac]
        return min(caps) if caps else None

    @property
    def realized_margin_frac(self) -> float | None:
        """The lowest realised margin observed under the regime (the makers' own account),
        or None."""
        seen = [
            c.rate_max_frac if c.rate_max_frac is not None else c.rate_min_frac
            for c in self.of_role(Role.REALIZED)
        ]
        known = [v for v in seen if v is not None]
        return min(known) if known else None

    @property
    def typical_profit_rate_frac(self) -> float:
        """The allowance kiban assumes when none is given: the middle of the band."""
        low, high = self.allowance_frac
        return (low + high) / 2

    def covers(self, fiscal_year: int) -> bool:
        return (self.first_fiscal_year is None or fiscal_year >= self.first_fiscal_year) and (
            self.last_fiscal_year is None or fiscal_year <= self.last_fiscal_year
        )


def _years(name: str) -> tuple[int | None, int | None]:
    if match := re.fullmatch(r"pre_fy(\d{4})", name):
        return None, int(match.group(1)) - 1
    if match := re.fullmatch(r"fy(\d{4})_onward", name):
        return int(match.group(1)), None
    if match := re.fullmatch(r"fy(\d{4})_fy(\d{4})", name):
        return int(match.group(1)), int(match.group(2))
    return None, None


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def regimes_from_frame(rates: pl.DataFrame) -> dict[str, ProfitRegime]:
    """The regimes of a `profit_rates.csv` frame, by name, in file order."""
    by_name: dict[str, list[Component]] = {}
    for row in rates.iter_rows(named=True):
        by_name.setdefault(row["regime"], []).append(
            Component(
                name=row["component"],
                role=component_role(row["component"]),
                fiscal_year=row["fiscal_year"],
                rate_min_frac=_float(row["rate_min_frac"]),
                rate_max_frac=_float(row["rate_max_frac"]),
                approx=bool(row["approx"]),
                source_url=row["source_url"],
            )
        )
    return {
        name: ProfitRegime(name, tuple(components), *_years(name))
        for name, components in by_name.items()
    }


@functools.cache
def profit_regimes() -> dict[str, ProfitRegime]:
    """The shipped regimes (`profit_rates.csv`), by name."""
    return regimes_from_frame(load("profit_rates"))


def profit_regime(name: str) -> ProfitRegime:
    """The shipped regime `name`; an unknown name gets an `EconError` listing the known ones."""
    regimes = profit_regimes()
    if name not in regimes:
        known = ", ".join([*regimes, BY_YEAR])
        raise EconError(f"unknown profit regime {name!r}: profit_rates.csv has {known}")
    return regimes[name]


def regime_for_year(fiscal_year: int) -> ProfitRegime:
    """The regime in force for contracts of `fiscal_year` (the first that covers it)."""
    for regime in profit_regimes().values():
        if regime.covers(fiscal_year):
            return regime
    raise EconError(f"no profit regime in profit_rates.csv covers fiscal year {fiscal_year}")


def implied_cost_growth(profit_rate_frac: float, realized_margin_frac: float) -> float:
    """The cost growth, over the estimate, that turns an allowance into a realised margin when
    the price does not compensate it: (1 + rate)(1 - margin) - 1.

    >>> round(implied_cost_growth(0.08, 0.02), 4)
    0.0584
    """
    return (1 + profit_rate_frac) * (1 - realized_margin_frac) - 1


@functools.cache
def default_cost_growth_frac() -> float:
    """The cost growth kiban assumes when none is given: the one that explains the realised
    margin of the first regime that records one (2% against 8% before FY2023: 5.84%)."""
    for regime in profit_regimes().values():
        if (
            realized := regime.realized_margin_frac
        ) is not None and regime.adjustment_cap_frac == 0:
            return implied_cost_growth(regime.typical_profit_rate_frac, realized)
    return 0.0


@dataclass(frozen=True)
class PricingTerms:
    """How a program is priced: a regime (or `by_year`), the profit allowance and the cost
    growth. None means kiban's default: the middle of the regime's allowance band, and the
    cost growth of `default_cost_growth_frac`. `realized_margin_frac`, for a regime without
    cost compensation, sets the cost growth that yields that margin instead."""

    regime: str = BY_YEAR
    profit_rate_frac: float | None = None
    cost_growth_frac: float | None = None
    realized_margin_frac: float | None = None

    def __post_init__(self) -> None:
        if self.regime != BY_YEAR:
            profit_regime(self.regime)
        for name in ("profit_rate_frac", "cost_growth_frac", "realized_margin_frac"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and -1 < value < 1):
                raise EconError(f"{name} {value} must be a fraction in (-1, 1)")
        if self.cost_growth_frac is not None and self.realized_margin_frac is not None:
            raise EconError("give cost_growth_frac or realized_margin_frac, not both")

    def regime_for(self, fiscal_year: int) -> ProfitRegime:
        return (
            regime_for_year(fiscal_year) if self.regime == BY_YEAR else profit_regime(self.regime)
        )

    def rates(self, fiscal_year: int) -> Rates:
        """The rates that price a contract of `fiscal_year` under these terms."""
        regime = self.regime_for(fiscal_year)
        low, high = regime.allowance_frac
        rate = regime.typical_profit_rate_frac
        if self.profit_rate_frac is not None:
            rate = self.profit_rate_frac
            if not low - 1e-12 <= rate <= high + 1e-12:
                raise EconError(
                    f"profit rate {rate:.2%} is outside the {regime.name} allowance "
                    f"{low:.2%}..{high:.2%} (profit_rates.csv)"
                )
        growth = self.cost_growth_frac
        if self.realized_margin_frac is not None:
            if regime.adjustment_cap_frac > 0:
                raise EconError(
                    f"realized_margin_frac sets the cost growth only in a regime without cost "
                    f"compensation; {regime.name} compensates up to "
                    f"{regime.adjustment_cap_frac:.0%}: give cost_growth_frac"
                )
            growth = implied_cost_growth(rate, self.realized_margin_frac)
        if growth is None:
            growth = default_cost_growth_frac()
        adjustment = min(max(growth, 0.0), regime.adjustment_cap_frac)
        if (cap := regime.total_cap_frac) is not None:
            adjustment = max(0.0, min(adjustment, cap - rate))
        return Rates(regime.name, rate, adjustment, growth)


@dataclass(frozen=True)
class Rates:
    """The rates of one contract year: the price is estimated cost x (1 + profit rate +
    adjustment); the maker spends estimated cost x (1 + cost growth)."""

    regime: str
    profit_rate_frac: float
    adjustment_frac: float
    cost_growth_frac: float

    @property
    def price_factor(self) -> float:
        return 1 + self.profit_rate_frac + self.adjustment_frac

    @property
    def cost_factor(self) -> float:
        return 1 + self.cost_growth_frac

    @property
    def margin_frac(self) -> float:
        """The maker's margin on sales when it sells at this price."""
        return 1 - self.cost_factor / self.price_factor
