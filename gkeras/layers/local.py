"""Locally connected layers: LocallyConnected1D/2D, convolutions whose weights are not shared."""
import math

from .. import backend as K
from ..backend import spatial
from .base import InputSpec, Layer, kernel_bias_config, set_kernel_bias_arguments
from .convolutional import (channel_axis, check_output_sizes, layer_owner, spatial_sizes,
                            with_spatial)


class _LocallyConnected(Layer):
    """Abstract N-D locally connected layer ('valid' windows, a separate kernel per window).

    Weights (Keras 2, implementation=1): kernel (prod(output_size), prod(kernel_size) * C,
    filters) and bias (*output_size, filters).
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
        self.padding = spatial.normalize_padding(padding, owner, ('valid',))
        if implementation != 1:
            raise ValueError(f"{owner}: gkeras implements the Keras 2 weight layout, "
                             f"implementation=1, only. Received: implementation="
                             f"{implementation!r}")
        self.implementation = implementation
        self.data_format = K.normalize_data_format(data_format)
        set_kernel_bias_arguments(self, activation, use_bias, kernel_initializer,
                                  bias_initializer, kernel_regularizer, bias_regularizer,
                                  activity_regularizer, kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _output_sizes(self, input_shape):
        sizes = tuple(spatial.conv_output_length(n, k, 'valid', s) for n, k, s in
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
        self.kernel = self.add_weight(
            'kernel', (math.prod(self.output_size), math.prod(self.kernel_size) * input_dim,
                       self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
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

    def call(self, inputs):
        outputs = spatial.local_convolution(inputs, self.kernel, self.kernel_size, self.strides,
                                            self.output_size, self.data_format,
                                            owner=layer_owner(self))
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
        return {**super().get_config(), **config}


class LocallyConnected1D(_LocallyConnected):
    """1D locally connected layer on (batch, steps, features) inputs."""

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

    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid', data_format=None,
                 activation=None, use_bias=True, kernel_initializer='glorot_uniform',
                 bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 implementation=1, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint,
                         bias_constraint, implementation, **kwargs)
