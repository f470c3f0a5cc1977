"""Recurrent kernels: fused LSTM / GRU / SimpleRNN step primitives.

Each step primitive is one tape node: its forward does the recurrent matmul and the whole cell in
one go, its VJP the cell's backward and the two matmuls (input gradient of the state, weight
gradient). A recurrent layer projects the inputs of all time steps with one GEMM, splits the
result along time with autodiff.unstack (backward linear in the sequence length) and loops these
steps. The cell elementwise math is written once on `xp` (`XpCells`, the NumPy path and the
reference); on CuPy `CudaCells` runs the same math as fused kernels from cuda/rnn_cells.cu,
compiled lazily on first use. User step functions go through K.rnn (backend/functions.py).

On NumPy a whole LSTM or GRU sequence is one tape node (`lstm_sequence`, `gru_sequence`): its
loops write every step into buffers allocated once per sequence (pre-activations, gates, the
state history), with `out=` and no per-step arrays, and the backward takes the recurrent
kernel's gradient as one GEMM over all the steps.
"""
import numpy as np

from . import kernels, selection
from .autodiff import _needs_grad, _record, raw

# Activations the fused kernels evaluate themselves (others go through the composed cell path).
FUSED_ACTIVATIONS = {'linear': 0, 'tanh': 1, 'sigmoid': 2, 'hard_sigmoid': 3, 'relu': 4}


def _xp():
    return selection.active().xp


def _activate(xp, name, a):
    """activation(a) as a new array."""
    if name == 'tanh':
        return xp.tanh(a)
    if name == 'sigmoid':
        y = xp.negative(a)
        with np.errstate(over='ignore'):
            _sigmoid_in_place(xp, y)
        return y
    if name == 'hard_sigmoid':
        y = a * 0.2
        y += 0.5
        return xp.clip(y, 0., 1., out=y)
    if name == 'relu':
        return xp.maximum(a, 0)
    return a.copy()


def _sigmoid_in_place(xp, y):
    """1 / (1 + exp(y)) in place of y = -a: four passes and no temporaries, where the form
    exp(-|a|) / (1 + exp(-|a|)) for a < 0 takes twice the time. exp overflows to inf for
    a < -88 (float32), which gives the right 0 (callers silence the warning); float16
    flushes sigmoid(a) < 1.5e-5 to 0."""
    xp.exp(y, out=y)
    y += 1
    xp.divide(1, y, out=y)


def _slope(xp, name, a, y):
    """d activation / d a at pre-activation `a` with output `y` (TensorFlow's conventions: the
    hard sigmoid passes its gradient at the clip bounds, relu has slope 0 at 0)."""
    if name == 'tanh':
        return 1 - y * y
    if name == 'sigmoid':
        return y * (1 - y)
    if name == 'hard_sigmoid':
        linear = a * 0.2 + 0.5
        return ((linear >= 0) & (linear <= 1)).astype(a.dtype) * 0.2
    if name == 'relu':
        return (a > 0).astype(a.dtype)
    return 1


