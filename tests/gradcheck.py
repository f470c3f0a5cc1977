"""float64 finite-difference checks of the autodiff's vector-Jacobian products."""
import numpy as np

from gkeras.backend import autodiff as ad
from gkeras.backend import selection


def numeric_gradient(f, arrays, index, eps=1e-6):
    """d sum(f(*arrays) * r) / d arrays[index] by central differences (r fixed by the caller)."""
    # C order, so that the flat view below writes through to the array that f reads
    base = [np.array(a, dtype=np.float64, order='C') for a in arrays]
    target = base[index]
    grad = np.zeros_like(target)
    flat = target.reshape(-1)
    grad_flat = grad.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + eps
        plus = f(*base)
        flat[i] = keep - eps
        minus = f(*base)
        flat[i] = keep
        grad_flat[i] = (plus - minus) / (2 * eps)
    return grad


def strided_copy(backend, array):
    """The values of `array` as a non-contiguous backend view (every other element of each axis)."""
    array = np.asarray(array, np.float64)
    if array.ndim == 0:
        return backend.asarray(array)
    padded = np.zeros(tuple(2 * n for n in array.shape))
    padded[tuple(slice(None, None, 2) for _ in array.shape)] = array
    view = backend.asarray(padded)[tuple(slice(None, None, 2) for _ in array.shape)]
    assert array.size <= 1 or not view.flags.c_contiguous
    return view


def check_gradients(fn, *arrays, rtol=1e-5, atol=1e-7, seed=0, wrt=None, noncontiguous=False):
    """Compare the tape's gradient of sum(fn(*tensors) * r) with central differences, in float64.

    fn takes and returns gkeras Tensors; arrays are NumPy inputs (converted to float64 on the
    active backend). Returns the analytic gradients for further checks.

    Args:
        noncontiguous: feed the differentiated inputs as strided views of a larger array, so the
            forward pass and every VJP see non-contiguous data.
    """
    backend = selection.active()
    rng = np.random.default_rng(seed)
    out_shape = np.shape(backend.to_numpy(ad.raw(fn(*[ad.constant(np.asarray(a, np.float64))
                                                       for a in arrays]))))
    r = rng.standard_normal(out_shape)

    def scalar(*numpy_arrays):
        with ad.no_grad():
            out = fn(*[ad.constant(a) for a in numpy_arrays])
        return float(np.sum(backend.to_numpy(ad.raw(out)) * r))

    place = (lambda a: strided_copy(backend, a)) if noncontiguous else (
        lambda a: backend.asarray(np.asarray(a, np.float64)))
    variables = [ad.Variable(place(a)) for a in arrays]
    out = fn(*variables)
    loss = ad.reduce_sum(ad.multiply(out, backend.asarray(r)))
    analytic = ad.gradients(loss, variables)
    wrt = range(len(arrays)) if wrt is None else wrt
    for i in wrt:
        expected = numeric_gradient(scalar, arrays, i)
        got = backend.to_numpy(analytic[i])
        assert got.shape == np.shape(arrays[i]), f'gradient of input {i} has shape {got.shape}'
        np.testing.assert_allclose(
            got, expected, rtol=rtol, atol=atol,
            err_msg=f'gradient of input {i} disagrees with finite differences')
    return [backend.to_numpy(g) for g in analytic]
