"""keras.utils.conv_utils: convert_kernel, and the shape helpers of the convolution layers."""
import numpy as np

from ..backend.spatial import conv_output_length, normalize_tuple  # noqa: F401 (Keras' names)


def convert_kernel(kernel):
    """A convolution kernel (*window, in, out) with its window flipped on every spatial axis:
    between Theano's true convolution and TensorFlow's (and gkeras') correlation, both ways."""
    kernel = np.asarray(kernel)
    if not 3 <= kernel.ndim <= 5:
        raise ValueError(f"convert_kernel: expected the kernel of a 1D, 2D or 3D convolution (3 "
                         f"to 5 axes); received shape {kernel.shape}.")
    flip = tuple(slice(None, None, -1) for _ in range(kernel.ndim - 2)) + (slice(None),) * 2
    return np.copy(kernel[flip])
