"""Stage 4: statistics of one result, the PyTorch/TensorFlow comparison, and the equivalence check.

Everything here is computed from raw samples, deterministically (seeded bootstrap), so that
rendering the same results twice gives the same bytes.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from .model import (
    FLAG,
    FRAMEWORK_LABELS,
    FRAMEWORKS,
    QUANTITIES,
    Claim,
    Feature,
    Metric,
    ProcessRecord,
    RunResult,
)
from .outputs import Agreement, Equivalence, compare_outputs
from .peaks import BOUNDING, PeakRecord
from .text import format_value

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261125
# Below this many values per side a bootstrap interval means nothing: no verdict is given.
MIN_VALUES_FOR_VERDICT = 3
# A difference is claimed only when the 95% CI of the ratio excludes 1 AND the effect is above
# the noise floor: at least MIN_EFFECT, and at least K times the spread between processes (which
# on a shared VM is far larger than the spread inside one process). With few processes that
# spread is itself a poor estimate and the interval under-covers (73-87% at 3 processes), so
# K = NOISE_FLOOR_K; from MANY_PROCESSES on the interval covers (>= 93%, benchmarks/coverage.py)
# and K = 1 keeps A/A false verdicts under 1% while a 10% difference at 5% between-process
# spread is found 96% of the time (against 1% with K = 3).
MIN_EFFECT = 0.02
NOISE_FLOOR_K = 3.0
MANY_PROCESSES = 10
# From this many rounds on, the noise floor is the spread of the per-round ratio (the rounds are
# paired): at 10 rounds that rule called A/A pairs different 5-6% of the time, at 20 under 1%.
PAIRED_ROUNDS = 20
# A process whose median sits more than OUTLIER_MADS robust SDs (1.4826 x the MAD of the
# per-process medians) from theirs is an outlier: on a 2-core VM, one 2-thread PyTorch process
# whose second core was taken ran 33x slower than the other 19. It is marked, kept in the median
# and its interval (the median barely moves), and left out of the spread that sets the noise
# floor, which that one process had raised to 188% and turned a 2.8x difference into "no
# measurable difference". With fewer than OUTLIER_MIN processes nothing is called an outlier,
# and more than OUTLIER_SHARE of them are not outliers but a second behaviour (see bimodal).
OUTLIER_MADS = 5.0
OUTLIER_MIN = 6
OUTLIER_SHARE = 0.10
# Spread marks on a result: IQR / median of the steady-state samples (torch.utils.benchmark's).
NOISY, UNSTABLE = 0.10, 0.25
# Other processes using more than this many cores on average during a run mark it busy.
BUSY_CORES = 0.25

# Human names of the built-in quantities, in table order, with their unit.
QUANTITY_LABELS = {
    "first_result": ("Time to first result (process start to first call returned)", "s"),
    "import": ("Import", "s"),
    "load": ("Loading the snippet module", "s"),
    "setup": ("Setup", "s"),
    "first_call": ("First call (incl. tracing/compilation)", "s"),
    "steady": ("Steady state, per call", "s"),
    "import_rss": ("Memory after import (RSS)", "bytes"),
    "growth_rss": ("Memory the snippet adds (peak RSS − RSS after import)", "bytes"),
    "peak_rss": ("Peak memory (RSS)", "bytes"),
    "children_peak_rss": (
        "Peak memory of child processes (workers, compilers; summed RSS)",
        "bytes",
    ),
}


class Verdict(enum.StrEnum):
    """Which side a ratio favours: the one whose value is lower."""

    PYTORCH = "pytorch"
    TENSORFLOW = "tensorflow"
    SAME = "same"  # no measurable difference
    UNKNOWN = "unknown"  # too few values to tell
    NOT_JUDGED = "not judged"  # measured in quick mode or on a busy machine: shown, not judged


# Quantities recorded since schema 2: a process of an older result has none.
OPTIONAL: dict[str, Callable[[ProcessRecord], float | None]] = {
    "first_result": lambda p: p.first_result_s,
    "load": lambda p: p.load_s,
    "import_rss": lambda p: p.import_rss_bytes,
    "growth_rss": lambda p: (
        p.peak_rss_bytes - p.import_rss_bytes if p.import_rss_bytes is not None else None
    ),
}
# The numbers table, in order. The whole-process peak is not a row: most of it is the import
# (a no-op snippet peaks at ~220 MiB with PyTorch, ~540 MiB with TensorFlow), so it is shown
# as the memory after import and what the snippet adds to it.
TABLE = tuple(q for q in QUANTITIES if q not in ("output", "peak_rss", "loc"))


@dataclass(frozen=True)
class Summary:
    """A measured quantity across processes: median, spread and a 95% CI of the median."""

    median: float
    q1: float
    q3: float
    minimum: float
    ci_low: float
    ci_high: float
    n_values: int
    n_processes: int

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def relative_iqr(self) -> float:
        return self.iqr / self.median if self.median else 0.0


@dataclass(frozen=True)
class Ratio:
    """PyTorch / TensorFlow for one quantity, with a bootstrap 95% CI and a verdict."""

    value: float
    ci_low: float
    ci_high: float
    verdict: Verdict
    noise_floor: float = 0.0  # relative effect below which no difference is claimed
    # The 90% interval, for equivalence tests (two one-sided tests at 5% each): NaN if none.
    ci90_low: float = float("nan")
    ci90_high: float = float("nan")
    why: str = ""  # why a verdict was not judged

    def describe(self, better: str = "lower") -> str:
        if self.verdict == Verdict.NOT_JUDGED:
            return f"not judged ({self.why})"
        if self.verdict == Verdict.UNKNOWN:
            return f"too few samples to tell (fewer than {MIN_VALUES_FOR_VERDICT} per side)"
        if self.verdict == Verdict.SAME:
            if math.isnan(self.value):  # a yes/no fact (`unit: flag`), the same on both sides
                return "the same"
            if self.ci_low != self.ci_high:
                return "no measurable difference"
            # An exact count: equal, or a difference under the stated threshold.
            return "equal" if self.value == 1 else "no meaningful difference"
        winner = (
            self.verdict
            if better == "lower"
            else (Verdict.TENSORFLOW if self.verdict == Verdict.PYTORCH else Verdict.PYTORCH)
        )
        return f"{FRAMEWORK_LABELS[winner]} better"

    def headline(self, better: str = "lower", unit: str = "") -> str:
        """The verdict in words a reader need not invert: "PyTorch 2.0× faster", "TensorFlow
        1.4× smaller"; `describe` where no side is claimed better (or for a yes/no fact)."""
        described = self.describe(better)
        if self.verdict not in (Verdict.PYTORCH, Verdict.TENSORFLOW) or math.isnan(self.value):
            return described
        factor = max(self.value, 1 / self.value) if self.value > 0 else math.inf
        digits = 0 if factor >= 10 else 1 if factor >= 1.1 else 2  # never "1.0× faster"
        said = "∞" if math.isinf(factor) else f"{factor:.{digits}f}"
        # Where higher is better the winner's value is the larger one: "higher" says so.
        adjective = "higher" if better == "higher" else ADJECTIVES.get(unit, "lower")
        return f"{described.removesuffix(' better')} {said}× {adjective}"


