"""Statistics and the equivalence check, on recorded numbers (no timing here)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from generator.child.harness import encode_output
from generator.compare import (
    MIN_EFFECT,
    Ratio,
    Verdict,
    equivalence,
    noise_floor,
    noise_marks,
    ratio,
    summarize,
)
from generator.model import Feature, ProcessRecord, Protocol, RunResult, Status, Tolerance
from generator.outputs import SKETCH_SAMPLES, Sketch, positions, sketched

DEFAULT_TOLERANCE = Tolerance(rtol=1e-5, atol=1e-8)


def feature(tolerance: Tolerance = DEFAULT_TOLERANCE) -> Feature:
    return Feature(
        id="f",
        title="F",
        section="Core",
        summary="s",
        timed="t",
        comparison=tolerance,
        claims=(),
        directory=Path("."),
    )


def result(output, framework="pytorch", status=Status.OK, inputs="abc") -> RunResult:
    return RunResult(
        feature="f",
        framework=framework,
        status=status,
        cache_key="k",
        protocol=Protocol.for_mode("quick", 1),
        device="cpu",
        machine={},
        runtime={},
        created="2026-01-01T00:00:00+00:00",
        output=encode_output(output),
        inputs_sha256=inputs,
    )


def test_summary_of_known_samples():
    s = summarize([[1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 3.0, 4.0, 5.0, 6.0]])
    assert s.median == 3.5
    assert (s.q1, s.q3) == (2.25, 4.75)
    assert s.minimum == 1.0
    assert s.ci_low <= s.median <= s.ci_high
    assert (s.n_values, s.n_processes) == (10, 2)


def test_bootstrap_is_deterministic():
    groups = [list(np.random.default_rng(i).normal(1.0, 0.1, 10)) for i in range(3)]
    assert summarize(groups) == summarize(groups)
    assert ratio(groups, groups) == ratio(groups, groups)


def test_a_known_twofold_difference_is_detected():
    rng = np.random.default_rng(1)
    fast = [list(rng.normal(1.0, 0.05, 10)) for _ in range(3)]
    slow = [list(rng.normal(2.0, 0.10, 10)) for _ in range(3)]
    r = ratio(fast, slow)
    assert 0.45 < r.value < 0.55
    assert r.ci_high < 1 and r.verdict == "pytorch"
    assert ratio(slow, fast).verdict == "tensorflow"


def test_same_distribution_is_no_measurable_difference():
    rng = np.random.default_rng(2)
    a = [list(rng.normal(1.0, 0.05, 10)) for _ in range(3)]
    b = [list(rng.normal(1.0, 0.05, 10)) for _ in range(3)]
    r = ratio(a, b)
    assert r.ci_low < 1 < r.ci_high
    assert r.verdict == "same"


def test_too_few_samples_give_no_verdict():
    r = ratio([[1.0]], [[2.0]])
    assert r.verdict == "unknown"
    assert r.describe().startswith("too few samples to tell")


def test_zero_counts_are_the_same_not_a_division_by_zero():
    r = ratio([[0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]])
    assert r.verdict == "same" and math.isnan(r.value)


def test_equivalence_match_reports_observed_differences():
    a = {"grad": np.array([1.0, 2.0, 3.0]), "loss": 0.5}
    b = {"grad": np.array([1.0, 2.0, 3.0 + 3e-6]), "loss": 0.5}
    check = equivalence(feature(), result(a), result(b, "tensorflow"))
    assert check.verdict == "match"
    assert check.max_abs_diff == 3e-6 or abs(check.max_abs_diff - 3e-6) < 1e-12
    assert check.detail == "Equal within rtol=1e-05, atol=1e-08."


def test_equivalence_mismatch_names_the_key():
    a = {"grad": np.array([1.0, 2.0]), "loss": 0.5}
    b = {"grad": np.array([1.0, 2.1]), "loss": 0.5}
    check = equivalence(feature(), result(a), result(b, "tensorflow"))
    assert check.verdict == "mismatch"
    assert check.detail == (
        "Outside rtol=1e-05, atol=1e-08. grad: 1 of 2 elements differ, the most at [1]: "
        "PyTorch 2, TensorFlow 2.1 (|diff| 0.1)."
    )


def test_equivalence_catches_different_structure_and_shapes():
    check = equivalence(feature(), result({"a": 1.0}), result({"b": 1.0}, "tensorflow"))
    assert check.verdict == "mismatch"
    assert check.detail == (
        "result: PyTorch returned ['a'], TensorFlow returned ['b']; both "
        "must return the same structure."
    )
    shapes = equivalence(
        feature(), result(np.zeros((2, 3))), result(np.zeros((3, 2)), "tensorflow")
    )
    assert shapes.detail == (
        "Different layouts: result: shape (2, 3) from PyTorch, (3, 2) from TensorFlow. Both "
        "must return the same keys, shapes and layout."
    )
    assert shapes.structural


def test_equivalence_nan_on_one_side_only_is_a_mismatch():
    check = equivalence(
        feature(), result(np.array([1.0, np.nan])), result(np.array([1.0, 1.0]), "tensorflow")
    )
    assert check.verdict == "mismatch"
    assert check.detail == (
        "Outside rtol=1e-05, atol=1e-08. result: NaN from PyTorch only, at [1] (1 of 2 elements)."
    )


def test_matching_nans_and_infinities_are_a_match_and_say_so():
    a = np.array([[1.0, np.nan], [np.inf, 2.0]])
    check = equivalence(feature(), result(a), result(a.copy(), "tensorflow"))
    assert check.verdict == "match"
    assert (
        check.detail
        == "Equal within rtol=1e-05, atol=1e-08. 1 NaN(s) at the same positions in both."
    )
    assert check.max_abs_diff == 0.0


def test_equivalence_refuses_results_from_different_inputs():
    check = equivalence(feature(), result(1.0, inputs="a"), result(1.0, "tensorflow", inputs="b"))
    assert check.verdict == "mismatch"
    assert check.detail.startswith("The two sides were run on different inputs.")


def test_equivalence_not_compared_and_not_available():
    none = feature(Tolerance(none_reason="Error messages are text."))
    assert equivalence(none, None, None).verdict == "not compared"
    failed = result(1.0, status=Status.FAILED)
    assert equivalence(feature(), failed, result(1.0, "tensorflow")).verdict == "not available"


def test_string_outputs_compare_exactly():
    same = equivalence(feature(), result("error: shape"), result("error: shape", "tensorflow"))
    assert same.verdict == "match"
    other = equivalence(feature(), result("a"), result("b", "tensorflow"))
    assert other.verdict == "mismatch"


def simulated_side(rng, center: float, between_cv: float, within_cv: float, processes=3):
    """Recorded-style samples: each process has its own offset (as on a shared VM)."""
    return [
        list(center * rng.normal(1.0, between_cv) * rng.normal(1.0, within_cv, 10))
        for _ in range(processes)
    ]


@pytest.mark.slow  # 900 bootstrapped comparisons: a simulation, seconds long
@pytest.mark.parametrize(("between_cv", "within_cv"), [(0.01, 0.02), (0.08, 0.03), (0.2, 0.1)])
def test_a_a_comparison_is_no_measurable_difference(between_cv, within_cv):
    """A/A: the same distribution on both sides is called different at most 5% of the time."""
    rng = np.random.default_rng(3)
    trials = 300
    false_positives = sum(
        ratio(
            simulated_side(rng, 1e-3, between_cv, within_cv),
            simulated_side(rng, 1e-3, between_cv, within_cv),
        ).verdict
        != "same"
        for _ in range(trials)
    )
    assert false_positives / trials <= 0.05


@pytest.mark.parametrize(("between_cv", "within_cv"), [(0.01, 0.02), (0.08, 0.03)])
def test_a_twofold_difference_is_detected_despite_process_noise(between_cv, within_cv):
    rng = np.random.default_rng(4)
    verdicts = [
        ratio(
            simulated_side(rng, 1e-3, between_cv, within_cv),
            simulated_side(rng, 2e-3, between_cv, within_cv),
        ).verdict
        for _ in range(100)
    ]
    assert verdicts.count("pytorch") >= 95


def test_noise_floor_grows_with_the_spread_between_processes():
    quiet = [[1.0, 1.0], [1.01, 1.01], [0.99, 0.99]]
    loud = [[1.0, 1.0], [1.3, 1.3], [0.7, 0.7]]
    assert noise_floor(quiet, quiet) == pytest.approx(max(MIN_EFFECT, 3 * 0.01))
    assert noise_floor(quiet, loud) == pytest.approx(3 * 0.3)
    # A 20% difference inside a 30%-CV process spread is not claimed.
    assert ratio([[1.0] * 10, [1.3] * 10, [0.7] * 10], [[1.2] * 10] * 3).verdict == "same"


def with_samples(samples_per_process, runtime=None) -> RunResult:
    processes = tuple(
        ProcessRecord(
            import_s=1.0,
            setup_s=0.1,
            first_call_s=0.2,
            warmup_calls=3,
            loops=1,
            samples=tuple(s),
            peak_rss_bytes=1,
            children_peak_rss_bytes=0,
            gpu_peak_bytes=None,
            metrics={},
        )
        for s in samples_per_process
    )
    return RunResult(**{**result(1.0).__dict__, "processes": processes, "runtime": runtime or {}})


def test_noise_marks():
    steady = [[1.0, 1.0, 1.0, 1.0]] * 3
    assert noise_marks(with_samples(steady)) == []
    noisy = [[0.88, 0.94, 1.0, 1.06, 1.12]] * 3
    assert noise_marks(with_samples(noisy)) == ["noisy: steady-state IQR is 12% of the median"]
    unstable = [[0.6, 0.8, 1.0, 1.2, 1.4]] * 3
    assert noise_marks(with_samples(unstable)) == [
        "unstable: steady-state IQR is 40% of the median"
    ]
    busy = with_samples(steady, {"other_cpu_cores": 0.9, "steal_cpu_cores": 0.0})
    assert noise_marks(busy) == ["busy machine: other processes used 0.90 cores on average"]


def test_same_is_shown_only_by_an_equivalence_test_against_a_margin():
    """No measurable difference is not equivalence: "same" needs the 90% interval of the ratio
    inside the claim's margin (two one-sided tests)."""
    from generator.compare import Row, check_claim, equivalent
    from generator.model import Claim

    def claim_on(pytorch, tensorflow, margin):
        r = ratio(pytorch, tensorflow)
        table = [Row("steady", "Steady state", "s", "lower", None, None, r)]
        claim = Claim("Both are as fast.", "steady", "same", None, margin)
        return check_claim(claim, table, equivalence(feature(), None, None)).verdict

    rng = np.random.default_rng(11)
    same = simulated_side(rng, 1e-3, 0.01, 0.02), simulated_side(rng, 1e-3, 0.01, 0.02)
    assert ratio(*same).verdict == "same"
    assert equivalent(ratio(*same), 0.10) is True
    assert claim_on(*same, margin=0.10) == "supported"
    assert claim_on(*same, margin=None) == "not shown (the claim states no margin)"
    # Too noisy to show the same within 1%, though no difference is measurable either.
    assert claim_on(*same, margin=0.001) == "not shown"
    twice = simulated_side(rng, 1e-3, 0.01, 0.02), simulated_side(rng, 2e-3, 0.01, 0.02)
    assert claim_on(*twice, margin=0.10) == "contradicted"


