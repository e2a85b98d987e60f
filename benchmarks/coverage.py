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

Then, at the publication protocol (20 x 3):
  pairing     a slow spell shared by the two processes of a round (interleaved, back to back):
              A/A false verdicts and power with the rounds paired, as `compare.ratio` does, and
              with the pairing broken (one side's processes shuffled)
  speed-up    how often the "95%" CI of a compile speed-up and break-even
              (compare.compilation) holds the true value
  bimodality  how often compare.bimodal calls one behaviour two (false alarms), and how often
              it finds two (a share of processes 1.6x slower)
  runaway     one or two of a side's processes 30x slower: A/A false verdicts, and the power to
              find a true 2x and 10% difference (the outlier rule keeps them out of the floor)

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
from generator.model import ProcessRecord, Protocol, RunResult, Status  # noqa: E402

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


def pairing(trials: int, shared: float, own: float) -> dict[str, float]:
    """Rounds with a shared offset (CV `shared`) on top of each process's own (CV `own`)."""
    rng = np.random.default_rng(20261203)
    counts = {"paired false": 0, "unpaired false": 0, "paired power": 0, "unpaired power": 0}
    for _ in range(trials):
        drift = rng.normal(1.0, shared, 20)
        a = [[v * d for v in g] for g, d in zip(side(rng, 1.0, own, 20, 3), drift, strict=True)]
        for factor, kind in ((1.0, "false"), (1.10, "power")):
            b = [
                [v * d for v in g]
                for g, d in zip(side(rng, factor, own, 20, 3), drift, strict=True)
            ]
            shuffled = [b[i] for i in rng.permutation(20)]
            for name, other in (("paired", b), ("unpaired", shuffled)):
                r = compare.ratio(a, other)
                assert r is not None
                hit = r.verdict != compare.Verdict.SAME
                if kind == "power":
                    hit = r.verdict == compare.Verdict.PYTORCH
                counts[f"{name} {kind}"] += hit
    return {k: v / trials for k, v in counts.items()}


def _compiled_result(rng: np.random.Generator, between: float, speedup: float) -> RunResult:
    """20 processes: first call 50x a compiled call, eager `speedup` times slower."""
    processes = []
    for _ in range(20):
        offset = rng.normal(1.0, between)
        compiled = 1e-3 * offset * rng.normal(1.0, WITHIN_CV, 3)
        eager = speedup * 1e-3 * offset * rng.normal(1.0, WITHIN_CV, 3)
        processes.append(
            ProcessRecord(
                import_s=1.0,
                setup_s=0.0,
                first_call_s=0.05 * rng.normal(1.0, between),
                warmup_calls=3,
                loops=1,
                samples=tuple(compiled),
                peak_rss_bytes=0,
                children_peak_rss_bytes=0,
                gpu_peak_bytes=None,
                metrics={},
                eager_loops=1,
                eager_samples=tuple(eager),
            )
        )
    return RunResult(
        "sim",
        "pytorch",
        Status.OK,
        "",
        Protocol.for_mode("default", 1),
        "cpu",
        None,
        {},
        "",
        processes=tuple(processes),
    )  # type: ignore[arg-type]


def speedup_coverage(trials: int, between: float, speedup: float = 1.3) -> dict[str, float]:
    rng = np.random.default_rng(20261204)
    truth = speedup  # the offsets are shared by a process's compiled and eager samples
    even = (0.05 - 1e-3) / ((speedup - 1) * 1e-3)
    covered = even_covered = 0
    for _ in range(trials):
        c = compare.compilation(_compiled_result(rng, between, speedup))
        assert c is not None
        covered += c.speedup_ci[0] <= truth <= c.speedup_ci[1]
        even_covered += c.breakeven_ci[0] <= even <= c.breakeven_ci[1]
    return {"speedup": covered / trials, "breakeven": even_covered / trials}


def bimodality(trials: int, between: float, share: float) -> float:
    """How often bimodal() fires: `share` of 20 processes 1.6x slower (0: one behaviour)."""
    rng = np.random.default_rng(20261205)
    fired = 0
    for _ in range(trials):
        groups = side(rng, 1.0, between, 20, 3)
        slow = round(share * 20)
        groups = [[1.6 * v for v in g] for g in groups[:slow]] + groups[slow:]
        fired += compare.bimodal(groups) is not None
    return fired / trials


def runaway(trials: int, between: float, runaways: int) -> dict[str, float]:
    """`runaways` of one side's 20 processes 30x slower (a 2-thread process whose second core
    was taken): A/A false verdicts and the power to find a true 2x and 10% difference."""
    rng = np.random.default_rng(20261206)
    counts = {"false": 0, "power2x": 0, "power10": 0}
    for _ in range(trials):
        a = side(rng, 1.0, between, 20, 3)
        a[:runaways] = [[30 * v for v in g] for g in a[:runaways]]
        for factor, kind in ((1.0, "false"), (2.0, "power2x"), (1.10, "power10")):
            r = compare.ratio(a, side(rng, factor, between, 20, 3))
            assert r is not None
            counts[kind] += (
                r.verdict != compare.Verdict.SAME
                if kind == "false"
                else r.verdict == compare.Verdict.PYTORCH
            )
    return {k: v / trials for k, v in counts.items()}


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
    print("\nPairing by round (20 x 3): a slow spell shared by both processes of a round")
    print(
        f"{'shared':>7} {'own':>5} {'A/A paired':>11} {'unpaired':>9} "
        f"{'power 10% paired':>17} {'unpaired':>9}"
    )
    for shared, own in ((0.0, 0.05), (0.05, 0.02), (0.10, 0.02), (0.10, 0.05)):
        r = pairing(args.trials, shared, own)
        print(
            f"{shared:>7.0%} {own:>5.0%} {r['paired false']:>11.1%} "
            f"{r['unpaired false']:>9.1%} {r['paired power']:>17.1%} "
            f"{r['unpaired power']:>9.1%}",
            flush=True,
        )
    print("\nCompile speed-up 1.3x, first call 50x a compiled call (20 x 3): CI coverage")
    for between in BETWEEN_CVS:
        r = speedup_coverage(args.trials, between)
        print(
            f"between {between:>4.0%}: speed-up {r['speedup']:.1%}, "
            f"break-even {r['breakeven']:.1%}",
            flush=True,
        )
    print("\nBimodality (20 processes): how often compare.bimodal fires")
    for between in BETWEEN_CVS:
        print(
            f"between {between:>4.0%}: one behaviour {bimodality(args.trials, between, 0.0):.1%}"
            f"; 30% of processes 1.6x slower {bimodality(args.trials, between, 0.3):.1%}; "
            f"10% of them {bimodality(args.trials, between, 0.1):.1%}",
            flush=True,
        )

    print("\nRunaway processes (20 x 3): some of one side's processes 30x slower")
    for runaways in (1, 2):
        for between in BETWEEN_CVS:
            r = runaway(args.trials, between, runaways)
            print(
                f"{runaways} runaway, between {between:>4.0%}: A/A false {r['false']:.1%}, "
                f"power 2x {r['power2x']:.1%}, power 10% {r['power10']:.1%}",
                flush=True,
            )


if __name__ == "__main__":
    main()
