"""One epoch of minibatch SGD on an MLP with a hand-written PyTorch training loop."""

import torch
from torch import nn

BATCH_SIZE = 64


def setup(inputs, device="cpu"):
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 1))
    with torch.no_grad():  # plumbing
        for linear, i in [(model[0], 1), (model[2], 2)]:  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    model = model.to(device)  # plumbing
    return {
        "model": model,
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.05),
        "loss_fn": nn.MSELoss(),
        "X": torch.from_numpy(inputs["X"]).to(device),
        "y": torch.from_numpy(inputs["y"]).to(device),
    }


def run(state):
    model, optimizer, loss_fn = state["model"], state["optimizer"], state["loss_fn"]
    X, y = state["X"], state["y"]
    model.train()
    total_loss = torch.zeros((), device=X.device)
    n_batches = 0
    for start in range(0, len(X), BATCH_SIZE):  # in order, like shuffle=False
        xb, yb = X[start : start + BATCH_SIZE], y[start : start + BATCH_SIZE]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total_loss += loss.detach()
        n_batches += 1
    return {
        # Mean of the batch losses over the epoch: what Keras reports as the epoch loss.
        "loss": (total_loss / n_batches).item(),
        # Output kernel back in (in, out) layout; cloned so later epochs don't change it.
        "w_out": model[2].weight.detach().T.clone(),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
