"""Sourcing: per (customer, item), how many makers, where, and whether they are leaving."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.errors import RiskError
from kiban.network import SupplyNetwork
from kiban.reference.programs import generate_programs
from kiban.risk.sourcing import SOURCING_SCHEMA, sourcing

# firm: country, region, status
FIRMS = {
    "P": ("JP", "Aichi", "active"),
    "A": ("JP", "Aichi", "active"),
    "B": ("JP", "Aichi", "active"),
    "C": ("JP", "Gifu", "active"),
    "W": ("JP", "Osaka", "withdrawing"),
    "X": ("JP", "Osaka", "exited"),
    "U": ("US", None, "active"),
    "K": ("KR", "Aichi", "active"),  # a region named like a Japanese prefecture, abroad
    "N": ("JP", None, "active"),
}

D1, D2 = dt.date(2024, 1, 1), dt.date(2023, 6, 1)

# supplier, customer, item, annual_value_jpy, observed_at
SUPPLIES: list[tuple[str, str, str | None, float | None, dt.date | None]] = [
    ("A", "P", "SOLE", 10.0, D1),  # nobody else makes SOLE
    ("B", "P", "SINGLE", 20.0, D1),  # P uses only B ...
    ("C", "A", "SINGLE", 5.0, D2),  # ... though C makes SINGLE too
    ("U", "P", "FOREIGN", 1.0, None),
    ("K", "P", "FOREIGN", 2.0, D1),
    ("A", "P", "REGION", 3.0, D1),  # both of P's sources in Aichi
    ("B", "P", "REGION", 4.0, D1),
    ("A", "C", "REGION", 3.0, D1),  # Aichi, JP and Aichi, KR are different places
    ("K", "C", "REGION", 3.0, D1),
    ("W", "P", "LEAVING", 1.0, D1),
    ("X", "P", "LEAVING", 1.0, D2),
    ("X", "P", "GONE", None, D1),
    ("N", "P", "NOWHERE", 1.0, D1),  # N's region is unknown
    ("A", "P", "NOWHERE", 1.0, D1),
    ("A", "P", "TWICE", 1.0, D1),  # the same source reported twice
    ("A", "P", "TWICE", 2.0, D2),
    ("A", "P", None, 99.0, D2),  # a firm-level row: not sourcing of an item
]
ITEMS = sorted({i for _, _, i, _, _ in SUPPLIES if i})


def dataset(
    firms: dict[str, tuple[str, str | None, str]] = FIRMS,
    supplies: Sequence[tuple[str, str, str | None, float | None, dt.date | None]] = SUPPLIES,
    items: list[str] = ITEMS,
) -> Dataset:
    ids = list(firms)
    return Dataset.from_frames(
        {
            "firms": pl.DataFrame(
                {
                    "firm_id": ids,
                    "name": ids,
                    "country": [firms[f][0] for f in ids],
                    "region": [firms[f][1] for f in ids],
                    "status": [firms[f][2] for f in ids],
                },
                schema_overrides={"region": pl.String},
            ),
            "items": pl.DataFrame(
                {
                    "item_id": items,
                    "name": items,
                    "kind": "component",
                    "custom": [k % 2 == 0 for k in range(len(items))],
                    "qualification_days": [100 * k for k in range(len(items))],
                }
            ),
            "supplies": pl.DataFrame(
                supplies,
                schema={
                    "supplier_id": pl.String,
                    "customer_id": pl.String,
                    "item_id": pl.String,
                    "annual_value_jpy": pl.Float64,
                    "observed_at": pl.Date,
                },
                orient="row",
            ),
        }
    )


@pytest.fixture(scope="module")
def table() -> dict[tuple[str, str], dict[str, Any]]:
    frame = sourcing(SupplyNetwork.build(dataset()), as_of=dt.date(2025, 1, 31))
    assert frame.schema == SOURCING_SCHEMA
    return {(r["customer_id"], r["item_id"]): r for r in frame.iter_rows(named=True)}


def flags(row: dict[str, Any]) -> set[str]:
    names = ("sole_source", "single_source", "no_source", "foreign_only", "single_region")
    return {name for name in names if row[name]}


def test_one_row_per_customer_and_item_of_item_level_supplies(
    table: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert len(table) == 10
    assert ("P", "TWICE") in table
    assert not any(item is None for _, item in table)


def test_the_only_maker_anywhere_is_a_sole_source(
    table: dict[tuple[str, str], dict[str, Any]],
) -> None:
    row = table["P", "SOLE"]
    assert flags(row) == {"sole_source"}
    assert (row["sources"], row["network_sources"], row["region"]) == (1, 1, "Aichi")


def test_one_source_used_while_others_make_it_is_a_single_source(
    table: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert flags(table["P", "SINGLE"]) == {"single_source"}
    assert flags(table["A", "SINGLE"]) == {"single_source"}
    assert table["P", "SINGLE"]["network_sources"] == 2


def test_sources_all_abroad_are_foreign_only(
    table: dict[tuple[str, str], dict[str, Any]],
) -> None:
    row = table["P", "FOREIGN"]
    assert flags(row) == {"foreign_only"}
    assert row["countries"] == ["KR", "US"]
    assert row["region"] is None  # U's region is unknown


def test_sources_in_one_region_of_one_country(
    table: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert flags(table["P", "REGION"]) == {"single_region"}
    assert table["P", "REGION"]["region"] == "Aichi"
    # A in Aichi, Japan and K in "Aichi", Korea are two places.
    assert flags(table["C", "REGION"]) == set()
    assert table["C", "REGION"]["region"] is None


def test_a_source_without_a_region_may_be_anywhere(
    table: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert table["P", "NOWHERE"]["region"] is None
    assert not table["P", "NOWHERE"]["single_region"]


def test_withdrawing_sources_still_produce_and_exited_ones_do_not(
    table: dict[tuple[str, str], dict[str, Any]],
) -> None:
    row = table["P", "LEAVING"]
    assert (row["sources"], row["producing_sources"]) == (2, 1)
    assert (row["withdrawing_sources"], row["exited_sources"]) == (1, 1)
    assert flags(row) == {"sole_source"}  # W is the only maker left, and it is leaving
    assert row["countries"] == ["JP"]  # X no longer counts


def test_an_item_whose_sources_all_exited_has_no_source(
    table: dict[tuple[str, str], dict[str, Any]],
) -> None:
    row = table["P", "GONE"]
    assert flags(row) == {"no_source"}
    assert (row["producing_sources"], row["network_sources"], row["countries"]) == (0, 0, [])
    assert row["annual_value_jpy"] is None  # no row says what it is worth


def test_a_source_reported_twice_counts_once_and_its_values_add_up(
    table: dict[tuple[str, str], dict[str, Any]],
) -> None:
    row = table["P", "TWICE"]
    assert (row["sources"], row["annual_value_jpy"], row["observed_at"]) == (1, 3.0, D2)


def test_the_item_facts_and_the_age_of_the_oldest_observation(
    table: dict[tuple[str, str], dict[str, Any]],
) -> None:
    k = ITEMS.index("REGION")
    row = table["P", "REGION"]
    assert (row["qualification_days"], row["custom"]) == (100 * k, k % 2 == 0)
    assert (row["age_days"], row["stale"]) == ((dt.date(2025, 1, 31) - D1).days, False)
    assert (table["P", "TWICE"]["age_days"], table["P", "TWICE"]["stale"]) == (610, True)
    # FOREIGN has one undated row; its oldest dated observation stands.
    assert table["P", "FOREIGN"]["observed_at"] == D1


def test_without_as_of_there_is_no_age() -> None:
    frame = sourcing(SupplyNetwork.build(dataset()))
    assert frame.get_column("age_days").null_count() == frame.height
    assert frame.get_column("stale").null_count() == frame.height


def test_the_home_country_is_a_parameter() -> None:
    frame = sourcing(SupplyNetwork.build(dataset()), home_country="US")
    foreign_only = frame.filter("foreign_only").get_column("item_id").to_list()
    assert "FOREIGN" not in foreign_only
    assert "SOLE" in foreign_only


@pytest.mark.parametrize("code", ["XX", "jp", "JPN", ""])
def test_a_home_country_that_is_not_iso_alpha_2_is_refused(code: str) -> None:
    with pytest.raises(RiskError, match="ISO 3166-1 alpha-2"):
        sourcing(SupplyNetwork.build(dataset()), home_country=code)


def test_a_network_without_items_has_no_sourcing() -> None:
    firm_level = [s for s in SUPPLIES if s[2] is None]
    frame = sourcing(SupplyNetwork.build(dataset(supplies=firm_level)))
    assert frame.height == 0
    assert frame.schema == SOURCING_SCHEMA
    assert sourcing(SupplyNetwork.build(Dataset.from_frames({}))).schema == SOURCING_SCHEMA


def test_the_generated_programs_have_sole_and_single_sources() -> None:
    net = SupplyNetwork.build(generate_programs(1, scale=0.05))
    frame = sourcing(net, as_of=dt.date(2025, 4, 1))
    pairs = net.dataset.supplies.filter(pl.col("item_id").is_not_null())
    assert frame.height == pairs.select("customer_id", "item_id").n_unique()
    assert (
        frame.get_column("sources").sum()
        == pairs.select("customer_id", "item_id", "supplier_id").n_unique()
    )
    assert frame.get_column("sole_source").any()
    assert frame.get_column("single_source").any()


# Random small datasets against a plain-Python reading of the definitions.

NAMES = ["F0", "F1", "F2", "F3", "F4"]
firm_facts = st.tuples(
    st.sampled_from(["JP", "US", "CN"]),
    st.sampled_from(["Aichi", "Osaka", None]),
    st.sampled_from(["active", "active", "withdrawing", "exited"]),
)


@settings(max_examples=150, deadline=None)
@given(
    facts=st.lists(firm_facts, min_size=len(NAMES), max_size=len(NAMES)),
    links=st.lists(
        st.tuples(
            st.sampled_from(NAMES),
            st.sampled_from(NAMES),
            st.sampled_from(["I0", "I1", "I2", None]),
            st.one_of(st.none(), st.floats(0, 100, allow_nan=False)),
        ),
        max_size=20,
    ),
)
def test_counts_and_flags_agree_with_plain_python(
    facts: list[tuple[str, str | None, str]],
    links: list[tuple[str, str, str | None, float | None]],
) -> None:
    firms = dict(zip(NAMES, facts, strict=True))
    supplies = [(s, c, i, v, D1) for s, c, i, v in links]
    frame = sourcing(SupplyNetwork.build(dataset(firms, supplies, ["I0", "I1", "I2"])))
    got = {(r["customer_id"], r["item_id"]): r for r in frame.iter_rows(named=True)}
    assert got.keys() == {(c, i) for _, c, i, _, _ in supplies if i}

    def makes(firm: str) -> bool:
        return firms[firm][2] != "exited"

    for (customer, item), row in got.items():
        sources = {s for s, c, i, _, _ in supplies if (c, i) == (customer, item)}
        producing = {s for s in sources if makes(s)}
        anywhere = {s for s, _, i, _, _ in supplies if i == item and makes(s)}
        places = {(firms[s][0], firms[s][1]) for s in producing}
        one_place = len(places) == 1 and all(firms[s][1] for s in producing)
        values = [v for s, c, i, v, _ in supplies if (c, i) == (customer, item) and v is not None]
        assert row["sources"] == len(sources)
        assert row["producing_sources"] == len(producing)
        assert row["network_sources"] == len(anywhere)
        assert row["sole_source"] == (len(producing) == 1 and len(anywhere) == 1)
        assert row["single_source"] == (len(producing) == 1 and len(anywhere) > 1)
        assert row["no_source"] == (not producing)
        assert row["foreign_only"] == (
            bool(producing) and all(firms[s][0] != "JP" for s in producing)
        )
        assert row["region"] == (next(iter(places))[1] if one_place else None)
        assert row["single_region"] == (one_place and len(producing) >= 2)
        assert row["withdrawing_sources"] == sum(firms[s][2] == "withdrawing" for s in sources)
        assert row["exited_sources"] == len(sources) - len(producing)
        assert row["countries"] == sorted({firms[s][0] for s in producing})
        assert row["annual_value_jpy"] == (pytest.approx(sum(values)) if values else None)
