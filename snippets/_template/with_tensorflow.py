"""One line: what this snippet does with TensorFlow."""

import tensorflow as tf


def setup(inputs, device="cpu", workdir=None):
    # Build models and tensors here: this is timed separately from run(). Each keyword is
    # passed only if named here: `device` ("cpu" or "cuda"), `workdir` (this process's scratch
    # folder, the only place a snippet may write; None when run on its own). Drop the unused.
    with tf.device("/GPU:0" if device == "cuda" else "/CPU:0"):
        return {"x": tf.constant(inputs["x"])}


def run(state):
    # The timed unit of work. Its first return value is compared with PyTorch's.
    return tf.reduce_sum(state["x"], axis=0)


# Optional: the same work as run() without compilation (when run() compiles); the page then
# shows the speed-up and after how many calls compiling pays off.
# def eager(state):
#     ...


# Optional: the numbers declared under `metrics` in feature.yml, read after the timed calls.
# def metrics(state):
#     return {"artifact_bytes": 0}


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
