"""The budget curve: risk remaining against budget, and what each marked budget buys.

`budget_curve` solves the plan (`kiban.plan.optimize.solve_plan`) at budgets from zero to the
amount that removes all removable risk, and at the amounts the reference data marks (the FY2022
earmark of about 2.2 billion yen and later years' support budgets, `kiban.econ.budget.earmarks`).
The floor is the risk left by the optimal plan under a budget that buys every candidate; the
least budget that reaches it is found by bisection between the curve's points. Between
consecutive budgets the marginal risk removed per yen is the slope of the curve.

A row is `enough` when its plan reaches that floor: the budget buys everything the candidate
actions can do about the risk the data shows. Risk the actions cannot touch (a single point of
failure with no second-source candidate and no cut in exit probability) stays at every budget,
and the curve says how much that is.

Cost: one solve per budget; each is a MILP over all candidate actions (about a second for a
program of the generated data, tens of seconds for all six together).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from kiban.errors import PlanError
from kiban.plan.actions import Candidates
from kiban.plan.optimize import solve_plan

ENOUGH_LABEL = "least budget that removes all removable risk"

CURVE_COLUMNS = {
    "budget_jpy": pl.Float64,
    "label": pl.String,
    "cost_jpy": pl.Float64,
    "risk_after_jpy": pl.Float64,
    "risk_removed_jpy": pl.Float64,
    "removable_removed_frac": pl.Float64,
    "marginal_risk_removed_per_jpy": pl.Float64,
    "single_points_removed": pl.Int64,
    "enough": pl.Boolean,
    "status": pl.String,
}
"""The columns of `BudgetCurve.points`, one row per budget in increasing order."""


@dataclass(frozen=True)
class BudgetCurve:
    """The curve (`points`), the value at risk before any action and the floor that a budget
    of `enough_jpy` (to the bisection's precision) and above reaches (JPY a year; None when
    the curve stops short of it);
    `full_cost_jpy` is what the plan at an unlimited budget spent."""

    points: pl.DataFrame
    risk_before_jpy: float
    risk_floor_jpy: float
    full_cost_jpy: float
    enough_jpy: float | None

    @property
    def removable_jpy(self) -> float:
        return self.risk_before_jpy - self.risk_floor_jpy


def budget_curve(
    candidates: Candidates,
    *,
    points: int = 10,
    marks: Sequence[tuple[float, str]] = (),
    mip_gap: float = 1e-4,
    time_limit_s: float | None = None,
    precision: float = 0.02,
    max_budget_jpy: float | None = None,
) -> BudgetCurve:
    """Solve at zero, at `points` budgets spaced evenly on a log scale up to the full cost
    (halving from it), at each (amount JPY, label) of `marks`, and at the least budget that
    removes all removable risk, found by bisection to `precision` (relative) and labelled
    `ENOUGH_LABEL`; see the module. With `max_budget_jpy` the spaced budgets run up to it
    instead, and where no budget of the curve reaches the floor `enough_jpy` is None."""
    if points < 1:
        raise PlanError(f"points {points} must be >= 1")
    if not candidates.actions:
        raise PlanError("there are no candidate actions: nothing to plan")
    everything = sum(a.cost_jpy for a in candidates.actions)
    full = solve_plan(candidates.problem(everything), mip_gap=mip_gap, time_limit_s=time_limit_s)
    floor, full_cost = full.risk_after_jpy, full.cost_jpy
    top = full_cost if max_budget_jpy is None else max_budget_jpy
    if not (math.isfinite(top) and top > 0):
        raise PlanError(f"the largest budget of the curve must be a positive amount, not {top}")
    budgets = {top / 2**k: "" for k in range(points)}
    for amount, label in marks:
        if not (math.isfinite(amount) and amount > 0):
            raise PlanError(f"marked budget {label!r} = {amount} must be a positive amount")
        budgets[amount] = label
    before = full.risk_before_jpy
    # Plans solved to a relative gap may stop that far above the floor and still be enough.
    tolerance = mip_gap * before + 1e-6
    rows: list[dict[str, object]] = [_row(0.0, "", 0.0, before, before, floor, tolerance, 0)]
    solved = {}
    for budget in sorted(budgets):
        solved[budget] = solve_plan(
            candidates.problem(budget), mip_gap=mip_gap, time_limit_s=time_limit_s
        )
    # The least budget that reaches the floor, by bisection between the largest budget that
    # does not and the smallest that does, to `precision` of the latter.
    low = max((b for b, p in solved.items() if p.risk_after_jpy > floor + tolerance), default=0.0)
    reaching = [b for b, p in solved.items() if p.risk_after_jpy <= floor + tolerance]
    high = min(reaching, default=None)
    while high is not None and high - low > precision * high:
        middle = (low + high) / 2
        plan = solve_plan(candidates.problem(middle), mip_gap=mip_gap, time_limit_s=time_limit_s)
        if plan.risk_after_jpy <= floor + tolerance:
            high, solved[middle] = middle, plan
        else:
            low = middle
    if high is not None:
        budgets[high] = budgets.get(high) or ENOUGH_LABEL
    for budget in sorted(solved):
        plan = solved[budget]
        rows.append(
            _row(budget, budgets.get(budget, ""), plan.cost_jpy, plan.risk_after_jpy, before,
                 floor, tolerance, len(plan.removed), plan.status)
        )  # fmt: skip
    frame = pl.DataFrame(rows, schema={k: v for k, v in CURVE_COLUMNS.items()
                                       if k != "marginal_risk_removed_per_jpy"})  # fmt: skip
    slope = (pl.col("risk_removed_jpy").diff() / pl.col("budget_jpy").diff()).fill_nan(None)
    frame = frame.with_columns(marginal_risk_removed_per_jpy=slope).select(list(CURVE_COLUMNS))
    return BudgetCurve(frame, before, floor, full_cost, high)


def _row(
    budget: float,
    label: str,
    cost: float,
    risk_after: float,
    before: float,
    floor: float,
    tolerance: float,
    removed: int,
    status: str = "optimal",
) -> dict[str, object]:
    removable = before - floor
    return {
        "budget_jpy": budget,
        "label": label,
        "cost_jpy": cost,
        "risk_after_jpy": risk_after,
        "risk_removed_jpy": before - risk_after,
        "removable_removed_frac": (before - risk_after) / removable if removable > 0 else 1.0,
        "single_points_removed": removed,
        "enough": risk_after <= floor + tolerance,
        "status": status,
    }
