"""gkeras.activations against NumPy formulas, tf_keras 2.21 values/gradients, finite differences."""
import os

import numpy as np
import pytest

from gkeras import activations
from gkeras.backend import autodiff as ad
from gradcheck import check_gradients

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'keras_reference.npz')
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@pytest.fixture(scope='module')
def keras_reference():
    if not os.path.exists(FIXTURES):
        pytest.skip('tests/fixtures/keras_reference.npz has not been generated')
    with np.load(FIXTURES) as data:
        return {k: data[k] for k in data.files}


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# name -> (gkeras call, independent NumPy formula)
REFERENCES = {
    'relu': (lambda x: activations.relu(x), lambda x: np.maximum(x, 0)),
    'relu_alpha': (lambda x: activations.relu(x, alpha=0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    'relu_max_value': (lambda x: activations.relu(x, max_value=6.0), lambda x: np.clip(x, 0, 6)),
    'relu_max_value_3': (lambda x: activations.relu(x, max_value=1.5),
                         lambda x: np.clip(x, 0, 1.5)),
    'relu_threshold': (lambda x: activations.relu(x, threshold=0.5), lambda x: x * (x > 0.5)),
    'relu_all': (lambda x: activations.relu(x, alpha=0.2, max_value=2.0, threshold=0.5),
                 lambda x: np.minimum(x * (x > 0.5), 2.0) - 0.2 * np.maximum(0.5 - x, 0)),
    'sigmoid': (activations.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    'hard_sigmoid': (activations.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    'softmax': (activations.softmax, _softmax),
    'softmax_axis1': (lambda x: activations.softmax(x, axis=1), lambda x: _softmax(x, axis=1)),
    'softsign': (activations.softsign, lambda x: x / (1 + np.abs(x))),
    'softplus': (activations.softplus, lambda x: np.log1p(np.exp(x))),
    'tanh': (activations.tanh, np.tanh),
    'selu': (activations.selu,
             lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1))),
    'elu': (lambda x: activations.elu(x), lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    'elu_alpha05': (lambda x: activations.elu(x, alpha=0.5),
                    lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    'exponential': (activations.exponential, np.exp),
    'linear': (activations.linear, lambda x: x),
}


def _run(backend, fn, x):
    return backend.to_numpy(ad.raw(fn(ad.constant(backend.asarray(x)))))


@pytest.mark.parametrize('name', sorted(REFERENCES))
def test_matches_numpy_formula(backend, rng, name):
    fn, reference = REFERENCES[name]
    # (3, 4, 5) then transposed: an odd-sized, non-contiguous input
    x = (rng.uniform(-4, 4, size=(5, 4, 3)).astype(np.float32)).transpose(2, 1, 0)
    got = _run(backend, fn, x)
    np.testing.assert_allclose(got, reference(x.astype(np.float64)), rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize('name', sorted(REFERENCES))
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_keeps_the_input_dtype(backend, name, dtype):
    x = np.linspace(-7, 7, 12).reshape(3, 4).astype(dtype)
    assert _run(backend, REFERENCES[name][0], x).dtype == dtype


@pytest.mark.parametrize('name', [n for n in sorted(REFERENCES) if n not in
                                  ('relu_max_value_3', 'relu_all')])
def test_matches_tf_keras_values_and_gradients(backend, keras_reference, name):
    fn = REFERENCES[name][0]
    x, r = keras_reference[f'activations/{name}/x'], keras_reference[f'activations/{name}/r']
    variable = ad.Variable(backend.asarray(x))
    y = fn(variable)
    grad = ad.gradients(ad.reduce_sum(ad.multiply(y, backend.asarray(r))), [variable])[0]
    np.testing.assert_allclose(backend.to_numpy(ad.raw(y)),
                               keras_reference[f'activations/{name}/y'], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backend.to_numpy(grad), keras_reference[f'activations/{name}/grad'],
                               rtol=1e-5, atol=1e-6)


def _away_from_kinks(rng, shape, kinks, scale=3., margin=0.05):
    x = rng.uniform(-scale, scale, size=shape)
    for kink in kinks:
        near = np.abs(x - kink) < margin
        x[near] += 2 * margin
    return x


KINKS = {'relu': [0], 'relu_alpha': [0], 'relu_max_value': [0, 6], 'relu_max_value_3': [0, 1.5],
         'relu_threshold': [0.5], 'relu_all': [0.5, 2.0], 'hard_sigmoid': [-2.5, 2.5],
         'selu': [0], 'elu': [0], 'elu_alpha05': [0], 'softsign': [0]}


@pytest.mark.parametrize('name', sorted(REFERENCES))
def test_gradient_matches_finite_differences(backend, rng, name):
    fn = REFERENCES[name][0]
    scale = 8. if name == 'relu_max_value' else 3.  # reach the cap at 6
    check_gradients(fn, _away_from_kinks(rng, (3, 4), KINKS.get(name, []), scale))


def test_softmax_rejects_1d_input(backend):
    with pytest.raises(ValueError, match='1D'):
        activations.softmax(ad.constant(backend.asarray(np.ones(4, np.float32))))


def test_softmax_over_several_axes(backend, rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    got = _run(backend, lambda t: activations.softmax(t, axis=(1, 2)), x)
    e = np.exp(x - x.max(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(got, e / e.sum(axis=(1, 2), keepdims=True), rtol=1e-6)


def test_softmax_and_sigmoid_keep_their_logits(backend, rng):
    x = ad.constant(backend.asarray(rng.standard_normal((2, 3)).astype(np.float32)))
    assert activations.softmax(x)._keras_logits is x
    assert activations.sigmoid(x)._keras_logits is x


def test_get_names_callables_none_and_configs():
    assert activations.get(None) is activations.linear
    assert activations.get('relu') is activations.relu
    assert activations.get('hard_sigmoid') is activations.hard_sigmoid

    def custom(x):
        return x

    assert activations.get(custom) is custom
    assert activations.get({'class_name': 'function', 'config': 'tanh'}) is activations.tanh
    assert activations.get({'class_name': 'softplus', 'config': {}}) is activations.softplus


@pytest.mark.parametrize('name', ['relu', 'sigmoid', 'hard_sigmoid', 'softmax', 'softsign',
                                  'softplus', 'tanh', 'selu', 'elu', 'exponential', 'linear'])
def test_serialize_deserialize_round_trip(name):
    fn = getattr(activations, name)
    assert activations.serialize(fn) == name
    assert activations.deserialize(activations.serialize(fn)) is fn


def test_deserialize_prefers_custom_objects():
    def swish(x):
        return x

    assert activations.deserialize('swish', custom_objects={'swish': swish}) is swish
    assert activations.deserialize('relu', custom_objects={'relu': swish}) is swish


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        activations.get('relux')
    message = str(info.value)
    assert 'relux' in message
    for known in ('relu', 'sigmoid', 'softmax', 'selu', 'linear'):
        assert known in message


def test_uninterpretable_identifier():
    with pytest.raises(ValueError, match='activation'):
        activations.get(42)
