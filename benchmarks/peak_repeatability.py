"""How repeatable is the peak suite? Its own spread sets how large a start-to-end drift must be
before it says anything about the machine.

Runs each framework's peak suite (generator.peaks.measure, a fresh process each) N times back
to back with the snippets' threads, and prints, per peak, the median, the range and the largest
change between two consecutive suites: what the degraded-run check compares.

Prints figures; asserts nothing.

    .venv/bin/python benchmarks/peak_repeatability.py [--repeat 5] [--threads N]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from generator import peaks  # noqa: E402
from generator.environment import current_machine, load_average  # noqa: E402
from generator.model import INSTALLED  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    threads = args.threads or current_machine().physical_cores
    print(f"machine {current_machine().machine_id}, {threads} threads, load {load_average()}")
    for name, framework in INSTALLED.items():
        if framework.installed_version() is None:
            print(f"{name}: not installed")
            continue
        runs = [peaks.measure(framework, "cpu", threads) for _ in range(args.repeat)]
        failed = [r.message for r in runs if r.status != "ok"]
        if failed:
            print(f"{name}: {len(failed)} failed suites: {failed[0][:200]}")
        ok = [r for r in runs if r.status == "ok"]
        for key, (label, unit) in peaks.PEAK_KEYS.items():
            values = [r.values[key] for r in ok if key in r.values]
            if len(values) < 2:
                continue
            steps = [abs(b - a) / a for a, b in itertools.pairwise(values) if a]
            sizes = sorted({r.size(key) for r in ok if r.size(key)})
            print(
                f"{framework.label:>10} {label:<13} median {statistics.median(values):8.1f} "
                f"{unit:<7} range {min(values):.1f}-{max(values):.1f} "
                f"({max(values) / min(values) - 1:.1%}); largest consecutive change "
                f"{max(steps):.1%}" + (f"; sizes {sizes}" if sizes else "")
            )
    print(f"load {load_average()}")


if __name__ == "__main__":
    main()
