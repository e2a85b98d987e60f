"""A print and a breakpoint() left in a function: what they do eagerly and under
torch.compile (a graph break at each, so both still run on every call)."""

import torch
from hooks import N_CALLS, counting
from torch._dynamo.utils import counters


def step(x, w1, w2):
    h = torch.tanh(x @ w1)
    print("debug: mean of h =", h.mean())  # a debugging print left in
    breakpoint()  # and a breakpoint (the snippet counts it instead of stopping)
    return h @ w2


def logged_step(x, w1, w2):
    h = torch.tanh(x @ w1)
    print("debug: mean of h =", h.mean())
    return h @ w2


def setup(inputs, device="cpu"):
    args = [torch.from_numpy(inputs[k]).to(device) for k in ["x", "W1", "W2"]]
    # torch.compile is lazy: Dynamo traces on the first call and breaks the graph at the
    # print and at breakpoint(), which then run in Python between the compiled pieces.
    return {
        "args": args,
        "compiled": torch.compile(step),
        "graphs_before": counters["stats"]["unique_graphs"],
    }


def run(state):
    with counting():  # plumbing
        return state["compiled"](*state["args"])


def eager(state):
    with counting():  # plumbing
        return step(*state["args"])


def _calls(fn, args):
    with counting() as seen:
        for _ in range(N_CALLS):
            fn(*args)
    return seen


def metrics(state):
    args = state["args"]
    graphs_of_run = counters["stats"]["unique_graphs"] - state["graphs_before"]
    # Dynamo caches compiled code per function: start from none, so the counts are those of
    # a fresh torch.compile whatever run() did before.
    torch._dynamo.reset()
    counters.clear()
    eager_seen, compiled_seen = _calls(step, args), _calls(torch.compile(step), args)
    graph_breaks = sum(counters["graph_break"].values())
    # run()'s function, called many times, compiled more graphs than this fresh one: recompiles.
    recompiles = graphs_of_run - counters["stats"]["unique_graphs"]
    # PyTorch's nearest to tf.print: a print Dynamo may move out of the graph (after it)
    # instead of breaking it, allowed for print here; fullgraph=True proves no graph break.
    torch._dynamo.reset()
    with torch._dynamo.config.patch(reorderable_logging_functions={print}):
        graph_seen = _calls(torch.compile(logged_step, fullgraph=True), args)
    return {
        "print_eager": len(eager_seen.printed),
        "print_compiled": len(compiled_seen.printed),
        "breakpoint_eager": eager_seen.breakpoints,
        "breakpoint_compiled": compiled_seen.breakpoints,
        "compiled_print_shows_value": int(compiled_seen.printed[:1] == eager_seen.printed[:1]),
        "graph_breaks": graph_breaks,
        "graph_print_compiled": len(graph_seen.printed),
        "retraces": recompiles,
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)[:2])
    print(metrics(state))
