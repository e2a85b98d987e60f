"""NumPy <-> PyTorch: torch.from_numpy, Tensor.numpy() and DLPack, tested for shared memory."""

import numpy as np
import torch


def setup(inputs, device="cpu"):
    return {"x": inputs["x"], "device": device}


def run(state):
    # NumPy -> tensor -> NumPy. On the CPU neither step copies: the result views state["x"].
    tensor = torch.from_numpy(state["x"])
    tensor = tensor.to(state["device"])  # plumbing
    return tensor.cpu().numpy()


def sees_write(write_to, read_from):
    """Add 1 to an element of the NumPy array `write_to`: 1 if `read_from` shows it, else 0."""
    before = float(read_from[0, 0])
    write_to[0, 0] += 1
    return int(float(read_from[0, 0]) != before)


def metrics(state):
    # Mutation tests in host memory, each on a fresh copy: state["x"] is never written.
    x = state["x"]
    array = x.copy()
    numpy_to_tensor = sees_write(array, torch.from_numpy(array))
    tensor = torch.tensor(x)  # copies: a tensor that owns its memory
    tensor_to_numpy = sees_write(tensor.numpy(), tensor)

    source = x.copy()
    tensor = torch.from_dlpack(source)
    dlpack_import = sees_write(source, tensor)
    # If `tensor` wraps `source`, writing into `source` writes into the tensor's memory.
    view = np.from_dlpack(tensor)
    return {
        "numpy_to_tensor_shares": numpy_to_tensor,
        "tensor_to_numpy_shares": tensor_to_numpy,
        "asarray_shares": sees_write(source, np.asarray(tensor)),
        "dlpack_import_shares": dlpack_import,
        "dlpack_export_shares": sees_write(source, view),
        "dlpack_export_writable": int(view.flags.writeable),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state))
    print(metrics(state))
