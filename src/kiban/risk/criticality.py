"""Criticality of each firm: how hard its loss would be to bear, scored 1 (low) .. 5 (high).

The criticality half of the US DoD fragility-and-criticality (FaC) method ("difficulty of
replacing a product or service if disrupted"), measured on the supply network instead of by
a panel: the programs for which the firm is a single point of failure (`kiban.risk.spof`),
the annual value of those programs, the time to qualify a replacement for what it alone
supplies, and how many (customer, item) pairs it alone supplies. Combined like fragility, by
`kiban.risk.factors.combine`.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from kiban.errors import RiskError
from kiban.network import SupplyNetwork
from kiban.risk.config import RiskConfig
from kiban.risk.factors import FactorValues, FloatArray, combine
from kiban.risk.spof import single_points_of_failure

CRITICALITY_FACTORS = (
    "spof_programs",
    "program_value_jpy",
    "qualification_days",
    "sole_source_items",
)
"""The factors of criticality, in the order they are reported."""

MEASURES = {
    "spof_programs": "programs for which the firm is a single point of failure",
    "program_value_jpy": "annual value of those programs (annual_quantity x unit_price_jpy;"
    " a program without a value adds 0)",
    "qualification_days": "longest qualification_days of the items it alone supplies"
    " (items without one are passed over)",
    "sole_source_items": "(customer, item) pairs of which it is the only producing source",
}
"""What each factor's value is, in words."""

SOURCES_SCHEMA = pl.Schema(
    {
        "customer_id": pl.String(),
        "item_id": pl.String(),
        "supplier_id": pl.String(),
        "producing": pl.Boolean(),
    }
)


def criticality(
    network: SupplyNetwork, config: RiskConfig, *, spof: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The criticality of every firm of `network`, with each factor's part in it.

    `spof`: the frame of `kiban.risk.spof.single_points_of_failure(network)` (all programs)
    when the caller has it already; computed otherwise. It needs columns program_id, firm_id
    and item_id.

    Factors, known for every firm (what the data do not say counts as nothing, so each value
    is a lower bound and criticality never falls when more is found to be at stake):

    - spof_programs: programs whose production stops if the firm alone exits
    - program_value_jpy: sum of annual_quantity x unit_price_jpy over those programs (a
      program without a value adds 0)
    - qualification_days: the longest qualification_days of the items the firm is the only
      producing source of to some customer, or supplies as a single point of failure (items
      without a qualification time are passed over; 0 when there is none)
    - sole_source_items: (customer, item) pairs of which it is the only producing source, be
      the item made elsewhere or not (DoD sole or single source)

    Returns one row per firm, in firm order: firm_id, `criticality` (1..5, the weighted mean
    of the known factors' scores), `criticality_level`, `criticality_coverage`, then per
    factor f `f_value`, `f_score`, `f_weight` (used), `f_contribution`; and `spof_program_ids`
    (sorted list). Cost: that of the spof analysis, plus O(m) for m supplies.
    """
    if spof is None:
        spof = single_points_of_failure(network) if network.program_ids.len() else None
    spof = _spof_rows(spof)
    settings = config.criticality
    firms = network.firm_ids.to_frame("firm_id")
    programs = network.dataset.programs.select(
        "program_id", program_value=pl.col("annual_quantity") * pl.col("unit_price_jpy")
    )
    per_firm = (
        spof.select("program_id", "firm_id")
        .unique()
        .join(programs, on="program_id", how="left")
        .group_by("firm_id")
        .agg(
            spof_program_ids=pl.col("program_id").sort(),
            spof_programs=pl.len(),
            program_value_jpy=pl.col("program_value").fill_null(0.0).sum(),
        )
    )
    sources = only_sources(network)
    alone = sources.group_by("supplier_id").agg(sole_source_items=pl.len())
    qualifying = pl.concat(
        [
            sources.select(firm_id="supplier_id", item_id="item_id"),
            spof.select("firm_id", "item_id").drop_nulls(),
        ]
    ).unique()
    items = network.dataset.items.select("item_id", "qualification_days")
    qualification = (
        qualifying.join(items, on="item_id", how="left")
        .group_by("firm_id")
        .agg(qualification_days=pl.col("qualification_days").max())
    )
    table = (
        firms.join(per_firm, on="firm_id", how="left", maintain_order="left")
        .join(
            alone.rename({"supplier_id": "firm_id"}),
            on="firm_id",
            how="left",
            maintain_order="left",
        )
        .join(qualification, on="firm_id", how="left", maintain_order="left")
    )
    values: dict[str, FloatArray] = {
        "spof_programs": _float(table.get_column("spof_programs").fill_null(0)),
        "program_value_jpy": _float(table.get_column("program_value_jpy").fill_null(0.0)),
        "qualification_days": _float(table.get_column("qualification_days").fill_null(0)),
        "sole_source_items": _float(table.get_column("sole_source_items").fill_null(0)),
    }
    factors = [
        FactorValues(
            name,
            getattr(settings, name).weight,
            values[name],
            getattr(settings, name).scale.score(values[name]),
            MEASURES[name],
        )
        for name in CRITICALITY_FACTORS
    ]
    return pl.concat([firms, combine("criticality", factors)], how="horizontal").with_columns(
        spof_program_ids=table.get_column("spof_program_ids").fill_null(
            pl.lit([], pl.List(pl.String))
        )
    )


def only_sources(network: SupplyNetwork) -> pl.DataFrame:
    """The (customer, item) pairs with exactly one producing source, and that source.

    Columns customer_id, item_id, supplier_id, producing (always true), from
    `kiban.risk.sourcing` (an exited source does not count). O(m) for m supplies.
    """
    return sources_of_pairs(network).filter(
        pl.col("producing") & (pl.col("producing").sum().over("customer_id", "item_id") == 1)
    )


def sources_of_pairs(network: SupplyNetwork) -> pl.DataFrame:
    """Every distinct (customer, item, supplier) of the item-level supplies (`SOURCES_SCHEMA`).

    `producing` is false for an exited supplier. Firm-level supplies (no item) are left out.
    """
    item_level = network.item >= 0
    frame = pl.DataFrame(
        {
            "customer": network.customer[item_level],
            "item": network.item[item_level],
            "supplier": network.supplier[item_level],
        }
    ).unique(maintain_order=True)
    customer, item, supplier = (frame.get_column(c).to_numpy() for c in frame.columns)
    return pl.DataFrame(
        {
            "customer_id": network.firm_ids.gather(customer),
            "item_id": network.item_ids.gather(item),
            "supplier_id": network.firm_ids.gather(supplier),
            "producing": network.can_produce[supplier],
        },
        schema=SOURCES_SCHEMA,
    )


def _spof_rows(spof: pl.DataFrame | None) -> pl.DataFrame:
    columns = {"program_id": pl.String(), "firm_id": pl.String(), "item_id": pl.String()}
    if spof is None:
        return pl.DataFrame(schema=columns)
    missing = [c for c in columns if c not in spof.columns]
    if missing:
        raise RiskError(
            f"the single points of failure given lack the column(s) {', '.join(missing)}"
        )
    return spof.select(pl.col(c).cast(t) for c, t in columns.items())


def _float(values: pl.Series) -> FloatArray:
    return values.cast(pl.Float64).fill_null(np.nan).to_numpy()
