"""One line of headline risks per program, from the other risk analyses."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from kiban.errors import RiskError
from kiban.network import SupplyNetwork
from kiban.risk.config import RiskConfig
from kiban.risk.exposure import program_supply_rows
from kiban.risk.producibility import producibility
from kiban.risk.scores import firm_risk
from kiban.risk.sourcing import sourcing
from kiban.risk.spof import single_points_of_failure
from kiban.risk.staleness import data_age

SUMMARY_SCHEMA = pl.Schema(
    {
        "program_id": pl.String(),
        "name": pl.String(),
        "producible": pl.Boolean(),
        "firms": pl.UInt32(),
        "tiers": pl.Int32(),
        "spof": pl.UInt32(),
        "sole_source_items": pl.UInt32(),
        "foreign_value_share": pl.Float64(),
        "fragile_suppliers": pl.UInt32(),
        "stale_links": pl.UInt32(),
        "oldest_observed_at": pl.Date(),
    }
)
"""The columns of `program_summary`, in order."""


def program_summary(network: SupplyNetwork, config: RiskConfig, *, as_of: dt.date) -> pl.DataFrame:
    """Headline risks of every program, one row each.

    Columns: program_id, name; producible (DATASET.md's meaning); firms (in the chain, prime
    included) and tiers (deepest; 1 = the prime's direct suppliers); spof (firms whose exit
    alone stops the program, `kiban.risk.spof`); sole_source_items ((customer, item) pairs of
    the chain with a DoD sole source, `kiban.risk.sourcing`); foreign_value_share (share of
    the chain's annual supply value delivered from outside `config.home_country`);
    fragile_suppliers (firms of the chain whose fragility is at least
    `archetypes.fragile_supplier_at`); stale_links (supplies of the chain observed more than
    `config.stale_after_days` before `as_of`) and oldest_observed_at.

    Raises RiskError when the network holds no programs.
    """
    programs = network.dataset.programs
    if not programs.height:
        raise RiskError("no programs in the data: import a dataset with a programs table")
    spof = single_points_of_failure(network)
    spof_counts = dict(spof.group_by("program_id").len().iter_rows())
    producible = dict(producibility(network).select("program_id", "producible").iter_rows())
    sole = (
        sourcing(network, home_country=config.home_country)
        .filter(pl.col("sole_source"))
        .select("customer_id", "item_id")
    )
    risk = firm_risk(network, config, as_of=as_of, spof=spof).select("firm_id", "fragility")
    fragile_ids = set(
        risk.filter(pl.col("fragility") >= config.archetypes.fragile_supplier_at)
        .get_column("firm_id")
        .to_list()
    )
    foreign = (network.dataset.firms.get_column("country") != config.home_country).to_numpy()
    values = network.dataset.supplies.get_column("annual_value_jpy").fill_null(0).to_numpy()

    rows = []
    for program_id, name in programs.select("program_id", "name").iter_rows():
        chain_rows = program_supply_rows(network, program_id)
        row_index = chain_rows.get_column("row").to_numpy()
        suppliers = network.supplier[row_index]
        prime = network.program_prime[network.program_index(program_id)]
        firms = np.unique(np.append(suppliers, prime))
        firm_ids = set(network.firm_names(firms))
        chain_pairs = pl.DataFrame(
            {
                "customer_id": network.firm_names(network.customer[row_index]),
                "item_id": network.item_names(network.item[row_index]),
            }
        ).unique()
        total = float(values[row_index].sum())
        age = data_age(network, as_of=as_of, max_age_days=config.stale_after_days, rows=row_index)
        rows.append(
            {
                "program_id": program_id,
                "name": name,
                "producible": producible.get(program_id),
                "firms": len(firm_ids),
                "tiers": int(chain_rows.get_column("tier").to_numpy().max(initial=0)),
                "spof": spof_counts.get(program_id, 0),
                "sole_source_items": chain_pairs.join(sole, on=["customer_id", "item_id"]).height,
                "foreign_value_share": (
                    float(values[row_index][foreign[suppliers]].sum()) / total if total else None
                ),
                "fragile_suppliers": len(firm_ids & fragile_ids),
                "stale_links": age.stale,
                "oldest_observed_at": age.oldest,
            }
        )
    return pl.DataFrame(rows, schema=SUMMARY_SCHEMA, orient="row")
