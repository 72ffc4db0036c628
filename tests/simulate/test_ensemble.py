"""Monte Carlo ensembles: seeded samplers calibrated to the published withdrawals, and one
engine whose results do not depend on where the runs execute (here, a pool, Dask)."""

from __future__ import annotations

import sys
from collections import Counter
from functools import cache

import numpy as np
import polars as pl
import pytest
from distributed import LocalCluster

import kiban
from kiban.errors import SimulateError
from kiban.network import SupplyNetwork
from kiban.reference.national import generate_national
from kiban.simulate.ensemble import run_ensemble
from kiban.simulate.propagation import Model
from kiban.simulate.sampling import (
    exit_calibration,
    exit_probabilities,
    sample_disasters,
    sample_exits,
)
from kiban.simulate.scenario import FirmExit, Scenario


@cache
def programs() -> SupplyNetwork:
    return SupplyNetwork.build(kiban.generate_programs(seed=1, scale=0.05))


@cache
def model() -> Model:
    return Model.build(programs())


@cache
def national() -> SupplyNetwork:
    return SupplyNetwork.build(generate_national(firms=2000, seed=1))


# -- samplers -----------------------------------------------------------------------------


def test_same_seed_same_scenarios_and_a_run_does_not_depend_on_the_count() -> None:
    net = programs()
    first = sample_exits(net, 30, seed=5, days=60, exits_per_year=20)
    assert first == sample_exits(net, 30, seed=5, days=60, exits_per_year=20)
    assert first[:10] == sample_exits(net, 10, seed=5, days=60, exits_per_year=20)
    assert first != sample_exits(net, 30, seed=6, days=60, exits_per_year=20)
    assert all(0 <= s.day < 60 for run in first for s in run.shocks)
    quakes = sample_disasters(net, 20, seed=5, days=60, loss=(0.3, 0.7), recovery_days=30)
    assert quakes == sample_disasters(net, 20, seed=5, days=60, loss=(0.3, 0.7), recovery_days=30)
    assert quakes != sample_disasters(net, 20, seed=4, days=60, loss=(0.3, 0.7), recovery_days=30)


def test_default_exits_per_year_scale_the_national_withdrawals_to_the_network() -> None:
    calibration = exit_calibration(programs())
    # more than 100 firms in about 20 years, of ~4,482 direct MOD suppliers (TDB 2013, 2022)
    assert calibration.national_exits_per_year == pytest.approx(100 / 20)
    assert calibration.national_suppliers == pytest.approx((4568 + 4395) / 2)
    # every firm of the generated programs supplies defense; the one that exited cannot leave
    assert calibration.network_suppliers == programs().n_firms - 1
    assert calibration.exits_per_year == pytest.approx(
        calibration.yearly_rate * calibration.network_suppliers
    )
    table = exit_probabilities(programs())
    assert table.get_column("exit_probability").sum() == pytest.approx(calibration.exits_per_year)
    # the national network: only its defense suppliers (defense revenue > 0) can withdraw
    firms = national().dataset.firms
    assert (
        exit_calibration(national()).network_suppliers
        == firms.filter(pl.col("defense_revenue_jpy") > 0, pl.col("status") != "exited").height
    )


def test_mean_exit_count_matches_exits_per_year_and_fragile_firms_leave_more() -> None:
    net = programs()
    table = exit_probabilities(net, exits_per_year=6.0)
    p = table.get_column("exit_probability").to_numpy()
    assert p.sum() == pytest.approx(6.0)
    by_fragility = table.sort("fragility").get_column("exit_probability").to_numpy()
    assert np.all(np.diff(by_fragility) >= 0)
    assert by_fragility[-1] > 2 * by_fragility[0]  # 2x per point over > 1 point of fragility

    runs = 3000
    counts = [len(s.shocks) for s in sample_exits(net, runs, seed=11, exits_per_year=6.0)]
    error = np.sqrt((p * (1 - p)).sum() / runs)  # standard error of the mean count
    assert abs(np.mean(counts) - 6.0) < 4 * error
    # over a fifth of a year, a firm leaves with 1 - (1 - p)^(1/5)
    short = [len(s.shocks) for s in sample_exits(net, runs, seed=12, days=73, exits_per_year=6.0)]
    expected = (1 - (1 - p) ** 0.2).sum()
    assert abs(np.mean(short) - expected) < 4 * np.sqrt(expected / runs)
    # who leaves: the most fragile tenth of the firms leaves more often than the least
    fragile = set(table.sort("fragility").get_column("firm_id").to_list()[-60:])
    sturdy = set(table.sort("fragility").get_column("firm_id").to_list()[:60])
    left = [
        firm
        for s in sample_exits(net, runs, seed=11, exits_per_year=6.0)
        for shock in s.shocks
        for firm in shock.firm_ids
    ]
    assert sum(f in fragile for f in left) > 2 * sum(f in sturdy for f in left)


