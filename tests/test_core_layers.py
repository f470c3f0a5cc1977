"""Core layers against plain NumPy and against values written by real tf_keras."""
import os

import numpy as np
import pytest

from gkeras import backend as K
from gkeras import layers
from gkeras.backend import autodiff as ad
from gradcheck import check_gradients

FIXTURES = np.load(os.path.join(os.path.dirname(__file__), 'fixtures', 'keras_reference.npz'))


def run(backend, layer, x, training=None):
    out = layer(backend.asarray(x), training=training) if training is not None else \
        layer(backend.asarray(x))
    return backend.to_numpy(out.data)


@pytest.mark.parametrize('case', ['rank2_bias_relu', 'rank2_bias_tanh', 'rank2_nobias_relu',
                                  'rank2_nobias_tanh', 'rank3_bias_relu', 'rank3_bias_tanh',
                                  'rank3_nobias_relu', 'rank3_nobias_tanh'])
def test_dense_matches_keras(backend, case):
    prefix = f'dense/{case}/'
    use_bias = 'nobias' not in case
    activation = case.rsplit('_', 1)[1]
    layer = layers.Dense(3, activation=activation, use_bias=use_bias)
    x = FIXTURES[prefix + 'x']
    layer(backend.asarray(x))
    weights = [FIXTURES[prefix + 'kernel']] + ([FIXTURES[prefix + 'bias']] if use_bias else [])
    layer.set_weights(weights)
    np.testing.assert_allclose(run(backend, layer, x), FIXTURES[prefix + 'y'], rtol=1e-5, atol=1e-6)


def test_dense_against_numpy_on_rank4_noncontiguous(backend, rng):
    x = rng.standard_normal((3, 5, 2, 4)).astype('float32').transpose(0, 2, 1, 3)  # a strided view
    layer = layers.Dense(6, activation='linear')
    layer(backend.asarray(np.ascontiguousarray(x)))
    kernel, bias = rng.standard_normal((4, 6)).astype('float32'), rng.standard_normal(6).astype('float32')
    layer.set_weights([kernel, bias])
    expected = np.einsum('abcd,de->abce', x.astype(np.float64), kernel) + bias
    np.testing.assert_allclose(run(backend, layer, x), expected, rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, 2, 5, 4)) == (None, 2, 5, 6)


def test_dense_weights_names_and_gradients(backend, rng):
    layer = layers.Dense(3, name='probe')
    layer.build((None, 4))
    assert [w.name for w in layer.weights] == ['probe/kernel:0', 'probe/bias:0']
    assert [w.shape for w in layer.weights] == [(4, 3), (3,)]
    assert layer.count_params() == 15
    kernel = rng.standard_normal((4, 3))
    bias = rng.standard_normal(3)
    x = rng.standard_normal((5, 4))

    def forward(x_t, kernel_t, bias_t):
        layer.kernel, layer.bias = kernel_t, bias_t
        return layer.call(x_t)
    check_gradients(forward, x, kernel, bias)


def test_dense_arguments_and_errors(backend):
    with pytest.raises(ValueError, match='units'):
        layers.Dense(-3)
    with pytest.raises(ValueError, match='units'):
        layers.Dense(0)
    layer = layers.Dense(2, input_dim=5)
    assert layer.batch_input_shape == (None, 5)
    layer(backend.asarray(np.ones((2, 5), 'float32')))
    with pytest.raises(ValueError, match=r"dense_\d+.*axis -1.*value 5.*\(2, 7\)"):
        layer(backend.asarray(np.ones((2, 7), 'float32')))
    with pytest.raises(ValueError, match='min_ndim=2'):
        layers.Dense(2)(backend.asarray(np.ones((3,), 'float32')))
    with pytest.raises(TypeError, match='unexpected keyword'):
        layers.Dense(2, input_shapes=(3,))


def test_auto_names_count_per_class(backend):
    K.clear_session()
    names = [layers.Dense(1).name, layers.Dense(1).name, layers.Dropout(0.1).name,
             layers.ActivityRegularization().name, layers.Dense(1).name]
    assert names == ['dense_1', 'dense_2', 'dropout_1', 'activity_regularization_1', 'dense_3']


