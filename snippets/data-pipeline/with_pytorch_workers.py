"""One epoch of a map-style Dataset read through a torch DataLoader with 2 worker processes."""

import statistics
import time

import torch
from torch.utils.data import DataLoader, Dataset

BATCH_SIZE, CROP = 64, 28


class AugmentedImages(Dataset):
    """Example i: a 28x28 crop at an offset set by i, flipped when i is odd, normalised."""

    def __init__(self, images, labels, mean, std):
        self.images = torch.from_numpy(images)  # (N, H, W, C) uint8
        self.labels = torch.from_numpy(labels)
        self.mean, self.std = torch.from_numpy(mean), torch.from_numpy(std)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        top, left = i % 5, (i // 5) % 5  # augmentation fixed by the index: no RNG
        x = self.images[i, top : top + CROP, left : left + CROP]
        if i % 2 == 1:
            x = x.flip(1)  # horizontal flip (axis 1 is the width in H, W, C)
        x = (x.float() / 255 - self.mean) / self.std
        return x.permute(2, 0, 1), self.labels[i]  # channels first, as PyTorch models expect


def setup(inputs):
    dataset = AugmentedImages(inputs["images"], inputs["labels"], inputs["mean"], inputs["std"])
    loader = DataLoader(
        dataset,
        batch_size=BATCH_SIZE,
        sampler=inputs["order"].tolist(),  # the shared shuffle order, instead of shuffle=True
        num_workers=2,  # two worker processes, started by every epoch's iterator
        persistent_workers=False,  # the default, explicit: the workers end with each epoch
        prefetch_factor=2,  # the default: batches in flight per worker
    )
    return {"loader": loader, "first_batch_s": []}


def run(state):
    sums, labels = [], []
    start = time.perf_counter()  # plumbing
    for i, (xb, yb) in enumerate(state["loader"]):
        if i == 0:
            state["first_batch_s"].append(time.perf_counter() - start)  # plumbing
            first = xb
        # What the "training step" does with each batch here: a float64 sum over its examples.
        sums.append(xb.double().sum(0))
        labels.append(yb)
    return {
        "first_batch": first.permute(0, 2, 3, 1),  # plumbing: TensorFlow's (N, H, W, C) layout
        "batch_sums": torch.stack(sums).permute(0, 2, 3, 1),  # plumbing: (H, W, C) too
        "labels": torch.cat(labels),
    }


def metrics(state):
    times = state["first_batch_s"]
    return {
        "first_batch_s": statistics.median(times[1:] or times),
        "first_batch_cold_s": times[0],
    }


if __name__ == "__main__":
    from inputs import make_inputs

    out = run(setup(make_inputs()))
    print({k: tuple(v.shape) for k, v in out.items()}, float(out["batch_sums"].sum()))
