"""Fragility of each firm: how likely it is to stop supplying, scored 1 (low) .. 5 (high).

The fragility half of the US DoD fragility-and-criticality (FaC) method, scored from what the
dataset holds rather than by a panel: the firm's status, operating margin, succession,
dependence on defense sales and on its largest customer, size, the hazard of its region, its
cybersecurity level and its foreign ownership. Each factor's value is mapped to a 1..5 score
by the configuration's scale, and the factors are combined by `kiban.risk.factors.combine`
(weighted mean over the factors known for the firm; see docs/risk-scores.md).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from kiban.network import SupplyNetwork
from kiban.risk.config import RiskConfig
from kiban.risk.factors import FactorValues, FloatArray, combine

FRAGILITY_FACTORS = (
    "status",
    "operating_margin",
    "succession",
    "defense_dependence",
    "customer_concentration",
    "size",
    "hazard",
    "cyber",
    "foreign_ownership",
)
"""The factors of fragility, in the order they are reported."""

MEASURES = {
    "status": "status: 0 active, 1 withdrawing, 2 exited",
    "operating_margin": "operating_margin (operating profit / sales)",
    "succession": "has_successor: 1 without a successor, 0 with one",
    "defense_dependence": "defense_revenue_jpy / revenue_jpy",
    "customer_concentration": "share of supplied annual_value_jpy going to the largest customer",
    "size": "employees, or revenue_jpy when employees are unknown",
    "hazard": "region_hazard of the firm's region (0..1)",
    "cyber": "cyber_level (0..3; 3 meets the defense standard)",
    "foreign_ownership": "foreign_ownership (share of equity held abroad)",
}
"""What each factor's value is, in words."""

STATUS_CODES = {"active": 0.0, "withdrawing": 1.0, "exited": 2.0}


def fragility(network: SupplyNetwork, config: RiskConfig) -> pl.DataFrame:
    """The fragility of every firm of `network`, with each factor's part in it.

    Returns one row per firm, in firm order: firm_id; `fragility` (1..5, the weighted mean of
    the known factors' scores; the contributions sum to it), `fragility_level` (rounded,
    1..5), `fragility_coverage` (share of the configured weight known for the firm); then for
    each factor f of `FRAGILITY_FACTORS` the columns `f_value`, `f_score` (1..5), `f_weight`
    (weight used) and `f_contribution`, null value and score when the data lack it; and
    `size_basis` (`employees`, `revenue_jpy`, or null).

    Cost: O(n + m) for n firms and m supplies, in numpy; about 0.02 s for the 11,500 firms
    of the generated programs, 2-3 s for 1M firms and 5M supplies (benchmarks/bench_scores.py).

    >>> import polars as pl
    >>> from kiban.dataset import Dataset
    >>> from kiban.risk.config import load_config
    >>> ds = Dataset.from_frames({"firms": pl.DataFrame({
    ...     "firm_id": ["A", "B"], "name": ["A", "B"], "country": ["JP", "JP"],
    ...     "status": ["active", "withdrawing"], "operating_margin": [0.08, -0.05]})})
    >>> frame = fragility(SupplyNetwork.build(ds), load_config())
    >>> frame.select("firm_id", "fragility", "status_score", "operating_margin_score").rows()
    [('A', 1.0, 1.0, 1.0), ('B', 5.0, 5.0, 5.0)]
    """
    firms = network.dataset.firms
    settings = config.fragility
    status = _column(firms.select(pl.col("status").replace_strict(STATUS_CODES, default=None)))
    succession = _column(firms.select((~pl.col("has_successor")).cast(pl.Float64)))
    dependence = _column(
        firms.select(
            pl.when(pl.col("revenue_jpy") > 0).then(
                pl.col("defense_revenue_jpy") / pl.col("revenue_jpy")
            )
        )
    )
    employees = _column(firms.select("employees"))
    revenue = _column(firms.select("revenue_jpy"))
    by_employees = ~np.isnan(employees)
    size_score = np.where(
        by_employees,
        settings.size.employees.score(employees),
        settings.size.revenue_jpy.score(revenue),
    )
    level_scores = {
        "status": np.array(
            [settings.status.active, settings.status.withdrawing, settings.status.exited]
        ),
        "succession": np.array(
            [settings.succession.with_successor, settings.succession.without_successor]
        ),
    }
    values: dict[str, FloatArray] = {
        "status": status,
        "operating_margin": _column(firms.select("operating_margin")),
        "succession": succession,
        "defense_dependence": dependence,
        "customer_concentration": customer_concentration(network),
        "size": np.where(by_employees, employees, revenue),
        "hazard": _hazard(network, config),
        "cyber": _column(firms.select("cyber_level")),
        "foreign_ownership": _column(firms.select("foreign_ownership")),
    }
    factors = []
    for name in FRAGILITY_FACTORS:
        value = values[name]
        if name in level_scores:
            codes = np.nan_to_num(value).astype(np.int64)
            score = np.where(np.isnan(value), np.nan, level_scores[name][codes])
        elif name == "size":
            score = size_score
        else:
            score = getattr(settings, name).scale.score(value)
        weight = getattr(settings, name).weight
        factors.append(FactorValues(name, weight, value, score, MEASURES[name]))
    basis = (
        pl.when(pl.Series(by_employees))
        .then(pl.lit("employees"))
        .when(pl.Series(~np.isnan(revenue)))
        .then(pl.lit("revenue_jpy"))
    )
    return pl.concat(
        [firms.select("firm_id"), combine("fragility", factors)], how="horizontal"
    ).with_columns(size_basis=basis)


