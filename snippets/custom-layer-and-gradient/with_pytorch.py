"""A numerically stable softplus with a hand-written backward (torch.autograd.Function), used
inside a custom nn.Module, run eagerly."""

import torch
from torch import nn


class StableSoftplus(torch.autograd.Function):
    """softplus(x) = log(1 + exp(x)), written so that exp never overflows."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.clamp(x, min=0) + torch.log1p(torch.exp(-torch.abs(x)))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        # d softplus / dx = sigmoid(x), which torch.sigmoid computes without overflow.
        return grad_output * torch.sigmoid(x)


class SoftplusDense(nn.Module):
    """A dense layer followed by the custom softplus; kernel stored as (in, out)."""

    def __init__(self, n_in, units):
        super().__init__()
        self.kernel = nn.Parameter(torch.zeros(n_in, units))
        self.bias = nn.Parameter(torch.zeros(units))

    def forward(self, x):
        return StableSoftplus.apply(x @ self.kernel + self.bias)


def setup(inputs, device="cpu"):
    layer = SoftplusDense(64, 128)
    with torch.no_grad():  # plumbing
        layer.kernel.copy_(torch.from_numpy(inputs["W"]))  # plumbing
        layer.bias.copy_(torch.from_numpy(inputs["b"]))  # plumbing
    return {
        "layer": layer.to(device),
        "x": torch.from_numpy(inputs["x"]).to(device),
        "target": torch.from_numpy(inputs["target"]).to(device),
        "x_check": torch.from_numpy(inputs["x_check"]),
    }


def run(state):
    layer = state["layer"]
    x = state["x"].detach().requires_grad_()  # gradients with respect to the input too
    y = layer(x)
    loss = torch.mean((y - state["target"]) ** 2)
    dW, db, dx = torch.autograd.grad(loss, [layer.kernel, layer.bias, x])
    return {"y": y.detach(), "loss": loss.item(), "dW": dW, "db": db, "dx": dx}


def metrics(state):
    # The hand-written backward against central finite differences, in float64.
    x = state["x_check"].clone().requires_grad_()
    passed = torch.autograd.gradcheck(StableSoftplus.apply, (x,), eps=1e-6, atol=1e-5, rtol=1e-3)
    return {"gradient_check": int(passed)}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    out = run(state)
    print({k: (tuple(v.shape) if hasattr(v, "shape") else v) for k, v in out.items()})
    print(metrics(state))
