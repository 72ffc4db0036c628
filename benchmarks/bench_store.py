"""Importing into and reading from the store, at the scale of a large survey programme.

Measures, on SQLite in a temporary folder, for a plain random dataset
(benchmarks/national.py, default 100,000 firms and 500,000 supplies): the first import
(validation included), a re-import that changes nothing, and reading the dataset back.
PostgreSQL is measured too when KIBAN_BENCH_POSTGRES_URL names a database it may fill.

Run: uv run python benchmarks/bench_store.py [--firms N] [--supplies M]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from kiban.store import open_store

from national import national_dataset


def _measure(url: str, label: str, firms: int, supplies: int) -> None:
    dataset = national_dataset(firms, supplies)
    rows = firms + supplies
    with open_store(url, create=True) as store:
        start = time.perf_counter()
        store.import_dataset(dataset, replace=True, actor="benchmark")
        first = time.perf_counter() - start
        start = time.perf_counter()
        again = store.import_dataset(dataset, actor="benchmark")
        second = time.perf_counter() - start
        assert not again.changed
        start = time.perf_counter()
        read = store.dataset()
        read_s = time.perf_counter() - start
        assert read.row_counts() == dataset.row_counts()
    print(
        f"{label:<10} first import {first:6.2f} s ({rows / first:9,.0f} rows/s)   "
        f"re-import {second:6.2f} s   read back {read_s:6.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--supplies", type=int, default=500_000)
    args = parser.parse_args()
    print(f"dataset: {args.firms:,} firms, {args.supplies:,} supplies")
    with tempfile.TemporaryDirectory() as tmp:
        _measure(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", args.firms, args.supplies)
    if url := os.environ.get("KIBAN_BENCH_POSTGRES_URL"):
        _measure(url, "postgresql", args.firms, args.supplies)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
