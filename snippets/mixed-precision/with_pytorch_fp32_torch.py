"""One forward and backward pass of the same MLP in float32 (no autocast): the baseline."""

import torch
import torch.nn.functional as F
from _cpu_flags import cpu_bf16_flags
from torch import nn

NAMES = ["W1", "b1", "W2", "b2", "W3", "b3"]


def setup(inputs, device="cpu"):
    model = nn.Sequential(
        nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    )
    with torch.no_grad():  # plumbing
        for linear, i in [(model[0], 1), (model[2], 2), (model[4], 3)]:  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    return {
        "model": model.to(device),  # the parameters stay float32
        "x": torch.from_numpy(inputs["x"]).to(device),
        "y": torch.from_numpy(inputs["y"]).to(device),
        "device_type": "cuda" if device == "cuda" else "cpu",
    }


def step(state):
    model = state["model"]
    model.zero_grad()
    logits = model(state["x"])  # float32 throughout
    loss = F.cross_entropy(logits, state["y"])
    loss.backward()
    return loss, logits, dict(zip(NAMES, [p.grad for p in model.parameters()], strict=True))


def run(state):
    loss, logits, grads = step(state)
    return {
        "loss": loss.item(),
        "logits": logits.detach(),
        "grad_norms": {k: torch.linalg.vector_norm(g).item() for k, g in grads.items()},
    }


def metrics(state):
    # The headline's error against float32 is, for this float32 step, zero by definition.
    return {"grad_rel_error": 0.0, **cpu_bf16_flags()}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    out = run(state)
    print(out["loss"], out["grad_norms"], metrics(state))
