"""The NumPy backend: the generic implementation every other backend falls back to."""
import itertools

import numpy


class NumpyBackend:
    """Array backend on NumPy; kernels here are written on `self.xp` so CuPy can inherit them.

    The spatial kernels take a geometry object (gkeras.backend.spatial.ConvGeometry) describing
    one convolution or pooling window: batch, channels, groups, spatial input/kernel/output
    sizes, strides, dilation, per-side padding and the data layout.
    """
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
        """A random generator; unseeded ones draw their seed from NumPy's global state, so
        `numpy.random.seed(...)` makes a Keras 2 script reproducible, as it does in Keras."""
        if seed is None:
            seed = numpy.random.randint(0, 2 ** 31 - 1)
        return self.xp.random.default_rng(seed)

    def synchronize(self):
        pass

    # ------------------------------------------------------------------ layout helpers
    def _channels_last(self, x, geom):
        return self.xp.moveaxis(x, 1, -1) if geom.channels_first else x

    def _from_channels_last(self, y, geom):
        if geom.channels_first:
            y = self.xp.moveaxis(y, -1, 1)
        return self.xp.ascontiguousarray(y)

    def _output_rows(self, dy, geom):
        """(N, *out, K) or (N, K, *out) -> (groups, N*prod(out), K // groups)."""
        dy = self._channels_last(dy, geom)
        return self.xp.moveaxis(dy.reshape(geom.rows, geom.groups, -1), 1, 0)

    def _rows_output(self, y, geom):
        """(groups, N*prod(out), K // groups) -> (N, *out, K) or (N, K, *out)."""
        y = self.xp.moveaxis(y, 0, 1).reshape((geom.batch,) + geom.out + (-1,))
        return self._from_channels_last(y, geom)

    def _kernel_matrix(self, w, geom):
        """Keras kernel (*kernel, C // groups, K) -> (groups, taps * C // groups, K // groups)."""
        return self.xp.moveaxis(w.reshape(geom.taps * geom.group_channels, geom.groups, -1), 1, 0)

    # ------------------------------------------------------------------ receptive fields
    def windows(self, x, geom):
        """Strided view (N, *out, *kernel, C) of every receptive field of x (zero padded)."""
        x = self._pad(self._channels_last(x, geom), geom, 0)
        s = x.strides
        spatial = s[1:-1]
        shape = (geom.batch,) + geom.out + geom.kernel + (geom.channels,)
        strides = ((s[0],) + tuple(a * b for a, b in zip(spatial, geom.strides))
                   + tuple(a * b for a, b in zip(spatial, geom.dilation)) + (s[-1],))
        return self.xp.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)

    def im2col(self, x, geom):
        """(groups, N*prod(out), taps * C // groups): one row per output position, kernel order."""
        view = self.windows(x, geom)
        if geom.groups == 1:
            return view.reshape(1, geom.rows, -1)
        view = view.reshape(view.shape[:-1] + (geom.groups, geom.group_channels))
        return self.xp.moveaxis(view, -2, 0).reshape(geom.groups, geom.rows, -1)

    def _tap_offsets(self, geom):
        """For each kernel tap in kernel order, the slice of the padded input it reads."""
        for tap in itertools.product(*(range(k) for k in geom.kernel)):
            yield (slice(None),) + tuple(
                slice(t * d, t * d + s * (o - 1) + 1, s)
                for t, d, s, o in zip(tap, geom.dilation, geom.strides, geom.out))

    def _pad(self, x, geom, fill):
        if any(before or after for before, after in geom.pads):
            return self.xp.pad(x, ((0, 0),) + geom.pads + ((0, 0),), constant_values=fill)
        return x

    def _accumulate_taps(self, tap_values, geom, dtype):
        """Sum tap_values(i), each (N, *out, C), onto the input positions tap i reads.

        One strided accumulation per kernel tap (9 for 3x3), never a loop over pixels.
        """
        padded_size = tuple(n + b + a for n, (b, a) in zip(geom.spatial, geom.pads))
        padded = self.xp.zeros((geom.batch,) + padded_size + (geom.channels,), dtype=dtype)
        for i, target in enumerate(self._tap_offsets(geom)):
            padded[target] += tap_values(i)
        crop = (slice(None),) + tuple(slice(b, b + n) for n, (b, _) in zip(geom.spatial, geom.pads))
        return self._from_channels_last(padded[crop], geom)

    def _group_rows_output(self, rows, geom):
        """(groups, N*prod(out), C // groups) -> (N, *out, C)."""
        return self.xp.moveaxis(rows, 0, 1).reshape((geom.batch,) + geom.out + (geom.channels,))

    def col2im(self, cols, geom):
        """The adjoint of im2col: sum every receptive-field row back onto the input positions."""
        width = geom.group_channels
        return self._accumulate_taps(
            lambda i: self._group_rows_output(cols[:, :, i * width:(i + 1) * width], geom),
            geom, cols.dtype)

    def _matmul(self, a, b):
        """Batched (groups, m, k) @ (groups, k, n); one plain GEMM when there is one group."""
        if a.shape[0] == 1:
            return (a[0] @ b[0])[None]
        return self.xp.matmul(a, b)

    # ------------------------------------------------------------------ convolution
    def conv(self, x, w, geom):
        """Convolution of x with the Keras kernel w; returns (output, cols) for the gradients."""
        cols = self.im2col(x, geom)
        return self.conv_cols(cols, w, geom), cols

    def conv_cols(self, cols, w, geom):
        """The GEMM half of a convolution, from im2col's matrix."""
        return self._rows_output(self._matmul(cols, self._kernel_matrix(w, geom)), geom)

    def conv_grad_input(self, dy, w, geom):
        """Gradient of the convolution with respect to its input (also the transposed convolution):
        one GEMM into the receptive-field matrix, then col2im."""
        kernel = self.xp.swapaxes(self._kernel_matrix(w, geom), 1, 2)
        return self.col2im(self._matmul(self._output_rows(dy, geom), kernel), geom)

    def conv_grad_weight(self, cols, dy, geom, kernel_shape):
        """Gradient of the convolution with respect to its kernel, from im2col of the input."""
        xp = self.xp
        grad = self._matmul(xp.swapaxes(cols, 1, 2), self._output_rows(dy, geom))
        return xp.moveaxis(grad, 0, 1).reshape(kernel_shape)

    # ------------------------------------------------------------------ pooling
    def window_counts(self, geom):
        """How many real (unpadded) elements each pooling window covers, shape (1, *out, 1)."""
        xp = self.xp
        counts = xp.ones((1,) * (geom.rank + 2), dtype=numpy.float64)
        for axis, (n, k, s, (before, _), o) in enumerate(
                zip(geom.spatial, geom.kernel, geom.strides, geom.pads, geom.out)):
            start = xp.arange(o) * s - before
            per_axis = xp.minimum(start + k, n) - xp.maximum(start, 0)
            shape = [1] * (geom.rank + 2)
            shape[axis + 1] = o
            counts = counts * per_axis.reshape(shape)
        return counts

    def pool(self, mode, x, geom, keep_argmax):
        """Max or average pooling; returns (output, state for pool_grad).

        One elementwise pass per window tap over strided slices; max keeps the index of the
        first maximum of each window (for the gradient) when keep_argmax is set.
        """
        xp = self.xp
        padded = self._pad(self._channels_last(x, geom), geom, -numpy.inf if mode == 'max' else 0)
        out, argmax = None, None
        for i, source in enumerate(self._tap_offsets(geom)):
            values = padded[source]
            if out is None:
                out = values.copy()
                if mode == 'max' and keep_argmax:
                    argmax = xp.zeros(out.shape, dtype=xp.uint8 if geom.taps < 256 else xp.int32)
            elif mode == 'max':
                if keep_argmax:
                    # strictly greater: ties keep the first maximum, as TensorFlow does
                    argmax[values > out] = i
                xp.maximum(out, values, out=out)
            else:
                out += values
        if mode == 'avg':
            out /= self.window_counts(geom).astype(out.dtype)
        return self._from_channels_last(out, geom), argmax

    def pool_grad(self, mode, dy, state, geom):
        """Gradient of pool() with respect to its input; `state` is what pool() returned."""
        xp = self.xp
        dy = self._channels_last(dy, geom)
        if mode == 'max':
            zero = xp.zeros((), dtype=dy.dtype)
            return self._accumulate_taps(lambda i: xp.where(state == i, dy, zero), geom, dy.dtype)
        share = dy / self.window_counts(geom).astype(dy.dtype)
        return self._accumulate_taps(lambda i: share, geom, dy.dtype)
