"""`kiban.econ.learning`: unit (Crawford) and cumulative-average (Wright) learning curves."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import digamma, zeta
from scipy.stats import t as student_t

from kiban.econ.learning import (
    CurveKind,
    LearningCurve,
    fit_curve,
    reference_slopes,
    slope_for,
)
from kiban.errors import EconError

UNIT = CurveKind.UNIT
WRIGHT = CurveKind.CUMULATIVE_AVERAGE

slopes = st.floats(min_value=0.3, max_value=1.0)
wright_slopes = st.floats(min_value=0.51, max_value=1.0)


def brute_sum(first: int, last: int, b: float) -> float:
    """sum_{k=first..last} k^b, term by term."""
    return math.fsum((np.arange(first, last + 1, dtype=np.float64) ** b).tolist())


def chunked_sum(n: int, b: float) -> float:
    """sum_{k=1..n} k^b for very large n: numpy's pairwise sums of 1e7-term chunks."""
    edges = range(1, n + 1, 10**7)
    return math.fsum(
        float(np.sum(np.arange(lo, min(lo + 10**7, n + 1), dtype=np.float64) ** b)) for lo in edges
    )


# --- textbook identities -----------------------------------------------------------------------


def test_an_80_percent_unit_curve_costs_80_percent_per_doubling() -> None:
    curve = LearningCurve(first_unit_cost_jpy=1000.0, slope=0.8)

    assert curve.exponent == pytest.approx(math.log2(0.8))
    assert curve.unit_cost(1) == 1000.0
    assert curve.unit_cost(2) == pytest.approx(800.0, rel=1e-14)
    assert curve.unit_cost(4) == pytest.approx(640.0, rel=1e-14)
    assert curve.unit_cost(200) / curve.unit_cost(100) == pytest.approx(0.8, rel=1e-14)


def test_an_80_percent_wright_curve_halves_to_0_8_on_average() -> None:
    curve = LearningCurve(first_unit_cost_jpy=1000.0, slope=0.8, kind=WRIGHT)

    assert curve.average_cost(2) == pytest.approx(800.0, rel=1e-14)
    assert curve.unit_cost(2) == pytest.approx(600.0, rel=1e-14)
    assert curve.average_cost(8) == pytest.approx(1000.0 * 0.8**3, rel=1e-14)
    assert curve.cumulative_cost(4) == pytest.approx(4 * 640.0, rel=1e-14)


@pytest.mark.parametrize("kind", list(CurveKind))
def test_slope_1_is_flat(kind: CurveKind) -> None:
    curve = LearningCurve(250.0, 1.0, kind)

    assert curve.exponent == 0.0
    assert curve.unit_cost(np.array([1, 7, 10**6])).tolist() == [250.0] * 3
    assert curve.cumulative_cost(10**9) == pytest.approx(250.0 * 10**9, rel=1e-15)
    assert curve.lot_cost(11, 20) == pytest.approx(2500.0, rel=1e-15)
    assert curve.lot_cost(11, 20, method="midpoint") == pytest.approx(2500.0, rel=1e-15)


def test_costs_are_consistent_with_each_other() -> None:
    for kind in CurveKind:
        curve = LearningCurve(3.0e7, 0.83, kind)
        units = np.arange(1, 301)
        unit_costs = curve.unit_cost(units)

        assert curve.cumulative_cost(0) == 0.0
        assert np.allclose(np.cumsum(unit_costs), curve.cumulative_cost(units), rtol=1e-12)
        assert np.allclose(curve.average_cost(units), curve.cumulative_cost(units) / units)
        assert curve.lot_cost(41, 300) == pytest.approx(math.fsum(unit_costs[40:]), rel=1e-12)


def test_scalars_give_floats_and_arrays_give_arrays() -> None:
    curve = LearningCurve(1.0, 0.9)

    assert type(curve.unit_cost(3)) is float
    assert type(curve.cumulative_cost(np.int64(3))) is float
    assert curve.cumulative_cost([0, 1, 2]).shape == (3,)
    assert curve.unit_cost(np.ones((2, 2))).shape == (2, 2)


