"""Inputs shared by both sides of startup-footprint: made once in NumPy from a fixed seed."""

import numpy as np

SEED = 20261203


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    # A tiny first computation: what matters here is what happens before it.
    return {
        "x": rng.standard_normal((8, 32), dtype=np.float32),
        "w": rng.standard_normal((32, 4), dtype=np.float32) / np.float32(np.sqrt(32)),
    }
