"""An all-reduce (sum) of a 1 MiB float32 buffer between 2 CPU processes with TensorFlow's
collective ops (MultiWorkerMirroredStrategy, RING): this process is worker 0, a peer process
started in setup worker 1."""

import atexit
import json
import os
import socket
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf

# One extra element after the data carries a flag that only worker 0 sets: 1 means "go on",
# 0 means "stop". It rides in the same all-reduce, so the peer needs no second channel.
CONTINUE, STOP = 1.0, 0.0


def make_all_reduce():
    """Builds the strategy from TF_CONFIG (waiting for the other worker) and a tf.function that
    sums its argument over all workers; every worker must build the same one."""
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING
        )
    )

    def replica_fn(x):
        # identity places the input on this replica's device: all_reduce needs one.
        x = tf.identity(x)
        return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, x)

    @tf.function
    def all_reduce(x):
        # One replica per worker: its local result is the reduced tensor.
        return strategy.experimental_local_results(strategy.run(replica_fn, args=(x,)))[0]

    return all_reduce


def peer(inputs_path):
    """Worker 1: answers every all-reduce of worker 0 until the reduced flag says stop."""
    tf.config.threading.set_intra_op_parallelism_threads(1)  # the harness's setting stops
    tf.config.threading.set_inter_op_parallelism_threads(1)  # at its own process
    all_reduce = make_all_reduce()
    send = tf.constant(np.append(np.load(inputs_path)["b"], np.float32(0.0)))
    while all_reduce(send)[-1] != STOP:
        pass


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()
    inputs_path = os.path.join(workdir, "inputs.npz")
    np.savez(inputs_path, **inputs)  # plumbing: the peer loads the same NumPy inputs
    ports = []
    for _ in range(2):  # a free port for each worker's gRPC server
        with socket.socket() as s:
            s.bind(("localhost", 0))
            ports.append(s.getsockname()[1])
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    peer_config = {"cluster": cluster, "task": {"type": "worker", "index": 1}}
    cmd = [sys.executable, __file__, "--peer", inputs_path]
    peer_process = subprocess.Popen(cmd, env=dict(os.environ, TF_CONFIG=json.dumps(peer_config)))
    own_config = {"cluster": cluster, "task": {"type": "worker", "index": 0}}
    os.environ["TF_CONFIG"] = json.dumps(own_config)  # read by the strategy, built next
    state = {
        "all_reduce": make_all_reduce(),
        "go": tf.constant(np.append(inputs["a"], np.float32(CONTINUE))),
        "stop": tf.constant(np.append(inputs["a"], np.float32(STOP))),
        "peer": peer_process,
    }
    atexit.register(_stop, state)  # the peer must end before this process does
    return state


def _stop(state):
    state["all_reduce"](state["stop"]).numpy()  # the peer sees the flag 0 and leaves its loop
    state["peer"].wait(timeout=60)


def run(state):
    reduced = state["all_reduce"](state["go"])[:-1]  # sum over both workers
    return {
        "checksum": tf.reduce_sum(tf.cast(reduced, tf.float64)),
        "head": reduced[:4],
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--peer"]:
        peer(sys.argv[2])
    else:
        from inputs import make_inputs

        print(run(setup(make_inputs())))
