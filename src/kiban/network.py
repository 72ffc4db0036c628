"""The supply network of a dataset, as analyses see it.

For now this holds the traversal every summary needs: which firms make what for a program,
and at which tier. The compiled `SupplyNetwork` (CSR arrays) of the risk issue will live here
too and answer the same question faster.
"""

from __future__ import annotations

import polars as pl

from kiban.dataset import Dataset

CHAIN_SCHEMA = pl.Schema(
    {"program_id": pl.String(), "firm_id": pl.String(), "item_id": pl.String(), "tier": pl.Int32()}
)


def program_supply_chain(dataset: Dataset) -> pl.DataFrame:
    """Every (program, firm, item) of each program's supply chain, with its tier.

    Follows the meaning of DATASET.md: the prime makes the program's end item (tier 0); a firm
    that makes an item needs every `bom` child of it, and the firms that supply it that child
    (its `supplies` rows with the item) make the child one tier down. A firm that appears at
    several tiers keeps each (firm, item) once, at its shallowest tier; loops between firms
    end because a (program, firm, item) is visited once.

    Returns columns program_id, firm_id, item_id, tier (0 = prime, 1 = the prime's direct
    suppliers), sorted by program, tier, firm and item.

    >>> import polars as pl
    >>> ds = Dataset.from_frames({
    ...     "firms": pl.DataFrame({"firm_id": ["P", "S"], "name": ["P", "S"],
    ...                            "country": ["JP", "JP"]}),
    ...     "items": pl.DataFrame({"item_id": ["SYS", "PART"], "name": ["s", "p"],
    ...                            "kind": ["system", "component"]}),
    ...     "bom": pl.DataFrame({"parent_item_id": ["SYS"], "child_item_id": ["PART"],
    ...                          "quantity": [4.0]}),
    ...     "supplies": pl.DataFrame({"supplier_id": ["S"], "customer_id": ["P"],
    ...                               "item_id": ["PART"]}),
    ...     "programs": pl.DataFrame({"program_id": ["X"], "name": ["X"], "item_id": ["SYS"],
    ...                               "prime_id": ["P"]}),
    ... })
    >>> program_supply_chain(ds).rows()
    [('X', 'P', 'SYS', 0), ('X', 'S', 'PART', 1)]
    """
    key = ["program_id", "firm_id", "item_id"]
    frontier = dataset.programs.select(
        "program_id",
        pl.col("prime_id").alias("firm_id"),
        "item_id",
        pl.lit(0, dtype=pl.Int32).alias("tier"),
    ).unique(key)
    bom = dataset.bom.select("parent_item_id", "child_item_id").unique()
    supplies = (
        dataset.supplies.filter(pl.col("item_id").is_not_null())
        .select("supplier_id", "customer_id", "item_id")
        .unique()
    )
    found = [frontier]
    seen = frontier.select(key)
    while frontier.height:
        step = (
            frontier.join(bom, left_on="item_id", right_on="parent_item_id")
            .join(
                supplies, left_on=["firm_id", "child_item_id"], right_on=["customer_id", "item_id"]
            )
            .select(
                "program_id",
                pl.col("supplier_id").alias("firm_id"),
                pl.col("child_item_id").alias("item_id"),
                (pl.col("tier") + 1).alias("tier"),
            )
            .unique(key)
            .join(seen, on=key, how="anti")
        )
        found.append(step)
        seen = pl.concat([seen, step.select(key)])
        frontier = step
    # `found` starts with the primes' frame, so it is never empty, even without programs.
    return pl.concat(found).cast(CHAIN_SCHEMA).sort("program_id", "tier", "firm_id", "item_id")
