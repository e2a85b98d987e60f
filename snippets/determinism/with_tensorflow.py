"""Two seeded training runs of a Keras MLP with dropout with TensorFlow's op determinism on, in
one process: are the trained parameters bitwise identical?"""

import keras
import numpy as np
import tensorflow as tf

SEED = 1234
BATCH_SIZE = 64
NAMES = ["W1", "b1", "W2", "b2", "W3", "b3"]


def setup(inputs, device="cpu"):
    # Use deterministic kernels, and raise on any op that has none.
    tf.config.experimental.enable_op_determinism()
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        X, y = tf.constant(inputs["X"]), tf.constant(inputs["y"])
    return {"inputs": inputs, "device": device, "X": X, "y": y}


def train_once(state, seed=SEED):
    """One training run from scratch: seed, build, train 8 steps. Returns the initial loss
    (dropout off, so no randomness) and the trained parameters."""
    if seed is not None:
        # Seeds Python, NumPy and TensorFlow, and resets Keras's global seed generator; each
        # Dropout layer built afterwards draws its own seed from them.
        keras.utils.set_random_seed(seed)
    X, y = state["X"], state["y"]
    with tf.device(state["device"]):  # plumbing
        model = keras.Sequential(
            [
                keras.Input(shape=(32,)),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dropout(0.5),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dropout(0.5),
                keras.layers.Dense(10),
            ]
        )
        # Keras Dense kernels are (in, out), the layout of the shared weights.
        model.set_weights([state["inputs"][k] for k in NAMES])  # plumbing
        optimizer = keras.optimizers.SGD(learning_rate=0.05)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        initial_loss = float(loss_fn(y, model(X, training=False)))
        for start in range(0, X.shape[0], BATCH_SIZE):
            # Eager steps (no tf.function): each run builds a new model, which would retrace.
            with tf.GradientTape() as tape:
                logits = model(X[start : start + BATCH_SIZE], training=True)  # dropout on
                loss = loss_fn(y[start : start + BATCH_SIZE], logits)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return initial_loss, [v.numpy() for v in model.trainable_variables]


def run(state):
    initial_loss, first = train_once(state)
    _, second = train_once(state)
    identical = all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    state["identical"] = int(identical)
    return {
        "bitwise_identical": int(identical),
        "max_abs_diff": max(float(np.abs(a - b).max()) for a, b in zip(first, second, strict=True)),
        # The same on both sides: the NumPy weights with dropout off.
        "initial_loss": initial_loss,
    }


def metrics(state):
    # Without re-seeding, the seeds drawn for the new Dropout layers differ: other masks,
    # other parameters. This shows the seed is what makes the runs repeat.
    _, seeded = train_once(state)
    _, unseeded = train_once(state, seed=None)
    same = all(np.array_equal(a, b) for a, b in zip(seeded, unseeded, strict=True))
    return {"bitwise_identical": state["identical"], "unseeded_differs": int(not same)}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state), metrics(state))
