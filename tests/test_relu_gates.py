"""Relu gates applied early (spatial.py): a max pooling or a stride-1 convolution reading the
output of conv(..., relu=True) gates the gradient it returns, and that conv then skips its own
gate pass. The gradients must be those of the plain composition, whatever the graph."""
import numpy as np
import pytest

from gkeras.backend import autodiff as ad
from gkeras.backend import selection, spatial

import spatial_reference as ref
from gradcheck import check_gradients


def conv_relu(x, w, b, padding='valid', data_format='channels_last'):
    return spatial.convolution(x, w, 1, padding, data_format, bias=b, relu=True)


def unfused_conv_relu(x, w, b, padding='valid', data_format='channels_last'):
    """The same layer as conv, then bias and relu as separate primitives: no gate registry."""
    y = spatial.convolution(x, w, 1, padding, data_format)
    shape = (-1, 1, 1) if data_format == 'channels_first' else (-1,)
    return ad.relu(ad.add(y, ad.reshape(b, shape)))


def pool(x, data_format='channels_last', padding='valid'):
    return spatial.pooling(x, (2, 2), (2, 2), padding, data_format, 'max')


def network(conv, data_format='channels_last'):
    """conv-relu -> conv-relu (its input gradient gated in blocks) -> max pool (pooled gradient
    gated) -> conv: every early gate of spatial.py in one graph."""
    def fn(x, w1, b1, w2, b2, w3):
        h = conv(x, w1, b1, 'same', data_format)
        h = conv(h, w2, b2, 'valid', data_format)
        h = pool(h, data_format, 'same')
        return spatial.convolution(h, w3, 1, 'valid', data_format)
    return fn


def parameters(rng, channels_first=False):
    x = rng.standard_normal((2, 3, 7, 7) if channels_first else (2, 7, 7, 3))
    # negative biases: some pooling windows are all zeros after the relu
    return [x, rng.standard_normal((3, 3, 3, 4)) * 0.5, rng.standard_normal(4) - 0.5,
            rng.standard_normal((3, 3, 4, 5)) * 0.5, rng.standard_normal(5) - 0.5,
            rng.standard_normal((2, 2, 5, 3))]


@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
def test_early_gates_match_finite_differences(backend, rng, data_format):
    arrays = parameters(rng, data_format == 'channels_first')
    check_gradients(network(conv_relu, data_format), *arrays)


def test_early_gates_give_the_gradients_of_the_unfused_composition(backend, rng):
    arrays = [a.astype(np.float32) for a in parameters(rng)]
    results = []
    for conv in (conv_relu, unfused_conv_relu):
        variables = [ad.Variable(backend.asarray(a)) for a in arrays]
        loss = ad.reduce_sum(ad.square(network(conv)(*variables)))
        results.append([backend.to_numpy(g) for g in ad.gradients(loss, variables)])
    for fused, plain in zip(*results):  # float32 sums in different orders
        np.testing.assert_allclose(fused, plain, rtol=1e-4, atol=1e-5 * np.abs(plain).max())


def test_the_convolution_skips_its_gate_pass_when_the_gradient_came_gated(numpy_backend, rng,
                                                                          monkeypatch):
    """NumPy: relu_grad runs only on the pooled gradient; the convolutions' gates are fused."""
    backend = selection.active()
    sizes = []
    original = type(backend).relu_grad

    def counted(self, dy, y):
        sizes.append(dy.size)
        return original(self, dy, y)
    monkeypatch.setattr(type(backend), 'relu_grad', counted)
    variables = [ad.Variable(a.astype(np.float32)) for a in parameters(rng)]
    ad.gradients(ad.reduce_sum(network(conv_relu)(*variables)), variables)
    assert sizes == [2 * 3 * 3 * 5]  # the pooled gradient, once


def test_a_relu_output_with_two_consumers_is_gated_once_summed(backend, rng):
    """The conv's output feeds a max pooling and an elementwise product: the summed gradient is
    not an array the pooling marked, so the conv gates it (a wrong skip would let the product's
    gradient through where the relu was 0)."""
    x = rng.standard_normal((2, 6, 6, 3))
    w = rng.standard_normal((3, 3, 3, 4)) * 0.5
    b = rng.standard_normal(4) - 0.5
    r = rng.standard_normal((2, 4, 4, 4))

    def fn(a, k, c):
        y = conv_relu(a, k, c)
        pooled = pool(y)
        return ad.add(ad.reduce_sum(pooled), ad.reduce_sum(ad.multiply(y, backend.asarray(r))))
    check_gradients(fn, x, w, b)


def test_ops_between_the_relu_output_and_the_pooling(backend, rng):
    """Reshapes between them: the pooling reads another array, so it gates nothing, and the
    conv gates the gradient itself."""
    x = rng.standard_normal((2, 6, 6, 3))
    w = rng.standard_normal((3, 3, 3, 4)) * 0.5
    b = rng.standard_normal(4) - 0.5

    def fn(a, k, c):
        y = conv_relu(a, k, c)
        z = ad.reshape(y, (2, 4 * 4 * 4))
        z = ad.reshape(z, (2, 4, 4, 4))
        return pool(z)
    check_gradients(fn, x, w, b)
    expected = ref.pool(np.maximum(ref.conv(x, w, (1, 1), 'valid', (1, 1), False) + b, 0),
                        (2, 2), (2, 2), 'valid', 'max', False)
    got = backend.to_numpy(ad.raw(fn(*[ad.constant(backend.asarray(a)) for a in (x, w, b)])))
    np.testing.assert_allclose(got, expected, rtol=1e-10)
