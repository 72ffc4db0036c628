"""The mitigation actions a budget should buy: a mixed-integer program solved with HiGHS.

Inputs. A `PlanProblem`: risks, each an annual exit probability `p` (in [0, 1]) and the
annual program output `C` (JPY) lost if it happens, so an expected value at risk of `p * C`
JPY a year, and the requirements that must all be met to remove it (for a single point of
failure: a second source for each item that makes it one); candidate actions, each a cost
(JPY, > 0), the fiscal year it is paid in, the requirements it meets, the fractions by which it
cuts exit probabilities, and an optional group of mutually exclusive alternatives; a total
budget (JPY, > 0) and optional budgets per fiscal year (JPY, >= 0).

Outputs. A `Plan`: the chosen actions, their cost in total and per year, the expected annual
value at risk before and after (JPY a year), the risks removed, the solver status, the
relative gap and the best bound on the value at risk any feasible plan could reach.

Semantics (shared by `evaluate` and the program). With `x_a` = 1 for the chosen actions, a risk
is *removed* when it has at least one requirement and every requirement is met by a chosen
action; its *reduction* is `s_r = min(1, sum_a f_ar x_a)`, the fractions added and capped at 1
(additive rather than multiplicative, because it is exactly linear; for small fractions the
two agree to first order). The value at risk that remains is

    sum_r p_r C_r (1 - removed_r) (1 - s_r).

Linearisation. Per risk, two continuous variables in [0, 1]: `y_r`, removal, and `u_r`, the
reduction applied to the part not removed; the program is

    minimise   sum_r p_r C_r (1 - y_r - u_r)
    subject to y_r <= sum_{a meets q} x_a        for each requirement q of r
               u_r <= sum_a f_ar x_a,  y_r + u_r <= 1
               sum_a c_a x_a <= B,  sum_{a paid in t} c_a x_a <= B_t,
               sum_{a in g} x_a <= 1              for each group g,  x binary.

It is exact at every integer `x`: each right-hand side `sum x_a` is then an integer, so `y_r`
can reach 1 exactly when every requirement is met (`removed_r`) and is 0 otherwise; the
objective only rewards larger `y_r + u_r`, whose largest value is `min(1, y_r + S_r)` with
`S_r = sum f_ar x_a`, reached at the largest `y_r`: 1 when removed, `min(1, S_r)` = `s_r`
otherwise. So the optimum over `y, u` at fixed `x` is `p C (1 - removed) (1 - s)`, as above;
neither variable needs to be integer and no product term `x_a y_r` is needed.

Method. The constraint matrix is assembled as COO triplets, compressed with scipy.sparse and
passed to HiGHS (`passModel`, column-wise), with costs scaled by the budget and values by the
largest `p C` so that the solver sees numbers near 1; a greedy plan (removal packages and
reductions, best value per yen first) is given as a start, so a time limit always leaves a
feasible plan. Chosen actions whose removal does not raise the value
at risk are then dropped (a tie the solver may break either way), so a plan buys nothing it
does not need. Size: one binary per action, two continuous variables per risk and one row per
requirement, risk, group and budget; HiGHS's branch and cut is exponential in the worst case,
but 1,000 actions solve to optimality in well under a second and 10,000 to a 1% gap in
seconds (benchmarks/bench_plan.py).

>>> problem = PlanProblem(
...     risks=(Risk("spof", 0.1, 1e9, requirements=("itemA", "itemB")),),
...     actions=(
...         Action("second-A", 3e7, removes=(("spof", "itemA"),)),
...         Action("second-B", 4e7, removes=(("spof", "itemB"),)),
...         Action("efficiency", 1e7, reduces=(("spof", 0.5),)),
...     ),
...     budget_jpy=7e7,
... )
>>> plan = solve_plan(problem)
>>> plan.chosen, plan.removed, plan.risk_before_jpy, plan.risk_after_jpy
(('second-A', 'second-B'), ('spof',), 100000000.0, 0.0)
>>> evaluate(problem, ["efficiency"])
50000000.0
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import highspy
import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_array  # type: ignore[import-untyped]

from kiban.errors import PlanError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Risk:
    """One exposure: a (firm, program) single point of failure, or any risk item.

    `exit_probability` is per year; `consequence_jpy` is the annual program output lost if
    the risk happens. The risk is removed when every one of `requirements` is met; a risk with
    none can only be reduced.
    """

    risk_id: str
    exit_probability: float
    consequence_jpy: float
    requirements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    """A candidate mitigation action.

    `removes` holds (risk_id, requirement) pairs the action meets (several actions meeting one
    requirement are alternatives for it); `reduces` holds (risk_id, fraction) pairs cutting the
    risk's exit probability by that fraction; at most one action of a `group` is chosen.
    `fiscal_year` is the year it is paid in, needed when the problem has per-year budgets.
    """

    action_id: str
    cost_jpy: float
    fiscal_year: int | None = None
    removes: tuple[tuple[str, str], ...] = ()
    reduces: tuple[tuple[str, float], ...] = ()
    group: str | None = None


@dataclass(frozen=True)
class PlanProblem:
    """Risks, candidate actions and budgets (JPY). With `budget_by_year`, every action must be
    paid in one of its years; a year budget of 0 forbids that year's actions."""

    risks: tuple[Risk, ...]
    actions: tuple[Action, ...]
    budget_jpy: float
    budget_by_year: Mapping[int, float] | None = None


