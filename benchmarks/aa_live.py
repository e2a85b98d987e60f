"""A/A on live runs: the same PyTorch snippet measured as both sides of a comparison.

Each trial is a real `run` (default: the publication protocol, 20 processes per side,
interleaved, fresh processes) of one feature whose two sides are the same code, both run through
the PyTorch adapter. Every verdict other than "no measurable difference" is a false positive.
Target: at most 5% on this shared machine.

    .venv/bin/python benchmarks/aa_live.py [--trials 20]    # about 100 s per trial
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import textwrap
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from generator import compare
from generator.discover import discover
from generator.model import INSTALLED, Project
from generator.run import RunOptions, run_features
from generator.store import Store

FEATURE = """\
id: aa
title: A/A
section: Core
summary: The same PyTorch code on both sides.
timed: A 256x256 matmul and a ReLU.
comparison: {rtol: 0, atol: 0}
claims: [{text: Same, quantity: output, expect: same}]
tags: [benchmark]
"""
# importlib keeps discover's "one framework per file" check quiet: both sides are PyTorch here
# on purpose, run through the PyTorch adapter.
SNIPPET = textwrap.dedent("""\
    import importlib

    import numpy as np

    torch = importlib.import_module("torch")


    def setup(inputs):
        rng = np.random.default_rng(0)
        return torch.from_numpy(rng.standard_normal((256, 256), dtype=np.float32))


    def run(x):
        return torch.relu(x @ x)[0, :4]
    """)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    trials = parser.parse_args().trials
    root = Path(tempfile.mkdtemp(prefix="fieldguide-aa-"))
    try:
        (root / "mkdocs.yml").write_text("site_name: aa\n")
        folder = root / "snippets" / "aa"
        folder.mkdir(parents=True)
        (folder / "feature.yml").write_text(FEATURE)
        for side in ("with_pytorch.py", "with_tensorflow.py"):
            (folder / side).write_text(SNIPPET)
        project = Project(root)
        features = discover(project.snippets)
        # Both sides are PyTorch: the "tensorflow" side runs through the PyTorch adapter, and
        # neither runs the peak suite (it measures the frameworks, not this comparison).
        torch = replace(INSTALLED["pytorch"], peaks=False)
        frameworks = {"pytorch": torch, "tensorflow": replace(torch, name="tensorflow")}
        options = RunOptions(mode="default", force=True)
        console = Console(stderr=True, quiet=True)
        results = Store(project.results, "aa")
        verdicts, ratios = [], []
        for trial in range(trials):
            outcomes = run_features(features, options, results, console, frameworks)
            sides = {o.result.framework: o.result for o in outcomes}
            r = compare.ratio(
                compare.per_process(sides["pytorch"], "steady"),
                compare.per_process(sides["tensorflow"], "steady"),
            )
            if r is None:
                raise SystemExit(f"trial {trial + 1}: a side has no samples: {outcomes}")
            verdicts.append(r.verdict)
            ratios.append(r.value)
            print(
                f"trial {trial + 1:>2}: ratio {r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}] "
                f"floor {r.noise_floor:.1%} -> {r.describe()}",
                flush=True,
            )
        false = sum(v != "same" for v in verdicts)
        print(
            f"\nload average {os.getloadavg()[0]:.2f}; {trials} trials; false positives "
            f"{false}/{trials} = {false / trials:.1%} (target <= 5%); ratio range "
            f"{min(ratios):.3f}-{max(ratios):.3f}"
        )
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
