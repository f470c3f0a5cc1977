"""Reverse-mode autodiff: Tensor (array + tape node), the primitives with their VJPs, gradients().

A primitive computes its output from raw arrays and, when the tape is on and an input needs a
gradient, records a VJP closure: `vjp(dy, needs) -> one gradient per input` (None where `needs`
says the input wants none). `gradients` walks the tape in reverse topological order.
"""
import contextlib
import functools
import math
import threading

import numpy

from . import selection, symbolic


def _xp():
    return selection.active().xp


class _TapeState(threading.local):
    enabled = True


_tape = _TapeState()


@contextlib.contextmanager
def no_grad():
    """Run operations without recording them for gradients (inference, optimizer updates)."""
    previous = _tape.enabled
    _tape.enabled = False
    try:
        yield
    finally:
        _tape.enabled = previous


@contextlib.contextmanager
def enable_grad():
    """Record operations for gradients inside the block, also within a no_grad block (a
    K.function that computes gradients, called from a callback or a predict loop)."""
    previous = _tape.enabled
    _tape.enabled = True
    try:
        yield
    finally:
        _tape.enabled = previous


def tape_enabled():
    return _tape.enabled


def _defers_to_symbolic(operator_method):
    """A binary operator that returns NotImplemented beside a symbolic tensor, so that Python
    calls the symbolic tensor's reflected operator instead."""
    @functools.wraps(operator_method)
    def method(self, other):
        if symbolic.is_symbolic(other):
            return NotImplemented
        return operator_method(self, other)
    return method


class Tensor:
    """An array on the active backend, with the operation that made it when it needs a gradient."""
    __array_priority__ = 1000
    __slots__ = ('data', 'requires_grad', '_parents', '_vjp', '_keras_logits', '_keras_mask',
                 '_keras_history', '__weakref__')

    def __init__(self, data, requires_grad=False, parents=None, vjp=None):
        self.data = data
        self.requires_grad = requires_grad
        self._parents = parents
        self._vjp = vjp
        self._keras_logits = None
        self._keras_mask = None
        self._keras_history = None

    # array-like properties
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return int(self.data.size)

    @property
    def T(self):
        return transpose(self)

    def __len__(self):
        return self.data.shape[0]

    def numpy(self):
        return selection.active().to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        out = self.numpy()
        return out.astype(dtype) if dtype is not None else out

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __bool__(self):
        return bool(self.data)

    def __repr__(self):
        grad = ', requires_grad=True' if self.requires_grad else ''
        return f'Tensor({self.data!r}{grad})'

    __hash__ = object.__hash__

    def astype(self, dtype):
        return cast(self, dtype)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return reshape(self, shape)

    def sum(self, axis=None, keepdims=False):
        return reduce_sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return reduce_mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return reduce_max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return reduce_min(self, axis, keepdims)

    # Python operators; the in-place forms (x -= y) rebind to a new tensor, so the tape stays valid.
    # With a symbolic tensor (a model's KerasTensor) on the other side they defer to its
    # operators, which record the operation in its graph (`loss = K.variable(0.); loss += ...`).
    @_defers_to_symbolic
    def __add__(self, other): return add(self, other)
    @_defers_to_symbolic
    def __radd__(self, other): return add(other, self)
    @_defers_to_symbolic
    def __sub__(self, other): return subtract(self, other)
    @_defers_to_symbolic
    def __rsub__(self, other): return subtract(other, self)
    @_defers_to_symbolic
    def __mul__(self, other): return multiply(self, other)
    @_defers_to_symbolic
    def __rmul__(self, other): return multiply(other, self)
    @_defers_to_symbolic
    def __truediv__(self, other): return divide(self, other)
    @_defers_to_symbolic
    def __rtruediv__(self, other): return divide(other, self)
    @_defers_to_symbolic
    def __pow__(self, other): return power(self, other)
    @_defers_to_symbolic
    def __rpow__(self, other): return power(other, self)
    @_defers_to_symbolic
    def __matmul__(self, other): return matmul(self, other)
    @_defers_to_symbolic
    def __rmatmul__(self, other): return matmul(other, self)
    def __neg__(self): return negative(self)
    def __pos__(self): return self
    def __abs__(self): return absolute(self)
    def __getitem__(self, index): return getitem(self, index)
    def __lt__(self, other): return _compare('less', self, other)
    def __le__(self, other): return _compare('less_equal', self, other)
    def __gt__(self, other): return _compare('greater', self, other)
    def __ge__(self, other): return _compare('greater_equal', self, other)

    @_defers_to_symbolic
    def __iadd__(self, other): return add(self, other)
    @_defers_to_symbolic
    def __isub__(self, other): return subtract(self, other)
    @_defers_to_symbolic
    def __imul__(self, other): return multiply(self, other)
    @_defers_to_symbolic
    def __itruediv__(self, other): return divide(self, other)
    @_defers_to_symbolic
    def __ipow__(self, other): return power(self, other)


