"""What the ImageNet models share: preprocess_input's three modes, decode_predictions, the
input-shape rules (_obtain_input_shape) and correct_pad.

Ported from keras_applications 1.0.8 (imagenet_utils.py and correct_pad in __init__.py), MIT
License, copyright (c) 2016 - 2018 the respective contributors; the notice is in
gkeras/applications/__init__.py.
"""
import json
import warnings

import numpy as np

from .. import backend
from ..utils.data_utils import get_file

CLASS_INDEX = None
CLASS_INDEX_PATH = ('https://storage.googleapis.com/download.tensorflow.org/'
                    'data/imagenet_class_index.json')
CLASS_INDEX_HASH = 'c2c37ea517e94d9795004a39431a14cb'

_MODES = ('caffe', 'tf', 'torch')
# Per-channel statistics of ImageNet: caffe's mean is in BGR order, torch's are in RGB order.
_CAFFE_MEAN = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def _channel_shape(ndim, data_format):
    """Shape that broadcasts a per-channel vector of 3 against an image or a batch of them."""
    if data_format == 'channels_first':
        return (3, 1, 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)
    return (3,)


def _preprocess_numpy_input(x, data_format, mode):
    """Preprocess a NumPy batch or image in place when it is floating point (as Keras does)."""
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == 'tf':
        x /= 127.5
        x -= 1.
        return x
    if mode == 'torch':
        x /= 255.
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        # RGB -> BGR
        if data_format == 'channels_first':
            x = x[::-1, ...] if x.ndim == 3 else x[:, ::-1, ...]
        else:
            x = x[..., ::-1]
        mean, std = _CAFFE_MEAN, None
    shape = _channel_shape(x.ndim, data_format)
    x -= np.asarray(mean, dtype=x.dtype).reshape(shape)
    if std is not None:
        x /= np.asarray(std, dtype=x.dtype).reshape(shape)
    return x


def _preprocess_tensor_input(x, data_format, mode):
    """The same on a backend tensor (or a CuPy array): returns a new tensor."""
    if mode == 'tf':
        return x / 127.5 - 1.
    ndim = backend.ndim(x)
    if mode == 'torch':
        x = x / 255.
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        channel_axis = (0 if ndim == 3 else 1) if data_format == 'channels_first' else ndim - 1
        x = backend.reverse(x, channel_axis)
        mean, std = _CAFFE_MEAN, None
    shape = _channel_shape(ndim, data_format)
    x = x - backend.constant(np.reshape(mean, shape), dtype=backend.dtype(x))
    if std is not None:
        x = x / backend.constant(np.reshape(std, shape), dtype=backend.dtype(x))
    return x


def preprocess_input(x, data_format=None, mode='caffe'):
    """Preprocess a batch of images (or one image), 3D or 4D, RGB values in [0, 255].

    A floating-point NumPy array is overwritten (pass `np.copy(x)` to keep it); other tensors
    give a new tensor.

    Args:
        data_format: 'channels_last' or 'channels_first' (default: image_data_format()).
        mode: 'caffe' (RGB to BGR, then minus ImageNet's mean per channel, no scaling; VGG and
            ResNet50), 'tf' (scaled to [-1, 1]; Inception, Xception, MobileNet) or 'torch'
            (scaled to [0, 1], then normalized by ImageNet's mean and std per channel;
            DenseNet).
    """
    if data_format is None:
        data_format = backend.image_data_format()
    if data_format not in {'channels_first', 'channels_last'}:
        raise ValueError('Unknown data_format ' + str(data_format))
    if mode not in _MODES:
        raise ValueError(f"preprocess_input: mode must be one of {_MODES}. "
                         f"Received: mode={mode!r}")
    if isinstance(x, np.ndarray):
        return _preprocess_numpy_input(x, data_format=data_format, mode=mode)
    return _preprocess_tensor_input(x, data_format=data_format, mode=mode)


def _load_class_index():
    try:
        fpath = get_file('imagenet_class_index.json', CLASS_INDEX_PATH, cache_subdir='models',
                         file_hash=CLASS_INDEX_HASH)
    except Exception as e:
        raise RuntimeError(
            'decode_predictions needs the ImageNet class index, which could not be downloaded '
            f'from {CLASS_INDEX_PATH} ({e}). Without network access, place that file as '
            'imagenet_class_index.json in the models/ folder of the Keras cache '
            '(~/.keras or $KERAS_HOME).') from e
    with open(fpath) as f:
        return json.load(f)


