"""The NumPy backend: the generic implementation every other backend falls back to."""
import itertools
import math

import numpy

from . import cpu_threads, host_memory


class NumpyBackend:
    """Array backend on NumPy; kernels here are written on `self.xp` so CuPy can inherit them.

    The spatial kernels take a geometry object (gkeras.backend.spatial.ConvGeometry) describing
    one convolution or pooling window: batch, channels, groups, spatial input/kernel/output
    sizes, strides, dilation, per-side padding and the data layout.
    """
    name = 'numpy'
    xp = numpy
    # whether the backend's large host temporaries make the process keep freed memory
    keeps_freed_host_memory = True

    def __init__(self):
        if self.keeps_freed_host_memory:
            host_memory.keep_freed_memory()

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

    # ------------------------------------------------------------------ random
    # Dropout masks of more than this many elements are drawn in chunks of this size, each
    # from its own generator seeded by the caller's, on the CPU threads: the numbers depend on
    # the seed and the shape only, never on the thread count.
    dropout_chunk = 1 << 18

    def dropout_scale(self, source, shape, level, dtype, draw_dtype):
        """Dropout's scaled keep mask: 1 / (1 - level) where a uniform draw (in draw_dtype) from
        the generator `source` is >= level, else 0; in `dtype`."""
        scale = draw_dtype.type(1.0 / (1.0 - level))
        size = math.prod(shape)
        if self.xp is not numpy or size <= self.dropout_chunk:
            draw = source.random(tuple(shape), dtype=draw_dtype)
            return self.xp.multiply(draw >= level, scale, out=draw).astype(dtype, copy=False)
        out = numpy.empty(size, dtype=draw_dtype)
        chunks = [slice(i, min(i + self.dropout_chunk, size))
                  for i in range(0, size, self.dropout_chunk)]
        seeds = source.integers(0, 2 ** 63, size=len(chunks), dtype=numpy.int64)

        def work(share):
            for chunk, seed in share:
                part = out[chunk]
                numpy.random.Generator(numpy.random.PCG64(int(seed))).random(
                    part.size, dtype=draw_dtype, out=part)
                numpy.multiply(part >= level, scale, out=part)
        cpu_threads.run(list(zip(chunks, seeds)), work)
        return out.reshape(shape).astype(dtype, copy=False)

    def step_scope(self):
        """The context of one train, test or predict step (the CPU threads' region)."""
        return cpu_threads.region()

    # ------------------------------------------------------------------ matrix products
    # Products of at least this many multiply-adds are split over the CPU threads (smaller
    # ones gain less than handing them out costs; BLAS runs those itself).
    parallel_gemm_min = 1 << 21

    def gemm(self, a, b, out=None):
        """The 2-D product a @ b (into out when given); large products split row- or
        column-wise over the CPU threads, each part one single-threaded BLAS call."""
        xp = self.xp
        (m, k), n = a.shape, b.shape[1]
        threads = cpu_threads.thread_count()
        if threads == 1 or m * n * k < self.parallel_gemm_min:
            return xp.matmul(a, b, out=out)
        if out is None:
            out = xp.empty((m, n), dtype=xp.result_type(a.dtype, b.dtype))
        rows = m >= n  # split the longer side
        length = m if rows else n
        parts = cpu_threads.split(length, -(-length // threads))

        def work(share):
            for part in share:
                if rows:
                    xp.matmul(a[part], b, out=out[part])
                else:
                    xp.matmul(a, b[:, part], out=out[:, part])
        cpu_threads.run(parts, work)
        return out

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
    def _strided(self, x, shape, strides, writeable=False):
        """A view of x with the given shape and byte strides (never copies)."""
        return numpy.lib.stride_tricks.as_strided(x, shape, strides, writeable=writeable)

    def _window_view(self, x, geom, out=None):
        """Strided view (N, *out, *kernel, C) of the receptive fields of a padded x (N, ..., C);
        `out` (default geom.out) is how many windows to take along each axis."""
        s = x.strides
        spatial = s[1:-1]
        shape = (x.shape[0],) + (out or geom.out) + geom.kernel + (x.shape[-1],)
        strides = ((s[0],) + tuple(a * b for a, b in zip(spatial, geom.strides))
                   + tuple(a * b for a, b in zip(spatial, geom.dilation)) + (s[-1],))
        return self._strided(x, shape, strides)

    def windows(self, x, geom):
        """Strided view (N, *out, *kernel, C) of every receptive field of x (zero padded)."""
        return self._window_view(self._pad(self._channels_last(x, geom), geom, 0), geom)

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
        if geom.padded:
            return self.xp.pad(x, ((0, 0),) + geom.pads + ((0, 0),), constant_values=fill)
        return x

    def _unpad(self, padded, geom):
        """(N, *padded, C) without geom's padding, in geom's layout."""
        if geom.padded:
            padded = padded[(slice(None),) + geom.interior]
        return self._from_channels_last(padded, geom)

    def _accumulate_taps(self, tap_values, geom, dtype):
        """Sum tap_values(i), each (N, *out, C), onto the input positions tap i reads.

        One strided accumulation per kernel tap (9 for 3x3), never a loop over pixels.
        """
        padded = self.xp.zeros((geom.batch,) + geom.padded_spatial + (geom.channels,),
                               dtype=dtype)
        for i, target in enumerate(self._tap_offsets(geom)):
            padded[target] += tap_values(i)
        return self._unpad(padded, geom)

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

    # ------------------------------------------------------------------ blocked convolution
    # On the CPU a convolution without groups runs block by block over the output rows: the
    # receptive-field matrix of a block (at most block_bytes, sized to stay in a core's L2
    # cache) is copied into a buffer reused by the next block and multiplied at once, so the
    # GEMM reads it back from cache instead of memory, and no matrix taps times the input's size
    # is ever allocated. The blocks are spread over the cores (cpu_threads), each thread with
    # its own buffers. The weight gradient recomputes each block's matrix instead of keeping
    # the forward's.

    blocked_conv = True
    block_bytes = 1 << 21
    # Elementwise kernels (pooling, the relu gradient) go to the threads in parts of at most
    # these sizes: larger than a cache, because on two threads each part's NumPy calls contend
    # for the GIL (measured, mnist_cnn's pooling forward: 19 ms in 256 KiB parts, 3.3 in 4 MiB)
    pool_part_bytes = 1 << 22
    elementwise_part = 1 << 20

    def _blocked(self, geom):
        return self.blocked_conv and geom.groups == 1

    def _field_blocks(self, geom, itemsize):
        """Split im2col's rows into blocks: (images, lines, [(n0, n1, o0, o1), ...]).

        A block is whole images (n0:n1) when one image's matrix fits in block_bytes, else a run
        of lines o0:o1 of the first output axis of one image; blocks are balanced in size.
        """
        width = geom.taps * geom.channels
        line = math.prod(geom.out[1:])
        per_image = geom.out[0] * line
        most_rows = max(1, self.block_bytes // (width * itemsize))
        if per_image <= most_rows:
            images, lines = _balanced(geom.batch, most_rows // per_image), geom.out[0]
        else:
            images, lines = 1, _balanced(geom.out[0], max(1, most_rows // line))
        blocks = [(n0, min(n0 + images, geom.batch), o0, min(o0 + lines, geom.out[0]))
                  for n0 in range(0, geom.batch, images) for o0 in range(0, geom.out[0], lines)]
        return images, lines, blocks

    def _receptive_fields(self, x, geom, blocks, images, lines, ones=False):
        """Yield (start, stop, cols) per block: rows [start, stop) of im2col(x) as
        (stop - start, taps * C), x channels-last; with ones, one more column of ones last, so
        that a product with the kernel matrix and the bias below it adds the bias (and the
        transposed product gives the bias gradient beside the kernel's).

        cols is one buffer, overwritten by the next block: use it before asking for the next.
        Zero padding is written into a small buffer reused by every block.
        """
        xp = self.xp
        fields = geom.taps * geom.channels
        width = fields + 1 if ones else fields
        line = math.prod(geom.out[1:])
        per_image = geom.out[0] * line
        stride, span = geom.strides[0], (geom.kernel[0] - 1) * geom.dilation[0] + 1
        (before, _), length = geom.pads[0], geom.spatial[0]
        padded = geom.padded
        if padded:
            # borders of the other axes are zeroed once here; the first axis's, per block
            buffer = xp.zeros((images, (lines - 1) * stride + span) + geom.padded_spatial[1:]
                              + (geom.channels,), dtype=x.dtype)
            interior = geom.interior[1:]
        cols_buffer = xp.empty(images * lines * line * width, dtype=x.dtype)
        taps = [(Ellipsis,) + tap + (slice(None),)
                for tap in itertools.product(*(range(k) for k in geom.kernel))]
        for n0, n1, o0, o1 in blocks:
            first, last = o0 * stride, (o1 - 1) * stride + span  # padded rows read
            if padded:
                source = buffer[:n1 - n0, :last - first]
                real_first = max(first, before)
                real_last = max(min(last, before + length), real_first)
                source[:, :real_first - first] = 0
                source[:, real_last - first:] = 0
                source[(slice(None), slice(real_first - first, real_last - first))
                       + interior] = x[n0:n1, real_first - before:real_last - before]
            else:
                source = x[n0:n1, first:last]
            view = self._window_view(source, geom, (o1 - o0,) + geom.out[1:])
            rows = (n1 - n0) * (o1 - o0) * line
            start = n0 * per_image + o0 * line
            if geom.channels < 4:
                # a window row is only kernel[-1] * C contiguous elements: copy tap by tap into
                # the transposed matrix (runs along the output), which BLAS reads as is
                matrix = cols_buffer[:rows * width].reshape(width, rows)
                cols = matrix[:fields].reshape(
                    (geom.taps, geom.channels) + view.shape[:geom.rank + 1])
                for i, tap in enumerate(taps):
                    xp.copyto(cols[i], xp.moveaxis(view[tap], -1, 0))
                if ones:
                    matrix[fields] = 1
                yield start, start + rows, matrix.T
            else:
                matrix = cols_buffer[:rows * width].reshape(rows, width)
                if ones:
                    matrix[:, fields] = 1
                    # the rows' first `fields` elements, shaped as the view
                    item = matrix.itemsize
                    row_strides = [width * item]
                    for n in reversed(view.shape[1:geom.rank + 1]):
                        row_strides.insert(0, row_strides[0] * n)
                    field_strides = [item]
                    for n in reversed(view.shape[geom.rank + 2:]):
                        field_strides.insert(0, field_strides[0] * n)
                    into = self._strided(matrix, view.shape, tuple(row_strides + field_strides),
                                         writeable=True)
                else:
                    into = matrix.reshape(view.shape)
                xp.copyto(into, view)
                yield start, start + rows, matrix

    def _each_block(self, x, geom, work, ones=False):
        """work(fields) in each CPU thread, fields iterating over that thread's blocks of x's
        receptive fields as _receptive_fields yields them; the results in thread order."""
        x = self._channels_last(x, geom)
        images, lines, blocks = self._field_blocks(geom, x.itemsize)
        return cpu_threads.run(blocks, lambda share: work(
            self._receptive_fields(x, geom, share, images, lines, ones)))

    def _conv_blocked(self, x, matrix, geom, bias=None, relu=False):
        """Convolution of x with a (taps * C, K) kernel matrix (plus a bias, then max(., 0)
        with relu), block by block. The bias is one more row of the matrix, against a column
        of ones in the receptive fields: the product adds it, no pass of its own."""
        xp = self.xp
        y = xp.empty((geom.batch,) + geom.out + (matrix.shape[1],),
                     dtype=xp.result_type(x.dtype, matrix.dtype))
        rows = y.reshape(geom.rows, matrix.shape[1])
        if bias is not None:
            matrix = xp.concatenate([matrix, bias.reshape(1, -1).astype(matrix.dtype)])

        def work(fields):
            for start, stop, cols in fields:
                block = rows[start:stop]
                xp.matmul(cols, matrix, out=block)
                if relu:  # while the block is in cache
                    xp.maximum(block, 0, out=block)
        self._each_block(x, geom, work, ones=bias is not None)
        return self._from_channels_last(y, geom)

    def _grad_weight_blocked(self, x, dy, geom, kernel_shape, with_bias):
        xp = self.xp
        dy = self._channels_last(dy, geom)
        dy = xp.ascontiguousarray(dy).reshape(geom.rows, dy.shape[-1])
        dtype = xp.result_type(x.dtype, dy.dtype)

        # with the bias, the receptive fields' column of ones makes the product's last row
        # the bias gradient (dy's column sums)
        fields = math.prod(kernel_shape[:-1])

        def work(fields_of_blocks):
            grad = xp.zeros((fields + 1 if with_bias else fields, dy.shape[1]), dtype=dtype)
            partial = xp.empty_like(grad)
            for start, stop, cols in fields_of_blocks:
                grad += xp.matmul(cols.T, dy[start:stop], out=partial)
            return grad
        results = self._each_block(x, geom, work, ones=with_bias)
        grad = results[0]
        for more in results[1:]:
            grad += more
        if with_bias:
            return grad[:fields].reshape(kernel_shape), grad[fields].astype(dy.dtype)
        return grad.reshape(kernel_shape)

    # ------------------------------------------------------------------ convolution
    def conv(self, x, w, geom, bias=None, relu=False):
        """Convolution of x with the Keras kernel w, plus a bias vector of its output channels
        when given, then max(., 0) with relu; returns (output, state for the gradients)."""
        if self._blocked(geom):
            return self._conv_blocked(x, w.reshape(-1, w.shape[-1]), geom, bias, relu), x
        cols = self.im2col(x, geom)
        out = self.conv_cols(cols, w, geom)
        if bias is not None:
            out += bias.reshape((-1,) + (1,) * geom.rank) if geom.channels_first else bias
        if relu:
            self.xp.maximum(out, 0, out=out)
        return out, cols

    def relu_grad(self, dy, y):
        """dy where y > 0, else 0 (y = max(a, 0) of some a): the gradient through a relu.

        Selected bit for bit (an infinite dy gives no nan), in chunks spread over the CPU
        threads.
        """
        xp = self.xp
        if dy.shape != y.shape or dy.dtype.kind != 'f' or not (
                dy.flags.c_contiguous and y.flags.c_contiguous):
            return xp.where(y > 0, dy, xp.zeros((), dtype=dy.dtype))
        out = xp.empty_like(dy)
        flat_dy, flat_y, flat_out = dy.reshape(-1), y.reshape(-1), out.reshape(-1)

        def work(parts):
            for part in parts:
                self.select(flat_dy[part], xp.greater(flat_y[part], 0), out=flat_out[part])
        cpu_threads.run(cpu_threads.split(dy.size, self.elementwise_part), work)
        return out

    def conv_state(self, x, geom):
        """What conv() would return as its state for conv_grad_weight, without the convolution."""
        return x if self._blocked(geom) else self.im2col(x, geom)

    def conv_cols(self, cols, w, geom):
        """The GEMM half of a convolution, from im2col's matrix."""
        return self._rows_output(self._matmul(cols, self._kernel_matrix(w, geom)), geom)

    def conv_grad_input(self, dy, w, geom, gate=None):
        """Gradient of the convolution with respect to its input (also the transposed convolution).

        Stride 1 (more than one input channel): tap by tap, blocked (_grad_input_taps).
        Otherwise one GEMM into the receptive-field matrix, then col2im; also for one input
        channel, where each tap's product would be a matrix-vector one.

        gate: the input itself when it is the output of a relu: the gradient is then taken
        through that relu too (kept where gate > 0, else 0), block by block where it can be.
        """
        if self._blocked(geom) and geom.channels > 1 and all(s == 1 for s in geom.strides):
            return self._grad_input_taps(dy, w, geom, gate)
        kernel = self.xp.swapaxes(self._kernel_matrix(w, geom), 1, 2)
        dx = self.col2im(self._matmul(self._output_rows(dy, geom), kernel), geom)
        return dx if gate is None else self.relu_grad(dx, gate)

    def _grad_input_taps(self, dy, w, geom, gate=None):
        """The stride-1 input gradient as one product per kernel tap: the output gradient's rows
        (straight from dy, no copy) times the tap's (K, C) kernel, added onto the input positions
        the tap read, a block of whole images at a time spread over the CPU threads.

        Exactly the forward's multiply-adds (a correlation over the zero-padded output gradient
        does up to a sixth more, for 'valid' convolutions), and each tap's addition runs along
        whole lines of the image. Measured at mnist_cnn's second convolution, 2 threads: 22 ms
        against 26 for that correlation; at cifar_cnn's shapes the same or slightly better.

        With a gate (the input, a relu's output), each block is gated while in cache.
        """
        xp = self.xp
        filters, channels = w.shape[-1], geom.channels
        per_image = math.prod(geom.out)
        dtype = xp.result_type(dy.dtype, w.dtype)
        rows = xp.ascontiguousarray(self._channels_last(dy, geom)).reshape(-1, filters)
        # (taps, K, C): each tap's kernel transposed, contiguous for BLAS
        kernels = xp.ascontiguousarray(xp.swapaxes(w.reshape(geom.taps, channels, filters), 1, 2))
        interior = (slice(None),) + geom.interior
        targets = list(self._tap_offsets(geom))
        if gate is not None:
            gate = xp.ascontiguousarray(self._channels_last(gate, geom))
        dx = xp.empty((geom.batch,) + geom.spatial + (channels,), dtype=dtype)
        images = max(1, self.block_bytes // (per_image * (filters + channels) * dy.itemsize))
        blocks = [(n0, min(n0 + images, geom.batch)) for n0 in range(0, geom.batch, images)]

        def work(share):
            product = xp.empty(images * per_image * channels, dtype=dtype)
            buffer = (xp.empty((images,) + geom.padded_spatial + (channels,), dtype=dtype)
                      if geom.padded else None)
            for n0, n1 in share:
                count = n1 - n0
                region = buffer[:count] if geom.padded else dx[n0:n1]
                region[...] = 0
                block = rows[n0 * per_image:n1 * per_image]
                tap_product = product[:count * per_image * channels].reshape(-1, channels)
                for kernel, target in zip(kernels, targets):
                    xp.matmul(block, kernel, out=tap_product)
                    region[target] += tap_product.reshape((count,) + geom.out + (channels,))
                if geom.padded:
                    dx[n0:n1] = region[interior]
                if gate is not None:
                    block = dx[n0:n1]
                    self.select(block, xp.greater(gate[n0:n1], 0), out=block)
        cpu_threads.run(blocks, work)
        return self._from_channels_last(dx, geom)

    def conv_grad_weight(self, state, dy, geom, kernel_shape, with_bias=False):
        """Gradient of the convolution with respect to its kernel, from conv()'s state; with
        with_bias, the pair (kernel gradient, bias gradient)."""
        if self._blocked(geom):
            return self._grad_weight_blocked(state, dy, geom, kernel_shape, with_bias)
        xp = self.xp
        grad = self._matmul(xp.swapaxes(state, 1, 2), self._output_rows(dy, geom))
        grad = xp.moveaxis(grad, 0, 1).reshape(kernel_shape)
        return (grad, self.conv_grad_bias(dy, geom)) if with_bias else grad

    def conv_grad_bias(self, dy, geom):
        """Gradient of the convolution's bias: dy summed over everything but its channels."""
        return self._channels_last(dy, geom).sum(axis=tuple(range(geom.rank + 1)))

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

    @staticmethod
    def _disjoint(geom):
        """True when no two pooling windows overlap (strides at least the window)."""
        return all(s >= k for s, k in zip(geom.strides, geom.kernel))

    def _pool_view(self, padded, geom, writeable=False):
        """View (N, o1, k1, o2, k2, ..., C) of the disjoint pooling windows of padded."""
        s = padded.strides
        shape, strides = [padded.shape[0]], [s[0]]
        for o, k, step, stride in zip(geom.out, geom.kernel, geom.strides, s[1:-1]):
            shape += [o, k]
            strides += [stride * step, stride]
        return self._strided(padded, tuple(shape) + (padded.shape[-1],),
                             tuple(strides) + (s[-1],), writeable)

    def _pool_taps(self, view, geom):
        """The slices (N, *out, C) of a _pool_view, one per window tap in kernel order."""
        for tap in itertools.product(*(range(k) for k in geom.kernel)):
            yield view[(slice(None),) + sum(((slice(None), t) for t in tap), ()) + (Ellipsis,)]

    @staticmethod
    def _spread(geom):
        """Index that turns (N, *out, C) into (N, o1, 1, o2, 1, ..., C), to broadcast on windows."""
        return (slice(None),) + (slice(None), None) * geom.rank + (Ellipsis,)

    def select(self, values, mask, out=None, inverted=False, scratch=True):
        """values (floating point) where the boolean mask holds (where it does not, with
        inverted), else +0, bit for bit: a non-finite value never leaks elsewhere.

        A bitwise and with the mask turned into all-ones / all-zeros integers: as fast as a
        multiply, and unlike one, inf * 0 gives no NaN; a quarter of where's time on NumPy.
        With scratch (the default) the mask is a temporary and is overwritten for that.
        """
        xp = self.xp
        flags = mask.view(xp.int8)
        into = flags if scratch and flags.flags.c_contiguous else None
        # True -> -1 (all ones), False -> 0; inverted: True -> 0, False -> -1
        ones = (xp.subtract(flags, 1, out=into) if inverted else xp.negative(flags, out=into))
        ints = numpy.dtype(f'i{values.dtype.itemsize}')
        if out is None:
            return xp.bitwise_and(values.view(ints), ones).view(values.dtype)
        xp.bitwise_and(values.view(ints), ones, out=out.view(ints))
        return out

    def pool(self, mode, x, geom, keep_argmax):
        """Max or average pooling; returns (output, state for pool_grad).

        One elementwise pass per window tap over strided views (of the windows themselves when
        they do not overlap), a few images at a time spread over the CPU threads; max keeps the
        index of the first maximum of each window (for the gradient) when keep_argmax is set.
        """
        xp = self.xp
        padded = self._pad(self._channels_last(x, geom), geom, -numpy.inf if mode == 'max' else 0)
        out = xp.empty((geom.batch,) + geom.out + (geom.channels,), dtype=padded.dtype)
        argmax = None
        if mode == 'max' and keep_argmax:
            argmax = xp.empty(out.shape, dtype=xp.uint8 if geom.taps <= 256 else xp.int32)
        divisor = self._window_sizes(geom, out.dtype) if mode == 'avg' else None

        def work(parts):
            for part in parts:
                self._pool_images(mode, padded[part], geom, out[part],
                                  None if argmax is None else argmax[part], divisor)
        cpu_threads.run(self._image_parts(padded), work)
        return self._from_channels_last(out, geom), argmax

    def _image_parts(self, x):
        """Slices of x's first (batch) axis for the CPU threads, each some images of at most
        pool_part_bytes; one slice for arrays not on the CPU (CuPy falls back on this pooling
        for the dtypes its kernels lack)."""
        if self.xp is not numpy:
            return [slice(None)]
        per_image = max(1, x[:1].nbytes)
        return cpu_threads.split(x.shape[0], max(1, self.pool_part_bytes // per_image))

    def _pool_images(self, mode, padded, geom, out, argmax, divisor):
        """pool() of some images: writes their outputs (and argmax) into out (and argmax)."""
        xp = self.xp
        if self._disjoint(geom):
            taps = list(self._pool_taps(self._pool_view(padded, geom), geom))
        else:
            taps = [padded[source] for source in self._tap_offsets(geom)]
        xp.copyto(out, taps[0])
        if mode == 'max':
            if argmax is not None:
                argmax[...] = 0
                greater = xp.empty(out.shape, dtype=bool)
                index = xp.empty_like(argmax)
            for i, values in enumerate(taps[1:], 1):
                if argmax is not None:
                    # ties keep the first maximum, as in TensorFlow: a later tap takes over only
                    # where strictly greater, and since tap indices grow, the argmax is a running
                    # maximum of (greater * tap index)
                    xp.greater(values, out, out=greater)
                    xp.multiply(greater, argmax.dtype.type(i), out=index)
                    xp.maximum(argmax, index, out=argmax)
                xp.maximum(out, values, out=out)
        else:
            for values in taps[1:]:
                out += values
            out /= divisor

    def _window_sizes(self, geom, dtype):
        """Divisor of average pooling: the window size, or per window its real elements."""
        if geom.padded:
            return self.window_counts(geom).astype(dtype)
        return geom.taps

    def pool_grad(self, mode, dy, state, geom):
        """Gradient of pool() with respect to its input; `state` is what pool() returned.

        A few images at a time, spread over the CPU threads.
        """
        xp = self.xp
        dy = self._channels_last(dy, geom)
        if mode == 'avg':
            dy = dy / self._window_sizes(geom, dy.dtype)
        disjoint = self._disjoint(geom)
        # with disjoint windows that tile the input, every element is written: no zeroing
        tiled = disjoint and all(s == k and o * s == n for s, k, o, n in zip(
            geom.strides, geom.kernel, geom.out, geom.padded_spatial))
        padded = (xp.empty if tiled else xp.zeros)(
            (geom.batch,) + geom.padded_spatial + (geom.channels,), dtype=dy.dtype)
        spread = self._spread(geom)
        if mode == 'max' and disjoint:
            grid = xp.arange(geom.taps, dtype=state.dtype).reshape(
                (1,) + sum(((1, k) for k in geom.kernel), ()) + (1,))

        def work(parts):
            for part in parts:
                into, grads = padded[part], dy[part]
                if disjoint:
                    # each input element is in one window at most: write, no accumulation
                    windows = self._pool_view(into, geom, writeable=True)
                    if mode == 'max':
                        self.select(grads[spread], xp.equal(state[part][spread], grid),
                                     out=windows)
                    else:
                        xp.copyto(windows, grads[spread])
                else:
                    for i, target in enumerate(self._tap_offsets(geom)):
                        into[target] += (self.select(grads, state[part] == i) if mode == 'max'
                                         else grads)
        cpu_threads.run(self._image_parts(padded), work)
        return self._unpad(padded, geom)


def _balanced(total, most):
    """The size of the fewest near-equal chunks of `total` items with at most `most` each."""
    chunks = max(1, -(-total // most))
    return max(1, -(-total // chunks))
