"""A synthetic national inter-firm network, calibrated to Japan's published production network.

`generate_national(firms, seed)` builds a `Dataset` of firms and firm-level supplies (no items,
bill of materials or programs), the kind of network the simulation runs on at national scale;
`network_statistics(dataset)` measures what a network achieved beside the published targets
(`production_network_stats.csv`, loaded with `kiban.reference.load`).

Targets (Japan, TSR and TDB data, about a million firms):

- links per firm 4.0-5.0 (TDB: 4M links / 1M firms; Takayasu et al.: 4.5; TSR: 5M / 1M);
- heavy-tailed in- and out-degrees, cumulative (CCDF) exponent about 1.3 (Takayasu et al.;
  Fujiwara & Aoyama 2010: 1.3-1.4);
- sales growing with degree, sales proportional to degree^1.3 (Watanabe et al. 2014);
- a giant strongly connected core with in- and out-shells (the "walnut" of Fujiwara & Aoyama
  2010), and local structure: many small firms trade only within their community
  (Chakraborty et al. 2017).

Method: a directed Chung-Lu (configuration-style) model (Chung & Lu 2002) with power-law
weights. Each firm draws a size from a Pareto law of tail index 1.3; its out-weight (as a
supplier) and in-weight (as a customer) are that size times independent log-normal noise, so
in- and out-degrees are correlated, as in the data. Every firm first gets one anchor link (as
supplier or customer, with equal odds) so that no firm is isolated; the other links pick the
supplier in proportion to out-weight and the customer in proportion to in-weight, within a
group that depends on the kind of link:

- sector chain and same prefecture: the customer's sector drawn from the supplier sector's
  row of `SECTOR_FLOW` (mostly one stage downstream), in the supplier's prefecture;
- sector chain, anywhere;
- same prefecture, any sector;
- anywhere.

Repeated (supplier, customer) pairs and self-loops are dropped and more links drawn until the
count is reached. Sales: revenue = c * degree^1.3 * log-normal noise; a share of it (final
demand, `final_demand_jpy`) goes to final users, the rest is split over the firm's customers
in proportion to their revenue (`annual_value_jpy`); a firm whose purchases would exceed 85%
of its revenue has its revenue (and final demand) raised so that value added stays positive.
So, per firm, revenue = final demand + sum of its supplies' values, which is the baseline of
the Inoue-Todo propagation model (output = final demand + sales to customers).

Sector shares, prefecture shares, the sector flows and the link-kind mix are assumptions of
the generator (rounded, published-ish orders of magnitude), not figures from a source.
Everything is vectorised numpy/polars: time and memory grow as O((firms + links) log links);
1M firms and about 4.75M links take a few seconds (`benchmarks/bench_national.py`).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy.sparse import csr_array  # type: ignore[import-untyped]
from scipy.sparse.csgraph import (  # type: ignore[import-untyped]
    breadth_first_order,
    connected_components,
)

from kiban.dataset.model import Dataset
from kiban.errors import GeneratorError

SOURCE = "kiban.reference.national (synthetic)"
OBSERVED_AT = date(2025, 3, 31)

LINKS_PER_FIRM = 4.75
"""Links drawn per firm: between TDB's 4.0, Takayasu's 4.5 and TSR's 5.0."""
DEGREE_TAIL_INDEX = 1.15
"""Pareto tail index of firm size, hence the CCDF exponent of in- and out-degree."""
SALES_DEGREE_EXPONENT = 1.3
"""Sales proportional to degree^1.3 (Watanabe et al. 2014)."""
LINK_KIND_MIX = (0.30, 0.20, 0.20, 0.30)
"""Shares of links (after the anchors): sector chain in prefecture, sector chain, same
prefecture, anywhere. Assumed; tuned so the core and the shells look like the data."""
MAX_PURCHASE_SHARE = 0.85
"""A firm buys at most this share of its revenue from other firms (value added >= 15%)."""
ROLE_MIX = (0.55, 0.20, 0.25)
"""Shares of firms that both buy and sell in the network, that mostly sell into it (in-shell),
and that mostly buy from it (out-shell). Assumed; tuned to a core of about half the firms."""
SHELL_DAMPING = 0.02
"""Weight left to a shell firm on its weak side (buying for the in-shell, selling for the out)."""
DEGREE_TAIL_MIN = 10
"""The smallest degree in the tail fit of `network_statistics`."""

