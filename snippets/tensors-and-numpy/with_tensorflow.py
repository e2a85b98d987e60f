"""NumPy <-> TensorFlow: tf.convert_to_tensor, .numpy() and DLPack, tested for shared memory."""

import numpy as np
import tensorflow as tf


def setup(inputs, device="cpu"):
    return {"x": inputs["x"], "device": "/GPU:0" if device == "cuda" else "/CPU:0"}


def run(state):
    # NumPy -> tensor -> NumPy: convert_to_tensor copies the array, and .numpy() copies again.
    with tf.device(state["device"]):  # plumbing
        tensor = tf.convert_to_tensor(state["x"])
    return tensor.numpy()


def aligned_copy(array, alignment=64):
    """A copy of `array` whose data starts on an `alignment`-byte boundary."""
    buffer = np.empty(array.nbytes + alignment, dtype=np.uint8)
    start = -buffer.ctypes.data % alignment
    copy = buffer[start : start + array.nbytes].view(array.dtype).reshape(array.shape)
    copy[...] = array
    return copy


def sees_write(write_to, read_from):
    """Add 1 to an element of the NumPy array `write_to`: 1 if `read_from` shows it, else 0."""
    before = float(read_from[0, 0])
    write_to[0, 0] += 1
    return int(float(read_from[0, 0]) != before)


def metrics(state):
    # Mutation tests in host memory, each on a fresh copy: state["x"] is never written.
    x = state["x"]
    with tf.device("/CPU:0"):  # plumbing
        array = x.copy()
        numpy_to_tensor = sees_write(array, tf.convert_to_tensor(array))
        tensor = tf.convert_to_tensor(x)
        tensor_to_numpy = sees_write(tensor.numpy(), tensor)

        # from_dlpack wraps the buffer without checking its alignment, and TensorFlow's CPU
        # kernels abort the process on data that is not 64-byte aligned (NumPy's need not be).
        source = aligned_copy(x)
        # from_dlpack takes a DLPack capsule: it refuses the array itself.
        tensor = tf.experimental.dlpack.from_dlpack(source.__dlpack__())
        dlpack_import = sees_write(source, tensor)
        # If `tensor` wraps `source`, writing into `source` writes into the tensor's memory.
        view = np.from_dlpack(tensor)
        return {
            "numpy_to_tensor_shares": numpy_to_tensor,
            "tensor_to_numpy_shares": tensor_to_numpy,
            "asarray_shares": sees_write(source, np.asarray(tensor)),
            "dlpack_import_shares": dlpack_import,
            "dlpack_export_shares": sees_write(source, view),
            "dlpack_export_writable": int(view.flags.writeable),
        }


if __name__ == "__main__":
    from inputs import make_inputs

    state = setup(make_inputs())
    print(run(state))
    print(metrics(state))
