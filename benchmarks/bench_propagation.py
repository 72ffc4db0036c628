"""The dynamic propagation model at national scale and in Monte Carlo: targets and baselines.

Measures, each in a fresh process so its peak memory is its own:
- national: `generate_national(firms, seed)` (1M firms, about 4.75M links), `Model.build`,
  then one run of `--days` (365) days of a recovering regional disaster (the two regions with
  the most firms lose half their capacity on day 0 and recover linearly in 30 days),
  precision "single", keep_firm_output=False, with rationing "proportional" and, in another
  process, "lower_priority": wall time, ms per day and peak RSS (ru_maxrss of the process:
  generation and build included; the RSS after the build is shown beside it). A first
  one-day run loads the numba kernels and is timed apart. Targets: under 15 s (aim 5 s)
  for the run, under 4 GB. Then `--profile-days` (30) more days under cProfile: the time of
  each function called from Python (the day loop runs in numba, one call per stretch of days
  with the same schedule), per day.
- scipy: the same daily step (proportional rationing) written here in plain numpy and
  scipy.sparse (`SparseStep`: link arrays, incidence matrices for the per-supplier and
  per-(customer, class) sums, np.minimum.reduceat for each customer's scarcest input), on
  the model's own compiled link arrays, so only the step differs. It runs `--check-days`
  (30) days in double precision beside the numba model in double precision; their daily
  total outputs must agree to 1e-4 relative. Its ms per day is extrapolated to 365 days and
  compared with the numba run of the national phase (single precision, as that run).
- exits: `generate_programs(seed)` restricted to the destroyer's supply chain (its firms, the
  supplies among them, the destroyer's program row; items and bill of materials whole),
  `Model.build` once, then `--exits` (1,000) scenarios, each a `FirmExit` on day 0 of one
  supplier of the chain drawn at random (seeded), for 365 days, through `run_ensemble` on
  `--workers` processes (a ProcessPoolExecutor over `Model.run(threads=1)` if the ensemble
  module is missing). Target: under 30 s on the 2-core machine of record. If over, the
  ensemble runs again at the days that fit the target (estimated from the first timing).
  `--scipy-exits` (5) of the scenarios also run through `SparseStep` (checked against the
  model) and are extrapolated to all of them on the same number of workers, as the ratio.

The load average is printed at the start and end: the machine is shared, and numbers move
with other load.

Run: uv run python benchmarks/bench_propagation.py [--firms N] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import csr_array  # type: ignore[import-untyped]

TARGET_RUN_S = 15.0
AIM_RUN_S = 5.0
TARGET_GB = 4.0
TARGET_EXITS_S = 30.0
AGREEMENT = 1e-4
PROGRAM = "destroyer"
LOSS, RECOVERY_DAYS = 0.5, 30.0
INVENTORY_DAYS, TAU_DAYS = 15.0, 6.0

FloatArray = npt.NDArray[np.float64]


# -- the daily step in plain numpy and scipy.sparse -------------------------------------------


class SparseStep:
    """The model's day (proportional rationing, no item losses, surges or substitution) in
    numpy and scipy.sparse, in float64, on a `Model`'s link arrays (see its module, steps 1-7).

    `by_supplier` (firms x links) sums the orders on each supplier; `by_group` ((customer,
    class) groups x links) sums stock per group; each customer's input limit is the minimum
    over its consecutive groups (np.minimum.reduceat)."""

    def __init__(self, model: Any) -> None:
        n, m = model.n_firms, model.n_links
        self.flow = model.flow.astype(np.float64)
        self.supplier = model.supplier.astype(np.int64)
        self.customer = model.customer.astype(np.int64)
        self.by_supplier = csr_array((np.ones(m), model.sup_order, model.sup_start), shape=(n, m))
        groups = model.grp_start.size - 1
        self.by_group = csr_array((np.ones(m), np.arange(m), model.grp_start), shape=(groups, m))
        self.group_flow = self.by_group @ self.flow
        has_inputs = model.cus_grp[:-1] < model.cus_grp[1:]
        self.with_inputs = np.flatnonzero(has_inputs)
        self.first_group = model.cus_grp[:-1][has_inputs]
        self.p_ini = model.output.astype(np.float64)
        self.final = model.final_demand.astype(np.float64)
        self.n = n

    def run(self, capacity: Any, days: int) -> FloatArray:
        """Total output (JPY per day) of each day; `capacity(t)` gives cap_i(t)."""
        a, n = self.flow, self.n
        stock = INVENTORY_DAYS * a
        order = a.copy()
        share = np.ones(n)  # what each supplier delivered of every order yesterday
        used = np.ones(n)  # yesterday's output share x_i
        p_ini = self.p_ini
        has_output = p_ini > 0
        total = np.empty(days)
        for t in range(days):
            a_used = a * used[self.customer]
            stock += order * share[self.supplier] - a_used  # 1. receive (orders of yesterday)
            np.maximum(stock, 0.0, out=stock)
            order = np.maximum(0.0, a_used + (INVENTORY_DAYS * a_used - stock) / TAU_DAYS)  # 2.
            ratio = (self.by_group @ stock) / self.group_flow  # 4. inputs
            inputs = np.full(n, np.inf)
            inputs[self.with_inputs] = np.minimum.reduceat(ratio, self.first_group)
            wanted = self.final + self.by_supplier @ order  # 3. demand
            demand_share = np.divide(wanted, p_ini, out=np.ones(n), where=has_output)
            used = np.minimum(np.minimum(capacity(t), inputs), demand_share)  # 5. produce
            output = used * p_ini
            total[t] = output.sum()
            share = np.divide(output, wanted, out=np.ones(n), where=wanted > 0)  # 6. ration
        return total


def disaster_capacity(in_region: npt.NDArray[np.bool_]) -> Any:
    """cap_i(t) of the national scenario: LOSS on day 0, back linearly in RECOVERY_DAYS."""

    def capacity(t: int) -> FloatArray:
        cap = np.ones(in_region.size)
        cap[in_region] = 1.0 - LOSS * max(0.0, 1.0 - t / RECOVERY_DAYS)
        return cap

    return capacity


def exit_capacity(n: int, firm: int) -> Any:
    """cap_i(t) of an exit on day 0: firm `firm` stops for good."""
    cap = np.ones(n)
    cap[firm] = 0.0
    return lambda t: cap


# -- phases, each in its own process ----------------------------------------------------------


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux


def _rss_gb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9


def _national(firms: int, seed: int) -> tuple[Any, dict[str, Any], list[str]]:
    from kiban.network import SupplyNetwork
    from kiban.reference.national import generate_national
    from kiban.simulate.propagation import Model

    start = time.perf_counter()
    dataset = generate_national(firms, seed)
    generate_s = time.perf_counter() - start
    start = time.perf_counter()
    network = SupplyNetwork.build(dataset)
    network_s = time.perf_counter() - start
    start = time.perf_counter()
    model = Model.build(network)
    model_s = time.perf_counter() - start
    regions = dataset.firms.get_column("region").drop_nulls().value_counts(sort=True)
    top = regions.get_column("region").head(2).to_list()
    info = {
        "firms": model.n_firms,
        "links": model.n_links,
        "regions": top,
        "generate_s": generate_s,
        "network_build_s": network_s,
        "model_build_s": model_s,
    }
    return model, info, top


def _disaster(regions: list[str], days: int) -> Any:
    from kiban.simulate.scenario import RegionalDisaster, Scenario

    shock = RegionalDisaster(
        regions=tuple(regions), loss=LOSS, recovery="linear", recovery_days=RECOVERY_DAYS
    )
    return Scenario(name="disaster", days=days, shocks=(shock,))


def _kernel_profile(run: Any, days: int) -> dict[str, float]:
    """ms per day of each function called from Python during `run()` (cProfile, own time)."""
    profile = cProfile.Profile()
    profile.runcall(run)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    own: dict[str, float] = {}
    for (path, _, name), (_, _, tottime, _, _) in stats.items():
        label = f"{os.path.basename(path)}:{name}" if path != "~" else name
        own[label] = own.get(label, 0.0) + tottime * 1e3 / days
    top = sorted(own.items(), key=lambda kv: -kv[1])[:8]
    return dict(top)


def phase_national(args: argparse.Namespace) -> dict[str, Any]:
    model, info, regions = _national(args.firms, args.seed)
    info["rss_after_build_gb"] = _rss_gb()
    info["peak_after_build_gb"] = _peak_gb()
    options = {
        "rationing": args.rationing,
        "precision": "single",
        "keep_firm_output": False,
    }
    start = time.perf_counter()
    model.run(_disaster(regions, 1), **options)
    info["first_call_s"] = time.perf_counter() - start
    scenario = _disaster(regions, args.days)
    start = time.perf_counter()
    result = model.run(scenario, **options)
    run_s = time.perf_counter() - start
    info.update(
        rationing=args.rationing,
        days=args.days,
        run_s=run_s,
        ms_per_day=run_s * 1e3 / args.days,
        peak_rss_gb=_peak_gb(),
        loss_share=result.summary()["loss_share"],
        lowest_share=result.summary()["lowest_share"],
        days_to_recover=result.days_to_recover,
        steady_day=result.steady_day,
    )
    profiled = min(args.profile_days, args.days)
    short = _disaster(regions, profiled)
    info["profile_days"] = profiled
    info["profile_ms_per_day"] = _kernel_profile(lambda: model.run(short, **options), profiled)
    return info


def phase_scipy(args: argparse.Namespace) -> dict[str, Any]:
    model, info, regions = _national(args.firms, args.seed)
    days = min(args.check_days, args.days)
    scenario = _disaster(regions, days)
    model.run(_disaster(regions, 1), keep_firm_output=False)  # load the kernels
    start = time.perf_counter()
    numba_total = model.run(scenario, keep_firm_output=False).total_output_jpy
    numba_s = time.perf_counter() - start
    start = time.perf_counter()
    step = SparseStep(model)
    setup_s = time.perf_counter() - start
    in_region = model.network.dataset.firms.get_column("region").is_in(regions).fill_null(False)
    start = time.perf_counter()
    sparse_total = step.run(disaster_capacity(in_region.to_numpy()), days)
    sparse_s = time.perf_counter() - start
    info.update(
        days=days,
        numba_double_ms_per_day=numba_s * 1e3 / days,
        scipy_setup_s=setup_s,
        scipy_ms_per_day=sparse_s * 1e3 / days,
        max_relative_difference=float(np.max(np.abs(sparse_total / numba_total - 1.0))),
        lowest_share=float(numba_total.min() / model.output.sum()),
        peak_rss_gb=_peak_gb(),
    )
    return info


def _destroyer_model(seed: int) -> tuple[Any, list[str]]:
    """The Model of the destroyer's supply chain alone; its suppliers (the prime left out)."""
    import kiban
    from kiban.dataset import Dataset
    from kiban.network import SupplyNetwork, program_supply_chain
    from kiban.simulate.propagation import Model

    dataset = kiban.generate_programs(seed=seed)
    chain = program_supply_chain(dataset).filter(program_id=PROGRAM)
    firms = chain.get_column("firm_id").unique().implode()
    within = pl.col("supplier_id").is_in(firms) & pl.col("customer_id").is_in(firms)
    program = dataset.programs.filter(program_id=PROGRAM)
    sub = Dataset(
        tables={
            **dataset.tables,
            "firms": dataset.firms.filter(pl.col("firm_id").is_in(firms)),
            "supplies": dataset.supplies.filter(within),
            "programs": program,
        },
        source=f"{dataset.source}, {PROGRAM} supply chain",
    )
    model = Model.build(SupplyNetwork.build(sub))
    prime = program.get_column("prime_id")[0]
    suppliers = chain.filter(pl.col("firm_id") != prime).get_column("firm_id").unique().sort()
    return model, suppliers.to_list()


