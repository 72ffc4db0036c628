"""Consequences from the propagation model: each risk's loss is its firm's simulated exit."""

from __future__ import annotations

import pytest

from kiban.dataset import Dataset
from kiban.network import SupplyNetwork
from kiban.plan.actions import candidate_actions
from kiban.plan.optimize import solve_plan
from kiban.plan.simulated import simulated_consequences
from kiban.simulate import FirmExit, Scenario, propagate
from tests.samples import sample_frames


def test_each_consequence_is_the_programs_simulated_loss_share_of_its_output() -> None:
    network = SupplyNetwork.build(Dataset.from_frames(sample_frames()))
    found = candidate_actions(network)
    seen: list[int] = []
    got = simulated_consequences(network, found, days=120, progress=seen.append)
    assert set(got) == {r.risk_id for r in found.risks}
    assert seen == list(range(1, len(found.risks) + 1))
    for risk in found.risks:
        firm = risk.risk_id.split(":", 1)[1]
        scenario = Scenario(name="x", days=120, shocks=(FirmExit((firm,)),))
        result = propagate(network, scenario, keep_firm_output=False)
        share = result.programs.filter(result.programs["program_id"] == "P-FX")["loss_share"][0]
        assert got[risk.risk_id] == pytest.approx(share * 12 * 1.5e10 * 120 / 365, rel=1e-9)
        assert got[risk.risk_id] > 0
    simulated = found.with_consequences(got)
    assert [r.consequence_jpy for r in simulated.risks] == pytest.approx(
        [got[r.risk_id] for r in found.risks]
    )
    plan = solve_plan(simulated.problem(1e9))
    assert plan.risk_before_jpy == pytest.approx(
        sum(r.exit_probability * got[r.risk_id] for r in found.risks)
    )
