"""A PyTorch CNN exported to ONNX and run in a web page (headless Chromium, onnxruntime-web)."""

import os
import tempfile
import time

import torch
from chromium_ort import ChromiumOrtSession
from torch import nn


def build_cnn(inputs):
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(128, 10),
    )
    with torch.no_grad():  # plumbing
        for i, conv in enumerate([model[0], model[3], model[6]], start=1):  # plumbing
            # Shared kernels are (kh, kw, in, out); PyTorch's are (out, in, kh, kw).
            kernel = torch.from_numpy(inputs[f"conv{i}_kernel"])  # plumbing
            conv.weight.copy_(kernel.permute(3, 2, 0, 1))  # plumbing
            conv.bias.copy_(torch.from_numpy(inputs[f"conv{i}_bias"]))  # plumbing
        model[10].weight.copy_(torch.from_numpy(inputs["dense_kernel"]).T)  # plumbing
        model[10].bias.copy_(torch.from_numpy(inputs["dense_bias"]))  # plumbing
    return model.eval()


def setup(inputs, workdir=None):
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    model = build_cnn(inputs)
    # The shared image is NHWC; the PyTorch model (and so its ONNX graph) takes NCHW.
    image = torch.from_numpy(inputs["image"]).permute(0, 3, 1, 2).contiguous()  # plumbing
    path = os.path.join(workdir, "cnn.onnx")
    start = time.perf_counter()
    # One self-contained file (weights inline), which a page can fetch in one request.
    torch.onnx.export(model, (image,), path, dynamo=True, external_data=False)
    export_s = time.perf_counter() - start
    with torch.inference_mode():
        reference = model(image).numpy()
    session = ChromiumOrtSession(path, image.numpy(), workdir)
    return {"session": session, "path": path, "export_s": export_s, "reference": reference}


def run(state):
    # One inference in onnxruntime-web (wasm, one thread) in the page, the logits read back.
    return state["session"].run()


def metrics(state):
    logits = state["session"].run()
    return {
        "onnx_bytes": os.path.getsize(state["path"]),
        "export_s": state["export_s"],
        "max_abs_diff": float(abs(logits - state["reference"]).max()),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state), metrics(state))
