"""The compiled network agrees with the tables it comes from, and the program supply chain
follows DATASET.md's meaning (checked against a plain BFS)."""

from __future__ import annotations

from collections import deque

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.network import (
    _HASH_SEED,
    CHAIN_SCHEMA,
    NO_ITEM,
    Csr,
    SupplyNetwork,
    _IdTable,
    program_supply_chain,
    stable_order,
)

FIRMS = ["P", "A", "B", "C", "D"]
ITEMS = ["SYS", "X", "Y", "Z"]


def brute_force(
    bom: list[tuple[str, str]], supplies: list[tuple[str, str, str]], prime: str, item: str
) -> dict[tuple[str, str], int]:
    tiers = {(prime, item): 0}
    queue = deque([(prime, item)])
    while queue:
        firm, made = queue.popleft()
        for parent, child in bom:
            if parent != made:
                continue
            for supplier, customer, supplied in supplies:
                if customer == firm and supplied == child and (supplier, child) not in tiers:
                    tiers[(supplier, child)] = tiers[(firm, made)] + 1
                    queue.append((supplier, child))
    return tiers


@settings(max_examples=200, deadline=None)
@given(
    bom=st.lists(
        st.tuples(st.sampled_from(ITEMS), st.sampled_from(ITEMS[1:])), max_size=6, unique=True
    ),
    supplies=st.lists(
        st.tuples(st.sampled_from(FIRMS), st.sampled_from(FIRMS), st.sampled_from(ITEMS[1:])),
        max_size=12,
        unique=True,
    ),
)
def test_chain_matches_breadth_first_search(
    bom: list[tuple[str, str]], supplies: list[tuple[str, str, str]]
) -> None:
    # Loops between firms and repeated items are allowed: validation, not traversal, forbids
    # bom cycles, and traversal must still end and agree.
    ds = Dataset.from_frames(
        {
            "bom": pl.DataFrame(
                bom, schema=["parent_item_id", "child_item_id"], orient="row"
            ).with_columns(quantity=pl.lit(1.0)),
            "supplies": pl.DataFrame(
                supplies, schema=["supplier_id", "customer_id", "item_id"], orient="row"
            ),
            "programs": pl.DataFrame(
                {"program_id": ["PRG"], "name": ["Program"], "item_id": ["SYS"], "prime_id": ["P"]}
            ),
        }
    )
    chain = program_supply_chain(ds)
    got = {(f, i): t for _, f, i, t in chain.iter_rows()}
    assert got == brute_force(bom, supplies, "P", "SYS")


def test_a_dataset_without_programs_has_an_empty_chain_with_its_columns() -> None:
    chain = program_supply_chain(Dataset.from_frames({}))
    assert chain.height == 0
    assert chain.schema == CHAIN_SCHEMA


# --- SupplyNetwork: the compiled arrays agree with the tables they come from ---------------

STATUSES = ["active", "withdrawing", "exited"]


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    """Small datasets of any shape: possibly no firms, no items, no supplies or no programs;
    firm-level (no item) and item-level supplies mixed, repeated pairs, self-supplies."""
    firms = [f"F{i}" for i in range(draw(st.integers(0, 6)))]
    items = [f"I{i}" for i in range(draw(st.integers(0, 4)))]
    frames: dict[str, pl.DataFrame] = {
        "firms": pl.DataFrame(
            {
                "firm_id": draw(st.permutations(firms)),
                "name": firms,
                "country": ["JP"] * len(firms),
                "status": draw(
                    st.lists(st.sampled_from(STATUSES), min_size=len(firms), max_size=len(firms))
                ),
            },
            schema={
                "firm_id": pl.String,
                "name": pl.String,
                "country": pl.String,
                "status": pl.String,
            },
        ),
        "items": pl.DataFrame(
            {
                "item_id": draw(st.permutations(items)),
                "name": items,
                "kind": ["component"] * len(items),
            },
            schema={"item_id": pl.String, "name": pl.String, "kind": pl.String},
        ),
    }
    if firms:
        item_or_none = st.sampled_from([*items, None])
        supplies = draw(
            st.lists(
                st.tuples(st.sampled_from(firms), st.sampled_from(firms), item_or_none), max_size=25
            )
        )
        frames["supplies"] = pl.DataFrame(
            supplies, schema=["supplier_id", "customer_id", "item_id"], orient="row"
        )
    if items:
        bom = draw(st.lists(st.tuples(st.sampled_from(items), st.sampled_from(items)), max_size=8))
        frames["bom"] = pl.DataFrame(
            bom, schema=["parent_item_id", "child_item_id"], orient="row"
        ).with_columns(quantity=pl.int_range(pl.len()).cast(pl.Float64) + 1.5)
    if firms and items:
        programs = draw(
            st.lists(st.tuples(st.sampled_from(items), st.sampled_from(firms)), max_size=3)
        )
        frames["programs"] = pl.DataFrame(
            {
                "program_id": [f"P{i}" for i in range(len(programs))],
                "name": [f"P{i}" for i in range(len(programs))],
                "item_id": [item for item, _ in programs],
                "prime_id": [prime for _, prime in programs],
            },
            schema={
                "program_id": pl.String,
                "name": pl.String,
                "item_id": pl.String,
                "prime_id": pl.String,
            },
        )
    return Dataset.from_frames(frames)


