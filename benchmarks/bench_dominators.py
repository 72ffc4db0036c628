"""Dominator trees of a national supplier graph: 1 million firms, 5 million links, under 5 s
per root.

Measures, on a plain random firm-level dataset (benchmarks/national.py), with the
SupplyNetwork built once beforehand (its time is bench_network.py's):
- `dominator_tree` for --roots random roots that have suppliers: the first call (which also
  builds the adjacency the network keeps) and the others, with the method and rounds used;
- `supply_dominators` and `chokepoints` (the frames) for the first root;
- rustworkx alone (`method="rustworkx"`): building its graph once, then a tree per root;
- networkx (`nx.DiGraph` from the links, then `nx.immediate_dominators`) for the first root,
  once, in a fresh process; its tree is checked against ours. --networkx-firms N runs it on a
  smaller dataset of N firms and 5N supplies instead (ours is timed again there for the
  ratio); --skip-networkx leaves it out.

Run: uv run python benchmarks/bench_dominators.py [--firms N] [--supplies M] [--roots R]
     [--networkx-firms N | --skip-networkx]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from kiban.network import SupplyNetwork
from kiban.risk.dominators import chokepoints, dominator_tree, supply_dominators

from national import national_dataset

TARGET_S = 5.0


def _timed(run: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _roots(net: SupplyNetwork, count: int) -> list[int]:
    """`count` random firms with at least one supplier (seeded)."""
    with_suppliers = np.flatnonzero(net.links_in.degree() > 0)
    return np.random.default_rng(1).choice(with_suppliers, count, replace=False).tolist()


def _networkx(firms: int, supplies: int) -> dict[str, Any]:
    """In a fresh process: our tree and networkx's for the first root, checked equal."""
    import networkx as nx

    net = SupplyNetwork.build(national_dataset(firms, supplies))
    root = _roots(net, 1)[0]
    tree, ours_s = _timed(lambda: dominator_tree(net, root))
    start = time.perf_counter()
    graph: nx.DiGraph[int] = nx.DiGraph()
    graph.add_nodes_from(range(net.n_firms))
    graph.add_edges_from(zip(net.link_customer.tolist(), net.link_supplier.tolist(), strict=True))
    graph_s = time.perf_counter() - start
    expected, dominators_s = _timed(lambda: nx.immediate_dominators(graph, root))
    got = dict(zip(tree.firms[1:].tolist(), tree.immediate_dominator[1:].tolist(), strict=True))
    return {
        "ours_s": ours_s,
        "graph_s": graph_s,
        "dominators_s": dominators_s,
        "same": got == expected,
        "peak_rss_gb": _peak_rss_gb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--supplies", type=int, default=5_000_000)
    parser.add_argument("--roots", type=int, default=5)
    parser.add_argument("--networkx-firms", type=int, help="run networkx at this smaller scale")
    parser.add_argument("--skip-networkx", action="store_true")
    parser.add_argument("--networkx-phase", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.networkx_phase:
        print(json.dumps(_networkx(*args.networkx_phase)))
        return

    net = SupplyNetwork.build(national_dataset(args.firms, args.supplies))
    print(
        f"network: {net.n_firms:,} firms, {net.n_links:,} links (firm-level); "
        f"target {TARGET_S:.0f} s per root"
    )
    roots = _roots(net, args.roots)
    times = []
    for k, root in enumerate(roots):
        tree, seconds = _timed(lambda root=root: dominator_tree(net, root))
        times.append(seconds)
        label = "dominator_tree, first root" if k == 0 else f"dominator_tree, root {k + 1}"
        print(
            f"{label:<34} {seconds:6.2f} s   {seconds / TARGET_S:5.2f} of target   "
            f"({tree.method}, {tree.rounds} rounds; {tree.firms.size - 1:,} upstream firms, "
            f"tree depth {int(tree.depth.max())}, largest chokepoint dominates "
            f"{int(tree.dominated[1:].max(initial=0))})"
        )
    later = statistics.median(times[1:]) if len(times) > 1 else times[0]
    print(f"{'  median of the later roots':<34} {later:6.2f} s   {later / TARGET_S:5.2f} of target")
    root_id = net.firm_names([roots[0]])[0]
    frame, frame_s = _timed(lambda: supply_dominators(net, root_id))
    print(f"{'supply_dominators (frame)':<34} {frame_s:6.2f} s   ({frame.height:,} rows)")
    frame, frame_s = _timed(lambda: chokepoints(net, root_id, top=10))
    print(f"{'chokepoints (frame, top 10)':<34} {frame_s:6.2f} s")

    # The first rustworkx call also builds the graph the network keeps; the second does not.
    _, first_s = _timed(lambda: dominator_tree(net, roots[0], method="rustworkx"))
    tree, rustworkx_s = _timed(lambda: dominator_tree(net, roots[0], method="rustworkx"))
    ours = dominator_tree(net, roots[0])
    same = np.array_equal(tree.immediate_dominator, ours.immediate_dominator)
    print(
        f"{'rustworkx: graph (once)':<34} {first_s - rustworkx_s:6.2f} s\n"
        f"{'rustworkx: tree per root':<34} {rustworkx_s:6.2f} s   "
        f"{rustworkx_s / later:.1f}x ours; same tree: {same}"
    )
    print(f"peak RSS {_peak_rss_gb():.2f} GB")

    if args.skip_networkx:
        return
    firms = args.networkx_firms or args.firms
    supplies = args.supplies * firms // args.firms
    result = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--networkx-phase", str(firms), str(supplies)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    print(
        f"networkx at {firms:,} firms, {supplies:,} supplies: DiGraph {result['graph_s']:.2f} s, "
        f"immediate_dominators {result['dominators_s']:.2f} s, "
        f"{result['dominators_s'] / result['ours_s']:.0f}x ours ({result['ours_s']:.2f} s, "
        f"first call); same tree: {result['same']}; peak RSS {result['peak_rss_gb']:.2f} GB"
    )


if __name__ == "__main__":
    main()
