"""One forward and backward pass of an MLP under bf16 autocast on CPU (torch.autocast)."""

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


def step(state, bf16=True):
    model = state["model"]
    model.zero_grad()
    # Inside autocast the Linear layers (and the ReLUs after them) compute in bfloat16.
    with torch.autocast(state["device_type"], dtype=torch.bfloat16, enabled=bf16):
        logits = model(state["x"])
    # The loss in float32, outside autocast, as on the TensorFlow side.
    loss = F.cross_entropy(logits.float(), state["y"])
    loss.backward()  # the parameters' gradients come back in float32
    return loss, logits, dict(zip(NAMES, [p.grad for p in model.parameters()], strict=True))


def run(state):
    loss, logits, grads = step(state)
    return {
        "loss": loss.item(),
        "logits": logits.float().detach(),
        # Gradients as one norm per parameter: the two sides' bf16 paths round at different
        # points, so elementwise they differ as much as bf16 differs from float32.
        "grad_norms": {k: torch.linalg.vector_norm(g).item() for k, g in grads.items()},
    }


def metrics(state):
    bf16, fp32 = step(state, bf16=True)[2], step(state, bf16=False)[2]
    # The bf16 gradients against the same step in float32, over all parameters.
    err = sum(torch.sum((bf16[k] - fp32[k]) ** 2) for k in NAMES)
    ref = sum(torch.sum(fp32[k] ** 2) for k in NAMES)
    return {"grad_rel_error": float(torch.sqrt(err / ref)), **cpu_bf16_flags()}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    out = run(state)
    print(out["loss"], out["grad_norms"], metrics(state))
