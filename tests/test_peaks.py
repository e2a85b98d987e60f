"""The peak suite's bookkeeping and the roofline placement, on recorded numbers."""

from __future__ import annotations

import pytest

from generator.compare import Roofline
from generator.peaks import best_peaks, drift, summarize_run

START = {
    "status": "ok",
    "gemm_fp32_gflops": 100.0,
    "gemm_bf16_gflops": 400.0,
    "copy_gbs": 20.0,
    "triad_gbs": 25.0,
}


def test_stable_run_is_not_degraded():
    end = {**START, "gemm_fp32_gflops": 102.0}
    record = summarize_run({"pytorch": {"start": START, "end": end}})
    entry = record["frameworks"]["pytorch"]
    assert entry["drift"] == pytest.approx(0.02)
    assert entry["degraded"] is False
    assert best_peaks(record, "pytorch")["gemm_fp32_gflops"] == 102.0


def test_drift_above_the_limit_marks_the_run_degraded():
    end = {**START, "triad_gbs": 20.0}
    record = summarize_run({"tensorflow": {"start": START, "end": end}})
    assert record["frameworks"]["tensorflow"]["drift"] == pytest.approx(0.2)
    assert record["frameworks"]["tensorflow"]["degraded"] is True


def test_a_failed_peak_measurement_is_degraded_not_a_crash():
    record = summarize_run({"pytorch": {"start": START, "end": {"status": "failed"}}})
    assert record["frameworks"]["pytorch"] == {
        "start": START,
        "end": {"status": "failed"},
        "drift": None,
        "degraded": True,
    }
    assert drift({}, {}) == 0.0


def test_roofline_bound_is_the_lower_of_compute_and_memory():
    memory_bound = Roofline(
        achieved_gflops=10.0, intensity=1.0, peak_gflops=100.0, bandwidth_gbs=25.0, degraded=False
    )
    assert memory_bound.bound_gflops == 25.0
    assert memory_bound.limit == "memory"
    assert memory_bound.fraction == pytest.approx(0.4)
    compute_bound = Roofline(50.0, 100.0, 100.0, 25.0, False)
    assert (compute_bound.bound_gflops, compute_bound.limit) == (100.0, "compute")
