"""The plan optimiser: optimal (against brute force and scipy), feasible, and clear on bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import LinearConstraint, milp  # type: ignore[import-untyped]

from kiban.errors import KibanError, PlanError
from kiban.plan.optimize import (
    Action,
    Plan,
    PlanProblem,
    Risk,
    evaluate,
    is_feasible,
    solve_plan,
)

YEARS = (2026, 2027)


@st.composite
def problems(draw: st.DrawFn) -> PlanProblem:
    risks = tuple(
        Risk(
            f"R{i}",
            draw(st.floats(0.0, 1.0)),
            draw(st.floats(0.0, 1e9)),
            tuple(f"q{j}" for j in range(draw(st.integers(0, 3)))),
        )
        for i in range(draw(st.integers(1, 4)))
    )
    requirements = [(r.risk_id, q) for r in risks for q in r.requirements]
    actions = []
    for a in range(draw(st.integers(1, 10))):
        removes = draw(st.lists(st.sampled_from(requirements), max_size=2)) if requirements else []
        reduces = draw(
            st.lists(
                st.tuples(st.sampled_from([r.risk_id for r in risks]), st.floats(0, 1)), max_size=2
            )
        )
        actions.append(
            Action(
                f"A{a}",
                draw(st.floats(1e6, 1e8)),
                draw(st.sampled_from(YEARS)),
                tuple(removes),
                tuple(reduces),
                draw(st.sampled_from([None, None, "g0", "g1"])),
            )
        )
    total = sum(a.cost_jpy for a in actions)
    by_year = None
    if draw(st.booleans()):
        by_year = {y: draw(st.floats(0.0, 0.8)) * total for y in YEARS}
    return PlanProblem(risks, tuple(actions), draw(st.floats(0.05, 1.2)) * total, by_year)


def brute_force(problem: PlanProblem) -> float:
    """The least value at risk over every subset of actions that fits budgets and groups."""
    ids = [a.action_id for a in problem.actions]
    return min(
        evaluate(problem, chosen)
        for n in range(len(ids) + 1)
        for chosen in itertools.combinations(ids, n)
        if is_feasible(problem, chosen)
    )


def assert_consistent(problem: PlanProblem, plan: Plan) -> None:
    """The plan fits its budgets and reports what it achieves."""
    assert is_feasible(problem, plan.chosen)
    assert plan.risk_after_jpy == pytest.approx(evaluate(problem, plan.chosen), rel=1e-12, abs=1e-9)
    assert plan.risk_before_jpy == pytest.approx(evaluate(problem, []))
    assert plan.cost_jpy <= problem.budget_jpy * (1 + 1e-9)
    assert sum(plan.cost_by_year.values()) == pytest.approx(plan.cost_jpy)
    assert 0.0 <= plan.mip_gap <= 1.0
    assert plan.bound_jpy <= plan.risk_after_jpy


@settings(max_examples=150, deadline=None)
@given(problems())
def test_milp_matches_brute_force(problem: PlanProblem) -> None:
    plan = solve_plan(problem)
    assert plan.status == "optimal"
    assert_consistent(problem, plan)
    best = brute_force(problem)
    assert plan.risk_after_jpy == pytest.approx(best, rel=1e-6, abs=1e-6 * plan.risk_before_jpy)


def spof_problem(budget_jpy: float) -> PlanProblem:
    return PlanProblem(
        risks=(Risk("spof", 0.1, 1e9, ("itemA", "itemB")),),
        actions=(
            Action("second-A", 3e7, removes=(("spof", "itemA"),)),
            Action("second-B", 4e7, removes=(("spof", "itemB"),)),
        ),
        budget_jpy=budget_jpy,
    )


def test_spof_removed_only_when_every_item_has_a_second_source() -> None:
    problem = spof_problem(7e7)
    assert evaluate(problem, ["second-A"]) == evaluate(problem, ["second-B"]) == 1e8
    assert evaluate(problem, ["second-A", "second-B"]) == 0.0
    plan = solve_plan(problem)
    assert plan.chosen == ("second-A", "second-B")
    assert plan.removed == ("spof",)
    assert plan.cost_jpy == 7e7


def test_half_a_removal_buys_nothing() -> None:
    plan = solve_plan(spof_problem(6.9e7))
    assert plan.chosen == ()  # second-A alone fits but removes nothing
    assert plan.risk_after_jpy == plan.risk_before_jpy == 1e8
    assert plan.status == "optimal"


def test_alternatives_exclude_each_other() -> None:
    problem = PlanProblem(
        risks=(Risk("r", 0.2, 1e9),),
        actions=(
            Action("a", 1e7, reduces=(("r", 0.5),), group="line"),
            Action("b", 1e7, reduces=(("r", 0.4),), group="line"),
            Action("c", 1e7, reduces=(("r", 0.1),)),
        ),
        budget_jpy=1e9,
    )
    plan = solve_plan(problem)
    assert plan.chosen == ("a", "c")
    assert plan.risk_after_jpy == pytest.approx(0.2e9 * (1 - 0.6))
    assert not is_feasible(problem, ["a", "b"])


def test_reductions_add_up_and_cap_at_the_whole_risk() -> None:
    problem = PlanProblem(
        risks=(Risk("r", 0.2, 1e9),),
        actions=(Action("a", 1.0, reduces=(("r", 0.7),)), Action("b", 1.0, reduces=(("r", 0.6),))),
        budget_jpy=10.0,
    )
    assert evaluate(problem, ["a"]) == pytest.approx(0.2e9 * 0.3)
    assert evaluate(problem, ["a", "b"]) == 0.0


def test_a_budget_for_everything_removes_all_removable_risk() -> None:
    risks = (
        Risk("spof1", 0.05, 2e9, ("x", "y")),
        Risk("spof2", 0.5, 1e8, ("z",)),
        Risk("fragile", 0.3, 1e9),  # no requirement: can only be reduced
        Risk("orphan", 0.1, 1e9, ("w",)),  # no action meets its requirement
    )
    actions = (
        Action("x1", 1e7, 2026, removes=(("spof1", "x"),)),
        Action("x2", 2e7, 2027, removes=(("spof1", "x"),)),
        Action("y1", 5e7, 2027, removes=(("spof1", "y"),)),
        Action("z1", 1e6, 2026, removes=(("spof2", "z"),), reduces=(("fragile", 0.25),)),
    )
    total = sum(a.cost_jpy for a in actions)
    problem = PlanProblem(risks, actions, total, {2026: total, 2027: total})
    plan = solve_plan(problem)
    assert plan.removed == ("spof1", "spof2")
    assert plan.risk_after_jpy == pytest.approx(0.3e9 * 0.75 + 0.1e9)
    assert "x2" not in plan.chosen  # an alternative already met: not bought
    assert plan.cost_by_year == {2026: 1.1e7, 2027: 5e7}
    assert_consistent(problem, plan)


def test_year_budgets_bind() -> None:
    problem = PlanProblem(
        risks=(Risk("r", 0.1, 1e9, ("q",)),),
        actions=(
            Action("cheap-late", 1e6, 2027, removes=(("r", "q"),)),
            Action("dear-early", 5e6, 2026, removes=(("r", "q"),)),
        ),
        budget_jpy=1e7,
        budget_by_year={2026: 1e7, 2027: 0.0},
    )
    plan = solve_plan(problem)
    assert plan.chosen == ("dear-early",)
    assert plan.cost_by_year == {2026: 5e6}


@pytest.mark.parametrize("budget", [0.0, -1e6, math.nan, math.inf])
def test_a_budget_that_is_not_positive_is_refused(budget: float) -> None:
    with pytest.raises(PlanError, match="budget must be a positive"):
        solve_plan(spof_problem(budget))


def test_a_negative_year_budget_is_refused_naming_the_year() -> None:
    problem = PlanProblem(spof_problem(1e8).risks, (), 1e8, {2026: 1e8, 2027: -5.0})
    with pytest.raises(PlanError, match="fiscal year 2027"):
        solve_plan(problem)


def test_an_action_in_a_year_without_budget_is_refused_naming_it() -> None:
    base = spof_problem(1e8)
    problem = PlanProblem(base.risks, base.actions, 1e8, {2026: 1e8})
    with pytest.raises(PlanError, match="'second-A' is paid in fiscal year None"):
        solve_plan(problem)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (Action("a", 0.0), "cost 0.0 JPY must be > 0"),
        (Action("a", 1.0, removes=(("spof", "itemC"),)), "does not list"),
        (Action("a", 1.0, reduces=(("nope", 0.5),)), "unknown risk 'nope'"),
        (Action("a", 1.0, reduces=(("spof", 1.5),)), "not in \\[0, 1\\]"),
    ],
)
def test_bad_actions_are_refused(action: Action, message: str) -> None:
    problem = PlanProblem(spof_problem(1e8).risks, (action,), 1e8)
    with pytest.raises(PlanError, match=message):
        solve_plan(problem)
    assert issubclass(PlanError, KibanError)


def random_problem(n_actions: int, seed: int) -> PlanProblem:
    """Risks of 1-3 requirements with 1-3 alternatives each, plus reductions; budget 10%."""
    rng = np.random.default_rng(seed)
    n_risks = n_actions // 3
    risks = tuple(
        Risk(
            f"R{r}",
            rng.uniform(0.01, 0.1),
            rng.lognormal(np.log(1e9), 1.0),
            tuple(f"q{j}" for j in range(rng.integers(1, 4))),
        )
        for r in range(n_risks)
    )
    actions = []
    for a in range(n_actions):
        risk = risks[rng.integers(n_risks)]
        removes: tuple[tuple[str, str], ...] = ()
        reduces: tuple[tuple[str, float], ...] = ()
        if rng.random() < 0.75:
            removes = ((risk.risk_id, str(rng.choice(risk.requirements))),)
        else:
            reduces = ((risk.risk_id, rng.uniform(0.1, 0.6)),)
        group = f"g{rng.integers(n_actions // 4)}" if rng.random() < 0.2 else None
        cost = rng.lognormal(np.log(5e7), 1.0)
        year = int(rng.choice(YEARS))
        actions.append(Action(f"A{a}", cost, year, removes, reduces, group))
    total = sum(a.cost_jpy for a in actions)
    return PlanProblem(risks, tuple(actions), 0.1 * total, dict.fromkeys(YEARS, 0.06 * total))


def test_a_time_limit_returns_the_best_plan_found_and_its_gap() -> None:
    problem = random_problem(3_000, seed=2)
    plan = solve_plan(problem, time_limit_s=0.05)
    assert plan.status in ("optimal", "time_limit")
    assert_consistent(problem, plan)
    assert plan.risk_after_jpy < plan.risk_before_jpy  # the greedy start at least
    if plan.status == "time_limit":
        assert plan.bound_jpy <= plan.risk_after_jpy
        assert plan.mip_gap == pytest.approx(
            (plan.risk_after_jpy - plan.bound_jpy) / plan.risk_after_jpy
        )


def test_a_bad_time_limit_is_refused() -> None:
    with pytest.raises(PlanError, match="time limit"):
        solve_plan(spof_problem(1e8), time_limit_s=0.0)


def test_same_problem_same_plan() -> None:
    problem = random_problem(300, seed=3)
    first, second = solve_plan(problem), solve_plan(problem)
    assert first == second
    assert_consistent(problem, first)


def scipy_optimum(problem: PlanProblem) -> float:
    """The same program written independently with dense matrices and solved by scipy."""
    n, m = len(problem.actions), len(problem.risks)
    index = {r.risk_id: i for i, r in enumerate(problem.risks)}
    value = np.array([r.exit_probability * r.consequence_jpy for r in problem.risks])
    rows, upper = [], []

    def row(x: dict[int, float], y: dict[int, float], u: dict[int, float], ub: float) -> None:
        line = np.zeros(n + 2 * m)
        for offset, part in ((0, x), (n, y), (n + m, u)):
            for k, v in part.items():
                line[offset + k] += v
        rows.append(line)
        upper.append(ub)

    for i, risk in enumerate(problem.risks):
        for q in risk.requirements:
            meet = {
                a: -1.0 for a, act in enumerate(problem.actions) if (risk.risk_id, q) in act.removes
            }
            row(meet, {i: 1.0}, {}, 0.0)
        cut: dict[int, float] = {}
        for a, act in enumerate(problem.actions):
            for rid, f in act.reduces:
                if index[rid] == i:
                    cut[a] = cut.get(a, 0.0) - f
        row(cut, {}, {i: 1.0}, 0.0)
        row({}, {i: 1.0}, {i: 1.0}, 1.0)
    cost = {a: act.cost_jpy / problem.budget_jpy for a, act in enumerate(problem.actions)}
    row(cost, {}, {}, 1.0)
    assert problem.budget_by_year is not None
    for year, budget in problem.budget_by_year.items():
        paid = {a: c for a, c in cost.items() if problem.actions[a].fiscal_year == year}
        row(paid, {}, {}, budget / problem.budget_jpy)
    for group in {a.group for a in problem.actions} - {None}:
        row({a: 1.0 for a, act in enumerate(problem.actions) if act.group == group}, {}, {}, 1.0)
    removable = [1.0 if r.requirements else 0.0 for r in problem.risks]
    scale = value.max()
    result = milp(
        np.concatenate([np.zeros(n), -value / scale, -value / scale]),
        constraints=LinearConstraint(np.array(rows), -np.inf, np.array(upper)),
        integrality=np.concatenate([np.ones(n), np.zeros(2 * m)]),
        bounds=(0, np.concatenate([np.ones(n), removable, np.ones(m)])),
        options={"mip_rel_gap": 0.0},
    )
    assert result.success
    return float(value.sum() + result.fun * scale)


def test_agrees_with_scipy_milp() -> None:
    problem = random_problem(150, seed=5)
    plan = solve_plan(problem)
    assert plan.status == "optimal"
    assert_consistent(problem, plan)
    assert plan.risk_after_jpy == pytest.approx(scipy_optimum(problem), rel=1e-6)


def test_solving_prints_nothing_on_standard_output() -> None:
    # HiGHS prints a licence banner on the first instance whatever output_flag says; JSON
    # output of the CLI must not carry it.
    import subprocess
    import sys

    code = (
        "from kiban.plan.optimize import Action, PlanProblem, Risk, solve_plan\n"
        "p = PlanProblem((Risk('r', 0.1, 1e9, ('a',)),), "
        "(Action('x', 1.0, removes=(('r', 'a'),)),), 10.0)\n"
        "print(solve_plan(p).chosen)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "('x',)\n"


def test_a_given_set_of_actions_is_assessed_as_the_solver_would_report_it() -> None:
    from kiban.plan.optimize import assess

    problem = PlanProblem(
        risks=(Risk("r", 0.1, 1e9, requirements=("a", "b")), Risk("s", 0.2, 1e8)),
        actions=(
            Action("A", 3.0, fiscal_year=2026, removes=(("r", "a"),)),
            Action("B", 4.0, fiscal_year=2027, removes=(("r", "b"),)),
            Action("S", 1.0, fiscal_year=2026, reduces=(("s", 0.5),)),
        ),
        budget_jpy=100.0,
    )
    solved = solve_plan(problem)
    given = assess(problem, solved.chosen)
    assert given.chosen == solved.chosen
    assert given.removed == solved.removed == ("r",)
    assert given.risk_after_jpy == pytest.approx(solved.risk_after_jpy)
    assert given.cost_jpy == solved.cost_jpy == 8.0
    assert given.cost_by_year == {2026: 4.0, 2027: 4.0}
    assert assess(problem, ["A"]).removed == ()
    with pytest.raises(PlanError, match="unknown action 'Z'"):
        assess(problem, ["Z"])
