"""The CuPy backend: the generic NumPy-path code on CuPy arrays, with CUDA kernels where they win."""
from .numpy_backend import NumpyBackend

try:
    import cupy
except ImportError:  # CuPy is the optional `gpu` extra
    cupy = None


def is_available():
    """True when CuPy imports and sees at least one CUDA device."""
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver, no device: CuPy raises its own CUDA error types
        return False


class CupyBackend(NumpyBackend):
    name = 'cupy'
    xp = cupy

    @staticmethod
    def is_available():
        return is_available()

    def describe(self):
        device = cupy.cuda.Device()
        props = cupy.cuda.runtime.getDeviceProperties(device.id)
        return f"CuPy {cupy.__version__} on {props['name'].decode()}"

    def to_numpy(self, a):
        return cupy.asnumpy(a)

    def synchronize(self):
        cupy.cuda.Device().synchronize()
