"""Supplier viability: how the program's suppliers' margins and volumes move in a scenario.

A scenario changes how many units of a program are built each fiscal year; its input here is
the *volume ratio* v of each year, the scenario's units over the baseline's (the program's
`annual_quantity`), as `kiban.econ.program` or an analyst computes it. Every firm of the
program's supply chain (`kiban.network.program_supply_chain`) is followed through it.

Model, per firm. From the data: revenue R (`revenue_jpy`), defense revenue D
(`defense_revenue_jpy`), operating margin m (`operating_margin`), and the yearly revenue p
the firm earns from this program (`program_revenue`). The data hold no separate margin on
defense work, so the defense margin at baseline is taken as m. Then, in a year with ratio v:

    p' = p v                  the program's work moves with its units
    D' = D - (1 - v) p        the rest of the firm's defense work does not move
    R' = R - (1 - v) p
    cost' = cost - (1 - phi) (1 - v) p (1 - m)

where the baseline cost of the program work is p (1 - m) and a share phi of it
(`ViabilityAssumptions.fixed_cost_share_frac`: plant, engineering staff, overhead) does not
move with volume. So the fixed cost left unabsorbed is u = phi (1 - m) (1 - v) p, and

    defense margin' = (D' - defense cost') / D' = m - u / D'
    operating margin' (whole firm) = m - u / R'

(written this way, v = 1 gives back m exactly; v > 1 spreads the fixed cost and raises the
margin). A firm is *viable* in a year when its defense margin' is at least
`viability_margin_frac` (default 0: it does not lose money on defense work).

Assumptions and limits, in plain words:

- supplier volumes move in proportion to the program's units, in the same fiscal year: no
  stocks, no lead times, no re-sourcing, no price renegotiation;
- the fixed share phi is one assumed number for every firm, not data;
- p is capped at D (a firm cannot earn more from one program than from all its defense
  work; the attribution of `program_revenue` can overstate p), or at R where D is unknown;
  where D is unknown it is taken as p, a lower bound, so the defense margin then covers this
  program's work only; where R is at least D it is kept, else taken as D;
- a firm with no known margin, or with no known program revenue, gets nulls for what cannot
  be computed and a null `viable` (except at v = 1, which changes nothing): nothing is
  invented. A firm left with no sales but fixed
  costs has a margin of -inf (the limit) and is not viable.

Cost: one traversal of the program's supply chain and a few joins, O(c + s) for a chain of c
(firm, item) pairs and s supplies; about 0.1 s for the largest generated program (8,300
firms), plus O(c y) for y fiscal years.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from kiban.dataset import Dataset
from kiban.errors import EconError
from kiban.network import program_supply_chain


@dataclass(frozen=True)
class ViabilityAssumptions:
    """The stated assumptions of the viability model (see the module docstring).

    `fixed_cost_share_frac` (phi): the share of the cost of a firm's program work that does
    not move with volume (operating leverage), in [0, 1]. An assumption, not data: 0.3 is
    kiban's default for defense manufacturing, where plant and skilled staff are kept through
    lean years. `viability_margin_frac`: a firm whose defense margin falls below it is flagged,
    in [-1, 1] (0: it loses money on defense work).
    """

    fixed_cost_share_frac: float = 0.3
    viability_margin_frac: float = 0.0

    def __post_init__(self) -> None:
        _check_fraction("fixed_cost_share_frac", self.fixed_cost_share_frac, 0.0, 1.0)
        _check_fraction("viability_margin_frac", self.viability_margin_frac, -1.0, 1.0)


def _check_fraction(name: str, value: float, low: float, high: float) -> None:
    number = _real(value)
    if number is None or not (math.isfinite(number) and low <= number <= high):
        raise EconError(f"{name} {value!r} must be a number in [{low:g}, {high:g}]")


def _real(value: object) -> float | None:
    """`value` as a float if it is a real number (a bool is not), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def program_revenue(dataset: Dataset, program_id: str) -> pl.DataFrame:
    """The yearly revenue each firm of a program's supply chain earns from the program.

    Inputs: a valid `dataset` and the id of one of its programs.

    Returns one row per firm of the chain, sorted by tier and firm_id: firm_id, name, tier
    (its shallowest; 0 = the prime), `program_revenue_jpy` (JPY a year), and the firm's own
    `revenue_jpy`, `defense_revenue_jpy` and `operating_margin` (nulls where unknown).

    Method (the attribution): a supply row counts for the program when its customer makes, in
    the program's chain, an item whose bill of materials needs the row's item, that is, when
    the chain's traversal passes through it; a firm's program revenue is the sum of the
    `annual_value_jpy` of the rows it supplies that count, plus, for the prime,
    `annual_quantity * unit_price_jpy`. Rows whose supplier is their customer are transfers
    inside a firm, not sales, and are left out. Limits: a row serving several programs (a
    catalog part bought once for two products) counts fully for each; rows without a value
    count as nothing; a firm with no valued row and no price has a null program revenue.

    Raises `EconError` for an unknown program, naming the known ones.

    Cost: the chain traversal of one program and two joins, O(c + s) for s supplies.

    >>> import polars as pl
    >>> ds = Dataset.from_frames({
    ...     "firms": pl.DataFrame({"firm_id": ["P", "S"], "name": ["Prime", "Sub"],
    ...                            "country": ["JP", "JP"], "operating_margin": [0.05, 0.02]}),
    ...     "items": pl.DataFrame({"item_id": ["SYS", "PART"], "name": ["s", "p"],
    ...                            "kind": ["system", "component"]}),
    ...     "bom": pl.DataFrame({"parent_item_id": ["SYS"], "child_item_id": ["PART"],
    ...                          "quantity": [4.0]}),
    ...     "supplies": pl.DataFrame({"supplier_id": ["S"], "customer_id": ["P"],
    ...                               "item_id": ["PART"], "annual_value_jpy": [30.0]}),
    ...     "programs": pl.DataFrame({"program_id": ["X"], "name": ["X"], "item_id": ["SYS"],
    ...                               "prime_id": ["P"], "annual_quantity": [2.0],
    ...                               "unit_price_jpy": [100.0]}),
    ... })
    >>> program_revenue(ds, "X").select("firm_id", "tier", "program_revenue_jpy").rows()
    [('P', 0, 200.0), ('S', 1, 30.0)]
    """
    program = _program(dataset, program_id)
    # Traverse this program alone: the chain of every program would be wasted work.
    only = dataclasses.replace(dataset, tables={**dataset.tables, "programs": program})
    chain = program_supply_chain(only)
    firms = chain.group_by("firm_id").agg(pl.col("tier").min())
    sold = _chain_sales(dataset, chain)
    prime = program.select(
        pl.col("prime_id").alias("firm_id"),
        (pl.col("annual_quantity") * pl.col("unit_price_jpy")).alias("prime_jpy"),
    )
    known = pl.col("supplied_jpy").is_not_null() | pl.col("prime_jpy").is_not_null()
    return (
        firms.join(sold, on="firm_id", how="left")
        .join(prime, on="firm_id", how="left")
        .join(
            dataset.firms.select(
                "firm_id", "name", "revenue_jpy", "defense_revenue_jpy", "operating_margin"
            ),
            on="firm_id",
            how="left",
        )
        .select(
            "firm_id",
            "name",
            "tier",
            pl.when(known)
            .then(pl.sum_horizontal("supplied_jpy", "prime_jpy"))
            .cast(pl.Float64)
            .alias("program_revenue_jpy"),
            "revenue_jpy",
            "defense_revenue_jpy",
            "operating_margin",
        )
        .sort("tier", "firm_id")
    )