def test_rounds_are_paired_so_a_slow_spell_shared_by_both_sides_does_not_hide_a_difference():
    """10% apart, with a 15% slow-spell offset per round shared by both processes of the round:
    paired by round the difference is found; with the pairing broken it drowns in the drift."""
    rng = np.random.default_rng(11)
    drift = rng.normal(1.0, 0.15, 20)
    a = [list(1e-3 * d * rng.normal(1.0, 0.01, 3)) for d in drift]
    b = [list(1.1e-3 * d * rng.normal(1.0, 0.01, 3)) for d in drift]
    paired = ratio(a, b)
    assert paired.verdict == "pytorch"
    assert paired.ci_high < 1 and paired.noise_floor < 0.05
    shuffled = ratio(a, [b[i] for i in rng.permutation(20)])
    assert shuffled.verdict == "same"


def eager_and_compiled(compiled: list[float], eager: list[float], first: float) -> RunResult:
    processes = tuple(
        ProcessRecord(
            import_s=1.0,
            setup_s=0.1,
            first_call_s=first * (1 + 0.01 * i),
            warmup_calls=3,
            loops=1,
            samples=tuple(c * (1 + 0.01 * j) for j in range(3)),
            peak_rss_bytes=1,
            children_peak_rss_bytes=0,
            gpu_peak_bytes=None,
            metrics={},
            eager_loops=1,
            eager_samples=tuple(e * (1 + 0.01 * j) for j in range(3)),
        )
        for i, (c, e) in enumerate(zip(compiled, eager, strict=True))
    )
    return RunResult(**{**result(1.0).__dict__, "processes": processes})