class XpCells:
    """The cell elementwise math on `xp` arrays. `mask` is a (batch, 1) boolean array or None:
    where it is False the step keeps the previous state (and passes its gradient straight back)."""

    def lstm_forward(self, z, state, mask, activation, recurrent_activation):
        """z: (batch, 4u) pre-activations (gates i, f, c, o); state: (batch, 2u) = [h | c].

        Returns (new_state, cache); the cache (the activated gates, the new c and its
        activation) spares lstm_backward recomputing them."""
        xp = _xp()
        u = state.shape[1] // 2
        gates = _activate(xp, recurrent_activation, z)
        gates[:, 2 * u:3 * u] = _activate(xp, activation, z[:, 2 * u:3 * u])
        i, f, g, o = (gates[:, k * u:(k + 1) * u] for k in range(4))
        c = f * state[:, u:]
        c += i * g
        tc = _activate(xp, activation, c)
        new_state = xp.concatenate([o * tc, c], axis=1)
        if mask is not None:
            new_state = xp.where(mask, new_state, state)
        return new_state, (gates, c, tc)

    def lstm_backward(self, z, state, cache, mask, d_state, activation, recurrent_activation):
        """(dz, d_state_prev) without the recurrent matmul's share of d h_prev."""
        xp = _xp()
        u = state.shape[1] // 2
        gates, c, tc = cache
        i, f, g, o = (gates[:, k * u:(k + 1) * u] for k in range(4))
        dh, dc = d_state[:, :u], d_state[:, u:]
        if mask is not None:
            dh_new, dc_new = xp.where(mask, dh, 0), xp.where(mask, dc, 0)
        else:
            dh_new, dc_new = dh, dc
        dc_total = dh_new * o
        dc_total *= _slope(xp, activation, c, tc)
        dc_total += dc_new
        dz = xp.empty_like(z)
        xp.multiply(dc_total, g, out=dz[:, :u])
        xp.multiply(dc_total, state[:, u:], out=dz[:, u:2 * u])
        xp.multiply(dc_total, i, out=dz[:, 2 * u:3 * u])
        xp.multiply(dh_new, tc, out=dz[:, 3 * u:])
        dz[:, :2 * u] *= _slope(xp, recurrent_activation, z[:, :2 * u], gates[:, :2 * u])
        dz[:, 2 * u:3 * u] *= _slope(xp, activation, z[:, 2 * u:3 * u], g)
        dz[:, 3 * u:] *= _slope(xp, recurrent_activation, z[:, 3 * u:], o)
        d_prev = xp.empty_like(state)
        xp.multiply(dc_total, f, out=d_prev[:, u:])
        if mask is not None:
            d_prev[:, :u] = xp.where(mask, 0, dh)
            d_prev[:, u:] += xp.where(mask, 0, dc)
        else:
            d_prev[:, :u] = 0
        return dz, d_prev

    def gru_forward(self, x, rec, h_prev, mask, reset_after, activation, recurrent_activation):
        """x: (batch, 3u) input projections (z, r, h); rec: (batch, 3u) recurrent projections,
        the last third being h_prev @ U_h + b_h (reset_after) or (r * h_prev) @ U_h (before)."""
        xp = _xp()
        u = h_prev.shape[1]
        z = _activate(xp, recurrent_activation, x[:, :u] + rec[:, :u])
        if reset_after:
            r = _activate(xp, recurrent_activation, x[:, u:2 * u] + rec[:, u:2 * u])
            candidate = _activate(xp, activation, x[:, 2 * u:] + r * rec[:, 2 * u:])
        else:
            candidate = _activate(xp, activation, x[:, 2 * u:] + rec[:, 2 * u:])
        h = z * h_prev + (1 - z) * candidate
        if mask is not None:
            h = xp.where(mask, h, h_prev)
        return h

    def gru_backward(self, x, rec, h_prev, mask, dh, reset_after, activation,
                     recurrent_activation):
        """(dx, drec, dh_prev) without the recurrent matmuls' share of dh_prev. With
        reset_after=False the reset gate's columns of dx / drec are left zero (they need the
        gradient through the candidate's matmul, which the caller computes)."""
        xp = _xp()
        u = h_prev.shape[1]
        z_pre = x[:, :u] + rec[:, :u]
        z = _activate(xp, recurrent_activation, z_pre)
        if reset_after:
            r_pre = x[:, u:2 * u] + rec[:, u:2 * u]
            r = _activate(xp, recurrent_activation, r_pre)
            a = x[:, 2 * u:] + r * rec[:, 2 * u:]
        else:
            a = x[:, 2 * u:] + rec[:, 2 * u:]
        candidate = _activate(xp, activation, a)
        dh_new = xp.where(mask, dh, 0) if mask is not None else dh
        dz_pre = dh_new * (h_prev - candidate) * _slope(xp, recurrent_activation, z_pre, z)
        da = dh_new * (1 - z) * _slope(xp, activation, a, candidate)
        dh_prev = dh_new * z
        if mask is not None:
            dh_prev = dh_prev + xp.where(mask, 0, dh)
        if reset_after:
            dr_pre = da * rec[:, 2 * u:] * _slope(xp, recurrent_activation, r_pre, r)
            dx = xp.concatenate([dz_pre, dr_pre, da], axis=1)
            drec = xp.concatenate([dz_pre, dr_pre, da * r], axis=1)
        else:
            dx = xp.concatenate([dz_pre, xp.zeros_like(dz_pre), da], axis=1)
            drec = dx.copy()
        return dx, drec, dh_prev


