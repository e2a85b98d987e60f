"""An all-reduce (sum) of a 1 MiB float32 buffer between 2 CPU processes with
torch.distributed over gloo: this process is rank 0, a peer process started in setup rank 1."""

import atexit
import os
import socket
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.distributed as dist

# One extra element after the data carries a flag that only rank 0 sets: 1 means "go on",
# 0 means "stop". It rides in the same all-reduce, so the peer needs no second channel.
CONTINUE, STOP = 1.0, 0.0


def peer(inputs_path, init_method):
    """Rank 1: answers every all-reduce of rank 0 until the reduced flag says stop."""
    torch.set_num_threads(1)  # the harness's thread setting stops at its own process
    torch.set_num_interop_threads(1)
    dist.init_process_group("gloo", init_method=init_method, rank=1, world_size=2)
    send = torch.from_numpy(np.append(np.load(inputs_path)["b"], np.float32(0.0)))
    while True:
        buffer = send.clone()  # all_reduce works in place
        dist.all_reduce(buffer)
        if buffer[-1] == STOP:
            break
    dist.destroy_process_group()


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()
    inputs_path = os.path.join(workdir, "inputs.npz")
    np.savez(inputs_path, **inputs)  # plumbing: the peer loads the same NumPy inputs
    with socket.socket() as s:  # a free port for rank 0's rendezvous store
        s.bind(("localhost", 0))
        init_method = f"tcp://localhost:{s.getsockname()[1]}"
    cmd = [sys.executable, __file__, "--peer", inputs_path, init_method]
    peer_process = subprocess.Popen(cmd)
    dist.init_process_group("gloo", init_method=init_method, rank=0, world_size=2)
    state = {
        "go": torch.from_numpy(np.append(inputs["a"], np.float32(CONTINUE))),
        "stop": torch.from_numpy(np.append(inputs["a"], np.float32(STOP))),
        "peer": peer_process,
    }
    atexit.register(_stop, state)  # the peer must end before this process does
    return state


def _stop(state):
    dist.all_reduce(state["stop"].clone())  # the peer sees the flag 0 and leaves its loop
    state["peer"].wait(timeout=60)
    dist.destroy_process_group()


def run(state):
    buffer = state["go"].clone()  # all_reduce works in place: keep the input as it is
    dist.all_reduce(buffer)  # sum over both processes, in place
    reduced = buffer[:-1]
    return {
        "checksum": reduced.sum(dtype=torch.float64),
        "head": reduced[:4],
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--peer"]:
        peer(sys.argv[2], sys.argv[3])
    else:
        from inputs import make_inputs

        print(run(setup(make_inputs())))
