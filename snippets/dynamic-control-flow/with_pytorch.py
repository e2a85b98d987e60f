"""A data-dependent while loop (a fixed-point solve) under torch.compile's default settings."""

import torch
from torch._dynamo.utils import counters

TOL = 1e-3  # stop once the update's norm falls below this...
MAX_ITER = 100  # ...or after this many steps


def solve(x, U, W, b):
    # Fixed point of z = tanh(z @ W + x @ U + b), the forward pass of an implicit layer.
    inj = x @ U + b
    z = torch.zeros_like(inj)
    residual = torch.tensor(float("inf"))
    i = 0
    # The loop condition reads a tensor: how many steps run depends on the data.
    while residual > TOL and i < MAX_ITER:
        z_next = torch.tanh(z @ W + inj)
        residual = torch.linalg.vector_norm(z_next - z)
        z = z_next
        i += 1
    return z, i


def setup(inputs, device="cpu"):
    state = {k: torch.from_numpy(inputs[k]).to(device) for k in ["x", "U", "W", "b"]}
    # Lazy: Dynamo captures and Inductor compiles on the first call.
    state["compiled"] = torch.compile(solve)
    return state


def run(state):
    z, iterations = state["compiled"](state["x"], state["U"], state["W"], state["b"])
    return {"z": z, "iterations": iterations}


def eager(state):
    # The same loop without compilation: the baseline compiling must beat.
    z, iterations = solve(state["x"], state["U"], state["W"], state["b"])
    return {"z": z, "iterations": iterations}


def metrics(state):
    args = state["x"], state["U"], state["W"], state["b"]
    # Everything here runs before explain(), which resets Dynamo.
    iterations = run(state)["iterations"]
    # One call captures one graph (the code before the loop); any further one is a recompile.
    recompiles = counters["stats"]["unique_graphs"] - 1
    # Dynamo's own report on the same function: the graphs it captured and why it broke them.
    explanation = torch._dynamo.explain(solve)(*args)
    graphs = [g.graph for g in explanation.graphs]
    return {
        "iterations": iterations,
        "graph_breaks": len(explanation.break_reasons),
        # The loop body (tanh) in no captured graph: it runs op by op in Python.
        "loop_in_python": int(not any(n.target is torch.tanh for g in graphs for n in g.nodes)),
        "recompiles": recompiles,
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state))
    print(metrics(state))