# What "lower is better" reads as, per unit, in a headline.
ADJECTIVES = {"s": "faster", "bytes": "smaller", "statements": "shorter"}


@dataclass(frozen=True)
class Compilation:
    """A compiled path against its own eager baseline, in one framework. The speed-up and the
    break-even have 95% intervals from resampling processes (each process's first call,
    compiled and eager samples together) and the samples in them."""

    first_call: Summary  # tracing + compilation + the first execution
    compiled: Summary  # steady state, compiled
    eager: Summary  # steady state, the same work uncompiled
    overhead_s: float  # first call minus one steady compiled call
    speedup: float  # eager / compiled, steady state
    breakeven_calls: float | None  # calls until compiling has paid off; None: it never does
    speedup_ci: tuple[float, float] = (float("nan"), float("nan"))
    # inf as the upper end: in more than 2.5% of resamples compiling never paid off.
    breakeven_ci: tuple[float, float] = (float("nan"), float("nan"))

    def describe_speedup(self) -> str:
        """E.g. "2.40× (2.23–2.56)"; an interval that holds 1 is said in words."""
        low, high = self.speedup_ci
        if math.isnan(low):
            return f"{self.speedup:.2f}×"
        said = f"{self.speedup:.2f}× ({low:.2f}–{high:.2f})"
        return said + (": no measurable speed-up" if low <= 1 <= high else "")

    def describe_breakeven(self) -> str:
        """E.g. "25 calls (24–30)"; no point estimate when compiling may never pay off."""
        low, high = self.breakeven_ci
        if self.breakeven_calls is None:
            return "never (not faster)"
        if math.isnan(low):
            return f"{self.breakeven_calls:.0f} calls"
        if math.isinf(high):
            return f"not measurable: from {low:.0f} calls to never (95% CI)"
        return f"{self.breakeven_calls:.0f} calls ({low:.0f}–{high:.0f})"


