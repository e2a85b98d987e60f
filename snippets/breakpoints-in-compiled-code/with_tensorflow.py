"""A print and a breakpoint() left in a function: what they do eagerly and inside a
tf.function (Python runs only while tracing, so both fire once), and tf.print beside them."""

import os
import tempfile

import tensorflow as tf
from hooks import N_CALLS, counting


def step(x, w1, w2):
    h = tf.tanh(x @ w1)
    print("debug: mean of h =", tf.reduce_mean(h))  # a debugging print left in
    breakpoint()  # and a breakpoint (the snippet counts it instead of stopping)
    return h @ w2


def setup(inputs, device="cpu", workdir=None):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        args = [tf.constant(inputs[k]) for k in ["x", "W1", "W2"]]
    log = os.path.join(workdir or tempfile.mkdtemp(), "tf_print.log")

    def logged_step(x, w1, w2):
        h = tf.tanh(x @ w1)
        # tf.print is an op in the graph: it prints on every call (here into a file).
        tf.print("debug: mean of h =", tf.reduce_mean(h), output_stream=f"file://{log}")
        return h @ w2

    return {
        "args": args,
        "device": device,
        "log": log,
        "logged_step": logged_step,
        # tf.function is lazy: the print and breakpoint() run while it traces, on the first call.
        "compiled": tf.function(step, jit_compile=False),
    }


def run(state):
    with tf.device(state["device"]), counting():  # plumbing
        return state["compiled"](*state["args"])


def eager(state):
    with tf.device(state["device"]), counting():  # plumbing
        return step(*state["args"])


def _calls(fn, args):
    with counting() as seen:
        for _ in range(N_CALLS):
            fn(*args)
    return seen


def _lines(path):
    with open(path) as f:
        return len(f.read().splitlines())


def metrics(state):
    args = state["args"]
    with tf.device(state["device"]):  # plumbing
        # A fresh tf.function, so the counts do not depend on what run() traced before.
        eager_seen = _calls(step, args)
        compiled_seen = _calls(tf.function(step, jit_compile=False), args)
        open(state["log"], "w").close()  # plumbing
        _calls(tf.function(state["logged_step"], jit_compile=False), args)
    return {
        "print_eager": len(eager_seen.printed),
        "print_compiled": len(compiled_seen.printed),
        "breakpoint_eager": eager_seen.breakpoints,
        "breakpoint_compiled": compiled_seen.breakpoints,
        "compiled_print_shows_value": int(compiled_seen.printed[:1] == eager_seen.printed[:1]),
        "graph_breaks": 0,  # a tf.function is one graph: it has no graph breaks
        "graph_print_compiled": _lines(state["log"]),
        "retraces": state["compiled"].experimental_get_tracing_count() - 1,
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)[:2])
    print(metrics(state))
