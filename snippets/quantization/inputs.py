"""Inputs shared by both sides of quantization: made once in NumPy from a fixed seed."""

import numpy as np

SEED = 20261203
BATCH, N_IN, HIDDEN, N_CLASSES = 256, 784, 512, 10


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def he(n_in, n_out):
        scale = np.float32(np.sqrt(2.0 / n_in))
        return scale * rng.standard_normal((n_in, n_out), dtype=np.float32)

    # A batch of 256 flattened 28x28 "images" in [0, 1); dense-layer parameters in Keras
    # layout: kernel (in, out), bias (out,).
    return {
        "x": rng.uniform(0.0, 1.0, (BATCH, N_IN)).astype(np.float32),
        "W1": he(N_IN, HIDDEN),
        "b1": 0.1 * rng.standard_normal(HIDDEN, dtype=np.float32),
        "W2": he(HIDDEN, HIDDEN),
        "b2": 0.1 * rng.standard_normal(HIDDEN, dtype=np.float32),
        "W3": he(HIDDEN, N_CLASSES),
        "b3": 0.1 * rng.standard_normal(N_CLASSES, dtype=np.float32),
    }