def _program(dataset: Dataset, program_id: str) -> pl.DataFrame:
    """The programs row of `program_id`; EconError naming the known programs if none."""
    programs = dataset.programs
    row = programs.filter(pl.col("program_id") == program_id).head(1)
    if not row.height:
        known = ", ".join(programs.get_column("program_id").to_list()) or "none"
        raise EconError(f"no program {program_id!r} in the dataset; the programs are: {known}")
    return row


def _chain_sales(dataset: Dataset, chain: pl.DataFrame) -> pl.DataFrame:
    """Per supplier, the summed value of the supply rows the chain's traversal passes through.

    Column `supplied_jpy`: null for a supplier whose rows all lack a value.
    """
    needs = chain.select(pl.col("firm_id").alias("customer_id"), "item_id").join(
        dataset.bom.select("parent_item_id", "child_item_id").unique(),
        left_on="item_id",
        right_on="parent_item_id",
    )
    rows = (
        dataset.supplies.with_row_index("_row")
        .filter(pl.col("supplier_id") != pl.col("customer_id"))
        .join(
            needs.select("customer_id", pl.col("child_item_id").alias("item_id")),
            on=["customer_id", "item_id"],
        )
        # A customer making two chain items that both need the row's item matches it twice.
        .unique("_row")
    )
    return rows.group_by(pl.col("supplier_id").alias("firm_id")).agg(
        pl.when(pl.col("annual_value_jpy").count() > 0)
        .then(pl.col("annual_value_jpy").sum())
        .alias("supplied_jpy")
    )


