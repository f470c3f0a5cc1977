"""The rest of Keras 2.2's K functions (eval, cast_to_floatx, print_tensor, slice, cumprod,
in_top_k, batch_normalization, normalize_batch_in_training, map_fn, foldl/foldr, the random
variables, is_sparse/to_dense): against NumPy formulas and loops written here, with tf_keras
2.21's semantics (checked by running it), and float64 finite-difference gradients."""
import numpy as np
import pytest

from gkeras import backend as K
from gkeras.backend import autodiff as ad
from gkeras.backend import selection
from gradcheck import check_gradients


def to_np(x):
    return selection.active().to_numpy(ad.raw(x))


def test_eval_and_cast_to_floatx(backend):
    x = K.constant([[1.5, 2.0]])
    value = K.eval(x * 2)
    assert isinstance(value, np.ndarray)
    np.testing.assert_array_equal(value, [[3.0, 4.0]])
    v = K.variable([1.0, 2.0])
    np.testing.assert_array_equal(K.eval(v), [1.0, 2.0])
    cast = K.cast_to_floatx([1, 2])
    assert isinstance(cast, np.ndarray) and cast.dtype == np.float32
    tensor = K.cast_to_floatx(K.constant([1, 2], dtype='int32'))
    assert K.is_tensor(tensor) and tensor.dtype == np.float32
    assert K.is_sparse(v) is False and K.to_dense(v) is v


def test_print_tensor_prints_and_passes_the_gradient(backend, capsys):
    x = ad.Variable(backend.asarray(np.arange(20.)))
    y = K.print_tensor(x * 1.0, message='x is')
    out = capsys.readouterr().out
    assert out.startswith('x is [') and '...' in out and '19.' in out
    (grad,) = ad.gradients(K.sum(y * 3.0), [x])
    np.testing.assert_array_equal(to_np(grad), np.full(20, 3.0))


def test_slice(backend, rng):
    x = rng.normal(size=(2, 3, 4))
    got = to_np(K.slice(K.constant(x, dtype='float64'), (0, 1, 1), (-1, 2, 2)))
    np.testing.assert_array_equal(got, x[0:2, 1:3, 1:3])
    check_gradients(lambda t: K.slice(t, [1, 0, 2], [1, 3, -1]), x)
    with pytest.raises(ValueError, match='K.slice.*axis 2 of length 4'):
        K.slice(K.constant(x), (0, 0, 3), (1, 1, 2))
    with pytest.raises(ValueError, match='one entry per axis'):
        K.slice(K.constant(x), (0, 0), (1, 1))


def _cumprod_gradient(x, dy, axis):
    """d sum(cumprod(x) * dy) / dx by the definition: sum over j >= i of dy_j times the
    product of x_k, k <= j, k != i (no division, so exact with zeros)."""
    x, dy = np.moveaxis(x, axis, -1), np.moveaxis(dy, axis, -1)
    grad = np.zeros_like(x)
    n = x.shape[-1]
    for i in range(n):
        for j in range(i, n):
            others = np.prod(np.delete(x[..., :j + 1], i, axis=-1), axis=-1)
            grad[..., i] += dy[..., j] * others
    return np.moveaxis(grad, -1, axis)


@pytest.mark.parametrize('axis', [0, 1, -1])
def test_cumprod(backend, rng, axis):
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(to_np(K.cumprod(K.constant(x, dtype='float64'), axis)),
                               np.cumprod(x, axis=axis), rtol=1e-12)
    check_gradients(lambda t: K.cumprod(t, axis), x)


