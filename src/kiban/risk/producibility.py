"""Whether each program can be produced, and if not, why (DATASET.md's meaning, exactly).

A program is producible when its prime can make its end item. A firm can make an item when
it can produce (status is not `exited`) and, for every `bom` child of the item (AND), at
least one of its `supplies` rows for that child comes from a supplier that can make the
child (OR). The bill of materials is acyclic, so the graph of (firm, item) nodes is a DAG
even when firms supply each other in loops: a node depends only on nodes of child items.

`ProgramGraph` is that DAG for one program, restricted to the nodes reachable from the
(prime, end item) root; `single_points_of_failure` and `critical_pairs`
(`kiban.risk.spof`) reuse it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import polars as pl

from kiban.errors import RiskError
from kiban.network import BoolArray, SupplyNetwork

PRODUCIBILITY_SCHEMA = pl.Schema(
    {
        "program_id": pl.String(),
        "producible": pl.Boolean(),
        "customer_id": pl.String(),
        "item_id": pl.String(),
        "reason": pl.String(),
    }
)

Need = tuple[int, list[int]]
"""One `bom` child of a node's item: (child item index, the nodes that can supply it)."""


@dataclass(frozen=True, eq=False)
class ProgramGraph:
    """The (firm, item) nodes a program's root reaches, as a DAG of AND and OR choices.

    Node 0 is the root (prime, end item). Node `v` is firm `firm[v]` making item `item[v]`,
    first reached at tier `tier[v]` (breadth first: the shallowest). `needs[v]` lists, per
    distinct `bom` child of `item[v]` (in bom order), the child item and the nodes of its
    distinct suppliers to `firm[v]` (in supplies order): all needs are required, one source
    per need suffices. `post_order` lists every node after all the nodes it needs.
    """

    program_id: str
    firm: list[int]
    item: list[int]
    tier: list[int]
    needs: list[list[Need]]
    post_order: list[int]

    @classmethod
    def build(cls, network: SupplyNetwork, program: int) -> ProgramGraph:
        """Walk breadth first from (prime, end item) of the program at row `program`.

        A prime or end item missing from the firms or items (an unvalidated dataset): RiskError.
        Cost: O(nodes + bom rows and supply rows of the firms reached), in Python.
        """
        for column, code in (
            ("prime_id", network.program_prime),
            ("item_id", network.program_item),
        ):
            if code[program] < 0:
                row = network.dataset.programs.row(program, named=True)
                what = "firms" if column == "prime_id" else "items"
                raise RiskError(
                    f"program {row['program_id']!r}: its {column} {row[column]!r} is not among "
                    f"the {what}"
                )
        sources = _Sources(network)
        children = _Children(network)
        n_items = max(network.n_items, 1)
        root = (int(network.program_prime[program]), int(network.program_item[program]))
        firm, item, tier = [root[0]], [root[1]], [0]
        node_of = {root[0] * n_items + root[1]: 0}
        needs: list[list[Need]] = []
        v = 0
        while v < len(firm):  # the lists grow as nodes are found: a FIFO queue
            offered = sources.of(firm[v])
            node_needs: list[Need] = []
            for child in children.of(item[v]):
                alternatives = []
                for supplier in offered.get(child, ()):
                    key = supplier * n_items + child
                    node = node_of.get(key)
                    if node is None:
                        node = node_of[key] = len(firm)
                        firm.append(supplier)
                        item.append(child)
                        tier.append(tier[v] + 1)
                    alternatives.append(node)
                node_needs.append((child, alternatives))
            needs.append(node_needs)
            v += 1
        return cls(
            program_id=network.program_ids[program],
            firm=firm,
            item=item,
            tier=tier,
            needs=needs,
            post_order=_post_order(needs),
        )

    @property
    def n_nodes(self) -> int:
        return len(self.firm)

    def alive(self, can_produce: BoolArray) -> list[bool]:
        """Per node: can the firm make the item, given which firms can produce? O(nodes + edges)."""
        produces = can_produce.tolist()
        alive = [False] * self.n_nodes
        for v in self.post_order:
            alive[v] = produces[self.firm[v]] and all(
                any(alive[a] for a in alternatives) for _, alternatives in self.needs[v]
            )
        return alive

    def first_tiers(self) -> dict[int, int]:
        """Firm index -> its shallowest tier in the program (0 for the prime)."""
        tiers: dict[int, int] = {}
        for f, t in zip(self.firm, self.tier, strict=True):
            tiers.setdefault(f, t)  # nodes are in breadth-first order
        return tiers


