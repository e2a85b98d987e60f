"""Convert a small Keras CNN to a LiteRT .tflite model and run it in the LiteRT interpreter."""

import os
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

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


def fully_delegated(interpreter):
    # No public API lists the execution plan: the op list keeps the model's own ops and adds a
    # DELEGATE node for each partition XNNPACK took over. The graph is fully delegated when the
    # DELEGATE nodes read only the model's inputs and weights (no tensor a LiteRT kernel
    # computes) and write the model's outputs.
    ops = interpreter._get_ops_details()
    delegates = [op for op in ops if op["op_name"] == "DELEGATE"]
    computed = {int(t) for op in ops if op["op_name"] != "DELEGATE" for t in op["outputs"]}
    reads = {int(t) for op in delegates for t in op["inputs"]}
    writes = {int(t) for op in delegates for t in op["outputs"]}
    outputs = {d["index"] for d in interpreter.get_output_details()}
    return bool(delegates) and not reads & computed and outputs <= writes


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    with tf.device("/CPU:0"):  # plumbing
        model = build_model()
        model.set_weights([inputs[name] for name in WEIGHTS])  # plumbing
    path = os.path.join(workdir, "cnn.tflite")

    start = time.perf_counter()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)  # float32, no optimizations
    with open(path, "wb") as f:
        f.write(converter.convert())
    convert_s = time.perf_counter() - start

    # LiteRT's XNNPACK delegate ignores TensorFlow's setting: give it the same thread count.
    threads = tf.config.threading.get_intra_op_parallelism_threads() or None  # plumbing
    interpreter = Interpreter(model_path=path, num_threads=threads)  # XNNPACK by default
    interpreter.allocate_tensors()
    # training=False: BatchNormalization uses its moving statistics (the converter's too).
    reference = model(inputs["x"], training=False).numpy()  # the framework's own output
    return {
        "interpreter": interpreter,
        "input": interpreter.get_input_details()[0]["index"],
        "output": interpreter.get_output_details()[0]["index"],
        "x": inputs["x"],  # NHWC, as the converted model takes it
        "reference": reference,
        "convert_s": convert_s,
        "artifact_bytes": os.path.getsize(path),
        "delegated": int(fully_delegated(interpreter)),
    }


def run(state):
    interpreter = state["interpreter"]
    interpreter.set_tensor(state["input"], state["x"])
    interpreter.invoke()
    # get_tensor copies the output out of the interpreter's buffers.
    return {"logits": interpreter.get_tensor(state["output"])}


def metrics(state):
    logits = run(state)["logits"]
    return {
        "convert_s": state["convert_s"],
        "artifact_bytes": state["artifact_bytes"],
        "fully_delegated": state["delegated"],
        "max_abs_diff": float(np.max(np.abs(logits - state["reference"]))),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["logits"], metrics(state))
