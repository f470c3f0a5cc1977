"""Keras 2's image preprocessing: ImageDataGenerator and its iterators, the affine, channel and
brightness transforms, and the PIL conversions (array_to_img, img_to_array, load_img, save_img).

Keras 2.2.5's names and signatures with tf_keras 2.21's numbers where the two differ:
apply_affine_transform swaps the matrix's x and y (so 'tx' moves columns, and a non-square image
turns about the centre with height and width exchanged) and centres on (size - 1) / 2, where
keras_preprocessing 1.1 neither swaps nor centres there; ZCA whitening is
sqrt(n) / (s + zca_epsilon) over the singular values s of the data. The random draws are
keras_preprocessing's, in the same order, from NumPy's global RNG, so a seed gives the same
transforms. scipy.ndimage.affine_transform is replaced by `_affine_sample`, which reproduces its
order-0 and order-1 interpolation and its 'constant', 'nearest', 'reflect' and 'wrap' borders in
NumPy; PIL's brightness enhancement is reproduced in NumPy too. PIL stays optional: only reading
and writing image files needs it.
"""
import math
import os
import threading
import warnings

import numpy as np

from ..backend import config
from ..utils.data_utils import Sequence

try:
    from PIL import Image as pil_image
except ImportError:
    pil_image = None

_FILL_MODES = ('constant', 'nearest', 'reflect', 'wrap')


def _require_pil(what):
    if pil_image is None:
        raise ImportError(f"Could not import PIL.Image. The use of `{what}` requires PIL.")


# ---------------------------------------------------------------------------------------------
# scipy.ndimage.affine_transform(order=0 or 1) in NumPy
# ---------------------------------------------------------------------------------------------
def _map_coordinate(coord, size, mode):
    """scipy.ndimage's map_coordinate: a coordinate outside [0, size - 1] brought back inside
    by the border `mode` ('constant' gives -1, read as "use cval"). Float64 arrays in and out;
    the arithmetic (C truncating divisions included) is scipy's, step for step."""
    coord = np.array(coord, dtype=np.float64)
    low, high = coord < 0, coord > size - 1
    if mode == 'nearest':
        coord[low], coord[high] = 0.0, size - 1.0
    elif mode == 'constant':
        coord[low | high] = -1.0
    elif size <= 1:
        coord[low | high] = 0.0
    elif mode == 'mirror':
        period = 2.0 * size - 2.0
        c = coord[low]
        c = period * np.trunc(-c / period) + c
        coord[low] = np.where(c <= 1 - size, c + period, -c)
        c = coord[high]
        c = c - period * np.trunc(c / period)
        coord[high] = np.where(c >= size, period - c, c)
    elif mode == 'reflect':
        period = 2.0 * size
        c = coord[low]
        c = np.where(c < -period, period * np.trunc(-c / period) + c, c)
        coord[low] = np.where(c < -size, c + period, np.where(c > -1e-15, 1e-15, -c) - 1)
        c = coord[high]
        c = c - period * np.trunc(c / period)
        coord[high] = np.where(c >= size, period - c - 1, c)
    elif mode == 'wrap':
        # scipy's 'wrap' repeats with period size - 1 (its 'grid-wrap' would use size)
        period = size - 1.0
        c = coord[low]
        coord[low] = c + period * (np.trunc(-c / period) + 1)
        c = coord[high]
        coord[high] = c - period * np.trunc(c / period)
    return coord


def _axis_taps(coord, size, mode, order):
    """For one axis: the input indices of the order + 1 interpolation taps, their weights
    (None for order 0) and where the point takes cval, as scipy's NI_GeometricTransform."""
    if mode != 'nearest':
        coord = _map_coordinate(coord, size, mode)
    outside = coord <= -1.0 if mode != 'nearest' else np.zeros(coord.shape, bool)
    start = np.floor(coord) if order == 1 else np.floor(coord + 0.5)
    # taps beyond the edge read the input mirrored, except in 'nearest' and 'reflect'
    tap_mode = 'mirror' if mode in ('constant', 'wrap') else mode
    taps = [_map_coordinate(start + k, size, tap_mode).astype(np.intp) for k in range(order + 1)]
    if order == 0:
        return taps, None, outside
    w0 = 1.0 - (coord - np.floor(coord))
    return taps, [w0, 1.0 - w0], outside


