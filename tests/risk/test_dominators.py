"""Dominator trees of the supplier graph agree with networkx and with brute force.

Brute force reads the definition literally: firm d dominates an upstream firm v of the root
when v can no longer reach the root (along customer -> supplier edges, from the root) once d
is removed.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.errors import RiskError
from kiban.network import SupplyNetwork
from kiban.risk import dominators
from kiban.risk.dominators import (
    CHOKEPOINTS_SCHEMA,
    SUPPLY_DOMINATORS_SCHEMA,
    DominatorTree,
    chokepoints,
    dominator_tree,
    supply_dominators,
)

Supply = tuple[int, int, float | None]  # supplier, customer, annual value


def network(n_firms: int, supplies: list[Supply]) -> SupplyNetwork:
    firms = [f"F{i}" for i in range(n_firms)]
    return SupplyNetwork.build(
        Dataset.from_frames(
            {
                "firms": pl.DataFrame(
                    {"firm_id": firms, "name": [f"Firm {f}" for f in firms], "country": "JP"}
                ),
                "supplies": pl.DataFrame(
                    {
                        "supplier_id": [firms[s] for s, _, _ in supplies],
                        "customer_id": [firms[c] for _, c, _ in supplies],
                        "annual_value_jpy": [v for _, _, v in supplies],
                    },
                    schema={
                        "supplier_id": pl.String,
                        "customer_id": pl.String,
                        "annual_value_jpy": pl.Float64,
                    },
                ),
            }
        )
    )


def supplier_graph(n_firms: int, supplies: list[Supply]) -> nx.DiGraph[int]:
    graph: nx.DiGraph[int] = nx.DiGraph()
    graph.add_nodes_from(range(n_firms))
    graph.add_edges_from((c, s) for s, c, _ in supplies)
    return graph


def brute_force_dominated(graph: nx.DiGraph[int], root: int) -> dict[int, set[int]]:
    """For each upstream firm d (the root left out), the firms that lose the root without d."""
    upstream = nx.descendants(graph, root)
    dominated = {}
    for firm in upstream:
        without = graph.copy()
        without.remove_node(firm)
        dominated[firm] = upstream - {firm} - nx.descendants(without, root)
    return dominated


def tree_dominated(tree: DominatorTree) -> dict[int, set[int]]:
    """The strict descendants of each firm in the tree, walking parents (not preorder)."""
    firms, parent = tree.firms.tolist(), tree.parent.tolist()
    found: dict[int, set[int]] = {firm: set() for firm in firms[1:]}
    for k in range(1, len(firms)):
        up = parent[k]
        while up != 0:
            found[firms[up]].add(firms[k])
            up = parent[up]
    return found


graphs = st.integers(1, 9).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.none() | st.floats(0, 1e9, allow_nan=False),
            ),
            max_size=3 * n,
        ),
        st.integers(0, n - 1),
    )
)


@settings(max_examples=150, deadline=None)
@given(graph=graphs, method=st.sampled_from(["auto", "rounds", "rustworkx"]))
def test_tree_matches_networkx_and_brute_force(
    graph: tuple[int, list[Supply], int], method: dominators.Method
) -> None:
    # Self-supplies, repeated links, loops and firms that cannot reach the root all occur.
    n_firms, supplies, root = graph
    net, reference = network(n_firms, supplies), supplier_graph(n_firms, supplies)
    tree = dominator_tree(net, root, method=method)

    expected = nx.immediate_dominators(reference, root)
    got = dict(zip(tree.firms.tolist(), tree.immediate_dominator.tolist(), strict=True))
    assert got.pop(root) == root
    assert got == expected
    assert tree.firms[0] == root
    assert sorted(tree.firms.tolist()) == sorted({root, *expected})
    assert (tree.parent[1:] < np.arange(1, tree.firms.size)).all()

    dominated = brute_force_dominated(reference, root)
    assert tree_dominated(tree) == dominated
    assert tree.dominated.tolist() == [
        tree.firms.size - 1 if firm == root else len(dominated[firm])
        for firm in tree.firms.tolist()
    ]
    # Depth counts the strict dominators: the firms whose removal cuts the firm off.
    for k, firm in enumerate(tree.firms.tolist()):
        cut_by = sum(firm in lost for lost in dominated.values())
        assert tree.depth[k] == (0 if firm == root else cut_by + 1)
    # The preorder ranges hold exactly the dominated firms.
    for k, firm in enumerate(tree.firms.tolist()):
        inside = (tree.preorder > tree.preorder[k]) & (
            tree.preorder <= tree.preorder[k] + tree.dominated[k]
        )
        if firm != root:
            assert set(tree.firms[inside].tolist()) == dominated[firm]
    assert sorted(tree.preorder.tolist()) == list(range(tree.firms.size))


@settings(max_examples=150, deadline=None)
@given(graph=graphs)
def test_chokepoints_count_and_value_the_dominated_firms(
    graph: tuple[int, list[Supply], int],
) -> None:
    n_firms, supplies, root = graph
    net = network(n_firms, supplies)
    dominated = brute_force_dominated(supplier_graph(n_firms, supplies), root)
    frame = chokepoints(net, f"F{root}")
    assert frame.schema == CHOKEPOINTS_SCHEMA

    def value(firms: set[int]) -> float | None:
        known = [v for s, _, v in supplies if s in firms and v is not None]
        return sum(known) if known else None

    expected = {
        f"F{firm}": (f"Firm F{firm}", len(lost), value(lost))
        for firm, lost in dominated.items()
        if lost
    }
    rows = {firm: (name, count, total) for firm, name, count, total in frame.iter_rows()}
    assert rows.keys() == expected.keys()
    for firm, (name, count, total) in rows.items():
        assert (name, count) == expected[firm][:2]
        assert total == pytest.approx(expected[firm][2])
    ranked = [
        (-count, -(total if total is not None else -1.0)) for _, count, total in rows.values()
    ]
    assert ranked == sorted(ranked)
    assert chokepoints(net, f"F{root}", top=1).rows() == frame.head(1).rows()


@settings(max_examples=100, deadline=None)
@given(graph=graphs)
def test_supply_dominators_name_the_immediate_dominators(
    graph: tuple[int, list[Supply], int],
) -> None:
    n_firms, supplies, root = graph
    frame = supply_dominators(network(n_firms, supplies), f"F{root}")
    assert frame.schema == SUPPLY_DOMINATORS_SCHEMA
    expected = nx.immediate_dominators(supplier_graph(n_firms, supplies), root)
    assert {f: d for f, d, _ in frame.iter_rows()} == {
        f"F{firm}": f"F{dominator}" for firm, dominator in expected.items()
    }
    depths = frame.get_column("depth").to_list()
    assert depths == sorted(depths)
    by_firm = {f: (d, depth) for f, d, depth in frame.iter_rows()}
    for dominator, depth in by_firm.values():
        assert depth == (1 if dominator == f"F{root}" else by_firm[dominator][1] + 1)


def test_a_diamond_behind_the_only_supplier() -> None:
    # R's only supplier A buys from B and D, which both buy from C: A dominates B, C and D;
    # C reaches A through B or through D, so neither dominates it.
    r, a, b, c, d = range(5)
    net = network(5, [(a, r, 10.0), (b, a, 5.0), (d, a, None), (c, b, 1.0), (c, d, 2.0)])
    assert supply_dominators(net, "F0").rows() == [
        ("F1", "F0", 1),
        ("F2", "F1", 2),
        ("F3", "F1", 2),
        ("F4", "F1", 2),
    ]
    # The value is what B, C and D deliver: 5 + 1 + 2 (D's supply has no value).
    assert chokepoints(net, "F0").rows() == [("F1", "Firm F1", 3, 8.0)]
    assert chokepoints(net, "F3").height == 0  # C has no suppliers


def test_deep_supply_bases_go_to_rustworkx_and_agree() -> None:
    # A chain deeper than DEPTH_LIMIT, with a bypass around every hundredth firm and loops
    # back to firms nearer the root.
    length = dominators.DEPTH_LIMIT + 100
    supplies: list[Supply] = [(k + 1, k, 1.0) for k in range(length)]
    supplies += [(k + 2, k, None) for k in range(0, length - 1, 100)]
    supplies += [(k, k + 3, None) for k in range(0, length - 3, 7)]
    net = network(length + 1, supplies)
    auto = dominator_tree(net, 0)
    rounds = dominator_tree(net, 0, method="rounds")
    assert auto.method == "rustworkx"
    assert rounds.method == "rounds"
    assert auto.immediate_dominator.tolist() == rounds.immediate_dominator.tolist()
    assert auto.dominated.tolist() == rounds.dominated.tolist()
    expected = nx.immediate_dominators(supplier_graph(length + 1, supplies), 0)
    assert (
        dict(zip(auto.firms[1:].tolist(), auto.immediate_dominator[1:].tolist(), strict=True))
        == expected
    )


def test_too_many_rounds_go_to_rustworkx(monkeypatch: pytest.MonkeyPatch) -> None:
    net = network(4, [(1, 0, None), (2, 0, None), (3, 1, None), (3, 2, None), (1, 3, None)])
    monkeypatch.setattr(dominators, "ROUND_LIMIT", 0)
    tree = dominator_tree(net, 0)
    assert tree.method == "rustworkx"
    assert tree.immediate_dominator.tolist() == [0] * 4


def test_unknown_roots_and_bad_settings_are_risk_errors() -> None:
    net = network(2, [(1, 0, None)])
    with pytest.raises(RiskError, match="no firm 'F9'"):
        supply_dominators(net, "F9")
    with pytest.raises(RiskError, match="no firm 'F9'"):
        chokepoints(net, "F9")
    with pytest.raises(RiskError, match="top must be 0 or more"):
        chokepoints(net, "F0", top=-1)
    with pytest.raises(RiskError, match="no firm index 2"):
        dominator_tree(net, 2)


def test_a_root_without_suppliers_has_an_empty_tree() -> None:
    net = network(3, [(0, 1, None)])
    tree = dominator_tree(net, 0)
    assert tree.firms.tolist() == [0]
    assert tree.dominated.tolist() == [0]
    assert supply_dominators(net, "F0").height == 0
    assert chokepoints(net, "F0").schema == CHOKEPOINTS_SCHEMA
