"""A small CNN as a keras.Sequential stack: conv-BN-ReLU twice, global average pool, dense."""

import keras
import tensorflow as tf

# The shared arrays in the order of model.weights (kernels already in Keras layout).
WEIGHTS = [  # plumbing
    *("conv1_kernel", "bn1_gamma", "bn1_beta", "bn1_mean", "bn1_var"),
    *("conv2_kernel", "bn2_gamma", "bn2_beta", "bn2_mean", "bn2_var"),
    *("dense_kernel", "dense_bias"),
]


def build_model(num_classes=10):
    return keras.Sequential(
        [
            keras.Input(shape=(32, 32, 3)),  # NHWC, Keras's default layout
            keras.layers.Conv2D(16, 3, padding="same", use_bias=False),
            keras.layers.BatchNormalization(momentum=0.99, epsilon=1e-3),
            keras.layers.ReLU(),
            keras.layers.Conv2D(32, 3, padding="same", use_bias=False),
            keras.layers.BatchNormalization(momentum=0.99, epsilon=1e-3),
            keras.layers.ReLU(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_classes),
        ]
    )


def count_trainable(model):
    # model.count_params() would also count BatchNormalization's moving statistics.
    return sum(int(v.numpy().size) for v in model.trainable_weights)


def setup(inputs, device="cpu"):
    # Full float32 on GPUs too: TensorFloat-32 is TensorFlow's default for convolutions there.
    tf.config.experimental.enable_tensor_float_32_execution(False)  # plumbing
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = build_model()
        model.set_weights([inputs[name] for name in WEIGHTS])  # plumbing
        x = tf.constant(inputs["x"])  # plumbing
    return {"model": model, "x": x, "params": count_trainable(model), "device": device}


def run(state):
    with tf.device(state["device"]):  # plumbing
        # training=False: BatchNormalization uses its moving statistics.
        logits = state["model"](state["x"], training=False)
    return {"logits": logits, "trainable_params": state["params"]}


def metrics(state):
    return {"trainable_params": state["params"]}


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