def _affine_sample(channels, matrix, offset, mode, cval, order):
    """scipy.ndimage.affine_transform(channel, matrix, offset, order=order, mode=mode,
    cval=cval) for every (H, W) channel of `channels` (C, H, W) at once: output pixel (i, j)
    reads the input at matrix @ (i, j) + offset."""
    _, height, width = channels.shape
    rows, cols = np.meshgrid(np.arange(height, dtype=np.float64),
                             np.arange(width, dtype=np.float64), indexing='ij')
    row_coord = (offset[0] + rows * matrix[0, 0]) + cols * matrix[0, 1]
    col_coord = (offset[1] + rows * matrix[1, 0]) + cols * matrix[1, 1]
    row_taps, row_weights, row_out = _axis_taps(row_coord, height, mode, order)
    col_taps, col_weights, col_out = _axis_taps(col_coord, width, mode, order)
    values = channels.astype(np.float64, copy=False)
    total = 0.0
    for a, row_tap in enumerate(row_taps):
        for b, col_tap in enumerate(col_taps):
            term = values[:, row_tap, col_tap]
            if order:
                term = term * row_weights[a] * col_weights[b]
            total = total + term
    total = np.where(row_out | col_out, float(cval), total)
    return _cast_like_scipy(total, channels.dtype)


def _cast_like_scipy(values, dtype):
    """The float64 results stored in `dtype` as scipy stores them (integers rounded half away
    from zero and clipped to the type's range)."""
    if dtype.kind in 'iu':
        info = np.iinfo(dtype)
        values = np.where(values > 0, values + 0.5, values - 0.5 if dtype.kind == 'i' else 0.0)
        values = np.trunc(np.clip(values, info.min, info.max))
    return values.astype(dtype)


# ---------------------------------------------------------------------------------------------
# transforms of one image
# ---------------------------------------------------------------------------------------------
def flip_axis(x, axis):
    x = np.asarray(x).swapaxes(axis, 0)
    x = x[::-1, ...]
    return x.swapaxes(0, axis)


def transform_matrix_offset_center(matrix, x, y):
    o_x = float(x) / 2 - 0.5
    o_y = float(y) / 2 - 0.5
    offset_matrix = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset_matrix = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return np.dot(np.dot(offset_matrix, matrix), reset_matrix)


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=0, col_axis=1,
                           channel_axis=2, fill_mode='nearest', cval=0., order=1):
    """Rotation `theta` and `shear` (degrees), shift (tx, ty) and zoom (zx, zy) of the image
    `x` (3D), combined into one matrix about the image centre and sampled with interpolation
    `order` (0 or 1); points outside the input are filled per `fill_mode`: 'constant' (cval),
    'nearest', 'reflect' (half-sample symmetric) or 'wrap'."""
    axes = {row_axis, col_axis, channel_axis}
    if len(axes) != 3:
        raise ValueError("'row_axis', 'col_axis', and 'channel_axis' must be distinct")
    if axes != {0, 1, 2}:
        raise ValueError(f"Invalid axis' indices: {axes - {0, 1, 2}}")
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError("Input arrays must be multi-channel 2D images.")
    if channel_axis not in (0, 2):
        raise ValueError("Channels are allowed and the first and last dimensions.")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"apply_affine_transform: `fill_mode` should be one of {_FILL_MODES}. "
                         f"Received: fill_mode={fill_mode!r}")
    if order not in (0, 1):
        raise ValueError("apply_affine_transform: gkeras interpolates with `order` 0 or 1 "
                         f"only. Received: order={order!r}")

    # the angles' sines and cosines from the math module: correctly rounded, as NumPy 2's are
    # (NumPy 1.x's vectorized ones differ in the last bit, which moves sampling points that fall
    # on a border and changes the image); tf_keras computes them with NumPy
    transform_matrix = None
    if theta != 0:
        theta = math.radians(theta)
        transform_matrix = np.array([[math.cos(theta), -math.sin(theta), 0],
                                     [math.sin(theta), math.cos(theta), 0],
                                     [0, 0, 1]])
    for needed, matrix in (
            (tx != 0 or ty != 0, lambda: np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])),
            (shear != 0, lambda: np.array([[1, -math.sin(math.radians(shear)), 0],
                                           [0, math.cos(math.radians(shear)), 0],
                                           [0, 0, 1]])),
            (zx != 1 or zy != 1, lambda: np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))):
        if needed:
            transform_matrix = matrix() if transform_matrix is None else \
                np.dot(transform_matrix, matrix())
    if transform_matrix is None:
        return x

    h, w = x.shape[row_axis], x.shape[col_axis]
    transform_matrix = transform_matrix_offset_center(transform_matrix, h, w)
    # tf_keras builds the matrix in (x, y) = (column, row) order and swaps it into the
    # array's (row, column) order
    if col_axis > row_axis:
        transform_matrix[:, [0, 1]] = transform_matrix[:, [1, 0]]
        transform_matrix[[0, 1]] = transform_matrix[[1, 0]]
    out = _affine_sample(np.rollaxis(x, channel_axis, 0), transform_matrix[:2, :2],
                         transform_matrix[:2, 2], fill_mode, cval, order)
    return np.rollaxis(out, 0, channel_axis + 1)


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                    cval=0., interpolation_order=1):
    """Rotate `x` by an angle drawn uniformly from [-rg, rg) degrees."""
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                 cval=0., interpolation_order=1):
    """Shift `x` by fractions of its height (from [-hrg, hrg)) and width (from [-wrg, wrg))."""
    h, w = x.shape[row_axis], x.shape[col_axis]
    tx = np.random.uniform(-hrg, hrg) * h
    ty = np.random.uniform(-wrg, wrg) * w
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                 cval=0., interpolation_order=1):
    """Shear `x` by an angle drawn uniformly from [-intensity, intensity) degrees."""
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                cval=0., interpolation_order=1):
    """Zoom `x` by (zx, zy) drawn uniformly from zoom_range = (lower, upper)."""
    if len(zoom_range) != 2:
        raise ValueError('`zoom_range` should be a tuple or list of two floats. Received: '
                         f'{zoom_range}')
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Add `intensity` to every channel, clipped to the image's original [min, max]."""
    x = np.rollaxis(x, channel_axis, 0)
    min_x, max_x = np.min(x), np.max(x)
    x = np.stack([np.clip(x_channel + intensity, min_x, max_x) for x_channel in x], axis=0)
    return np.rollaxis(x, 0, channel_axis + 1)