def test_the_compile_speed_up_and_break_even_have_intervals():
    from generator.compare import compilation

    rng = np.random.default_rng(5)
    compiled = list(1e-3 * rng.normal(1.0, 0.03, 20))
    stats = compilation(eager_and_compiled(compiled, [2 * c for c in compiled], 0.1))
    low, high = stats.speedup_ci
    assert low <= stats.speedup <= high and low > 1.9 and high < 2.1
    assert stats.describe_speedup() == f"{stats.speedup:.2f}× ({low:.2f}–{high:.2f})"
    low, high = stats.breakeven_ci
    assert low <= stats.breakeven_calls <= high < math.inf
    assert stats.describe_breakeven() == f"{stats.breakeven_calls:.0f} calls ({low:.0f}–{high:.0f})"


def test_a_speed_up_within_noise_says_compiling_may_never_pay_off():
    """PyTorch eager per-process medians of 2.75, 2.81 and 1.72 ms against a steady 2.5 ms
    compiled path: the point estimate pays off after some calls, the interval says maybe never."""
    from generator.compare import compilation

    eager = [2.75e-3, 2.81e-3, 1.72e-3] * 4
    stats = compilation(eager_and_compiled([2.5e-3] * 12, eager, 0.1))
    assert stats.breakeven_calls is not None
    assert stats.breakeven_ci[1] == math.inf
    # The page shows no point estimate then, and says the speed-up is not measurable.
    assert stats.describe_breakeven().startswith("not measurable: from ")
    assert stats.describe_breakeven().endswith(" calls to never (95% CI)")
    assert stats.describe_speedup().endswith(": no measurable speed-up")


