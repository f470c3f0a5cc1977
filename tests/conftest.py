"""Shared fixtures: every backend-dependent test runs once per backend present on this machine."""
import numpy as np
import pytest

from gkeras import backend as K
from gkeras.backend import cupy_backend

BACKENDS = ['numpy', 'cupy']


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Select a backend for one test; CuPy cases skip where no GPU is present."""
    if request.param == 'cupy' and not cupy_backend.is_available():
        pytest.skip('CuPy with a CUDA GPU is not available on this machine')
    selected = K.set_backend(request.param)
    K.clear_session()
    yield selected
    K.set_backend('numpy')


@pytest.fixture
def numpy_backend():
    """The NumPy backend, for tests of its CPU-only paths (threads, blocking)."""
    yield K.set_backend('numpy')


@pytest.fixture(autouse=True)
def seeded_global_rng():
    """Unseeded initializers and dropout draw from NumPy's global state: seed it per test."""
    np.random.seed(20261122)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