class Variable(Tensor):
    """A named, updatable tensor: a layer weight or a backend variable."""
    __slots__ = ('name', 'trainable', 'constraint', 'regularizer')

    def __init__(self, data, name=None, trainable=True, constraint=None):
        super().__init__(data, requires_grad=True)
        self.name = name
        self.trainable = trainable
        self.constraint = constraint
        self.regularizer = None

    def assign(self, value):
        """Overwrite the value in place, keeping shape and dtype (ValueError on a shape change)."""
        value = selection.active().asarray(raw(value))
        if tuple(value.shape) != self.shape:
            raise ValueError(f"Variable {self.name!r}: cannot assign a value of shape "
                             f"{tuple(value.shape)}; expected shape {self.shape}.")
        self.data[...] = value

    def __repr__(self):
        return f'Variable(name={self.name!r}, shape={self.shape}, dtype={self.dtype})'


def raw(x):
    """The backend array behind x (Tensor, array or Python number)."""
    return x.data if isinstance(x, Tensor) else x


def constant(value, dtype=None):
    """A tensor with no gradient from a Python number, NumPy or backend array."""
    if isinstance(value, Tensor):
        value = value.data
    return Tensor(selection.active().asarray(value, dtype=dtype))


def as_tensor(x, dtype=None):
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else cast(x, dtype)
    return constant(x, dtype)


def _needs_grad(*inputs):
    return _tape.enabled and any(isinstance(t, Tensor) and t.requires_grad for t in inputs)


def _record(out, inputs, vjp):
    """Wrap a raw output array; record the VJP when some input needs a gradient."""
    if _needs_grad(*inputs):
        return Tensor(out, True, tuple(t if isinstance(t, Tensor) and t.requires_grad else None
                                       for t in inputs), vjp)
    return Tensor(out)


def _shape_of(x):
    return tuple(x.shape) if hasattr(x, 'shape') else ()


