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


@pytest.mark.slow
@pytest.mark.parametrize(
    ("framework", "module"), [("pytorch", "torch"), ("tensorflow", "tensorflow")]
)
def test_peak_suite_runs_with_the_real_framework(tmp_path, framework, module):
    import json
    import os
    import subprocess
    import sys

    request = tmp_path / "request.json"
    result = tmp_path / "result.json"
    request.write_text(
        json.dumps(
            {
                "framework": framework,
                "module": module,
                "device": "cpu",
                "threads": 1,
                "result_path": str(result),
            }
        )
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run(
        [sys.executable, "-m", "generator.peaks", str(request)], env=env, check=True, timeout=300
    )
    peaks = json.loads(result.read_text())
    assert peaks["status"] == "ok", peaks
    # Loose physical sanity: any machine that runs the frameworks beats these floors.
    assert peaks["gemm_fp32_gflops"] > 1 and peaks["gemm_bf16_gflops"] > 0.1
    assert peaks["copy_gbs"] > 0.5 and peaks["triad_gbs"] > 0.5