# --- exact sums against brute force ------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(slope=slopes, n=st.integers(min_value=0, max_value=100_000))
def test_unit_cumulative_cost_equals_the_term_by_term_sum(slope: float, n: int) -> None:
    curve = LearningCurve(1.0, slope)

    expected = brute_sum(1, n, curve.exponent)

    assert curve.cumulative_cost(n) == pytest.approx(expected, rel=1e-12, abs=0.0)
    if n >= 1:
        assert curve.lot_cost(1, n) == pytest.approx(expected, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(list(CurveKind)),
    slope=wright_slopes,
    first=st.integers(min_value=1, max_value=100_000),
    size=st.integers(min_value=1, max_value=20_000),
)
def test_lot_cost_equals_the_sum_of_its_unit_costs(
    kind: CurveKind, slope: float, first: int, size: int
) -> None:
    curve = LearningCurve(1.0, slope, kind)
    last = first + size - 1
    if kind is UNIT:
        expected = brute_sum(first, last, curve.exponent)
    else:  # unit costs of a Wright curve are its closed-form differences
        expected = math.fsum(curve.unit_cost(np.arange(first, last + 1)).tolist())

    assert curve.lot_cost(first, last) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("slope", [0.4, 0.5, 0.7, 0.85, 0.95, 0.999])
def test_a_short_lot_far_out_keeps_full_precision(slope: float) -> None:
    curve = LearningCurve(1.0, slope)
    first = 10**8

    expected = brute_sum(first, first + 5, curve.exponent)

    assert curve.lot_cost(first, first + 5) == pytest.approx(expected, rel=1e-14)
    assert curve.lot_cost(first, first) == pytest.approx(curve.unit_cost(first), rel=1e-14)


@pytest.mark.parametrize("slope", [0.6, 0.85, 0.95])
def test_wright_unit_and_lot_costs_keep_precision_far_out(slope: float) -> None:
    curve = LearningCurve(1.0, slope, WRIGHT)
    a = curve.exponent + 1.0
    x = 10**8
    # d/dx x^a at the middle of [x-1, x] is a (x - 1/2)^(a-1), to O(x^(a-3)).
    expected = a * (x - 0.5) ** (a - 1.0)

    assert curve.unit_cost(x) == pytest.approx(expected, rel=1e-13)
    assert curve.lot_cost(x, x) == pytest.approx(expected, rel=1e-13)


@pytest.mark.slow
@pytest.mark.parametrize("slope", [0.7, 0.9])
def test_cumulative_cost_of_1e8_units_equals_the_brute_force_sum(slope: float) -> None:
    curve = LearningCurve(1.0, slope)

    assert curve.cumulative_cost(10**8) == pytest.approx(
        chunked_sum(10**8, curve.exponent), rel=1e-13
    )


@pytest.mark.parametrize("n", [10**6, 10**8, 10**9])
@pytest.mark.parametrize("slope", [0.6, 0.8, 0.85, 0.95])
def test_cumulative_cost_matches_the_riemann_zeta_asymptotics(n: int, slope: float) -> None:
    # sum_{k<=n} k^-s = zeta(s) + n^(1-s)/(1-s) + n^-s/2 - s n^(-s-1)/12 + O(n^(-s-3)) for
    # 0 < s < 1, with zeta(s) from scipy: an independent check of the Euler-Maclaurin tail.
    curve = LearningCurve(1.0, slope)
    s = -curve.exponent
    expected = math.fsum([zeta(s), n ** (1 - s) / (1 - s), n**-s / 2, -s * n ** (-s - 1) / 12])

    assert curve.cumulative_cost(n) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("n", [1000, 10**6, 10**9])
def test_steep_and_harmonic_sums_match_zeta_and_digamma(n: int) -> None:
    steep = LearningCurve(1.0, 0.4)  # b < -1: sum = zeta(s) - zeta(s, n+1)
    harmonic = LearningCurve(1.0, 0.5)  # b = -1: sum = digamma(n+1) + Euler's gamma

    s = -steep.exponent
    assert steep.cumulative_cost(n) == pytest.approx(zeta(s) - zeta(s, n + 1), rel=1e-13)
    assert harmonic.cumulative_cost(n) == pytest.approx(digamma(n + 1) + np.euler_gamma, rel=1e-13)


