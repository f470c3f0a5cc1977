"""Keras 2 weight initializers: `init(shape, dtype=None)` -> a backend array.

Fans and the variance-scaling rules are Keras 2's (equal to tf.keras 2.x for dense and conv
kernels). A seeded initializer gives the same values on every call, on a given backend.
"""
import inspect
import math

from . import backend as K
from .backend import selection
from .backend.functions import _truncated_draw
from .registry import deserialize_keras_object, get_keras_object, serialize_keras_object

# std of a standard normal truncated to [-2, 2] (scipy.stats.truncnorm.std(a=-2, b=2))
_TRUNCATED_STD = 0.87962566103423978


def _dtype(dtype):
    return dtype or K.floatx()


def _rng(seed):
    return selection.active().rng(seed)


def _scalar(value, dtype):
    """A NumPy scalar of `dtype`, so arithmetic with arrays of `dtype` keeps their precision."""
    return selection.active().xp.dtype(dtype).type(value)


def _draw(rng, method, shape, dtype):
    """rng.standard_normal / rng.random in `dtype` (drawn in float32 for half precision)."""
    xp = selection.active().xp
    if xp.dtype(dtype) in (xp.dtype('float32'), xp.dtype('float64')):
        return getattr(rng, method)(shape, dtype=dtype)
    return getattr(rng, method)(shape, dtype='float32').astype(dtype)


def _truncated_normal(rng, shape, mean, stddev, dtype):
    """Normal(mean, stddev) redrawn where it falls more than two stddevs from the mean."""
    values = _truncated_draw(rng, shape, dtype)
    return values * _scalar(stddev, dtype) + _scalar(mean, dtype)