@dataclass(frozen=True)
class Plan:
    """The chosen actions (in problem order) and what they achieve; values in JPY a year.

    `status` is "optimal" (within `mip_gap` of the best bound), "time_limit" or "stopped" (the
    best plan found when the solver stopped early); `bound_jpy` is a lower bound on the value
    at risk of any feasible plan and `mip_gap` = (risk_after - bound) / risk_after.
    """

    chosen: tuple[str, ...]
    cost_jpy: float
    cost_by_year: Mapping[int | None, float]
    risk_before_jpy: float
    risk_after_jpy: float
    removed: tuple[str, ...]
    status: str
    mip_gap: float
    bound_jpy: float
    solve_seconds: float = field(compare=False)

    @property
    def risk_reduction_jpy(self) -> float:
        """Expected annual value at risk the plan removes."""
        return self.risk_before_jpy - self.risk_after_jpy


@dataclass(frozen=True)
class _Arrays:
    """A problem compiled to index arrays, the one source of both `evaluate` and the MILP."""

    value: FloatArray  # p * C per risk
    n_requirements: IntArray  # per risk
    requirement_risk: IntArray  # per requirement (global index)
    meet_requirement: IntArray  # per removal link
    meet_action: IntArray
    reduce_risk: IntArray  # per reduction link
    reduce_action: IntArray
    reduce_fraction: FloatArray
    cost: FloatArray  # per action
    action_index: dict[str, int]


def _compile(problem: PlanProblem) -> _Arrays:
    _check_budgets(problem)
    risk_index: dict[str, int] = {}
    requirement_index: dict[tuple[str, str], int] = {}
    requirement_risk: list[int] = []
    for i, risk in enumerate(problem.risks):
        if risk.risk_id in risk_index:
            raise PlanError(f"risk {risk.risk_id!r} appears twice")
        if not 0.0 <= risk.exit_probability <= 1.0:
            raise PlanError(
                f"risk {risk.risk_id!r}: exit probability {risk.exit_probability} is not in [0, 1]"
            )
        if not (math.isfinite(risk.consequence_jpy) and risk.consequence_jpy >= 0):
            raise PlanError(
                f"risk {risk.risk_id!r}: consequence {risk.consequence_jpy} JPY must be a "
                "finite number >= 0"
            )
        risk_index[risk.risk_id] = i
        for requirement in risk.requirements:
            # A repeated requirement is one requirement: met once, met everywhere.
            if (risk.risk_id, requirement) not in requirement_index:
                requirement_index[risk.risk_id, requirement] = len(requirement_risk)
                requirement_risk.append(i)

    action_index: dict[str, int] = {}
    meet: list[tuple[int, int]] = []
    reduce: list[tuple[int, int, float]] = []
    for a, action in enumerate(problem.actions):
        name = action.action_id
        if name in action_index:
            raise PlanError(f"action {name!r} appears twice")
        if not (math.isfinite(action.cost_jpy) and action.cost_jpy > 0):
            raise PlanError(f"action {name!r}: cost {action.cost_jpy} JPY must be > 0")
        action_index[name] = a
        for risk_id, requirement in action.removes:
            if (risk_id, requirement) not in requirement_index:
                raise PlanError(
                    f"action {name!r} meets requirement {requirement!r} of risk {risk_id!r}, "
                    "which the risk does not list"
                )
            meet.append((requirement_index[risk_id, requirement], a))
        for risk_id, fraction in action.reduces:
            if risk_id not in risk_index:
                raise PlanError(f"action {name!r} reduces unknown risk {risk_id!r}")
            if not 0.0 <= fraction <= 1.0:
                raise PlanError(
                    f"action {name!r}: reduction {fraction} of risk {risk_id!r} is not in [0, 1]"
                )
            reduce.append((risk_index[risk_id], a, fraction))

    risks = problem.risks
    meet_arr = np.array(meet, dtype=np.int64).reshape(-1, 2)
    reduce_arr = np.array([(r, a) for r, a, _ in reduce], dtype=np.int64).reshape(-1, 2)
    return _Arrays(
        value=np.array([r.exit_probability * r.consequence_jpy for r in risks], dtype=np.float64),
        n_requirements=np.bincount(
            np.array(requirement_risk, dtype=np.int64), minlength=len(risks)
        ).astype(np.int64),
        requirement_risk=np.array(requirement_risk, dtype=np.int64),
        meet_requirement=meet_arr[:, 0],
        meet_action=meet_arr[:, 1],
        reduce_risk=reduce_arr[:, 0],
        reduce_action=reduce_arr[:, 1],
        reduce_fraction=np.array([f for _, _, f in reduce], dtype=np.float64),
        cost=np.array([a.cost_jpy for a in problem.actions], dtype=np.float64),
        action_index=action_index,
    )


