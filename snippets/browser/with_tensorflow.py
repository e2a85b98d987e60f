"""A Keras CNN exported to ONNX and run in a web page (headless Chromium, onnxruntime-web)."""

import os
import tempfile
import time

import keras
from chromium_ort import ChromiumOrtSession


def build_cnn(inputs):
    model = keras.Sequential(
        [
            keras.Input(shape=(64, 64, 3)),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(128, 3, padding="same", activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10),
        ]
    )
    # Keras kernels are (kh, kw, in, out) and (in, out): the layout of the shared weights.
    names = [f"conv{i}_{kind}" for i in (1, 2, 3) for kind in ("kernel", "bias")]
    model.set_weights([inputs[k] for k in [*names, "dense_kernel", "dense_bias"]])  # plumbing
    return model


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    model = build_cnn(inputs)
    image = inputs["image"]  # NHWC, the layout the Keras model (and its ONNX graph) takes
    # Keras refuses to export a model that has never been called.
    reference = model(image, training=False).numpy()
    path = os.path.join(workdir, "cnn.onnx")
    start = time.perf_counter()
    # On the TensorFlow backend this converts through tf2onnx; one self-contained file.
    model.export(path, format="onnx", verbose=False)
    export_s = time.perf_counter() - start
    session = ChromiumOrtSession(path, image, workdir)
    return {"session": session, "path": path, "export_s": export_s, "reference": reference}


def run(state):
    # One inference in onnxruntime-web (wasm, one thread) in the page, the logits read back.
    return state["session"].run()


def metrics(state):
    logits = state["session"].run()
    return {
        "onnx_bytes": os.path.getsize(state["path"]),
        "export_s": state["export_s"],
        "max_abs_diff": float(abs(logits - state["reference"]).max()),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state), metrics(state))
