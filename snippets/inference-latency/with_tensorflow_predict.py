"""Batch-1 inference of a Keras MLP classifier with Model.predict, the call most Keras
examples use."""

import keras
import tensorflow as tf
from latency import p95_latency, throughput


def setup(inputs, device="cpu"):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = keras.Sequential(
            [
                keras.Input(shape=(784,)),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(10),
            ]
        )
        # Keras Dense kernels are (in, out), the layout of the shared weights.
        model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2", "W3", "b3"]])  # plumbing
        # Without compile(), predict resolves jit_compile="auto": XLA on a GPU, not on a CPU.
        model.compile(jit_compile=False)
        batch = tf.constant(inputs["x"])  # plumbing
    return {"model": model, "x": batch[:1], "batch": batch, "device": device}


def predict(state, x):
    with tf.device(state["device"]):  # plumbing
        # predict wraps the inputs in a data iterator on every call and runs its predict
        # step, a tf.function traced on the first call, over the batches; it returns NumPy.
        return state["model"].predict(x, batch_size=x.shape[0], verbose=0)


def run(state):
    return {"logits": predict(state, state["x"])}


def _sync(state):  # plumbing
    if "GPU" in state["device"]:  # plumbing
        return tf.test.experimental.sync_devices  # plumbing
    return lambda: None  # plumbing


def metrics(state):
    sync = _sync(state)
    # Traces of predict's step beyond the first (batch-1) one, before batch 64 traces its own.
    retraces = state["model"].predict_function.experimental_get_tracing_count() - 1
    return {
        "retraces": retraces,
        "p95_latency": p95_latency(lambda: predict(state, state["x"]), sync),
        "throughput_b64": throughput(lambda: predict(state, state["batch"]), sync, 64),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state), metrics(state))
