"""gkeras.losses against NumPy formulas, tf_keras 2.21 per-sample values, and finite differences."""
import functools
import os

import numpy as np
import pytest

from gkeras import activations, losses
from gkeras import backend as K
from gkeras.backend import autodiff as ad
from gradcheck import check_gradients

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'keras_reference.npz')
EPS = 1e-7


@pytest.fixture(scope='module')
def keras_reference():
    if not os.path.exists(FIXTURES):
        pytest.skip('tests/fixtures/keras_reference.npz has not been generated')
    with np.load(FIXTURES) as data:
        return {k: data[k] for k in data.files}


def _l2n(x):
    return x / np.sqrt(np.maximum((x * x).sum(-1, keepdims=True), 1e-12))


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# Independent float64 formulas, one value per sample.
def _bce(t, p):
    pc = np.clip(p, EPS, 1 - EPS)
    return -np.mean(t * np.log(pc + EPS) + (1 - t) * np.log(1 - pc + EPS), axis=-1)


def _cce(t, p):
    p = p / p.sum(-1, keepdims=True)
    return -np.sum(t * np.log(np.clip(p, EPS, 1 - EPS)), axis=-1)


NUMPY = {
    'mean_squared_error': lambda t, p: np.mean((t - p) ** 2, -1),
    'mean_absolute_error': lambda t, p: np.mean(np.abs(t - p), -1),
    'mean_absolute_percentage_error':
        lambda t, p: 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), -1),
    'mean_squared_logarithmic_error':
        lambda t, p: np.mean((np.log1p(np.maximum(p, EPS)) - np.log1p(np.maximum(t, EPS))) ** 2,
                             -1),
    'squared_hinge': lambda t, p: np.mean(np.maximum(1 - t * p, 0) ** 2, -1),
    'hinge': lambda t, p: np.mean(np.maximum(1 - t * p, 0), -1),
    'categorical_hinge':
        lambda t, p: np.maximum(np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0),
    'logcosh': lambda t, p: np.mean(np.log(np.cosh(p - t)), -1),
    'categorical_crossentropy': _cce,
    'binary_crossentropy': _bce,
    'kullback_leibler_divergence':
        lambda t, p: np.sum(np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1)),
                            -1),
    'poisson': lambda t, p: np.mean(p - t * np.log(p + EPS), -1),
    'cosine_proximity': lambda t, p: -np.sum(_l2n(t) * _l2n(p), -1),
}


def _inputs(rng, name, shape):
    """(y_true, y_pred) in the domain each loss is meant for."""
    if name in ('mean_absolute_percentage_error', 'mean_squared_logarithmic_error', 'poisson'):
        return rng.uniform(0.1, 3, shape), rng.uniform(0.1, 3, shape)
    if name in ('squared_hinge', 'hinge'):
        return np.where(rng.random(shape) < 0.5, -1., 1.), rng.uniform(-2, 2, shape)
    if name in ('categorical_hinge', 'categorical_crossentropy'):
        t = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
        if name == 'categorical_hinge':
            return t, rng.uniform(-2, 2, shape)
        return t, _softmax(rng.normal(size=shape))
    if name == 'binary_crossentropy':
        return (rng.random(shape) < 0.5).astype(float), rng.uniform(0.02, 0.98, shape)
    if name == 'kullback_leibler_divergence':
        return _softmax(rng.normal(size=shape)), _softmax(rng.normal(size=shape))
    return rng.normal(size=shape), rng.normal(size=shape)


def _value(backend, fn, y_true, y_pred):
    out = fn(backend.asarray(y_true), ad.constant(backend.asarray(y_pred)))
    return backend.to_numpy(ad.raw(out))


@pytest.mark.parametrize('name', sorted(NUMPY))
@pytest.mark.parametrize('shape', [(7, 5), (3, 4, 6)])
def test_matches_numpy_formula(backend, rng, name, shape):
    y_true, y_pred = _inputs(rng, name, shape)
    got = _value(backend, losses.get(name), y_true.astype(np.float32), y_pred.astype(np.float32))
    assert got.shape == shape[:-1]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, NUMPY[name](y_true.astype(np.float32).astype(np.float64),
                                                y_pred.astype(np.float32).astype(np.float64)),
                               rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize('name', ['mean_squared_error', 'categorical_crossentropy', 'hinge',
                                  'sparse_categorical_crossentropy'])
