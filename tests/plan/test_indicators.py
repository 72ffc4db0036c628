"""Outcome indicators: counted from the plan and the data, checked by hand on the sample."""

from __future__ import annotations

from kiban.dataset import Dataset
from kiban.network import SupplyNetwork
from kiban.plan.actions import ActionCosts, candidate_actions
from kiban.plan.indicators import outcome_indicators
from kiban.plan.optimize import Plan
from tests.samples import sample_frames


def plan_of(chosen: tuple[str, ...], removed: tuple[str, ...], cost: float) -> Plan:
    return Plan(chosen, cost, {None: cost}, 10.0, 4.0, removed, "optimal", 0.0, 4.0, 0.0)


def test_indicators_count_what_the_plan_changes() -> None:
    dataset = Dataset.from_frames(sample_frames())
    found = candidate_actions(SupplyNetwork.build(dataset))
    # F2 (margin -1.2%) funded for efficiency: +2 points lifts it above 0.
    plan = plan_of(("efficiency:F2", "second_source:domestic:ASM-1@F1"), ("P-FX:F2",), 3.0)
    got = outcome_indicators(dataset, found, plan)
    assert got["single_points_removed"] == 1
    assert got["single_points_left"] == len(found.risks) - 1
    assert got["programs_without_single_point_before"] == 0
    assert got["programs_without_single_point_after"] == 0  # F3 and F4 remain
    assert got["risk_avoided_jpy"] == 6.0
    assert got["risk_avoided_per_jpy"] == 2.0
    assert got["suppliers_funded_for_efficiency"] == 1
    assert got["suppliers_lifted_above_viability"] == 1
    # A smaller gain leaves F2 below break-even.
    small = ActionCosts(efficiency_margin_gain_frac=0.01)
    assert (
        outcome_indicators(dataset, found, plan, costs=small)["suppliers_lifted_above_viability"]
        == 0
    )
    every = tuple(r.risk_id for r in found.risks)
    assert (
        outcome_indicators(dataset, found, plan_of((), every, 1.0))[
            "programs_without_single_point_after"
        ]
        == 1
    )
