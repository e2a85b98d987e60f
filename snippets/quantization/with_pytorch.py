"""Post-training dynamic int8 quantization of an MLP with torchao, run in eager PyTorch."""

import os
import tempfile

import torch
from torch import nn
from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_


def build_model(inputs):
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    )
    with torch.no_grad():  # plumbing
        for i, linear in enumerate([model[0], model[2], model[4]], start=1):  # plumbing
            # nn.Linear stores its weight as (out, in); the shared kernel is (in, out).
            linear.weight.copy_(torch.from_numpy(inputs[f"W{i}"]).T)  # plumbing
            linear.bias.copy_(torch.from_numpy(inputs[f"b{i}"]))  # plumbing
    return model.eval()


def setup(inputs, device="cpu", workdir=None):
    workdir = workdir or tempfile.mkdtemp()  # plumbing
    model = build_model(inputs).to(device)
    x = torch.from_numpy(inputs["x"]).to(device)  # plumbing
    with torch.inference_mode():
        reference = model(x)  # the fp32 model's logits, for the drift metrics
    # In place: every nn.Linear's weight becomes int8 (per output channel, symmetric); each
    # call quantizes its input to int8 per row and multiplies in int8.
    quantize_(model, Int8DynamicActivationInt8WeightConfig())
    path = os.path.join(workdir, "mlp_int8.pt")
    torch.save(model.state_dict(), path)
    return {"model": model, "x": x, "reference": reference, "bytes": os.path.getsize(path)}


def run(state):
    with torch.inference_mode():
        return {"logits": state["model"](state["x"])}


def metrics(state):
    logits, reference = run(state)["logits"], state["reference"]
    agree = logits.argmax(dim=1) == reference.argmax(dim=1)
    return {
        "model_bytes": state["bytes"],
        "max_abs_diff_vs_fp32": (logits - reference).abs().max().item(),
        "argmax_agreement": agree.float().mean().item(),
        "retraces": 0,  # eager: nothing is traced or compiled
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["logits"][:2], metrics(state))
