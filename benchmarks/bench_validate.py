"""Validation at national scale: 1 million firms and 5 million supplies in under 10 s.

Measures, on a plain random dataset of that size (benchmarks/national.py):
- validate() of a dataset already in memory;
- read_dataset() + validate() of a Parquet folder and of a CSV folder (what `kiban validate`
  does), each in a fresh process so its peak memory is its own.

Run: uv run python benchmarks/bench_validate.py [--firms N] [--supplies M]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 10.0


def _phase(path: str) -> dict[str, float]:
    from kiban.dataset.io import read_dataset
    from kiban.dataset.validate import validate

    start = time.perf_counter()
    dataset = read_dataset(path)
    read_s = time.perf_counter() - start
    report = validate(dataset)
    total_s = time.perf_counter() - start
    assert report.ok, report.counts()
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return {
        "read_s": read_s,
        "validate_s": total_s - read_s,
        "total_s": total_s,
        "peak_rss_gb": peak_gb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--supplies", type=int, default=5_000_000)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(args.phase)))
        return

    sys.path.insert(0, str(Path(__file__).parent))
    from kiban.dataset.io import write_dataset
    from kiban.dataset.validate import validate

    from national import national_dataset

    dataset = national_dataset(args.firms, args.supplies)
    start = time.perf_counter()
    report = validate(dataset)
    in_memory_s = time.perf_counter() - start
    assert report.ok
    print(f"dataset: {args.firms:,} firms, {args.supplies:,} supplies; target {TARGET_S:.0f} s")
    print(
        f"{'validate (in memory)':<32} {in_memory_s:6.2f} s   {in_memory_s / TARGET_S:5.2f} "
        "of target"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("parquet", "csv"):
            path = write_dataset(dataset, Path(tmp) / fmt, fmt)
            result = json.loads(
                subprocess.run(
                    [sys.executable, __file__, "--phase", str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            label = f"read {fmt} + validate"
            print(
                f"{label:<32} {result['total_s']:6.2f} s   {result['total_s'] / TARGET_S:5.2f} "
                f"of target  (read {result['read_s']:.2f} s, validate "
                f"{result['validate_s']:.2f} s, peak RSS {result['peak_rss_gb']:.2f} GB)"
            )


if __name__ == "__main__":
    main()
