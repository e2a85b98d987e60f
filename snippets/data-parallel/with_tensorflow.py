"""Synchronous data parallel with TensorFlow: MultiWorkerMirroredStrategy and a custom training
loop, 2 CPU worker processes."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

WORKERS = 2
GLOBAL_BATCH = 64  # split evenly: each worker takes GLOBAL_BATCH // world examples a step
LR = 0.1


def train(inputs, out_path):
    """One worker: the same script runs on every worker, TF_CONFIG says which one it is."""
    # One core per worker: the harness's thread setting stops at its own process.
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    # Reads TF_CONFIG, starts this worker's gRPC server and waits for the others.
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING
        )
    )
    rank, world = strategy.cluster_resolver.task_id, strategy.num_replicas_in_sync
    with strategy.scope():  # variables created here are mirrored on every worker
        model = keras.Sequential(
            [
                keras.Input(shape=(16,)),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(1),
            ]
        )
        # Keras Dense kernels are (in, out), the layout of the shared weights.
        model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2"]])  # plumbing
        optimizer = keras.optimizers.SGD(learning_rate=LR)

    def step_fn(xb, yb):
        with tf.GradientTape() as tape:
            per_example = keras.losses.mean_squared_error(yb, model(xb, training=True))
            # Divide by the global batch, not the local one: the gradients are summed.
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=GLOBAL_BATCH)
        grads = tape.gradient(loss, model.trainable_variables)
        # Under the strategy, apply_gradients first all-reduces (sums) the gradients.
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    @tf.function
    def train_step(xb, yb):
        per_replica_loss = strategy.run(step_fn, args=(xb, yb))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica_loss, axis=None)

    # This worker's shard: every world-th example, as tf.data's shard(world, rank) picks.
    X = tf.constant(inputs["X"][rank::world])
    y = tf.constant(inputs["y"][rank::world])
    local = GLOBAL_BATCH // world
    steps = X.shape[0] // local
    for step in range(steps):
        if step == 1:  # the first step (tracing the tf.function) is left out of the step time
            start = time.perf_counter()
        xb, yb = X[step * local : (step + 1) * local], y[step * local : (step + 1) * local]
        loss = train_step(xb, yb)
    loss = loss.numpy()  # waits for the last step
    step_s = (time.perf_counter() - start) / (steps - 1)
    np.savez(
        out_path,
        **dict(zip(["W1", "b1", "W2", "b2"], model.get_weights(), strict=True)),
        loss=loss,
        step_s=step_s,
    )


def launch(state, world):
    """Start `world` workers on localhost, wait for all of them, return their results."""
    ports = []
    for _ in range(world):  # a free port for each worker's gRPC server
        with socket.socket() as s:
            s.bind(("localhost", 0))
            ports.append(s.getsockname()[1])
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    outs = [os.path.join(state["workdir"], f"worker{rank}.npz") for rank in range(world)]
    workers = []
    try:
        for rank in range(world):
            tf_config = {"cluster": cluster, "task": {"type": "worker", "index": rank}}
            env = dict(os.environ, TF_CONFIG=json.dumps(tf_config))
            cmd = [sys.executable, __file__, "--worker", state["inputs_path"], outs[rank]]
            workers.append(subprocess.Popen(cmd, env=env))
        codes = [w.wait(timeout=150) for w in workers]
    finally:
        for w in workers:  # never leave a worker behind, even when one failed
            if w.poll() is None:
                w.kill()
                w.wait()
    if any(codes):
        raise RuntimeError(f"a worker failed: exit codes {codes}")
    return [dict(np.load(out)) for out in outs]


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()
    inputs_path = os.path.join(workdir, "inputs.npz")
    np.savez(inputs_path, **inputs)  # plumbing: every worker loads the same NumPy inputs
    return {"workdir": workdir, "inputs_path": inputs_path}


def run(state):
    results = launch(state, WORKERS)
    state["step_s"] = max(float(r["step_s"]) for r in results)  # plumbing
    names = ["W1", "b1", "W2", "b2"]
    return {
        **{name: results[0][name] for name in names},
        "loss": results[0]["loss"],
        # Data parallel keeps one model: every worker must end with the same parameters.
        "worker_max_abs_diff": max(
            float(np.abs(r[name] - results[0][name]).max()) for r in results for name in names
        ),
    }


def metrics(state):
    # The same job on one worker (the whole global batch each step), for the scaling.
    one = launch(state, 1)[0]
    return {
        "step_s_2w": state["step_s"],
        "step_s_1w": float(one["step_s"]),
        "speedup_2w": float(one["step_s"]) / state["step_s"],
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        train(dict(np.load(sys.argv[2])), sys.argv[3])
    else:
        from inputs import make_inputs

        state = setup(make_inputs())
        result = run(state)
        print({k: np.round(v, 6) if np.ndim(v) == 0 else np.shape(v) for k, v in result.items()})
        print(metrics(state))
