"""Importing into and reading from the store, at the scale of a large survey programme.

Measures, on SQLite in a temporary folder, for a plain random dataset
(benchmarks/national.py, default 100,000 firms and 500,000 supplies): the first import
(validation included), a re-import that changes nothing, and reading the dataset back.
PostgreSQL is measured too when KIBAN_BENCH_POSTGRES_URL names a database it may fill.

With --read-only, imports the network once (untimed) and measures only reading it back:
`store.dataset()` (column-wise, through ADBC), the row-wise read it replaced (`read_table` on
a SQLAlchemy connection, Python tuples), and `SupplyNetwork.build` on what was read. For the
issue's national scale: --read-only --firms 1000000 --supplies 5000000.

Run: uv run python benchmarks/bench_store.py [--firms N] [--supplies M] [--read-only]
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

from kiban.dataset import TABLES
from kiban.network import SupplyNetwork
from kiban.store import open_store
from kiban.store.rows import read_table

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


def _measure_read(url: str, firms: int, supplies: int) -> None:
    dataset = national_dataset(firms, supplies)
    with open_store(url, create=True) as store:
        start = time.perf_counter()
        store.import_dataset(dataset, replace=True, actor="benchmark")
        import_s = time.perf_counter() - start
    del dataset
    with open_store(url) as store:
        start = time.perf_counter()
        read = store.dataset()
        columnar_s = time.perf_counter() - start
        start = time.perf_counter()
        network = SupplyNetwork.build(read)
        build_s = time.perf_counter() - start
        assert network.n_links == supplies
        start = time.perf_counter()
        with store.engine.connect() as connection, connection.begin():
            row_wise = {name: read_table(connection, name) for name in TABLES}
        row_wise_s = time.perf_counter() - start
        assert all(row_wise[name].equals(frame) for name, frame in read.tables.items())
    print(f"one-off import (untimed below)      {import_s:6.2f} s")
    print(f"store.dataset(), column-wise (ADBC) {columnar_s:6.2f} s")
    print(f"  + SupplyNetwork.build             {build_s:6.2f} s   = {columnar_s + build_s:.2f} s")
    print(f"row-wise read (tuples, before)      {row_wise_s:6.2f} s   (same frames)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--supplies", type=int, default=500_000)
    parser.add_argument(
        "--read-only", action="store_true", help="time only reading a stored network back"
    )
    args = parser.parse_args()
    print(f"dataset: {args.firms:,} firms, {args.supplies:,} supplies")
    if args.read_only:
        with tempfile.TemporaryDirectory() as tmp:
            _measure_read(f"sqlite:///{Path(tmp) / 'bench.db'}", args.firms, args.supplies)
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")
        return
    with tempfile.TemporaryDirectory() as tmp:
        _measure(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", args.firms, args.supplies)
    if url := os.environ.get("KIBAN_BENCH_POSTGRES_URL"):
        _measure(url, "postgresql", args.firms, args.supplies)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
