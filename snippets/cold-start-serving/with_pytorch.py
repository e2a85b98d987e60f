"""Cold start: a fresh Python process loads a torch.export .pt2 archive and answers one
request."""

import json
import os
import subprocess
import sys
import tempfile
import time

import torch
from torch import nn

# The serving process: no model code, only the archive. One JSON request per stdin line.
SERVER = """
import json, resource, sys, time
start = time.perf_counter()
import torch
torch.set_num_threads(int(sys.argv[2]))  # plumbing
torch.set_num_interop_threads(1)  # plumbing
imported = time.perf_counter()
model = torch.export.load(sys.argv[1]).module()
loaded = time.perf_counter()
for line in sys.stdin:
    with torch.no_grad():
        prediction = model(torch.tensor(json.loads(line), dtype=torch.float32))
    answered = time.perf_counter()
    print(json.dumps({
        "prediction": prediction.tolist(),
        "import_s": imported - start, "load_s": loaded - imported, "predict_s": answered - loaded,
        "rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }), flush=True)
"""


def setup(inputs, device="cpu", workdir=None):
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    model = nn.Sequential(
        nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    with torch.no_grad():  # plumbing
        for i, linear in enumerate([model[0], model[2], model[4]], start=1):  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    model = model.eval()
    # Export as on the export-graph page: a .pt2 archive with a dynamic batch dimension.
    example = torch.from_numpy(inputs["example"])
    batch = torch.export.Dim("batch")
    exported = torch.export.export(model, (example,), dynamic_shapes=({0: batch},))
    artifact = os.path.join(workdir, "mlp.pt2")
    torch.export.save(exported, artifact)
    server = os.path.join(workdir, "serve_pt2.py")
    with open(server, "w") as f:
        f.write(SERVER)
    return {
        "command": [sys.executable, server, artifact, str(torch.get_num_threads())],
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
