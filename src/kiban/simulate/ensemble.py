"""Monte Carlo ensembles: many scenarios through one compiled model, locally or on Dask.

`run_ensemble(network_or_model, scenarios)` runs every scenario (for instance those of
`kiban.simulate.sampling.sample_exits` or `sample_disasters`) through `Model.run` with
`keep_firm_output=False` and keeps only a small summary of each run: per program the output
loss, loss share, lowest daily share and days to recover, and for the whole network the
output, value-added, direct and indirect losses and days to recover. `Ensemble.quantiles()`
gives P50/P90/P99 and the mean of the output loss per program and for the network.

Executors share one engine through a submit/gather protocol (`Executor`): runs go out in
chunks of consecutive run indices and come back in any order; the results are put back in
run order. `workers=1` runs in this process; otherwise a `ProcessPoolExecutor` of `workers`
processes (default `os.cpu_count()`), each started with "spawn" (numba's OpenMP layer is not
fork-safe) and loading the model once, in its initializer; `scheduler="tcp://host:port"` sends
the model once to every worker of a Dask distributed cluster (the optional extra
`kiban[distributed]`) and the chunks after it. Every run uses one numba thread, because the
runs already fill the cores and the model's daily totals are parallel sums whose last bits
depend on the thread count: so the results are identical whatever the executor and the
number of workers.

Quantiles are numpy's default ("linear", type 7 of Hyndman and Fan 1996): the q-quantile of
n sorted losses is interpolated at position q (n - 1), as polars' `quantile(q, "linear")`.

Cost: one `Model.run` per scenario (see `kiban.simulate.propagation`), plus the model's
transfer once per worker; a summary is O(programs) per run.
"""

from __future__ import annotations

import importlib
import inspect
import math
import multiprocessing
import os
import pickle
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import polars as pl

from kiban.errors import KibanError, SimulateError, first_line
from kiban.network import SupplyNetwork
from kiban.simulate.propagation import Model, Propagation
from kiban.simulate.scenario import (
    DemandSurge,
    FirmExit,
    ItemShortage,
    RegionalDisaster,
    Scenario,
    Shock,
    check_scenario,
)

FloatArray = npt.NDArray[np.float64]

QUANTILES = (0.5, 0.9, 0.99)
CONNECT_TIMEOUT_S = 5.0
"""Seconds to wait for a Dask scheduler to answer before giving up."""
CHUNKS_PER_WORKER = 4
MAX_CHUNK = 16
"""Runs per task: enough to make the per-task overhead (about a millisecond) small, few
enough to balance the load and report progress often."""
_OWN_OPTIONS = ("self", "scenario", "keep_firm_output", "threads", "progress")
"""Parameters of `Model.run` the ensemble sets itself."""

Chunk = list[tuple[int, Scenario]]


@dataclass(frozen=True, eq=False)
class RunSummary:
    """What one run leaves behind (money in JPY, summed over the run's `days`)."""

    run: int
    days: int
    output_loss_jpy: float
    value_added_loss_jpy: float
    direct_loss_jpy: float
    indirect_loss_jpy: float
    days_to_recover: int | None
    program_loss_jpy: FloatArray
    program_loss_share: FloatArray
    program_lowest_share: FloatArray
    program_days_to_recover: list[int | None]


