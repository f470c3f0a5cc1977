"""The Keras 2 backend functions (`from gkeras import backend as K`), each differentiable.

Every function takes Tensors, backend arrays, NumPy arrays or Python numbers and returns a Tensor;
all of them are compositions of the primitives in autodiff.py, so gradients come for free. The
semantics (shapes, dtypes, edge cases, which way a gradient goes at a kink) are tf_keras 2.21's.
"""
import builtins
import contextlib
import threading
import warnings

import numpy as np

from . import autodiff as ad
from . import config
from . import selection
from .autodiff import Tensor, Variable, as_tensor, raw
from .config import epsilon, floatx, learning_phase
from . import symbolic as _symbolic
from .symbolic import symbolic_aware as _symbolic_aware

__all__ = [
    # session and naming
    'backend', 'get_uid', 'reset_uids', 'clear_session', 'name_scope', 'get_session',
    'set_session', 'manual_variable_initialization',
    # array creation and inspection
    'variable', 'constant', 'placeholder', 'is_placeholder', 'is_tensor', 'is_keras_tensor',
    'shape', 'int_shape', 'ndim', 'dtype', 'count_params', 'cast', 'zeros', 'ones', 'eye',
    'zeros_like', 'ones_like', 'identity',
    'random_normal', 'random_uniform', 'random_binomial', 'random_bernoulli', 'truncated_normal',
    'random_normal_variable', 'random_uniform_variable', 'arange', 'one_hot', 'cast_to_floatx',
    'is_sparse', 'to_dense',
    # shape manipulation
    'reshape', 'transpose', 'permute_dimensions', 'expand_dims', 'squeeze', 'flatten',
    'batch_flatten', 'concatenate', 'stack', 'tile', 'repeat', 'repeat_elements', 'gather',
    'reverse', 'slice', 'spatial_2d_padding', 'stop_gradient',
    # math
    'sum', 'mean', 'max', 'min', 'prod', 'cumsum', 'cumprod', 'var', 'std', 'any', 'all',
    'argmax', 'argmin', 'square', 'sqrt', 'abs', 'exp', 'log', 'logsumexp', 'pow', 'clip',
    'maximum', 'minimum', 'sin', 'cos', 'sign', 'round', 'equal', 'not_equal', 'greater',
    'greater_equal', 'less', 'less_equal', 'switch', 'dot', 'batch_dot', 'l2_normalize',
    # neural networks
    'relu', 'elu', 'selu', 'softmax', 'softplus', 'softsign', 'sigmoid', 'hard_sigmoid', 'tanh',
    'dropout', 'bias_add', 'in_train_phase', 'in_test_phase', 'categorical_crossentropy',
    'sparse_categorical_crossentropy', 'binary_crossentropy', 'in_top_k', 'batch_normalization',
    'normalize_batch_in_training', 'rnn', 'map_fn', 'foldl', 'foldr',
    # values and gradients
    'eval', 'get_value', 'batch_get_value', 'set_value', 'batch_set_value', 'print_tensor',
    'update', 'update_add',
    'update_sub', 'moving_average_update', 'gradients', 'function',
]

_UID = {}


def _xp():
    return selection.active().xp


def _t(x):
    return x if isinstance(x, Tensor) else as_tensor(x, _default_dtype(x))


def _t_like(x, reference):
    """x as a Tensor; a non-Tensor x takes the float dtype of the Tensor it meets (as TensorFlow
    converts a NumPy operand), so a float64 NumPy array does not widen a float32 computation."""
    if isinstance(x, Tensor):
        return x
    if reference is None or not _is_float(reference):
        return _t(x)
    if np.dtype(getattr(x, 'dtype', 'f')).kind != 'b':
        return as_tensor(x, reference.dtype)
    return _t(x)


def _first_tensor(values):
    return next((v for v in values if isinstance(v, Tensor)), None)


def _default_dtype(x):
    """Python floats become floatx, as Keras' constants do; arrays keep their dtype."""
    if isinstance(x, float) or (isinstance(x, (list, tuple)) and _has_float(x)):
        return floatx()
    return None


def _has_float(seq):
    return builtins.any(isinstance(v, float) or (isinstance(v, (list, tuple)) and _has_float(v))
                        for v in seq)


def _is_float(x):
    return np.dtype(x.dtype).kind == 'f'


def get_uid(prefix=''):
    """A counter per prefix starting at 1, as Keras 2 names layers (dense_1, dense_2, ...)."""
    _UID[prefix] = _UID.get(prefix, 0) + 1
    return _UID[prefix]


def reset_uids():
    _UID.clear()


def clear_session():
    """Forget layer-name counters and a fixed learning phase, as Keras' clear_session does."""
    reset_uids()
    config.reset_learning_phase()


def backend():
    return selection.active().name


class _Scopes(threading.local):
    def __init__(self):
        self.names = []


_scopes = _Scopes()


@contextlib.contextmanager
def name_scope(name):
    """`with K.name_scope('block') as scope:` as Keras 2 code writes it; scope is the nested
    scope's name, 'outer/block/'. gkeras runs eagerly and names weights after their layers,
    so a scope changes no name (in TensorFlow graphs it prefixed the ops and variables)."""
    _scopes.names.append(str(name))
    try:
        yield '/'.join(_scopes.names) + '/'
    finally:
        _scopes.names.pop()


# ---------------------------------------------------------------------------------------------
# Array creation and inspection

def variable(value, dtype=None, name=None, constraint=None):
    dtype = dtype or floatx()
    data = selection.active().asarray(raw(value), dtype=dtype).copy()
    return Variable(data, name=name, constraint=constraint)


def constant(value, dtype=None, shape=None, name=None):
    """A constant tensor; with `shape`, a scalar is filled in and a same-sized value reshaped."""
    dtype = dtype or floatx()
    data = selection.active().asarray(raw(value), dtype=dtype)
    if shape is not None:
        shape = tuple(int(n) for n in shape)
        if data.size == int(np.prod(shape)):
            data = data.reshape(shape)
        elif data.size == 1:
            data = _xp().full(shape, data.reshape(()), dtype=dtype)
        else:
            raise TypeError(f"constant: a value of {data.size} elements cannot fill shape {shape}.")
    return Tensor(data)


