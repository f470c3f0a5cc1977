"""Pooling layers and K.pool2d/pool3d against plain NumPy loops, real Keras 2 fixtures and float64
finite differences; CuPy against NumPy; configs and bad-input errors."""
import numpy as np
import pytest

import spatial_reference as ref
from gkeras import backend as K
from gkeras import layers
from gkeras.backend import spatial
from gradcheck import check_gradients
from test_conv import FORMATS, assert_same_on_cupy, make_input, owner_error

FIXTURES = ref.load_fixtures()
POOL_CLASSES = tuple(f'{kind}Pooling{rank}D' for kind in ('Max', 'Average', 'GlobalMax',
                                                         'GlobalAverage') for rank in (1, 2, 3))
POOL_LAYERS = {('max', 1): layers.MaxPooling1D, ('max', 2): layers.MaxPooling2D,
               ('max', 3): layers.MaxPooling3D, ('avg', 1): layers.AveragePooling1D,
               ('avg', 2): layers.AveragePooling2D, ('avg', 3): layers.AveragePooling3D}

# rank, batch, spatial, channels, pool_size, strides, padding
POOL_CASES = [
    (1, 2, (8,), 3, (3,), (2,), 'same'),
    (1, 1, (7,), 2, (2,), None, 'valid'),
    (2, 2, (7, 6), 3, (3, 3), (2, 2), 'same'),
    (2, 1, (5, 7), 2, (2, 3), (1, 2), 'valid'),
    (2, 1, (6, 5), 1, (3, 2), (3, 1), 'same'),
    (2, 2, (4, 4), 2, (2, 2), None, 'valid'),
    (3, 1, (3, 5, 4), 2, (2, 3, 2), (1, 2, 2), 'same'),
    (3, 2, (4, 4, 5), 1, (2, 2, 2), None, 'valid'),
]


@pytest.mark.parametrize('mode', ['max', 'avg'])
@pytest.mark.parametrize('data_format', FORMATS)
@pytest.mark.parametrize('case', POOL_CASES, ids=lambda c: f'{c[0]}d-{c[6]}-p{c[4]}-s{c[5]}')
def test_pooling_layers_match_loop_reference(backend, rng, case, data_format, mode):
    rank, batch, size, channels, pool_size, strides, padding = case
    layer = POOL_LAYERS[mode, rank](pool_size, strides=strides, padding=padding,
                                    data_format=data_format)
    x = make_input(rng, batch, size, channels, data_format)
    y = backend.to_numpy(layer(backend.asarray(x)).data)
    expected = ref.pool(x, pool_size, strides or pool_size, padding, mode,
                        data_format == 'channels_first')
    assert y.dtype == np.float32
    assert y.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_same_average_pooling_counts_only_real_elements(backend):
    # 3-wide windows, stride 2, 'same' on 4 elements: padding (0, 1), windows cover the real
    # rows {0, 1, 2} and {2, 3}. The mean of ones is 1 (not 4/9), and each window's gradient
    # is shared by its real elements only: per axis a = [1/3, 1/3, 1/3 + 1/2, 1/2].
    x = K.variable(np.ones((1, 4, 4, 1)), dtype='float64')
    y = K.pool2d(x, (3, 3), (2, 2), 'same', pool_mode='avg')
    np.testing.assert_allclose(backend.to_numpy(y.data), np.ones((1, 2, 2, 1)))
    (grad,) = K.gradients(K.sum(y), [x])
    per_axis = np.array([1 / 3, 1 / 3, 1 / 3 + 1 / 2, 1 / 2])
    np.testing.assert_allclose(backend.to_numpy(grad.data)[0, :, :, 0],
                               np.outer(per_axis, per_axis))


def test_max_pooling_gradient_goes_to_the_first_maximum(backend):
    # ties: TensorFlow sends the whole gradient of a window to its first maximum (row-major)
    x = np.array([[1, 3, 3], [3, 2, 0], [0, 3, 3]], 'float64').reshape(1, 3, 3, 1)
    xv = K.variable(x, dtype='float64')
    y = K.pool2d(xv, (2, 2), (1, 1))
    np.testing.assert_array_equal(backend.to_numpy(y.data)[0, :, :, 0], [[3, 3], [3, 3]])
    (grad,) = K.gradients(K.sum(y), [xv])
    np.testing.assert_array_equal(backend.to_numpy(grad.data)[0, :, :, 0],
                                  [[0, 2, 0], [1, 0, 0], [0, 1, 0]])


@pytest.mark.parametrize('case', ref.fixture_cases(FIXTURES, 'layer', POOL_CLASSES))
def test_pooling_layers_match_keras_fixtures(backend, case):
    ref.check_layer_fixture(FIXTURES, case, layers, backend)


@pytest.mark.parametrize('case', ref.fixture_cases(FIXTURES, 'layer', POOL_CLASSES))
def test_channels_first_pooling_matches_transposed_keras_fixtures(backend, case):
    ref.check_layer_fixture(FIXTURES, case, layers, backend, channels_first=True)


@pytest.mark.parametrize('data_format', FORMATS)
@pytest.mark.parametrize('mode', ['max', 'avg'])
def test_pooling_gradients(backend, rng, data_format, mode):
    first = data_format == 'channels_first'

    def shaped(size):
        # distinct values, so each max-pool window has a single maximum
        x = rng.permutation(np.prod(size)).reshape(size) / 7.0
        return np.moveaxis(x, -1, 1) if first else x
    for size, pool_size, strides, padding in [((2, 7, 2), (3,), (2,), 'same'),
                                              ((1, 5, 4, 2), (2, 3), (2, 1), 'same'),
                                              ((1, 4, 5, 1), (2, 2), (1, 2), 'valid'),
                                              ((1, 3, 4, 3, 1), (2, 2, 2), (1, 2, 2), 'same')]:
        check_gradients(lambda x: spatial.pooling(x, pool_size, strides, padding, data_format,
                                                  mode), shaped(size), noncontiguous=True)