def random_channel_shift(x, intensity_range, channel_axis=0):
    intensity = np.random.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def _to_uint8_image(x, data_format, scale, dtype):
    """array_to_img's pixels: (H, W, C) uint8 (float32 arithmetic, truncating cast)."""
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3:
        raise ValueError('Expected image array to have rank 3 (single image). '
                         f'Got array with shape: {x.shape}')
    if data_format not in {'channels_first', 'channels_last'}:
        raise ValueError(f'Invalid data_format: {data_format}')
    if data_format == 'channels_first':
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    if x.shape[2] not in (1, 3, 4):
        raise ValueError(f'Unsupported channel number: {x.shape[2]}')
    return x


def apply_brightness_shift(x, brightness, scale=True):
    """PIL's ImageEnhance.Brightness(array_to_img(x)).enhance(brightness) as an array: the
    image scaled to [0, 255] (when `scale`, or when it leaves that range), truncated to
    uint8, each colour byte multiplied by the float32 factor, clipped and truncated as PIL's
    blend with a black image does (an alpha channel is kept), and scaled back to x's range
    when `scale` is False. Computed in NumPy: PIL is not needed."""
    data_format, dtype = config.image_data_format(), config.floatx()
    x_min, x_max = np.min(x), np.max(x)
    local_scale = (x_min < 0) or (x_max > 255)
    pixels = _to_uint8_image(x, data_format, local_scale or scale, dtype).astype('uint8')
    factor = np.float32(brightness)
    colours = pixels[..., :3] if pixels.shape[2] == 4 else pixels
    if factor != 1:
        blended = factor * colours.astype(np.float32)
        colours[...] = np.trunc(np.clip(blended, 0, 255)).astype('uint8')
    out = pixels.astype(dtype)
    if data_format == 'channels_first':
        out = out.transpose(2, 0, 1)
    if not scale and local_scale:
        out = out / 255 * (x_max - x_min) + x_min
    return out


def random_brightness(x, brightness_range, scale=True):
    if len(brightness_range) != 2:
        raise ValueError('`brightness_range should be tuple or list of two floats. Received: '
                         f'{brightness_range}')
    u = np.random.uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, u, scale)


