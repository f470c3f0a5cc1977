"""Convolution and pooling: the geometry, the autodiff primitives (with VJPs) and the K functions.

The primitives call the active backend's kernels (NumPy: strided views + one GEMM; CuPy: the
CUDA code in cuda/). Everything spatial in gkeras.layers goes through the functions here.
"""
import builtins
import math
import weakref

import numpy as np

from . import autodiff as ad
from . import selection
from .autodiff import Tensor, raw
from .config import normalize_data_format
from .symbolic import symbolic_aware

_PADDINGS = ('valid', 'same', 'causal', 'full')


# ---------------------------------------------------------------------------------------------
# Argument normalization and output sizes (Keras' conv_utils)

def normalize_tuple(value, n, name, owner='', allow_zero=False):
    """An int or an iterable of n ints -> a tuple of n ints (all > 0, or >= 0 with allow_zero)."""
    where = f"{owner}: " if owner else ''
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = None
        if values is None or len(values) != n or not builtins.all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
            raise ValueError(f"{where}the `{name}` argument must be an integer or a tuple of {n} "
                             f"integers. Received: {name}={value!r}")
        values = tuple(int(v) for v in values)
    smallest = 0 if allow_zero else 1
    if builtins.any(v < smallest for v in values):
        requirement = '>= 0' if allow_zero else '> 0'
        raise ValueError(f"{where}every entry of `{name}` must be {requirement}. "
                         f"Received: {name}={value!r}")
    return values


def normalize_padding(value, owner='', allowed=('valid', 'same')):
    where = f"{owner}: " if owner else ''
    padding = str(value).lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(f"{where}the `padding` argument must be one of {allowed}. "
                         f"Received: padding={value!r}")
    return padding


def dilated_size(kernel, dilation):
    return kernel + (kernel - 1) * (dilation - 1)


def conv_output_length(length, kernel, padding, stride, dilation=1):
    """Output length of a convolution or pooling window along one axis (None stays None)."""
    if length is None:
        return None
    span = dilated_size(kernel, dilation)
    if padding in ('same', 'causal'):
        out = length
    elif padding == 'valid':
        out = length - span + 1
    else:  # full
        out = length + span - 1
    return (out + stride - 1) // stride


