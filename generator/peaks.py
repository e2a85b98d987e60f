"""This machine's practical peaks, measured with the frameworks themselves.

At the start and at the end of every default-mode measurement run, each framework measures in
a fresh process (same threads as the snippets): GEMM throughput per dtype and sustained memory
bandwidth with STREAM-style copy and triad on arrays far larger than the caches. A drift between
start and end marks the run degraded. Features that declare their work are placed against the
resulting roofline.

The child side runs as `python -m generator.peaks REQUEST.json` and imports only the standard
library, NumPy and one framework, like `harness`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

GEMM_N = 2048  # 2 * 2048^3 = 17 GFLOP per call
STREAM_ELEMENTS = 64 * 2**20  # float32: 256 MiB per array, far beyond any last-level cache
REPEATS = 7
DRIFT_LIMIT = 0.05  # start vs end: above this the run is marked degraded
PEAK_KEYS = {
    "gemm_fp32_gflops": ("GEMM fp32", "GFLOP/s"),
    "gemm_bf16_gflops": ("GEMM bf16", "GFLOP/s"),
    "copy_gbs": ("Memory copy", "GB/s"),
    "triad_gbs": ("Memory triad", "GB/s"),
}


def main(request_path: str) -> int:
    from .harness import ADAPTERS

    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    framework = request["framework"]
    module = __import__(request["module"])
    adapter = ADAPTERS[framework](module, request["device"], request["threads"])
    measure = _torch_peaks if framework == "pytorch" else _tensorflow_peaks
    try:
        result: dict[str, Any] = {"status": "ok", **measure(module, adapter, request["device"])}
    except Exception as exc:  # a peak that cannot be measured is reported, not fatal
        result = {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}
    Path(request["result_path"]).write_text(json.dumps(result, sort_keys=True), encoding="utf-8")
    return 0


def _best(fn, sync, work: float) -> float:
    """Work per second of the fastest of REPEATS calls after one warm-up call (STREAM's rule:
    the best time excluding the first)."""
    fn()
    sync()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return work / min(times)


def _torch_peaks(torch, adapter, device: str) -> dict[str, float]:
    peaks = {}
    for dtype, key in ((torch.float32, "gemm_fp32_gflops"), (torch.bfloat16, "gemm_bf16_gflops")):
        a = torch.randn(GEMM_N, GEMM_N, device=device).to(dtype)
        b = torch.randn(GEMM_N, GEMM_N, device=device).to(dtype)
        peaks[key] = _best(lambda a=a, b=b: torch.mm(a, b), adapter.sync, 2 * GEMM_N**3) / 1e9
    x = torch.ones(STREAM_ELEMENTS, device=device)
    y = torch.ones(STREAM_ELEMENTS, device=device)
    z = torch.empty(STREAM_ELEMENTS, device=device)
    nbytes = STREAM_ELEMENTS * 4
    peaks["copy_gbs"] = _best(lambda: z.copy_(x), adapter.sync, 2 * nbytes) / 1e9
    peaks["triad_gbs"] = (
        _best(lambda: torch.add(x, y, alpha=3.0, out=z), adapter.sync, 3 * nbytes) / 1e9
    )
    return peaks


def _tensorflow_peaks(tf, adapter, device: str) -> dict[str, float]:
    peaks = {}
    with tf.device("/GPU:0" if device == "cuda" else "/CPU:0"):
        for dtype, key in ((tf.float32, "gemm_fp32_gflops"), (tf.bfloat16, "gemm_bf16_gflops")):
            a = tf.cast(tf.random.normal((GEMM_N, GEMM_N)), dtype)
            b = tf.cast(tf.random.normal((GEMM_N, GEMM_N)), dtype)
            peaks[key] = (
                _best(lambda a=a, b=b: tf.linalg.matmul(a, b).numpy(), lambda: None, 2 * GEMM_N**3)
                / 1e9
            )
        x = tf.ones(STREAM_ELEMENTS)
        y = tf.ones(STREAM_ELEMENTS)
        # XLA fuses each kernel into one pass over memory, as STREAM's loops are.
        copy = tf.function(lambda v: v * 1.0, jit_compile=True)
        triad = tf.function(lambda u, v: u + 3.0 * v, jit_compile=True)
        nbytes = STREAM_ELEMENTS * 4
        sync = adapter.sync if device == "cuda" else lambda: None
        # Reading one element back forces completion without copying the whole array.
        peaks["copy_gbs"] = _best(lambda: copy(x)[0].numpy(), sync, 2 * nbytes) / 1e9
        peaks["triad_gbs"] = _best(lambda: triad(x, y)[0].numpy(), sync, 3 * nbytes) / 1e9
    return peaks


def drift(start: dict[str, float], end: dict[str, float]) -> float:
    """The largest relative change of any peak between the start and the end of a run."""
    changes = [abs(end[k] - start[k]) / start[k] for k in start if k in end and start[k] > 0]
    return max(changes, default=0.0)


def summarize_run(per_framework: dict[str, dict[str, dict]]) -> dict[str, Any]:
    """{framework: {"start": peaks, "end": peaks}} -> the stored record with drift and verdict."""
    record: dict[str, Any] = {"frameworks": {}}
    for framework, phases in per_framework.items():
        start, end = phases.get("start", {}), phases.get("end", {})
        ok = start.get("status") == "ok" and end.get("status") == "ok"
        values = {k: v for k, v in start.items() if k in PEAK_KEYS}
        end_values = {k: v for k, v in end.items() if k in PEAK_KEYS}
        change = drift(values, end_values) if ok else None
        record["frameworks"][framework] = {
            "start": start,
            "end": end,
            "drift": change,
            "degraded": change is None or change > DRIFT_LIMIT,
        }
    return record


def best_peaks(record: dict[str, Any], framework: str) -> dict[str, float]:
    """The higher of start and end for each peak: a peak is the best the machine showed."""
    phases = record.get("frameworks", {}).get(framework, {})
    start, end = phases.get("start", {}), phases.get("end", {})
    return {
        k: max(v for v in (start.get(k), end.get(k)) if isinstance(v, (int, float)))
        for k in PEAK_KEYS
        if isinstance(start.get(k), (int, float)) or isinstance(end.get(k), (int, float))
    }


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main(sys.argv[1]))
