"""BatchNormalization: tf_keras fixtures in both phases (training output, inference output, the
moving statistics and weights after three SGD steps, including tf.keras' unbiased moving
variance where it runs its fused kernel), a NumPy formula, finite differences, errors."""
import numpy as np
import pytest

import sequence_cases
from gkeras import layers
from gkeras.backend import autodiff as ad
from gkeras.backend import selection
from gradcheck import check_gradients


def to_np(x):
    return selection.active().to_numpy(ad.raw(x))


@pytest.mark.parametrize('case', sequence_cases.names('normalization'))
def test_batch_normalization_matches_tf_keras(backend, case):
    sequence_cases.check('normalization', case)


@pytest.mark.parametrize('shape,axis,unbiased', [((6, 3), -1, False), ((4, 5, 3), 1, False),
                                                 ((2, 3, 2, 2), 1, True),
                                                 ((2, 2, 2, 3), -1, True),
                                                 ((2, 2, 3, 2), 2, False)])
def test_training_and_moving_statistics_against_numpy(backend, rng, shape, axis, unbiased):
    x = rng.normal(size=shape) * 3 + 2
    layer = layers.BatchNormalization(axis=axis, momentum=0.6, dtype='float64')
    layer.build(shape)
    gamma, beta = rng.normal(size=shape[axis]), rng.normal(size=shape[axis])
    layer.set_weights([gamma, beta, np.zeros(shape[axis]), np.ones(shape[axis])])
    reduce = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    view = [-1 if i == axis % len(shape) else 1 for i in range(len(shape))]
    mean, var = x.mean(reduce), x.var(reduce)
    want = (x - mean.reshape(view)) / np.sqrt(var.reshape(view) + 1e-3) * gamma.reshape(view) \
        + beta.reshape(view)
    np.testing.assert_allclose(to_np(layer(x, training=True)), want, rtol=1e-10)
    n = x.size // shape[axis]
    batch_var = var * n / (n - 1) if unbiased else var
    np.testing.assert_allclose(layer.get_weights()[2], 0.4 * mean, rtol=1e-10)
    np.testing.assert_allclose(layer.get_weights()[3], 0.6 + 0.4 * batch_var, rtol=1e-10)
    moving_mean, moving_var = layer.get_weights()[2:]
    inference = (x - moving_mean.reshape(view)) / np.sqrt(moving_var.reshape(view) + 1e-3) \
        * gamma.reshape(view) + beta.reshape(view)
    np.testing.assert_allclose(to_np(layer(x, training=False)), inference, rtol=1e-10)
    np.testing.assert_allclose(layer.get_weights()[2], moving_mean)  # inference keeps them


@pytest.mark.parametrize('training', [True, False])
def test_gradients(backend, rng, training):
    x = rng.normal(size=(5, 2, 3))
    layer = layers.BatchNormalization(axis=1, dtype='float64')
    layer.build((5, 2, 3))

    def run(x, gamma, beta):
        layer.gamma, layer.beta = gamma, beta
        return layer(x, training=training)
    check_gradients(run, x, rng.normal(size=2), rng.normal(size=2), noncontiguous=True)


def test_weights_config_and_frozen_layer(backend, rng):
    layer = layers.BatchNormalization(center=False)
    layer.build((None, 4))
    assert [w.name for w in layer.weights] == ['batch_normalization_1/gamma:0',
                                               'batch_normalization_1/moving_mean:0',
                                               'batch_normalization_1/moving_variance:0']
    assert len(layer.trainable_weights) == 1
    config = layer.get_config()
    assert config['momentum'] == 0.99 and config['epsilon'] == 1e-3
    assert layers.BatchNormalization.from_config(config).get_config() == config
    # tf.keras 2.x: a frozen BatchNormalization normalizes with its moving statistics
    frozen = layers.BatchNormalization(trainable=False)
    x = rng.normal(size=(4, 3)).astype(np.float32) + 5
    np.testing.assert_allclose(to_np(frozen(x, training=True)), x / np.sqrt(1 + 1e-3),
                               rtol=1e-6)
    np.testing.assert_array_equal(frozen.get_weights()[2], 0)


def test_errors_name_the_layer(backend):
    with pytest.raises(ValueError, match=r"'batch_normalization_1'.*defined dimension"):
        layers.BatchNormalization()(layers.Input(shape=(3, None)))
    with pytest.raises(ValueError, match=r"'batch_normalization_2'.*axis=3 is out of range"):
        layers.BatchNormalization(axis=3)(np.ones((2, 3), np.float32))
    layer = layers.BatchNormalization()
    layer(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"'batch_normalization_3'.*axis -1"):
        layer(np.ones((2, 4), np.float32))
