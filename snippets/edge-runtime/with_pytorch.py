"""Lower a small PyTorch CNN to an ExecuTorch .pte (XNNPACK) and run it with ExecuTorch."""

import os
import tempfile
import time

import numpy as np
import torch
from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
from executorch.exir import to_edge_transform_and_lower
from executorch.extension.pybindings import portable_lib
from executorch.runtime import Runtime
from torch import nn


class CNN(nn.Module):
    # Named layers, not a top-level nn.Sequential: ExecuTorch 1.4's XNNPACK batch-norm fusion
    # crashes on parameters named "0.weight" (pytorch/executorch#21541).
    def __init__(self, num_classes=10):
        super().__init__()
        # PyTorch's momentum is the weight of the new batch: Keras's 0.99 is PyTorch's 0.01.
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16, eps=1e-3, momentum=0.01)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32, eps=1e-3, momentum=0.01)
        self.pool = nn.AdaptiveAvgPool2d(1)  # global average pooling
        self.dense = nn.Linear(32, num_classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.dense(torch.flatten(self.pool(x), 1))


def load_shared_weights(model, inputs):  # plumbing
    w = {name: torch.from_numpy(a) for name, a in inputs.items()}  # plumbing
    with torch.no_grad():  # plumbing
        for i in (1, 2):  # plumbing
            conv, bn = getattr(model, f"conv{i}"), getattr(model, f"bn{i}")  # plumbing
            # Shared conv kernels are (kh, kw, in, out); PyTorch's are (out, in, kh, kw).
            conv.weight.copy_(w[f"conv{i}_kernel"].permute(3, 2, 0, 1))  # plumbing
            bn.weight.copy_(w[f"bn{i}_gamma"])  # plumbing
            bn.bias.copy_(w[f"bn{i}_beta"])  # plumbing
            bn.running_mean.copy_(w[f"bn{i}_mean"])  # plumbing
            bn.running_var.copy_(w[f"bn{i}_var"])  # plumbing
        model.dense.weight.copy_(w["dense_kernel"].T)  # (in, out) -> (out, in)  # plumbing
        model.dense.bias.copy_(w["dense_bias"])  # plumbing


def fully_delegated(edge):
    # After lowering, every compute node should be a call into the XNNPACK delegate; getitem
    # only unpacks the delegate's outputs.
    graph = edge.exported_program().graph_module.graph
    ops = [n.target for n in graph.nodes if n.op == "call_function"]
    return all(getattr(op, "__name__", "") in ("executorch_call_delegate", "getitem") for op in ops)


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    # ExecuTorch's XNNPACK threadpool ignores torch's setting: give it the same thread count.
    if portable_lib._threadpool_get_thread_count() != torch.get_num_threads():  # plumbing
        portable_lib._unsafe_reset_threadpool(torch.get_num_threads())  # plumbing
    model = CNN()
    load_shared_weights(model, inputs)  # plumbing
    model.eval()  # BatchNorm uses its running statistics; XNNPACK fuses it into the conv
    # The shared image is NHWC; PyTorch's convolutions (and so the program) take NCHW.
    x = torch.from_numpy(inputs["x"]).permute(0, 3, 1, 2).contiguous()  # plumbing
    path = os.path.join(workdir, "cnn.pte")

    start = time.perf_counter()
    exported = torch.export.export(model, (x,))
    edge = to_edge_transform_and_lower(exported, partitioner=[XnnpackPartitioner()])
    program = edge.to_executorch()
    with open(path, "wb") as f:
        f.write(program.buffer)
    convert_s = time.perf_counter() - start

    method = Runtime.get().load_program(path).load_method("forward")
    with torch.inference_mode():
        reference = model(x).numpy()  # the framework's own output, to check the program
    return {
        "method": method,
        "x": x,
        "reference": reference,
        "convert_s": convert_s,
        "artifact_bytes": os.path.getsize(path),
        "delegated": int(fully_delegated(edge)),
    }


def run(state):
    (logits,) = state["method"].execute([state["x"]])
    return {"logits": logits}


def metrics(state):
    logits = run(state)["logits"].numpy()
    return {
        "convert_s": state["convert_s"],
        "artifact_bytes": state["artifact_bytes"],
        "fully_delegated": state["delegated"],
        "max_abs_diff": float(np.max(np.abs(logits - state["reference"]))),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["logits"], metrics(state))
