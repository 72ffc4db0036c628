"""SupplyNetwork.build at national scale: 1 million firms and 5 million supplies in under 2 s.

Measures, on a plain random dataset of that size (benchmarks/national.py):
- build from a Dataset already in memory (the target): the first build in the process
  (allocator and thread pools cold) and the median of --repeat more; the first use of the
  two views built on demand (`by_supplier`, `links_out`); the time of each part;
- the same network read from Parquet (`read_dataset`) and from a SQLite store
  (`open_store(...).dataset()`, after a one-off import timed apart), then built, each in a
  fresh process so that its peak memory is its own;
- networkx: an `nx.DiGraph` from the supplies' edge list, as the ratio (a fresh process too).

Run: uv run python benchmarks/bench_network.py [--firms N] [--supplies M] [--repeat R]
     [--skip-store] [--skip-networkx]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from kiban import network as network_module
from kiban.dataset import Dataset
from kiban.network import SupplyNetwork

from national import national_dataset

TARGET_S = 2.0


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _array_bytes(net: SupplyNetwork) -> int:
    total = 0
    for value in [*vars(net).values(), *net._cache.values()]:
        if isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, network_module.Csr):
            total += value.indptr.nbytes + value.order.nbytes
    return total


def _timed(run: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def _parts(dataset: Dataset) -> dict[str, float]:
    """One build's parts, through the helpers `SupplyNetwork.build` calls, in its order."""
    nm = network_module
    parts: dict[str, float] = {}
    firm_ids = dataset.firms.get_column("firm_id")
    item_ids = dataset.items.get_column("item_id")
    n_firms = firm_ids.len()
    supplies = dataset.supplies
    (firms, items), parts["id tables"] = _timed(
        lambda: (nm._IdTable(firm_ids), nm._IdTable(item_ids))
    )
    (supplier, customer), parts["code supplier+customer ids"] = _timed(
        lambda: firms.codes(supplies.get_column("supplier_id"), supplies.get_column("customer_id"))
    )
    [item], parts["code item ids"] = _timed(lambda: items.codes(supplies.get_column("item_id")))
    _, parts["links (distinct pairs)"] = _timed(lambda: nm._links(supplier, customer, n_firms))
    _, parts["by_customer"] = _timed(lambda: nm.Csr.group(customer, n_firms, then=item))
    return parts


def _phase(kind: str, where: str) -> dict[str, float]:
    """Read the dataset from `where` (a Parquet folder or a SQLite URL) and build it."""
    if kind == "parquet":
        from kiban.dataset.io import read_dataset

        dataset, read_s = _timed(lambda: read_dataset(where))
    elif kind == "sqlite":
        from kiban.store import open_store

        with open_store(where) as store:
            dataset, read_s = _timed(store.dataset)
    else:
        import networkx as nx

        firms, supplies = (int(n) for n in where.split(","))
        dataset = national_dataset(firms, supplies)
        start = time.perf_counter()
        edges = zip(
            dataset.supplies.get_column("supplier_id").to_list(),
            dataset.supplies.get_column("customer_id").to_list(),
            strict=True,
        )
        graph = nx.DiGraph(edges)
        graph_s = time.perf_counter() - start
        return {"build_s": graph_s, "edges": graph.number_of_edges(), "peak_rss_gb": _peak_rss_gb()}
    net, build_s = _timed(lambda: SupplyNetwork.build(dataset))  # the first in the process
    return {
        "read_s": read_s,
        "build_s": build_s,
        "links": net.n_links,
        "peak_rss_gb": _peak_rss_gb(),
    }


def _in_fresh_process(kind: str, where: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--phase", kind, where],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--supplies", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-store", action="store_true", help="no SQLite import and read")
    parser.add_argument("--skip-networkx", action="store_true", help="no networkx graph")
    parser.add_argument("--phase", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(*args.phase)))
        return

    dataset = national_dataset(args.firms, args.supplies)
    rss_before_gb = _peak_rss_gb()
    print(
        f"dataset: {args.firms:,} firms, {args.supplies:,} supplies (firm-level); "
        f"target {TARGET_S:.0f} s"
    )
    net, first = _timed(lambda: SupplyNetwork.build(dataset))
    print(f"{'build (in memory), first':<34} {first:6.2f} s   {first / TARGET_S:5.2f} of target")
    runs = []
    for _ in range(args.repeat):
        net, seconds = _timed(lambda: SupplyNetwork.build(dataset))
        runs.append(seconds)
    median = statistics.median(runs)
    print(
        f"{'build (in memory), again':<34} {median:6.2f} s   {median / TARGET_S:5.2f} of target "
        f"(median of {len(runs)}: " + ", ".join(f"{r:.2f}" for r in runs) + ")"
    )
    _, views = _timed(lambda: (net.by_supplier, net.links_out))
    print(f"{'  + by_supplier, links_out (lazy)':<34} {views:6.2f} s   on first use")
    print(
        f"{'':<34} {net.n_links:,} links; arrays {_array_bytes(net) / 1e6:,.0f} MB; peak RSS "
        f"{_peak_rss_gb():.2f} GB (dataset alone {rss_before_gb:.2f} GB)"
    )
    parts = _parts(dataset)
    print(f"{'parts of one build':<34} {sum(parts.values()):6.2f} s")
    for part, seconds in parts.items():
        print(f"  {part:<32} {seconds:6.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        from kiban.dataset.io import write_dataset

        parquet = write_dataset(dataset, Path(tmp) / "parquet", "parquet")
        result = _in_fresh_process("parquet", str(parquet))
        total = result["read_s"] + result["build_s"]
        print(
            f"{'read parquet + build':<34} {total:6.2f} s   (read {result['read_s']:.2f} s, "
            f"build {result['build_s']:.2f} s, peak RSS {result['peak_rss_gb']:.2f} GB)"
        )
        if not args.skip_store:
            from kiban.store import open_store

            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            with open_store(url, create=True) as store:
                _, import_s = _timed(
                    lambda: store.import_dataset(dataset, replace=True, actor="benchmark")
                )
            result = _in_fresh_process("sqlite", url)
            total = result["read_s"] + result["build_s"]
            print(
                f"{'read SQLite store + build':<34} {total:6.2f} s   (store.dataset() "
                f"{result['read_s']:.2f} s, build {result['build_s']:.2f} s, peak RSS "
                f"{result['peak_rss_gb']:.2f} GB; the one-off import took {import_s:.1f} s)"
            )
    if not args.skip_networkx:
        result = _in_fresh_process("networkx", f"{args.firms},{args.supplies}")
        print(
            f"{'networkx DiGraph from edge list':<34} {result['build_s']:6.2f} s   "
            f"{result['build_s'] / first:.1f}x the first build "
            f"(peak RSS {result['peak_rss_gb']:.2f} GB with the dataset)"
        )


if __name__ == "__main__":
    main()