def producibility(network: SupplyNetwork, *, removed: Collection[str] = ()) -> pl.DataFrame:
    """Whether each program is producible, and the first reason it is not.

    `removed`: firm ids treated as exited (a what-if; unknown ids raise RiskError).

    Returns one row per program, in the programs' order: program_id, producible, and for an
    unproducible one customer_id, item_id and reason (null when producible). The reason is
    found from the top: an exited or removed prime is the reason itself (customer_id null,
    item_id the end item); otherwise the first need (bom order) of the prime that no source
    can make, followed down through the first source that cannot make it for want of inputs
    (not because it exited), until a (customer, item) whose sources are none, or all exited
    or removed; e.g. "F0123 (Gear Works) has no source that can make I045 (Landing gear):
    its only source F0456 (Ore GmbH) has exited". No programs: RiskError.

    Cost: O(nodes + edges) of each program's (firm, item) graph.

    >>> from kiban.dataset import Dataset
    >>> ds = Dataset.from_frames({
    ...     "firms": pl.DataFrame({"firm_id": ["P", "S"], "name": ["Prime", "Seal Co"],
    ...                            "country": ["JP", "JP"]}),
    ...     "items": pl.DataFrame({"item_id": ["SYS", "SEAL"], "name": ["Ship", "Seal"],
    ...                            "kind": ["system", "component"]}),
    ...     "bom": pl.DataFrame({"parent_item_id": ["SYS"], "child_item_id": ["SEAL"],
    ...                          "quantity": [2.0]}),
    ...     "supplies": pl.DataFrame({"supplier_id": ["S"], "customer_id": ["P"],
    ...                               "item_id": ["SEAL"]}),
    ...     "programs": pl.DataFrame({"program_id": ["DD"], "name": ["Ship"],
    ...                               "item_id": ["SYS"], "prime_id": ["P"]}),
    ... })
    >>> net = SupplyNetwork.build(ds)
    >>> producibility(net)["producible"].to_list()
    [True]
    >>> producibility(net, removed=["S"]).row(0)[:4]
    ('DD', False, 'P', 'SEAL')
    >>> producibility(net, removed=["S"])["reason"][0]
    'P (Prime) has no source that can make SEAL (Seal): its only source S (Seal Co) is removed'
    """
    can_produce = producing(network, removed)
    labels = Labels(network)
    rows: list[tuple[str, bool, str | None, str | None, str | None]] = []
    for program in programs(network, None):
        graph = ProgramGraph.build(network, program)
        alive = graph.alive(can_produce)
        if alive[0]:
            rows.append((graph.program_id, True, None, None, None))
        else:
            rows.append((graph.program_id, False, *_why_not(graph, alive, can_produce, labels)))
    return pl.DataFrame(rows, schema=PRODUCIBILITY_SCHEMA, orient="row")


def producing(network: SupplyNetwork, removed: Collection[str] = ()) -> BoolArray:
    """`network.can_produce` with the firms of `removed` (ids) set to False."""
    can_produce = network.can_produce.copy()
    if removed:
        try:
            can_produce[network.firm_index(list(removed))] = False
        except KeyError as error:
            raise RiskError(error.args[0]) from None
    return can_produce


def programs(network: SupplyNetwork, program_id: str | None) -> list[int]:
    """Program rows to analyse: all of them, or the one named; RiskError when none."""
    if network.program_ids.len() == 0:
        raise RiskError("no programs in the dataset")
    if program_id is None:
        return list(range(network.program_ids.len()))
    try:
        return [network.program_index(program_id)]
    except KeyError as error:
        raise RiskError(error.args[0]) from None


