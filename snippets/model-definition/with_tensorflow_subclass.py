"""The same CNN as a subclassed keras.Model: layers in __init__, the forward pass in call()."""

import keras
import tensorflow as tf

# The shared arrays in the order of model.weights (kernels already in Keras layout).
WEIGHTS = [  # plumbing
    *("conv1_kernel", "bn1_gamma", "bn1_beta", "bn1_mean", "bn1_var"),
    *("conv2_kernel", "bn2_gamma", "bn2_beta", "bn2_mean", "bn2_var"),
    *("dense_kernel", "dense_bias"),
]


class SmallCNN(keras.Model):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = keras.layers.Conv2D(16, 3, padding="same", use_bias=False)
        self.bn1 = keras.layers.BatchNormalization(momentum=0.99, epsilon=1e-3)
        self.conv2 = keras.layers.Conv2D(32, 3, padding="same", use_bias=False)
        self.bn2 = keras.layers.BatchNormalization(momentum=0.99, epsilon=1e-3)
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.fc = keras.layers.Dense(num_classes)

    def call(self, x):
        # Keras passes the call's `training` flag on to the BatchNormalization layers.
        x = keras.ops.relu(self.bn1(self.conv1(x)))
        x = keras.ops.relu(self.bn2(self.conv2(x)))
        return self.fc(self.pool(x))


def count_trainable(model):
    # model.count_params() would also count BatchNormalization's moving statistics.
    return sum(int(v.numpy().size) for v in model.trainable_weights)


def setup(inputs, device="cpu"):
    # Full float32 on GPUs too: TensorFloat-32 is TensorFlow's default for convolutions there.
    tf.config.experimental.enable_tensor_float_32_execution(False)  # plumbing
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = SmallCNN()
        # A subclassed model creates its weights on its first call: a symbolic one is enough.
        # (model.build(shape) only warns here: the model has no build() of its own.)
        model(keras.Input(shape=(32, 32, 3)))
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
