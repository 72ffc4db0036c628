"""Critical pairs: two firms whose joint exit breaks a program although neither alone does.

Exact, by carrying per live (firm, item) node of the program's DAG (`ProgramGraph`) its
minimal kill sets of size at most two: the singletons S (as in `kiban.risk.spof`) and the
pairs P that contain no singleton. A pair {x, y} kills a node iff x or y is in S or the
pair is in P. In reverse topological order:

- AND node (f, i): S = {f} ∪ ⋃ S(need), P = ⋃ P(need) less the pairs that meet S;
- OR need (f, c) with live sources s1..sk: S = ⋂ S(sj); P = the pairs, meeting no element
  of S, that kill every sj: the pairs of the source s with the fewest singletons that
  kill every other source, and each x in S(s) \\ S joined to each y of the intersection,
  over the sources s' that x alone leaves alive, of S(s') ∪ {y : {x, y} in P(s')}.

This is the order-2 case of the minimal cut sets of a fault tree (Vesely et al., *Fault
Tree Handbook*, NUREG-0492, 1981, ch. VII), truncated at order 2, which keeps it exact for
pairs: a set of two firms kills a node exactly when it contains one of its minimal kill
sets, and those of size at most two are built only from those of the nodes below.
"""

from __future__ import annotations

import polars as pl

from kiban.errors import RiskError
from kiban.network import SupplyNetwork
from kiban.risk.producibility import Labels, ProgramGraph, programs

PAIRS_SCHEMA = pl.Schema(
    {
        "program_id": pl.String(),
        "firm_a": pl.String(),
        "firm_b": pl.String(),
        "customer_id": pl.String(),
        "item_id": pl.String(),
        "reason": pl.String(),
    }
)

Firms = frozenset[int]
Pairs = frozenset[int]
"""A pair {x, y} of firm indices, x < y, is coded as the int x * n_firms + y."""
_NONE: Firms = frozenset()


def critical_pairs(
    network: SupplyNetwork, program_id: str | None = None, *, limit: int | None = None
) -> pl.DataFrame:
    """Pairs of firms whose joint exit makes a producible program unproducible, although
    neither firm's exit alone does (those are `single_points_of_failure`).

    `program_id`: one program, or all (None); unknown program or no programs: RiskError.
    `limit`: at most this many pairs per program (the first by firm ids; all are computed,
    the limit only saves explaining and reporting them), None for all; below 0: RiskError.
    Programs already unproducible have no rows.

    Returns columns program_id, firm_a, firm_b (firm ids, firm_a < firm_b), customer_id,
    item_id and reason, sorted by program, firm_a, firm_b. (customer_id, item_id) is where
    the pair meets, found from the top: through the first need the pair kills and, while
    each of its live sources falls only to both firms together, the first source; down to
    a need some of whose sources fall to one firm of the pair alone: "the only sources of
    I045 (Landing gear) for F0002 (...)" when the two firms are its live sources, else "no
    source of I045 (...) for F0002 (...) survives the exit of both".

    Cost: O(nodes + edges) set operations on the kill sets, plus, per OR need with k > 1
    live sources, O(k |P(s)| + |S(s)| (|S(s1)| + ... + |S(sk)|)) set work; about 0.3 s for
    the generated destroyer (benchmarks/bench_spof.py). The number of pairs can grow as
    the square of the number of firms; it stays in the thousands on the generated programs.

    >>> from kiban.dataset import Dataset
    >>> ds = Dataset.from_frames({
    ...     "firms": pl.DataFrame({"firm_id": ["P", "A", "B"],
    ...                            "name": ["Prime", "Gears A", "Gears B"],
    ...                            "country": ["JP", "JP", "JP"]}),
    ...     "items": pl.DataFrame({"item_id": ["SYS", "GEAR"], "name": ["Tank", "Gear"],
    ...                            "kind": ["system", "component"]}),
    ...     "bom": pl.DataFrame({"parent_item_id": ["SYS"], "child_item_id": ["GEAR"],
    ...                          "quantity": [4.0]}),
    ...     "supplies": pl.DataFrame({"supplier_id": ["A", "B"], "customer_id": ["P", "P"],
    ...                               "item_id": ["GEAR", "GEAR"]}),
    ...     "programs": pl.DataFrame({"program_id": ["T"], "name": ["Tank"],
    ...                               "item_id": ["SYS"], "prime_id": ["P"]}),
    ... })
    >>> critical_pairs(SupplyNetwork.build(ds)).select("firm_a", "firm_b", "reason").row(0)
    ('A', 'B', 'the only sources of GEAR (Gear) for P (Prime)')
    """
    if limit is not None and limit < 0:
        raise RiskError(f"the limit of pairs must be 0 or more, not {limit}")
    labels = Labels(network)
    n_firms = network.n_firms
    rows = []
    for program in programs(network, program_id):
        graph = ProgramGraph.build(network, program)
        alive = graph.alive(network.can_produce)
        if not alive[0]:
            continue
        family = _KillFamily(graph, alive, n_firms)
        found: list[tuple[str, str, int]] = []
        for pair in family.pairs[0]:
            id_a, id_b = sorted(labels.firm_id(firm) for firm in divmod(pair, n_firms))
            found.append((id_a, id_b, pair))
        found.sort()
        for id_a, id_b, pair in found[:limit]:
            customer, item, reason = family.explain(pair, labels)
            rows.append((graph.program_id, id_a, id_b, customer, item, reason))
    return pl.DataFrame(rows, schema=PAIRS_SCHEMA, orient="row").sort(
        "program_id", "firm_a", "firm_b"
    )


