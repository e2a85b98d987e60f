"""Forward pass of a small Keras MLP compiled with XLA via tf.function(jit_compile=True)."""

import keras
import tensorflow as tf


def setup(inputs, device="cpu"):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = keras.Sequential(
            [
                keras.Input(shape=(64,)),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(10),
            ]
        )
        # Keras Dense kernels are (in, out), the layout of the shared weights.
        model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2", "W3", "b3"]])  # plumbing
        x = tf.constant(inputs["x"])

    # tf.function is lazy too: tracing and XLA compilation happen on the first call.
    @tf.function(jit_compile=True)
    def forward(x):
        return model(x, training=False)

    return {"model": model, "forward": forward, "x": x, "device": device}


def run(state):
    with tf.device(state["device"]):  # plumbing
        return state["forward"](state["x"])


def eager(state):
    # The same forward pass without tf.function: the baseline compiling must beat.
    with tf.device(state["device"]):  # plumbing
        return state["model"](state["x"], training=False)


def metrics(state):
    # Traces beyond the first one (retracing).
    return {"retraces": state["forward"].experimental_get_tracing_count() - 1}


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