def unbroadcast(grad, shape):
    """Sum a broadcast gradient back down to `shape`."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad if tuple(grad.shape) == tuple(shape) else grad.reshape(shape)


# ---------------------------------------------------------------------------------------------
# Elementwise binary primitives

def _operands(a, b):
    """The raw arrays of a binary operation; as in TensorFlow, an operand that is not a Tensor (a
    NumPy scalar or array) takes the other operand's float dtype and moves to its backend, so
    float32 stays float32. Python numbers stay as they are: they never widen an array."""
    ad, bd = raw(a), raw(b)
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        bd = _like(bd, ad)
    elif isinstance(b, Tensor) and not isinstance(a, Tensor):
        ad = _like(ad, bd)
    return ad, bd


def _like(value, reference):
    if type(value) in (bool, int, float):
        if type(value) is not bool and reference.dtype.kind == 'f':
            # what NumPy 2 does with a Python number beside a float array; NumPy 1.x would
            # widen a float32 0-d array (a sum, a mean) to float64
            return reference.dtype.type(value)
        return value
    xp = _xp()
    dtype = reference.dtype if xp.issubdtype(reference.dtype, xp.floating) else None
    return xp.asarray(value, dtype=dtype)


def _binary(a, b, forward, grad_a, grad_b):
    ad, bd = _operands(a, b)
    out = forward(ad, bd)

    def vjp(dy, needs):
        ga = unbroadcast(grad_a(dy, ad, bd, out), _shape_of(ad)) if needs[0] else None
        gb = unbroadcast(grad_b(dy, ad, bd, out), _shape_of(bd)) if needs[1] else None
        return ga, gb
    return _record(out, (a, b), vjp)


def add(a, b):
    return _binary(a, b, lambda x, y: x + y, lambda dy, x, y, o: dy, lambda dy, x, y, o: dy)


def subtract(a, b):
    return _binary(a, b, lambda x, y: x - y, lambda dy, x, y, o: dy, lambda dy, x, y, o: -dy)


def multiply(a, b):
    return _binary(a, b, lambda x, y: x * y,
                   lambda dy, x, y, o: dy * y, lambda dy, x, y, o: dy * x)


def divide(a, b):
    return _binary(a, b, lambda x, y: x / y,
                   lambda dy, x, y, o: dy / y, lambda dy, x, y, o: -dy * o / y)


def power(a, b):
    xp = _xp()

    def grad_base(dy, x, y, o):
        return dy * y * x ** (y - 1)

    def grad_exponent(dy, x, y, o):
        # d(x**y)/dy = x**y log(x), taken as 0 where x <= 0 (no real log), as TensorFlow does
        if not hasattr(x, 'shape'):
            return dy * o * (math.log(x) if x > 0 else 0.0)
        return dy * o * xp.where(x > 0, xp.log(xp.where(x > 0, x, 1)), 0)
    return _binary(a, b, lambda x, y: x ** y, grad_base, grad_exponent)


def _gate(dy, mask, inverted=False, scratch=True):
    """dy where mask holds (where it does not, with inverted=True), else 0: selecting, not
    multiplying, so an infinite dy gives no nan.

    On NumPy, for a boolean mask of dy's shape, the backend's bit selection (NumpyBackend.select):
    the same bits as where in a quarter of its time. `scratch` says the mask is a temporary
    that may be overwritten for that.
    """
    backend = selection.active()
    if (backend.xp is not numpy or dy.dtype.kind != 'f' or not isinstance(mask, numpy.ndarray)
            or mask.dtype != bool or mask.shape != dy.shape):
        return backend.xp.where(mask, 0, dy) if inverted else backend.xp.where(mask, dy, 0)
    return backend.select(dy, mask, inverted=inverted, scratch=scratch)


def maximum(a, b):
    # Ties send the gradient to the first argument, as TensorFlow does.
    return _binary(a, b, _xp().maximum,
                   lambda dy, x, y, o: _gate(dy, x >= y), lambda dy, x, y, o: _gate(dy, x < y))


def minimum(a, b):
    return _binary(a, b, _xp().minimum,
                   lambda dy, x, y, o: _gate(dy, x <= y), lambda dy, x, y, o: _gate(dy, x > y))


def _compare(name, a, b):
    return Tensor(getattr(_xp(), name)(*_operands(a, b)))


def equal(a, b):
    return _compare('equal', a, b)


def not_equal(a, b):
    return _compare('not_equal', a, b)


def where(condition, a, b):
    """Elementwise select: a where condition holds, else b."""
    xp = _xp()
    cond = xp.asarray(raw(condition))
    ad, bd = _operands(a, b)

    def vjp(dy, needs):
        ga = unbroadcast(_gate(dy, cond, scratch=False), _shape_of(ad)) if needs[0] else None
        gb = (unbroadcast(_gate(dy, cond, inverted=True, scratch=False), _shape_of(bd))
              if needs[1] else None)
        return ga, gb
    return _record(xp.where(cond, ad, bd), (a, b), vjp)


# ---------------------------------------------------------------------------------------------
# Elementwise unary primitives

def _unary(x, forward, grad):
    """grad(dy, x, out) -> input gradient."""
    xd = raw(x)
    out = forward(xd)
    return _record(out, (x,), lambda dy, needs: (grad(dy, xd, out),))


def negative(x):
    return _unary(x, lambda a: -a, lambda dy, a, o: -dy)


def exp(x):
    return _unary(x, _xp().exp, lambda dy, a, o: dy * o)


def log(x):
    return _unary(x, _xp().log, lambda dy, a, o: _quiet_divide(dy, a))


def sqrt(x):
    return _unary(x, _xp().sqrt, lambda dy, a, o: _quiet_divide(dy, 2 * o))


def _quiet_divide(a, b):
    """a / b where b may be 0: the infinite gradient is the answer (as in TensorFlow), so NumPy's
    divide-by-zero warning is noise."""
    with numpy.errstate(divide='ignore', invalid='ignore'):
        return a / b


def square(x):
    return _unary(x, _xp().square, lambda dy, a, o: dy * 2 * a)


def absolute(x):
    return _unary(x, _xp().abs, lambda dy, a, o: dy * _xp().sign(a))


def sign(x):
    return Tensor(_xp().sign(raw(x)))


def round_(x):
    """Round half to even, as TensorFlow does; no gradient."""
    return Tensor(_xp().round(raw(x)))


def sin(x):
    return _unary(x, _xp().sin, lambda dy, a, o: dy * _xp().cos(a))


def cos(x):
    return _unary(x, _xp().cos, lambda dy, a, o: -dy * _xp().sin(a))


def tanh(x):
    return _unary(x, _xp().tanh, lambda dy, a, o: dy * (1 - o * o))


def _sigmoid(a):
    """1 / (1 + exp(-a)) from exp(-|a|), which never overflows and keeps tiny values for a << 0."""
    xp = _xp()
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(x):
    return _unary(x, _sigmoid, lambda dy, a, o: dy * o * (1 - o))


def softplus(x):
    xp = _xp()
    return _unary(x, lambda a: xp.logaddexp(a, 0).astype(a.dtype, copy=False),
                  lambda dy, a, o: dy * _sigmoid(a))


def relu(x):
    """max(x, 0) with gradient 0 at 0."""
    return _unary(x, lambda a: _xp().maximum(a, 0), lambda dy, a, o: _gate(dy, a > 0))


def clip(x, low, high):
    """Clip to [low, high]; the gradient passes where low <= x <= high."""
    xp = _xp()
    low, high = _like(raw(low), raw(x)), _like(raw(high), raw(x))
    return _unary(x, lambda a: xp.clip(a, low, high),
                  lambda dy, a, o: _gate(dy, (a >= low) & (a <= high)))


def cast(x, dtype):
    xd = raw(x)
    source = xd.dtype
    xp = _xp()
    differentiable = (xp.issubdtype(xp.dtype(dtype), xp.floating)
                      and xp.issubdtype(source, xp.floating))
    out = xd.astype(dtype)
    if not differentiable:
        return Tensor(out)
    return _record(out, (x,), lambda dy, needs: (dy.astype(source),))


# ---------------------------------------------------------------------------------------------
# Reductions

def _normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (list, tuple)):
        return tuple(sorted(a % ndim for a in axis))
    return (axis % ndim,)


def _keep_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _integer_dtype(a):
    """An integer array's own dtype (NumPy would widen int32 sums to int64; TensorFlow does not)."""
    return a.dtype if a.dtype.kind in 'iu' else None


