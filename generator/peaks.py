"""This machine's practical peaks: the parent half of the peak suite.

At the start and at the end of every default-mode measurement run, each framework measures
GEMM throughput and memory bandwidth in a fresh process (`generator.child.peaks`). A drift
between start and end marks the run degraded; features that declare their work are placed
against the roofline of the peaks of their own run. The store keeps one `PeakRecord` per run.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .child.peaks import GEMM_MIN_CALL_S, GEMM_N, REPEATS, STREAM_ELEMENTS
from .child.records import PeaksReport, PeaksRequest
from .launch import child_env, launch
from .model import Framework

__all__ = ["DRIFT_LIMITS", "GEMM_MIN_CALL_S", "GEMM_N", "PEAK_KEYS", "REPEATS", "STREAM_ELEMENTS"]

TIMEOUT_S = 300
# Start vs end: a change beyond these marks the run degraded. Not 5%: on a quiet 2-core VM,
# back-to-back suites moved by up to 6.5% (GEMM fp32), 10% (bf16) and 15% (bandwidth)
# (benchmarks/peak_repeatability.py), so the limits sit above the suite's own noise.
DRIFT_LIMITS = {
    "gemm_fp32_gflops": 0.10,
    "gemm_bf16_gflops": 0.15,
    "copy_gbs": 0.20,
    "triad_gbs": 0.20,
}
# Which peaks can bound a feature, by what limits it on the roofline.
BOUNDING = {"compute": ("gemm_fp32_gflops",), "memory": ("copy_gbs", "triad_gbs")}
PEAK_KEYS = {
    "gemm_fp32_gflops": ("GEMM fp32", "GFLOP/s"),
    "gemm_bf16_gflops": ("GEMM bf16", "GFLOP/s"),
    "copy_gbs": ("Memory copy", "GB/s"),
    "triad_gbs": ("Memory triad", "GB/s"),
}
# The size each GEMM was measured at (child.peaks shrinks it for a dtype the CPU is slow at).
SIZE_KEYS = {"gemm_fp32_gflops": "gemm_fp32_n", "gemm_bf16_gflops": "gemm_bf16_n"}


@dataclass(frozen=True)
class Phase:
    """The peaks one framework measured at the start or the end of a run."""

    status: str  # "ok", "failed" or "timeout"
    message: str = ""
    values: dict[str, float] = field(default_factory=dict)  # PEAK_KEYS -> value
    sizes: dict[str, int] = field(default_factory=dict)  # SIZE_KEYS' values -> GEMM size

    def get(self, key: str) -> float | None:
        return self.values.get(key)

    def size(self, key: str) -> int | None:
        """The size of the GEMM behind peak `key` (None for bandwidths, or older records)."""
        return self.sizes.get(SIZE_KEYS.get(key, ""))

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, **self.values, **self.sizes}
        if self.message:
            data["message"] = self.message
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Phase:
        values = {k: float(v) for k, v in data.items() if k in PEAK_KEYS}
        sizes = {k: int(v) for k, v in data.items() if k in SIZE_KEYS.values()}
        return cls(str(data.get("status", "failed")), str(data.get("message", "")), values, sizes)


@dataclass(frozen=True)
class FrameworkPeaks:
    start: Phase
    end: Phase
    drift: float | None  # the largest relative change of any peak; None if one phase failed
    degraded: bool

    @classmethod
    def judge(cls, start: Phase, end: Phase) -> FrameworkPeaks:
        ok = start.status == "ok" and end.status == "ok"
        # A GEMM measured at different sizes at start and end is not a change of the machine.
        comparable = {k: v for k, v in start.values.items() if start.size(k) == end.size(k)}
        change = drift(comparable, end.values) if ok else None
        judged = cls(start, end, change, False)
        return replace(judged, degraded=change is None or bool(judged.beyond_noise()))

    def changes(self) -> dict[str, float]:
        """Each peak's relative change from start to end (-0.2: fell by 20%), where both
        phases measured it the same way."""
        if self.start.status != "ok" or self.end.status != "ok":
            return {}
        return {
            k: self.end.values[k] / v - 1
            for k, v in self.start.values.items()
            if k in self.end.values and v > 0 and self.start.size(k) == self.end.size(k)
        }

    def beyond_noise(self, keys: tuple[str, ...] = tuple(PEAK_KEYS)) -> dict[str, float]:
        """The changes of these peaks larger than the suite's own noise (DRIFT_LIMITS)."""
        changes = self.changes()
        return {k: c for k, c in changes.items() if k in keys and abs(c) > DRIFT_LIMITS[k]}

    def best(self) -> dict[str, float]:
        """The higher of start and end for each peak: a peak is the best the machine showed."""
        return {
            k: max(v for v in (self.start.get(k), self.end.get(k)) if v is not None)
            for k in PEAK_KEYS
            if self.start.get(k) is not None or self.end.get(k) is not None
        }


@dataclass(frozen=True)
class PeakRecord:
    """The peak suite of one run: results/<machine>/peaks/<run_id>.json."""

    run_id: str
    frameworks: dict[str, FrameworkPeaks]

    def roof(self, key: str) -> tuple[float, tuple[str, ...]] | None:
        """The machine's best value of peak `key` in this run, and the frameworks that reached
        it: a framework's own peak reflects its library's code path on this CPU (MKL takes
        its AVX2 path on AMD, oneDNN AVX-512), not what the machine can do."""
        values = {fw: p.best()[key] for fw, p in sorted(self.frameworks.items()) if key in p.best()}
        if not values:
            return None
        best = max(values.values())
        return best, tuple(fw for fw, v in values.items() if v == best)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "frameworks": {
                fw: {
                    "start": p.start.as_json(),
                    "end": p.end.as_json(),
                    "drift": p.drift,
                    "degraded": p.degraded,
                }
                for fw, p in self.frameworks.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PeakRecord:
        frameworks = {
            fw: FrameworkPeaks(
                Phase.from_json(p.get("start", {})),
                Phase.from_json(p.get("end", {})),
                p.get("drift"),
                bool(p.get("degraded", True)),
            )
            for fw, p in data.get("frameworks", {}).items()
        }
        return cls(str(data["run_id"]), frameworks)


def drift(start: dict[str, float], end: dict[str, float]) -> float:
    """The largest relative change of any peak between the start and the end of a run."""
    changes = [abs(end[k] - start[k]) / start[k] for k in start if k in end and start[k] > 0]
    return max(changes, default=0.0)


def measure(framework: Framework, device: str, threads: int) -> Phase:
    """One framework's peak suite in a fresh process; a failure is recorded, never raised."""
    with tempfile.TemporaryDirectory(prefix="fieldguide-peaks-") as tmp:
        workdir = Path(tmp)
        request = PeaksRequest(
            framework.name,
            framework.module,
            framework.adapter,
            device,
            threads,
            str(workdir / "report.json"),
        )
        env = child_env(threads, workdir, framework.env)
        exited = launch("peaks", request, PeaksReport, workdir, env, TIMEOUT_S)
    if exited.timed_out:
        return Phase("timeout", f"peak suite ran past {TIMEOUT_S} s")
    report: PeaksReport | None = exited.report
    if report is None:
        return Phase("failed", exited.log_tail)
    return Phase.from_json({**report.peaks, "status": report.status, "message": report.message})
