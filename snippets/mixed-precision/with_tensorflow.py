"""One forward and backward pass of a Keras MLP under the mixed_bfloat16 policy on CPU."""

import keras
import numpy as np
import tensorflow as tf
from _cpu_flags import cpu_bf16_flags

NAMES = ["W1", "b1", "W2", "b2", "W3", "b3"]


def build_model(inputs):
    model = keras.Sequential(
        [
            keras.Input(shape=(256,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10),  # bf16 too, like the last nn.Linear under autocast
        ]
    )
    # Keras Dense kernels are (in, out), the layout of the shared weights.
    model.set_weights([inputs[k] for k in NAMES])  # plumbing
    return model


def setup(inputs, device="cpu"):
    # Layers built from now on compute in bfloat16 and keep float32 variables.
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = build_model(inputs)
        x, y = tf.constant(inputs["x"]), tf.constant(inputs["y"])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return {"model": model, "loss_fn": loss_fn, "x": x, "y": y, "device": device, "inputs": inputs}


def step(state):
    model = state["model"]
    with tf.device(state["device"]):  # plumbing
        with tf.GradientTape() as tape:
            logits = model(state["x"], training=True)  # bfloat16
            # The loss in float32, as on the PyTorch side.
            loss = state["loss_fn"](state["y"], tf.cast(logits, tf.float32))
        # The variables are float32, so are their gradients.
        grads = tape.gradient(loss, model.trainable_variables)
    return loss, logits, dict(zip(NAMES, grads, strict=True))


def run(state):
    loss, logits, grads = step(state)
    return {
        "loss": float(loss),
        "logits": tf.cast(logits, tf.float32),
        # Gradients as one norm per parameter: the two sides' bf16 paths round at different
        # points, so elementwise they differ as much as bf16 differs from float32.
        "grad_norms": {k: float(tf.norm(g)) for k, g in grads.items()},
    }


def metrics(state):
    bf16 = step(state)[2]
    # The same step in float32: a second model built under the float32 policy, same weights.
    keras.mixed_precision.set_global_policy("float32")
    with tf.device(state["device"]):  # plumbing
        fp32_model = build_model(state["inputs"])
        with tf.GradientTape() as tape:
            logits = fp32_model(state["x"], training=True)
            loss = state["loss_fn"](state["y"], logits)
        grads = tape.gradient(loss, fp32_model.trainable_variables)
    fp32 = dict(zip(NAMES, grads, strict=True))
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    err = sum(np.sum((np.asarray(bf16[k]) - np.asarray(fp32[k])) ** 2) for k in NAMES)
    ref = sum(np.sum(np.asarray(fp32[k]) ** 2) for k in NAMES)
    return {"grad_rel_error": float(np.sqrt(err / ref)), **cpu_bf16_flags()}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    out = run(state)
    print(out["loss"], out["grad_norms"], metrics(state))
