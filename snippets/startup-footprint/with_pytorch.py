"""Start-up of PyTorch: one small first computation in a fresh process, and the disk space the
installed torch distribution and its requirements take."""

import torch
from footprint import installed


def setup(inputs, device="cpu"):
    return {
        "x": torch.from_numpy(inputs["x"]).to(device),
        "w": torch.from_numpy(inputs["w"]).to(device),
    }


def run(state):
    # The first operation also pays for whatever the framework initialises lazily.
    return {"y": torch.relu(state["x"] @ state["w"])}


def metrics(state):
    size, distributions = installed("torch")
    return {"installed_bytes": size, "distributions": distributions}


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state), metrics(state))
