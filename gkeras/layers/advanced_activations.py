"""Activation layers with parameters: LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax, ReLU."""
from .. import activations, constraints, initializers, regularizers
from .. import backend as K
from ..legacy import legacy_interface
from .base import InputSpec, Layer


class LeakyReLU(Layer):
    """x for x > 0, alpha * x otherwise."""

    def __init__(self, alpha=0.3, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha = float(alpha)

    def call(self, inputs):
        return K.relu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), 'alpha': self.alpha}


class PReLU(Layer):
    """x for x > 0, alpha * x otherwise, with a learned alpha per input element.

    Args:
        shared_axes: axes (1-based, batch excluded) along which alpha is shared, e.g. [1, 2]
            for one alpha per channel of a (batch, height, width, channels) input.
    """

    @legacy_interface('prelu')
    def __init__(self, alpha_initializer='zeros', alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f"PReLU layer {self.name!r}: shared axis {axis} is out of range "
                                 f"for an input of shape {tuple(input_shape)} (axes are 1-based; "
                                 "the batch axis cannot be shared).")
            param_shape[axis - 1] = 1
        if any(n is None for n in param_shape):
            raise ValueError(f"PReLU layer {self.name!r} needs every non-shared axis of its input "
                             f"to be defined; received input shape {tuple(input_shape)}.")
        self.alpha = self.add_weight('alpha', param_shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        shared = set(self.shared_axes or [])
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={i: input_shape[i] for i in range(1, len(input_shape))
                                          if i not in shared})
        self.built = True

    def call(self, inputs):
        return K.relu(inputs) - self.alpha * K.relu(-inputs)

    def get_config(self):
        config = {
            'alpha_initializer': initializers.serialize(self.alpha_initializer),
            'alpha_regularizer': regularizers.serialize(self.alpha_regularizer),
            'alpha_constraint': constraints.serialize(self.alpha_constraint),
            'shared_axes': self.shared_axes,
        }
        return {**super().get_config(), **config}


class ELU(Layer):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha = float(alpha)

    def call(self, inputs):
        return K.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), 'alpha': self.alpha}


class ThresholdedReLU(Layer):
    """x for x > theta, 0 otherwise."""

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.theta = float(theta)

    def call(self, inputs):
        return inputs * K.cast(K.greater(inputs, self.theta), inputs.dtype)

    def get_config(self):
        return {**super().get_config(), 'theta': self.theta}


class Softmax(Layer):
    """Softmax over `axis`."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.axis = axis

    def call(self, inputs):
        return activations.softmax(inputs, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), 'axis': self.axis}


class ReLU(Layer):
    """Rectified linear unit: x above `threshold`, `negative_slope * (x - threshold)` below,
    capped at `max_value`."""

    def __init__(self, max_value=None, negative_slope=0., threshold=0., **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.:
            raise ValueError(f"ReLU layer {self.name!r}: max_value cannot be negative. "
                             f"Received: max_value={max_value}")
        if negative_slope < 0.:
            raise ValueError(f"ReLU layer {self.name!r}: negative_slope cannot be negative. "
                             f"Received: negative_slope={negative_slope}")
        self.supports_masking = True
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def call(self, inputs):
        return K.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                      threshold=self.threshold)

    def get_config(self):
        config = {'max_value': self.max_value, 'negative_slope': self.negative_slope,
                  'threshold': self.threshold}
        return {**super().get_config(), **config}
