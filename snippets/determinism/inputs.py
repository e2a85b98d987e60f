"""Inputs shared by both sides of determinism: made once in NumPy from a fixed seed."""

import numpy as np

SEED = 20261204
N, D, HIDDEN, N_CLASSES = 512, 32, 128, 10


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def glorot(n_in, n_out):
        limit = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)

    X = rng.standard_normal((N, D), dtype=np.float32)
    w_true = rng.standard_normal((D, N_CLASSES), dtype=np.float32)
    # Dense-layer parameters in Keras layout: kernel (in, out), bias (out,).
    return {
        "X": X,
        "y": np.argmax(X @ w_true, axis=1).astype(np.int64),
        "W1": glorot(D, HIDDEN),
        "b1": np.zeros(HIDDEN, dtype=np.float32),
        "W2": glorot(HIDDEN, HIDDEN),
        "b2": np.zeros(HIDDEN, dtype=np.float32),
        "W3": glorot(HIDDEN, N_CLASSES),
        "b3": np.zeros(N_CLASSES, dtype=np.float32),
    }
