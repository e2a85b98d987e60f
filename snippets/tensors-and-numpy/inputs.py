"""Inputs shared by both sides of tensors-and-numpy: one float32 array from a fixed seed."""

import numpy as np

SEED = 20261127
# 1000 x 1000 float32: 4,000,000 bytes, and the most numbers a result may hold, so the whole
# round-tripped array is what the two sides compare.
SHAPE = (1000, 1000)


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal(SHAPE, dtype=np.float32)}
