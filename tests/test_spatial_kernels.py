"""The paths inside the spatial kernels that the layer tests do not reach on their own: the
blocked convolution at several block sizes, the stride-1 input gradient as a correlation (and its
fallback). References: the plain loops of spatial_reference, float64 finite differences."""
import numpy as np
import pytest

import spatial_reference as ref
from gkeras import backend as K
from gkeras.backend import spatial
from gkeras.backend.numpy_backend import NumpyBackend
from gradcheck import check_gradients
from test_conv import FORMATS, make_input

# block_bytes: 1 = one row of the first output axis per block (from a padded copy); 3000 = a few
# images per block (padding written into the reused block buffer), the last block shorter
BLOCK_BYTES = [1, 3000]

# rank, batch, spatial, channels, kernel, strides, padding, dilation, filters
BLOCKED_CASES = [
    (2, 3, (6, 5), 2, (3, 3), (1, 1), 'same', (1, 1), 3),
    (2, 3, (7, 6), 2, (3, 2), (2, 1), 'valid', (1, 1), 2),
    (2, 3, (5, 6), 2, (2, 3), (1, 1), 'valid', (2, 1), 3),
    (1, 3, (9,), 2, (3,), (1,), 'causal', (2,), 3),
    (3, 2, (4, 3, 5), 2, (2, 2, 3), (1, 1, 1), 'same', (1, 1, 1), 2),
]


def case_id(case):
    return f'{case[0]}d-{case[6]}-s{case[5]}-d{case[7]}'


@pytest.mark.parametrize('block_bytes', BLOCK_BYTES)
@pytest.mark.parametrize('data_format', FORMATS)
@pytest.mark.parametrize('case', BLOCKED_CASES, ids=case_id)
def test_blocked_convolution_matches_loop_reference(backend, rng, monkeypatch, case, data_format,
                                                     block_bytes):
    rank, batch, size, channels, kernel, strides, padding, dilation, filters = case
    if padding == 'causal' and data_format == 'channels_first':
        pytest.skip('causal padding is a channels_last (temporal) option')
    monkeypatch.setattr(NumpyBackend, 'block_bytes', block_bytes)
    x = make_input(rng, batch, size, channels, data_format)
    w = rng.standard_normal(kernel + (channels, filters)).astype('float32')
    y = spatial.convolution(backend.asarray(x), backend.asarray(w), strides, padding, data_format,
                            dilation)
    expected = ref.conv(x, w, strides, padding, dilation, data_format == 'channels_first')
    np.testing.assert_allclose(backend.to_numpy(y.data), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('block_bytes', BLOCK_BYTES)
@pytest.mark.parametrize('case', BLOCKED_CASES, ids=case_id)
def test_blocked_convolution_gradients(backend, rng, monkeypatch, case, block_bytes):
    rank, batch, size, channels, kernel, strides, padding, dilation, filters = case
    monkeypatch.setattr(NumpyBackend, 'block_bytes', block_bytes)
    first = padding != 'causal' and rank == 2  # channels_first through the 2D cases
    data_format = 'channels_first' if first else 'channels_last'
    x = rng.standard_normal((batch,) + size + (channels,))
    x = np.moveaxis(x, -1, 1) if first else x
    check_gradients(lambda a, b: spatial.convolution(a, b, strides, padding, data_format,
                                                     dilation),
                    x, rng.standard_normal(kernel + (channels, filters)), noncontiguous=True)


def test_input_gradient_geometry_is_the_stride_one_correlation():
    for padding in ('valid', 'same', 'causal', 'full'):
        geom = spatial._geometry((2, 7, 6, 3), (3, 2), (1, 1), padding, (2, 1), False)
        dual = geom.input_gradient_geometry(5)
        assert dual.out == geom.spatial and dual.channels == 5 and dual.strides == (1, 1)
        assert dual.kernel == geom.kernel and dual.dilation == geom.dilation
    first = spatial._geometry((2, 3, 7, 6), (3, 3), (1, 1), 'same', (1, 1), True)
    assert first.input_gradient_geometry(4).spatial == first.out
    assert first.input_gradient_geometry(4).channels == 4
    strided = spatial._geometry((2, 7, 6, 3), (3, 3), (2, 1), 'same', (1, 1), False)
    assert strided.input_gradient_geometry(5) is None
    grouped = spatial._geometry((2, 7, 6, 4), (3, 3), (1, 1), 'same', (1, 1), False, groups=2)
    assert grouped.input_gradient_geometry(6) is None
    # pads wider than the window's span - 1: a transposed convolution to a smaller output
    wide = spatial.ConvGeometry((1, 2, 2, 1), (3, 3), (1, 1), (1, 1), ((2, 3), (2, 3)), False)
    assert wide.out == (5, 5) and wide.input_gradient_geometry(2) is None


def test_transposed_convolution_with_pads_wider_than_the_window(backend, rng):
    # stride 1, 'same', to an output smaller than the input: no correlation form, col2im instead
    x = rng.standard_normal((2, 5, 5, 2))
    w = rng.standard_normal((3, 3, 1, 2))
    y = K.conv2d_transpose(backend.asarray(x), backend.asarray(w), (2, 2, 2, 1), (1, 1), 'same')
    expected = ref.conv_transpose(x, w, [2, 2], (1, 1), [(2, 3), (2, 3)], (1, 1))
    np.testing.assert_allclose(backend.to_numpy(y.data), expected, rtol=1e-10)
    check_gradients(lambda a, b: K.conv2d_transpose(a, b, (2, 2, 2, 1), (1, 1), 'same'), x, w)
