"""Fragility-and-criticality scores of every firm, their risk, archetypes, and explanations.

`firm_risk` puts each firm's fragility (`kiban.risk.fragility`), criticality
(`kiban.risk.criticality`) and archetype tags (`kiban.risk.archetypes`) in one row, with the
risk they make together: fragility x criticality, 1..25, read as low, medium or high on the
usual 5 x 5 matrix (the limits are in the configuration). `explain` opens one firm: its facts,
each score decomposed into factor, value, weight and contribution, the evidence of each
archetype, the programs it is a single point of failure for and why, and how old the data
about its supplies is. The method is the US DoD fragility-and-criticality assessment with the
risk archetypes of the 2018 EO 13806 report; docs/risk-scores.md gives the details.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from kiban.errors import RiskError
from kiban.network import SupplyNetwork, program_supply_chain
from kiban.risk.archetypes import ARCHETYPES, archetype_evidence
from kiban.risk.config import RiskConfig
from kiban.risk.criticality import CRITICALITY_FACTORS, criticality
from kiban.risk.criticality import MEASURES as CRITICALITY_MEASURES
from kiban.risk.factors import factor_rows
from kiban.risk.fragility import FRAGILITY_FACTORS, fragility
from kiban.risk.fragility import MEASURES as FRAGILITY_MEASURES
from kiban.risk.spof import SPOF_SCHEMA, single_points_of_failure
from kiban.risk.staleness import DataAge, data_age

RISK_SCHEMA = pl.Schema(
    {
        "firm_id": pl.String(),
        "name": pl.String(),
        "country": pl.String(),
        "status": pl.String(),
        "tier": pl.Int32(),
        "fragility": pl.Float64(),
        "fragility_level": pl.Int8(),
        "criticality": pl.Float64(),
        "criticality_level": pl.Int8(),
        "risk": pl.Float64(),
        "risk_level": pl.String(),
        "archetypes": pl.List(pl.String()),
        "spof_programs": pl.Int64(),
        "program_value_jpy": pl.Float64(),
        "supplies": pl.UInt32(),
        "stale_supplies": pl.UInt32(),
        "oldest_observed_at": pl.Date(),
    }
)
"""The columns of `firm_risk`, in order."""


@dataclass(frozen=True)
class FirmExplanation:
    """Why one firm scores as it does.

    `facts`: the firm's row of the dataset (column -> value). `fragility_factors` and
    `criticality_factors`: one row per factor with columns factor, value, measure (what the
    value is), score (1..5, null when the data lack the value), weight (configured),
    weight_used (after sharing out the weight of missing factors) and contribution (weight_used
    x score; they sum to the score). `archetypes`: columns archetype, evidence, one row per
    piece of evidence. `spof`: the programs the firm is a single point of failure for, with
    columns program_id, customer_id, item_id, reason, tier. `data_age`: the observation dates
    of the supplies the firm takes part in, as supplier or customer. `config_source`: where
    the weights came from.
    """

    firm_id: str
    name: str
    facts: Mapping[str, Any]
    fragility: float | None
    fragility_level: int | None
    fragility_coverage: float
    fragility_factors: pl.DataFrame
    criticality: float | None
    criticality_level: int | None
    criticality_coverage: float
    criticality_factors: pl.DataFrame
    risk: float | None
    risk_level: str | None
    archetypes: pl.DataFrame
    spof: pl.DataFrame
    data_age: DataAge
    config_source: str

    @property
    def tags(self) -> list[str]:
        """The archetype tags, in `ARCHETYPES` order, each once."""
        found = set(self.archetypes.get_column("archetype").to_list())
        return [tag for tag in ARCHETYPES if tag in found]


@dataclass(frozen=True, eq=False)
class _Assessment:
    fragility: pl.DataFrame
    criticality: pl.DataFrame
    evidence: pl.DataFrame
    spof: pl.DataFrame


def firm_risk(
    network: SupplyNetwork,
    config: RiskConfig,
    *,
    as_of: dt.date,
    program_id: str | None = None,
    spof: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Fragility, criticality, risk and archetypes of every firm (or of one program's chain).

    `as_of`: the date of the analysis (data age, stale supplies); `program_id`: keep only the
    firms of that program's supply chain (`kiban.network.program_supply_chain`), with their
    shallowest `tier`; criticality still counts every program. `spof`: the frame of
    `single_points_of_failure(network)` if the caller has it (computed otherwise).

    Returns `RISK_SCHEMA`: firm_id, name, country, status, tier (null without a program),
    fragility and criticality (1..5) with their rounded levels, risk (fragility x criticality,
    1..25), risk_level (`low` below `risk.medium_at`, `medium` below `risk.high_at`, else
    `high`), archetypes (tags in `ARCHETYPES` order), spof_programs, program_value_jpy (as in
    criticality), supplies (supply rows the firm takes part in), stale_supplies (those observed
    more than `stale_after_months` before `as_of`) and oldest_observed_at. Sorted by risk
    (highest first), then firm_id. RiskError for an empty dataset or an unknown program.
    Cost: that of the single-point-of-failure analysis plus O(n + m log m).
    """
    chain = _chain_tiers(network, program_id)
    assessment = _assess(network, config, as_of=as_of, spof=spof)
    # The evidence is sorted by firm and archetype already: keep that order.
    tags = (
        assessment.evidence.select("firm_id", "archetype")
        .unique(maintain_order=True)
        .group_by("firm_id", maintain_order=True)
        .agg(archetypes="archetype")
    )
    scores = pl.concat(
        [
            network.dataset.firms.select("firm_id", "name", "country", "status"),
            assessment.fragility.select("fragility", "fragility_level"),
            assessment.criticality.select(
                "criticality",
                "criticality_level",
                spof_programs="spof_programs_value",
                program_value_jpy="program_value_jpy_value",
            ),
            _supply_ages(network, config, as_of),
        ],
        how="horizontal",
    )
    frame = (
        scores.with_columns(risk=pl.col("fragility") * pl.col("criticality"))
        .with_columns(risk_level=_risk_level(config))
        .join(tags, on="firm_id", how="left", maintain_order="left")
    )
    if chain is not None:
        frame = frame.join(chain, on="firm_id", how="inner", maintain_order="left")
    else:
        frame = frame.with_columns(tier=pl.lit(None, pl.Int32))
    return (
        frame.with_columns(
            archetypes=pl.col("archetypes").fill_null(pl.lit([], pl.List(pl.String))),
        )
        .select(pl.col(name).cast(dtype) for name, dtype in RISK_SCHEMA.items())
        .sort(["risk", "firm_id"], descending=[True, False], nulls_last=True, maintain_order=True)
    )


