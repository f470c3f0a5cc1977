"""Convolutional layers: Conv1D/2D/3D, SeparableConv1D/2D, DepthwiseConv2D, Conv2DTranspose,
Conv3DTranspose, and the spatial shape layers Cropping, ZeroPadding and UpSampling (1D/2D/3D).

Each family is one rank-generic base class; the 1D/2D/3D layers only fix the rank and the
Keras 2 defaults. The math lives in gkeras.backend.spatial.
"""
import warnings

from .. import activations, constraints, initializers, regularizers
from .. import backend as K
from ..backend import spatial
from ..legacy import legacy_interface
from .base import InputSpec, Layer, kernel_bias_config, set_kernel_bias_arguments


def layer_owner(layer):
    """How error messages name a layer: "Layer 'conv2d_1' (Conv2D)"."""
    return f"Layer {layer.name!r} ({type(layer).__name__})"


def channel_axis(data_format):
    return 1 if data_format == 'channels_first' else -1


def spatial_axes(data_format, rank):
    first = 2 if data_format == 'channels_first' else 1
    return tuple(range(first, first + rank))


def check_output_sizes(layer, input_shape, sizes):
    """Raise a ValueError naming the layer when a spatial output size would be zero or less."""
    if any(size is not None and size <= 0 for size in sizes):
        raise ValueError(f"{layer_owner(layer)}: the input of shape {tuple(input_shape)} is too "
                         f"small; it would give the spatial output sizes {tuple(sizes)}. A "
                         "'valid' window (kernel_size, pool_size or cropping) must fit inside "
                         "the input.")


def with_spatial(input_shape, data_format, sizes, channels):
    if data_format == 'channels_first':
        return (input_shape[0], channels) + tuple(sizes)
    return (input_shape[0],) + tuple(sizes) + (channels,)


def spatial_sizes(input_shape, data_format, rank):
    return tuple(input_shape[axis] for axis in spatial_axes(data_format, rank))


def _input_channels(layer, input_shape):
    channels = input_shape[channel_axis(layer.data_format)]
    if channels is None:
        raise ValueError(f"{layer_owner(layer)}: the channel dimension of the inputs should be "
                         f"defined. Found `None` in input shape {tuple(input_shape)}.")
    return int(channels)