class Labels:
    """Readable names of firms and items for reasons: "F0123 (Gear Works)"."""

    def __init__(self, network: SupplyNetwork) -> None:
        self.network = network
        self._firm_names = network.dataset.firms.get_column("name")
        self._item_names = network.dataset.items.get_column("name")

    def firm_id(self, firm: int) -> str:
        return str(self.network.firm_ids[firm])

    def item_id(self, item: int) -> str:
        return str(self.network.item_ids[item])

    def name(self, firm: int) -> str:
        return str(self._firm_names[firm])

    def firm(self, firm: int) -> str:
        return f"{self.network.firm_ids[firm]} ({self._firm_names[firm]})"

    def item(self, item: int) -> str:
        return f"{self.network.item_ids[item]} ({self._item_names[item]})"

    def firm_list(self, firms: list[int]) -> str:
        return ", ".join(self.firm(f) for f in firms)


def _why_not(
    graph: ProgramGraph, alive: list[bool], can_produce: BoolArray, labels: Labels
) -> tuple[str | None, str, str]:
    """(customer_id, item_id, reason) of a dead root, found from the top."""
    network = labels.network
    v = 0
    prime = graph.firm[0]
    if not can_produce[prime]:
        state = "has exited" if not network.can_produce[prime] else "is removed"
        return None, labels.item_id(graph.item[0]), f"prime contractor {labels.firm(prime)} {state}"
    while True:
        child, alternatives = next(
            need for need in graph.needs[v] if not any(alive[a] for a in need[1])
        )
        firm = graph.firm[v]
        starved = [a for a in alternatives if can_produce[graph.firm[a]]]
        if starved:  # a source that could produce lacks an input: look at its inputs
            v = starved[0]
            continue
        head = f"{labels.firm(firm)} has no source that can make {labels.item(child)}"
        gone = [graph.firm[a] for a in alternatives]
        if not gone:
            detail = "none is recorded"
        else:
            exited = [f for f in gone if not network.can_produce[f]]
            removed = [f for f in gone if network.can_produce[f]]
            parts = []
            if exited:
                parts.append(f"{labels.firm_list(exited)} {_verb(exited, 'has', 'have')} exited")
            if removed:
                parts.append(f"{labels.firm_list(removed)} {_verb(removed, 'is', 'are')} removed")
            only = "its only source" if len(gone) == 1 else "its sources"
            detail = f"{only} {' and '.join(parts)}"
        return labels.firm_id(firm), labels.item_id(child), f"{head}: {detail}"


def _verb(firms: list[int], one: str, many: str) -> str:
    return one if len(firms) == 1 else many


class _Sources:
    """Per customer firm, its distinct suppliers of each item (from `by_customer`), cached."""

    def __init__(self, network: SupplyNetwork) -> None:
        csr = network.by_customer
        self._indptr = csr.indptr
        # Supply rows laid out by customer then item: one gather, then slices per firm.
        self._item = network.item[csr.order]
        self._supplier = network.supplier[csr.order]
        self._cache: dict[int, dict[int, list[int]]] = {}

    def of(self, firm: int) -> dict[int, list[int]]:
        found = self._cache.get(firm)
        if found is None:
            lo, hi = int(self._indptr[firm]), int(self._indptr[firm + 1])
            found = {}
            for item, supplier in zip(
                self._item[lo:hi].tolist(), self._supplier[lo:hi].tolist(), strict=True
            ):
                suppliers = found.setdefault(item, [])
                if supplier not in suppliers:
                    suppliers.append(supplier)
            self._cache[firm] = found
        return found


class _Children:
    """Per item, its distinct `bom` children in bom order, cached."""

    def __init__(self, network: SupplyNetwork) -> None:
        self._indptr = network.bom.indptr
        self._child = network.bom_child[network.bom.order]
        self._cache: dict[int, list[int]] = {}

    def of(self, item: int) -> list[int]:
        found = self._cache.get(item)
        if found is None:
            lo, hi = int(self._indptr[item]), int(self._indptr[item + 1])
            found = self._cache[item] = list(dict.fromkeys(self._child[lo:hi].tolist()))
        return found


def _post_order(needs: list[list[Need]]) -> list[int]:
    """Nodes of the DAG from node 0, each after every node it needs (iterative DFS)."""
    state = bytearray(len(needs))  # 0 unseen, 1 open, 2 done
    order: list[int] = []
    stack = [0]
    while stack:
        v = stack[-1]
        if state[v] == 0:
            state[v] = 1
            stack.extend(a for _, alternatives in needs[v] for a in alternatives if not state[a])
        else:
            stack.pop()
            if state[v] == 1:  # the DAG has no open node below an open one: done
                state[v] = 2
                order.append(v)
    return order