def compilation(result: RunResult) -> Compilation | None:
    groups = [per_process(result, q) for q in ("first_call", "steady", "eager")]
    first, compiled, eager = (summarize(g) for g in groups)
    if first is None or compiled is None or eager is None:
        return None
    overhead = first.median - compiled.median
    breakeven = _breakeven(first.median, compiled.median, eager.median)
    found = Compilation(first, compiled, eager, overhead, eager.median / compiled.median, breakeven)
    if len({len(g) for g in groups}) != 1 or len(groups[0]) < MIN_VALUES_FOR_VERDICT:
        return found  # processes missing a quantity, or too few: no interval
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    rows = rng.integers(0, len(groups[0]), size=(BOOTSTRAP_RESAMPLES, len(groups[0])))
    f, c, e = (_bootstrap_medians(g, rng, rows) for g in groups)
    speedups = e / c
    even = np.array([_breakeven(*v) for v in zip(f, c, e, strict=True)], dtype=float)
    even[np.isnan(even)] = np.inf
    low, high = (float(x) for x in np.percentile(speedups, [2.5, 97.5]))
    # "nearest": interpolating between two infinite resamples would give NaN.
    first_even, last_even = (float(x) for x in np.percentile(even, [2.5, 97.5], method="nearest"))
    return replace(found, speedup_ci=(low, high), breakeven_ci=(first_even, last_even))


def _breakeven(first_call: float, compiled: float, eager: float) -> float | None:
    """Calls until compiling has paid off: the compile overhead over the saving per call."""
    saving = eager - compiled
    return max(first_call - compiled, 0.0) / saving if saving > 0 else None


# Two behaviours rather than one: at least this many processes, each cluster at least
# BIMODAL_SHARE of them (and 2), the gap between the clusters at least BIMODAL_GAP times their
# pooled spread and BIMODAL_EFFECT of the median (benchmarks/coverage.py: false alarms on one
# behaviour, and detection of two).
BIMODAL_MIN_PROCESSES = 6
BIMODAL_SHARE = 0.15
BIMODAL_GAP = 4.0
BIMODAL_EFFECT = 0.10


@dataclass(frozen=True)
class Modes:
    """Per-process medians that fall in two clusters: a median would average them away."""

    low: float  # the median of the lower cluster's process medians
    n_low: int
    high: float
    n_high: int


