"""Forward pass of a small MLP compiled with torch.compile (TorchDynamo + Inductor)."""

import torch
from torch import nn
from torch._dynamo.utils import counters


def setup(inputs, device="cpu"):
    model = nn.Sequential(
        nn.Linear(64, 256),
        nn.ReLU(),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Linear(256, 10),
    )
    with torch.no_grad():  # plumbing
        for i, linear in enumerate([model[0], model[2], model[4]], start=1):  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    model = model.to(device).eval()
    return {
        # torch.compile is lazy: Dynamo traces and Inductor compiles on the first call.
        "model": model,
        "compiled": torch.compile(model),
        "x": torch.from_numpy(inputs["x"]).to(device),
        "graphs_before": counters["stats"]["unique_graphs"],
    }


def run(state):
    with torch.no_grad():  # plumbing
        return state["compiled"](state["x"])


def eager(state):
    # The same forward pass without compilation: the baseline compiling must beat.
    with torch.no_grad():  # plumbing
        return state["model"](state["x"])


def metrics(state):
    # Graphs Dynamo compiled beyond the first one (recompilations).
    graphs = counters["stats"]["unique_graphs"] - state["graphs_before"]
    return {"retraces": graphs - 1}


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
