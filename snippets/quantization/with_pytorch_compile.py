"""Dynamic int8 quantization with torchao, then torch.compile: the path torchao documents
for speed."""

import os
import tempfile

import torch
from torch import nn
from torch._dynamo.utils import counters
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
    quantize_(model, Int8DynamicActivationInt8WeightConfig())
    path = os.path.join(workdir, "mlp_int8.pt")
    torch.save(model.state_dict(), path)
    return {
        # Lazy: Dynamo traces and Inductor compiles the int8 model on the first call.
        "model": torch.compile(model),
        "x": x,
        "reference": reference,
        "bytes": os.path.getsize(path),
        "graphs_before": counters["stats"]["unique_graphs"],
    }


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
        "retraces": counters["stats"]["unique_graphs"] - state["graphs_before"] - 1,
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["logits"][:2], metrics(state))