class _KillFamily:
    """Singletons and minimal pairs that kill each live node and each of its needs."""

    def __init__(self, graph: ProgramGraph, alive: list[bool], n_firms: int) -> None:
        self.graph, self.alive, self.n_firms = graph, alive, n_firms
        empty: frozenset[int] = frozenset()
        n = graph.n_nodes
        self.singles: list[Firms] = [empty] * n
        self.pairs: list[Pairs] = [empty] * n
        self.need_pairs: list[list[Pairs]] = [[] for _ in range(n)]
        self._partners: dict[int, dict[int, set[int]]] = {}
        for v in graph.post_order:
            if alive[v]:
                self._and(v)

    def _and(self, v: int) -> None:
        singles = {self.graph.firm[v]}
        need_pairs = self.need_pairs[v]
        for _, alternatives in self.graph.needs[v]:
            live = [a for a in alternatives if self.alive[a]]
            if len(live) == 1:
                need_singles, pairs = self.singles[live[0]], self.pairs[live[0]]
            else:
                need_singles, pairs = self._or(live)
            singles.update(need_singles)
            need_pairs.append(pairs)
        n = self.n_firms
        self.singles[v] = frozenset(singles)
        self.pairs[v] = frozenset(
            pair
            for pairs in need_pairs
            for pair in pairs
            if pair // n not in singles and pair % n not in singles
        )

    def _or(self, live: list[int]) -> tuple[Firms, Pairs]:
        n = self.n_firms
        singles = [self.singles[a] for a in live]
        pairs = [self.pairs[a] for a in live]
        order = sorted(range(len(live)), key=lambda j: (len(singles[j]), len(pairs[j])))
        common = frozenset.intersection(*(singles[j] for j in order))

        first = order[0]
        found = {
            pair
            for pair in pairs[first]
            if all(
                pair // n in singles[j] or pair % n in singles[j] or pair in pairs[j]
                for j in order[1:]
            )
        }
        for x in singles[first] - common:
            # y must finish, alone or as x's partner, every source that x alone leaves alive.
            partners: Firms | None = None
            for j in order:
                if x not in singles[j]:
                    cover = singles[j] | self._partners_of(live[j]).get(x, _NONE)
                    partners = cover if partners is None else partners & cover
            assert partners is not None  # x is not in common: some source survives it alone
            found.update(x * n + y if x < y else y * n + x for y in partners - common)
        return common, frozenset(found)

    def _partners_of(self, v: int) -> dict[int, set[int]]:
        """Firm -> the firms it forms a pair of `pairs[v]` with, built once per node."""
        partners = self._partners.get(v)
        if partners is None:
            partners = self._partners[v] = {}
            for pair in self.pairs[v]:
                x, y = divmod(pair, self.n_firms)
                partners.setdefault(x, set()).add(y)
                partners.setdefault(y, set()).add(x)
        return partners

    def explain(self, pair: int, labels: Labels) -> tuple[str, str, str]:
        """(customer_id, item_id, reason) where `pair` of the root meets, from the top."""
        graph = self.graph
        v = 0
        while True:
            k = next(k for k, pairs in enumerate(self.need_pairs[v]) if pair in pairs)
            child, alternatives = graph.needs[v][k]
            live = [s for s in alternatives if self.alive[s]]
            if all(pair in self.pairs[s] for s in live):
                v = live[0]  # every source falls to the pair as a pair: look below
                continue
            where = f"{labels.item(child)} for {labels.firm(graph.firm[v])}"
            if {graph.firm[s] for s in live} <= set(divmod(pair, self.n_firms)):
                reason = f"the only sources of {where}"
            else:
                reason = f"no source of {where} survives the exit of both"
            return labels.firm_id(graph.firm[v]), labels.item_id(child), reason
