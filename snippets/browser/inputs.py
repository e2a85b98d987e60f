"""Inputs shared by both sides of browser: one image and a small CNN's weights, in NumPy."""

import numpy as np

SEED = 20261204
SIZE, CHANNELS, N_CLASSES = 64, 3, 10
FILTERS = (32, 64, 128)


def make_inputs(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def he(shape, fan_in):
        return np.float32(np.sqrt(2.0 / fan_in)) * rng.standard_normal(shape, dtype=np.float32)

    # Keras layouts: the image NHWC, conv kernels (kh, kw, in, out), dense kernel (in, out).
    arrays = {"image": rng.uniform(0.0, 1.0, (1, SIZE, SIZE, CHANNELS)).astype(np.float32)}
    n_in = CHANNELS
    for i, n_out in enumerate(FILTERS, start=1):
        arrays[f"conv{i}_kernel"] = he((3, 3, n_in, n_out), 9 * n_in)
        arrays[f"conv{i}_bias"] = 0.1 * rng.standard_normal(n_out, dtype=np.float32)
        n_in = n_out
    arrays["dense_kernel"] = he((n_in, N_CLASSES), n_in)
    arrays["dense_bias"] = 0.1 * rng.standard_normal(N_CLASSES, dtype=np.float32)
    return arrays
