"""The NumPy backend: the generic implementation every other backend falls back to."""
import numpy


class NumpyBackend:
    """Array backend on NumPy; kernels here are written on `self.xp` so CuPy can inherit them."""
    name = 'numpy'
    xp = numpy

    @staticmethod
    def is_available():
        return True

    def describe(self):
        return f'NumPy {numpy.__version__} on the CPU'

    def asarray(self, x, dtype=None):
        return self.xp.asarray(x, dtype=dtype)

    def to_numpy(self, a):
        return numpy.asarray(a)

    def rng(self, seed=None):
        return self.xp.random.default_rng(seed)

    def synchronize(self):
        pass
