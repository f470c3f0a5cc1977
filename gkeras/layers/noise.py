"""Noise layers, active only in training: GaussianNoise, GaussianDropout, AlphaDropout."""
import math

from .. import backend as K
from ..legacy import legacy_interface
from .base import Layer
from .core import Dropout


def _check_rate(layer, rate):
    if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError(f"Invalid value received for `rate` of {type(layer).__name__} layer "
                         f"{layer.name!r}, expected a value between 0 and 1. Received: "
                         f"rate={rate!r}")
    return float(rate)


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` while training."""

    @legacy_interface('gaussian_noise')
    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.stddev = stddev

    def call(self, inputs, training=None):
        return K.in_train_phase(
            lambda: inputs + K.random_normal(inputs.shape, 0., self.stddev, dtype=inputs.dtype),
            inputs, training=training)

    def get_config(self):
        return {**super().get_config(), 'stddev': self.stddev}


class GaussianDropout(Layer):
    """Multiplies the inputs by Gaussian noise of mean 1 and variance rate / (1 - rate) while
    training."""

    @legacy_interface('gaussian_dropout')
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.rate = _check_rate(self, rate)

    def call(self, inputs, training=None):
        if not 0 < self.rate < 1:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return K.in_train_phase(
            lambda: inputs * K.random_normal(inputs.shape, 1., stddev, dtype=inputs.dtype),
            inputs, training=training)

    def get_config(self):
        return {**super().get_config(), 'rate': self.rate}


class AlphaDropout(Dropout):
    """Dropout that keeps the mean and variance of SELU activations: dropped units are set to
    SELU's negative saturation value, then an affine map restores the moments."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(rate, noise_shape=noise_shape, seed=seed, **kwargs)

    def call(self, inputs, training=None):
        if not 0. < self.rate < 1.:
            return inputs

        def dropped():
            alpha = 1.6732632423543772848170429916717
            scale = 1.0507009873554804934193349852946
            alpha_p = -alpha * scale
            rate = self.rate
            shape = self._noise_shape(inputs) or inputs.shape
            generator = self._generator() or K.active().rng(None)
            kept = K.cast(generator.random(shape, dtype=inputs.dtype) >= rate, inputs.dtype)
            a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
            b = -a * alpha_p * rate
            return (inputs * kept + alpha_p * (1 - kept)) * a + b
        return K.in_train_phase(dropped, inputs, training=training)