def _check_budgets(problem: PlanProblem) -> None:
    if not (math.isfinite(problem.budget_jpy) and problem.budget_jpy > 0):
        raise PlanError(f"the budget must be a positive amount of JPY, not {problem.budget_jpy}")
    if problem.budget_by_year is None:
        return
    for year, budget in problem.budget_by_year.items():
        if not (math.isfinite(budget) and budget >= 0):
            raise PlanError(
                f"the budget for fiscal year {year} must be an amount of JPY >= 0, not {budget}"
            )
    for action in problem.actions:
        if action.fiscal_year not in problem.budget_by_year:
            years = ", ".join(str(y) for y in sorted(problem.budget_by_year))
            raise PlanError(
                f"action {action.action_id!r} is paid in fiscal year {action.fiscal_year}, "
                f"which has no budget (years with a budget: {years})"
            )


def _remaining(arrays: _Arrays, x: npt.NDArray[np.bool_]) -> tuple[float, npt.NDArray[np.bool_]]:
    """Value at risk left by the actions `x` (one bool per action), and the removed risks."""
    met = np.zeros(len(arrays.requirement_risk), dtype=bool)
    met[arrays.meet_requirement[x[arrays.meet_action]]] = True
    n_met = np.bincount(arrays.requirement_risk[met], minlength=len(arrays.value))
    removed = (arrays.n_requirements > 0) & (n_met == arrays.n_requirements)
    chosen = x[arrays.reduce_action]
    reduction = np.bincount(
        arrays.reduce_risk[chosen], arrays.reduce_fraction[chosen], minlength=len(arrays.value)
    )
    left = arrays.value * ~removed * (1.0 - np.minimum(1.0, reduction))
    return float(left.sum()), removed


def _mask(arrays: _Arrays, chosen: Iterable[str]) -> npt.NDArray[np.bool_]:
    x = np.zeros(len(arrays.cost), dtype=bool)
    for action_id in chosen:
        if action_id not in arrays.action_index:
            raise PlanError(f"unknown action {action_id!r}")
        x[arrays.action_index[action_id]] = True
    return x


def evaluate(problem: PlanProblem, chosen: Iterable[str]) -> float:
    """The expected annual value at risk (JPY) left after the actions `chosen`, by the rule of
    the module docstring, whether or not they fit the budgets. O(links)."""
    arrays = _compile(problem)
    return _remaining(arrays, _mask(arrays, chosen))[0]


def assess(problem: PlanProblem, chosen: Iterable[str]) -> Plan:
    """A `Plan` of the actions `chosen` (a saved plan, or one a user picked): its cost, the
    value at risk before and after (JPY a year) and the risks removed, with status "given";
    the gap and bound say nothing and are NaN. PlanError for an unknown action."""
    arrays = _compile(problem)
    x = _mask(arrays, chosen)
    after, removed = _remaining(arrays, x)
    by_year: dict[int | None, float] = {}
    for action, picked in zip(problem.actions, x, strict=True):
        if picked:
            by_year[action.fiscal_year] = by_year.get(action.fiscal_year, 0.0) + action.cost_jpy
    return Plan(
        chosen=tuple(a.action_id for a, picked in zip(problem.actions, x, strict=True) if picked),
        cost_jpy=float(arrays.cost[x].sum()),
        cost_by_year=by_year,
        risk_before_jpy=float(arrays.value.sum()),
        risk_after_jpy=after,
        removed=tuple(r.risk_id for r, gone in zip(problem.risks, removed, strict=True) if gone),
        status="given",
        mip_gap=math.nan,
        bound_jpy=math.nan,
        solve_seconds=0.0,
    )