def reduce_sum(x, axis=None, keepdims=False):
    xd = raw(x)
    axes = _normalize_axes(axis, xd.ndim)
    out = xd.sum(axis=axes, keepdims=keepdims, dtype=_integer_dtype(xd))
    shape = xd.shape

    def vjp(dy, needs):
        return (_xp().broadcast_to(dy.reshape(_keep_shape(shape, axes)), shape),)
    return _record(out, (x,), vjp)


def reduce_mean(x, axis=None, keepdims=False):
    xd = raw(x)
    axes = _normalize_axes(axis, xd.ndim)
    count = 1
    for a in axes:
        count *= xd.shape[a]
    out = xd.mean(axis=axes, keepdims=keepdims)
    shape = xd.shape

    def vjp(dy, needs):
        return (_xp().broadcast_to(dy.reshape(_keep_shape(shape, axes)) / count, shape),)
    return _record(out, (x,), vjp)


def _reduce_extreme(x, axis, keepdims, name):
    xd = raw(x)
    axes = _normalize_axes(axis, xd.ndim)
    kept = getattr(xd, name)(axis=axes, keepdims=True)
    out = kept if keepdims else kept.reshape([n for i, n in enumerate(xd.shape) if i not in axes])

    def vjp(dy, needs):
        # Ties share the gradient equally, as TensorFlow's reduce_max does.
        hits = (xd == kept).astype(dy.dtype)
        return (dy.reshape(kept.shape) * hits / hits.sum(axis=axes, keepdims=True),)
    return _record(out, (x,), vjp)


