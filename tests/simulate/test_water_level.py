"""The water level of "lower has priority" rationing against a root found by bisection, from
any starting guess, through Newton's steps and through the selection it falls back to."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq  # type: ignore[import-untyped]

from kiban.simulate import kernel

orders = st.lists(
    st.tuples(
        st.one_of(st.just(0.0), st.floats(0.01, 50.0), st.sampled_from([1.0, 2.0, 4.0])),
        st.one_of(st.floats(0.1, 10.0), st.just(1.0)),
    ),
    min_size=1,
    max_size=40,
)


def _filled(level: float, order: np.ndarray, flow: np.ndarray, final: float) -> float:
    return float(np.minimum(order, level * flow).sum() + min(1.0, level) * final)


def _level(p: float, order: np.ndarray, flow: np.ndarray, final: float, guess: float) -> float:
    m = order.size
    link_state = np.column_stack([order, np.zeros(m)])
    slots = np.arange(m, dtype=np.int32)
    # the supplier's scratch lies at start + j: use j = 2 to check the offsets
    ratio, weight = np.full(m + 3, np.nan), np.full(m + 3, np.nan)
    return float(
        kernel.water_level(p, final, link_state, flow, slots, 0, m, 2, ratio, weight, guess)
    )


@given(
    entries=orders,
    final=st.one_of(st.just(0.0), st.floats(0.1, 20.0)),
    share=st.floats(0.01, 0.99),
    guess=st.one_of(st.just(math.inf), st.floats(0.0, 60.0)),
)
@settings(max_examples=400, deadline=None)
def test_the_level_shares_out_exactly_what_was_produced(
    entries: list[tuple[float, float]], final: float, share: float, guess: float
) -> None:
    order = np.array([o for o, _ in entries])
    flow = np.array([a for _, a in entries])
    demand = order.sum() + final
    if demand <= 0.0:
        return
    p = share * demand
    level = _level(p, order, flow, final, guess)
    top = max(1.0, float((order / flow).max()))
    expected = brentq(lambda x: _filled(x, order, flow, final) - p, 0.0, top, xtol=1e-15)
    assert _filled(level, order, flow, final) == pytest.approx(p, rel=1e-12)
    # the level is unique where some entry is still short of it
    assert level == pytest.approx(expected, rel=1e-9)
    # started from its own answer (a day like the one before), it gives it back exactly
    assert _level(p, order, flow, final, level) == level


@given(entries=orders, share=st.floats(0.05, 0.95))
@settings(max_examples=100, deadline=None)
def test_the_fallback_selection_gives_the_same_level(
    entries: list[tuple[float, float]], share: float
) -> None:
    order = np.array([o for o, _ in entries])
    flow = np.array([a for _, a in entries])
    final = 3.0
    p = share * (order.sum() + final)
    newton = _level(p, order, flow, final, math.inf)
    # Newton gives up at once (as after NEWTON_STEPS steps): the selection takes over
    real = kernel._newton
    calls: list[float] = []

    def give_up_first(*args: object) -> float:
        calls.append(float(args[7]))  # type: ignore[arg-type]  # where Newton starts
        return math.nan if len(calls) == 1 else float(real(*args))

    m = order.size
    ratio, weight = np.empty(m + 1), np.empty(m + 1)
    link_state = np.column_stack([order, np.zeros(m)])
    slots = np.arange(m, dtype=np.int32)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernel, "_newton", give_up_first)
        fallback = kernel._water_level_search.py_func(
            p, final, link_state, flow, slots, 0, m, 0, ratio, weight, 0.0
        )
    assert len(calls) == 2  # Newton, then Newton again from the selection's level
    assert calls[1] == pytest.approx(newton, rel=1e-12)
    assert fallback == pytest.approx(newton, rel=1e-12)
    assert _level(p, order, flow, final, fallback) == fallback


def test_newton_gives_up_after_its_steps() -> None:
    # ratios 1..40 with weights that put the level high: from 0, one step is not enough
    order = np.arange(1.0, 41.0)
    flow = np.ones(40)
    link_state = np.column_stack([order, np.zeros(40)])
    slots = np.arange(40, dtype=np.int32)
    p = 0.9 * order.sum()
    found = kernel._newton(p, 0.0, link_state, flow, slots, 0, 40, 0.0)
    assert _filled(found, order, flow, 0.0) == pytest.approx(p, rel=1e-12)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernel, "NEWTON_STEPS", 1)
        given_up = kernel._newton.py_func(p, 0.0, link_state, flow, slots, 0, 40, 0.0)
    assert math.isnan(given_up)


def test_a_customer_asking_for_its_baseline_is_served_first() -> None:
    # two customers of baseline 1: one orders 1, one rebuilds its stock and orders 5; of 3
    # produced, the first gets its 1 and the second the remaining 2
    order, flow = np.array([1.0, 5.0]), np.array([1.0, 1.0])
    level = _level(3.0, order, flow, 0.0, math.inf)
    assert level == pytest.approx(2.0)
    np.testing.assert_allclose(np.minimum(order, level * flow), [1.0, 2.0])
