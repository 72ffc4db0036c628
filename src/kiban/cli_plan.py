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
        float | None, typer.Option(help="Stop the solver after this many seconds.")
    ] = None,
    gap: Annotated[float, typer.Option(help="Relative optimality gap to stop at.")] = 1e-4,
    save: Annotated[
        Path | None, typer.Option("--save", help="Write the plan as JSON to this file.")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The actions a budget should buy to cut the expected annual value of program output at
    risk the most: second sources for the items that make single points of failure,
    stockpiles, and efficiency, cyber, successor or facility funding (docs in
    kiban.plan.actions)."""
    if ctx.invoked_subcommand is not None:
        return
    if budget is None:
        raise PlanError("give --budget JPY (e.g. --budget 2.2e9)")
    from kiban.plan.actions import candidate_actions
    from kiban.plan.indicators import outcome_indicators
    from kiban.plan.optimize import solve_plan

    network = _network(db)
    found = candidate_actions(network, program_id=program)
    if not found.risks:
        raise PlanError("no single point of failure below a prime: nothing to plan for")
    result = solve_plan(found.problem(budget), time_limit_s=time_limit, mip_gap=gap)
    chosen = found.described.filter(pl.col("action_id").is_in(list(result.chosen)))
    summary = plan_summary(result, budget, len(found.risks), len(found.actions))
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


def plan_summary(result: Any, budget: float, risks: int, actions: int) -> dict[str, Any]:
    """A plan's headline figures, as plain values."""
    return {
        "budget_jpy": budget,
        "cost_jpy": result.cost_jpy,
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
