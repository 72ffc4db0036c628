"""`kiban ensemble`: Monte Carlo ensembles of random exits or disasters (docs/ensembles.md).

Registers itself on `kiban.cli.app`, as `kiban.cli_simulate` does, and reuses its loading of
the stored network.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import polars as pl
import typer

from kiban.cli import (
    DbOption,
    FormatOption,
    OutputFormat,
    _print_frame,
    _write_json,
    app,
    err,
    guarded,
    out,
)
from kiban.cli_simulate import Rationing, _network
from kiban.errors import SimulateError
from kiban.terminal import DelayedProgress


class Kind(StrEnum):
    exits = "exits"
    disasters = "disasters"


@app.command()
@guarded
def ensemble(
    kind: Annotated[Kind, typer.Argument(help="What to sample: random exits or disasters.")],
    runs: Annotated[int, typer.Option(help="Scenarios to run.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the sampler: same seed, same runs.")] = 1,
    days: Annotated[int, typer.Option(help="Days each scenario runs.")] = 365,
    exits_per_year: Annotated[
        float | None,
        typer.Option(help="Expected exits a year (default: calibrated to the withdrawals)."),
    ] = None,
    loss_min: Annotated[float, typer.Option(help="Disasters: smallest capacity loss.")] = 0.2,
    loss_max: Annotated[float, typer.Option(help="Disasters: largest capacity loss.")] = 0.8,
    recovery_days: Annotated[
        float, typer.Option(help="Disasters: days of linear recovery.")
    ] = 90.0,
    rationing: Annotated[
        Rationing, typer.Option(help="How a supplier short of output shares it.")
    ] = Rationing.proportional,
    workers: Annotated[
        int | None, typer.Option(help="Local processes (default: every core).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="A Dask scheduler (tcp://host:8786) to run on instead; kiban[distributed]."
        ),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Loss quantiles (P50/P90/P99) per program over many random scenarios.

    Exits are drawn from the firms' fragility, calibrated so the yearly count matches the
    published withdrawals; disasters strike one region each, drawn by firm count, with a
    loss drawn between --loss-min and --loss-max and a linear recovery. Runs go to every
    local core, or to a Dask cluster with --scheduler."""
    from kiban.simulate.ensemble import run_ensemble
    from kiban.simulate.sampling import exit_calibration, sample_disasters, sample_exits

    if workers is not None and scheduler is not None:
        raise SimulateError("give --workers or --scheduler, not both")
    network = _network(db)
    if kind is Kind.exits:
        scenarios = sample_exits(network, runs, seed=seed, days=days, exits_per_year=exits_per_year)
    else:
        scenarios = sample_disasters(
            network, runs, seed=seed, days=days, loss=(loss_min, loss_max),
            recovery_days=recovery_days,
        )  # fmt: skip
    with DelayedProgress("ensemble", len(scenarios), console=err) as bar:
        result = run_ensemble(
            network, scenarios, workers=workers, scheduler=scheduler, progress=bar.update,
            rationing=rationing.value, days=days,
        )  # fmt: skip
    table = result.quantiles().with_columns(pl.col("program_id").fill_null("(network)"))
    if fmt is OutputFormat.json:
        summary = result.summary()
        if kind is Kind.exits:
            calibration = exit_calibration(network)
            summary["exits_per_year"] = (
                calibration.exits_per_year if exits_per_year is None else exits_per_year
            )
        _write_json(summary)
        return
    if fmt is OutputFormat.table:
        if kind is Kind.exits and exits_per_year is None:
            c = exit_calibration(network)
            out.print(
                f"exits: {c.exits_per_year:.2f} a year expected = {c.withdrawn_firms} firms "
                f"withdrawn in {c.span_years:g} years x {c.network_suppliers} suppliers here / "
                f"{c.national_suppliers:g} nationally"
            )
        out.print(f"{result.totals.height} runs of {days} days on {result.executor}")
    _print_frame(table, fmt)
