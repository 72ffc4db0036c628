"""The slot layout of link state: a permutation of the links, whole suppliers per bucket,
each supplier's slots in link order, and runs that do not depend on how links are bucketed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.network import SupplyNetwork
from kiban.reference.national import generate_national
from kiban.simulate.layout import bucket_layout, single_bucket
from kiban.simulate.propagation import RATIONING_RULES, Model, _by_supplier
from kiban.simulate.scenario import FirmExit, RegionalDisaster, Scenario


@given(
    suppliers=st.lists(st.integers(0, 11), max_size=80),
    firms=st.integers(12, 15),
    bucket_links=st.integers(1, 20),
)
@settings(max_examples=200, deadline=None)
def test_buckets_hold_whole_suppliers_in_link_order(
    suppliers: list[int], firms: int, bucket_links: int
) -> None:
    supplier = np.array(suppliers, dtype=np.int32)
    sup_order, sup_start = _by_supplier(supplier, firms)
    layout = bucket_layout(supplier, sup_order, sup_start, bucket_links)
    m = supplier.size
    np.testing.assert_array_equal(np.sort(layout.slot), np.arange(m))
    np.testing.assert_array_equal(layout.link[layout.slot], np.arange(m))
    np.testing.assert_array_equal(layout.supplier, supplier[layout.link])
    # buckets cover every firm once, in order, and their slots follow one another
    assert layout.bucket_firm[0] == 0
    assert layout.bucket_firm[-1] == firms
    assert (np.diff(layout.bucket_firm) > 0).all()
    assert layout.bucket_slot[0] == 0
    assert layout.bucket_slot[-1] == m
    biggest = int(np.diff(sup_start).max(initial=0))
    for b in range(layout.n_buckets):
        slots = np.arange(layout.bucket_slot[b], layout.bucket_slot[b + 1])
        owners = layout.supplier[slots]
        assert ((owners >= layout.bucket_firm[b]) & (owners < layout.bucket_firm[b + 1])).all()
        # a bucket's slots are its links in link order
        assert (np.diff(layout.link[slots]) > 0).all()
        assert slots.size < bucket_links + biggest or slots.size <= bucket_links
    # each supplier's slots, in link order
    for j in range(firms):
        slots = layout.sup_slot[sup_start[j] : sup_start[j + 1]]
        np.testing.assert_array_equal(layout.link[slots], np.flatnonzero(supplier == j))


def test_a_single_bucket_is_the_links_themselves() -> None:
    supplier = np.array([2, 0, 2, 1], dtype=np.int32)
    sup_order, _ = _by_supplier(supplier, 3)
    layout = single_bucket(supplier, sup_order.astype(np.int32), 3)
    np.testing.assert_array_equal(layout.slot, np.arange(4))
    assert layout.supplier is supplier
    assert layout.n_buckets == 1


@pytest.mark.parametrize("rationing", RATIONING_RULES)
def test_the_bucketing_does_not_change_a_number(rationing: str) -> None:
    # the tests' networks fit in one bucket; here the links are spread over buckets of
    # three, so the supplier pass sums and delivers bucket by bucket
    network = SupplyNetwork.build(generate_national(150, 5))
    model = Model.build(network)
    assert model.layout.n_buckets == 1
    spread = dataclasses.replace(
        model, layout=bucket_layout(model.supplier, model.sup_order, model.sup_start, 3)
    )
    assert spread.layout.n_buckets > 100
    found = network.dataset.firms.get_column("region").drop_nulls().unique().sort()
    shock = RegionalDisaster(tuple(found.head(2)), 0.6, day=1, recovery="linear",
                             recovery_days=12)  # fmt: skip
    scenario = Scenario(name="q", days=60, shocks=(shock, FirmExit((network.firm_ids[4],), 20)))
    one = model.run(scenario, rationing=rationing, threads=1)
    assert one.firm_output_jpy is not None
    for threads in (1, 2):
        for precision in ("double", "single"):
            same = model.run(scenario, rationing=rationing, threads=threads, precision=precision)
            other = spread.run(scenario, rationing=rationing, threads=threads, precision=precision)
            assert same.firm_output_jpy is not None
            assert other.firm_output_jpy is not None
            np.testing.assert_array_equal(other.firm_output_jpy, same.firm_output_jpy)
            assert other.steady_day == same.steady_day
        parallel = spread.run(scenario, rationing=rationing, threads=threads)
        assert parallel.firm_output_jpy is not None
        np.testing.assert_array_equal(parallel.firm_output_jpy, one.firm_output_jpy)
    # substitution runs on one bucket whatever the model's layout
    with_moves = spread.run(scenario, rationing=rationing, substitution=True, threads=2)
    plain = model.run(scenario, rationing=rationing, substitution=True, threads=2)
    assert with_moves.firm_output_jpy is not None
    assert plain.firm_output_jpy is not None
    np.testing.assert_array_equal(with_moves.firm_output_jpy, plain.firm_output_jpy)
    assert with_moves.output_loss_jpy > 0