def test_cumprod_gradient_is_exact_at_zeros(backend):
    # tf.keras gives 0 where x is 0 (it divides by x); here the gradient is the true one
    x = np.array([[1., 0., 2.], [3., 4., 0.], [0., 0., 5.]])
    dy = np.array([[1., 2., 3.], [1., 1., 1.], [2., 1., 1.]])
    v = ad.Variable(backend.asarray(x))
    (grad,) = ad.gradients(K.sum(K.cumprod(v, axis=1) * dy), [v])
    expected = _cumprod_gradient(x, dy, 1)
    np.testing.assert_allclose(to_np(grad), expected, rtol=1e-12)
    np.testing.assert_allclose(expected[:2], [[1., 8., 0.], [5., 3., 12.]])
    check_gradients(lambda t: K.cumprod(t, 1), x)
    assert K.cumprod(np.array([2, 3], np.int32)).dtype == np.int32


def _in_top_k(predictions, targets, k):
    out = []
    for row, target in zip(predictions, targets):
        if not (0 <= target < len(row)) or not np.all(np.isfinite(row)):
            out.append(False)
            continue
        out.append(sum(value > row[target] for value in row) < k)
    return np.array(out)


def test_in_top_k(backend, rng):
    predictions = np.array([[0.1, 0.5, 0.5, 0.2], [0.3, 0.3, 0.3, np.nan], [1, 2, 3, 4],
                            [4, 3, 2, 1]], np.float32)
    for targets, k in (([1, 0, 3, 0], 1), ([2, 3, 0, 1], 2), ([0, 0, 0, 3], 4), ([4, -1, 1, 2], 3)):
        got = K.in_top_k(predictions, np.array(targets), k)
        assert to_np(got).dtype == bool
        np.testing.assert_array_equal(to_np(got), _in_top_k(predictions, targets, k))
    # tf_keras 2.21's answers for the first two
    np.testing.assert_array_equal(to_np(K.in_top_k(predictions[:3], np.array([1, 0, 3]), 1)),
                                  [True, False, True])
    np.testing.assert_array_equal(to_np(K.in_top_k(predictions[:3], np.array([2, 3, 0]), 2)),
                                  [True, False, False])
    random = rng.normal(size=(6, 5)).astype(np.float32)
    targets = rng.integers(0, 5, 6)
    np.testing.assert_array_equal(to_np(K.in_top_k(random, targets, 2)),
                                  _in_top_k(random, targets, 2))
    with pytest.raises(ValueError, match='in_top_k.*shapes'):
        K.in_top_k(random, targets[:3], 2)
    with pytest.raises(ValueError, match='integer'):
        K.in_top_k(random, targets.astype(np.float32), 2)


def test_batch_normalization(backend, rng):
    x = rng.normal(size=(2, 3, 2, 2))
    mean, var = rng.normal(size=3), rng.uniform(0.5, 2.0, 3)
    beta, gamma = rng.normal(size=3), rng.normal(size=3)
    along = (1, 3, 1, 1)
    expected = ((x - mean.reshape(along)) / np.sqrt(var.reshape(along) + 1e-3)
                * gamma.reshape(along) + beta.reshape(along))
    got = K.batch_normalization(K.constant(x, dtype='float64'), mean, var, beta, gamma, axis=1)
    np.testing.assert_allclose(to_np(got), expected, rtol=1e-12)
    last = K.batch_normalization(K.constant(x, dtype='float64'), mean[:2], var[:2], None, None,
                                 epsilon=0.1)
    np.testing.assert_allclose(to_np(last), (x - mean[:2]) / np.sqrt(var[:2] + 0.1), rtol=1e-12)
    check_gradients(lambda t, m, v, b, g: K.batch_normalization(t, m, v, b, g, axis=1),
                    x, mean, var, beta, gamma)