def supplier_viability(
    dataset: Dataset,
    program_id: str,
    volume_ratio: Mapping[int, float] | pl.DataFrame,
    assumptions: ViabilityAssumptions | None = None,
) -> pl.DataFrame:
    """Each firm of a program's chain, year by year, through a scenario of the program's volume.

    Inputs: a valid `dataset`, one of its programs, and the scenario's volume ratio by fiscal
    year (the scenario's units / the baseline's, >= 0), as a mapping {fiscal_year: ratio} or a
    frame with columns fiscal_year and volume_ratio; `assumptions` (default
    `ViabilityAssumptions()`).

    Returns one row per (fiscal_year, firm), sorted by year, tier and firm_id: fiscal_year,
    firm_id, name, tier, volume_ratio; `program_revenue_baseline_jpy` and `_scenario_jpy`,
    `defense_revenue_baseline_jpy` and `_scenario_jpy`, `revenue_baseline_jpy` and
    `_scenario_jpy` (JPY a year, the baseline as the model reads it: capped or raised as the
    module docstring says); `defense_margin_baseline_frac` and `_scenario_frac`,
    `operating_margin_baseline_frac` and `_scenario_frac` (the whole firm's); `viable_baseline`
    and `viable` (defense margin >= the threshold; null when it cannot be computed); and
    `below_threshold_since`, for a row that is not viable, the first fiscal year of the run of
    consecutive given years, up to this one, in which the firm has not been viable.

    Method and assumptions: the module docstring. Raises `EconError` for an unknown program or
    a malformed volume ratio.

    Cost: `program_revenue` once, then O(c y) for c firms and y years.

    >>> import polars as pl
    >>> ds = Dataset.from_frames({
    ...     "firms": pl.DataFrame({"firm_id": ["P", "S"], "name": ["Prime", "Sub"],
    ...                            "country": ["JP", "JP"], "revenue_jpy": [1000.0, 100.0],
    ...                            "defense_revenue_jpy": [400.0, 50.0],
    ...                            "operating_margin": [0.05, 0.04]}),
    ...     "items": pl.DataFrame({"item_id": ["SYS", "PART"], "name": ["s", "p"],
    ...                            "kind": ["system", "component"]}),
    ...     "bom": pl.DataFrame({"parent_item_id": ["SYS"], "child_item_id": ["PART"],
    ...                          "quantity": [4.0]}),
    ...     "supplies": pl.DataFrame({"supplier_id": ["S"], "customer_id": ["P"],
    ...                               "item_id": ["PART"], "annual_value_jpy": [40.0]}),
    ...     "programs": pl.DataFrame({"program_id": ["X"], "name": ["X"], "item_id": ["SYS"],
    ...                               "prime_id": ["P"], "annual_quantity": [2.0],
    ...                               "unit_price_jpy": [100.0]}),
    ... })
    >>> out = supplier_viability(ds, "X", {2026: 1.0, 2027: 0.5})
    >>> out.filter(firm_id="S").select(
    ...     "fiscal_year", pl.col("defense_margin_scenario_frac").round(3), "viable").rows()
    [(2026, 0.04, True), (2027, -0.152, False)]
    """
    assumptions = ViabilityAssumptions() if assumptions is None else assumptions
    ratios = _volume_ratios(volume_ratio)
    baseline = _baseline(program_revenue(dataset, program_id))
    phi = assumptions.fixed_cost_share_frac
    threshold = assumptions.viability_margin_frac
    m = pl.col("operating_margin_baseline_frac")
    # Program revenue lost this year (negative when volume grows). At v = 1 nothing is lost,
    # even where the program revenue is unknown: the baseline comes back exactly.
    v = pl.col("volume_ratio")
    lost = pl.when(v == 1.0).then(0.0).otherwise((1.0 - v) * pl.col("program_revenue_baseline_jpy"))
    frame = (
        ratios.join(baseline, how="cross")
        .with_columns(
            program_revenue_scenario_jpy=pl.col("program_revenue_baseline_jpy") * v,
            defense_revenue_scenario_jpy=pl.col("defense_revenue_baseline_jpy") - lost,
            revenue_scenario_jpy=pl.col("revenue_baseline_jpy") - lost,
            _unabsorbed=phi * (1.0 - m) * lost,
        )
        .with_columns(
            defense_margin_scenario_frac=_margin("defense_revenue_scenario_jpy"),
            operating_margin_scenario_frac=_margin("revenue_scenario_jpy"),
        )
        .with_columns(
            viable_baseline=pl.col("defense_margin_baseline_frac") >= threshold,
            viable=pl.col("defense_margin_scenario_frac") >= threshold,
        )
    )
    return _below_since(frame).select(VIABILITY_COLUMNS).sort("fiscal_year", "tier", "firm_id")