def test_plain_arrays_and_lists_are_accepted(backend, name):
    fn = losses.get(name)
    y_true = [0, 1] if name == 'sparse_categorical_crossentropy' else [[0., 1.], [1., 0.]]
    y_pred = np.array([[0.3, 0.7], [0.6, 0.4]])
    out = fn(backend.asarray(np.array(y_true)), backend.asarray(y_pred))
    assert out.dtype == np.float64 and out.shape == (2,)
    assert fn(y_true, [[0.3, 0.7], [0.6, 0.4]]).dtype == np.float32
    np.testing.assert_allclose(backend.to_numpy(ad.raw(out)),
                               backend.to_numpy(ad.raw(fn(y_true, y_pred))), rtol=1e-12)


def test_sparse_categorical_crossentropy_matches_numpy(backend, rng):
    probs = _softmax(rng.normal(size=(7, 5)))
    labels = rng.integers(0, 5, size=7)
    expected = -np.log(np.clip(probs, EPS, 1 - EPS)[np.arange(7), labels])
    for y_true in (labels, labels.reshape(7, 1), labels.astype(np.float32)):
        got = _value(backend, losses.sparse_categorical_crossentropy, y_true,
                     probs.astype(np.float32))
        np.testing.assert_allclose(got, expected, rtol=1e-5)


FIXTURE_CASES = {
    'mean_squared_error': losses.mean_squared_error, 'mean_absolute_error': losses.mae,
    'mean_absolute_percentage_error': losses.mape, 'mean_squared_logarithmic_error': losses.msle,
    'squared_hinge': losses.squared_hinge, 'hinge': losses.hinge,
    'categorical_hinge': losses.categorical_hinge, 'logcosh': losses.logcosh,
    'categorical_crossentropy': losses.categorical_crossentropy,
    'categorical_crossentropy_clip': losses.categorical_crossentropy,
    'sparse_categorical_crossentropy': losses.sparse_categorical_crossentropy,
    'binary_crossentropy': losses.binary_crossentropy,
    'binary_crossentropy_clip': losses.binary_crossentropy,
    'kullback_leibler_divergence': losses.kld, 'poisson': losses.poisson,
    'cosine_proximity': losses.cosine_proximity,
}


