"""pytest-benchmark suite: conv and pool kernels at the shapes the benchmark models use, and each
benchmark model's train step and predict, on the backend GKERAS_BACKEND selects.

    python3 -m pytest bench -q --benchmark-only
    GKERAS_BACKEND=cupy python3 -m pytest bench -q --benchmark-only

Not part of the test suite (pyproject's testpaths is `tests`). A benchmark whose layer or
primitive gkeras lacks skips with the reason.
"""
import numpy as np
import pytest

import models
from gkeras import backend as K
from gkeras.backend import autodiff as ad

# (N, H, W, C) input, K filters, padding; 3x3 kernels, stride 1, channels_last
CONV_SHAPES = {
    'mnist_conv1_c1': ((128, 28, 28, 1), 32, 'valid'),  # small channel count: the cliff to avoid
    'mnist_conv2': ((128, 26, 26, 32), 64, 'valid'),
    'cifar_conv1_c3': ((128, 32, 32, 3), 32, 'same'),
    'cifar_conv3': ((128, 15, 15, 32), 64, 'same'),
    'bench_n64_c64_56': ((64, 56, 56, 64), 64, 'same'),
}
# (N, H, W, C) input to a 2x2 max pooling, stride 2
POOL_SHAPES = {
    'mnist_pool': (128, 24, 24, 64),
    'cifar_pool1_odd': (128, 30, 30, 32),
    'cifar_pool2_odd': (128, 13, 13, 64),
    'bench_n64_c64_56': (64, 56, 56, 64),
}


def _require(name):
    if not hasattr(K, name):
        pytest.skip(f'gkeras.backend has no {name} yet')


def _variable(backend, shape, seed):
    data = np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)
    return ad.Variable(backend.asarray(data))


def _conv(backend, name):
    _require('conv2d')
    shape, filters, padding = CONV_SHAPES[name]
    x = _variable(backend, shape, 0)
    kernel = _variable(backend, (3, 3, shape[-1], filters), 1)
    return x, kernel, padding


@pytest.mark.parametrize('name', CONV_SHAPES)
def test_conv2d_forward(timed, active_backend, name):
    x, kernel, padding = _conv(active_backend, name)

    def forward():
        with ad.no_grad():
            return K.conv2d(x, kernel, padding=padding)
    timed(forward)


@pytest.mark.parametrize('name', CONV_SHAPES)
def test_conv2d_forward_backward(timed, active_backend, name):
    x, kernel, padding = _conv(active_backend, name)
    dy = _variable(active_backend, K.int_shape(K.conv2d(x, kernel, padding=padding)), 2).data
    timed(lambda: ad.gradients(K.conv2d(x, kernel, padding=padding), [x, kernel],
                               output_gradient=dy))


@pytest.mark.parametrize('name', POOL_SHAPES)
def test_max_pool2d_forward(timed, active_backend, name):
    _require('pool2d')
    x = _variable(active_backend, POOL_SHAPES[name], 0)

    def forward():
        with ad.no_grad():
            return K.pool2d(x, (2, 2), strides=(2, 2))
    timed(forward)


@pytest.mark.parametrize('name', POOL_SHAPES)
def test_max_pool2d_forward_backward(timed, active_backend, name):
    _require('pool2d')
    x = _variable(active_backend, POOL_SHAPES[name], 0)
    dy = _variable(active_backend, K.int_shape(K.pool2d(x, (2, 2), strides=(2, 2))), 1).data
    timed(lambda: ad.gradients(K.pool2d(x, (2, 2), strides=(2, 2)), [x], output_gradient=dy))


def _runner(active_backend, name):
    missing = models.missing_gkeras_layers(name)
    if missing:
        pytest.skip(f"gkeras.layers has no {', '.join(missing)} yet")
    return models.gkeras_runner(name, active_backend.name)


@pytest.mark.parametrize('name', models.MODELS)
def test_train_step(timed, active_backend, name):
    timed(_runner(active_backend, name).train_step)


@pytest.mark.parametrize('name', models.MODELS)
def test_predict(timed, active_backend, name):
    timed(_runner(active_backend, name).predict)
