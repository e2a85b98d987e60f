"""Do the published intervals cover, and do the verdicts have power? Simulated through the real
`compare` code.

Each simulated side is P processes x S samples: every process gets its own offset (normal, with
the between-process coefficient of variation, as on a shared VM), and every sample its own noise
(within-process CV 2%). For each protocol (P x S) and between-process CV it reports:
  coverage    how often the "95%" CI of the median (compare.summarize) holds the true median
  ratio cov.  how often the "95%" CI of an A/A ratio (compare.ratio) holds 1
  A/A false   how often compare.ratio calls two identical distributions different (target <= 5%)
  power 10%   how often a true 10% difference is called, the right way round
  power 20%   the same for 20%

Prints figures; asserts nothing.

    .venv/bin/python benchmarks/coverage.py [--trials 300] [--protocols 3x10,10x5,20x3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from generator import compare  # noqa: E402

WITHIN_CV = 0.02
BETWEEN_CVS = (0.01, 0.02, 0.05, 0.10)


def side(
    rng: np.random.Generator, center: float, between: float, processes: int, samples: int
) -> list[list[float]]:
    return [
        list(center * rng.normal(1.0, between) * rng.normal(1.0, WITHIN_CV, samples))
        for _ in range(processes)
    ]


def true_median(between: float) -> float:
    rng = np.random.default_rng(1)
    n = 2_000_000
    return float(np.median(rng.normal(1.0, between, n) * rng.normal(1.0, WITHIN_CV, n)))


def measure(processes: int, samples: int, between: float, trials: int) -> dict[str, float]:
    rng = np.random.default_rng(20261202)
    truth = true_median(between)
    covered = ratio_covered = false = power10 = power20 = 0
    for _ in range(trials):
        a = side(rng, 1.0, between, processes, samples)
        b = side(rng, 1.0, between, processes, samples)
        summary = compare.summarize(a)
        assert summary is not None
        covered += summary.ci_low <= truth <= summary.ci_high
        aa = compare.ratio(a, b)
        assert aa is not None
        ratio_covered += aa.ci_low <= 1 <= aa.ci_high
        false += aa.verdict != compare.Verdict.SAME
        for factor in (1.10, 1.20):
            slower = compare.ratio(a, side(rng, factor, between, processes, samples))
            hit = slower is not None and slower.verdict == compare.Verdict.PYTORCH
            if factor == 1.10:
                power10 += hit
            else:
                power20 += hit
    return {
        "coverage": covered / trials,
        "ratio": ratio_covered / trials,
        "false": false / trials,
        "power10": power10 / trials,
        "power20": power20 / trials,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--protocols", default="3x10,10x5,20x3")
    args = parser.parse_args()
    protocols = [tuple(int(x) for x in p.split("x")) for p in args.protocols.split(",")]
    print(
        f"{args.trials} trials per cell; within-process CV {WITHIN_CV:.0%}; noise floor "
        f"max({compare.MIN_EFFECT:.0%}, K x between-process CV), K = {compare.NOISE_FLOOR_K:g} "
        f"below {compare.MANY_PROCESSES} processes, 1 from there"
    )
    print(
        f"{'protocol':>9} {'between':>8} {'coverage':>9} {'ratio cov.':>10} "
        f"{'A/A false':>9} {'power 10%':>9} {'power 20%':>9}"
    )
    for processes, samples in protocols:
        for between in BETWEEN_CVS:
            r = measure(processes, samples, between, args.trials)
            print(
                f"{processes:>4} x {samples:<3} {between:>8.0%} {r['coverage']:>9.1%} "
                f"{r['ratio']:>10.1%} {r['false']:>9.1%} {r['power10']:>9.1%} "
                f"{r['power20']:>9.1%}",
                flush=True,
            )


if __name__ == "__main__":
    main()
