"""Gradient and Hessian-vector product of a logistic loss with torch.autograd.grad."""

import torch
import torch.nn.functional as F


def loss_fn(w, X, y):
    z = X @ w
    return (F.softplus(z) - y * z).mean()


def setup(inputs, device="cpu"):
    return {name: torch.from_numpy(a).to(device) for name, a in inputs.items()}


def run(state):
    X, y, v = state["X"], state["y"], state["v"]
    w = state["w"].detach().requires_grad_(True)
    loss = loss_fn(w, X, y)
    # create_graph=True keeps the graph of the gradient so it can be differentiated again.
    (grad,) = torch.autograd.grad(loss, w, create_graph=True)
    # Hessian-vector product: the gradient of <grad, v> with respect to w.
    (hvp,) = torch.autograd.grad(grad, w, grad_outputs=v)
    return {"grad": grad.detach(), "hvp": hvp}


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
