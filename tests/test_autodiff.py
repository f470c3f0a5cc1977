"""The autodiff: every primitive's value against NumPy and its VJP against float64 central
differences, plus the tape (accumulation, no_grad, unconnected variables, operators, dtypes)."""
import gc
import weakref

import numpy as np
import pytest

from gkeras.backend import autodiff as ad
from gkeras.backend import selection
from gradcheck import check_gradients


def to_np(x):
    return selection.active().to_numpy(ad.raw(x))


def var(values, dtype=np.float64):
    return ad.Variable(selection.active().asarray(np.asarray(values, dtype)))


def const(values, dtype=None):
    return ad.constant(np.asarray(values) if dtype is None else np.asarray(values, dtype))


def grads_of(loss_fn, *arrays, dtype=np.float64):
    """Gradients (NumPy) of loss_fn(*variables) with respect to each variable."""
    variables = [var(a, dtype) for a in arrays]
    return [to_np(g) for g in ad.gradients(loss_fn(*variables), variables)]


def uniform(rng, shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, shape)


def away_from_zero(rng, shape, low=0.3, high=2.0):
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


# ---------------------------------------------------------------------------------------------
# Elementwise binary primitives, with broadcasting of either operand

BINARY = {
    'add': (ad.add, np.add, uniform, uniform),
    'subtract': (ad.subtract, np.subtract, uniform, uniform),
    'multiply': (ad.multiply, np.multiply, uniform, uniform),
    'divide': (ad.divide, np.divide, uniform, away_from_zero),
    'power': (ad.power, np.power, lambda rng, s: rng.uniform(0.5, 2.0, s), uniform),
    'maximum': (ad.maximum, np.maximum, uniform, uniform),
    'minimum': (ad.minimum, np.minimum, uniform, uniform),
}
BROADCAST_SHAPES = [
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),          # leading axis added to b
    ((3,), (2, 3)),          # leading axis added to a
    ((2, 1, 3), (4, 1)),     # size-1 axes on both sides
    ((1, 3), (2, 1)),
    ((), (2, 3)),            # 0-d operand
    ((2, 3), (1, 1)),
]