@pytest.mark.parametrize('data_format', FORMATS)
def test_global_pooling(backend, rng, data_format):
    first = data_format == 'channels_first'
    for rank in (1, 2, 3):
        x = make_input(rng, 2, (3, 4, 2)[:rank], 3, data_format)
        axes = tuple(range(2, 2 + rank)) if first else tuple(range(1, 1 + rank))
        for layer_class, reduce in ((f'GlobalMaxPooling{rank}D', np.max),
                                    (f'GlobalAveragePooling{rank}D', np.mean)):
            layer = getattr(layers, layer_class)(data_format=data_format)
            np.testing.assert_allclose(backend.to_numpy(layer(x).data), reduce(x, axis=axes),
                                       rtol=1e-6)
            kept = getattr(layers, layer_class)(data_format=data_format, keepdims=True)
            np.testing.assert_allclose(backend.to_numpy(kept(x).data),
                                       reduce(x, axis=axes, keepdims=True), rtol=1e-6)
            assert kept.compute_output_shape(x.shape) == reduce(x, axis=axes,
                                                                keepdims=True).shape
    check_gradients(lambda x: layers.GlobalMaxPooling2D()(x), rng.standard_normal((2, 3, 2, 2)))


def test_global_average_pooling_1d_averages_unmasked_steps(backend, rng):
    x = rng.standard_normal((2, 5, 3)).astype('float32')
    mask = np.array([[1, 1, 0, 1, 0], [1, 0, 0, 0, 0]], bool)
    y = layers.GlobalAveragePooling1D()(backend.asarray(x), mask=backend.asarray(mask))
    expected = np.stack([x[0, mask[0]].mean(axis=0), x[1, mask[1]].mean(axis=0)])
    np.testing.assert_allclose(backend.to_numpy(y.data), expected, rtol=1e-6)
    masked = layers.Masking(0.0)
    x[0, 2] = 0
    out = layers.GlobalAveragePooling1D()(masked(backend.asarray(x)))
    np.testing.assert_allclose(backend.to_numpy(out.data)[0],
                               np.delete(x[0], 2, axis=0).mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize('data_format', FORMATS)
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_cupy_pooling_kernels_match_numpy(rng, data_format, dtype):
    first = data_format == 'channels_first'

    def data(*shape):
        return rng.standard_normal(shape).astype(dtype)
    x2 = data(3, 4, 11, 9) if first else data(3, 11, 9, 4)
    x3 = data(2, 2, 5, 6, 7) if first else data(2, 5, 6, 7, 2)
    for mode in ('max', 'avg'):
        assert_same_on_cupy(lambda x: K.pool2d(x, (3, 2), (2, 2), 'same', data_format, mode), x2)
        assert_same_on_cupy(lambda x: K.pool2d(x, (2, 2), (2, 2), 'valid', data_format, mode),
                            x2)
        assert_same_on_cupy(lambda x: K.pool3d(x, (2, 3, 2), (1, 2, 2), 'same', data_format,
                                               mode), x3)
        assert_same_on_cupy(lambda x: spatial.pooling(x, (3,), (2,), 'same', data_format, mode),
                            x2[:, 0] if first else x2[:, :, 0])
    ties = np.floor(data(*x2.shape) * 2)
    assert_same_on_cupy(lambda x: K.pool2d(x, (2, 2), (1, 1), 'valid', data_format), ties)


POOL_KEYS = {'name', 'trainable', 'dtype', 'pool_size', 'strides', 'padding', 'data_format'}


@pytest.mark.parametrize('layer_class', [layers.MaxPooling1D, layers.AveragePooling2D,
                                         layers.MaxPooling3D])
def test_pooling_config_round_trip(layer_class):
    layer = layer_class(padding='same')
    config = layer.get_config()
    assert set(config) == POOL_KEYS
    assert config['strides'] == config['pool_size']
    assert layer_class.from_config(config).get_config() == config
    assert layers.MaxPooling1D().get_config()['data_format'] == 'channels_last'
    glob = layers.GlobalAveragePooling2D().get_config()
    assert set(glob) == {'name', 'trainable', 'dtype', 'data_format'}
    assert layers.GlobalMaxPooling1D(keepdims=True).get_config()['keepdims'] is True


def test_pooling_errors_name_the_layer(backend):
    with owner_error("'big_pool'"):
        layers.MaxPooling2D((3, 3), name='big_pool')(np.zeros((1, 2, 5, 1), 'float32'))
    with owner_error("'big_pool3d'"):
        layers.AveragePooling3D(3, name='big_pool3d').compute_output_shape((None, 4, 2, 4, 1))
    with owner_error("'rank_pool'"):
        layers.MaxPooling2D(name='rank_pool')(np.zeros((1, 4, 4), 'float32'))
    with owner_error("'rank_global'"):
        layers.GlobalAveragePooling1D(name='rank_global')(np.zeros((1, 4, 4, 1), 'float32'))
    for bad in (dict(pool_size=0), dict(pool_size=-2), dict(strides=0), dict(strides=(1, -1)),
                dict(padding='causal'), dict(pool_size=(2, 2, 2))):
        with owner_error("'bad_pool'"):
            layers.MaxPooling2D(name='bad_pool', **bad)
    with pytest.raises(ValueError, match='pool2d'):
        K.pool2d(np.zeros((1, 2, 2, 1)), (3, 3))
    with pytest.raises(ValueError, match='pool_mode'):
        K.pool2d(np.zeros((1, 4, 4, 1)), (2, 2), pool_mode='sum')
