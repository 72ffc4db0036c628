"""Mitigation planning: 1,000 actions to optimality in under 10 s, 10,000 to a 1% gap in 5 min.

Measures `solve_plan` on seeded random problems shaped like the real one: a risk for about
every three actions, exit probabilities of a few percent, consequences lognormal (median 1 G
JPY a year); each risk needs 1-3 second sources, each met by 1-3 alternative actions (a third
of them grouped as mutually exclusive); a quarter of the actions cut the exit probability of
one or two risks by 10-60%; costs lognormal (median 50 M JPY); budget 30% of the total cost,
spread over five fiscal years (each may take 20% more than an even share); the
same at a 10% budget, which binds. Prints build-and-solve wall time, status and gap per size, the
load average (/proc/loadavg) and a verdict per target; then (without --quick) the real shape,
the candidates of the generated programs at two budgets.

Run: uv run python benchmarks/bench_plan.py [--seed S] [--quick]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from kiban.plan.optimize import Action, PlanProblem, Risk, solve_plan

YEARS = (2026, 2027, 2028, 2029, 2030)


def random_problem(n_actions: int, seed: int, budget_share: float = 0.3) -> PlanProblem:
    """About `n_actions` candidate actions (the last risk's alternatives may add a few)."""
    rng = np.random.default_rng(seed)
    risks: list[Risk] = []
    removes: list[tuple[str, str, str | None]] = []  # (risk, requirement, group)
    r = 0
    while len(removes) < 0.75 * n_actions:
        requirements = tuple(f"item{j}" for j in range(rng.integers(1, 4)))
        risk_id = f"R{r}"
        risks.append(
            Risk(
                risk_id,
                float(rng.uniform(0.01, 0.1)),
                float(rng.lognormal(np.log(1e9), 1.0)),
                requirements,
            )
        )
        for q, requirement in enumerate(requirements):
            n_alternatives = int(rng.integers(1, 4))
            group = f"{risk_id}/{q}" if n_alternatives > 1 and rng.random() < 0.33 else None
            removes.extend((risk_id, requirement, group) for _ in range(n_alternatives))
        r += 1
    actions: list[Action] = []
    for i, (risk_id, requirement, group) in enumerate(removes):
        actions.append(
            Action(
                f"A{i}",
                float(rng.lognormal(np.log(5e7), 1.0)),
                YEARS[rng.integers(len(YEARS))],
                removes=((risk_id, requirement),),
                group=group,
            )
        )
    for i in range(len(actions), n_actions):
        targets = rng.choice(len(risks), size=int(rng.integers(1, 3)), replace=False)
        actions.append(
            Action(
                f"A{i}",
                float(rng.lognormal(np.log(2e7), 1.0)),
                YEARS[rng.integers(len(YEARS))],
                reduces=tuple((f"R{t}", float(rng.uniform(0.1, 0.6))) for t in targets),
            )
        )
    total = sum(a.cost_jpy for a in actions)
    budget = budget_share * total
    # Each year may take 20% more than an even share of the total.
    budget_by_year = dict.fromkeys(YEARS, 1.2 * budget / len(YEARS))
    return PlanProblem(tuple(risks), tuple(actions), budget, budget_by_year)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 actions only")
    args = parser.parse_args()

    # (actions, gap, target s, budget share): the targets at the 30% budget, which
    # buys nearly every removal here, then at 10%, where the budget binds and the search is
    # harder.
    runs = [
        (n, gap, target_s, share)
        for share in (0.3, 0.1)
        for n, gap, target_s in ((1_000, 0.0, 10.0), (10_000, 0.01, 300.0))
    ]
    if args.quick:
        runs = [(100, 0.0, 10.0, 0.1), (1_000, 0.0, 10.0, 0.1)]
    with open("/proc/loadavg") as f:
        print(f"load average before: {f.read().split()[:3]}, {os.cpu_count()} cores")
    for n, gap, target_s, share in runs:
        problem = random_problem(n, args.seed, share)
        start = time.perf_counter()
        plan = solve_plan(problem, mip_gap=gap, time_limit_s=target_s * 2)
        wall_s = time.perf_counter() - start
        verdict = "PASS" if wall_s < target_s and plan.mip_gap <= gap + 1e-9 else "FAIL"
        print(
            f"{len(problem.actions):>6,} actions {len(problem.risks):>5,} risks, budget "
            f"{share:.0%}, gap target "
            f"{gap:.0%}: {wall_s:7.2f} s ({wall_s / target_s:5.2f} of {target_s:g} s), "
            f"{plan.status}, gap {plan.mip_gap:.2e}, {len(plan.chosen):,} chosen, "
            f"value at risk {plan.risk_before_jpy / 1e9:,.1f} -> "
            f"{plan.risk_after_jpy / 1e9:,.1f} G JPY/yr  {verdict}"
        )
    if not args.quick:
        generated_programs(args.seed)
    with open("/proc/loadavg") as f:
        print(f"load average after: {f.read().split()[:3]}")


def generated_programs(seed: int) -> None:
    """The real shape: the candidate actions of the six generated programs (every single point
    of failure below a prime), at the FY2022 earmark and the FY2023 support budget, to a
    0.1% gap. No target in the issue; reported so a change that slows the real case shows."""
    from kiban.network import SupplyNetwork
    from kiban.plan.actions import candidate_actions
    from kiban.reference.programs import generate_programs

    start = time.perf_counter()
    found = candidate_actions(SupplyNetwork.build(generate_programs(seed)))
    print(
        f"generated programs: {len(found.actions):,} actions, {len(found.risks):,} risks, "
        f"candidates in {time.perf_counter() - start:.1f} s"
    )
    for budget in (2.2e9, 36.3e9):
        start = time.perf_counter()
        plan = solve_plan(found.problem(budget), mip_gap=1e-3, time_limit_s=300)
        print(
            f"  budget {budget / 1e9:g} G JPY: {time.perf_counter() - start:6.1f} s, "
            f"{plan.status}, gap {plan.mip_gap:.2e}, value at risk "
            f"{plan.risk_before_jpy / 1e9:,.1f} -> {plan.risk_after_jpy / 1e9:,.1f} G JPY/yr"
        )


if __name__ == "__main__":
    main()
