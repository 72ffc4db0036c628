"""What a program's supply chain is made of: value and firms by tier, by country, and from
the countries the user is concerned about.

The chain is item-aware (DATASET.md's meaning, as `kiban.network.program_supply_chain` walks
it): the prime makes the end item; a firm that makes an item needs each of its `bom`
children, and the supplies of a child to that firm belong to the program. So a firm that
sells one part to the program and ten unrelated parts elsewhere brings only the one.

No list of countries is built in: which countries are "of concern" is a policy choice the
caller makes (the demo's configuration names one as an example).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from kiban.errors import RiskError
from kiban.network import SupplyNetwork, program_supply_chain
from kiban.risk.sourcing import HOME_COUNTRY, check_country_code
from kiban.risk.staleness import DataAge, data_age

PROGRAM_ROWS_SCHEMA = pl.Schema({"row": pl.Int64(), "tier": pl.Int32()})

BY_TIER_SCHEMA = pl.Schema(
    {
        "tier": pl.Int32(),
        "firms": pl.UInt32(),
        "supply_links": pl.UInt32(),
        "annual_value_jpy": pl.Float64(),
        "foreign_firms": pl.UInt32(),
        "foreign_value_jpy": pl.Float64(),
    }
)

BY_COUNTRY_SCHEMA = pl.Schema(
    {
        "country": pl.String(),
        "firms": pl.UInt32(),
        "annual_value_jpy": pl.Float64(),
        "value_share": pl.Float64(),
    }
)

CONCERN_ITEMS_SCHEMA = pl.Schema(
    {
        "customer_id": pl.String(),
        "item_id": pl.String(),
        "tier": pl.Int32(),
        "producing_sources": pl.UInt32(),
        "countries": pl.List(pl.String()),
        "annual_value_jpy": pl.Float64(),
    }
)


@dataclass(frozen=True)
class ConcernExposure:
    """A program's dependence on the countries of concern the caller named.

    `firms`: firms of the chain located in those countries; `annual_value_jpy` and
    `value_share`: value of the program's supplies delivered from there (share of the
    program's total, None when that is 0); `items_only_from_concern`: the (customer, item)
    pairs of the program whose producing sources are all in those countries, with columns
    customer_id, item_id, tier (of the supply), producing_sources, countries and
    annual_value_jpy.
    """

    countries: tuple[str, ...]
    firms: int
    annual_value_jpy: float
    value_share: float | None
    items_only_from_concern: pl.DataFrame


@dataclass(frozen=True)
class ProgramExposure:
    """The supply chain of one program by tier and by country (see `exposure`)."""

    program_id: str
    prime_id: str
    home_country: str
    firms: int
    supply_links: int
    annual_value_jpy: float
    foreign_value_jpy: float
    by_tier: pl.DataFrame
    by_country: pl.DataFrame
    concern: ConcernExposure
    data_age: DataAge | None

    @property
    def foreign_share(self) -> float | None:
        """Foreign value as a fraction of the program's value; None when that is 0."""
        return _share(self.foreign_value_jpy, self.annual_value_jpy)


