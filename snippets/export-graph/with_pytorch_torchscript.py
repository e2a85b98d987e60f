"""The deprecated baseline: trace an MLP with TorchScript, save it, load it back and run it."""

import os
import tempfile
import time
import warnings

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
    path = os.path.join(workdir, "mlp_torchscript.pt")
    return {"model": model, "x": x, "path": path, "times": [], "warned": []}


def run(state):
    model, x, path = state["model"], state["x"], state["path"]
    with warnings.catch_warnings(record=True) as caught:  # plumbing
        warnings.simplefilter("always", DeprecationWarning)  # plumbing
        start = time.perf_counter()  # plumbing
        # Tracing records the ops run on this example; any batch size works for Linear.
        traced = torch.jit.trace(model, x)
        torch.jit.save(traced, path)
        saved = time.perf_counter()  # plumbing
        reloaded = torch.jit.load(path)
        with torch.no_grad():
            out = reloaded(x)
    state["times"].append((saved - start, time.perf_counter() - saved))  # plumbing
    deprecations = [str(w.message) for w in caught if w.category is DeprecationWarning]  # plumbing
    state["warned"] += deprecations  # plumbing
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
        "deprecated": int(bool(state["warned"])),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)[:2])
    print(metrics(state), state["warned"][:1])
