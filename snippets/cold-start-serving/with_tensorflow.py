"""Cold start: a fresh Python process loads a TF SavedModel and answers one request."""

import json
import os
import subprocess
import sys
import tempfile
import time

import keras
import tensorflow as tf

# The serving process: no model code, only the SavedModel. One JSON request per stdin line.
SERVER = """
import json, resource, sys, time
start = time.perf_counter()
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(int(sys.argv[2]))  # plumbing
tf.config.threading.set_inter_op_parallelism_threads(1)  # plumbing
imported = time.perf_counter()
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
loaded = time.perf_counter()
for line in sys.stdin:
    prediction = serve(x=tf.constant(json.loads(line), dtype=tf.float32))["output_0"]
    answered = time.perf_counter()
    print(json.dumps({
        "prediction": prediction.numpy().tolist(),
        "import_s": imported - start, "load_s": loaded - imported, "predict_s": answered - loaded,
        "rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }), flush=True)
"""


def setup(inputs, device="cpu", workdir=None):
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    model = keras.Sequential(
        [
            keras.Input(shape=(128,), name="x"),  # batch dimension None: dynamic
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    # Keras Dense kernels are (in, out), the layout of the shared weights.
    model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2", "W3", "b3"]])  # plumbing
    # Export as on the export-graph page: a SavedModel directory.
    artifact = os.path.join(workdir, "mlp_savedmodel")
    model.export(artifact, format="tf_saved_model", verbose=False)
    server = os.path.join(workdir, "serve_savedmodel.py")
    with open(server, "w") as f:
        f.write(SERVER)
    threads = tf.config.threading.get_intra_op_parallelism_threads()  # plumbing
    return {
        "command": [sys.executable, server, artifact, str(threads)],
        "request": json.dumps(inputs["request"].tolist()),  # the payload, as a client sends it
        "log": os.path.join(workdir, "server.log"),
        "answers": [],
    }


def run(state):
    with open(state["log"], "ab") as log:
        start = time.perf_counter()  # plumbing
        server = subprocess.Popen(
            state["command"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
        )
        try:
            server.stdin.write(state["request"] + "\n")
            server.stdin.flush()
            line = server.stdout.readline()  # blocks until the first answer
            answered = time.perf_counter()  # plumbing
        finally:
            server.kill()  # a server would keep running: stop it without timing its shutdown
            server.wait()
    if not line:
        raise RuntimeError(f"the server gave no answer; see {state['log']}")
    answer = json.loads(line)
    state["answers"].append({**answer, "answer_s": answered - start})  # plumbing
    return answer["prediction"]


def metrics(state):
    first = state["answers"][0]
    return {k: first[k] for k in ["answer_s", "import_s", "load_s", "predict_s", "rss_bytes"]}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state))
    print(metrics(state))
