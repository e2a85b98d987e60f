"""One epoch of minibatch SGD on an MLP with one Keras Model.fit call on NumPy arrays."""

import keras
import tensorflow as tf

BATCH_SIZE = 64


def setup(inputs, device="cpu"):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = keras.Sequential(
            [
                keras.Input(shape=(32,)),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(1),
            ]
        )
        # Keras Dense kernels are (in, out), the layout of the shared weights.
        model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2"]])  # plumbing
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=0.05),
            loss="mse",
            jit_compile=False,  # fit still runs its train step inside a tf.function graph
        )
    return {"model": model, "X": inputs["X"], "y": inputs["y"], "device": device}


def run(state):
    model = state["model"]
    with tf.device(state["device"]):  # plumbing
        history = model.fit(
            state["X"],
            state["y"],
            batch_size=BATCH_SIZE,
            epochs=1,
            shuffle=False,
            verbose=0,
        )
    return {
        # Keras reports the epoch loss as the running mean of the batch losses.
        "loss": history.history["loss"][-1],
        "w_out": model.layers[-1].kernel.numpy(),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
