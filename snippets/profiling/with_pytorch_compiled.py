"""The same ten SGD steps under torch.profiler, the forward pass and loss compiled with
torch.compile (the backward pass is compiled with it; the optimizer step stays eager)."""

import torch
import with_pytorch as headline  # the same model, data, profiler session and metrics
from torch._dynamo.utils import counters


def setup(inputs, device="cpu", workdir=None):
    state = headline.setup(inputs, device=device, workdir=workdir)
    model, loss_fn = state["model"], state["loss_fn"]

    @torch.compile  # compiled on the first call, inside the first profile
    def compute_loss(X, y):
        return loss_fn(model(X), y)

    state["compute_loss"] = compute_loss
    state["graphs_before"] = counters["stats"]["unique_graphs"]
    return state


def train(state):
    optimizer = state["optimizer"]
    total = torch.zeros((), device=state["X"].device)
    for _ in range(headline.STEPS):
        optimizer.zero_grad()
        loss = state["compute_loss"](state["X"], state["y"])
        loss.backward()
        optimizer.step()
        total += loss.detach()
    return total / headline.STEPS


def run(state):
    return headline.profiled(state, train)


def metrics(state):
    # Graphs Dynamo compiled beyond the first one (recompilations).
    graphs = counters["stats"]["unique_graphs"] - state["graphs_before"]
    return headline.trace_metrics(state, train) | {"retraces": graphs - 1}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["loss"])
    print(state["prof"].key_averages().table(sort_by="self_cpu_time_total", row_limit=8))
    print(metrics(state))
