"""`kiban simulate`: a disruption scenario on the stored network, static impact then dynamics.

A thin surface over `kiban.simulate` (docs/simulation.md): it reads the scenario (a TOML file,
docs/scenarios.md, or the shortcuts `--exit`, `--embargo`, `--disaster --loss`), loads the
network from the store, and prints first what the scenario stops outright
(`kiban.simulate.static.static_impact`), then what it does over time
(`kiban.simulate.propagation.Model.run`). Every bad input is a `SimulateError` that names the
option or the file and key, raised before anything runs.

The command registers itself on `kiban.cli.app`, whose consoles, `guarded` and output formats
it shares; `kiban.cli` imports this module to that end.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from kiban.cli import (
    DbOption,
    FormatOption,
    OutputFormat,
    _open,
    _print_frame,
    _write_json,
    app,
    err,
    guarded,
    out,
)
from kiban.errors import KibanError, SimulateError
from kiban.reference.formatting import format_jpy
from kiban.terminal import (
    DelayedProgress,
    hardest_hit_view,
    propagation_programs_view,
    rich_table,
    sparkline,
)

if TYPE_CHECKING:
    from kiban.network import SupplyNetwork
    from kiban.simulate.propagation import Model, Propagation
    from kiban.simulate.scenario import Scenario, Shock
    from kiban.simulate.static import StaticImpact

SPARK_WIDTH = 60
"""Marks in the daily sparkline: it fits an 80-column terminal with its indent."""
FIRMS_SHOWN = 10
"""Hardest-hit firms in the terminal table (json and --output give them all)."""
LISTED = 5
"""Stopped firms and unsourced pairs named in the terminal before "and N more"."""


class Rationing(StrEnum):
    proportional = "proportional"
    final_demand_last = "final_demand_last"
    lower_priority = "lower_priority"


@dataclasses.dataclass(frozen=True)
class _Asked:
    """The scenario to run and where it came from (a file, or the command line)."""

    scenario: Scenario
    source: str
    path: Path | None


@app.command()
@guarded
def simulate(
    scenario_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="SCENARIO.toml",
            help="A scenario file (docs/scenarios.md); or give the shortcuts instead.",
            show_default=False,
        ),
    ] = None,
    exits: Annotated[
        list[str] | None,
        typer.Option("--exit", help="Shortcut: this firm stops for good on day 0 (repeatable)."),
    ] = None,
    embargoes: Annotated[
        list[str] | None,
        typer.Option(
            "--embargo",
            help="Shortcut: every supply from this country (ISO code) stops (repeatable).",
        ),
    ] = None,
    disasters: Annotated[
        list[str] | None,
        typer.Option(
            "--disaster",
            help="Shortcut: the firms of this region lose --loss of capacity (repeatable).",
        ),
    ] = None,
    loss: Annotated[
        float | None,
        typer.Option(
            help="Share of capacity a --disaster takes, above 0 and at most 1 (default 1)."
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(help="Days to simulate (default: the file's; 365 for the shortcuts)."),
    ] = None,
    rationing: Annotated[
        Rationing,
        typer.Option(help="How a supplier short of output shares it among its customers."),
    ] = Rationing.proportional,
    substitution: Annotated[
        bool,
        typer.Option(
            "--substitution/--no-substitution",
            help="Let a starved customer move to another supplier of the same input.",
        ),
    ] = False,
    static_only: Annotated[
        bool,
        typer.Option("--static-only", help="Only what the scenario stops outright (instant)."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="A folder to write daily_output.csv and firms.csv into."
        ),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """What a disruption stops, and what it costs day by day.

    First the programs it makes unproducible, then, simulated day by day, the output lost in
    total, by program and by firm, direct and indirect, and the days to recover. Give a
    scenario file (docs/scenarios.md) or shortcuts: --exit FIRM, --embargo CC, --disaster
    REGION --loss 0.6 (all from day 0, without recovery). The network is the store's."""
    from kiban.simulate.propagation import Model
    from kiban.simulate.static import static_impact

    if static_only and output is not None:
        raise SimulateError(
            "--output writes the dynamic results (daily_output.csv, firms.csv): "
            "drop --static-only or --output"
        )
    asked = _asked(scenario_file, exits or [], embargoes or [], disasters or [], loss, days)
    with err.status("loading the network from the store..."):
        network = _network(db)
    _check_names(asked, network, exits or [], disasters or [])
    impact = static_impact(network, asked.scenario)
    result = None
    if not static_only:
        with err.status("compiling the model..."):
            model = Model.build(network)
        result = _run(model, asked.scenario, rationing=rationing.value, substitution=substitution)
    options = {"rationing": rationing.value, "substitution": substitution}
    if fmt is OutputFormat.json:
        _write_json(_finite(_document(asked, options, impact, result)))
    elif fmt is OutputFormat.csv:
        _print_frame(impact.programs if result is None else result.programs, fmt)
    else:
        _print_scenario(asked)
        _print_static(impact)
        if result is not None:
            _print_dynamic(result)
    if output is not None and result is not None:
        written = _write_outputs(result, output)
        status = out if fmt is OutputFormat.table else err
        status.print(f"wrote {', '.join(str(p) for p in written)}")


