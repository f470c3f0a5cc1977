"""Convolution layers and K functions against plain NumPy loops, real Keras 2 fixtures and float64
finite differences; CuPy against NumPy; the mnist_cnn model training; bad-input errors."""
import numpy as np
import pytest

import spatial_reference as ref
from gkeras import backend as K
from gkeras import layers, optimizers
from gkeras.backend import autodiff as ad
from gkeras.backend import cupy_backend, spatial
from gkeras.models import Sequential
from gradcheck import check_gradients

FIXTURES = ref.load_fixtures()
CONV_CLASSES = ('Conv1D', 'Conv2D', 'Conv3D', 'SeparableConv1D', 'SeparableConv2D',
                'DepthwiseConv2D', 'Conv2DTranspose', 'Conv3DTranspose')
FORMATS = ('channels_last', 'channels_first')


def make_input(rng, batch, spatial_shape, channels, data_format):
    """Random input; channels_first ones are strided views (non-contiguous) on purpose."""
    x = rng.standard_normal((batch,) + tuple(spatial_shape) + (channels,)).astype('float32')
    return np.moveaxis(x, -1, 1) if data_format == 'channels_first' else x


# rank, batch, spatial, channels, kernel, strides, padding, dilation, filters, groups
CONV_CASES = [
    (1, 2, (9,), 3, (3,), (1,), 'causal', (2,), 4, 1),
    (1, 1, (10,), 2, (4,), (3,), 'same', (1,), 3, 1),
    (1, 2, (7,), 4, (2,), (2,), 'valid', (1,), 2, 2),
    (2, 2, (7, 8), 3, (3, 2), (2, 3), 'same', (1, 1), 4, 1),
    (2, 1, (6, 5), 2, (2, 3), (1, 1), 'same', (2, 1), 3, 1),
    (2, 1, (5, 7), 2, (3, 3), (2, 2), 'valid', (1, 1), 2, 1),
    (2, 1, (5, 4), 6, (2, 2), (1, 1), 'same', (1, 1), 4, 2),
    (3, 1, (4, 5, 3), 2, (2, 3, 2), (1, 2, 1), 'same', (1, 1, 1), 2, 1),
    (3, 2, (5, 4, 4), 1, (3, 2, 2), (1, 1, 1), 'valid', (2, 1, 1), 2, 1),
]


@pytest.mark.parametrize('data_format', FORMATS)
@pytest.mark.parametrize('case', CONV_CASES, ids=lambda c: f'{c[0]}d-{c[6]}-s{c[5]}-d{c[7]}')
def test_conv_layers_match_loop_reference(backend, rng, case, data_format):
    rank, batch, size, channels, kernel, strides, padding, dilation, filters, groups = case
    if padding == 'causal' and data_format == 'channels_first':
        pytest.skip('causal padding is a channels_last (temporal) option')
    layer_class = (layers.Conv1D, layers.Conv2D, layers.Conv3D)[rank - 1]
    kwargs = dict(groups=groups) if groups != 1 else {}
    layer = layer_class(filters, kernel, strides=strides, padding=padding, data_format=data_format,
                        dilation_rate=dilation, bias_initializer='random_normal', **kwargs)
    x = make_input(rng, batch, size, channels, data_format)
    y = backend.to_numpy(layer(backend.asarray(x)).data)
    kernel_value, bias = layer.get_weights()
    expected = ref.conv(x, kernel_value, strides, padding, dilation,
                        data_format == 'channels_first', groups)
    channel_shape = (1, -1) + (1,) * rank if data_format == 'channels_first' else (-1,)
    expected = expected + bias.reshape(channel_shape)
    assert y.dtype == np.float32
    assert y.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('data_format', FORMATS)
def test_k_conv_functions_match_loop_reference(backend, rng, data_format):
    first = data_format == 'channels_first'
    for rank, function in ((1, K.conv1d), (2, K.conv2d), (3, K.conv3d)):
        x = make_input(rng, 1, (5, 6, 4)[:rank], 3, data_format)
        w = rng.standard_normal((3, 2, 2)[:rank] + (3, 2)).astype('float32')
        y = function(backend.asarray(x), backend.asarray(w), strides=(2,) * rank if rank > 1 else 2,
                     padding='same', data_format=data_format)
        expected = ref.conv(x, w, (2,) * rank, 'same', (1,) * rank, first)
        np.testing.assert_allclose(backend.to_numpy(y.data), expected, rtol=1e-4, atol=1e-5)