def exposure(
    network: SupplyNetwork,
    program_id: str,
    *,
    countries_of_concern: Sequence[str] = (),
    home_country: str = HOME_COUNTRY,
    as_of: dt.date | None = None,
) -> ProgramExposure:
    """Firms and annual value of `program_id`'s supply chain by tier and country.

    The program's supplies are those of `program_supply_rows`. Counting rules:

    - A supply row's value counts once, at the row's tier (tier 1 = delivered to the prime);
      a row reached at several tiers takes the shallowest. Missing values count as 0.
    - A firm counts once, at its shallowest tier: tier 0 is the prime, so the prime is in
      `by_tier` (with no supplies of its own) and a prime that also supplies deeper in a loop
      is not counted again.
    - Foreign means `country != home_country`; `by_country` counts every firm of the chain
      (prime included) in its country and each supply's value in its supplier's country.

    So `by_tier` and `by_country` both sum to `firms` and `annual_value_jpy`.

    `by_tier`: tier, firms, supply_links (supply rows), annual_value_jpy, foreign_firms,
    foreign_value_jpy; by tier. `by_country`: country, firms, annual_value_jpy, value_share;
    by value, largest first. `data_age` is that of the program's supply rows on `as_of`, None
    when no `as_of` is given. Country codes must be ISO 3166-1 alpha-2, else RiskError; an
    unknown program or a program without its prime in the firms raises RiskError too.

    Cost: the chain traversal (a polars join per tier) and a join of its (firm, item) pairs
    with the bom and the supplies, O(m) for m supplies; milliseconds for the generated demo.
    """
    home = check_country_code(home_country, "home country")
    concern_countries = tuple(
        sorted({check_country_code(c, "country of concern") for c in countries_of_concern})
    )
    program = _program(network, program_id)
    chain_rows = program_supply_rows(network, program_id)
    rows = chain_rows.get_column("row").to_numpy()

    firms = network.dataset.firms
    country = firms.get_column("country")
    supplies = pl.DataFrame(
        {
            "row": rows,
            "tier": chain_rows.get_column("tier"),
            "customer": network.customer[rows],
            "item": network.item[rows],
            "supplier": network.supplier[rows],
            "country": country.gather(network.supplier[rows]),
            "producing": network.can_produce[network.supplier[rows]],
            "annual_value_jpy": network.dataset.supplies.get_column("annual_value_jpy")
            .gather(rows)
            .fill_null(0.0),
        }
    ).with_columns(foreign=pl.col("country") != home)
    chain_firms = _chain_firms(supplies, int(network.program_prime[program]))
    chain_firms = chain_firms.with_columns(
        country=country.gather(chain_firms.get_column("firm"))
    ).with_columns(foreign=pl.col("country") != home)

    total_value = float(supplies.get_column("annual_value_jpy").sum())
    concern_rows = pl.col("country").is_in(list(concern_countries))
    concern_value = float(supplies.filter(concern_rows).get_column("annual_value_jpy").sum())
    return ProgramExposure(
        program_id=program_id,
        prime_id=network.firm_names([network.program_prime[program]])[0],
        home_country=home,
        firms=chain_firms.height,
        supply_links=supplies.height,
        annual_value_jpy=total_value,
        foreign_value_jpy=float(supplies.filter("foreign").get_column("annual_value_jpy").sum()),
        by_tier=_by_tier(chain_firms, supplies),
        by_country=_by_country(chain_firms, supplies, total_value),
        concern=ConcernExposure(
            countries=concern_countries,
            firms=chain_firms.filter(concern_rows).height,
            annual_value_jpy=concern_value,
            value_share=_share(concern_value, total_value),
            items_only_from_concern=_only_from(network, supplies, concern_countries),
        ),
        data_age=None if as_of is None else data_age(network, as_of=as_of, rows=rows),
    )


def program_supply_rows(network: SupplyNetwork, program_id: str) -> pl.DataFrame:
    """The supply rows of `program_id`'s chain, each with its tier.

    A supply of item c by s to f belongs to the program when (f, p) is in the program's chain
    (`program_supply_chain`: f makes p for the program) and c is a `bom` child of p. Its tier
    is that of (f, p) plus one, the shallowest if several (f, p) need it: 1 for the prime's
    direct supplies.

    Returns columns row (index into `network.dataset.supplies` and the network's supply
    arrays) and tier, sorted by row. Unknown program or missing prime: RiskError.
    O(m) joins over the m supplies after the chain traversal.
    """
    program = _program(network, program_id)
    dataset = network.dataset
    one_program = dataclasses.replace(
        dataset,
        tables={**dataset.tables, "programs": dataset.programs[program : program + 1]},
    )
    chain = program_supply_chain(one_program)
    makers = pl.DataFrame(
        {
            "customer": network.firm_index(chain.get_column("firm_id")),
            "parent": network.item_index(chain.get_column("item_id")),
            "tier": chain.get_column("tier"),
        }
    )
    bom = pl.DataFrame({"parent": network.bom_parent, "item": network.bom_child}).unique()
    supplies = pl.DataFrame({"customer": network.customer, "item": network.item}).with_row_index(
        "row"
    )
    return (
        makers.join(bom, on="parent")
        .join(supplies, on=["customer", "item"])
        .group_by("row")
        .agg(tier=pl.col("tier").min() + 1)
        .sort("row")
        .cast(PROGRAM_ROWS_SCHEMA)
    )


