"""Outcome indicators of a plan, for an overseer to track year on year.

Japan's Finance Ministry criticised the supply-chain support program for having only
qualitative outcome indicators. `outcome_indicators` gives numbers, each computed from the plan
and the data:

- single points of failure removed, and those left;
- programs left without a single point of failure below the prime, before and after;
- expected annual value of program output at risk avoided, in total and per yen spent;
- suppliers moved above the viability threshold: firms losing money (operating margin below
  `viability_margin_frac`, 0 by default, as `kiban.econ.viability`) whose margin the plan's
  efficiency funding lifts to it or above.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import polars as pl

from kiban.dataset import Dataset
from kiban.plan.actions import ActionCosts, Candidates, risk_parts
from kiban.plan.optimize import Plan


def outcome_indicators(
    dataset: Dataset,
    candidates: Candidates,
    plan: Plan,
    *,
    costs: ActionCosts | None = None,
    viability_margin_frac: float = 0.0,
    program_ids: Collection[str] | None = None,
) -> dict[str, Any]:
    """The indicators of the module docstring, as plain numbers (JPY, counts, JPY per JPY),
    over `program_ids` (default: every program of the dataset; give the one the candidates
    were drawn for when they cover only it)."""
    costs = costs or ActionCosts()
    removed = set(plan.removed)
    program_of = {risk.risk_id: risk_parts(risk.risk_id)[0] for risk in candidates.risks}
    programs = set(program_ids or dataset.programs["program_id"].to_list())
    with_risk = set(program_of.values())
    still = {program_of[r.risk_id] for r in candidates.risks if r.risk_id not in removed}
    chosen = candidates.described.filter(pl.col("action_id").is_in(list(plan.chosen)))
    funded = chosen.filter(pl.col("kind") == "efficiency")["firm_id"].to_list()
    margins = dataset.firms.filter(pl.col("firm_id").is_in(funded))["operating_margin"]
    lifted = sum(
        1
        for m in margins.drop_nulls().to_list()
        if m < viability_margin_frac <= m + costs.efficiency_margin_gain_frac
    )
    avoided = plan.risk_reduction_jpy
    return {
        "single_points_removed": len(removed),
        "single_points_left": len(candidates.risks) - len(removed),
        "programs_without_single_point_before": len(programs - with_risk),
        "programs_without_single_point_after": len(programs - still),
        "risk_avoided_jpy": avoided,
        "risk_avoided_per_jpy": avoided / plan.cost_jpy if plan.cost_jpy > 0 else 0.0,
        "suppliers_funded_for_efficiency": len(funded),
        "suppliers_lifted_above_viability": lifted,
    }