# ---------------------------------------------------------------------------------------------
# PIL conversions and files
# ---------------------------------------------------------------------------------------------
def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image of the 3D array `x` (scaled to [0, 255] when `scale`). Needs PIL."""
    data_format = data_format or config.image_data_format()
    dtype = dtype or config.floatx()
    _require_pil('array_to_img')
    x = _to_uint8_image(x, data_format, scale, dtype)
    if x.shape[2] == 4:
        return pil_image.fromarray(x.astype('uint8'), 'RGBA')
    if x.shape[2] == 3:
        return pil_image.fromarray(x.astype('uint8'), 'RGB')
    if np.max(x) > 255:
        return pil_image.fromarray(x[:, :, 0].astype('int32'), 'I')
    return pil_image.fromarray(x[:, :, 0].astype('uint8'), 'L')


def img_to_array(img, data_format=None, dtype=None):
    """A 3D float array of a PIL image (or of anything np.asarray reads as (H, W[, C]))."""
    data_format = data_format or config.image_data_format()
    dtype = dtype or config.floatx()
    if data_format not in {'channels_first', 'channels_last'}:
        raise ValueError(f'Unknown data_format: {data_format}')
    x = np.asarray(img, dtype=dtype)
    if x.ndim == 3:
        if data_format == 'channels_first':
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        shape = (1,) + x.shape if data_format == 'channels_first' else x.shape + (1,)
        x = x.reshape(shape)
    else:
        raise ValueError(f'Unsupported image shape: {x.shape}')
    return x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write the 3D array `x` as an image file (PIL's format from the name unless
    `file_format`). Needs PIL."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == 'RGBA' and (file_format == 'jpg' or file_format == 'jpeg'):
        warnings.warn('The JPG format does not support RGBA images, converting to RGB.')
        img = img.convert('RGB')
    img.save(path, format=file_format, **kwargs)


_PIL_INTERPOLATION = ('nearest', 'bilinear', 'bicubic', 'hamming', 'box', 'lanczos')


def load_img(path, grayscale=False, color_mode='rgb', target_size=None,
             interpolation='nearest'):
    """A PIL image read from `path`, converted to `color_mode` ('grayscale', 'rgb', 'rgba')
    and resized to `target_size` (height, width) with `interpolation`. Needs PIL."""
    if grayscale:
        warnings.warn('grayscale is deprecated. Please use color_mode = "grayscale"')
        color_mode = 'grayscale'
    _require_pil('load_img')
    with open(path, 'rb') as f:
        img = pil_image.open(f)
        img.load()
    if color_mode == 'grayscale':
        # 16- and 32-bit grayscale images keep their depth
        if img.mode not in ('L', 'I;16', 'I'):
            img = img.convert('L')
    elif color_mode in ('rgba', 'rgb'):
        if img.mode != color_mode.upper():
            img = img.convert(color_mode.upper())
    else:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if target_size is not None:
        width_height_tuple = (target_size[1], target_size[0])
        if img.size != width_height_tuple:
            if interpolation not in _PIL_INTERPOLATION:
                raise ValueError(f'Invalid interpolation method {interpolation} specified. '
                                 f'Supported methods are {", ".join(_PIL_INTERPOLATION)}')
            resample = getattr(pil_image, interpolation.upper())
            img = img.resize(width_height_tuple, resample)
    return img


# ---------------------------------------------------------------------------------------------
# iterators
# ---------------------------------------------------------------------------------------------
class Iterator(Sequence):
    """Base of the image batch iterators: a Sequence (for fit_generator's workers) and a
    Python iterator (`next(it)` loops over the data forever), reshuffled every epoch and
    re-seeded with seed + batches seen, as keras_preprocessing does.

    Subclasses implement `_get_batches_of_transformed_samples(index_array)`.
    """
    white_list_formats = ('png', 'jpg', 'jpeg', 'bmp', 'ppm', 'tif', 'tiff')

    def __init__(self, n, batch_size, shuffle, seed):
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _set_index_array(self):
        self.index_array = np.arange(self.n)
        if self.shuffle:
            self.index_array = np.random.permutation(self.n)

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError(f'Asked to retrieve element {idx}, but the Sequence has length '
                             f'{len(self)}')
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        index_array = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current_index = (self.batch_index * self.batch_size) % self.n if self.n else 0
            if self.n > current_index + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current_index:current_index + self.batch_size]

    def __iter__(self):
        return self

    def __next__(self):
        return self.next()

    def next(self):
        with self.lock:
            index_array = next(self.index_generator)
        # the transforms run outside the lock, so threads can overlap them
        return self._get_batches_of_transformed_samples(index_array)

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError

    def _transformed_batch(self, images, index_array):
        """The images at `index_array` (a float array, or a function index -> image) randomly
        transformed and standardized by the generator, saved to save_to_dir if set."""
        generator = self.image_data_generator
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            x = images(j) if callable(images) else images[j]
            params = generator.get_random_transform(x.shape)
            x = generator.apply_transform(x.astype(self.dtype), params)
            batch_x[i] = generator.standardize(x)
        if self.save_to_dir:
            for i, j in enumerate(index_array):
                img = array_to_img(batch_x[i], self.data_format, scale=True)
                fname = (f'{self.save_prefix}_{j}_{np.random.randint(1e4)}.'
                         f'{self.save_format}')
                img.save(os.path.join(self.save_to_dir, fname))
        return batch_x


class NumpyArrayIterator(Iterator):
    """Batches of randomly transformed images from arrays: `x`, `(x, y)` or
    `(x, y, sample_weight)`, where x may be a tuple (images, extra array or list of arrays)
    whose extra arrays are passed through untransformed."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, data_format=None, save_to_dir=None,
                 save_prefix='', save_format='png', subset=None, dtype=None):
        data_format = data_format or config.image_data_format()
        self.dtype = dtype or config.floatx()
        if isinstance(x, (tuple, list)):
            if not isinstance(x[1], list):
                x_misc = [np.asarray(x[1])]
            else:
                x_misc = [np.asarray(xx) for xx in x[1]]
            x = x[0]
            for xx in x_misc:
                if len(x) != len(xx):
                    raise ValueError('All of the arrays in `x` should have the same length. '
                                     f'Found a pair with: len(x[0]) = {len(x)}, '
                                     f'len(x[?]) = {len(xx)}')
        else:
            x_misc = []
        if y is not None and len(x) != len(y):
            raise ValueError('`x` (images tensor) and `y` (labels) should have the same '
                             f'length. Found: x.shape = {np.asarray(x).shape}, '
                             f'y.shape = {np.asarray(y).shape}')
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError('`x` (images tensor) and `sample_weight` should have the same '
                             f'length. Found: x.shape = {np.asarray(x).shape}, '
                             f'sample_weight.shape = {np.asarray(sample_weight).shape}')
        if subset is not None:
            if subset not in {'training', 'validation'}:
                raise ValueError(f'Invalid subset name: {subset}; expected "training" or '
                                 '"validation".')
            split_idx = int(len(x) * image_data_generator._validation_split)
            if y is not None and not np.array_equal(np.unique(y[:split_idx]),
                                                    np.unique(y[split_idx:])):
                raise ValueError('Training and validation subsets have different number of '
                                 'classes after the split. If your numpy arrays are sorted '
                                 'by the label, you might want to shuffle them.')
            # the validation subset is the first split_idx samples
            part = slice(None, split_idx) if subset == 'validation' else slice(split_idx, None)
            x = x[part]
            x_misc = [np.asarray(xx[part]) for xx in x_misc]
            if y is not None:
                y = y[part]
            if sample_weight is not None:
                sample_weight = sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError('Input data in `NumpyArrayIterator` should have rank 4. You '
                             f'passed an array with shape {self.x.shape}')
        channels_axis = 3 if data_format == 'channels_last' else 1
        if self.x.shape[channels_axis] not in {1, 3, 4}:
            warnings.warn(f'NumpyArrayIterator is set to use the data format convention '
                          f'"{data_format}" (channels on axis {channels_axis}), i.e. expected '
                          f'either 1, 3, or 4 channels on axis {channels_axis}. However, it '
                          f'was passed an array with shape {self.x.shape} '
                          f'({self.x.shape[channels_axis]} channels).')
        self.y = np.asarray(y) if y is not None else None
        self.sample_weight = np.asarray(sample_weight) if sample_weight is not None else None
        if save_to_dir:
            _require_pil('array_to_img')
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.image_shape = self.x.shape[1:]
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = self._transformed_batch(self.x, index_array)
        batch_x_miscs = [xx[index_array] for xx in self.x_misc]
        output = batch_x if not batch_x_miscs else [batch_x] + batch_x_miscs
        if self.y is None:
            return output
        if self.sample_weight is None:
            return output, self.y[index_array]
        return output, self.y[index_array], self.sample_weight[index_array]


