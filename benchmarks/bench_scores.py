"""Fragility, criticality, archetypes and firm risk at scale.

Measures, on networks already built (SupplyNetwork.build is bench_network's):
- the generated demo (`generate_programs(1)`, 11.5k firms, 55k supplies): fragility(),
  criticality() given the single points of failure, archetype_evidence(), firm_risk() given
  them, and explain() of the riskiest firm (which recomputes everything, spof included);
- the national network (benchmarks/national.py, 1M firms / 5M firm-level supplies, no
  programs): fragility() and firm_risk().

The issue sets no target for these, and there is no networkx or scipy equivalent of these
group-bys to compare with. Times are the best of `--repeat` runs.

Run: uv run python benchmarks/bench_scores.py [--firms N] [--supplies M] [--repeat R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

AS_OF = dt.date(2026, 4, 1)


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--supplies", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).parent))
    import polars as pl

    from kiban.dataset import Dataset
    from kiban.network import SupplyNetwork
    from kiban.reference.programs import generate_programs
    from kiban.risk.archetypes import archetype_evidence
    from kiban.risk.config import load_demo_config
    from kiban.risk.criticality import criticality
    from kiban.risk.fragility import fragility
    from kiban.risk.scores import explain, firm_risk
    from kiban.risk.spof import single_points_of_failure

    from national import national_frames

    def report(what: str, seconds: float, rows: int) -> None:
        print(f"{what:<58} {seconds:8.3f} s  {rows:>10,} rows", flush=True)

    config = load_demo_config()
    demo = SupplyNetwork.build(generate_programs(1))
    seconds, spof = best_of(args.repeat, lambda: single_points_of_failure(demo))
    assert isinstance(spof, pl.DataFrame)
    report(f"demo ({demo.n_firms:,} firms): single_points_of_failure", seconds, spof.height)
    seconds, frag = best_of(args.repeat, lambda: fragility(demo, config))
    assert isinstance(frag, pl.DataFrame)
    report("demo: fragility", seconds, frag.height)
    seconds, _ = best_of(args.repeat, lambda: criticality(demo, config, spof=spof))
    report("demo: criticality (spof given)", seconds, demo.n_firms)
    seconds, frame = best_of(
        args.repeat, lambda: archetype_evidence(demo, config, frag, as_of=AS_OF)
    )
    assert isinstance(frame, pl.DataFrame)
    report("demo: archetype_evidence", seconds, frame.height)
    seconds, risk = best_of(args.repeat, lambda: firm_risk(demo, config, as_of=AS_OF, spof=spof))
    assert isinstance(risk, pl.DataFrame)
    report("demo: firm_risk (spof given)", seconds, risk.height)
    top = risk.item(0, "firm_id")
    seconds, _ = best_of(args.repeat, lambda: explain(demo, config, top, as_of=AS_OF))
    report(f"demo: explain {top} (everything recomputed)", seconds, 1)

    size = f"{args.firms:,} firms / {args.supplies:,} supplies"
    national = SupplyNetwork.build(Dataset.from_frames(national_frames(args.firms, args.supplies)))
    seconds, _ = best_of(args.repeat, lambda: fragility(national, config))
    report(f"national {size}: fragility", seconds, national.n_firms)
    seconds, _ = best_of(args.repeat, lambda: firm_risk(national, config, as_of=AS_OF))
    report(f"national {size}: firm_risk", seconds, national.n_firms)


if __name__ == "__main__":
    main()
