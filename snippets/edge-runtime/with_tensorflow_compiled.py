"""Convert a small Keras CNN to LiteRT (.tflite) and run it with the CompiledModel API."""

import os
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf
from ai_edge_litert.compiled_model import CompiledModel
from ai_edge_litert.hardware_accelerator import HardwareAccelerator
from ai_edge_litert.options import CpuOptions, Options

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
    path = os.path.join(workdir, "cnn.tflite")

    start = time.perf_counter()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)  # float32, no optimizations
    with open(path, "wb") as f:
        f.write(converter.convert())
    convert_s = time.perf_counter() - start

    # LiteRT's CPU options ignore TensorFlow's setting: give them the same thread count
    # (0, when run on its own, lets LiteRT decide).
    threads = tf.config.threading.get_intra_op_parallelism_threads()  # plumbing
    options = Options(HardwareAccelerator.CPU, cpu_options=CpuOptions(num_threads=threads))
    compiled = CompiledModel.from_file(path, options=options)  # XNNPACK on the CPU
    # Buffers made once for the model's first signature, reused by every call.
    input_buffers = compiled.create_input_buffers(0)
    output_buffers = compiled.create_output_buffers(0)
    # training=False: BatchNormalization uses its moving statistics (the converter's too).
    reference = model(inputs["x"], training=False).numpy()  # the framework's own output
    return {
        "compiled": compiled,
        "inputs": input_buffers,
        "outputs": output_buffers,
        "x": inputs["x"],  # NHWC, as the converted model takes it
        "reference": reference,
        "convert_s": convert_s,
        "artifact_bytes": os.path.getsize(path),
        "delegated": int(compiled.is_fully_accelerated()),
    }


def run(state):
    state["inputs"][0].write(state["x"])
    state["compiled"].run_by_index(0, state["inputs"], state["outputs"])
    # read copies the 10 logits out of the output buffer.
    return {"logits": state["outputs"][0].read(10, np.float32).reshape(1, 10)}


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
