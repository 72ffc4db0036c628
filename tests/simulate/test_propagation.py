"""Dynamic propagation: the baseline is a fixed point, larger shocks lose more, substitution
loses no more, and the fast model agrees day by day with the plain-Python reference written
from the equations, on firm-level (national) and item-level (program) networks."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kiban
from kiban.errors import SimulateError
from kiban.network import SupplyNetwork
from kiban.reference.national import generate_national
from kiban.simulate import kernel_active
from kiban.simulate.propagation import RATIONING_RULES, Model, propagate
from kiban.simulate.reference_model import reference_output
from kiban.simulate.scenario import (
    DemandSurge,
    Embargo,
    FirmExit,
    ItemShortage,
    RegionalDisaster,
    Scenario,
)


@cache
def national(firms: int, seed: int) -> SupplyNetwork:
    return SupplyNetwork.build(generate_national(firms, seed))


@cache
def programs(seed: int = 1, scale: float = 0.02) -> SupplyNetwork:
    return SupplyNetwork.build(kiban.generate_programs(seed=seed, scale=scale))


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
        network,
        Scenario(name="q", days=200, shocks=(shock,)),
        rationing="lower_priority",
        keep_firm_output=False,
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
    # A lasting loss under proportional rationing: the setting where the model is nearly
    # monotone. With recovery, or with final demand served last, it is not over a finite
    # horizon (a larger shock can bring the collapse of inventories forward, and the rebound
    # with it). Even here it is not exactly: test_a_larger_lasting_loss_can_lose_slightly_less
    # pins a case where a larger loss loses 0.015% less, so the check allows 0.1%: a kernel
    # bug that moves losses the wrong way moves them far more than that.
    network = national(firms, seed)
    small, large = sorted(losses)
    hit = regions(network, n_regions)

    def loss(share: float) -> float:
        scenario = Scenario(name="q", days=60, shocks=(RegionalDisaster(hit, share, day=1),))
        return propagate(network, scenario, keep_firm_output=False).output_loss_jpy

    assert loss(large) >= loss(small) * (1 - 1e-3)


def test_a_larger_lasting_loss_can_lose_slightly_less() -> None:
    # Found by hypothesis (firms=49, seed=224): the model itself, not the kernels, loses
    # 0.015% less at 31.25% than at 25%; the plain-Python reference model agrees.
    network = national(49, 224)
    hit = regions(network, 1)
    fast, slow = [], []
    for share in (0.25, 0.3125):
        scenario = Scenario(name="q", days=60, shocks=(RegionalDisaster(hit, share, day=1),))
        fast.append(propagate(network, scenario, keep_firm_output=False).output_loss_jpy)
        out = reference_output(network, scenario, 60)
        calm = reference_output(network, Scenario(name="calm", days=60, shocks=()), 60)
        slow.append(sum(map(sum, calm)) - sum(map(sum, out)))
    assert fast[1] < fast[0]
    assert slow[1] < slow[0]
    assert fast[1] / fast[0] == pytest.approx(slow[1] / slow[0], rel=1e-6)
    assert fast[1] > fast[0] * (1 - 1e-3)


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
    np.testing.assert_allclose(fast.total_output_jpy, slow.sum(axis=1), rtol=1e-9)
    np.testing.assert_allclose(fast.firm_output_jpy, slow, rtol=1e-9, atol=1e-9 * scale)
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
    with pytest.raises(SimulateError, match="precision"):
        propagate(network, calm, precision="half")
    with pytest.raises(SimulateError, match="threads"):
        propagate(network, calm, threads=0)
    with pytest.raises(SimulateError, match="inventory_days"):
        propagate(network, calm, inventory_days=0.5)
    with pytest.raises(SimulateError, match="days"):
        propagate(network, calm, days=0)
    with pytest.raises(SimulateError, match="tau_days"):
        propagate(network, calm, tau_days=0.0)
    with pytest.raises(SimulateError, match="no firm"):
        propagate(network, Scenario(name="x", days=5, shocks=(FirmExit(("nobody",)),)))


def test_check_raises_what_run_raises_without_running() -> None:
    model = Model.build(national(30, 0))
    calm = Scenario(name="calm", days=5)
    model.check(calm, rationing="lower_priority", days=3, threads=1)
    for bad, message in [
        ({"rationing": "lower_first"}, "rationing"),
        ({"precision": "half"}, "precision"),
        ({"threads": 0}, "threads"),
        ({"inventory_days": 0.5}, "inventory_days"),
        ({"days": 0}, "days"),
        ({"tau_days": 0.0}, "tau_days"),
    ]:
        for call in (model.check, model.run):
            with pytest.raises(SimulateError, match=message):
                call(calm, **bad)
    nobody = Scenario(name="x", days=5, shocks=(FirmExit(("nobody",)),))
    with pytest.raises(SimulateError, match="no firm"):
        model.check(nobody)
    with pytest.raises(TypeError):
        model.check(calm, ration="proportional")


@given(
    rationing=st.sampled_from(RATIONING_RULES),
    substitution=st.booleans(),
    pick=st.integers(0, 10_000),
)
@settings(max_examples=12, deadline=None)
def test_item_level_model_agrees_with_the_reference(
    rationing: str, substitution: bool, pick: int
) -> None:
    # A program network: classes are items; every kind of shock, substitution on or off.
    network = programs()
    firms = network.dataset.firms
    items = network.dataset.supplies.get_column("item_id").unique().sort()
    region = firms.get_column("region").drop_nulls().mode().sort()[0]
    supplier = network.dataset.supplies.get_column("supplier_id")[pick % network.n_supplies]
    shocks = (
        RegionalDisaster((region,), 0.7, day=1, recovery="linear", recovery_days=8.0),
        FirmExit((supplier,), day=3),
        ItemShortage(str(items[pick % items.len()]), 0.5, day=2),
        DemandSurge("missile", 3.0, day=4, spare_capacity=0.2),
    )
    scenario = Scenario(name="mix", days=20, shocks=shocks)
    fast = propagate(network, scenario, rationing=rationing, substitution=substitution)
    slow = np.array(reference_output(network, scenario, 20, rationing, substitution=substitution))
    assert fast.firm_output_jpy is not None
    scale = float(slow[0].max())
    np.testing.assert_allclose(fast.firm_output_jpy, slow, rtol=1e-9, atol=1e-9 * scale)


def test_item_level_baseline_is_a_fixed_point_per_program() -> None:
    result = propagate(programs(), Scenario(name="calm", days=30))
    assert result.programs.height == 6
    np.testing.assert_allclose(
        result.program_output_jpy,
        np.broadcast_to(result.programs.get_column("baseline_output_jpy"), (30, 6)),
        rtol=1e-9,
    )
    assert result.programs.get_column("days_to_recover").to_list() == [0] * 6


def test_the_exit_of_a_sole_source_hurts_its_program_most() -> None:
    network = programs()
    model = Model.build(network)
    # the prime of the destroyer stops: its program loses everything from day 0
    prime = network.dataset.programs.filter(program_id="destroyer").get_column("prime_id")[0]
    result = model.run(Scenario(name="exit", days=30, shocks=(FirmExit((prime,)),)))
    row = result.programs.filter(program_id="destroyer").row(0, named=True)
    assert row["lowest_share"] < 1.0
    assert row["days_to_recover"] is None
    hardest = result.hardest_hit.row(0, named=True)
    assert hardest["firm_id"] == prime
    assert hardest["loss_share"] == pytest.approx(1.0)


def test_a_demand_surge_raises_output_within_spare_capacity() -> None:
    network = programs()
    model = Model.build(network)
    prime = network.dataset.programs.filter(program_id="missile").get_column("prime_id")[0]
    i = int(network.firm_index([prime])[0])

    def run(spare: float) -> np.ndarray:
        surge = DemandSurge("missile", 3.0, day=5, spare_capacity=spare)
        result = model.run(Scenario(name="surge", days=60, shocks=(surge,)))
        assert result.firm_output_jpy is not None
        return result.firm_output_jpy[:, i] / model.output[i]

    none, some = run(0.0), run(0.3)
    np.testing.assert_allclose(none, 1.0, rtol=1e-9)  # no spare capacity: nothing more
    assert some.max() > 1.0 + 1e-6
    assert some.max() <= 1.3 + 1e-9
    np.testing.assert_allclose(some[:5], 1.0, rtol=1e-9)


def test_an_item_shortage_starves_the_item_s_customers() -> None:
    network = programs()
    model = Model.build(network)
    item_link = np.flatnonzero(model.link_item >= 0)[0]
    item = str(network.item_ids[int(model.link_item[item_link])])
    customers = np.unique(model.customer[model.link_item == model.link_item[item_link]])
    result = model.run(Scenario(name="short", days=60, shocks=(ItemShortage(item, 1.0, day=0),)))
    assert result.firm_output_jpy is not None
    # inventories last about 15 days; by day 40 the customers of the item are down
    day40 = result.firm_output_jpy[40, customers] / model.output[customers]
    assert day40.min() < 0.5
    assert result.output_loss_jpy > 0


@pytest.mark.parametrize("rationing", RATIONING_RULES)
def test_substitution_lowers_the_losses_of_exits(rationing: str) -> None:
    # Not a theorem: in ARIO a starved customer that moves can pull a substitute's output
    # away from others at the wrong moment. On this fixed sample of 40 networks it helps in
    # most cases and on the whole; the exceptions are documented in docs/simulation.md.
    worse, plain_total, helped_total = 0, 0.0, 0.0
    for seed in range(40):
        network = national(60, seed)
        model = Model.build(network)
        exit_ = FirmExit((network.firm_ids[seed % 60],), day=2)
        scenario = Scenario(name="exit", days=60, shocks=(exit_,))
        plain = model.run(scenario, rationing=rationing, keep_firm_output=False)
        helped = model.run(scenario, rationing=rationing, substitution=True,
                           keep_firm_output=False)  # fmt: skip
        worse += helped.output_loss_jpy > plain.output_loss_jpy * (1 + 1e-9) + 1e-9
        plain_total += plain.output_loss_jpy
        helped_total += helped.output_loss_jpy
    assert worse <= 2
    assert helped_total < 0.9 * plain_total


def test_single_precision_stays_close_to_double() -> None:
    network = national(300, 7)
    shock = RegionalDisaster(regions(network, 3), 0.5, day=2, recovery="exponential",
                             recovery_days=20.0)  # fmt: skip
    scenario = Scenario(name="q", days=120, shocks=(shock,))
    model = Model.build(network)
    double = model.run(scenario, keep_firm_output=False, rationing="lower_priority")
    single = model.run(scenario, keep_firm_output=False, rationing="lower_priority",
                       precision="single")  # fmt: skip
    np.testing.assert_allclose(single.total_output_jpy, double.total_output_jpy, rtol=1e-4)


def test_threads_do_not_change_the_result() -> None:
    network = national(200, 3)
    shock = RegionalDisaster(regions(network, 2), 0.6, day=1, recovery="linear", recovery_days=9)
    scenario = Scenario(name="q", days=40, shocks=(shock,))
    model = Model.build(network)
    one = model.run(scenario, threads=1, rationing="lower_priority")
    two = model.run(scenario, threads=2, rationing="lower_priority")
    assert one.firm_output_jpy is not None
    assert two.firm_output_jpy is not None
    np.testing.assert_array_equal(one.firm_output_jpy, two.firm_output_jpy)
    # with substitution the serial kernel is the full one, not the one that skips firms
    one = model.run(scenario, threads=1, substitution=True)
    two = model.run(scenario, threads=2, substitution=True)
    assert one.firm_output_jpy is not None
    assert two.firm_output_jpy is not None
    np.testing.assert_array_equal(one.firm_output_jpy, two.firm_output_jpy)


@pytest.mark.parametrize("rationing", RATIONING_RULES)
def test_dense_and_marked_days_give_the_same_numbers(
    rationing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the one-thread kernel visits every firm on days when most move, only the marked ones
    # otherwise: every day dense, none, or switching, the numbers must be the same (with
    # proportional rationing the exit goes dense and back at 0.3 and at 0.5)
    network = national(120, 11)
    shock = RegionalDisaster(regions(network, 2), 0.7, day=2, recovery="linear", recovery_days=15)
    model = Model.build(network)
    for scenario in (
        Scenario(name="exit", days=150, shocks=(FirmExit((network.firm_ids[3],), 2),)),
        Scenario(name="both", days=80, shocks=(shock, FirmExit((network.firm_ids[3],), 30))),
    ):
        results = []
        for share in (0.0, 0.3, 0.5, 2.0):
            monkeypatch.setattr(kernel_active, "DENSE_SHARE", share)
            results.append(model.run(scenario, rationing=rationing, threads=1))
        first = results[0]
        assert first.firm_output_jpy is not None
        for other in results[1:]:
            assert other.firm_output_jpy is not None
            np.testing.assert_array_equal(other.firm_output_jpy, first.firm_output_jpy)
            np.testing.assert_array_equal(other.total_output_jpy, first.total_output_jpy)
            np.testing.assert_array_equal(other.program_output_jpy, first.program_output_jpy)
            assert other.output_loss_jpy == first.output_loss_jpy
            assert other.steady_day == first.steady_day
        parallel = model.run(scenario, rationing=rationing, threads=2)
        assert parallel.firm_output_jpy is not None
        np.testing.assert_array_equal(parallel.firm_output_jpy, first.firm_output_jpy)


@pytest.mark.parametrize("rationing", RATIONING_RULES)
def test_a_settled_network_is_copied_forward_exactly(rationing: str) -> None:
    network = national(50, 27)
    model = Model.build(network)
    calm = model.run(Scenario(name="calm", days=37, shocks=()))
    assert calm.steady_day == 0
    # the remainder of summing 37 baseline days is rounding, not a loss
    assert calm.output_loss_jpy == 0.0
    assert calm.value_added_loss_jpy == 0.0
    assert (calm.programs.get_column("output_loss_jpy") == 0.0).all()
    # an exit that brings most of this network down over about 250 days
    scenario = Scenario(name="exit", days=400, shocks=(FirmExit((network.firm_ids[7],), day=3),))
    fast = model.run(scenario, rationing=rationing)
    # the network settles well before day 400, after which days are copied, not computed
    assert fast.steady_day is not None
    assert 100 < fast.steady_day < 400
    expected = np.array(reference_output(network, scenario, 400, rationing=rationing))
    assert fast.firm_output_jpy is not None
    np.testing.assert_allclose(fast.firm_output_jpy, expected, rtol=1e-9, atol=1e-6)


def test_progress_reports_every_day_and_changes_nothing() -> None:
    network = national(80, 5)
    shock = RegionalDisaster(regions(network, 2), 0.5, day=4, recovery="exponential",
                             recovery_days=10.0)  # fmt: skip
    scenario = Scenario(name="q", days=90, shocks=(shock, FirmExit((network.firm_ids[0],), 20)))
    model = Model.build(network)
    days: list[int] = []
    reported = model.run(scenario, progress=days.append)
    quiet = model.run(scenario)
    assert days == list(range(90))
    np.testing.assert_allclose(reported.total_output_jpy, quiet.total_output_jpy, rtol=1e-12)
    assert reported.firm_output_jpy is not None
    assert quiet.firm_output_jpy is not None
    np.testing.assert_array_equal(reported.firm_output_jpy, quiet.firm_output_jpy)
