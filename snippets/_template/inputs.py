"""Inputs shared by both sides: generated once, in NumPy, from a fixed seed."""

import numpy as np

SEED = 0


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((256, 64), dtype=np.float32)}