class CudaCells(XpCells):
    """XpCells on CuPy with each cell's forward / backward as one fused kernel of
    cuda/rnn_cells.cu (compiled on first use, see kernels.py); other dtypes fall back to XpCells.
    """

    @staticmethod
    def _launch(name, dtype, batch, units, arrays, flags):
        """Run kernel `name` over batch * units threads; `flags` are its trailing int arguments."""
        kernels.launch('rnn_cells.cu', name, dtype, batch * units,
                       tuple(arrays) + (np.int32(batch), np.int32(units))
                       + tuple(np.int32(f) for f in flags))

    @staticmethod
    def _mask(mask, placeholder):
        """(mask bytes, has_mask); the placeholder stands in for an absent mask, never read."""
        import cupy
        if mask is None:
            return placeholder, 0
        return cupy.ascontiguousarray(mask.reshape(-1).astype(cupy.uint8)), 1

    @staticmethod
    def _codes(activation, recurrent_activation):
        return FUSED_ACTIVATIONS[activation], FUSED_ACTIVATIONS[recurrent_activation]

    def lstm_forward(self, z, state, mask, activation, recurrent_activation):
        """The kernel keeps no cache: lstm_backward recomputes the gates, for free on a GPU."""
        if not kernels.supports(state.dtype):
            return super().lstm_forward(z, state, mask, activation, recurrent_activation)
        import cupy
        z, state = cupy.ascontiguousarray(z), cupy.ascontiguousarray(state)
        out = cupy.empty_like(state)
        mask_bytes, has_mask = self._mask(mask, out)
        self._launch('lstm_forward', state.dtype, state.shape[0], state.shape[1] // 2,
                     (z, state, mask_bytes, out),
                     self._codes(activation, recurrent_activation) + (has_mask,))
        return out, None

    def lstm_backward(self, z, state, cache, mask, d_state, activation, recurrent_activation):
        if not kernels.supports(state.dtype):
            return super().lstm_backward(z, state, cache, mask, d_state, activation,
                                         recurrent_activation)
        import cupy
        z, state = cupy.ascontiguousarray(z), cupy.ascontiguousarray(state)
        d_state = cupy.ascontiguousarray(d_state, dtype=state.dtype)
        dz = cupy.empty_like(z)
        d_prev = cupy.empty_like(state)
        mask_bytes, has_mask = self._mask(mask, d_prev)
        self._launch('lstm_backward', state.dtype, state.shape[0], state.shape[1] // 2,
                     (z, state, mask_bytes, d_state, dz, d_prev),
                     self._codes(activation, recurrent_activation) + (has_mask,))
        return dz, d_prev

    def gru_forward(self, x, rec, h_prev, mask, reset_after, activation, recurrent_activation):
        if not kernels.supports(h_prev.dtype):
            return super().gru_forward(x, rec, h_prev, mask, reset_after, activation,
                                       recurrent_activation)
        import cupy
        x, rec, h_prev = (cupy.ascontiguousarray(a) for a in (x, rec, h_prev))
        h = cupy.empty_like(h_prev)
        mask_bytes, has_mask = self._mask(mask, h)
        self._launch('gru_forward', h_prev.dtype, *h_prev.shape,
                     (x, rec, h_prev, mask_bytes, h),
                     (bool(reset_after),) + self._codes(activation, recurrent_activation)
                     + (has_mask,))
        return h

    def gru_backward(self, x, rec, h_prev, mask, dh, reset_after, activation,
                     recurrent_activation):
        if not kernels.supports(h_prev.dtype):
            return super().gru_backward(x, rec, h_prev, mask, dh, reset_after, activation,
                                        recurrent_activation)
        import cupy
        x, rec, h_prev = (cupy.ascontiguousarray(a) for a in (x, rec, h_prev))
        dh = cupy.ascontiguousarray(dh, dtype=h_prev.dtype)
        dx = cupy.empty_like(x)
        drec = cupy.empty_like(x)
        dh_prev = cupy.empty_like(h_prev)
        mask_bytes, has_mask = self._mask(mask, dh_prev)
        self._launch('gru_backward', h_prev.dtype, *h_prev.shape,
                     (x, rec, h_prev, mask_bytes, dh, dx, drec, dh_prev),
                     (bool(reset_after),) + self._codes(activation, recurrent_activation)
                     + (has_mask,))
        return dx, drec, dh_prev


_XP_CELLS = XpCells()
_CUDA_CELLS = None


def cells():
    """The cell kernels for the active backend."""
    global _CUDA_CELLS
    if selection.active().name == 'cupy':
        if _CUDA_CELLS is None:
            _CUDA_CELLS = CudaCells()
        return _CUDA_CELLS
    return _XP_CELLS


def _check_activations(activation, recurrent_activation=None):
    for name in (activation, recurrent_activation):
        if name is not None and name not in FUSED_ACTIVATIONS:
            raise ValueError(f"The fused recurrent steps support the activations "
                             f"{sorted(FUSED_ACTIVATIONS)}; received {name!r}.")


