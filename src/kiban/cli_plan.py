"""`kiban plan`: what a budget should buy, and the risk it removes.

Registers itself on `kiban.cli.app`, as `kiban.cli_econ` does. The plan is the optimum of
`kiban.plan.optimize.solve_plan` over the candidate actions of `kiban.plan.actions`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
from kiban.cli_simulate import _network
from kiban.errors import PlanError
from kiban.reference.formatting import format_jpy
from kiban.terminal import rich_table

plan_app = typer.Typer(
    help="Mitigation planning: what a budget should buy, and how much risk it removes.",
    invoke_without_command=True,
)
app.add_typer(plan_app, name="plan")


@plan_app.callback()
@guarded
def plan(
    ctx: typer.Context,
    budget: Annotated[
        float | None, typer.Option(help="The budget, JPY (e.g. 2.2e9, the FY2022 earmark).")
    ] = None,
    program: Annotated[str | None, typer.Option(help="Only this program's risks.")] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(help="Stop the solver after this many seconds and keep the best plan found."),
    ] = 120.0,
    gap: Annotated[float, typer.Option(help="Relative optimality gap to stop at.")] = 1e-4,
    simulated: Annotated[
        bool,
        typer.Option(
            "--simulated",
            help="Value each risk by simulating its firm's exit for a year (slower).",
        ),
    ] = False,
    own: Annotated[
        Path | None,
        typer.Option("--actions", help="Your own candidate actions (TOML), added to kiban's."),
    ] = None,
    per_year: Annotated[
        str | None,
        typer.Option(
            "--per-year",
            help="Budgets by fiscal year, e.g. 2026=1e9,2027=1.2e9: each action is paid in one.",
        ),
    ] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="Write the plan as JSON to this file.")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The actions a budget should buy to cut the expected annual value of program output at
    risk the most: second sources for the items that make single points of failure,
    stockpiles, and efficiency, cyber, successor or facility funding (docs/planning.md)."""
    if ctx.invoked_subcommand is not None:
        return
    if budget is None:
        raise PlanError("give --budget JPY (e.g. --budget 2.2e9)")
    from kiban.plan.actions import candidate_actions
    from kiban.plan.indicators import outcome_indicators
    from kiban.plan.optimize import solve_plan

    by_year = _per_year(per_year) if per_year is not None else None
    network = _network(db)
    found = candidate_actions(network, program_id=program)
    if not found.risks:
        raise PlanError("no single point of failure below a prime: nothing to plan for")
    if simulated:
        from kiban.plan.actions import risk_parts
        from kiban.plan.simulated import simulated_consequences
        from kiban.terminal import DelayedProgress

        firms = len({risk_parts(r.risk_id)[1] for r in found.risks})
        with DelayedProgress("simulating exits", firms, console=err) as bar:
            found = found.with_consequences(
                simulated_consequences(network, found, progress=bar.update)
            )
    if own is not None:
        from kiban.plan.own import load_own_actions

        found = load_own_actions(own, found, network.dataset)
    if by_year is not None:
        found = found.in_years(by_year)
    result = solve_plan(found.problem(budget, by_year), time_limit_s=time_limit, mip_gap=gap)
    chosen = found.described.filter(pl.col("action_id").is_in(list(result.chosen)))
    summary = {"program_id": program, **plan_summary(result, budget, len(found.risks),
                                                      len(found.actions))}  # fmt: skip
    summary["indicators"] = outcome_indicators(
        network.dataset, found, result, program_ids=[program] if program else None
    )
    if save is not None:
        save.write_text(_json(summary, chosen), encoding="utf-8")
    if fmt is OutputFormat.json:
        _write_json({**summary, "actions": chosen.to_dicts()})
        return
    if fmt is OutputFormat.csv:
        _print_frame(chosen, fmt)
        return
    for line in summary_lines(summary):
        out.print(line)
    view = (
        chosen.group_by("kind")
        .agg(pl.len().alias("actions"), pl.col("cost_jpy").sum())
        .sort("cost_jpy", descending=True)
        .with_columns(pl.col("cost_jpy").map_elements(format_jpy, return_dtype=pl.String))
    )
    out.print(rich_table(view, title="Chosen actions by kind (--format csv lists each)"))


def _per_year(text: str) -> dict[int, float]:
    """`2026=1e9,2027=1.2e9` as {2026: 1e9, 2027: 1.2e9}; PlanError naming the bad part."""
    budgets: dict[int, float] = {}
    for part in text.split(","):
        year, _, amount = part.strip().partition("=")
        try:
            budgets[int(year)] = float(amount)
        except ValueError:
            raise PlanError(
                f"--per-year: {part.strip()!r} is not YEAR=JPY (e.g. 2026=1e9,2027=1.2e9)"
            ) from None
    return budgets