# -- inputs -----------------------------------------------------------------------------------


def _asked(
    path: Path | None,
    exits: Sequence[str],
    embargoes: Sequence[str],
    disasters: Sequence[str],
    loss: float | None,
    days: int | None,
) -> _Asked:
    """The scenario of the file or of the shortcuts, with --days applied; checks its form."""
    from kiban.simulate.scenario import Embargo, load_scenario, shortcut_scenario

    if days is not None and days <= 0:
        raise SimulateError(f"--days must be a whole number > 0, not {days}")
    shortcuts = [
        name
        for name, given in (("--exit", exits), ("--embargo", embargoes), ("--disaster", disasters))
        if given
    ]
    if loss is not None and not disasters:
        raise SimulateError("--loss is the share of capacity a --disaster takes: name a region")
    if path is not None:
        if shortcuts or loss is not None:
            given = ", ".join([*shortcuts, *(["--loss"] if loss is not None else [])])
            raise SimulateError(
                f"give a scenario file or the shortcuts ({given}), not both: add the shocks "
                f"to {path} (docs/scenarios.md) or drop the file"
            )
        scenario = load_scenario(path)
        if days is not None and days != scenario.days:
            try:
                scenario = dataclasses.replace(scenario, days=days)
            except SimulateError as error:
                raise SimulateError(f"{path} with --days {days}: {error}") from None
        return _Asked(scenario, str(path), path)
    if not shortcuts:
        raise SimulateError(
            "nothing to simulate: give a scenario file (kiban simulate SCENARIO.toml, "
            "docs/scenarios.md) or a shortcut: --exit FIRM, --embargo CC, --disaster REGION"
        )
    if loss is not None and not (math.isfinite(loss) and 0 < loss <= 1):
        raise SimulateError(f"--loss must be above 0 and at most 1, not {loss:g}")
    for country in embargoes:
        with _named(f"--embargo {country}"):
            Embargo(country)  # checks the code
    for option, values in (("--exit", exits), ("--disaster", disasters)):
        for value in values:
            if not value.strip():
                raise SimulateError(f"{option} needs a name, not {value!r}")
    scenario = shortcut_scenario(
        exit=exits,
        embargo=embargoes,
        disaster=disasters,
        loss=1.0 if loss is None else loss,
        days=365 if days is None else days,
    )
    return _Asked(scenario, "the command line", None)


@contextmanager
def _named(where: str) -> Iterator[None]:
    """Prefix a SimulateError raised inside with `where` (an option or a file)."""
    try:
        yield
    except SimulateError as error:
        raise SimulateError(f"{where}: {error}") from None


