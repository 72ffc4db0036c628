"""The budget curve: each point is the optimum at its budget, and the least sufficient budget."""

from __future__ import annotations

import pytest

from kiban.dataset import Dataset
from kiban.errors import PlanError
from kiban.network import SupplyNetwork
from kiban.plan.actions import Candidates, candidate_actions
from kiban.plan.curve import ENOUGH_LABEL, budget_curve
from kiban.plan.optimize import solve_plan
from tests.samples import sample_frames


@pytest.fixture(scope="module")
def candidates() -> Candidates:
    return candidate_actions(SupplyNetwork.build(Dataset.from_frames(sample_frames())))


def test_each_point_is_the_optimum_at_its_budget_and_risk_falls_with_budget(
    candidates: Candidates,
) -> None:
    curve = budget_curve(candidates, points=5, marks=[(2.2e9, "FY2022 earmark")])
    points = curve.points
    assert points["budget_jpy"].is_sorted()
    assert points["risk_after_jpy"].diff().drop_nulls().max() <= 1e-6
    assert points.row(0, named=True)["risk_after_jpy"] == curve.risk_before_jpy
    for row in points.iter_rows(named=True):
        if row["budget_jpy"] > 0:
            plan = solve_plan(candidates.problem(row["budget_jpy"]), mip_gap=1e-4)
            assert row["risk_after_jpy"] == pytest.approx(plan.risk_after_jpy, rel=1e-3, abs=1e-3)
            assert row["cost_jpy"] <= row["budget_jpy"] * (1 + 1e-9)
    marked = points.filter(points["label"] == "FY2022 earmark").row(0, named=True)
    assert marked["budget_jpy"] == 2.2e9
    slopes = points["risk_removed_jpy"].diff() / points["budget_jpy"].diff()
    assert points["marginal_risk_removed_per_jpy"][1:].to_list() == pytest.approx(
        slopes[1:].to_list()
    )


def test_the_least_sufficient_budget_is_found_to_its_precision(candidates: Candidates) -> None:
    curve = budget_curve(candidates, points=4, precision=0.02)
    assert curve.enough_jpy is not None
    enough = curve.points.filter(curve.points["label"] == ENOUGH_LABEL).row(0, named=True)
    assert enough["enough"]
    assert enough["budget_jpy"] == curve.enough_jpy
    # Below it by more than the precision, the floor is out of reach.
    short = solve_plan(candidates.problem(curve.enough_jpy * 0.97), mip_gap=1e-4)
    assert short.risk_after_jpy > curve.risk_floor_jpy + 1e-4 * curve.risk_before_jpy
    # Every budget at or above it is enough; every one below is not.
    for row in curve.points.iter_rows(named=True):
        assert row["enough"] == (row["budget_jpy"] >= curve.enough_jpy)


def test_a_curve_capped_below_enough_says_so(candidates: Candidates) -> None:
    curve = budget_curve(candidates, points=3, max_budget_jpy=1e7)
    assert curve.enough_jpy is None
    assert not curve.points["enough"].any()
    with pytest.raises(PlanError, match="positive amount"):
        budget_curve(candidates, marks=[(-1.0, "bad")])
