"""Run every benchmark in this folder (bench_*.py), one after the other, with its defaults.

Run: uv run python benchmarks/run.py [NAME ...]   e.g. `validate` for bench_validate.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    chosen = set(sys.argv[1:])
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if chosen and name not in chosen:
            continue
        print(f"== {name}", flush=True)
        failed += subprocess.run([sys.executable, str(script)], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
