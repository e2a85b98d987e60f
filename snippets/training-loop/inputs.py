"""Inputs shared by both sides of training-loop: generated once in NumPy from a fixed seed."""

import numpy as np

SEED = 20261127


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, d, hidden = 2048, 32, 64
    X = rng.standard_normal((n, d), dtype=np.float32)
    w_true = rng.standard_normal((d, 1), dtype=np.float32) / np.sqrt(d)
    y = X @ w_true + 0.1 * rng.standard_normal((n, 1), dtype=np.float32)

    def glorot(n_in, n_out):
        limit = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)

    # Dense-layer parameters in Keras layout: kernel (in, out), bias (out,).
    return {
        "X": X,
        "y": y.astype(np.float32),
        "W1": glorot(d, hidden),
        "b1": np.zeros(hidden, dtype=np.float32),
        "W2": glorot(hidden, 1),
        "b2": np.zeros(1, dtype=np.float32),
    }