@dataclass(frozen=True, eq=False)
class Ensemble:
    """The summaries of an ensemble's runs, in run order.

    `runs`: one row per run and program (run, scenario, program_id, output_loss_jpy,
    loss_share, lowest_share, days_to_recover), empty for a network without programs.
    `totals`: one row per run for the whole network (run, scenario, description, shocks,
    output_loss_jpy, loss_share, value_added_loss_jpy, direct_loss_jpy, indirect_loss_jpy,
    days_to_recover). A program's loss is that of the firms of its supply chain; programs
    share firms, so their losses do not add up to the network's. `days_to_recover` is null
    where output is still below 99% of the baseline on the last day. `baseline_output_jpy`:
    the network's output per day at baseline; `program_ids` in model order; `options`: the
    options given to `Model.run`; `executor`: where the runs ran.
    """

    runs: pl.DataFrame
    totals: pl.DataFrame
    baseline_output_jpy: float
    program_ids: list[str]
    options: dict[str, Any]
    executor: str

    def quantiles(self, levels: Sequence[float] = QUANTILES) -> pl.DataFrame:
        """Mean and quantiles of the output loss over the runs, per program and in total.

        One row per program (model order), then one for the whole network with a null
        program_id. Columns: program_id, runs, mean_loss_jpy, then p50_loss_jpy,
        p90_loss_jpy, p99_loss_jpy for the default `levels` (named p{100 q:g}). Quantiles
        are numpy's "linear" method (see the module). SimulateError for a level outside
        [0, 1].
        """
        qs = [float(q) for q in levels]
        if not qs or not all(0.0 <= q <= 1.0 for q in qs):
            raise SimulateError(f"quantile levels must lie in [0, 1], not {list(levels)!r}")
        rows = []
        for program in [*self.program_ids, None]:
            if program is None:
                loss = self.totals.get_column("output_loss_jpy").to_numpy()
            else:
                chosen = self.runs.filter(pl.col("program_id") == program)
                loss = chosen.get_column("output_loss_jpy").to_numpy()
            rows.append((program, loss.size, float(loss.mean()), *np.quantile(loss, qs)))
        names = ["program_id", "runs", "mean_loss_jpy", *(f"p{100 * q:g}_loss_jpy" for q in qs)]
        schema = {
            name: pl.String if i == 0 else pl.Int64 if i == 1 else pl.Float64
            for i, name in enumerate(names)
        }
        return pl.DataFrame(
            [tuple(float(v) if i > 1 else v for i, v in enumerate(r)) for r in rows],
            schema=schema,
            orient="row",
        )

    def summary(self) -> dict[str, Any]:
        """The ensemble in plain Python values (JSON-ready): counts, options, quantiles."""
        return {
            "runs": self.totals.height,
            "executor": self.executor,
            "options": dict(self.options),
            "baseline_output_jpy": self.baseline_output_jpy,
            "quantiles": self.quantiles().to_dicts(),
        }


class Executor(Protocol):
    """Where chunks of runs execute: `submit` one, then `gather` the results as they come.

    `slots`: how many chunks run at once (to size the chunks); `description`: in words."""

    slots: int
    description: str

    def submit(self, chunk: Chunk) -> Any:
        """Start (or queue) the runs of `chunk`; returns a handle for `gather`."""
        ...

    def gather(self, handles: list[Any]) -> Iterator[list[RunSummary]]:
        """The summaries of each submitted chunk, in the order the chunks finish."""
        ...

    def close(self) -> None:
        """Release the workers; cancel what has not started."""
        ...


def run_ensemble(
    network_or_model: SupplyNetwork | Model,
    scenarios: Sequence[Scenario],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
    **run_options: Any,
) -> Ensemble:
    """Run every scenario through the model and summarise each run (see the module).

    `workers`: local processes (default: all cores; 1 runs here, without a pool);
    `scheduler`: the address of a Dask scheduler ("tcp://host:8786") to run on instead, with
    `connect_timeout_s` to answer; `progress(done)` is called with the number of runs
    finished so far, as they come back (`kiban.terminal.DelayedProgress.update` shows a
    bar); `run_options`: options of `Model.run` (days,
    rationing, inventory_days, tau_days, substitution, precision; the ensemble sets
    keep_firm_output=False and threads=1 itself).
    SimulateError, before anything runs, for no scenarios, a name a scenario uses that the
    network lacks, an unknown or bad option, bad `workers`, or both `workers` and
    `scheduler`; for a scheduler that does not answer or lacks `kiban[distributed]`.

    >>> import kiban
    >>> from kiban.simulate.sampling import sample_exits
    >>> net = SupplyNetwork.build(kiban.generate_programs(seed=1, scale=0.05))
    >>> runs = sample_exits(net, 4, seed=1, days=30, exits_per_year=40)
    >>> ensemble = run_ensemble(net, runs, workers=1)
    >>> ensemble.totals.height, ensemble.runs.height
    (4, 24)
    """
    model = _model(network_or_model)
    chosen = _scenarios(scenarios)
    _check_names(chosen, model.network)
    _check_options(model, chosen[0], run_options)
    executor = _executor(model, run_options, len(chosen), workers, scheduler, connect_timeout_s)
    try:
        summaries = _run_all(executor, chosen, progress)
    finally:
        executor.close()
    return _ensemble(model, chosen, summaries, run_options, executor.description)


def _run_all(
    executor: Executor, scenarios: list[Scenario], progress: Callable[[int], None] | None
) -> list[RunSummary]:
    """Submit the runs in chunks of consecutive indices; gather them into run order."""
    size = _chunk_size(len(scenarios), executor.slots)
    indexed = list(enumerate(scenarios))
    handles = [executor.submit(indexed[i : i + size]) for i in range(0, len(indexed), size)]
    found: list[RunSummary | None] = [None] * len(scenarios)
    done = 0
    for summaries in executor.gather(handles):
        for summary in summaries:
            found[summary.run] = summary
        done += len(summaries)
        if progress is not None:
            progress(done)
    assert all(s is not None for s in found)
    return [s for s in found if s is not None]


