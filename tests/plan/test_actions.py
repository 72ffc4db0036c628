"""Candidate actions from the risk analysis: the risks they address and what they cost."""

from __future__ import annotations

import polars as pl
import pytest

from kiban.dataset import Dataset
from kiban.errors import PlanError
from kiban.network import SupplyNetwork
from kiban.plan.actions import ActionCosts, candidate_actions
from kiban.plan.optimize import evaluate, solve_plan
from kiban.reference.programs import generate_programs
from kiban.risk.spof import single_points_of_failure
from kiban.simulate.sampling import exit_probabilities
from tests.samples import sample_frames


@pytest.fixture(scope="module")
def sample() -> SupplyNetwork:
    return SupplyNetwork.build(Dataset.from_frames(sample_frames()))


def test_every_single_point_below_the_prime_is_a_risk_of_its_program(
    sample: SupplyNetwork,
) -> None:
    found = candidate_actions(sample)
    spof = single_points_of_failure(sample).filter(pl.col("tier") > 0)
    assert [r.risk_id for r in found.risks] == [f"P-FX:{f}" for f in spof["firm_id"]]
    probability = dict(exit_probabilities(sample).select("firm_id", "exit_probability").iter_rows())
    for risk, row in zip(found.risks, spof.iter_rows(named=True), strict=True):
        assert risk.exit_probability == probability[row["firm_id"]]
        days = {"F2": 540, "F3": 180, "F4": 90}[row["firm_id"]]  # qualification of its item
        assert risk.consequence_jpy == pytest.approx(12 * 1.5e10 * min(1, days / 365))
        assert risk.requirements == (f"{row['item_id']}@{row['customer_id']}",)


def test_second_sources_are_exclusive_alternatives_priced_by_qualification_time(
    sample: SupplyNetwork,
) -> None:
    costs = ActionCosts()
    found = candidate_actions(sample, costs)
    by_id = {a.action_id: a for a in found.actions}
    domestic = by_id["second_source:domestic:ASM-1@F1"]
    allied = by_id["second_source:allied:ASM-1@F1"]
    # ASM-1 takes 540 days to qualify.
    expected = costs.second_source_fixed_jpy + costs.second_source_per_day_jpy * 540
    assert domestic.cost_jpy == pytest.approx(expected)
    assert allied.cost_jpy == pytest.approx(expected * costs.allied_cost_frac)
    assert domestic.group == allied.group
    assert domestic.removes == allied.removes == (("P-FX:F2", "ASM-1@F1"),)
    # A stockpile of 180 days covers a third of a 540-day qualification.
    assert by_id["stockpile:ASM-1@F1"].reduces == (("P-FX:F2", pytest.approx(180 / 540)),)
    kinds = found.described.filter(pl.col("firm_id") == "F3")["kind"].to_list()
    # F3: cyber level 0, withdrawing: cyber and successor funding; every firm: a facility.
    assert {"cyber", "successor", "facility"} <= set(kinds)
    assert found.described["action_id"].to_list() == [a.action_id for a in found.actions]


def test_a_budget_buys_the_cheapest_removal_and_the_optimum_beats_any_single_action(
    sample: SupplyNetwork,
) -> None:
    found = candidate_actions(sample)
    problem = found.problem(2e8)
    plan = solve_plan(problem)
    assert plan.cost_jpy <= 2e8
    assert plan.risk_after_jpy < plan.risk_before_jpy
    assert plan.risk_after_jpy == pytest.approx(evaluate(problem, plan.chosen))
    single = min(evaluate(problem, [a.action_id]) for a in found.actions if a.cost_jpy <= 2e8)
    assert plan.risk_after_jpy <= single + 1e-9


def test_on_the_generated_programs_every_requirement_has_two_second_sources() -> None:
    network = SupplyNetwork.build(generate_programs(1, scale=0.05))
    found = candidate_actions(network)
    assert found.risks
    meets: dict[str, int] = {}
    for action in found.actions:
        assert action.cost_jpy > 0
        for _, requirement in action.removes:
            meets[requirement] = meets.get(requirement, 0) + 1
    needed = {q for risk in found.risks for q in risk.requirements}
    assert needed
    assert set(meets) == needed
    # Each requirement: a domestic and an allied source, one per risk it serves.
    per_requirement = (
        found.described.filter(pl.col("kind") == "second_source")
        .group_by("item_id", "customer_id")
        .len()
    )
    assert (per_requirement["len"] == 2).all()
    plan = solve_plan(found.problem(2.2e9))
    assert plan.risk_after_jpy < plan.risk_before_jpy


def test_bad_cost_assumptions_are_named() -> None:
    with pytest.raises(PlanError, match=r"allied_cost_frac = 1\.5 must be a fraction"):
        ActionCosts(allied_cost_frac=1.5)
    with pytest.raises(PlanError, match="stockpile_days = -1"):
        ActionCosts(stockpile_days=-1)


def test_actions_spread_over_years_are_bought_at_most_once(sample: SupplyNetwork) -> None:
    found = candidate_actions(sample).in_years([2027, 2026])
    ids = [a.action_id for a in found.actions]
    assert ids[:2] == [
        "second_source:domestic:ASM-1@F1@FY2026",
        "second_source:domestic:ASM-1@F1@FY2027",
    ]
    assert found.described["action_id"].to_list() == ids
    assert found.described["fiscal_year"].to_list()[:2] == [2026, 2027]
    by_id = {a.action_id: a for a in found.actions}
    # The alternatives of one requirement share a group across years; a firm action has its own.
    assert by_id["second_source:allied:ASM-1@F1@FY2027"].group == "second_source:ASM-1@F1"
    assert by_id["facility:F2@FY2026"].group == by_id["facility:F2@FY2027"].group == "facility:F2"
    plan = solve_plan(found.problem(1e12, {2026: 2e8, 2027: 1e8}))
    assert plan.cost_by_year[2026] <= 2e8 * (1 + 1e-9)
    assert plan.cost_by_year.get(2027, 0.0) <= 1e8 * (1 + 1e-9)
    bought = [i.rsplit("@FY", 1)[0] for i in plan.chosen]
    assert len(bought) == len(set(bought))
    with pytest.raises(PlanError, match=r"fiscal year 2026 must be an amount of JPY >= 0"):
        solve_plan(found.problem(1e9, {2026: -1.0, 2027: 1e8}))