def _network(db: str | None) -> SupplyNetwork:
    """The stored dataset compiled for analysis."""
    from kiban.network import SupplyNetwork

    with _open(db) as store:
        dataset = store.dataset()
    if not dataset.firms.height:
        raise SimulateError(
            "the store holds no data: import a dataset (`kiban import PATH`) or run `kiban demo`"
        )
    return SupplyNetwork.build(dataset)


def _check_names(
    asked: _Asked, network: SupplyNetwork, exits: Sequence[str], disasters: Sequence[str]
) -> None:
    """SimulateError for a name the network lacks: by option for the shortcuts (with the
    closest known name), prefixed by the file for a scenario file."""
    from kiban.simulate.scenario import check_scenario

    if asked.path is not None:
        with _named(str(asked.path)):
            check_scenario(asked.scenario, network)
        return
    firm_ids = network.firm_ids.to_list()
    regions = network.dataset.firms.get_column("region").drop_nulls().unique().sort().to_list()
    for option, values, known, what in (
        ("--exit", exits, firm_ids, "firm"),
        ("--disaster", disasters, regions, "region"),
    ):
        present = set(known)
        for value in values:
            if value not in present:
                # difflib compares with every name: fine for thousands, not for a million
                close = difflib.get_close_matches(value, known, n=1) if len(known) <= 20_000 else []
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise SimulateError(f"{option} {value}: no {what} {value!r} in the network{hint}")


# -- running ----------------------------------------------------------------------------------


def _run(model: Model, scenario: Scenario, **options: Any) -> Propagation:
    """`model.run` with a transient progress bar of the days on stderr (terminal only)."""
    with DelayedProgress("simulating day", scenario.days, console=err) as bar:

        def advance(day: int) -> None:
            bar.update(day + 1)

        return model.run(scenario, keep_firm_output=False, progress=advance, **options)


# -- json -------------------------------------------------------------------------------------


def _document(
    asked: _Asked,
    options: Mapping[str, object],
    impact: StaticImpact,
    result: Propagation | None,
) -> dict[str, object]:
    """Everything the command found, as one JSON-ready document (numbers as numbers)."""
    scenario = asked.scenario
    return {
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "source": asked.source,
            "days": scenario.days,
            "spare_capacity": scenario.spare_capacity,
            "shocks": [_shock(shock) for shock in scenario.shocks],
        },
        "options": dict(options),
        "static": {
            "stopped_programs": impact.stopped_programs,
            "programs": impact.programs.to_dicts(),
            "stopped_firms": impact.stopped_firms.to_dicts(),
            "unsourced": impact.unsourced.to_dicts(),
            "notes": list(impact.notes),
        },
        "dynamic": None if result is None else _dynamic(result),
    }


def _shock(shock: object) -> dict[str, object]:
    fields = {
        f.name: _plain(getattr(shock, f.name))
        for f in dataclasses.fields(shock)  # type: ignore[arg-type]
    }
    return {"kind": type(shock).key, **fields}  # type: ignore[attr-defined]


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _dynamic(result: Propagation) -> dict[str, object]:
    share = _share(result)
    return {
        **result.summary(),
        "baseline_value_added_jpy": result.baseline_value_added_jpy,
        "programs": result.programs.to_dicts(),
        "hardest_hit": result.hardest_hit.to_dicts(),
        "daily": {
            "day": list(range(result.days)),
            "total_output_jpy": result.total_output_jpy.tolist(),
            "share": share.tolist(),
            "value_added_jpy": result.value_added_jpy.tolist(),
            "program_output_jpy": {
                program: result.program_output_jpy[:, p].tolist()
                for p, program in enumerate(result.program_ids)
            },
        },
    }