# --- lot midpoint ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    slope=st.floats(min_value=0.6, max_value=1.0),
    first=st.integers(min_value=3, max_value=10**6),
    size=st.integers(min_value=1, max_value=10**4),
)
def test_the_midpoint_approximation_is_close_away_from_unit_1(
    slope: float, first: int, size: int
) -> None:
    curve = LearningCurve(1.0e6, slope)
    last = first + size - 1
    exact = curve.lot_cost(first, last)
    approx = curve.lot_cost(first, last, method="midpoint")
    midpoint = curve.lot_midpoint(first, last)

    assert approx == pytest.approx(exact, rel=1e-2)
    assert first - 0.5 <= midpoint <= last + 0.5
    assert size * curve.unit_cost(midpoint) == pytest.approx(approx, rel=1e-10)


def test_the_midpoint_formula_matches_a_worked_value() -> None:
    # LMP = ([(L+1/2)^(1+b) - (F-1/2)^(1+b)] / ((1+b) Q))^(1/b), computed by hand.
    curve = LearningCurve(1.0, 0.85)
    b = math.log2(0.85)
    expected = ((20.5 ** (1 + b) - 10.5 ** (1 + b)) / ((1 + b) * 10)) ** (1 / b)

    assert curve.lot_midpoint(11, 20) == pytest.approx(expected, rel=1e-14)
    # At slope 1 it is the formula's limit, exp(mean of ln x over [F-1/2, L+1/2]).
    geometric = math.exp((20.5 * math.log(20.5) - 10.5 * math.log(10.5)) / 10 - 1)
    assert LearningCurve(1.0, 1.0).lot_midpoint(11, 20) == pytest.approx(geometric, rel=1e-14)
    assert LearningCurve(1.0, 2**-1e-6).lot_midpoint(11, 20) == pytest.approx(geometric)
    assert LearningCurve(1.0, 0.5).lot_cost(1, 3, method="midpoint") == pytest.approx(
        math.log(3.5 / 0.5), rel=1e-14
    )


def test_midpoint_on_a_wright_curve_is_the_exact_lot_cost() -> None:
    curve = LearningCurve(5.0, 0.8, WRIGHT)

    assert curve.lot_cost(3, 9, method="midpoint") == curve.lot_cost(3, 9)
    with pytest.raises(EconError, match=r"unit \(Crawford\) curves"):
        curve.lot_midpoint(3, 9)


# --- production rate ---------------------------------------------------------------------------


def test_doubling_the_rate_multiplies_cost_by_the_rate_slope() -> None:
    curve = LearningCurve(1.0e8, 0.85, rate_slope=0.9, reference_rate=12.0)

    assert curve.rate_factor(None) == 1.0
    assert curve.rate_factor(12.0) == 1.0
    assert curve.rate_factor(24.0) == pytest.approx(0.9, rel=1e-14)
    assert curve.rate_factor(6.0) == pytest.approx(1 / 0.9, rel=1e-14)
    assert curve.lot_cost(5, 16, rate=48.0) == pytest.approx(
        0.81 * curve.lot_cost(5, 16), rel=1e-14
    )
    assert curve.unit_cost(7, rate=24.0) == pytest.approx(0.9 * curve.unit_cost(7), rel=1e-14)
    assert curve.cumulative_cost(7, rate=24.0) == pytest.approx(
        0.9 * curve.cumulative_cost(7), rel=1e-14
    )
    assert LearningCurve(1.0, 0.85).rate_factor(1000.0) == 1.0


# --- fitting -----------------------------------------------------------------------------------

EDGES = [1, 3, 6, 11, 21, 41, 71, 111, 161, 221, 301]


def lots_of(curve: LearningCurve) -> list[tuple[int, int, float]]:
    return [(lo, hi - 1, curve.lot_cost(lo, hi - 1)) for lo, hi in itertools.pairwise(EDGES)]


