"""Two seeded training runs of an MLP with dropout in PyTorch's deterministic mode, in one
process: are the trained parameters bitwise identical?"""

import os

import torch
from torch import nn

SEED = 1234
BATCH_SIZE = 64


def setup(inputs, device="cpu"):
    # On CUDA, cuBLAS needs this before it starts, or deterministic mode raises on a matmul.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # Use deterministic kernels, and raise on any op that has none.
    torch.use_deterministic_algorithms(True)
    return {
        "inputs": inputs,
        "device": device,
        "X": torch.from_numpy(inputs["X"]).to(device),
        "y": torch.from_numpy(inputs["y"]).to(device),
    }


def train_once(state, seed=SEED):
    """One training run from scratch: seed, build, train 8 steps. Returns the initial loss
    (dropout off, so no randomness) and the trained parameters."""
    if seed is not None:
        torch.manual_seed(seed)  # seeds the CPU generator and every CUDA device's
    model = nn.Sequential(
        nn.Linear(32, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, 10),
    )
    with torch.no_grad():  # plumbing
        for linear, i in [(model[0], 1), (model[3], 2), (model[6], 3)]:  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(state["inputs"][f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(state["inputs"][f"b{i}"]))  # plumbing
    model = model.to(state["device"])  # plumbing
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    X, y = state["X"], state["y"]
    model.eval()
    with torch.no_grad():
        initial_loss = loss_fn(model(X), y).item()
    model.train()  # dropout on: the random masks come from the seeded generator
    for start in range(0, len(X), BATCH_SIZE):
        optimizer.zero_grad()
        loss = loss_fn(model(X[start : start + BATCH_SIZE]), y[start : start + BATCH_SIZE])
        loss.backward()
        optimizer.step()
    return initial_loss, [p.detach().clone() for p in model.parameters()]


def run(state):
    initial_loss, first = train_once(state)
    _, second = train_once(state)
    identical = all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    state["identical"] = int(identical)
    return {
        "bitwise_identical": int(identical),
        "max_abs_diff": max((a - b).abs().max().item() for a, b in zip(first, second, strict=True)),
        # The same on both sides: the NumPy weights with dropout off.
        "initial_loss": initial_loss,
    }


def metrics(state):
    # Without re-seeding, the generator has moved on: other dropout masks, other parameters.
    # This shows the seed is what makes the runs repeat.
    _, seeded = train_once(state)
    _, unseeded = train_once(state, seed=None)
    same = all(torch.equal(a, b) for a, b in zip(seeded, unseeded, strict=True))
    return {"bitwise_identical": state["identical"], "unseeded_differs": int(not same)}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state), metrics(state))