class DirectoryIterator(Iterator):
    """Batches of randomly transformed images read from `directory`, one subdirectory per
    class (sorted names unless `classes` lists them). Reading the files needs PIL."""

    def __init__(self, directory, image_data_generator, target_size=(256, 256),
                 color_mode='rgb', classes=None, class_mode='categorical', batch_size=32,
                 shuffle=True, seed=None, data_format=None, save_to_dir=None, save_prefix='',
                 save_format='png', follow_links=False, subset=None, interpolation='nearest',
                 dtype=None):
        _require_pil('flow_from_directory')
        data_format = data_format or config.image_data_format()
        self.dtype = dtype or config.floatx()
        if color_mode not in {'rgb', 'rgba', 'grayscale'}:
            raise ValueError(f'Invalid color mode: {color_mode}; expected "rgb", "rgba", or '
                             '"grayscale".')
        if class_mode not in {'categorical', 'binary', 'sparse', 'input', None}:
            raise ValueError(f'Invalid class_mode: {class_mode}; expected one of '
                             '"categorical", "binary", "sparse", "input" or None.')
        if subset is not None and subset not in {'training', 'validation'}:
            raise ValueError(f'Invalid subset name: {subset}; expected "training" or '
                             '"validation".')
        self.directory = directory
        self.image_data_generator = image_data_generator
        self.target_size = tuple(target_size)
        self.color_mode = color_mode
        self.data_format = data_format
        channels = {'rgba': 4, 'rgb': 3, 'grayscale': 1}[color_mode]
        self.image_shape = ((channels,) + self.target_size if data_format == 'channels_first'
                            else self.target_size + (channels,))
        self.class_mode = class_mode
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.interpolation = interpolation
        if not classes:
            classes = sorted(name for name in os.listdir(directory)
                             if os.path.isdir(os.path.join(directory, name)))
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))
        split = image_data_generator._validation_split
        filenames, labels = [], []
        for name in classes:
            files = self._valid_files(os.path.join(directory, name), follow_links)
            # the validation subset is the first `split` fraction of each class's files
            cut = int(split * len(files))
            if subset == 'validation':
                files = files[:cut]
            elif subset == 'training':
                files = files[cut:]
            filenames += [os.path.relpath(path, directory) for path in files]
            labels += [self.class_indices[name]] * len(files)
        self.filenames = filenames
        self.classes = np.array(labels, dtype='int32')
        self.samples = len(filenames)
        print(f'Found {self.samples} images belonging to {self.num_classes} classes.')
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _valid_files(self, class_directory, follow_links):
        found = []
        for root, _, files in sorted(os.walk(class_directory, followlinks=follow_links),
                                     key=lambda entry: entry[0]):
            found += [os.path.join(root, name) for name in sorted(files)
                      if name.lower().endswith(tuple('.' + ext
                                                     for ext in self.white_list_formats))]
        return found

    @property
    def filepaths(self):
        return [os.path.join(self.directory, name) for name in self.filenames]

    def _load(self, index):
        img = load_img(self.filepaths[index], color_mode=self.color_mode,
                       target_size=self.target_size, interpolation=self.interpolation)
        return img_to_array(img, data_format=self.data_format)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = self._transformed_batch(self._load, index_array)
        if self.class_mode == 'input':
            return batch_x, batch_x.copy()
        if self.class_mode == 'sparse':
            return batch_x, self.classes[index_array].astype(self.dtype)
        if self.class_mode == 'binary':
            return batch_x, self.classes[index_array].astype(self.dtype)
        if self.class_mode == 'categorical':
            batch_y = np.zeros((len(batch_x), self.num_classes), dtype=self.dtype)
            batch_y[np.arange(len(batch_x)), self.classes[index_array]] = 1.
            return batch_x, batch_y
        return batch_x


