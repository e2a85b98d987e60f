"""Inputs shared by both sides of profiling: generated once in NumPy from a fixed seed."""

import numpy as np

SEED = 20261203
N, N_IN, HIDDEN, N_CLASSES = 512, 64, 256, 10


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def glorot(n_in, n_out):
        limit = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)

    # Dense-layer parameters in Keras layout: kernel (in, out), bias (out,).
    return {
        "X": rng.standard_normal((N, N_IN), dtype=np.float32),
        "y": rng.integers(0, N_CLASSES, N, dtype=np.int64),
        "W1": glorot(N_IN, HIDDEN),
        "b1": np.zeros(HIDDEN, dtype=np.float32),
        "W2": glorot(HIDDEN, N_CLASSES),
        "b2": np.zeros(N_CLASSES, dtype=np.float32),
    }
