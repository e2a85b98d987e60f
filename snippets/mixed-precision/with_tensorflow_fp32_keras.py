"""One forward and backward pass of the same Keras MLP under the float32 policy: the baseline."""

import keras
import tensorflow as tf
from _cpu_flags import cpu_bf16_flags

NAMES = ["W1", "b1", "W2", "b2", "W3", "b3"]


def build_model(inputs):
    model = keras.Sequential(
        [
            keras.Input(shape=(256,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    # Keras Dense kernels are (in, out), the layout of the shared weights.
    model.set_weights([inputs[k] for k in NAMES])  # plumbing
    return model


def setup(inputs, device="cpu"):
    keras.mixed_precision.set_global_policy("float32")  # the default, said explicitly
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
            logits = model(state["x"], training=True)  # float32 throughout
            loss = state["loss_fn"](state["y"], logits)
        grads = tape.gradient(loss, model.trainable_variables)
    return loss, logits, dict(zip(NAMES, grads, strict=True))


def run(state):
    loss, logits, grads = step(state)
    return {
        "loss": float(loss),
        "logits": logits,
        "grad_norms": {k: float(tf.norm(g)) for k, g in grads.items()},
    }


def metrics(state):
    # The headline's error against float32 is, for this float32 step, zero by definition.
    return {"grad_rel_error": 0.0, **cpu_bf16_flags()}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    out = run(state)
    print(out["loss"], out["grad_norms"], metrics(state))
