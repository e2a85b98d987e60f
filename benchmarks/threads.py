"""Which thread count should the published numbers use? Figures from two real runs of the
starters, one at the default thread count (the physical cores) and one at 1 thread:

    .venv/bin/fieldguide run                # results/<machine-id>/
    .venv/bin/fieldguide run --threads 1    # results/<machine-id>-threads1/
    .venv/bin/python benchmarks/threads.py [--results results] [--machine ID]

For every snippet measured at both settings it prints:
  between   the coefficient of variation between per-process medians (what the noise floor and
            the interval's between-process term are made of), for the steady state and for the
            time to first result, runaway processes included (and, for the steady state,
            without them, as the noise floor sees it)
  runaways  how many steady-state processes `compare.outliers` sets aside (a process whose
            median is far from all the others')
  A/A       the verdict of the snippet against itself: half its rounds against the other half
            (balanced over the alternating order of the snippets in a round), through
            `compare.ratio`, as if they were the two sides of a page. Anything but "no
            measurable difference" is a false verdict (the processes are identical work).
  1 / N     the steady-state median at 1 thread over the one at the default count (how much
            the second core buys, on this machine)

Then the false-verdict rate of each setting over every snippet and quantity, and which headline
verdicts differ between the two settings. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from generator import compare, store  # noqa: E402
from generator.discover import discover  # noqa: E402
from generator.environment import current_machine  # noqa: E402
from generator.model import FRAMEWORKS, Feature, RunResult  # noqa: E402

QUANTITIES = ("steady", "first_result", "first_call", "import")


def between_cv(result: RunResult, quantity: str, runaways: bool = True) -> float:
    medians = np.array([np.median(g) for g in compare.per_process(result, quantity)])
    if not runaways:
        medians = medians[~compare.outliers(medians)]
    return statistics.stdev(medians) / statistics.fmean(medians) if len(medians) > 1 else 0.0


def runaways(result: RunResult) -> int:
    medians = np.array([np.median(g) for g in compare.per_process(result, "steady")])
    return int(compare.outliers(medians).sum())


def self_verdict(result: RunResult, quantity: str) -> compare.Ratio | None:
    """Half of the snippet's rounds against the other half, as the two sides of a comparison.
    The runner reverses the order of the snippets every other round, so even against odd
    rounds would compare two positions in the order (a TensorFlow process right after another
    imports faster); rounds 0, 3, 4, 7, … against 1, 2, 5, 6, … hold both orders equally,
    and both halves span the whole run."""
    groups = compare.per_process(result, quantity)
    first = [g for i, g in enumerate(groups) if i % 4 in (0, 3)]
    second = [g for i, g in enumerate(groups) if i % 4 in (1, 2)]
    return compare.ratio(first, second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "results")
    parser.add_argument("--machine", default=current_machine().machine_id)
    args = parser.parse_args()
    features = discover(ROOT / "snippets")
    snapshot = store.load_snapshot(args.results, features)
    default = snapshot.machine(args.machine)
    one = snapshot.machine(store.results_key(args.machine, "cpu", 1))
    both: list[tuple[str, RunResult, RunResult]] = []
    for feature in features:
        for key in feature.keys:
            a, b = default.result(feature.id, key), one.result(feature.id, key)
            if a and b and a.ok and b.ok:
                both.append((f"{feature.id}/{key}", a, b))
    if not both:
        print(f"no snippet measured at both settings under {args.results} for {args.machine}")
        return
    threads = both[0][1].protocol.threads
    print(
        f"machine {args.machine}; {both[0][1].protocol.processes} processes per snippet; "
        "A/A = rounds 0, 3, 4, 7, ... against 1, 2, 5, 6, ... of the same snippet"
    )
    print(
        f"{'snippet':<34} {'threads':>7} {'between steady':>14} {'w/o runaways':>12} "
        f"{'between first':>13} "
        f"{'runaways':>8} {'A/A steady':<27} {'1 / N steady':>12}"
    )
    false = {threads: [0, 0], 1: [0, 0]}
    cases: list[str] = []
    for name, at_default, at_one in both:
        for result in (at_default, at_one):
            n = result.protocol.threads
            for quantity in QUANTITIES:
                verdict = self_verdict(result, quantity)
                if verdict is not None:
                    wrong = verdict.verdict != compare.Verdict.SAME
                    false[n][0] += wrong
                    false[n][1] += 1
                    if wrong:
                        cases.append(
                            f"  {name} at {n} thread(s), {quantity}: {verdict.value:.3f} "
                            f"({verdict.ci_low:.3f}-{verdict.ci_high:.3f}), noise floor "
                            f"{verdict.noise_floor:.1%}"
                        )
            steady = self_verdict(result, "steady")
            said = (
                f"{steady.value:.3f} ({steady.ci_low:.3f}-{steady.ci_high:.3f}) "
                + ("ok" if steady.verdict == compare.Verdict.SAME else "FALSE")
                if steady
                else "-"
            )
            speed = f"{median(at_one) / median(at_default):.2f}" if result is at_one else ""
            print(
                f"{name:<34} {n:>7} {between_cv(result, 'steady'):>14.1%} "
                f"{between_cv(result, 'steady', runaways=False):>12.1%} "
                f"{between_cv(result, 'first_result'):>13.1%} {runaways(result):>8} "
                f"{said:<27} {speed:>12}"
            )
    for n, (wrong, total) in false.items():
        print(
            f"A/A false verdicts at {n} thread(s): {wrong}/{total} = {wrong / total:.1%} "
            f"(quantities: {', '.join(QUANTITIES)})"
        )
    print("\n".join(cases))
    print("headline verdicts that differ between the settings:")
    differing = compared = 0
    for feature in features:
        here, there = (
            {r.quantity: r for r in compare.rows(feature, headline(feature, m))}
            for m in (default, one)
        )
        for quantity, row in here.items():
            other = there.get(quantity)
            if not (row.ratio and other and other.ratio):
                continue
            compared += 1
            if row.ratio.verdict != other.ratio.verdict:
                differing += 1
                print(
                    f"  {feature.id} {row.label}: {row.ratio.value:.2f} "
                    f"{row.ratio.describe(row.better)} at {threads} threads; "
                    f"{other.ratio.value:.2f} {other.ratio.describe(other.better)} at 1 thread"
                )
    print(f"  {differing} of {compared} rows with a verdict at both settings")


def median(result: RunResult) -> float:
    return float(np.median(np.concatenate(compare.per_process(result, "steady"))))


def headline(feature: Feature, results: store.MachineResults) -> dict[str, RunResult | None]:
    return {fw: results.result(feature.id, fw) for fw in FRAMEWORKS}


if __name__ == "__main__":
    main()
