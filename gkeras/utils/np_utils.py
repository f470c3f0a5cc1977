"""NumPy helpers of Keras 2: to_categorical, normalize."""
import numpy as np


def to_categorical(y, num_classes=None, dtype='float32'):
    """Class vector (integers) to a one-hot matrix; a trailing axis of size 1 is replaced."""
    y = np.array(y, dtype='int')
    input_shape = y.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    y = y.ravel()
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: class indices must be non-negative; found {y.min()}.")
    if not num_classes:
        num_classes = int(np.max(y)) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError(f"to_categorical: class index {y.max()} is out of range for "
                         f"num_classes={num_classes}.")
    n = y.shape[0]
    categorical = np.zeros((n, num_classes), dtype=dtype)
    categorical[np.arange(n), y] = 1
    return np.reshape(categorical, input_shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scale x to unit `order`-norm along `axis` (zero vectors stay zero)."""
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
