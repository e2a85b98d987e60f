"""Fully sharded data parallel with PyTorch: FSDP2 `fully_shard` over gloo, 2 CPU processes."""

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
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard

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
    mesh = init_device_mesh("cpu", (world,))
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 1))
    with torch.no_grad():  # plumbing
        for linear, i in [(model[0], 1), (model[2], 2)]:  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    # Each layer becomes one unit that is all-gathered just before it runs and freed after;
    # between steps every worker keeps only its shard (dim 0) of every parameter.
    for layer in (model[0], model[2]):
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    local_bytes = sum(p.to_local().nbytes for p in model.parameters())  # this worker's shards
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)  # steps the local shards only
    loss_fn = nn.MSELoss()
    # This worker's shard of the data: every world-th example, as DistributedSampler picks.
    X = torch.from_numpy(inputs["X"][rank::world])
    y = torch.from_numpy(inputs["y"][rank::world])
    local = GLOBAL_BATCH // world
    steps = len(X) // local
    for step in range(steps):
        if step == 1:  # the first step (FSDP's lazy initialisation) is left out of the time
            dist.barrier()
            start = time.perf_counter()
        xb, yb = X[step * local : (step + 1) * local], y[step * local : (step + 1) * local]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()  # reduce-scatters the gradients: each worker gets its shard's mean
        optimizer.step()
    step_s = (time.perf_counter() - start) / (steps - 1)
    loss = loss.detach()
    dist.all_reduce(loss)  # the last step's loss over the whole global batch (sum of means)
    # full_tensor() all-gathers a sharded parameter (a collective: every worker calls it).
    full = {name: p.full_tensor().detach() for name, p in model.named_parameters()}
    np.savez(
        out_path,
        W1=full["0.weight"].T.numpy(),  # plumbing
        b1=full["0.bias"].numpy(),  # plumbing
        W2=full["2.weight"].T.numpy(),  # plumbing
        b2=full["2.bias"].numpy(),  # plumbing
        loss=loss.numpy() / world,
        step_s=step_s,
        local_bytes=local_bytes,
        full_bytes=sum(t.nbytes for t in full.values()),
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
    state["results"] = results  # plumbing: for metrics()
    names = ["W1", "b1", "W2", "b2"]
    return {
        **{name: results[0][name] for name in names},
        "loss": results[0]["loss"],
        # Gathered back, the parameters must be the same on every worker.
        "worker_max_abs_diff": max(
            float(np.abs(r[name] - results[0][name]).max()) for r in results for name in names
        ),
    }


def metrics(state):
    results = state["results"]
    return {
        "step_s_2w": max(float(r["step_s"]) for r in results),
        # The largest shard a worker holds between steps, against the whole model.
        "param_bytes_per_worker": max(int(r["local_bytes"]) for r in results),
        "param_bytes_full": int(results[0]["full_bytes"]),
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
