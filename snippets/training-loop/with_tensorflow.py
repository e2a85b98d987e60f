"""One epoch of minibatch SGD on an MLP with a hand-written TensorFlow training loop."""

import keras
import tensorflow as tf

BATCH_SIZE = 64


def setup(inputs, device="cpu"):
    device = "/GPU:0" if device == "cuda" else "/CPU:0"  # plumbing
    with tf.device(device):  # plumbing
        model = keras.Sequential(
            [
                keras.Input(shape=(32,)),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(1),
            ]
        )
        # Keras Dense kernels are (in, out), the layout of the shared weights.
        model.set_weights([inputs[k] for k in ["W1", "b1", "W2", "b2"]])  # plumbing
        optimizer = keras.optimizers.SGD(learning_rate=0.05)
        loss_fn = keras.losses.MeanSquaredError()

        @tf.function  # the step as one graph, as TensorFlow's custom-loop guide writes it
        def train_step(xb, yb):
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, model(xb, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
            return loss

        X, y = tf.constant(inputs["X"]), tf.constant(inputs["y"])
    return {"model": model, "train_step": train_step, "X": X, "y": y, "device": device}


def run(state):
    model, train_step = state["model"], state["train_step"]
    X, y = state["X"], state["y"]
    with tf.device(state["device"]):  # plumbing
        total_loss = tf.zeros(())
        n_batches = 0
        for start in range(0, X.shape[0], BATCH_SIZE):  # in order, like the PyTorch loop
            total_loss += train_step(X[start : start + BATCH_SIZE], y[start : start + BATCH_SIZE])
            n_batches += 1
    return {
        # Mean of the batch losses over the epoch, as the PyTorch side reports it.
        "loss": float(total_loss / n_batches),
        "w_out": model.layers[-1].kernel.numpy(),
    }


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(setup(make_inputs())))