def is_feasible(problem: PlanProblem, chosen: Iterable[str], *, tolerance: float = 1e-9) -> bool:
    """Whether `chosen` fits the total and yearly budgets (up to a relative `tolerance`) and
    takes at most one action of each group."""
    chosen = set(chosen)
    actions = [a for a in problem.actions if a.action_id in chosen]
    if sum(a.cost_jpy for a in actions) > problem.budget_jpy * (1 + tolerance):
        return False
    groups = [a.group for a in actions if a.group is not None]
    if len(groups) != len(set(groups)):
        return False
    for year, budget in (problem.budget_by_year or {}).items():
        spent = sum(a.cost_jpy for a in actions if a.fiscal_year == year)
        if spent > budget * (1 + tolerance):
            return False
    return True


def solve_plan(
    problem: PlanProblem,
    *,
    time_limit_s: float | None = None,
    mip_gap: float = 0.0,
    seed: int = 0,
) -> Plan:
    """The plan that minimises the value at risk left within the budgets.

    `mip_gap` is the relative gap at which the solver stops and calls the plan optimal (0:
    proven optimal, up to HiGHS's absolute tolerance); with `time_limit_s` it stops there and
    returns the best plan found, status "time_limit", and its gap. The same problem and seed
    give the same plan (without a time limit, which depends on the machine's speed). There is
    no thread count: HiGHS's thread pool is global to the process, so one solve must not
    resize it under another, and its branch and bound is deterministic whatever the count.
    """
    arrays = _compile(problem)
    if time_limit_s is not None and not time_limit_s > 0:
        raise PlanError(f"the time limit must be positive, not {time_limit_s} s")
    if not 0.0 <= mip_gap < 1.0:
        raise PlanError(f"the MIP gap must be in [0, 1), not {mip_gap}")
    start = time.perf_counter()
    n_actions = len(arrays.cost)
    x_all = np.zeros(n_actions, dtype=bool)
    risk_before = _remaining(arrays, x_all)[0]
    if n_actions and risk_before > 0:
        highs = _model(problem, arrays)
        _set_options(highs, time_limit_s, mip_gap, seed)
        # A greedy plan as a start, so that a time limit leaves at least that.
        highs.setSolution(_start(arrays, _greedy(problem, arrays)))
        if highs.run() == highspy.HighsStatus.kError:
            raise PlanError(
                "the solver failed: " + highs.modelStatusToString(highs.getModelStatus())
            )
        status, x_all, bound = _read(highs, n_actions, arrays.value.max())
    else:
        status, bound = "optimal", 0.0
    x_all = _prune(arrays, x_all)
    risk_after, removed = _remaining(arrays, x_all)
    bound = min(bound, risk_after)
    if status == "optimal" and mip_gap == 0.0:
        bound = risk_after  # proven, up to HiGHS's absolute tolerance
    chosen = [a for a, x in zip(problem.actions, x_all, strict=True) if x]
    cost_by_year: dict[int | None, float] = {}
    for action in chosen:
        cost_by_year[action.fiscal_year] = cost_by_year.get(action.fiscal_year, 0.0) + (
            action.cost_jpy
        )
    return Plan(
        chosen=tuple(a.action_id for a in chosen),
        cost_jpy=float(arrays.cost[x_all].sum()),
        cost_by_year=cost_by_year,
        risk_before_jpy=risk_before,
        risk_after_jpy=risk_after,
        removed=tuple(r.risk_id for r, gone in zip(problem.risks, removed, strict=True) if gone),
        status=status,
        mip_gap=(risk_after - bound) / risk_after if risk_after > 0 else 0.0,
        bound_jpy=bound,
        solve_seconds=time.perf_counter() - start,
    )


