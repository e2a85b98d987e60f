"""Save and resume training: a tf.train.Checkpoint of the Keras model and its optimizer."""

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
    """A model and its optimizer, as the training script builds them before any resume."""
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
    # SGD with momentum: its state (a momentum per variable) must be checkpointed too.
    optimizer = keras.optimizers.SGD(learning_rate=LR, momentum=MOMENTUM, nesterov=False)
    # Keras creates the optimizer's slots on the first step; create them now for a restore.
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function(jit_compile=False)  # the step as one graph, as the custom-loop guide writes it
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))

    return model, optimizer, train_step


def train(train_step, X, y, steps, first_step):
    for step in range(first_step, first_step + steps):
        start = (step * BATCH_SIZE) % X.shape[0]  # batches in a fixed order
        train_step(X[start : start + BATCH_SIZE], y[start : start + BATCH_SIZE])


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()
    with tf.device("/CPU:0"):  # plumbing: checkpoints are compared on the CPU
        X, y = tf.constant(inputs["X"]), tf.constant(inputs["y"])
        model, optimizer, train_step = build(inputs)
        train(train_step, X, y, K_STEPS, first_step=0)  # the run that gets interrupted
        reference, _, reference_step = build(inputs)
        train(reference_step, X, y, K_STEPS + M_STEPS, first_step=0)  # never interrupted
        resumed, resumed_opt, resumed_step = build(inputs)  # fresh: what a restarted script builds
    return {
        "checkpoint": tf.train.Checkpoint(model=model, optimizer=optimizer),
        "restored": tf.train.Checkpoint(model=resumed, optimizer=resumed_opt),
        "resumed": resumed,
        "resumed_opt": resumed_opt,
        "resumed_step": resumed_step,
        "reference": reference,
        "X": X,
        "y": y,
        "prefix": os.path.join(workdir, "checkpoint"),
        "save_s": [],
        "restore_s": [],
    }


def run(state):
    with tf.device("/CPU:0"):  # plumbing
        start = time.perf_counter()  # plumbing
        # write(): one checkpoint at this prefix, overwritten each time (save() numbers them).
        path = state["checkpoint"].write(state["prefix"])
        state["save_s"].append(time.perf_counter() - start)  # plumbing
        start = time.perf_counter()  # plumbing
        # read() restores every variable now; assert_consumed() fails if one was left out.
        state["restored"].read(path).assert_consumed()
        state["restore_s"].append(time.perf_counter() - start)  # plumbing
    return _training_state(state["resumed"], state["resumed_opt"])


def _training_state(model, optimizer):
    """The parameters and momenta, in Keras's (in, out) layout."""
    out = {}
    for name, var in zip(LAYERS, model.trainable_variables, strict=True):  # plumbing
        i = optimizer._get_variable_index(var)  # plumbing
        out[name] = var.numpy()  # plumbing
        out[f"{name}_velocity"] = optimizer.momentums[i].numpy()  # plumbing
    return out


def metrics(state):
    # Continue the restored model m steps and compare with the run that was never interrupted.
    with tf.device("/CPU:0"):  # plumbing
        train(state["resumed_step"], state["X"], state["y"], M_STEPS, first_step=K_STEPS)
    bitwise = all(
        np.array_equal(a.numpy(), b.numpy())
        for a, b in zip(state["resumed"].weights, state["reference"].weights, strict=True)
    )
    folder, name = os.path.split(state["prefix"])
    files = [os.path.join(folder, f) for f in os.listdir(folder) if f.startswith(name + ".")]
    return {
        "resume_bitwise": int(bitwise),
        "checkpoint_bytes": sum(os.path.getsize(f) for f in files),  # .index + .data-*
        "save_s": statistics.median(state["save_s"]),
        "restore_s": statistics.median(state["restore_s"]),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    s = setup(make_inputs())
    out = run(s)
    print({k: getattr(v, "shape", v) for k, v in out.items()}, metrics(s))
