"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector, Lambda,
ActivityRegularization, Masking."""
import inspect

import numpy as np

from .. import activations, regularizers
from .. import backend as K
from ..backend import autodiff as ad
from ..backend import selection
from ..utils.generic_utils import func_dump, func_load
from ..legacy import legacy_interface
from .base import InputSpec, Layer, kernel_bias_config, set_kernel_bias_arguments


def _positive_int(layer_name, argument, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"Received an invalid value for `{argument}` of layer {layer_name!r}, "
                         f"expected a positive integer. Received: {argument}={value!r}")
    return int(value)


class Dense(Layer):
    """`activation(dot(input, kernel) + bias)` over the last axis of an input of rank >= 2."""

    @legacy_interface('dense')
    def __init__(self, units, activation=None, use_bias=True, kernel_initializer='glorot_uniform',
                 bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        if 'input_shape' not in kwargs and 'input_dim' in kwargs:
            kwargs['input_shape'] = (kwargs.pop('input_dim'),)
        super().__init__(**kwargs)
        self.units = _positive_int(self.name, 'units', units)
        set_kernel_bias_arguments(self, activation, use_bias, kernel_initializer,
                                  bias_initializer, kernel_regularizer, bias_regularizer,
                                  activity_regularizer, kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"The last dimension of the input to Dense layer {self.name!r} "
                             f"should be defined. Found None. Full input shape received: "
                             f"{tuple(input_shape)}")
        self.kernel = self.add_weight('kernel', (input_dim, self.units),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight('bias', (self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        # K.dot(inputs, kernel) + bias as one tape node, the bias added in place of the product
        output = ad.tensordot_last(inputs, self.kernel, self.bias if self.use_bias else None)
        return self.activation(output)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = {
            'units': self.units,
            **kernel_bias_config(self),
        }
        return {**super().get_config(), **config}


class Activation(Layer):
    """Applies an activation function (a name or a callable) to its input."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), 'activation': activations.serialize(self.activation)}


