"""Firm risk, archetype tags and explanations: hand-built cases and a generated dataset."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from kiban.dataset import Dataset
from kiban.errors import RiskError
from kiban.network import SupplyNetwork
from kiban.reference.programs import generate_programs
from kiban.risk.archetypes import ARCHETYPES, archetype_evidence
from kiban.risk.config import config_from_mapping, load_config
from kiban.risk.fragility import fragility
from kiban.risk.scores import RISK_SCHEMA, explain, firm_risk

AS_OF = dt.date(2025, 6, 30)
CONFIG = load_config()

FRAGILE = {"operating_margin": -0.05, "has_successor": False}
"""A firm with a loss and no successor: fragility 3.4 with status active, 5 withdrawing."""


def base() -> SupplyNetwork:
    """P makes SYS from GEAR (only A makes it, A is withdrawing) and CHIP (C in the US).

    C and D (US) both supply CHIP to Q, which also buys STEEL from two fragile firms F1, F2
    and BOLT from B1 (exited) or B2. G is 40% foreign-owned, D below the cyber standard.
    """
    firms: list[dict[str, Any]] = [
        {"firm_id": "P", "cyber_level": 3, "has_successor": True},
        {"firm_id": "A", "status": "withdrawing", **FRAGILE},
        {"firm_id": "C", "country": "US"},
        {"firm_id": "D", "country": "US", "cyber_level": 1},
        {"firm_id": "Q"},
        {"firm_id": "F1", **FRAGILE},
        {"firm_id": "F2", **FRAGILE},
        {"firm_id": "B1", "status": "exited"},
        {"firm_id": "B2"},
        {"firm_id": "G", "foreign_ownership": 0.4},
    ]
    rows = [{"name": f"{f['firm_id']} Co", "country": "JP", "status": "active", **f} for f in firms]
    supplies = [
        ("A", "P", "GEAR"),
        ("C", "P", "CHIP"),
        ("C", "Q", "CHIP"),
        ("D", "Q", "CHIP"),
        ("F1", "Q", "STEEL"),
        ("F2", "Q", "STEEL"),
        ("B1", "Q", "BOLT"),
        ("B2", "Q", "BOLT"),
    ]
    return SupplyNetwork.build(
        Dataset.from_frames(
            {
                "firms": pl.DataFrame(rows),
                "items": pl.DataFrame(
                    {
                        "item_id": ["SYS", "GEAR", "CHIP", "STEEL", "BOLT"],
                        "name": ["System", "Gear", "Chip", "Steel", "Bolt"],
                        "kind": ["system", "assembly", "component", "material", "component"],
                        "qualification_days": [900, 365, 180, 90, 30],
                    }
                ),
                "bom": pl.DataFrame(
                    {
                        "parent_item_id": ["SYS", "SYS"],
                        "child_item_id": ["GEAR", "CHIP"],
                        "quantity": [1.0, 1.0],
                    }
                ),
                "supplies": pl.DataFrame(
                    {
                        "supplier_id": [s for s, _, _ in supplies],
                        "customer_id": [c for _, c, _ in supplies],
                        "item_id": [i for _, _, i in supplies],
                        "observed_at": [dt.date(2024, 1, 1)] * 4 + [dt.date(2025, 1, 1)] * 4,
                    }
                ),
                "programs": pl.DataFrame(
                    {
                        "program_id": ["X"],
                        "name": ["X"],
                        "item_id": ["SYS"],
                        "prime_id": ["P"],
                        "annual_quantity": [2.0],
                        "unit_price_jpy": [1e10],
                    }
                ),
            }
        )
    )


def tags(frame: pl.DataFrame) -> dict[str, list[str]]:
    return dict(zip(frame["firm_id"], frame["archetypes"].to_list(), strict=True))


def test_archetype_tags_on_a_hand_built_case() -> None:
    assert tags(firm_risk(base(), CONFIG, as_of=AS_OF)) == {
        # P buys its gear only from A, which is fragile and withdrawing.
        "P": ["fragile_market", "foreign_dependency", "vanishing_sources"],
        "A": [
            "sole_source",
            "fragile_supplier",
            "vanishing_sources",
            "workforce_or_succession_gap",
        ],
        "C": ["single_source"],
        "D": ["product_security"],
        "Q": ["fragile_market", "foreign_dependency", "vanishing_sources"],
        "F1": ["fragile_supplier", "workforce_or_succession_gap"],
        "F2": ["fragile_supplier", "workforce_or_succession_gap"],
        "B1": ["fragile_supplier", "vanishing_sources"],  # exited: status scores 5
        "B2": ["sole_source", "vanishing_sources"],
        "G": ["product_security"],
    }


def test_evidence_names_the_items_firms_and_values() -> None:
    net = base()
    evidence = archetype_evidence(net, CONFIG, fragility(net, CONFIG), as_of=AS_OF)
    said = {(r["firm_id"], r["archetype"]): r["evidence"] for r in evidence.iter_rows(named=True)}
    assert said["A", "sole_source"] == (
        "only source of GEAR (Gear) for P (P Co); no other firm in the data makes it"
    )
    assert said["C", "single_source"] == (
        "only source of CHIP (Chip) for P (P Co), although 1 other firm(s) make it"
    )
    assert said["P", "foreign_dependency"] == "buys CHIP (Chip) only from outside JP (US)"
    assert said["Q", "fragile_market"] == (
        "2 of the 2 producing source(s) of STEEL (Steel) are fragile: F1 (F1 Co), F2 (F2 Co)"
    )
    assert said["D", "product_security"] == "cyber_level 1 is below the standard (3)"
    assert said["G", "product_security"] == "foreign_ownership 0.4 is at or above 0.334"
    assert said["A", "fragile_supplier"].startswith("fragility 5.0 (at or above 3.0)")
    vanishing = evidence.filter(pl.col("archetype") == "vanishing_sources")
    assert set(vanishing.filter(pl.col("firm_id") == "B2")["evidence"]) == {
        "makes BOLT (Bolt) for Q (Q Co), whose source B1 (B1 Co) has exited"
    }
    assert set(vanishing.filter(pl.col("firm_id") == "A")["evidence"]) == {
        "itself is withdrawing: source of GEAR (Gear) for P (P Co)"
    }
    order = [ARCHETYPES.index(a) for a in evidence.filter(pl.col("firm_id") == "A")["archetype"]]
    assert order == sorted(order)


def test_thresholds_and_countries_of_concern_come_from_the_configuration() -> None:
    config = config_from_mapping(
        {
            "countries_of_concern": ["US"],
            "archetypes": {
                "fragile_supplier_at": 5.0,
                "cyber_standard_level": 1,
                "foreign_ownership_at": 0.5,
            },
        }
    )
    net = base()
    found = tags(firm_risk(net, config, as_of=AS_OF))
    assert "fragile_supplier" not in found["F1"]
    assert "fragile_market" not in found["Q"]
    assert found["A"][:2] == ["sole_source", "fragile_supplier"]  # 5.0 is at the threshold
    assert "product_security" not in found["D"] + found["G"]
    evidence = archetype_evidence(net, config, fragility(net, config), as_of=AS_OF)
    assert evidence.filter(firm_id="P", archetype="foreign_dependency").item(0, "evidence") == (
        "buys CHIP (Chip) only from outside JP (US), including countries of concern (US)"
    )


def test_a_half_fragile_market_is_fragile_when_the_share_says_so() -> None:
    config = config_from_mapping({"archetypes": {"fragile_market_share": 0.5}})
    net = SupplyNetwork.build(
        Dataset.from_frames(
            {
                "firms": pl.DataFrame(
                    [
                        {"firm_id": "Q", "name": "Q", "country": "JP"},
                        {"firm_id": "F", "name": "F", "country": "JP", **FRAGILE},
                        {"firm_id": "H", "name": "H", "country": "JP", "operating_margin": 0.1},
                    ]
                ),
                "items": pl.DataFrame({"item_id": ["I"], "name": ["I"], "kind": ["material"]}),
                "supplies": pl.DataFrame(
                    {"supplier_id": ["F", "H"], "customer_id": ["Q", "Q"], "item_id": ["I", "I"]}
                ),
            }
        )
    )
    assert "fragile_market" in tags(firm_risk(net, config, as_of=AS_OF))["Q"]
    assert "fragile_market" not in tags(firm_risk(net, CONFIG, as_of=AS_OF))["Q"]


def test_firm_risk_rows_columns_and_order() -> None:
    frame = firm_risk(base(), CONFIG, as_of=AS_OF)
    assert frame.schema == RISK_SCHEMA
    assert frame.height == 10
    risk = frame["risk"].to_list()
    assert risk == sorted(risk, reverse=True)
    rows = {r["firm_id"]: r for r in frame.iter_rows(named=True)}
    a = rows["A"]
    assert a["risk"] == pytest.approx(a["fragility"] * a["criticality"])
    assert a["risk_level"] == "high"  # fragility 5, the only source of a program's gear
    assert rows["D"]["risk_level"] == "low"  # criticality 1
    assert (a["spof_programs"], a["program_value_jpy"]) == (1, 2e10)
    # A's one supply was observed 2024-01-01: stale on 2025-06-30 (more than 396 days).
    assert (a["supplies"], a["stale_supplies"]) == (1, 1)
    assert (rows["Q"]["supplies"], rows["Q"]["stale_supplies"]) == (6, 2)
    assert rows["G"]["supplies"] == 0
    assert rows["G"]["oldest_observed_at"] is None
    assert frame["tier"].null_count() == frame.height


def test_risk_levels_follow_the_configured_matrix() -> None:
    strict = config_from_mapping({"risk": {"medium_at": 1.0, "high_at": 1.0}})
    assert set(firm_risk(base(), strict, as_of=AS_OF)["risk_level"]) == {"high"}


def test_a_program_keeps_the_firms_of_its_chain_with_their_tier() -> None:
    frame = firm_risk(base(), CONFIG, as_of=AS_OF, program_id="X")
    assert dict(zip(frame["firm_id"], frame["tier"], strict=True)) == {"P": 0, "A": 1, "C": 1}
    with pytest.raises(RiskError, match="no program 'Y'"):
        firm_risk(base(), CONFIG, as_of=AS_OF, program_id="Y")


def test_an_empty_dataset_is_refused() -> None:
    empty = SupplyNetwork.build(Dataset.from_frames({}))
    with pytest.raises(RiskError, match="no firms"):
        firm_risk(empty, CONFIG, as_of=AS_OF)
    with pytest.raises(RiskError, match="no firms"):
        explain(empty, CONFIG, "A", as_of=AS_OF)


def test_explain_decomposes_each_score() -> None:
    net = base()
    why = explain(net, CONFIG, "A", as_of=AS_OF)
    assert (why.firm_id, why.name, why.facts["status"]) == ("A", "A Co", "withdrawing")
    assert why.fragility_factors.columns == [
        "factor",
        "value",
        "measure",
        "score",
        "weight",
        "weight_used",
        "contribution",
    ]
    assert why.fragility_factors["contribution"].sum() == pytest.approx(why.fragility)
    assert why.criticality_factors["contribution"].sum() == pytest.approx(why.criticality)
    missing = why.fragility_factors.filter(pl.col("score").is_null())
    assert set(missing["factor"]) == {
        "defense_dependence",
        "customer_concentration",
        "size",
        "hazard",
        "cyber",
        "foreign_ownership",
    }
    assert missing["weight_used"].sum() == 0
    assert missing["weight"].min() > 0
    assert why.fragility == pytest.approx(5.0)
    assert why.risk == pytest.approx(why.fragility * why.criticality)
    assert why.tags == [
        "sole_source",
        "fragile_supplier",
        "vanishing_sources",
        "workforce_or_succession_gap",
    ]
    assert why.spof.rows() == [("X", "P", "GEAR", "only source of GEAR (Gear) for P (P Co)", 1)]
    assert (why.data_age.supplies, why.data_age.stale) == (1, 1)
    assert why.config_source == "kiban defaults"
    with pytest.raises(RiskError, match="no firm 'NOPE'"):
        explain(net, CONFIG, "NOPE", as_of=AS_OF)


@pytest.fixture(scope="module")
def generated() -> SupplyNetwork:
    return SupplyNetwork.build(generate_programs(1, scale=0.05))


def test_explain_on_a_generated_dataset(generated: SupplyNetwork) -> None:
    risk = firm_risk(generated, CONFIG, as_of=AS_OF)
    assert risk.height == generated.n_firms
    top = risk.row(0, named=True)
    why = explain(generated, CONFIG, top["firm_id"], as_of=AS_OF)
    assert why.fragility == pytest.approx(top["fragility"])
    assert why.criticality == pytest.approx(top["criticality"])
    assert why.tags == top["archetypes"]
    assert why.spof.height == top["spof_programs"]
    assert why.fragility_factors["contribution"].sum() == pytest.approx(why.fragility)
    assert why.data_age.supplies == top["supplies"]
    # Every tag in the data is one of the archetypes, and several of them occur.
    found = set(risk["archetypes"].explode().drop_nulls())
    assert found <= set(ARCHETYPES)
    assert {"sole_source", "single_source", "fragile_supplier", "product_security"} <= found


def test_the_same_inputs_give_the_same_result(generated: SupplyNetwork) -> None:
    first = firm_risk(generated, CONFIG, as_of=AS_OF, program_id="destroyer")
    again = firm_risk(generated, CONFIG, as_of=AS_OF, program_id="destroyer")
    assert first.equals(again)


def test_supply_counts_and_ages_agree_with_a_plain_count(generated: SupplyNetwork) -> None:
    risk = firm_risk(generated, CONFIG, as_of=AS_OF)
    supplies = generated.dataset.supplies.with_row_index("row")
    touching = pl.concat(
        [
            supplies.select("row", "observed_at", firm_id="supplier_id"),
            supplies.select("row", "observed_at", firm_id="customer_id"),
        ]
    ).unique(["row", "firm_id"])
    limit = CONFIG.stale_after_days
    expected = touching.group_by("firm_id").agg(
        supplies=pl.len(),
        stale=((pl.lit(AS_OF) - pl.col("observed_at")).dt.total_days() > limit).sum(),
        oldest=pl.col("observed_at").min(),
    )
    got = risk.select("firm_id", "supplies", "stale_supplies", "oldest_observed_at")
    both = got.join(expected, on="firm_id", how="left")
    assert both["supplies"].to_list() == both["supplies_right"].fill_null(0).to_list()
    assert both["stale_supplies"].to_list() == both["stale"].fill_null(0).to_list()
    assert both["oldest_observed_at"].to_list() == both["oldest"].to_list()
