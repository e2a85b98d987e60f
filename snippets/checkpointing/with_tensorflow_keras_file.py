"""Save and resume training: one .keras file (architecture, weights and optimizer state)."""

import os
import statistics
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

BATCH_SIZE, K_STEPS, M_STEPS = 64, 16, 16  # save after k steps, then continue m more
LR, MOMENTUM = 0.05, 0.9
LAYERS = ["W1", "b1", "W2", "b2", "W3", "b3"]


def build(inputs):
    """A model compiled with its optimizer: a .keras file saves the optimizer of compile()."""
    model = keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    # Keras Dense kernels are (in, out), the layout of the shared weights.
    model.set_weights([inputs[k] for k in LAYERS])  # plumbing
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=LR, momentum=MOMENTUM, nesterov=False),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=False,
    )
    return model


def make_train_step(model):
    """The custom-loop step, for a model built here or loaded from the file."""
    optimizer, loss_fn = model.optimizer, model.loss

    @tf.function(jit_compile=False)
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))

    return train_step


def train(train_step, X, y, steps, first_step):
    for step in range(first_step, first_step + steps):
        start = (step * BATCH_SIZE) % X.shape[0]  # batches in a fixed order
        train_step(X[start : start + BATCH_SIZE], y[start : start + BATCH_SIZE])


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()
    with tf.device("/CPU:0"):  # plumbing: checkpoints are compared on the CPU
        X, y = tf.constant(inputs["X"]), tf.constant(inputs["y"])
        model = build(inputs)
        train(make_train_step(model), X, y, K_STEPS, first_step=0)  # gets interrupted
        reference = build(inputs)
        train(make_train_step(reference), X, y, K_STEPS + M_STEPS, first_step=0)  # never is
    return {
        "model": model,
        "reference": reference,
        "X": X,
        "y": y,
        "path": os.path.join(workdir, "checkpoint.keras"),
        "save_s": [],
        "restore_s": [],
    }


def run(state):
    with tf.device("/CPU:0"):  # plumbing
        start = time.perf_counter()  # plumbing
        state["model"].save(state["path"])  # a zip: config.json, model.weights.h5, metadata
        state["save_s"].append(time.perf_counter() - start)  # plumbing
        start = time.perf_counter()  # plumbing
        # Builds a fresh model and optimizer from the file's config, then loads both states.
        state["resumed"] = keras.models.load_model(state["path"])
        state["restore_s"].append(time.perf_counter() - start)  # plumbing
    return _training_state(state["resumed"])


def _training_state(model):
    """The parameters and momenta, in Keras's (in, out) layout."""
    optimizer, out = model.optimizer, {}
    for name, var in zip(LAYERS, model.trainable_variables, strict=True):  # plumbing
        i = optimizer._get_variable_index(var)  # plumbing
        out[name] = var.numpy()  # plumbing
        out[f"{name}_velocity"] = optimizer.momentums[i].numpy()  # plumbing
    return out


def metrics(state):
    # Continue the restored model m steps and compare with the run that was never interrupted.
    with tf.device("/CPU:0"):  # plumbing
        resumed = state["resumed"]
        train(make_train_step(resumed), state["X"], state["y"], M_STEPS, first_step=K_STEPS)
    bitwise = all(
        np.array_equal(a.numpy(), b.numpy())
        for a, b in zip(resumed.weights, state["reference"].weights, strict=True)
    )
    return {
        "resume_bitwise": int(bitwise),
        "checkpoint_bytes": os.path.getsize(state["path"]),
        "save_s": statistics.median(state["save_s"]),
        "restore_s": statistics.median(state["restore_s"]),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    s = setup(make_inputs())
    out = run(s)
    print({k: getattr(v, "shape", v) for k, v in out.items()}, metrics(s))