def explain(
    network: SupplyNetwork,
    config: RiskConfig,
    firm_id: str,
    *,
    as_of: dt.date,
    spof: pl.DataFrame | None = None,
) -> FirmExplanation:
    """Why firm `firm_id` scores as it does (see `FirmExplanation`). Unknown firm: RiskError.

    `spof`: as for `firm_risk`. Cost: that of `firm_risk` (the archetypes of one firm depend
    on its suppliers' fragility, and its criticality on every program).
    """
    if network.n_firms == 0:
        raise RiskError("the dataset has no firms: import or generate one first")
    found = np.flatnonzero((network.firm_ids == firm_id).to_numpy())
    if not found.size:
        raise RiskError(f"no firm {firm_id!r} in the dataset")
    row = int(found[0])
    assessment = _assess(network, config, as_of=as_of, spof=spof)
    frag = assessment.fragility.row(row, named=True)
    crit = assessment.criticality.row(row, named=True)
    fragility_factors = factor_rows(
        assessment.fragility,
        [
            (name, getattr(config.fragility, name).weight, _measure(name, frag))
            for name in FRAGILITY_FACTORS
        ],
        row,
    )
    criticality_factors = factor_rows(
        assessment.criticality,
        [
            (name, getattr(config.criticality, name).weight, CRITICALITY_MEASURES[name])
            for name in CRITICALITY_FACTORS
        ],
        row,
    )
    risk = (
        frag["fragility"] * crit["criticality"]
        if frag["fragility"] is not None and crit["criticality"] is not None
        else None
    )
    touching = np.flatnonzero((network.supplier == row) | (network.customer == row))
    facts = network.dataset.firms.row(row, named=True)
    return FirmExplanation(
        firm_id=firm_id,
        name=str(facts["name"]),
        facts=facts,
        fragility=frag["fragility"],
        fragility_level=frag["fragility_level"],
        fragility_coverage=frag["fragility_coverage"],
        fragility_factors=fragility_factors,
        criticality=crit["criticality"],
        criticality_level=crit["criticality_level"],
        criticality_coverage=crit["criticality_coverage"],
        criticality_factors=criticality_factors,
        risk=risk,
        risk_level=None if risk is None else _level_of(config, risk),
        archetypes=assessment.evidence.filter(pl.col("firm_id") == firm_id).drop("firm_id"),
        spof=assessment.spof.filter(pl.col("firm_id") == firm_id).select(
            "program_id", "customer_id", "item_id", "reason", "tier"
        ),
        data_age=data_age(
            network, as_of=as_of, max_age_days=config.stale_after_days, rows=touching
        ),
        config_source=config.source,
    )


