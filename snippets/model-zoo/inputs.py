"""Inputs shared by both sides of model-zoo: one image batch, made in NumPy from a fixed seed.

No weights: each library initialises its own ResNet-18 at random (nothing can be downloaded),
so only the architecture and the cost of running it are compared.
"""

import numpy as np

SEED = 20261203
BATCH, HEIGHT, WIDTH, CHANNELS = 1, 224, 224, 3


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    # Channels-last (Keras's layout); the PyTorch side permutes it to NCHW.
    return {"images": rng.standard_normal((BATCH, HEIGHT, WIDTH, CHANNELS), dtype=np.float32)}