def test_set_weights_checks_count_and_shapes(backend):
    layer = layers.Dense(2)
    layer.build((None, 3))
    with pytest.raises(ValueError, match=r'expecting 2 weights'):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r'\(3, 2\).*\(2, 3\)'):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])
    before = layer.get_weights()
    with pytest.raises(ValueError):
        layer.set_weights([np.ones((3, 2)), np.ones(5)])
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_frozen_layer_moves_weights_to_non_trainable(backend):
    layer = layers.Dense(2)
    layer.build((None, 3))
    layer.trainable = False
    assert layer.trainable_weights == []
    assert [w.name for w in layer.non_trainable_weights] == [w.name for w in layer.weights]


@pytest.mark.parametrize('name', ['relu', 'tanh', 'sigmoid', 'hard_sigmoid', 'softplus',
                                  'softsign', 'selu', 'elu', 'exponential', 'linear'])
def test_activation_layer_matches_keras_values(backend, name):
    x = FIXTURES[f'activations/{name}/x']
    np.testing.assert_allclose(run(backend, layers.Activation(name), x),
                               FIXTURES[f'activations/{name}/y'], rtol=1e-5, atol=1e-6)


def test_activation_unknown_name_lists_known(backend):
    with pytest.raises(ValueError, match='relu'):
        layers.Activation('relux')


class TestDropout:
    def test_inference_is_identity(self, backend, rng):
        x = rng.standard_normal((4, 5)).astype('float32')
        np.testing.assert_array_equal(run(backend, layers.Dropout(0.5), x), x)
        np.testing.assert_array_equal(run(backend, layers.Dropout(0.5), x, training=False), x)

    def test_training_zeroes_and_scales(self, backend):
        x = np.ones((400, 50), 'float32')
        out = run(backend, layers.Dropout(0.3, seed=3), x, training=True)
        kept = out != 0
        np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
        assert abs(kept.mean() - 0.7) < 0.02

    def test_noise_shape_broadcasts(self, backend):
        x = np.ones((8, 6, 5), 'float32')
        out = run(backend, layers.Dropout(0.5, noise_shape=(None, 1, 5), seed=1), x, training=True)
        assert np.all(out == out[:, :1, :])
        assert 0 < (out == 0).mean() < 1

    def test_seed_reproducible(self, backend):
        x = np.ones((10, 10), 'float32')
        a = run(backend, layers.Dropout(0.5, seed=7), x, training=True)
        b = run(backend, layers.Dropout(0.5, seed=7), x, training=True)
        np.testing.assert_array_equal(a, b)

    def test_gradient_masks_like_forward(self, backend, rng):
        layer = layers.Dropout(0.5, seed=11)
        x = ad.Variable(backend.asarray(rng.standard_normal((6, 7)).astype('float32')))
        out = layer(x, training=True)
        grad = ad.gradients(K.sum(out * 3.0), [x])[0]
        out_np = backend.to_numpy(out.data)
        np.testing.assert_allclose(backend.to_numpy(grad), np.where(out_np != 0, 6.0, 0.0))

    def test_rate_validated(self, backend):
        with pytest.raises(ValueError, match='rate'):
            layers.Dropout(1.5)