def _exit_scenarios(suppliers: list[str], count: int, days: int, seed: int) -> list[Any]:
    from kiban.simulate.scenario import FirmExit, Scenario

    draw = random.Random(seed)
    chosen = [draw.choice(suppliers) for _ in range(count)]
    return [
        Scenario(name=f"exit {i}", days=days, shocks=(FirmExit(firm_ids=(firm,)),))
        for i, firm in enumerate(chosen)
    ]


def _pool_run(model: Any, scenario: Any) -> float:
    return float(model.run(scenario, keep_firm_output=False, threads=1).output_loss_jpy)


def _run_exits(model: Any, scenarios: list[Any], workers: int) -> str:
    """All scenarios through the ensemble (or a process pool); returns how they ran."""
    try:
        from kiban.simulate.ensemble import run_ensemble
    except ImportError:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from functools import partial

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            list(pool.map(partial(_pool_run, model), scenarios, chunksize=32))
        return f"ProcessPoolExecutor, {workers} processes"
    run_ensemble(model, scenarios, workers=workers, rationing="proportional")
    return f"run_ensemble, {workers} workers"


def phase_exits(args: argparse.Namespace) -> dict[str, Any]:
    start = time.perf_counter()
    model, suppliers = _destroyer_model(args.seed)
    build_s = time.perf_counter() - start
    scenarios = _exit_scenarios(suppliers, args.exits, args.days, args.seed)
    start = time.perf_counter()
    how = _run_exits(model, scenarios, args.workers)
    ensemble_s = time.perf_counter() - start
    info: dict[str, Any] = {
        "firms": model.n_firms,
        "links": model.n_links,
        "suppliers": len(suppliers),
        "exits": len(scenarios),
        "days": args.days,
        "workers": args.workers,
        "executor": how,
        "build_s": build_s,
        "ensemble_s": ensemble_s,
        "peak_rss_gb": _peak_gb(),
    }
    if ensemble_s > TARGET_EXITS_S and not args.quick:
        # the days that fit: the first run's cost taken as proportional to the days
        fit = max(1, int(args.days * TARGET_EXITS_S / ensemble_s * 0.9))
        short = _exit_scenarios(suppliers, args.exits, fit, args.seed)
        start = time.perf_counter()
        _run_exits(model, short, args.workers)
        info["fit_days"], info["fit_s"] = fit, time.perf_counter() - start

    # one scenario at a time here (one thread), numba and scipy.sparse, checked to agree
    sample = scenarios[: args.scipy_exits]
    model.run(sample[0], days=1, keep_firm_output=False, threads=1)  # load the kernels
    numba_s, sparse_s, worst = 0.0, 0.0, 0.0
    step = SparseStep(model)
    for scenario in sample:
        start = time.perf_counter()
        expected = model.run(scenario, keep_firm_output=False, threads=1).total_output_jpy
        numba_s += time.perf_counter() - start
        firm = int(model.network.firm_index(list(scenario.shocks[0].firm_ids))[0])
        start = time.perf_counter()
        total = step.run(exit_capacity(model.n_firms, firm), args.days)
        sparse_s += time.perf_counter() - start
        worst = max(worst, float(np.max(np.abs(total / expected - 1.0))))
    info.update(
        sampled=len(sample),
        numba_run_ms=numba_s * 1e3 / len(sample),
        scipy_run_ms=sparse_s * 1e3 / len(sample),
        scipy_estimate_s=sparse_s / len(sample) * len(scenarios) / args.workers,
        max_relative_difference=worst,
        profile_ms_per_day=_kernel_profile(
            lambda: model.run(scenarios[0], keep_firm_output=False, threads=1), args.days
        ),
    )
    return info


