"""The US 2018 industrial-base risk archetypes that the data supports, with the evidence.

The report to the President under Executive Order 13806 ("Assessing and Strengthening the
Manufacturing and Defense Industrial Base and Supply Chain Resiliency of the United States",
DoD, September 2018) sorts some 300 vulnerabilities into ten risk archetypes. Eight of them can
be read off a kiban dataset; each tag below is defined in docs/risk-scores.md:

- sole_source: the firm is the only producing source of an item to a customer and no other
  firm in the data makes it (`kiban.risk.sourcing`'s sole_source)
- single_source: the firm is a customer's only producing source of an item that other firms
  make for other customers (sourcing's single_source)
- fragile_supplier: the firm's fragility is at least `archetypes.fragile_supplier_at`
- fragile_market: the firm buys an item whose producing sources are (at least
  `fragile_market_share` of them) fragile suppliers
- foreign_dependency: the firm buys an item only from sources outside the home country
- vanishing_sources: a source of an item the firm buys or makes is withdrawing or has exited
  (the firm itself included): the EO's "diminishing manufacturing sources"
- workforce_or_succession_gap: the firm has no successor (has_successor false)
- product_security: the firm's cyber level is below the standard, or its foreign ownership is
  at least `archetypes.foreign_ownership_at`

The remaining two (capacity-constrained supply market, erosion of US-based infrastructure)
need capacity and infrastructure data that the format does not hold.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from kiban.network import SupplyNetwork
from kiban.risk.config import RiskConfig
from kiban.risk.criticality import sources_of_pairs
from kiban.risk.fragility import FRAGILITY_FACTORS
from kiban.risk.sourcing import sourcing

ARCHETYPES = (
    "sole_source",
    "single_source",
    "fragile_supplier",
    "fragile_market",
    "foreign_dependency",
    "vanishing_sources",
    "workforce_or_succession_gap",
    "product_security",
)
"""The archetype tags, in the order they are listed."""

EVIDENCE_SCHEMA = pl.Schema(
    {"firm_id": pl.String(), "archetype": pl.String(), "evidence": pl.String()}
)


def archetype_evidence(
    network: SupplyNetwork, config: RiskConfig, fragility: pl.DataFrame, *, as_of: dt.date
) -> pl.DataFrame:
    """Every archetype tag of every firm, one row per piece of evidence.

    `fragility` is `kiban.risk.fragility.fragility(network, config)`. Returns columns
    firm_id, archetype, evidence (a sentence naming the items, firms and values behind the
    tag), sorted by firm (network order), archetype (`ARCHETYPES` order) and evidence. A firm
    without tags has no row. O(n + m log m) for n firms and m supplies.
    """
    names = _labels(network)
    firms = network.dataset.firms.select(
        "firm_id", "has_successor", "cyber_level", "foreign_ownership"
    )
    pairs = _pairs(network, config, fragility, as_of=as_of, names=names)
    parts = [
        _sourcing_tags(pairs),
        _fragile_suppliers(config, fragility),
        _fragile_markets(config, pairs),
        _foreign(config, pairs),
        _vanishing(pairs),
        firms.filter(pl.col("has_successor").not_()).select(
            "firm_id",
            archetype=pl.lit("workforce_or_succession_gap"),
            evidence=pl.lit("no successor for the business (has_successor false)"),
        ),
        _product_security(config, firms),
    ]
    order = pl.Enum(ARCHETYPES)
    firm_order = network.firm_ids.to_frame("firm_id").with_row_index("firm")
    return (
        pl.concat([p.select(EVIDENCE_SCHEMA.names()).cast(EVIDENCE_SCHEMA) for p in parts])
        .join(firm_order, on="firm_id")
        .sort(pl.col("firm"), pl.col("archetype").cast(order), pl.col("evidence"))
        .drop("firm")
    )


def _pairs(
    network: SupplyNetwork,
    config: RiskConfig,
    fragility: pl.DataFrame,
    *,
    as_of: dt.date,
    names: pl.DataFrame,
) -> pl.DataFrame:
    """Each (customer, item, supplier) with the pair's sourcing flags and labels."""
    flags = sourcing(
        network,
        as_of=as_of,
        home_country=config.home_country,
        max_age_days=config.stale_after_days,
    ).select(
        "customer_id",
        "item_id",
        "producing_sources",
        "network_sources",
        "sole_source",
        "single_source",
        "foreign_only",
        "countries",
    )
    items = network.dataset.items.select("item_id", item=pl.format("{} ({})", "item_id", "name"))
    suppliers = fragility.select(
        supplier_id="firm_id",
        fragile=pl.col("fragility") >= config.archetypes.fragile_supplier_at,
    )
    status = network.dataset.firms.select(supplier_id="firm_id", supplier_status="status")
    return (
        sources_of_pairs(network)
        .join(flags, on=["customer_id", "item_id"], how="left")
        .join(items, on="item_id", how="left")
        .join(suppliers, on="supplier_id", how="left")
        .join(status, on="supplier_id", how="left")
        .join(names.rename({"firm_id": "customer_id", "label": "customer"}), on="customer_id")
        .join(names.rename({"firm_id": "supplier_id", "label": "supplier"}), on="supplier_id")
    )


