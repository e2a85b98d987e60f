"""Inputs shared by both sides of custom-layer-and-gradient: made once in NumPy, fixed seed."""

import numpy as np

SEED = 20261203
BATCH, N_IN, UNITS = 256, 64, 128


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    scale = np.float32(np.sqrt(2.0 / N_IN))
    return {
        # Large inputs: pre-activations reach about +-150, where exp(x) overflows float32
        # (above ~88.7) and the naive log(1 + exp(x)) returns inf.
        "x": 20.0 * rng.standard_normal((BATCH, N_IN), dtype=np.float32),
        # The layer's parameters in one layout on both sides: kernel (in, out), bias (out,).
        "W": scale * rng.standard_normal((N_IN, UNITS), dtype=np.float32),
        "b": rng.standard_normal(UNITS, dtype=np.float32),
        "target": rng.standard_normal((BATCH, UNITS), dtype=np.float32),
        # A small float64 input for the finite-difference gradient check, both signs.
        "x_check": np.linspace(-30.0, 30.0, 25),
    }