def plan_summary(result: Any, budget: float, risks: int, actions: int) -> dict[str, Any]:
    """A plan's headline figures, as plain values."""
    return {
        "budget_jpy": budget,
        "cost_jpy": result.cost_jpy,
        "cost_by_year_jpy": {str(k): v for k, v in result.cost_by_year.items() if k is not None},
        "risks": risks,
        "candidate_actions": actions,
        "chosen_actions": len(result.chosen),
        "risk_before_jpy": result.risk_before_jpy,
        "risk_after_jpy": result.risk_after_jpy,
        "risk_removed_jpy": result.risk_reduction_jpy,
        "risk_removed_per_jpy": result.risk_reduction_jpy / result.cost_jpy
        if result.cost_jpy
        else 0.0,
        "single_points_removed": len(result.removed),
        "status": result.status,
        "mip_gap": result.mip_gap,
        "solve_seconds": result.solve_seconds,
    }


def summary_lines(s: dict[str, Any]) -> list[str]:
    """A plan's headline, in sentences."""
    removed = s["risk_removed_jpy"] / s["risk_before_jpy"] if s["risk_before_jpy"] else 0.0
    status = "optimal" if s["status"] == "optimal" else f"{s['status']}, gap {s['mip_gap']:.2%}"
    lines = [
        f"Budget {format_jpy(s['budget_jpy'])} JPY: {s['chosen_actions']:,} of "
        f"{s['candidate_actions']:,} candidate actions, costing {format_jpy(s['cost_jpy'])} JPY "
        f"({status}, {s['solve_seconds']:.1f} s).",
        f"Expected annual value of program output at risk: {format_jpy(s['risk_before_jpy'])} "
        f"-> {format_jpy(s['risk_after_jpy'])} JPY a year ({removed:.1%} removed); "
        f"{s['single_points_removed']:,} of {s['risks']:,} single points of failure removed.",
    ]
    if (i := s.get("indicators")) is not None:
        lines.append(
            f"Indicators: programs without a single point of failure below the prime "
            f"{i['programs_without_single_point_before']} -> "
            f"{i['programs_without_single_point_after']}; risk avoided "
            f"{i['risk_avoided_per_jpy']:.2f} JPY a year per JPY spent; "
            f"{i['suppliers_funded_for_efficiency']} suppliers funded for efficiency, "
            f"{i['suppliers_lifted_above_viability']} of them lifted above break-even."
        )
    return lines


def _json(summary: dict[str, Any], chosen: pl.DataFrame) -> str:
    import json

    return json.dumps({**summary, "actions": chosen.to_dicts()}, indent=2, default=str)