def _raw_mask(mask):
    """A (batch, 1) boolean array from a (batch,) / (batch, 1) mask, or None."""
    if mask is None:
        return None
    m = raw(mask)
    return m.reshape(m.shape[0], 1).astype(bool, copy=False)


# ---------------------------------------------------------------------------------------------
# Step primitives

def lstm_step(x_t, state, recurrent_kernel, mask=None, activation='tanh',
              recurrent_activation='hard_sigmoid'):
    """One LSTM step as one tape node.

    Args:
        x_t: (batch, 4u) input projection of this step, x @ kernel + bias (gates i, f, c, o).
        state: (batch, 2u), h and c side by side; the result has the same layout.
        recurrent_kernel: (u, 4u).
        mask: (batch,) booleans; False keeps the previous state.
    """
    _check_activations(activation, recurrent_activation)
    xd, sd, kernel = raw(x_t), raw(state), raw(recurrent_kernel)
    u = kernel.shape[0]
    m = _raw_mask(mask)
    h_prev = sd[:, :u]
    z = xd + h_prev @ kernel
    cell_kernels = cells()
    out, cache = cell_kernels.lstm_forward(z, sd, m, activation, recurrent_activation)

    def vjp(dy, needs):
        dz, d_prev = cell_kernels.lstm_backward(z, sd, cache, m, dy, activation,
                                                recurrent_activation)
        if needs[1]:
            d_prev[:, :u] += dz @ kernel.T
        return (dz if needs[0] else None, d_prev if needs[1] else None,
                h_prev.T @ dz if needs[2] else None)
    return _record(out, (x_t, state, recurrent_kernel), vjp)


def fuses_sequences():
    """Whether lstm_sequence and gru_sequence run on the active backend (NumPy). On CuPy the
    layers loop the step primitives, whose cells are fused CUDA kernels."""
    return selection.active().name == 'numpy'


def _activate_into(name, a, out):
    """activation(a) written into out (another NumPy array), with _activate's operations;
    under np.errstate(over='ignore') (see _sigmoid_in_place)."""
    if name == 'tanh':
        np.tanh(a, out=out)
    elif name == 'sigmoid':
        # -a as a * -1: NumPy 2.4's negative with a strided input and output reads the input
        # as if it were contiguous (float32, int32)
        _sigmoid_in_place(np, np.multiply(a, -1, out=out))
    elif name == 'hard_sigmoid':
        np.multiply(a, 0.2, out=out)
        out += 0.5
        np.clip(out, 0., 1., out=out)
    elif name == 'relu':
        np.maximum(a, 0, out=out)
    else:
        out[...] = a


def _slope_into(name, a, y, out, flags):
    """_slope(name, a, y) written into the NumPy array out (flags: a boolean scratch of its
    shape); None for the linear activation, whose slope is 1."""
    if name == 'tanh':
        np.multiply(y, y, out=out)
        np.subtract(1, out, out=out)
    elif name == 'sigmoid':
        np.subtract(1, y, out=out)
        out *= y
    elif name == 'hard_sigmoid':
        np.multiply(a, 0.2, out=out)
        out += 0.5
        np.greater_equal(out, 0, out=flags)
        flags &= out <= 1
        np.multiply(flags, out.dtype.type(0.2), out=out)
    elif name == 'relu':
        np.greater(a, 0, out=flags)
        out[...] = flags
    else:
        return None
    return out


def _gate_major(a, gates):
    """The (batch, gates * u) array a as a (gates, batch, u) view: one gate's block per index."""
    return a.reshape(a.shape[0], gates, -1).transpose(1, 0, 2)


def _mask_rows(mask, steps, batch):
    """(keep, drop): the (time, batch, 1) mask and its complement, or (None, None)."""
    if mask is None:
        return None, None
    keep = np.asarray(raw(mask)).reshape(steps, batch, 1).astype(bool, copy=False)
    return keep, ~keep


def _masked(out, values, where):
    """values where `where` holds, else 0, written into out."""
    out.fill(0)
    np.copyto(out, values, where=where)
    return out