def is_tensor(x):
    return isinstance(x, Tensor)


def is_keras_tensor(x):
    return getattr(x, '_keras_history', None) is not None


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """A symbolic input of this shape (None: any size), as `Input(batch_shape=shape)`: what
    Keras 2 code feeds through K.function and differentiates with K.gradients."""
    if sparse:
        raise ValueError("K.placeholder: sparse placeholders are not supported (gkeras has no "
                         "sparse tensors).")
    if shape is None:
        if ndim is None:
            raise ValueError("K.placeholder: give a `shape` or an `ndim`.")
        shape = (None,) * ndim
    from ..layers.input_layer import Input
    return Input(batch_shape=tuple(shape), dtype=dtype or floatx(), name=name)


def is_placeholder(x):
    """Whether x is a symbolic input (K.placeholder or Input), as Keras 2's placeholder test."""
    history = getattr(x, '_keras_history', None)
    return history is not None and type(history[0]).__name__ == 'InputLayer'


def manual_variable_initialization(value):
    """Keras 2's switch between TensorFlow initializing variables itself or leaving it to the
    user: gkeras variables hold their values from the start, so either way nothing changes."""

_NO_SESSION = ("gkeras runs eagerly on NumPy or CuPy, without TensorFlow, so there is no "
               "session to {}. Threads on the CPU follow OMP_NUM_THREADS / "
               "OPENBLAS_NUM_THREADS (or gkeras.backend.cpu_threads.set_thread_count); on the "
               "GPU, memory grows as needed through CuPy's memory pool.")


def get_session():
    raise RuntimeError("K.get_session: " + _NO_SESSION.format('get'))


def set_session(session):
    """Keras 2 scripts set a TensorFlow session for its thread or GPU-memory options, which
    change no results: warn and go on."""
    warnings.warn("K.set_session: ignored. " + _NO_SESSION.format('set'), stacklevel=2)


def shape(x):
    return constant(int_shape(x), dtype='int32')


def int_shape(x):
    if hasattr(x, '_keras_shape'):
        return x._keras_shape
    return tuple(int(n) for n in raw(x).shape)


def ndim(x):
    return len(int_shape(x))


def dtype(x):
    return str(np.dtype(raw(x).dtype)) if not hasattr(x, '_keras_shape') else x.dtype


def count_params(x):
    return int(np.prod(int_shape(x)))


def cast(x, dtype):
    return ad.cast(_t(x), dtype)


def zeros(shape, dtype=None, name=None):
    return variable(_xp().zeros(shape, dtype=dtype or floatx()), dtype=dtype, name=name)


def ones(shape, dtype=None, name=None):
    return variable(_xp().ones(shape, dtype=dtype or floatx()), dtype=dtype, name=name)


def eye(size, dtype=None, name=None):
    if isinstance(size, (list, tuple)):
        rows, cols = size
    else:
        rows = cols = size
    return variable(_xp().eye(rows, cols, dtype=dtype or floatx()), dtype=dtype, name=name)


def zeros_like(x, dtype=None, name=None):
    return Tensor(_xp().zeros_like(raw(_t(x)), dtype=dtype))


def ones_like(x, dtype=None, name=None):
    return Tensor(_xp().ones_like(raw(_t(x)), dtype=dtype))


def identity(x, name=None):
    return ad.multiply(_t(x), 1)


def _random(seed):
    return selection.active().rng(seed)


def _draw_dtype(dtype):
    """The dtype generators draw random floats of `dtype` in: float32/float64 only, so float16
    is drawn in float32 (and cast down)."""
    dtype = np.dtype(dtype)
    if dtype.kind != 'f':
        raise ValueError(f"Expected a float dtype for random values; received dtype={dtype}.")
    return dtype if dtype.itemsize >= 4 else np.dtype(np.float32)


