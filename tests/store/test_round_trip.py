"""Whatever valid values a dataset holds come back from the store as they went in."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.store import Store
from tests.samples import sorted_by_key

texts = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=20)
ids = texts.map(str.strip).filter(bool)
numbers = st.one_of(
    st.none(), st.floats(min_value=0, max_value=1e300, allow_nan=False, allow_infinity=False)
)
firm_rows = st.fixed_dictionaries(
    {
        "firm_id": ids,
        "name": texts.filter(lambda t: t.strip() != ""),
        "country": st.sampled_from(["JP", "US", "KR", "FR"]),
        "employees": st.one_of(st.none(), st.integers(0, 2**62)),
        "revenue_jpy": numbers,
        "operating_margin": st.one_of(st.none(), st.floats(-1, 1)),
        "has_successor": st.one_of(st.none(), st.booleans()),
        "observed_at": st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1))),
        "note": st.one_of(st.none(), texts),
    }
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(firm_rows, min_size=1, max_size=8, unique_by=lambda r: r["firm_id"]))
def test_firms_round_trip_exactly(store: Store, rows: list[dict[str, object]]) -> None:
    frame = pl.DataFrame(
        rows,
        schema={
            "firm_id": pl.String,
            "name": pl.String,
            "country": pl.String,
            "employees": pl.Int64,
            "revenue_jpy": pl.Float64,
            "operating_margin": pl.Float64,
            "has_successor": pl.Boolean,
            "observed_at": pl.Date,
            "note": pl.String,
        },
    )
    dataset = Dataset.from_frames({"firms": frame})

    store.import_dataset(dataset, replace=True)

    held = store.dataset()
    want = sorted_by_key(dataset)
    if frame.height:
        assert held.tables["firms"].equals(want["firms"])
    else:
        assert held.tables == {}
    assert not store.import_dataset(dataset).changed