def test_same_padding_puts_the_odd_element_after():
    # ceil(length / stride) outputs; the total padding is split with the extra one at the end
    assert spatial.padding_amounts('same', 6, 4, 1) == (1, 2)
    assert spatial.padding_amounts('same', 7, 3, 2) == (1, 1)
    assert spatial.padding_amounts('same', 8, 3, 2) == (0, 1)
    assert spatial.padding_amounts('same', 5, 3, 1, 2) == (2, 2)
    assert spatial.padding_amounts('same', 4, 1, 3) == (0, 0)
    assert spatial.padding_amounts('causal', 9, 3, 1, 2) == (4, 0)


def depthwise_reference(x, depthwise_kernel, strides, padding, dilation, channels_first):
    x = ref.to_last(x, channels_first)
    channels, multiplier = depthwise_kernel.shape[-2:]
    outputs = [ref.conv(x[..., c:c + 1], depthwise_kernel[..., c:c + 1, :], strides, padding,
                        dilation) for c in range(channels)]
    return ref.from_last(np.concatenate(outputs, axis=-1), channels_first)


@pytest.mark.parametrize('data_format', FORMATS)
def test_depthwise_and_separable_match_loop_reference(backend, rng, data_format):
    first = data_format == 'channels_first'
    x = make_input(rng, 2, (7, 6), 3, data_format)
    depthwise = layers.DepthwiseConv2D((3, 2), strides=2, padding='same', depth_multiplier=2,
                                       data_format=data_format, use_bias=False)
    y = backend.to_numpy(depthwise(backend.asarray(x)).data)
    (dw,) = depthwise.get_weights()
    assert dw.shape == (3, 2, 3, 2)
    expected = depthwise_reference(x, dw, (2, 2), 'same', (1, 1), first)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)

    for rank, layer_class in ((1, layers.SeparableConv1D), (2, layers.SeparableConv2D)):
        x = make_input(rng, 1, (8, 7)[:rank], 3, data_format)
        separable = layer_class(4, 3, padding='valid', dilation_rate=2, depth_multiplier=2,
                                data_format=data_format, bias_initializer='random_normal')
        y = backend.to_numpy(separable(backend.asarray(x)).data)
        dw, pw, bias = separable.get_weights()
        assert dw.shape == (3,) * rank + (3, 2) and pw.shape == (1,) * rank + (6, 4)
        middle = ref.to_last(depthwise_reference(x, dw, (1,) * rank, 'valid', (2,) * rank,
                                                 first), first)
        expected = ref.from_last(middle @ pw.reshape(6, 4) + bias, first)
        np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def deconv_length(length, kernel, padding, output_padding, stride, dilation):
    span = (kernel - 1) * dilation + 1
    if output_padding is None:
        return length * stride + max(span - stride, 0) if padding == 'valid' else length * stride
    pad = span // 2 if padding == 'same' else 0
    return (length - 1) * stride + span - 2 * pad + output_padding


# rank, spatial, channels, filters, kernel, strides, padding, output_padding, dilation
TRANSPOSE_CASES = [
    (2, (4, 5), 2, 3, (3, 3), (2, 2), 'same', None, (1, 1)),
    (2, (3, 4), 3, 2, (3, 2), (3, 2), 'valid', (1, 1), (1, 1)),
    (2, (3, 2), 2, 2, (4, 4), (3, 3), 'same', (2, 2), (1, 1)),
    (2, (5, 4), 3, 2, (3, 3), (1, 1), 'same', None, (2, 2)),
    (2, (4, 3), 2, 3, (2, 3), (1, 1), 'valid', None, (1, 2)),
    (3, (3, 2, 3), 2, 2, (2, 2, 3), (2, 1, 2), 'same', None, (1, 1, 1)),
    (3, (2, 3, 2), 1, 2, (3, 2, 2), (2, 2, 1), 'valid', (1, 0, 0), (1, 1, 1)),
]


