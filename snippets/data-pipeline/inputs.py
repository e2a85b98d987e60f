"""Inputs shared by both sides of data-pipeline: made once in NumPy from a fixed seed."""

import numpy as np

SEED = 20261203
N, SIZE, CHANNELS, N_CLASSES = 2048, 32, 3, 10


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        # A small in-memory image set, channels last (the layout images are stored in).
        "images": rng.integers(0, 256, (N, SIZE, SIZE, CHANNELS), dtype=np.uint8),
        "labels": rng.integers(0, N_CLASSES, N, dtype=np.int64),
        # Per-channel normalisation constants.
        "mean": np.array([0.4914, 0.4822, 0.4465], dtype=np.float32),
        "std": np.array([0.2470, 0.2435, 0.2616], dtype=np.float32),
        # The epoch's shuffle order, drawn here so that both sides read the same order.
        "order": rng.permutation(N).astype(np.int64),
    }
