"""Single points of failure: the firms whose exit alone makes a producible program fail.

Exact on any valid dataset (firms at several tiers, shared suppliers, supply loops between
firms), by one pass over the program's (firm, item) DAG (`ProgramGraph`) in reverse
topological order. For a live node v = (f, i) the set of firms whose single exit kills it:

    kill(f, i)   = {f}  ∪  ⋃ over bom children c of i:  killOR(f, c)
    killOR(f, c) = ⋂ over the live suppliers s of c to f:  kill(s, c)

A node already dead stays dead and drops out of the OR; removals only ever kill nodes, and
one exit is one event, so the recursion is exact (it is the single-fault case of fault-tree
minimal cut sets; cf. Vesely et al., *Fault Tree Handbook*, NUREG-0492, 1981, ch. VII). The
firms of kill(root) are the program's single points of failure.
"""

from __future__ import annotations

import polars as pl

from kiban.network import SupplyNetwork
from kiban.risk.producibility import Labels, ProgramGraph, programs

SPOF_SCHEMA = pl.Schema(
    {
        "program_id": pl.String(),
        "firm_id": pl.String(),
        "name": pl.String(),
        "customer_id": pl.String(),
        "item_id": pl.String(),
        "reason": pl.String(),
        "tier": pl.Int32(),
    }
)

KillSets = tuple[list[frozenset[int]], list[list[frozenset[int]]]]
"""Per node, the firms whose single exit kills it; per node and need, those that kill the need."""


def single_points_of_failure(network: SupplyNetwork, program_id: str | None = None) -> pl.DataFrame:
    """The firms whose exit alone makes a producible program unproducible, with the reason.

    `program_id`: one program, or all of them (None). Programs that are already not
    producible have no rows (`producibility` says why). Unknown program, or a dataset
    without programs: RiskError.

    Returns columns program_id, firm_id, name, customer_id, item_id, reason, tier, sorted by
    program, tier, firm. For the prime, reason "prime contractor", customer_id null and
    item_id the end item. For any other firm, (customer_id, item_id) is the shallowest need
    (breadth first from the prime, through the nodes its exit kills) that the firm supplies
    directly and whose live sources all fall with it: "only source of I045 (Landing gear)
    for F0002 (...)" or, when its other sources all need it, "source of I045 (...) for
    F0002 (...) on which its other sources F0007 (...) depend". `tier` is the firm's
    shallowest tier in the program (prime = 0, its direct suppliers 1), as in
    `kiban.network.program_supply_chain`.

    Cost: O(nodes + edges) set operations on sets of at most the program's firms; about
    0.25 s for the generated destroyer (8,300 firms, benchmarks/bench_spof.py).

    >>> from kiban.dataset import Dataset
    >>> ds = Dataset.from_frames({
    ...     "firms": pl.DataFrame({"firm_id": ["P", "A", "B", "M"],
    ...                            "name": ["Prime", "Gears A", "Gears B", "Mill"],
    ...                            "country": ["JP", "JP", "JP", "JP"]}),
    ...     "items": pl.DataFrame({"item_id": ["SYS", "GEAR", "STEEL"],
    ...                            "name": ["Tank", "Gear", "Steel"],
    ...                            "kind": ["system", "component", "material"]}),
    ...     "bom": pl.DataFrame({"parent_item_id": ["SYS", "GEAR"],
    ...                          "child_item_id": ["GEAR", "STEEL"], "quantity": [4.0, 2.0]}),
    ...     "supplies": pl.DataFrame({"supplier_id": ["A", "B", "M", "M"],
    ...                               "customer_id": ["P", "P", "A", "B"],
    ...                               "item_id": ["GEAR", "GEAR", "STEEL", "STEEL"]}),
    ...     "programs": pl.DataFrame({"program_id": ["T"], "name": ["Tank"],
    ...                               "item_id": ["SYS"], "prime_id": ["P"]}),
    ... })
    >>> spof = single_points_of_failure(SupplyNetwork.build(ds))
    >>> spof.select("firm_id", "tier").rows()
    [('P', 0), ('M', 2)]
    >>> spof["reason"][1]
    'only source of STEEL (Steel) for A (Gears A)'
    """
    labels = Labels(network)
    rows = []
    for program in programs(network, program_id):
        graph = ProgramGraph.build(network, program)
        alive = graph.alive(network.can_produce)
        if not alive[0]:
            continue
        kill, kill_or = kill_sets(graph, alive)
        tiers = graph.first_tiers()
        for firm in kill[0]:
            customer, item, reason = _explain(graph, alive, kill_or, firm, labels)
            rows.append(
                (
                    graph.program_id,
                    labels.firm_id(firm),
                    labels.name(firm),
                    customer,
                    item,
                    reason,
                    tiers[firm],
                )
            )
    frame = pl.DataFrame(rows, schema=SPOF_SCHEMA, orient="row")
    return frame.sort("program_id", "tier", "firm_id")


def kill_sets(graph: ProgramGraph, alive: list[bool]) -> KillSets:
    """kill(v) per live node and killOR per live node and need (empty for dead nodes)."""
    none: frozenset[int] = frozenset()
    kill = [none] * graph.n_nodes
    kill_or: list[list[frozenset[int]]] = [[] for _ in range(graph.n_nodes)]
    for v in graph.post_order:
        if not alive[v]:
            continue
        killed = {graph.firm[v]}
        for _, alternatives in graph.needs[v]:
            live = [kill[a] for a in alternatives if alive[a]]
            # Intersect from the smallest set: the others are only probed.
            need = live[0] if len(live) == 1 else frozenset.intersection(*sorted(live, key=len))
            kill_or[v].append(need)
            killed.update(need)
        kill[v] = frozenset(killed)
    return kill, kill_or


def _explain(
    graph: ProgramGraph,
    alive: list[bool],
    kill_or: list[list[frozenset[int]]],
    firm: int,
    labels: Labels,
) -> tuple[str | None, str, str]:
    """(customer_id, item_id, reason) of single point of failure `firm`: the shallowest need
    that `firm` supplies directly and whose every live source falls with it."""
    if graph.firm[0] == firm:
        return None, labels.item_id(graph.item[0]), "prime contractor"
    # Breadth first through the nodes that firm's exit kills, from the root; one exists
    # below every such node, since firm is in kill(v) only through a need it kills.
    queue, seen = [0], {0}
    for v in queue:
        for (child, alternatives), killers in zip(graph.needs[v], kill_or[v], strict=True):
            if firm not in killers:
                continue
            live = [a for a in alternatives if alive[a]]
            if any(graph.firm[a] == firm for a in live):
                where = f"{labels.item(child)} for {labels.firm(graph.firm[v])}"
                others = [graph.firm[a] for a in live if graph.firm[a] != firm]
                reason = (
                    f"source of {where} on which its other sources "
                    f"{labels.firm_list(others)} depend"
                    if others
                    else f"only source of {where}"
                )
                return labels.firm_id(graph.firm[v]), labels.item_id(child), reason
            queue.extend(a for a in live if a not in seen)
            seen.update(live)
    raise AssertionError(f"no need of the program falls with firm {firm}")  # pragma: no cover
