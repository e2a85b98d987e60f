"""Ten eager SGD steps of a Keras MLP under the TensorFlow profiler
(tf.profiler.experimental.start/stop), which writes an XSpace trace (.xplane.pb)."""

import glob
import os
import re
import shutil
import tempfile

import keras
import tensorflow as tf
from overhead import overhead_ratio
from tensorflow.tsl.profiler.protobuf import xplane_pb2

STEPS = 10


def setup(inputs, device="cpu", workdir=None):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = keras.Sequential(
            [
                keras.Input(shape=(64,)),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(10),
            ]
        )
        # Keras Dense kernels are (in, out), the layout of the shared weights.
        model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2"]])  # plumbing
        X, y = tf.constant(inputs["X"]), tf.constant(inputs["y"])
    return {
        "model": model,
        "optimizer": keras.optimizers.SGD(learning_rate=0.05),
        "loss_fn": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "X": X,
        "y": y,
        "device": device,
        "logdir": os.path.join(workdir or tempfile.mkdtemp(), "tf_profile"),
    }


def train(state):
    model, optimizer, loss_fn = state["model"], state["optimizer"], state["loss_fn"]
    with tf.device(state["device"]):  # plumbing
        total = tf.zeros(())
        for _ in range(STEPS):  # the same full batch every step, eagerly
            with tf.GradientTape() as tape:
                loss = loss_fn(state["y"], model(state["X"], training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
            total += loss
    return total / STEPS


def profiled(state, train):
    # One trace folder per second (plugins/profile/<timestamp>/): keep only the latest.
    shutil.rmtree(state["logdir"], ignore_errors=True)
    tf.profiler.experimental.start(state["logdir"])
    try:
        loss = train(state)
    finally:
        tf.profiler.experimental.stop()  # writes <host>.xplane.pb
    return {"loss": float(loss), "w_out": state["model"].layers[-1].kernel.numpy()}


def run(state):
    return profiled(state, train)


def _trace(xplane):
    """Every event in the XSpace trace, and the ops among them (op type -> durations): eager
    ops as `EagerLocalExecute: <type>`, graph ops as `<node name>:<type>`. TensorBoard's
    profile plugin is not installed: the trace is read with its protobuf."""
    space = xplane_pb2.XSpace()
    with open(xplane, "rb") as f:
        space.ParseFromString(f.read())
    events, ops = 0, {}
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                events += 1
                name = plane.event_metadata[event.metadata_id].name
                op = re.fullmatch(r"EagerLocalExecute: (\w+)|[\w/.\-]+:(\w+)", name)
                if op and not (op[1] or op[2]).startswith("__"):  # not a function call
                    ops.setdefault(op[1] or op[2], []).append(event.duration_ps)
    return events, ops


def trace_metrics(state, train):
    ratio = overhead_ratio(lambda: profiled(state, train), lambda: float(train(state)))
    (xplane,) = glob.glob(os.path.join(state["logdir"], "plugins/profile/*/*.xplane.pb"))
    events, ops = _trace(xplane)
    top = max(ops, key=lambda op: sum(ops[op]))  # leaf ops: their time is their self time
    return {
        "overhead_ratio": ratio,
        "trace_events": events,
        "ops_recorded": sum(len(times) for times in ops.values()),
        "distinct_ops": len(ops),
        "trace_bytes": os.path.getsize(xplane),
        "top_op_is_matmul": int(bool(re.search(r"matmul", top, re.I))),
    }


def metrics(state):
    return trace_metrics(state, train) | {"retraces": 0}  # eager: nothing is compiled


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["loss"])
    print(metrics(state))
    (xplane,) = glob.glob(os.path.join(state["logdir"], "plugins/profile/*/*.xplane.pb"))
    _, ops = _trace(xplane)
    for op in sorted(ops, key=lambda op: -sum(ops[op]))[:5]:
        print(op, len(ops[op]), f"{sum(ops[op]) / 1e6:.3f} us")