def deconv_output_length(length, kernel, padding, output_padding, stride, dilation=1):
    """Output length of a transposed convolution along one axis, as tf.keras computes it."""
    if length is None:
        return None
    span = dilated_size(kernel, dilation)
    if output_padding is None:
        if padding == 'valid':
            return length * stride + builtins.max(span - stride, 0)
        if padding == 'full':
            return length * stride - (stride + span - 2)
        return length * stride
    pad = {'same': span // 2, 'valid': 0, 'full': span - 1}[padding]
    return (length - 1) * stride + span - 2 * pad + output_padding


def padding_amounts(padding, length, kernel, stride, dilation=1):
    """(before, after) padding of one axis for a named padding, as TensorFlow pads."""
    span = dilated_size(kernel, dilation)
    if padding == 'valid':
        return (0, 0)
    if padding == 'causal':
        return (span - 1, 0)
    if padding == 'full':
        return (span - 1, span - 1)
    out = -(-length // stride)
    total = builtins.max((out - 1) * stride + span - length, 0)
    return (total // 2, total - total // 2)  # the odd element goes after, as in TensorFlow


class ConvGeometry:
    """Everything a convolution or pooling kernel needs to know about one call.

    Args:
        input_shape: full shape of the input, (N, C, *spatial) or (N, *spatial, C).
        pads: one (before, after) pair per spatial axis.
        groups: input and output channels split into this many independent groups.
        owner: who is asking, for error messages (a layer or a K function).
    """
    __slots__ = ('rank', 'batch', 'channels', 'groups', 'group_channels', 'spatial', 'kernel',
                 'strides', 'dilation', 'pads', 'out', 'channels_first', 'taps', 'rows',
                 'padded', 'padded_spatial', 'interior')

    def __init__(self, input_shape, kernel, strides, dilation, pads, channels_first,
                 groups=1, owner='convolution'):
        input_shape = tuple(int(n) for n in input_shape)
        rank = len(kernel)
        if len(input_shape) != rank + 2:
            raise ValueError(f"{owner}: expected an input of rank {rank + 2} (batch, "
                             f"{rank} spatial axes and channels); received shape {input_shape}.")
        self.rank = rank
        self.batch = input_shape[0]
        self.channels_first = bool(channels_first)
        self.channels = input_shape[1] if channels_first else input_shape[-1]
        self.spatial = input_shape[2:] if channels_first else input_shape[1:-1]
        self.kernel = tuple(kernel)
        self.strides = tuple(strides)
        self.dilation = tuple(dilation)
        self.pads = tuple((int(b), int(a)) for b, a in pads)
        # whether any side is padded, the padded spatial sizes, and where the input lies in them
        self.padded = any(b or a for b, a in self.pads)
        self.padded_spatial = tuple(n + b + a for n, (b, a) in zip(self.spatial, self.pads))
        self.interior = tuple(slice(b, b + n) for n, (b, _) in zip(self.spatial, self.pads))
        self.groups = groups
        if self.channels % groups:
            raise ValueError(f"{owner}: the {self.channels} input channels cannot be split into "
                             f"{groups} groups; received input shape {input_shape}.")
        self.group_channels = self.channels // groups
        out = []
        for axis, (n, k, s, d, (b, a)) in enumerate(zip(self.spatial, self.kernel, self.strides,
                                                          self.dilation, self.pads)):
            span = dilated_size(k, d)
            if n + b + a < span:
                raise ValueError(
                    f"{owner}: the window (size {k}, dilation {d}, spanning {span}) is larger "
                    f"than the padded input along spatial axis {axis} ({n} + padding {b}+{a}); "
                    f"received input shape {input_shape}.")
            out.append((n + b + a - span) // s + 1)
        self.out = tuple(out)
        self.taps = math.prod(self.kernel)
        self.rows = self.batch * math.prod(self.out)


def _geometry(x_shape, kernel, strides, padding, dilation, channels_first, groups=1,
              owner='convolution'):
    """The geometry of a window op with a named padding ('valid', 'same', 'causal', 'full')."""
    spatial = x_shape[2:] if channels_first else x_shape[1:-1]
    pads = [padding_amounts(padding, n, k, s, d)
            for n, k, s, d in zip(spatial, kernel, strides, dilation)]
    return ConvGeometry(x_shape, kernel, strides, dilation, pads, channels_first, groups, owner)


# ---------------------------------------------------------------------------------------------
# Relu gates applied early
#
# The gradient through conv(..., relu=True) is the output gradient where the output is > 0, a
# pass over three arrays of the output's size. When that output feeds a max pooling or a
# stride-1 convolution, those ops can apply the gate more cheaply to the gradient they return
# (pooling to its 4x smaller output gradient, since a window's maximum is > 0 exactly where its
# chosen element is; the convolution block by block while its input gradient is in cache). They
# mark what they return as gated for that output, and the producing conv skips its own pass when
# the whole gradient reaching it is such an array; where gradients from several consumers were
# summed into a new array, it is not marked and the conv gates it (gating twice changes
# nothing). Both registries hold weak references only: a missing entry just means one more pass.

_relu_outputs = {}  # id(conv output) -> weakref to it, for outputs of conv(..., relu=True)
_gated_for = {}     # id(gradient) -> (weakref to it, weakref to the relu output it is gated for)


def _remember(registry, array, value):
    key = id(array)
    try:
        ref = weakref.ref(array, lambda _, key=key: registry.pop(key, None))
    except TypeError:  # an array type without weak references: no early gates
        return
    registry[key] = (ref, value)


def _remember_relu_output(out):
    _remember(_relu_outputs, out, None)


def _is_relu_output(array):
    entry = _relu_outputs.get(id(array))
    return entry is not None and entry[0]() is array


def _mark_gated(grad, relu_output):
    # relu_output is in _relu_outputs, so it takes weak references
    _remember(_gated_for, grad, weakref.ref(relu_output))


def _is_gated_for(grad, relu_output):
    entry = _gated_for.get(id(grad))
    return entry is not None and entry[0]() is grad and entry[1]() is relu_output


# ---------------------------------------------------------------------------------------------
# Autodiff primitives

def conv(x, kernel, geom, bias=None, relu=False):
    """Convolution (cross-correlation, as Keras) of x with kernel (*window, C // groups, K),
    plus a bias vector (K,) when given: added as the output is made, and its gradient summed as
    the kernel's is. With relu, max(., 0) of that, in the same pass (gradient 0 at 0)."""
    backend = selection.active()
    xd, wd = raw(x), raw(kernel)
    out, state = backend.conv(xd, wd, geom, None if bias is None else raw(bias), relu)

    def vjp(dy, needs):
        if relu and not _is_gated_for(dy, out):
            dy = backend.relu_grad(dy, out)
        gx = None
        if needs[0]:
            gate = xd if _is_relu_output(xd) else None
            gx = backend.conv_grad_input(dy, wd, geom, gate=gate)
            if gate is not None:
                _mark_gated(gx, gate)
        if bias is None:
            return gx, backend.conv_grad_weight(state, dy, geom, wd.shape) if needs[1] else None
        gw = gb = None
        if needs[1] and needs[2]:
            gw, gb = backend.conv_grad_weight(state, dy, geom, wd.shape, with_bias=True)
        elif needs[1]:
            gw = backend.conv_grad_weight(state, dy, geom, wd.shape)
        elif needs[2]:
            gb = backend.conv_grad_bias(dy, geom)
        return gx, gw, gb
    result = ad._record(out, (x, kernel) if bias is None else (x, kernel, bias), vjp)
    if relu and result.requires_grad:  # only gradients read the registry (not predict)
        _remember_relu_output(out)
    return result


def conv_transpose(x, kernel, geom):
    """Transposed convolution: the input-gradient of the convolution `geom` describes.

    `geom` is the forward convolution from this op's output (channels = kernel.shape[-2]) to its
    input x (channels = kernel.shape[-1]), so the Keras transpose kernel (*window, out, in) is
    that convolution's kernel.
    """
    backend = selection.active()
    xd, wd = raw(x), raw(kernel)
    out = backend.conv_grad_input(xd, wd, geom)

    def vjp(dy, needs):
        gx, state = backend.conv(dy, wd, geom) if needs[0] else (None, backend.conv_state(dy, geom))
        gw = backend.conv_grad_weight(state, xd, geom, wd.shape) if needs[1] else None
        return gx, gw
    return ad._record(out, (x, kernel), vjp)


def pool(x, geom, mode):
    """Max or average pooling over the windows of `geom` ('same' averages count real elements)."""
    backend = selection.active()
    xd = raw(x)
    out, state = backend.pool(mode, xd, geom, keep_argmax=ad._needs_grad(x))

    def vjp(dy, needs):
        if mode == 'max' and _is_relu_output(xd):
            # x >= 0, and each window's maximum is the element its gradient goes to: gating
            # the pooled gradient by max > 0 is the relu's gate on what reaches x
            grad = backend.pool_grad(mode, backend.relu_grad(dy, out), state, geom)
            _mark_gated(grad, xd)
            return grad,
        return backend.pool_grad(mode, dy, state, geom),
    return ad._record(out, (x,), vjp)


def extract_patches(x, geom):
    """The receptive fields of x as a (N, prod(out), taps * C) tensor (kernel-major order)."""
    backend = selection.active()
    cols = backend.im2col(raw(x), geom)
    patch_shape = (geom.batch, math.prod(geom.out), geom.taps * geom.channels)
    out = cols.reshape(patch_shape)
    return ad._record(out, (x,), lambda dy, needs: (
        backend.col2im(dy.reshape(cols.shape), geom),))


# ---------------------------------------------------------------------------------------------
# Rank-generic entry points used by the layers

def _tensor(x):
    return x if isinstance(x, Tensor) else ad.as_tensor(x)


def _data_format(data_format):
    return normalize_data_format(data_format) == 'channels_first'


def convolution(x, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1,
                groups=1, owner='convolution', bias=None, relu=False):
    """N-D convolution; the rank comes from the kernel (*window, C // groups, K).

    Args:
        bias: optional vector (K,) added to every output position (what a layer's bias_add
            does, in the same pass).
        relu: apply max(., 0) to the result in the same pass (a layer's relu activation).
    """
    x, kernel = _tensor(x), _tensor(kernel)
    rank = kernel.ndim - 2
    strides = normalize_tuple(strides, rank, 'strides', owner)
    dilation = normalize_tuple(dilation_rate, rank, 'dilation_rate', owner)
    padding = normalize_padding(padding, owner, _PADDINGS)
    geom = _geometry(x.shape, kernel.shape[:rank], strides, padding, dilation,
                     _data_format(data_format), groups, owner)
    if kernel.shape[-2] * groups != geom.channels:
        raise ValueError(f"{owner}: the kernel of shape {kernel.shape} expects "
                         f"{kernel.shape[-2] * groups} input channels; received an input of "
                         f"shape {x.shape}.")
    if bias is None:
        return conv(x, kernel, geom, relu=relu)
    bias = _tensor(bias)
    if bias.shape != kernel.shape[-1:]:
        raise ValueError(f"{owner}: expected a bias of shape {kernel.shape[-1:]} for a kernel "
                         f"of shape {kernel.shape}; received a bias of shape {bias.shape}.")
    if np.result_type(x.dtype, kernel.dtype, bias.dtype) != np.result_type(x.dtype, kernel.dtype):
        # a wider bias widens the output, as bias_add would: add it as its own op
        shape = (bias.shape[0],) + (1,) * rank if geom.channels_first else bias.shape
        out = ad.add(conv(x, kernel, geom), ad.reshape(bias, shape))
        return ad.relu(out) if relu else out
    return conv(x, kernel, geom, bias, relu)


def convolution_transpose(x, kernel, output_shape, strides=1, padding='valid', data_format=None,
                          dilation_rate=1, owner='conv_transpose'):
    """N-D transposed convolution to `output_shape`; kernel (*window, out_channels, in)."""
    x, kernel = _tensor(x), _tensor(kernel)
    rank = kernel.ndim - 2
    strides = normalize_tuple(strides, rank, 'strides', owner)
    dilation = normalize_tuple(dilation_rate, rank, 'dilation_rate', owner)
    padding = normalize_padding(padding, owner)
    channels_first = _data_format(data_format)
    output_shape = tuple(output_shape)
    if output_shape[0] is None:
        output_shape = (x.shape[0],) + output_shape[1:]
    output_shape = tuple(int(n) for n in output_shape)
    in_spatial = x.shape[2:] if channels_first else x.shape[1:-1]
    out_spatial = output_shape[2:] if channels_first else output_shape[1:-1]
    pads = []
    for n_in, n_out, k, s, d in zip(in_spatial, out_spatial, kernel.shape[:rank], strides,
                                    dilation):
        if padding == 'valid':
            pads.append((0, 0))
        else:
            total = builtins.max((n_in - 1) * s + dilated_size(k, d) - n_out, 0)
            pads.append((total // 2, total - total // 2))
    geom = ConvGeometry(output_shape, kernel.shape[:rank], strides, dilation, pads,
                        channels_first, owner=owner)
    if geom.out != tuple(in_spatial) or geom.channels != kernel.shape[-2]:
        raise ValueError(f"{owner}: output_shape {output_shape} is not what a strided "
                         f"{padding!r} transposed convolution with kernel {kernel.shape} and "
                         f"strides {strides} makes from an input of shape {x.shape}.")
    x_channels = x.shape[1] if channels_first else x.shape[-1]
    if x_channels != kernel.shape[-1]:
        raise ValueError(f"{owner}: the kernel of shape {kernel.shape} expects "
                         f"{kernel.shape[-1]} input channels; received an input of shape "
                         f"{x.shape}.")
    return conv_transpose(x, kernel, geom)


def depthwise_convolution(x, depthwise_kernel, strides=1, padding='valid', data_format=None,
                          dilation_rate=1, owner='depthwise_conv'):
    """Each input channel convolved with its own depth_multiplier filters (output c*m + j)."""
    depthwise_kernel = _tensor(depthwise_kernel)
    window = depthwise_kernel.shape[:-2]
    channels, multiplier = depthwise_kernel.shape[-2:]
    # (*window, C, m) is exactly a grouped kernel (*window, 1, C*m) with C groups
    grouped = ad.reshape(depthwise_kernel, window + (1, channels * multiplier))
    return convolution(x, grouped, strides, padding, data_format, dilation_rate,
                       groups=channels, owner=owner)


def separable_convolution(x, depthwise_kernel, pointwise_kernel, strides=1, padding='valid',
                          data_format=None, dilation_rate=1, owner='separable_conv'):
    """Depthwise convolution followed by a pointwise (1x1...) convolution."""
    depthwise = depthwise_convolution(x, depthwise_kernel, strides, padding, data_format,
                                      dilation_rate, owner)
    return convolution(depthwise, pointwise_kernel, 1, 'valid', data_format, 1, owner=owner)


def pooling(x, pool_size, strides=None, padding='valid', data_format=None, pool_mode='max',
            owner='pool'):
    """N-D max or average pooling; the rank comes from pool_size."""
    x = _tensor(x)
    rank = len(pool_size)
    pool_size = normalize_tuple(pool_size, rank, 'pool_size', owner)
    strides = pool_size if strides is None else normalize_tuple(strides, rank, 'strides', owner)
    padding = normalize_padding(padding, owner)
    if pool_mode not in ('max', 'avg'):
        raise ValueError(f"{owner}: pool_mode must be 'max' or 'avg'; received {pool_mode!r}.")
    geom = _geometry(x.shape, pool_size, strides, padding, (1,) * rank,
                     _data_format(data_format), owner=owner)
    return pool(x, geom, pool_mode)


def local_convolution(x, kernel, kernel_size, strides, output_shape, data_format=None,
                      owner='local_conv'):
    """Locally connected layer math: an unshared kernel (positions, features, filters) per window.

    Patch features are ordered as tf.keras' reshape of x[window] orders them: (*window, C) for
    channels_last and (C, *window) for channels_first.
    """
    x, kernel = _tensor(x), _tensor(kernel)
    rank = len(kernel_size)
    channels_first = _data_format(data_format)
    geom = _geometry(x.shape, tuple(kernel_size), tuple(strides), 'valid', (1,) * rank,
                     channels_first, owner=owner)
    if geom.out != tuple(output_shape):
        raise ValueError(f"{owner}: an input of shape {x.shape} gives {geom.out} windows; the "
                         f"kernel was built for {tuple(output_shape)}.")
    patches = extract_patches(x, geom)  # (N, P, taps * C)
    positions = patches.shape[1]
    if channels_first:
        patches = ad.reshape(patches, (geom.batch, positions, geom.taps, geom.channels))
        patches = ad.reshape(ad.transpose(patches, (0, 1, 3, 2)), (geom.batch, positions, -1))
    out = ad.matmul(ad.transpose(patches, (1, 0, 2)), kernel)  # (P, N, filters)
    filters = kernel.shape[-1]
    out = ad.reshape(out, tuple(output_shape) + (geom.batch, filters))
    order = ((rank, rank + 1) + tuple(range(rank)) if channels_first
             else (rank,) + tuple(range(rank)) + (rank + 1,))
    return ad.transpose(out, order)


# ---------------------------------------------------------------------------------------------
# Keras backend functions

def conv1d(x, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1):
    """1D convolution; padding 'valid', 'same' or 'causal' (left padding only)."""
    return convolution(x, kernel, strides, padding, data_format, dilation_rate, owner='conv1d')


def conv2d(x, kernel, strides=(1, 1), padding='valid', data_format=None, dilation_rate=(1, 1)):
    return convolution(x, kernel, strides, padding, data_format, dilation_rate, owner='conv2d')


def conv3d(x, kernel, strides=(1, 1, 1), padding='valid', data_format=None,
           dilation_rate=(1, 1, 1)):
    return convolution(x, kernel, strides, padding, data_format, dilation_rate, owner='conv3d')


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding='valid', data_format=None,
                     dilation_rate=(1, 1)):
    """2D transposed convolution; kernel (kh, kw, out_channels, in_channels)."""
    return convolution_transpose(x, kernel, output_shape, strides, padding, data_format,
                                 dilation_rate, owner='conv2d_transpose')


def conv3d_transpose(x, kernel, output_shape, strides=(1, 1, 1), padding='valid',
                     data_format=None):
    return convolution_transpose(x, kernel, output_shape, strides, padding, data_format,
                                 owner='conv3d_transpose')


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding='valid', data_format=None,
                     dilation_rate=(1, 1)):
    return depthwise_convolution(x, depthwise_kernel, strides, padding, data_format,
                                 dilation_rate, owner='depthwise_conv2d')


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding='valid',
                     data_format=None, dilation_rate=1):
    return separable_convolution(x, depthwise_kernel, pointwise_kernel, strides, padding,
                                 data_format, dilation_rate, owner='separable_conv1d')


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding='valid',
                     data_format=None, dilation_rate=(1, 1)):
    return separable_convolution(x, depthwise_kernel, pointwise_kernel, strides, padding,
                                 data_format, dilation_rate, owner='separable_conv2d')


def pool2d(x, pool_size, strides=(1, 1), padding='valid', data_format=None, pool_mode='max'):
    return pooling(x, tuple(normalize_tuple(pool_size, 2, 'pool_size', 'pool2d')), strides,
                   padding, data_format, pool_mode, owner='pool2d')


def pool3d(x, pool_size, strides=(1, 1, 1), padding='valid', data_format=None, pool_mode='max'):
    return pooling(x, tuple(normalize_tuple(pool_size, 3, 'pool_size', 'pool3d')), strides,
                   padding, data_format, pool_mode, owner='pool3d')


def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """LocallyConnected1D math; kernel (output_length, kernel_size * C, filters)."""
    return local_convolution(inputs, kernel, tuple(kernel_size), tuple(strides),
                             (_tensor(kernel).shape[0],), data_format, owner='local_conv1d')


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """LocallyConnected2D math; kernel (rows * cols, kh * kw * C, filters)."""
    return local_convolution(inputs, kernel, tuple(kernel_size), tuple(strides),
                             tuple(output_shape), data_format, owner='local_conv2d')


def _spatial_padding(x, padding, data_format, rank, owner):
    x = _tensor(x)
    if x.ndim != rank + 2:
        raise ValueError(f"{owner}: expected an input of rank {rank + 2}; received shape "
                         f"{x.shape}.")
    pads = [tuple(int(v) for v in p) for p in padding]
    if len(pads) != rank or builtins.any(len(p) != 2 or builtins.min(p) < 0 for p in pads):
        raise ValueError(f"{owner}: padding must be {rank} pairs of non-negative integers; "
                         f"received {padding!r}.")
    if _data_format(data_format):
        full = [(0, 0), (0, 0)] + pads
    else:
        full = [(0, 0)] + pads + [(0, 0)]
    return ad.pad(x, full)


def temporal_padding(x, padding=(1, 1)):
    """Zeros before and after the time axis of (batch, steps, features)."""
    return _spatial_padding(x, [padding], 'channels_last', 1, 'temporal_padding')


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    return _spatial_padding(x, padding, data_format, 3, 'spatial_3d_padding')


def _bilinear_matrix(length, factor, dtype):
    """(length * factor, length) weights of tf.image.resize's bilinear (half-pixel centers)."""
    out = np.arange(length * factor)
    source = (out + 0.5) / factor - 0.5
    lower = np.floor(source)
    fraction = source - lower
    lower_index = np.clip(lower, 0, length - 1).astype(int)
    upper_index = np.clip(np.ceil(source), 0, length - 1).astype(int)
    matrix = np.zeros((length * factor, length))
    np.add.at(matrix, (out, lower_index), 1 - fraction)
    np.add.at(matrix, (out, upper_index), fraction)
    return matrix.astype(dtype)


def _resize_axis(x, axis, factor, interpolation):
    if factor == 1:
        return x
    if interpolation == 'nearest':
        return ad.repeat(x, factor, axis)
    # bilinear: a (new, old) interpolation matrix applied along `axis`
    order = [i for i in range(x.ndim) if i != axis] + [axis]
    inverse = sorted(range(x.ndim), key=order.__getitem__)
    matrix = selection.active().asarray(_bilinear_matrix(x.shape[axis], factor, x.dtype))
    moved = ad.tensordot_last(ad.transpose(x, order), Tensor(matrix.T))
    return ad.transpose(moved, inverse)


def _resize(x, factors, data_format, interpolation, owner):
    x = _tensor(x)
    if interpolation not in ('nearest', 'bilinear'):
        raise ValueError(f"{owner}: interpolation must be 'nearest' or 'bilinear'; received "
                         f"{interpolation!r}.")
    first = 2 if _data_format(data_format) else 1
    for i, factor in enumerate(factors):
        x = _resize_axis(x, first + i, int(factor), interpolation)
    return x


def resize_images(x, height_factor, width_factor, data_format, interpolation='nearest'):
    """Upsample rows and columns by integer factors (nearest neighbour or bilinear)."""
    return _resize(x, (height_factor, width_factor), data_format, interpolation, 'resize_images')


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    return _resize(x, (depth_factor, height_factor, width_factor), data_format, 'nearest',
                   'resize_volumes')


__all__ = ['conv1d', 'conv2d', 'conv3d', 'conv2d_transpose', 'conv3d_transpose',
           'depthwise_conv2d', 'separable_conv1d', 'separable_conv2d', 'pool2d', 'pool3d',
           'local_conv1d', 'local_conv2d', 'temporal_padding', 'spatial_3d_padding',
           'resize_images', 'resize_volumes']

# as the other K functions: on a model's symbolic tensors they record a graph node (symbolic.py)
for _name in __all__:
    globals()[_name] = symbolic_aware(globals()[_name])
del _name
