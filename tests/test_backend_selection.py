"""Backend selection: set_backend, GKERAS_BACKEND, the errors for unknown or unavailable
backends, and the one-line announcement."""
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from gkeras import backend as K
from gkeras.backend import cupy_backend
from gkeras.backend import selection

ROOT = pathlib.Path(__file__).resolve().parents[1]
ANNOUNCEMENT = re.compile(r'^gkeras: using the (\w+) backend \((.+)\)$')


@pytest.fixture
def restore_backend():
    yield
    K.set_backend('numpy')


def test_set_backend_numpy(restore_backend):
    chosen = K.set_backend('numpy')
    assert chosen.name == 'numpy' and chosen.xp is np and chosen.is_available()
    assert selection.active() is chosen and K.backend() == 'numpy'
    array = chosen.asarray([1, 2], dtype='float32')
    assert isinstance(array, np.ndarray) and array.dtype == np.float32
    assert isinstance(chosen.to_numpy(array), np.ndarray)
    np.testing.assert_array_equal(chosen.rng(3).random(4), chosen.rng(3).random(4))
    assert 'NumPy' in chosen.describe()


@pytest.mark.parametrize('name', ['tensorflow', 'gpu', 'NumPy', ''])
def test_unknown_backend_names_raise_and_list_the_choices(restore_backend, name):
    before = K.set_backend('numpy')
    with pytest.raises(ValueError) as error:
        K.set_backend(name)
    message = str(error.value)
    assert repr(name) in message
    assert all(choice in message for choice in ('auto', 'numpy', 'cupy'))
    assert selection.active() is before


def declared_extras():
    tomllib = pytest.importorskip('tomllib', reason='tomllib is in the standard library from '
                                  'Python 3.11 on')
    with open(ROOT / 'pyproject.toml', 'rb') as f:
        return set(tomllib.load(f)['project']['optional-dependencies'])


def test_cupy_without_a_gpu_says_what_to_install(restore_backend, monkeypatch):
    monkeypatch.setattr(cupy_backend, 'is_available', lambda: False)
    before = K.set_backend('numpy')
    with pytest.raises(RuntimeError) as error:
        K.set_backend('cupy')
    message = str(error.value)
    named = set(re.findall(r'gkeras\[(\w+)\]', message))
    assert named and named <= declared_extras(), f'{message!r} names no extra of pyproject.toml'
    assert 'GKERAS_BACKEND=numpy' in message
    assert selection.active() is before


def test_auto_without_a_gpu_picks_numpy(restore_backend, monkeypatch):
    monkeypatch.setattr(cupy_backend, 'is_available', lambda: False)
    assert K.set_backend('auto').name == 'numpy'


def run_python(code, **env):
    environment = {k: v for k, v in os.environ.items() if k != 'GKERAS_BACKEND'}
    environment.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, '-c', code], env=environment, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


USE_THE_BACKEND_TWICE = """
from gkeras import backend as K
from gkeras.backend import selection
K.exp(K.constant([1.0]))
selection.active()
print(K.backend())
"""


def test_gkeras_backend_numpy_in_a_subprocess_announces_once():
    result = run_python(USE_THE_BACKEND_TWICE, GKERAS_BACKEND='numpy')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'numpy'
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert ANNOUNCEMENT.match(lines[0]).group(1) == 'numpy'


def test_gkeras_backend_numpy_in_a_subprocess_picks_numpy():
    result = run_python(USE_THE_BACKEND_TWICE, GKERAS_BACKEND='numpy')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'numpy'


def test_auto_in_a_subprocess_without_visible_gpus_announces_numpy_once():
    result = run_python(USE_THE_BACKEND_TWICE, GKERAS_BACKEND='auto', CUDA_VISIBLE_DEVICES='')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'numpy'
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    match = ANNOUNCEMENT.match(lines[0])
    assert match and match.group(1) == 'numpy' and 'CPU' in match.group(2)


def test_an_unknown_gkeras_backend_fails_on_first_use():
    result = run_python(USE_THE_BACKEND_TWICE, GKERAS_BACKEND='theano')
    assert result.returncode != 0
    assert "Unknown backend 'theano'" in result.stderr and "'cupy'" in result.stderr