# (sector, share of firms, stage in the chain: 0 raw materials ... 4 final users' services).
SECTORS: tuple[tuple[str, float, int], ...] = (
    ("agriculture, forestry and fishery", 0.020, 0),
    ("mining and quarrying", 0.005, 0),
    ("food and beverages", 0.030, 1),
    ("textiles and apparel", 0.015, 1),
    ("chemicals and plastics", 0.020, 1),
    ("iron, steel and non-ferrous metals", 0.010, 1),
    ("electricity, gas and water", 0.003, 1),
    ("metal products", 0.030, 2),
    ("machinery", 0.040, 2),
    ("electronic and electrical equipment", 0.025, 2),
    ("other manufacturing", 0.030, 2),
    ("information and communications", 0.040, 2),
    ("transport and logistics", 0.040, 2),
    ("transport equipment", 0.010, 3),
    ("construction", 0.200, 3),
    ("wholesale trade", 0.150, 3),
    ("finance, insurance and real estate", 0.060, 3),
    ("retail trade", 0.120, 4),
    ("services", 0.180, 4),
)

# Rough share of Japan's firms by prefecture (assumed, rounded): Tokyo and Osaka lead.
PREFECTURES: dict[str, float] = {
    "Tokyo": 11.0, "Osaka": 7.5, "Aichi": 6.0, "Kanagawa": 5.0, "Saitama": 4.2,
    "Hokkaido": 4.0, "Fukuoka": 3.8, "Hyogo": 3.8, "Chiba": 3.4, "Shizuoka": 3.0,
    "Hiroshima": 2.3, "Kyoto": 2.0, "Ibaraki": 2.0, "Niigata": 2.0, "Nagano": 1.9,
    "Miyagi": 1.6, "Gifu": 1.7, "Gunma": 1.6, "Tochigi": 1.5, "Okayama": 1.4,
    "Fukushima": 1.5, "Mie": 1.3, "Kumamoto": 1.2, "Kagoshima": 1.2, "Okinawa": 1.0,
    "Yamaguchi": 1.0, "Ehime": 1.0, "Nagasaki": 1.0, "Shiga": 0.9, "Aomori": 0.9,
    "Iwate": 0.9, "Oita": 0.9, "Ishikawa": 0.9, "Yamagata": 0.9, "Miyazaki": 0.8,
    "Toyama": 0.8, "Nara": 0.7, "Akita": 0.7, "Kagawa": 0.7, "Wakayama": 0.7,
    "Saga": 0.6, "Yamanashi": 0.6, "Fukui": 0.6, "Tokushima": 0.5, "Kochi": 0.5,
    "Shimane": 0.5, "Tottori": 0.4,
}  # fmt: skip

# Foreign counterparts: a small share of the network's firms (assumed).
FOREIGN_SHARE = 0.01
FOREIGN_COUNTRIES: dict[str, float] = {
    "CN": 30, "US": 20, "KR": 12, "TW": 10, "DE": 8, "TH": 6, "VN": 5, "SG": 5, "GB": 4,
}  # fmt: skip


def _sector_flow() -> NDArray[np.float64]:
    """Row s: the chance that a sector-chain link from a supplier in sector s goes to each
    customer sector. Weight = the customer sector's share times an affinity for one stage
    downstream (3), the same sector (2), the same stage (1.5), further downstream (1) or
    upstream (0.3). An assumption, in the spirit of an input-output table."""
    share = np.array([s[1] for s in SECTORS])
    stage = np.array([s[2] for s in SECTORS])
    step = stage[None, :] - stage[:, None]
    affinity = np.select([step == 1, step == 0, step > 1], [3.0, 1.5, 1.0], default=0.3)
    np.fill_diagonal(affinity, 2.0)
    flow = affinity * share[None, :]
    normalised: NDArray[np.float64] = flow / flow.sum(axis=1, keepdims=True)
    return normalised


SECTOR_FLOW = _sector_flow()