def test_two_behaviours_across_processes_are_marked_not_averaged_away():
    from generator.compare import bimodal

    fast = [[1.72e-3] * 3 for _ in range(7)]
    slow = [[2.78e-3 * (1 + 0.005 * i)] * 3 for i in range(13)]
    modes = bimodal(fast + slow)
    assert (modes.n_low, modes.n_high) == (7, 13)
    assert modes.low == pytest.approx(1.72e-3) and modes.high == pytest.approx(2.86e-3, rel=0.01)
    marks = noise_marks(with_samples(fast + slow))
    assert marks[0] == "unstable: steady-state IQR is 41% of the median"
    assert marks[1] == (
        "bimodal steady state: 7 processes near 1.72 ms, 13 near 2.86 ms; its median sits "
        "between two behaviours"
    )


def test_one_behaviour_with_process_noise_is_not_called_two():
    from generator.compare import bimodal

    rng = np.random.default_rng(6)
    for _ in range(50):
        groups = [list(1e-3 * rng.normal(1.0, 0.05) * rng.normal(1.0, 0.02, 3)) for _ in range(20)]
        assert bimodal(groups) is None
    assert bimodal([[1.0], [1.0], [2.0], [2.0], [2.0]]) is None  # too few processes to tell


def test_one_runaway_process_does_not_erase_a_clear_difference():
    """Measured: one 2-thread process of 20 ran 33x slower; its spread set the noise floor to
    188% and a 2.8x difference read "no measurable difference"."""
    rng = np.random.default_rng(8)
    pytorch = simulated_side(rng, 1.6e-3, 0.02, 0.02, processes=20)
    tensorflow = simulated_side(rng, 4.6e-3, 0.05, 0.05, processes=20)
    pytorch[-1] = [53.9e-3] * 3
    compared = ratio(pytorch, tensorflow)
    assert compared.verdict == "pytorch" and compared.noise_floor < 0.2
    (mark,) = [m for m in noise_marks(with_samples(pytorch)) if m.startswith("outlier")]
    assert mark.startswith(
        "outlier process in the steady state: 1 of 20 processes at up to 53.9 ms"
    )
    assert "kept in the median, left out of the noise floor" in mark


def test_a_quarter_of_the_processes_is_a_second_behaviour_not_outliers():
    from generator.compare import outliers

    rng = np.random.default_rng(9)
    medians = rng.normal(1.0, 0.02, 20)
    assert not outliers(medians).any()  # ordinary spread
    medians[:2] = 2.0
    assert outliers(medians).sum() == 2
    medians[:5] = 2.0  # 25%: too many to set aside
    assert not outliers(medians).any()
    assert not outliers(np.array([1.0, 1.0, 5.0])).any()  # too few processes to tell