def test_a_probability_never_exceeds_one_and_the_total_still_holds() -> None:
    table = exit_probabilities(programs(), exits_per_year=600.0, per_level=8.0)
    p = table.get_column("exit_probability").to_numpy()
    assert p.max() == 1.0
    assert p.min() > 0
    assert p.sum() == pytest.approx(600.0)


def test_disasters_strike_regions_weighted_by_firm_count_with_losses_in_range() -> None:
    net = programs()
    quakes = sample_disasters(
        net, 400, seed=2, days=60, loss=(0.3, 0.7), recovery="none", recovery_days=None
    )
    shocks = [q.shocks[0] for q in quakes]
    assert all(0.3 <= s.loss <= 0.7 and s.recovery == "none" for s in shocks)
    struck = dict(Counter(s.regions[0] for s in shocks))
    firms = net.dataset.firms.get_column("region").value_counts().sort("count")
    assert max(struck, key=struck.__getitem__) == firms.get_column("region")[-1]  # Aichi
    assert set(struck) <= set(firms.get_column("region").to_list())
    uniform = sample_disasters(net, 400, seed=2, days=60, weight="uniform")
    evenly = Counter(q.shocks[0].regions[0] for q in uniform)
    assert len(evenly) > len(struck)  # small regions get their turn
    assert max(evenly.values()) < max(struck.values())


# -- the engine ---------------------------------------------------------------------------


def test_results_are_identical_in_process_on_a_pool_and_on_dask() -> None:
    net = programs()
    scenarios = sample_exits(net, 12, seed=3, days=30, exits_per_year=40)
    scenarios += sample_disasters(net, 4, seed=3, days=30, loss=(0.2, 0.6), recovery_days=10)
    here = run_ensemble(model(), scenarios, workers=1)
    pool = run_ensemble(model(), scenarios, workers=2)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        dask = run_ensemble(model(), scenarios, scheduler=cluster.scheduler_address)
    assert here.executor == "in-process"
    assert pool.executor == "2 local processes"
    assert dask.executor.startswith("Dask cluster at ")
    for other in (pool, dask):
        assert other.runs.equals(here.runs)
        assert other.totals.equals(here.totals)
    assert here.totals.get_column("scenario").to_list() == [s.name for s in scenarios]
    assert here.runs.height == len(scenarios) * len(net.program_ids)
    # a run is the model's run: the summary keeps its numbers
    alone = model().run(scenarios[5], keep_firm_output=False)
    row = here.totals.row(5, named=True)
    assert row["output_loss_jpy"] == alone.output_loss_jpy
    assert row["days_to_recover"] == alone.days_to_recover
    fighter = here.runs.filter(run=5, program_id="fighter").row(0, named=True)
    assert fighter["output_loss_jpy"] == alone.programs.row(0, named=True)["output_loss_jpy"]


def test_quantiles_are_numpy_linear_quantiles_of_the_per_run_losses() -> None:
    scenarios = sample_exits(programs(), 15, seed=9, days=30, exits_per_year=30)
    ensemble = run_ensemble(model(), scenarios, workers=1, rationing="lower_priority")
    table = ensemble.quantiles()
    assert table.columns == [
        "program_id", "runs", "mean_loss_jpy", "p50_loss_jpy", "p90_loss_jpy", "p99_loss_jpy"
    ]  # fmt: skip
    assert table.get_column("program_id").to_list() == [*programs().program_ids, None]
    for row in table.iter_rows(named=True):
        if row["program_id"] is None:
            loss = ensemble.totals.get_column("output_loss_jpy").to_numpy()
        else:
            chosen = ensemble.runs.filter(program_id=row["program_id"])
            loss = chosen.get_column("output_loss_jpy").to_numpy()
        assert row["runs"] == 15
        assert row["mean_loss_jpy"] == pytest.approx(loss.mean(), rel=1e-12)
        expected = np.quantile(loss, [0.5, 0.9, 0.99])
        got = [row["p50_loss_jpy"], row["p90_loss_jpy"], row["p99_loss_jpy"]]
        assert got == pytest.approx(expected, rel=1e-12)
    assert ensemble.quantiles([0.999]).columns[-1] == "p99.9_loss_jpy"
    assert ensemble.options == {"rationing": "lower_priority"}
    assert ensemble.summary()["runs"] == 15


