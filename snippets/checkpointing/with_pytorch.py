"""Save and resume training: torch.save of the model's and the optimizer's state_dict."""

import os
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F
from torch import nn

BATCH_SIZE, K_STEPS, M_STEPS = 64, 16, 16  # save after k steps, then continue m more
LR, MOMENTUM = 0.05, 0.9
LAYERS = ["W1", "b1", "W2", "b2", "W3", "b3"]


def build(inputs):
    """A model and its optimizer, as the training script builds them before any resume."""
    model = nn.Sequential(
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    with torch.no_grad():  # plumbing
        for i, linear in enumerate([model[0], model[2], model[4]], start=1):  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    # SGD with momentum: its state (a momentum buffer per parameter) must be checkpointed too.
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, nesterov=False)
    return model, optimizer


def train(model, optimizer, X, y, steps, first_step):
    for step in range(first_step, first_step + steps):
        start = (step * BATCH_SIZE) % len(X)  # batches in a fixed order
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X[start : start + BATCH_SIZE]), y[start : start + BATCH_SIZE])
        loss.backward()
        optimizer.step()


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()
    X, y = torch.from_numpy(inputs["X"]), torch.from_numpy(inputs["y"])
    model, optimizer = build(inputs)
    train(model, optimizer, X, y, K_STEPS, first_step=0)  # the run that gets interrupted
    reference, reference_opt = build(inputs)
    train(reference, reference_opt, X, y, K_STEPS + M_STEPS, first_step=0)  # never interrupted
    resumed, resumed_opt = build(inputs)  # fresh: what a restarted script builds
    return {
        "model": model,
        "optimizer": optimizer,
        "resumed": resumed,
        "resumed_opt": resumed_opt,
        "reference": reference,
        "X": X,
        "y": y,
        "path": os.path.join(workdir, "checkpoint.pt"),
        "save_s": [],
        "restore_s": [],
    }


def run(state):
    start = time.perf_counter()  # plumbing
    torch.save(
        {"model": state["model"].state_dict(), "optimizer": state["optimizer"].state_dict()},
        state["path"],
    )
    state["save_s"].append(time.perf_counter() - start)  # plumbing
    start = time.perf_counter()  # plumbing
    checkpoint = torch.load(state["path"])  # weights_only=True, the default since 2.6
    state["resumed"].load_state_dict(checkpoint["model"])
    state["resumed_opt"].load_state_dict(checkpoint["optimizer"])
    state["restore_s"].append(time.perf_counter() - start)  # plumbing
    return _training_state(state["resumed"], state["resumed_opt"])


def _training_state(model, optimizer):
    """The parameters and momentum buffers, in Keras's (in, out) layout."""
    out = {}
    for name, p in zip(LAYERS, model.parameters(), strict=True):  # plumbing
        # Keras keeps -lr * buffer, PyTorch the buffer itself: compared in Keras's form.
        velocity = -LR * optimizer.state[p]["momentum_buffer"]  # plumbing
        out[name] = (p.detach().T if p.ndim == 2 else p.detach()).clone()  # plumbing
        out[f"{name}_velocity"] = velocity.T if p.ndim == 2 else velocity  # plumbing
    return out


def metrics(state):
    # Continue the restored model m steps and compare with the run that was never interrupted.
    resumed, resumed_opt = state["resumed"], state["resumed_opt"]
    train(resumed, resumed_opt, state["X"], state["y"], M_STEPS, first_step=K_STEPS)
    bitwise = all(
        torch.equal(a, b)
        for a, b in zip(resumed.parameters(), state["reference"].parameters(), strict=True)
    )
    return {
        "resume_bitwise": int(bitwise),
        "checkpoint_bytes": os.path.getsize(state["path"]),
        "save_s": statistics.median(state["save_s"]),
        "restore_s": statistics.median(state["restore_s"]),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    s = setup(make_inputs())
    out = run(s)
    print({k: tuple(v.shape) if torch.is_tensor(v) else v for k, v in out.items()}, metrics(s))
