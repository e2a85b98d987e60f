"""Inputs shared by both sides of edge-runtime: generated once in NumPy from a fixed seed."""

import numpy as np

SEED = 20261204
BATCH, HEIGHT, WIDTH, CHANNELS = 1, 32, 32, 3  # batch 1: one image per inference, as on a device
FILTERS = [16, 32]
CLASSES = 10


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    # Images in Keras's default layout, NHWC; the PyTorch side transposes them to NCHW.
    arrays = {"x": rng.standard_normal((BATCH, HEIGHT, WIDTH, CHANNELS), dtype=np.float32)}
    n_in = CHANNELS
    for i, n_out in enumerate(FILTERS, start=1):
        # Conv kernels in Keras layout (kh, kw, in, out), He-scaled; no bias (BatchNorm follows).
        scale = np.float32(np.sqrt(2.0 / (3 * 3 * n_in)))
        arrays[f"conv{i}_kernel"] = scale * rng.standard_normal((3, 3, n_in, n_out), np.float32)
        # BatchNorm scale and shift, and running statistics away from their initial 0 and 1,
        # so that copying them (and the epsilon) matters.
        arrays[f"bn{i}_gamma"] = 1 + 0.1 * rng.standard_normal(n_out, dtype=np.float32)
        arrays[f"bn{i}_beta"] = 0.1 * rng.standard_normal(n_out, dtype=np.float32)
        arrays[f"bn{i}_mean"] = 0.1 * rng.standard_normal(n_out, dtype=np.float32)
        arrays[f"bn{i}_var"] = rng.uniform(0.5, 2.0, n_out).astype(np.float32)
        n_in = n_out
    # Dense layer in Keras layout: kernel (in, out), bias (out,).
    scale = np.float32(np.sqrt(1.0 / n_in))
    arrays["dense_kernel"] = scale * rng.standard_normal((n_in, CLASSES), dtype=np.float32)
    arrays["dense_bias"] = 0.1 * rng.standard_normal(CLASSES, dtype=np.float32)
    return arrays