def test_a_firm_level_network_without_programs_has_network_totals_only() -> None:
    net = national()
    quakes = sample_disasters(net, 3, seed=1, days=30, loss=(0.5, 0.9), recovery_days=20)
    ensemble = run_ensemble(net, quakes, workers=1)
    assert ensemble.runs.is_empty()
    assert ensemble.totals.height == 3
    assert (ensemble.totals.get_column("output_loss_jpy") > 0).all()
    assert ensemble.quantiles().get_column("program_id").to_list() == [None]


def test_progress_reports_every_run_as_it_comes_back() -> None:
    done: list[int] = []
    scenarios = sample_exits(model().network, 5, seed=2, days=20, exits_per_year=20)
    run_ensemble(model(), scenarios, workers=1, progress=done.append)
    assert done == sorted(done)
    assert done[-1] == 5


# -- bad input ----------------------------------------------------------------------------


def test_an_unreachable_scheduler_is_a_clear_error_naming_it() -> None:
    runs = sample_exits(programs(), 2, seed=1, days=30)
    with pytest.raises(SimulateError, match=r"tcp://127\.0\.0\.1:9.*did not answer within 1 s"):
        run_ensemble(model(), runs, scheduler="tcp://127.0.0.1:9", connect_timeout_s=1)


def test_without_dask_the_error_says_to_install_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    runs = sample_exits(programs(), 2, seed=1, days=30)
    with pytest.raises(SimulateError, match=r"kiban\[distributed\]"):
        run_ensemble(model(), runs, scheduler="tcp://127.0.0.1:8786")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda n: sample_exits(n, 0, seed=1), "runs must be a whole number > 0"),
        (lambda n: sample_exits(n, -3, seed=1), "runs must be a whole number > 0"),
        (lambda n: sample_exits(n, 5, seed=1, exits_per_year=-1.0), "exits_per_year must be"),
        (lambda n: sample_exits(n, 5, seed=1, exits_per_year=1e6), "more than the 620 firms"),
        (lambda n: sample_exits(n, 5, seed=1, per_level=0.5), "per_level must be at least 1"),
        (lambda n: sample_exits(n, 5, seed=-1), "seed must be"),
        (lambda n: sample_exits(n, 5, seed=1, days=0), "days must be"),
        (lambda n: sample_disasters(n, 5, seed=1, loss=(0.8, 0.2)), "0 < low <= high <= 1"),
        (lambda n: sample_disasters(n, 5, seed=1, loss=(-0.1, 0.5)), "loss must be"),
        (lambda n: sample_disasters(n, 5, seed=1, weight="output"), "weight must be one of"),
        (lambda n: sample_disasters(n, 5, seed=1, recovery="slow"), "recovery must be one of"),
    ],
)
def test_bad_sampler_input_is_a_clear_error(call: object, message: str) -> None:
    with pytest.raises(SimulateError, match=message):
        call(programs())  # type: ignore[operator]


def test_bad_ensemble_input_is_a_clear_error_before_anything_runs() -> None:
    runs = sample_exits(programs(), 3, seed=1, days=30, exits_per_year=30)
    with pytest.raises(SimulateError, match="rationing must be one of"):
        run_ensemble(model(), runs, workers=1, rationing="first_come")
    with pytest.raises(SimulateError, match="unknown run option 'ration'"):
        run_ensemble(model(), runs, workers=1, ration="proportional")
    with pytest.raises(SimulateError, match="unknown run option 'keep_firm_output'"):
        run_ensemble(model(), runs, workers=1, keep_firm_output=True)
    with pytest.raises(SimulateError, match="days must be a whole number > 0"):
        run_ensemble(model(), runs, workers=1, days=0)
    with pytest.raises(SimulateError, match="no scenarios"):
        run_ensemble(model(), [], workers=1)
    with pytest.raises(SimulateError, match="workers must be a whole number >= 1"):
        run_ensemble(model(), runs, workers=0)
    with pytest.raises(SimulateError, match="not both"):
        run_ensemble(model(), runs, workers=2, scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(SimulateError, match="SupplyNetwork or a Model"):
        run_ensemble("network.parquet", runs)  # type: ignore[arg-type]
    ghost = Scenario("ghost", 30, (FirmExit(("NO-SUCH-FIRM",)),))
    with pytest.raises(SimulateError, match=r"run 3: .*no firm 'NO-SUCH-FIRM'"):
        run_ensemble(model(), [*runs, ghost], workers=2)
