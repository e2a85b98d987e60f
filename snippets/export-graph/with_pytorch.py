"""Export an MLP with torch.export, save it as a .pt2 archive, load it back and run it."""

import os
import tempfile
import time

import torch
from torch import nn


def setup(inputs, device="cpu", workdir=None):
    model = nn.Sequential(
        nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    with torch.no_grad():  # plumbing
        for i, linear in enumerate([model[0], model[2], model[4]], start=1):  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    model = model.to(device).eval()
    x = torch.from_numpy(inputs["x"]).to(device)
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    return {"model": model, "x": x, "path": os.path.join(workdir, "mlp.pt2"), "times": []}


def run(state):
    model, x, path = state["model"], state["x"], state["path"]
    start = time.perf_counter()  # plumbing
    # The batch dimension stays dynamic, like the `None` batch of a Keras Input.
    batch = torch.export.Dim("batch")
    exported = torch.export.export(model, (x,), dynamic_shapes=({0: batch},))
    torch.export.save(exported, path)
    saved = time.perf_counter()  # plumbing
    # What a serving process does: load the archive (no model code needed) and call it.
    reloaded = torch.export.load(path).module()
    with torch.no_grad():
        out = reloaded(x)
    state["times"].append((saved - start, time.perf_counter() - saved))  # plumbing
    state["last"] = out  # plumbing
    return out


def metrics(state):
    export_s, load_s = state["times"][0]  # the first call, in a fresh process
    with torch.no_grad():  # plumbing
        exact = torch.equal(state["last"], state["model"](state["x"]))  # plumbing
    return {
        "artifact_bytes": os.path.getsize(state["path"]),
        "export_s": export_s,
        "load_s": load_s,
        "reload_exact": int(exact),
        "deprecated": 0,
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)[:2])
    print(metrics(state))
