"""Every K function against an independent NumPy formula (tf_keras 2.21 semantics), with a
float64 finite-difference check of each differentiable one."""
import warnings

import numpy as np
import pytest

from gkeras import backend as K
from gkeras.backend import autodiff as ad
from gkeras.backend import config
from gkeras.backend import functions
from gkeras.backend import selection
from gradcheck import check_gradients

EPS = 1e-7


def to_np(x):
    return selection.active().to_numpy(ad.raw(x))


def const(values, dtype=None):
    return ad.constant(np.asarray(values) if dtype is None else np.asarray(values, dtype))


def grads_of(loss_fn, *arrays, dtype=np.float64):
    variables = [ad.Variable(selection.active().asarray(np.asarray(a, dtype))) for a in arrays]
    return [to_np(g) for g in ad.gradients(loss_fn(*variables), variables)]


def softmax_np(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_np(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def sigmoid_np(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------------------------------------
# Reductions

REDUCTIONS = {
    'sum': (K.sum, np.sum), 'mean': (K.mean, np.mean), 'max': (K.max, np.max),
    'min': (K.min, np.min),
    'prod': (K.prod, np.prod), 'var': (K.var, np.var), 'std': (K.std, np.std),
}


@pytest.mark.parametrize('keepdims', [False, True])
@pytest.mark.parametrize('axis', [None, 1, -1, (0, 2), [2, -3]], ids=str)
@pytest.mark.parametrize('name', sorted(REDUCTIONS))
def test_reductions(backend, rng, name, axis, keepdims):
    fn, reference = REDUCTIONS[name]
    x = rng.permutation(np.linspace(0.4, 1.6, 12)).reshape(2, 3, 2)
    x = x * rng.choice([-1.0, 1.0], x.shape)
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    expected = reference(x, axis=np_axis, keepdims=keepdims)
    got = to_np(fn(const(x), axis=axis, keepdims=keepdims))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    check_gradients(lambda t: fn(t, axis=axis, keepdims=keepdims), x)


def test_reductions_of_float32_stay_float32(backend):
    x = K.variable(np.ones((2, 3)))
    for name, (fn, _) in REDUCTIONS.items():
        assert fn(x, axis=1).dtype == np.float32, name


def test_mean_of_booleans_and_integers(backend):
    # bool counts as floatx; an integer mean stays integer and truncates toward zero (tf)
    flags = K.mean(np.array([True, False, False, True]))
    assert flags.dtype == np.float32 and float(flags) == 0.5
    negative = K.mean(np.array([-1, -2, -2], np.int32))
    assert negative.dtype == np.int32 and int(negative) == -1
    np.testing.assert_array_equal(to_np(K.mean(np.array([[1, 2], [4, 4]], np.int32), axis=1)),
                                  [1, 4])
    np.testing.assert_allclose(float(K.var(np.array([True, False]))), 0.25)


def test_std_and_var_of_integers_are_float(backend):
    np.testing.assert_allclose(float(K.std(np.array([1, 2, 3, 4]))), np.std([1, 2, 3, 4]),
                               rtol=1e-6)


def test_max_min_share_gradient_among_ties(backend):
    (g,) = grads_of(lambda t: K.sum(K.max(t, axis=1)), [[1.0, 3.0, 3.0], [0.0, 0.0, -1.0]])
    np.testing.assert_allclose(g, [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    (g,) = grads_of(lambda t: K.sum(K.min(t, axis=0)), [[1.0, 3.0], [1.0, 2.0]])
    np.testing.assert_allclose(g, [[0.5, 0], [0.5, 1]])


def test_prod_with_zeros(backend):
    (g,) = grads_of(lambda t: K.sum(K.prod(t, axis=-1)), [[2.0, 0.0, 5.0], [0.0, 3.0, 0.0]])
    np.testing.assert_array_equal(g, [[0, 10, 0], [0, 0, 0]])


@pytest.mark.parametrize('axis', [0, 1, -1])
def test_cumsum(backend, rng, axis):
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(to_np(K.cumsum(const(x), axis)), np.cumsum(x, axis=axis), rtol=1e-12)
    check_gradients(lambda t: K.cumsum(t, axis), x)


def test_cumsum_of_a_long_axis_is_linear(backend):
    x = np.ones(200_000, np.float32)
    np.testing.assert_array_equal(to_np(K.cumsum(x))[[0, -1]], [1.0, 200_000.0])
    assert K.cumsum(np.array([1, 2], np.int32)).dtype == np.int32


def test_logsumexp(backend, rng):
    x = rng.normal(size=(2, 3)) * 10
    for axis, keepdims in [(None, False), (None, True), (0, False), (1, True), (-1, False)]:
        expected = np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
        got = to_np(K.logsumexp(const(x), axis=axis, keepdims=keepdims))
        assert got.shape == np.shape(expected)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        check_gradients(lambda t: K.logsumexp(t, axis=axis, keepdims=keepdims), x)


def test_any_all_argmax_argmin(backend):
    x = np.array([[0.0, 2.0, -1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(to_np(K.any(x, axis=1)), [True, False])
    np.testing.assert_array_equal(to_np(K.all(x != 5, axis=0, keepdims=True)), [[True, True, True]])
    assert bool(K.any(x)) and not bool(K.all(x))
    y = np.array([[1.0, 5.0, 5.0], [7.0, -2.0, 3.0]])
    amax, amin = K.argmax(y), K.argmin(y, axis=0)
    assert amax.dtype == np.int64 and amin.dtype == np.int64
    np.testing.assert_array_equal(to_np(amax), [1, 0])  # first of tied maxima
    np.testing.assert_array_equal(to_np(amin), [0, 1, 1])


# ---------------------------------------------------------------------------------------------
# Elementwise math

ELEMENTWISE = {
    'square': (K.square, np.square, (-2, 2)),
    'sqrt': (K.sqrt, np.sqrt, (0.2, 3)),
    'abs': (K.abs, np.abs, (0.2, 3)),
    'exp': (K.exp, np.exp, (-2, 2)),
    'log': (K.log, np.log, (0.2, 3)),
    'sin': (K.sin, np.sin, (-3, 3)),
    'cos': (K.cos, np.cos, (-3, 3)),
    'tanh': (K.tanh, np.tanh, (-3, 3)),
    'sigmoid': (K.sigmoid, sigmoid_np, (-5, 5)),
    'softplus': (K.softplus, lambda z: np.log1p(np.exp(z)), (-5, 5)),
    'softsign': (K.softsign, lambda z: z / (1 + np.abs(z)), (0.1, 3)),
    'hard_sigmoid': (K.hard_sigmoid, lambda z: np.clip(0.2 * z + 0.5, 0, 1), (-2.4, 2.4)),
    'pow_int': (lambda t: K.pow(t, 3), lambda z: z ** 3, (-2, 2)),
    'pow_float': (lambda t: K.pow(t, 0.5), np.sqrt, (0.2, 3)),
    'clip': (lambda t: K.clip(t, -0.5, 0.75), lambda z: np.minimum(np.maximum(z, -0.5), 0.75),
             (-0.4, 0.7)),
    'maximum': (lambda t: K.maximum(t, 0.25), lambda z: np.maximum(z, 0.25), (0.3, 2)),
    'minimum': (lambda t: K.minimum(t, 0.25), lambda z: np.minimum(z, 0.25), (0.3, 2)),
    'l2_normalize': (lambda t: K.l2_normalize(t, axis=1),
                     lambda z: z / np.sqrt(np.sum(z ** 2, axis=1, keepdims=True)), (-2, 2)),
    'l2_normalize_all': (lambda t: K.l2_normalize(t), lambda z: z / np.sqrt(np.sum(z ** 2)),
                         (-2, 2)),
    'identity': (K.identity, lambda z: z, (-2, 2)),
}


@pytest.mark.parametrize('name', sorted(ELEMENTWISE))
def test_elementwise(backend, rng, name):
    fn, reference, (low, high) = ELEMENTWISE[name]
    x = rng.uniform(low, high, (3, 4)) * (rng.choice([-1.0, 1.0], (3, 4)) if name == 'abs' else 1)
    np.testing.assert_allclose(to_np(fn(const(x))), reference(x), rtol=1e-12, atol=1e-15)
    check_gradients(fn, x)
    check_gradients(fn, x, noncontiguous=True)


def test_elementwise_accepts_numpy_and_python_inputs(backend):
    out = K.exp(np.zeros(2, np.float32))
    assert isinstance(out, ad.Tensor) and out.dtype == np.float32
    assert K.square(3.0).dtype == np.float32  # Python floats become floatx constants
    np.testing.assert_array_equal(to_np(K.abs([[-1, 2]])), [[1, 2]])


@pytest.mark.filterwarnings('error::RuntimeWarning')
def test_sqrt_clips_negatives_to_zero(backend):
    x = [-4.0, -1e-3, 0.0, 4.0]
    np.testing.assert_array_equal(to_np(K.sqrt(const(x))), [0.0, 0.0, 0.0, 2.0])
    (g,) = grads_of(lambda t: K.sum(K.sqrt(t)), x)
    # tf: sqrt(maximum(x, 0)); the gradient is 0 below zero and +inf at zero
    np.testing.assert_array_equal(g, [0.0, 0.0, np.inf, 0.25])


def test_clip_bounds(backend):
    x = const([-2.0, 0.5, 3.0])
    np.testing.assert_array_equal(to_np(K.clip(x, None, 1.0)), [-2.0, 0.5, 1.0])
    np.testing.assert_array_equal(to_np(K.clip(x, 0.0, None)), [0.0, 0.5, 3.0])
    # a numeric max below min becomes min
    np.testing.assert_array_equal(to_np(K.clip(x, 1.0, 0.0)), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(to_np(K.clip(x, K.constant(0.0), K.constant(1.0))),
                                  [0.0, 0.5, 1.0])
    # the gradient passes at the bounds themselves (clip_by_value)
    (g,) = grads_of(lambda t: K.sum(K.clip(t, -1.0, 1.0)), [-1.0, 1.0, 1.5, -3.0, 0.0])
    np.testing.assert_array_equal(g, [1.0, 1.0, 0.0, 0.0, 1.0])
    (g,) = grads_of(lambda t: K.sum(K.clip(t, 1.5, 1.0)), [0.0, 1.5, 2.0])
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])


def test_maximum_minimum_of_two_tensors(backend, rng):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3,))
    np.testing.assert_array_equal(to_np(K.maximum(const(a), const(b))), np.maximum(a, b))
    np.testing.assert_array_equal(to_np(K.minimum(const(a), const(b))), np.minimum(a, b))
    check_gradients(K.maximum, a, b)
    check_gradients(K.minimum, a, b)
    # ties: the gradient goes to the first argument
    gx, gy = grads_of(lambda x, y: K.sum(K.maximum(x, y)), [1.0, 2.0], [1.0, 3.0])
    np.testing.assert_array_equal(gx, [1.0, 0.0])
    np.testing.assert_array_equal(gy, [0.0, 1.0])


def test_pow_with_a_tensor_exponent(backend, rng):
    x, a = rng.uniform(0.5, 2, (2, 3)), rng.uniform(-1, 2, (2, 3))
    np.testing.assert_allclose(to_np(K.pow(const(x), const(a))), x ** a, rtol=1e-12)
    check_gradients(K.pow, x, a)


def test_sign_and_round(backend):
    x = [-2.5, -1.5, -0.5, -0.2, 0.0, 0.5, 1.5, 2.5, 3.5, 2.51]
    np.testing.assert_array_equal(to_np(K.sign(const(x))), [-1, -1, -1, -1, 0, 1, 1, 1, 1, 1])
    # half to even ("banker's rounding"), as tf.round
    np.testing.assert_array_equal(to_np(K.round(const(x))), [-2, -2, -0, -0, 0, 0, 2, 2, 4, 3])
    (g,) = grads_of(lambda t: K.sum(K.sign(t) + K.round(t)), x)
    np.testing.assert_array_equal(g, np.zeros(len(x)))


def test_comparisons(backend):
    x, y = const([1.0, 2.0, 3.0]), const([3.0, 2.0, 1.0])
    expected = {K.equal: [False, True, False], K.not_equal: [True, False, True],
                K.greater: [False, False, True], K.greater_equal: [False, True, True],
                K.less: [True, False, False], K.less_equal: [True, True, False]}
    for fn, values in expected.items():
        out = fn(x, y)
        assert out.dtype == np.bool_, fn.__name__
        np.testing.assert_array_equal(to_np(out), values, err_msg=fn.__name__)
    np.testing.assert_array_equal(to_np(K.greater(x, 1.5)), [False, True, True])


# ---------------------------------------------------------------------------------------------
# dot and batch_dot

@pytest.mark.parametrize('x_shape, y_shape, out_shape', [
    ((2, 3), (3, 4), (2, 4)),
    ((32, 28, 3), (3, 4), (32, 28, 4)),      # tf.keras docstring
    ((2, 3), (4, 3, 5), (2, 4, 5)),          # tf.keras docstring: nD y
    ((2, 3, 4), (5, 4, 6), (2, 3, 5, 6)),
    ((3,), (2, 3, 4), (2, 4)),
    ((4,), (4, 2), (2,)),
], ids=str)
def test_dot(backend, rng, x_shape, y_shape, out_shape):
    x, y = rng.normal(size=x_shape), rng.normal(size=y_shape)
    # the sum over x's last axis and y's second-to-last; axes: x's, y's leading, y's last
    expected = np.tensordot(x, y, axes=([-1], [-2]))
    got = to_np(K.dot(const(x), const(y)))
    assert got.shape == out_shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    check_gradients(K.dot, x, y)


def test_dot_rejects_a_vector_y(backend):
    with pytest.raises(ValueError, match='rank >= 2'):
        K.dot(const(np.ones((2, 3))), const(np.ones(3)))


def batch_dot_np(x, y, axes):
    """Per sample, contract x's axes[0] with y's axes[1] (both counted with the batch axis)."""
    ax, ay = axes
    out = np.stack([np.tensordot(x[i], y[i], axes=(ax - 1, ay - 1)) for i in range(x.shape[0])])
    return out.reshape(-1, 1) if out.ndim == 1 else out


@pytest.mark.parametrize('x_shape, y_shape, axes, out_shape', [
    # the examples documented by Keras 2 / tf.keras
    ((32, 20), (32, 30, 20), (1, 2), (32, 30)),
    ((100, 20), (100, 20), 1, (100, 1)),
    ((32, 20, 1), (32, 30, 20), (1, 2), (32, 1, 30)),
    # shapes tf_keras 2.21 gives
    ((4, 5), (4, 5), None, (4, 1)),
    ((4, 5), (4, 5, 6), None, (4, 6)),
    ((4, 6, 5), (4, 5), None, (4, 6)),
    ((4, 2, 3, 5), (4, 5, 7, 2), (3, 1), (4, 2, 3, 7, 2)),
    ((4, 3, 5), (4, 7, 5, 2), None, (4, 3, 7, 2)),
    ((4, 5), (4, 5, 7, 2), 1, (4, 7, 2)),
    ((4, 2, 3, 5), (4, 5), (3, 1), (4, 2, 3)),
    ((4, 3, 5), (4, 3, 6), (1, 1), (4, 5, 6)),
    ((4, 3, 5), (4, 6, 3), (-2, -1), (4, 5, 6)),
    ((4, 2, 3), (4, 3), (2, 1), (4, 2)),
    ((4, 2, 3), (4, 2), (1, 1), (4, 3)),
    ((4, 3), (4, 3, 6, 2), (1, 1), (4, 6, 2)),
    ((4, 5, 3, 2), (4, 3, 5), [1, 2], (4, 3, 2, 3)),
], ids=str)
def test_batch_dot(backend, rng, x_shape, y_shape, axes, out_shape):
    x, y = rng.normal(size=x_shape), rng.normal(size=y_shape)
    got = to_np(K.batch_dot(const(x), const(y), axes))
    assert got.shape == out_shape
    if axes is None:
        axes = (len(x_shape) - 1, len(y_shape) - 2 if len(y_shape) > 2 else len(y_shape) - 1)
    axes = (axes, axes) if isinstance(axes, int) else axes
    axes = tuple(a % n for a, n in zip(axes, (len(x_shape), len(y_shape))))
    np.testing.assert_allclose(got, batch_dot_np(x, y, axes).reshape(out_shape), rtol=1e-12)
    if x.size * y.size <= 20000:
        check_gradients(lambda a, b: K.batch_dot(a, b, axes), x, y)


@pytest.mark.parametrize('x_shape, y_shape, axes, message', [
    ((4,), (4, 3), None, 'rank < 2'),
    ((4, 3), (5, 3), None, 'different batch sizes'),
    ((4, 3), (4, 5, 3), None, r'x.shape\[1\] != y.shape\[1\] \(3 != 5\)'),
    ((4, 3), (4, 3), (0, 1), 'axis 0'),
    ((4, 3), (4, 3), ((1,), (1,)), 'Multiple target dimensions'),
], ids=str)
def test_batch_dot_errors(backend, x_shape, y_shape, axes, message):
    with pytest.raises(ValueError, match=message):
        K.batch_dot(const(np.ones(x_shape)), const(np.ones(y_shape)), axes)


def test_l2_normalize_of_zeros_is_zero(backend):
    out = to_np(K.l2_normalize(const([[3.0, 4.0], [0.0, 0.0]]), axis=1))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    (g,) = grads_of(lambda t: K.sum(K.l2_normalize(t, axis=-1)), [[0.0, 0.0]])
    np.testing.assert_array_equal(g, [[1e6, 1e6]])  # x / 1e-6 below the floor


# ---------------------------------------------------------------------------------------------
# Activations

def relu_np(x, alpha=0.0, max_value=None, threshold=0.0):
    """tf_keras 2.21's K.relu, step by step."""
    if alpha != 0 and max_value is None and threshold == 0:
        return np.where(x > 0, x, alpha * x)
    negative = np.maximum(threshold - x, 0) if alpha != 0 else 0
    y = x * (x > threshold) if threshold != 0 else np.maximum(x, 0)
    if max_value is not None:
        y = np.clip(y, 0, max_value)
    return y - alpha * negative


RELU_CASES = [{}, {'alpha': 0.1}, {'max_value': 6.0}, {'max_value': 1.5}, {'threshold': 1.0},
              {'max_value': 1.5, 'alpha': 0.1}, {'threshold': 1.0, 'alpha': 0.2, 'max_value': 5.0},
              {'threshold': -0.5, 'alpha': 0.3}, {'max_value': 6, 'alpha': 0.1}]


@pytest.mark.parametrize('kwargs', RELU_CASES, ids=str)
def test_relu_variants(backend, kwargs):
    kinks = [0.0, 1.0, 1.5, 5.0, 6.0, -0.5]
    x = np.array([-3.1, -1.3, -0.6, -0.2, 0.3, 0.7, 1.2, 1.8, 2.2, 5.5, 6.6, 8.1])
    np.testing.assert_allclose(to_np(K.relu(const(x), **kwargs)), relu_np(x, **kwargs), rtol=1e-12)
    assert all(np.min(np.abs(x - k)) > 0.05 for k in kinks)
    check_gradients(lambda t: K.relu(t, **kwargs), x)
    assert K.relu(K.variable(x), **kwargs).dtype == np.float32


def test_relu_gradients_at_the_kinks(backend):
    at = [0.0, 6.0, 0.5, -1.0]

    def grad(**kwargs):
        return grads_of(lambda t: K.sum(K.relu(t, **kwargs)), at)[0]
    np.testing.assert_array_equal(grad(), [0.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(grad(alpha=0.1), [0.1, 1.0, 1.0, 0.1])     # tf.nn.leaky_relu
    np.testing.assert_array_equal(grad(max_value=6.0), [0.0, 0.0, 1.0, 0.0])   # tf.nn.relu6
    np.testing.assert_array_equal(grad(max_value=0.5), [0.0, 0.0, 1.0, 0.0])   # clip passes at 0.5
    np.testing.assert_array_equal(grad(threshold=0.5), [0.0, 1.0, 0.0, 0.0])


ELU_ALPHA = 1.6732632423543772848170429916717
ELU_SCALE = 1.0507009873554804934193349852946


def test_elu_and_selu(backend):
    x = np.array([-3.0, -0.5, 0.4, 2.0])
    np.testing.assert_allclose(to_np(K.elu(const(x))), np.where(x > 0, x, np.exp(x) - 1),
                               rtol=1e-12)
    np.testing.assert_allclose(to_np(K.elu(const(x), 0.5)),
                               np.where(x > 0, x, 0.5 * (np.exp(x) - 1)),
                               rtol=1e-12)
    np.testing.assert_allclose(to_np(K.selu(const(x))),
                               ELU_SCALE * np.where(x > 0, x, ELU_ALPHA * (np.exp(x) - 1)),
                               rtol=1e-12)
    for fn in (K.elu, lambda t: K.elu(t, 0.5), K.selu):
        check_gradients(fn, x)
    # at exactly 0: elu's gradient is alpha, selu's is scale (tf.nn.selu)
    (g,) = grads_of(lambda t: K.sum(K.elu(t, 0.5)), [0.0])
    np.testing.assert_allclose(g, [0.5])
    (g,) = grads_of(lambda t: K.sum(K.selu(t)), [0.0])
    np.testing.assert_allclose(g, [ELU_SCALE])


@pytest.mark.filterwarnings('error::RuntimeWarning')
def test_elu_and_selu_gradients_are_finite_for_large_inputs(backend):
    for fn in (K.elu, K.selu):
        (g,) = grads_of(lambda t: K.sum(fn(t)), [200.0, 1000.0], dtype=np.float32)
        assert np.all(np.isfinite(g)), g


@pytest.mark.parametrize('axis', [-1, 0, 1, (1, 2)], ids=str)
def test_softmax(backend, rng, axis):
    x = rng.normal(size=(2, 3, 4)) * 3
    out = K.softmax(const(x), axis=axis)
    np.testing.assert_allclose(to_np(out), softmax_np(x, axis), rtol=1e-12)
    assert out._keras_logits is not None
    check_gradients(lambda t: K.softmax(t, axis), x)


def test_softmax_rejects_vectors(backend):
    with pytest.raises(ValueError, match='1D'):
        K.softmax(const([1.0, 2.0]))


def test_sigmoid_remembers_its_logits_and_is_accurate(backend):
    z = const(np.array([-30.0, 0.0, 30.0], np.float32))
    out = K.sigmoid(z)
    assert out._keras_logits is z
    np.testing.assert_allclose(np.log(to_np(out)), [-30.0, np.log(0.5), 0.0], rtol=1e-6, atol=1e-7)


def test_hard_sigmoid_at_its_corners(backend):
    x = [-3.0, -2.5, 0.0, 2.5, 3.0]
    np.testing.assert_allclose(to_np(K.hard_sigmoid(const(x))), [0.0, 0.0, 0.5, 1.0, 1.0])
    (g,) = grads_of(lambda t: K.sum(K.hard_sigmoid(t)), x)
    np.testing.assert_allclose(g, [0.0, 0.2, 0.2, 0.2, 0.0])


# ---------------------------------------------------------------------------------------------
# Dropout

def test_dropout_scales_kept_values_and_drops_the_rest(backend):
    x = np.full((200, 100), 2.0, np.float32)
    out = to_np(K.dropout(x, 0.3, seed=1))
    assert out.dtype == np.float32
    kept = out != 0
    np.testing.assert_allclose(out[kept], 2.0 / 0.7, rtol=1e-6)
    # 20000 Bernoulli(0.7) draws: the kept fraction is within 5 standard deviations of 0.7
    assert abs(kept.mean() - 0.7) < 5 * np.sqrt(0.7 * 0.3 / kept.size)
    np.testing.assert_array_equal(to_np(K.dropout(x, 0.0)), x)


def test_dropout_noise_shape_broadcasts(backend):
    x = np.ones((50, 4, 6), np.float32)
    out = to_np(K.dropout(x, 0.5, noise_shape=(50, 1, 6), seed=3))
    assert np.all(out == out[:, :1, :])  # one decision per (sample, feature), shared along axis 1
    assert 0 < (out == 0).mean() < 1
    out = to_np(K.dropout(x, 0.5, noise_shape=(None, 4, 1), seed=3))
    assert np.all(out == out[:, :, :1])
    with pytest.raises(ValueError, match='noise_shape'):
        K.dropout(x, 0.5, noise_shape=(50, 1))


def test_dropout_seeds_and_generators(backend):
    x = np.ones((20, 20), np.float32)
    a, b = to_np(K.dropout(x, 0.5, seed=7)), to_np(K.dropout(x, 0.5, seed=7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, to_np(K.dropout(x, 0.5, seed=8)))
    generator = selection.active().rng(5)
    first, second = to_np(K.dropout(x, 0.5, rng=generator)), to_np(K.dropout(x, 0.5, rng=generator))
    assert not np.array_equal(first, second)  # a generator advances between calls
    assert K.dropout(np.ones(4, np.float16), 0.5, seed=1).dtype == np.float16


def test_dropout_gradient_uses_the_same_mask(backend):
    v = K.variable(np.arange(1.0, 101.0))
    out = K.dropout(v, 0.4, seed=11)
    (g,) = K.gradients(K.sum(out), [v])
    np.testing.assert_allclose(to_np(g), (to_np(out) != 0) / 0.6, rtol=1e-6)


@pytest.mark.parametrize('level', [-0.1, 1.0, 1.5])
def test_dropout_level_must_be_a_probability(backend, level):
    with pytest.raises(ValueError, match='level'):
        K.dropout(np.ones(3), level)


# ---------------------------------------------------------------------------------------------
# Crossentropies

def probabilities(rng, shape, axis=-1):
    return softmax_np(rng.normal(size=shape), axis)


@pytest.mark.parametrize('axis', [-1, 1])
def test_categorical_crossentropy_of_probabilities(backend, rng, axis):
    p = probabilities(rng, (4, 3, 5), axis) * 1.3  # not normalized: K renormalizes
    classes = rng.integers(0, p.shape[axis], (4, 5 if axis == 1 else 3))
    target = np.moveaxis(np.eye(p.shape[axis])[classes], -1, axis)
    normalized = p / p.sum(axis=axis, keepdims=True)
    expected = -np.sum(target * np.log(np.clip(normalized, EPS, 1 - EPS)), axis=axis)
    got = to_np(K.categorical_crossentropy(const(target), const(p), axis=axis))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    check_gradients(lambda t, o: K.categorical_crossentropy(t, o, axis=axis), target, p)


def test_categorical_crossentropy_clips_at_epsilon(backend):
    p = np.array([[1e-12, 1.0 - 1e-12, 0.0]])
    target = np.array([[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(to_np(K.categorical_crossentropy(const(target), const(p))),
                               [-np.log(EPS)],
                               rtol=1e-12)


@pytest.mark.parametrize('axis', [-1, 0])
def test_categorical_crossentropy_from_logits(backend, rng, axis):
    z = rng.normal(size=(3, 4)) * 3
    target = softmax_np(rng.normal(size=(3, 4)), axis)  # soft targets too
    expected = -np.sum(target * log_softmax_np(z, axis), axis=axis)
    got = to_np(K.categorical_crossentropy(const(target), const(z), True, axis))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    check_gradients(lambda t, o: K.categorical_crossentropy(t, o, from_logits=True, axis=axis),
                    target, z)


def test_crossentropy_of_a_softmax_output_uses_its_logits(backend):
    # a saturated softmax: the probability route would clip at -log(eps) = 16.1
    z = np.array([[0.0, 50.0, -50.0]])
    target = np.array([[0.0, 0.0, 1.0]])
    expected = -log_softmax_np(z)[0, 2]
    output = K.softmax(const(z))
    np.testing.assert_allclose(to_np(K.categorical_crossentropy(const(target), output)), [expected],
                               rtol=1e-12)
    np.testing.assert_allclose(to_np(K.sparse_categorical_crossentropy(const([2]), output)),
                               [expected],
                               rtol=1e-12)
    # from_logits=True on a softmax output still uses the logits, with a warning (tf_keras)
    with pytest.warns(UserWarning, match='from_logits=True'):
        again = K.categorical_crossentropy(const(target), output, from_logits=True)
    np.testing.assert_allclose(to_np(again), [expected], rtol=1e-12)
    check_gradients(lambda t: K.categorical_crossentropy(const(target), K.softmax(t)), z)


@pytest.mark.parametrize('target_shape', [(2, 3), (2, 3, 1), (6,)], ids=str)
def test_sparse_categorical_crossentropy_of_probabilities(backend, rng, target_shape):
    p = probabilities(rng, (2, 3, 4))
    p[0, 0] = [1e-12, 1.0, 0.0, 0.0]  # clipped entries
    labels = np.array([[0, 1, 2], [3, 0, 1]])
    clipped = np.clip(p, EPS, 1 - EPS)
    # tf: log of the clipped probabilities, then a softmax crossentropy on them
    expected = -np.take_along_axis(log_softmax_np(np.log(clipped)), labels[..., None], -1)[..., 0]
    got = to_np(K.sparse_categorical_crossentropy(const(labels.reshape(target_shape)), const(p)))
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    check_gradients(lambda o: K.sparse_categorical_crossentropy(const(labels), o),
                    probabilities(rng, (2, 3, 4)))


def test_sparse_categorical_crossentropy_shapes(backend, rng):
    p = probabilities(rng, (5, 4))
    assert K.sparse_categorical_crossentropy(const([[0], [1], [2], [3], [0]]),
                                             const(p)).shape == (5,)
    assert K.sparse_categorical_crossentropy(const([0, 1, 2, 3, 0]), const(p)).shape == (5,)
    with pytest.raises(ValueError, match='labels'):
        K.sparse_categorical_crossentropy(const([0, 1]), const(p))


@pytest.mark.parametrize('axis', [-1, 1])
def test_sparse_categorical_crossentropy_from_logits(backend, rng, axis):
    z = rng.normal(size=(2, 4, 3)) * 2
    if axis == 1:
        labels = np.array([[0, 3, 1], [2, 2, 0]])
    else:
        labels = np.array([[0, 2, 1, 1], [2, 0, 0, 1]])
    moved = np.moveaxis(z, axis, -1)
    expected = -np.take_along_axis(log_softmax_np(moved), labels[..., None], -1)[..., 0]
    got = to_np(K.sparse_categorical_crossentropy(const(labels), const(z), from_logits=True,
                                                  axis=axis))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    check_gradients(lambda o: K.sparse_categorical_crossentropy(const(labels), o, True, axis), z)


def test_binary_crossentropy_of_probabilities(backend, rng):
    p = rng.uniform(0.05, 0.95, (3, 4))
    target = rng.integers(0, 2, (3, 4)).astype(float)
    expected = -(target * np.log(p + EPS) + (1 - target) * np.log(1 - p + EPS))
    np.testing.assert_allclose(to_np(K.binary_crossentropy(const(target), const(p))), expected,
                               rtol=1e-12)
    check_gradients(K.binary_crossentropy, target, p)
    # clipped at eps and 1 - eps before the log
    clipped = to_np(K.binary_crossentropy(const([1.0, 0.0]), const([0.0, 1.0])))
    np.testing.assert_allclose(clipped, [-np.log(2 * EPS), -np.log(2 * EPS)], rtol=1e-7)


def test_binary_crossentropy_from_logits(backend, rng):
    z = rng.normal(size=(3, 4)) * 4
    target = rng.uniform(0, 1, (3, 4))
    expected = np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))
    np.testing.assert_allclose(to_np(K.binary_crossentropy(const(target), const(z), True)),
                               expected,
                               rtol=1e-12)
    check_gradients(lambda t, o: K.binary_crossentropy(t, o, from_logits=True), target, z)
    # at z = 0 the gradient is sigmoid(0) - t
    (g,) = grads_of(lambda o: K.sum(K.binary_crossentropy(const([1.0, 0.0, 0.25]), o, True)),
                    [0.0, 0.0, 0.0])
    np.testing.assert_allclose(g, [-0.5, 0.5, 0.25])


def test_binary_crossentropy_of_a_sigmoid_output_uses_its_logits(backend):
    z = np.array([-40.0, 40.0])
    target = np.array([1.0, 0.0])
    got = to_np(K.binary_crossentropy(const(target), K.sigmoid(const(z))))
    np.testing.assert_allclose(got, [40.0, 40.0], rtol=1e-12)


def test_epsilon_setting_moves_the_clip(backend):
    previous = K.epsilon()
    try:
        K.set_epsilon(1e-3)
        loss = K.categorical_crossentropy(const([[1.0, 0.0]]), const([[0.0, 1.0]]))
        np.testing.assert_allclose(to_np(loss), [-np.log(1e-3)], rtol=1e-12)
    finally:
        K.set_epsilon(previous)


# ---------------------------------------------------------------------------------------------
# bias_add, learning phase

@pytest.mark.parametrize('x_shape', [(2, 3), (2, 4, 3), (2, 4, 5, 3), (2, 2, 2, 2, 3)], ids=str)
@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
def test_bias_add_vector(backend, rng, x_shape, data_format):
    if data_format == 'channels_first':
        x_shape = (x_shape[0], x_shape[-1]) + x_shape[1:-1]
    x, bias = rng.normal(size=x_shape), rng.normal(size=3)
    channel_axis = 1 if data_format == 'channels_first' else len(x_shape) - 1
    shape = [1] * len(x_shape)
    shape[channel_axis] = 3
    np.testing.assert_allclose(to_np(K.bias_add(const(x), const(bias), data_format)),
                               x + bias.reshape(shape), rtol=1e-12)
    check_gradients(lambda a, b: K.bias_add(a, b, data_format), x, bias)


def test_bias_add_full_rank_bias(backend, rng):
    x = rng.normal(size=(2, 3, 4, 5))
    bias = rng.normal(size=(3, 4, 5))
    np.testing.assert_allclose(to_np(K.bias_add(const(x), const(bias), 'channels_last')),
                               x + bias[None],
                               rtol=1e-12)
    # channels_first: tf_keras reshapes a (d1, ..., c) bias to (1, c, d1, ...) without transposing
    bias = np.arange(24.0).reshape(3, 4, 2)
    x = np.zeros((1, 2, 3, 4))
    expected = bias.reshape(1, 2, 3, 4)
    np.testing.assert_array_equal(to_np(K.bias_add(const(x), const(bias), 'channels_first')),
                                  expected)
    check_gradients(lambda a, b: K.bias_add(a, b, 'channels_first'), rng.normal(size=(1, 2, 3, 4)),
                    bias)


def test_bias_add_follows_image_data_format_and_checks_arguments(backend):
    x, bias = const(np.zeros((1, 2, 3))), const([1.0, 2.0])
    previous = K.image_data_format()
    try:
        K.set_image_data_format('channels_first')
        np.testing.assert_array_equal(to_np(K.bias_add(x, bias)), [[[1, 1, 1], [2, 2, 2]]])
    finally:
        K.set_image_data_format(previous)
    with pytest.raises(ValueError, match='data_format'):
        K.bias_add(x, bias, 'channels_middle')
    with pytest.raises(ValueError, match='Unexpected bias dimensions 2'):
        K.bias_add(const(np.zeros((1, 2, 3, 4))), const(np.zeros((3, 4))))


def test_in_train_phase_and_learning_phase(backend):
    calls = []

    def branch(name):
        return lambda: calls.append(name) or name
    assert K.learning_phase() == 0
    assert K.in_train_phase(branch('train'), branch('test')) == 'test'
    assert calls == ['test']  # only the chosen branch is evaluated
    assert K.in_train_phase('train', 'test', training=True) == 'train'
    assert K.in_train_phase('train', 'test', training=1) == 'train'
    assert K.in_test_phase('test', 'train', training=0) == 'test'
    with config.training_phase(True):
        assert K.learning_phase() == 1
        assert K.in_train_phase('train', 'test') == 'train'
    assert K.learning_phase() == 0
    K.set_learning_phase(1)
    assert K.in_train_phase('train', 'test') == 'train'
    K.clear_session()  # forgets the fixed phase, as tf_keras' clear_session does
    assert K.learning_phase() == 0
    with pytest.raises(ValueError, match='0 or 1'):
        K.set_learning_phase(2)
    per_sample = K.in_train_phase(const([1.0, 2.0]), const([-1.0, -2.0]),
                                  training=const([True, False]))
    np.testing.assert_array_equal(to_np(per_sample), [1.0, -2.0])


# ---------------------------------------------------------------------------------------------
# Array creation

def test_variable_constant_and_values(backend):
    source = np.array([[1, 2], [3, 4]])
    v = K.variable(source, name='kernel')
    assert isinstance(v, ad.Variable) and v.dtype == np.float32 and v.name == 'kernel'
    source[0, 0] = 99  # the variable holds a copy
    np.testing.assert_array_equal(K.get_value(v), [[1, 2], [3, 4]])
    assert isinstance(K.get_value(v), np.ndarray)
    K.set_value(v, np.array([[5.0, 6.0], [7.0, 8.0]], np.float64))
    assert v.dtype == np.float32
    np.testing.assert_array_equal(K.get_value(v), [[5, 6], [7, 8]])
    K.set_value(v, K.constant([[0.0, 1.0], [2.0, 3.0]]))
    w = K.variable([1.0, 2.0], dtype='float64')
    K.batch_set_value([(v, np.ones((2, 2))), (w, [3.0, 4.0])])
    got_v, got_w = K.batch_get_value([v, w])
    np.testing.assert_array_equal(got_v, np.ones((2, 2)))
    np.testing.assert_array_equal(got_w, [3.0, 4.0])
    assert got_w.dtype == np.float64
    with pytest.raises(ValueError, match='shape'):
        K.set_value(v, np.ones(3))


def test_update_functions(backend):
    v = K.variable([1.0, 2.0])
    assert K.update(v, [5.0, 6.0]) is v
    K.update_add(v, [1.0, 1.0])
    K.update_sub(v, 0.5)
    np.testing.assert_array_equal(K.get_value(v), [5.5, 6.5])
    K.moving_average_update(v, [1.5, 2.5], 0.75)
    np.testing.assert_allclose(K.get_value(v), [5.5 * 0.75 + 1.5 * 0.25, 6.5 * 0.75 + 2.5 * 0.25])


def test_constant_shapes_and_dtypes(backend):
    c = K.constant([1, 2, 3, 4], shape=(2, 2))
    assert c.dtype == np.float32 and not c.requires_grad
    np.testing.assert_array_equal(to_np(c), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(to_np(K.constant(3.0, shape=(2, 3))), np.full((2, 3), 3.0))
    assert K.constant(1, dtype='int32').dtype == np.int32
    with pytest.raises(TypeError):
        K.constant([1, 2, 3], shape=(2, 2))


def test_zeros_ones_eye_and_likes(backend):
    z, o = K.zeros((2, 3)), K.ones((3,), dtype='float64', name='o')
    assert isinstance(z, ad.Variable) and z.dtype == np.float32 and o.dtype == np.float64
    np.testing.assert_array_equal(K.get_value(z), np.zeros((2, 3)))
    np.testing.assert_array_equal(K.get_value(o), np.ones(3))
    np.testing.assert_array_equal(K.get_value(K.eye(3)), np.eye(3))
    np.testing.assert_array_equal(K.get_value(K.eye((2, 3))), np.eye(2, 3))
    assert K.eye(2, dtype='int32').dtype == np.int32
    x = const(np.ones((2, 2), np.float32))
    assert K.zeros_like(x).dtype == np.float32 and K.ones_like(x, dtype='int32').dtype == np.int32
    np.testing.assert_array_equal(to_np(K.ones_like(x)), np.ones((2, 2)))
    np.testing.assert_array_equal(to_np(K.zeros_like([1.0, 2.0])), [0.0, 0.0])


def test_floatx_setting(backend):
    assert K.floatx() == 'float32'
    try:
        K.set_floatx('float64')
        assert K.variable([1]).dtype == np.float64 and K.constant(1).dtype == np.float64
        assert K.random_normal((2,)).dtype == np.float64
    finally:
        K.set_floatx('float32')
    with pytest.raises(ValueError, match='float'):
        K.set_floatx('int8')


def test_arange(backend):
    cases = [((5,), [0, 1, 2, 3, 4], np.int32), ((2, 8, 3), [2, 5], np.int32),
             ((-3,), [], np.int32),
             ((0, 10, 1.5), [0, 1.5, 3, 4.5, 6, 7.5, 9], np.float32),  # tf.range of floats: float32
             ((2.5,), [0, 1, 2], np.float32)]
    for args, values, dtype in cases:
        out = K.arange(*args)
        assert out.dtype == dtype, args
        np.testing.assert_array_equal(to_np(out), values)
    out = K.arange(1, 4, dtype='float64')
    assert out.dtype == np.float64
    np.testing.assert_array_equal(to_np(out), [1, 2, 3])


def test_one_hot(backend):
    out = K.one_hot(np.array([[0, 2], [-1, 3]]), 3)
    assert out.shape == (2, 2, 3) and out.dtype == np.float32
    # an index outside [0, num_classes) gives a row of zeros, as tf.one_hot
    np.testing.assert_array_equal(to_np(out), [[[1, 0, 0], [0, 0, 1]], [[0, 0, 0], [0, 0, 0]]])


def test_cast(backend):
    x = const([1.7, -1.7, 2.5])
    as_int = K.cast(x, 'int32')
    assert as_int.dtype == np.int32
    np.testing.assert_array_equal(to_np(as_int), [1, -1, 2])  # toward zero
    assert K.cast([True, False], 'float32').dtype == np.float32
    v = K.variable([1.0, 2.0])
    (g,) = K.gradients(K.sum(K.cast(v, 'float64') * 2.0), [v])
    assert g.dtype == np.float32
    np.testing.assert_array_equal(to_np(g), [2.0, 2.0])


def test_inspection(backend):
    v = K.variable(np.zeros((2, 3, 4)))
    assert K.int_shape(v) == (2, 3, 4) and K.ndim(v) == 3 and K.dtype(v) == 'float32'
    assert K.count_params(v) == 24
    s = K.shape(v)
    assert s.dtype == np.int32
    np.testing.assert_array_equal(to_np(s), [2, 3, 4])
    assert K.is_tensor(v) and not K.is_tensor(np.zeros(2)) and not K.is_keras_tensor(v)
    assert K.backend() == selection.active().name
    assert K.dtype(const(np.zeros(2, np.int64))) == 'int64'


def test_get_uid_and_clear_session(backend):
    assert [K.get_uid('dense'), K.get_uid('dense'), K.get_uid('conv')] == [1, 2, 1]
    K.clear_session()
    assert K.get_uid('dense') == 1


# ---------------------------------------------------------------------------------------------
# Randomness

@pytest.mark.parametrize('dtype', [None, 'float64', 'float16'])
def test_random_normal_and_truncated_normal(backend, dtype):
    values = K.random_normal((20000,), mean=1.5, stddev=2.0, dtype=dtype, seed=1)
    assert values.dtype == np.dtype(dtype or 'float32')
    data = to_np(values).astype(np.float64)
    assert abs(data.mean() - 1.5) < 5 * 2.0 / np.sqrt(data.size)
    assert abs(data.std() - 2.0) < 0.05
    truncated = to_np(K.truncated_normal((20000,), mean=-1.0, stddev=0.5, dtype=dtype, seed=2))
    truncated = truncated.astype(np.float64)
    assert truncated.min() >= -2.0 - 1e-3 and truncated.max() <= 0.0 + 1e-3
    # a standard normal truncated at +-2 has standard deviation 0.8796
    assert abs(truncated.std() / 0.5 - 0.8796) < 0.02
    assert abs(truncated.mean() + 1.0) < 0.02


def test_random_uniform_and_bernoulli(backend):
    u = to_np(K.random_uniform((20000,), minval=-2.0, maxval=3.0, seed=4))
    assert u.dtype == np.float32 and u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 0.05 and abs(u.var() - 25 / 12) < 0.1
    ints = to_np(K.random_uniform((1000,), 0, 5, dtype='int32', seed=4))
    assert ints.dtype == np.int32 and set(np.unique(ints)) == {0, 1, 2, 3, 4}
    b = to_np(K.random_binomial((20000,), p=0.3, seed=5))
    assert set(np.unique(b)) == {0.0, 1.0} and abs(b.mean() - 0.3) < 0.02
    np.testing.assert_array_equal(to_np(K.random_bernoulli((5,), p=1.0)), np.ones(5))


def test_random_seeds_are_reproducible(backend):
    draws = {'normal': K.random_normal, 'uniform': K.random_uniform,
             'truncated': K.truncated_normal,
             'bernoulli': lambda shape, seed: K.random_bernoulli(shape, p=0.5, seed=seed)}
    for name, fn in draws.items():
        a, b, c = (to_np(fn((50,), seed=s)) for s in (9, 9, 10))
        np.testing.assert_array_equal(a, b, err_msg=name)
        assert not np.array_equal(a, c), name
    unseeded = [to_np(K.random_normal((50,))) for _ in range(2)]
    assert not np.array_equal(*unseeded)


# ---------------------------------------------------------------------------------------------
# Shape manipulation and indexing

def test_reshape_transpose_permute(backend, rng):
    x = rng.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(to_np(K.reshape(const(x), (4, -1))), x.reshape(4, 6))
    np.testing.assert_array_equal(to_np(K.transpose(const(x))), x.T)
    np.testing.assert_array_equal(to_np(K.permute_dimensions(const(x), (2, 0, 1))),
                                  x.transpose(2, 0, 1))
    check_gradients(lambda t: K.reshape(t, (4, -1)), x)
    check_gradients(K.transpose, x)
    check_gradients(lambda t: K.permute_dimensions(t, (2, 0, 1)), x, noncontiguous=True)


def test_expand_dims_squeeze_flatten(backend, rng):
    x = rng.normal(size=(2, 3))
    for axis, shape in [(-1, (2, 3, 1)), (0, (1, 2, 3)), (1, (2, 1, 3)), (-2, (2, 1, 3))]:
        assert K.expand_dims(const(x), axis).shape == shape
    y = rng.normal(size=(2, 1, 3))
    np.testing.assert_array_equal(to_np(K.squeeze(const(y), 1)), y[:, 0])
    np.testing.assert_array_equal(to_np(K.squeeze(const(y), -2)), y[:, 0])
    with pytest.raises(ValueError, match='size 3'):
        K.squeeze(const(y), 2)
    z = rng.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(to_np(K.flatten(const(z))), z.reshape(-1))
    np.testing.assert_array_equal(to_np(K.batch_flatten(const(z))), z.reshape(2, 12))
    check_gradients(K.batch_flatten, z)
    check_gradients(lambda t: K.expand_dims(t, 1), x)


@pytest.mark.parametrize('axis', [0, 1, -1])
def test_concatenate_and_stack(backend, rng, axis):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    np.testing.assert_array_equal(to_np(K.concatenate([const(a), const(b)], axis)),
                                  np.concatenate([a, b], axis=axis))
    np.testing.assert_array_equal(to_np(K.stack([const(a), const(b)], axis)),
                                  np.stack([a, b], axis=axis))
    check_gradients(lambda s, t: K.concatenate([s, t], axis), a, b)
    check_gradients(lambda s, t: K.stack([s, t], axis), a, b)


def test_tile_repeat_repeat_elements(backend, rng):
    x = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(to_np(K.tile(const(x), (2, 3))), np.tile(x, (2, 3)))
    np.testing.assert_array_equal(to_np(K.tile(const(x), 2)), np.tile(x, 2))
    check_gradients(lambda t: K.tile(t, (2, 3)), x)
    repeated = to_np(K.repeat(const(x), 4))
    assert repeated.shape == (2, 4, 3)
    np.testing.assert_array_equal(repeated, np.stack([x] * 4, axis=1))
    check_gradients(lambda t: K.repeat(t, 4), x)
    with pytest.raises(ValueError, match='2D'):
        K.repeat(const(np.ones((2, 3, 4))), 2)
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(to_np(K.repeat_elements(const(x), 2, axis)),
                                      np.repeat(x, 2, axis=axis))
        check_gradients(lambda t: K.repeat_elements(t, 2, axis), x)


def test_gather(backend, rng):
    x = rng.normal(size=(4, 3))
    for indices in ([2, 0, 2], [[0, 3], [3, 3]], 1, np.array([1, 1], np.int32)):
        np.testing.assert_array_equal(to_np(K.gather(const(x), indices)), x[np.asarray(indices)])
        check_gradients(lambda t: K.gather(t, indices), x)
    (g,) = grads_of(lambda t: K.sum(K.gather(t, [0, 0, 0])), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(g, [[3.0, 3.0], [0.0, 0.0]])


def test_reverse_and_spatial_2d_padding(backend, rng):
    x = rng.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(to_np(K.reverse(const(x), 1)), x[:, ::-1])
    np.testing.assert_array_equal(to_np(K.reverse(const(x), (0, -1))), x[::-1, :, ::-1])
    check_gradients(lambda t: K.reverse(t, (0, 2)), x)
    image = rng.normal(size=(1, 2, 3, 2))
    np.testing.assert_array_equal(to_np(K.spatial_2d_padding(const(image), ((1, 0), (0, 2)))),
                                  np.pad(image, ((0, 0), (1, 0), (0, 2), (0, 0))))
    np.testing.assert_array_equal(
        to_np(K.spatial_2d_padding(const(image), ((1, 0), (0, 2)), 'channels_first')),
        np.pad(image, ((0, 0), (0, 0), (1, 0), (0, 2))))
    check_gradients(lambda t: K.spatial_2d_padding(t, ((1, 0), (0, 2))), image)


def test_stop_gradient(backend):
    v = K.variable([1.0, 2.0])
    (g,) = K.gradients(K.sum(v * K.stop_gradient(v)), [v])
    np.testing.assert_array_equal(to_np(g), [1.0, 2.0])
    assert all(not t.requires_grad for t in K.stop_gradient([v, v]))


# ---------------------------------------------------------------------------------------------
# switch and gradients

def test_switch_with_a_scalar_condition_picks_one_branch(backend):
    calls = []
    then = lambda: calls.append('then') or const(np.ones((2, 2)))   # noqa: E731
    other = lambda: calls.append('else') or const([5.0])             # noqa: E731
    out = K.switch(const(True), then, other)
    assert out.shape == (2, 2) and calls == ['then']
    assert to_np(K.switch(0, then, other)).tolist() == [5.0] and calls == ['then', 'else']


def test_switch_condition_alignment(backend):
    a = np.arange(8.0).reshape(2, 2, 2)
    # rank 1: numpy broadcasting against the trailing axis
    got = to_np(K.switch(const([True, False]), const(a), const(-a)))
    np.testing.assert_array_equal(got, np.where(np.array([True, False]), a, -a))
    # rank >= 2: aligned with the leading axes (tf_keras pads the condition on the right)
    cond = np.array([[True, False], [False, True]])
    got = to_np(K.switch(const(cond), const(a), const(-a)))
    np.testing.assert_array_equal(got, np.where(cond[:, :, None], a, -a))
    # integer conditions are cast to bool
    np.testing.assert_array_equal(to_np(K.switch(const([1, 0]), const([1.0, 2.0]),
                                                 const([3.0, 4.0]))),
                                  [1.0, 4.0])
    with pytest.raises(ValueError, match='Rank of `condition`'):
        K.switch(const(np.ones((2, 2), bool)), const([1.0, 2.0]), const([3.0, 4.0]))


def test_switch_gradient_flows_to_the_chosen_elements(backend, rng):
    x, y = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    cond = const(np.array([[True, False, True], [False, True, False]]))
    check_gradients(lambda a, b: K.switch(cond, a, b), x, y)


def test_gradients_returns_one_tensor_per_variable(backend):
    a, b, unused = K.variable([1.0, 2.0]), K.variable([[3.0]]), K.variable([0.0, 0.0, 0.0])
    loss = K.sum(a * a) * K.sum(b)
    grads = K.gradients(loss, [a, b, unused])
    assert isinstance(grads, list) and all(isinstance(g, ad.Tensor) for g in grads)
    np.testing.assert_allclose(to_np(grads[0]), [6.0, 12.0])
    np.testing.assert_allclose(to_np(grads[1]), [[5.0]])
    np.testing.assert_array_equal(to_np(grads[2]), np.zeros(3))
    single = K.gradients(loss, a)
    assert isinstance(single, list) and len(single) == 1  # as tf.gradients
    np.testing.assert_allclose(to_np(single[0]), [6.0, 12.0])


# ---------------------------------------------------------------------------------------------
# rnn

def rnn_np(inputs, state, w, u, mask=None, go_backwards=False, zero_output_for_mask=False):
    """h_t = tanh(x_t w + h_{t-1} u), a masked step keeping state and repeating the output."""
    steps = range(inputs.shape[1] - 1, -1, -1) if go_backwards else range(inputs.shape[1])
    outputs, previous = [], np.zeros((inputs.shape[0], u.shape[1]))
    for t in steps:
        new = np.tanh(inputs[:, t] @ w + state @ u)
        if mask is not None:
            keep = mask[:, t][:, None]
            new_state = np.where(keep, new, state)
            new = np.where(keep, new, 0.0 if zero_output_for_mask else previous)
        else:
            new_state = new
        state, previous = new_state, new
        outputs.append(new)
    return outputs[-1], np.stack(outputs, axis=1), state


@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('zero_output_for_mask', [False, True])
def test_rnn(backend, rng, go_backwards, masked, zero_output_for_mask):
    inputs, h0 = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 5))
    w, u = rng.normal(size=(2, 5)) * 0.5, rng.normal(size=(5, 5)) * 0.5
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 1, 0, 1]], bool) if masked else None

    def run(x, h, kernel, recurrent):
        def step(x_t, states):
            out = K.tanh(K.dot(x_t, kernel) + K.dot(states[0], recurrent))
            return out, [out]
        return K.rnn(step, x, [h], go_backwards=go_backwards,
                     mask=None if mask is None else const(mask),
                     zero_output_for_mask=zero_output_for_mask)
    last, outputs, states = run(const(inputs), const(h0), const(w), const(u))
    expected = rnn_np(inputs, h0, w, u, mask, go_backwards, zero_output_for_mask)
    np.testing.assert_allclose(to_np(last), expected[0], rtol=1e-12)
    np.testing.assert_allclose(to_np(outputs), expected[1], rtol=1e-12)
    assert isinstance(states, list) and len(states) == 1
    np.testing.assert_allclose(to_np(states[0]), expected[2], rtol=1e-12)
    check_gradients(lambda *ts: run(*ts)[1], inputs, h0, w, u)


def test_rnn_time_major_constants_and_last_output_only(backend, rng):
    inputs = rng.normal(size=(4, 3, 2))  # (time, batch, features)
    bias = const(np.array([0.5, -0.5]))
    seen = []

    def step(x_t, states):
        seen.append(len(states))
        out = x_t + states[0] + states[1]
        return out, [out]
    last, outputs, (state,) = K.rnn(step, const(inputs), [const(np.zeros((3, 2)))],
                                    constants=[bias],
                                    time_major=True, return_all_outputs=False)
    expected = np.cumsum(inputs, axis=0) + 0.5 * np.array([1, -1]) * np.arange(1, 5)[:, None, None]
    assert outputs.shape == (1, 3, 2) and seen == [2] * 4
    np.testing.assert_allclose(to_np(outputs)[0], expected[-1], rtol=1e-12)
    np.testing.assert_allclose(to_np(last), expected[-1], rtol=1e-12)
    np.testing.assert_allclose(to_np(state), expected[-1], rtol=1e-12)
    with pytest.raises(ValueError, match='3D'):
        K.rnn(step, const(np.ones((2, 3))), [const(np.zeros((2, 3)))])


def rnn_images_np(inputs, h, c, w, u, mask, go_backwards=False, zero_output_for_mask=False):
    """Per pixel of (batch, time, rows, cols, features) inputs: out = tanh(x_t w + h u), states
    [out, c + out]; where the (batch, time, rows, cols) mask is False the pixel keeps its states
    and repeats its previous output (zero before its first step, or always with
    zero_output_for_mask), as tf_keras' K.rnn with such a mask."""
    steps = range(inputs.shape[1] - 1, -1, -1) if go_backwards else range(inputs.shape[1])
    outputs, previous = [], np.zeros(h.shape)
    for t in steps:
        out = np.tanh(inputs[:, t] @ w + h @ u)
        keep = mask[:, t, :, :, None]
        h, c = np.where(keep, out, h), np.where(keep, c + out, c)
        previous = np.where(keep, out, 0.0 if zero_output_for_mask else previous)
        outputs.append(previous)
    return previous, np.stack(outputs, axis=1), h, c


def image_step(kernel, recurrent):
    def step(x_t, states):
        out = K.tanh(K.dot(x_t, kernel) + K.dot(states[0], recurrent))
        return out, [out, states[1] + out]
    return step


def image_rnn_arrays(rng, batch=2):
    """inputs (batch, 3 steps, 2 rows, 3 cols, 2 features), states h, c and weights w, u."""
    return (rng.normal(size=(batch, 3, 2, 3, 2)), rng.normal(size=(batch, 2, 3, 2)),
            rng.normal(size=(batch, 2, 3, 2)), rng.normal(size=(2, 2)) * 0.5,
            rng.normal(size=(2, 2)) * 0.5)


@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('zero_output_for_mask', [False, True])
def test_rnn_mask_per_position(backend, rng, go_backwards, zero_output_for_mask):
    """A (batch, time, rows, cols) mask (what Masking makes of image sequences) holds the states
    and outputs of each position, as tf_keras' K.rnn does for ConvRNN2D."""
    arrays = image_rnn_arrays(rng)
    mask = rng.random((2, 3, 2, 3)) > 0.4
    mask[0, 0] = False       # masked before any step ran: zero output
    mask[1, :, 1, 2] = True
    assert mask.any() and not mask.all()

    def run(x, h, c, w, u):
        return K.rnn(image_step(w, u), x, [h, c], go_backwards=go_backwards, mask=mask,
                     zero_output_for_mask=zero_output_for_mask)
    last, outputs, states = run(*map(const, arrays))
    want_last, want_outputs, want_h, want_c = rnn_images_np(*arrays, mask, go_backwards,
                                                            zero_output_for_mask)
    np.testing.assert_allclose(to_np(last), want_last, rtol=1e-12)
    np.testing.assert_allclose(to_np(outputs), want_outputs, rtol=1e-12)
    assert len(states) == 2
    np.testing.assert_allclose(to_np(states[0]), want_h, rtol=1e-12)
    np.testing.assert_allclose(to_np(states[1]), want_c, rtol=1e-12)

    def flat_outputs_and_states(*tensors):
        _, seq, (h, c) = run(*tensors)
        return K.concatenate([K.batch_flatten(seq), K.batch_flatten(h), K.batch_flatten(c)])
    check_gradients(flat_outputs_and_states, *arrays, noncontiguous=True)


def test_rnn_masks_broadcast_against_outputs_and_states(backend, rng):
    """Each layout of mask gives what the full (batch, time, rows, cols) mask it broadcasts to
    gives: (batch, time) and (batch, time, 1) whole steps, (1, time, rows, 1) across the batch
    and the columns, 0/1 floats, (time, batch, rows, cols) with time_major, a batch of one."""
    arrays = image_rnn_arrays(rng)
    inputs, h0, c0, w, u = arrays
    steps = rng.random((2, 3)) > 0.5
    rows = rng.random((1, 3, 2, 1)) > 0.5
    pixels = rng.random((2, 3, 2, 3)) > 0.5
    full = lambda m: np.broadcast_to(m.reshape(m.shape + (1,) * (4 - m.ndim)), (2, 3, 2, 3))
    for mask, full_mask in [(steps, full(steps)), (steps[:, :, None], full(steps)),
                            (rows, full(rows)), (pixels.astype(np.float64), pixels)]:
        _, outputs, (h, c) = K.rnn(image_step(const(w), const(u)), const(inputs),
                                   [const(h0), const(c0)], mask=const(mask))
        _, want_outputs, want_h, want_c = rnn_images_np(*arrays, full_mask)
        np.testing.assert_allclose(to_np(outputs), want_outputs, rtol=1e-12)
        np.testing.assert_allclose(to_np(h), want_h, rtol=1e-12)
        np.testing.assert_allclose(to_np(c), want_c, rtol=1e-12)

    _, outputs, (h, c) = K.rnn(image_step(const(w), const(u)),
                               const(inputs.transpose(1, 0, 2, 3, 4)), [const(h0), const(c0)],
                               mask=pixels.transpose(1, 0, 2, 3), time_major=True)
    _, want_outputs, want_h, want_c = rnn_images_np(*arrays, pixels)
    np.testing.assert_allclose(to_np(outputs), want_outputs.transpose(1, 0, 2, 3, 4), rtol=1e-12)
    np.testing.assert_allclose(to_np(c), want_c, rtol=1e-12)

    single = (inputs[:1], h0[:1], c0[:1], w, u)
    last, _, (h, c) = K.rnn(image_step(const(w), const(u)), const(single[0]),
                            [const(single[1]), const(single[2])], mask=pixels[1:],
                            go_backwards=True)
    want_last, _, want_h, want_c = rnn_images_np(*single, pixels[1:], go_backwards=True)
    np.testing.assert_allclose(to_np(last), want_last, rtol=1e-12)
    np.testing.assert_allclose(to_np(h), want_h, rtol=1e-12)


def test_rnn_mask_that_does_not_broadcast(backend, rng):
    inputs, h0, c0, w, u = map(const, image_rnn_arrays(rng))

    def run(mask):
        return K.rnn(image_step(w, u), inputs, [h0, c0], mask=np.ones(mask, bool))
    with pytest.raises(ValueError, match=r"mask of shape \(2, 3, 2, 2\) does not broadcast "
                                         r"against a step's output or state of shape "
                                         r"\(2, 2, 3, 2\).*received a step's mask of shape "
                                         r"\(2, 2, 2\)"):
        run((2, 3, 2, 2))
    with pytest.raises(ValueError, match=r"mask of shape \(2, 3, 2, 3, 2, 1\).*at most 4 axes"):
        run((2, 3, 2, 3, 2, 1))
    with pytest.raises(ValueError, match=r"mask of shape \(3, 3\) does not broadcast"):
        run((3, 3))
    with pytest.raises(ValueError, match=r"expected a mask of shape \(batch, time, \.\.\.\) with "
                                         r"the 3 steps.*received a mask of shape \(2, 4, 2, 3\)"):
        run((2, 4, 2, 3))
    with pytest.raises(ValueError, match=r"\(time, batch, \.\.\.\).*received a mask of shape "
                                         r"\(3,\)"):
        K.rnn(image_step(w, u), inputs, [h0, c0], mask=np.ones(3, bool), time_major=True)


# ---------------------------------------------------------------------------------------------
# The K namespace

API_NAMES = """
variable constant shape int_shape ndim dtype cast zeros ones eye random_normal random_uniform
arange reshape transpose permute_dimensions expand_dims squeeze flatten batch_flatten
concatenate stack tile repeat gather one_hot sum mean max min prod var std any all argmax argmin
square sqrt abs exp log pow clip maximum minimum sin cos dot batch_dot l2_normalize sign round
relu elu softmax softplus softsign sigmoid hard_sigmoid tanh dropout categorical_crossentropy
sparse_categorical_crossentropy binary_crossentropy bias_add rnn in_train_phase learning_phase
epsilon floatx set_floatx image_data_format set_image_data_format get_value set_value
batch_get_value gradients function
""".split()


def test_the_k_namespace_has_the_documented_functions():
    missing = [name for name in API_NAMES if not callable(getattr(K, name, None))]
    assert missing == []


def test_star_export_is_clean():
    names = set(functions.__all__)
    assert len(names) == len(functions.__all__), 'duplicates in __all__'
    for name in names:
        value = getattr(functions, name)
        assert callable(value) and getattr(value, '__module__', None) == functions.__name__, name
    public = {name for name, value in vars(functions).items()
              if callable(value) and not name.startswith('_')
              and getattr(value, '__module__', None) == functions.__name__}
    assert public == names, 'functions of functions.py missing from __all__ (or the reverse)'
    namespace = {}
    exec('from gkeras.backend.functions import *', namespace)
    for leaked in ('np', 'ad', 'builtins', 'selection', 'config', 'warnings', 'raw', 'as_tensor'):
        assert leaked not in namespace, leaked
    # builtins shadowed by K functions are not shadowed in the package that star-imports them
    assert K.sum is functions.sum and K.round is functions.round


COVERED = {
    'backend', 'get_uid', 'reset_uids', 'clear_session', 'name_scope', 'variable', 'constant',
    'is_tensor', 'is_keras_tensor', 'shape', 'int_shape', 'ndim', 'dtype', 'count_params', 'cast',
    'zeros',
    'ones', 'eye', 'zeros_like', 'ones_like', 'identity', 'random_normal', 'random_uniform',
    'random_binomial', 'random_bernoulli', 'truncated_normal', 'arange', 'one_hot', 'reshape',
    'transpose', 'permute_dimensions', 'expand_dims', 'squeeze', 'flatten', 'batch_flatten',
    'concatenate', 'stack', 'tile', 'repeat', 'repeat_elements', 'gather', 'reverse',
    'spatial_2d_padding', 'stop_gradient', 'sum', 'mean', 'max', 'min', 'prod', 'cumsum', 'var',
    'std', 'any', 'all', 'argmax', 'argmin', 'square', 'sqrt', 'abs', 'exp', 'log', 'logsumexp',
    'pow', 'clip', 'maximum', 'minimum', 'sin', 'cos', 'sign', 'round', 'equal', 'not_equal',
    'greater', 'greater_equal', 'less', 'less_equal', 'switch', 'dot', 'batch_dot', 'l2_normalize',
    'relu', 'elu', 'selu', 'softmax', 'softplus', 'softsign', 'sigmoid', 'hard_sigmoid', 'tanh',
    'dropout', 'bias_add', 'in_train_phase', 'in_test_phase', 'categorical_crossentropy',
    'sparse_categorical_crossentropy', 'binary_crossentropy', 'rnn', 'get_value', 'batch_get_value',
    'set_value', 'batch_set_value', 'update', 'update_add', 'update_sub', 'moving_average_update',
    'gradients',
    'function',  # implemented and tested with models/functional.py
    # tested in test_backend_functions_extra.py
    'eval', 'cast_to_floatx', 'print_tensor', 'slice', 'cumprod', 'in_top_k',
    'batch_normalization', 'normalize_batch_in_training', 'map_fn', 'foldl', 'foldr',
    'random_normal_variable', 'random_uniform_variable', 'is_sparse', 'to_dense',
    # tested in test_symbolic_gradients.py
    'placeholder', 'is_placeholder', 'get_session', 'set_session',
    'manual_variable_initialization',
}


def test_every_k_function_is_covered():
    assert set(functions.__all__) - COVERED == set(), 'K functions without a test here'
    assert COVERED - set(functions.__all__) == set()


def test_float32_inputs_give_float32_outputs(backend):
    x = K.variable(np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]]))
    t = K.constant([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    results = {
        'relu6': K.relu(x, max_value=6), 'elu': K.elu(x), 'selu': K.selu(x),
        'softsign': K.softsign(x),
        'hard_sigmoid': K.hard_sigmoid(x), 'l2_normalize': K.l2_normalize(x, 1), 'sqrt': K.sqrt(x),
        'cce': K.categorical_crossentropy(t, x),
        'cce_logits': K.categorical_crossentropy(t, x, True),
        'scce': K.sparse_categorical_crossentropy(np.array([1, 0]), x),
        'bce': K.binary_crossentropy(t, x), 'bce_logits': K.binary_crossentropy(t, x, True),
        'dropout': K.dropout(x, 0.5, seed=1), 'bias_add': K.bias_add(x, np.array([1.0, 2.0, 3.0])),
        'dot': K.dot(x, np.ones((3, 2))), 'batch_dot': K.batch_dot(x, x, 1), 'var': K.var(x),
        'switch': K.switch(x > 0.25, x, 0.0), 'clip': K.clip(x, 0.1, 0.5), 'mean': K.mean(x),
    }
    for name, value in results.items():
        assert value.dtype == np.float32, name
        (g,) = ad.gradients(K.sum(value), [x])
        assert g.dtype == np.float32, name


def test_no_warnings_from_ordinary_calls(backend):
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        K.categorical_crossentropy(const([[1.0, 0.0]]), K.softmax(const([[1.0, 2.0]])))
        K.binary_crossentropy(const([1.0]), K.sigmoid(const([100.0])))
        K.log(K.sigmoid(const([-100.0])))


def test_get_value_is_a_snapshot(backend):
    v = K.variable([1., 2.])
    snapshot = K.get_value(v)
    K.set_value(v, [3., 4.])
    np.testing.assert_array_equal(snapshot, [1., 2.])
    np.testing.assert_array_equal(K.batch_get_value([v])[0], [3., 4.])
