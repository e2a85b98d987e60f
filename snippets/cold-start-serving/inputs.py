"""Inputs shared by both sides of cold-start-serving: made once in NumPy from a fixed seed."""

import numpy as np

SEED = 20261203
N_IN, HIDDEN, N_OUT = 128, 256, 10


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def he(n_in, n_out):
        scale = np.float32(np.sqrt(2.0 / n_in))
        return scale * rng.standard_normal((n_in, n_out), dtype=np.float32)

    # Dense-layer parameters in Keras layout: kernel (in, out), bias (out,).
    return {
        # The first request: one example, as a client would send it.
        "request": rng.standard_normal((1, N_IN), dtype=np.float32),
        # An example batch to trace the export with (a batch of 1 would fix the size to 1).
        "example": rng.standard_normal((8, N_IN), dtype=np.float32),
        "W1": he(N_IN, HIDDEN),
        "b1": 0.1 * rng.standard_normal(HIDDEN, dtype=np.float32),
        "W2": he(HIDDEN, HIDDEN),
        "b2": 0.1 * rng.standard_normal(HIDDEN, dtype=np.float32),
        "W3": he(HIDDEN, N_OUT),
        "b3": 0.1 * rng.standard_normal(N_OUT, dtype=np.float32),
    }
