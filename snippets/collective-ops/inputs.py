"""Inputs of collective-ops: one float32 buffer per process, made in NumPy from a fixed seed."""

import numpy as np

SEED = 20261204
N = 262_144  # 1 MiB of float32 per process


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    # Process 0 contributes `a`, process 1 `b`: the all-reduced (summed) buffer is a + b.
    return {
        "a": rng.standard_normal(N, dtype=np.float32),
        "b": rng.standard_normal(N, dtype=np.float32),
    }