class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs while training, scaling the rest by 1/(1-rate)."""

    @legacy_interface('dropout')
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for `rate` of Dropout layer {self.name!r}, "
                             f"expected a value between 0 and 1. Received: rate={rate!r}")
        self.rate = min(1., max(0., rate))
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True
        self._rng = None
        self._rng_backend = None

    def _generator(self):
        if self.seed is None:
            return None
        backend = selection.active()
        if self._rng is None or self._rng_backend is not backend:
            self._rng, self._rng_backend = backend.rng(self.seed), backend
        return self._rng

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        return tuple(inputs.shape[i] if n is None else n for i, n in enumerate(self.noise_shape))

    def call(self, inputs, training=None):
        if not 0. < self.rate < 1.:
            return inputs
        return K.in_train_phase(
            lambda: K.dropout(inputs, self.rate, self._noise_shape(inputs), rng=self._generator()),
            inputs, training=training)

    def get_config(self):
        config = {'rate': self.rate, 'noise_shape': self.noise_shape, 'seed': self.seed}
        return {**super().get_config(), **config}


class SpatialDropout1D(Dropout):
    """Dropout of whole feature maps: one keep/drop per (sample, channel) of (batch, steps, C)."""

    @legacy_interface('spatial_dropout_1d')
    def __init__(self, rate, **kwargs):
        super().__init__(rate, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def _noise_shape(self, inputs):
        return (inputs.shape[0], 1, inputs.shape[2])


class SpatialDropout2D(Dropout):
    """Dropout of whole 2D feature maps: one keep/drop per (sample, channel)."""
    _RANK = 2

    @legacy_interface('spatial_dropout_nd')
    def __init__(self, rate, data_format=None, **kwargs):
        super().__init__(rate, **kwargs)
        self.data_format = K.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._RANK + 2)

    def _noise_shape(self, inputs):
        if self.data_format == 'channels_first':
            return inputs.shape[:2] + (1,) * self._RANK
        return (inputs.shape[0],) + (1,) * self._RANK + (inputs.shape[-1],)

    def get_config(self):
        return {**super().get_config(), 'data_format': self.data_format}


class SpatialDropout3D(SpatialDropout2D):
    """Dropout of whole 3D feature maps: one keep/drop per (sample, channel)."""
    _RANK = 3


class Flatten(Layer):
    """Flattens every axis but the batch axis (channels moved last first for channels_first)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = K.normalize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def compute_output_shape(self, input_shape):
        if any(d is None for d in input_shape[1:]):
            raise ValueError(f"The shape of the input to \"Flatten\" layer {self.name!r} is not "
                             f"fully defined (got {tuple(input_shape[1:])}). Make sure to pass a "
                             "complete \"input_shape\" or \"batch_input_shape\" argument to the "
                             "first layer in your model.")
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def call(self, inputs):
        if self.data_format == 'channels_first' and inputs.ndim > 2:
            order = (0,) + tuple(range(2, inputs.ndim)) + (1,)
            inputs = K.permute_dimensions(inputs, order)
        return K.batch_flatten(inputs) if inputs.ndim > 1 else K.expand_dims(inputs, 1)

    def get_config(self):
        return {**super().get_config(), 'data_format': self.data_format}


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(1 for d in self.target_shape if d == -1) > 1 or any(
                d < -1 or d == 0 for d in self.target_shape):
            raise ValueError(f"Reshape layer {self.name!r}: target_shape may hold positive sizes "
                             f"and at most one -1. Received: target_shape={target_shape!r}")

    def _fix_unknown_dimension(self, input_shape, output_shape):
        output_shape = list(output_shape)
        original = int(np.prod(input_shape))
        known = 1
        unknown = None
        for index, dim in enumerate(output_shape):
            if dim < 0:
                unknown = index
            else:
                known *= dim
        if unknown is not None:
            if known == 0 or original % known != 0:
                raise ValueError(self._size_error(input_shape))
            output_shape[unknown] = original // known
        elif original != known:
            raise ValueError(self._size_error(input_shape))
        return tuple(output_shape)

    def _size_error(self, input_shape):
        return (f"Reshape layer {self.name!r}: total size of the new array must be unchanged; "
                f"cannot reshape input of shape {tuple(input_shape)} (per sample) to "
                f"target_shape {self.target_shape}.")

    def compute_output_shape(self, input_shape):
        if any(d is None for d in input_shape[1:]):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._fix_unknown_dimension(input_shape[1:], self.target_shape)

    def call(self, inputs):
        target = self._fix_unknown_dimension(inputs.shape[1:], self.target_shape)
        return K.reshape(inputs, (inputs.shape[0],) + target)

    def get_config(self):
        return {**super().get_config(), 'target_shape': self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes; `dims` is 1-based, e.g. (2, 1) swaps the first two."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation `dims` for Permute layer {self.name!r}: "
                             f"{dims}. The set of indices in `dims` must be consecutive and "
                             "start from 1.")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, inputs):
        return K.permute_dimensions(inputs, (0,) + self.dims)

    def get_config(self):
        return {**super().get_config(), 'dims': self.dims}


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = _positive_int(self.name, 'n', n)
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs):
        return K.repeat(inputs, self.n)

    def get_config(self):
        return {**super().get_config(), 'n': self.n}


