"""Batch-1 inference of an MLP classifier compiled with torch.compile (Inductor)."""

import torch
from latency import p95_latency, throughput
from torch import nn
from torch._dynamo.utils import counters


def setup(inputs, device="cpu"):
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    with torch.no_grad():  # plumbing
        for i, linear in enumerate([model[0], model[2], model[4]], start=1):  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    model = model.to(device).eval()  # eval(): inference behaviour (no dropout, BN statistics)
    batch = torch.from_numpy(inputs["x"]).to(device)  # plumbing
    return {
        # Lazy: Dynamo traces and Inductor compiles on the first call. dynamic=False gives
        # each batch size its own specialised graph, as tf.function traces one per shape.
        "model": torch.compile(model, dynamic=False),
        "x": batch[:1],
        "batch": batch,
        "device": device,
        "graphs_before": counters["stats"]["unique_graphs"],
    }


def predict(model, x):
    with torch.inference_mode():
        return model(x)


def run(state):
    return {"logits": predict(state["model"], state["x"])}


def _sync(state):  # plumbing
    return torch.cuda.synchronize if state["device"] == "cuda" else lambda: None  # plumbing


def metrics(state):
    model, sync = state["model"], _sync(state)
    # Graphs compiled beyond the first (batch-1) one, counted before batch 64 compiles its own.
    retraces = counters["stats"]["unique_graphs"] - state["graphs_before"] - 1
    return {
        "retraces": retraces,
        "p95_latency": p95_latency(lambda: predict(model, state["x"]), sync),
        "throughput_b64": throughput(lambda: predict(model, state["batch"]), sync, 64),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state), metrics(state))
