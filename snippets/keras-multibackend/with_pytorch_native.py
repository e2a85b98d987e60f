"""For reference: the same SGD step written in plain PyTorch (nn.Module, torch.optim), no Keras."""

import sys

import torch
import torch.nn.functional as F
from torch import nn


def setup(inputs, device="cpu"):
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    with torch.no_grad():  # plumbing
        for i, linear in enumerate([model[0], model[2]], start=1):  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    model = model.to(device)
    return {
        "model": model,
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.1),
        # NumPy inputs, as train_on_batch receives them: converted inside run().
        "x": inputs["x"],
        "y": inputs["y"],
        "device": device,
    }


def run(state):
    model, optimizer = state["model"], state["optimizer"]
    x = torch.from_numpy(state["x"]).to(state["device"])
    y = torch.from_numpy(state["y"]).to(state["device"])
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)  # mean over the batch, as Keras's default reduction
    loss.backward()
    optimizer.step()
    return {
        "loss": loss.item(),
        "W2": model[2].weight.detach().T.clone(),  # (in, out), Keras's layout; a copy
    }


def metrics(state):
    return {"imports_other": int("tensorflow" in sys.modules)}


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs()))["loss"])
