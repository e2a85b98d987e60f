"""The same CNN as an nn.Sequential stack, the container closest to keras.Sequential."""

import torch
from torch import nn


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


def setup(inputs, device="cpu"):
    # Full float32 on GPUs too: TensorFloat-32 is PyTorch's default for cuDNN convolutions.
    torch.backends.cudnn.conv.fp32_precision = "ieee"  # plumbing
    model = build_model()
    load_shared_weights(model, inputs)  # plumbing
    model = model.to(device).eval()  # eval(): BatchNorm uses its running statistics
    # The shared images are NHWC; PyTorch's convolutions take NCHW.
    x = torch.from_numpy(inputs["x"]).permute(0, 3, 1, 2).contiguous().to(device)  # plumbing
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"model": model, "x": x, "params": params}


def run(state):
    with torch.inference_mode():
        logits = state["model"](state["x"])
    return {"logits": logits, "trainable_params": state["params"]}


def metrics(state):
    return {"trainable_params": state["params"]}


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
