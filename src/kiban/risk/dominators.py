"""Dominator trees of the firm-level supplier graph: the firms no supply path can avoid.

In the graph whose edges run from each customer to each of its suppliers, a firm `d`
*dominates* an upstream firm `v` of a root firm `r` when every supply path from `v` to `r`
runs through `d`: if `d` stops, everything `v` makes stops reaching `r`. The immediate
dominators form a tree rooted at `r` (Lengauer and Tarjan, "A fast algorithm for finding
dominators in a flowgraph", TOPLAS 1979); a firm's subtree holds the firms that reach the root
only through it, so large subtrees are the chokepoints of the root's supply base. This works on
networks without items (a national inter-firm network) and on the firm-level links of any
network; a firm's status plays no part (the tree is the structure of the links).

The tree is computed as the greatest fixed point of the dominator equations
Dom(v) = {v} | the intersection of Dom(p) over the customers p of v (Cooper, Harvey and
Kennedy, "A simple, fast dominance algorithm", 2001), with every firm updated at once in each
round over numpy arrays: a tree holds each Dom(v) as the path from v to the root, and the
intersection over a firm's customers is their nearest common ancestor, which is that of the
two with the smallest and largest preorder number. Starting from the breadth-first tree
(whose paths contain every dominator), each round only removes non-dominators, so the rounds
end at the dominator tree. Few rounds are needed when the supply base is shallow: four on a
random network of 1M firms and 5M links, about 1.4 s a root on two cores, where rustworkx
takes 5 s (plus 1.2 s to build its graph) and networkx 57 s (plus 28 s); see
benchmarks/bench_dominators.py. A deep or slowly converging network (long parallel chains
with cross links need a round per link) is handed to rustworkx's `immediate_dominators`
(Cooper-Harvey-Kennedy, quadratic in the worst case) on a graph built once per network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
import rustworkx as rx
from scipy.sparse import csr_array  # type: ignore[import-untyped]
from scipy.sparse.csgraph import breadth_first_order  # type: ignore[import-untyped]

from kiban.errors import RiskError
from kiban.network import IndexArray, IntArray, SupplyNetwork, stable_order

Method = Literal["auto", "rounds", "rustworkx"]

ROUND_LIMIT = 24
"""Rounds of the array method before the tree is computed by rustworkx instead."""

DEPTH_LIMIT = 1_000
"""Breadth-first depth of the supply base beyond which rustworkx computes the tree: each
round walks the tree one level at a time."""

SUPPLY_DOMINATORS_SCHEMA = pl.Schema(
    {"firm_id": pl.String(), "immediate_dominator_id": pl.String(), "depth": pl.Int32()}
)
CHOKEPOINTS_SCHEMA = pl.Schema(
    {
        "firm_id": pl.String(),
        "name": pl.String(),
        "dominated_firms": pl.Int64(),
        "dominated_value_jpy": pl.Float64(),
    }
)


@dataclass(frozen=True, eq=False)
class DominatorTree:
    """The dominator tree of the firms upstream of `root` (a firm index).

    `firms[k]` is the k-th upstream firm in breadth-first order from the root (`firms[0]` is the
    root); the other arrays are indexed like `firms`. `parent[k]` is the position of the
    immediate dominator of `firms[k]` (always smaller than `k`; the root's is 0),
    `depth[k]` its depth in the tree (root 0), `dominated[k]` how many firms it strictly
    dominates, and `preorder[k]` its position in a preorder walk of the tree, so that the
    firms it dominates are those whose `preorder` lies in
    `preorder[k] + 1 .. preorder[k] + dominated[k]`. `method` says which computation ran and
    `rounds` how many rounds the array method took (0 for rustworkx).
    """

    root: int
    firms: IntArray
    parent: IntArray
    depth: IntArray
    dominated: IntArray
    preorder: IntArray
    method: Literal["rounds", "rustworkx"]
    rounds: int

    @property
    def immediate_dominator(self) -> IntArray:
        """The firm index of each firm's immediate dominator (the root's is the root)."""
        return self.firms[self.parent]

    def dominated_sums(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """For each firm, the sum of `values` (one row per entry of `firms`; a vector or a
        matrix of columns) over the firms it strictly dominates.

        Summed up the tree one level at a time, each firm's total from its children's, so a
        small value next to large ones is not lost to cancellation. O(n) work.
        """
        below = np.zeros(values.shape, dtype=np.float64)
        for members, above, starts in reversed(_levels(self.parent, self.depth)):
            below[above[starts]] += np.add.reduceat(values[members] + below[members], starts)
        return below


def dominator_tree(network: SupplyNetwork, root: int, *, method: Method = "auto") -> DominatorTree:
    """The dominator tree of the firms upstream of firm index `root`.

    `method` "rounds" forces the array method, "rustworkx" rustworkx's, "auto" (the default)
    takes the array method unless the supply base is deeper than DEPTH_LIMIT or the rounds
    exceed ROUND_LIMIT. Both give the same tree.

    Cost: a breadth-first search, then per round O(n log d + m) for n upstream firms, m links
    and a tree of depth d; the first call on a network also builds its adjacency (and, if
    rustworkx runs, its rustworkx graph, seconds at 1M firms), kept with the network.

    >>> import polars as pl
    >>> from kiban.dataset import Dataset
    >>> ds = Dataset.from_frames({
    ...     "firms": pl.DataFrame({"firm_id": list("RABC"), "name": list("RABC"),
    ...                            "country": ["JP"] * 4}),
    ...     "supplies": pl.DataFrame({"supplier_id": ["A", "B", "C", "C"],
    ...                               "customer_id": ["R", "A", "A", "B"]}),
    ... })
    >>> net = SupplyNetwork.build(ds)
    >>> tree = dominator_tree(net, 0)
    >>> net.firm_names(tree.firms), net.firm_names(tree.immediate_dominator)
    (['R', 'A', 'B', 'C'], ['R', 'R', 'A', 'A'])
    >>> tree.dominated.tolist()
    [3, 2, 0, 0]
    """
    if not 0 <= root < network.n_firms:
        raise RiskError(f"no firm index {root} in a network of {network.n_firms} firms")
    successors = network.cached("risk.dominators.successors", lambda: _successors(network))
    firms, bfs_parent = breadth_first_order(
        successors, root, directed=True, return_predecessors=True
    )
    firms = firms.astype(np.int32)
    position = np.full(network.n_firms, -1, dtype=np.int32)
    position[firms] = np.arange(firms.size, dtype=np.int32)
    parent = np.zeros(firms.size, dtype=np.int32)
    parent[1:] = position[bfs_parent[firms[1:]]]

    if method != "rustworkx":
        found = _rounds(network, firms, position, parent, forced=method == "rounds")
        if found is not None:
            return _tree(root, firms, *found)
    graph = network.cached("risk.dominators.rustworkx", lambda: _rustworkx_graph(network))
    idom = rx.immediate_dominators(graph, root)
    upstream = np.fromiter(idom.keys(), dtype=np.int32, count=len(idom))
    dominator = np.fromiter(idom.values(), dtype=np.int32, count=len(idom))
    parent[position[upstream]] = position[dominator]
    return _tree(root, firms, parent, _depths(_ancestor_tables(parent)), 0)


def supply_dominators(network: SupplyNetwork, root: str) -> pl.DataFrame:
    """The immediate dominator of every firm upstream of firm `root` (the root left out).

    Returns columns firm_id, immediate_dominator_id (the root for a firm with two routes to it
    that share no firm), depth (1 = dominated by the root alone), sorted by depth and then by
    the firms' order in the dataset. RiskError if `root` is not a firm of the network.
    """
    tree = dominator_tree(network, _root_index(network, root))
    n_firms = network.n_firms
    by_depth = tree.depth[1:].astype(np.int64) * n_firms + tree.firms[1:]
    rows = stable_order(by_depth, (int(tree.depth.max()) + 1) * n_firms) + 1
    return pl.DataFrame(
        {
            "firm_id": network.firm_ids.gather(tree.firms[rows]),
            "immediate_dominator_id": network.firm_ids.gather(tree.immediate_dominator[rows]),
            "depth": tree.depth[rows].astype(np.int32),
        },
        schema=SUPPLY_DOMINATORS_SCHEMA,
    )


def chokepoints(network: SupplyNetwork, root: str, top: int | None = None) -> pl.DataFrame:
    """The firms upstream of `root` that other upstream firms reach it only through.

    Returns columns firm_id, name, dominated_firms (the upstream firms whose every supply path
    to the root runs through this firm), dominated_value_jpy (the annual value of the supplies
    those firms deliver, from supplies.annual_value_jpy; null when none is known), one row
    per firm that dominates at least one other, the root left out, sorted by dominated_firms
    and then dominated_value_jpy, largest first, then firm_id; the first `top` if given.
    RiskError if `root` is not a firm of the network or `top` is negative.
    """
    if top is not None and top < 0:
        raise RiskError(f"top must be 0 or more, not {top}")
    tree = dominator_tree(network, _root_index(network, root))
    value = network.dataset.supplies.get_column("annual_value_jpy").to_numpy()
    known = ~np.isnan(value)
    value_by_firm = np.bincount(
        network.supplier[known], weights=value[known], minlength=network.n_firms
    )
    known_by_firm = np.bincount(network.supplier[known], minlength=network.n_firms)
    dominated_value, dominated_known = tree.dominated_sums(
        np.column_stack((value_by_firm, known_by_firm)).astype(np.float64)[tree.firms]
    ).T
    rows = np.flatnonzero(tree.dominated > 0)
    rows = rows[rows > 0]
    firms = tree.firms[rows]
    found = pl.DataFrame(
        {
            "firm_id": network.firm_ids.gather(firms),
            "name": network.dataset.firms.get_column("name").gather(firms),
            "dominated_firms": tree.dominated[rows],
            "dominated_value_jpy": np.where(
                dominated_known[rows] > 0, dominated_value[rows], np.nan
            ),
        },
        schema=CHOKEPOINTS_SCHEMA,
    ).with_columns(pl.col("dominated_value_jpy").fill_nan(None))
    ranked = found.sort(
        ["dominated_firms", "dominated_value_jpy", "firm_id"],
        descending=[True, True, False],
        nulls_last=True,
    )
    return ranked if top is None else ranked.head(top)


def _root_index(network: SupplyNetwork, root: str) -> int:
    try:
        return int(network.firm_index([root])[0])
    except KeyError:
        raise RiskError(f"no firm {root!r} in the network") from None


def _successors(network: SupplyNetwork) -> csr_array:
    """Customer -> supplier adjacency for scipy's breadth-first search."""
    links = network.links_in
    return csr_array(
        (
            np.ones(links.order.size),
            network.link_supplier[links.order],
            links.indptr,
        ),
        shape=(network.n_firms, network.n_firms),
    )


