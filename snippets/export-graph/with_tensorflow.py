"""Export a Keras MLP as a TF SavedModel, load it back and call its serving signature."""

import os
import tempfile
import time

import keras
import tensorflow as tf


def _dir_bytes(path):
    # A SavedModel is a directory: saved_model.pb, fingerprint.pb and variables/.
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def setup(inputs, device="cpu", workdir=None):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = keras.Sequential(
            [
                keras.Input(shape=(128,), name="x"),  # batch dimension None: dynamic
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(10),
            ]
        )
        # Keras Dense kernels are (in, out), the layout of the shared weights.
        model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2", "W3", "b3"]])  # plumbing
        x = tf.constant(inputs["x"])
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    path = os.path.join(workdir, "mlp_savedmodel")
    return {"model": model, "x": x, "path": path, "device": device, "times": []}


def run(state):
    model, x, path = state["model"], state["x"], state["path"]
    with tf.device(state["device"]):  # plumbing
        start = time.perf_counter()  # plumbing
        model.export(path, format="tf_saved_model", verbose=False)
        saved = time.perf_counter()  # plumbing
        # What a serving process does: load the SavedModel (no model code needed) and call
        # the signature TF Serving would call.
        reloaded = tf.saved_model.load(path)
        out = reloaded.signatures["serving_default"](x=x)["output_0"]
        state["times"].append((saved - start, time.perf_counter() - saved))  # plumbing
    state["last"] = out  # plumbing
    return out


def metrics(state):
    export_s, load_s = state["times"][0]  # the first call, in a fresh process
    with tf.device(state["device"]):  # plumbing
        exact = bool(tf.reduce_all(state["last"] == state["model"](state["x"])))  # plumbing
    return {
        "artifact_bytes": _dir_bytes(state["path"]),
        "export_s": export_s,
        "load_s": load_s,
        "reload_exact": int(exact),
        "deprecated": 0,
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)[:2])
    print(metrics(state))
