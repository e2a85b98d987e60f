"""Per-example gradients of a 2-layer MLP with torch.func.vmap(grad(...)) and torch.compile."""

import torch
import torch.nn.functional as F
from torch import nn
from torch._dynamo.utils import counters
from torch.func import functional_call, grad, vmap


def setup(inputs, device="cpu"):
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    with torch.no_grad():  # plumbing
        for i, linear in enumerate([model[0], model[2]], start=1):  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    model = model.to(device)
    params = {name: p.detach() for name, p in model.named_parameters()}

    def loss_fn(params, x, y):
        # One example: add the batch dimension the model expects, then sum its loss.
        logits = functional_call(model, params, (x.unsqueeze(0),))
        return F.cross_entropy(logits, y.unsqueeze(0), reduction="sum")

    # grad differentiates with respect to the first argument (the parameters); vmap maps it
    # over the examples (dim 0 of x and y) and shares the parameters (None).
    per_example_grads = vmap(grad(loss_fn), in_dims=(None, 0, 0))
    return {
        "params": params,
        "x": torch.from_numpy(inputs["x"]).to(device),
        "y": torch.from_numpy(inputs["y"]).to(device),
        "eager": per_example_grads,
        # torch.compile is lazy: Dynamo traces and Inductor compiles on the first call.
        "compiled": torch.compile(per_example_grads),
        "graphs_before": counters["stats"]["unique_graphs"],
    }


def _named(grads):
    # Per-example (64, out, in) weight gradients viewed as (64, in, out), TensorFlow's layout.
    return {
        "W1": grads["0.weight"].mT,  # plumbing
        "b1": grads["0.bias"],  # plumbing
        "W2": grads["2.weight"].mT,  # plumbing
        "b2": grads["2.bias"],  # plumbing
    }


def run(state):
    return _named(state["compiled"](state["params"], state["x"], state["y"]))


def eager(state):
    # The same vmap(grad(...)) without torch.compile, as the torch.func tutorial runs it.
    return _named(state["eager"](state["params"], state["x"], state["y"]))


def metrics(state):
    # Graphs Dynamo compiled beyond the first one (recompilations).
    graphs = counters["stats"]["unique_graphs"] - state["graphs_before"]
    return {"retraces": graphs - 1}


if __name__ == "__main__":
    from inputs import make_inputs

    print({k: tuple(v.shape) for k, v in run(setup(make_inputs())).items()})
