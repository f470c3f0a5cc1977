"""The paths inside the spatial kernels that the layer tests do not reach on their own: the
blocked convolution at several block sizes, the stride-1 input gradient tap by tap (and its
col2im fallback), the bias added inside the convolution, pooling over disjoint windows (padding, gaps,
ties) and non-finite pooling gradients. References: the plain loops of spatial_reference, a loop
written here, float64 finite differences."""
import itertools

import numpy as np
import pytest

import spatial_reference as ref
from gkeras import backend as K
from gkeras.backend import autodiff as ad
from gkeras.backend import spatial
from gkeras.backend.numpy_backend import NumpyBackend
from gradcheck import check_gradients
from test_conv import FORMATS, make_input

# block_bytes: 1 = one row of the first output axis per block, 800 = a few such rows (float32),
# 3000 = a few images per block; padding is written into the reused block buffer
BLOCK_BYTES = [1, 800, 3000]

# rank, batch, spatial, channels, kernel, strides, padding, dilation, filters. Receptive fields
# of fewer than 4 channels are copied tap by tap, of more window by window; the input gradient
# is one product per kernel tap for stride 1 and more than one input channel, else col2im
BLOCKED_CASES = [
    (2, 3, (6, 5), 4, (3, 3), (1, 1), 'same', (1, 1), 2),
    (2, 3, (7, 6), 5, (3, 2), (2, 1), 'valid', (1, 1), 2),
    (2, 3, (5, 6), 2, (2, 3), (1, 1), 'valid', (2, 1), 5),
    (1, 3, (9,), 5, (3,), (1,), 'causal', (2,), 4),
    (3, 2, (4, 3, 5), 1, (2, 2, 3), (1, 1, 1), 'same', (1, 1, 1), 2),
]


def case_id(case):
    return f'{case[0]}d-{case[6]}-s{case[5]}-d{case[7]}'


