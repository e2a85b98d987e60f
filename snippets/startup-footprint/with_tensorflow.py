"""Start-up of TensorFlow: one small first computation in a fresh process, and the disk space
the installed tensorflow distribution and its requirements take."""

import tensorflow as tf
from footprint import installed


def setup(inputs, device="cpu"):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        x, w = tf.constant(inputs["x"]), tf.constant(inputs["w"])
    return {"x": x, "w": w, "device": device}


def run(state):
    with tf.device(state["device"]):  # plumbing
        # The first operation also pays for whatever the framework initialises lazily.
        return {"y": tf.nn.relu(state["x"] @ state["w"])}


def metrics(state):
    # The CPU-only wheel is its own distribution, tensorflow-cpu; the full one is tensorflow.
    size, distributions = installed("tensorflow-cpu", "tensorflow")
    return {"installed_bytes": size, "distributions": distributions}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state), metrics(state))
