"""Exposure: a program's chain by tier, by country and from the countries of concern."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from collections.abc import Sequence

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.errors import RiskError
from kiban.network import SupplyNetwork, program_supply_chain
from kiban.reference.programs import generate_programs
from kiban.risk.exposure import (
    BY_COUNTRY_SCHEMA,
    BY_TIER_SCHEMA,
    CONCERN_ITEMS_SCHEMA,
    PROGRAM_ROWS_SCHEMA,
    exposure,
    program_supply_rows,
)

COUNTRY = {"P": "JP", "A": "JP", "B": "US", "C": "CN", "D": "JP", "E": "CN"}
BOM = [("SYS", "ASM"), ("SYS", "ENG"), ("ASM", "PART"), ("PART", "ORE")]

# supplier, customer, item, annual_value_jpy. The program is SYS, made by P.
SUPPLIES = [
    ("A", "P", "ASM", 100.0),  # tier 1
    ("B", "P", "ENG", 200.0),  # tier 1, from the US
    ("C", "A", "PART", 10.0),  # tier 2, from China ...
    ("D", "A", "PART", 20.0),  # ... and from Japan
    ("A", "C", "ORE", 5.0),  # tier 3: A again, and a loop A -> C -> A
    ("E", "D", "ORE", 7.0),  # tier 3, only from China
    ("D", "B", "PART", 1000.0),  # B makes ENG for the program, which needs no PART
    ("D", "P", "PART", 1000.0),  # P makes SYS, which needs no PART directly
]


def dataset(
    supplies: Sequence[tuple[str, str, str, float | None]] = SUPPLIES,
    bom: list[tuple[str, str]] = BOM,
    country: dict[str, str] = COUNTRY,
    status: dict[str, str] | None = None,
    observed: Sequence[dt.date | None] | None = None,
) -> Dataset:
    firms = list(country)
    mentioned = {i for pair in bom for i in pair} | {s[2] for s in supplies}
    items = ["SYS", *sorted(mentioned - {"SYS"})]
    return Dataset.from_frames(
        {
            "firms": pl.DataFrame(
                {
                    "firm_id": firms,
                    "name": firms,
                    "country": [country[f] for f in firms],
                    "status": [(status or {}).get(f, "active") for f in firms],
                }
            ),
            "items": pl.DataFrame(
                {
                    "item_id": items,
                    "name": items,
                    "kind": ["system"] + ["component"] * (len(items) - 1),
                }
            ),
            "bom": pl.DataFrame(
                bom, schema=["parent_item_id", "child_item_id"], orient="row"
            ).with_columns(quantity=pl.lit(1.0)),
            "supplies": pl.DataFrame(
                supplies,
                schema={
                    "supplier_id": pl.String,
                    "customer_id": pl.String,
                    "item_id": pl.String,
                    "annual_value_jpy": pl.Float64,
                },
                orient="row",
            ).with_columns(
                observed_at=pl.Series(observed or [None] * len(supplies), dtype=pl.Date)
            ),
            "programs": pl.DataFrame(
                {"program_id": ["PRG"], "name": ["Program"], "item_id": ["SYS"], "prime_id": ["P"]}
            ),
        }
    )


def test_supply_rows_of_the_program_with_their_tiers() -> None:
    rows = program_supply_rows(SupplyNetwork.build(dataset()), "PRG")
    assert rows.schema == PROGRAM_ROWS_SCHEMA
    assert rows.rows() == [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3)]


def test_a_supply_needed_at_two_tiers_counts_at_the_shallowest() -> None:
    # A makes ASM for P (tier 1) and FRAME for B (tier 2); both need BOLT, which S delivers.
    bom = [("SYS", "ASM"), ("SYS", "HULL"), ("HULL", "FRAME"), ("ASM", "BOLT"), ("FRAME", "BOLT")]
    supplies = [
        ("A", "P", "ASM", 1.0),
        ("B", "P", "HULL", 1.0),
        ("A", "B", "FRAME", 1.0),
        ("S", "A", "BOLT", 1.0),
    ]
    ds = dataset(supplies=supplies, bom=bom, country={**COUNTRY, "S": "JP"})
    assert program_supply_rows(SupplyNetwork.build(ds), "PRG").rows() == [
        (0, 1),
        (1, 1),
        (2, 2),
        (3, 2),
    ]


def test_by_tier_counts_firms_at_their_shallowest_tier_and_value_at_each_rows_tier() -> None:
    result = exposure(SupplyNetwork.build(dataset()), "PRG")
    assert result.by_tier.schema == BY_TIER_SCHEMA
    assert result.by_tier.rows() == [
        # tier, firms, supply_links, value, foreign firms, foreign value
        (0, 1, 0, 0.0, 0, 0.0),  # the prime
        (1, 2, 2, 300.0, 1, 200.0),  # A, B
        (2, 2, 2, 30.0, 1, 10.0),  # C, D
        (3, 1, 2, 12.0, 1, 7.0),  # E; A's delivery of ORE counts here, A itself at tier 1
    ]
    assert (result.firms, result.supply_links, result.annual_value_jpy) == (6, 6, 342.0)
    assert (result.foreign_value_jpy, result.foreign_share) == (217.0, 217.0 / 342.0)
    assert (result.program_id, result.prime_id, result.home_country) == ("PRG", "P", "JP")


def test_by_country_counts_every_firm_of_the_chain_and_each_suppliers_value() -> None:
    result = exposure(SupplyNetwork.build(dataset()), "PRG")
    assert result.by_country.schema == BY_COUNTRY_SCHEMA
    assert result.by_country.rows() == [
        ("US", 1, 200.0, pytest.approx(200 / 342)),
        ("JP", 3, 125.0, pytest.approx(125 / 342)),  # P, A, D
        ("CN", 2, 17.0, pytest.approx(17 / 342)),
    ]


def test_dependence_on_the_countries_of_concern() -> None:
    concern = exposure(SupplyNetwork.build(dataset()), "PRG", countries_of_concern=["CN"]).concern
    assert (concern.countries, concern.firms, concern.annual_value_jpy) == (("CN",), 2, 17.0)
    assert concern.value_share == pytest.approx(17 / 342)
    # A's PART also comes from D in Japan; D's ORE only from E in China.
    assert concern.items_only_from_concern.schema == CONCERN_ITEMS_SCHEMA
    assert concern.items_only_from_concern.rows() == [("D", "ORE", 3, 1, ["CN"], 7.0)]


def test_an_exited_alternative_leaves_only_the_country_of_concern() -> None:
    ds = dataset(status={"D": "exited"})
    concern = exposure(SupplyNetwork.build(ds), "PRG", countries_of_concern=["CN"]).concern
    assert concern.items_only_from_concern.select("customer_id", "item_id").rows() == [
        ("A", "PART"),
        ("D", "ORE"),
    ]


def test_no_countries_of_concern_means_no_concern() -> None:
    concern = exposure(SupplyNetwork.build(dataset()), "PRG").concern
    assert (concern.countries, concern.firms, concern.annual_value_jpy) == ((), 0, 0.0)
    assert concern.items_only_from_concern.height == 0
    assert concern.value_share == 0.0


def test_the_home_country_decides_what_is_foreign() -> None:
    result = exposure(SupplyNetwork.build(dataset()), "PRG", home_country="US")
    assert result.foreign_value_jpy == 142.0
    assert [row[4] for row in result.by_tier.rows()] == [1, 1, 2, 1]


def test_data_age_of_the_programs_supplies_when_a_date_is_given() -> None:
    observed = [dt.date(2020, 1, 1)] + [dt.date(2025, 1, 1)] * 5 + [dt.date(2000, 1, 1)] * 2
    net = SupplyNetwork.build(dataset(observed=observed))
    assert exposure(net, "PRG").data_age is None
    age = exposure(net, "PRG", as_of=dt.date(2025, 6, 1)).data_age
    assert age is not None
    # The two unrelated supplies (observed in 2000) are not the program's.
    assert (age.observed, age.stale, age.oldest) == (6, 1, dt.date(2020, 1, 1))


def test_a_program_without_supplies_is_its_prime_alone() -> None:
    result = exposure(SupplyNetwork.build(dataset(supplies=[])), "PRG")
    assert result.by_tier.rows() == [(0, 1, 0, 0.0, 0, 0.0)]
    assert result.by_country.rows() == [("JP", 1, 0.0, None)]
    assert (result.foreign_share, result.concern.value_share) == (None, None)


def test_an_unknown_program_is_refused_with_the_known_ones() -> None:
    with pytest.raises(RiskError, match="no program 'NOPE'; the programs are: PRG"):
        exposure(SupplyNetwork.build(dataset()), "NOPE")


def test_a_program_whose_prime_is_missing_is_refused() -> None:
    ds = dataset()
    ds = Dataset.from_frames(
        {**ds.tables, "programs": ds.programs.with_columns(prime_id=pl.lit("GHOST"))}
    )
    with pytest.raises(RiskError, match="prime 'GHOST' is not among the firms"):
        exposure(SupplyNetwork.build(ds), "PRG")


@pytest.mark.parametrize("code", ["XX", "cn", "China"])
def test_country_codes_must_be_iso_alpha_2(code: str) -> None:
    net = SupplyNetwork.build(dataset())
    with pytest.raises(RiskError, match="ISO 3166-1 alpha-2"):
        exposure(net, "PRG", countries_of_concern=["CN", code])
    with pytest.raises(RiskError, match="ISO 3166-1 alpha-2"):
        exposure(net, "PRG", home_country=code)


def test_a_generated_program_sums_up() -> None:
    ds = generate_programs(1, scale=0.05)
    net = SupplyNetwork.build(ds)
    program = net.program_ids[0]
    result = exposure(net, program, countries_of_concern=["CN", "US"], as_of=dt.date(2025, 4, 1))
    chain = program_supply_chain(ds).filter(pl.col("program_id") == program)
    assert result.firms == chain.get_column("firm_id").n_unique()
    assert result.by_tier.get_column("firms").sum() == result.firms
    assert result.by_tier.get_column("tier").to_list() == list(range(result.by_tier.height))
    assert result.by_country.get_column("value_share").sum() == pytest.approx(1.0)
    assert 0 < result.concern.firms < result.firms
    assert result.data_age is not None
    assert result.data_age.supplies == result.supply_links


# Random small datasets against a plain-Python walk of the chain.

FIRMS = ["P", "A", "B", "C"]
ITEMS = ["SYS", "X", "Y", "Z"]


def brute_force(
    bom: list[tuple[str, str]], supplies: Sequence[tuple[str, str, str, float | None]]
) -> tuple[dict[int, int], dict[str, int]]:
    """Tier of each program supply row, and shallowest tier of each firm, by plain BFS."""
    tiers = {("P", "SYS"): 0}
    queue = deque([("P", "SYS")])
    while queue:
        firm, made = queue.popleft()
        for parent, child in bom:
            if parent != made:
                continue
            for supplier, customer, item, _ in supplies:
                if (customer, item) == (firm, child) and (supplier, child) not in tiers:
                    tiers[(supplier, child)] = tiers[(firm, made)] + 1
                    queue.append((supplier, child))
    row_tier: dict[int, int] = {}
    for row, (_, customer, item, _) in enumerate(supplies):
        for (firm, made), tier in tiers.items():
            if firm == customer and (made, item) in bom:
                row_tier[row] = min(row_tier.get(row, tier + 1), tier + 1)
    firm_tier: dict[str, int] = {}
    for (firm, _), tier in tiers.items():
        firm_tier[firm] = min(firm_tier.get(firm, tier), tier)
    return row_tier, firm_tier


@settings(max_examples=150, deadline=None)
@given(
    bom=st.lists(
        st.tuples(st.sampled_from(ITEMS[:3]), st.sampled_from(ITEMS[1:])).filter(
            lambda pair: ITEMS.index(pair[0]) < ITEMS.index(pair[1])  # acyclic
        ),
        max_size=6,
        unique=True,
    ),
    supplies=st.lists(
        st.tuples(
            st.sampled_from(FIRMS),
            st.sampled_from(FIRMS),
            st.sampled_from(ITEMS[1:]),
            st.one_of(st.none(), st.integers(0, 1000).map(float)),
        ),
        max_size=14,
    ),
    countries=st.lists(st.sampled_from(["JP", "US", "CN"]), min_size=4, max_size=4),
)
def test_tiers_and_countries_agree_with_plain_python(
    bom: list[tuple[str, str]],
    supplies: list[tuple[str, str, str, float | None]],
    countries: list[str],
) -> None:
    country = dict(zip(FIRMS, countries, strict=True))
    bom = bom or [("SYS", "X")]
    ds = dataset(supplies=supplies, bom=bom, country=country)
    row_tier, firm_tier = brute_force(bom, supplies)
    result = exposure(SupplyNetwork.build(ds), "PRG", countries_of_concern=["CN"])

    rows = program_supply_rows(SupplyNetwork.build(ds), "PRG")
    assert dict(rows.iter_rows()) == row_tier

    value: dict[int, float] = defaultdict(float)
    links: dict[int, int] = defaultdict(int)
    for row, tier in row_tier.items():
        value[tier] += supplies[row][3] or 0.0
        links[tier] += 1
    firms: dict[int, int] = defaultdict(int)
    for tier in firm_tier.values():
        firms[tier] += 1
    expected = {t: (firms[t], links[t], value[t]) for t in set(firms) | set(links)}
    got = {t: (f, n, v) for t, f, n, v, _, _ in result.by_tier.rows()}
    assert got == expected

    country_value: dict[str, float] = defaultdict(float)
    for row in row_tier:
        country_value[country[supplies[row][0]]] += supplies[row][3] or 0.0
    country_firms: dict[str, int] = defaultdict(int)
    for firm in firm_tier:
        country_firms[country[firm]] += 1
    got_countries = {c: (f, v) for c, f, v, _ in result.by_country.rows()}
    assert got_countries == {c: (country_firms[c], country_value[c]) for c in country_firms}

    # Every view sums to the program's totals.
    assert result.firms == len(firm_tier) == result.by_tier.get_column("firms").sum()
    assert result.by_country.get_column("firms").sum() == result.firms
    total = sum(value.values())
    assert result.annual_value_jpy == total
    assert result.by_country.get_column("annual_value_jpy").sum() == total
    assert result.foreign_value_jpy == sum(country_value[c] for c in country_value if c != "JP")
    assert result.concern.annual_value_jpy == country_value["CN"]
    assert result.concern.firms == country_firms["CN"]
