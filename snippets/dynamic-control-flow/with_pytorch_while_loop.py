"""The same fixed-point solve written with torch.while_loop, so torch.compile keeps the loop."""

import torch
from torch._dynamo.utils import counters

TOL = 1e-3  # stop once the update's norm falls below this...
MAX_ITER = 100  # ...or after this many steps


def solve(x, U, W, b):
    # Fixed point of z = tanh(z @ W + x @ U + b), the forward pass of an implicit layer.
    inj = x @ U + b

    def cond(z, residual, i):
        return (residual > TOL) & (i < MAX_ITER)

    def body(z, residual, i):
        z_next = torch.tanh(z @ W + inj)
        return z_next, torch.linalg.vector_norm(z_next - z), i + 1

    # A structured loop (a prototype operator): the condition and body become subgraphs.
    start = (
        torch.zeros_like(inj),
        torch.tensor(float("inf"), device=inj.device),
        torch.tensor(0, device=inj.device),
    )
    z, _, i = torch.while_loop(cond, body, start)
    return z, i


def setup(inputs, device="cpu"):
    state = {k: torch.from_numpy(inputs[k]).to(device) for k in ["x", "U", "W", "b"]}
    # fullgraph=True: any graph break is an error instead of a fallback to Python.
    state["compiled"] = torch.compile(solve, fullgraph=True)
    return state


def run(state):
    z, iterations = state["compiled"](state["x"], state["U"], state["W"], state["b"])
    return {"z": z, "iterations": iterations}


def metrics(state):
    args = state["x"], state["U"], state["W"], state["b"]
    # Everything here runs before explain(), which resets Dynamo.
    iterations = int(run(state)["iterations"])
    # One call captures one graph (the whole function); any further one is a recompile.
    recompiles = counters["stats"]["unique_graphs"] - 1
    explanation = torch._dynamo.explain(solve)(*args)
    nodes = [n for g in explanation.graphs for n in g.graph.nodes]
    return {
        "iterations": iterations,
        "graph_breaks": len(explanation.break_reasons),
        # The loop as a while_loop node in the captured graph, or run op by op in Python.
        "loop_in_python": int(
            not any(n.target is torch.ops.higher_order.while_loop for n in nodes)
        ),
        "recompiles": recompiles,
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state))
    print(metrics(state))