def _rustworkx_graph(network: SupplyNetwork) -> rx.PyDiGraph[None, None]:
    graph: rx.PyDiGraph[None, None] = rx.PyDiGraph(
        node_count_hint=network.n_firms, edge_count_hint=network.n_links
    )
    graph.add_nodes_from([None] * network.n_firms)
    graph.add_edges_from_no_data(
        zip(network.link_customer.tolist(), network.link_supplier.tolist(), strict=True)
    )
    return graph


def _rounds(
    network: SupplyNetwork,
    firms: IntArray,
    position: IntArray,
    parent: IntArray,
    *,
    forced: bool,
) -> tuple[IntArray, IntArray, int] | None:
    """Iterate the dominator equations from the breadth-first tree `parent`, all firms at once.

    Returns the dominator tree as parent positions and depths, and the rounds it took; None
    when the supply base is deeper than DEPTH_LIMIT or the rounds exceed ROUND_LIMIT (unless
    `forced`).
    """
    # Customers of each upstream firm, as positions, grouped by firm; a customer not
    # upstream (it cannot reach the root) or the firm itself (a self-supply) is no route.
    links = network.links_out.order
    customer = position[network.link_customer[links]]
    firm = position[network.link_supplier[links]]
    route = (customer >= 0) & (firm > 0) & (customer != firm)
    customer, firm = customer[route], firm[route]
    if not firm.size:
        return parent, np.zeros(parent.size, dtype=np.int32), 1
    # Links are grouped by supplier, so each upstream firm's customers are contiguous; each
    # has at least one (its breadth-first parent).
    starts = np.flatnonzero(np.concatenate(([True], firm[1:] != firm[:-1])))
    updated = firm[starts]
    rounds = 0
    while True:
        rounds += 1
        tables = _ancestor_tables(parent)
        depth = _depths(tables)
        if not forced and (depth.max() > DEPTH_LIMIT or rounds > ROUND_LIMIT):
            return None
        preorder, subtree = _preorder(parent, depth)
        walk = np.empty_like(preorder)
        walk[preorder] = np.arange(preorder.size, dtype=np.int32)
        rank = preorder[customer]
        first = walk[np.minimum.reduceat(rank, starts)]
        last = walk[np.maximum.reduceat(rank, starts)]
        dominator = _common_ancestor(first, last, tables, preorder, subtree)
        if np.array_equal(dominator, parent[updated]):
            return parent, depth, rounds
        parent = parent.copy()
        parent[updated] = dominator