@pytest.mark.parametrize('data_format', FORMATS)
@pytest.mark.parametrize('case', TRANSPOSE_CASES, ids=lambda c: f'{c[0]}d-{c[6]}-s{c[5]}')
def test_transposed_conv_matches_loop_reference(backend, rng, case, data_format):
    rank, size, channels, filters, kernel, strides, padding, output_padding, dilation = case
    kwargs = dict(dilation_rate=dilation) if rank == 2 else {}
    layer_class = layers.Conv2DTranspose if rank == 2 else layers.Conv3DTranspose
    layer = layer_class(filters, kernel, strides=strides, padding=padding,
                        output_padding=output_padding, data_format=data_format, use_bias=False,
                        **kwargs)
    x = make_input(rng, 2, size, channels, data_format)
    y = backend.to_numpy(layer(backend.asarray(x)).data)
    (w,) = layer.get_weights()
    assert w.shape == kernel + (filters, channels)
    paddings = output_padding or (None,) * rank
    out_sizes = [deconv_length(n, k, padding, p, s, d)
                 for n, k, p, s, d in zip(size, kernel, paddings, strides, dilation)]
    pads = []
    for n, out, k, s, d in zip(size, out_sizes, kernel, strides, dilation):
        total = max((n - 1) * s + (k - 1) * d + 1 - out, 0) if padding == 'same' else 0
        pads.append((total // 2, total - total // 2))
    expected = ref.conv_transpose(x, w, out_sizes, strides, pads, dilation,
                                  data_format == 'channels_first')
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_k_conv2d_transpose_is_the_adjoint_of_conv2d(backend, rng):
    # <conv2d(a, w), b> == <a, conv2d_transpose(b, w)> for every a, b: the defining property
    a = rng.standard_normal((2, 9, 8, 3))
    w = rng.standard_normal((3, 2, 3, 4))
    for padding in ('valid', 'same'):
        forward = K.conv2d(backend.asarray(a), backend.asarray(w), (2, 3), padding)
        b = rng.standard_normal(forward.shape)
        back = K.conv2d_transpose(backend.asarray(b), backend.asarray(w), a.shape, (2, 3),
                                  padding)
        left = np.sum(backend.to_numpy(forward.data) * b)
        right = np.sum(a * backend.to_numpy(back.data))
        np.testing.assert_allclose(left, right, rtol=1e-10)


@pytest.mark.parametrize('case', ref.fixture_cases(FIXTURES, 'layer', CONV_CLASSES))
def test_conv_layers_match_keras_fixtures(backend, case):
    ref.check_layer_fixture(FIXTURES, case, layers, backend)


@pytest.mark.parametrize('case', [c for c in ref.fixture_cases(FIXTURES, 'layer', CONV_CLASSES)
                                  if 'causal' not in c])
def test_channels_first_matches_transposed_keras_fixtures(backend, case):
    ref.check_layer_fixture(FIXTURES, case, layers, backend, channels_first=True)


@pytest.mark.parametrize('case', ['conv2d_maxpool', 'conv1d_avgpool', 'depthwise_separable',
                                  'conv2d_transpose', 'conv3d_transpose'])
def test_one_sgd_step_matches_keras(backend, case):
    ref.check_train_fixture(FIXTURES, case, backend)


# ---------------------------------------------------------------------------------------------
# float64 finite differences (small shapes)

@pytest.mark.parametrize('data_format', FORMATS)
def test_conv_gradients(backend, rng, data_format):
    def conv(strides, padding, dilation, groups=1):
        return lambda x, w: spatial.convolution(x, w, strides, padding, data_format, dilation,
                                                groups)
    first = data_format == 'channels_first'

    def shaped(batch, size, channels):
        x = rng.standard_normal((batch,) + size + (channels,))
        return np.moveaxis(x, -1, 1) if first else x
    check_gradients(conv(2, 'same', 1), shaped(2, (5,), 2), rng.standard_normal((3, 2, 3)),
                    noncontiguous=True)
    check_gradients(conv((1, 2), 'valid', (2, 1)), shaped(1, (5, 5), 2),
                    rng.standard_normal((2, 2, 2, 3)), noncontiguous=True)
    check_gradients(conv(1, 'same', 1, groups=2), shaped(1, (3, 4), 4),
                    rng.standard_normal((2, 3, 2, 4)))
    check_gradients(conv((2, 1, 1), 'same', 1), shaped(1, (3, 3, 2), 2),
                    rng.standard_normal((2, 2, 1, 2, 2)))


@pytest.mark.parametrize('make', [lambda **kw: layers.Conv1D(4, 3, padding='causal', **kw),
                                  lambda **kw: layers.Conv2D(4, 3, strides=2, **kw),
                                  lambda **kw: layers.DepthwiseConv2D(2, **kw)])
def test_relu_activation_equals_a_separate_relu_forward_and_backward(backend, rng, make):
    # Conv layers apply a relu activation inside the convolution's pass: same numbers as a
    # linear layer followed by relu, gradients included (the relu's at 0 is 0)
    fused, plain = make(activation='relu'), make()
    shape = (2, 7, 3) if isinstance(fused, layers.Conv1D) else (2, 7, 6, 3)
    x = backend.asarray(rng.standard_normal(shape).astype('float32'))
    fused.build(shape)
    plain.build(shape)
    plain.set_weights(fused.get_weights())
    assert fused.get_config()['activation'] == 'relu'
    outputs, grads = [], []
    for layer, activation in ((fused, None), (plain, K.relu)):
        y = layer(ad.as_tensor(x))
        y = activation(y) if activation else y
        outputs.append(backend.to_numpy(y.data))
        loss = ad.reduce_sum(y * ad.as_tensor(backend.asarray(np.arange(y.size, dtype='float32')
                                                              .reshape(y.shape) % 5 - 2)))
        grads.append([backend.to_numpy(g) for g in ad.gradients(loss, layer.trainable_weights)])
    assert (outputs[0] == 0).any() and (outputs[0] > 0).any()
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-6, atol=1e-6)
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_causal_conv_gradients(backend, rng):
    check_gradients(lambda x, w: K.conv1d(x, w, padding='causal', dilation_rate=2),
                    rng.standard_normal((2, 6, 2)), rng.standard_normal((3, 2, 2)))


@pytest.mark.parametrize('data_format', FORMATS)
def test_transposed_conv_gradients(backend, rng, data_format):
    first = data_format == 'channels_first'
    x = rng.standard_normal((2, 3, 3, 2, 2)[:4])
    x = np.moveaxis(x, -1, 1) if first else x
    w = rng.standard_normal((3, 2, 3, 2))
    out = (2, 3, 7, 5) if first else (2, 7, 5, 3)
    check_gradients(lambda a, b: K.conv2d_transpose(a, b, out, (2, 2), 'same', data_format),
                    x, w, noncontiguous=True)
    x3 = rng.standard_normal((1, 2, 2, 2, 2))
    out3 = (1, 4, 3, 4, 2)
    check_gradients(lambda a, b: K.conv3d_transpose(a, b, out3, (2, 1, 2), 'valid'),
                    x3, rng.standard_normal((2, 2, 2, 2, 2)))


def test_depthwise_and_separable_gradients(backend, rng):
    x = rng.standard_normal((2, 4, 4, 2))
    check_gradients(lambda a, d: K.depthwise_conv2d(a, d, (2, 2), 'same'),
                    x, rng.standard_normal((3, 3, 2, 2)), noncontiguous=True)
    check_gradients(lambda a, d, p: K.separable_conv2d(a, d, p, (1, 1), 'valid'),
                    x, rng.standard_normal((2, 2, 2, 2)), rng.standard_normal((1, 1, 4, 3)))
    check_gradients(lambda a, d, p: K.separable_conv1d(a, d, p, 1, 'causal'),
                    rng.standard_normal((1, 5, 2)), rng.standard_normal((2, 2, 1)),
                    rng.standard_normal((1, 2, 2)))


# ---------------------------------------------------------------------------------------------
# CuPy kernels against the NumPy path

def _on(name, fn, *arrays):
    backend = K.set_backend(name)
    try:
        tensors = [ad.Variable(backend.asarray(a)) for a in arrays]
        out = fn(*tensors)
        r = np.random.default_rng(7).standard_normal(out.shape).astype(out.dtype)
        grads = ad.gradients(ad.reduce_sum(out * backend.asarray(r)), tensors)
        return [backend.to_numpy(out.data)] + [backend.to_numpy(g) for g in grads]
    finally:
        K.set_backend('numpy')


def assert_same_on_cupy(fn, *arrays, rtol=1e-4, atol=1e-5):
    if not cupy_backend.is_available():
        pytest.skip('CuPy with a CUDA GPU is not available on this machine')
    for expected, got in zip(_on('numpy', fn, *arrays), _on('cupy', fn, *arrays)):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize('data_format', FORMATS)
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_cupy_conv_kernels_match_numpy(rng, data_format, dtype):
    first = data_format == 'channels_first'

    def data(*shape):
        return rng.standard_normal(shape).astype(dtype)
    x2 = data(3, 4, 11, 9) if first else data(3, 11, 9, 4)
    assert_same_on_cupy(lambda x, w: K.conv2d(x, w, (2, 1), 'same', data_format), x2,
                        data(3, 3, 4, 5))
    assert_same_on_cupy(lambda x, w: K.conv2d(x, w, (1, 1), 'valid', data_format, (2, 3)), x2,
                        data(2, 3, 4, 6))
    assert_same_on_cupy(lambda x, w: spatial.convolution(x, w, 1, 'same', data_format, 1, 2), x2,
                        data(3, 2, 2, 6))
    x1 = data(2, 3, 13) if first else data(2, 13, 3)
    assert_same_on_cupy(lambda x, w: K.conv1d(x, w, 3, 'valid', data_format), x1, data(4, 3, 5))
    x3 = data(2, 2, 5, 6, 4) if first else data(2, 5, 6, 4, 2)
    assert_same_on_cupy(lambda x, w: K.conv3d(x, w, (2, 1, 2), 'same', data_format), x3,
                        data(2, 3, 2, 2, 3))
    out = (3, 5, 21, 9) if first else (3, 21, 9, 5)
    assert_same_on_cupy(lambda x, w: K.conv2d_transpose(x, w, out, (2, 1), 'valid', data_format),
                        x2, data(3, 1, 5, 4))
    assert_same_on_cupy(lambda x, d, p: K.separable_conv2d(x, d, p, (1, 1), 'same', data_format),
                        x2, data(3, 3, 4, 2), data(1, 1, 8, 3))


# ---------------------------------------------------------------------------------------------
# Layers: weights, configs, the mnist_cnn model, errors

def test_conv_weights_names_shapes_and_order(backend):
    layer = layers.Conv2D(5, (3, 2), name='c')
    layer.build((None, 8, 8, 3))
    assert [w.name for w in layer.weights] == ['c/kernel:0', 'c/bias:0']
    assert [w.shape for w in layer.weights] == [(3, 2, 3, 5), (5,)]
    separable = layers.SeparableConv2D(4, 3, depth_multiplier=2, name='s')
    separable.build((None, 8, 8, 3))
    assert [w.name for w in separable.weights] == ['s/depthwise_kernel:0',
                                                   's/pointwise_kernel:0', 's/bias:0']
    assert [w.shape for w in separable.weights] == [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]
    depthwise = layers.DepthwiseConv2D(3, depth_multiplier=3, data_format='channels_first',
                                       name='d')
    depthwise.build((None, 2, 8, 8))
    assert [w.shape for w in depthwise.weights] == [(3, 3, 2, 3), (6,)]
    transpose = layers.Conv3DTranspose(4, 2, name='t')
    transpose.build((None, 3, 3, 3, 2))
    assert [w.shape for w in transpose.weights] == [(2, 2, 2, 4, 2), (4,)]
    assert transpose.compute_output_shape((None, 3, 3, 3, 2)) == (None, 4, 4, 4, 4)
    grouped = layers.Conv1D(6, 3, groups=3)
    grouped.build((None, 7, 9))
    assert grouped.kernel.shape == (3, 3, 6)


CONV_CONFIG_KEYS = {'name', 'trainable', 'dtype', 'filters', 'kernel_size', 'strides', 'padding',
                    'data_format', 'dilation_rate', 'activation', 'use_bias',
                    'kernel_initializer', 'bias_initializer', 'kernel_regularizer',
                    'bias_regularizer', 'activity_regularizer', 'kernel_constraint',
                    'bias_constraint'}
SEPARABLE_KEYS = (CONV_CONFIG_KEYS - {'kernel_initializer', 'kernel_regularizer',
                                      'kernel_constraint'}
                  | {'depth_multiplier', 'depthwise_initializer', 'pointwise_initializer',
                     'depthwise_regularizer', 'pointwise_regularizer', 'depthwise_constraint',
                     'pointwise_constraint'})


@pytest.mark.parametrize('make, keys', [
    (lambda: layers.Conv1D(3, 2, padding='causal', dilation_rate=2), CONV_CONFIG_KEYS),
    (lambda: layers.Conv2D(3, (2, 3), strides=2, activation='relu'), CONV_CONFIG_KEYS),
    (lambda: layers.Conv3D(2, 2, data_format='channels_first'), CONV_CONFIG_KEYS),
    (lambda: layers.SeparableConv1D(3, 2, depth_multiplier=2), SEPARABLE_KEYS),
    (lambda: layers.SeparableConv2D(3, 2), SEPARABLE_KEYS),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2),
     SEPARABLE_KEYS - {'filters', 'pointwise_initializer', 'pointwise_regularizer',
                       'pointwise_constraint'}),
    (lambda: layers.Conv2DTranspose(3, 3, strides=2, output_padding=1),
     CONV_CONFIG_KEYS | {'output_padding'}),
    (lambda: layers.Conv3DTranspose(3, 2, padding='same'),
     CONV_CONFIG_KEYS - {'dilation_rate'} | {'output_padding'}),
], ids=['conv1d', 'conv2d', 'conv3d', 'sep1d', 'sep2d', 'depthwise', 'conv2dT', 'conv3dT'])
def test_conv_config_keys_and_round_trip(backend, rng, make, keys):
    layer = make()
    config = layer.get_config()
    assert set(config) == keys
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    rank = len(config['kernel_size'])
    x = rng.standard_normal((1,) + (6,) * rank + (2,)).astype('float32')
    if config['data_format'] == 'channels_first':
        x = np.moveaxis(x, -1, 1)
    layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(backend.to_numpy(clone(x).data),
                                  backend.to_numpy(layer(x).data))


