"""The same ten SGD steps under the TensorFlow profiler, each step one tf.function graph."""

import tensorflow as tf
import with_tensorflow as headline  # the same model, data, profiler session and metrics


def setup(inputs, device="cpu", workdir=None):
    state = headline.setup(inputs, device=device, workdir=workdir)
    model, optimizer, loss_fn = state["model"], state["optimizer"], state["loss_fn"]

    @tf.function(jit_compile=False)  # traced on the first call, inside the first profile
    def train_step(X, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(X, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    state["train_step"] = train_step
    return state


def train(state):
    with tf.device(state["device"]):  # plumbing
        total = tf.zeros(())
        for _ in range(headline.STEPS):
            total += state["train_step"](state["X"], state["y"])
    return total / headline.STEPS


def run(state):
    return headline.profiled(state, train)


def metrics(state):
    return headline.trace_metrics(state, train) | {
        "retraces": state["train_step"].experimental_get_tracing_count() - 1
    }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state)["loss"])
    print(metrics(state))
