"""How fast is the pipeline itself?

Part 1, a full-size catalog: a temporary copy of the project whose 3 real features are joined
by synthetic ones up to 25 pages. The synthetic snippets are stdlib-only (the frameworks' own
time is not the pipeline's) and only they are run; timed in-process:
  cold run            nothing cached: every snippet executes
  warm run + render   nothing changed                                  target < 5 s
  one edit            one feature's inputs.py edited: exactly one pair re-runs
  render + mkdocs     rendering all pages and `mkdocs build --strict`  target < 15 s

Part 2, this repository's real catalog, as a user runs it: a temporary copy of the project with
its results, built once (which runs whatever is stale), then, in fresh processes, paired and
interleaved (the order alternating from round to round):
  fieldguide build    nothing changed
  mkdocs build        `mkdocs build --strict` of the same pages         fieldguide <= 1.5x this
  build_site alone    generator.site.build_site (MkDocs in-process, its template cache in
                      .fieldguide/templates) and nothing else
The ratio is the median of the rounds' fieldguide/mkdocs ratios. Afterwards it checks that the
timed builds ran no snippet and did not import matplotlib (every chart a cache hit).

Prints figures; asserts nothing.

    .venv/bin/python benchmarks/pipeline.py [--part 1|2] [--features 25] [--repeat 5]
        [--quick] [--results DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the generator beside this script, not another installed one
    sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.5
# Where `fieldguide build` keeps the theme's compiled templates (generator/site.py), relative to
# the project root.
TEMPLATES = ".fieldguide/templates"
ADAPTER = "generator.child.adapters:StdlibAdapter"  # part 1 runs stdlib snippets, no framework
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


def copy_project(results: Path | None = None) -> Path:
    """The project's sources in a temporary folder (and its results, when given)."""
    root = Path(tempfile.mkdtemp(prefix="fieldguide-pipeline-"))
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", root / "docs", ignore=shutil.ignore_patterns("features"))
    for name in ("generator", "snippets"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    if results is not None and results.is_dir():
        shutil.copytree(results, root / "results")
    return root


# Part 1 ---------------------------------------------------------------------------------------


def synthetic_project(count: int) -> Path:
    from generator.discover import discover

    root = copy_project()
    # The real features stay (the questionnaire cites them); they are rendered, not run.
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
    return root


def part_one(count: int) -> None:
    # Imported here: part 2 times the project's commands as processes and needs none of this.
    from rich.console import Console

    from generator import commands
    from generator.discover import discover
    from generator.environment import current_machine
    from generator.model import FRAMEWORKS, Framework, Mode, Project
    from generator.run import RunOptions, run_features
    from generator.site import build_site
    from generator.store import Store, results_key

    project = Project(synthetic_project(count))
    console = Console(stderr=True, quiet=True)
    options = RunOptions(mode=Mode.DEFAULT)
    stdlib = {fw: Framework(fw, "json", ADAPTER, ("rich",), peaks=False) for fw in FRAMEWORKS}
    results = Store(project.results, results_key(current_machine().machine_id, "cpu"))

    def run():
        synthetic = [f for f in discover(project.snippets) if f.id.startswith("synthetic-")]
        return run_features(synthetic, options, results, console, stdlib)

    def render():
        return commands.render(project)

    try:
        cold_s, outcomes = timed(run)
        executed = sum(o.executed for o in outcomes)
        print(
            f"cold run:           {cold_s:6.2f} s  ({executed} snippets executed, 3 processes each)"
        )
        render()
        templates = project.root / TEMPLATES
        build_site(project.root, project.site, template_cache=templates)
        warm = [timed(lambda: (run(), render()))[0] for _ in range(5)]
        print(f"warm run + render:  {statistics.median(warm):6.2f} s  (median of 5; target < 5 s)")
        inputs = project.snippets / "synthetic-07" / "inputs.py"
        inputs.write_text(inputs.read_text().replace("SEED = 7", "SEED = 70"))
        edit_s, outcomes = timed(run)
        again = sorted((o.result.feature, o.result.framework) for o in outcomes if o.executed)
        print(f"one inputs.py edit: {edit_s:6.2f} s  (re-ran {again})")
        both = [
            timed(
                lambda: (render(), build_site(project.root, project.site, template_cache=templates))
            )[0]
            for _ in range(3)
        ]
        print(
            f"render + mkdocs:    {statistics.median(both):6.2f} s  (median of 3, "
            f"{count} feature pages; target < 15 s)"
        )
    finally:
        shutil.rmtree(project.root)


# Part 2 ---------------------------------------------------------------------------------------


def wall(args: list[str], cwd: Path) -> tuple[float, str]:
    """Seconds a fresh process takes, and what it printed; exits if it fails."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed in {cwd}:\n{proc.stdout}{proc.stderr}")
    return elapsed, proc.stdout + proc.stderr


def files_state(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def part_two(repeat: int, quick: bool, results: Path) -> None:
    python = sys.executable
    root = copy_project(results)
    build = [python, "-m", "generator", "build", *(["--quick"] if quick else [])]
    commands = {
        "fieldguide": build,
        "mkdocs": [python, "-m", "mkdocs", "build", "--strict", "--clean"],
        # Only the MkDocs part of fieldguide: the same build, in-process (generator/site.py).
        "build_site": [
            python,
            "-c",
            "from pathlib import Path; from generator.site import build_site; "
            f"build_site(Path.cwd(), Path.cwd() / 'site', template_cache=Path({TEMPLATES!r}))",
        ],
    }
    try:
        first_s, _ = wall(build, root)  # everything current first: runs whatever is stale
        print(f"first build of the copy:           {first_s:6.2f} s  (renders, draws the charts)")
        before = files_state(root / "results")
        times: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(repeat):  # interleaved, order alternating: drift affects all alike
            order = list(commands) if round_ % 2 == 0 else list(reversed(commands))
            for name in order:
                times[name].append(wall(commands[name], root)[0])
        ran_nothing = files_state(root / "results") == before
        _, imports = wall([python, "-X", "importtime", *build[1:]], root)
        matplotlib = bool(re.search(r"\|\s+matplotlib\s*$", imports, re.MULTILINE))
        cached = root / ".fieldguide" / "charts"
        svgs = len(list(cached.glob("*.svg"))) if cached.is_dir() else 0
    finally:
        shutil.rmtree(root)
    fg, mk, site = (statistics.median(times[n]) for n in commands)
    ratios = [f / m for f, m in zip(times["fieldguide"], times["mkdocs"], strict=True)]
    ratio = statistics.median(ratios)
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"fieldguide build, nothing changed: {fg:6.2f} s  (median of {repeat})")
    print(f"mkdocs build --strict alone:       {mk:6.2f} s  (median of {repeat})")
    print(f"build_site alone (in-process):     {site:6.2f} s  (median of {repeat})")
    print(
        f"fieldguide / mkdocs:               {ratio:6.2f} x  (median of {repeat} paired rounds, "
        f"{min(ratios):.2f}-{max(ratios):.2f}; {verdict} the {TARGET_RATIO}x target)"
    )
    print(f"fieldguide's own share:            {fg - mk:6.2f} s")
    print(
        f"timed builds ran no snippet: {'yes' if ran_nothing else 'NO (not a warm build)'}; "
        f"a warm build imports matplotlib: {'YES' if matplotlib else 'no'}; "
        f"chart cache: {svgs} SVGs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("1", "2", "all"), default="all")
    parser.add_argument("--features", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=5, help="part 2's rounds (at least 5)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="part 2 builds with --quick (when the results at hand are quick-mode ones)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=ROOT / "results",
        help="the results part 2's copy starts from (default: this project's)",
    )
    args = parser.parse_args()
    if args.repeat < 5:
        parser.error("--repeat: at least 5 rounds, or the median says little")
    print(f"load average {os.getloadavg()[0]:.2f}")
    if args.part in ("1", "all"):
        print(f"\nPart 1: {args.features} feature pages")
        part_one(args.features)
    if args.part in ("2", "all"):
        print("\nPart 2: this repository's catalog, as `fieldguide build`")
        part_two(args.repeat, args.quick, args.results.resolve())
    print(f"\nload average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
