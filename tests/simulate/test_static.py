"""Static impact: the firms, programs and pairs a scenario stops, against producibility."""

from __future__ import annotations

from functools import cache

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.network import SupplyNetwork
from kiban.reference.programs import generate_programs
from kiban.risk.producibility import producibility
from kiban.simulate.scenario import (
    DemandSurge,
    Embargo,
    FirmExit,
    ItemShortage,
    RegionalDisaster,
    Scenario,
    shortcut_scenario,
)
from kiban.simulate.static import (
    PROGRAM_IMPACT_SCHEMA,
    STOPPED_FIRMS_SCHEMA,
    UNSOURCED_SCHEMA,
    static_impact,
)

# P makes the ship from SEAL and GEAR. SEAL comes only from abroad (U, in the US); GEAR from
# G1 (Aichi) or G2 (Gifu), which need STEEL from M (Aichi; X has exited already) and M2
# (Gifu).
FIRMS = {
    "P": ("JP", "Tokyo", "active"),
    "U": ("US", None, "active"),
    "G1": ("JP", "Aichi", "active"),
    "G2": ("JP", "Gifu", "active"),
    "M": ("JP", "Aichi", "active"),
    "X": ("JP", "Aichi", "exited"),
    "M2": ("JP", "Gifu", "active"),
}
SUPPLIES = [
    ("U", "P", "SEAL"),
    ("G1", "P", "GEAR"),
    ("G2", "P", "GEAR"),
    ("M", "G1", "STEEL"),
    ("X", "G1", "STEEL"),
    ("M2", "G2", "STEEL"),
]


@cache
def network() -> SupplyNetwork:
    return SupplyNetwork.build(
        Dataset.from_frames(
            {
                "firms": pl.DataFrame(
                    {
                        "firm_id": list(FIRMS),
                        "name": [f"{f} Co" for f in FIRMS],
                        "country": [c for c, _, _ in FIRMS.values()],
                        "region": [r for _, r, _ in FIRMS.values()],
                        "status": [s for _, _, s in FIRMS.values()],
                    }
                ),
                "items": pl.DataFrame(
                    {
                        "item_id": ["SHIP", "SEAL", "GEAR", "STEEL"],
                        "name": ["Ship", "Seal", "Gear", "Steel"],
                        "kind": ["system", "component", "component", "material"],
                    }
                ),
                "bom": pl.DataFrame(
                    {
                        "parent_item_id": ["SHIP", "SHIP", "GEAR"],
                        "child_item_id": ["SEAL", "GEAR", "STEEL"],
                        "quantity": [1.0, 2.0, 3.0],
                    }
                ),
                "supplies": pl.DataFrame(
                    dict(
                        zip(
                            ["supplier_id", "customer_id", "item_id"],
                            zip(*SUPPLIES, strict=True),
                            strict=True,
                        )
                    )
                ),
                "programs": pl.DataFrame(
                    {"program_id": ["DD"], "name": ["Ship"], "item_id": ["SHIP"], "prime_id": ["P"]}
                ),
            }
        )
    )


def test_an_embargo_on_the_only_foreign_source_stops_the_program() -> None:
    impact = static_impact(network(), Scenario("e", 30, (Embargo("US", day=4),)))
    assert impact.stopped_programs == ["DD"]
    assert impact.stopped_firms.rows() == [
        ("U", "U Co", "US", None, 4, "[[embargo]] #1: embargo on US")
    ]
    row = impact.programs.row(0, named=True)
    assert (row["customer_id"], row["item_id"]) == ("P", "SEAL")
    assert "its only source U (U Co) is removed" in row["reason"]
    assert impact.unsourced.rows() == [("P", "SEAL", 1, 4)]
    assert impact.programs.schema == PROGRAM_IMPACT_SCHEMA
    assert impact.stopped_firms.schema == STOPPED_FIRMS_SCHEMA
    assert impact.unsourced.schema == UNSOURCED_SCHEMA