VIABILITY_COLUMNS = (
    "fiscal_year",
    "firm_id",
    "name",
    "tier",
    "volume_ratio",
    "program_revenue_baseline_jpy",
    "program_revenue_scenario_jpy",
    "defense_revenue_baseline_jpy",
    "defense_revenue_scenario_jpy",
    "revenue_baseline_jpy",
    "revenue_scenario_jpy",
    "defense_margin_baseline_frac",
    "defense_margin_scenario_frac",
    "operating_margin_baseline_frac",
    "operating_margin_scenario_frac",
    "viable_baseline",
    "viable",
    "below_threshold_since",
)
"""The columns of `supplier_viability`, in order."""


def _volume_ratios(volume_ratio: Mapping[int, float] | pl.DataFrame) -> pl.DataFrame:
    """The volume ratio as a frame (fiscal_year Int64, volume_ratio Float64), checked."""
    if isinstance(volume_ratio, pl.DataFrame):
        missing = {"fiscal_year", "volume_ratio"} - set(volume_ratio.columns)
        if missing:
            raise EconError(
                f"the volume ratio frame lacks {', '.join(sorted(missing))}; "
                "it needs columns fiscal_year and volume_ratio"
            )
        pairs = list(zip(volume_ratio["fiscal_year"], volume_ratio["volume_ratio"], strict=True))
    else:
        pairs = list(volume_ratio.items())
    if not pairs:
        raise EconError("the volume ratio names no fiscal year")
    years, values = [], []
    for year, ratio in pairs:
        if isinstance(year, bool) or not isinstance(year, numbers.Integral):
            raise EconError(f"fiscal year {year!r} must be a whole number")
        value = _real(ratio)
        if value is None or not (math.isfinite(value) and value >= 0):
            raise EconError(f"volume ratio in FY{year}: {ratio!r} must be a finite number >= 0")
        years.append(int(year))
        values.append(value)
    repeated = sorted(year for year, count in Counter(years).items() if count > 1)
    if repeated:
        raise EconError(f"fiscal years given twice in the volume ratio: {repeated}")
    return pl.DataFrame(
        {"fiscal_year": years, "volume_ratio": values},
        schema={"fiscal_year": pl.Int64, "volume_ratio": pl.Float64},
    )


def _baseline(revenue: pl.DataFrame) -> pl.DataFrame:
    """The baseline as the model reads it: p capped at D (or R), D and R at least p."""
    p, d, r = pl.col("program_revenue_jpy"), pl.col("defense_revenue_jpy"), pl.col("revenue_jpy")
    # min_horizontal skips nulls: min(p, D) where D is known, else min(p, R), else p.
    capped = pl.when(p.is_not_null()).then(pl.min_horizontal(p, d, r))
    return revenue.with_columns(program_revenue_baseline_jpy=capped).select(
        "firm_id",
        "name",
        "tier",
        "program_revenue_baseline_jpy",
        pl.coalesce(d, "program_revenue_baseline_jpy").alias("defense_revenue_baseline_jpy"),
        pl.when(r.is_not_null())
        .then(pl.max_horizontal(r, pl.coalesce(d, "program_revenue_baseline_jpy")))
        .alias("revenue_baseline_jpy"),
        pl.col("operating_margin").alias("defense_margin_baseline_frac"),
        pl.col("operating_margin").alias("operating_margin_baseline_frac"),
    )


