"""Small datasets shared by the tests of several areas (store, CLI)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from kiban.dataset import TABLES, Dataset


def sample_frames() -> dict[str, pl.DataFrame]:
    """A prime, three sub-tier firms (one abroad), a four-level bill of materials, a program.

    Firms carry an extra column `survey_note`; supplies hold item-level rows and one
    firm-level row (no item) between the same two firms as an item-level one.
    """
    firms = pl.DataFrame(
        {
            "firm_id": ["F1", "F2", "F3", "F4"],
            "name": ["Prime Heavy", "Gear Works", "シール工業", "Ore GmbH"],
            "country": ["JP", "JP", "JP", "DE"],
            "region": ["Aichi", "Gifu", None, None],
            "employees": [80_000, 120, 35, 2_000],
            "revenue_jpy": [4.5e12, 2.1e9, 3.3e8, 9.9e10],
            "defense_revenue_jpy": [4.5e11, 1.2e9, 0.0, None],
            "operating_margin": [0.031, -0.012, 0.1, None],
            "cyber_level": [3, 1, 0, None],
            "has_successor": [True, False, None, True],
            "status": ["active", "active", "withdrawing", "active"],
            "observed_at": [dt.date(2024, 3, 31), None, dt.date(2023, 12, 1), None],
            "survey_note": ["prime", None, "owner retiring 2026", "伝票なし"],
        }
    )
    items = pl.DataFrame(
        {
            "item_id": ["SYS-1", "ASM-1", "CMP-1", "MAT-1"],
            "name": ["Fighter", "Landing gear", "Seal", "Titanium"],
            "kind": ["system", "assembly", "component", "material"],
            "custom": [True, True, False, False],
            "qualification_days": [None, 540, 180, 90],
            "unit_cost_jpy": [1.1e10, 3.0e7, 1.5e4, None],
        }
    )
    bom = pl.DataFrame(
        {
            "parent_item_id": ["SYS-1", "ASM-1", "CMP-1"],
            "child_item_id": ["ASM-1", "CMP-1", "MAT-1"],
            "quantity": [3.0, 12.0, 0.25],
        }
    )
    supplies = pl.DataFrame(
        {
            "supplier_id": ["F2", "F3", "F4", "F4", "F3"],
            "customer_id": ["F1", "F2", "F2", "F3", "F2"],
            "item_id": ["ASM-1", "CMP-1", "CMP-1", "MAT-1", None],
            "share": [1.0, 0.6, 0.4, None, None],
            "annual_value_jpy": [9.0e8, 1.2e7, 8.0e6, 2.5e6, 4.0e5],
            "lead_time_days": [400, 120, 200, None, 30],
            "observed_at": [dt.date(2024, 4, 1)] * 4 + [None],
            "source": ["survey-2024", "survey-2024", None, None, "tsr"],
        }
    )
    programs = pl.DataFrame(
        {
            "program_id": ["P-FX"],
            "name": ["Next fighter"],
            "item_id": ["SYS-1"],
            "prime_id": ["F1"],
            "category": ["aircraft"],
            "annual_quantity": [12.0],
            "unit_price_jpy": [1.5e10],
            "designated": [True],
        }
    )
    return {"firms": firms, "items": items, "bom": bom, "supplies": supplies, "programs": programs}


def sample_dataset() -> Dataset:
    return Dataset.from_frames(sample_frames(), source="sample")


def subtier_dataset() -> Dataset:
    """A sub-tier survey: a new firm supplying a stored firm with a stored item."""
    return Dataset.from_frames(
        {
            "firms": pl.DataFrame({"firm_id": ["F5"], "name": ["Mine KK"], "country": ["AU"]}),
            "supplies": pl.DataFrame(
                {
                    "supplier_id": ["F5"],
                    "customer_id": ["F4"],
                    "item_id": ["MAT-1"],
                    "share": [0.5],
                }
            ),
        },
        source="subtier",
    )


def sorted_by_key(dataset: Dataset) -> dict[str, pl.DataFrame]:
    """The tables of `dataset` in the order a store gives them back: by key, nulls first."""
    return {
        name: frame.sort(list(TABLES[name].key), nulls_last=False, maintain_order=True)
        for name, frame in dataset.tables.items()
    }


def network(n_firms: int, n_supplies: int, *, seed: int = 0) -> Dataset:
    """A random firm-level inter-firm network (firms and supplies only), valid by construction."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"N{i:07d}" for i in range(n_firms)])
    firms = pl.DataFrame(
        {
            "firm_id": ids,
            "name": [f"Firm {i}" for i in range(n_firms)],
            "country": rng.choice(["JP", "JP", "JP", "US", "CN", "DE"], n_firms),
            "employees": rng.integers(1, 50_000, n_firms),
            "revenue_jpy": rng.lognormal(20, 2, n_firms).round(0),
            "synthetic": np.ones(n_firms, dtype=bool),
        }
    )
    # Distinct (supplier, customer) pairs without self-loops.
    pairs = rng.integers(0, n_firms, size=(int(n_supplies * 1.2) + 10, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    pairs = np.unique(pairs, axis=0)[:n_supplies]
    rng.shuffle(pairs)
    supplies = pl.DataFrame(
        {
            "supplier_id": ids[pairs[:, 0]],
            "customer_id": ids[pairs[:, 1]],
            "annual_value_jpy": rng.lognormal(15, 2, len(pairs)).round(0),
            "lead_time_days": rng.integers(1, 365, len(pairs)),
        }
    )
    return Dataset.from_frames({"firms": firms, "supplies": supplies}, source=f"network-{seed}")
