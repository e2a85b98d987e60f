"""Export a small PyTorch CNN to ONNX with torch.onnx.export (dynamo) and run it in onnxruntime."""

import os
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

OPSET = 18  # the same opset on both sides (tf2onnx 1.17 goes up to 18)


def build_model(num_classes=10):
    # PyTorch's momentum is the weight of the new batch: Keras's 0.99 is PyTorch's 0.01.
    return nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(16, eps=1e-3, momentum=0.01),
        nn.ReLU(),
        nn.Conv2d(16, 32, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, num_classes),
    )


def load_shared_weights(model, inputs):  # plumbing
    w = {name: torch.from_numpy(a) for name, a in inputs.items()}  # plumbing
    with torch.no_grad():  # plumbing
        for i, conv, bn in [(1, model[0], model[1]), (2, model[3], model[4])]:  # plumbing
            # Shared conv kernels are (kh, kw, in, out); PyTorch's are (out, in, kh, kw).
            conv.weight.copy_(w[f"conv{i}_kernel"].permute(3, 2, 0, 1))  # plumbing
            bn.weight.copy_(w[f"bn{i}_gamma"])  # plumbing
            bn.bias.copy_(w[f"bn{i}_beta"])  # plumbing
            bn.running_mean.copy_(w[f"bn{i}_mean"])  # plumbing
            bn.running_var.copy_(w[f"bn{i}_var"])  # plumbing
        model[-1].weight.copy_(w["dense_kernel"].T)  # (in, out) -> (out, in)  # plumbing
        model[-1].bias.copy_(w["dense_bias"])  # plumbing


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    model = build_model()
    load_shared_weights(model, inputs)  # plumbing
    model.eval()  # BatchNorm uses its running statistics, in the export too
    # The shared images are NHWC; PyTorch's convolutions (and so the exported graph) take NCHW.
    x = torch.from_numpy(inputs["x"]).permute(0, 3, 1, 2).contiguous()  # plumbing
    path = os.path.join(workdir, "cnn.onnx")

    start = time.perf_counter()
    torch.onnx.export(
        model,
        (x,),
        path,
        dynamo=True,  # the default since 2.9: torch.export, then the ONNX translation
        opset_version=OPSET,
        input_names=["x"],
        output_names=["logits"],
        dynamic_shapes=({0: torch.export.Dim("batch")},),  # any batch size, as on the TF side
        external_data=False,  # weights inside cnn.onnx, not in a cnn.onnx.data sidecar
    )
    convert_s = time.perf_counter() - start

    options = ort.SessionOptions()
    # onnxruntime's thread pool ignores torch's setting: give it the same thread count.
    options.intra_op_num_threads = torch.get_num_threads()  # plumbing
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        reference = model(x).numpy()  # the framework's own output, to check the export
    return {
        "session": session,
        "x": x.numpy(),  # onnxruntime takes NumPy arrays
        "reference": reference,
        "convert_s": convert_s,
        "artifact_bytes": os.path.getsize(path),
    }


def run(state):
    (logits,) = state["session"].run(["logits"], {"x": state["x"]})
    return {"logits": logits}


def metrics(state):
    logits = run(state)["logits"]
    return {
        "convert_s": state["convert_s"],
        "artifact_bytes": state["artifact_bytes"],
        "max_abs_diff": float(np.max(np.abs(logits - state["reference"]))),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["logits"][:2], metrics(state))
