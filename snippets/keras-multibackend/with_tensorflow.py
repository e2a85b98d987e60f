"""One SGD step of a Keras 3 MLP on the TensorFlow backend, run eagerly."""

import os
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"  # read once, when keras is first imported

import keras


def setup(inputs, device="cpu"):
    # "cpu", not "cpu:0": on the torch backend, variables made under keras.device("cpu:0")
    # are copies that get no gradients.
    device = "gpu" if device == "cuda" else "cpu"  # plumbing
    with keras.device(device):  # plumbing
        model = keras.Sequential(
            [
                keras.Input(shape=(64,)),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(10),
            ]
        )
        # Keras Dense kernels are (in, out), the layout of the shared weights.
        model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2"]])  # plumbing
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=0.1),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            run_eagerly=True,  # op by op on both backends (the torch backend always is)
            jit_compile=False,  # never "auto": it means different things on each backend
        )
    return {"model": model, "x": inputs["x"], "y": inputs["y"], "device": device}


def run(state):
    model = state["model"]
    with keras.device(state["device"]):  # plumbing
        # One SGD step on the batch: forward, loss, backward, update, on NumPy inputs.
        loss = model.train_on_batch(state["x"], state["y"])
    return {"loss": float(loss), "W2": model.get_weights()[2]}


def metrics(state):
    # Did Keras import the other framework? (the harness would also fail the snippet)
    return {"imports_other": int("torch" in sys.modules)}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["loss"], metrics(state))
