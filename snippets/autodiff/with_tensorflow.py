"""Gradient and Hessian-vector product of a logistic loss with nested tf.GradientTape."""

import tensorflow as tf


def loss_fn(w, X, y):
    z = tf.linalg.matvec(X, w)
    return tf.reduce_mean(tf.nn.softplus(z) - y * z)


def setup(inputs, device="cpu"):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        state = {name: tf.constant(a) for name, a in inputs.items()}
    state["device"] = device  # plumbing
    return state


def run(state):
    X, y, w, v = state["X"], state["y"], state["w"], state["v"]
    with tf.device(state["device"]):  # plumbing
        with tf.GradientTape() as outer:
            outer.watch(w)
            with tf.GradientTape() as inner:
                inner.watch(w)
                loss = loss_fn(w, X, y)
            grad = inner.gradient(loss, w)
        # Hessian-vector product: the gradient of <grad, v> with respect to w.
        hvp = outer.gradient(grad, w, output_gradients=v)
    return {"grad": grad, "hvp": hvp}


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