def _tree(
    root: int,
    firms: IntArray,
    parent: IntArray,
    depth: IntArray,
    rounds: int,
) -> DominatorTree:
    preorder, size = _preorder(parent, depth)
    return DominatorTree(
        root=root,
        firms=firms,
        parent=parent,
        depth=depth,
        dominated=size - 1,
        preorder=preorder,
        method="rounds" if rounds else "rustworkx",
        rounds=rounds,
    )


def _ancestor_tables(parent: IntArray) -> list[IntArray]:
    """Binary lifting: table j holds each node's 2**j-th ancestor (the root, 0, its own).
    The last table is all zeros, so 2**(len - 1) is at least the tree's depth."""
    tables = [parent]
    while tables[-1].any():
        tables.append(tables[-1][tables[-1]])
    return tables


def _depths(tables: list[IntArray]) -> IntArray:
    """Depth of every node: the longest lift that stays below the root, plus one."""
    size = tables[0].size
    depth = np.zeros(size, dtype=np.int32)
    node = np.arange(size, dtype=np.int32)
    for j in range(len(tables) - 1, -1, -1):
        up = tables[j][node]
        below_root = up != 0
        depth[below_root] += 1 << j
        node = np.where(below_root, up, node)
    depth[1:] += 1
    return depth


Levels = list[tuple[IntArray, IntArray, IndexArray]]


