"""One line: what this snippet does with PyTorch."""

import torch


def setup(inputs, device="cpu"):
    # Build models and tensors here: this is timed separately from run().
    return {"x": torch.from_numpy(inputs["x"]).to(device)}


def run(state):
    # The timed unit of work. Its first return value is compared with TensorFlow's.
    return state["x"].sum(dim=0)


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