# -- one chunk of runs, wherever it executes ---------------------------------------------

_RUN_LOCK = threading.Lock()
"""One run at a time per process: the model's kernels hold the GIL, and numba's built-in
workqueue threading layer aborts on concurrent launches (threaded Dask workers share one)."""


def run_chunk(model: Model, chunk: Chunk, options: dict[str, Any]) -> list[RunSummary]:
    """Run the scenarios of `chunk` (run index, scenario), each on one numba thread."""
    with _RUN_LOCK:
        return [
            summarise(run, model.run(scenario, keep_firm_output=False, threads=1, **options))
            for run, scenario in chunk
        ]


def summarise(run: int, result: Propagation) -> RunSummary:
    """The summary of run `run` (see `RunSummary`)."""
    programs = result.programs
    return RunSummary(
        run=run,
        days=result.days,
        output_loss_jpy=result.output_loss_jpy,
        value_added_loss_jpy=result.value_added_loss_jpy,
        direct_loss_jpy=result.direct_loss_jpy,
        indirect_loss_jpy=result.indirect_loss_jpy,
        days_to_recover=result.days_to_recover,
        program_loss_jpy=programs.get_column("output_loss_jpy").to_numpy(),
        program_loss_share=programs.get_column("loss_share").to_numpy(),
        program_lowest_share=programs.get_column("lowest_share").to_numpy(),
        program_days_to_recover=programs.get_column("days_to_recover").to_list(),
    )


# -- executors ------------------------------------------------------------------------------


class InProcess:
    """Runs each chunk here, when `gather` reaches it (so progress shows as it goes)."""

    description = "in-process"
    slots = 1

    def __init__(self, model: Model, options: dict[str, Any]) -> None:
        self._model, self._options = model, options

    def submit(self, chunk: Chunk) -> Chunk:
        return chunk

    def gather(self, handles: list[Any]) -> Iterator[list[RunSummary]]:
        for chunk in handles:
            for item in chunk:  # one by one: no overhead here, and finer progress
                yield run_chunk(self._model, [item], self._options)

    def close(self) -> None:
        pass


_WORKER: dict[str, Any] = {}
"""The model and options of this pool worker process, set once by `_start_worker`."""


def _start_worker(path: str) -> None:
    with open(path, "rb") as file:  # written by this ensemble's own LocalPool
        _WORKER["model"], _WORKER["options"] = pickle.load(file)


def _run_in_worker(chunk: Chunk) -> list[RunSummary]:
    return run_chunk(_WORKER["model"], chunk, _WORKER["options"])


class LocalPool:
    """`workers` spawned processes, each loading the model once in its initializer.

    The model goes through a temporary file rather than the initializer's arguments: a
    spawned child that dies before reading a large argument (a script without the
    `if __name__ == "__main__":` guard) would leave the parent blocked on the pipe."""

    def __init__(self, model: Model, options: dict[str, Any], workers: int) -> None:
        self.slots = workers
        self.description = f"{workers} local processes"
        self._folder = tempfile.TemporaryDirectory(prefix="kiban-ensemble-")
        path = Path(self._folder.name) / "model.pickle"
        with path.open("wb") as file:
            pickle.dump((model, options), file, protocol=pickle.HIGHEST_PROTOCOL)
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(str(path),),
        )

    def submit(self, chunk: Chunk) -> Future[list[RunSummary]]:
        return self._pool.submit(_run_in_worker, chunk)

    def gather(self, handles: list[Any]) -> Iterator[list[RunSummary]]:
        try:
            for future in as_completed(handles):
                yield future.result()
        except BrokenProcessPool as error:
            raise SimulateError(
                f"a worker process of the ensemble died ({first_line(error)}): a script that "
                'runs an ensemble needs the `if __name__ == "__main__":` guard, and with a '
                "large network fewer workers may fit in memory (each holds a copy of the model)"
            ) from error

    def close(self) -> None:
        try:
            self._pool.shutdown(wait=True, cancel_futures=True)
        finally:
            self._folder.cleanup()


