"""Inputs shared by both sides of debugging-errors: generated once in NumPy from a fixed seed.

The mistake on purpose: the model's first layer expects 128 features, the batch has 64.
"""

import numpy as np

SEED = 20261203
BATCH, N_FEATURES, N_IN, HIDDEN, N_CLASSES = 32, 64, 128, 48, 10


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    # Dense-layer parameters in Keras layout: kernel (in, out), bias (out,).
    return {
        "x": rng.standard_normal((BATCH, N_FEATURES), dtype=np.float32),  # 64, not 128
        "W1": 0.1 * rng.standard_normal((N_IN, HIDDEN), dtype=np.float32),
        "b1": np.zeros(HIDDEN, dtype=np.float32),
        "W2": 0.1 * rng.standard_normal((HIDDEN, N_CLASSES), dtype=np.float32),
        "b2": np.zeros(N_CLASSES, dtype=np.float32),
    }
