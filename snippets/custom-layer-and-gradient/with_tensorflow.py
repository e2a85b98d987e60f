"""A numerically stable softplus with a hand-written gradient (tf.custom_gradient), used inside
a custom Keras Layer, run eagerly."""

import keras
import numpy as np
import tensorflow as tf


@tf.custom_gradient
def stable_softplus(x):
    """softplus(x) = log(1 + exp(x)), written so that exp never overflows."""
    y = tf.maximum(x, 0.0) + tf.math.log1p(tf.exp(-tf.abs(x)))

    def grad(upstream):
        # d softplus / dx = sigmoid(x), which tf.sigmoid computes without overflow.
        return upstream * tf.sigmoid(x)

    return y, grad


class SoftplusDense(keras.Layer):
    """A dense layer followed by the custom softplus; kernel stored as (in, out)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="zeros")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, x):
        return stable_softplus(tf.matmul(x, self.kernel) + self.bias)


def setup(inputs, device="cpu"):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        layer = SoftplusDense(128)
        layer.build((None, 64))
        layer.set_weights([inputs["W"], inputs["b"]])  # plumbing
        x, target = tf.constant(inputs["x"]), tf.constant(inputs["target"])
    return {
        "layer": layer,
        "x": x,
        "target": target,
        "x_check": tf.constant(inputs["x_check"]),
        "device": device,
    }


def run(state):
    layer = state["layer"]
    with tf.device(state["device"]):  # plumbing
        with tf.GradientTape() as tape:
            tape.watch(state["x"])  # gradients with respect to the input too
            y = layer(state["x"])
            loss = tf.reduce_mean((y - state["target"]) ** 2)
        dW, db, dx = tape.gradient(loss, [layer.kernel, layer.bias, state["x"]])
    return {"y": y, "loss": float(loss), "dW": dW, "db": db, "dx": dx}


def metrics(state):
    # The hand-written gradient against central finite differences, in float64, with the
    # tolerances of torch.autograd.gradcheck (TensorFlow has no pass/fail helper).
    analytic, numeric = tf.test.compute_gradient(stable_softplus, [state["x_check"]], delta=1e-6)
    passed = np.allclose(analytic[0], numeric[0], atol=1e-5, rtol=1e-3)
    return {"gradient_check": int(passed)}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    out = run(state)
    print({k: (tuple(v.shape) if hasattr(v, "shape") else v) for k, v in out.items()})
    print(metrics(state))
