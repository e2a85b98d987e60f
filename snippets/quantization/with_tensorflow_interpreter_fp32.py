"""The same Keras MLP converted to LiteRT without quantization (float32), run in the LiteRT
interpreter: the baseline of the int8 model."""

import os
import tempfile

import keras
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter


def build_model(inputs):
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    # Keras Dense kernels are (in, out), the layout of the shared weights.
    model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2", "W3", "b3"]])  # plumbing
    return model


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    model = build_model(inputs)
    x = inputs["x"]  # the interpreter takes NumPy arrays
    reference = model(x, training=False).numpy()  # the Keras model's logits, for the metrics
    converter = tf.lite.TFLiteConverter.from_keras_model(model)  # no optimizations: float32
    path = os.path.join(workdir, "mlp_fp32.tflite")
    with open(path, "wb") as f:
        f.write(converter.convert())
    # LiteRT has its own thread pool: give it the threads the harness gave TensorFlow.
    threads = tf.config.threading.get_intra_op_parallelism_threads() or None  # plumbing
    interpreter = Interpreter(model_path=path, num_threads=threads)
    input_index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(input_index, x.shape)
    interpreter.allocate_tensors()
    return {
        "interpreter": interpreter,
        "input": input_index,
        "output": interpreter.get_output_details()[0]["index"],
        "x": x,
        "reference": reference,
        "bytes": os.path.getsize(path),
    }


def run(state):
    interpreter = state["interpreter"]
    interpreter.set_tensor(state["input"], state["x"])
    interpreter.invoke()
    return {"logits": interpreter.get_tensor(state["output"])}


def metrics(state):
    logits, reference = run(state)["logits"], state["reference"]
    agree = logits.argmax(axis=1) == reference.argmax(axis=1)
    return {
        "model_bytes": state["bytes"],
        "max_abs_diff_vs_fp32": float(abs(logits - reference).max()),
        "argmax_agreement": float(agree.mean()),
        "retraces": 0,  # the interpreter runs the converted graph: nothing is traced
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["logits"][:2], metrics(state))