def expected_groups(keys: pl.DataFrame, n_keys: int) -> tuple[list[int], list[int]]:
    """indptr and order of rows grouped by the frame's columns (the first is the CSR key),
    rows in table order within a group: the polars group_by the CSR must equal."""
    groups = (
        keys.with_row_index("row")
        .group_by(keys.columns, maintain_order=True)
        .agg("row")
        .sort(keys.columns)
    )
    order = [row for rows in groups.get_column("row").to_list() for row in rows]
    counts = dict(keys.group_by(keys.columns[0]).len().iter_rows())
    indptr = [0]
    for key in range(n_keys):
        indptr.append(indptr[-1] + counts.get(key, 0))
    return indptr, order


def assert_csr(csr: Csr, keys: pl.DataFrame, n_keys: int) -> None:
    indptr, order = expected_groups(keys, n_keys)
    assert csr.indptr.tolist() == indptr
    assert csr.order.tolist() == order
    assert csr.order.dtype == np.int32
    assert csr.degree().tolist() == np.diff(indptr).tolist()


@settings(max_examples=150, deadline=None)
@given(ds=datasets())
def test_network_arrays_follow_the_tables(ds: Dataset) -> None:
    net = SupplyNetwork.build(ds)
    firms, items = ds.firms["firm_id"].to_list(), ds.items["item_id"].to_list()
    firm_at = {f: i for i, f in enumerate(firms)}
    item_at = {it: i for i, it in enumerate(items)}
    supplies = ds.supplies.select("supplier_id", "customer_id", "item_id").rows()

    assert (net.n_firms, net.n_items, net.n_supplies) == (len(firms), len(items), len(supplies))
    assert net.supplier.tolist() == [firm_at[s] for s, _, _ in supplies]
    assert net.customer.tolist() == [firm_at[c] for _, c, _ in supplies]
    assert net.item.tolist() == [NO_ITEM if i is None else item_at[i] for _, _, i in supplies]
    for array in (net.supplier, net.customer, net.item, net.supply_link, net.link_supplier):
        assert array.dtype == np.int32

    rows = pl.DataFrame(
        {"customer": net.customer, "item": net.item, "supplier": net.supplier},
        schema={"customer": pl.Int32, "item": pl.Int32, "supplier": pl.Int32},
    )
    assert_csr(net.by_customer, rows.select("customer", "item"), net.n_firms)
    assert_csr(net.by_supplier, rows.select("supplier"), net.n_firms)

    # Links: the distinct (supplier, customer) pairs, in (customer, supplier) order.
    pairs = sorted(
        {(c, s) for s, c in zip(net.supplier.tolist(), net.customer.tolist(), strict=True)}
    )
    assert list(zip(net.link_customer.tolist(), net.link_supplier.tolist(), strict=True)) == pairs
    assert net.n_links == len(pairs)
    for row, link in enumerate(net.supply_link.tolist()):
        assert (net.link_supplier[link], net.link_customer[link]) == (
            net.supplier[row],
            net.customer[row],
        )
    links = pl.DataFrame(
        {"customer": net.link_customer, "supplier": net.link_supplier},
        schema={"customer": pl.Int32, "supplier": pl.Int32},
    )
    assert_csr(net.links_in, links.select("customer"), net.n_firms)
    assert_csr(net.links_out, links.select("supplier"), net.n_firms)
    for firm in range(net.n_firms):
        assert set(net.suppliers_of(firm).tolist()) == {s for c, s in pairs if c == firm}
        assert set(net.customers_of(firm).tolist()) == {c for c, s in pairs if s == firm}

    bom = ds.bom.select("parent_item_id", "child_item_id", "quantity").rows()
    assert net.bom_parent.tolist() == [item_at[p] for p, _, _ in bom]
    assert net.bom_child.tolist() == [item_at[c] for _, c, _ in bom]
    assert net.bom_quantity.tolist() == [q for _, _, q in bom]
    assert_csr(
        net.bom, pl.DataFrame({"parent": net.bom_parent}, schema={"parent": pl.Int32}), net.n_items
    )

    assert net.can_produce.tolist() == [s != "exited" for s in ds.firms["status"].to_list()]
    programs = ds.programs.select("prime_id", "item_id").rows()
    assert net.program_prime.tolist() == [firm_at[p] for p, _ in programs]
    assert net.program_item.tolist() == [item_at[i] for _, i in programs]
    assert net.program_ids.to_list() == ds.programs["program_id"].to_list()