def _finite(value: object) -> object:
    """`value` with NaN and infinities as None: JSON has no such numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _share(result: Propagation) -> Any:
    """Total output each day as a share of the baseline (1 where the baseline is nothing)."""
    import numpy as np

    if result.baseline_output_jpy <= 0:
        return np.ones(result.days)
    return result.total_output_jpy / result.baseline_output_jpy


# -- files ------------------------------------------------------------------------------------


def _write_outputs(result: Propagation, folder: Path) -> list[Path]:
    """daily_output.csv (day, totals, share, each program's output) and firms.csv."""
    import polars as pl

    columns: dict[str, Any] = {
        "day": pl.Series(range(result.days), dtype=pl.Int32),
        "total_output_jpy": result.total_output_jpy,
        "share": _share(result),
        "value_added_jpy": result.value_added_jpy,
    }
    for p, program in enumerate(result.program_ids):
        columns[f"output_jpy_{program}"] = result.program_output_jpy[:, p]
    daily = pl.DataFrame(columns)
    paths = [folder / "daily_output.csv", folder / "firms.csv"]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        daily.write_csv(paths[0])
        result.hardest_hit.write_csv(paths[1])
    except (OSError, pl.exceptions.PolarsError) as error:
        raise KibanError(f"cannot write the results to {folder}: {error}") from None
    return paths


# -- the terminal -----------------------------------------------------------------------------


def _print_scenario(asked: _Asked) -> None:
    scenario = asked.scenario
    what = "; ".join(describe_shock(shock) for shock in scenario.shocks) or "no shock"
    out.print(
        Text.assemble(
            ("Scenario ", "bold"), f"{scenario.name!r} from {asked.source}, {scenario.days} days"
        )
    )
    if asked.path is not None and scenario.description:  # the shortcuts' says what follows
        out.print(f"  {scenario.description}")
    out.print(f"  {what}")


def describe_shock(shock: Shock) -> str:
    """One shock in words: "disaster in Aichi (loss 0.6) from day 2, back linearly in 20 days".

    >>> from kiban.simulate.scenario import DemandSurge, FirmExit
    >>> describe_shock(FirmExit(("F1", "F2"))), describe_shock(DemandSurge("missile", 3, day=30))
    ('exit of F1, F2', 'demand for missile x3 from day 30')
    """
    from kiban.simulate.scenario import Embargo, FirmExit, ItemShortage, RegionalDisaster

    if isinstance(shock, FirmExit):
        text = f"exit of {', '.join(shock.firm_ids)}"
    elif isinstance(shock, Embargo):
        text = f"embargo on {shock.country}"
    elif isinstance(shock, RegionalDisaster):
        text = f"disaster in {', '.join(shock.regions)} (loss {shock.loss:g})"
    elif isinstance(shock, ItemShortage):
        text = f"shortage of {shock.item_id} (loss {shock.loss:g})"
    else:
        text = f"demand for {shock.program_id} x{shock.factor:g}"
    if shock.day:
        text += f" from day {shock.day}"
    if isinstance(shock, RegionalDisaster) and shock.recovery != "none":
        way = "linearly in" if shock.recovery == "linear" else "exponentially, time constant"
        text += f", back {way} {shock.recovery_days:g} days"
    return text


def _print_static(impact: StaticImpact) -> None:
    out.print(
        Text("\nStatic impact", style="bold"), "(what stops outright once every shock has struck)"
    )
    firms = impact.stopped_firms
    named = [f"{r['firm_id']} {r['name'] or ''}".strip() for r in firms.head(LISTED).to_dicts()]
    more = f" and {firms.height - LISTED:,} more" if firms.height > LISTED else ""
    out.print(
        f"  firms stopped: {firms.height:,}" + (f" ({'; '.join(named)}{more})" if named else "")
    )
    stopped = impact.programs.filter("stopped")
    if not impact.programs.height:
        out.print("  programs that become unproducible: the network has no programs")
    elif stopped.height:
        out.print(f"  programs that become unproducible: {', '.join(impact.stopped_programs)}")
        for row in stopped.iter_rows(named=True):
            out.print(f"    {row['program_id']}: {row['reason']}")
    else:
        out.print("  programs that become unproducible: none")
    pairs = impact.unsourced
    if pairs.height:
        listed = "; ".join(
            f"{r['customer_id']} needs {r['item_id']}" for r in pairs.head(LISTED).to_dicts()
        )
        more = f" and {pairs.height - LISTED:,} more (--format json lists all)"
        out.print(
            f"  items left without any source: {pairs.height:,} (customer, item) pairs: {listed}"
            + (more if pairs.height > LISTED else "")
        )
    else:
        out.print("  items left without any source: none")
    for note in impact.notes:
        out.print(f"  note: {note}")


def _print_dynamic(result: Propagation) -> None:
    summary = result.summary()
    base = result.baseline_output_jpy
    out.print(
        Text(f"\nOver {result.days} days", style="bold"),
        f"(rationing {result.rationing}, substitution {'on' if result.substitution else 'off'})",
    )
    rows = [
        (
            "output lost",
            f"{_jpy(result.output_loss_jpy)}: {summary['loss_share']:.1%} of the baseline "
            f"({_jpy(base)} a day); lowest day {summary['lowest_share']:.1%}",
        ),
        (
            "value added lost",
            f"{_jpy(result.value_added_loss_jpy)} of {_jpy(result.baseline_value_added_jpy)} "
            "a day at baseline",
        ),
        ("direct", f"{_jpy(result.direct_loss_jpy)}: capacity the shocked firms lost"),
        ("indirect", f"{_jpy(result.indirect_loss_jpy)}: {_indirect(result)}"),
        ("recovery", _recovery(result)),
    ]
    for label, text in rows:
        out.print(f"  {label:<17} {text}")
    if result.programs.height:
        table = rich_table(
            propagation_programs_view(result.programs.sort("output_loss_jpy", descending=True)),
            "Output of each program's supply chain",
        )
        table.columns[-1].justify = "right"
        out.print(table)
        out.print(
            "loss %: of the chain's baseline output over the run; lowest %: its worst day;\n"
            "recovered in: days from the first shock until it is back to 99% for good"
        )
    hit = result.hardest_hit
    if hit.height:
        title = "Hardest-hit firms" + (
            f" (the first {FIRMS_SHOWN} of {hit.height})" if hit.height > FIRMS_SHOWN else ""
        )
        out.print(rich_table(hardest_hit_view(hit.head(FIRMS_SHOWN)), title))
    else:
        out.print("No firm lost output.")
    _print_daily(result)


def _jpy(value: float) -> str:
    """Yen for reading; a negative loss (a demand surge raises output) is called a gain."""
    return f"{format_jpy(value)} JPY" + (" (a gain)" if value < 0 else "")


def _indirect(result: Propagation) -> str:
    if result.direct_loss_jpy > 0 and result.indirect_loss_jpy > 0:
        ratio = result.indirect_loss_jpy / result.direct_loss_jpy
        return f"{ratio:,.1f}x the direct, passed on through suppliers and customers"
    return "passed on through suppliers and customers"


def _recovery(result: Propagation) -> str:
    days = result.days_to_recover
    if days is None:
        return f"output is still below 99% of the baseline on the last day (day {result.days - 1})"
    if days == 0:
        return "output never fell below 99% of the baseline"
    return f"output is back to 99% of the baseline {days} days after the first shock, for good"


def _print_daily(result: Propagation) -> None:
    share = _share(result)
    low = float(share.min())
    high = max(1.0, float(share.max()))  # the top of the scale is at least the baseline
    line, per = sparkline(share.tolist(), SPARK_WIDTH, high=high)
    lowest_day = int(share.argmin())
    mark = "a mark a day" if per == 1 else f"a mark: the lowest of {per} days"
    out.print(Text("\nTotal output by day", style="bold"), f"(share of the baseline; {mark})")
    out.print(f"  {line}")
    out.print(
        f"  ▁ {low:.1%}  █ {high:.1%}; day 0: {share[0]:.1%}, lowest: {low:.1%} on day "
        f"{lowest_day}, day {result.days - 1}: {share[-1]:.1%}"
    )
