"""Weighted factors combined into a 1..5 score, with every contribution kept.

The fragility and the criticality of a firm are both built here the same way, after the US DoD
fragility-and-criticality (FaC) method: each factor is scored 1 (low) .. 5 (high), and the
firm's score is the weighted mean of the factors the data holds for it. A factor the data does
not hold for a firm (a missing margin, an unknown region) is *missing*: it gets no score and
its weight is shared among the firm's other factors in proportion to theirs, so the score is
the weighted mean over what is known, never a guess. `coverage` reports the share of the
configured weight that was known.

So for each firm, with `w` the configured weights and `s` the factor scores,
`weight_used_f = w_f / sum(w over known factors)`, `contribution_f = weight_used_f * s_f`, and
the score is the sum of the contributions (before rounding to the 1..5 `level`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

FloatArray = npt.NDArray[np.float64]

FACTOR_SCHEMA = pl.Schema(
    {
        "factor": pl.String(),
        "value": pl.Float64(),
        "measure": pl.String(),
        "score": pl.Float64(),
        "weight": pl.Float64(),
        "weight_used": pl.Float64(),
        "contribution": pl.Float64(),
    }
)
"""One row per factor of one firm, as `explain` shows them."""


@dataclass(frozen=True, eq=False)
class FactorValues:
    """One factor for every firm: `value` (NaN when missing) and its `score` 1..5 (NaN too).

    `measure` says in words what `value` is (`defense_revenue_jpy / revenue_jpy`).
    """

    name: str
    weight: float
    value: FloatArray
    score: FloatArray
    measure: str


def combine(prefix: str, factors: Sequence[FactorValues]) -> pl.DataFrame:
    """The combined score of every firm, with each factor's value, score, weight and share.

    Returns, one row per firm in the order of the arrays: `{prefix}` (the score, 1..5, null
    when no factor with a weight is known), `{prefix}_level` (the score rounded half up, 1..5),
    `{prefix}_coverage` (share of the configured weight whose factor is known, 0..1), then
    for each factor f: `f_value`, `f_score`, `f_weight` (the weight used, 0 when missing) and
    `f_contribution` (weight used x score; they sum to the score). O(firms x factors).

    >>> one = FactorValues("a", 3.0, np.array([0.1]), np.array([2.0]), "a")
    >>> gone = FactorValues("b", 1.0, np.array([np.nan]), np.array([np.nan]), "b")
    >>> row = combine("x", [one, gone]).row(0, named=True)
    >>> row["x"], row["x_coverage"], row["a_weight"], row["b_contribution"]
    (2.0, 0.75, 1.0, 0.0)
    """
    scores = np.vstack([f.score for f in factors])
    known = ~np.isnan(scores)
    weights = np.array([f.weight for f in factors], dtype=np.float64)[:, None]
    known_weight = np.where(known, weights, 0.0)
    total = known_weight.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        used = np.where(total > 0, known_weight / total, 0.0)
    contributions = np.where(known, used * np.nan_to_num(scores), 0.0)
    # Clipped only against rounding (a weighted mean of scores in 1..5 lies in 1..5).
    score = np.where(total > 0, np.clip(contributions.sum(axis=0), 1.0, 5.0), np.nan)
    configured = float(weights.sum())
    columns: dict[str, pl.Series] = {
        prefix: pl.Series(prefix, score, dtype=pl.Float64).fill_nan(None),
        f"{prefix}_level": pl.Series(np.floor(score + 0.5)).fill_nan(None).cast(pl.Int8),
        f"{prefix}_coverage": pl.Series(total / configured if configured else total),
    }
    for i, factor in enumerate(factors):
        columns[f"{factor.name}_value"] = pl.Series(factor.value).fill_nan(None)
        columns[f"{factor.name}_score"] = pl.Series(factor.score).fill_nan(None)
        columns[f"{factor.name}_weight"] = pl.Series(used[i])
        columns[f"{factor.name}_contribution"] = pl.Series(contributions[i])
    return pl.DataFrame(columns)


def factor_rows(
    scores: pl.DataFrame, factors: Sequence[tuple[str, float, str]], row: int
) -> pl.DataFrame:
    """The factors of firm `row` of a `combine` frame as rows (`FACTOR_SCHEMA`).

    `factors` gives each factor's name, configured weight and measure.
    """
    record = scores.row(row, named=True)
    return pl.DataFrame(
        [
            {
                "factor": name,
                "value": record[f"{name}_value"],
                "measure": measure,
                "score": record[f"{name}_score"],
                "weight": weight,
                "weight_used": record[f"{name}_weight"],
                "contribution": record[f"{name}_contribution"],
            }
            for name, weight, measure in factors
        ],
        schema=FACTOR_SCHEMA,
    )