def _margin(revenue_column: str) -> pl.Expr:
    """m - u / revenue': m itself when no fixed cost is left unabsorbed (v = 1 exactly, phi = 0),
    -inf when revenue' is 0 with fixed cost to carry; null when m or revenue' is unknown."""
    m = pl.col("operating_margin_baseline_frac")
    unabsorbed = pl.col("_unabsorbed")
    revenue = pl.col(revenue_column)
    return (
        pl.when(unabsorbed == 0.0)
        .then(m)
        .when(revenue > 0.0)
        .then(m - unabsorbed / revenue)
        .when((revenue == 0.0) & (unabsorbed > 0.0))
        .then(float("-inf"))
    )


def _below_since(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `below_threshold_since`: the first year of each firm's current run of not-viable
    years (null where viable or unknown; an unknown year ends a run)."""
    below = pl.col("_below")
    changed = (below != below.shift(1).over("firm_id")).fill_null(True)
    return (
        frame.sort("firm_id", "fiscal_year")
        .with_columns(_below=pl.col("viable").not_().fill_null(False))
        .with_columns(_run=changed.cum_sum().over("firm_id"))
        .with_columns(
            below_threshold_since=pl.when(below).then(
                pl.col("fiscal_year").min().over("firm_id", "_run")
            )
        )
    )


def firms_in_year(dataset: Dataset, viability: pl.DataFrame, fiscal_year: int) -> Dataset:
    """A copy of `dataset` whose firms carry the scenario's figures of `fiscal_year`.

    Inputs: the dataset `viability` was computed on, a frame of `supplier_viability`, and one
    of its fiscal years. Returns the dataset with, for each firm of the frame, its
    `operating_margin` replaced by the scenario's whole-firm margin (clipped to the format's
    [-1, 1]; null where the model cannot compute it) and its `revenue_jpy` and
    `defense_revenue_jpy` by the scenario's where the data knew them (a defense revenue the
    model took as the program revenue is not written back: that would invent a figure). Other
    firms and tables are unchanged; the types stay the schema's, so `kiban.validate` and
    `kiban.risk.fragility` run on the result as on any dataset.

    Raises `EconError` for a year the frame does not hold, or a frame lacking its columns.

    Cost: one join of the firms with the year's rows, O(n + c).
    """
    needed = {
        "fiscal_year",
        "firm_id",
        "operating_margin_scenario_frac",
        "revenue_scenario_jpy",
        "defense_revenue_scenario_jpy",
    }
    missing = needed - set(viability.columns)
    if missing:
        raise EconError(
            f"the viability frame lacks {', '.join(sorted(missing))}: "
            "pass a frame of supplier_viability"
        )
    year = viability.filter(pl.col("fiscal_year") == fiscal_year)
    if not year.height:
        years = ", ".join(str(y) for y in viability["fiscal_year"].unique().sort())
        raise EconError(f"no FY{fiscal_year} in the viability frame; its years are: {years}")
    firms = dataset.firms
    scenario = year.select(
        "firm_id",
        pl.lit(True).alias("_in_scenario"),
        pl.col("operating_margin_scenario_frac").clip(-1.0, 1.0).alias("_margin"),
        pl.col("revenue_scenario_jpy").alias("_revenue"),
        pl.col("defense_revenue_scenario_jpy").alias("_defense"),
    )
    inside = pl.col("_in_scenario").fill_null(False)
    updated = (
        firms.join(scenario, on="firm_id", how="left", maintain_order="left")
        .with_columns(
            operating_margin=pl.when(inside).then("_margin").otherwise("operating_margin"),
            revenue_jpy=pl.when(inside & pl.col("revenue_jpy").is_not_null())
            .then("_revenue")
            .otherwise("revenue_jpy"),
            defense_revenue_jpy=pl.when(inside & pl.col("defense_revenue_jpy").is_not_null())
            .then("_defense")
            .otherwise("defense_revenue_jpy"),
        )
        .select(firms.columns)
        .cast(firms.schema)
    )
    return dataclasses.replace(dataset, tables={**dataset.tables, "firms": updated})