def decode_predictions(preds, top=5):
    """The `top` classes of each row of ImageNet predictions (samples, 1000), best first, as
    lists of (class_name, class_description, score)."""
    global CLASS_INDEX
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError('`decode_predictions` expects '
                         'a batch of predictions '
                         '(i.e. a 2D array of shape (samples, 1000)). '
                         'Found array with shape: ' + str(preds.shape))
    if CLASS_INDEX is None:
        CLASS_INDEX = _load_class_index()
    results = []
    for pred in preds:
        top_indices = pred.argsort()[-top:][::-1]
        result = [tuple(CLASS_INDEX[str(i)]) + (pred[i],) for i in top_indices]
        result.sort(key=lambda x: x[2], reverse=True)
        results.append(result)
    return results


def _obtain_input_shape(input_shape,
                        default_size,
                        min_size,
                        data_format,
                        require_flatten,
                        weights=None):
    """A model's input shape: `input_shape` validated, or the default one.

    Args:
        default_size: default input width and height of the model.
        min_size: smallest width and height it accepts.
        require_flatten: whether the model ends in a classifier on a flattened feature map
            (then the shape must be fully known).
        weights: None, 'imagenet' (then the input has 3 channels, and with require_flatten
            exactly the default shape) or a path.

    Returns:
        An integer shape tuple (may include None entries).
    """
    if weights != 'imagenet' and input_shape and len(input_shape) == 3:
        if data_format == 'channels_first':
            if input_shape[0] not in {1, 3}:
                warnings.warn(
                    'This model usually expects 1 or 3 input channels. '
                    'However, it was passed an input_shape with ' +
                    str(input_shape[0]) + ' input channels.')
            default_shape = (input_shape[0], default_size, default_size)
        else:
            if input_shape[-1] not in {1, 3}:
                warnings.warn(
                    'This model usually expects 1 or 3 input channels. '
                    'However, it was passed an input_shape with ' +
                    str(input_shape[-1]) + ' input channels.')
            default_shape = (default_size, default_size, input_shape[-1])
    else:
        if data_format == 'channels_first':
            default_shape = (3, default_size, default_size)
        else:
            default_shape = (default_size, default_size, 3)
    if weights == 'imagenet' and require_flatten:
        if input_shape is not None:
            if input_shape != default_shape:
                raise ValueError('When setting `include_top=True` '
                                 'and loading `imagenet` weights, '
                                 '`input_shape` should be ' +
                                 str(default_shape) + '.')
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError('`input_shape` must be a tuple of three integers.')
        if data_format == 'channels_first':
            channels, rows, cols = input_shape
        else:
            rows, cols, channels = input_shape
        if channels != 3 and weights == 'imagenet':
            raise ValueError('The input must have 3 channels; got '
                             '`input_shape=' + str(input_shape) + '`')
        if (rows is not None and rows < min_size) or (cols is not None and cols < min_size):
            raise ValueError('Input size must be at least ' +
                             str(min_size) + 'x' + str(min_size) +
                             '; got `input_shape=' +
                             str(input_shape) + '`')
    else:
        if require_flatten:
            input_shape = default_shape
        else:
            if data_format == 'channels_first':
                input_shape = (3, None, None)
            else:
                input_shape = (None, None, 3)
    if require_flatten:
        if None in input_shape:
            raise ValueError('If `include_top` is True, '
                             'you should specify a static `input_shape`. '
                             'Got `input_shape=' + str(input_shape) + '`')
    return input_shape


def correct_pad(inputs, kernel_size):
    """((top, bottom), (left, right)) zero padding before a stride-2 'valid' convolution that
    puts the window where TensorFlow's 'same' padding would.

    Args:
        inputs: the symbolic tensor the convolution reads.
        kernel_size: an integer or a tuple of 2 integers.
    """
    img_dim = 2 if backend.image_data_format() == 'channels_first' else 1
    input_size = backend.int_shape(inputs)[img_dim:(img_dim + 2)]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    if input_size[0] is None:
        adjust = (1, 1)
    else:
        adjust = (1 - input_size[0] % 2, 1 - input_size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]),
            (correct[1] - adjust[1], correct[1]))
