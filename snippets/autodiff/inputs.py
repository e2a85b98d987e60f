"""Inputs shared by both sides of autodiff: generated once in NumPy from a fixed seed."""

import numpy as np

SEED = 20261125


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, d = 16384, 256
    X = rng.standard_normal((n, d), dtype=np.float32)
    w_true = rng.standard_normal(d, dtype=np.float32) / np.sqrt(d)
    p = 1.0 / (1.0 + np.exp(-(X @ w_true)))
    y = (rng.random(n) < p).astype(np.float32)
    return {
        "X": X,
        "y": y,
        "w": 0.1 * rng.standard_normal(d, dtype=np.float32),
        "v": rng.standard_normal(d, dtype=np.float32),
    }