class _Conv(Layer):
    """Abstract N-D convolution: `activation(conv(inputs, kernel) + bias)`.

    Args:
        rank: number of spatial axes (1, 2 or 3).
        groups: tf.keras' grouped convolution (input and output channels split into groups).
    """
    _PADDINGS = ('valid', 'same')

    def __init__(self, rank, filters, kernel_size, strides=1, padding='valid', data_format=None,
                 dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, groups=1, **kwargs):
        super().__init__(**kwargs)
        owner = layer_owner(self)
        self.rank = rank
        self.filters = None if filters is None else spatial.normalize_tuple(
            filters, 1, 'filters', owner)[0]
        self.kernel_size = spatial.normalize_tuple(kernel_size, rank, 'kernel_size', owner)
        self.strides = spatial.normalize_tuple(strides, rank, 'strides', owner)
        self.padding = spatial.normalize_padding(padding, owner, self._PADDINGS)
        self.data_format = K.normalize_data_format(data_format)
        self.dilation_rate = spatial.normalize_tuple(dilation_rate, rank, 'dilation_rate', owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner}: `strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.groups = spatial.normalize_tuple(groups, 1, 'groups', owner)[0]
        if self.filters is not None and self.filters % self.groups:
            raise ValueError(f"{owner}: the number of filters must be evenly divisible by the "
                             f"number of groups. Received: groups={self.groups}, "
                             f"filters={self.filters}")
        set_kernel_bias_arguments(self, activation, use_bias, kernel_initializer,
                                  bias_initializer, kernel_regularizer, bias_regularizer,
                                  activity_regularizer, kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _output_channels(self, input_channels):
        return self.filters

    def _spatial_output(self, sizes):
        return tuple(spatial.conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                     zip(sizes, self.kernel_size, self.strides, self.dilation_rate))

    def compute_output_shape(self, input_shape):
        sizes = self._spatial_output(spatial_sizes(input_shape, self.data_format, self.rank))
        check_output_sizes(self, input_shape, sizes)
        channels = input_shape[channel_axis(self.data_format)]
        return with_spatial(input_shape, self.data_format, sizes,
                             None if channels is None else self._output_channels(channels))

    def build(self, input_shape):
        input_dim = _input_channels(self, input_shape)
        if input_dim % self.groups:
            raise ValueError(f"{layer_owner(self)}: the number of input channels must be evenly "
                             f"divisible by the number of groups. Received groups="
                             f"{self.groups}, but the input has {input_dim} channels (full "
                             f"input shape is {tuple(input_shape)}).")
        self.compute_output_shape(input_shape)
        self._build_kernels(input_dim)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight('bias', (self._output_channels(input_dim),),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2,
                                    axes={channel_axis(self.data_format): input_dim})
        self.built = True

    def _build_kernels(self, input_dim):
        self.kernel = self.add_weight('kernel',
                                      self.kernel_size + (input_dim // self.groups, self.filters),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)

    def _convolve(self, inputs, relu=False):
        """The convolution plus the bias (the plain convolution adds it in the same pass), and
        with relu its relu activation (also in that pass)."""
        return spatial.convolution(inputs, self.kernel, self.strides, self.padding,
                                   self.data_format, self.dilation_rate, self.groups,
                                   owner=layer_owner(self), bias=self.bias, relu=relu)

    def _add_bias(self, outputs):
        """bias_add, for the convolutions whose primitive does not take the bias."""
        if self.bias is None:
            return outputs
        return K.bias_add(outputs, self.bias, data_format=self.data_format)

    # whether _convolve can apply a relu activation itself
    _fuses_relu = True

    def call(self, inputs):
        if self._fuses_relu and self.activation is activations.relu:
            return self._convolve(inputs, relu=True)
        return self.activation(self._convolve(inputs))

    def get_config(self):
        config = {
            'filters': self.filters,
            'kernel_size': self.kernel_size,
            'strides': self.strides,
            'padding': self.padding,
            'data_format': self.data_format,
            'dilation_rate': self.dilation_rate,
            **kernel_bias_config(self),
        }
        if self.groups != 1:
            # a tf.keras 2.x key; left out when 1 so Keras 2.2 reads the config too
            config['groups'] = self.groups
        return {**super().get_config(), **config}


class Conv1D(_Conv):
    """1D (temporal) convolution; padding 'valid', 'same' or 'causal' (output[t] sees x[:t+1])."""
    _PADDINGS = ('valid', 'same', 'causal')

    @legacy_interface('conv1d')
    def __init__(self, filters, kernel_size, strides=1, padding='valid',
                 data_format='channels_last', dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv2D(_Conv):
    """2D convolution over images: kernel (kh, kw, input_channels, filters)."""

    @legacy_interface('conv2d')
    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid', data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv3D(_Conv):
    """3D convolution over volumes: kernel (kd, kh, kw, input_channels, filters)."""

    @legacy_interface('conv3d')
    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding='valid',
                 data_format=None, dilation_rate=(1, 1, 1), activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class _SeparableConv(_Conv):
    """Abstract depthwise-separable convolution: a depthwise then a pointwise (1x1) convolution.

    Weights, in order: depthwise_kernel (*kernel_size, C, depth_multiplier), pointwise_kernel
    (1, ..., 1, C * depth_multiplier, filters), bias (filters,).
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding='valid', data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer='glorot_uniform', pointwise_initializer='glorot_uniform',
                 bias_initializer='zeros', depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, activation, use_bias, bias_initializer=bias_initializer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = spatial.normalize_tuple(depth_multiplier, 1, 'depth_multiplier',
                                                        layer_owner(self))[0]
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def _build_kernels(self, input_dim):
        self.depthwise_kernel = self.add_weight(
            'depthwise_kernel', self.kernel_size + (input_dim, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            'pointwise_kernel', (1,) * self.rank + (input_dim * self.depth_multiplier,
                                                    self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)

    _fuses_relu = False  # the bias is a separate op here

    def _convolve(self, inputs):
        return self._add_bias(spatial.separable_convolution(
            inputs, self.depthwise_kernel, self.pointwise_kernel, self.strides, self.padding,
            self.data_format, self.dilation_rate, owner=layer_owner(self)))

    def get_config(self):
        config = super().get_config()
        for key in ('kernel_initializer', 'kernel_regularizer', 'kernel_constraint'):
            config.pop(key)
        config.update({
            'depth_multiplier': self.depth_multiplier,
            'depthwise_initializer': initializers.serialize(self.depthwise_initializer),
            'pointwise_initializer': initializers.serialize(self.pointwise_initializer),
            'depthwise_regularizer': regularizers.serialize(self.depthwise_regularizer),
            'pointwise_regularizer': regularizers.serialize(self.pointwise_regularizer),
            'depthwise_constraint': constraints.serialize(self.depthwise_constraint),
            'pointwise_constraint': constraints.serialize(self.pointwise_constraint),
        })
        return config


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1D convolution (padding 'valid', 'same' or 'causal')."""
    _PADDINGS = ('valid', 'same', 'causal')

    def __init__(self, filters, kernel_size, strides=1, padding='valid',
                 data_format='channels_last', dilation_rate=1, depth_multiplier=1,
                 activation=None, use_bias=True, depthwise_initializer='glorot_uniform',
                 pointwise_initializer='glorot_uniform', bias_initializer='zeros',
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2D convolution."""

    @legacy_interface('separable_conv2d')
    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid', data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer='glorot_uniform', pointwise_initializer='glorot_uniform',
                 bias_initializer='zeros', depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)


class DepthwiseConv2D(Conv2D):
    """Depthwise 2D convolution: each input channel gets its own depth_multiplier filters.

    Weights: depthwise_kernel (kh, kw, C, depth_multiplier), bias (C * depth_multiplier,);
    output channel c * depth_multiplier + j comes from input channel c.
    """

    def __init__(self, kernel_size, strides=(1, 1), padding='valid', depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer='glorot_uniform', bias_initializer='zeros',
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(None, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, bias_initializer=bias_initializer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = spatial.normalize_tuple(depth_multiplier, 1, 'depth_multiplier',
                                                        layer_owner(self))[0]
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _output_channels(self, input_channels):
        return input_channels * self.depth_multiplier

    def _build_kernels(self, input_dim):
        self.depthwise_kernel = self.add_weight(
            'depthwise_kernel', self.kernel_size + (input_dim, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)

    _fuses_relu = False  # the bias is a separate op here

    def _convolve(self, inputs):
        return self._add_bias(spatial.depthwise_convolution(
            inputs, self.depthwise_kernel, self.strides, self.padding, self.data_format,
            self.dilation_rate, owner=layer_owner(self)))

    def get_config(self):
        config = super().get_config()
        for key in ('filters', 'kernel_initializer', 'kernel_regularizer', 'kernel_constraint'):
            config.pop(key)
        config.update({
            'depth_multiplier': self.depth_multiplier,
            'depthwise_initializer': initializers.serialize(self.depthwise_initializer),
            'depthwise_regularizer': regularizers.serialize(self.depthwise_regularizer),
            'depthwise_constraint': constraints.serialize(self.depthwise_constraint),
        })
        return config


class _ConvTranspose(_Conv):
    """Abstract N-D transposed convolution; kernel (*kernel_size, filters, input_channels).

    Output sizes follow tf.keras' deconv_output_length; `output_padding` (each < its stride)
    picks one of the sizes a strided convolution maps onto the input size.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding='valid',
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        self.output_padding = output_padding
        if output_padding is not None:
            owner = layer_owner(self)
            self.output_padding = spatial.normalize_tuple(output_padding, rank, 'output_padding',
                                                          owner, allow_zero=True)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f"{owner}: strides must be greater than output padding. "
                                 f"Received strides={self.strides}, "
                                 f"output_padding={self.output_padding}.")

    def _spatial_output(self, sizes):
        paddings = self.output_padding or (None,) * self.rank
        return tuple(spatial.deconv_output_length(n, k, self.padding, p, s, d) for n, k, p, s, d
                     in zip(sizes, self.kernel_size, paddings, self.strides, self.dilation_rate))

    def _build_kernels(self, input_dim):
        self.kernel = self.add_weight('kernel', self.kernel_size + (self.filters, input_dim),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)

    _fuses_relu = False  # the bias is a separate op here

    def _convolve(self, inputs):
        output_shape = self.compute_output_shape(inputs.shape)
        return self._add_bias(spatial.convolution_transpose(
            inputs, self.kernel, output_shape, self.strides, self.padding, self.data_format,
            self.dilation_rate, owner=layer_owner(self)))

    def get_config(self):
        return {**super().get_config(), 'output_padding': self.output_padding}


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2D convolution ("deconvolution")."""

    @legacy_interface('deconv2d')
    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid',
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution; no dilation_rate, as in Keras 2."""

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding='valid',
                 output_padding=None, data_format=None, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, output_padding, data_format,
                         1, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop('dilation_rate')
        return config


# ---------------------------------------------------------------------------------------------
# Cropping, zero padding, upsampling

def _normalize_pairs(value, rank, name, owner):
    """int, `rank` ints (symmetric) or `rank` pairs -> `rank` (before, after) pairs, all >= 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        pairs = ((value, value),) * rank
    elif hasattr(value, '__len__') and len(value) == rank:
        pairs = tuple(spatial.normalize_tuple(v, 2, f'{name}[{i}]', owner, allow_zero=True)
                      for i, v in enumerate(value))
    else:
        raise ValueError(f"{owner}: `{name}` should be an int, a tuple of {rank} ints or a "
                         f"tuple of {rank} tuples of 2 ints. Received: {name}={value!r}")
    for pair in pairs:
        spatial.normalize_tuple(pair, 2, name, owner, allow_zero=True)
    return pairs


class _SpatialPairs(Layer):
    """Abstract N-D cropping or zero padding: a (before, after) pair of sizes per spatial axis,
    kept in the attribute and config key named by `_argument`; `_sign` -1 crops, +1 pads."""
    _argument = None
    _sign = 0

    def __init__(self, rank, pairs, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.data_format = K.normalize_data_format(data_format)
        setattr(self, self._argument,
                _normalize_pairs(pairs, rank, self._argument, layer_owner(self)))
        self.input_spec = InputSpec(ndim=rank + 2)

    @property
    def _pairs(self):
        return getattr(self, self._argument)

    def compute_output_shape(self, input_shape):
        sizes = tuple(None if n is None else n + self._sign * (b + a) for n, (b, a) in
                      zip(spatial_sizes(input_shape, self.data_format, self.rank), self._pairs))
        if self._sign < 0:
            check_output_sizes(self, input_shape, sizes)
        return with_spatial(input_shape, self.data_format, sizes,
                             input_shape[channel_axis(self.data_format)])

    def get_config(self):
        return {**super().get_config(), self._argument: self._pairs,
                'data_format': self.data_format}


class _Temporal:
    """The 1D form of a _SpatialPairs layer: one (start, end) pair (or an int for both) for the
    steps of a (batch, steps, features) input, and a config without data_format."""

    def __init__(self, pair, **kwargs):
        if isinstance(pair, int) and not isinstance(pair, bool):
            pair = (pair, pair)
        super().__init__(1, (pair,), 'channels_last', **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop('data_format')
        config[self._argument] = config[self._argument][0]
        return config


class _Cropping(_SpatialPairs):
    """Abstract N-D cropping: drop `cropping[i]` = (before, after) elements of spatial axis i."""
    _argument = 'cropping'
    _sign = -1

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        index = [slice(None)] * inputs.ndim
        for axis, (before, after) in zip(spatial_axes(self.data_format, self.rank),
                                         self.cropping):
            index[axis] = slice(before, inputs.shape[axis] - after)
        return inputs[tuple(index)]


class Cropping1D(_Temporal, _Cropping):
    """Crops (start, end) steps of a (batch, steps, features) input."""

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Crops ((top, bottom), (left, right)) of an image batch."""

    @legacy_interface('data_format')
    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(2, cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops three (before, after) pairs of a volume batch."""

    @legacy_interface('data_format')
    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(3, cropping, data_format, **kwargs)


class _ZeroPadding(_SpatialPairs):
    """Abstract N-D zero padding: `padding[i]` = (before, after) zeros on spatial axis i."""
    _argument = 'padding'
    _sign = 1

    def call(self, inputs):
        if self.rank == 1:
            return K.temporal_padding(inputs, padding=self.padding[0])
        if self.rank == 2:
            return K.spatial_2d_padding(inputs, padding=self.padding,
                                        data_format=self.data_format)
        return K.spatial_3d_padding(inputs, padding=self.padding, data_format=self.data_format)


class ZeroPadding1D(_Temporal, _ZeroPadding):
    """Zeros before and after the steps of a (batch, steps, features) input."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(padding, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Zero rows and columns around an image batch."""

    @legacy_interface('zeropadding2d')
    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(2, padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Zeros around a volume batch."""

    @legacy_interface('data_format')
    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super().__init__(3, padding, data_format, **kwargs)


class _UpSampling(Layer):
    """Abstract N-D upsampling: each spatial axis repeated (or interpolated) size[i] times."""

    def __init__(self, rank, size, data_format=None, interpolation='nearest', **kwargs):
        super().__init__(**kwargs)
        owner = layer_owner(self)
        self.rank = rank
        self.data_format = K.normalize_data_format(data_format)
        self.size = spatial.normalize_tuple(size, rank, 'size', owner)
        if interpolation not in ('nearest', 'bilinear'):
            raise ValueError(f"{owner}: `interpolation` should be 'nearest' or 'bilinear'. "
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=rank + 2)

    def compute_output_shape(self, input_shape):
        sizes = tuple(None if n is None else n * f for n, f in
                      zip(spatial_sizes(input_shape, self.data_format, self.rank), self.size))
        return with_spatial(input_shape, self.data_format, sizes,
                             input_shape[channel_axis(self.data_format)])

    def call(self, inputs):
        if self.rank == 1:
            return K.repeat_elements(inputs, self.size[0], axis=1)
        if self.rank == 2:
            return K.resize_images(inputs, self.size[0], self.size[1], self.data_format,
                                   interpolation=self.interpolation)
        return K.resize_volumes(inputs, *self.size, self.data_format)

    def get_config(self):
        return {**super().get_config(), 'size': self.size, 'data_format': self.data_format}


class UpSampling1D(_UpSampling):
    """Repeats each step of a (batch, steps, features) input `size` times."""

    @legacy_interface('upsampling1d')
    def __init__(self, size=2, **kwargs):
        super().__init__(1, size, 'channels_last', **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop('data_format')
        config['size'] = self.size[0]
        return config


class UpSampling2D(_UpSampling):
    """Upsamples rows and columns by size; interpolation 'nearest' or 'bilinear' (as tf.image)."""

    @legacy_interface('data_format')
    def __init__(self, size=(2, 2), data_format=None, interpolation='nearest', **kwargs):
        super().__init__(2, size, data_format, interpolation, **kwargs)

    def get_config(self):
        return {**super().get_config(), 'interpolation': self.interpolation}


class UpSampling3D(_UpSampling):
    """Repeats the three spatial axes size[0], size[1], size[2] times."""

    @legacy_interface('data_format')
    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(3, size, data_format, **kwargs)


# Keras 2 aliases
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
Convolution2DTranspose = Conv2DTranspose
Deconvolution2D = Deconv2D = Conv2DTranspose
Deconvolution3D = Deconv3D = Conv3DTranspose


def _atrous(conv, name):
    def make(*args, **kwargs):
        """Keras 1's dilated convolution, which Keras 2.2 still builds (with this warning):
        the Conv layer with dilation_rate=atrous_rate (default 1), Keras 1 arguments and all."""
        kwargs['dilation_rate'] = kwargs.pop('atrous_rate', 1)
        warnings.warn(f'The `{name}` layer has been deprecated. Use instead the `{conv.__name__}` '
                      'layer with the `dilation_rate` argument.', stacklevel=2)
        return conv(*args, **kwargs)
    make.__name__ = make.__qualname__ = name
    return make


AtrousConvolution1D = AtrousConv1D = _atrous(Conv1D, 'AtrousConvolution1D')
AtrousConvolution2D = AtrousConv2D = _atrous(Conv2D, 'AtrousConvolution2D')


_POOLING = ('MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D',
            'AveragePooling2D', 'AveragePooling3D')


def __getattr__(name):
    """Keras 2.2 also exports the pooling layers here (`from keras.layers.convolutional import
    MaxPooling2D`); they live in pooling.py, which imports this module, so on first use."""
    if name in _POOLING:
        from . import pooling
        return getattr(pooling, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
