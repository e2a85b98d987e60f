"""The error PyTorch raises when a batch of 64 features meets a layer built for 128, eagerly
and under torch.compile."""

from collections import OrderedDict

import torch
from messages import capture, flags
from torch import nn


def setup(inputs, device="cpu"):
    model = nn.Sequential(
        OrderedDict(hidden=nn.Linear(128, 48), relu=nn.ReLU(), head=nn.Linear(48, 10))
    )
    with torch.no_grad():  # plumbing
        for linear, i in [(model.hidden, 1), (model.head, 2)]:  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    model = model.to(device)  # plumbing

    # torch.compile is lazy: Dynamo traces on the first call, and meets the mistake there.
    @torch.compile
    def compiled(x):
        return model(x)

    return {
        "model": model,
        "compiled": compiled,
        "x": torch.from_numpy(inputs["x"]).to(device),  # (32, 64): the layer expects 128
    }


def run(state):
    model, compiled, x = state["model"], state["compiled"], state["x"]
    eager_error = capture(lambda: model(x))
    compiled_error = capture(lambda: compiled(x))
    state["captured"] = eager_error, compiled_error
    return {
        "eager_error": eager_error["error"],
        "eager_raised_in": eager_error["raised_in"],
        "compiled_error": compiled_error["error"],
        "compiled_raised_in": compiled_error["raised_in"],
    }


def metrics(state):
    return flags(*state["captured"], layer="hidden")


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    for key, text in run(state).items():
        print(f"--- {key}\n{text}")
    print(metrics(state))
