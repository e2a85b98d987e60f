"""How fast is the pipeline itself?

Part 1, a full-size catalog: a temporary copy of the project whose 3 real features are joined
by synthetic ones up to 25 pages. The synthetic snippets are stdlib-only (the frameworks' own
time is not the pipeline's) and only they are run; timed in-process:
  cold run            nothing cached: every snippet executes
  warm run + render   nothing changed                                  target < 5 s
  one edit            one feature's inputs.py edited: exactly one pair re-runs
  render + mkdocs     rendering all pages and `mkdocs build --strict`  target < 15 s

Part 2, this repository's real catalog: `fieldguide build` as a user runs it, with nothing
changed, against `mkdocs build` alone (needs one complete `fieldguide build` first).

Prints figures; asserts nothing.

    .venv/bin/python benchmarks/pipeline.py [--features 25] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from generator.discover import discover
from generator.model import Project
from generator.render import render
from generator.run import RunOptions, run_features
from generator.site import build_site

ROOT = Path(__file__).resolve().parent.parent
STDLIB = {"pytorch": ("json", "stdlib"), "tensorflow": ("json", "stdlib")}
SECTIONS = ("Core", "Training", "Performance", "Deployment", "Distributed", "Ecosystem")
FEATURE = """\
id: {id}
title: Synthetic feature {n}
section: {section}
summary: A stdlib-only stand-in that exercises the pipeline, not a framework.
timed: Sums 256 numbers.
comparison: {{rtol: 1.0e-9, atol: 0}}
claims: [{{text: Same sum, quantity: output, expect: same}}]
tags: [benchmark]
"""
INPUTS = """\
import numpy as np

SEED = {n}


def make_inputs(seed=SEED):
    return {{"x": np.random.default_rng(seed).standard_normal(256)}}
"""
SNIPPET = """\
def setup(inputs):
    return [float(v) for v in inputs["x"]]


def run(state):
    return {"sum": sum(state)}
"""


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def synthetic_project(count: int) -> Project:
    root = Path(tempfile.mkdtemp(prefix="fieldguide-pipeline-"))
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", root / "docs", ignore=shutil.ignore_patterns("features"))
    shutil.copytree(
        ROOT / "generator", root / "generator", ignore=shutil.ignore_patterns("__pycache__")
    )
    # The real features stay (the questionnaire cites them); they are rendered, not run.
    shutil.copytree(
        ROOT / "snippets", root / "snippets", ignore=shutil.ignore_patterns("__pycache__")
    )
    real = len(discover(root / "snippets"))
    for n in range(count - real):
        folder = root / "snippets" / f"synthetic-{n:02d}"
        folder.mkdir(parents=True)
        (folder / "feature.yml").write_text(
            FEATURE.format(id=folder.name, n=n, section=SECTIONS[n % len(SECTIONS)])
        )
        (folder / "inputs.py").write_text(INPUTS.format(n=n))
        for side in ("with_pytorch.py", "with_tensorflow.py"):
            (folder / side).write_text(SNIPPET)
    return Project(root)


def part_one(count: int) -> None:
    project = synthetic_project(count)
    console = Console(stderr=True, quiet=True)
    options = RunOptions(mode="default", peaks=False)

    def run():
        synthetic = [f for f in discover(project.snippets) if f.id.startswith("synthetic-")]
        return run_features(project, synthetic, options, console, STDLIB)

    try:
        cold_s, outcomes = timed(run)
        executed = sum(o.executed for o in outcomes)
        print(
            f"cold run:           {cold_s:6.2f} s  ({executed} snippets executed, 3 processes each)"
        )
        render(project)
        build_site(project)
        warm = [timed(lambda: (run(), render(project)))[0] for _ in range(5)]
        print(f"warm run + render:  {statistics.median(warm):6.2f} s  (median of 5; target < 5 s)")
        inputs = project.snippets / "synthetic-07" / "inputs.py"
        inputs.write_text(inputs.read_text().replace("SEED = 7", "SEED = 70"))
        edit_s, outcomes = timed(run)
        again = sorted((o.result.feature, o.result.framework) for o in outcomes if o.executed)
        print(f"one inputs.py edit: {edit_s:6.2f} s  (re-ran {again})")
        both = [timed(lambda: (render(project), build_site(project)))[0] for _ in range(3)]
        print(
            f"render + mkdocs:    {statistics.median(both):6.2f} s  (median of 3, "
            f"{count} feature pages; target < 15 s)"
        )
    finally:
        shutil.rmtree(project.root)


def wall(args: list[str]) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return elapsed


def part_two(repeat: int) -> None:
    python = sys.executable
    wall([python, "-m", "generator", "build"])  # everything current first
    builds, mkdocs = [], []
    for _ in range(repeat):  # interleaved, so drift affects both alike
        builds.append(wall([python, "-m", "generator", "build"]))
        mkdocs.append(wall([python, "-m", "mkdocs", "build", "--strict", "--clean"]))
    build_s, mkdocs_s = statistics.median(builds), statistics.median(mkdocs)
    print(f"fieldguide build, nothing changed: {build_s:5.2f} s  (median of {repeat})")
    print(f"mkdocs build --strict alone:       {mkdocs_s:5.2f} s")
    print(f"fieldguide's own share:            {build_s - mkdocs_s:5.2f} s  (target < 5 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}\n\nPart 1: {args.features} feature pages")
    part_one(args.features)
    print("\nPart 2: this repository's catalog, as `fieldguide build`")
    part_two(args.repeat)


if __name__ == "__main__":
    main()