def reduce_max(x, axis=None, keepdims=False):
    return _reduce_extreme(x, axis, keepdims, 'max')


def reduce_min(x, axis=None, keepdims=False):
    return _reduce_extreme(x, axis, keepdims, 'min')


def reduce_prod(x, axis=None, keepdims=False):
    xd = raw(x)
    axes = _normalize_axes(axis, xd.ndim)
    kept = xd.prod(axis=axes, keepdims=True, dtype=_integer_dtype(xd))
    out = kept if keepdims else kept.reshape([n for i, n in enumerate(xd.shape) if i not in axes])

    def vjp(dy, needs):
        xp = _xp()
        # d prod / d x_i is the product of the others: prod / x_i, except where x_i is zero.
        zero = xd == 0
        safe = xp.where(zero, 1, xd)
        zeros_in_slice = zero.sum(axis=axes, keepdims=True)
        product_of_nonzero = safe.prod(axis=axes, keepdims=True)
        others = xp.where(zero, product_of_nonzero * (zeros_in_slice == 1), kept / safe)
        return (dy.reshape(kept.shape) * others,)
    return _record(out, (x,), vjp)


def cumsum(x, axis=0):
    """Cumulative sum along axis; its VJP is the reversed cumulative sum of dy."""
    xp = _xp()
    xd = raw(x)
    axis = axis % xd.ndim
    out = xp.cumsum(xd, axis=axis, dtype=_integer_dtype(xd))

    def vjp(dy, needs):
        backwards = (slice(None),) * axis + (slice(None, None, -1),)
        return (xp.cumsum(dy[backwards], axis=axis)[backwards],)
    return _record(out, (x,), vjp)


def cumprod(x, axis=0):
    """Cumulative product along axis.

    Its VJP is exact where x has zeros (tf.keras divides by x and gives 0 there instead):
    dx_i = E_i * R_i with E the exclusive cumulative product of x and R_i = dy_i + x_{i+1} *
    R_{i+1}, one pass backwards along the axis.
    """
    xp = _xp()
    xd = raw(x)
    axis = axis % xd.ndim
    out = xp.cumprod(xd, axis=axis, dtype=_integer_dtype(xd))

    def vjp(dy, needs):
        values, dy = xp.moveaxis(xd, axis, 0), xp.moveaxis(dy, axis, 0)
        grad = xp.empty(dy.shape, dtype=dy.dtype)
        if dy.shape[0]:
            grad[0] = 1
            xp.cumprod(values[:-1], axis=0, out=grad[1:])
            following = dy[-1].copy()
            grad[-1] *= following
            for i in range(dy.shape[0] - 2, -1, -1):
                following *= values[i + 1]
                following += dy[i]
                grad[i] *= following
        return (xp.moveaxis(grad, 0, axis),)
    return _record(out, (x,), vjp)


def logsumexp(x, axis=-1, keepdims=False):
    xp = _xp()
    xd = raw(x)
    shift = xp.max(xd, axis=axis, keepdims=True)
    shift = xp.where(xp.isfinite(shift), shift, 0)
    kept = xp.log(xp.sum(xp.exp(xd - shift), axis=axis, keepdims=True)) + shift
    out = kept if keepdims else xp.squeeze(kept, axis=axis)

    def vjp(dy, needs):
        return (dy.reshape(kept.shape) * xp.exp(xd - kept),)
    return _record(out, (x,), vjp)