PHASES = {"national": phase_national, "scipy": phase_scipy, "exits": phase_exits}


# -- the report ----------------------------------------------------------------------------------


def _spawn(phase: str, args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", phase]
    for name in ("firms", "seed", "days", "exits", "workers", "check_days", "scipy_exits"):
        command += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    command += ["--profile-days", str(args.profile_days)]
    command += ["--quick"] if args.quick else []
    for name, value in extra.items():
        command += [f"--{name}", str(value)]
    print(f"  running {' '.join([phase, *map(str, extra.values())])}...", flush=True)
    load_before = os.getloadavg()
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"phase {phase} failed (exit {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_before"], result["load_after"] = load_before, os.getloadavg()
    return result


def _verdict(ok: bool, quick: bool) -> str:
    return "(quick)" if quick else ("PASS" if ok else "FAIL")


def _row(what: str, value: str, target: str = "", result: str = "") -> None:
    print(f"{what:<52} {value:>28}  {target:<18} {result}")


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    quick = args.quick
    national = results["national"]
    first = national["proportional"]
    print()
    print(
        f"national network: {first['firms']:,} firms, {first['links']:,} links, seed "
        f"{args.seed}; disaster: {' + '.join(first['regions'])} lose {LOSS:.0%} on day 0, "
        f"back linearly in {RECOVERY_DAYS:.0f} days; precision single, no firm output kept"
    )
    print(
        f"machine: {os.cpu_count()} cores; load average (1, 5, 15 min) at start "
        f"{_load(results['load_start'])}, at end {_load(results['load_end'])}"
        + ("; --quick: sizes below the targets' scale, no PASS/FAIL on time" if quick else "")
    )
    print()
    _row("measure", "value", "target", "result")
    _row("generate_national", f"{first['generate_s']:.2f} s")
    _row("SupplyNetwork.build", f"{first['network_build_s']:.2f} s")
    _row("Model.build", f"{first['model_build_s']:.2f} s")
    for rule, run in national.items():
        _row(f"first one-day run, {rule} (numba cache)", f"{run['first_call_s']:.2f} s")
        _row(
            f"{run['days']} days, {rule}",
            f"{run['run_s']:.2f} s  {run['ms_per_day']:.1f} ms/day",
            f"< {TARGET_RUN_S:.0f} s (aim {AIM_RUN_S:.0f})",
            _verdict(run["run_s"] < TARGET_RUN_S, quick),
        )
        _row(
            f"  peak RSS, whole process ({rule})",
            f"{run['peak_rss_gb']:.2f} GB",
            f"< {TARGET_GB:.0f} GB",
            _verdict(run["peak_rss_gb"] < TARGET_GB, quick),
        )
        _row("  RSS after build / peak RSS before the run", _gb_pair(run))
        _row(
            "  loss share / lowest day / days to recover",
            f"{run['loss_share']:.4f} / {run['lowest_share']:.3f} / {run['days_to_recover']}",
        )
        _row(
            "  settled (days after it copied, not computed)",
            "no" if run["steady_day"] is None else f"on day {run['steady_day']}",
        )
        _load_row(run)
    sparse = results["scipy"]
    numba_ms = first["ms_per_day"]
    _row(
        f"scipy.sparse step, {sparse['days']} days, double",
        f"{sparse['scipy_ms_per_day']:.1f} ms/day",
    )
    _row(
        "  extrapolated to 365 days",
        f"{sparse['scipy_ms_per_day'] * 365 / 1e3:.2f} s",
        "",
        f"{sparse['scipy_ms_per_day'] / numba_ms:.2f}x numba (single)",
    )
    _row(
        f"  numba, same {sparse['days']} days, double",
        f"{sparse['numba_double_ms_per_day']:.1f} ms/day",
        "",
        f"scipy / numba {sparse['scipy_ms_per_day'] / sparse['numba_double_ms_per_day']:.2f}x",
    )
    _row(
        "  daily total output, scipy vs numba",
        f"max rel. diff {sparse['max_relative_difference']:.1e}",
        f"< {AGREEMENT:.0e}",
        _verdict(sparse["max_relative_difference"] < AGREEMENT, False),
    )
    _row("  peak RSS (scipy process)", f"{sparse['peak_rss_gb']:.2f} GB")
    _load_row(sparse)

    exits = results["exits"]
    print()
    print(
        f"{PROGRAM} supply chain (generate_programs seed {args.seed}): {exits['firms']:,} firms, "
        f"{exits['links']:,} links; {exits['exits']:,} scenarios, each one of its "
        f"{exits['suppliers']:,} suppliers (drawn, seed {args.seed}) exiting on day 0, "
        f"{exits['days']} days, proportional; {exits['executor']}"
    )
    _row("Model.build (generate + restrict + build)", f"{exits['build_s']:.2f} s")
    _row(
        f"{exits['exits']:,} exits x {exits['days']} days",
        f"{exits['ensemble_s']:.2f} s",
        f"< {TARGET_EXITS_S:.0f} s",
        _verdict(exits["ensemble_s"] < TARGET_EXITS_S, quick),
    )
    if "fit_days" in exits:
        _row(
            f"  the same at {exits['fit_days']} days (what fits)",
            f"{exits['fit_s']:.2f} s",
            f"< {TARGET_EXITS_S:.0f} s",
            _verdict(exits["fit_s"] < TARGET_EXITS_S, quick),
        )
    ideal = exits["numba_run_ms"] * exits["exits"] / exits["workers"] / 1e3
    _row(
        f"  one run, numba, 1 thread (mean of {exits['sampled']})",
        f"{exits['numba_run_ms']:.1f} ms",
        "",
        f"x runs / workers = {ideal:.2f} s",
    )
    _row(
        f"  one run, scipy.sparse (mean of {exits['sampled']})",
        f"{exits['scipy_run_ms']:.1f} ms",
        "",
        f"scipy / numba {exits['scipy_run_ms'] / exits['numba_run_ms']:.2f}x",
    )
    _row(
        f"  scipy.sparse, {exits['exits']:,} exits (est., {exits['workers']} workers)",
        f"{exits['scipy_estimate_s']:.2f} s",
        "",
        f"{exits['scipy_estimate_s'] / exits['ensemble_s']:.2f}x the ensemble",
    )
    _row(
        "  daily total output, scipy vs numba",
        f"max rel. diff {exits['max_relative_difference']:.1e}",
        f"< {AGREEMENT:.0e}",
        _verdict(exits["max_relative_difference"] < AGREEMENT, False),
    )
    _load_row(exits)

    print(
        f"\nwhere the time goes (cProfile, own time in ms per day over a "
        f"{national['proportional']['profile_days']}-day national run and one {exits['days']}-day "
        "exit run; once-a-run costs such as the final argsort spread over the days):"
    )
    for title, profile in [(f"national {r}", v["profile_ms_per_day"]) for r, v in national.items()]:
        print(f"  {title}: " + ", ".join(f"{k} {v:.2f}" for k, v in profile.items()))
    print(
        "  one exit run: "
        + ", ".join(f"{k} {v:.3f}" for k, v in exits["profile_ms_per_day"].items())
    )