@pytest.mark.parametrize(("kind", "slope"), [(UNIT, 0.85), (UNIT, 0.45), (WRIGHT, 0.8)])
def test_fit_recovers_a_curve_exactly_from_noise_free_lots(kind: CurveKind, slope: float) -> None:
    truth = LearningCurve(8.0e7, slope, kind)
    lots = lots_of(truth)

    fit = fit_curve(list(reversed(lots)), kind=kind)

    assert fit.curve.kind is kind
    assert fit.curve.slope == pytest.approx(slope, rel=1e-10)
    assert fit.curve.first_unit_cost_jpy == pytest.approx(8.0e7, rel=1e-9)
    assert fit.n_lots == len(lots)
    assert fit.r_squared == pytest.approx(1.0, abs=1e-12)
    assert max(map(abs, fit.residuals)) < 1e-10
    assert not fit.slope_at_bound


def test_fit_takes_a_polars_frame() -> None:
    lots = lots_of(LearningCurve(2.0e6, 0.9))
    frame = pl.DataFrame(lots, schema=["first_unit", "last_unit", "cost_jpy"], orient="row")

    assert fit_curve(frame).curve.slope == pytest.approx(0.9, rel=1e-10)


def test_fit_standard_errors_cover_the_truth_at_their_stated_rate() -> None:
    truth = LearningCurve(8.0e7, 0.85)
    lots = lots_of(truth)
    t95 = student_t.ppf(0.975, df=len(lots) - 2)
    slope_hits = t1_hits = 0
    runs = 200
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        noisy = [(lo, hi, cost * math.exp(rng.normal(0.0, 0.02))) for lo, hi, cost in lots]
        fit = fit_curve(noisy)
        assert 0.0 < fit.slope_se < 0.01
        assert 0.9 < fit.r_squared < 1.0
        slope_hits += abs(fit.curve.slope - 0.85) < t95 * fit.slope_se
        t1_hits += abs(math.log(fit.curve.first_unit_cost_jpy / 8.0e7)) < (
            t95 * fit.first_unit_cost_se_jpy / fit.curve.first_unit_cost_jpy
        )

    assert 0.88 <= slope_hits / runs <= 0.99
    assert 0.88 <= t1_hits / runs <= 0.99


def test_two_lots_fit_exactly_with_no_standard_errors() -> None:
    truth = LearningCurve(1.0e6, 0.8)

    fit = fit_curve([(1, 4, truth.lot_cost(1, 4)), (5, 12, truth.lot_cost(5, 12))])

    assert fit.curve.slope == pytest.approx(0.8, rel=1e-10)
    assert math.isnan(fit.slope_se)
    assert math.isnan(fit.first_unit_cost_se_jpy)


def test_lots_whose_cost_rises_fit_at_the_no_learning_bound() -> None:
    rising = [(lo, hi - 1, (hi - lo) * 1.0e6 * lo**0.1) for lo, hi in itertools.pairwise(EDGES)]

    fit = fit_curve(rising)

    assert fit.curve.slope == 1.0
    assert fit.slope_at_bound


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"slope": 0.0}, r"slope 0.0 is outside \(0, 1\]: a learning slope is the cost ratio"),
        ({"slope": 1.2}, r"slope 1.2 is outside \(0, 1\]"),
        ({"slope": math.nan}, "slope nan is outside"),
        ({"first_unit_cost_jpy": 0.0}, "first_unit_cost_jpy 0.0 must be a finite number > 0"),
        ({"first_unit_cost_jpy": -5.0}, "first_unit_cost_jpy -5.0"),
        ({"first_unit_cost_jpy": math.inf}, "first_unit_cost_jpy inf"),
        ({"rate_slope": 0.0}, r"rate_slope 0.0 is outside \(0, 1.5\]"),
        ({"rate_slope": 85.0}, "rate_slope 85.0 is outside"),
        ({"reference_rate": -1.0}, "reference_rate -1.0 must be a finite number > 0"),
        ({"kind": "wright"}, "kind 'wright' is not a curve kind; use one of 'unit'"),
        ({"kind": WRIGHT, "slope": 0.5}, "slope 0.5 is too steep for a cumulative-average"),
    ],
)
def test_bad_curve_parameters_are_named_in_the_error(
    kwargs: dict[str, object], message: str
) -> None:
    params: dict[str, object] = {"first_unit_cost_jpy": 1.0, "slope": 0.85, **kwargs}

    with pytest.raises(EconError, match=message):
        LearningCurve(**params)  # type: ignore[arg-type]