@pytest.mark.parametrize('shapes', BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize('name', sorted(BINARY))
def test_binary_value_and_gradient(backend, rng, name, shapes):
    op, reference, make_a, make_b = BINARY[name]
    a, b = make_a(rng, shapes[0]), make_b(rng, shapes[1])
    np.testing.assert_allclose(to_np(op(const(a), const(b))), reference(a, b), rtol=1e-12)
    check_gradients(op, a, b)


@pytest.mark.parametrize('name', ['add', 'multiply', 'divide', 'power', 'maximum'])
def test_binary_gradient_on_noncontiguous_inputs(backend, rng, name):
    op, _, make_a, make_b = BINARY[name]
    check_gradients(op, make_a(rng, (3, 4)), make_b(rng, (4,)), noncontiguous=True)


def test_binary_with_python_scalar_operands(backend, rng):
    x = rng.uniform(0.5, 2.0, (2, 3))
    check_gradients(lambda t: ad.power(t, 3), x)
    check_gradients(lambda t: ad.power(2.0, t), x)
    check_gradients(lambda t: ad.divide(1.5, t), x)
    check_gradients(lambda t: ad.subtract(1.0, t), x)


def test_power_gradient_of_exponent_at_nonpositive_base_is_finite(backend):
    # d(a**b)/db = a**b * log(a) has no real value for a <= 0; the VJP gives a finite number.
    a, b = grads_of(lambda x, y: ad.reduce_sum(ad.power(x, y)), [0.0, -2.0, 3.0], [2.0, 2.0, 2.0])
    np.testing.assert_allclose(a, [0.0, -4.0, 6.0])
    assert np.all(np.isfinite(b))
    np.testing.assert_allclose(b[2], 9.0 * np.log(3.0))


def test_maximum_and_minimum_send_ties_to_the_first_argument(backend):
    # tf.maximum / tf.minimum: the gradient goes to x where x >= y (x <= y), to y elsewhere.
    gx, gy = grads_of(lambda x, y: ad.reduce_sum(ad.maximum(x, y)), [1.0, 2.0, 3.0],
                      [1.0, 1.0, 5.0])
    np.testing.assert_array_equal(gx, [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(gy, [0.0, 0.0, 1.0])
    gx, gy = grads_of(lambda x, y: ad.reduce_sum(ad.minimum(x, y)), [1.0, 2.0, 3.0],
                      [1.0, 1.0, 5.0])
    np.testing.assert_array_equal(gx, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(gy, [0.0, 1.0, 0.0])


def test_comparisons_give_boolean_tensors_without_gradient(backend):
    a, b = var([1.0, 2.0, 3.0]), var([2.0, 2.0, 2.0])
    cases = {'less': (a < b, [True, False, False]), 'less_equal': (a <= b, [True, True, False]),
             'greater': (a > b, [False, False, True]),
             'greater_equal': (a >= b, [False, True, True]),
             'equal': (ad.equal(a, b), [False, True, False]),
             'not_equal': (ad.not_equal(a, b), [True, False, True]),
             'reflected': (2.0 < a, [False, False, True])}
    for name, (result, expected) in cases.items():
        assert isinstance(result, ad.Tensor), name
        assert not result.requires_grad, name
        np.testing.assert_array_equal(to_np(result), expected, err_msg=name)


# ---------------------------------------------------------------------------------------------
# Elementwise unary primitives

UNARY = {
    'negative': (ad.negative, np.negative, uniform),
    'exp': (ad.exp, np.exp, uniform),
    'log': (ad.log, np.log, lambda rng, s: rng.uniform(0.2, 3.0, s)),
    'sqrt': (ad.sqrt, np.sqrt, lambda rng, s: rng.uniform(0.2, 3.0, s)),
    'square': (ad.square, np.square, uniform),
    'absolute': (ad.absolute, np.abs, away_from_zero),
    'sin': (ad.sin, np.sin, uniform),
    'cos': (ad.cos, np.cos, uniform),
    'tanh': (ad.tanh, np.tanh, uniform),
    'sigmoid': (ad.sigmoid, lambda x: 1.0 / (1.0 + np.exp(-x)),
                lambda rng, s: uniform(rng, s, -6, 6)),
    'softplus': (ad.softplus, lambda x: np.log1p(np.exp(x)), lambda rng, s: uniform(rng, s, -6, 6)),
    'relu': (ad.relu, lambda x: np.where(x > 0, x, 0.0), away_from_zero),
    'clip': (lambda t: ad.clip(t, -0.5, 0.7), lambda x: np.minimum(np.maximum(x, -0.5), 0.7),
             lambda rng, s: np.array([-1.5, -0.9, -0.2, 0.1, 0.4, 1.1]).reshape(s)),
}


@pytest.mark.parametrize('name', sorted(UNARY))
def test_unary_value_and_gradient(backend, rng, name):
    op, reference, make = UNARY[name]
    x = make(rng, (2, 3))
    np.testing.assert_allclose(to_np(op(const(x))), reference(x), rtol=1e-12, atol=1e-15)
    check_gradients(op, x)
    check_gradients(op, x.T, noncontiguous=True)


def test_sigmoid_and_softplus_are_finite_for_large_inputs(backend):
    x = np.array([-800.0, -50.0, 0.0, 50.0, 800.0])
    np.testing.assert_allclose(to_np(ad.sigmoid(const(x))), [0.0, np.exp(-50.0), 0.5, 1.0, 1.0],
                               rtol=1e-12, atol=0)
    np.testing.assert_allclose(to_np(ad.softplus(const(x))),
                               [0.0, np.exp(-50.0), np.log(2.0), 50.0, 800.0],
                               rtol=1e-12, atol=0)


def test_relu_and_absolute_have_zero_gradient_at_zero(backend):
    (g,) = grads_of(lambda x: ad.reduce_sum(ad.relu(x)), [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    (g,) = grads_of(lambda x: ad.reduce_sum(ad.absolute(x)), [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])


def test_clip_passes_the_gradient_at_the_bounds(backend):
    # tf.clip_by_value: zero gradient only strictly outside [low, high].
    (g,) = grads_of(lambda x: ad.reduce_sum(ad.clip(x, 0.0, 1.0)), [-1.0, 0.0, 0.5, 1.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_masked_gradients_do_not_turn_infinities_into_nan(backend):
    # tf selects (rather than multiplies by) the mask, so an infinite upstream gradient
    # through a closed gate gives 0, as in sqrt(max(x, 0)) or log(relu(x)) at negative x.
    with np.errstate(divide='ignore'):
        cases = {
            'clip': lambda t: ad.sqrt(ad.clip(t, 0.0, np.inf)),
            'relu': lambda t: ad.log(ad.relu(t)),
            'maximum': lambda t: ad.sqrt(ad.maximum(t, 0.0)),
            'minimum': lambda t: ad.sqrt(ad.negative(ad.minimum(t, 0.0))),
        }
        for name, fn in cases.items():
            x = [-1.0, 4.0] if name != 'minimum' else [1.0, -4.0]
            (g,) = grads_of(lambda t: ad.reduce_sum(fn(t)), x)
            expected = {'clip': [0.0, 0.25], 'relu': [0.0, 0.25], 'maximum': [0.0, 0.25],
                        'minimum': [0.0, -0.25]}[name]
            np.testing.assert_array_equal(g, expected, err_msg=name)


@pytest.mark.parametrize('dtype', [np.float16, np.float32, np.float64])
def test_gated_gradients_are_the_selected_upstream_bits(backend, rng, dtype):
    x = rng.normal(size=(5, 7)).astype(dtype)
    x[0, :3] = [0.0, 1.0, -1.0]  # at the relu / clip / maximum bounds
    dy = rng.normal(size=(5, 7)).astype(dtype)
    dy[1, :4] = [np.inf, -np.inf, np.nan, -0.0]
    condition = rng.random((5, 7)) > 0.5
    given = condition.copy()
    xb = selection.active().asarray(x)
    cases = {  # primitive, the mask of the gradient's first input
        'relu': (lambda t: ad.relu(t), x > 0),
        'maximum': (lambda t: ad.maximum(t, 0.0), x >= 0),
        'minimum': (lambda t: ad.minimum(t, 0.0), x <= 0),
        'clip': (lambda t: ad.clip(t, -1.0, 1.0), (x >= -1) & (x <= 1)),
        'where_a': (lambda t: ad.where(selection.active().asarray(condition), t, 0.0),
                    condition),
        'where_b': (lambda t: ad.where(selection.active().asarray(condition), 0.0, t),
                    ~condition),
    }
    for name, (fn, mask) in cases.items():
        t = ad.Variable(xb.copy())
        (g,) = ad.gradients(fn(t), [t], output_gradient=selection.active().asarray(dy))
        g = to_np(g)
        expected = np.where(mask, dy, dtype(0))
        assert g.dtype == dtype, name
        assert g.tobytes() == expected.tobytes(), name  # nan, inf and -0.0 pass as they are
    np.testing.assert_array_equal(condition, given)  # where's condition is not written


@pytest.mark.filterwarnings('error::RuntimeWarning')
def test_infinite_gradients_at_zero_are_quiet(backend):
    (g,) = grads_of(lambda t: ad.reduce_sum(ad.sqrt(t)), [0.0, 4.0])
    np.testing.assert_array_equal(g, [np.inf, 0.25])
    (g,) = grads_of(lambda t: ad.reduce_sum(ad.sqrt(ad.clip(t, 0.0, np.inf))), [-1.0, 0.0])
    np.testing.assert_array_equal(g, [0.0, np.inf])


def test_sign_and_round_values_and_no_gradient(backend):
    x = np.array([-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 2.6])
    np.testing.assert_array_equal(to_np(ad.sign(const(x))), [-1, -1, -1, 0, 1, 1, 1, 1])
    # half to even, as tf.round
    np.testing.assert_array_equal(to_np(ad.round_(const(x))), [-2, -2, -0, 0, 0, 2, 2, 3])
    v = var(x)
    assert not ad.sign(v).requires_grad and not ad.round_(v).requires_grad


def test_cast_gradient_flows_between_float_types_only(backend):
    v = var([1.5, -2.5], np.float32)
    wide = ad.cast(v, 'float64')
    assert wide.dtype == np.float64
    (g,) = ad.gradients(ad.reduce_sum(wide * 3.0), [v])
    assert g.dtype == np.float32
    np.testing.assert_array_equal(to_np(g), [3.0, 3.0])
    as_int = ad.cast(v, 'int32')
    np.testing.assert_array_equal(to_np(as_int), [1, -2])
    assert not as_int.requires_grad


# ---------------------------------------------------------------------------------------------
# Reductions

REDUCTIONS = {
    'reduce_sum': (ad.reduce_sum, np.sum),
    'reduce_mean': (ad.reduce_mean, np.mean),
    'reduce_max': (ad.reduce_max, np.max),
    'reduce_min': (ad.reduce_min, np.min),
    'reduce_prod': (ad.reduce_prod, np.prod),
}
AXES = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]


@pytest.mark.parametrize('keepdims', [False, True])
@pytest.mark.parametrize('axis', AXES, ids=str)
@pytest.mark.parametrize('name', sorted(REDUCTIONS))
def test_reduction_value_and_gradient(backend, rng, name, axis, keepdims):
    op, reference = REDUCTIONS[name]
    x = rng.permutation(np.linspace(0.5, 1.8, 12)).reshape(2, 3, 2)  # distinct values: no ties
    x = x * rng.choice([-1.0, 1.0], x.shape)
    expected = reference(x, axis=axis, keepdims=keepdims)
    got = to_np(op(const(x), axis, keepdims))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    check_gradients(lambda t: op(t, axis, keepdims), x)


@pytest.mark.parametrize('name', sorted(REDUCTIONS))
def test_reduction_gradient_on_noncontiguous_input(backend, rng, name):
    op, _ = REDUCTIONS[name]
    check_gradients(lambda t: op(t, 1), rng.uniform(0.5, 1.5, (3, 4)), noncontiguous=True)


def test_integer_reductions_keep_their_dtype(backend):
    counts = const(np.array([[1, 2, 3], [4, 5, 6]], np.int32))
    assert ad.reduce_sum(counts).dtype == np.int32 and int(ad.reduce_sum(counts)) == 21
    assert ad.reduce_prod(counts, 1).dtype == np.int32
    np.testing.assert_array_equal(to_np(ad.reduce_prod(counts, 1)), [6, 120])
    assert ad.reduce_max(counts, 0).dtype == np.int32


def test_max_and_min_share_the_gradient_equally_among_ties(backend):
    weights = np.array([1.0, 2.0, 4.0])
    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [5.0, -1.0, 0.0]]
    (g,) = grads_of(lambda t: ad.reduce_sum(ad.reduce_max(t, 1) * weights), x)
    np.testing.assert_allclose(g, [[0, 0.5, 0.5], [2 / 3, 2 / 3, 2 / 3], [4, 0, 0]])
    (g,) = grads_of(lambda t: ad.reduce_sum(ad.reduce_min(t, -1, True) * weights[:, None]), x)
    np.testing.assert_allclose(g, [[1, 0, 0], [2 / 3, 2 / 3, 2 / 3], [0, 4, 0]])
    (g,) = grads_of(lambda t: ad.reduce_max(t), [[1.0, 7.0], [7.0, 7.0]])
    np.testing.assert_allclose(g, [[0, 1 / 3], [1 / 3, 1 / 3]])


def test_prod_gradient_with_zeros(backend):
    x = [[1.0, 0.0, 3.0], [0.0, 2.0, 0.0], [2.0, 3.0, 4.0]]
    (g,) = grads_of(lambda t: ad.reduce_sum(ad.reduce_prod(t, axis=1)), x)
    # one zero: only the zero gets the product of the others; two zeros: nothing moves
    np.testing.assert_array_equal(g, [[0, 3, 0], [0, 0, 0], [12, 8, 6]])
    (g,) = grads_of(lambda t: ad.reduce_prod(t), [[2.0, 0.0], [3.0, 5.0]])
    np.testing.assert_array_equal(g, [[0, 30], [0, 0]])
    # the product is linear in each entry, so central differences are exact even at zeros
    check_gradients(lambda t: ad.reduce_prod(t, axis=0), np.array(x))


@pytest.mark.parametrize('axis', [0, 1, 2, -1])
def test_cumsum_value_and_gradient(backend, rng, axis):
    x = rng.normal(size=(3, 4, 2))
    np.testing.assert_allclose(to_np(ad.cumsum(const(x), axis)), np.cumsum(x, axis=axis),
                               rtol=1e-12)
    check_gradients(lambda t: ad.cumsum(t, axis), x)
    check_gradients(lambda t: ad.cumsum(t, axis), x, noncontiguous=True)
    counts = np.array([[1, 2], [3, 4]], np.int32)
    assert ad.cumsum(const(counts), axis % 2).dtype == np.int32


@pytest.mark.parametrize('axis', [0, 1, 2, -1])
def test_cumprod_value_and_gradient(backend, rng, axis):
    x = rng.normal(size=(3, 4, 2))
    x[1, 2, 0] = x[0, 1, 1] = 0.0  # the product is linear in each entry: exact at zeros too
    np.testing.assert_allclose(to_np(ad.cumprod(const(x), axis)), np.cumprod(x, axis=axis),
                               rtol=1e-12)
    check_gradients(lambda t: ad.cumprod(t, axis), x)
    check_gradients(lambda t: ad.cumprod(t, axis), x, noncontiguous=True)
    assert ad.cumprod(const(np.array([[1, 2], [3, 4]], np.int32)), 0).dtype == np.int32
    empty = ad.Variable(selection.active().asarray(np.zeros((0, 3))))
    (grad,) = ad.gradients(ad.reduce_sum(ad.cumprod(empty, 0)), [empty])
    assert grad.shape == (0, 3)


@pytest.mark.parametrize('axis', [0, 1, -1, (0, 2)], ids=str)
def test_logsumexp_softmax_log_softmax_along_any_axis(backend, rng, axis):
    x = rng.normal(size=(3, 4, 2)) * 3
    kept = np.log(np.sum(np.exp(x), axis=axis, keepdims=True))
    softmax = np.exp(x - kept)
    np.testing.assert_allclose(to_np(ad.softmax(const(x), axis)), softmax, rtol=1e-12)
    np.testing.assert_allclose(to_np(ad.log_softmax(const(x), axis)), x - kept, rtol=1e-12)
    for keepdims in (False, True):
        expected = kept if keepdims else np.squeeze(kept, axis=axis)
        np.testing.assert_allclose(to_np(ad.logsumexp(const(x), axis, keepdims)), expected,
                                   rtol=1e-12)
        check_gradients(lambda t: ad.logsumexp(t, axis, keepdims), x)
    check_gradients(lambda t: ad.softmax(t, axis), x)
    check_gradients(lambda t: ad.log_softmax(t, axis), x)
    check_gradients(lambda t: ad.softmax(t, axis), x, noncontiguous=True)


def test_softmax_family_is_stable_for_large_logits(backend):
    x = np.array([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(to_np(ad.softmax(const(x))), [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(to_np(ad.log_softmax(const(x))), [[0.0, -1000.0, -2000.0]])
    np.testing.assert_allclose(to_np(ad.logsumexp(const(x), -1)), [1000.0])


# ---------------------------------------------------------------------------------------------
# Linear algebra

@pytest.mark.parametrize('shapes', [
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),        # batched x, shared y
    ((2, 3), (5, 3, 4)),        # shared x, batched y
    ((2, 1, 2, 3), (3, 3, 4)),  # batch axes broadcast against each other
    ((1, 2, 3), (4, 3, 2)),
], ids=str)
def test_matmul_value_and_gradient(backend, rng, shapes):
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    np.testing.assert_allclose(to_np(ad.matmul(const(a), const(b))), np.matmul(a, b), rtol=1e-12)
    check_gradients(ad.matmul, a, b)
    check_gradients(ad.matmul, a, b, noncontiguous=True)


def test_matmul_rejects_vectors(backend):
    with pytest.raises(ValueError, match='rank >= 2'):
        ad.matmul(const(np.ones(3)), const(np.ones((3, 2))))


@pytest.mark.parametrize('x_shape', [(4,), (2, 4), (2, 3, 4)], ids=str)
def test_tensordot_last_value_and_gradient(backend, rng, x_shape):
    x, w = rng.normal(size=x_shape), rng.normal(size=(4, 5))
    expected = np.einsum('...i,ij->...j', x, w)
    np.testing.assert_allclose(to_np(ad.tensordot_last(const(x), const(w))), expected, rtol=1e-12)
    check_gradients(ad.tensordot_last, x, w)
    check_gradients(ad.tensordot_last, x, w, noncontiguous=True)


@pytest.mark.parametrize('x_shape', [(4,), (2, 4), (2, 3, 4)], ids=str)
def test_tensordot_last_with_bias(backend, rng, x_shape):
    x, w, b = rng.normal(size=x_shape), rng.normal(size=(4, 5)), rng.normal(size=(5,))
    expected = np.einsum('...i,ij->...j', x, w) + b
    out = ad.tensordot_last(const(x), const(w), const(b))
    np.testing.assert_allclose(to_np(out), expected, rtol=1e-12)
    check_gradients(ad.tensordot_last, x, w, b)
    check_gradients(ad.tensordot_last, x, w, b, noncontiguous=True)
    # float32: the same bits as the product and a separate add, forward and backward
    x, w, b = (var(a, np.float32) for a in (x, w, b))
    dy = selection.active().asarray(rng.normal(size=expected.shape).astype(np.float32))
    fused, separate = ad.tensordot_last(x, w, b), ad.tensordot_last(x, w) + b
    assert fused.dtype == np.float32
    np.testing.assert_array_equal(to_np(fused), to_np(separate))
    for g, h in zip(ad.gradients(fused, [x, w, b], output_gradient=dy),
                    ad.gradients(separate, [x, w, b], output_gradient=dy)):
        np.testing.assert_array_equal(to_np(g), to_np(h))


def test_tensordot_last_bias_widens_as_an_add_would(backend):
    x, w = const(np.ones((2, 3), np.float32)), const(np.ones((3, 2), np.float32))
    out = ad.tensordot_last(x, w, const(np.array([0.5, 1e-10])))  # float64 bias
    assert out.dtype == np.float64
    np.testing.assert_array_equal(to_np(out), [[3.5, 3 + 1e-10]] * 2)


def test_matmul_of_transposed_views(backend, rng):
    a, b = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))
    va, vb = var(a), var(b)
    out = ad.matmul(ad.transpose(va), ad.transpose(vb))
    np.testing.assert_allclose(to_np(out), a.T @ b.T, rtol=1e-12)
    ga, gb = ad.gradients(ad.reduce_sum(out), [va, vb])
    np.testing.assert_allclose(to_np(ga), (np.ones((2, 4)) @ b).T, rtol=1e-12)
    np.testing.assert_allclose(to_np(gb), (a @ np.ones((2, 4))).T, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Shape and indexing

def test_reshape_transpose_broadcast_to(backend, rng):
    x = rng.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(to_np(ad.reshape(const(x), (4, -1))), x.reshape(4, 6))
    check_gradients(lambda t: ad.reshape(t, (4, -1)), x)
    check_gradients(lambda t: ad.reshape(t, (4, -1)), x, noncontiguous=True)
    for axes in [None, (1, 0, 2), (2, 0, 1)]:
        np.testing.assert_array_equal(to_np(ad.transpose(const(x), axes)), np.transpose(x, axes))
        check_gradients(lambda t: ad.transpose(t, axes), x)
    y = rng.normal(size=(3, 1))
    np.testing.assert_array_equal(to_np(ad.broadcast_to(const(y), (2, 3, 4))),
                                  np.broadcast_to(y, (2, 3, 4)))
    check_gradients(lambda t: ad.broadcast_to(t, (2, 3, 4)), y)


def test_transpose_with_negative_axes(backend, rng):
    x = rng.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(to_np(ad.transpose(const(x), (0, -1, 1))),
                                  np.transpose(x, (0, 2, 1)))
    check_gradients(lambda t: ad.transpose(t, (0, -1, 1)), x)
    check_gradients(lambda t: ad.transpose(t, (-1, -3, -2)), x)


INDICES = {
    'slice': (slice(1, 3),),
    'negative_steps': (slice(None, None, -1), slice(None, None, 2)),
    'negative_start_step_and_int': (slice(3, 0, -2), 1),
    'negative_int': -1,
    'int_array_repeated': np.array([0, 2, 2, 3, 0]),
    'int_list_repeated': [1, 1, 1],
    'int_array_pairs_repeated': (np.array([0, 0, 1, 0]), np.array([1, 1, 4, 1])),
    'int_array_2d': np.array([[0, 3], [3, 3]]),
    'mixed_slice_and_array': (slice(None), np.array([4, 0, 4])),
    'bool_mask_rows': np.array([True, False, True, True]),
    'bool_mask_full': np.array([[True, False, True, False, True]] * 2 + [[False] * 5, [True] * 5]),
    'none_ellipsis_int': (None, Ellipsis, 1),
    'ellipsis_none': (Ellipsis, None),
    'ellipsis_slice': (Ellipsis, slice(1, None)),
}


@pytest.mark.parametrize('name', sorted(INDICES))
def test_getitem_value_and_gradient(backend, rng, name):
    index = INDICES[name]
    x = rng.normal(size=(4, 5))

    def backend_index(i):
        # arrays in an index live on the active backend, as they would in user code
        if isinstance(i, tuple):
            return tuple(backend_index(p) for p in i)
        return selection.active().asarray(i) if isinstance(i, np.ndarray) else i
    np.testing.assert_array_equal(to_np(ad.getitem(const(x), backend_index(index))), x[index])
    check_gradients(lambda t: ad.getitem(t, backend_index(index)), x)
    check_gradients(lambda t: t[backend_index(index)], x, noncontiguous=True)


def test_getitem_repeated_indices_accumulate(backend):
    (g,) = grads_of(lambda t: ad.reduce_sum(t[[0, 2, 2, 2]]), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(g, [1.0, 0.0, 3.0])


def test_getitem_with_a_tensor_index(backend):
    index = ad.constant(np.array([2, 0, 2]))
    (g,) = grads_of(lambda t: ad.reduce_sum(t[index]), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(g, [1.0, 0.0, 2.0])


@pytest.mark.parametrize('indices, axis', [
    ([0, 2, 0, 0], 0),
    ([[0, 1], [1, 1]], 0),
    ([2, 2, 1], 1),
    ([[1, 1], [0, 2]], 1),
    ([[1, 1], [0, 2]], -1),
    ([3, 0, 3], -2),
    (1, 0),
], ids=str)
@pytest.mark.parametrize('as_list', [False, True], ids=['array', 'list'])
def test_gather_value_and_gradient(backend, rng, indices, axis, as_list):
    x = rng.normal(size=(4, 3))
    idx = indices if as_list else selection.active().asarray(np.asarray(indices))
    expected = np.take(x, indices, axis=axis)
    np.testing.assert_array_equal(to_np(ad.gather(const(x), idx, axis)), expected)
    check_gradients(lambda t: ad.gather(t, idx, axis), x)
    check_gradients(lambda t: ad.gather(t, idx, axis), x, noncontiguous=True)


def test_gather_gradient_sums_repeated_rows_in_order(backend, rng):
    # rows hit once, rows hit many times (as padding is), negative indices naming the same rows
    indices = np.array([[5, 0, 0, 2, -1], [0, 6, 0, -2, 3]])
    x = var(np.zeros((7, 3)), dtype=np.float32)
    dy = (rng.normal(size=(2, 5, 3)) * 10.0 ** rng.integers(-3, 4, (2, 5, 1))).astype(np.float32)
    dy[0, 3] = -0.0  # row 2, hit once
    out = ad.gather(x, selection.active().asarray(indices), 0)
    (g,) = ad.gradients(out, [x], output_gradient=selection.active().asarray(dy))
    expected = np.zeros((7, 3), np.float32)
    for row, value in zip(indices.reshape(-1), dy.reshape(-1, 3)):
        expected[row] += value  # one at a time, in order, in float32
    g = to_np(g)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, expected)
    assert not np.signbit(g[2]).any()


@pytest.mark.parametrize('axis', [0, 1, 2, -1, -3])
def test_concatenate_value_and_gradient(backend, rng, axis):
    shapes = [[2, 3, 2], [2, 3, 2], [2, 3, 2]]
    for s, n in zip(shapes, (1, 2, 3)):
        s[axis] = n
    arrays = [rng.normal(size=s) for s in shapes]
    expected = np.concatenate(arrays, axis=axis)
    np.testing.assert_array_equal(to_np(ad.concatenate([const(a) for a in arrays], axis)), expected)
    check_gradients(lambda *ts: ad.concatenate(list(ts), axis), *arrays)
    check_gradients(lambda *ts: ad.concatenate(list(ts), axis), *arrays, noncontiguous=True)


def test_concatenate_with_a_constant_part(backend, rng):
    a, b = rng.normal(size=(2, 2)), rng.normal(size=(2, 3))
    check_gradients(lambda t: ad.concatenate([t, const(b)], 1), a)


@pytest.mark.parametrize('axis', [0, 1, 2, -1])
def test_stack_value_and_gradient(backend, rng, axis):
    arrays = [rng.normal(size=(2, 3)) for _ in range(3)]
    np.testing.assert_array_equal(to_np(ad.stack([const(a) for a in arrays], axis)),
                                  np.stack(arrays, axis=axis))
    check_gradients(lambda *ts: ad.stack(list(ts), axis), *arrays)


@pytest.mark.parametrize('axis', [0, 1, -1])
def test_unstack_value_and_gradient(backend, rng, axis):
    x = rng.normal(size=(3, 4, 2))
    pieces = ad.unstack(const(x), axis)
    assert len(pieces) == x.shape[axis]
    for i, piece in enumerate(pieces):
        np.testing.assert_array_equal(to_np(piece), np.take(x, i, axis=axis))
    weights = np.arange(1.0, x.shape[axis] + 1)
    check_gradients(lambda t: ad.stack([p * w for p, w in zip(ad.unstack(t, axis), weights)], 0), x)
    check_gradients(lambda t: ad.unstack(t, axis)[1], x, noncontiguous=True)


def test_unstack_slices_used_twice_or_not_at_all_and_repeated_backward(backend):
    v = var(np.arange(6.0).reshape(3, 2))
    first, second, third = ad.unstack(v, 0)
    loss = ad.reduce_sum(first * first + first * 3.0 + second)
    for _ in range(2):  # a second backward pass over the same graph gives the same answer
        (g,) = ad.gradients(loss, [v])
        np.testing.assert_array_equal(to_np(g), [[3.0, 5.0], [1.0, 1.0], [0.0, 0.0]])
    with ad.no_grad():
        assert all(p._parents is None for p in ad.unstack(v, 1))


@pytest.mark.parametrize('reps', [(2, 1), (1, 3), (2, 2, 2), (3,), (1, 1)], ids=str)
def test_tile_value_and_gradient(backend, rng, reps):
    x = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(to_np(ad.tile(const(x), reps)), np.tile(x, reps))
    check_gradients(lambda t: ad.tile(t, reps), x)
    check_gradients(lambda t: ad.tile(t, reps), x, noncontiguous=True)


@pytest.mark.parametrize('axis', [0, 1, -1])
def test_repeat_value_and_gradient(backend, rng, axis):
    x = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(to_np(ad.repeat(const(x), 3, axis)), np.repeat(x, 3, axis=axis))
    check_gradients(lambda t: ad.repeat(t, 3, axis), x)
    check_gradients(lambda t: ad.repeat(t, 2, axis), x, noncontiguous=True)


def test_pad_value_and_gradient(backend, rng):
    x = rng.normal(size=(2, 3))
    widths = ((1, 2), (0, 1))
    np.testing.assert_array_equal(to_np(ad.pad(const(x), widths, value=-1.5)),
                                  np.pad(x, widths, constant_values=-1.5))
    check_gradients(lambda t: ad.pad(t, widths), x)
    check_gradients(lambda t: ad.pad(t, widths, 2.0), x, noncontiguous=True)


@pytest.mark.parametrize('widths', [1, (2, 1), ((0, 1),), ((1, 0), (2, 2))], ids=str)
def test_pad_accepts_numpy_pad_widths(backend, rng, widths):
    x = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(to_np(ad.pad(const(x), widths)), np.pad(x, widths))
    check_gradients(lambda t: ad.pad(t, widths), x)


def test_where_value_and_gradient_with_broadcasting(backend, rng):
    cond = np.array([[True, False, True], [False, False, True]])
    a, b = rng.normal(size=(3,)), rng.normal(size=(2, 1))
    c = selection.active().asarray(cond)
    np.testing.assert_array_equal(to_np(ad.where(c, const(a), const(b))), np.where(cond, a, b))
    check_gradients(lambda x, y: ad.where(c, x, y), a, b)
    check_gradients(lambda x: ad.where(c, x, 0.5), rng.normal(size=(2, 3)))


# ---------------------------------------------------------------------------------------------
# The tape

def test_a_tensor_used_twice_accumulates(backend):
    x = np.array([1.0, -2.0, 3.0])
    (g,) = grads_of(lambda t: ad.reduce_sum(t * t + t), x)
    np.testing.assert_array_equal(g, 2 * x + 1)
    # a diamond: h feeds two branches that meet again
    (g,) = grads_of(lambda t: ad.reduce_sum((lambda h: h * 3.0 + ad.exp(h))(t * 2.0)), x)
    np.testing.assert_allclose(g, 6.0 + 2 * np.exp(2 * x), rtol=1e-12)
    check_gradients(lambda t: ad.multiply(t, t) - ad.divide(t, ad.exp(t)), x)


def test_deep_chain_does_not_recurse(backend):
    v = var([1.0])
    out = v
    for _ in range(3000):
        out = out + 1.0
    (g,) = ad.gradients(ad.reduce_sum(out), [v])
    np.testing.assert_array_equal(to_np(g), [1.0])


def test_no_grad_records_nothing_and_restores(backend):
    v = var([1.0, 2.0])
    with ad.no_grad():
        assert not ad.tape_enabled()
        out = ad.exp(v * 2.0) + v
        with ad.no_grad():
            pass
        assert not ad.tape_enabled()
    assert ad.tape_enabled()
    assert not out.requires_grad and out._parents is None and out._vjp is None
    (g,) = ad.gradients(ad.reduce_sum(out), [v])
    np.testing.assert_array_equal(to_np(g), [0.0, 0.0])
    with pytest.raises(RuntimeError):
        with ad.no_grad():
            raise RuntimeError('inside')
    assert ad.tape_enabled()


def test_enable_grad_records_inside_no_grad_and_restores(backend):
    v = var([1.0, 2.0])
    with ad.no_grad():
        with ad.enable_grad():
            assert ad.tape_enabled()
            out = ad.exp(v * 2.0)
        assert not ad.tape_enabled()
        with pytest.raises(RuntimeError):
            with ad.enable_grad():
                raise RuntimeError('inside')
        assert not ad.tape_enabled()
    (g,) = ad.gradients(ad.reduce_sum(out), [v])
    np.testing.assert_allclose(to_np(g), 2 * np.exp([2.0, 4.0]), rtol=1e-12)


def test_inference_under_no_grad_keeps_no_references(backend):
    v = var(np.ones((3, 3)))
    with ad.no_grad():
        hidden = ad.tanh(ad.matmul(v, v))
        out = ad.reduce_sum(hidden)
    ref = weakref.ref(hidden)
    del hidden
    gc.collect()
    assert ref() is None
    assert not out.requires_grad and out._parents is None
    # the same computation on the tape keeps its inputs alive, as backward needs them
    hidden = ad.tanh(ad.matmul(v, v))
    out = ad.reduce_sum(hidden)
    ref = weakref.ref(hidden)
    del hidden
    gc.collect()
    assert ref() is not None and out.requires_grad


def test_gradients_of_unconnected_and_constant_inputs_are_zeros(backend):
    used, unused = var([1.0, 2.0], np.float32), var(np.ones((2, 2)), np.float32)
    g_used, g_unused = ad.gradients(ad.reduce_sum(used * 2.0), [used, unused])
    np.testing.assert_array_equal(to_np(g_used), [2.0, 2.0])
    assert g_unused.shape == (2, 2) and g_unused.dtype == np.float32
    np.testing.assert_array_equal(to_np(g_unused), np.zeros((2, 2)))
    (g,) = ad.gradients(ad.reduce_sum(const([1.0, 2.0])), [used])
    np.testing.assert_array_equal(to_np(g), [0.0, 0.0])


def test_gradients_of_a_variable_itself_and_of_an_intermediate(backend):
    v = var([1.0, 2.0])
    (g,) = ad.gradients(v, [v])
    np.testing.assert_array_equal(to_np(g), [1.0, 1.0])
    hidden = v * 3.0
    loss = ad.reduce_sum(hidden * hidden)
    g_hidden, g_v = ad.gradients(loss, [hidden, v])
    np.testing.assert_allclose(to_np(g_hidden), 2 * np.array([3.0, 6.0]))
    np.testing.assert_allclose(to_np(g_v), 18 * np.array([1.0, 2.0]))


def test_gradients_with_an_output_gradient(backend):
    v = var([1.0, 2.0, 3.0])
    (g,) = ad.gradients(v * v, [v], output_gradient=np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(to_np(g), [2.0, 0.0, -6.0])


def test_gradients_needs_a_tensor(backend):
    with pytest.raises(ValueError, match='Tensor'):
        ad.gradients(3.0, [var([1.0])])


def test_returned_gradients_are_independent_writable_arrays(backend):
    a, b = var([1.0, 2.0]), var([3.0, 4.0])
    ga, gb = ad.gradients(ad.reduce_sum(a + b), [a, b])
    ga += 10.0  # an optimizer may scale or clip gradients in place
    np.testing.assert_array_equal(to_np(ga), [11.0, 11.0])
    np.testing.assert_array_equal(to_np(gb), [1.0, 1.0])
    seed = selection.active().asarray(np.array([1.0, 2.0]))
    (g,) = ad.gradients(a, [a], output_gradient=seed)
    g *= 0.0
    np.testing.assert_array_equal(to_np(seed), [1.0, 2.0])


# ---------------------------------------------------------------------------------------------
# Python operators

def test_python_operators_and_their_reflected_forms(backend, rng):
    a, b = rng.uniform(0.5, 2.0, (2, 3)), rng.uniform(0.5, 2.0, (3,))
    cases = {
        'add': (lambda x, y: x + y, a + b), 'radd': (lambda x, y: 2.0 + x, 2.0 + a),
        'sub': (lambda x, y: x - y, a - b), 'rsub': (lambda x, y: 2.0 - x, 2.0 - a),
        'mul': (lambda x, y: x * y, a * b), 'rmul': (lambda x, y: 2.0 * x, 2.0 * a),
        'div': (lambda x, y: x / y, a / b), 'rdiv': (lambda x, y: 2.0 / x, 2.0 / a),
        'pow': (lambda x, y: x ** y, a ** b), 'rpow': (lambda x, y: 2.0 ** x, 2.0 ** a),
        'neg': (lambda x, y: -x, -a), 'pos': (lambda x, y: +x, a), 'abs': (lambda x, y: abs(x), a),
        'matmul': (lambda x, y: x @ ad.reshape(y, (3, 1)), a @ b.reshape(3, 1)),
        'getitem': (lambda x, y: x[1, ::-1] * y, a[1, ::-1] * b),
        'T': (lambda x, y: x.T, a.T),
    }
    for name, (fn, expected) in cases.items():
        np.testing.assert_allclose(to_np(fn(const(a), const(b))), expected, rtol=1e-12,
                                   err_msg=name)
        check_gradients(fn, a, b)


def test_numpy_operands_on_the_left_defer_to_the_tensor(backend):
    x = var([1.0, 2.0])
    left = np.array([3.0, 4.0])
    for result, expected in [(left + x, [4.0, 6.0]), (left * x, [3.0, 8.0]),
                             (left - x, [2.0, 2.0]), (np.float64(2.0) * x, [2.0, 4.0])]:
        assert isinstance(result, ad.Tensor)
        np.testing.assert_array_equal(to_np(result), expected)
    comparison = left < x
    assert isinstance(comparison, ad.Tensor)
    np.testing.assert_array_equal(to_np(comparison), [False, False])


def test_in_place_operators_rebind_and_keep_the_tape(backend):
    x = var([1.0, 2.0])
    before = to_np(x).copy()
    y = x * 3.0
    y -= x
    y += 1.0
    y *= x
    y /= 2.0
    y **= 2
    assert isinstance(y, ad.Tensor) and y is not x
    np.testing.assert_array_equal(to_np(x), before)  # x itself is never modified
    (g,) = ad.gradients(ad.reduce_sum(y), [x])
    # y = ((2x + 1) x / 2)^2 ; dy/dx = 2 * ((2x^2 + x) / 2) * (4x + 1) / 2
    xs = np.array([1.0, 2.0])
    np.testing.assert_allclose(to_np(g), (2 * xs ** 2 + xs) / 2 * (4 * xs + 1), rtol=1e-12)
    t = x
    t -= 1.0
    np.testing.assert_array_equal(to_np(x), before)


def test_tensor_array_protocol_and_properties(backend):
    t = const(np.arange(6.0).reshape(2, 3))
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.dtype == np.float64
    np.testing.assert_array_equal(np.asarray(t), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(np.asarray(t, dtype=np.float32), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(t.numpy(), np.arange(6.0).reshape(2, 3))
    assert float(const(2.5)) == 2.5 and int(const(3)) == 3 and bool(const(1.0))
    assert t.reshape(3, 2).shape == (3, 2) and t.reshape((6,)).shape == (6,)
    np.testing.assert_array_equal(to_np(t.sum(axis=0)), [3.0, 5.0, 7.0])
    np.testing.assert_array_equal(to_np(t.mean(axis=1, keepdims=True)), [[1.0], [4.0]])
    assert float(t.max()) == 5.0 and float(t.min()) == 0.0
    assert t.astype('float32').dtype == np.float32
    assert 'Tensor(' in repr(t) and 'requires_grad=True' in repr(var([1.0]) * 1.0)
    assert {t: 1}[t] == 1  # hashable by identity, so tensors can key dicts


def test_variable_assign(backend):
    v = ad.Variable(selection.active().asarray(np.zeros((2, 2), np.float32)), name='w')
    data = v.data
    v.assign(np.ones((2, 2)))
    assert v.data is data and v.dtype == np.float32
    np.testing.assert_array_equal(to_np(v), np.ones((2, 2)))
    v.assign(const(np.full((2, 2), 3.0)))
    np.testing.assert_array_equal(to_np(v), np.full((2, 2), 3.0))
    with pytest.raises(ValueError, match=r"'w'.*\(3,\).*\(2, 2\)"):
        v.assign(np.ones(3))
    assert v.requires_grad and v.trainable and "name='w'" in repr(v)


def test_unbroadcast(backend):
    xp = selection.active().xp
    grad = xp.ones((4, 2, 3))
    assert ad.unbroadcast(grad, (2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(to_np(ad.unbroadcast(grad, (2, 1))), np.full((2, 1), 12.0))
    np.testing.assert_array_equal(to_np(ad.unbroadcast(grad, ())), 24.0)
    np.testing.assert_array_equal(to_np(ad.unbroadcast(grad, (1, 2, 3))), np.full((1, 2, 3), 4.0))


# ---------------------------------------------------------------------------------------------
# dtypes: float32 stays float32

FLOAT32_OPS = {
    'add_scalar': lambda t: t + 1.5, 'rsub_scalar': lambda t: 1.5 - t,
    'mul_numpy_scalar': lambda t: t * np.float64(0.5), 'div_scalar': lambda t: t / 3.0,
    'add_numpy_array': lambda t: t + np.array([0.5, 1.0, 2.0]),
    'matmul_numpy': lambda t: t @ np.eye(3),
    'where_numpy': lambda t: ad.where(ad.raw(t) > 1, np.float64(0.5), t),
    'clip_numpy_bounds': lambda t: ad.clip(t, np.float64(0.2), np.float64(1.0)),
    'rdiv_scalar': lambda t: 3.0 / t, 'pow_scalar': lambda t: t ** 2.0,
    'rpow_scalar': lambda t: 2.0 ** t,
    'rpow_int': lambda t: 2 ** t, 'maximum_scalar': lambda t: ad.maximum(t, 0.0),
    'minimum_scalar': lambda t: ad.minimum(0.25, t),
    'where_scalar': lambda t: ad.where(ad.raw(t) > 1, t, 0.5),
    'clip': lambda t: ad.clip(t, 0.2, 1.0), 'exp': ad.exp, 'log': ad.log, 'sqrt': ad.sqrt,
    'sigmoid': ad.sigmoid, 'softplus': ad.softplus, 'tanh': ad.tanh, 'relu': ad.relu,
    'abs': ad.absolute, 'sin': ad.sin, 'cos': ad.cos, 'square': ad.square,
    'mean': lambda t: ad.reduce_mean(t, 0), 'max': lambda t: ad.reduce_max(t, 1),
    'prod': lambda t: ad.reduce_prod(t, 1), 'logsumexp': lambda t: ad.logsumexp(t, 1),
    'softmax': lambda t: ad.softmax(t, 0), 'log_softmax': ad.log_softmax,
    'matmul': lambda t: ad.matmul(t, ad.transpose(t)), 'getitem': lambda t: t[[0, 0]],
    'gather': lambda t: ad.gather(t, selection.active().asarray(np.array([1, 1])), 1),
    'pad': lambda t: ad.pad(t, ((1, 0), (0, 1)), 0.5), 'tile': lambda t: ad.tile(t, (2, 1)),
    'repeat': lambda t: ad.repeat(t, 2, 0), 'stack': lambda t: ad.stack([t, t]),
    'cumsum': lambda t: ad.cumsum(t, 1), 'unstack': lambda t: ad.unstack(t, 1)[2] * 2.0,
    'cumprod': lambda t: ad.cumprod(t, 1),
}


@pytest.mark.parametrize('name', sorted(FLOAT32_OPS))
def test_float32_stays_float32_forward_and_backward(backend, name):
    v = var([[0.5, 1.5, 2.0], [1.25, 0.75, 3.0]], np.float32)
    out = FLOAT32_OPS[name](v)
    assert out.dtype == np.float32, f'{name} forward gave {out.dtype}'
    (g,) = ad.gradients(ad.reduce_sum(out), [v])
    assert g.dtype == np.float32, f'{name} gradient gave {g.dtype}'


def test_every_primitive_is_covered():
    """A new public function in autodiff.py needs a test here (and its name in this list)."""
    covered = {
        'no_grad', 'enable_grad', 'tape_enabled', 'Tensor', 'Variable', 'raw', 'constant', 'as_tensor',
        'unbroadcast', 'add', 'subtract', 'multiply', 'divide', 'power', 'maximum', 'minimum',
        'equal', 'not_equal', 'where', 'negative', 'exp', 'log', 'sqrt', 'square', 'absolute',
        'sign', 'round_', 'sin', 'cos', 'tanh', 'sigmoid', 'softplus', 'relu', 'clip', 'cast',
        'cumsum', 'cumprod', 'reduce_sum', 'reduce_mean', 'reduce_max', 'reduce_min', 'reduce_prod',
        'logsumexp', 'softmax', 'log_softmax', 'matmul', 'tensordot_last', 'reshape', 'transpose',
        'broadcast_to', 'getitem', 'gather', 'concatenate', 'stack', 'unstack', 'tile', 'repeat',
        'pad', 'gradients',
    }
    public = {name for name, value in vars(ad).items()
              if not name.startswith('_') and callable(value)
              and getattr(value, '__module__', None) == ad.__name__}
    assert public - covered == set(), 'untested primitives'
    assert covered - public == set(), 'tested names that no longer exist'


def test_as_tensor_and_constant(backend):
    t = ad.as_tensor([1, 2])
    assert isinstance(t, ad.Tensor) and not t.requires_grad
    v = var([1.0], np.float32)
    assert ad.as_tensor(v) is v
    assert ad.as_tensor(v, np.float64).dtype == np.float64
    assert ad.constant(v).data is v.data and not ad.constant(v).requires_grad
    assert ad.constant([1, 2], dtype='float32').dtype == np.float32
    assert ad.raw(v) is v.data and ad.raw(2.0) == 2.0
