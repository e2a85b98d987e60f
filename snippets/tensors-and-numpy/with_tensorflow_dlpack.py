"""NumPy -> TensorFlow -> NumPy through DLPack: a view each way, no copy."""

import numpy as np
import tensorflow as tf

# The same mutation tests as the headline snippet: they describe TensorFlow, not this path.
from with_tensorflow import aligned_copy, metrics


def setup(inputs):
    # from_dlpack does not check alignment, and TensorFlow's CPU kernels abort the process on
    # data that is not 64-byte aligned, which a NumPy array need not be.
    return {"x": aligned_copy(inputs["x"])}


def run(state):
    tensor = tf.experimental.dlpack.from_dlpack(state["x"].__dlpack__())
    return np.from_dlpack(tensor)  # a read-only view of the same memory


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state))
    print(metrics(state))
