"""The child half of the peak suite: this machine's practical peaks, measured with one framework.

Runs as `python -m generator.child.peaks REQUEST.json` in a fresh process with the same threads
as the snippets: GEMM throughput per dtype and sustained memory bandwidth with STREAM-style copy
and triad on arrays far larger than the caches. It imports only the standard library and one
framework, like `harness`, and writes a `records.PeaksReport`. `generator.peaks` (the parent
half) runs it at the start and end of a run and judges the drift.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import adapters, records
from .records import PeaksReport, PeaksRequest

GEMM_N = 2048  # 2 * 2048^3 = 17 GFLOP per call
STREAM_ELEMENTS = 64 * 2**20  # float32: 256 MiB per array, far beyond any last-level cache
REPEATS = 7


def main(request_path: str) -> int:
    request = records.read(PeaksRequest, Path(request_path))
    module = importlib.import_module(request.module)
    adapter = adapters.load(request.adapter, module, request.device, request.threads)
    measure = MEASURES.get(request.framework)
    try:
        if measure is None:
            raise LookupError(f"no peak suite for {request.framework}")
        report = PeaksReport("ok", peaks=measure(module, adapter, request.device))
    except Exception as exc:  # a peak that cannot be measured is reported, not fatal
        report = PeaksReport("failed", f"{type(exc).__name__}: {exc}")
    records.write(report, Path(request.report_path))
    return 0


def _best(fn: Callable[[], Any], sync: Callable[[], Any], work: float) -> float:
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


def _torch_peaks(torch: Any, adapter: Any, device: str) -> dict[str, float]:
    peaks: dict[str, float] = {}
    for dtype, key in ((torch.float32, "gemm_fp32_gflops"), (torch.bfloat16, "gemm_bf16_gflops")):
        a = torch.randn(GEMM_N, GEMM_N, device=device).to(dtype)
        b = torch.randn(GEMM_N, GEMM_N, device=device).to(dtype)
        peaks[key] = _best(functools.partial(torch.mm, a, b), adapter.sync, 2 * GEMM_N**3) / 1e9
    x = torch.ones(STREAM_ELEMENTS, device=device)
    y = torch.ones(STREAM_ELEMENTS, device=device)
    z = torch.empty(STREAM_ELEMENTS, device=device)
    nbytes = STREAM_ELEMENTS * 4
    peaks["copy_gbs"] = _best(lambda: z.copy_(x), adapter.sync, 2 * nbytes) / 1e9
    peaks["triad_gbs"] = (
        _best(lambda: torch.add(x, y, alpha=3.0, out=z), adapter.sync, 3 * nbytes) / 1e9
    )
    return peaks


def _matmul(tf: Any, a: Any, b: Any) -> Any:
    return tf.linalg.matmul(a, b).numpy()  # .numpy() waits for the result


def _tensorflow_peaks(tf: Any, adapter: Any, device: str) -> dict[str, float]:
    peaks: dict[str, float] = {}
    with tf.device("/GPU:0" if device == "cuda" else "/CPU:0"):
        for dtype, key in ((tf.float32, "gemm_fp32_gflops"), (tf.bfloat16, "gemm_bf16_gflops")):
            a = tf.cast(tf.random.normal((GEMM_N, GEMM_N)), dtype)
            b = tf.cast(tf.random.normal((GEMM_N, GEMM_N)), dtype)
            peaks[key] = (
                _best(functools.partial(_matmul, tf, a, b), lambda: None, 2 * GEMM_N**3) / 1e9
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


MEASURES = {"pytorch": _torch_peaks, "tensorflow": _tensorflow_peaks}

if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main(sys.argv[1]))
