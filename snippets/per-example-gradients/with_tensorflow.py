"""Per-example gradients of a 2-layer Keras MLP with tf.vectorized_map inside a tf.function."""

import keras
import tensorflow as tf


def setup(inputs, device="cpu"):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = keras.Sequential(
            [
                keras.Input(shape=(64,)),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(10),
            ]
        )
        # Keras Dense kernels are (in, out), the layout of the shared weights.
        model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2"]])  # plumbing
        x, y = tf.constant(inputs["x"]), tf.constant(inputs["y"])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")

    def example_grads(example):
        x, y = example
        with tf.GradientTape() as tape:
            # One example: add the batch dimension the model expects, then sum its loss.
            loss = loss_fn(y[None], model(x[None]))
        return tape.gradient(loss, model.trainable_variables)

    def per_example_grads(x, y):
        # vectorized_map rewrites the per-example graph into batched ops (pfor).
        return tf.vectorized_map(example_grads, (x, y))

    return {
        "x": x,
        "y": y,
        "eager": per_example_grads,
        # tf.function is lazy: tracing (and the pfor rewrite) happen on the first call.
        "compiled": tf.function(per_example_grads, jit_compile=False),
        "device": device,
    }


def run(state):
    with tf.device(state["device"]):  # plumbing
        grads = state["compiled"](state["x"], state["y"])
    return dict(zip(["W1", "b1", "W2", "b2"], grads, strict=True))


def eager(state):
    # The same call outside tf.function. vectorized_map cannot run op by op: called eagerly,
    # it wraps its work in a new tf.function and traces it again on every call.
    with tf.device(state["device"]):  # plumbing
        grads = state["eager"](state["x"], state["y"])
    return dict(zip(["W1", "b1", "W2", "b2"], grads, strict=True))


def metrics(state):
    # Traces beyond the first one (retracing).
    return {"retraces": state["compiled"].experimental_get_tracing_count() - 1}


if __name__ == "__main__":
    from inputs import make_inputs

    print({k: tuple(v.shape) for k, v in run(setup(make_inputs())).items()})
