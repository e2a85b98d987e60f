"""Synchronous data parallel with PyTorch: DistributedDataParallel over gloo, 2 CPU processes."""

import os
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

WORKERS = 2
GLOBAL_BATCH = 64  # split evenly: each worker takes GLOBAL_BATCH // world examples a step
LR = 0.1


def train(inputs, out_path):
    """One worker: the script `torchrun` would start once per rank (rank and peers in the env)."""
    # One core per worker: the harness's thread setting stops at its own process.
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    dist.init_process_group("gloo")  # reads MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE
    rank, world = dist.get_rank(), dist.get_world_size()
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 1))
    with torch.no_grad():  # plumbing
        for linear, i in [(model[0], 1), (model[2], 2)]:  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    ddp_model = DDP(model)  # broadcasts rank 0's parameters, then all-reduces every gradient
    optimizer = torch.optim.SGD(ddp_model.parameters(), lr=LR)
    loss_fn = nn.MSELoss()
    # This worker's shard: every world-th example, as DistributedSampler(shuffle=False) picks.
    X = torch.from_numpy(inputs["X"][rank::world])
    y = torch.from_numpy(inputs["y"][rank::world])
    local = GLOBAL_BATCH // world
    steps = len(X) // local
    for step in range(steps):
        if step == 1:  # the first step (DDP's bucket set-up) is left out of the step time
            dist.barrier()
            start = time.perf_counter()
        xb, yb = X[step * local : (step + 1) * local], y[step * local : (step + 1) * local]
        optimizer.zero_grad()
        loss = loss_fn(ddp_model(xb), yb)
        loss.backward()  # DDP averages the gradients over the workers during backward
        optimizer.step()
    step_s = (time.perf_counter() - start) / (steps - 1)
    loss = loss.detach()
    dist.all_reduce(loss)  # the last step's loss over the whole global batch (sum of means)
    np.savez(
        out_path,
        W1=model[0].weight.detach().T.numpy(),  # plumbing
        b1=model[0].bias.detach().numpy(),  # plumbing
        W2=model[2].weight.detach().T.numpy(),  # plumbing
        b2=model[2].bias.detach().numpy(),  # plumbing
        loss=loss.numpy() / world,
        step_s=step_s,
    )
    dist.destroy_process_group()


def launch(state, world):
    """Start `world` workers on localhost, wait for all of them, return their results."""
    with socket.socket() as s:  # a free port for rank 0's rendezvous store
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    outs = [os.path.join(state["workdir"], f"rank{rank}.npz") for rank in range(world)]
    workers = []
    try:
        for rank in range(world):
            env = dict(
                os.environ,
                MASTER_ADDR="localhost",
                MASTER_PORT=str(port),
                RANK=str(rank),
                WORLD_SIZE=str(world),
            )
            cmd = [sys.executable, __file__, "--worker", state["inputs_path"], outs[rank]]
            workers.append(subprocess.Popen(cmd, env=env))
        codes = [w.wait(timeout=150) for w in workers]
    finally:
        for w in workers:  # never leave a worker behind, even when one failed
            if w.poll() is None:
                w.kill()
                w.wait()
    if any(codes):
        raise RuntimeError(f"a worker failed: exit codes {codes}")
    return [dict(np.load(out)) for out in outs]


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()
    inputs_path = os.path.join(workdir, "inputs.npz")
    np.savez(inputs_path, **inputs)  # plumbing: every worker loads the same NumPy inputs
    return {"workdir": workdir, "inputs_path": inputs_path}


def run(state):
    results = launch(state, WORKERS)
    state["step_s"] = max(float(r["step_s"]) for r in results)  # plumbing
    names = ["W1", "b1", "W2", "b2"]
    return {
        **{name: results[0][name] for name in names},
        "loss": results[0]["loss"],
        # Data parallel keeps one model: every worker must end with the same parameters.
        "worker_max_abs_diff": max(
            float(np.abs(r[name] - results[0][name]).max()) for r in results for name in names
        ),
    }


def metrics(state):
    # The same job on one worker (the whole global batch each step), for the scaling.
    one = launch(state, 1)[0]
    return {
        "step_s_2w": state["step_s"],
        "step_s_1w": float(one["step_s"]),
        "speedup_2w": float(one["step_s"]) / state["step_s"],
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        train(dict(np.load(sys.argv[2])), sys.argv[3])
    else:
        from inputs import make_inputs

        state = setup(make_inputs())
        result = run(state)
        print({k: np.round(v, 6) if np.ndim(v) == 0 else np.shape(v) for k, v in result.items()})
        print(metrics(state))
