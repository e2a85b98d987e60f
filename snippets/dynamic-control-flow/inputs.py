"""Inputs shared by both sides of dynamic-control-flow, made in NumPy from a fixed seed."""

import numpy as np

SEED = 20261127
BATCH, D_IN, D = 64, 128, 256


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    # W is 0.95 times an orthogonal matrix, so z -> tanh(z @ W + x @ U + b) is a contraction
    # and the iteration converges; how many steps it takes depends on the data.
    q, _ = np.linalg.qr(rng.standard_normal((D, D)))
    return {
        "x": rng.standard_normal((BATCH, D_IN), dtype=np.float32),
        "U": (rng.standard_normal((D_IN, D)) / np.sqrt(D_IN)).astype(np.float32),
        "W": (0.95 * q).astype(np.float32),
        "b": (0.1 * rng.standard_normal(D)).astype(np.float32),
    }
