"""Per-call timing for metrics(), the same code on both sides (standard library only).

The harness's steady-state samples are means over loops of calls, so they give a median of
means, not the tail of single calls: these helpers time calls one by one."""

import statistics
import time

CALLS = 200  # single calls timed for the tail
MIN_LOOP_S = 0.02  # each throughput loop lasts at least this long
LOOPS = 5  # throughput loops; their median is reported


def p95_latency(call, sync, calls=CALLS):
    """95th percentile of the wall time of one call (seconds), after 10 warm-up calls."""
    for _ in range(10):
        call()
    sync()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def throughput(call, sync, batch):
    """Samples per second of `call` on a batch of `batch`, median of LOOPS timed loops."""
    for _ in range(3):
        call()
    sync()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < MIN_LOOP_S:  # calibrate the loop length
        call()
        n += 1
    sync()
    per_call = []
    for _ in range(LOOPS):
        start = time.perf_counter()
        for _ in range(n):
            call()
        sync()
        per_call.append((time.perf_counter() - start) / n)
    return batch / statistics.median(per_call)
