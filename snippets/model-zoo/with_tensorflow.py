"""ResNet-18 from KerasHub, randomly initialised, one eager inference call."""

import math

import keras_hub
import tensorflow as tf


def build_resnet18():
    # KerasHub's "resnet_18_imagenet" preset configuration, built from its arguments so that
    # nothing is downloaded: random weights from Keras's own initialisers.
    backbone = keras_hub.models.ResNetBackbone(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[7],
        stackwise_num_filters=[64, 128, 256, 512],
        stackwise_num_blocks=[2, 2, 2, 2],
        stackwise_num_strides=[1, 2, 2, 2],
        block_type="basic_block",
        use_pre_activation=False,  # ResNet v1 (post-activation), as torchvision's
        image_shape=(224, 224, 3),
    )
    # The same head as torchvision's: global average pooling and a 1000-way Dense layer.
    return keras_hub.models.ResNetImageClassifier(
        backbone=backbone, num_classes=1000, pooling="avg", activation=None
    )


def setup(inputs, device="cpu"):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = build_resnet18()
        images = tf.constant(inputs["images"])
    return {
        "model": model,
        "images": images,
        "device": device,
        # Trainable weights only: Keras also counts BatchNorm moving statistics as weights.
        "trainable_params": sum(math.prod(w.shape) for w in model.trainable_weights),
    }


def run(state):
    with tf.device(state["device"]):  # plumbing
        # Eager call; training=False makes BatchNorm use its moving statistics.
        logits = state["model"](state["images"], training=False)
    # Weights are not shared, so the logits themselves cannot be compared: return what the
    # architecture fixes (the output shape, the parameter count) and that the pass is finite.
    return {
        "logits_shape": list(logits.shape),
        "trainable_params": state["trainable_params"],
        "finite": int(tf.reduce_all(tf.math.is_finite(logits))),
    }


def metrics(state):
    return {
        "trainable_params": state["trainable_params"],
        # The usual idiom, model.count_params() (what model.summary() prints as Total params).
        "reported_params": state["model"].count_params(),
        "retraces": 0,  # eager: nothing is traced
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state), metrics(state))