def lstm_sequence(projected, initial_state, recurrent_kernel, mask=None, activation='tanh',
                  recurrent_activation='hard_sigmoid', return_sequence=False):
    """A whole LSTM sequence as one tape node: the steps of lstm_step, in order.

    Args:
        projected: (time, batch, 4u) input projections, x @ kernel + bias (gates i, f, c, o).
        initial_state: (batch, 2u), h and c side by side.
        recurrent_kernel: (u, 4u).
        mask: (time, batch) booleans; False keeps the previous state.
        return_sequence: return the state after every step, (time, batch, 2u), instead of
            the final state (batch, 2u).

    NumPy arrays only (see fuses_sequences). The gates are kept gate by gate, (4, batch, u),
    so that the elementwise passes run over contiguous blocks (strided ones take 1.5-4x as
    long at these sizes).
    """
    _check_activations(activation, recurrent_activation)
    # a C-ordered kernel: the orthogonal initializer's is F-ordered, which BLAS multiplies by
    # ~1.5x slower (the same numbers)
    xd, s0, kernel = raw(projected), raw(initial_state), np.ascontiguousarray(
        raw(recurrent_kernel))
    steps, batch = xd.shape[:2]
    u = kernel.shape[0]
    dtype = np.result_type(xd, s0, kernel)
    keep, drop = _mask_rows(mask, steps, batch)
    # Without a tape the steps share one row of each buffer; the backward needs them all.
    taped = _needs_grad(projected, initial_state, recurrent_kernel)
    rows = steps if taped else 1
    hs = np.empty((steps + 1, batch, u), dtype=dtype)          # h before each step
    cs = np.empty((steps + 1, batch, u), dtype=dtype)          # c before each step
    hs[0], cs[0] = s0[:, :u], s0[:, u:]
    pre = np.empty((rows, batch, 4 * u), dtype=dtype)          # x_t + h_prev @ kernel
    gates = np.empty((rows, 4, batch, u), dtype=dtype)         # activated i, f, c, o
    c_act = np.empty((rows, batch, u), dtype=dtype)            # activation(c)
    # the new c before the mask (the state's c when there is none)
    c_new = cs[1:] if keep is None else np.empty((rows, batch, u), dtype=dtype)
    product = np.empty((batch, u), dtype=dtype)
    with np.errstate(over='ignore'):
        for t in range(steps):
            r = t if taped else 0
            z, (i, f, g, o) = pre[r], gates[r]
            np.matmul(hs[t], kernel, out=z)
            z += xd[t]
            z_gates = _gate_major(z, 4)
            _activate_into(recurrent_activation, z_gates, gates[r])
            _activate_into(activation, z_gates[2], g)
            c = c_new[t if keep is None else r]
            np.multiply(f, cs[t], out=c)
            c += np.multiply(i, g, out=product)
            _activate_into(activation, c, c_act[r])
            np.multiply(o, c_act[r], out=hs[t + 1])
            if keep is not None:
                cs[t + 1] = c
                np.copyto(hs[t + 1], hs[t], where=drop[t])
                np.copyto(cs[t + 1], cs[t], where=drop[t])
    if return_sequence:
        out = np.concatenate([hs[1:], cs[1:]], axis=2)
    else:
        out = np.concatenate([hs[steps], cs[steps]], axis=1)

    def vjp(dy, needs):
        # BLAS multiplies by a contiguous kernel.T ~1.6x faster than by the transposed view
        kernel_t = np.ascontiguousarray(kernel.T)
        dz_all = np.empty((steps, batch, 4 * u), dtype=dtype)
        dh = np.zeros((batch, u), dtype=dtype)    # the gradient of the state after step t
        dc = np.zeros((batch, u), dtype=dtype)
        if not return_sequence:
            dh += dy[:, :u]
            dc += dy[:, u:]
        dc_total = np.empty((batch, u), dtype=dtype)
        dz = np.empty((4, batch, u), dtype=dtype)
        slope = np.empty((4, batch, u), dtype=dtype)
        flags = np.empty((4, batch, u), dtype=bool)
        if keep is not None:
            dh_new, dc_new = np.empty((batch, u), dtype=dtype), np.empty((batch, u), dtype=dtype)
        for t in range(steps - 1, -1, -1):
            if return_sequence:
                dh += dy[t, :, :u]
                dc += dy[t, :, u:]
            i, f, g, o = gates[t]
            if keep is not None:
                _masked(dh_new, dh, keep[t])
                _masked(dc_new, dc, keep[t])
            else:
                dh_new, dc_new = dh, dc
            # the gradient of c: through h = o * activation(c), and from the next step
            np.multiply(dh_new, o, out=dc_total)
            d_act = _slope_into(activation, c_new[t], c_act[t], slope[0], flags[0])
            if d_act is not None:
                dc_total *= d_act
            dc_total += dc_new
            np.multiply(dc_total, g, out=dz[0])
            np.multiply(dc_total, cs[t], out=dz[1])
            np.multiply(dc_total, i, out=dz[2])
            np.multiply(dh_new, c_act[t], out=dz[3])
            # times the slopes: the recurrent activation's, the activation's for the cell input
            z_gates = _gate_major(pre[t], 4)
            if recurrent_activation == 'linear':
                d_cell = _slope_into(activation, z_gates[2], g, slope[2], flags[2])
                if d_cell is not None:
                    dz[2] *= d_cell
            else:
                _slope_into(recurrent_activation, z_gates, gates[t], slope, flags)
                if _slope_into(activation, z_gates[2], g, slope[2], flags[2]) is None:
                    slope[2] = 1
                dz *= slope
            _gate_major(dz_all[t], 4)[...] = dz
            # the gradient of the state before step t
            if keep is not None:
                _masked(dc_new, dc, drop[t])
                dc_new += np.multiply(dc_total, f, out=dc)
                dc, dc_new = dc_new, dc
                _masked(dh_new, dh, drop[t])
                dh_new += np.matmul(dz_all[t], kernel_t, out=dh)
                dh, dh_new = dh_new, dh
            else:
                np.multiply(dc_total, f, out=dc)
                np.matmul(dz_all[t], kernel_t, out=dh)
        d_state = np.concatenate([dh, dc], axis=1) if needs[1] else None
        d_kernel = None
        if needs[2]:
            d_kernel = selection.active().gemm(hs[:-1].reshape(steps * batch, u).T,
                                               dz_all.reshape(steps * batch, 4 * u))
        return dz_all if needs[0] else None, d_state, d_kernel
    return _record(out, (projected, initial_state, recurrent_kernel), vjp)