def _program(network: SupplyNetwork, program_id: str) -> int:
    try:
        program = network.program_index(program_id)
    except KeyError as error:
        raise RiskError(error.args[0]) from None
    if network.program_prime[program] < 0:
        prime = network.dataset.programs.get_column("prime_id")[program]
        raise RiskError(f"program {program_id!r}: its prime {prime!r} is not among the firms")
    return program


def _chain_firms(supplies: pl.DataFrame, prime: int) -> pl.DataFrame:
    """Each firm of the chain once, with its shallowest tier (0 for the prime)."""
    prime_row = pl.DataFrame(
        {"firm": [prime], "tier": [0]}, schema={"firm": pl.Int32, "tier": pl.Int32}
    )
    suppliers = supplies.select(firm=pl.col("supplier").cast(pl.Int32), tier="tier")
    return pl.concat([prime_row, suppliers]).group_by("firm").agg(pl.col("tier").min())


def _by_tier(chain_firms: pl.DataFrame, supplies: pl.DataFrame) -> pl.DataFrame:
    firms = chain_firms.group_by("tier").agg(firms=pl.len(), foreign_firms=pl.col("foreign").sum())
    value = pl.col("annual_value_jpy")
    links = supplies.group_by("tier").agg(
        supply_links=pl.len(),
        annual_value_jpy=value.sum(),
        foreign_value_jpy=value.filter("foreign").sum(),
    )
    return (
        firms.join(links, on="tier", how="full", coalesce=True)
        .fill_null(0)
        .sort("tier")
        .select(pl.col(name).cast(dtype) for name, dtype in BY_TIER_SCHEMA.items())
    )


def _by_country(
    chain_firms: pl.DataFrame, supplies: pl.DataFrame, total_value: float
) -> pl.DataFrame:
    firms = chain_firms.group_by("country").agg(firms=pl.len())
    value = supplies.group_by("country").agg(pl.col("annual_value_jpy").sum())
    share = pl.col("annual_value_jpy") / total_value if total_value else pl.lit(None)
    return (
        firms.join(value, on="country", how="full", coalesce=True)
        .fill_null(0)
        .with_columns(value_share=share)
        .sort(["annual_value_jpy", "country"], descending=[True, False])
        .select(pl.col(name).cast(dtype) for name, dtype in BY_COUNTRY_SCHEMA.items())
    )


def _only_from(
    network: SupplyNetwork, supplies: pl.DataFrame, countries: tuple[str, ...]
) -> pl.DataFrame:
    """(customer, item) pairs whose producing sources are all in `countries` (one at least)."""
    producing = pl.col("producing")
    pairs = (
        supplies.group_by("customer", "item")
        .agg(
            tier=pl.col("tier").min(),
            producing_sources=pl.col("supplier").filter(producing).n_unique(),
            outside=(producing & ~pl.col("country").is_in(list(countries))).sum(),
            countries=pl.col("country").filter(producing).unique().sort(),
            annual_value_jpy=pl.col("annual_value_jpy").sum(),
        )
        .filter((pl.col("producing_sources") > 0) & (pl.col("outside") == 0))
        .sort("tier", "customer", "item")
    )
    return pairs.with_columns(
        customer_id=network.firm_ids.gather(pairs.get_column("customer")),
        item_id=network.item_ids.gather(pairs.get_column("item")),
    ).select(pl.col(name).cast(dtype) for name, dtype in CONCERN_ITEMS_SCHEMA.items())


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None
