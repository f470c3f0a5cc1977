"""Pooling layers: Max/AveragePooling1D/2D/3D and GlobalMax/GlobalAveragePooling1D/2D/3D."""
from .. import backend as K
from ..backend import spatial
from ..legacy import legacy_interface
from .base import InputSpec, Layer
from .convolutional import (channel_axis, check_output_sizes, layer_owner, spatial_axes,
                            spatial_sizes, with_spatial)


class _Pooling(Layer):
    """Abstract N-D pooling over windows of `pool_size` (strides default to pool_size).

    'same' padding pads as TensorFlow does (the odd element after); average pooling then
    divides by the number of real elements in each window, not the window size.
    """
    _MODE = None

    def __init__(self, rank, pool_size, strides=None, padding='valid', data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        owner = layer_owner(self)
        self.rank = rank
        self.pool_size = spatial.normalize_tuple(pool_size, rank, 'pool_size', owner)
        self.strides = self.pool_size if strides is None else spatial.normalize_tuple(
            strides, rank, 'strides', owner)
        self.padding = spatial.normalize_padding(padding, owner)
        self.data_format = K.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def compute_output_shape(self, input_shape):
        sizes = tuple(spatial.conv_output_length(n, k, self.padding, s) for n, k, s in
                      zip(spatial_sizes(input_shape, self.data_format, self.rank),
                          self.pool_size, self.strides))
        check_output_sizes(self, input_shape, sizes)
        return with_spatial(input_shape, self.data_format, sizes,
                             input_shape[channel_axis(self.data_format)])

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        return spatial.pooling(inputs, self.pool_size, self.strides, self.padding,
                               self.data_format, self._MODE, owner=layer_owner(self))

    def get_config(self):
        config = {'pool_size': self.pool_size, 'padding': self.padding, 'strides': self.strides,
                  'data_format': self.data_format}
        return {**super().get_config(), **config}


class MaxPooling1D(_Pooling):
    """Max over windows of `pool_size` steps of a (batch, steps, features) input."""
    _MODE = 'max'

    @legacy_interface('pooling1d')
    def __init__(self, pool_size=2, strides=None, padding='valid', data_format='channels_last',
                 **kwargs):
        super().__init__(1, pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    """Max over pool_size windows of an image batch."""
    _MODE = 'max'

    @legacy_interface('pooling_nd')
    def __init__(self, pool_size=(2, 2), strides=None, padding='valid', data_format=None,
                 **kwargs):
        super().__init__(2, pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling):
    """Max over pool_size windows of a volume batch."""
    _MODE = 'max'

    @legacy_interface('pooling_nd')
    def __init__(self, pool_size=(2, 2, 2), strides=None, padding='valid', data_format=None,
                 **kwargs):
        super().__init__(3, pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of `pool_size` steps of a (batch, steps, features) input."""
    _MODE = 'avg'

    @legacy_interface('pooling1d')
    def __init__(self, pool_size=2, strides=None, padding='valid', data_format='channels_last',
                 **kwargs):
        super().__init__(1, pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    """Mean over pool_size windows of an image batch."""
    _MODE = 'avg'

    @legacy_interface('pooling_nd')
    def __init__(self, pool_size=(2, 2), strides=None, padding='valid', data_format=None,
                 **kwargs):
        super().__init__(2, pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_Pooling):
    """Mean over pool_size windows of a volume batch."""
    _MODE = 'avg'

    @legacy_interface('pooling_nd')
    def __init__(self, pool_size=(2, 2, 2), strides=None, padding='valid', data_format=None,
                 **kwargs):
        super().__init__(3, pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    """Abstract global pooling: max or mean over every spatial axis.

    Args:
        keepdims: tf.keras' option to keep the spatial axes (with size 1).
    """
    _MODE = None

    def __init__(self, rank, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.data_format = K.normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=rank + 2)

    def compute_output_shape(self, input_shape):
        channels = input_shape[channel_axis(self.data_format)]
        if self.keepdims:
            return with_spatial(input_shape, self.data_format, (1,) * self.rank, channels)
        return (input_shape[0], channels)

    def call(self, inputs):
        axes = spatial_axes(self.data_format, self.rank)
        if self._MODE == 'max':
            return K.max(inputs, axis=axes, keepdims=self.keepdims)
        return K.mean(inputs, axis=axes, keepdims=self.keepdims)

    def get_config(self):
        config = {'data_format': self.data_format}
        if self.keepdims:
            # a tf.keras 2.x key; left out when False so Keras 2.2 reads the config too
            config['keepdims'] = True
        return {**super().get_config(), **config}


class GlobalMaxPooling1D(_GlobalPooling):
    _MODE = 'max'

    def __init__(self, data_format='channels_last', keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)


class GlobalMaxPooling2D(_GlobalPooling):
    _MODE = 'max'

    @legacy_interface('global_pooling')
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


class GlobalMaxPooling3D(_GlobalPooling):
    _MODE = 'max'

    @legacy_interface('global_pooling')
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over time; with a mask, the mean over the unmasked steps only."""
    _MODE = 'avg'

    def __init__(self, data_format='channels_last', keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = spatial_axes(self.data_format, 1)[0]
        weights = K.expand_dims(K.cast(mask, inputs.dtype),
                                2 if self.data_format == 'channels_last' else 1)
        total = K.sum(inputs * weights, axis=steps_axis, keepdims=self.keepdims)
        return total / K.sum(weights, axis=steps_axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    _MODE = 'avg'

    @legacy_interface('global_pooling')
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


class GlobalAveragePooling3D(_GlobalPooling):
    _MODE = 'avg'

    @legacy_interface('global_pooling')
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)


# Keras 2 aliases
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