def gru_step(x_t, h_prev, recurrent_kernel, recurrent_bias=None, mask=None, reset_after=False,
             activation='tanh', recurrent_activation='hard_sigmoid'):
    """One GRU step as one tape node.

    Args:
        x_t: (batch, 3u) input projection of this step, x @ kernel + input bias (gates z, r, h).
        h_prev: (batch, u).
        recurrent_kernel: (u, 3u).
        recurrent_bias: (3u,), only with reset_after=True (the second row of its (2, 3u) bias).
        reset_after: apply the reset gate after the recurrent matmul (CuDNN style) or before.
    """
    _check_activations(activation, recurrent_activation)
    xp = _xp()
    xd, hd, kernel = raw(x_t), raw(h_prev), raw(recurrent_kernel)
    bias = raw(recurrent_bias) if recurrent_bias is not None else None
    u = hd.shape[1]
    m = _raw_mask(mask)
    if reset_after:
        rec = hd @ kernel
        if bias is not None:
            rec = rec + bias
    else:
        rec = xp.empty(xd.shape, dtype=xd.dtype)
        rec[:, :2 * u] = hd @ kernel[:, :2 * u]
        r_pre = xd[:, u:2 * u] + rec[:, u:2 * u]
        r = _activate(xp, recurrent_activation, r_pre)
        reset_hidden = r * hd
        rec[:, 2 * u:] = reset_hidden @ kernel[:, 2 * u:]
    out = cells().gru_forward(xd, rec, hd, m, reset_after, activation, recurrent_activation)

    def vjp(dy, needs):
        dx, drec, dh = cells().gru_backward(xd, rec, hd, m, dy, reset_after, activation,
                                            recurrent_activation)
        if reset_after:
            grad_kernel = hd.T @ drec if needs[2] else None
            if needs[1]:
                dh = dh + drec @ kernel.T
        else:
            d_reset_hidden = drec[:, 2 * u:] @ kernel[:, 2 * u:].T
            dr_pre = d_reset_hidden * hd * _slope(xp, recurrent_activation, r_pre, r)
            dx[:, u:2 * u] = dr_pre
            drec[:, u:2 * u] = dr_pre
            grad_kernel = None
            if needs[2]:
                grad_kernel = xp.concatenate([hd.T @ drec[:, :2 * u],
                                              reset_hidden.T @ drec[:, 2 * u:]], axis=1)
            if needs[1]:
                dh = dh + d_reset_hidden * r + drec[:, :2 * u] @ kernel[:, :2 * u].T
        grad_bias = drec.sum(axis=0) if needs[3] else None
        return (dx if needs[0] else None, dh if needs[1] else None, grad_kernel, grad_bias)
    return _record(out, (x_t, h_prev, recurrent_kernel, recurrent_bias), vjp)


