"""How each customer sources each item: how many makers, where, and whether they are leaving.

The flags follow the US vocabulary of industrial-base risk (DoD, "Assessing and Strengthening
the Manufacturing and Defense Industrial Base and Supply Chain Resiliency", 2018, and the
fragility-and-criticality method): a *sole source* is the only maker of an item anywhere, a
*single source* the only maker a customer uses although qualified alternatives exist
elsewhere. The 2023 Act's supply-chain measures ask the same questions: which inputs depend on
one maker, which come only from abroad, which makers are about to leave.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from kiban.dataset.validate import country_codes
from kiban.errors import RiskError
from kiban.network import BoolArray, FloatArray, IndexArray, IntArray, SupplyNetwork
from kiban.risk.staleness import DEFAULT_MAX_AGE_DAYS

HOME_COUNTRY = "JP"

SOURCING_SCHEMA = pl.Schema(
    {
        "customer_id": pl.String(),
        "item_id": pl.String(),
        "sources": pl.UInt32(),
        "producing_sources": pl.UInt32(),
        "network_sources": pl.UInt32(),
        "sole_source": pl.Boolean(),
        "single_source": pl.Boolean(),
        "no_source": pl.Boolean(),
        "foreign_only": pl.Boolean(),
        "single_region": pl.Boolean(),
        "region": pl.String(),
        "withdrawing_sources": pl.UInt32(),
        "exited_sources": pl.UInt32(),
        "qualification_days": pl.Int64(),
        "custom": pl.Boolean(),
        "countries": pl.List(pl.String()),
        "annual_value_jpy": pl.Float64(),
        "observed_at": pl.Date(),
        "age_days": pl.Int32(),
        "stale": pl.Boolean(),
    }
)
"""The columns of `sourcing`, in order."""


def sourcing(
    network: SupplyNetwork,
    *,
    as_of: dt.date | None = None,
    home_country: str = HOME_COUNTRY,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
) -> pl.DataFrame:
    """One row per (customer, item) of the item-level supplies: who can still deliver it.

    A *source* is a distinct supplier of the item to the customer; it is *producing* unless
    its status is `exited` (a `withdrawing` source still produces and is counted in
    `withdrawing_sources` as well). Firm-level supplies (no item) are left out, so a national
    network without items gives an empty frame.

    Columns (`SOURCING_SCHEMA`):

    - customer_id, item_id
    - sources, producing_sources: distinct suppliers, and those not exited
    - network_sources: distinct producing firms that supply the item to anyone in the network
    - sole_source: exactly one producing source and it is the item's only producing supplier
      in the network (DoD "sole source": no alternative exists)
    - single_source: exactly one producing source while other firms supply the item elsewhere
      (DoD "single source": alternatives exist but this customer does not use them)
    - no_source: no producing source (every source has exited)
    - foreign_only: at least one producing source and none in `home_country`
    - region: the region every producing source is in (one source included); null when they
      are in several, when any has no region (it may be anywhere), or when none produces. A
      region is read within its country, so `Aichi` in JP and a like-named region abroad differ.
    - single_region: `region` is set and there are two or more producing sources (with one
      source, `single_source`/`sole_source` already says it)
    - withdrawing_sources, exited_sources: distinct suppliers with that status
    - qualification_days, custom: the item's (time to qualify a new source; defense-only)
    - countries: sorted distinct countries of the producing sources
    - annual_value_jpy: sum over the rows (null when no row has a value)
    - observed_at: the oldest observation of the rows (null when none is dated)
    - age_days, stale: `as_of - observed_at` and whether it exceeds `max_age_days`; null
      when `as_of` is not given or the rows are undated

    Rows are in network order (customer row, then item row of the dataset). Cost: a sort of
    the m item-level supplies by supplier within (customer, item), which the network's CSR
    order has nearly done, then segment sums over numpy arrays: O(m log m), 0.03 s for the
    55k supplies of the generated demo and about 2.5 CPU-seconds for 5M item-level supplies
    (benchmarks/bench_sourcing.py).
    """
    home = check_country_code(home_country, "home country")
    if max_age_days < 0:
        raise RiskError(f"the maximum age of data must be 0 days or more, not {max_age_days}")
    rows = _Rows.of(network)
    if not rows.n_pairs:  # a firm-level network: skip the per-firm lookups
        return pl.DataFrame(schema=SOURCING_SCHEMA)
    firms = network.dataset.firms
    producing = network.can_produce[rows.distinct_supplier]
    withdrawing = (firms.get_column("status") == "withdrawing").to_numpy()
    at_home = (firms.get_column("country") == home).to_numpy()
    sources = rows.count_sources(np.ones_like(producing))
    producing_sources = rows.count_sources(producing)
    places = _producing_places(network, rows, producing)
    supplies = network.dataset.supplies
    values = supplies.get_column("annual_value_jpy").cast(pl.Float64).to_numpy()[rows.order]
    observed = supplies.get_column("observed_at").to_physical().cast(pl.Float64).to_numpy()
    observed = observed[rows.order]
    items = network.dataset.items[rows.pair_item].select("qualification_days", "custom")

    result = pl.DataFrame(
        {
            "customer_id": network.firm_ids.gather(rows.pair_customer),
            "item_id": network.item_ids.gather(rows.pair_item),
            "sources": sources,
            "producing_sources": producing_sources,
            "network_sources": _network_sources(network, rows, producing),
            "withdrawing_sources": rows.count_sources(withdrawing[rows.distinct_supplier]),
            "exited_sources": sources - producing_sources,
            "home_sources": rows.count_sources(producing & at_home[rows.distinct_supplier]),
            "region": places,
            "countries": _countries(network, rows, producing),
            "annual_value_jpy": pl.Series(rows.sum_known(values), nan_to_null=True),
            "observed_at": pl.Series(rows.min_known(observed), nan_to_null=True)
            .cast(pl.Int32)
            .cast(pl.Date),
        }
    ).hstack(items)
    n_producing = pl.col("producing_sources")
    age = (pl.lit(as_of, dtype=pl.Date) - pl.col("observed_at")).dt.total_days()
    return (
        result.with_columns(
            sole_source=(n_producing == 1) & (pl.col("network_sources") == 1),
            single_source=(n_producing == 1) & (pl.col("network_sources") > 1),
            no_source=n_producing == 0,
            foreign_only=(n_producing > 0) & (pl.col("home_sources") == 0),
            single_region=pl.col("region").is_not_null() & (n_producing >= 2),
            age_days=age,
        )
        .with_columns(stale=pl.col("age_days") > max_age_days)
        .select(pl.col(name).cast(dtype) for name, dtype in SOURCING_SCHEMA.items())
    )


def check_country_code(code: str, what: str = "country") -> str:
    """`code` if it is an ISO 3166-1 alpha-2 code (`JP`, `US`), else RiskError."""
    if code not in country_codes():
        raise RiskError(
            f"{what} {code!r} is not an ISO 3166-1 alpha-2 country code (such as JP or US)"
        )
    return code


@dataclass(frozen=True, eq=False)
class _Rows:
    """The item-level supply rows sorted by (customer, item, supplier), as segments.

    `order[k]` is the supply row at sorted position k and `pair[k]` numbers its (customer,
    item), 0, 1, ... in network order; `pair_start` is where each pair's rows begin. Each
    distinct (customer, item, supplier) appears once in `distinct_pair`/`distinct_supplier`:
    the sources of pair p are `distinct_supplier[distinct_pair == p]`.
    """

    order: IndexArray
    pair: IndexArray
    pair_start: IndexArray
    pair_customer: IntArray
    pair_item: IntArray
    distinct_pair: IndexArray
    distinct_supplier: IntArray

    @classmethod
    def of(cls, network: SupplyNetwork) -> _Rows:
        # by_customer already groups rows by customer, then item; sort each group by supplier
        # (pair ids are below 2^31 and firms too, so the combined key fits in int64).
        grouped = network.by_customer.order
        order = grouped[network.item[grouped] >= 0].astype(np.int64)
        customer, item = network.customer[order], network.item[order]
        new_pair = _starts(customer, item)
        pair = np.cumsum(new_pair) - 1
        supplier = network.supplier[order]
        within = np.argsort(pair * max(network.n_firms, 1) + supplier, kind="stable")
        order, supplier = order[within], supplier[within]
        pair_start = np.flatnonzero(new_pair)
        distinct = _starts(pair, supplier)
        return cls(
            order=order,
            pair=pair,
            pair_start=pair_start,
            pair_customer=customer[pair_start],
            pair_item=item[pair_start],
            distinct_pair=pair[distinct],
            distinct_supplier=supplier[distinct],
        )

    @property
    def n_pairs(self) -> int:
        return int(self.pair_start.size)

    def count_sources(self, flag: BoolArray) -> IndexArray:
        """Per pair, the distinct sources for which `flag` (one per distinct source) holds."""
        return np.bincount(self.distinct_pair[flag], minlength=self.n_pairs)

    def sum_known(self, values: FloatArray) -> FloatArray:
        """Per pair, the sum of the rows' `values` ignoring NaN; NaN when every one is NaN."""
        known = ~np.isnan(values)
        total = np.bincount(self.pair, weights=np.where(known, values, 0.0), minlength=self.n_pairs)
        counted = np.bincount(self.pair, weights=known, minlength=self.n_pairs)
        return np.where(counted > 0, total, np.nan)

    def min_known(self, values: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
        """Per pair, the least of the rows' `values` ignoring NaN; NaN when every one is NaN."""
        filled = np.where(np.isnan(values), np.inf, values)
        least = np.minimum.reduceat(filled, self.pair_start) if self.n_pairs else filled[:0]
        return np.where(np.isinf(least), np.nan, least)


def _starts(*keys: npt.NDArray[np.integer[Any]]) -> BoolArray:
    """True where any of `keys` (equally long, sorted together) differs from the row before."""
    size = keys[0].size
    new = np.zeros(size, dtype=np.bool_)
    if size:
        new[0] = True
        for key in keys:
            new[1:] |= key[1:] != key[:-1]
    return new


def _network_sources(network: SupplyNetwork, rows: _Rows, producing: BoolArray) -> IndexArray:
    """Per pair, the distinct producing firms that supply its item to anyone."""
    item = rows.pair_item[rows.distinct_pair[producing]].astype(np.int64)
    # polars' hash unique: numpy's is several times slower on millions of keys.
    n_firms = max(network.n_firms, 1)
    pairs = pl.Series(item * n_firms + rows.distinct_supplier[producing])
    makers = pairs.unique().to_numpy().astype(np.int64)
    per_item = np.bincount(makers // n_firms, minlength=network.n_items)
    return per_item[rows.pair_item]


def _producing_places(network: SupplyNetwork, rows: _Rows, producing: BoolArray) -> pl.Series:
    """Per pair, the region all its producing sources share (within one country), else null.

    Sources share a place when they share both country and region, so each is compared on
    its own (category codes; -1 for no region) rather than joined into one key.
    """
    firms = network.dataset.firms
    pair = rows.distinct_pair[producing]
    supplier = rows.distinct_supplier[producing]
    starts = np.flatnonzero(_starts(pair))
    one_place = np.zeros(rows.n_pairs, dtype=np.bool_)
    one_place[pair[starts]] = True
    for column in ("country", "region"):
        code = firms.get_column(column).cast(pl.Categorical).to_physical().cast(pl.Int64)
        where = code.fill_null(-1).to_numpy().astype(np.int64)[supplier]
        if starts.size:
            lowest = np.minimum.reduceat(where, starts)
            same = (lowest == np.maximum.reduceat(where, starts)) & (lowest >= 0)
            one_place[pair[starts]] &= same
    first_source = np.zeros(rows.n_pairs, dtype=np.int64)
    first_source[pair[starts]] = supplier[starts]
    region = firms.get_column("region").gather(first_source)
    return region.to_frame().select(pl.when(pl.Series(one_place)).then("region")).to_series()


def _countries(network: SupplyNetwork, rows: _Rows, producing: BoolArray) -> pl.Series:
    """Per pair, the sorted distinct countries of its producing sources (a list column)."""
    country = network.dataset.firms.get_column("country")
    names = country.unique().sort()
    codes = country.replace_strict(names, pl.int_range(names.len(), eager=True))
    code = codes.to_numpy().astype(np.int64)
    pair = rows.distinct_pair[producing]
    # Keys come grouped by pair already, so a merge sort (timsort) has little to do.
    key = np.sort(
        pair * max(names.len(), 1) + code[rows.distinct_supplier[producing]], kind="stable"
    )
    key = key[_starts(key)]
    offsets = np.zeros(rows.n_pairs + 1, dtype=np.int64)
    np.cumsum(np.bincount(key // max(names.len(), 1), minlength=rows.n_pairs), out=offsets[1:])
    values = names.gather(key % max(names.len(), 1)).cast(pl.String).to_arrow()
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values)
    return pl.Series("countries", lists)
