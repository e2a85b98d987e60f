"""Inputs shared by both sides of mixed-precision: made once in NumPy from a fixed seed."""

import numpy as np

SEED = 20261205
BATCH, N_IN, HIDDEN, N_CLASSES = 256, 256, 512, 10


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def he(n_in, n_out):
        scale = np.float32(np.sqrt(2.0 / n_in))
        return scale * rng.standard_normal((n_in, n_out), dtype=np.float32)

    # Dense-layer parameters in Keras layout: kernel (in, out), bias (out,); float32 masters.
    return {
        "x": rng.standard_normal((BATCH, N_IN), dtype=np.float32),
        "y": rng.integers(0, N_CLASSES, BATCH, dtype=np.int64),
        "W1": he(N_IN, HIDDEN),
        "b1": 0.1 * rng.standard_normal(HIDDEN, dtype=np.float32),
        "W2": he(HIDDEN, HIDDEN),
        "b2": 0.1 * rng.standard_normal(HIDDEN, dtype=np.float32),
        "W3": he(HIDDEN, N_CLASSES),
        "b3": 0.1 * rng.standard_normal(N_CLASSES, dtype=np.float32),
    }
