"""Inputs shared by both sides of data-parallel: generated once in NumPy from a fixed seed."""

import numpy as np

SEED = 20261203
STEPS, GLOBAL_BATCH, N_IN, HIDDEN = 50, 64, 16, 64


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = STEPS * GLOBAL_BATCH  # one pass, each global batch used once, in order
    X = rng.standard_normal((n, N_IN), dtype=np.float32)
    w_true = rng.standard_normal((N_IN, 1), dtype=np.float32) / np.sqrt(N_IN)
    y = np.tanh(X @ w_true) + 0.1 * rng.standard_normal((n, 1), dtype=np.float32)

    def glorot(n_in, n_out):
        limit = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)

    # Dense-layer parameters in Keras layout: kernel (in, out), bias (out,).
    return {
        "X": X,
        "y": y.astype(np.float32),
        "W1": glorot(N_IN, HIDDEN),
        "b1": np.zeros(HIDDEN, dtype=np.float32),
        "W2": glorot(HIDDEN, 1),
        "b2": np.zeros(1, dtype=np.float32),
    }
