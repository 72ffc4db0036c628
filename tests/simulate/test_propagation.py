"""Dynamic propagation: the baseline is a fixed point, larger shocks lose more, and the fast
model agrees day by day with the plain-Python reference written from the equations."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.errors import SimulateError
from kiban.network import SupplyNetwork
from kiban.reference.national import generate_national
from kiban.simulate.propagation import RATIONING_RULES, propagate
from kiban.simulate.reference_model import reference_output
from kiban.simulate.scenario import Embargo, FirmExit, RegionalDisaster, Scenario


@cache
def national(firms: int, seed: int) -> SupplyNetwork:
    return SupplyNetwork.build(generate_national(firms, seed))


def regions(network: SupplyNetwork, count: int) -> tuple[str, ...]:
    found = network.dataset.firms.get_column("region").drop_nulls().unique().sort()
    return tuple(found.head(count).to_list())


@given(firms=st.integers(30, 80), seed=st.integers(0, 10_000))
@settings(max_examples=15, deadline=None)
def test_no_shock_keeps_the_baseline(firms: int, seed: int) -> None:
    network = national(firms, seed)
    result = propagate(network, Scenario(name="calm", days=30))
    assert result.firm_output_jpy is not None
    first = result.firm_output_jpy.astype(np.float64)
    base = first[0]
    np.testing.assert_allclose(first, np.broadcast_to(base, first.shape), rtol=1e-9)
    np.testing.assert_allclose(result.total_output_jpy, result.baseline_output_jpy, rtol=1e-9)
    assert abs(result.output_loss_jpy) <= 1e-9 * result.baseline_output_jpy * 30
    assert result.days_to_recover == 0
    assert result.hardest_hit.height == 0


def test_output_before_the_shock_is_baseline_and_after_is_lower() -> None:
    network = national(60, 1)
    shock = RegionalDisaster(regions(network, 3), 0.5, day=5)
    result = propagate(network, Scenario(name="q", days=40, shocks=(shock,)))
    early = result.total_output_jpy[:5]
    np.testing.assert_allclose(early, result.baseline_output_jpy, rtol=1e-9)
    assert result.total_output_jpy[5] < result.baseline_output_jpy
    assert result.direct_loss_jpy > 0
    assert result.indirect_loss_jpy >= -1e-6 * result.direct_loss_jpy
    assert result.output_loss_jpy == pytest.approx(
        result.direct_loss_jpy + result.indirect_loss_jpy
    )
    assert result.days_to_recover is None  # no recovery: still down at the end
    assert result.hardest_hit.height > 0
    assert result.value_added_loss_jpy > 0


def test_a_recovering_disaster_recovers() -> None:
    network = national(60, 2)
    shock = RegionalDisaster(regions(network, 4), 0.4, day=3, recovery="linear", recovery_days=10)
    result = propagate(
        network, Scenario(name="q", days=200, shocks=(shock,)), keep_firm_output=False
    )
    assert result.firm_output_jpy is None
    assert result.days_to_recover is not None
    assert result.days_to_recover > 0
    assert result.total_output_jpy[-1] >= 0.99 * result.baseline_output_jpy


@given(
    firms=st.integers(30, 80),
    seed=st.integers(0, 10_000),
    losses=st.tuples(st.floats(0.01, 1.0), st.floats(0.01, 1.0)),
    n_regions=st.integers(1, 6),
)
@settings(max_examples=60, deadline=None)
def test_a_larger_shock_never_loses_less(
    firms: int, seed: int, losses: tuple[float, float], n_regions: int
) -> None:
    # A lasting loss under proportional rationing: the setting where the model is monotone.
    # With recovery, or with final demand served last, it is not over a finite horizon (a
    # larger shock can bring the collapse of inventories forward, and the rebound with it):
    # see the module docstring of kiban.simulate.propagation.
    network = national(firms, seed)
    small, large = sorted(losses)
    hit = regions(network, n_regions)

    def loss(share: float) -> float:
        scenario = Scenario(name="q", days=60, shocks=(RegionalDisaster(hit, share, day=1),))
        return propagate(network, scenario, keep_firm_output=False).output_loss_jpy

    assert loss(large) >= loss(small) * (1 - 1e-9)


def test_a_larger_set_of_exits_never_loses_less() -> None:
    network = national(80, 5)
    ids = network.firm_ids.to_list()
    losses = [
        propagate(
            network,
            Scenario(name="exits", days=60, shocks=(FirmExit(tuple(ids[:count])),)),
            keep_firm_output=False,
        ).output_loss_jpy
        for count in (1, 2, 4, 8, 16)
    ]
    assert losses == sorted(losses)


@given(
    firms=st.integers(30, 80),
    seed=st.integers(0, 10_000),
    rationing=st.sampled_from(RATIONING_RULES),
    loss=st.floats(0.05, 1.0),
    recovery=st.sampled_from(["none", "linear", "exponential"]),
)
@settings(max_examples=40, deadline=None)
def test_fast_model_agrees_with_the_reference(
    firms: int, seed: int, rationing: str, loss: float, recovery: str
) -> None:
    network = national(firms, seed)
    shocks = (
        RegionalDisaster(
            regions(network, 3),
            loss,
            day=2,
            recovery=recovery,
            recovery_days=None if recovery == "none" else 12.0,
        ),
        FirmExit((str(network.firm_ids[seed % firms]),), day=6),
        Embargo("CN", day=9),
    )
    scenario = Scenario(name="mix", days=25, shocks=shocks)
    fast = propagate(network, scenario, rationing=rationing)
    slow = np.array(reference_output(network, scenario, 25, rationing))
    scale = float(slow[0].max())
    assert fast.firm_output_jpy is not None
    # float32 storage: compare the float64 totals exactly, firms to float32 precision.
    np.testing.assert_allclose(fast.total_output_jpy, slow.sum(axis=1), rtol=1e-9)
    np.testing.assert_allclose(fast.firm_output_jpy, slow, rtol=1e-6, atol=1e-7 * scale)
    # The hardest hit firms' losses are float64 sums over the days: 1e-9 again.
    slow_loss = (slow[0] - slow).sum(axis=0)
    hit = network.firm_index(fast.hardest_hit.get_column("firm_id"))
    np.testing.assert_allclose(
        fast.hardest_hit.get_column("output_loss_jpy").to_numpy(),
        slow_loss[hit],
        rtol=1e-9,
        atol=1e-9 * scale * 25,
    )


def test_bad_parameters_are_clear_errors() -> None:
    network = national(30, 0)
    calm = Scenario(name="calm", days=5)
    with pytest.raises(SimulateError, match="rationing"):
        propagate(network, calm, rationing="lower_first")
    with pytest.raises(SimulateError, match="days"):
        propagate(network, calm, days=0)
    with pytest.raises(SimulateError, match="tau_days"):
        propagate(network, calm, tau_days=0.0)
    with pytest.raises(SimulateError, match="no firm"):
        propagate(network, Scenario(name="x", days=5, shocks=(FirmExit(("nobody",)),)))