def generate_national(firms: int, seed: int) -> Dataset:
    """A synthetic national network of `firms` firms and about 4.75 links per firm.

    Inputs: `firms` >= 2, `seed` >= 0 (the same seed gives the same dataset). Output: a
    `Dataset` with `firms` (every column of the format; `synthetic` true) and firm-level
    `supplies` (no `item_id`; distinct (supplier, customer) pairs, no self-loops; yen per year,
    lead times in days). Method and sources: the module docstring. Complexity
    O((firms + links) log links) time, O(firms + links) memory.

    >>> ds = generate_national(200, seed=1)
    >>> ds.row_counts()["firms"], ds.row_counts()["supplies"]
    (200, 950)
    """
    if isinstance(firms, bool) or not isinstance(firms, int) or firms < 2:
        raise GeneratorError(f"firms must be an integer of at least 2, got {firms!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise GeneratorError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng(seed)
    n = firms
    links = min(round(LINKS_PER_FIRM * n), n * (n - 1))

    sector = rng.choice(len(SECTORS), n, p=_normalised([s[1] for s in SECTORS]))
    foreign = rng.random(n) < FOREIGN_SHARE
    region = rng.choice(len(PREFECTURES), n, p=_normalised(list(PREFECTURES.values())))
    region[foreign] = len(PREFECTURES)  # one "abroad" group for locality
    size = (1.0 - rng.random(n)) ** (-1.0 / DEGREE_TAIL_INDEX)
    # Roles: some firms mostly sell to the network (their inputs come from outside it, e.g.
    # farms, mines, importers), some mostly buy (retail, services to households); they make
    # the in- and out-shells around the core.
    role = rng.choice(3, n, p=np.asarray(ROLE_MIX))
    w_out = size * rng.lognormal(0.0, 0.5, n) * np.where(role == 2, SHELL_DAMPING, 1.0)
    w_in = size * rng.lognormal(0.0, 0.5, n) * np.where(role == 1, SHELL_DAMPING, 1.0)

    supplier, customer = _draw_links(rng, n, links, sector, region, role, w_out, w_in)
    firm_frame, supply_frame = _attributes(
        rng, n, seed, sector, region, foreign, supplier, customer
    )
    return Dataset.from_frames(
        {"firms": firm_frame, "supplies": supply_frame}, source=f"{SOURCE}, seed {seed}"
    )


def _normalised(weights: list[float]) -> NDArray[np.float64]:
    array = np.asarray(weights, dtype=np.float64)
    normalised: NDArray[np.float64] = array / array.sum()
    return normalised


def _sorted_unique(values: NDArray[np.int64]) -> NDArray[np.int64]:
    """The distinct values, sorted (a sort and a mask: faster here than `np.unique`)."""
    ordered = np.sort(values)
    keep = np.ones(ordered.size, dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    distinct: NDArray[np.int64] = ordered[keep]
    return distinct


class _GroupSampler:
    """Draws firms in proportion to `weight` within a group (an int per firm), vectorised:
    firms sorted by group, one cumulative sum, a uniform in the group's slice of it, a
    binary search. A group with no weight falls back to all firms."""

    def __init__(self, group: NDArray[np.int64], groups: int, weight: NDArray[np.float64]):
        self.order = np.argsort(group, kind="stable")
        self.cumulative = np.cumsum(weight[self.order])
        bounds = np.searchsorted(group[self.order], np.arange(groups + 1))
        padded = np.concatenate(([0.0], self.cumulative))
        self.low = padded[bounds[:-1]]
        self.high = padded[bounds[1:]]

    def draw(self, rng: np.random.Generator, target: NDArray[np.int64]) -> NDArray[np.int64]:
        low, high = self.low[target], self.high[target]
        empty = high <= low
        low = np.where(empty, 0.0, low)
        high = np.where(empty, self.cumulative[-1], high)
        u = low + rng.random(target.size) * (high - low)
        position = np.searchsorted(self.cumulative, u, side="right")
        chosen: NDArray[np.int64] = self.order[np.minimum(position, self.order.size - 1)]
        return chosen


def _draw_links(
    rng: np.random.Generator,
    n: int,
    links: int,
    sector: NDArray[np.int64],
    region: NDArray[np.int64],
    role: NDArray[np.int64],
    w_out: NDArray[np.float64],
    w_in: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """`links` distinct (supplier, customer) pairs without self-loops, anchors first."""
    sectors, regions = len(SECTORS), len(PREFECTURES) + 1
    suppliers_any = _GroupSampler(np.zeros(n, dtype=np.int64), 1, w_out)
    customers_any = _GroupSampler(np.zeros(n, dtype=np.int64), 1, w_in)
    by_sector_region = _GroupSampler(sector * regions + region, sectors * regions, w_in)
    by_sector = _GroupSampler(sector, sectors, w_in)
    by_region = _GroupSampler(region, regions, w_in)
    flow_cum = np.cumsum(SECTOR_FLOW, axis=1)
    flow_cum[:, -1] = 1.0
    flow_flat = (flow_cum + np.arange(sectors)[:, None]).ravel()

    # Anchors: each firm once, as supplier or as customer, with a partner in its prefecture.
    firm = np.arange(n, dtype=np.int64)
    partner = by_region.draw(rng, region)
    partner = np.where(partner == firm, (partner + 1) % n, partner)
    as_supplier = np.where(role == 0, rng.random(n) < 0.5, role == 1)
    anchor_s = np.where(as_supplier, firm, partner)
    anchor_c = np.where(as_supplier, partner, firm)
    keys = _sorted_unique(anchor_s * n + anchor_c)

    # Rounds, not loops over links: draw a batch, keep pairs not seen yet, merge, repeat
    # until the count is reached (repeats concentrate among the hubs).
    while keys.size < links:
        want = links - keys.size
        batch = int(want * 1.15) + 16
        s = suppliers_any.draw(rng, np.zeros(batch, dtype=np.int64))
        kind = rng.choice(4, batch, p=np.asarray(LINK_KIND_MIX))
        u = rng.random(batch)
        target_sector = (
            np.searchsorted(flow_flat, sector[s] + u, side="right") - sector[s] * sectors
        )
        target_sector = np.clip(target_sector, 0, sectors - 1)
        c = np.empty(batch, dtype=np.int64)
        for k, (sampler, target) in enumerate(
            (
                (by_sector_region, target_sector * regions + region[s]),
                (by_sector, target_sector),
                (by_region, region[s]),
                (customers_any, np.zeros(batch, dtype=np.int64)),
            )
        ):
            chosen = kind == k
            c[chosen] = sampler.draw(rng, target[chosen])
        fresh = _sorted_unique((s * n + c)[s != c])
        position = np.minimum(np.searchsorted(keys, fresh), keys.size - 1)
        fresh = fresh[keys[position] != fresh]
        if fresh.size > want:
            fresh = np.sort(rng.choice(fresh, want, replace=False))
        keys = np.sort(np.concatenate((keys, fresh)))
    return keys // n, keys % n


def _attributes(
    rng: np.random.Generator,
    n: int,
    seed: int,
    sector: NDArray[np.int64],
    region: NDArray[np.int64],
    foreign: NDArray[np.bool_],
    supplier: NDArray[np.int64],
    customer: NDArray[np.int64],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The firms and supplies frames: sales from degree, values from sales."""
    out_degree = np.bincount(supplier, minlength=n)
    in_degree = np.bincount(customer, minlength=n)
    degree = np.maximum(out_degree + in_degree, 1)
    # Revenue: about 100 million yen at degree 1 (a typical small firm), times degree^1.3.
    revenue = (
        1.0e8 * degree.astype(np.float64) ** SALES_DEGREE_EXPONENT * rng.lognormal(0.0, 0.7, n)
    )
    final_share = np.where(out_degree == 0, 1.0, rng.beta(2.0, 4.0, n))
    intermediate = revenue * (1.0 - final_share)
    # Split a supplier's intermediate sales over its customers in proportion to their revenue.
    customer_weight = revenue[customer]
    per_supplier = np.bincount(supplier, weights=customer_weight, minlength=n)
    value = intermediate[supplier] * customer_weight / per_supplier[supplier]
    purchases = np.bincount(customer, weights=value, minlength=n)
    revenue = np.maximum(revenue, purchases / MAX_PURCHASE_SHARE)
    final_demand = np.maximum(revenue - intermediate, 0.0)

    width = len(str(n - 1))
    ids = pl.Series("firm_id", np.arange(n)).cast(pl.String).str.zfill(width)
    ids = ("N" + ids).rename("firm_id")
    # Text columns by gathering from a few names: no per-firm Python strings.
    countries = pl.Series(["JP", *FOREIGN_COUNTRIES])
    foreign_country = 1 + rng.choice(
        len(FOREIGN_COUNTRIES), n, p=_normalised(list(FOREIGN_COUNTRIES.values()))
    )
    country = countries.gather(np.where(foreign, foreign_country, 0))
    prefectures = pl.Series([*PREFECTURES, None], dtype=pl.String)
    sector_names = pl.Series([s[0] for s in SECTORS])
    statuses = pl.Series(["active", "withdrawing"])
    source = f"{SOURCE}, seed {seed}"
    employees = np.maximum(1, np.round(revenue / 2.5e7 * rng.lognormal(0.0, 0.5, n))).astype(
        np.int64
    )
    defense = rng.random(n) < 0.03
    defense_revenue = np.where(defense, revenue * rng.beta(1.0, 20.0, n), 0.0)
    status = statuses.gather((rng.random(n) < 0.005).astype(np.int64))
    days = rng.integers(0, 365, n).astype("timedelta64[D]")
    observed = np.datetime64(OBSERVED_AT, "D") - days
    firm_frame = pl.DataFrame(
        {
            "firm_id": ids,
            "name": ("Firm " + ids).rename("name"),
            "country": country,
            "region": prefectures.gather(region),
            "sector": sector_names.gather(sector),
            "employees": employees,
            "revenue_jpy": revenue,
            "defense_revenue_jpy": defense_revenue,
            "operating_margin": np.clip(rng.normal(0.035, 0.04, n), -0.5, 0.5),
            "cyber_level": rng.choice(4, n, p=[0.35, 0.35, 0.2, 0.1]),
            "has_successor": rng.random(n) < 0.6,
            "foreign_ownership": np.where(
                foreign | (rng.random(n) < 0.02), rng.uniform(0.1, 1.0, n), 0.0
            ),
            "status": status,
            "final_demand_jpy": final_demand,
            "synthetic": np.ones(n, dtype=bool),
            "observed_at": observed,
        }
    ).with_columns(source=pl.lit(source))
    m = supplier.size
    link_days = rng.integers(0, 365, m).astype("timedelta64[D]")
    supply_frame = pl.DataFrame(
        {
            "supplier_id": ids.gather(supplier),
            "customer_id": ids.gather(customer),
            "annual_value_jpy": value,
            "lead_time_days": np.maximum(1, np.round(rng.lognormal(2.3, 0.7, m))).astype(np.int64),
            "observed_at": np.datetime64(OBSERVED_AT, "D") - link_days,
        }
    ).with_columns(source=pl.lit(source))
    return firm_frame, supply_frame


def _tail_exponent(degree: NDArray[np.int64], k_min: int) -> float:
    """CCDF exponent of the degrees >= k_min by maximum likelihood (Clauset, Shalizi & Newman
    2009, eq. 3.7, the discrete approximation): n / sum(ln(k / (k_min - 0.5)))."""
    tail = degree[degree >= k_min].astype(np.float64)
    if tail.size < 2:
        return float("nan")
    return float(tail.size / np.log(tail / (k_min - 0.5)).sum())


def network_statistics(dataset: Dataset) -> pl.DataFrame:
    """What a firm-level network achieved beside Japan's published figures.

    Input: a `Dataset` with firms and supplies (pairs are counted once). Output columns:
    `statistic`, `achieved`, `target_min`, `target_max` (null where nothing is published),
    `source`. Statistics: firms, links, links per firm, in- and out-degree CCDF exponents
    (fit on degrees >= 10), shares of firms in the largest strongly connected component, in its
    in-shell (reach it, not in it) and out-shell (reached from it, not in it), a lower bound
    on the share of ordered pairs connected ((in-shell + core) x (core + out-shell)), and the
    correlation of log sales with log degree. O(firms + links) after one sort (scipy
    `connected_components`, two breadth-first searches).
    """
    firms = dataset.firms
    n = firms.height
    if n == 0:
        raise GeneratorError("the dataset has no firms")
    index = firms.select("firm_id").with_row_index("i")
    pairs = (
        dataset.supplies.select("supplier_id", "customer_id")
        .unique()
        .join(index.rename({"firm_id": "supplier_id", "i": "s"}), on="supplier_id")
        .join(index.rename({"firm_id": "customer_id", "i": "c"}), on="customer_id")
    )
    s = pairs["s"].to_numpy().astype(np.int64)
    c = pairs["c"].to_numpy().astype(np.int64)
    m = s.size
    out_degree = np.bincount(s, minlength=n)
    in_degree = np.bincount(c, minlength=n)
    graph = csr_array((np.ones(m, dtype=np.int8), (s, c)), shape=(n, n))
    _, label = connected_components(graph, directed=True, connection="strong")
    core_label = np.bincount(label).argmax()
    core = label == core_label
    root = int(np.flatnonzero(core)[0])
    downstream = np.zeros(n, dtype=bool)
    downstream[breadth_first_order(graph, root, directed=True, return_predecessors=False)] = True
    upstream = np.zeros(n, dtype=bool)
    reverse = graph.T.tocsr()
    upstream[breadth_first_order(reverse, root, directed=True, return_predecessors=False)] = True
    core_share = core.mean()
    in_share = (upstream & ~core).mean()
    out_share = (downstream & ~core).mean()
    degree = out_degree + in_degree
    revenue = firms["revenue_jpy"].to_numpy()
    usable = (degree > 0) & np.isfinite(revenue) & (revenue > 0)
    log_degree, log_revenue = np.log(degree[usable]), np.log(revenue[usable])
    # Undefined (nan) when either side does not vary, as in a tiny complete network.
    correlation = (
        float(np.corrcoef(log_degree, log_revenue)[0, 1])
        if usable.sum() > 2 and log_degree.std() > 0 and log_revenue.std() > 0
        else float("nan")
    )
    stats = "production_network_stats.csv"
    rows: list[tuple[str, float, float | None, float | None, str]] = [
        ("firms", float(n), None, None, "the size asked for"),
        ("links", float(m), 4.0 * n, 5.0 * n, f"{stats}: TDB 4M and TSR 5M links per 1M firms"),
        ("links per firm", m / n, 4.0, 5.0, f"{stats}: mean_degree 4.5 (Takayasu et al.)"),
        (
            "in-degree CCDF exponent",
            _tail_exponent(in_degree, DEGREE_TAIL_MIN),
            1.2,
            1.5,
            f"{stats}: 1.3-1.4 (Fujiwara & Aoyama 2010; Takayasu et al.)",
        ),
        (
            "out-degree CCDF exponent",
            _tail_exponent(out_degree, DEGREE_TAIL_MIN),
            1.2,
            1.5,
            f"{stats}: 1.3-1.4 (Fujiwara & Aoyama 2010; Takayasu et al.)",
        ),
        (
            "share of firms in the core (largest SCC)",
            float(core_share),
            0.3,
            0.7,
            "assumed band: a giant core, the walnut of Fujiwara & Aoyama 2010",
        ),
        ("share of firms in the in-shell", float(in_share), None, None, "reported, no target"),
        ("share of firms in the out-shell", float(out_share), None, None, "reported, no target"),
        (
            "share of ordered pairs connected (lower bound)",
            float((in_share + core_share) * (core_share + out_share)),
            0.3,
            0.7,
            f"{stats}: 0.45 (Takayasu et al.)",
        ),
        (
            "correlation of log sales with log degree",
            correlation,
            0.5,
            1.0,
            f"{stats}: sales proportional to degree^1.3 (Watanabe et al. 2014)",
        ),
    ]
    return pl.DataFrame(
        rows,
        schema={
            "statistic": pl.String,
            "achieved": pl.Float64,
            "target_min": pl.Float64,
            "target_max": pl.Float64,
            "source": pl.String,
        },
        orient="row",
    )