@plan_app.command("curve")
@guarded
def curve(
    max_budget: Annotated[
        float | None,
        typer.Option("--max", help="Largest budget, JPY (default: enough to remove it all)."),
    ] = None,
    program: Annotated[str | None, typer.Option(help="Only this program's risks.")] = None,
    points: Annotated[int, typer.Option(help="Budgets on the curve, halving from the top.")] = 8,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Risk remaining against budget, from zero to the amount that removes all removable
    risk, with the marginal risk removed per yen and the budgets the reference data holds (the
    FY2022 earmark and later years' support budgets) marked."""
    from kiban.econ.budget import earmarks
    from kiban.plan.actions import candidate_actions
    from kiban.plan.curve import budget_curve

    found = candidate_actions(_network(db), program_id=program)
    if not found.risks:
        raise PlanError("no single point of failure below a prime: nothing to plan for")
    marks = [(float(e.amount_jpy), f"FY{e.fiscal_year} {e.label}") for e in earmarks()]
    result = budget_curve(found, points=points, marks=marks, max_budget_jpy=max_budget)
    if fmt is OutputFormat.json:
        _write_json(
            {
                "risk_before_jpy": result.risk_before_jpy,
                "risk_floor_jpy": result.risk_floor_jpy,
                "enough_jpy": result.enough_jpy,
                "points": result.points.to_dicts(),
            }
        )
        return
    if fmt is OutputFormat.csv:
        _print_frame(result.points, fmt)
        return
    for line in curve_lines(result):
        out.print(line)
    view = result.points.select(
        pl.col("budget_jpy").map_elements(format_jpy, return_dtype=pl.String),
        "label",
        pl.col("risk_after_jpy").map_elements(format_jpy, return_dtype=pl.String),
        (pl.col("removable_removed_frac") * 100).round(1).alias("removed_%"),
        pl.col("marginal_risk_removed_per_jpy").round(3).alias("removed_per_yen"),
        "enough",
    )
    out.print(rich_table(view, title="Expected annual value at risk against budget"))


def curve_lines(result: Any) -> list[str]:
    """What the curve says, in sentences: how much is at risk, how much budget removes all
    of what can be removed, and what each marked budget achieves."""
    lines = [
        f"At risk: {format_jpy(result.risk_before_jpy)} JPY a year of program output; "
        f"the candidate actions can bring it to {format_jpy(max(result.risk_floor_jpy, 0.0))}."
    ]
    if result.enough_jpy is None:
        lines.append("No budget on this curve removes all removable risk (raise --max).")
    else:
        lines.append(f"Removing all of it takes about {format_jpy(result.enough_jpy)} JPY.")
    for row in result.points.filter(pl.col("label").str.starts_with("FY")).iter_rows(named=True):
        verdict = "enough" if row["enough"] else "not enough"
        lines.append(
            f"{row['label']}: {format_jpy(row['budget_jpy'])} JPY removes "
            f"{row['removable_removed_frac']:.0%} of the removable risk ({verdict})."
        )
    return lines


@plan_app.command("verify")
@guarded
def verify(
    plan_file: Annotated[
        Path, typer.Argument(help="A plan saved by kiban plan --save.", metavar="PLAN.json")
    ],
    runs: Annotated[
        int, typer.Option(help="Exit scenarios simulated before and after (0: none).")
    ] = 0,
    days: Annotated[int, typer.Option(help="Days each simulated scenario runs.")] = 365,
    seed: Annotated[int, typer.Option(help="Seed of the exit sampler.")] = 1,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Apply a saved plan's actions to a copy of the stored data, analyse it again, and show
    the predicted and the verified value at risk side by side (and, with --runs, the loss
    quantiles of an exit ensemble before and after)."""
    from kiban.plan.actions import candidate_actions
    from kiban.plan.optimize import assess
    from kiban.plan.verify import verify_plan

    saved = _read_plan(plan_file)
    network = _network(db)
    found = candidate_actions(network, program_id=saved["program_id"])
    given = assess(found.problem(saved["budget_jpy"]), saved["chosen"])
    checked = verify_plan(
        network, found, given, program_id=saved["program_id"], ensemble_runs=runs, days=days,
        seed=seed,
    )  # fmt: skip
    totals = {
        "plan": str(plan_file),
        "risk_before_jpy": checked.risk_before_jpy,
        "predicted_risk_jpy": checked.predicted_risk_jpy,
        "verified_risk_jpy": checked.verified_risk_jpy,
        "single_points_before": checked.spof_before,
        "single_points_after": checked.spof_after,
        "programs_without_single_point_before": checked.programs_without_spof_before,
        "programs_without_single_point_after": checked.programs_without_spof_after,
        "not_rechecked": list(checked.not_rechecked),
        "still_single_points": list(checked.still_spof),
    }
    if fmt is OutputFormat.json:
        ensemble = checked.ensemble.to_dicts() if checked.ensemble is not None else None
        _write_json({**totals, "by_program": checked.by_program.to_dicts(), "ensemble": ensemble})
        return
    if fmt is OutputFormat.csv:
        _print_frame(checked.by_program, fmt)
        return
    out.print(
        f"Value at risk, JPY a year: before {format_jpy(checked.risk_before_jpy)}, predicted "
        f"{format_jpy(checked.predicted_risk_jpy)}, verified "
        f"{format_jpy(checked.verified_risk_jpy)}."
    )
    out.print(
        f"Single points of failure: {checked.spof_before:,} -> {checked.spof_after:,}; "
        f"programs without one: {checked.programs_without_spof_before} -> "
        f"{checked.programs_without_spof_after}."
    )
    if checked.not_rechecked:
        out.print(
            f"{len(checked.not_rechecked)} stockpiles change nothing the data records: their "
            "predicted effect is kept, not re-checked."
        )
    if checked.still_spof:
        out.print(f"Still single points of failure: {', '.join(checked.still_spof)}.")
    view = checked.by_program.with_columns(
        pl.col(c).map_elements(format_jpy, return_dtype=pl.String)
        for c in checked.by_program.columns
        if c.endswith("_jpy")
    )
    out.print(rich_table(view, title="Predicted and verified, by program"))
    if checked.ensemble is not None:
        out.print(rich_table(checked.ensemble, title=f"Exit ensemble, {runs} runs of {days} days"))


def _read_plan(path: Path) -> dict[str, Any]:
    """The budget, program and chosen actions of a plan file; PlanError naming the file."""
    import json

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"plan file {path} not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PlanError(f"{path}: not a plan file (JSON): {error}") from None
    if not isinstance(document, dict):
        raise PlanError(f"{path}: a plan file holds one JSON object")
    for key in ("budget_jpy", "actions"):
        if key not in document:
            raise PlanError(f"{path}: missing key {key!r}; save a plan with kiban plan --save")
    actions = document["actions"]
    if not isinstance(actions, list) or not all(
        isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions
    ):
        raise PlanError(f"{path}: 'actions' must be a list of objects with an action_id")
    try:
        return {
            "budget_jpy": float(document["budget_jpy"]),
            "program_id": document.get("program_id"),
            "chosen": [a["action_id"] for a in actions],
        }
    except (TypeError, ValueError):
        raise PlanError(f"{path}: budget_jpy must be a number") from None