def test_flatten_both_data_formats(backend, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype('float32')
    np.testing.assert_array_equal(run(backend, layers.Flatten(), x), x.reshape(2, -1))
    channels_first = run(backend, layers.Flatten(data_format='channels_first'), x)
    np.testing.assert_array_equal(channels_first, x.transpose(0, 2, 3, 1).reshape(2, -1))
    assert layers.Flatten().compute_output_shape((None, 3, 4, 5)) == (None, 60)
    with pytest.raises(ValueError, match='not fully defined'):
        layers.Flatten()(layers.Input(shape=(None, 4)))


def test_reshape_with_unknown_dimension(backend, rng):
    x = rng.standard_normal((2, 3, 4)).astype('float32')
    layer = layers.Reshape((-1, 2))
    np.testing.assert_array_equal(run(backend, layer, x), x.reshape(2, 6, 2))
    assert layer.compute_output_shape((None, 3, 4)) == (None, 6, 2)
    with pytest.raises(ValueError, match='total size'):
        layers.Reshape((5, -1)).compute_output_shape((None, 3, 4))
    with pytest.raises(ValueError, match='at most one -1'):
        layers.Reshape((-1, -1))


def test_permute_is_one_based(backend, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype('float32')
    layer = layers.Permute((3, 1, 2))
    np.testing.assert_array_equal(run(backend, layer, x), x.transpose(0, 3, 1, 2))
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 5, 3, 4)
    with pytest.raises(ValueError, match='consecutive'):
        layers.Permute((0, 1))


def test_repeat_vector(backend, rng):
    x = rng.standard_normal((2, 3)).astype('float32')
    out = run(backend, layers.RepeatVector(4), x)
    np.testing.assert_array_equal(out, np.repeat(x[:, None, :], 4, axis=1))
    check_gradients(lambda t: layers.RepeatVector(4)(t), x.astype(np.float64))
    with pytest.raises(ValueError, match='ndim=2'):
        layers.RepeatVector(2)(backend.asarray(np.ones((2, 3, 4), 'float32')))


class TestLambda:
    def test_runs_function_with_arguments(self, backend, rng):
        x = rng.standard_normal((3, 4)).astype('float32')
        layer = layers.Lambda(lambda t, power: t ** power, arguments={'power': 3})
        np.testing.assert_allclose(run(backend, layer, x), x ** 3, rtol=1e-6)

    def test_output_shape_tuple_function_and_inferred(self, backend):
        inp = layers.Input(shape=(6,))
        by_tuple = layers.Lambda(lambda t: K.concatenate([t, t]), output_shape=(12,))(inp)
        by_function = layers.Lambda(lambda t: t[:, :2],
                                    output_shape=lambda s: (s[0], 2))(inp)
        inferred = layers.Lambda(lambda t: K.reshape(t, (-1, 3, 2)))(inp)
        assert by_tuple.shape == (None, 12)
        assert by_function.shape == (None, 2)
        assert inferred.shape == (None, 3, 2)

    def test_inferred_shape_keeps_unknown_time_axis(self, backend):
        inp = layers.Input(shape=(None, 4))
        out = layers.Lambda(lambda t: K.sum(t, axis=2, keepdims=True))(inp)
        assert out.shape == (None, None, 1)

    def test_bad_output_shape_function(self, backend):
        layer = layers.Lambda(lambda t: t, output_shape=lambda s: 3)
        with pytest.raises(ValueError, match='tuple'):
            layer(layers.Input(shape=(2,)))


def test_activity_regularization_adds_scaled_loss(backend, rng):
    x = rng.standard_normal((4, 3)).astype('float32')
    layer = layers.ActivityRegularization(l1=0.1, l2=0.2)
    out = run(backend, layer, x)
    np.testing.assert_array_equal(out, x)
    expected = (0.1 * np.abs(x).sum() + 0.2 * np.square(x).sum()) / x.shape[0]
    (loss,) = layer.losses
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_masking_sets_mask_and_zeroes_steps(backend):
    x = np.array([[[1., 2.], [0., 0.], [3., 0.]]], 'float32')
    out = layers.Masking(0.)(backend.asarray(x))
    np.testing.assert_array_equal(backend.to_numpy(out.data), x)
    np.testing.assert_array_equal(backend.to_numpy(out._keras_mask), [[True, False, True]])
    x2 = np.array([[[5., 5.], [1., 5.]]], 'float32')
    out2 = backend.to_numpy(layers.Masking(5.)(backend.asarray(x2)).data)
    np.testing.assert_array_equal(out2, [[[0., 0.], [1., 5.]]])


@pytest.mark.parametrize('make', [
    lambda: layers.Dense(3, activation='relu', use_bias=False, kernel_regularizer='l2'),
    lambda: layers.Activation('tanh'),
    lambda: layers.Dropout(0.25, noise_shape=(None, 1), seed=4),
    lambda: layers.Flatten(data_format='channels_first'),
    lambda: layers.Reshape((2, -1)),
    lambda: layers.Permute((2, 1)),
    lambda: layers.RepeatVector(5),
    lambda: layers.ActivityRegularization(l1=0.5),
    lambda: layers.Masking(mask_value=-1.),
])
def test_config_round_trip(backend, make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


def test_numpy_global_seed_makes_unseeded_layers_reproducible(backend):
    def draw():
        np.random.seed(1337)
        layer = layers.Dense(4)
        layer.build((None, 3))
        dropped = layers.Dropout(0.5)(backend.asarray(np.ones((4, 4), 'float32')), training=True)
        return layer.get_weights()[0], backend.to_numpy(dropped.data)
    (w1, d1), (w2, d2) = draw(), draw()
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(d1, d2)
    np.random.seed(7)
    layer = layers.Dense(4)
    layer.build((None, 3))
    assert not np.array_equal(layer.get_weights()[0], w1)


def test_weights_are_c_contiguous_whatever_the_initializer(backend):
    layer = layers.Dense(7, kernel_initializer='orthogonal')  # a wide QR comes out F-ordered
    layer.build((None, 5))
    assert all(w.data.flags['C_CONTIGUOUS'] for w in layer.weights)
