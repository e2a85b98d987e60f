"""Ten eager SGD steps of an MLP under torch.profiler (CPU activities), the trace exported
to a Chrome trace file."""

import os
import re
import tempfile

import torch
from overhead import overhead_ratio
from torch import nn
from torch.profiler import ProfilerActivity, profile

STEPS = 10


def setup(inputs, device="cpu", workdir=None):
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    with torch.no_grad():  # plumbing
        for linear, i in [(model[0], 1), (model[2], 2)]:  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    model = model.to(device)  # plumbing
    activities = [ProfilerActivity.CPU]
    if device == "cuda":  # plumbing
        activities.append(ProfilerActivity.CUDA)  # plumbing
    return {
        "model": model,
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.05),
        "loss_fn": nn.CrossEntropyLoss(),
        "X": torch.from_numpy(inputs["X"]).to(device),
        "y": torch.from_numpy(inputs["y"]).to(device),
        "activities": activities,
        "trace": os.path.join(workdir or tempfile.mkdtemp(), "trace.json"),
    }


def train(state):
    model, optimizer, loss_fn = state["model"], state["optimizer"], state["loss_fn"]
    total = torch.zeros((), device=state["X"].device)
    for _ in range(STEPS):  # the same full batch every step
        optimizer.zero_grad()
        loss = loss_fn(model(state["X"]), state["y"])
        loss.backward()
        optimizer.step()
        total += loss.detach()
    return total / STEPS


def profiled(state, train):
    with profile(activities=state["activities"]) as prof:
        loss = train(state)
    prof.export_chrome_trace(state["trace"])  # on disk, as TensorFlow's stop() writes it
    state["prof"] = prof
    return {
        "loss": loss.item(),
        # Output kernel back in (in, out) layout; cloned so later calls don't change it.
        "w_out": state["model"][2].weight.detach().T.clone(),
    }


def run(state):
    return profiled(state, train)


def trace_metrics(state, train):
    ratio = overhead_ratio(lambda: profiled(state, train), lambda: train(state).item())
    prof = state["prof"]  # the last run()'s
    ops = [op for op in prof.key_averages() if op.key.startswith("aten::")]  # one row per op
    top = max(prof.key_averages(), key=lambda op: op.self_cpu_time_total)
    return {
        "overhead_ratio": ratio,
        "trace_events": len(prof.events()),
        "ops_recorded": sum(op.count for op in ops),  # nested ones too (linear -> addmm)
        "distinct_ops": len(ops),
        "trace_bytes": os.path.getsize(state["trace"]),
        "top_op_is_matmul": int(bool(re.search(r"matmul|\bmm\b|addmm", top.key, re.I))),
    }


def metrics(state):
    return trace_metrics(state, train) | {"retraces": 0}  # eager: nothing is compiled


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["loss"])
    print(state["prof"].key_averages().table(sort_by="self_cpu_time_total", row_limit=5))
    print(metrics(state))