def test_an_exit_with_an_alternative_stops_nothing_downstream() -> None:
    impact = static_impact(network(), shortcut_scenario(exit=["G2"]))
    assert impact.stopped_programs == []
    assert impact.programs.row(0, named=True)["producible"]
    assert impact.unsourced.is_empty()
    assert impact.stopped_firms.get_column("firm_id").to_list() == ["G2"]


def test_a_total_disaster_stops_a_region_and_the_pairs_it_alone_supplied() -> None:
    # Aichi holds G1 and M (X has exited already and is not listed): G1 loses STEEL, but P
    # still gets GEAR from G2 in Gifu.
    impact = static_impact(network(), shortcut_scenario(disaster=["Aichi"], loss=1.0))
    assert impact.stopped_firms.get_column("firm_id").to_list() == ["G1", "M"]
    assert impact.stopped_programs == []
    assert impact.unsourced.rows() == [("G1", "STEEL", 1, 0)]
    both = static_impact(
        network(),
        Scenario(
            "two",
            30,
            (RegionalDisaster(("Aichi",), 1.0, day=7), FirmExit(("G2",), day=3)),
        ),
    )
    assert both.stopped_programs == ["DD"]
    assert both.unsourced.rows() == [("P", "GEAR", 2, 7), ("G1", "STEEL", 1, 7)]


def test_the_earliest_shock_is_the_cause() -> None:
    impact = static_impact(
        network(),
        Scenario("s", 30, (FirmExit(("G1",), day=9), RegionalDisaster(("Aichi",), 1.0, day=2))),
    )
    assert impact.stopped_firms.select("firm_id", "day").rows() == [("G1", 2), ("M", 2)]
    assert impact.stopped_firms.get_column("cause").str.starts_with("[[disaster]] #1").all()


def test_partial_losses_stop_nothing_and_say_so() -> None:
    scenario = Scenario(
        "soft",
        30,
        (
            RegionalDisaster(("Aichi",), 0.99, recovery="linear", recovery_days=10),
            ItemShortage("SEAL", 1.0),
            DemandSurge("DD", 3.0),
            Embargo("KR"),
        ),
    )
    impact = static_impact(network(), scenario)
    assert impact.stopped_firms.is_empty()
    assert impact.unsourced.is_empty()
    assert impact.stopped_programs == []
    assert len(impact.notes) == 4
    assert "no firm of the network is in KR" in impact.notes[3]


@cache
def programs() -> SupplyNetwork:
    return SupplyNetwork.build(generate_programs(1, scale=0.05))


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_agrees_with_producibility_on_random_exits(data: st.DataObject) -> None:
    net = programs()
    ids = net.firm_ids.to_list()
    exits = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=40, unique=True))
    impact = static_impact(net, shortcut_scenario(exit=exits))
    expected = producibility(net, removed=exits)
    assert impact.programs.select(expected.columns).equals(expected)
    before = producibility(net).get_column("producible")
    assert impact.programs.get_column("producible_before").equals(before)
    # Pairs: every producing source of an unsourced pair is among the exits, and no other pair
    # lost all its sources.
    supplies = net.dataset.supplies.join(
        net.dataset.firms.select(supplier_id="firm_id", status="status"), on="supplier_id"
    ).filter(pl.col("item_id").is_not_null(), pl.col("status") != "exited")
    per_pair = supplies.group_by("customer_id", "item_id").agg(
        left=(~pl.col("supplier_id").is_in(exits)).sum(),
        lost=pl.col("supplier_id").filter(pl.col("supplier_id").is_in(exits)).n_unique(),
    )
    expected_pairs = per_pair.filter(left=0).select("customer_id", "item_id", "lost")
    got = impact.unsourced.select("customer_id", "item_id", lost="lost_sources")
    assert sorted(got.rows()) == sorted(expected_pairs.rows())