# with a bias, the blocked kernels add a column of ones to the receptive fields (and a row,
# the bias, to the kernel matrix): its product adds the bias, its transposed product gives the
# bias gradient
@pytest.mark.parametrize('with_bias', [False, True], ids=['no-bias', 'bias'])
@pytest.mark.parametrize('block_bytes', BLOCK_BYTES)
@pytest.mark.parametrize('data_format', FORMATS)
@pytest.mark.parametrize('case', BLOCKED_CASES, ids=case_id)
def test_blocked_convolution_matches_loop_reference(backend, rng, monkeypatch, case, data_format,
                                                     block_bytes, with_bias):
    rank, batch, size, channels, kernel, strides, padding, dilation, filters = case
    if padding == 'causal' and data_format == 'channels_first':
        pytest.skip('causal padding is a channels_last (temporal) option')
    monkeypatch.setattr(NumpyBackend, 'block_bytes', block_bytes)
    first = data_format == 'channels_first'
    x = make_input(rng, batch, size, channels, data_format)
    w = rng.standard_normal(kernel + (channels, filters)).astype('float32')
    b = rng.standard_normal(filters).astype('float32') if with_bias else None
    y = spatial.convolution(backend.asarray(x), backend.asarray(w), strides, padding, data_format,
                            dilation, bias=None if b is None else backend.asarray(b))
    expected = ref.conv(x, w, strides, padding, dilation, first)
    if with_bias:
        expected += b.reshape((filters,) + (1,) * rank if first else (filters,))
    np.testing.assert_allclose(backend.to_numpy(y.data), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('with_bias', [False, True], ids=['no-bias', 'bias'])
@pytest.mark.parametrize('block_bytes', BLOCK_BYTES)
@pytest.mark.parametrize('case', BLOCKED_CASES, ids=case_id)
def test_blocked_convolution_gradients(backend, rng, monkeypatch, case, block_bytes, with_bias):
    rank, batch, size, channels, kernel, strides, padding, dilation, filters = case
    monkeypatch.setattr(NumpyBackend, 'block_bytes', block_bytes)
    first = padding != 'causal' and rank == 2  # channels_first through the 2D cases
    data_format = 'channels_first' if first else 'channels_last'
    x = rng.standard_normal((batch,) + size + (channels,))
    x = np.moveaxis(x, -1, 1) if first else x
    arrays = [x, rng.standard_normal(kernel + (channels, filters))]
    if with_bias:
        arrays.append(rng.standard_normal(filters))
    check_gradients(lambda a, k, *c: spatial.convolution(a, k, strides, padding, data_format,
                                                         dilation, bias=c[0] if c else None),
                    *arrays, noncontiguous=True)


def test_an_empty_batch_convolves_and_pools_to_empty_outputs_and_zero_gradients(backend):
    x = ad.Variable(backend.asarray(np.ones((0, 5, 5, 4), 'float32')))
    w = ad.Variable(backend.asarray(np.ones((3, 3, 4, 2), 'float32')))
    b = ad.Variable(backend.asarray(np.ones(2, 'float32')))
    y = spatial.pooling(spatial.convolution(x, w, 1, 'same', bias=b), (2, 2))
    assert y.shape == (0, 2, 2, 2)
    grads = [backend.to_numpy(g) for g in ad.gradients(ad.reduce_sum(y), [x, w, b])]
    assert [g.shape for g in grads] == [(0, 5, 5, 4), (3, 3, 4, 2), (2,)]
    assert not grads[1].any() and not grads[2].any()


@pytest.mark.parametrize('channels', [1, 3])  # 1: col2im; 3: one product per kernel tap
def test_transposed_convolution_with_pads_wider_than_the_window(backend, rng, channels):
    # stride 1, 'same', to an output smaller than the input: pads wider than the window's span
    x = rng.standard_normal((2, 5, 5, 2))
    w = rng.standard_normal((3, 3, channels, 2))
    shape = (2, 2, 2, channels)
    y = K.conv2d_transpose(backend.asarray(x), backend.asarray(w), shape, (1, 1), 'same')
    expected = ref.conv_transpose(x, w, [2, 2], (1, 1), [(2, 3), (2, 3)], (1, 1))
    np.testing.assert_allclose(backend.to_numpy(y.data), expected, rtol=1e-10)
    check_gradients(lambda a, b: K.conv2d_transpose(a, b, shape, (1, 1), 'same'), x, w)


@pytest.mark.parametrize('data_format', FORMATS)
@pytest.mark.parametrize('groups', [1, 2])  # 2: the im2col path, not the blocked one
def test_convolution_with_bias(backend, rng, monkeypatch, data_format, groups):
    monkeypatch.setattr(NumpyBackend, 'block_bytes', 800)  # several blocks
    first = data_format == 'channels_first'
    x = make_input(rng, 2, (5, 6), 4, data_format)
    w = rng.standard_normal((3, 2, 4 // groups, 6)).astype('float32')
    b = rng.standard_normal(6).astype('float32')
    y = spatial.convolution(backend.asarray(x), backend.asarray(w), (1, 2), 'same', data_format,
                            groups=groups, bias=backend.asarray(b))
    expected = ref.conv(x, w, (1, 2), 'same', (1, 1), first, groups)
    expected += b.reshape((6, 1, 1) if first else (6,))
    assert y.dtype == np.float32
    np.testing.assert_allclose(backend.to_numpy(y.data), expected, rtol=1e-4, atol=1e-5)
    x64 = np.asarray(x, np.float64)
    check_gradients(lambda a, k, c: spatial.convolution(a, k, 1, 'valid', data_format,
                                                        groups=groups, bias=c),
                    x64, rng.standard_normal(w.shape), rng.standard_normal(6),
                    noncontiguous=True)


def test_convolution_bias_gradient_alone_and_kernel_gradient_alone(backend, rng, monkeypatch):
    monkeypatch.setattr(NumpyBackend, 'block_bytes', 800)  # several blocks
    x = backend.asarray(rng.standard_normal((2, 5, 4, 3)))
    w = rng.standard_normal((3, 3, 3, 4))
    b = rng.standard_normal(4)
    r = rng.standard_normal((2, 5, 4, 4))
    bias = ad.Variable(backend.asarray(b))
    y = spatial.convolution(x, ad.constant(backend.asarray(w)), 1, 'same', bias=bias)
    (grad,) = ad.gradients(ad.reduce_sum(y * backend.asarray(r)), [bias])
    np.testing.assert_allclose(backend.to_numpy(grad), r.sum(axis=(0, 1, 2)), rtol=1e-12)
    kernel = ad.Variable(backend.asarray(w))
    with_bias = spatial.convolution(x, kernel, 1, 'same', bias=ad.constant(backend.asarray(b)))
    without = spatial.convolution(x, kernel, 1, 'same')
    (got,) = ad.gradients(ad.reduce_sum(with_bias * backend.asarray(r)), [kernel])
    (expected,) = ad.gradients(ad.reduce_sum(without * backend.asarray(r)), [kernel])
    np.testing.assert_allclose(backend.to_numpy(got), backend.to_numpy(expected), rtol=1e-12)


def test_a_wider_bias_widens_the_output(backend, rng):
    x = rng.standard_normal((1, 4, 4, 2)).astype('float32')
    w = rng.standard_normal((2, 2, 2, 3)).astype('float32')
    b = rng.standard_normal(3)
    y = spatial.convolution(backend.asarray(x), backend.asarray(w), bias=backend.asarray(b))
    assert y.dtype == np.float64
    expected = ref.conv(x, w, (1, 1), 'valid', (1, 1)) + b
    np.testing.assert_allclose(backend.to_numpy(y.data), expected, rtol=1e-5, atol=1e-6)


def test_bias_of_the_wrong_shape_is_a_value_error_naming_the_owner(backend):
    with pytest.raises(ValueError, match=r'conv2d_x: expected a bias of shape \(3,\)'):
        spatial.convolution(np.zeros((1, 4, 4, 2)), np.zeros((2, 2, 2, 3)), owner='conv2d_x',
                            bias=np.zeros(2))


# ---------------------------------------------------------------------------------------------
# Pooling over disjoint windows (strides >= pool size): written window by window

# rank, batch, spatial, channels, pool_size, strides, padding
DISJOINT_CASES = [
    (2, 2, (5, 7), 3, (2, 2), None, 'same'),
    (2, 1, (7, 8), 2, (2, 3), (3, 4), 'valid'),
    (2, 1, (7, 8), 2, (2, 3), (3, 4), 'same'),
    (1, 2, (9,), 2, (3,), (4,), 'same'),
    (3, 1, (5, 4, 3), 2, (2, 2, 3), None, 'same'),
]


def pool_id(case):
    return f'{case[0]}d-{case[6]}-p{case[4]}-s{case[5]}'


@pytest.mark.parametrize('mode', ['max', 'avg'])
@pytest.mark.parametrize('data_format', FORMATS)
@pytest.mark.parametrize('case', DISJOINT_CASES, ids=pool_id)
def test_disjoint_pooling_matches_loop_reference(backend, rng, case, data_format, mode):
    rank, batch, size, channels, pool_size, strides, padding = case
    x = make_input(rng, batch, size, channels, data_format)
    y = spatial.pooling(backend.asarray(x), pool_size, strides, padding, data_format, mode)
    expected = ref.pool(x, pool_size, strides or pool_size, padding, mode,
                        data_format == 'channels_first')
    np.testing.assert_allclose(backend.to_numpy(y.data), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('mode', ['max', 'avg'])
@pytest.mark.parametrize('case', DISJOINT_CASES, ids=pool_id)
def test_disjoint_pooling_gradients(backend, rng, case, mode):
    rank, batch, size, channels, pool_size, strides, padding = case
    first = rank == 2
    data_format = 'channels_first' if first else 'channels_last'
    shape = (batch,) + size + (channels,)
    x = rng.permutation(np.prod(shape)).reshape(shape) / 7.0  # one maximum per window
    x = np.moveaxis(x, -1, 1) if first else x
    check_gradients(lambda a: spatial.pooling(a, pool_size, strides, padding, data_format, mode),
                    x, noncontiguous=True)


def max_pool_grad_reference(x, dy, pool_size, strides, padding):
    """dy of each window added to the first maximum of its real elements (row-major order)."""
    rank = len(pool_size)
    pads = ref.pads_for(padding, x.shape[1:-1], pool_size, strides, (1,) * rank)
    dx = np.zeros_like(x)
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[-1])):
        for o in itertools.product(*[range(s) for s in dy.shape[1:-1]]):
            starts = [o[i] * strides[i] - pads[i][0] for i in range(rank)]
            positions = [p for p in itertools.product(*[
                range(max(s, 0), min(s + k, n_in))
                for s, k, n_in in zip(starts, pool_size, x.shape[1:-1])])]
            values = [x[(n,) + p + (c,)] for p in positions]
            first = positions[int(np.argmax(values))]  # argmax returns the first maximum
            dx[(n,) + first + (c,)] += dy[(n,) + o + (c,)]
    return dx


@pytest.mark.parametrize('case', [
    ((2, 6, 7, 3), (2, 2), (2, 2), 'valid'),
    ((2, 5, 7, 3), (2, 3), (2, 3), 'same'),
    ((1, 4, 4, 3, 2), (2, 2, 3), (2, 2, 3), 'same'),
    ((2, 7, 6, 2), (3, 3), (2, 2), 'same'),
    ((2, 5, 5, 2), (2, 2), (1, 1), 'valid'),
], ids=lambda c: f'{len(c[1])}d-p{c[1]}-s{c[2]}-{c[3]}')
def test_max_pooling_ties_and_non_finite_gradients(backend, rng, case):
    # many ties (zeros, as after a ReLU): every window's gradient goes to its first maximum;
    # an inf or NaN gradient lands on that element only and turns nothing else into NaN
    shape, pool_size, strides, padding = case
    x = np.maximum(rng.integers(-2, 3, size=shape), 0).astype('float32')
    xv = ad.Variable(backend.asarray(x))
    y = spatial.pooling(xv, pool_size, strides, padding)
    dy = rng.standard_normal(y.shape).astype('float32')
    dy.reshape(-1)[[0, 5]] = [np.inf, np.nan]
    (grad,) = ad.gradients(ad.reduce_sum(y * backend.asarray(dy)), [xv])
    expected = max_pool_grad_reference(x, dy, pool_size, strides, padding)
    # (overlapping windows add their shares in another order than the loop: rounding only)
    np.testing.assert_allclose(backend.to_numpy(grad), expected, rtol=1e-6, atol=0)