def test_bad_units_are_named_in_the_error() -> None:
    curve = LearningCurve(1.0, 0.85)

    with pytest.raises(EconError, match=r"unit 0 is not allowed: .*numbered from 1"):
        curve.unit_cost(0)
    with pytest.raises(EconError, match=r"unit 0.5 is not allowed"):
        curve.unit_cost(np.array([3.0, 0.5]))
    with pytest.raises(EconError, match=r"units -1 is not allowed: .*whole number >= 0"):
        curve.cumulative_cost(-1)
    with pytest.raises(EconError, match=r"units 2.5 is not allowed: .*whole number"):
        curve.cumulative_cost(2.5)
    with pytest.raises(EconError, match=r"units 0 is not allowed"):
        curve.average_cost(0)
    with pytest.raises(EconError, match=r"last unit 3 is before first unit 5"):
        curve.lot_cost(5, 3)
    with pytest.raises(EconError, match=r"first unit 0 is not allowed"):
        curve.lot_cost(0, 3)
    with pytest.raises(EconError, match=r"method 'mid' is not known"):
        curve.lot_cost(1, 3, method="mid")  # type: ignore[arg-type]
    with pytest.raises(EconError, match=r"rate 0.0 must be a finite number > 0"):
        curve.lot_cost(1, 3, rate=0.0)


@pytest.mark.parametrize(
    ("lots", "message"),
    [
        ([(1, 5, 100.0)], "at least 2 lots .* got 1"),
        ([], "at least 2 lots .* got 0"),
        ([(1, 5, 100.0), (9, 6, 50.0)], r"lot 1 \(9, 6, 50.0\): last unit 6 is before first"),
        ([(0, 5, 100.0), (6, 9, 50.0)], "lot 0 .*first unit 0 is not allowed"),
        ([(1, 5, 100.0), (6, 9, -50.0)], "lot 1 .*cost_jpy -50.0 must be a finite number > 0"),
        ([(1, 5, 100.0), (6, 9)], r"lot 1 is \(6, 9\); each lot is"),
        ([(1, 5, 100.0), (4, 9, 50.0)], r"lots 0 \(units 1..5\) and 1 \(units 4..9\) overlap"),
    ],
)
def test_bad_lots_are_named_in_the_error(lots: list[tuple[float, ...]], message: str) -> None:
    with pytest.raises(EconError, match=message):
        fit_curve(lots)  # type: ignore[arg-type]


def test_fit_refuses_an_unknown_curve_kind() -> None:
    with pytest.raises(EconError, match=r"kind 'wright' is not a curve kind"):
        fit_curve([(1, 1, 1.0), (2, 2, 0.9)], kind="wright")  # type: ignore[arg-type]


def test_a_lot_frame_without_the_needed_columns_is_refused() -> None:
    with pytest.raises(EconError, match=r"lacks column\(s\) cost_jpy"):
        fit_curve(pl.DataFrame({"first_unit": [1, 2], "last_unit": [1, 2]}))


# --- reference slopes --------------------------------------------------------------------------


def test_reference_slopes_ship_the_aerospace_85_percent_row_with_its_source() -> None:
    table = reference_slopes()
    aerospace = table.filter(domain="aerospace").row(0, named=True)

    assert set(table["domain"]) >= {"aerospace", "shipbuilding"}
    assert (aerospace["value_min_frac"], aerospace["value_max_frac"]) == (0.85, 0.85)
    assert aerospace["source_url"] == "http://cost.jsc.nasa.gov/learn.html"
    assert table["source_url"].null_count() == 0
    assert ((table["value_min_frac"] > 0) & (table["value_max_frac"] <= 1)).all()


def test_slope_for_a_domain_gives_its_range_and_source() -> None:
    ships = slope_for("Shipbuilding")

    assert (ships.slope_min, ships.slope_max) == (0.8, 0.85)
    assert ships.source_url == "http://cost.jsc.nasa.gov/learn.html"
    assert "Stewart" in ships.source
    with pytest.raises(
        EconError, match=r"no reference learning slope for domain 'tanks'.*aerospace"
    ):
        slope_for("tanks")
