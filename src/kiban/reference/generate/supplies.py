"""Who supplies each firm with each child item it needs, and how much.

A firm that makes an item *needs* every bom child of it. For each need the firm sources the
child from one to three of the child's makers (alternatives, `share` split unevenly, rows of
one need summing to 1 or, for a few, less: the rest is made in-house or was not reported).
Then every maker of every item of a program is given at least one customer in that program,
so a program's supply chain reaches all the makers of its bill of materials and its firm count
is the one it was sized to. Exited firms are never anyone's only source, so every program is
producible at generation (withdrawing firms still deliver).

Volumes flow top down: the prime makes the program's annual quantity of the end item; a
firm's need for a child is what it makes of each parent times the bom quantity; a supplier
delivers its share of it. `annual_value_jpy` is the delivered quantity times the child's unit
cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

# Preference for an item's makers by rank (the leading maker is the usual first choice).
_PREFERENCE = np.array([1.0, 0.55, 0.35, 0.25, 0.2, 0.15, 0.1, 0.1])
# Share of needs whose reported shares sum to less than 1.
PARTIAL_SHARE = 0.03


@dataclass(frozen=True)
class ItemFacts:
    """Per item (by position): level, kind, custom flag, unit cost and the bitmask of the
    programs whose bill of materials holds it."""

    level: np.ndarray
    kind: np.ndarray
    custom: np.ndarray
    unit_cost_jpy: np.ndarray
    mask: np.ndarray


def _bits(frame: pl.DataFrame, n_programs: int) -> pl.DataFrame:
    """One row per program bit set in `mask`, in column `bit`."""
    return pl.concat(
        [
            frame.filter((pl.col("mask") & (1 << b)) != 0).with_columns(bit=pl.lit(b, pl.Int64))
            for b in range(n_programs)
        ]
    )


def needs_of(makers: pl.DataFrame, bom: pl.DataFrame, facts: ItemFacts) -> pl.DataFrame:
    """Every (customer, child) a maker of a parent needs, with the programs it serves."""
    pairs = makers.select(pl.col("item").alias("parent"), pl.col("firm").alias("customer")).join(
        bom.select("parent", "child"), on="parent"
    )
    return (
        pairs.with_columns(mask=pl.Series(facts.mask[pairs["parent"].to_numpy()]))
        .group_by("customer", "child")
        .agg(pl.col("mask").bitwise_or())
        .sort("child", "customer")
        .with_row_index("need")
        .with_columns(pl.col("need").cast(pl.Int64))
    )


def choose_suppliers(
    rng: np.random.Generator,
    needs: pl.DataFrame,
    makers: pl.DataFrame,
    *,
    exited: np.ndarray,
    n_items: int,
) -> pl.DataFrame:
    """One to three suppliers per need among the child's makers (need, supplier, rank).

    Gumbel top-k sampling by the makers' preference; exited makers and the customer itself
    are chosen only when nothing else makes the child.
    """
    ordered = makers.sort("item", "rank")
    k = np.bincount(ordered["item"].to_numpy(), minlength=n_items)
    width = int(k.max())
    matrix = np.full((n_items, width), -1, dtype=np.int64)
    matrix[ordered["item"].to_numpy(), ordered["rank"].to_numpy()] = ordered["firm"].to_numpy()
    child = needs["child"].to_numpy()
    customer = needs["customer"].to_numpy()
    candidates = matrix[child]
    exists = candidates >= 0
    gone = exists & exited[np.maximum(candidates, 0)]
    itself = candidates == customer[:, None]
    avoid = gone | itself
    # In-house (the customer itself) before an exited maker, both only when nothing else is.
    keys = np.log(_PREFERENCE[:width]) + rng.gumbel(size=candidates.shape)
    keys = np.where(exists, keys - 1e3 * itself - 2e3 * gone, -np.inf)
    good = np.maximum((exists & ~avoid).sum(axis=1), 1)
    u = rng.random(len(child))
    wanted = np.minimum(good, 1 + (u > 0.55) + (u > 0.88))
    order = np.argsort(-keys, axis=1, kind="stable")
    parts = []
    for rank in range(width):
        chosen = rank < wanted
        parts.append(
            pl.DataFrame(
                {
                    "need": needs["need"].to_numpy()[chosen],
                    "supplier": candidates[chosen, order[chosen, rank]],
                    "rank": np.full(int(chosen.sum()), rank, dtype=np.int64),
                }
            )
        )
    return pl.concat(parts)


def cover_makers(
    rng: np.random.Generator,
    rows: pl.DataFrame,
    needs: pl.DataFrame,
    makers: pl.DataFrame,
    facts: ItemFacts,
    n_programs: int,
) -> pl.DataFrame:
    """Add rows so that each maker of each item supplies it to some customer in every
    program whose bill of materials holds the item."""
    masks = pl.DataFrame({"item": np.arange(len(facts.mask)), "mask": facts.mask})
    required = _bits(makers.join(masks, on="item").select("item", "firm", "mask"), n_programs)
    required = required.select(
        pl.col("item").alias("child"), "bit", pl.col("firm").alias("supplier")
    )
    need_bits = _bits(needs, n_programs).select("need", "child", "customer", "bit")
    covered = rows.join(need_bits, on="need").select("child", "bit", "supplier").unique()
    missing = required.join(covered, on=["child", "bit", "supplier"], how="anti")
    if not missing.height:
        return rows
    # Sorted before drawing: a join's row order is not guaranteed, the draws must not depend on it.
    options = missing.join(need_bits, on=["child", "bit"]).sort("child", "bit", "supplier", "need")
    options = options.with_columns(
        key=pl.Series(rng.random(options.height))
        + (pl.col("customer") == pl.col("supplier")).cast(pl.Float64)
    )
    picked = (
        options.sort("child", "bit", "supplier", "key")
        .unique(["child", "bit", "supplier"], keep="first", maintain_order=True)
        .select("need", "supplier", pl.lit(len(_PREFERENCE), pl.Int64).alias("rank"))
    )
    return pl.concat([rows, picked]).unique(["need", "supplier"], keep="first", maintain_order=True)


def split_shares(rng: np.random.Generator, rows: pl.DataFrame) -> pl.DataFrame:
    """Shares of each need's suppliers in whole percent: uneven (Gamma(2) weights, the
    largest to the preferred supplier), summing to 1 except for `PARTIAL_SHARE` of needs."""
    rows = rows.sort("need", "rank", "supplier")
    need = rows["need"].to_numpy()
    weight = rng.gamma(2.0, size=rows.height)
    # The largest weights go to the first-ranked rows of each need.
    weight = weight[np.lexsort((-weight, need))]
    starts = np.flatnonzero(np.r_[True, need[1:] != need[:-1]])
    total = np.add.reduceat(weight, starts)
    group = np.cumsum(np.r_[True, need[1:] != need[:-1]]) - 1
    percent = np.maximum(1, np.floor(100 * weight / total[group])).astype(np.int64)
    percent[starts] += 100 - np.add.reduceat(percent, starts)
    partial = rng.random(len(starts)) < PARTIAL_SHARE
    factor = np.where(partial, rng.uniform(0.6, 0.95, size=len(starts)), 1.0)[group]
    percent = np.where(factor < 1, np.maximum(1, np.floor(percent * factor)), percent)
    return rows.with_columns(share=pl.Series(percent / 100.0))


def flow_volumes(
    rows: pl.DataFrame,
    needs: pl.DataFrame,
    bom: pl.DataFrame,
    facts: ItemFacts,
    seeds: pl.DataFrame,
) -> pl.DataFrame:
    """Annual quantity and value of each supply row, level by level from the end items.

    `seeds` (firm, item, volume) are the primes' end items and annual quantities.
    """
    rows = rows.join(needs.select("need", "customer", "child"), on="need")
    rows = rows.with_columns(level=pl.Series(facts.level[rows["child"].to_numpy()]))
    edges = bom.with_columns(level=pl.Series(facts.level[bom["child"].to_numpy()]))
    produced = seeds
    delivered = []
    for depth in range(1, int(facts.level.max()) + 1):
        need_volume = (
            produced.join(edges.filter(pl.col("level") == depth), left_on="item", right_on="parent")
            .group_by(pl.col("firm").alias("customer"), "child")
            .agg((pl.col("volume") * pl.col("quantity")).sum().alias("volume"))
        )
        step = (
            rows.filter(pl.col("level") == depth)
            .join(need_volume, on=["customer", "child"])
            .with_columns(flow=pl.col("share") * pl.col("volume"))
        )
        delivered.append(step)
        produced = pl.concat(
            [
                produced,
                step.group_by(pl.col("supplier").alias("firm"), pl.col("child").alias("item")).agg(
                    pl.col("flow").sum().alias("volume")
                ),
            ]
        )
    out = pl.concat(delivered)
    cost = pl.Series(facts.unit_cost_jpy[out["child"].to_numpy()])
    return out.with_columns(annual_value_jpy=(pl.col("flow") * cost).round(0)).select(
        "supplier", "customer", pl.col("child").alias("item"), "share", "annual_value_jpy", "rank"
    )


def lead_times(
    rng: np.random.Generator, facts: ItemFacts, item: np.ndarray, foreign: np.ndarray
) -> np.ndarray:
    """Order-to-delivery days: long for custom items, short for services (assumptions);
    a month more from abroad."""
    kind = facts.kind[item]
    median = np.select(
        [facts.custom[item], kind == "service", kind == "software", kind == "material"],
        [240.0, 21.0, 45.0, 90.0],
        60.0,
    )
    days = rng.lognormal(np.log(median), 0.45) + 30 * foreign
    whole: np.ndarray = np.maximum(1, np.round(days)).astype(np.int64)
    return whole


def draw_supplies(
    rng: np.random.Generator,
    makers: pl.DataFrame,
    bom: pl.DataFrame,
    facts: ItemFacts,
    *,
    exited: np.ndarray,
    seeds: pl.DataFrame,
    n_programs: int,
) -> pl.DataFrame:
    """The supply rows (supplier, customer, item, share, annual_value_jpy, rank) of all
    programs; firms and items are positions. See the module docstring."""
    needs = needs_of(makers, bom, facts)
    rows = choose_suppliers(rng, needs, makers, exited=exited, n_items=len(facts.level))
    rows = cover_makers(rng, rows, needs, makers, facts, n_programs)
    rows = split_shares(rng, rows)
    return flow_volumes(rows, needs, bom, facts, seeds).sort("item", "customer", "rank", "supplier")
