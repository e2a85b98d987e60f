"""Inputs shared by both sides of breakpoints-in-compiled-code: made once in NumPy from a
fixed seed."""

import numpy as np

SEED = 20261203
BATCH, N_IN, HIDDEN, N_OUT = 256, 64, 64, 10


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((BATCH, N_IN), dtype=np.float32),
        "W1": (rng.standard_normal((N_IN, HIDDEN)) / np.sqrt(N_IN)).astype(np.float32),
        "W2": (rng.standard_normal((HIDDEN, N_OUT)) / np.sqrt(HIDDEN)).astype(np.float32),
    }
