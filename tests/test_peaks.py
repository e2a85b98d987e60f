"""The peak suite's bookkeeping and the roofline placement, on recorded numbers."""

from __future__ import annotations

import pytest

from generator import peaks
from generator.compare import Roofline
from generator.model import INSTALLED
from generator.peaks import FrameworkPeaks, PeakRecord, Phase, drift

START = Phase(
    "ok",
    values={
        "gemm_fp32_gflops": 100.0,
        "gemm_bf16_gflops": 400.0,
        "copy_gbs": 20.0,
        "triad_gbs": 25.0,
    },
)


def ended(**changes: float) -> Phase:
    return Phase("ok", values={**START.values, **changes})


def test_stable_run_is_not_degraded():
    judged = FrameworkPeaks.judge(START, ended(gemm_fp32_gflops=102.0))
    assert judged.drift == pytest.approx(0.02)
    assert judged.degraded is False
    assert judged.best()["gemm_fp32_gflops"] == 102.0


def test_drift_above_the_limit_marks_the_run_degraded():
    judged = FrameworkPeaks.judge(START, ended(triad_gbs=15.0))
    assert judged.drift == pytest.approx(0.4)
    assert judged.degraded is True
    assert judged.beyond_noise() == {"triad_gbs": pytest.approx(-0.4)}


def test_a_change_within_the_suites_own_noise_is_not_a_degraded_run():
    """Back-to-back suites on a quiet machine moved bandwidth by up to 15%: not a finding."""
    judged = FrameworkPeaks.judge(START, ended(triad_gbs=22.0, gemm_fp32_gflops=94.0))
    assert judged.drift == pytest.approx(0.12)
    assert judged.degraded is False


def test_a_failed_peak_measurement_is_degraded_not_a_crash():
    judged = FrameworkPeaks.judge(START, Phase("failed", "RuntimeError: x"))
    assert (judged.drift, judged.degraded) == (None, True)
    assert judged.best() == START.values
    assert drift({}, {}) == 0.0


def test_a_record_survives_its_json_form():
    sized = Phase("ok", values=START.values, sizes={"gemm_bf16_n": 512})
    record = PeakRecord("run1", {"pytorch": FrameworkPeaks.judge(sized, ended(copy_gbs=21.0))})
    data = record.as_json()
    assert data["frameworks"]["pytorch"]["start"] == {
        "status": "ok",
        **START.values,
        "gemm_bf16_n": 512,
    }
    assert PeakRecord.from_json(data) == record
    assert record.frameworks["pytorch"].start.size("gemm_bf16_gflops") == 512


def test_roofline_bound_is_the_lower_of_compute_and_memory():
    memory_bound = Roofline(
        achieved_gflops=10.0, intensity=1.0, peak_gflops=100.0, bandwidth_gbs=25.0, degraded=False
    )
    assert memory_bound.bound_gflops == 25.0
    assert memory_bound.limit == "memory"
    assert memory_bound.fraction == pytest.approx(0.4)
    compute_bound = Roofline(50.0, 100.0, 100.0, 25.0, False)
    assert (compute_bound.bound_gflops, compute_bound.limit) == (100.0, "compute")


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_peak_suite_runs_with_the_real_framework(framework):
    measured = peaks.measure(INSTALLED[framework], "cpu", 1)
    assert measured.status == "ok", measured.message
    # Loose physical sanity: any machine that runs the frameworks beats these floors.
    assert measured.values["gemm_fp32_gflops"] > 1 and measured.values["gemm_bf16_gflops"] > 0.1
    assert measured.values["copy_gbs"] > 0.5 and measured.values["triad_gbs"] > 0.5
    # Each GEMM ran at a power of two from 256 to 2048, recorded beside its peak.
    assert set(measured.sizes) == {"gemm_fp32_n", "gemm_bf16_n"}
    assert all(n in (256, 512, 1024, 2048) for n in measured.sizes.values())


def test_a_gemm_measured_at_two_sizes_is_not_a_drift_of_the_machine():
    start = Phase("ok", values=START.values, sizes={"gemm_fp32_n": 2048, "gemm_bf16_n": 512})
    end = Phase(
        "ok",
        values={**START.values, "gemm_fp32_gflops": 60.0},  # at 1024 wide: another measurement
        sizes={"gemm_fp32_n": 1024, "gemm_bf16_n": 512},
    )
    judged = FrameworkPeaks.judge(start, end)
    assert judged.drift == 0.0 and judged.degraded is False
