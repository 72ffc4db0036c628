"""How old the data behind a result is, and which supply links are too old to trust.

Supplier links churn fast: in the Hungarian VAT network they have a half-life of about 13
months and 55% vanish within a year (arXiv:2503.20594; `production_network_stats.csv`, rows
`link_half_life` and `links_vanishing_within_one_year_share`). Japan's only churn figure in the
reference data is slower, about half of links "disrupted or reformed from 2011 to 2016" (Goto
& Souma, RIETI DP 20-E-049, row `link_churn_share_2011_2016`), so 13 months is the cautious
default: a link observed longer ago than that has even odds of no longer existing.

Every function takes the date of the analysis (`as_of`) explicitly; none reads the clock, so
the same data and date give the same answer. The CLI passes today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from kiban.errors import RiskError
from kiban.network import SupplyNetwork

DAYS_PER_MONTH = 30.44
"""The mean Gregorian month (365.2425 / 12), rounded as commonly quoted."""

LINK_HALF_LIFE_MONTHS = 13
"""Published half-life of supplier links (Hungary, arXiv:2503.20594), in months."""

DEFAULT_MAX_AGE_DAYS = round(LINK_HALF_LIFE_MONTHS * DAYS_PER_MONTH)
"""396 days: a supply observed more than this many days before `as_of` is stale."""

_EPOCH = dt.date(1970, 1, 1)

STALE_SCHEMA = pl.Schema(
    {
        "supplier_id": pl.String(),
        "customer_id": pl.String(),
        "item_id": pl.String(),
        "observed_at": pl.Date(),
        "age_days": pl.Int32(),
    }
)


@dataclass(frozen=True)
class DataAge:
    """When the supplies behind a result were observed, and how many are stale.

    `observed` supplies carry an `observed_at` date, `unknown` ones do not (they are neither
    stale nor fresh). `oldest`, `median` (the lower median, so always an observed date) and
    `newest` are None when nothing is dated. `stale` counts supplies observed more than
    `max_age_days` before `as_of`; a date after `as_of` is fresh.
    """

    as_of: dt.date
    observed: int
    unknown: int
    oldest: dt.date | None
    median: dt.date | None
    newest: dt.date | None
    stale: int
    max_age_days: int

    @property
    def supplies(self) -> int:
        """Supplies considered, dated or not."""
        return self.observed + self.unknown

    @property
    def stale_share(self) -> float | None:
        """Stale supplies as a fraction of all supplies considered; None when there are none."""
        return self.stale / self.supplies if self.supplies else None

    def describe(self) -> str:
        """One line for a report footer.

        >>> DataAge(dt.date(2026, 11, 25), 54_805, 12, dt.date(2022, 4, 1), dt.date(2024, 2, 10),
        ...         dt.date(2025, 3, 31), 1_234, 396).describe()  # doctest: +NORMALIZE_WHITESPACE
        'data observed 2022-04-01 .. 2025-03-31 (median 2024-02-10); 1,234 of 54,817 supply
        links (2.3%) older than 13 months as of 2026-11-25; 12 undated'
        """
        if not self.supplies:
            return "no supply links"
        undated = f"{self.unknown:,} undated"
        if not self.observed:
            return f"no supply link has an observation date ({undated})"
        line = (
            f"data observed {self.oldest} .. {self.newest} (median {self.median}); "
            f"{self.stale:,} of {self.supplies:,} supply links ({self.stale / self.supplies:.1%})"
            f" older than {age_words(self.max_age_days)} as of {self.as_of}"
        )
        return f"{line}; {undated}" if self.unknown else line


def age_words(days: int) -> str:
    """`days` in whole months when it is a whole number of mean months, else in days.

    >>> age_words(396), age_words(365), age_words(30), age_words(100)
    ('13 months', '12 months', '1 month', '100 days')
    """
    months = round(days / DAYS_PER_MONTH)
    if months >= 1 and round(months * DAYS_PER_MONTH) == days:
        return f"{months} month{'s' if months > 1 else ''}"
    return f"{days:,} days"


def data_age(
    network: SupplyNetwork,
    *,
    as_of: dt.date,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    rows: npt.ArrayLike | None = None,
) -> DataAge:
    """How old the observations of `network`'s supplies are on `as_of`.

    `rows` restricts the count to those supply row indices (the rows behind one program, say);
    a row listed twice counts twice. A supply is stale when `as_of - observed_at` exceeds
    `max_age_days` (so exactly `max_age_days` old is not stale). O(m) for m rows, plus a
    partial sort for the median.
    """
    limit = _check_limit(max_age_days)
    days, is_dated = _observed_days(network, rows)
    dated = days[is_dated]
    ages = _days(as_of) - dated
    if not dated.size:
        oldest = median = newest = None
    else:
        lower_median = np.partition(dated, (dated.size - 1) // 2)[(dated.size - 1) // 2]
        oldest, median, newest = (_date(int(d)) for d in (dated.min(), lower_median, dated.max()))
    return DataAge(
        as_of=as_of,
        observed=int(dated.size),
        unknown=int(days.size - dated.size),
        oldest=oldest,
        median=median,
        newest=newest,
        stale=int(np.count_nonzero(ages > limit)),
        max_age_days=limit,
    )


def stale_supplies(
    network: SupplyNetwork,
    *,
    as_of: dt.date,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    rows: npt.ArrayLike | None = None,
) -> pl.DataFrame:
    """The supplies observed more than `max_age_days` before `as_of`, oldest first.

    Returns columns supplier_id, customer_id, item_id (null for a firm-level supply),
    observed_at and age_days (`as_of - observed_at`), sorted by age (oldest first), then
    dataset row. Undated supplies are not listed (`data_age` counts them). `rows` restricts
    the search to those supply row indices. O(m) plus a sort of the stale rows.
    """
    limit = _check_limit(max_age_days)
    selected = _rows(network, rows)
    supplies = network.dataset.supplies.select(
        "supplier_id", "customer_id", "item_id", "observed_at"
    )
    if selected is not None:
        supplies = supplies[selected]
    age = (pl.lit(as_of) - pl.col("observed_at")).dt.total_days().cast(pl.Int32)
    return (
        supplies.with_columns(age_days=age)
        .filter(pl.col("age_days") > limit)
        .sort("age_days", descending=True, maintain_order=True)
        .cast(STALE_SCHEMA)
    )


def _observed_days(
    network: SupplyNetwork, rows: npt.ArrayLike | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Days since 1970 of each selected supply's observation (0 if undated), and which are dated."""
    observed = network.dataset.supplies.get_column("observed_at").to_physical()
    days = observed.fill_null(0).to_numpy().astype(np.int64, copy=False)
    is_dated = observed.is_not_null().to_numpy()
    selected = _rows(network, rows)
    return (days, is_dated) if selected is None else (days[selected], is_dated[selected])


def _rows(network: SupplyNetwork, rows: npt.ArrayLike | None) -> npt.NDArray[np.int64] | None:
    if rows is None:
        return None
    selected = np.asarray(rows, dtype=np.int64).ravel()
    if selected.size and (selected.min() < 0 or selected.max() >= network.n_supplies):
        raise RiskError(f"supply row indices must lie in 0..{network.n_supplies - 1}")
    return selected


def _check_limit(max_age_days: int) -> int:
    if max_age_days < 0:
        raise RiskError(f"the maximum age of data must be 0 days or more, not {max_age_days}")
    return int(max_age_days)


def _days(day: dt.date) -> int:
    return (day - _EPOCH).days


def _date(days: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=days)
