"""Advanced activation layers against tf_keras fixtures (outputs, input gradients, PReLU alpha
after SGD) and finite differences; noise layers: identity at inference, the right statistics in
training."""
import numpy as np
import pytest

import sequence_cases
from gkeras import backend as K
from gkeras import layers
from gkeras.backend import autodiff as ad
from gkeras.backend import selection
from gradcheck import check_gradients


def to_np(x):
    return selection.active().to_numpy(ad.raw(x))


@pytest.mark.parametrize('case', sequence_cases.names('activations'))
def test_advanced_activations_match_tf_keras(backend, case):
    sequence_cases.check('activations', case)


@pytest.mark.parametrize('make', [
    lambda: layers.LeakyReLU(0.2), lambda: layers.ELU(0.5), lambda: layers.ThresholdedReLU(0.4),
    lambda: layers.Softmax(axis=1), lambda: layers.ReLU(2.0, 0.1, 0.3)])
def test_gradients(backend, rng, make):
    x = rng.uniform(0.05, 3, size=(3, 4)) * rng.choice([-1, 1], size=(3, 4))
    check_gradients(lambda x: make()(x), x, noncontiguous=True)


def test_prelu_shared_axes_and_gradients(backend, rng):
    layer = layers.PReLU(shared_axes=[1], dtype='float64')
    layer.build((None, 3, 2))
    assert layer.weights[0].shape == (1, 2) and layer.weights[0].name == 'p_re_lu_1/alpha:0'
    x = rng.uniform(0.1, 2, size=(2, 3, 2)) * rng.choice([-1, 1], size=(2, 3, 2))

    def run(x, alpha):
        layer.alpha = alpha
        return layer(x)
    check_gradients(run, x, rng.normal(size=(1, 2)))
    with pytest.raises(ValueError, match=r"'p_re_lu_2'.*shared axis 3"):
        layers.PReLU(shared_axes=3)(np.ones((2, 3, 2), np.float32))


def test_configs_and_errors(backend):
    for layer in (layers.LeakyReLU(0.1), layers.PReLU(shared_axes=[1, 2]), layers.ELU(0.3),
                  layers.ThresholdedReLU(0.2), layers.Softmax(axis=1),
                  layers.ReLU(6., 0.1, 0.5), layers.GaussianNoise(0.3),
                  layers.GaussianDropout(0.2), layers.AlphaDropout(0.1, seed=3)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert layers.LeakyReLU().alpha == 0.3 and layers.ELU().alpha == 1.0
    assert layers.ThresholdedReLU().theta == 1.0
    with pytest.raises(ValueError, match=r"'re_lu_2'.*max_value cannot be negative"):
        layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match=r"'re_lu_3'.*negative_slope"):
        layers.ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match=r"'gaussian_dropout_2'.*rate"):
        layers.GaussianDropout(1.5)


# ---------------------------------------------------------------------------------------------
# Noise

@pytest.mark.parametrize('make', [lambda: layers.GaussianNoise(0.5),
                                  lambda: layers.GaussianDropout(0.3),
                                  lambda: layers.AlphaDropout(0.3)])
def test_noise_is_identity_at_inference(backend, rng, make):
    x = rng.normal(size=(4, 5)).astype(np.float32)
    layer = make()
    np.testing.assert_array_equal(to_np(layer(x)), x)
    np.testing.assert_array_equal(to_np(layer(x, training=False)), x)
    assert not np.allclose(to_np(layer(x, training=True)), x)


def test_gaussian_noise_and_dropout_statistics(backend):
    x = np.full((400, 500), 2.0, np.float32)
    noisy = to_np(layers.GaussianNoise(0.5)(x, training=True))
    assert abs(noisy.mean() - 2.0) < 0.01 and abs(noisy.std() - 0.5) < 0.01
    rate = 0.3
    dropped = to_np(layers.GaussianDropout(rate)(x, training=True))
    assert abs(dropped.mean() - 2.0) < 0.02
    assert abs(dropped.std() - 2.0 * np.sqrt(rate / (1 - rate))) < 0.02


def test_alpha_dropout_keeps_selu_moments_and_noise_shape(backend, rng):
    x = rng.normal(size=(400, 500)).astype(np.float32)
    layer = layers.AlphaDropout(0.2, seed=5)
    out = to_np(layer(x, training=True))
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.02
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p ** 2)) ** -0.5
    dropped = np.isclose(out, a * alpha_p - a * alpha_p * 0.2, atol=1e-5)
    assert abs(dropped.mean() - 0.2) < 0.01
    kept = ~dropped
    np.testing.assert_allclose(out[kept], a * x[kept] - a * alpha_p * 0.2, rtol=1e-5, atol=1e-5)
    # the same seed gives a new mask on each call, and noise_shape broadcasts the mask
    assert not np.array_equal(out, to_np(layer(x, training=True)))
    shared = to_np(layers.AlphaDropout(0.5, noise_shape=(None, 1))(x[:8], training=True))
    row_dropped = np.isclose(shared, a * alpha_p - a * alpha_p * 0.5, atol=1e-5)
    assert np.all(row_dropped.all(axis=1) | ~row_dropped.any(axis=1))


def test_noise_in_a_model_trains(backend, rng):
    from gkeras.models import Sequential
    model = Sequential([layers.Dense(4, input_shape=(3,)), layers.GaussianNoise(0.1),
                        layers.AlphaDropout(0.1), layers.GaussianDropout(0.1), layers.Dense(1)])
    model.compile('sgd', 'mse')
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    model.train_on_batch(x, y)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))
    assert K.int_shape(model.output) == (None, 1)