class DaskCluster:
    """A Dask distributed cluster: the model goes to every worker once, then the chunks."""

    def __init__(
        self, model: Model, options: dict[str, Any], address: str, timeout_s: float
    ) -> None:
        try:  # an optional extra: imported only when asked for (untyped, hence Any)
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise SimulateError(
                "running on a Dask cluster needs the optional extra: "
                "pip install 'kiban[distributed]'"
            ) from None
        self._distributed = distributed
        self.address = address
        self.description = f"Dask cluster at {address}"
        try:
            self._client = distributed.Client(address, timeout=timeout_s)
        except (OSError, TimeoutError, ValueError) as error:
            raise SimulateError(
                f"the Dask scheduler at {address!r} did not answer within {timeout_s:g} s "
                f"({first_line(error)}); start it with `dask scheduler` and its workers with "
                "`dask worker ADDRESS`, or check the address"
            ) from None
        try:
            self.slots = max(1, sum(self._client.nthreads().values()))
            self._model = self._client.scatter(model, broadcast=True, hash=False)
        except (OSError, TimeoutError) as error:
            self._client.close()
            raise SimulateError(
                f"the Dask cluster at {address!r} took no model ({first_line(error)}): "
                f"does it have workers? start them with `dask worker {address}`"
            ) from None
        except BaseException:
            self._client.close()
            raise
        self._options = options

    def submit(self, chunk: Chunk) -> Any:
        return self._client.submit(run_chunk, self._model, chunk, self._options, pure=False)

    def gather(self, handles: list[Any]) -> Iterator[list[RunSummary]]:
        for future in self._distributed.as_completed(handles):
            try:
                result: list[RunSummary] = future.result()
            except KibanError:
                raise
            except Exception as error:
                raise SimulateError(
                    f"a run failed on the Dask cluster at {self.address!r}: "
                    f"{type(error).__name__}: {first_line(error)} (is kiban installed on "
                    "every worker, at the same version?)"
                ) from error
            yield result

    def close(self) -> None:
        self._client.close()


def _executor(
    model: Model,
    options: dict[str, Any],
    runs: int,
    workers: int | None,
    scheduler: str | None,
    timeout_s: float,
) -> Executor:
    if scheduler is not None:
        if workers is not None:
            raise SimulateError(
                "give workers (local processes) or scheduler (a Dask cluster), not both: "
                "a Dask cluster's workers are started with `dask worker`"
            )
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise SimulateError(
                f"scheduler must be an address such as tcp://host:8786, not {scheduler!r}"
            )
        if (
            isinstance(timeout_s, bool)
            or not isinstance(timeout_s, int | float)
            or not timeout_s > 0
        ):
            raise SimulateError(f"connect_timeout_s must be a number > 0, not {timeout_s!r}")
        return DaskCluster(model, options, scheduler.strip(), float(timeout_s))
    count = (os.cpu_count() or 1) if workers is None else workers
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise SimulateError(f"workers must be a whole number >= 1, not {workers!r}")
    count = min(count, runs)  # no idle workers for a small ensemble
    if count == 1:
        return InProcess(model, options)
    return LocalPool(model, options, count)


# -- checks before anything runs --------------------------------------------------------------


def _model(network_or_model: object) -> Model:
    if isinstance(network_or_model, Model):
        return network_or_model
    if isinstance(network_or_model, SupplyNetwork):
        return Model.build(network_or_model)
    raise SimulateError(
        f"run_ensemble needs a SupplyNetwork or a Model, not {type(network_or_model).__name__}"
    )


def _scenarios(scenarios: object) -> list[Scenario]:
    if isinstance(scenarios, Scenario) or not isinstance(scenarios, Sequence):
        raise SimulateError("scenarios must be a list of Scenario (one per run)")
    chosen = list(scenarios)
    if not chosen:
        raise SimulateError("no scenarios to run: an ensemble needs at least one")
    for number, scenario in enumerate(chosen):
        if not isinstance(scenario, Scenario):
            raise SimulateError(f"scenarios[{number}] is not a Scenario: {scenario!r}")
    return chosen