def test_groups_only_in_config_when_not_one(backend):
    assert 'groups' not in layers.Conv2D(4, 3).get_config()
    assert layers.Conv2D(4, 3, groups=2).get_config()['groups'] == 2


def mnist_cnn():
    """The mnist_cnn model of shared/BENCH.md."""
    return Sequential([
        layers.Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)),
        layers.Conv2D(64, (3, 3), activation='relu'),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation='relu'),
        layers.Dropout(0.5),
        layers.Dense(10, activation='softmax'),
    ])


def test_mnist_cnn_trains(backend, rng):
    model = mnist_cnn()
    model.compile(optimizers.Adam(), 'sparse_categorical_crossentropy', metrics=['accuracy'])
    assert model.count_params() == 1199882
    x = rng.random((8, 28, 28, 1)).astype('float32')
    y = rng.integers(0, 10, 8)
    losses = [float(np.asarray(model.train_on_batch(x, y)[0])) for _ in range(10)]
    assert np.isfinite(losses).all()
    assert np.mean(losses[-3:]) < 0.85 * np.mean(losses[:2]), losses


def owner_error(layer_name):
    return pytest.raises(ValueError, match=layer_name)


def test_kernel_larger_than_valid_input_is_a_value_error_naming_the_layer(backend):
    layer = layers.Conv2D(2, 5, name='too_big')
    with owner_error("'too_big'"):
        layer(np.zeros((1, 4, 6, 1), 'float32'))
    with owner_error("'too_big_3d'"):
        layers.Conv3D(2, (1, 3, 1), name='too_big_3d').compute_output_shape((None, 4, 2, 4, 1))
    with owner_error("'dilated'"):
        layers.Conv1D(2, 3, dilation_rate=3, name='dilated')(np.zeros((1, 6, 1), 'float32'))
    with owner_error("'small_after_build'"):
        small = layers.Conv2D(2, 3, name='small_after_build')
        small(np.zeros((1, 5, 5, 1), 'float32'))
        small(np.zeros((1, 2, 5, 1), 'float32'))
    with pytest.raises(ValueError, match='conv2d'):
        K.conv2d(np.zeros((1, 2, 2, 1)), np.zeros((3, 3, 1, 1)))


