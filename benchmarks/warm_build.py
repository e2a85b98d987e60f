"""How long `fieldguide build` spends when nothing changed, apart from MkDocs itself.

Target (issue: the pipeline): under 5 s before MkDocs starts, on a 2-core machine.
Runs in the project root after one complete `fieldguide build`; prints figures, asserts nothing.

    .venv/bin/python benchmarks/warm_build.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(args: list[str]) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    python = sys.executable
    wall([python, "-m", "generator", "build"])  # make sure everything is current first
    builds, mkdocs = [], []
    for _ in range(repeat):  # interleaved, so machine drift affects both alike
        builds.append(wall([python, "-m", "generator", "build"]))
        mkdocs.append(wall([python, "-m", "mkdocs", "build", "--strict", "--clean"]))
    build_s, mkdocs_s = statistics.median(builds), statistics.median(mkdocs)
    print(f"machine load average: {os.getloadavg()[0]:.2f}, repeats: {repeat}")
    print(
        f"fieldguide build, nothing changed (whole command): median {build_s:.2f} s "
        f"(min {min(builds):.2f}, max {max(builds):.2f})"
    )
    print(
        f"mkdocs build --strict alone:                       median {mkdocs_s:.2f} s "
        f"(min {min(mkdocs):.2f}, max {max(mkdocs):.2f})"
    )
    print(
        f"fieldguide's own share (whole command - mkdocs):    {build_s - mkdocs_s:.2f} s "
        f"(target < 5 s)"
    )


if __name__ == "__main__":
    main()
