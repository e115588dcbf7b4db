"""Median wall time of `klbot ask "/help"`, against bare interpreter start-up in the same run.

Usage: .venv/bin/python bench/startup.py [RUNS]   (target: median ≤ 1 s)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_seconds(command: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    klbot = str(Path(sys.executable).with_name("klbot"))
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "KLBOT_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/bench.sqlite3"}
        env.pop("KLBOT_CONFIG", None)
        first = median_seconds([klbot, "ask", "/help"], env, 1)  # creates and migrates
        baseline = median_seconds([sys.executable, "-c", "pass"], env, runs)
        ask = median_seconds([klbot, "ask", "/help"], env, runs)
    print(f"runs: {runs}")
    print(f"first start (creates and migrates the database): {first:.3f} s")
    print(f"python -c pass, median:        {baseline:.3f} s")
    print(f'klbot ask "/help", median:     {ask:.3f} s  (target ≤ 1 s)')
    print(f"ratio to bare interpreter:     {ask / baseline:.1f}x")


if __name__ == "__main__":
    main()