def _assess(
    network: SupplyNetwork,
    config: RiskConfig,
    *,
    as_of: dt.date,
    spof: pl.DataFrame | None,
) -> _Assessment:
    if network.n_firms == 0:
        raise RiskError("the dataset has no firms: import or generate one first")
    if spof is None:
        spof = (
            single_points_of_failure(network)
            if network.program_ids.len()
            else pl.DataFrame(schema=SPOF_SCHEMA)
        )
    frag = fragility(network, config)
    return _Assessment(
        fragility=frag,
        criticality=criticality(network, config, spof=spof),
        evidence=archetype_evidence(network, config, frag, as_of=as_of),
        spof=spof,
    )


def _chain_tiers(network: SupplyNetwork, program_id: str | None) -> pl.DataFrame | None:
    """firm_id and shallowest tier of the firms in `program_id`'s chain (None: no program)."""
    if program_id is None:
        return None
    try:
        network.program_index(program_id)
    except KeyError as error:
        raise RiskError(str(error.args[0])) from None
    return (
        program_supply_chain(network.dataset)
        .filter(pl.col("program_id") == program_id)
        .group_by("firm_id")
        .agg(pl.col("tier").min())
    )


def _supply_ages(network: SupplyNetwork, config: RiskConfig, as_of: dt.date) -> pl.DataFrame:
    """Per firm, in firm order: the supply rows it takes part in (`supplies`), how many of
    them are stale (`stale_supplies`), and the oldest observation (`oldest_observed_at`).

    A row counts once for its supplier and once for its customer (once if they are the same
    firm). O(n + m) with numpy over the CSR groupings.
    """
    observed = network.dataset.supplies.get_column("observed_at").to_physical()
    dated = observed.is_not_null().to_numpy()
    days = observed.fill_null(0).cast(pl.Int64).to_numpy()
    today = (as_of - dt.date(1970, 1, 1)).days
    stale = dated & (today - days > config.stale_after_days)
    n = network.n_firms
    itself = network.supplier == network.customer

    def per_firm(counted: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        weights = counted.astype(np.float64)
        twice = np.bincount(network.supplier, weights=weights, minlength=n) + np.bincount(
            network.customer, weights=weights, minlength=n
        )
        once = np.bincount(network.supplier[itself], weights=weights[itself], minlength=n)
        return (twice - once).astype(np.int64)

    never = np.iinfo(np.int64).max
    undated_last = np.where(dated, days, never)
    oldest = np.full(n, never)
    for grouping in (network.by_supplier, network.by_customer):
        has_rows = grouping.degree() > 0
        if has_rows.any():
            starts = grouping.indptr[:-1][has_rows]
            group_min = np.minimum.reduceat(undated_last[grouping.order], starts)
            oldest[has_rows] = np.minimum(oldest[has_rows], group_min)
    return pl.DataFrame(
        {
            "supplies": per_firm(np.ones(network.n_supplies, dtype=np.bool_)),
            "stale_supplies": per_firm(stale),
            "oldest_observed_at": pl.Series(np.where(oldest == never, 0, oldest))
            .cast(pl.Int32)
            .cast(pl.Date),
        }
    ).with_columns(
        oldest_observed_at=pl.when(pl.Series(oldest != never)).then("oldest_observed_at")
    )


def _risk_level(config: RiskConfig) -> pl.Expr:
    risk = pl.col("risk")
    return (
        pl.when(risk.is_null())
        .then(None)
        .when(risk < config.risk.medium_at)
        .then(pl.lit("low"))
        .when(risk < config.risk.high_at)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("high"))
    )


def _level_of(config: RiskConfig, risk: float) -> str:
    if risk < config.risk.medium_at:
        return "low"
    return "medium" if risk < config.risk.high_at else "high"


def _measure(name: str, fragility_row: Mapping[str, Any]) -> str:
    """What the value of fragility factor `name` is for this firm."""
    if name == "size" and fragility_row["size_basis"] == "revenue_jpy":
        return "revenue_jpy (employees unknown)"
    if name == "size" and fragility_row["size_basis"] == "employees":
        return "employees"
    return FRAGILITY_MEASURES[name]