def test_wrong_rank_is_a_value_error_naming_the_layer(backend):
    with owner_error("'conv_rank'"):
        layers.Conv2D(2, 3, name='conv_rank')(np.zeros((1, 5, 5), 'float32'))
    with owner_error("'conv1d_rank'"):
        layers.Conv1D(2, 3, name='conv1d_rank')(np.zeros((1, 5, 5, 1), 'float32'))
    with owner_error("'t_rank'"):
        layers.Conv2DTranspose(2, 3, name='t_rank')(np.zeros((1, 5, 5, 1, 1), 'float32'))


@pytest.mark.parametrize('make', [
    lambda: layers.Conv2D(-1, 3, name='bad'),
    lambda: layers.Conv2D(0, 3, name='bad'),
    lambda: layers.Conv2D(2, -3, name='bad'),
    lambda: layers.Conv2D(2, (3, 0), name='bad'),
    lambda: layers.Conv1D(2, 3, strides=0, name='bad'),
    lambda: layers.Conv3D(2, 3, dilation_rate=-1, name='bad'),
    lambda: layers.SeparableConv2D(2, 3, depth_multiplier=0, name='bad'),
    lambda: layers.DepthwiseConv2D(3, depth_multiplier=-2, name='bad'),
    lambda: layers.Conv2DTranspose(2, 3, output_padding=-1, name='bad'),
    lambda: layers.Conv2D(2, (3, 3, 3), name='bad'),
    lambda: layers.Conv2D(2, 3.5, name='bad'),
], ids=['filters<0', 'filters=0', 'kernel<0', 'kernel=0', 'stride=0', 'dilation<0',
        'multiplier=0', 'multiplier<0', 'output_padding<0', 'kernel-rank', 'kernel-float'])
