"""Locally connected layers: LocallyConnected1D/2D, convolutions whose weights are not shared."""
import math

import numpy as np

from .. import backend as K
from ..backend import autodiff as ad
from ..backend import selection, spatial
from ..legacy import legacy_interface
from .base import InputSpec, Layer, kernel_bias_config, set_kernel_bias_arguments
from .convolutional import (channel_axis, check_output_sizes, layer_owner, spatial_sizes,
                            with_spatial)


class _LocallyConnected(Layer):
    """Abstract N-D locally connected layer (a separate kernel per window).

    Weights, as tf.keras lays them out, with bias (*output_size, filters) in every case:
    implementation=1: kernel (prod(output_size), prod(kernel_size) * C, filters);
    implementation=2: a dense kernel from every input to every output element,
    (*input_size, C, *output_size, filters), or (C, *input_size, filters, *output_size) for
    channels_first, of which only the receptive fields' entries are used (the others get a zero
    gradient, as tf.keras multiplies the kernel by a fixed 0/1 mask);
    implementation=3: the flat vector of those entries, ordered by (output index, input index)
    over the flattened output and input as tf.keras sorts its sparse kernel's indices.
    Implementations 2 and 3 also take padding='same', whose windows tf.keras starts
    kernel_size // 2 before position * stride (not TensorFlow's convolution 'same' padding).
    All three run as implementation 1: the other kernels are gathered into its layout.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding='valid', data_format=None,
                 activation=None, use_bias=True, kernel_initializer='glorot_uniform',
                 bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 implementation=1, **kwargs):
        super().__init__(**kwargs)
        owner = layer_owner(self)
        self.rank = rank
        self.filters = spatial.normalize_tuple(filters, 1, 'filters', owner)[0]
        self.kernel_size = spatial.normalize_tuple(kernel_size, rank, 'kernel_size', owner)
        self.strides = spatial.normalize_tuple(strides, rank, 'strides', owner)
        if implementation not in (1, 2, 3) or isinstance(implementation, bool):
            raise ValueError(f"{owner}: `implementation` must be 1, 2 or 3. Received: "
                             f"implementation={implementation!r}")
        self.implementation = implementation
        # as tf.keras: implementation 1 has no 'same' windows
        self.padding = spatial.normalize_padding(
            padding, owner, ('valid',) if implementation == 1 else ('valid', 'same'))
        self.data_format = K.normalize_data_format(data_format)
        set_kernel_bias_arguments(self, activation, use_bias, kernel_initializer,
                                  bias_initializer, kernel_regularizer, bias_regularizer,
                                  activity_regularizer, kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _output_sizes(self, input_shape):
        sizes = tuple(spatial.conv_output_length(n, k, self.padding, s) for n, k, s in
                      zip(spatial_sizes(input_shape, self.data_format, self.rank),
                          self.kernel_size, self.strides))
        check_output_sizes(self, input_shape, sizes)
        return sizes

    def compute_output_shape(self, input_shape):
        return with_spatial(input_shape, self.data_format, self._output_sizes(input_shape),
                            self.filters)

    def build(self, input_shape):
        owner = layer_owner(self)
        sizes = spatial_sizes(input_shape, self.data_format, self.rank)
        if any(n is None for n in sizes):
            raise ValueError(f"{owner}: the spatial dimensions of the inputs must be fully "
                             f"defined (each window has its own weights). Found input shape "
                             f"{tuple(input_shape)}.")
        input_dim = input_shape[channel_axis(self.data_format)]
        if input_dim is None:
            raise ValueError(f"{owner}: the channel dimension of the inputs should be defined. "
                             f"Found `None` in input shape {tuple(input_shape)}.")
        self.output_size = self._output_sizes(input_shape)
        self.input_size = tuple(int(n) for n in sizes)
        self._kernel_index = None
        self._kernel_index_on = {}  # the gather index per backend name, made on first use
        if self.implementation == 1:
            kernel_shape = (math.prod(self.output_size), math.prod(self.kernel_size) * input_dim,
                            self.filters)
        else:
            kernel_shape, self._kernel_index = kernel_layout(
                self.implementation, self.input_size, int(input_dim), self.output_size,
                self.filters, self.kernel_size, self.strides, self.padding, self.data_format)
        self.kernel = self.add_weight(
            'kernel', kernel_shape, initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight('bias', self.output_size + (self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        axes = {channel_axis(self.data_format): input_dim}
        axes.update({axis: n for axis, n in zip(
            range(2, 2 + self.rank) if self.data_format == 'channels_first'
            else range(1, 1 + self.rank), sizes)})
        self.input_spec = InputSpec(ndim=self.rank + 2, axes=axes)
        self.built = True

    def _implementation1_kernel(self):
        """The kernel in implementation 1's layout (a gather from implementations 2 and 3)."""
        if self.implementation == 1:
            return self.kernel
        backend = selection.active()
        index = self._kernel_index_on.get(backend.name)
        if index is None:
            index = self._kernel_index_on[backend.name] = backend.asarray(self._kernel_index)
        return ad.gather(ad.reshape(self.kernel, (-1,)), index)

    def _padded(self, inputs):
        """The inputs padded (or cut) so that 'valid' windows are tf.keras' 'same' windows."""
        if self.padding == 'valid':
            return inputs
        inputs = ad.as_tensor(inputs)
        first = 2 if self.data_format == 'channels_first' else 1
        pads, region = [(0, 0)] * inputs.ndim, [slice(None)] * inputs.ndim
        for axis, n, k, s, out in zip(range(first, first + self.rank), self.input_size,
                                      self.kernel_size, self.strides, self.output_size):
            span = (out - 1) * s + k
            pads[axis] = (k // 2, max(span - k // 2 - n, 0))
            region[axis] = slice(0, span)
        return ad.getitem(ad.pad(inputs, pads), tuple(region))

    def call(self, inputs):
        outputs = spatial.local_convolution(self._padded(inputs), self._implementation1_kernel(),
                                            self.kernel_size, self.strides, self.output_size,
                                            self.data_format, owner=layer_owner(self))
        if self.use_bias:
            # for channels_first, K.bias_add reshapes (does not transpose) the (*out, filters)
            # bias to (filters, *out), as tf.keras does, so weights transfer unchanged
            outputs = K.bias_add(outputs, self.bias, data_format=self.data_format)
        return self.activation(outputs)

    def get_config(self):
        config = {
            'filters': self.filters,
            'kernel_size': self.kernel_size,
            'strides': self.strides,
            'padding': self.padding,
            'data_format': self.data_format,
            **kernel_bias_config(self),
        }
        if self.implementation != 1:
            # a tf.keras 2.x key (Keras 2.2.5's layers have no `implementation`); left out when
            # 1 so Keras 2.2 reads the config too
            config['implementation'] = self.implementation
        return {**super().get_config(), **config}


def kernel_layout(implementation, input_size, channels, output_size, filters, kernel_size,
                  strides, padding, data_format):
    """The kernel shape of implementation 2 or 3 and, for each entry of implementation 1's kernel
    (positions, features, filters), the index of the flattened kernel entry it is.

    Taps of a 'same' window that fall in the padding read a zero input, so whichever entry they
    name (entry 0) contributes nothing and gets nothing back from the gradient.
    """
    rank = len(kernel_size)
    out_grid = np.stack(np.unravel_index(np.arange(math.prod(output_size)), output_size), -1)
    tap_grid = np.stack(np.unravel_index(np.arange(math.prod(kernel_size)), kernel_size), -1)
    left = np.array([k // 2 if padding == 'same' else 0 for k in kernel_size])
    where = out_grid[:, None] * np.array(strides) - left + tap_grid[None]  # (P, T, rank)
    inside = np.all((where >= 0) & (where < np.array(input_size)), axis=-1)  # (P, T)
    source = np.ravel_multi_index(tuple(np.where(inside[..., None], where, 0)[..., axis]
                                        for axis in range(rank)), input_size)  # (P, T)
    positions, inputs = math.prod(output_size), math.prod(input_size)
    # broadcast to (P, T, C, F): output position, tap, input channel, filter
    p = np.arange(positions)[:, None, None, None]
    i = source[:, :, None, None]
    c = np.arange(channels)[None, None, :, None]
    f = np.arange(filters)[None, None, None, :]
    first = data_format == 'channels_first'
    if implementation == 2:
        if first:
            shape = (channels,) + input_size + (filters,) + output_size
            index = ((c * inputs + i) * filters + f) * positions + p
        else:
            shape = input_size + (channels,) + output_size + (filters,)
            index = ((i * channels + c) * positions + p) * filters + f
    else:
        out_index = f * positions + p if first else p * filters + f
        in_index = c * inputs + i if first else i * channels + c
        key = np.broadcast_to(out_index * (inputs * channels) + in_index,
                              (positions, len(tap_grid), channels, filters))
        used = np.broadcast_to(inside[:, :, None, None], key.shape)
        index = np.zeros(key.shape, np.int64)
        index[used] = np.argsort(np.argsort(key[used]))
        shape = (int(used.sum()),)
    index = np.where(inside[:, :, None, None], index, 0)
    if first:  # implementation 1's features are (C, *window) for channels_first
        index = index.transpose(0, 2, 1, 3)
    return shape, np.ascontiguousarray(index.reshape(positions, -1, filters))


class LocallyConnected1D(_LocallyConnected):
    """1D locally connected layer on (batch, steps, features) inputs."""

    @legacy_interface('conv1d')
    def __init__(self, filters, kernel_size, strides=1, padding='valid', data_format=None,
                 activation=None, use_bias=True, kernel_initializer='glorot_uniform',
                 bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 implementation=1, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint,
                         bias_constraint, implementation, **kwargs)


class LocallyConnected2D(_LocallyConnected):
    """2D locally connected layer on image batches."""

    @legacy_interface('conv2d')
    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid', data_format=None,
                 activation=None, use_bias=True, kernel_initializer='glorot_uniform',
                 bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 implementation=1, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint,
                         bias_constraint, implementation, **kwargs)
