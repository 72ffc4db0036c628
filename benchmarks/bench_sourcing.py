"""Sourcing, exposure and staleness at scale.

Measures:
- the generated demo (`generate_programs(1)`, 55k item-level supplies): sourcing(), exposure()
  of each program, data_age();
- the national network (benchmarks/national.py, 1M firms / 5M firm-level supplies): sourcing()
  (empty: no supply names an item), data_age(), stale_supplies();
- the same national network with an item on every supply (50k items), so that sourcing()
  meets 5M item-level rows: the scale it must handle "in seconds" (TARGET_S).

There is no networkx or scipy equivalent of these group-bys to compare with. Times are the best
of `--repeat` runs on a network already built (SupplyNetwork.build is bench_network's).

Run: uv run python benchmarks/bench_sourcing.py [--firms N] [--supplies M] [--repeat R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

TARGET_S = 5.0
AS_OF = dt.date(2026, 4, 1)


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, float, object]:
    """Best wall-clock seconds of `repeat` runs, the CPU seconds of that run, the result."""
    best, cpu, result = float("inf"), 0.0, None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        if (seconds := time.perf_counter() - start) < best:
            best, cpu = seconds, time.process_time() - start_cpu
    return best, cpu, result


def with_items(frames: dict[str, pl.DataFrame], n_items: int, seed: int) -> dict[str, pl.DataFrame]:
    """Give every supply one of `n_items` items and date it, so sourcing sees them all."""
    rng = np.random.default_rng(seed)
    ids = pl.Series("item_id", np.arange(n_items)).cast(pl.String).str.zfill(6)
    items = pl.DataFrame(
        {"item_id": "I" + ids, "name": "Item " + ids, "kind": ["component"] * n_items}
    )
    supplies = frames["supplies"]
    days = rng.integers(0, 3 * 365, supplies.height)
    supplies = supplies.with_columns(
        item_id=items.get_column("item_id").gather(rng.integers(0, n_items, supplies.height)),
        observed_at=pl.lit(dt.date(2023, 1, 1)) + pl.duration(days=pl.Series(days)),
    )
    return {**frames, "items": items, "supplies": supplies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--supplies", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).parent))
    from kiban.dataset import Dataset
    from kiban.network import SupplyNetwork
    from kiban.reference.programs import generate_programs
    from kiban.risk.exposure import exposure
    from kiban.risk.sourcing import sourcing
    from kiban.risk.staleness import data_age, stale_supplies

    from national import national_frames

    def report(what: str, timed: tuple[float, float, object], target: float | None = None) -> None:
        seconds, cpu, result = timed
        rows = result.height if isinstance(result, pl.DataFrame) else 1
        ratio = f"  {seconds / target:.2f} of the {target:g} s target" if target else ""
        print(f"{what:<52} {seconds:7.3f} s ({cpu:6.2f} s CPU) {rows:>10,} rows{ratio}", flush=True)

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)

    demo = SupplyNetwork.build(generate_programs(1))
    report(
        f"demo: sourcing ({demo.n_supplies:,} supplies)",
        best_of(args.repeat, lambda: sourcing(demo, as_of=AS_OF)),
    )
    for program in demo.program_ids:
        report(
            f"demo: exposure {program}",
            best_of(
                args.repeat,
                lambda p=program: exposure(demo, p, countries_of_concern=["CN"], as_of=AS_OF),
            ),
        )
    report("demo: data_age", best_of(args.repeat, lambda: data_age(demo, as_of=AS_OF)))

    size = f"{args.firms / 1e6:g}M firms / {args.supplies / 1e6:g}M supplies"
    frames = national_frames(args.firms, args.supplies)
    firm_level = SupplyNetwork.build(Dataset.from_frames(frames))
    report(
        f"national {size}: sourcing (firm-level)",
        best_of(args.repeat, lambda: sourcing(firm_level)),
        TARGET_S,
    )
    report(
        f"national {size}: data_age",
        best_of(args.repeat, lambda: data_age(firm_level, as_of=AS_OF)),
    )

    itemised = SupplyNetwork.build(Dataset.from_frames(with_items(frames, 50_000, seed=1)))
    report(
        f"national {size}, items: sourcing",
        best_of(args.repeat, lambda: sourcing(itemised, as_of=AS_OF)),
        TARGET_S,
    )
    report(
        f"national {size}, items: data_age",
        best_of(args.repeat, lambda: data_age(itemised, as_of=AS_OF)),
    )
    report(
        f"national {size}, items: stale_supplies",
        best_of(args.repeat, lambda: stale_supplies(itemised, as_of=AS_OF)),
    )


if __name__ == "__main__":
    main()
