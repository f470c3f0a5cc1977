"""Keras 2 weight constraints: `c(w)` takes and returns a raw backend array (applied after a step).

Formulas are tf.keras 2.x's, epsilon included: w * desired / (epsilon + norm).
"""
from . import backend as K
from .backend import selection
from .registry import deserialize_keras_object, get_keras_object, serialize_keras_object


def _axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _norms(w, axis):
    xp = selection.active().xp
    return xp.sqrt(xp.sum(xp.square(w), axis=_axis(axis), keepdims=True))


class Constraint:
    """Base class: subclasses implement __call__(w) -> projected w, and get_config."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ', '.join(f'{k}={v!r}' for k, v in self.get_config().items())
        return f'{type(self).__name__}({arguments})'


class MaxNorm(Constraint):
    """Rescale each weight vector along `axis` whose L2 norm exceeds `max_value` down to it."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = selection.active().xp.clip(norms, 0, self.max_value)
        return w * (desired / (K.epsilon() + norms))

    def get_config(self):
        return {'max_value': self.max_value, 'axis': self.axis}


class NonNeg(Constraint):
    """Zero the negative weights."""

    def __call__(self, w):
        return w * (w >= 0).astype(w.dtype)


class UnitNorm(Constraint):
    """Divide each weight vector along `axis` by its L2 norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (K.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {'axis': self.axis}


class MinMaxNorm(Constraint):
    """Move each weight vector's norm a fraction `rate` of the way into [min_value, max_value]."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        clipped = selection.active().xp.clip(norms, self.min_value, self.max_value)
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (K.epsilon() + norms))

    def get_config(self):
        return {'min_value': self.min_value, 'max_value': self.max_value, 'rate': self.rate,
                'axis': self.axis}


max_norm = maxnorm = MaxNorm
non_neg = nonneg = NonNeg
unit_norm = unitnorm = UnitNorm
min_max_norm = MinMaxNorm

_CONSTRAINTS = {
    'MaxNorm': MaxNorm, 'NonNeg': NonNeg, 'UnitNorm': UnitNorm, 'MinMaxNorm': MinMaxNorm,
    'max_norm': max_norm, 'maxnorm': maxnorm, 'non_neg': non_neg, 'nonneg': nonneg,
    'unit_norm': unit_norm, 'unitnorm': unitnorm, 'min_max_norm': min_max_norm,
}


def serialize(constraint):
    """Keras 2 form: {'class_name': 'MaxNorm', 'config': {...}}.

    None stays None; a plain function is saved by its name.
    """
    return serialize_keras_object(constraint, 'constraint')


def deserialize(config, custom_objects=None):
    """A constraint from a {'class_name', 'config'} dict."""
    return deserialize_keras_object(config, _CONSTRAINTS, custom_objects, 'constraint')


def get(identifier):
    """A constraint from None, a name, a config dict or a callable."""
    if identifier is None:
        return None
    return get_keras_object(identifier, deserialize, 'constraint')
