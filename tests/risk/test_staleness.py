"""Staleness: a supply observed more than 13 months (396 days) before the analysis is stale."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.errors import RiskError
from kiban.network import SupplyNetwork
from kiban.reference import load
from kiban.risk.staleness import (
    DAYS_PER_MONTH,
    DEFAULT_MAX_AGE_DAYS,
    STALE_SCHEMA,
    DataAge,
    data_age,
    stale_supplies,
)

AS_OF = dt.date(2026, 11, 25)


def network(
    observed: Sequence[dt.date | None], items: Sequence[str | None] | None = None
) -> SupplyNetwork:
    """One supply row per date, from S<k> to customer C (item-level when `items` says so)."""
    n = len(observed)
    supplies = pl.DataFrame(
        {
            "supplier_id": [f"S{k}" for k in range(n)],
            "customer_id": ["C"] * n,
            "item_id": items or [None] * n,
            "observed_at": observed,
        },
        schema_overrides={"item_id": pl.String, "observed_at": pl.Date},
    )
    ids = ["C", *(f"S{k}" for k in range(n))]
    frames = {
        "firms": pl.DataFrame({"firm_id": ids, "name": ids, "country": ["JP"] * len(ids)}),
        "supplies": supplies,
    }
    if items:
        names = sorted({i for i in items if i})
        frames["items"] = pl.DataFrame({"item_id": names, "name": names, "kind": "component"})
    return SupplyNetwork.build(Dataset.from_frames(frames))


def days_ago(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


def test_the_default_is_the_published_thirteen_month_half_life_of_supplier_links() -> None:
    stats = load("production_network_stats")
    half_life = stats.filter(pl.col("statistic") == "link_half_life")
    assert half_life.select("value_min", "unit").row(0) == (13, "months")
    assert DEFAULT_MAX_AGE_DAYS == round(13 * DAYS_PER_MONTH) == 396


def test_exactly_the_limit_is_fresh_and_one_day_more_is_stale() -> None:
    net = network([days_ago(396), days_ago(397), days_ago(0), None])
    age = data_age(net, as_of=AS_OF)
    assert (age.observed, age.unknown, age.stale) == (3, 1, 1)
    stale = stale_supplies(net, as_of=AS_OF)
    assert stale.rows() == [("S1", "C", None, days_ago(397), 397)]
    assert stale.schema == STALE_SCHEMA


def test_the_limit_is_a_parameter() -> None:
    net = network([days_ago(30), days_ago(31)])
    assert data_age(net, as_of=AS_OF, max_age_days=30).stale == 1
    assert data_age(net, as_of=AS_OF, max_age_days=0).stale == 2
    assert stale_supplies(net, as_of=AS_OF, max_age_days=29).get_column("age_days").to_list() == [
        31,
        30,
    ]


def test_observations_after_the_analysis_date_are_fresh() -> None:
    net = network([AS_OF + dt.timedelta(days=10)])
    assert data_age(net, as_of=AS_OF).stale == 0
    assert stale_supplies(net, as_of=AS_OF).height == 0


def test_undated_supplies_are_counted_apart_and_never_listed_as_stale() -> None:
    net = network([None, None])
    age = data_age(net, as_of=AS_OF)
    assert age == DataAge(AS_OF, 0, 2, None, None, None, 0, DEFAULT_MAX_AGE_DAYS)
    assert age.describe() == "no supply link has an observation date (2 undated)"
    assert stale_supplies(net, as_of=AS_OF).height == 0


def test_oldest_median_newest_and_the_median_is_an_observed_date() -> None:
    dates = [dt.date(2024, 1, 1), dt.date(2022, 4, 1), dt.date(2025, 3, 31), dt.date(2024, 2, 10)]
    age = data_age(network(dates), as_of=AS_OF)
    assert (age.oldest, age.median, age.newest) == (
        dt.date(2022, 4, 1),
        dt.date(2024, 1, 1),  # the lower of the two middle dates
        dt.date(2025, 3, 31),
    )


def test_rows_restrict_the_count_to_some_supplies() -> None:
    net = network([days_ago(500), days_ago(10), None, days_ago(400)])
    age = data_age(net, as_of=AS_OF, rows=[1, 2, 3])
    assert (age.observed, age.unknown, age.stale, age.oldest) == (2, 1, 1, days_ago(400))
    assert stale_supplies(net, as_of=AS_OF, rows=[0, 1]).get_column("supplier_id").to_list() == [
        "S0"
    ]
    with pytest.raises(RiskError, match="supply row indices"):
        data_age(net, as_of=AS_OF, rows=[4])


def test_stale_item_level_supplies_keep_their_item_and_come_oldest_first() -> None:
    net = network([days_ago(400), days_ago(900), days_ago(1)], items=["X", "Y", None])
    assert stale_supplies(net, as_of=AS_OF).select("supplier_id", "item_id").rows() == [
        ("S1", "Y"),
        ("S0", "X"),
    ]


def test_describe_is_one_line_with_dates_counts_share_and_limit() -> None:
    age = DataAge(
        as_of=AS_OF,
        observed=54_805,
        unknown=12,
        oldest=dt.date(2022, 4, 1),
        median=dt.date(2024, 2, 10),
        newest=dt.date(2025, 3, 31),
        stale=1_234,
        max_age_days=396,
    )
    assert age.describe() == (
        "data observed 2022-04-01 .. 2025-03-31 (median 2024-02-10); 1,234 of 54,817 supply "
        "links (2.3%) older than 13 months as of 2026-11-25; 12 undated"
    )
    fresh = data_age(network([days_ago(3)]), as_of=AS_OF, max_age_days=100)
    assert fresh.describe().endswith(
        "0 of 1 supply links (0.0%) older than 100 days as of 2026-11-25"
    )


def test_an_empty_network_has_no_data_age() -> None:
    net = SupplyNetwork.build(Dataset.from_frames({}))
    age = data_age(net, as_of=AS_OF)
    assert (age.supplies, age.stale_share, age.describe()) == (0, None, "no supply links")
    assert stale_supplies(net, as_of=AS_OF).schema == STALE_SCHEMA


def test_a_negative_limit_is_refused() -> None:
    with pytest.raises(RiskError, match="0 days or more"):
        data_age(network([]), as_of=AS_OF, max_age_days=-1)
    with pytest.raises(RiskError, match="0 days or more"):
        stale_supplies(network([]), as_of=AS_OF, max_age_days=-1)


@settings(max_examples=100, deadline=None)
@given(
    ages=st.lists(st.one_of(st.none(), st.integers(-30, 2000)), max_size=30),
    limit=st.integers(0, 800),
)
def test_counts_agree_with_plain_python(ages: list[int | None], limit: int) -> None:
    net = network([None if a is None else days_ago(a) for a in ages])
    age = data_age(net, as_of=AS_OF, max_age_days=limit)
    known = sorted(days_ago(a) for a in ages if a is not None)
    assert age.observed == len(known)
    assert age.unknown == ages.count(None)
    assert age.stale == sum(1 for a in ages if a is not None and a > limit)
    assert stale_supplies(net, as_of=AS_OF, max_age_days=limit).height == age.stale
    if known:
        assert (age.oldest, age.newest) == (known[0], known[-1])
        assert age.median == statistics.median_low(known)