def test_quick_mode_and_busy_results_are_shown_but_not_judged():
    """Quick-mode verdicts flipped between runs (one went from "25x better" to nothing)."""
    from dataclasses import replace

    from generator.compare import row

    from .conftest import recorded

    fast, slow = recorded("pytorch", 1.0), recorded("tensorflow", 2.0)
    assert row(feature(), "steady", fast, slow).ratio.verdict == "pytorch"
    quick = replace(slow, protocol=Protocol.for_mode("quick", 2))
    judged = row(feature(), "steady", fast, quick).ratio
    assert judged.verdict == "not judged" and judged.describe() == "not judged (quick mode)"
    busy = replace(slow, runtime={"other_cpu_cores": 0.9})
    assert row(feature(), "steady", fast, busy).ratio.describe() == "not judged (busy machine)"


def with_metrics(values: list[float], framework: str = "pytorch") -> RunResult:
    """One result whose processes reported metric `m` = each of `values`."""
    base = with_samples([[1.0, 1.0, 1.0]] * len(values))
    processes = tuple(
        ProcessRecord(**{**p.__dict__, "metrics": {"m": v}})
        for p, v in zip(base.processes, values, strict=True)
    )
    return RunResult(**{**base.__dict__, "framework": framework, "processes": processes})


def metric_feature(unit: str, better: str, claims=()) -> Feature:
    from dataclasses import replace as changed

    from generator.model import Metric

    return changed(feature(), metrics=(Metric("m", "M", unit, better),), claims=tuple(claims))


def test_a_yes_no_metric_has_no_ratio_and_a_verdict_from_the_values():
    from generator.compare import Verdict, row

    flags = metric_feature("flag", "higher")
    yes_no = row(flags, "m", with_metrics([1.0, 1.0]), with_metrics([0.0, 0.0], "tensorflow"))
    assert math.isnan(yes_no.ratio.value)
    assert yes_no.ratio.verdict == Verdict.TENSORFLOW  # the lower value
    assert yes_no.ratio.describe(yes_no.better) == "PyTorch better"
    same = row(flags, "m", with_metrics([1.0]), with_metrics([1.0], "tensorflow"))
    assert same.ratio.describe(same.better) == "the same"
    torn = row(flags, "m", with_metrics([1.0, 0.0]), with_metrics([1.0], "tensorflow"))
    assert torn.ratio.describe(torn.better) == "not judged (processes disagree)"


def test_a_claim_names_the_better_side_also_for_a_quantity_better_higher():
    """`expect` is the side the claim says is better: for a metric declared `better: higher`
    (throughput, a yes/no capability) that is the higher side, not the lower one."""
    from generator.compare import check_claim, not_flags, row
    from generator.model import Claim

    for unit in ("flag", "items/s"):
        f = metric_feature(unit, "higher")
        samples = ([1.0, 1.0, 1.0], [0.0, 0.0, 0.0]) if unit == "flag" else None
        if samples:
            pytorch, tensorflow = with_metrics(samples[0]), with_metrics(samples[1], "tensorflow")
        else:
            pytorch = with_metrics([200.0, 201.0, 199.0, 200.5, 199.5, 200.2])
            tensorflow = with_metrics([100.0, 101.0, 99.0, 100.5, 99.5, 100.2], "tensorflow")
            # Judged like any measured quantity: not in quick mode.
            pytorch, tensorflow = (
                RunResult(**{**r.__dict__, "protocol": Protocol.for_mode("publication", 1)})
                for r in (pytorch, tensorflow)
            )
        table = [row(f, "m", pytorch, tensorflow)]
        equal = equivalence(f, None, None)
        for expect, verdict in (("pytorch", "supported"), ("tensorflow", "contradicted")):
            claim = Claim("PyTorch has more.", "m", expect)
            assert check_claim(claim, table, equal).verdict == verdict, (unit, expect)
    flags = metric_feature("flag", "higher")
    assert [v for _, v in not_flags(flags, with_metrics([1.0, 2.0]))] == [2.0]


def test_both_sides_the_same_on_a_flag_means_both_have_the_good_answer():
    from generator.compare import check_claim, row
    from generator.model import Claim

    f = metric_feature("flag", "higher")
    claim = Claim("Both pass the check.", "m", "same")
    for value, verdict in ((1.0, "supported"), (0.0, "contradicted")):
        table = [row(f, "m", with_metrics([value]), with_metrics([value], "tensorflow"))]
        assert check_claim(claim, table, equivalence(f, None, None)).verdict == verdict


