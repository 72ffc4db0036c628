"""The national network generator at 1 million firms: under 30 s and 4 GB, and what it achieved.

Measures, each in a fresh process so its peak memory is its own:
- `generate_national(firms, seed)` (the calibrated network, about 4.75 links per firm);
- `network_statistics` of it, printed beside the published targets;
- as the ratio, the plain uniform random dataset of the same size (benchmarks/national.py: no
  calibration, the floor of building the frames).

Run: uv run python benchmarks/bench_national.py [--firms N] [--seed S] [--validate]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 30.0
TARGET_GB = 4.0


def _phase(kind: str, firms: int, seed: int, check: bool) -> dict[str, object]:
    start = time.perf_counter()
    if kind == "plain":
        sys.path.insert(0, str(Path(__file__).parent))
        from national import national_dataset

        national_dataset(firms, round(4.75 * firms), seed)
        return {"generate_s": time.perf_counter() - start, "peak_rss_gb": _peak_gb()}
    from kiban.reference.national import generate_national, network_statistics

    dataset = generate_national(firms, seed)
    generate_s = time.perf_counter() - start
    peak_gb = _peak_gb()
    start = time.perf_counter()
    stats = network_statistics(dataset)
    result: dict[str, object] = {
        "generate_s": generate_s,
        "peak_rss_gb": peak_gb,
        "statistics_s": time.perf_counter() - start,
        "statistics": stats.rows(),
    }
    if check:
        from kiban.dataset.validate import validate

        start = time.perf_counter()
        result["valid"] = validate(dataset).ok
        result["validate_s"] = time.perf_counter() - start
    return result


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _run(kind: str, args: argparse.Namespace) -> dict[str, object]:
    command = [sys.executable, __file__, "--phase", kind, "--firms", str(args.firms)]
    command += ["--seed", str(args.seed)] + (["--validate"] if args.validate else [])
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--validate", action="store_true", help="also validate the network")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(args.phase, args.firms, args.seed, args.validate)))
        return

    calibrated = _run("calibrated", args)
    plain = _run("plain", args)
    gen_s, plain_s = float(calibrated["generate_s"]), float(plain["generate_s"])  # type: ignore[arg-type]
    peak = float(calibrated["peak_rss_gb"])  # type: ignore[arg-type]
    print(f"national network: {args.firms:,} firms, seed {args.seed}")
    print(
        f"{'generate_national':<28} {gen_s:6.2f} s   {gen_s / TARGET_S:5.2f} of target "
        f"({TARGET_S:.0f} s); peak RSS {peak:.2f} GB, {peak / TARGET_GB:.2f} of {TARGET_GB:.0f} GB"
    )
    print(
        f"{'plain random (no calibration)':<28} {plain_s:6.2f} s   calibrated / plain "
        f"{gen_s / plain_s:.2f}x; peak RSS {float(plain['peak_rss_gb']):.2f} GB"  # type: ignore[arg-type]
    )
    print(f"{'network_statistics':<28} {float(calibrated['statistics_s']):6.2f} s")  # type: ignore[arg-type]
    if "valid" in calibrated:
        print(
            f"{'validate':<28} {float(calibrated['validate_s']):6.2f} s   ok={calibrated['valid']}"
        )  # type: ignore[arg-type]
    print(f"\n{'statistic':<48} {'achieved':>12} {'target':>19}  source")
    for name, achieved, low, high, source in calibrated["statistics"]:  # type: ignore[attr-defined]
        target = "" if low is None else f"{low:,.3g} - {high:,.3g}"
        print(f"{name:<48} {achieved:>12,.4g} {target:>19}  {source}")


if __name__ == "__main__":
    main()