def softmax(x, axis=-1):
    xp = _xp()
    xd = raw(x)
    e = xp.exp(xd - xp.max(xd, axis=axis, keepdims=True))
    out = e / e.sum(axis=axis, keepdims=True)

    def vjp(dy, needs):
        return (out * (dy - (dy * out).sum(axis=axis, keepdims=True)),)
    return _record(out, (x,), vjp)


def log_softmax(x, axis=-1):
    xp = _xp()
    xd = raw(x)
    shifted = xd - xp.max(xd, axis=axis, keepdims=True)
    out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))

    def vjp(dy, needs):
        return (dy - xp.exp(out) * dy.sum(axis=axis, keepdims=True),)
    return _record(out, (x,), vjp)


# ---------------------------------------------------------------------------------------------
# Linear algebra

def matmul(a, b):
    """NumPy matmul semantics for operands of rank >= 2 (batched, broadcast over leading axes)."""
    ad, bd = _operands(a, b)
    if ad.ndim < 2 or bd.ndim < 2:
        raise ValueError(f"matmul needs operands of rank >= 2; received shapes {ad.shape} and "
                         f"{bd.shape}.")
    xp = _xp()
    out = xp.matmul(ad, bd)

    def vjp(dy, needs):
        ga = unbroadcast(xp.matmul(dy, xp.swapaxes(bd, -1, -2)), ad.shape) if needs[0] else None
        gb = unbroadcast(xp.matmul(xp.swapaxes(ad, -1, -2), dy), bd.shape) if needs[1] else None
        return ga, gb
    return _record(out, (a, b), vjp)


def tensordot_last(x, w, bias=None):
    """Contract the last axis of x (any rank) with the first axis of the 2-D w: Keras' K.dot.

    With `bias` (a vector of w's columns): x . w + bias as one node, the bias added in place
    of the product (a Dense layer's, without the temporary of a separate add)."""
    xd, wd = _operands(x, w)
    gemm = selection.active().gemm
    lead = xd.shape[:-1]
    flat = xd.reshape(-1, xd.shape[-1])
    out = gemm(flat, wd)
    if bias is not None:
        bd = raw(bias)
        if _xp().result_type(out, bd) == out.dtype:
            out += bd
        else:
            out = out + bd
    out = out.reshape(lead + (wd.shape[1],))

    def vjp(dy, needs):
        dflat = dy.reshape(-1, wd.shape[1])
        gx = gemm(dflat, wd.T).reshape(xd.shape) if needs[0] else None
        gw = gemm(flat.T, dflat) if needs[1] else None
        gb = unbroadcast(dy, _shape_of(raw(bias))) if needs[2] else None
        return gx, gw, gb
    return _record(out, (x, w, bias), vjp)


# ---------------------------------------------------------------------------------------------
# Shape and indexing

def reshape(x, shape):
    xd = raw(x)
    source = xd.shape
    return _record(xd.reshape(tuple(shape)), (x,), lambda dy, needs: (dy.reshape(source),))


def transpose(x, axes=None):
    xd = raw(x)
    if axes is None:
        axes = tuple(reversed(range(xd.ndim)))
    axes = tuple(int(a) % xd.ndim for a in axes)
    inverse = tuple(_argsort(axes))
    return _record(xd.transpose(axes), (x,), lambda dy, needs: (dy.transpose(inverse),))


def _argsort(seq):
    return sorted(range(len(seq)), key=seq.__getitem__)


def broadcast_to(x, shape):
    xd = raw(x)
    source = xd.shape
    return _record(_xp().broadcast_to(xd, tuple(shape)), (x,),
                   lambda dy, needs: (unbroadcast(dy, source),))


def _raw_index(index):
    if isinstance(index, tuple):
        return tuple(_raw_index(i) for i in index)
    if isinstance(index, list):
        return [_raw_index(i) for i in index]
    return raw(index)


def getitem(x, index):
    xd = raw(x)
    index = _raw_index(index)
    out = xd[index]

    def vjp(dy, needs):
        xp = _xp()
        grad = xp.zeros(xd.shape, dtype=dy.dtype)
        if _may_repeat(index):
            xp.add.at(grad, index, dy)
        else:
            grad[index] = dy
        return (grad,)
    return _record(out, (x,), vjp)


