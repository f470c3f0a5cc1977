"""Keras 2 weight regularizers: `reg(weight)` -> a differentiable scalar Tensor for the loss."""
import numbers

from . import backend as K
from .registry import deserialize_keras_object, get_keras_object, serialize_keras_object


class Regularizer:
    """Base class: subclasses implement __call__(weight) -> scalar Tensor, and get_config."""

    def __call__(self, x):
        return K.constant(0.)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(|w|) + l2 * sum(w ** 2)."""

    def __init__(self, l1=0., l2=0.):
        for name, value in (('l1', l1), ('l2', l2)):
            if not isinstance(value, numbers.Real) or value < 0:
                raise ValueError(f"L1L2: `{name}` must be a non-negative number. "
                                 f"Received: {name}={value!r}")
        self.l1 = float(l1)
        self.l2 = float(l2)

    def __call__(self, x):
        regularization = K.constant(0., dtype=K.dtype(x))
        if self.l1:
            regularization = regularization + self.l1 * K.sum(K.abs(x))
        if self.l2:
            regularization = regularization + self.l2 * K.sum(K.square(x))
        return regularization

    def get_config(self):
        return {'l1': self.l1, 'l2': self.l2}

    def __repr__(self):
        return f'L1L2(l1={self.l1!r}, l2={self.l2!r})'


def l1(l=0.01):  # noqa: E741 (Keras 2's argument name)
    return L1L2(l1=l)


def l2(l=0.01):  # noqa: E741 (Keras 2's argument name)
    return L1L2(l2=l)


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1=l1, l2=l2)


def _from_l1(l1=0.01, **config):
    """tf.keras 2.x's L1 class: config {'l1': ...} (or Keras 2's argument name `l`)."""
    return L1L2(l1=config.pop('l', l1), **config)


def _from_l2(l2=0.01, **config):
    return L1L2(l2=config.pop('l', l2), **config)


_REGULARIZERS = {
    'L1L2': L1L2, 'l1': l1, 'l2': l2, 'l1_l2': l1_l2,
    'L1': _from_l1, 'L2': _from_l2,
}


def serialize(regularizer):
    """Keras 2 form: {'class_name': 'L1L2', 'config': {'l1': .., 'l2': ..}}.

    None stays None; a plain function is saved by its name.
    """
    return serialize_keras_object(regularizer, 'regularizer')


def deserialize(config, custom_objects=None):
    """A regularizer from a {'class_name', 'config'} dict (Keras 2 or tf.keras 2.x names)."""
    return deserialize_keras_object(config, _REGULARIZERS, custom_objects, 'regularizer')


def get(identifier):
    """A regularizer from None, a name, a config dict or a callable."""
    if identifier is None:
        return None
    return get_keras_object(identifier, deserialize, 'regularizer')
