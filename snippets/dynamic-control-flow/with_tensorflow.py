"""A data-dependent while loop (a fixed-point solve) under tf.function, which AutoGraph converts."""

import tensorflow as tf

TOL = 1e-3  # stop once the update's norm falls below this...
MAX_ITER = 100  # ...or after this many steps


def solve(x, U, W, b):
    # Fixed point of z = tanh(z @ W + x @ U + b), the forward pass of an implicit layer.
    inj = x @ U + b
    z = tf.zeros_like(inj)
    residual = tf.constant(float("inf"))
    i = 0
    # The loop condition reads a tensor: how many steps run depends on the data.
    while residual > TOL and i < MAX_ITER:
        z_next = tf.tanh(z @ W + inj)
        residual = tf.norm(z_next - z)
        z = z_next
        i += 1
    return z, i


def setup(inputs, device="cpu"):
    # Full float32 matmuls on GPUs too, as in PyTorch (TensorFlow allows TF32 by default).
    tf.config.experimental.enable_tensor_float_32_execution(False)  # plumbing
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        state = {k: tf.constant(inputs[k]) for k in ["x", "U", "W", "b"]}
    # Lazy: on the first call AutoGraph rewrites the Python `while` on a tensor condition
    # into a tf.while_loop, and the whole function is traced into one graph.
    state["compiled"] = tf.function(solve)
    state["device"] = device  # plumbing
    return state


def run(state):
    with tf.device(state["device"]):  # plumbing
        z, iterations = state["compiled"](state["x"], state["U"], state["W"], state["b"])
    return {"z": z, "iterations": iterations}


def eager(state):
    # The same loop without tf.function: plain Python, one op at a time.
    with tf.device(state["device"]):  # plumbing
        z, iterations = solve(state["x"], state["U"], state["W"], state["b"])
    return {"z": z, "iterations": iterations}


def metrics(state):
    args = state["x"], state["U"], state["W"], state["b"]
    ops = state["compiled"].get_concrete_function(*args).graph.get_operations()
    return {
        "iterations": int(run(state)["iterations"]),
        # tf.function has no graph breaks: it traces the whole function or raises an error.
        "graph_breaks": 0,
        # No While op in the traced graph: the loop ran in Python (unrolled while tracing).
        "loop_in_python": int(not any(op.type in ("While", "StatelessWhile") for op in ops)),
        # Traces beyond the first one (retracing).
        "recompiles": state["compiled"].experimental_get_tracing_count() - 1,
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state))
    print(metrics(state))