def gru_sequence(projected, initial_state, recurrent_kernel, recurrent_bias=None, mask=None,
                 reset_after=False, activation='tanh', recurrent_activation='hard_sigmoid',
                 return_sequence=False):
    """A whole GRU sequence as one tape node: the steps of gru_step, in order.

    Args:
        projected: (time, batch, 3u) input projections, x @ kernel + input bias (z, r, h).
        initial_state: (batch, u).
        recurrent_kernel: (u, 3u).
        recurrent_bias: (3u,), only with reset_after=True.
        mask: (time, batch) booleans; False keeps the previous state.
        reset_after: apply the reset gate after the recurrent matmul (CuDNN style) or before.
        return_sequence: return the state after every step, (time, batch, u), instead of the
            final state (batch, u).

    NumPy arrays only (see fuses_sequences); gates kept gate by gate, as in lstm_sequence.
    """
    _check_activations(activation, recurrent_activation)
    if recurrent_bias is not None and not reset_after:
        raise ValueError("gru_sequence: a recurrent bias goes with reset_after=True; received "
                         "reset_after=False.")
    xd, h0 = raw(projected), raw(initial_state)
    kernel = np.ascontiguousarray(raw(recurrent_kernel))    # C-ordered: see lstm_sequence
    bias = raw(recurrent_bias) if recurrent_bias is not None else None
    steps, batch = xd.shape[:2]
    u = kernel.shape[0]
    dtype = np.result_type(xd, h0, kernel, *(() if bias is None else (bias,)))
    keep, drop = _mask_rows(mask, steps, batch)
    # Without a tape the steps share one row of each buffer; the backward needs them all.
    taped = _needs_grad(projected, initial_state, recurrent_kernel, recurrent_bias)
    rows = steps if taped else 1
    hs = np.empty((steps + 1, batch, u), dtype=dtype)           # h before each step
    hs[0] = h0
    pre = np.empty((rows, 3, batch, u), dtype=dtype)           # pre-activations of z, r, h
    act = np.empty((rows, 3, batch, u), dtype=dtype)           # z, r and the candidate
    if reset_after:
        rec = np.empty((rows, batch, 3 * u), dtype=dtype)      # h_prev @ kernel + bias
    else:
        kernel_gates = np.ascontiguousarray(kernel[:, :2 * u])
        kernel_cell = np.ascontiguousarray(kernel[:, 2 * u:])
        rec_gates = np.empty((batch, 2 * u), dtype=dtype)      # h_prev @ kernel_gates
        rec_cell = np.empty((batch, u), dtype=dtype)           # (r * h_prev) @ kernel_cell
        reset_hidden = np.empty((rows, batch, u), dtype=dtype)
    scratch = np.empty((batch, u), dtype=dtype)
    with np.errstate(over='ignore'):
        for t in range(steps):
            r_ = t if taped else 0
            x, h_prev, p, a = _gate_major(xd[t], 3), hs[t], pre[r_], act[r_]
            if reset_after:
                np.matmul(h_prev, kernel, out=rec[r_])
                if bias is not None:
                    rec[r_] += bias
                rc = _gate_major(rec[r_], 3)
                np.add(x[:2], rc[:2], out=p[:2])
                _activate_into(recurrent_activation, p[:2], a[:2])
                np.add(x[2], np.multiply(a[1], rc[2], out=scratch), out=p[2])
            else:
                np.matmul(h_prev, kernel_gates, out=rec_gates)
                np.add(x[:2], _gate_major(rec_gates, 2), out=p[:2])
                _activate_into(recurrent_activation, p[:2], a[:2])
                np.multiply(a[1], h_prev, out=reset_hidden[r_])
                np.matmul(reset_hidden[r_], kernel_cell, out=rec_cell)
                np.add(x[2], rec_cell, out=p[2])
            _activate_into(activation, p[2], a[2])
            # h = z * h_prev + (1 - z) * candidate
            np.multiply(a[0], h_prev, out=hs[t + 1])
            np.subtract(1, a[0], out=scratch)
            scratch *= a[2]
            hs[t + 1] += scratch
            if keep is not None:
                np.copyto(hs[t + 1], h_prev, where=drop[t])
    out = hs[1:] if return_sequence else hs[steps]

    def vjp(dy, needs):
        # BLAS multiplies by a contiguous kernel.T ~1.6x faster than by the transposed view
        kernel_t = np.ascontiguousarray(kernel.T)
        dx_all = np.empty((steps, batch, 3 * u), dtype=dtype)
        # the recurrent projections' gradient: dx but for the candidate's part with reset_after
        drec_all = np.empty((steps, batch, 3 * u), dtype=dtype) if reset_after else dx_all
        dh = np.zeros((batch, u), dtype=dtype)    # the gradient of the state after step t
        if not return_sequence:
            dh += dy
        masked_dh = np.empty((batch, u), dtype=dtype) if keep is not None else None
        dh_prev = np.empty((batch, u), dtype=dtype)
        dx = np.empty((3, batch, u), dtype=dtype)
        slope = np.empty((batch, u), dtype=dtype)
        flags = np.empty((batch, u), dtype=bool)
        for t in range(steps - 1, -1, -1):
            if return_sequence:
                dh += dy[t]
            h_prev, (z_pre, r_pre, a_pre), (z, r, candidate) = hs[t], pre[t], act[t]
            dh_new = dh if keep is None else _masked(masked_dh, dh, keep[t])
            # dz_pre = dh * (h_prev - candidate) * z'
            np.multiply(dh_new, np.subtract(h_prev, candidate, out=dx[0]), out=dx[0])
            d_z = _slope_into(recurrent_activation, z_pre, z, slope, flags)
            if d_z is not None:
                dx[0] *= d_z
            # da = dh * (1 - z) * activation'(a), a the candidate's pre-activation
            np.multiply(dh_new, np.subtract(1, z, out=dx[2]), out=dx[2])
            d_a = _slope_into(activation, a_pre, candidate, slope, flags)
            if d_a is not None:
                dx[2] *= d_a
            np.multiply(dh_new, z, out=dh_prev)
            if keep is not None:
                dh_prev += _masked(masked_dh, dh, drop[t])
            if reset_after:
                # dr_pre = da * rec_h * r'
                np.multiply(dx[2], _gate_major(rec[t], 3)[2], out=dx[1])
                d_r = _slope_into(recurrent_activation, r_pre, r, slope, flags)
                if d_r is not None:
                    dx[1] *= d_r
                _gate_major(dx_all[t], 3)[...] = dx
                drec = _gate_major(drec_all[t], 3)
                drec[:2] = dx[:2]
                np.multiply(dx[2], r, out=drec[2])
                dh_prev += np.matmul(drec_all[t], kernel_t, out=dh)
            else:
                # through (r * h_prev) @ kernel_cell: dr_pre = d_reset_hidden * h_prev * r'
                d_reset_hidden = np.matmul(dx[2], kernel_t[2 * u:], out=dh)
                np.multiply(d_reset_hidden, h_prev, out=dx[1])
                d_r = _slope_into(recurrent_activation, r_pre, r, slope, flags)
                if d_r is not None:
                    dx[1] *= d_r
                _gate_major(dx_all[t], 3)[...] = dx
                dh_prev += d_reset_hidden.__imul__(r)
                dh_prev += np.matmul(dx_all[t, :, :2 * u], kernel_t[:2 * u], out=dh)
            dh, dh_prev = dh_prev, dh
        d_kernel = d_bias = None
        if needs[2]:
            h_flat = hs[:-1].reshape(steps * batch, u)
            gemm = selection.active().gemm
            if reset_after:
                d_kernel = gemm(h_flat.T, drec_all.reshape(steps * batch, 3 * u))
            else:
                flat = dx_all.reshape(steps * batch, 3 * u)
                d_kernel = np.concatenate(
                    [gemm(h_flat.T, flat[:, :2 * u]),
                     gemm(reset_hidden.reshape(steps * batch, u).T, flat[:, 2 * u:])], axis=1)
        if needs[3]:
            d_bias = drec_all.reshape(steps * batch, 3 * u).sum(axis=0)
        return dx_all if needs[0] else None, dh if needs[1] else None, d_kernel, d_bias
    return _record(out, (projected, initial_state, recurrent_kernel, recurrent_bias), vjp)


def simple_rnn_step(x_t, h_prev, recurrent_kernel, mask=None, activation='tanh'):
    """One SimpleRNN step, activation(x_t + h_prev @ recurrent_kernel), as one tape node."""
    _check_activations(activation)
    xp = _xp()
    xd, hd, kernel = raw(x_t), raw(h_prev), raw(recurrent_kernel)
    m = _raw_mask(mask)
    pre = xd + hd @ kernel
    out = _activate(xp, activation, pre)
    if m is not None:
        out = xp.where(m, out, hd)

    def vjp(dy, needs):
        dy_new = xp.where(m, dy, 0) if m is not None else dy
        dpre = dy_new * _slope(xp, activation, pre, _activate(xp, activation, pre))
        dh = None
        if needs[1]:
            dh = dpre @ kernel.T
            if m is not None:
                dh = dh + xp.where(m, 0, dy)
        return (dpre if needs[0] else None, dh, hd.T @ dpre if needs[2] else None)
    return _record(out, (x_t, h_prev, recurrent_kernel), vjp)
