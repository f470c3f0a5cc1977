"""recurrent_ops.lstm_sequence, the NumPy LSTM over a whole sequence as one tape node: the step
primitive's numbers (forward bit for bit), float64 finite differences, masks, returned states."""
import numpy as np
import pytest

from gkeras.backend import autodiff as ad
from gkeras.backend import recurrent_ops
from gradcheck import check_gradients

ACTIVATION_PAIRS = [('tanh', 'hard_sigmoid'), ('tanh', 'sigmoid'), ('relu', 'tanh'),
                    ('hard_sigmoid', 'relu'), ('sigmoid', 'linear'), ('linear', 'hard_sigmoid')]


@pytest.fixture
def numpy_backend(backend):
    if not recurrent_ops.fuses_sequences():
        pytest.skip('lstm_sequence is the NumPy path; CuPy loops the fused step kernels')
    return backend


def _inputs(rng, steps, batch, units, dtype):
    projected = rng.normal(size=(steps, batch, 4 * units)) * 1.5
    state = rng.normal(size=(batch, 2 * units))
    kernel = rng.normal(size=(units, 4 * units)) * 0.5
    return [a.astype(dtype) for a in (projected, state, kernel)]


def _step_loop(projected, state, kernel, mask, activation, recurrent_activation, sequence):
    """The reference: lstm_step once per time step, the states stacked."""
    kept = []
    for t, x_t in enumerate(ad.unstack(projected, 0)):
        state = recurrent_ops.lstm_step(x_t, state, kernel, None if mask is None else mask[t],
                                        activation, recurrent_activation)
        kept.append(state)
    return ad.stack(kept, axis=0) if sequence else state


@pytest.mark.parametrize('activation,recurrent_activation', ACTIVATION_PAIRS)
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('sequence', [False, True])
@pytest.mark.parametrize('units', [1, 4])  # one unit: every gate is a strided column
def test_same_numbers_as_the_step_primitive(numpy_backend, rng, activation,
                                            recurrent_activation, masked, sequence, units):
    steps, batch = 5, 3
    arrays = _inputs(rng, steps, batch, units, np.float32)
    mask = rng.random((steps, batch)) > 0.4 if masked else None
    out_shape = (steps, batch, 2 * units) if sequence else (batch, 2 * units)
    dy = rng.normal(size=out_shape).astype(np.float32)
    results = []
    for run in (_step_loop, recurrent_ops.lstm_sequence):
        variables = [ad.Variable(a.copy()) for a in arrays]
        if run is _step_loop:
            out = run(*variables, mask, activation, recurrent_activation, sequence)
        else:
            out = run(*variables, mask, activation, recurrent_activation,
                      return_sequence=sequence)
        results.append((out.data.copy(), ad.gradients(out, variables, output_gradient=dy)))
    (reference, reference_grads), (out, grads) = results
    assert out.dtype == np.float32 and out.shape == out_shape
    np.testing.assert_array_equal(out, reference)
    # the backward sums the recurrent kernel's gradient in one GEMM: float32 rounding differs
    for grad, expected in zip(grads, reference_grads):
        assert grad.dtype == np.float32
        np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())


def test_masked_steps_keep_the_state(numpy_backend, rng):
    arrays = _inputs(rng, 4, 2, 3, np.float32)
    mask = np.array([[True, False], [False, False], [True, False], [False, False]])
    out = recurrent_ops.lstm_sequence(*arrays, mask, return_sequence=True).data
    np.testing.assert_array_equal(out[:, 1], np.broadcast_to(arrays[1][1], (4, 6)))
    np.testing.assert_array_equal(out[1, 0], out[0, 0])
    np.testing.assert_array_equal(out[3, 0], out[2, 0])
    assert not np.array_equal(out[2, 0], out[1, 0])


@pytest.mark.parametrize('activation,recurrent_activation', ACTIVATION_PAIRS)
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('sequence', [False, True])
def test_gradients(numpy_backend, rng, activation, recurrent_activation, masked, sequence):
    arrays = _inputs(rng, 3, 2, 2, np.float64)
    mask = np.array([[True, False], [True, True], [False, True]]) if masked else None
    check_gradients(lambda x, s, k: recurrent_ops.lstm_sequence(
        x, s, k, mask, activation, recurrent_activation, return_sequence=sequence),
        *arrays, noncontiguous=True)


def test_unknown_activation_is_rejected(numpy_backend, rng):
    with pytest.raises(ValueError, match='softsign'):
        recurrent_ops.lstm_sequence(*_inputs(rng, 2, 1, 1, np.float32), activation='softsign')
