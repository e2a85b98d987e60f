"""Inputs shared by both sides of graph-compilation: generated once in NumPy from a fixed seed."""

from itertools import pairwise

import numpy as np

SEED = 20261126
BATCH = 2048
SIZES = [64, 256, 256, 10]


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = {"x": rng.standard_normal((BATCH, SIZES[0]), dtype=np.float32)}
    # Dense-layer parameters in Keras layout: kernel (in, out), bias (out,), He-scaled.
    for i, (n_in, n_out) in enumerate(pairwise(SIZES), start=1):
        scale = np.float32(np.sqrt(2.0 / n_in))
        arrays[f"W{i}"] = scale * rng.standard_normal((n_in, n_out), dtype=np.float32)
        arrays[f"b{i}"] = 0.1 * rng.standard_normal(n_out, dtype=np.float32)
    return arrays