@pytest.mark.parametrize('case', sorted(FIXTURE_CASES))
def test_matches_tf_keras_per_sample_values(backend, keras_reference, case):
    y_true = keras_reference[f'losses/{case}/y_true']
    y_pred = keras_reference[f'losses/{case}/y_pred']
    got = _value(backend, FIXTURE_CASES[case], y_true, y_pred)
    np.testing.assert_allclose(got, keras_reference[f'losses/{case}/loss'], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('case,activation,loss', [
    ('softmax_dense_categorical_crossentropy', activations.softmax,
     losses.categorical_crossentropy),
    ('sigmoid_dense_binary_crossentropy', activations.sigmoid, losses.binary_crossentropy),
])
def test_crossentropy_after_softmax_or_sigmoid_uses_the_logits(backend, keras_reference, case,
                                                               activation, loss):
    ref = {k: keras_reference[f'losses/{case}/{k}'] for k in
           ('x', 'kernel', 'bias', 'y_true', 'y_pred', 'loss', 'grad_kernel', 'grad_bias')}
    kernel = ad.Variable(backend.asarray(ref['kernel']))
    bias = ad.Variable(backend.asarray(ref['bias']))
    y_pred = activation(K.bias_add(K.dot(backend.asarray(ref['x']), kernel), bias))
    per_sample = loss(backend.asarray(ref['y_true']), y_pred)
    grad_kernel, grad_bias = ad.gradients(K.mean(per_sample), [kernel, bias])
    np.testing.assert_allclose(backend.to_numpy(ad.raw(y_pred)), ref['y_pred'],
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(backend.to_numpy(ad.raw(per_sample)), ref['loss'], rtol=1e-5)
    np.testing.assert_allclose(backend.to_numpy(grad_kernel), ref['grad_kernel'],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backend.to_numpy(grad_bias), ref['grad_bias'], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('case,loss', [
    ('softmax_dense_categorical_crossentropy', losses.categorical_crossentropy),
    ('sigmoid_dense_binary_crossentropy', losses.binary_crossentropy),
])
def test_crossentropy_of_plain_probabilities_is_clipped(backend, keras_reference, case, loss):
    # loss_clipped_probs is the probability-space formula evaluated in float64 by the generator
    y_true = keras_reference[f'losses/{case}/y_true'].astype(np.float64)
    y_pred = keras_reference[f'losses/{case}/y_pred'].astype(np.float64)
    got = _value(backend, loss, y_true, y_pred)
    np.testing.assert_allclose(got, keras_reference[f'losses/{case}/loss_clipped_probs'], rtol=1e-5)


def test_from_logits_and_label_smoothing(backend, rng):
    logits = rng.normal(size=(5, 4)).astype(np.float32)
    labels = np.eye(4)[rng.integers(0, 4, 5)].astype(np.float32)
    smoothed = labels * 0.8 + 0.2 / 4
    probs = _softmax(logits.astype(np.float64))
    cce = functools.partial(losses.categorical_crossentropy, from_logits=True, label_smoothing=0.2)
    np.testing.assert_allclose(_value(backend, cce, labels, logits),
                               -np.sum(smoothed * np.log(probs), -1), rtol=1e-5)
    binary = (rng.random((5, 4)) < 0.5).astype(np.float32)
    bce = functools.partial(losses.binary_crossentropy, from_logits=True, label_smoothing=0.1)
    target = binary * 0.9 + 0.05
    sig = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = -np.mean(target * np.log(sig) + (1 - target) * np.log(1 - sig), -1)
    np.testing.assert_allclose(_value(backend, bce, binary, logits), expected, rtol=1e-5)
    scce = functools.partial(losses.sparse_categorical_crossentropy, from_logits=True)
    ids = labels.argmax(-1)
    np.testing.assert_allclose(_value(backend, scce, ids, logits),
                               -np.log(probs[np.arange(5), ids]), rtol=1e-5)


@pytest.mark.parametrize('name', ['hinge', 'squared_hinge'])
def test_hinge_maps_zero_one_labels_to_plus_minus_one(backend, rng, name):
    y_pred = rng.uniform(-2, 2, (6, 3)).astype(np.float32)
    zero_one = (rng.random((6, 3)) < 0.5).astype(np.float32)
    fn = losses.get(name)
    np.testing.assert_allclose(_value(backend, fn, zero_one, y_pred),
                               NUMPY[name](2 * zero_one - 1, y_pred.astype(np.float64)), rtol=1e-6)
    # labels that are not all 0/1 are used as they are
    other = zero_one.copy()
    other[0, 0] = 0.5
    np.testing.assert_allclose(_value(backend, fn, other, y_pred),
                               NUMPY[name](other, y_pred.astype(np.float64)), rtol=1e-6)


GRAD_INPUTS = {
    # away from the kinks: |t - p| > 0, 1 - t * p != 0, no ties in categorical_hinge
    'mean_absolute_error': lambda rng: (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)) + 3),
    'hinge': lambda rng: (np.where(rng.random((3, 4)) < 0.5, -1., 1.),
                          rng.choice([-1.7, -0.5, 0.4, 1.6], (3, 4))
                          + rng.uniform(-0.05, 0.05, (3, 4))),
    'squared_hinge': lambda rng: (np.where(rng.random((3, 4)) < 0.5, -1., 1.),
                                  rng.choice([-1.7, -0.5, 0.4, 1.6], (3, 4))
                                  + rng.uniform(-0.05, 0.05, (3, 4))),
    'categorical_hinge': lambda rng: (np.eye(4)[[0, 2, 3]], np.array(
        [[0.1, 0.9, -0.4, 0.3], [0.5, -1.2, 0.2, 1.4], [-0.3, 0.8, 0.1, -0.9]])),
}


@pytest.mark.parametrize('name', sorted(NUMPY) + ['sparse_categorical_crossentropy'])
def test_gradient_matches_finite_differences(backend, rng, name):
    if name == 'sparse_categorical_crossentropy':
        y_true = rng.integers(0, 4, size=3)
        y_pred = _softmax(rng.normal(size=(3, 4)))
    elif name in GRAD_INPUTS:
        y_true, y_pred = GRAD_INPUTS[name](rng)
    else:
        y_true, y_pred = _inputs(rng, name, (3, 4))
    fn = losses.get(name)
    labels = backend.asarray(y_true)
    check_gradients(lambda p: fn(labels, p), y_pred, rtol=1e-4, atol=1e-6)


def test_aliases_are_the_same_functions():
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.mae is losses.MAE is losses.mean_absolute_error
    assert losses.mape is losses.MAPE is losses.mean_absolute_percentage_error
    assert losses.msle is losses.MSLE is losses.mean_squared_logarithmic_error
    assert losses.kld is losses.KLD is losses.kullback_leibler_divergence
    assert losses.cosine is losses.cosine_similarity is losses.cosine_proximity
    for alias, fn in [('mse', losses.mean_squared_error), ('MAE', losses.mean_absolute_error),
                      ('kld', losses.kullback_leibler_divergence), ('KLD', losses.kld),
                      ('cosine', losses.cosine_proximity), ('logcosh', losses.logcosh),
                      ('log_cosh', losses.logcosh), ('bce', losses.binary_crossentropy)]:
        assert losses.get(alias) is fn


@pytest.mark.parametrize('name', ['mean_squared_error', 'mean_absolute_error',
                                  'mean_absolute_percentage_error',
                                  'mean_squared_logarithmic_error',
                                  'squared_hinge', 'hinge', 'categorical_hinge', 'logcosh',
                                  'categorical_crossentropy', 'sparse_categorical_crossentropy',
                                  'binary_crossentropy', 'kullback_leibler_divergence', 'poisson',
                                  'cosine_proximity'])
def test_serialize_deserialize_round_trip(name):
    fn = losses.get(name)
    assert losses.serialize(fn) == name
    assert losses.deserialize(losses.serialize(fn)) is fn


def test_get_none_callable_and_custom_objects():
    assert losses.get(None) is None

    def custom(y_true, y_pred):
        return y_pred

    assert losses.get(custom) is custom
    assert losses.deserialize('custom', custom_objects={'custom': custom}) is custom


def test_deserialize_tf_keras_loss_class_configs(backend, rng):
    assert losses.deserialize({'class_name': 'MeanSquaredError',
                               'config': {'reduction': 'auto', 'name': 'mean_squared_error'}}) \
        is losses.mean_squared_error
    fn = losses.deserialize({'class_name': 'CategoricalCrossentropy',
                             'config': {'reduction': 'auto', 'name': 'categorical_crossentropy',
                                        'from_logits': True, 'label_smoothing': 0.0, 'axis': -1}})
    assert losses.serialize(fn) == 'categorical_crossentropy'
    logits = rng.normal(size=(3, 4)).astype(np.float32)
    labels = np.eye(4, dtype=np.float32)[[0, 1, 3]]
    expected = -np.log(_softmax(logits.astype(np.float64))[np.arange(3), [0, 1, 3]])
    np.testing.assert_allclose(_value(backend, fn, labels, logits), expected, rtol=1e-5)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        losses.get('mean_squared_eror')
    message = str(info.value)
    assert 'mean_squared_eror' in message
    for known in ('mean_squared_error', 'categorical_crossentropy', 'hinge', 'kld',
                  'cosine_proximity'):
        assert known in message
    with pytest.raises(ValueError, match='loss'):
        losses.get(3.5)
