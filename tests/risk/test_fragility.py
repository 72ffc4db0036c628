"""Fragility: each factor read from the data, missing ones shared out, combined into 1..5."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.network import SupplyNetwork
from kiban.risk.config import config_from_mapping, load_config
from kiban.risk.fragility import FRAGILITY_FACTORS, customer_concentration, fragility

CONFIG = load_config()


def network(
    firms: list[dict[str, Any]], supplies: list[dict[str, Any]] | None = None
) -> SupplyNetwork:
    rows = [{"name": f["firm_id"], "country": "JP", **f} for f in firms]
    frames = {"firms": pl.DataFrame(rows)}
    if supplies:
        frames["supplies"] = pl.DataFrame(supplies)
    return SupplyNetwork.build(Dataset.from_frames(frames))


def by_firm(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["firm_id"]: row for row in frame.iter_rows(named=True)}


def test_each_factor_reads_its_column_through_its_scale() -> None:
    net = network(
        [
            {
                "firm_id": "A",
                "status": "withdrawing",
                "operating_margin": 0.02,
                "has_successor": False,
                "revenue_jpy": 1e9,
                "defense_revenue_jpy": 5e8,
                "employees": 20,
                "region": "Aichi",
                "cyber_level": 3,
                "foreign_ownership": 0.5,
            },
            {"firm_id": "B", "revenue_jpy": 1e10},
            {"firm_id": "C"},
        ],
        [
            {"supplier_id": "A", "customer_id": "B", "annual_value_jpy": 75.0},
            {"supplier_id": "A", "customer_id": "C", "annual_value_jpy": 25.0},
        ],
    )
    config = config_from_mapping({"region_hazard": {"aichi": 0.26}})
    a = by_firm(fragility(net, config))["A"]
    expected = {
        "status": (1.0, 5.0),
        "operating_margin": (0.02, 3.0),
        "succession": (1.0, 5.0),
        "defense_dependence": (0.5, 4.0),
        "customer_concentration": (0.75, 4.0),
        "size": (20.0, 4.0),
        "hazard": (0.26, 4.0),
        "cyber": (3.0, 1.0),
        "foreign_ownership": (0.5, 5.0),
    }
    for name, (value, score) in expected.items():
        assert a[f"{name}_value"] == pytest.approx(value), name
        assert a[f"{name}_score"] == pytest.approx(score), name
    assert a["fragility_coverage"] == pytest.approx(1.0)
    assert a["size_basis"] == "employees"
    weights = {name: getattr(config.fragility, name).weight for name in FRAGILITY_FACTORS}
    mean = sum(weights[n] * s for n, (_, s) in expected.items()) / sum(weights.values())
    assert a["fragility"] == pytest.approx(mean)
    assert a["fragility_level"] == round(mean)


def test_missing_factors_share_out_their_weight() -> None:
    frame = by_firm(fragility(network([{"firm_id": "B", "revenue_jpy": 1e10}]), CONFIG))
    b = frame["B"]
    # Known: status (active) and size (from revenue, since employees are unknown).
    assert b["size_basis"] == "revenue_jpy"
    assert b["size_score"] == pytest.approx(2.0)
    for name in ("operating_margin", "succession", "defense_dependence", "hazard", "cyber"):
        assert b[f"{name}_value"] is None
        assert b[f"{name}_score"] is None
        assert b[f"{name}_weight"] == 0.0
        assert b[f"{name}_contribution"] == 0.0
    w_status, w_size = CONFIG.fragility.status.weight, CONFIG.fragility.size.weight
    assert b["status_weight"] == pytest.approx(w_status / (w_status + w_size))
    assert b["fragility"] == pytest.approx((w_status * 1.0 + w_size * 2.0) / (w_status + w_size))
    total = sum(getattr(CONFIG.fragility, n).weight for n in FRAGILITY_FACTORS)
    assert b["fragility_coverage"] == pytest.approx((w_status + w_size) / total)


def test_zero_revenue_leaves_defense_dependence_unknown() -> None:
    net = network([{"firm_id": "Z", "revenue_jpy": 0.0, "defense_revenue_jpy": 0.0}])
    assert fragility(net, CONFIG).item(0, "defense_dependence_value") is None


def test_customer_concentration_sums_values_per_customer() -> None:
    net = network(
        [{"firm_id": i} for i in ("S", "A", "B", "T")],
        [
            {"supplier_id": "S", "customer_id": "A", "annual_value_jpy": 10.0},
            {"supplier_id": "S", "customer_id": "A", "annual_value_jpy": 30.0},
            {"supplier_id": "S", "customer_id": "B", "annual_value_jpy": 60.0},
            {"supplier_id": "T", "customer_id": "A", "annual_value_jpy": None},
        ],
    )
    share = customer_concentration(net)
    assert share[0] == pytest.approx(0.6)
    assert np.isnan(share[1:]).all()


def test_weights_from_a_user_file_change_the_score_as_expected() -> None:
    firm = {"firm_id": "A", "operating_margin": -0.05, "status": "active", "cyber_level": 3}
    net = network([firm])
    default = fragility(net, CONFIG).item(0, "fragility")
    assert 1.0 < default < 5.0
    only_margin = {
        name: {"weight": 1.0 if name == "operating_margin" else 0.0} for name in FRAGILITY_FACTORS
    }
    assert fragility(net, config_from_mapping({"fragility": only_margin})).item(
        0, "fragility"
    ) == pytest.approx(5.0)
    heavier_margin = config_from_mapping({"fragility": {"operating_margin": {"weight": 10.0}}})
    assert fragility(net, heavier_margin).item(0, "fragility") > default


maybe = st.none() | st.floats(0, 1)
firm_rows = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["active", "withdrawing", "exited"]),
        "operating_margin": st.none() | st.floats(-1, 1),
        "has_successor": st.none() | st.booleans(),
        "revenue_jpy": st.none() | st.floats(0, 1e12),
        "defense_share": maybe,
        "employees": st.none() | st.integers(0, 100_000),
        "cyber_level": st.none() | st.integers(0, 3),
        "foreign_ownership": maybe,
        "region": st.none() | st.sampled_from(["Aichi", "Chiba", "Nowhere"]),
    }
)


def firm(index: int, row: dict[str, Any]) -> dict[str, Any]:
    share = row.pop("defense_share")
    revenue = row["revenue_jpy"]
    defense = None if share is None or revenue is None else share * revenue
    return {"firm_id": f"F{index}", **row, "defense_revenue_jpy": defense}


HAZARD = config_from_mapping({"region_hazard": {"Aichi": 0.45, "Chiba": 0.85}})


@settings(max_examples=60, deadline=None)
@given(st.lists(firm_rows, min_size=1, max_size=8))
def test_contributions_sum_to_the_score_before_rounding(rows: list[dict[str, Any]]) -> None:
    frame = fragility(network([firm(i, r) for i, r in enumerate(rows)]), HAZARD)
    for row in frame.iter_rows(named=True):
        contributions = [row[f"{n}_contribution"] for n in FRAGILITY_FACTORS]
        used = [row[f"{n}_weight"] for n in FRAGILITY_FACTORS]
        # status is always known, so every firm has a score.
        assert sum(contributions) == pytest.approx(row["fragility"], abs=1e-12)
        assert sum(used) == pytest.approx(1.0)
        assert 1.0 <= row["fragility"] <= 5.0
        assert row["fragility_level"] == int(np.floor(row["fragility"] + 0.5))
        for name in FRAGILITY_FACTORS:
            if row[f"{name}_score"] is None:
                assert row[f"{name}_weight"] == 0.0
            else:
                assert 1.0 <= row[f"{name}_score"] <= 5.0


@settings(max_examples=60, deadline=None)
@given(firm_rows, st.floats(-1, 1), st.floats(-1, 1))
def test_a_worse_margin_never_lowers_fragility(row: dict[str, Any], m1: float, m2: float) -> None:
    worse, better = sorted((m1, m2))
    base = firm(0, row)
    net = network(
        [{**base, "operating_margin": worse}, {**base, "firm_id": "G", "operating_margin": better}]
    )
    scores = fragility(net, HAZARD).get_column("fragility")
    assert scores[0] >= scores[1] - 1e-12


@settings(max_examples=60, deadline=None)
@given(firm_rows, st.floats(1e6, 1e12), st.floats(0, 1), st.floats(0, 1))
def test_a_higher_defense_dependence_never_lowers_fragility(
    row: dict[str, Any], revenue: float, s1: float, s2: float
) -> None:
    low, high = sorted((s1, s2))
    base = {**firm(0, row), "revenue_jpy": revenue}
    net = network(
        [
            {**base, "defense_revenue_jpy": high * revenue},
            {**base, "firm_id": "G", "defense_revenue_jpy": low * revenue},
        ]
    )
    scores = fragility(net, HAZARD).get_column("fragility")
    assert scores[0] >= scores[1] - 1e-12
