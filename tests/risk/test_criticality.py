"""Criticality: programs at stake, their value, time to requalify, pairs supplied alone."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.errors import RiskError
from kiban.network import SupplyNetwork
from kiban.risk.config import load_config
from kiban.risk.criticality import CRITICALITY_FACTORS, criticality, only_sources
from kiban.risk.spof import single_points_of_failure

CONFIG = load_config()


def chain() -> SupplyNetwork:
    """P makes SYS from GEAR (only A makes it) and CHIP (C for P; C and D for Q).

    A needs BOLT from B1 (exited) or B2. Program X: 2 a year at 1e10 yen.
    """
    firms = ["P", "A", "B1", "B2", "C", "D", "Q"]
    return SupplyNetwork.build(
        Dataset.from_frames(
            {
                "firms": pl.DataFrame(
                    {
                        "firm_id": firms,
                        "name": firms,
                        "country": ["JP", "JP", "JP", "JP", "US", "US", "JP"],
                        "status": ["active", "active", "exited"] + ["active"] * 4,
                    }
                ),
                "items": pl.DataFrame(
                    {
                        "item_id": ["SYS", "GEAR", "CHIP", "BOLT"],
                        "name": ["System", "Gear", "Chip", "Bolt"],
                        "kind": ["system", "assembly", "component", "component"],
                        "qualification_days": [900, 365, 180, None],
                    }
                ),
                "bom": pl.DataFrame(
                    {
                        "parent_item_id": ["SYS", "SYS", "GEAR"],
                        "child_item_id": ["GEAR", "CHIP", "BOLT"],
                        "quantity": [1.0, 1.0, 1.0],
                    }
                ),
                "supplies": pl.DataFrame(
                    {
                        "supplier_id": ["A", "C", "B1", "B2", "C", "D"],
                        "customer_id": ["P", "P", "A", "A", "Q", "Q"],
                        "item_id": ["GEAR", "CHIP", "BOLT", "BOLT", "CHIP", "CHIP"],
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


def by_firm(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["firm_id"]: row for row in frame.iter_rows(named=True)}


def test_factors_on_a_hand_built_chain() -> None:
    net = chain()
    rows = by_firm(criticality(net, CONFIG))
    values = {firm: tuple(rows[firm][f"{f}_value"] for f in CRITICALITY_FACTORS) for firm in rows}
    assert values == {
        # Prime: its exit stops X; replacing it means qualifying the system.
        "P": (1, 2e10, 900, 0),
        "A": (1, 2e10, 365, 1),
        "C": (1, 2e10, 180, 1),
        # B2 is the last producing source of BOLT; BOLT has no qualification time.
        "B2": (1, 2e10, 0, 1),
        "B1": (0, 0, 0, 0),
        "D": (0, 0, 0, 0),
        "Q": (0, 0, 0, 0),
    }
    assert rows["A"]["spof_program_ids"] == ["X"]
    assert rows["D"]["spof_program_ids"] == []
    assert rows["D"]["criticality"] == pytest.approx(1.0)
    # 2e10 lies a ninth of the way from 1e10 (score 3) to 1e11 (score 4).
    assert rows["A"]["program_value_jpy_score"] == pytest.approx(3 + 1 / 9)
    assert rows["A"]["qualification_days_score"] == pytest.approx(4.0)
    weights = {f: getattr(CONFIG.criticality, f).weight for f in CRITICALITY_FACTORS}
    scores = {f: rows["A"][f"{f}_score"] for f in CRITICALITY_FACTORS}
    expected = sum(weights[f] * scores[f] for f in weights) / sum(weights.values())
    assert rows["A"]["criticality"] == pytest.approx(expected)
    assert rows["A"]["criticality_coverage"] == 1.0
    assert sum(rows["A"][f"{f}_contribution"] for f in weights) == pytest.approx(expected)


def test_only_sources_skip_exited_suppliers() -> None:
    pairs = only_sources(chain()).select("customer_id", "item_id", "supplier_id").rows()
    assert sorted(pairs) == [("A", "BOLT", "B2"), ("P", "CHIP", "C"), ("P", "GEAR", "A")]


def test_a_given_spof_frame_is_used_and_checked() -> None:
    net = chain()
    spof = single_points_of_failure(net)
    assert criticality(net, CONFIG, spof=spof).equals(criticality(net, CONFIG))
    none = spof.clear()
    assert by_firm(criticality(net, CONFIG, spof=none))["P"]["spof_programs_value"] == 0
    with pytest.raises(RiskError, match="lack the column"):
        criticality(net, CONFIG, spof=spof.drop("item_id"))


def test_a_network_without_items_or_programs_is_nowhere_critical() -> None:
    ds = Dataset.from_frames(
        {
            "firms": pl.DataFrame(
                {"firm_id": ["A", "B"], "name": ["A", "B"], "country": ["JP"] * 2}
            ),
            "supplies": pl.DataFrame({"supplier_id": ["A"], "customer_id": ["B"]}),
        }
    )
    frame = criticality(SupplyNetwork.build(ds), CONFIG)
    assert frame.get_column("criticality").to_list() == [1.0, 1.0]


def programs_network(values: list[float | None]) -> SupplyNetwork:
    ids = [f"G{i}" for i in range(len(values))]
    return SupplyNetwork.build(
        Dataset.from_frames(
            {
                "firms": pl.DataFrame(
                    {"firm_id": ["P", "S"], "name": ["P", "S"], "country": ["JP"] * 2}
                ),
                "items": pl.DataFrame(
                    {
                        "item_id": ["SYS", "PART"],
                        "name": ["s", "p"],
                        "kind": ["system", "component"],
                        "qualification_days": [400, 200],
                    }
                ),
                "programs": pl.DataFrame(
                    {
                        "program_id": ids,
                        "name": ids,
                        "item_id": ["SYS"] * len(ids),
                        "prime_id": ["P"] * len(ids),
                        "annual_quantity": [1.0] * len(ids),
                        "unit_price_jpy": values,
                    },
                    schema_overrides={"unit_price_jpy": pl.Float64},
                ),
            }
        )
    )


def spof_rows(programs: set[int], items: list[str | None]) -> pl.DataFrame:
    order = sorted(programs)
    return pl.DataFrame(
        {
            "program_id": [f"G{i}" for i in order],
            "firm_id": ["S"] * len(order),
            "item_id": [items[i] for i in order],
        },
        schema={"program_id": pl.String, "firm_id": pl.String, "item_id": pl.String},
    )


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.none() | st.floats(0, 1e12), st.sampled_from([None, "SYS", "PART"])),
        min_size=1,
        max_size=6,
    ).flatmap(
        lambda programs: st.tuples(
            st.just(programs),
            st.sets(st.integers(0, len(programs) - 1)),
            st.sets(st.integers(0, len(programs) - 1)),
        )
    )
)
def test_more_programs_at_stake_never_lower_criticality(
    case: tuple[list[tuple[float | None, str | None]], set[int], set[int]],
) -> None:
    programs, some, more = case
    net = programs_network([value for value, _ in programs])
    items = [item for _, item in programs]
    fewer = criticality(net, CONFIG, spof=spof_rows(some, items))
    larger = criticality(net, CONFIG, spof=spof_rows(some | more, items))
    s = 1  # row of S
    assert larger.item(s, "criticality") >= fewer.item(s, "criticality") - 1e-12
    assert larger.item(s, "spof_programs_value") == len(some | more)