def _check_options(model: Model, first: Scenario, options: dict[str, Any]) -> None:
    """Unknown option names here; values by the model's own checks (`Model.check`), which
    run nothing: a one-day run here would load the kernels in this process, about a second
    before any worker starts, for an ensemble whose runs all go to workers."""
    allowed = [p for p in inspect.signature(Model.run).parameters if p not in _OWN_OPTIONS]
    for name in options:
        if name not in allowed:
            raise SimulateError(
                f"unknown run option {name!r}; the options are: {', '.join(allowed)}"
            )
    days = options.get("days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days <= 0):
        raise SimulateError(f"days must be a whole number > 0, not {days!r}")
    model.check(first, **{**options, "keep_firm_output": False, "threads": 1})


def _check_names(scenarios: list[Scenario], network: SupplyNetwork) -> None:
    """`check_scenario` on every scenario, at the cost of one: the names of all the
    scenarios' shocks go through one check; if it fails, the first failing scenario is named."""
    firms: dict[str, None] = {}
    regions: dict[str, None] = {}
    shocks: list[Shock] = []
    for scenario in scenarios:
        for shock in scenario.shocks:
            if isinstance(shock, FirmExit):
                firms.update(dict.fromkeys(shock.firm_ids))
            elif isinstance(shock, RegionalDisaster):
                regions.update(dict.fromkeys(shock.regions))
            elif isinstance(shock, ItemShortage | DemandSurge):
                shocks.append(shock)
    if firms:
        shocks.append(FirmExit(tuple(firms)))
    if regions:
        shocks.append(RegionalDisaster(tuple(regions), 1.0))
    # one day is enough to hold every shock, moved to day 0 (only the names are checked)
    merged = Scenario(name="ensemble", days=1, shocks=tuple(replace(s, day=0) for s in shocks))
    try:
        check_scenario(merged, network)
    except SimulateError:
        for number, scenario in enumerate(scenarios):
            try:
                check_scenario(scenario, network)
            except SimulateError as error:
                raise SimulateError(f"run {number}: {error}") from None
        raise


# -- results ------------------------------------------------------------------------------


def _ensemble(
    model: Model,
    scenarios: list[Scenario],
    summaries: list[RunSummary],
    options: dict[str, Any],
    executor: str,
) -> Ensemble:
    programs = list(model.program_ids)
    n_programs = len(programs)
    baseline = float(model.output.sum())
    names = [s.name for s in scenarios]
    runs = pl.DataFrame(
        {
            "run": np.repeat(np.arange(len(summaries), dtype=np.int64), n_programs),
            "scenario": [name for name in names for _ in programs],
            "program_id": programs * len(summaries),
            "output_loss_jpy": _stack([s.program_loss_jpy for s in summaries]),
            "loss_share": _stack([s.program_loss_share for s in summaries]),
            "lowest_share": _stack([s.program_lowest_share for s in summaries]),
            "days_to_recover": [d for s in summaries for d in s.program_days_to_recover],
        },
        schema=RUNS_SCHEMA,
    )
    totals = pl.DataFrame(
        {
            "run": np.arange(len(summaries), dtype=np.int64),
            "scenario": names,
            "description": [s.description for s in scenarios],
            "shocks": [len(s.shocks) for s in scenarios],
            "output_loss_jpy": [s.output_loss_jpy for s in summaries],
            "loss_share": [
                s.output_loss_jpy / (baseline * s.days) if baseline > 0 else 0.0 for s in summaries
            ],
            "value_added_loss_jpy": [s.value_added_loss_jpy for s in summaries],
            "direct_loss_jpy": [s.direct_loss_jpy for s in summaries],
            "indirect_loss_jpy": [s.indirect_loss_jpy for s in summaries],
            "days_to_recover": [s.days_to_recover for s in summaries],
        },
        schema=TOTALS_SCHEMA,
    )
    return Ensemble(
        runs=runs,
        totals=totals,
        baseline_output_jpy=baseline,
        program_ids=programs,
        options=dict(options),
        executor=executor,
    )


RUNS_SCHEMA = pl.Schema(
    {
        "run": pl.Int64(),
        "scenario": pl.String(),
        "program_id": pl.String(),
        "output_loss_jpy": pl.Float64(),
        "loss_share": pl.Float64(),
        "lowest_share": pl.Float64(),
        "days_to_recover": pl.Int64(),
    }
)
"""The columns of `Ensemble.runs`."""

TOTALS_SCHEMA = pl.Schema(
    {
        "run": pl.Int64(),
        "scenario": pl.String(),
        "description": pl.String(),
        "shocks": pl.Int64(),
        "output_loss_jpy": pl.Float64(),
        "loss_share": pl.Float64(),
        "value_added_loss_jpy": pl.Float64(),
        "direct_loss_jpy": pl.Float64(),
        "indirect_loss_jpy": pl.Float64(),
        "days_to_recover": pl.Int64(),
    }
)
"""The columns of `Ensemble.totals`."""


def _stack(arrays: list[FloatArray]) -> FloatArray:
    return np.concatenate(arrays) if arrays else np.zeros(0)


def _chunk_size(runs: int, slots: int) -> int:
    return max(1, min(MAX_CHUNK, math.ceil(runs / (max(1, slots) * CHUNKS_PER_WORKER))))
