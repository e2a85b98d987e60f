"""One line: what this snippet does with TensorFlow."""

import tensorflow as tf


def setup(inputs, device="cpu"):
    # Build models and tensors here: this is timed separately from run().
    with tf.device("/GPU:0" if device == "cuda" else "/CPU:0"):
        return {"x": tf.constant(inputs["x"])}


def run(state):
    # The timed unit of work. Its first return value is compared with PyTorch's.
    return tf.reduce_sum(state["x"], axis=0)


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