@pytest.mark.parametrize(
    ("ratio", "verdict", "better", "unit", "said"),
    [
        (0.49, Verdict.PYTORCH, "lower", "s", "PyTorch 2.0× faster"),
        (7.0, Verdict.TENSORFLOW, "lower", "s", "TensorFlow 7.0× faster"),
        (1.04, Verdict.TENSORFLOW, "lower", "bytes", "TensorFlow 1.04× smaller"),
        (0.05, Verdict.PYTORCH, "lower", "statements", "PyTorch 20× shorter"),
        # Higher is better: a ratio above 1 (PyTorch higher) is PyTorch's win.
        (3.0, Verdict.TENSORFLOW, "higher", "samples/s", "PyTorch 3.0× higher"),
        (0.98, Verdict.SAME, "lower", "s", "no measurable difference"),
    ],
)
def test_headline_says_the_verdict_without_inverting_a_ratio(ratio, verdict, better, unit, said):
    low, high = ratio * 0.9, ratio * 1.1
    assert Ratio(ratio, low, high, verdict).headline(better, unit) == said


def sketched_result(output, framework="pytorch") -> RunResult:
    """A result as the runner stores it: arrays over SKETCH_ABOVE elements as sketches."""
    return dataclasses.replace(result(output, framework), output=sketched(encode_output(output)))


def test_a_large_array_is_stored_as_a_sample_and_its_sums():
    big = np.random.default_rng(0).standard_normal((1000, 999)).astype(np.float32)
    stored = sketched_result({"w": big, "loss": 0.5})
    assert set(stored.output["w"]) == {"__sketch__"}
    assert stored.output["loss"] == encode_output(0.5)
    assert (
        len(json.dumps(stored.output)) < 100_000
    )  # its 999,000 elements took about 20 MB of JSON whole
    sketch = Sketch.decode(stored.output["w"]["__sketch__"])
    assert sketch.shape == (1000, 999) and sketch.sample.size == SKETCH_SAMPLES
    assert sketch.sample[0] == big.flat[0] and sketch.sample[-1] == big.flat[-1]
    assert sketch.total == pytest.approx(float(big.astype(float).sum()))


def test_arrays_that_agree_elementwise_always_agree_as_sketches():
    """The sums' bounds follow from the elementwise rule: differences right at the tolerance,
    all in one direction (the worst case for the sums), still pass."""
    tolerance = Tolerance(rtol=1e-3, atol=1e-6)
    for seed in range(5):
        a = np.random.default_rng(seed).standard_normal(50_000)
        b = a + np.sign(a) * 0.999 * (tolerance.atol + tolerance.rtol * np.abs(a))
        whole = equivalence(feature(tolerance), result(a), result(b, "tensorflow"))
        assert whole.verdict == "match"
        check = equivalence(
            feature(tolerance), sketched_result(a), sketched_result(b, "tensorflow")
        )
        assert check.verdict == "match", check.detail
        assert check.sampled and "compared result on 2,048 of 50,000 elements" in check.detail


def test_a_difference_outside_the_sample_is_caught_by_the_sums():
    a = np.random.default_rng(1).standard_normal(100_000)
    unsampled = next(i for i in range(a.size) if i not in set(positions(a.size).tolist()))
    b = a.copy()
    b[unsampled] += 10.0
    check = equivalence(feature(), sketched_result(a), sketched_result(b, "tensorflow"))
    assert check.verdict == "mismatch"
    assert "result: sum " in check.detail and "over 100,000 elements" in check.detail


def test_sketches_compare_nan_counts_and_shapes():
    a = np.ones(10_000)
    b = a.copy()
    b[1] = np.nan
    nans = equivalence(feature(), sketched_result(a), sketched_result(b, "tensorflow"))
    assert nans.verdict == "mismatch"
    assert "result: 0 nan element(s) from PyTorch, 1 from TensorFlow" in nans.detail
    shapes = equivalence(
        feature(), sketched_result(a.reshape(100, 100)), sketched_result(a, "tensorflow")
    )
    assert shapes.structural
    assert "result: shape (100, 100) from PyTorch, (10000,) from TensorFlow" in shapes.detail


def test_a_whole_array_compares_with_a_sketch_sketched_the_same_way():
    """A result stored whole (schema 2) against one stored as a sketch (schema 3)."""
    a = np.random.default_rng(2).standard_normal(20_000)
    check = equivalence(feature(), result(a), sketched_result(a.copy(), "tensorflow"))
    assert check.verdict == "match" and check.sampled
    off = equivalence(feature(), result(a + 1.0), sketched_result(a, "tensorflow"))
    assert off.verdict == "mismatch"