def _float_draw(draw, shape, dtype):
    """Draw floats in `dtype` (see _draw_dtype); `shape` may hold 0-d tensors, as Keras 2's
    VAE passes (K.shape(z_mean)[0], latent_dim)."""
    shape = tuple(int(d) for d in shape)
    return draw(shape, dtype=_draw_dtype(dtype)).astype(dtype, copy=False)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    data = _float_draw(_random(seed).standard_normal, shape, dtype or floatx())
    return Tensor(data * stddev + mean)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform in [minval, maxval); an integer dtype draws integers, as tf.random.uniform does."""
    dtype = np.dtype(dtype or floatx())
    if dtype.kind in 'iu':
        return Tensor(_random(seed).integers(minval, maxval, size=tuple(shape), dtype=dtype))
    data = _float_draw(_random(seed).random, shape, dtype)
    return Tensor(data * (maxval - minval) + minval)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """1 with probability p, else 0 (tf_keras: uniform <= p)."""
    dtype = dtype or floatx()
    data = _random(seed).random(tuple(shape)) <= p
    return Tensor(data.astype(dtype))


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    """Deprecated name of random_bernoulli, kept as tf_keras keeps it."""
    return random_bernoulli(shape, p, dtype, seed)


def _truncated_draw(rng, shape, dtype):
    """Standard normal values of `dtype` from rng, each one outside [-2, 2] drawn again (only
    those: redrawing whole arrays took 3 s of a ResNet50's initialization)."""
    xp = _xp()
    values = _float_draw(rng.standard_normal, shape, dtype)
    flat = values.reshape(-1)
    outside = xp.flatnonzero(xp.abs(flat) > 2)
    while outside.size:
        redrawn = _float_draw(rng.standard_normal, (outside.size,), dtype)
        flat[outside] = redrawn
        outside = outside[xp.abs(redrawn) > 2]
    return values


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values re-drawn until they lie within two standard deviations of the mean."""
    return Tensor(_truncated_draw(_random(seed), shape, dtype or floatx()) * stddev + mean)


def arange(start, stop=None, step=1, dtype='int32'):
    """tf.range semantics: float arguments give float32 (only a dtype other than int32 casts)."""
    if stop is None:
        start, stop = 0, builtins.max(start, 0)
    if builtins.any(isinstance(v, float) for v in (start, stop, step)):
        natural = 'float32'
    else:
        natural = 'int32'
    out = _xp().arange(start, stop, step, dtype=np.float64 if natural == 'float32' else np.int64)
    return Tensor(out.astype(natural if dtype == 'int32' else dtype))


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    """A variable of normal draws with mean `mean` and standard deviation `scale`."""
    return variable(random_normal(shape, mean, scale, dtype, seed), dtype=dtype, name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    """A variable of uniform draws in [low, high)."""
    return variable(random_uniform(shape, low, high, dtype, seed), dtype=dtype, name=name)


def cast_to_floatx(x):
    """x in floatx: a tensor (or backend array) cast to a Tensor, anything else to a NumPy
    array, as tf_keras."""
    if isinstance(x, (np.ndarray, np.generic, int, float, bool, list, tuple)):
        return np.asarray(x, dtype=floatx())
    return cast(x, floatx())


def is_sparse(tensor):
    """False: gkeras has no sparse tensors."""
    return False


def to_dense(tensor):
    """The tensor itself: gkeras has no sparse tensors."""
    return tensor


def one_hot(indices, num_classes):
    """float32 one-hot along a new last axis; an index outside [0, num_classes) gives a zero row."""
    xp = _xp()
    idx = xp.asarray(raw(indices))
    return Tensor((idx[..., None] == xp.arange(num_classes)).astype('float32'))


# ---------------------------------------------------------------------------------------------
# Shape manipulation

def reshape(x, shape):
    return ad.reshape(_t(x), tuple(int(n) for n in shape))


def transpose(x):
    return ad.transpose(_t(x))


def permute_dimensions(x, pattern):
    return ad.transpose(_t(x), tuple(pattern))


def expand_dims(x, axis=-1):
    x = _t(x)
    shape = list(x.shape)
    axis = axis if axis >= 0 else len(shape) + 1 + axis
    shape.insert(axis, 1)
    return ad.reshape(x, shape)


def squeeze(x, axis):
    x = _t(x)
    shape = list(x.shape)
    if shape[axis] != 1:
        raise ValueError(f"squeeze: axis {axis} of a tensor of shape {x.shape} has size "
                         f"{shape[axis]}; expected 1.")
    del shape[axis]
    return ad.reshape(x, shape)


def flatten(x):
    return ad.reshape(_t(x), (-1,))


def batch_flatten(x):
    x = _t(x)
    return ad.reshape(x, (x.shape[0], -1))


def concatenate(tensors, axis=-1):
    reference = _first_tensor(tensors)
    tensors = [_t_like(t, reference) for t in tensors]
    if axis < 0:
        axis = axis % tensors[0].ndim if tensors[0].ndim else 0
    return ad.concatenate(tensors, axis)


def stack(x, axis=0):
    reference = _first_tensor(x)
    return ad.stack([_t_like(t, reference) for t in x], axis)


def tile(x, n):
    if isinstance(n, int):
        n = (n,)
    return ad.tile(_t(x), tuple(n))


def repeat(x, n):
    """(batch, dim) -> (batch, n, dim), as K.repeat (RepeatVector) does."""
    x = _t(x)
    if x.ndim != 2:
        raise ValueError(f"K.repeat expects a 2D tensor (batch, dim); received shape {x.shape}.")
    return ad.broadcast_to(expand_dims(x, 1), (x.shape[0], n, x.shape[1]))


def repeat_elements(x, rep, axis):
    return ad.repeat(_t(x), rep, axis)


def gather(reference, indices):
    return ad.gather(_t(reference), _xp().asarray(raw(indices), dtype='int64'), axis=0)


def reverse(x, axes):
    """x reversed along `axes` (an int or a sequence of ints)."""
    x = _t(x)
    axes = [axes] if isinstance(axes, int) else list(axes)
    flip = {a % x.ndim for a in axes}
    return ad.getitem(x, tuple(builtins.slice(None, None, -1) if i in flip else builtins.slice(None)
                               for i in range(x.ndim)))


def slice(x, start, size):
    """The block of x that starts at `start` with `size` elements along each axis (a size of -1:
    the rest of the axis), as Keras 2.2's K.slice (tf.slice)."""
    x = _t(x)
    start, size = [int(v) for v in start], [int(v) for v in size]
    if len(start) != x.ndim or len(size) != x.ndim:
        raise ValueError(f"K.slice: expected `start` and `size` with one entry per axis of the "
                         f"rank-{x.ndim} input; received start={start}, size={size}.")
    index = []
    for axis, (length, first, count) in enumerate(zip(x.shape, start, size)):
        count = length - first if count == -1 else count
        if not (0 <= first <= length and 0 <= count <= length - first):
            raise ValueError(f"K.slice: start {first} and size {size[axis]} do not fit axis "
                             f"{axis} of length {length} (input shape {x.shape}).")
        index.append(builtins.slice(first, first + count))
    return ad.getitem(x, tuple(index))


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Zero-pad the two spatial axes of a 4D tensor (temporal_padding and spatial_3d_padding
    live with the convolutions in spatial.py)."""
    pads = [tuple(int(n) for n in p) for p in padding]
    if config.normalize_data_format(data_format) == 'channels_first':
        pads = [(0, 0), (0, 0)] + pads
    else:
        pads = [(0, 0)] + pads + [(0, 0)]
    return ad.pad(_t(x), pads)


def stop_gradient(variables):
    if isinstance(variables, (list, tuple)):
        return [Tensor(raw(v)) for v in variables]
    return Tensor(raw(variables))


# ---------------------------------------------------------------------------------------------
# Math

def sum(x, axis=None, keepdims=False):
    return ad.reduce_sum(_t(x), axis, keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean; booleans count as floatx, integers give tf's integer mean (truncated toward 0)."""
    x = _t(x)
    kind = np.dtype(x.dtype).kind
    if kind == 'b':
        x = cast(x, floatx())
    elif kind in 'iu':
        xd = raw(x)
        axes = tuple(range(xd.ndim)) if axis is None else axis
        count = int(np.prod([xd.shape[a] for a in np.atleast_1d(axes)]))
        total = _xp().sum(xd, axis=axis, keepdims=keepdims, dtype=np.int64)
        quotient = _xp().where(total >= 0, total // count, -(-total // count))
        return Tensor(quotient.astype(xd.dtype))
    return ad.reduce_mean(x, axis, keepdims)


def max(x, axis=None, keepdims=False):
    return ad.reduce_max(_t(x), axis, keepdims)


def min(x, axis=None, keepdims=False):
    return ad.reduce_min(_t(x), axis, keepdims)


def prod(x, axis=None, keepdims=False):
    return ad.reduce_prod(_t(x), axis, keepdims)


def cumsum(x, axis=0):
    return ad.cumsum(_t(x), axis)


def cumprod(x, axis=0):
    return ad.cumprod(_t(x), axis)


def _as_float(x):
    x = _t(x)
    return x if _is_float(x) else cast(x, floatx())


def var(x, axis=None, keepdims=False):
    x = _as_float(x)
    centered = x - ad.reduce_mean(x, axis, keepdims=True)
    return ad.reduce_mean(ad.square(centered), axis, keepdims)


def std(x, axis=None, keepdims=False):
    return ad.sqrt(var(x, axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims=False):
    return Tensor(_xp().any(raw(_t(x)), axis=axis, keepdims=keepdims))


def all(x, axis=None, keepdims=False):
    return Tensor(_xp().all(raw(_t(x)), axis=axis, keepdims=keepdims))


def argmax(x, axis=-1):
    return Tensor(_xp().argmax(raw(_t(x)), axis=axis).astype('int64'))


def argmin(x, axis=-1):
    return Tensor(_xp().argmin(raw(_t(x)), axis=axis).astype('int64'))


def square(x):
    return ad.square(_t(x))


def sqrt(x):
    """sqrt of max(x, 0), as Keras' K.sqrt clips negatives to zero."""
    x = _t(x)
    return ad.sqrt(ad.clip(x, 0.0, np.inf))


def abs(x):
    return ad.absolute(_t(x))


def exp(x):
    return ad.exp(_t(x))


def log(x):
    return ad.log(_t(x))


def logsumexp(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None:
        out = ad.logsumexp(ad.reshape(x, (-1,)), axis=0, keepdims=False)
        return ad.reshape(out, (1,) * x.ndim) if keepdims else out
    return ad.logsumexp(x, axis=axis, keepdims=keepdims)


def pow(x, a):
    return ad.power(_t(x), a)


def clip(x, min_value, max_value):
    """Clip to [min_value, max_value]; None is unbounded and a numeric max below min becomes min."""
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)):
        if max_value < min_value:
            max_value = min_value
    if min_value is None:
        min_value = -np.inf
    if max_value is None:
        max_value = np.inf
    return ad.clip(_t(x), min_value, max_value)


def maximum(x, y):
    return ad.maximum(_t(x), y)


def minimum(x, y):
    return ad.minimum(_t(x), y)


def sin(x):
    return ad.sin(_t(x))


def cos(x):
    return ad.cos(_t(x))


def sign(x):
    return ad.sign(_t(x))


def round(x):
    return ad.round_(_t(x))


def equal(x, y):
    return ad.equal(_t(x), y)


def not_equal(x, y):
    return ad.not_equal(_t(x), y)


def greater(x, y):
    return _t(x) > y


def greater_equal(x, y):
    return _t(x) >= y


def less(x, y):
    return _t(x) < y


def less_equal(x, y):
    return _t(x) <= y


def switch(condition, then_expression, else_expression):
    """Select by condition, as tf_keras' K.switch.

    A scalar condition picks one whole branch (calling only that one when it is callable). A
    rank-1 condition broadcasts against the trailing axes of the branches; a condition of rank
    >= 2 is aligned with their leading axes (padded with size-1 axes on the right).
    """
    cond = _xp().asarray(raw(condition)).astype(bool)
    if cond.ndim == 0:
        chosen = then_expression if bool(cond) else else_expression
        return chosen() if callable(chosen) else chosen
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    expr_ndim = len(getattr(raw(then_expression), 'shape', ()))
    if cond.ndim > expr_ndim:
        raise ValueError("Rank of `condition` should be less than or equal to rank of "
                         f"`then_expression` and `else_expression`. ndim(condition)={cond.ndim}, "
                         f"ndim(then_expression)={expr_ndim}")
    if cond.ndim > 1:
        cond = cond.reshape(cond.shape + (1,) * (expr_ndim - cond.ndim))
    return ad.where(cond, then_expression, else_expression)


def _pair(x, y):
    """Two operands as Tensors, a non-Tensor one in the other's float dtype."""
    if isinstance(x, Tensor):
        return x, _t_like(y, x)
    y = _t(y)
    return _t_like(x, y), y


def dot(x, y):
    """Keras K.dot: a sum product over the last axis of x and the second-to-last axis of y
    (the last, if y is 1-D); the result has shape x.shape[:-1] + y.shape[:-2] + y.shape[-1:]."""
    x, y = _pair(x, y)
    if y.ndim == 2:
        return ad.tensordot_last(x, y)
    if y.ndim < 2:
        raise ValueError(f"dot: y must have rank >= 2; received shapes {x.shape} and {y.shape}.")
    # move y's contracted axis first, flatten the rest, and contract as a 2-D product
    order = [y.ndim - 2] + list(range(y.ndim - 2)) + [y.ndim - 1]
    y_flat = ad.reshape(ad.transpose(y, order), (y.shape[-2], -1))
    out = ad.tensordot_last(x, y_flat)
    return ad.reshape(out, x.shape[:-1] + y.shape[:-2] + y.shape[-1:])


def batch_dot(x, y, axes=None):
    """Dot product over `axes` of each pair of samples, as tf_keras' K.batch_dot.

    The result has x's shape without the contracted axis, then y's without its batch and
    contracted axes; two 2-D inputs give (batch, 1).
    """
    x, y = _pair(x, y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError("Cannot do batch_dot on inputs with rank < 2. Received inputs with "
                         f"shapes {x.shape} and {y.shape}.")
    if x.shape[0] != y.shape[0]:
        raise ValueError("Cannot do batch_dot on inputs with different batch sizes. Received "
                         f"inputs with shapes {x.shape} and {y.shape}.")
    if isinstance(axes, int):
        axes = (axes, axes)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 2 if y.ndim > 2 else y.ndim - 1)
    if builtins.any(isinstance(a, (list, tuple)) for a in axes):
        raise ValueError("Multiple target dimensions are not supported. Expected: None, int, "
                         f"(int, int), Provided: {axes}")
    ax, ay = (a + t.ndim if a < 0 else a for a, t in zip(axes, (x, y)))
    if ax == 0 or ay == 0:
        raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not batched, "
                         "add a dummy batch dimension to your inputs using K.expand_dims(x, 0)")
    if x.shape[ax] != y.shape[ay]:
        raise ValueError(f"Cannot do batch_dot on inputs with shapes {x.shape} and {y.shape} "
                         f"with axes={[ax, ay]}. x.shape[{ax}] != y.shape[{ay}] "
                         f"({x.shape[ax]} != {y.shape[ay]}).")
    x2, y2 = x, y
    if x.ndim == 2:
        x2 = expand_dims(x, 1)
        ax += 1
    if y.ndim == 2:
        y2 = expand_dims(y, 2)
    # move x's contracted axis last and y's to position 1, flatten the rest, batched matmul
    x_order = [0] + [i for i in range(1, x2.ndim) if i != ax] + [ax]
    y_order = [0, ay] + [i for i in range(1, y2.ndim) if i != ay]
    xt = ad.transpose(x2, x_order)
    yt = ad.transpose(y2, y_order)
    x_free = xt.shape[1:-1]
    y_free = yt.shape[2:]
    xm = ad.reshape(xt, (xt.shape[0], -1, xt.shape[-1]))
    ym = ad.reshape(yt, (yt.shape[0], yt.shape[1], -1))
    out = ad.reshape(ad.matmul(xm, ym), (x.shape[0],) + tuple(x_free) + tuple(y_free))
    # drop the axis added to a 2-D input (only one of them, as tf_keras does)
    if x.ndim == 2:
        out = ad.reshape(out, (out.shape[0],) + out.shape[2:])
    elif y.ndim == 2:
        out = ad.reshape(out, out.shape[:-1])
    return out


def l2_normalize(x, axis=None):
    """x / sqrt(max(sum(x**2), 1e-12)), as tf.nn.l2_normalize."""
    x = _t(x)
    squared = ad.reduce_sum(ad.square(x), axis, keepdims=True)
    return x / ad.sqrt(ad.maximum(squared, 1e-12))


# ---------------------------------------------------------------------------------------------
# Neural-network functions

def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with tf.keras' exact composition (leaky, capped, thresholded)."""
    x = _t(x)
    alpha = float(alpha)
    if alpha != 0.0 and max_value is None and threshold == 0:
        return ad.where(raw(x) > 0, x, x * alpha)
    negative_part = None
    if alpha != 0.0:
        negative_part = ad.relu(threshold - x) if threshold != 0 else ad.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        y = x * (raw(x) > threshold).astype(x.dtype)
    elif max_value == 6:
        # relu6: the gradient passes only strictly inside (0, 6), like tf.nn.relu6
        xd = raw(x)
        y = ad.where((xd > 0) & (xd < 6), x, Tensor(_xp().clip(xd, 0, 6)))
        clip_max = False
    else:
        y = ad.relu(x)
    if clip_max:
        y = clip(y, 0.0, float(max_value))
    if negative_part is not None:
        y = y - negative_part * alpha
    return y


def _expm1_negative(x):
    """exp(min(x, 0)) - 1: the negative branch of elu, without overflow (inf * 0 = nan in the
    gradient) for large positive x, where that branch is not selected."""
    return ad.exp(ad.minimum(x, 0.0)) - 1.0


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise; the gradient at 0 is alpha (tf_keras)."""
    x = _t(x)
    return ad.where(raw(x) > 0, x, _expm1_negative(x) * float(alpha))


def selu(x):
    """tf.nn.selu: scale * elu(x, alpha), with gradient `scale` at exactly 0."""
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    x = _t(x)
    return ad.where(raw(x) >= 0, x, _expm1_negative(x) * alpha) * scale


def softmax(x, axis=-1):
    """Softmax over `axis` (int or tuple); the output remembers its logits for crossentropy."""
    x = _t(x)
    if x.ndim <= 1:
        raise ValueError("Cannot apply softmax to a tensor that is 1D. Received input: "
                         f"shape={x.shape}")
    out = ad.softmax(x, axis)
    out._keras_logits = x
    return out


def softplus(x):
    return ad.softplus(_t(x))


def softsign(x):
    x = _t(x)
    return x / (ad.absolute(x) + 1)


def sigmoid(x):
    x = _t(x)
    out = ad.sigmoid(x)
    out._keras_logits = x
    return out


def hard_sigmoid(x):
    return ad.clip(_t(x) * 0.2 + 0.5, 0.0, 1.0)


def tanh(x):
    return ad.tanh(_t(x))


def dropout(x, level, noise_shape=None, seed=None, rng=None):
    """Zero each element with probability `level` and scale the rest by 1/(1-level).

    Args:
        noise_shape: shape of the keep/drop mask, broadcast against x (None entries take x's).
        rng: a backend generator to draw from instead of a fresh one seeded with `seed`.
    """
    x = _t(x)
    if not 0 <= level < 1:
        raise ValueError(f"dropout level must be in [0, 1); received level={level}.")
    if noise_shape is None:
        shape = x.shape
    else:
        if len(noise_shape) != x.ndim:
            raise ValueError(f"dropout: noise_shape {tuple(noise_shape)} must have one entry per "
                             f"axis of x, of shape {x.shape}.")
        shape = tuple(x.shape[i] if n is None else int(n) for i, n in enumerate(noise_shape))
    source = rng if rng is not None else _random(seed)
    return x * selection.active().dropout_scale(source, shape, level, x.dtype,
                                                 _draw_dtype(x.dtype))


def bias_add(x, bias, data_format=None):
    """Add a bias vector (along the channel axis) or a bias of rank ndim(x) - 1, as tf_keras."""
    data_format = config.normalize_data_format(data_format)
    x, bias = _pair(x, bias)
    if bias.ndim != 1 and bias.ndim != x.ndim - 1:
        raise ValueError(f"Unexpected bias dimensions {bias.ndim}, expect to be 1 or "
                         f"{x.ndim - 1} dimensions")
    if bias.ndim == 1:
        if data_format == 'channels_first' and x.ndim > 2:
            return x + ad.reshape(bias, (1, bias.shape[0]) + (1,) * (x.ndim - 2))
        return x + bias
    if data_format == 'channels_first' and x.ndim in (3, 4, 5):
        # tf_keras reshapes (not transposes) the bias: its last axis becomes the channel axis
        return x + ad.reshape(bias, (1, bias.shape[-1]) + bias.shape[:-1])
    return x + ad.reshape(bias, (1,) + bias.shape)


def in_train_phase(x, alt, training=None):
    """x in the training phase, else alt (callables are called only when chosen)."""
    if training is None:
        training = learning_phase()
    if isinstance(training, Tensor) and training.ndim > 0:
        return switch(training, x, alt)
    chosen = x if bool(raw(training)) else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)


def _logits_of(output, from_logits, activation, name):
    """The logits behind a softmax/sigmoid output, as tf_keras' _get_logits: they are used even
    when from_logits=True was passed (with a warning), since such an output is no logit."""
    logits = output._keras_logits
    if logits is None:
        return output, from_logits
    if from_logits:
        warnings.warn(f'"`{name}` received `from_logits=True`, but the `output` argument was '
                      f'produced by a {activation} activation and thus does not represent '
                      'logits. Was this intended?', stacklevel=3)
    return logits, True


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of one-hot (or soft) targets along `axis`."""
    output = _t(output)
    target = _t_like(target, output)
    output, from_logits = _logits_of(output, from_logits, 'Softmax', 'categorical_crossentropy')
    if from_logits:
        return -sum(target * ad.log_softmax(output, axis), axis=axis)
    output = output / sum(output, axis=axis, keepdims=True)
    eps = epsilon()
    output = clip(output, eps, 1.0 - eps)
    return -sum(target * log(output), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of integer targets; the result has the output's shape without `axis`."""
    output = _t(output)
    output, from_logits = _logits_of(output, from_logits, 'Softmax',
                                     'sparse_categorical_crossentropy')
    if not from_logits:
        eps = epsilon()
        output = log(clip(output, eps, 1.0 - eps))
    axis = axis % output.ndim
    if axis != output.ndim - 1:
        order = [i for i in range(output.ndim) if i != axis] + [axis]
        output = permute_dimensions(output, order)
    labels = _xp().asarray(raw(target)).astype('int64').reshape(-1)
    flat = ad.reshape(ad.log_softmax(output, -1), (-1, output.shape[-1]))
    if labels.shape[0] != flat.shape[0]:
        raise ValueError(f"sparse_categorical_crossentropy: {labels.shape[0]} labels for "
                         f"{flat.shape[0]} predictions (output shape {output.shape}).")
    picked = ad.getitem(flat, (_xp().arange(flat.shape[0]), labels))
    return -ad.reshape(picked, output.shape[:-1])


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy; uses the logits behind a sigmoid, as tf.keras does."""
    output = _t(output)
    target = _t_like(target, output)
    output, from_logits = _logits_of(output, from_logits, 'Sigmoid', 'binary_crossentropy')
    if from_logits:
        # tf.nn.sigmoid_cross_entropy_with_logits: max(z, 0) - z * t + log(1 + exp(-|z|)),
        # built with where on z >= 0 so that the gradient at z = 0 is sigmoid(0) - t
        zd = raw(output)
        nonnegative = zd >= 0
        relu_logits = ad.where(nonnegative, output, 0.0)
        neg_abs_logits = ad.where(nonnegative, -output, output)
        return relu_logits - output * target + ad.softplus(neg_abs_logits)
    eps = epsilon()
    output = clip(output, eps, 1.0 - eps)
    bce = target * log(output + eps) + (1 - target) * log(1 - output + eps)
    return -bce


def in_top_k(predictions, targets, k):
    """Whether each row's target class is among its k largest predictions, as tf_keras
    (tf.math.in_top_k): classes tied at the boundary count as in; a row with a non-finite
    prediction, or a target outside the classes, gives False. A boolean (batch,) Tensor."""
    xp = _xp()
    scores = raw(_t(predictions))
    labels = xp.asarray(raw(targets))
    if scores.ndim != 2 or labels.ndim != 1 or labels.shape[0] != scores.shape[0]:
        raise ValueError(f"in_top_k: expected predictions (batch, classes) and targets (batch,); "
                         f"received shapes {scores.shape} and {labels.shape}.")
    if labels.dtype.kind not in 'iu':
        raise ValueError(f"in_top_k: targets must be integer class indices; received dtype "
                         f"{labels.dtype}.")
    classes = scores.shape[1]
    known = (labels >= 0) & (labels < classes)
    target_scores = scores[xp.arange(scores.shape[0]), xp.clip(labels, 0, builtins.max(
        classes - 1, 0))] if classes else xp.zeros(labels.shape, scores.dtype)
    higher = (scores > target_scores[:, None]).sum(axis=1)
    return Tensor(known & xp.isfinite(scores).all(axis=1) & (higher < k))


def _along(param, axis, ndim):
    """A 1-D parameter reshaped to broadcast along `axis` of a rank-ndim tensor."""
    if param is None or param.ndim != 1 or axis % ndim == ndim - 1:
        return param
    shape = [1] * ndim
    shape[axis % ndim] = param.shape[0]
    return reshape(param, shape)


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta, as tf.nn.batch_normalization computes
    it; 1-D parameters lie along `axis` (beta, gamma may be None)."""
    x = _t(x)
    mean, var, beta, gamma = (None if p is None else _along(_t_like(p, x), axis, x.ndim)
                              for p in (mean, var, beta, gamma))
    scale = 1.0 / sqrt(var + epsilon)
    if gamma is not None:
        scale = scale * gamma
    shift = -mean * scale if beta is None else beta - mean * scale
    return x * scale + shift


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """(normalized x, mean, variance) over reduction_axes, as tf_keras: the batch's mean and
    (biased) variance, each shaped as the axes kept; gamma and beta (or None) of that shape."""
    x = _t(x)
    axes = sorted({int(a) % x.ndim for a in reduction_axes})
    kept = [n for i, n in enumerate(x.shape) if i not in axes]
    broadcast = [1 if i in axes else n for i, n in enumerate(x.shape)]
    mean = ad.reduce_mean(x, axes, keepdims=True)
    variance = ad.reduce_mean(ad.square(x - mean), axes, keepdims=True)
    gamma, beta = (None if p is None else reshape(_t_like(p, x), broadcast)
                   for p in (gamma, beta))
    normed = batch_normalization(x, mean, variance, beta, gamma, epsilon=epsilon)
    return normed, reshape(mean, kept), reshape(variance, kept)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None, time_major=False, zero_output_for_mask=False,
        return_all_outputs=True):
    """Iterate step_function over the time axis of inputs, as tf_keras' K.rnn.

    step_function(input_t, states + constants) returns (output_t, new_states). The mask is
    (batch, time) or (batch, time, ...) ((time, batch, ...) with time_major); a step's mask gets
    size-1 axes appended and broadcasts against the step's output and each state, so a mask
    (batch, time, rows, cols) holds the states of image sequences per position. Where it is
    False the states carry over and the output repeats the previous one (zero before the first
    step, or always with zero_output_for_mask). Returns (last_output, outputs, new_states);
    outputs is (batch, time, ...) ((batch, 1, ...) without return_all_outputs). `unroll` and
    `input_length` change nothing here: the loop is always eager.
    """
    inputs = _t(inputs)
    if inputs.ndim < 3:
        raise ValueError(f"rnn: inputs should be at least 3D; received shape {inputs.shape}.")
    time_axis = 0 if time_major else 1
    steps = inputs.shape[time_axis]
    states = tuple(_t(s) for s in initial_states)
    constants = tuple(constants or ())
    step_masks = None
    if mask is not None:
        mask = _xp().asarray(raw(mask)).astype(bool, copy=False)
        step_masks = _step_masks(mask, inputs.shape, time_major)
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    step_inputs = ad.unstack(inputs, time_axis)
    outputs, previous = [], None
    for t in order:
        output, new_states = step_function(step_inputs[t], states + constants)
        new_states = tuple(_t(s) for s in new_states)
        if step_masks is not None:
            keep = step_masks[t]
            if previous is None or zero_output_for_mask:
                held = zeros_like(output)
            else:
                held = previous
            output = ad.where(_broadcast_mask(keep, output, mask.shape), output, held)
            new_states = tuple(ad.where(_broadcast_mask(keep, s, mask.shape), s, old)
                               for s, old in zip(new_states, states))
        states, previous = new_states, output
        if return_all_outputs or not outputs:
            outputs.append(output)
        else:
            outputs[0] = output
    stacked = ad.stack(outputs, axis=0 if time_major else 1)
    return previous, stacked, list(states)


def _step_masks(mask, inputs_shape, time_major):
    """The boolean rnn mask as (time, batch, ...), after checking its time axis."""
    time_axis = 0 if time_major else 1
    if mask.ndim < 2 or mask.shape[time_axis] != inputs_shape[time_axis]:
        layout = '(time, batch, ...)' if time_major else '(batch, time, ...)'
        raise ValueError(f"rnn: expected a mask of shape {layout} with the "
                         f"{inputs_shape[time_axis]} steps of the inputs of shape "
                         f"{tuple(inputs_shape)}; received a mask of shape "
                         f"{tuple(mask.shape)}.")
    return mask if time_major else mask.swapaxes(0, 1)


def _broadcast_mask(mask_t, like, mask_shape):
    """A step's mask (batch, ...) with size-1 axes appended to broadcast against `like` (a step's
    output or state), which must keep its shape (tf_keras' rule)."""
    if mask_t.ndim > like.ndim or builtins.any(
            m not in (1, n) for m, n in zip(mask_t.shape, like.shape)):
        raise ValueError(f"rnn: the mask of shape {tuple(mask_shape)} does not broadcast "
                         f"against a step's output or state of shape {tuple(like.shape)}: "
                         f"expected a step's mask of at most {like.ndim} axes, each of size 1 "
                         f"or that of the same axis of the output or state; received a step's "
                         f"mask of shape {tuple(mask_t.shape)}.")
    return mask_t.reshape(mask_t.shape + (1,) * (like.ndim - mask_t.ndim))


def _first_axis_items(elems, owner):
    items = ad.unstack(_t(elems), 0)
    if not items:
        raise ValueError(f"{owner}: `elems` has no elements along its first axis.")
    return items


def map_fn(fn, elems, name=None, dtype=None):
    """fn applied to each slice of elems along its first axis, the results stacked (tf.map_fn);
    with dtype, the result cast to it."""
    out = stack([fn(item) for item in _first_axis_items(elems, 'map_fn')])
    return out if dtype is None else cast(out, dtype)


def _fold(fn, items, initializer):
    if initializer is None:
        accumulator, items = items[0], items[1:]
    else:
        accumulator = initializer
    for item in items:
        accumulator = fn(accumulator, item)
    return accumulator


def foldl(fn, elems, initializer=None, name=None):
    """fn(accumulator, item) over elems' first axis from the start (tf.foldl); without an
    initializer the first item starts the accumulator."""
    return _fold(fn, _first_axis_items(elems, 'foldl'), initializer)


def foldr(fn, elems, initializer=None, name=None):
    """foldl from the end of elems' first axis (tf.foldr)."""
    return _fold(fn, _first_axis_items(elems, 'foldr')[::-1], initializer)


# ---------------------------------------------------------------------------------------------
# Values and gradients

def eval(x):
    """x's value as a NumPy array (Keras 2's K.eval; any tensor, not only variables)."""
    return get_value(x)


def print_tensor(x, message='', summarize=3):
    """Print message and x's value, and return x (unchanged, its gradient too), as tf_keras:
    `summarize` elements shown at each end of an axis."""
    x = _t(x)
    with np.printoptions(edgeitems=summarize, threshold=2 * summarize):
        print(message, get_value(x))
    return x


def get_value(x):
    """A NumPy copy of x's value: later updates of x do not show through it."""
    value = raw(x)
    if isinstance(value, np.ndarray):
        return value.copy()
    return selection.active().to_numpy(value)


def batch_get_value(tensors):
    return [get_value(t) for t in tensors]


def set_value(x, value):
    """Overwrite variable x with value (NumPy, backend array or Tensor), cast to x's dtype."""
    x.assign(selection.active().asarray(raw(value), dtype=x.dtype))


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


class _SymbolicUpdate:
    """An update whose value is a symbolic tensor (K.update(v, new_v) with new_v computed from a
    model's inputs or a placeholder): K.function(..., updates=[...]) computes `fetches` in each
    run, after the outputs, and then `apply`s them, as Keras 2's update ops."""

    def __init__(self, variable, value, rule):
        self.variable = variable
        self.fetches = [value]
        self._rule = rule

    def apply(self, values):
        self._rule(self.variable, values[0])


def update(x, new_x):
    """x = new_x, in place; with a symbolic new_x, the update K.function applies each call."""
    if _symbolic.is_symbolic(new_x):
        return _SymbolicUpdate(x, new_x, update)
    x.assign(raw(new_x))
    return x


def update_add(x, increment):
    if _symbolic.is_symbolic(increment):
        return _SymbolicUpdate(x, increment, update_add)
    x.data += raw(_t(increment))
    return x


def update_sub(x, decrement):
    if _symbolic.is_symbolic(decrement):
        return _SymbolicUpdate(x, decrement, update_sub)
    x.data -= raw(_t(decrement))
    return x


def moving_average_update(x, value, momentum):
    """x -= (x - value) * (1 - momentum), in place (tf_keras 2's eager form)."""
    if _symbolic.is_symbolic(value):
        return _SymbolicUpdate(x, value, lambda v, a: moving_average_update(v, a, momentum))
    x.data -= (x.data - raw(_t(value)).astype(x.dtype)) * (1 - momentum)
    return x


def gradients(loss, variables):
    """Gradients of the scalar `loss` with respect to `variables`: a list of Tensors, one per
    variable (also for a single variable, as tf.gradients); zeros where loss does not depend.

    With a symbolic loss (computed from a model's input or a placeholder), symbolic gradients:
    with respect to symbolic tensors of its graph (its inputs, layer outputs) or to variables
    (weights), evaluated by K.function, as in Keras 2 (conv_filter_visualization, deep_dream,
    neural_style_transfer)."""
    if not isinstance(variables, (list, tuple)):
        variables = [variables]
    variables = list(variables)
    if _symbolic.is_symbolic(loss):
        return _symbolic.symbolic_gradients(loss, variables)
    symbolic = [v for v in variables if _symbolic.is_symbolic(v)]
    if symbolic:
        raise ValueError(f"K.gradients: the loss is a {type(loss).__name__}, not a symbolic "
                         f"tensor, so it cannot be differentiated with respect to the symbolic "
                         f"tensors {symbolic}.")
    return [Tensor(g) for g in ad.gradients(loss, variables)]


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """K.function([inputs], [outputs], updates): a callable mapping input arrays to output
    arrays.

    `updates` are applied after each call's outputs are computed, as Keras 2's are: the ones
    made from symbolic tensors (K.update(v, new_v) or a (v, new_v) pair with new_v computed from
    the inputs, an optimizer's get_updates(loss, params)). Updates of concrete values were
    applied when they were made (gkeras runs eagerly) and cannot be replayed: they are refused,
    as are session arguments, rather than ignored (tf.keras 2.x refuses them too).
    """
    if kwargs:
        raise ValueError(f"K.function: session keyword arguments are not supported (gkeras runs "
                         f"eagerly). You passed: {kwargs}")
    from ..models.functional import GraphFunction
    return GraphFunction(inputs, outputs, updates)


# ---------------------------------------------------------------------------------------------
# Symbolic inputs: the functions also take a model's symbolic tensors (see symbolic.py), except
# those that inspect a symbolic tensor themselves or make no sense on one.

_NOT_SYMBOLIC = {'backend', 'get_uid', 'reset_uids', 'clear_session', 'name_scope', 'variable',
                 'get_session', 'set_session', 'manual_variable_initialization', 'placeholder',
                 'is_placeholder', 'constant', 'is_tensor', 'is_keras_tensor', 'int_shape', 'ndim',
                 'dtype', 'count_params', 'is_sparse', 'eval', 'get_value', 'batch_get_value',
                 'set_value', 'batch_set_value', 'print_tensor', 'update', 'update_add',
                 'update_sub', 'moving_average_update', 'gradients', 'function'}
for _name in __all__:
    if _name not in _NOT_SYMBOLIC:
        globals()[_name] = _symbolic_aware(globals()[_name])
del _name