def bimodal(groups: list[list[float]]) -> Modes | None:
    """Two clusters of per-process medians separated by a clear gap, or None."""
    medians = np.sort([float(np.median(g)) for g in groups if len(g)])
    n = medians.size
    if n < BIMODAL_MIN_PROCESSES or medians[n // 2] <= 0:
        return None
    smallest = max(2, math.ceil(BIMODAL_SHARE * n))
    best = None
    for k in range(smallest, n - smallest + 1):
        low, high = medians[:k], medians[k:]
        gap = high[0] - low[-1]
        squares = float(((low - low.mean()) ** 2).sum() + ((high - high.mean()) ** 2).sum())
        pooled = math.sqrt(squares / (n - 2))
        clear = gap >= BIMODAL_EFFECT * medians[n // 2] and gap > BIMODAL_GAP * pooled
        if clear and (best is None or gap > best[0]):
            best = (gap, Modes(float(np.median(low)), k, float(np.median(high)), n - k))
    return best[1] if best else None


def per_process(result: RunResult, quantity: str) -> list[list[float]]:
    """Raw values of a quantity, grouped by process (steady has many per process)."""
    groups: list[list[float]] = []
    for p in result.processes:
        if quantity == "steady":
            values = list(p.samples)
        elif quantity == "eager":
            values = list(p.eager_samples)
        elif quantity == "import":
            values = [p.import_s]
        elif quantity == "setup":
            values = [p.setup_s]
        elif quantity == "first_call":
            values = [p.first_call_s]
        elif quantity == "peak_rss":
            values = [float(p.peak_rss_bytes)]
        elif quantity in OPTIONAL:  # None in results from before they were measured
            value = OPTIONAL[quantity](p)
            values = [float(value)] if value is not None else []
        elif quantity == "children_peak_rss":
            values = [float(p.children_peak_rss_bytes)]
        elif quantity in p.metrics:
            values = [p.metrics[quantity]]
        else:
            values = []
        if values:
            groups.append(values)
    return groups


def summarize(groups: list[list[float]]) -> Summary | None:
    if not groups:
        return None
    pooled = np.concatenate([np.asarray(g, dtype=float) for g in groups])
    q1, median, q3 = np.percentile(pooled, [25, 50, 75])
    medians = _bootstrap_medians(groups, np.random.default_rng(BOOTSTRAP_SEED))
    low, high = np.percentile(medians, [2.5, 97.5])
    return Summary(
        float(median),
        float(q1),
        float(q3),
        float(pooled.min()),
        float(low),
        float(high),
        int(pooled.size),
        len(groups),
    )


def ratio(pytorch: list[list[float]], tensorflow: list[list[float]]) -> Ratio | None:
    """Ratio of medians with a hierarchical bootstrap CI (processes, then values in each)."""
    if not pytorch or not tensorflow:
        return None
    medians = (
        float(np.median(np.concatenate(pytorch))),
        float(np.median(np.concatenate(tensorflow))),
    )
    if medians[1] == 0:  # counts such as recompiles: a ratio is undefined, the order is not
        verdict = Verdict.SAME if medians[0] == 0 else Verdict.TENSORFLOW
        return Ratio(float("nan"), float("nan"), float("nan"), verdict)
    value = medians[0] / medians[1]
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    # Processes of one round ran back to back (interleaved), so a slow spell of the machine hits
    # both: with as many processes on each side, a round is resampled as a pair.
    rows = None
    if len(pytorch) == len(tensorflow):
        rows = rng.integers(0, len(pytorch), size=(BOOTSTRAP_RESAMPLES, len(pytorch)))
    ratios = _bootstrap_medians(pytorch, rng, rows) / _bootstrap_medians(tensorflow, rng, rows)
    low, high = (float(x) for x in np.percentile(ratios, [2.5, 97.5]))
    low90, high90 = (float(x) for x in np.percentile(ratios, [5, 95]))
    floor = noise_floor(pytorch, tensorflow, paired=rows is not None)
    if min(sum(map(len, pytorch)), sum(map(len, tensorflow))) < MIN_VALUES_FOR_VERDICT:
        verdict = Verdict.UNKNOWN
    elif (value > 0 and abs(np.log(value)) <= np.log1p(floor)) or low <= 1 <= high:
        verdict = Verdict.SAME
    else:
        verdict = Verdict.PYTORCH if value < 1 else Verdict.TENSORFLOW
    return Ratio(value, low, high, verdict, floor, low90, high90)


def equivalent(ratio: Ratio, margin: float) -> bool | None:
    """TOST: both sides are the same within `margin` when the ratio's 90% interval lies inside
    [1 / (1 + margin), 1 + margin]. None when the ratio has no such interval."""
    if math.isnan(ratio.ci90_low) or math.isnan(ratio.ci90_high):
        return None
    return 1 / (1 + margin) <= ratio.ci90_low and ratio.ci90_high <= 1 + margin


def noise_floor(
    pytorch: list[list[float]], tensorflow: list[list[float]], paired: bool = False
) -> float:
    """The smallest relative difference worth calling one, given how much processes differ.
    Paired by round (and with enough rounds), it is the spread of the per-round ratio over
    sqrt(2), which equals one side's spread when the rounds share nothing, and shrinks when a
    slow spell hits both processes of a round."""
    n = min(len(pytorch), len(tensorflow))
    k = NOISE_FLOOR_K if n < MANY_PROCESSES else 1.0
    if paired and n >= PAIRED_ROUNDS:  # with fewer rounds their spread is too rough
        rounds = [np.median(a) / np.median(b) for a, b in zip(pytorch, tensorflow, strict=True)]
        spread = _process_cv([[float(r)] for r in rounds]) / math.sqrt(2)
    else:
        spread = max(_process_cv(pytorch), _process_cv(tensorflow))
    return max(MIN_EFFECT, k * spread)


def outliers(medians: np.ndarray) -> np.ndarray:
    """Which per-process medians are outliers (a boolean mask): see OUTLIER_MADS."""
    if medians.size < OUTLIER_MIN:
        return np.zeros(medians.shape, dtype=bool)
    center = np.median(medians)
    robust_sd = 1.4826 * np.median(np.abs(medians - center))
    far: np.ndarray = np.abs(medians - center) > OUTLIER_MADS * robust_sd
    if robust_sd <= 0 or far.sum() > OUTLIER_SHARE * medians.size:
        return np.zeros(medians.shape, dtype=bool)
    return far


def _process_cv(groups: list[list[float]]) -> float:
    """Coefficient of variation between per-process medians, outliers left out; with one
    process, the spread inside it stands in (IQR / 1.349 estimates the standard deviation)."""
    medians = np.array([np.median(g) for g in groups if len(g)], dtype=float)
    medians = medians[~outliers(medians)]
    if medians.size >= 2 and medians.mean() > 0:
        return float(medians.std(ddof=1) / medians.mean())
    values = np.asarray(groups[0], dtype=float) if groups else np.array([])
    if values.size < 2 or np.median(values) <= 0:
        return 0.0
    q1, q3 = np.percentile(values, [25, 75])
    return float((q3 - q1) / 1.349 / np.median(values))


def nonzero_required(feature: Feature, result: RunResult) -> list[tuple[Metric, float]]:
    """Metrics declared must_be_zero (e.g. steady-state recompiles) that are not, with the
    largest value any process reported."""
    found = []
    for metric in (m for m in feature.metrics if m.must_be_zero):
        values = [v for g in per_process(result, metric.id) for v in g]
        if any(values):
            found.append((metric, max(values)))
    return found


def not_flags(feature: Feature, result: RunResult) -> list[tuple[Metric, float]]:
    """Metrics declared `unit: flag` whose value is neither 1 nor 0, with the first such value."""
    found = []
    for metric in (m for m in feature.metrics if m.unit == FLAG):
        values = [v for g in per_process(result, metric.id) for v in g if v not in (0, 1)]
        if values:
            found.append((metric, values[0]))
    return found


def noise_marks(result: RunResult) -> list[str]:
    """Why this result's numbers deserve less trust, in words for the page; empty if none."""
    marks = []
    steady = summarize(per_process(result, "steady"))
    if steady and steady.n_values >= MIN_VALUES_FOR_VERDICT:
        spread = steady.relative_iqr
        if spread >= NOISY:
            word = "unstable" if spread >= UNSTABLE else "noisy"
            marks.append(f"{word}: steady-state IQR is {spread:.0%} of the median")
    for quantity, what in (("steady", "steady state"), ("eager", "eager baseline")):
        medians = np.array([np.median(g) for g in per_process(result, quantity)], dtype=float)
        odd = outliers(medians)
        if odd.any():
            others = float(np.median(medians[~odd]))
            worst = max(medians[odd], key=lambda v: abs(math.log(v / others)))
            marks.append(
                f"outlier process in the {what}: {odd.sum()} of {medians.size} processes "
                f"at up to {format_value(float(worst), 's')}, {worst / others:.2g}× the others' "
                f"median of {format_value(others, 's')}; kept in the median, left out of the "
                "noise floor"
            )
        modes = bimodal(per_process(result, quantity))
        if modes:
            marks.append(
                f"bimodal {what}: {modes.n_low} processes near {format_value(modes.low, 's')}, "
                f"{modes.n_high} near {format_value(modes.high, 's')}; its median sits between "
                "two behaviours"
            )
    other = result.runtime.get("other_cpu_cores")
    if other is not None and other > BUSY_CORES:
        marks.append(f"busy machine: other processes used {other:.2f} cores on average")
    steal = result.runtime.get("steal_cpu_cores")
    if steal is not None and steal > BUSY_CORES:
        marks.append(f"busy host: {steal:.2f} cores stolen by the hypervisor on average")
    return marks


def _bootstrap_medians(
    groups: list[list[float]], rng: np.random.Generator, rows: np.ndarray | None = None
) -> np.ndarray:
    """Medians of hierarchical resamples: processes with replacement (`rows`, resamples x
    processes, when given: the same processes for several quantities), then values in each."""
    arrays = [np.asarray(g, dtype=float) for g in groups]
    if rows is None:
        rows = rng.integers(0, len(arrays), size=(BOOTSTRAP_RESAMPLES, len(arrays)))
    if all(a.size == arrays[0].size for a in arrays) and arrays[0].size > 0:
        table = np.stack(arrays)  # processes x values
        n_val = table.shape[1]
        cols = rng.integers(0, n_val, size=(*rows.shape, n_val))
        picked = table[rows[:, :, None], cols]
        medians: np.ndarray = np.median(picked.reshape(BOOTSTRAP_RESAMPLES, -1), axis=1)
        return medians
    medians = np.empty(BOOTSTRAP_RESAMPLES)
    for i, chosen in enumerate(rows):
        picked = [rng.choice(arrays[j], size=arrays[j].size) for j in chosen]
        medians[i] = np.median(np.concatenate(picked))
    return medians


def equivalence(
    feature: Feature, pytorch: RunResult | None, tensorflow: RunResult | None
) -> Equivalence:
    """Compare what the first call of each side returned, within the declared tolerance."""
    tolerance = feature.comparison
    if tolerance.none_reason:
        return Equivalence(Agreement.NOT_COMPARED, tolerance.none_reason)
    if pytorch is None or tensorflow is None or not (pytorch.ok and tensorflow.ok):
        return Equivalence(
            Agreement.NOT_AVAILABLE, "Both sides must run successfully to be compared."
        )
    if pytorch.inputs_sha256 != tensorflow.inputs_sha256:
        return Equivalence(
            Agreement.MISMATCH,
            "The two sides were run on different inputs. Run "
            f"`fieldguide run --force {feature.id}`.",
        )
    return compare_outputs(pytorch.output, tensorflow.output, tolerance)


@dataclass(frozen=True)
class Roofline:
    """Where one result sits against the roofline of the peaks measured in the same run."""

    achieved_gflops: float
    intensity: float  # FLOP per byte
    peak_gflops: float  # GEMM fp32: the best any framework reached in the run
    bandwidth_gbs: float  # STREAM triad: the best any framework reached in the run
    degraded: bool  # this framework's peaks drifted between the start and the end of the run

    @property
    def bound_gflops(self) -> float:
        return min(self.peak_gflops, self.intensity * self.bandwidth_gbs)

    @property
    def fraction(self) -> float:
        return self.achieved_gflops / self.bound_gflops

    @property
    def limit(self) -> str:
        return "compute" if self.peak_gflops <= self.intensity * self.bandwidth_gbs else "memory"


def roofline(feature: Feature, result: RunResult, record: PeakRecord | None) -> Roofline | None:
    """Against the peaks of the result's own run (`record`), when the feature declares its work."""
    steady = summarize(per_process(result, "steady"))
    if feature.work is None or steady is None or record is None:
        return None
    gemm, triad = record.roof("gemm_fp32_gflops"), record.roof("triad_gbs")
    measured = record.frameworks.get(result.framework)
    if gemm is None or triad is None:
        return None
    placed = Roofline(
        achieved_gflops=feature.work.flops / steady.median / 1e9,
        intensity=feature.work.intensity,
        peak_gflops=gemm[0],
        bandwidth_gbs=triad[0],
        degraded=False,
    )
    # Degraded only by a change of the peak that bounds this feature, as the suite measured it.
    drifted = bool(measured and measured.beyond_noise(BOUNDING[placed.limit]))
    unknown = measured is None or measured.drift is None
    return replace(placed, degraded=drifted or unknown)


@dataclass(frozen=True)
class Row:
    """One quantity for both frameworks and their ratio: a line of a numbers table."""

    quantity: str
    label: str
    unit: str
    better: str
    pytorch: Summary | None
    tensorflow: Summary | None
    ratio: Ratio | None


LOC_LABEL = "Code size (statements, without imports and marked plumbing)"
# Counts are exact, so an interval means nothing; a difference in code size is claimed only when
# it is at least this large, relatively and in statements. The threshold is ours, and stated.
LOC_RELATIVE, LOC_ABSOLUTE = 0.20, 3


def row(
    feature: Feature, quantity: str, pytorch: RunResult | None, tensorflow: RunResult | None
) -> Row:
    """A measured quantity (built-in or a declared metric) of both sides."""
    groups = [per_process(r, quantity) if r else [] for r in (pytorch, tensorflow)]
    metric = feature.metric(quantity)
    label, unit = QUANTITY_LABELS.get(quantity, ("", ""))
    if metric:
        label, unit = metric.label, metric.unit
    if metric and metric.unit == FLAG:
        compared = _fact(groups[0], groups[1])
    else:
        compared = _judged(ratio(groups[0], groups[1]), _not_judged(pytorch, tensorflow))
    return Row(
        quantity,
        label,
        unit,
        metric.better if metric else "lower",
        summarize(groups[0]),
        summarize(groups[1]),
        compared,
    )


def _fact(pytorch: list[list[float]], tensorflow: list[list[float]]) -> Ratio | None:
    """A yes/no metric (`unit: flag`, 1 or 0) of both sides: no ratio (a ratio of 0 and 1 means
    nothing), and a verdict only when every process of each side said the same. The verdict
    names the side whose value is the lower, as for any quantity; `better` turns it around."""
    values = [{v for group in groups for v in group} for groups in (pytorch, tensorflow)]
    if not all(values):
        return None
    nan = float("nan")
    if any(len(v) > 1 for v in values):
        return Ratio(nan, nan, nan, Verdict.NOT_JUDGED, why="processes disagree")
    p, t = (v.pop() for v in values)
    verdict = Verdict.SAME if p == t else (Verdict.PYTORCH if p < t else Verdict.TENSORFLOW)
    return Ratio(nan, nan, nan, verdict)


def _judged(compared: Ratio | None, why: str) -> Ratio | None:
    """The ratio, without a verdict when there is a reason (`_not_judged`) to draw none."""
    return replace(compared, verdict=Verdict.NOT_JUDGED, why=why) if compared and why else compared


def _not_judged(*results: RunResult | None) -> str:
    """Why no verdict may be drawn from these results: quick mode (one process, a few samples:
    its verdicts flipped between runs) or a machine others were using; "" when none."""
    measured = [r for r in results if r is not None]
    if any(r.protocol.mode == "quick" for r in measured):
        return "quick mode"
    busy = [r.runtime.get("other_cpu_cores") or 0.0 for r in measured]
    if any(b > BUSY_CORES for b in busy):
        return "busy machine"
    return ""


def loc_row(feature: Feature, keys: tuple[str, str] = FRAMEWORKS) -> Row | None:
    """Code size, counted in the snippets (text.statements): exact numbers, so the ratio has no
    interval, and a verdict needs the stated threshold (LOC_RELATIVE and LOC_ABSOLUTE). `keys`
    names the PyTorch and TensorFlow snippets: the headline pair unless a variant stands in."""
    counts = [feature.snippets[k].lines if k in feature.snippets else 0 for k in keys]
    if not all(counts):
        return None
    value = counts[0] / counts[1]
    small = (
        abs(counts[0] - counts[1]) < LOC_ABSOLUTE
        or abs(counts[0] - counts[1]) / max(counts) < LOC_RELATIVE
    )
    verdict = Verdict.SAME if small else (Verdict.PYTORCH if value < 1 else Verdict.TENSORFLOW)
    pytorch, tensorflow = (Summary(c, c, c, c, c, c, 1, 0) for c in map(float, counts))
    exact = Ratio(value, value, value, verdict, noise_floor=LOC_RELATIVE)
    return Row("loc", LOC_LABEL, "statements", "lower", pytorch, tensorflow, exact)


def rows(
    feature: Feature, shown: Mapping[str, RunResult | None], keys: tuple[str, str] = FRAMEWORKS
) -> list[Row]:
    """The numbers table of a feature: every measured quantity, its metrics, lines of code.
    `shown` maps "pytorch" and "tensorflow" to the results compared (see `standing_in`)."""
    quantities = [q for q in TABLE if not (q == "steady" and feature.measure == "once")]
    table = [
        row(feature, q, shown["pytorch"], shown["tensorflow"])
        for q in quantities + [m.id for m in feature.metrics]
    ]
    # What older results did not record is left out rather than shown as a row of dashes.
    table = [r for r in table if r.quantity not in OPTIONAL or r.pytorch or r.tensorflow]
    workers = row(feature, "children_peak_rss", shown["pytorch"], shown["tensorflow"])
    # Only snippets that start worker processes (e.g. data-parallel training) get this row, and
    # a verdict only when both sides have workers: against none, a ratio compares nothing.
    if any(s and s.median for s in (workers.pytorch, workers.tensorflow)):
        both = all(s and s.median for s in (workers.pytorch, workers.tensorflow))
        table.append(workers if both else replace(workers, ratio=None))
    loc = loc_row(feature, keys)
    return table + ([loc] if loc else [])


def standing_in(
    feature: Feature, key: str, results: Mapping[str, RunResult | None]
) -> tuple[dict[str, RunResult | None], tuple[str, str]]:
    """The pair in which snippet `key` (a variant) stands in for its framework's headline
    snippet: the results by framework, and the snippet keys of the two sides."""
    framework = feature.framework_of(key)
    shown = {fw: results.get(key if fw == framework else fw) for fw in FRAMEWORKS}
    keys = tuple(key if fw == framework else fw for fw in FRAMEWORKS)
    return shown, (keys[0], keys[1])


# A variant's numbers beside its framework's headline snippet.
VARIANT_TABLE = ("steady", "first_call", "first_result", "growth_rss")


@dataclass(frozen=True)
class VariantRow:
    """One quantity of a variant against its framework's headline snippet."""

    quantity: str
    label: str
    unit: str
    headline: Summary | None
    variant: Summary | None
    ratio: Ratio | None  # variant / headline

    def describe(self) -> str:
        """The ratio in words, e.g. "2.3× slower", "no measurable difference"."""
        if self.ratio is None:
            return "—"
        if self.ratio.verdict in (Verdict.UNKNOWN, Verdict.SAME, Verdict.NOT_JUDGED):
            return self.ratio.describe()
        value = self.ratio.value
        if value == 1:
            return "equal"
        words = {"s": ("faster", "slower"), "statements": ("shorter", "longer")}.get(
            self.unit, ("lower", "higher")
        )
        return f"{max(value, 1 / value):.1f}× {words[value > 1]}"


def variant_rows(
    feature: Feature, key: str, headline: RunResult | None, variant: RunResult | None
) -> list[VariantRow]:
    """A variant's steady state, first call, time to first result, memory and code size beside
    the headline snippet of the same framework, with the ratio and its interval."""
    found = []
    why = _not_judged(headline, variant)
    for quantity in VARIANT_TABLE:
        if quantity == "steady" and feature.measure == "once":
            continue
        groups = [per_process(r, quantity) if r else [] for r in (headline, variant)]
        label, unit = QUANTITY_LABELS[quantity]
        compared = _judged(ratio(groups[1], groups[0]), why)
        found.append(
            VariantRow(
                quantity,
                label,
                unit,
                summarize(groups[0]),
                summarize(groups[1]),
                compared,
            )
        )
    found = [r for r in found if r.headline or r.variant]
    snippets = [feature.snippets.get(k) for k in (feature.framework_of(key), key)]
    if all(snippets):
        counts = [float(s.lines) for s in snippets if s]
        exact = [Summary(c, c, c, c, c, c, 1, 0) for c in counts]
        value = counts[1] / counts[0]
        found.append(
            VariantRow(
                "loc",
                LOC_LABEL,
                "statements",
                exact[0],
                exact[1],
                Ratio(value, value, value, Verdict.PYTORCH if value < 1 else Verdict.TENSORFLOW),
            )
        )
    return found


@dataclass(frozen=True)
class ClaimCheck:
    text: str
    source: str | None
    verdict: str  # "supported", "contradicted", "not measured", ...
    evidence: str
    article: str | None = None  # the claim of the claims page it bears on


def check_claim(claim: Claim, table: list[Row], equivalence: Equivalence) -> ClaimCheck:
    """What the measurements say of a claim people make."""
    if claim.quantity == "output":
        verdict = {Agreement.MATCH: "supported", Agreement.MISMATCH: "contradicted"}.get(
            equivalence.verdict, "not measured"
        )
        return ClaimCheck(claim.text, claim.source, verdict, equivalence.detail, claim.article)
    found = next((r for r in table if r.quantity == claim.quantity), None)
    if found is None or found.ratio is None:
        return ClaimCheck(
            claim.text,
            claim.source,
            "not measured",
            "Both frameworks must have a result for this quantity.",
            claim.article,
        )
    observed = found.ratio.verdict
    if observed == Verdict.NOT_JUDGED:
        verdict = f"not judged ({found.ratio.why})"
    elif observed == Verdict.UNKNOWN:
        verdict = "not enough samples"
    elif claim.expect == "same" and observed != Verdict.SAME:
        verdict = "contradicted"
    elif claim.expect == "same" and found.unit == FLAG:
        # "Both do it": the same answer on both sides, and the good one (yes, for a metric
        # better higher). Both failing the same test does not support "both pass".
        good = 1.0 if found.better == "higher" else 0.0
        both = found.pytorch.median if found.pytorch else None
        verdict = "supported" if both == good else "contradicted"
    elif claim.expect == "same" and found.quantity == "loc":
        verdict = "supported"  # exact counts, within the stated threshold
    elif claim.expect == "same":
        # No measurable difference is not equivalence: only a margin can show "the same".
        if claim.margin is None:
            verdict = "not shown (the claim states no margin)"
        else:
            shown = equivalent(found.ratio, claim.margin)
            verdict = "supported" if shown else "not shown"
    elif observed == Verdict.SAME:
        verdict = "no measurable difference"
    else:
        # The claim names the better side: the lower one, unless the quantity is better higher.
        lower = {Verdict.PYTORCH: "pytorch", Verdict.TENSORFLOW: "tensorflow"}[observed]
        better = (
            lower if found.better == "lower" else {"pytorch": "tensorflow"}.get(lower, "pytorch")
        )
        verdict = "supported" if better == claim.expect else "contradicted"
    if found.unit == FLAG:
        said = [
            format_value(x.median if x else None, FLAG) for x in (found.pytorch, found.tensorflow)
        ]
        evidence = f"{found.label}: PyTorch {said[0]}, TensorFlow {said[1]}."
    elif found.quantity == "loc":  # counted, not sampled: no interval
        evidence = (
            f"{found.label}: PyTorch/TensorFlow = {found.ratio.value:.2f}, counted exactly "
            f"(a difference under {LOC_RELATIVE:.0%} or {LOC_ABSOLUTE} statements counts as "
            "none)."
        )
    else:
        evidence = (
            f"{found.label}: PyTorch/TensorFlow = {found.ratio.value:.2f} "
            f"(95% CI {found.ratio.ci_low:.2f}–{found.ratio.ci_high:.2f})."
        )
    return ClaimCheck(claim.text, claim.source, verdict, evidence, claim.article)
