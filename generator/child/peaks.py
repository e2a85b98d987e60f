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

GEMM_N = 2048  # the largest GEMM: 2 * 2048^3 = 17 GFLOP per call
# A dtype the CPU has no instructions for (bf16 on many CPUs) runs at well under 1 GFLOP/s, and
# 2048-wide calls would take ~20 s each: the size doubles from 256 only while a call is shorter.
# At 0.1 s, fp32 reaches 2048 unless a 1024-wide call runs 3x slower than usual (at 50 ms, a
# momentary hiccup once stopped it at 1024, and start and end were then not comparable).
GEMM_MIN_CALL_S = 0.1
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


def _gemm(
    make: Callable[[int], Callable[[], Any]], sync: Callable[[], Any], key: str
) -> dict[str, float]:
    """The GEMM peak and the size it was measured at (`<key>` and `<key>_n`): `make(n)` returns
    one n-by-n multiplication to call."""
    n = 256
    while n < GEMM_N:
        call = make(n)
        call()  # the first call of a size pays for its allocations
        sync()
        start = time.perf_counter()
        call()
        sync()
        if time.perf_counter() - start >= GEMM_MIN_CALL_S:
            break
        n *= 2
    gflops = _best(make(n), sync, 2 * n**3) / 1e9
    return {f"{key}_gflops": gflops, f"{key}_n": float(n)}


def _torch_peaks(torch: Any, adapter: Any, device: str) -> dict[str, float]:
    peaks: dict[str, float] = {}
    for dtype, key in ((torch.float32, "gemm_fp32"), (torch.bfloat16, "gemm_bf16")):

        def make(n: int, dtype: Any = dtype) -> Callable[[], Any]:
            a = torch.randn(n, n, device=device).to(dtype)
            b = torch.randn(n, n, device=device).to(dtype)
            return functools.partial(torch.mm, a, b)

        peaks |= _gemm(make, adapter.sync, key)
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
        for dtype, key in ((tf.float32, "gemm_fp32"), (tf.bfloat16, "gemm_bf16")):

            def make(n: int, dtype: Any = dtype) -> Callable[[], Any]:
                a = tf.cast(tf.random.normal((n, n)), dtype)
                b = tf.cast(tf.random.normal((n, n)), dtype)
                return functools.partial(_matmul, tf, a, b)

            peaks |= _gemm(make, lambda: None, key)
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
