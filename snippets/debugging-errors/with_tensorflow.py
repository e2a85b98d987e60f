"""The error TensorFlow (Keras) raises when a batch of 64 features meets a layer built for
128, eagerly and inside a tf.function."""

import keras
import tensorflow as tf
from messages import capture, flags


def setup(inputs, device="cpu"):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = keras.Sequential(
            [
                keras.Input(shape=(128,)),
                keras.layers.Dense(48, activation="relu", name="hidden"),
                keras.layers.Dense(10, name="head"),
            ]
        )
        # Keras Dense kernels are (in, out), the layout of the shared weights.
        model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2"]])  # plumbing
        x = tf.constant(inputs["x"])  # (32, 64): the layer expects 128

    # tf.function is lazy: tracing on the first call meets the mistake there.
    @tf.function(jit_compile=False)
    def compiled(x):
        return model(x)

    return {"model": model, "compiled": compiled, "x": x, "device": device}


def run(state):
    model, compiled, x = state["model"], state["compiled"], state["x"]
    with tf.device(state["device"]):  # plumbing
        eager_error = capture(lambda: model(x))
        compiled_error = capture(lambda: compiled(x))
    state["captured"] = eager_error, compiled_error
    return {
        "eager_error": eager_error["error"],
        "eager_raised_in": eager_error["raised_in"],
        "compiled_error": compiled_error["error"],
        "compiled_raised_in": compiled_error["raised_in"],
    }


def metrics(state):
    return flags(*state["captured"], layer="hidden")


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    for key, text in run(state).items():
        print(f"--- {key}\n{text}")
    print(metrics(state))