def _load_row(phase: dict[str, Any]) -> None:
    before, after = phase["load_before"][0], phase["load_after"][0]
    _row("  load average (1 min) before / after", f"{before:.2f} / {after:.2f}")


def _load(load: list[float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


def _gb_pair(run: dict[str, Any]) -> str:
    return f"{run['rss_after_build_gb']:.2f} / {run['peak_after_build_gb']:.2f} GB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=None, help="national firms (1,000,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--exits", type=int, default=None, help="exit scenarios (1,000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--check-days", type=int, default=30, help="days of the scipy step")
    parser.add_argument("--scipy-exits", type=int, default=None, help="exits through scipy (5)")
    parser.add_argument("--profile-days", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--json", help="write the numbers to this file")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--rationing", default="proportional", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.firms is None:
        args.firms = 20_000 if args.quick else 1_000_000
    if args.exits is None:
        args.exits = 100 if args.quick else 1_000
    if args.scipy_exits is None:
        args.scipy_exits = 2 if args.quick else 5
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return

    results: dict[str, Any] = {"load_start": os.getloadavg(), "national": {}}
    for rule in ("proportional", "lower_priority"):
        results["national"][rule] = _spawn("national", args, rationing=rule)
    results["scipy"] = _spawn("scipy", args)
    results["exits"] = _spawn("exits", args)
    results["load_end"] = os.getloadavg()
    results["options"] = {k: v for k, v in vars(args).items() if k not in ("phase", "rationing")}
    report(results, args)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