# ---------------------------------------------------------------------------------------------
# ImageDataGenerator
# ---------------------------------------------------------------------------------------------
class ImageDataGenerator:
    """Batches of image data with real-time augmentation (random rotations, shifts, shears,
    zooms, flips, channel and brightness shifts) and normalization (feature- or sample-wise
    centring and scaling, ZCA whitening), with Keras 2.2.5's arguments.

    Args:
        width_shift_range, height_shift_range: a float < 1 is a fraction of the width
            (height), >= 1 pixels, drawn from [-r, r); an int r draws an integer from
            (-r, r); a list draws one of its elements (with a random sign).
        zoom_range: a float z means [1 - z, 1 + z]; or [lower, upper].
        fill_mode: 'constant' (with `cval`), 'nearest', 'reflect' or 'wrap'.
        rescale: multiplies the data after the other transforms (None or 0: no rescaling).
        preprocessing_function: called on each transformed image before standardization.
        validation_split: the fraction held out for `flow(..., subset='validation')`.
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0, width_shift_range=0.,
                 height_shift_range=0., brightness_range=None, shear_range=0., zoom_range=0.,
                 channel_shift_range=0., fill_mode='nearest', cval=0., horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None,
                 data_format=None, validation_split=0.0, dtype=None):
        data_format = data_format or config.image_data_format()
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = dtype or config.floatx()
        self.interpolation_order = 1

        if data_format not in {'channels_last', 'channels_first'}:
            raise ValueError('`data_format` should be `"channels_last"` (channel after row and '
                             'column) or `"channels_first"` (channel before row and column). '
                             f'Received: {data_format}')
        if fill_mode not in _FILL_MODES:
            raise ValueError(f'ImageDataGenerator: `fill_mode` should be one of {_FILL_MODES}. '
                             f'Received: fill_mode={fill_mode!r}')
        self.data_format = data_format
        if data_format == 'channels_first':
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if validation_split and not 0 < validation_split < 1:
            raise ValueError('`validation_split` must be strictly between 0 and 1.  Received: '
                             f'{validation_split}')
        self._validation_split = validation_split

        self.mean = None
        self.std = None
        self.zca_whitening_matrix = None

        if isinstance(zoom_range, (float, int)):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2 and all(isinstance(v, (float, int)) for v in zoom_range):
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError('`zoom_range` should be a float or a tuple or list of two floats. '
                             f'Received: {zoom_range}')
        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn('This ImageDataGenerator specifies `zca_whitening`, which '
                              'overrides setting of `featurewise_center`.')
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn('This ImageDataGenerator specifies `zca_whitening` which '
                              'overrides setting of`featurewise_std_normalization`.')
        if featurewise_std_normalization and not featurewise_center:
            self.featurewise_center = True
            warnings.warn('This ImageDataGenerator specifies `featurewise_std_normalization`, '
                          'which overrides setting of `featurewise_center`.')
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn('This ImageDataGenerator specifies `samplewise_std_normalization`, '
                          'which overrides setting of `samplewise_center`.')
        if brightness_range is not None:
            if not isinstance(brightness_range, (tuple, list)) or len(brightness_range) != 2:
                raise ValueError('`brightness_range should be tuple or list of two floats. '
                                 f'Received: {brightness_range}')
        self.brightness_range = brightness_range

    @property
    def principal_components(self):
        """Keras 2.2.5's name for the ZCA whitening matrix."""
        return self.zca_whitening_matrix

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix='', save_format='png', subset=None):
        """A NumpyArrayIterator over `x` (rank 4, or (images, extra arrays)) and `y`,
        yielding `x_batch`, `(x_batch, y_batch)` or `(x_batch, y_batch, weights)`."""
        return NumpyArrayIterator(
            x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
            seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
            save_prefix=save_prefix, save_format=save_format, subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode='rgb',
                            classes=None, class_mode='categorical', batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix='',
                            save_format='png', follow_links=False, subset=None,
                            interpolation='nearest'):
        """A DirectoryIterator over the images in `directory`'s class subdirectories.
        Needs PIL."""
        return DirectoryIterator(
            directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
            class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
            shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, follow_links=follow_links, subset=subset,
            interpolation=interpolation, dtype=self.dtype)

    def standardize(self, x):
        """Apply the normalization to `x` (an image or a batch), in place where it can."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn(self._not_fit('featurewise_center'))
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= self.std + 1e-6
            else:
                warnings.warn(self._not_fit('featurewise_std_normalization'))
        if self.zca_whitening:
            if self.zca_whitening_matrix is not None:
                flat_x = x.reshape(-1, np.prod(x.shape[-3:]))
                x = np.reshape(flat_x @ self.zca_whitening_matrix, x.shape)
            else:
                warnings.warn(self._not_fit('zca_whitening'))
        return x

    @staticmethod
    def _not_fit(argument):
        return (f'This ImageDataGenerator specifies `{argument}`, but it hasn\'t been fit on '
                'any training data. Fit it first by calling `.fit(numpy_data)`.')

    def get_random_transform(self, img_shape, seed=None):
        """The random parameters of one image's transform (a dict for apply_transform)."""
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        if seed is not None:
            np.random.seed(seed)
        theta = np.random.uniform(-self.rotation_range, self.rotation_range) \
            if self.rotation_range else 0
        tx = self._random_shift(self.height_shift_range, img_shape[img_row_axis])
        ty = self._random_shift(self.width_shift_range, img_shape[img_col_axis])
        shear = np.random.uniform(-self.shear_range, self.shear_range) \
            if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = (np.random.random() < 0.5) * self.horizontal_flip
        flip_vertical = (np.random.random() < 0.5) * self.vertical_flip
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = np.random.uniform(-self.channel_shift_range,
                                                        self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])
        return {'theta': theta, 'tx': tx, 'ty': ty, 'shear': shear, 'zx': zx, 'zy': zy,
                'flip_horizontal': flip_horizontal, 'flip_vertical': flip_vertical,
                'channel_shift_intensity': channel_shift_intensity, 'brightness': brightness}

    @staticmethod
    def _random_shift(shift_range, size):
        if not shift_range:
            return 0
        try:
            # an int or a 1-D array-like: one of its elements (or of range(int)), signed
            shift = np.random.choice(shift_range)
            shift *= np.random.choice([-1, 1])
        except ValueError:
            shift = np.random.uniform(-shift_range, shift_range)
        if np.max(shift_range) < 1:
            shift *= size
        return shift

    def apply_transform(self, x, transform_parameters):
        """The image `x` (3D) transformed by the parameters of get_random_transform (missing
        keys mean no change)."""
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        img_channel_axis = self.channel_axis - 1
        params = transform_parameters
        x = apply_affine_transform(
            x, params.get('theta', 0), params.get('tx', 0), params.get('ty', 0),
            params.get('shear', 0), params.get('zx', 1), params.get('zy', 1),
            row_axis=img_row_axis, col_axis=img_col_axis, channel_axis=img_channel_axis,
            fill_mode=self.fill_mode, cval=self.cval, order=self.interpolation_order)
        if params.get('channel_shift_intensity') is not None:
            x = apply_channel_shift(x, params['channel_shift_intensity'], img_channel_axis)
        if params.get('flip_horizontal', False):
            x = flip_axis(x, img_col_axis)
        if params.get('flip_vertical', False):
            x = flip_axis(x, img_row_axis)
        if params.get('brightness') is not None:
            x = apply_brightness_shift(x, params['brightness'], False)
        return x

    def random_transform(self, x, seed=None):
        """`x` (3D) randomly transformed."""
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Compute the featurewise mean and std and the ZCA whitening matrix of the images `x`
        (rank 4; rescaled first, and randomly transformed `rounds` times when `augment`)."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError('Input to `.fit()` should have rank 4. Got array with shape: '
                             f'{x.shape}')
        if x.shape[self.channel_axis] not in {1, 3, 4}:
            warnings.warn('Expected input to be images (as Numpy array) following the data '
                          f'format convention "{self.data_format}" (channels on axis '
                          f'{self.channel_axis}), i.e. expected either 1, 3 or 4 channels on '
                          f'axis {self.channel_axis}. However, it was passed an array with '
                          f'shape {x.shape} ({x.shape[self.channel_axis]} channels).')
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            ax = np.zeros((rounds * x.shape[0],) + x.shape[1:], dtype=self.dtype)
            for r in range(rounds):
                for i in range(x.shape[0]):
                    ax[i + r * x.shape[0]] = self.random_transform(x[i])
            x = ax
        broadcast_shape = [1, 1, 1]
        broadcast_shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=(0, self.row_axis, self.col_axis)),
                                   broadcast_shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=(0, self.row_axis, self.col_axis)),
                                  broadcast_shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            n = len(x)
            flat_x = np.reshape(x, (n, -1))
            u, s, _ = np.linalg.svd(flat_x.T, full_matrices=False)
            s_inv = np.sqrt(n) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = (u * s_inv).dot(u.T)