def _model(problem: PlanProblem, arrays: _Arrays) -> highspy.Highs:
    """Columns: x (actions), y (removal per risk), u (reduction per risk); rows as in the
    module docstring. Costs divided by the budget, values by the largest p * C."""
    n_actions, n_risks = len(arrays.cost), len(arrays.value)
    n_req = len(arrays.requirement_risk)
    y0, u0 = n_actions, n_actions + n_risks
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    lower: list[FloatArray] = []
    upper: list[FloatArray] = []

    def block(r: IntArray, c: IntArray, v: FloatArray, lo: FloatArray, up: FloatArray) -> None:
        offset = sum(len(u) for u in upper)
        rows.append(r + offset)
        cols.append(c)
        vals.append(v)
        lower.append(lo)
        upper.append(up)

    inf = highspy.kHighsInf
    req = np.arange(n_req)
    # y_r - sum_{a meets q} x_a <= 0, one row per requirement q.
    block(
        np.concatenate([req, arrays.meet_requirement]),
        np.concatenate([y0 + arrays.requirement_risk, arrays.meet_action]),
        np.concatenate([np.ones(n_req), -np.ones(len(arrays.meet_action))]),
        np.full(n_req, -inf),
        np.zeros(n_req),
    )
    risk = np.arange(n_risks)
    # u_r - sum_a f_ar x_a <= 0 and y_r + u_r <= 1, per risk.
    block(
        np.concatenate([risk, arrays.reduce_risk]),
        np.concatenate([u0 + risk, arrays.reduce_action]),
        np.concatenate([np.ones(n_risks), -arrays.reduce_fraction]),
        np.full(n_risks, -inf),
        np.zeros(n_risks),
    )
    block(
        np.concatenate([risk, risk]),
        np.concatenate([y0 + risk, u0 + risk]),
        np.ones(2 * n_risks),
        np.full(n_risks, -inf),
        np.ones(n_risks),
    )
    scale = problem.budget_jpy
    everything = np.arange(n_actions)
    block(
        np.zeros(n_actions, np.int64), everything, arrays.cost / scale, np.array([-inf]), np.ones(1)
    )
    if problem.budget_by_year is not None:
        years = sorted(problem.budget_by_year)
        year_row: dict[int | None, int] = {y: i for i, y in enumerate(years)}
        paid = np.array([year_row[a.fiscal_year] for a in problem.actions], dtype=np.int64)
        budgets = np.array([problem.budget_by_year[y] for y in years]) / scale
        block(paid, everything, arrays.cost / scale, np.full(len(years), -inf), budgets)
    groups: dict[str, int] = {}
    in_group = [
        (groups.setdefault(a.group, len(groups)), i)
        for i, a in enumerate(problem.actions)
        if a.group is not None
    ]
    if in_group:
        g = np.array(in_group, dtype=np.int64)
        block(g[:, 0], g[:, 1], np.ones(len(g)), np.full(len(groups), -inf), np.ones(len(groups)))

    n_cols, n_rows = n_actions + 2 * n_risks, sum(len(u) for u in upper)
    matrix = coo_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rows, n_cols),
    ).tocsc()
    matrix.sum_duplicates()
    value = arrays.value / arrays.value.max()
    # A risk's y stays 0 when it has no requirement; an unmet requirement row already caps it.
    y_upper = (arrays.n_requirements > 0).astype(np.float64)
    highs = _new_highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(
        n_cols,
        n_rows,
        matrix.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        float(value.sum()),
        np.concatenate([np.zeros(n_actions), -value, -value]),
        np.zeros(n_cols),
        np.concatenate([np.ones(n_actions), y_upper, np.ones(n_risks)]),
        np.concatenate(lower),
        np.concatenate(upper),
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(np.float64),
        np.concatenate([np.ones(n_actions, np.int32), np.zeros(2 * n_risks, np.int32)]),
    )
    return highs


_BANNER_SHOWN = False


