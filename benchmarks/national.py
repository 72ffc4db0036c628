"""A plain random national-scale dataset for benchmarks of the data layer.

This is not the calibrated national network generator (that belongs to the simulation issue);
it only has the sizes and column types of one: firms with every column filled, firm-level
supplies between random firms. Deterministic by seed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from kiban.dataset import Dataset

PREFECTURES = ["Aichi", "Osaka", "Tokyo", "Kanagawa", "Shizuoka", "Hyogo", "Saitama", "Hiroshima"]


def national_frames(firms: int, supplies: int, seed: int = 0) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = pl.Series("firm_id", np.arange(firms)).cast(pl.String).str.zfill(7)
    ids = ("F" + ids).rename("firm_id")
    revenue = rng.lognormal(20, 2, firms)
    firm_frame = pl.DataFrame(
        {
            "firm_id": ids,
            "name": ("Firm " + ids).rename("name"),
            "country": rng.choice(["JP", "JP", "JP", "US", "DE", "KR"], firms),
            "region": rng.choice(PREFECTURES, firms),
            "sector": rng.choice(["machinery", "electronics", "materials", "services"], firms),
            "employees": rng.integers(1, 5000, firms),
            "revenue_jpy": revenue,
            "defense_revenue_jpy": revenue * rng.uniform(0, 0.2, firms),
            "operating_margin": rng.normal(0.03, 0.05, firms).clip(-1, 1),
            "cyber_level": rng.integers(0, 4, firms),
            "has_successor": rng.random(firms) < 0.7,
            "foreign_ownership": rng.uniform(0, 1, firms),
            "status": rng.choice(["active", "active", "active", "withdrawing"], firms),
            "final_demand_jpy": revenue * 0.3,
            "synthetic": np.ones(firms, dtype=bool),
            "observed_at": pl.date_range(
                dt.date(2024, 1, 1), dt.date(2024, 1, 1), eager=True
            ).sample(firms, with_replacement=True, seed=seed),
            "source": ["benchmark"] * firms,
        }
    )
    # Distinct (supplier, customer) pairs: draw a little more and drop repeats.
    draw = int(supplies * 1.01) + 10
    pairs = (
        pl.DataFrame({"s": rng.integers(0, firms, draw), "c": rng.integers(0, firms, draw)})
        .unique(maintain_order=True)
        .head(supplies)
    )
    supply_frame = pl.DataFrame(
        {
            "supplier_id": ids.gather(pairs["s"]),
            "customer_id": ids.gather(pairs["c"]),
            "annual_value_jpy": rng.lognormal(16, 2, pairs.height),
            "lead_time_days": rng.integers(1, 365, pairs.height),
        }
    ).with_columns(customer_id=pl.col("customer_id"))
    return {"firms": firm_frame, "supplies": supply_frame}


def national_dataset(firms: int, supplies: int, seed: int = 0) -> Dataset:
    return Dataset.from_frames(national_frames(firms, supplies, seed), source="benchmark")
