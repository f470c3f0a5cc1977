"""Which array backend runs: chosen by GKERAS_BACKEND or set_backend, announced once."""
import os
import sys

from . import numpy_backend

_NAMES = ('auto', 'numpy', 'cupy')
_active = None
_announced = False


def _load(name):
    if name == 'numpy':
        return numpy_backend.NumpyBackend()
    if name == 'cupy':
        from . import cupy_backend
        if not cupy_backend.is_available():
            raise RuntimeError(
                "gkeras: the 'cupy' backend was asked for, but CuPy is not installed or sees no "
                "GPU. Install gkeras[cuda12] or gkeras[cuda13] on a machine with an NVIDIA GPU, "
                "or use GKERAS_BACKEND=numpy.")
        return cupy_backend.CupyBackend()
    raise ValueError(f"Unknown backend {name!r}; expected one of {_NAMES}.")


def _auto():
    try:
        from . import cupy_backend
        if cupy_backend.is_available():
            return cupy_backend.CupyBackend()
    except ImportError:
        pass
    return numpy_backend.NumpyBackend()


def set_backend(name):
    """Select the array backend ('auto', 'numpy' or 'cupy'); do this before building models."""
    global _active, _announced
    if name not in _NAMES:
        raise ValueError(f"Unknown backend {name!r}; expected one of {_NAMES}.")
    _active = _auto() if name == 'auto' else _load(name)
    _announced = name != 'auto'
    return _active


def active():
    """The backend object in use, selected from GKERAS_BACKEND on first use."""
    global _announced
    if _active is None:
        set_backend(os.environ.get('GKERAS_BACKEND', 'auto').lower() or 'auto')
        _announced = False  # chosen by the environment, not by the program: say which, once
    if not _announced:
        _announced = True
        sys.stderr.write(f"gkeras: using the {_active.name} backend ({_active.describe()})\n")
    return _active