def _compute_fans(shape):
    """(fan_in, fan_out) of a weight shape: dense (in, out) or conv (*kernel, in, out)."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field_size = 1
    for dim in shape[:-2]:
        receptive_field_size *= dim
    return shape[-2] * receptive_field_size, shape[-1] * receptive_field_size


class Initializer:
    """Base class: subclasses implement __call__(shape, dtype=None) and get_config."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop('dtype', None)  # written by Keras 2.0/2.1; initializers take no dtype
        return cls(**config)

    def __repr__(self):
        arguments = ', '.join(f'{k}={v!r}' for k, v in self.get_config().items())
        return f'{type(self).__name__}({arguments})'


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return selection.active().xp.zeros(tuple(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return selection.active().xp.ones(tuple(shape), dtype=_dtype(dtype))


class Constant(Initializer):
    def __init__(self, value=0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return selection.active().xp.full(tuple(shape), self.value, dtype=_dtype(dtype))

    def get_config(self):
        return {'value': self.value}


class RandomNormal(Initializer):
    def __init__(self, mean=0., stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        values = _draw(_rng(self.seed), 'standard_normal', tuple(shape), dtype)
        return values * _scalar(self.stddev, dtype) + _scalar(self.mean, dtype)

    def get_config(self):
        return {'mean': self.mean, 'stddev': self.stddev, 'seed': self.seed}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        self.seed = seed

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        values = _draw(_rng(self.seed), 'random', tuple(shape), dtype)
        return (values * _scalar(self.maxval - self.minval, dtype)
                + _scalar(self.minval, dtype))

    def get_config(self):
        return {'minval': self.minval, 'maxval': self.maxval, 'seed': self.seed}


class TruncatedNormal(Initializer):
    """Normal(mean, stddev) with values beyond two standard deviations redrawn."""

    def __init__(self, mean=0., stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape, dtype=None):
        return _truncated_normal(_rng(self.seed), tuple(shape), self.mean, self.stddev,
                                 _dtype(dtype))

    def get_config(self):
        return {'mean': self.mean, 'stddev': self.stddev, 'seed': self.seed}


class VarianceScaling(Initializer):
    """Values with variance scale / n, n the fan_in, the fan_out or their mean (`mode`).

    distribution: 'normal' or 'truncated_normal' (a normal truncated at two standard deviations,
    its stddev corrected so the variance is right), 'untruncated_normal', or 'uniform'
    (within +-sqrt(3 * scale / n)).
    """
    _MODES = ('fan_in', 'fan_out', 'fan_avg')
    _DISTRIBUTIONS = ('normal', 'truncated_normal', 'untruncated_normal', 'uniform')

    def __init__(self, scale=1.0, mode='fan_in', distribution='normal', seed=None):
        if scale <= 0.:
            raise ValueError("VarianceScaling: `scale` must be a positive float. "
                             f"Received: scale={scale!r}")
        mode = str(mode).lower()
        if mode not in self._MODES:
            raise ValueError(f"VarianceScaling: `mode` must be one of {self._MODES}. "
                             f"Received: mode={mode!r}")
        distribution = str(distribution).lower()
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: `distribution` must be one of "
                             f"{self._DISTRIBUTIONS}. Received: distribution={distribution!r}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.seed = seed

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        dtype = _dtype(dtype)
        fan_in, fan_out = _compute_fans(shape)
        fan = {'fan_in': fan_in, 'fan_out': fan_out, 'fan_avg': (fan_in + fan_out) / 2.}[self.mode]
        scale = self.scale / max(1., fan)
        rng = _rng(self.seed)
        if self.distribution in ('normal', 'truncated_normal'):
            return _truncated_normal(rng, shape, 0., math.sqrt(scale) / _TRUNCATED_STD, dtype)
        if self.distribution == 'untruncated_normal':
            return _draw(rng, 'standard_normal', shape, dtype) * _scalar(math.sqrt(scale), dtype)
        limit = math.sqrt(3. * scale)
        return (_draw(rng, 'random', shape, dtype) * _scalar(2 * limit, dtype)
                - _scalar(limit, dtype))

    def get_config(self):
        return {'scale': self.scale, 'mode': self.mode, 'distribution': self.distribution,
                'seed': self.seed}


class Orthogonal(Initializer):
    """`gain` times a (semi-)orthogonal matrix of shape (prod(shape[:-1]), shape[-1]), reshaped."""

    def __init__(self, gain=1., seed=None):
        self.gain = gain
        self.seed = seed

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError("Orthogonal: the tensor to initialize must be at least "
                             f"two-dimensional. Received: shape={shape}")
        xp = selection.active().xp
        dtype = _dtype(dtype)
        num_rows = math.prod(shape[:-1])
        num_cols = shape[-1]
        flat_shape = (max(num_rows, num_cols), min(num_rows, num_cols))
        a = _rng(self.seed).standard_normal(flat_shape, dtype='float64')
        q, r = xp.linalg.qr(a)
        # Multiplying by the signs of diag(r) makes the distribution uniform (Mezzadri, 2007).
        q = q * xp.where(xp.diagonal(r) < 0, -1., 1.)
        if num_rows < num_cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)

    def get_config(self):
        return {'gain': self.gain, 'seed': self.seed}


class Identity(Initializer):
    """`gain` times the identity matrix (2D shapes only; a rectangular shape gets a partial one)."""

    def __init__(self, gain=1.):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError("Identity: the identity initializer can only be used for 2D matrices. "
                             f"Received: shape={shape}")
        xp = selection.active().xp
        dtype = _dtype(dtype)
        return xp.eye(shape[0], shape[1], dtype=dtype) * _scalar(self.gain, dtype)

    def get_config(self):
        return {'gain': self.gain}


def lecun_uniform(seed=None):
    return VarianceScaling(scale=1., mode='fan_in', distribution='uniform', seed=seed)


def lecun_normal(seed=None):
    return VarianceScaling(scale=1., mode='fan_in', distribution='normal', seed=seed)


def glorot_normal(seed=None):
    return VarianceScaling(scale=1., mode='fan_avg', distribution='normal', seed=seed)


def glorot_uniform(seed=None):
    return VarianceScaling(scale=1., mode='fan_avg', distribution='uniform', seed=seed)


def he_normal(seed=None):
    return VarianceScaling(scale=2., mode='fan_in', distribution='normal', seed=seed)


def he_uniform(seed=None):
    return VarianceScaling(scale=2., mode='fan_in', distribution='uniform', seed=seed)


zero = zeros = Zeros
one = ones = Ones
constant = Constant
uniform = random_uniform = RandomUniform
normal = random_normal = RandomNormal
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
orthogonal = Orthogonal
identity = Identity

_INITIALIZERS = {
    'Zeros': Zeros, 'Ones': Ones, 'Constant': Constant, 'RandomNormal': RandomNormal,
    'RandomUniform': RandomUniform, 'TruncatedNormal': TruncatedNormal,
    'VarianceScaling': VarianceScaling, 'Orthogonal': Orthogonal, 'Identity': Identity,
    'zero': zero, 'zeros': zeros, 'one': one, 'ones': ones, 'constant': constant,
    'uniform': uniform, 'random_uniform': random_uniform, 'normal': normal,
    'random_normal': random_normal, 'truncated_normal': truncated_normal,
    'variance_scaling': variance_scaling, 'orthogonal': orthogonal, 'identity': identity,
    'lecun_uniform': lecun_uniform, 'lecun_normal': lecun_normal, 'glorot_normal': glorot_normal,
    'glorot_uniform': glorot_uniform, 'he_normal': he_normal, 'he_uniform': he_uniform,
    # tf.keras 2.x class names of the preset variance-scaling initializers
    'GlorotNormal': glorot_normal, 'GlorotUniform': glorot_uniform, 'HeNormal': he_normal,
    'HeUniform': he_uniform, 'LecunNormal': lecun_normal, 'LecunUniform': lecun_uniform,
}


def serialize(initializer):
    """Keras 2 form: {'class_name': 'VarianceScaling', 'config': {...}}.

    None stays None; a plain function is saved by its name.
    """
    return serialize_keras_object(initializer, 'initializer')


def deserialize(config, custom_objects=None):
    """An initializer from a {'class_name', 'config'} dict (Keras 2 or tf.keras 2.x names)."""
    return deserialize_keras_object(config, _INITIALIZERS, custom_objects, 'initializer',
                                    adapt_config=_drop_unset_foreign_keys)


def _drop_unset_foreign_keys(factory, arguments):
    """Newer Keras writes extra keys (e.g. None-valued ones) that carry nothing for Keras 2."""
    try:
        accepted = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return arguments
    if any(p.kind == p.VAR_KEYWORD for p in accepted.values()):
        return arguments
    return {k: v for k, v in arguments.items() if k in accepted or v is not None}


def get(identifier):
    """An initializer from a name, a config dict, an instance or a callable."""
    return get_keras_object(identifier, deserialize, 'initializer')
