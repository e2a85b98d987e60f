"""Export a small Keras CNN to ONNX with Keras's model.export and run it in onnxruntime."""

import os
import tempfile
import time

import keras
import numpy as np
import onnxruntime as ort
import tensorflow as tf

OPSET = 18  # the same opset on both sides (tf2onnx 1.17 goes up to 18)

# The shared arrays in the order of model.weights (kernels already in Keras layout).
WEIGHTS = [  # plumbing
    *("conv1_kernel", "bn1_gamma", "bn1_beta", "bn1_mean", "bn1_var"),
    *("conv2_kernel", "bn2_gamma", "bn2_beta", "bn2_mean", "bn2_var"),
    *("dense_kernel", "dense_bias"),
]


def build_model(num_classes=10):
    return keras.Sequential(
        [
            keras.Input(shape=(32, 32, 3)),  # NHWC, Keras's default layout
            keras.layers.Conv2D(16, 3, padding="same", use_bias=False),
            keras.layers.BatchNormalization(momentum=0.99, epsilon=1e-3),
            keras.layers.ReLU(),
            keras.layers.Conv2D(32, 3, padding="same", use_bias=False),
            keras.layers.BatchNormalization(momentum=0.99, epsilon=1e-3),
            keras.layers.ReLU(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_classes),
        ]
    )


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    with tf.device("/CPU:0"):  # plumbing
        model = build_model()
        model.set_weights([inputs[name] for name in WEIGHTS])  # plumbing
    path = os.path.join(workdir, "cnn.onnx")

    # The framework's own output, to check the export. Keras refuses to export a model that
    # has never been called ("The model provided has never called."), so this comes first.
    reference = model(inputs["x"], training=False).numpy()

    start = time.perf_counter()
    # On the TensorFlow backend, Keras traces the model in inference mode and converts the
    # graph with tf2onnx (which must be installed); the batch dimension stays dynamic.
    model.export(path, format="onnx", opset_version=OPSET, verbose=False)
    convert_s = time.perf_counter() - start

    options = ort.SessionOptions()
    # onnxruntime's thread pool ignores TensorFlow's setting: give it the same thread count
    # (0, when run on its own, is onnxruntime's default).
    threads = tf.config.threading.get_intra_op_parallelism_threads()  # plumbing
    options.intra_op_num_threads = threads  # plumbing
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    # Keras names the graph's input and output itself: read them from the session.
    input_name = session.get_inputs()[0].name
    output_name = session.get_outputs()[0].name
    return {
        "session": session,
        "input_name": input_name,
        "output_name": output_name,
        "x": inputs["x"],  # NHWC, as the exported graph takes it
        "reference": reference,
        "convert_s": convert_s,
        "artifact_bytes": os.path.getsize(path),
    }


def run(state):
    (logits,) = state["session"].run([state["output_name"]], {state["input_name"]: state["x"]})
    return {"logits": logits}


def metrics(state):
    logits = run(state)["logits"]
    return {
        "convert_s": state["convert_s"],
        "artifact_bytes": state["artifact_bytes"],
        "max_abs_diff": float(np.max(np.abs(logits - state["reference"]))),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["logits"][:2], metrics(state))
