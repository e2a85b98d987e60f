"""Framework-free timing both sides of profiling use for the overhead metric: the same steps
with and without the profiler, interleaved, the median of the ratios."""

import statistics
import time

REPEATS = 11


def overhead_ratio(profiled, unprofiled) -> float:
    ratios = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        profiled()
        middle = time.perf_counter()
        unprofiled()
        ratios.append((middle - start) / (time.perf_counter() - middle))
    return statistics.median(ratios)
