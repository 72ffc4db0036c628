"""Single points of failure of the generated destroyer (about 8,300 firms) in under 1 s.

Measures, on `generate_programs(seed)` at scale 1 (six programs, about 11,500 firms): the
SupplyNetwork built once; then, for the destroyer, the exact single points of failure and,
separately, the exact critical pairs (best of --repeat runs each); producibility of all
programs; and brute force (remove each firm of the destroyer's chain in turn and recompute
producibility, on a (firm, item) graph compiled once), timed on --sample firms and
extrapolated to the whole chain, as the ratio. Ends with the count of single points of
failure and critical pairs per program.

networkx has no equivalent: its dominators answer the question on a graph of firms, where
one path suffices, not on DATASET.md's AND (every bom child) / OR (one of the sources)
graph; brute force is the baseline.

Run: uv run python benchmarks/bench_spof.py [--seed S] [--sample N] [--repeat R]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import polars as pl

from kiban.network import SupplyNetwork, program_supply_chain
from kiban.reference.programs import generate_programs
from kiban.risk.pairs import critical_pairs
from kiban.risk.producibility import ProgramGraph, producibility
from kiban.risk.spof import single_points_of_failure

TARGET_S = 1.0
PROGRAM = "destroyer"


def _best(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=200, help="firms removed by brute force")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    dataset = generate_programs(args.seed)
    generate_s = time.perf_counter() - start
    build_s, built = _best(lambda: SupplyNetwork.build(dataset), args.repeat)
    assert isinstance(built, SupplyNetwork)
    net = built
    chain = program_supply_chain(dataset).filter(program_id=PROGRAM)
    chain_firms = chain["firm_id"].unique().sort().to_list()
    print(
        f"dataset: seed {args.seed}, {net.n_firms:,} firms, {net.n_supplies:,} supplies; "
        f"{PROGRAM}: {len(chain_firms):,} firms, {chain.height:,} (firm, item) nodes"
    )
    print(f"{'generate programs':<40} {generate_s:7.3f} s")
    print(f"{'SupplyNetwork.build':<40} {build_s:7.3f} s")

    spof_s, spof = _best(lambda: single_points_of_failure(net, PROGRAM), args.repeat)
    pairs_s, pairs = _best(lambda: critical_pairs(net, PROGRAM), args.repeat)
    assert isinstance(spof, pl.DataFrame)
    assert isinstance(pairs, pl.DataFrame)
    both = spof_s + pairs_s
    print(
        f"{'single points of failure (' + PROGRAM + ')':<40} {spof_s:7.3f} s   "
        f"{spof_s / TARGET_S:5.2f} of target ({spof.height:,} firms)"
    )
    print(
        f"{'critical pairs (' + PROGRAM + ')':<40} {pairs_s:7.3f} s   "
        f"{pairs_s / TARGET_S:5.2f} of target ({pairs.height:,} pairs)"
    )
    print(f"{'both':<40} {both:7.3f} s   {both / TARGET_S:5.2f} of target")
    all_s, _ = _best(lambda: producibility(net), args.repeat)
    print(f"{'producibility, all programs':<40} {all_s:7.3f} s")

    # Brute force: the graph compiled once, producibility re-evaluated per removed firm.
    graph = ProgramGraph.build(net, net.program_index(PROGRAM))
    sample = random.Random(args.seed).sample(chain_firms, min(args.sample, len(chain_firms)))
    indices = net.firm_index(sample)
    start = time.perf_counter()
    for firm in indices:
        can_produce = net.can_produce.copy()
        can_produce[firm] = False
        graph.alive(can_produce)
    per_firm_s = (time.perf_counter() - start) / len(sample)
    brute_s = per_firm_s * len(chain_firms)
    print(
        f"{'brute force, each firm removed (est.)':<40} {brute_s:7.3f} s   "
        f"{brute_s / spof_s:5.0f}x the exact method ({per_firm_s * 1e3:.2f} ms a firm, "
        f"{len(sample)} timed)"
    )
    n_pairs = len(chain_firms) * (len(chain_firms) - 1) // 2
    pairs_brute_s = per_firm_s * n_pairs
    print(
        f"{'brute force, each pair removed (est.)':<40} {pairs_brute_s / 86400:7.1f} d   "
        f"{pairs_brute_s / pairs_s:5.0e}x the exact method ({n_pairs:,} pairs)"
    )

    spof_all = single_points_of_failure(net)
    pairs_all = critical_pairs(net)
    counts = (
        dataset.programs.select("program_id")
        .join(spof_all.group_by("program_id").agg(spof=pl.len()), on="program_id", how="left")
        .join(pairs_all.group_by("program_id").agg(pairs=pl.len()), on="program_id", how="left")
        .fill_null(0)
    )
    print("per program (scale 1):")
    for program_id, n_spof, n_pair in counts.iter_rows():
        print(f"  {program_id:<12} {n_spof:6,} single points of failure {n_pair:8,} critical pairs")


if __name__ == "__main__":
    main()