@pytest.mark.parametrize('axes', [[0, 1], [0, 2]])
def test_normalize_batch_in_training(backend, rng, axes):
    x = rng.normal(size=(2, 3, 4))
    kept = [n for i, n in enumerate(x.shape) if i not in axes]
    gamma, beta = rng.normal(size=kept), rng.normal(size=kept)
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = x.var(axis=tuple(axes), keepdims=True)  # biased, as tf.nn.moments
    shape = mean.shape
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma.reshape(shape) + beta.reshape(shape)
    normed, got_mean, got_var = K.normalize_batch_in_training(
        K.constant(x, dtype='float64'), gamma, beta, axes)
    np.testing.assert_allclose(to_np(normed), expected, rtol=1e-12)
    np.testing.assert_allclose(to_np(got_mean), mean.reshape(kept), rtol=1e-12)
    np.testing.assert_allclose(to_np(got_var), var.reshape(kept), rtol=1e-12)
    plain, _, _ = K.normalize_batch_in_training(K.constant(x, dtype='float64'), None, None, axes,
                                                epsilon=0.5)
    np.testing.assert_allclose(to_np(plain), (x - mean) / np.sqrt(var + 0.5), rtol=1e-12)
    check_gradients(lambda t, g, b: K.normalize_batch_in_training(t, g, b, axes)[0],
                    x, gamma, beta)


def test_map_fn_and_folds(backend, rng):
    x = rng.normal(size=(4, 3))
    got = K.map_fn(lambda row: K.sum(row * row), K.constant(x, dtype='float64'))
    np.testing.assert_allclose(to_np(got), (x * x).sum(axis=1), rtol=1e-12)
    assert K.map_fn(lambda row: row, K.constant(x), dtype='float64').dtype == np.float64
    check_gradients(lambda t: K.map_fn(lambda row: K.exp(row) * row[0], t), x)

    def step(acc, item):
        return acc * 2.0 + item

    expected_left, expected_right = x[0], x[-1]
    for row in x[1:]:
        expected_left = expected_left * 2 + row
    for row in x[-2::-1]:
        expected_right = expected_right * 2 + row
    np.testing.assert_allclose(to_np(K.foldl(step, K.constant(x, dtype='float64'))),
                               expected_left, rtol=1e-12)
    np.testing.assert_allclose(to_np(K.foldr(step, K.constant(x, dtype='float64'))),
                               expected_right, rtol=1e-12)
    start = np.full(3, 10.0)
    expected = start
    for row in x:
        expected = expected * 2 + row
    np.testing.assert_allclose(
        to_np(K.foldl(step, K.constant(x, dtype='float64'), initializer=start)), expected,
        rtol=1e-12)
    check_gradients(lambda t: K.foldr(lambda a, e: a * e + e, t), x)
    # tf_keras 2.21: foldl / foldr of [1, 2, 3] with a * 2 + e, and foldl from 10
    assert float(to_np(K.foldl(step, K.constant([1., 2., 3.])))) == 11.0
    assert float(to_np(K.foldr(step, K.constant([1., 2., 3.])))) == 17.0
    assert float(to_np(K.foldl(step, K.constant([1., 2., 3.]), initializer=10.0))) == 91.0
    with pytest.raises(ValueError, match='foldl.*no elements'):
        K.foldl(step, K.zeros((0, 3)))


def test_random_variables(backend):
    normal = K.random_normal_variable((200, 50), 1.0, 2.0, seed=3, name='n')
    uniform = K.random_uniform_variable((200, 50), -1.0, 3.0, dtype='float64', seed=3)
    assert isinstance(normal, ad.Variable) and normal.dtype == np.float32
    assert uniform.dtype == np.float64
    values, draws = K.get_value(normal), K.get_value(uniform)
    assert abs(values.mean() - 1.0) < 0.1 and abs(values.std() - 2.0) < 0.1
    assert draws.min() >= -1.0 and draws.max() < 3.0 and abs(draws.mean() - 1.0) < 0.1
    again = K.random_normal_variable((200, 50), 1.0, 2.0, seed=3)
    np.testing.assert_array_equal(K.get_value(again), values)


def test_name_scope():
    # Keras 2.2.5 and tf_keras 2.21 both give 'a/' for `with K.name_scope('a') as scope`
    with K.name_scope('a') as outer:
        with K.name_scope('b') as inner:
            assert inner == 'a/b/'
        assert outer == 'a/'
        x = K.constant([1.0])
    with K.name_scope('c') as again:
        assert again == 'c/'
    assert float(to_np(x)[0]) == 1.0
