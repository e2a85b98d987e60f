"""ResNet-18 from torchvision's model zoo, randomly initialised, one inference forward pass."""

import torch

# torchvision's PyPI wheel is a CUDA build whose C++ ops cannot load next to the CPU torch
# wheel; defining its two NMS schemas first lets the pure-Python model code import.
_shim = torch.library.Library("torchvision", "DEF")  # plumbing
_shim.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")  # plumbing
_shim.define("qnms(Tensor qdets, Tensor qscores, float iou_threshold) -> Tensor")  # plumbing

import torchvision  # noqa: E402  (after the shim above)


def setup(inputs, device="cpu"):
    # weights=None: the architecture with torchvision's own random initialisation, no download.
    model = torchvision.models.resnet18(weights=None).to(device).eval()
    # The shared images are NHWC; PyTorch convolutions take NCHW.
    images = torch.from_numpy(inputs["images"]).permute(0, 3, 1, 2).contiguous()  # plumbing
    return {
        "model": model,
        "images": images.to(device),  # plumbing
        # Trainable parameters only: BatchNorm running statistics are buffers, not parameters.
        "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
    }


def run(state):
    with torch.inference_mode():
        logits = state["model"](state["images"])
    # Weights are not shared, so the logits themselves cannot be compared: return what the
    # architecture fixes (the output shape, the parameter count) and that the pass is finite.
    return {
        "logits_shape": list(logits.shape),
        "trainable_params": state["trainable_params"],
        "finite": int(torch.isfinite(logits).all()),
    }


def metrics(state):
    model = state["model"]
    return {
        "trainable_params": state["trainable_params"],
        # The usual idiom, sum(p.numel() for p in model.parameters()).
        "reported_params": sum(p.numel() for p in model.parameters()),
        "retraces": 0,  # eager: nothing is traced or compiled
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state), metrics(state))