def customer_concentration(network: SupplyNetwork) -> FloatArray:
    """Per firm, the share of its supplied annual value that goes to its largest customer.

    Sums `annual_value_jpy` of the firm's supplies (item-level and firm-level rows alike) per
    customer; NaN for a firm with no valued supply (a prime selling only to the ministry, or
    rows without values). 1.0 means a single customer. O(m) for m supplies.

    >>> import polars as pl
    >>> from kiban.dataset import Dataset
    >>> ds = Dataset.from_frames({
    ...     "firms": pl.DataFrame({"firm_id": ["S", "A", "B"], "name": ["S", "A", "B"],
    ...                            "country": ["JP", "JP", "JP"]}),
    ...     "supplies": pl.DataFrame({"supplier_id": ["S", "S", "S"],
    ...                               "customer_id": ["A", "A", "B"],
    ...                               "annual_value_jpy": [30.0, 30.0, 40.0]})})
    >>> customer_concentration(SupplyNetwork.build(ds)).round(2).tolist()
    [0.6, nan, nan]
    """
    value = (
        network.dataset.supplies.get_column("annual_value_jpy")
        .cast(pl.Float64)
        .fill_null(np.nan)
        .to_numpy()
    )
    valued = ~np.isnan(value)
    # Sum per firm-level link (supplier, customer), then the largest and the total per
    # supplier, over the links grouped by supplier (`links_out`): O(m), no hashing.
    per_link = np.bincount(
        network.supply_link[valued], weights=value[valued], minlength=network.n_links
    )
    total = np.bincount(network.link_supplier, weights=per_link, minlength=network.n_firms)
    indptr = network.links_out.indptr
    has_links = np.diff(indptr) > 0
    largest = np.zeros(network.n_firms)
    if has_links.any():
        grouped = per_link[network.links_out.order]
        largest[has_links] = np.maximum.reduceat(grouped, indptr[:-1][has_links])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, largest / total, np.nan)


def _hazard(network: SupplyNetwork, config: RiskConfig) -> FloatArray:
    """The configured hazard of each firm's region; NaN where the region is not listed."""
    table = {region.strip().lower(): h for region, h in config.region_hazard.items()}
    if not table:
        return np.full(network.n_firms, np.nan)
    regions = network.dataset.firms.get_column("region").str.strip_chars().str.to_lowercase()
    hazard = regions.replace_strict(
        list(table), list(table.values()), default=None, return_dtype=pl.Float64
    )
    return hazard.cast(pl.Float64).fill_null(np.nan).to_numpy()


def _column(frame: pl.DataFrame) -> FloatArray:
    """The single column of `frame` as float64, NaN for nulls."""
    return frame.to_series().cast(pl.Float64).fill_null(np.nan).to_numpy()
