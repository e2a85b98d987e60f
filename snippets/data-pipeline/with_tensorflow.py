"""One epoch of a tf.data pipeline (index -> map -> batch) without parallelism."""

import statistics
import time

import tensorflow as tf

BATCH_SIZE, CROP = 64, 28


def setup(inputs):
    with tf.device("/CPU:0"):  # plumbing: tf.data runs on the CPU
        images = tf.constant(inputs["images"])  # (N, H, W, C) uint8
        labels = tf.constant(inputs["labels"])
        mean, std = tf.constant(inputs["mean"]), tf.constant(inputs["std"])

    def load_example(i):
        """Example i: a 28x28 crop at an offset set by i, flipped when i is odd, normalised."""
        top, left = i % 5, (i // 5) % 5  # augmentation fixed by the index: no RNG
        x = images[i, top : top + CROP, left : left + CROP]
        if i % 2 == 1:  # AutoGraph turns this into a tf.cond when map traces the function
            x = tf.reverse(x, axis=[1])  # horizontal flip (axis 1 is the width in H, W, C)
        x = (tf.cast(x, tf.float32) / 255 - mean) / std
        return x, labels[i]

    # The shared shuffle order as the source, instead of .shuffle(buffer_size); map traces
    # load_example into a graph here, in setup. No num_parallel_calls and no prefetch: one
    # element at a time, like a DataLoader with num_workers=0.
    dataset = tf.data.Dataset.from_tensor_slices(inputs["order"]).map(load_example)
    dataset = dataset.batch(BATCH_SIZE)
    return {"dataset": dataset, "first_batch_s": []}


def run(state):
    sums, labels = [], []
    with tf.device("/CPU:0"):  # plumbing
        start = time.perf_counter()  # plumbing
        for i, (xb, yb) in enumerate(state["dataset"]):
            if i == 0:
                state["first_batch_s"].append(time.perf_counter() - start)  # plumbing
                first = xb
            # What the "training step" does with each batch here: a float64 sum over its examples.
            sums.append(tf.reduce_sum(tf.cast(xb, tf.float64), axis=0))
            labels.append(yb)
        return {"first_batch": first, "batch_sums": tf.stack(sums), "labels": tf.concat(labels, 0)}


def metrics(state):
    times = state["first_batch_s"]
    return {
        "first_batch_s": statistics.median(times[1:] or times),
        "first_batch_cold_s": times[0],
    }


if __name__ == "__main__":
    from inputs import make_inputs

    out = run(setup(make_inputs()))
    print({k: tuple(v.shape) for k, v in out.items()}, float(tf.reduce_sum(out["batch_sums"])))