def test_negative_or_zero_sizes_are_value_errors_naming_the_layer(make):
    with owner_error("'bad'"):
        make()


def test_strides_with_dilation_are_refused_as_keras_does():
    with owner_error("'both'"):
        layers.Conv2D(2, 3, strides=2, dilation_rate=2, name='both')
    with owner_error("'both1d'"):
        layers.SeparableConv1D(2, 3, strides=(2,), dilation_rate=3, name='both1d')
    with owner_error("'both_dw'"):
        layers.DepthwiseConv2D(3, strides=(1, 2), dilation_rate=(2, 1), name='both_dw')
    layers.Conv2D(2, 3, strides=(2, 1), dilation_rate=1)
    layers.Conv2D(2, 3, strides=1, dilation_rate=(1, 2))


def test_other_bad_arguments_are_value_errors_naming_the_layer(backend):
    with owner_error("'causal2d'"):
        layers.Conv2D(2, 3, padding='causal', name='causal2d')
    with owner_error("'op'"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2, name='op')
    with owner_error("'groups'"):
        layers.Conv2D(3, 3, groups=2, name='groups')
    with owner_error("'groups_in'"):
        layers.Conv2D(4, 3, groups=2, name='groups_in')(np.zeros((1, 5, 5, 3), 'float32'))
    with owner_error("'pad'"):
        layers.Conv2D(2, 3, padding='full', name='pad')
    with owner_error("'channels'"):
        conv = layers.Conv2D(2, 3, name='channels')
        conv(np.zeros((1, 5, 5, 3), 'float32'))
        conv(np.zeros((1, 5, 5, 4), 'float32'))