def _may_repeat(index):
    """True when the index holds integer arrays (or lists), which may pick an element twice;
    slices, ints, None, Ellipsis and boolean masks select each element at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, list):
            return True
        dtype = getattr(part, 'dtype', None)
        if dtype is not None and getattr(part, 'ndim', 0) > 0 and dtype.kind in 'iu':
            return True
    return False


def gather(x, indices, axis=0):
    """x taken at integer `indices` along `axis` (K.gather, Embedding lookup)."""
    xp = _xp()
    xd, idx = raw(x), xp.asarray(raw(indices))
    axis = axis % xd.ndim
    out = xp.take(xd, idx, axis=axis)

    def vjp(dy, needs):
        grad = xp.zeros(xd.shape, dtype=dy.dtype)
        moved = xp.moveaxis(grad, axis, 0)
        dy_moved = xp.moveaxis(dy, tuple(range(axis, axis + idx.ndim)), tuple(range(idx.ndim)))
        if xp is numpy and axis == 0 and idx.size:
            width = grad.size // grad.shape[0]
            _scatter_add_rows(grad.reshape(grad.shape[0], width), idx.reshape(-1),
                              dy_moved.reshape(idx.size, width))
        else:
            xp.add.at(moved, idx, dy_moved)
        return (grad,)
    return _record(out, (x,), vjp)


def _scatter_add_rows(target, rows, values):
    """target[rows[k]] += values[k] for k in order, on a C-contiguous 2-D NumPy target: the sums
    of numpy.add.at(target, rows, values), bit for bit, in a fraction of its time. Rows hit once
    are assigned; only repeated rows go through add.at, on flat element indices (its fast 1-D
    path)."""
    n, width = target.shape
    rows = numpy.where(rows < 0, rows + n, rows)
    order = numpy.argsort(rows, kind='stable')
    ordered = rows[order]
    first = numpy.empty(rows.size, dtype=bool)
    first[0] = True
    numpy.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    single = first.copy()
    single[:-1] &= first[1:]
    once = values[order[single]]
    once += 0  # add.at's 0 + (-0.0) is +0.0
    target[ordered[single]] = once
    repeated = numpy.sort(order[~single])
    if repeated.size:
        cells = (rows[repeated, None] * width + numpy.arange(width)).reshape(-1)
        numpy.add.at(target.reshape(-1), cells, values[repeated].reshape(-1))


def concatenate(tensors, axis=-1):
    xp = _xp()
    arrays = [raw(t) for t in tensors]
    out = xp.concatenate(arrays, axis=axis)
    bounds = []
    total = 0
    for a in arrays:
        total += a.shape[axis]
        bounds.append(total)

    def vjp(dy, needs):
        pieces = xp.split(dy, bounds[:-1], axis=axis)
        return tuple(p if n else None for p, n in zip(pieces, needs))
    return _record(out, tuple(tensors), vjp)


def stack(tensors, axis=0):
    xp = _xp()
    out = xp.stack([raw(t) for t in tensors], axis=axis)

    def vjp(dy, needs):
        return tuple(xp.take(dy, i, axis=axis) if n else None for i, n in enumerate(needs))
    return _record(out, tuple(tensors), vjp)


def unstack(x, axis=0):
    """The slices of x along `axis`, as a list of tensors.

    All slices send their gradients into one buffer that a single node above them hands to x, so
    splitting T steps costs O(T) in backward (T getitems would each build a zero array of x's
    size). Each slice's VJP fills its row and passes a 0-d zero up; the reverse topological walk
    runs every slice before that shared node, which then returns the buffer.
    """
    xp = _xp()
    xd = raw(x)
    axis = axis % xd.ndim
    moved = xp.moveaxis(xd, axis, 0)
    if not _needs_grad(x):
        return [Tensor(moved[i]) for i in range(moved.shape[0])]
    pending = {}

    def buffer():
        if 'rows' not in pending:
            pending['rows'] = xp.zeros(moved.shape, dtype=xd.dtype)
        return pending['rows']

    def gather_vjp(dy, needs):
        rows = pending.pop('rows', None)
        if rows is None:
            rows = xp.zeros(moved.shape, dtype=xd.dtype)
        return (xp.moveaxis(rows, 0, axis),)
    hub = Tensor(xd, True, (x,), gather_vjp)

    def piece(i):
        def vjp(dy, needs):
            buffer()[i] = dy
            return (xp.zeros((), dtype=xd.dtype),)
        return Tensor(moved[i], True, (hub,), vjp)
    return [piece(i) for i in range(moved.shape[0])]


def tile(x, reps):
    xp = _xp()
    xd = raw(x)
    reps = tuple(reps)
    if len(reps) < xd.ndim:
        reps = (1,) * (xd.ndim - len(reps)) + reps
    base = (1,) * (len(reps) - xd.ndim) + xd.shape
    out = xp.tile(xd, reps)

    def vjp(dy, needs):
        split = []
        for r, n in zip(reps, base):
            split += [r, n]
        g = dy.reshape(split).sum(axis=tuple(range(0, 2 * len(reps), 2)))
        return (g.reshape(xd.shape),)
    return _record(out, (x,), vjp)


def repeat(x, repeats, axis):
    xp = _xp()
    xd = raw(x)
    axis = axis % xd.ndim
    out = xp.repeat(xd, repeats, axis=axis)

    def vjp(dy, needs):
        shape = xd.shape[:axis] + (xd.shape[axis], repeats) + xd.shape[axis + 1:]
        return (dy.reshape(shape).sum(axis=axis + 1),)
    return _record(out, (x,), vjp)


def pad(x, pad_width, value=0):
    """Constant padding; pad_width as numpy.pad takes it (an int, a pair, or a pair per axis)."""
    xp = _xp()
    xd = raw(x)
    pad_width = tuple(tuple(int(n) for n in pair)
                      for pair in numpy.broadcast_to(numpy.asarray(pad_width), (xd.ndim, 2)))
    out = xp.pad(xd, pad_width, mode='constant', constant_values=value)
    index = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, xd.shape))
    return _record(out, (x,), lambda dy, needs: (dy[index],))


# ---------------------------------------------------------------------------------------------
# Gradients

def _topological_order(root):
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if node._parents:
            for parent in node._parents:
                if parent is not None and id(parent) not in seen:
                    stack.append((parent, False))
    return order


def gradients(loss, variables, output_gradient=None):
    """Gradients (raw arrays) of `loss` with respect to each of `variables`; zeros where
    unconnected."""
    xp = _xp()
    if not isinstance(loss, Tensor):
        raise ValueError("gradients needs a Tensor to differentiate; received "
                         f"{type(loss).__name__}.")
    grads = {}
    if loss.requires_grad:
        grads[id(loss)] = (xp.ones_like(loss.data) if output_gradient is None
                           else xp.array(raw(output_gradient), dtype=loss.dtype))
        wanted = {id(v) for v in variables}
        for node in reversed(_topological_order(loss)):
            grad = grads.get(id(node))
            if grad is None or node._vjp is None:
                continue
            if id(node) not in wanted:
                del grads[id(node)]
            parents = node._parents
            needs = tuple(p is not None for p in parents)
            for parent, g in zip(parents, node._vjp(grad, needs)):
                if parent is None or g is None:
                    continue
                if g.dtype != parent.dtype:
                    g = g.astype(parent.dtype)
                key = id(parent)
                if key in grads:
                    grads[key] = grads[key] + g
                else:
                    grads[key] = g
    return _independent([grads[id(v)] if id(v) in grads else xp.zeros_like(raw(v))
                         for v in variables])


def _independent(arrays):
    """Copy views (VJPs return broadcast or shared views of dy) so that each returned gradient
    owns its memory: an optimizer may update one in place without touching another."""
    seen = set()
    out = []
    for a in arrays:
        if a.base is not None or id(a) in seen:
            a = a.copy()
        seen.add(id(a))
        out.append(a)
    return out