def _sourcing_tags(pairs: pl.DataFrame) -> pl.DataFrame:
    alone = pairs.filter("producing", pl.col("producing_sources") == 1)
    others = pl.col("network_sources") - 1
    return pl.concat(
        [
            alone.filter("sole_source").select(
                firm_id="supplier_id",
                archetype=pl.lit("sole_source"),
                evidence=pl.format(
                    "only source of {} for {}; no other firm in the data makes it",
                    "item",
                    "customer",
                ),
            ),
            alone.filter("single_source").select(
                firm_id="supplier_id",
                archetype=pl.lit("single_source"),
                evidence=pl.format(
                    "only source of {} for {}, although {} other firm(s) make it",
                    "item",
                    "customer",
                    others,
                ),
            ),
        ]
    )


def _fragile_suppliers(config: RiskConfig, fragility: pl.DataFrame) -> pl.DataFrame:
    threshold = config.archetypes.fragile_supplier_at
    # Name the factors that pushed the score up: those scored 4 or more.
    high = [
        pl.when(pl.col(f"{f}_score") >= 4).then(
            pl.format("{} {}", pl.lit(f), pl.col(f"{f}_score").round(1))
        )
        for f in FRAGILITY_FACTORS
    ]
    return fragility.filter(pl.col("fragility") >= threshold).select(
        "firm_id",
        archetype=pl.lit("fragile_supplier"),
        evidence=pl.format(
            "fragility {} (at or above {}); factors scored 4 or more: {}",
            pl.col("fragility").round(2),
            pl.lit(threshold),
            pl.concat_str(high, separator=", ", ignore_nulls=True).replace("", "none"),
        ),
    )


def _fragile_markets(config: RiskConfig, pairs: pl.DataFrame) -> pl.DataFrame:
    producing = pairs.filter("producing")
    markets = producing.group_by("customer_id", "customer", "item").agg(
        sources=pl.len(),
        fragile=pl.col("fragile").sum(),
        names=pl.col("supplier").filter("fragile").sort().str.join(", "),
    )
    share = pl.col("fragile") / pl.col("sources")
    return markets.filter(
        pl.col("fragile") > 0, share >= config.archetypes.fragile_market_share
    ).select(
        firm_id="customer_id",
        archetype=pl.lit("fragile_market"),
        evidence=pl.format(
            "{} of the {} producing source(s) of {} are fragile: {}",
            "fragile",
            "sources",
            "item",
            "names",
        ),
    )


def _foreign(config: RiskConfig, pairs: pl.DataFrame) -> pl.DataFrame:
    concern = list(config.countries_of_concern)
    markets = pairs.filter("foreign_only").unique(["customer_id", "item_id"])
    of_concern = pl.col("countries").list.set_intersection(pl.lit(concern, pl.List(pl.String)))
    note = (
        pl.when(of_concern.list.len() > 0)
        .then(pl.format(", including countries of concern ({})", of_concern.list.join(", ")))
        .otherwise(pl.lit(""))
    )
    return markets.select(
        firm_id="customer_id",
        archetype=pl.lit("foreign_dependency"),
        evidence=pl.format(
            "buys {} only from outside {} ({}){}",
            "item",
            pl.lit(config.home_country),
            pl.col("countries").list.join(", "),
            note,
        ),
    )


def _vanishing(pairs: pl.DataFrame) -> pl.DataFrame:
    leaving = pairs.filter(pl.col("supplier_status") != "active").select(
        "customer_id",
        "item_id",
        leaving_id="supplier_id",
        leaving="supplier",
        state=pl.when(pl.col("supplier_status") == "exited")
        .then(pl.lit("has exited"))
        .otherwise(pl.lit("is withdrawing")),
    )
    # Every source of such a pair makes the item for a customer that is losing a source.
    pair_sources = pairs.join(leaving, on=["customer_id", "item_id"])
    return pl.concat(
        [
            pair_sources.unique(["customer_id", "item_id", "leaving_id"]).select(
                firm_id="customer_id",
                archetype=pl.lit("vanishing_sources"),
                evidence=pl.format("buys {} from {}, which {}", "item", "leaving", "state"),
            ),
            pair_sources.select(
                firm_id="supplier_id",
                archetype=pl.lit("vanishing_sources"),
                evidence=pl.when(pl.col("supplier_id") == pl.col("leaving_id"))
                .then(pl.format("itself {}: source of {} for {}", "state", "item", "customer"))
                .otherwise(
                    pl.format(
                        "makes {} for {}, whose source {} {}",
                        "item",
                        "customer",
                        "leaving",
                        "state",
                    )
                ),
            ),
        ]
    )


def _product_security(config: RiskConfig, firms: pl.DataFrame) -> pl.DataFrame:
    standard = config.archetypes.cyber_standard_level
    owned = config.archetypes.foreign_ownership_at
    return pl.concat(
        [
            firms.filter(pl.col("cyber_level") < standard).select(
                "firm_id",
                archetype=pl.lit("product_security"),
                evidence=pl.format(
                    "cyber_level {} is below the standard ({})", "cyber_level", pl.lit(standard)
                ),
            ),
            firms.filter(pl.col("foreign_ownership") >= owned).select(
                "firm_id",
                archetype=pl.lit("product_security"),
                evidence=pl.format(
                    "foreign_ownership {} is at or above {}",
                    pl.col("foreign_ownership").round(3),
                    pl.lit(owned),
                ),
            ),
        ]
    )


def _labels(network: SupplyNetwork) -> pl.DataFrame:
    """firm_id and `F0123 (Gear Works)` for every firm."""
    return network.dataset.firms.select("firm_id", label=pl.format("{} ({})", "firm_id", "name"))
