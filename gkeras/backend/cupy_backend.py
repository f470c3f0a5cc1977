"""The CuPy backend: the generic NumPy-path code on CuPy arrays, with CUDA kernels where they win."""
import contextlib

import numpy

from . import kernels
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
    # one large GEMM per convolution on the GPU (im2col.cu), not the CPU's cache-sized blocks
    blocked_conv = False
    keeps_freed_host_memory = False  # the large arrays live on the GPU

    def step_scope(self):
        """The context of one train, test or predict step: nothing to set up on the GPU."""
        return contextlib.nullcontext()

    def relu_grad(self, dy, y):
        """dy where y > 0, else 0: one elementwise kernel (no CPU threads, no bit tricks)."""
        return cupy.where(y > 0, dy, cupy.zeros((), dtype=dy.dtype))

    def gemm(self, a, b, out=None):
        """a @ b as one cuBLAS call (the CPU splits large products over its threads)."""
        return cupy.matmul(a, b, out=out)

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

    def _strided(self, x, shape, strides, writeable=False):
        # CuPy's as_strided has no read-only views (nor the `writeable` argument)
        return cupy.lib.stride_tricks.as_strided(x, shape, strides)

    # ------------------------------------------------------------------ spatial kernels (cuda/)
    # float32 / float64 run our CUDA code; other dtypes fall back to the generic xp path.

    @staticmethod
    def _geometry3d(geom):
        """The geometry's per-axis values as three axes (1D/2D get leading singleton axes)."""
        lead = 3 - geom.rank
        return {
            'spatial': (1,) * lead + geom.spatial,
            'out': (1,) * lead + geom.out,
            'kernel': (1,) * lead + geom.kernel,
            'strides': (1,) * lead + geom.strides,
            'dilation': (1,) * lead + geom.dilation,
            'pads': (0,) * lead + tuple(before for before, _ in geom.pads),
        }

    @staticmethod
    def _input_strides(x, geom):
        """Element strides (n, c, d, h, w) of x in either layout (0 for the singleton axes)."""
        steps = [s // x.itemsize for s in x.strides]
        if geom.channels_first:
            n, c, spatial = steps[0], steps[1], steps[2:]
        else:
            n, c, spatial = steps[0], steps[-1], steps[1:-1]
        return [numpy.int64(v) for v in [n, c] + [0] * (3 - geom.rank) + spatial]

    @staticmethod
    def _ints(values):
        return [numpy.int32(v) for v in values]

    def _window_args(self, geom, with_dilation):
        g = self._geometry3d(geom)
        values = g['spatial'] + g['out'] + g['kernel'] + g['strides']
        if with_dilation:
            values += g['dilation']
        return self._ints(values + g['pads'])

    def im2col(self, x, geom):
        if not kernels.supports(x.dtype):
            return super().im2col(x, geom)
        cols = cupy.empty((geom.groups, geom.rows, geom.taps * geom.group_channels), x.dtype)
        args = ([x, cols] + self._ints((geom.batch, geom.group_channels))
                + self._window_args(geom, True) + self._input_strides(x, geom)
                + [numpy.int64(cols.size)])
        kernels.launch('im2col.cu', 'im2col', x.dtype, cols.size, args)
        return cols

    def col2im(self, cols, geom):
        if not kernels.supports(cols.dtype):
            return super().col2im(cols, geom)
        cols = cupy.ascontiguousarray(cols)
        shape = (geom.batch, geom.channels) + geom.spatial if geom.channels_first else (
            (geom.batch,) + geom.spatial + (geom.channels,))
        dx = cupy.empty(shape, cols.dtype)
        args = ([cols, dx] + self._ints((geom.batch, geom.channels, geom.group_channels))
                + self._window_args(geom, True)
                + [numpy.int32(not geom.channels_first), numpy.int64(dx.size)])
        kernels.launch('im2col.cu', 'col2im', cols.dtype, dx.size, args)
        return dx

    def _pool_layout_shape(self, geom, sizes):
        if geom.channels_first:
            return (geom.batch, geom.channels) + sizes
        return (geom.batch,) + sizes + (geom.channels,)

    def pool(self, mode, x, geom, keep_argmax):
        if not kernels.supports(x.dtype):
            return super().pool(mode, x, geom, keep_argmax)
        y = cupy.empty(self._pool_layout_shape(geom, geom.out), x.dtype)
        # the kernel writes argmax for max pooling only; average pooling gets a placeholder
        argmax = cupy.empty(y.shape if mode == 'max' else (1,), cupy.int32)
        args = ([x, y, argmax]
                + self._ints((mode == 'max', geom.channels)) + self._window_args(geom, False)
                + self._input_strides(x, geom)
                + [numpy.int32(not geom.channels_first), numpy.int64(y.size)])
        kernels.launch('pooling.cu', 'pool_forward', x.dtype, y.size, args)
        return y, argmax if mode == 'max' and keep_argmax else None

    def pool_grad(self, mode, dy, state, geom):
        if not kernels.supports(dy.dtype):
            return super().pool_grad(mode, dy, state, geom)
        dy = cupy.ascontiguousarray(dy)
        dx = cupy.empty(self._pool_layout_shape(geom, geom.spatial), dy.dtype)
        argmax = state if mode == 'max' else cupy.empty((1,), cupy.int32)
        args = ([dy, argmax, dx]
                + self._ints((mode == 'max', geom.channels)) + self._window_args(geom, False)
                + [numpy.int32(not geom.channels_first), numpy.int64(dx.size)])
        kernels.launch('pooling.cu', 'pool_backward', dy.dtype, dx.size, args)
        return dx