class Lambda(Layer):
    """Wraps an expression of K functions as a layer: `Lambda(lambda x: x ** 2)`."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda layer {self.name!r}: `function` must be callable; "
                             f"received {function!r}.")
        self.function = function
        self.arguments = arguments or {}
        self.supports_masking = mask is not None
        self.mask = mask
        if output_shape is not None and not callable(output_shape):
            if not isinstance(output_shape, (tuple, list)):
                raise TypeError(f"Lambda layer {self.name!r}: `output_shape` must be a tuple, a "
                                f"list or a function; received {output_shape!r}.")
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        parameters = inspect.signature(function).parameters
        self._pass_mask = 'mask' in parameters
        self._pass_training = 'training' in parameters

    def call(self, inputs, mask=None, training=None):
        arguments = dict(self.arguments)
        if self._pass_mask:
            arguments['mask'] = mask
        if self._pass_training:
            arguments['training'] = training
        return self.function(inputs, **arguments)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return self._infer_output_shape(input_shape)
        if isinstance(self._output_shape, tuple):
            batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
            return (batch,) + self._output_shape
        shape = self._output_shape(input_shape)
        if not isinstance(shape, (list, tuple)):
            raise ValueError(f"Lambda layer {self.name!r}: the `output_shape` function must "
                             f"return a tuple or a list of tuples; it returned {shape!r}.")
        if isinstance(shape, list) and shape and isinstance(shape[0], (list, tuple)):
            return [tuple(s) for s in shape]
        return tuple(shape)

    def _infer_output_shape(self, input_shape):
        """Run the function on small dummy inputs twice; axes whose size changes are None."""
        multi = isinstance(input_shape, list)
        shapes = input_shape if multi else [input_shape]
        results = []
        for fill in ((2, 3), (3, 5)):
            dummies = [np.ones([fill[0] if i == 0 and d is None else fill[1] if d is None else d
                                for i, d in enumerate(s)], dtype=K.floatx()) for s in shapes]
            tensors = [ad.constant(x) for x in dummies]
            with ad.no_grad():
                out = self.call(tensors if multi else tensors[0])
            outs = out if isinstance(out, (list, tuple)) else [out]
            results.append([tuple(o.shape) for o in outs])
        inferred = [tuple(a if a == b else None for a, b in zip(s1, s2))
                    for s1, s2 in zip(*results)]
        return inferred if len(inferred) > 1 else inferred[0]

    def get_config(self):
        if inspect.isfunction(self.function):
            function, function_type = func_dump(self.function), 'lambda'
        else:
            function, function_type = type(self.function).__name__, 'function'
        output_shape, output_shape_type = self._output_shape, 'raw'
        if inspect.isfunction(output_shape):
            output_shape, output_shape_type = func_dump(output_shape), 'lambda'
        config = {'function': function, 'function_type': function_type,
                  'output_shape': output_shape, 'output_shape_type': output_shape_type,
                  'arguments': self.arguments}
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        """Rebuild from a config; marshalled bytecode is loaded only with safe_mode=False."""
        config = dict(config)
        custom_objects = custom_objects or {}
        config['function'] = _load_lambda_part(config, 'function', custom_objects, safe_mode)
        if config.get('output_shape') is not None:
            config['output_shape'] = _load_lambda_part(config, 'output_shape', custom_objects,
                                                       safe_mode)
        for key in ('function_type', 'output_shape_type', 'module', 'output_shape_module'):
            config.pop(key, None)
        return cls(**config)


def _load_lambda_part(config, key, custom_objects, safe_mode):
    value = config[key]
    kind = config.get(f'{key}_type', 'raw')
    if isinstance(value, dict) and value.get('class_name') == '__lambda__':
        # Keras 3 writes {'class_name': '__lambda__', 'config': {'code', 'defaults', 'closure'}}.
        code = value.get('config') or {}
        value, kind = (code.get('code'), code.get('defaults'), code.get('closure')), 'lambda'
    if kind == 'function':
        if value in custom_objects:
            return custom_objects[value]
        raise ValueError(f"Lambda layer {config.get('name')!r}: unknown {key} {value!r}; pass it "
                         "through `custom_objects`.")
    if kind == 'lambda':
        if key == 'function' and config.get('name') in custom_objects:
            return custom_objects[config['name']]
        if safe_mode:
            raise ValueError(
                f"Lambda layer {config.get('name')!r} stores its {key} as Python bytecode, and "
                "loading it would run that code. Pass `safe_mode=False` if you trust the source "
                "of this model, or supply the function as "
                f"`custom_objects={{{config.get('name')!r}: function}}`.")
        return func_load(value)
    return tuple(value) if isinstance(value, list) else value


class ActivityRegularization(Layer):
    """Passes its input through and adds an L1/L2 penalty on it to the model's loss."""

    def __init__(self, l1=0., l2=0., **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        self.activity_regularizer = regularizers.L1L2(l1=l1, l2=l2)

    def get_config(self):
        return {**super().get_config(), 'l1': self.l1, 'l2': self.l2}


class Masking(Layer):
    """Masks time steps whose features all equal `mask_value` (for the layers downstream)."""

    def __init__(self, mask_value=0., **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        return K.any(K.not_equal(inputs, self.mask_value), axis=-1).data

    def call(self, inputs):
        keep = K.any(K.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * ad.raw(keep).astype(inputs.dtype)

    def get_config(self):
        return {**super().get_config(), 'mask_value': self.mask_value}
