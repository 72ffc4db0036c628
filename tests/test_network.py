"""The program supply chain follows DATASET.md's meaning, checked against a plain BFS."""

from __future__ import annotations

from collections import deque

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.network import CHAIN_SCHEMA, program_supply_chain

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
