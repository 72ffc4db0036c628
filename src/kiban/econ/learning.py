"""Learning curves: how the cost of a defense item falls as more of it is built.

Both formulations are a power law in the cumulative quantity x, with a first-unit cost T1 (yen)
and a slope s in (0, 1], the cost ratio per doubling of quantity (0.85: each doubling costs
85%). The exponent is b = log2(s).

- Unit curve (Crawford): the cost of unit x is y(x) = T1 x^b, so the cost of units 1..N is
  C(N) = T1 sum_{k=1..N} k^b. J. R. Crawford's formulation (Lockheed, 1944), as presented in
  the NASA Cost Estimating Handbook (2015, appendix on learning curves) and the DAU
  learning-curve guide; the usual form in US defense cost estimating.
- Cumulative-average curve (Wright): the average cost of the first N units is T1 N^b, so
  C(N) = T1 N^(b+1) and unit x costs C(x) - C(x-1). T. P. Wright, "Factors affecting the
  cost of airplanes", Journal of the Aeronautical Sciences 3(4):122-128, 1936.

Costs are computed exactly (to a few units in the last place): the unit-curve sum is taken
term by term over the first `_HEAD - 1` units and by the Euler-Maclaurin formula beyond, so
N = 1e9 costs no more than N = 1e3. The lot-midpoint approximation of the same references is
offered too (`lot_cost(..., method="midpoint")`, `lot_midpoint`). A production-rate effect
multiplies any cost by (rate / reference_rate)^log2(rate_slope). `fit_curve` fits T1 and the
slope to observed lot costs; `reference_slopes` and `slope_for` give the typical slopes
shipped in `learning_curves.csv`, each with its source.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.optimize import least_squares  # type: ignore[import-untyped]
from scipy.special import bernoulli, factorial  # type: ignore[import-untyped]

from kiban.errors import EconError
from kiban.reference import load as load_reference

FloatArray = npt.NDArray[np.float64]
Units = npt.NDArray[Any] | Sequence[float]

_HEAD = 128
"""Units below this are summed term by term; Euler-Maclaurin takes over from here."""

_EM_ORDER = 6
# B_2j / (2j)! for j = 1.._EM_ORDER. With the expansion started at unit 128 the remainder is
# below 1e-18 of the sum for any slope down to 0.01, far under double precision.
_EM_COEFFS = tuple(
    float(bernoulli(2 * _EM_ORDER)[2 * j] / factorial(2 * j, exact=True))
    for j in range(1, _EM_ORDER + 1)
)

MAX_RATE_SLOPE = 1.5
"""Rate slopes above 1 (cost rising with rate: a strained line) are allowed up to this; the
bound catches typos such as 85 for 0.85 and is no empirical claim."""


class CurveKind(StrEnum):
    """Which quantity the power law describes."""

    UNIT = "unit"
    """Crawford: the cost of unit x is T1 x^b."""
    CUMULATIVE_AVERAGE = "cumulative_average"
    """Wright: the average cost of the first x units is T1 x^b."""


@dataclass(frozen=True)
class LearningCurve:
    """A learning curve from a first-unit cost and a slope, with an optional rate effect.

    Parameters
    ----------
    first_unit_cost_jpy : T1, the cost of the first unit in yen; finite and > 0.
    slope : cost ratio per doubling of quantity, in (0, 1]; 1 means no learning. A
        cumulative-average curve needs a slope above 0.5: at 0.5 or below its total cost
        would stop growing with quantity.
    kind : `CurveKind.UNIT` (Crawford, the default) or `CurveKind.CUMULATIVE_AVERAGE` (Wright).
    rate_slope : cost ratio per doubling of the production rate, in (0, `MAX_RATE_SLOPE`];
        1 (the default) means no rate effect.
    reference_rate : production rate (units per year) at which the rate factor is 1; > 0.

    Every cost method takes an optional `rate` (units per year) and then multiplies by
    `rate_factor(rate)`. Bad values raise `EconError` naming the field and the value.

    >>> curve = LearningCurve(first_unit_cost_jpy=100e6, slope=0.8)
    >>> round(curve.unit_cost(2) / 1e6, 9), round(curve.unit_cost(4) / 1e6, 9)
    (80.0, 64.0)
    >>> round(curve.lot_cost(1, 4) / 1e6, 3)
    314.21
    """

    first_unit_cost_jpy: float
    slope: float
    kind: CurveKind = CurveKind.UNIT
    rate_slope: float = 1.0
    reference_rate: float = 1.0

    def __post_init__(self) -> None:
        _check_positive("first_unit_cost_jpy", self.first_unit_cost_jpy, "a cost in yen")
        object.__setattr__(self, "kind", _curve_kind(self.kind))
        if not _is_real(self.slope) or not 0.0 < self.slope <= 1.0:
            raise EconError(
                f"slope {self.slope!r} is outside (0, 1]: a learning slope is the cost ratio "
                "per doubling of quantity (0.85 means each doubling costs 85%)"
            )
        if self.kind is CurveKind.CUMULATIVE_AVERAGE and self.slope <= 0.5:
            raise EconError(
                f"slope {self.slope!r} is too steep for a cumulative-average (Wright) curve: at "
                "0.5 or below the total cost of N units stops growing with N; use a slope "
                "above 0.5 or a unit curve"
            )
        if not _is_real(self.rate_slope) or not 0.0 < self.rate_slope <= MAX_RATE_SLOPE:
            raise EconError(
                f"rate_slope {self.rate_slope!r} is outside (0, {MAX_RATE_SLOPE}]: it is the "
                "cost ratio per doubling of the production rate (1 means no rate effect)"
            )
        _check_positive("reference_rate", self.reference_rate, "a rate in units per year")

    @property
    def exponent(self) -> float:
        """b = log2(slope), the exponent of the power law (0 for a flat curve)."""
        return math.log2(self.slope)

    def rate_factor(self, rate: float | None) -> float:
        """The cost multiplier at `rate` units per year: (rate / reference_rate)^log2(rate_slope).

        `None` means the reference rate (factor 1). Doubling the rate multiplies cost by
        `rate_slope`. The same power-law form as the learning curve, in the rate rather than
        the quantity (the rate term of the NASA Cost Estimating Handbook's learning-and-rate
        model).
        """
        if rate is None:
            return 1.0
        _check_positive("rate", rate, "a production rate in units per year")
        return float((rate / self.reference_rate) ** math.log2(self.rate_slope))

    @overload
    def unit_cost(self, unit: float, rate: float | None = None) -> float: ...
    @overload
    def unit_cost(self, unit: Units, rate: float | None = None) -> FloatArray: ...
    def unit_cost(self, unit: float | Units, rate: float | None = None) -> float | FloatArray:
        """The cost in yen of unit x (x >= 1; real x allowed, e.g. a lot midpoint).

        Unit curve: T1 x^b. Cumulative-average curve: T1 (x^(b+1) - (x-1)^(b+1)), taken as
        -T1 x^(b+1) expm1((b+1) log1p(-1/x)) so that it keeps its precision far out.
        Vectorised over arrays; O(1) per unit.
        """
        x = _as_units("unit", unit, minimum=1.0, whole=False)
        b, a = self.exponent, self.exponent + 1.0
        if self.kind is CurveKind.UNIT:
            cost = x**b
        else:
            with np.errstate(divide="ignore"):  # x = 1: log1p(-1) = -inf gives the T1 we want
                cost = -(x**a) * np.expm1(a * np.log1p(-1.0 / x))
        return _shaped(unit, self.first_unit_cost_jpy * self.rate_factor(rate) * cost)

    @overload
    def cumulative_cost(self, units: float, rate: float | None = None) -> float: ...
    @overload
    def cumulative_cost(self, units: Units, rate: float | None = None) -> FloatArray: ...
    def cumulative_cost(
        self, units: float | Units, rate: float | None = None
    ) -> float | FloatArray:
        """The total cost in yen of units 1..N (N a whole number >= 0; 0 costs 0).

        Unit curve: T1 sum_{k=1..N} k^b, exact: the first 127 terms summed, the rest by the
        Euler-Maclaurin formula with six Bernoulli terms (error far below 1e-13 of the sum).
        Cumulative-average curve: T1 N^(b+1). Vectorised; O(1) per N after a 127-term table.

        >>> round(LearningCurve(100.0, 0.9).cumulative_cost(10**9) / 1e9, 6)
        5.053333
        """
        n = _as_units("units", units, minimum=0.0, whole=True)
        if self.kind is CurveKind.UNIT:
            total = _cumulative_power_sum(n, self.exponent)
        else:
            total = n ** (self.exponent + 1.0)
        return _shaped(units, self.first_unit_cost_jpy * self.rate_factor(rate) * total)

    @overload
    def average_cost(self, units: float, rate: float | None = None) -> float: ...
    @overload
    def average_cost(self, units: Units, rate: float | None = None) -> FloatArray: ...
    def average_cost(self, units: float | Units, rate: float | None = None) -> float | FloatArray:
        """The average cost in yen of units 1..N (N a whole number >= 1): C(N) / N."""
        n = _as_units("units", units, minimum=1.0, whole=True)
        return _shaped(units, self.cumulative_cost(n, rate) / n)

    def lot_cost(
        self,
        first: int,
        last: int,
        method: Literal["exact", "midpoint"] = "exact",
        rate: float | None = None,
    ) -> float:
        """The total cost in yen of units `first`..`last`, both included.

        "exact": C(last) - C(first - 1), computed without that subtraction's cancellation:
        on a unit curve the sum runs over the lot itself (term by term below unit 128,
        Euler-Maclaurin above), so a short lot far out (units 1e8..1e8+5) is as precise as
        the first; on a Wright curve T1 L^(b+1) (-expm1((b+1) log1p(-Q/L))), Q the lot size.
        "midpoint": the lot-midpoint approximation of the cost-estimating references,
        T1 integral_{F-1/2}^{L+1/2} x^b dx = T1 [(L+1/2)^(b+1) - (F-1/2)^(b+1)] / (b+1)
        (T1 ln((L+1/2)/(F-1/2)) at slope 0.5), which is Q T1 LMP^b with LMP the lot midpoint.
        It is exact at slope 1; for slopes 0.6-1 it is within 1.5% from the second unit on and
        0.3% from the fifth, but up to 6% off for a lot that starts at unit 1. On a Wright
        curve the exact lot cost is already closed-form, and "midpoint" returns it.
        O(min(Q, 128)).
        """
        first_unit, last_unit = _lot_units(first, last)
        b = self.exponent
        if method not in ("exact", "midpoint"):
            raise EconError(f"method {method!r} is not known; use 'exact' or 'midpoint'")
        if self.kind is CurveKind.CUMULATIVE_AVERAGE:
            total = _wright_lot_sum(first_unit, last_unit, b)
        elif method == "exact":
            total = _power_sum(first_unit, last_unit, b)
        else:
            total = _power_integral(first_unit - 0.5, last_unit + 0.5, b)
        return float(self.first_unit_cost_jpy * self.rate_factor(rate) * total)

    def lot_midpoint(self, first: int, last: int) -> float:
        """The lot midpoint: the unit whose cost T1 LMP^b equals the lot's average cost.

        The standard formula (NASA Cost Estimating Handbook; DAU learning-curve guide), from
        the midpoint approximation of the lot cost:
        LMP = ([(L+1/2)^(b+1) - (F-1/2)^(b+1)] / [(b+1)(L-F+1)])^(1/b). At slope 1, where
        every unit costs the same, it returns the formula's limit, exp of the mean of ln x
        over [F-1/2, L+1/2], so that the midpoint moves smoothly with the slope. Unit curves
        only: a Wright curve's lot costs are closed-form and need no midpoint.

        >>> round(LearningCurve(1.0, 0.85).lot_midpoint(11, 20), 3)
        15.16
        """
        first_unit, last_unit = _lot_units(first, last)
        if self.kind is not CurveKind.UNIT:
            raise EconError(
                "lot_midpoint is defined for unit (Crawford) curves; a cumulative-average "
                "curve's lot cost is closed-form: use lot_cost"
            )
        return _lot_midpoint(first_unit, last_unit, self.exponent)


@dataclass(frozen=True)
class CurveFit:
    """A learning curve fitted to lot costs, with its uncertainty.

    `slope_se` and `first_unit_cost_se_jpy` are asymptotic standard errors (from the
    Jacobian at the optimum, carried to slope and T1 by the delta method); NaN with only two
    lots, which fit exactly. `r_squared` and `residuals` (log observed minus log fitted lot
    average cost, in input order) are in log space; `r_squared` is 1 when all lots average
    the same. `slope_at_bound` says the fit hit the end of the allowed slopes (1: the lots
    show no learning; 0.5 for a Wright curve), where the standard errors mean little.
    """

    curve: LearningCurve
    slope_se: float
    first_unit_cost_se_jpy: float
    r_squared: float
    residuals: tuple[float, ...]
    n_lots: int
    slope_at_bound: bool


LotRows = pl.DataFrame | Iterable[tuple[float, float, float]]


def fit_curve(lots: LotRows, kind: CurveKind = CurveKind.UNIT) -> CurveFit:
    """Fit a first-unit cost and a slope to observed lot costs.

    `lots` is a sequence of (first_unit, last_unit, cost_jpy), or a polars frame with those
    columns; each lot is units first..last inclusive at a total cost in yen. Lots need not be
    in order but must not overlap, and at least two are needed.

    Method: nonlinear least squares (`scipy.optimize.least_squares`) on the log of each lot's
    average cost, log(cost/Q) = log T1 + log(S(F, L; b)/Q), S the exact lot sum of the curve,
    so lots of any size and position weigh alike in relative terms. Started from the
    textbook log-linear regression of log average cost on log lot midpoint. O(lots) per
    iteration.

    >>> truth = LearningCurve(50e6, 0.85)
    >>> fit = fit_curve([(1, 5, truth.lot_cost(1, 5)), (6, 20, truth.lot_cost(6, 20))])
    >>> round(fit.curve.slope, 9), round(fit.curve.first_unit_cost_jpy / 1e6, 6)
    (0.85, 50.0)
    """
    kind = _curve_kind(kind)
    first, last, cost = _check_lots(lots)
    size = last - first + 1
    log_average = np.log(cost / size)
    lot_sum = _wright_lot_sum if kind is CurveKind.CUMULATIVE_AVERAGE else _power_sum
    pairs = list(zip(first.tolist(), last.tolist(), strict=True))

    def residuals(params: FloatArray) -> FloatArray:
        log_t1, b = params
        model = [math.log(lot_sum(lo, hi, b)) for lo, hi in pairs]
        return np.asarray(log_average - log_t1 - (np.array(model) - np.log(size)), np.float64)

    # Wright curves need b > -1 (slope > 0.5); unit curves are kept above slope 2^-10.
    b_low = -1.0 + 1e-9 if kind is CurveKind.CUMULATIVE_AVERAGE else -10.0
    midpoints = np.array([_lot_midpoint(lo, hi, math.log2(0.85)) for lo, hi in pairs])
    b_start, log_t1_start = np.polyfit(np.log(midpoints), log_average, 1)
    b_start = float(np.clip(b_start, b_low + 1e-3, -1e-3))
    result = least_squares(
        residuals,
        np.array([log_t1_start, b_start]),
        bounds=([-np.inf, b_low], [np.inf, 0.0]),
        jac="3-point",
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
    )
    log_t1, b = (float(v) for v in result.x)
    resid = np.asarray(result.fun, dtype=np.float64)
    n = len(pairs)
    ssr = float(resid @ resid)
    sst = float(np.sum((log_average - log_average.mean()) ** 2))
    if n > 2:
        jac = np.asarray(result.jac, dtype=np.float64)
        cov = np.linalg.pinv(jac.T @ jac) * ssr / (n - 2)
        se_log_t1, se_b = (math.sqrt(max(float(v), 0.0)) for v in np.diag(cov))
    else:
        se_log_t1 = se_b = math.nan
    slope = min(2.0**b, 1.0)
    curve = LearningCurve(math.exp(log_t1), slope, kind)
    return CurveFit(
        curve=curve,
        slope_se=slope * math.log(2.0) * se_b,
        first_unit_cost_se_jpy=curve.first_unit_cost_jpy * se_log_t1,
        r_squared=1.0 - ssr / sst if sst > 0.0 else 1.0,
        residuals=tuple(float(r) for r in resid),
        n_lots=n,
        slope_at_bound=bool(result.active_mask[1] != 0),
    )


@dataclass(frozen=True)
class ReferenceSlope:
    """A typical learning slope for a domain, from `learning_curves.csv`, with its source."""

    domain: str
    slope_min: float
    slope_max: float
    source_url: str
    source: str


def reference_slopes() -> pl.DataFrame:
    """The typical slopes shipped in `learning_curves.csv` (rows with measure "slope").

    Columns: domain, value_min_frac, value_max_frac (the slope range), note, source_url,
    source_desc, confidence. Rows stating a learning *rate* or a cost reduction per doubling
    are left out; `kiban.reference.load("learning_curves")` has them.

    >>> reference_slopes().filter(domain="aerospace")["value_min_frac"].item()
    0.85
    """
    return (
        load_reference("learning_curves")
        .filter(pl.col("measure") == "slope")
        .select(
            "domain",
            "value_min_frac",
            "value_max_frac",
            "note",
            "source_url",
            "source_desc",
            "confidence",
        )
    )


def slope_for(domain: str) -> ReferenceSlope:
    """The typical slope range for `domain` (case-insensitive), e.g. "aerospace" or
    "shipbuilding"; an unknown domain raises `EconError` listing the known ones."""
    table = reference_slopes()
    wanted = domain.strip().casefold()
    for row in table.iter_rows(named=True):
        if row["domain"].casefold() == wanted:
            return ReferenceSlope(
                domain=row["domain"],
                slope_min=row["value_min_frac"],
                slope_max=row["value_max_frac"],
                source_url=row["source_url"],
                source=row["source_desc"] or "",
            )
    known = "; ".join(table["domain"].to_list())
    raise EconError(f"no reference learning slope for domain {domain!r}; known domains: {known}")


# --- exact sums ------------------------------------------------------------------------------


def _power_integral(lo: Any, hi: Any, b: float) -> Any:
    """integral_lo^hi x^b dx, written with expm1 and log1p so that it keeps its precision for
    short spans and for b near -1 (where it tends to ln(hi/lo))."""
    a = b + 1.0
    log_ratio = np.log1p((hi - lo) / lo)
    if a == 0.0:
        return log_ratio
    return lo**a * np.expm1(a * log_ratio) / a


def _euler_maclaurin(lo: Any, hi: Any, b: float) -> Any:
    """sum_{k=lo..hi} k^b for lo >= _HEAD: integral + end terms + Bernoulli corrections
    sum_j B_2j/(2j)! (f^(2j-1)(hi) - f^(2j-1)(lo)), with f^(m)(x) = b(b-1)..(b-m+1) x^(b-m)."""
    total = _power_integral(lo, hi, b) + 0.5 * (lo**b + hi**b)
    falling = b  # b(b-1)...(b-m+1) for m = 2j - 1
    for j, coeff in enumerate(_EM_COEFFS, start=1):
        m = 2 * j - 1
        total = total + coeff * falling * (hi ** (b - m) - lo ** (b - m))
        falling *= (b - m) * (b - m - 1)
    return total


def _power_sum(first: int, last: int, b: float) -> float:
    """sum_{k=first..last} k^b to a few ulps, in O(min(last - first, _HEAD)) time."""
    head_end = min(last, _HEAD - 1)
    head = math.fsum(k**b for k in range(first, head_end + 1))
    start = max(first, _HEAD)
    tail = float(_euler_maclaurin(float(start), float(last), b)) if last >= start else 0.0
    return head + tail


def _cumulative_power_sum(n: FloatArray, b: float) -> FloatArray:
    """sum_{k=1..n} k^b for each n of an array of whole numbers >= 0."""
    prefix = np.concatenate(([0.0], np.cumsum(np.arange(1.0, _HEAD) ** b)))
    head = prefix[np.minimum(n, _HEAD - 1).astype(np.int64)]
    far = n >= _HEAD
    tail = np.zeros_like(n)
    tail[far] = _euler_maclaurin(float(_HEAD), n[far], b)
    return np.asarray(head + tail, dtype=np.float64)


def _wright_lot_sum(first: int, last: int, b: float) -> float:
    """L^(b+1) - (F-1)^(b+1), without the cancellation of that subtraction for a short lot."""
    a = b + 1.0
    if first == 1:
        return float(last**a)
    return float(-(last**a) * math.expm1(a * math.log1p(-(last - first + 1) / last)))


def _lot_midpoint(first: int, last: int, b: float) -> float:
    lo, size = first - 0.5, last - first + 1
    hi = lo + size
    if abs(b) < 2e-5:
        # log(average)/b loses precision as b -> 0. It is the cumulant series of ln x, x
        # uniform on [lo, hi]: mean + b var / 2 + O(b^2), here within 2e-10 of it.
        mean = math.log(hi) + lo / size * math.log1p(size / lo) - 1.0
        square = (hi * (math.log(hi) ** 2 - 2 * math.log(hi) + 2)) - (
            lo * (math.log(lo) ** 2 - 2 * math.log(lo) + 2)
        )
        return math.exp(mean + b * max(square / size - mean**2, 0.0) / 2)
    return math.exp((math.log(_power_integral(lo, hi, b)) - math.log(size)) / b)


# --- validation ------------------------------------------------------------------------------


def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and math.isfinite(float(value))


def _curve_kind(value: Any) -> CurveKind:
    try:
        return CurveKind(value)
    except ValueError:
        known = ", ".join(repr(k.value) for k in CurveKind)
        raise EconError(f"kind {value!r} is not a curve kind; use one of {known}") from None


def _check_positive(name: str, value: object, what: str) -> None:
    if not _is_real(value) or float(value) <= 0.0:  # type: ignore[arg-type]
        raise EconError(f"{name} {value!r} must be a finite number > 0 ({what})")


def _as_units(name: str, value: object, *, minimum: float, whole: bool) -> FloatArray:
    try:
        units = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise EconError(f"{name} {value!r} is not a number of units") from None
    bad = ~np.isfinite(units) | (units < minimum)
    if whole:
        bad |= units != np.round(units)
    if bad.any():
        worst = units[bad].flat[0]
        rule = f"a whole number >= {minimum:g}" if whole else f"a number >= {minimum:g}"
        raise EconError(
            f"{name} {worst:g} is not allowed: a unit count must be {rule}"
            + (" (units are numbered from 1, the first unit built)" if minimum == 1.0 else "")
        )
    return units


def _lot_units(first: object, last: object) -> tuple[int, int]:
    first_unit = int(_as_units("first unit", first, minimum=1.0, whole=True))
    last_unit = int(_as_units("last unit", last, minimum=1.0, whole=True))
    if last_unit < first_unit:
        raise EconError(f"last unit {last_unit} is before first unit {first_unit}")
    return first_unit, last_unit


def _shaped(like: Any, values: FloatArray) -> float | FloatArray:
    """A float for a scalar input, an array for an array input."""
    return float(values) if np.ndim(like) == 0 else values


def _check_lots(lots: LotRows) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    if isinstance(lots, pl.DataFrame):
        missing = [c for c in ("first_unit", "last_unit", "cost_jpy") if c not in lots.columns]
        if missing:
            raise EconError(
                f"lot table lacks column(s) {', '.join(missing)}; "
                "it needs first_unit, last_unit, cost_jpy"
            )
        rows: list[Any] = list(lots.select("first_unit", "last_unit", "cost_jpy").iter_rows())
    else:
        rows = list(lots)
    checked: list[tuple[int, int, float]] = []
    for i, row in enumerate(rows):
        try:
            first_raw, last_raw, cost = row
        except (TypeError, ValueError):
            raise EconError(
                f"lot {i} is {row!r}; each lot is (first_unit, last_unit, cost_jpy)"
            ) from None
        try:
            first, last = _lot_units(first_raw, last_raw)
            _check_positive("cost_jpy", cost, "the lot's total cost in yen")
        except EconError as error:
            raise EconError(f"lot {i} {tuple(row)!r}: {error}") from None
        checked.append((first, last, float(cost)))
    if len(checked) < 2:
        raise EconError(
            f"fit_curve needs at least 2 lots to fit a slope and a first-unit cost; "
            f"got {len(checked)}"
        )
    order = sorted(range(len(checked)), key=lambda i: checked[i][0])
    for i, j in itertools.pairwise(order):
        if checked[j][0] <= checked[i][1]:
            raise EconError(
                f"lots {i} (units {checked[i][0]}..{checked[i][1]}) and {j} (units "
                f"{checked[j][0]}..{checked[j][1]}) overlap: each unit belongs to one lot"
            )
    firsts, lasts, costs = zip(*checked, strict=True)
    return np.array(firsts, dtype=np.int64), np.array(lasts, dtype=np.int64), np.array(costs)


def lot_table(learning: LearningCurve, units: int, lot_size: int) -> pl.DataFrame:
    """Units 1..`units` of `learning` in lots of `lot_size`, one row per lot: first_unit,
    last_unit, lot_cost_jpy (exact), lot_cost_midpoint_jpy and midpoint_error_frac (the
    approximation beside it), average_unit_cost_jpy, last_unit_cost_jpy, cumulative_cost_jpy
    and cumulative_average_jpy (through the lot's last unit). EconError for fewer than 1."""
    if units < 1 or lot_size < 1:
        raise EconError(f"units {units} and lot size {lot_size} must be >= 1")
    rows = []
    for first in range(1, units + 1, lot_size):
        last = min(units, first + lot_size - 1)
        exact = learning.lot_cost(first, last)
        midpoint = learning.lot_cost(first, last, method="midpoint")
        rows.append(
            {
                "first_unit": first,
                "last_unit": last,
                "lot_cost_jpy": exact,
                "lot_cost_midpoint_jpy": midpoint,
                "midpoint_error_frac": midpoint / exact - 1,
                "average_unit_cost_jpy": exact / (last - first + 1),
                "last_unit_cost_jpy": float(learning.unit_cost(last)),
                "cumulative_cost_jpy": float(learning.cumulative_cost(last)),
                "cumulative_average_jpy": float(learning.average_cost(last)),
            }
        )
    return pl.DataFrame(rows)