def _new_highs() -> highspy.Highs:
    """A HiGHS instance. The first one a process makes prints HiGHS's licence banner on the
    process's standard output whatever `output_flag` says (it cannot be switched off:
    ERGO-Code/HiGHS#1932), which would corrupt `--format json`; so that one is made with file
    descriptor 1 pointed at /dev/null for the moment it takes."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()  # type: ignore[no-untyped-call]
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 1)
            highs = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        _BANNER_SHOWN = True
    return highs


def _set_options(
    highs: highspy.Highs, time_limit_s: float | None, mip_gap: float, seed: int
) -> None:
    highs.setOptionValue("random_seed", seed)
    highs.setOptionValue("mip_rel_gap", mip_gap)
    # Budget rows hold costs over the budget (near 1): a tight tolerance keeps a plan from
    # overspending by HiGHS's default 1e-6 of the budget.
    highs.setOptionValue("mip_feasibility_tolerance", 1e-9)
    highs.setOptionValue("primal_feasibility_tolerance", 1e-9)
    if time_limit_s is not None:
        highs.setOptionValue("time_limit", float(time_limit_s))
    # HiGHS's presolve ignores the time limit, and on the candidates of the generated programs
    # (64,052 actions, 2.2e9 JPY) it took 33 s and left no bound; without it the same problem
    # solves to optimality in 12.5 s (benchmarks/bench_plan.py measures both shapes).
    highs.setOptionValue("presolve", "off")


def _read(
    highs: highspy.Highs, n_actions: int, scale: float
) -> tuple[str, npt.NDArray[np.bool_], float]:
    """Status, chosen actions and best bound (JPY) of a finished run."""
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    if info.primal_solution_status != highspy.kSolutionStatusFeasible:
        reason = highs.modelStatusToString(model_status)
        raise PlanError(f"the solver stopped ({reason}) before finding any plan")
    if model_status == highspy.HighsModelStatus.kOptimal:
        status = "optimal"
    elif model_status == highspy.HighsModelStatus.kTimeLimit:
        status = "time_limit"
    else:
        status = "stopped"
    x = np.asarray(highs.getSolution().col_value[:n_actions]) > 0.5
    return status, x, max(0.0, float(info.mip_dual_bound) * scale)


def _greedy(problem: PlanProblem, arrays: _Arrays) -> npt.NDArray[np.bool_]:
    """A feasible plan: removal packages (the cheapest action per requirement of a risk) and
    single reductions, best value per yen first, each taken if it fits every budget and group.
    """
    n_actions = len(arrays.cost)
    cheapest = np.full(len(arrays.requirement_risk), -1, dtype=np.int64)
    for q, a in zip(arrays.meet_requirement, arrays.meet_action, strict=True):
        if cheapest[q] < 0 or arrays.cost[a] < arrays.cost[cheapest[q]]:
            cheapest[q] = a
    packages: dict[int, set[int]] = {}
    for q, r in enumerate(arrays.requirement_risk):
        packages.setdefault(int(r), set()).add(int(cheapest[q]))
    items = [(float(arrays.value[r]), sorted(p)) for r, p in packages.items() if -1 not in p]
    reduced = np.bincount(
        arrays.reduce_action,
        arrays.value[arrays.reduce_risk] * arrays.reduce_fraction,
        minlength=n_actions,
    )
    items += [(reduced[a], [int(a)]) for a in np.flatnonzero(reduced)]
    items.sort(key=lambda item: -item[0] / arrays.cost[item[1]].sum())

    x = np.zeros(n_actions, dtype=bool)
    left: dict[int | None, float] = {None: problem.budget_jpy}
    for year, budget in (problem.budget_by_year or {}).items():
        left[year] = budget
    groups: set[str] = set()
    for _, package in items:
        new = [problem.actions[a] for a in package if not x[a]]
        spend: dict[int | None, float] = {None: sum(a.cost_jpy for a in new)}
        if problem.budget_by_year is not None:
            for action in new:
                spend[action.fiscal_year] = spend.get(action.fiscal_year, 0.0) + action.cost_jpy
        taken = [a.group for a in new if a.group is not None]
        if (
            all(amount <= left[key] for key, amount in spend.items())
            and len(taken) == len(set(taken))
            and groups.isdisjoint(taken)
        ):
            x[package] = True
            groups.update(taken)
            for key, amount in spend.items():
                left[key] -= amount
    return x


def _start(arrays: _Arrays, x: npt.NDArray[np.bool_]) -> highspy.HighsSolution:
    """The columns (x, y, u) of the plan `x`, with y and u at their best values."""
    _, removed = _remaining(arrays, x)
    chosen = x[arrays.reduce_action]
    reduction = np.bincount(
        arrays.reduce_risk[chosen], arrays.reduce_fraction[chosen], minlength=len(arrays.value)
    )
    u = np.where(removed, 0.0, np.minimum(1.0, reduction))
    solution = highspy.HighsSolution()
    solution.col_value = np.concatenate([x, removed, u]).astype(np.float64).tolist()
    return solution


def _prune(arrays: _Arrays, x: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Drop chosen actions, dearest first, whose removal leaves the value at risk unchanged."""
    x = x.copy()
    best = _remaining(arrays, x)[0]
    tolerance = 1e-12 * float(arrays.value.sum())
    for a in sorted(np.flatnonzero(x), key=lambda a: -arrays.cost[a]):
        x[a] = False
        left = _remaining(arrays, x)[0]
        if left > best + tolerance:
            x[a] = True
        else:
            best = min(best, left)
    return x