def _levels(parent: IntArray, depth: IntArray) -> Levels:
    """The tree level by level below the root: for each depth, its nodes sorted by parent
    (then position), their parents, and where each parent's run of children starts."""
    size = parent.size
    height = int(depth.max())
    nodes = stable_order(depth.astype(np.int64) * size + parent, (height + 1) * size)
    bounds = np.searchsorted(depth[nodes], np.arange(height + 2))
    levels = []
    for level in range(1, height + 1):
        members = nodes[bounds[level] : bounds[level + 1]]
        above = parent[members]
        starts = np.flatnonzero(np.concatenate(([True], above[1:] != above[:-1])))
        levels.append((members, above, starts))
    return levels


def _preorder(parent: IntArray, depth: IntArray) -> tuple[IntArray, IntArray]:
    """Preorder position and subtree size of every node, children in position order.

    One level of the tree at a time: sizes from the deepest level up, then each child's
    position is its parent's plus one plus the sizes of its earlier siblings.
    """
    levels = _levels(parent, depth)
    subtree = np.ones(parent.size, dtype=np.int32)
    for members, above, starts in reversed(levels):
        subtree[above[starts]] += np.add.reduceat(subtree[members], starts)
    preorder = np.zeros(parent.size, dtype=np.int32)
    for members, above, starts in levels:
        before = np.cumsum(subtree[members], dtype=np.int32) - subtree[members]
        sibling_before = before - np.repeat(before[starts], np.diff(starts, append=before.size))
        preorder[members] = preorder[above] + 1 + sibling_before
    return preorder, subtree


def _common_ancestor(
    first: IntArray,
    last: IntArray,
    tables: list[IntArray],
    preorder: IntArray,
    subtree: IntArray,
) -> IntArray:
    """Nearest common ancestor of each pair, `first` no later than `last` in preorder.

    `first` itself when it is an ancestor of `last` (or `last`); otherwise binary lifting
    takes `first` to its highest ancestor that is not an ancestor of `last`, whose parent is
    the answer: O(pairs x log depth), with an O(1) ancestor test from the preorder ranges.
    """
    answer = first.copy()
    split = np.flatnonzero(preorder[last] >= preorder[first] + subtree[first])
    node, other = first[split], preorder[last[split]]
    for up in reversed(tables):
        above = up[node]
        start = preorder[above]
        # The root (0) is everyone's ancestor, so the lift never passes it.
        not_common = (other < start) | (other >= start + subtree[above])
        node = np.where(not_common, above, node)
    answer[split] = tables[0][node]
    return answer