@settings(max_examples=100, deadline=None)
@given(ds=datasets(), data=st.data())
def test_ids_and_indices_round_trip(ds: Dataset, data: st.DataObject) -> None:
    net = SupplyNetwork.build(ds)
    firms, items = net.firm_ids.to_list(), net.item_ids.to_list()
    assert net.firm_index(firms).tolist() == list(range(len(firms)))
    assert net.firm_index(net.firm_ids).tolist() == list(range(len(firms)))
    assert net.item_index(items).tolist() == list(range(len(items)))
    assert net.firm_names(net.firm_index(firms)) == firms
    assert net.item_names(net.item_index(items)) == items
    # More ids than the few looked up one at a time, repeated and in any order.
    many = data.draw(st.lists(st.sampled_from(firms), min_size=9, max_size=20)) if firms else []
    assert net.firm_names(net.firm_index(many)) == many
    with pytest.raises(KeyError, match="no firm 'nobody'"):
        net.firm_index([*firms, "nobody"])
    with pytest.raises(KeyError, match="no firm 'nobody'"):
        net.firm_index([*many, "nobody"])
    with pytest.raises(KeyError, match="no item 'nothing'"):
        net.item_index(["nothing"])
    for program, program_id in enumerate(net.program_ids.to_list()):
        assert net.program_index(program_id) == program
    with pytest.raises(KeyError, match="no program 'X'"):
        net.program_index("X")


def test_an_empty_dataset_compiles_to_empty_arrays() -> None:
    net = SupplyNetwork.build(Dataset.from_frames({}))
    assert (net.n_firms, net.n_items, net.n_supplies, net.n_links) == (0, 0, 0, 0)
    for csr in (net.by_customer, net.by_supplier, net.bom, net.links_in, net.links_out):
        assert csr.indptr.tolist() == [0]
        assert csr.order.size == 0
    assert net.program_prime.size == net.program_item.size == net.can_produce.size == 0
    assert net.firm_index([]).size == 0
    with pytest.raises(KeyError):
        net.firm_index(["F1"])


def test_firms_without_supplies_items_or_programs() -> None:
    ds = Dataset.from_frames(
        {"firms": pl.DataFrame({"firm_id": ["A", "B"], "name": ["A", "B"], "country": ["JP"] * 2})}
    )
    net = SupplyNetwork.build(ds)
    assert (net.n_firms, net.n_items, net.n_supplies, net.n_links) == (2, 0, 0, 0)
    assert net.by_customer.indptr.tolist() == net.links_out.indptr.tolist() == [0, 0, 0]
    assert net.suppliers_of(1).size == net.customers_of(0).size == 0
    assert net.can_produce.tolist() == [True, True]


def test_an_id_found_through_a_colliding_hash_is_checked_against_the_id() -> None:
    ids = pl.Series(["A", "B", "C"])
    values = pl.Series(["C", None, "A", "Z", "B"])
    expected = [2, NO_ITEM, 0, NO_ITEM, 1]
    table = _IdTable(ids)
    assert [codes.tolist() for codes in table.codes(values, values)] == [expected, expected]
    # Pretend the hashes of the ids collide with other strings: the check against the ids
    # catches every wrong index and the exact lookup answers.
    table.hashes = pl.Series(["B", "C", "A"]).hash(_HASH_SEED).to_arrow()
    assert table.codes(values)[0].tolist() == expected
    # Repeated ids (an invalid dataset) take the exact lookup from the start.
    assert _IdTable(pl.Series(["A", "A"])).hashes is None


@settings(max_examples=100, deadline=None)
@given(keys=st.lists(st.integers(0, 5), max_size=40), huge=st.booleans())
def test_stable_order_is_a_stable_sort(keys: list[int], huge: bool) -> None:
    # `huge` declares a key range too wide to pack with the row number: the other path.
    bound = 2**62 if huge else 6
    got = stable_order(np.array(keys, dtype=np.int64), bound)
    assert got.tolist() == np.argsort(np.array(keys, dtype=np.int64), kind="stable").tolist()
    assert got.dtype == np.int32


def test_cached_computes_once_per_network_and_key() -> None:
    net = SupplyNetwork.build(Dataset.from_frames({}))
    calls: list[str] = []
    assert net.cached("k", lambda: calls.append("k") or 1) == 1
    assert net.cached("k", lambda: calls.append("again") or 2) == 1
    assert net.cached("other", lambda: 3) == 3
    assert calls == ["k"]
    assert SupplyNetwork.build(Dataset.from_frames({})).cached("k", lambda: 4) == 4
