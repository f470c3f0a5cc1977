"""recurrent_ops.lstm_sequence and gru_sequence, the NumPy LSTM / GRU over a whole sequence as
one tape node: the step primitives' numbers (forward bit for bit), float64 finite differences,
masks, returned states, the layers' use of them."""
import numpy as np
import pytest

from gkeras import layers
from gkeras.backend import autodiff as ad
from gkeras.backend import recurrent_ops
from gradcheck import check_gradients

ACTIVATION_PAIRS = [('tanh', 'hard_sigmoid'), ('tanh', 'sigmoid'), ('relu', 'tanh'),
                    ('hard_sigmoid', 'relu'), ('sigmoid', 'linear'), ('linear', 'hard_sigmoid')]

# name -> (gates, state width per unit, extra arguments of the sequence and step primitives)
CELLS = {
    'lstm': (4, 2, {}),
    'gru': (3, 1, {'reset_after': False}),
    'gru_reset_after': (3, 1, {'reset_after': True}),
    'gru_reset_after_bias': (3, 1, {'reset_after': True, 'bias': True}),
}


@pytest.fixture
def numpy_backend(backend):
    if not recurrent_ops.fuses_sequences():
        pytest.skip('the sequence primitives are the NumPy path; CuPy loops the fused steps')
    return backend


def _inputs(rng, cell, steps, batch, units, dtype):
    gates, width, extra = CELLS[cell]
    arrays = [rng.normal(size=(steps, batch, gates * units)) * 1.5,
              rng.normal(size=(batch, width * units)),
              rng.normal(size=(units, gates * units)) * 0.5]
    if extra.get('bias'):
        arrays.append(rng.normal(size=(gates * units,)))
    return [a.astype(dtype) for a in arrays]


def _sequence(cell, arrays, mask, activation, recurrent_activation, sequence):
    extra = CELLS[cell][2]
    if cell == 'lstm':
        return recurrent_ops.lstm_sequence(*arrays, mask, activation, recurrent_activation,
                                           return_sequence=sequence)
    projected, state, kernel = arrays[:3]
    bias = arrays[3] if extra.get('bias') else None
    return recurrent_ops.gru_sequence(projected, state, kernel, bias, mask,
                                      extra['reset_after'], activation, recurrent_activation,
                                      return_sequence=sequence)


def _step_loop(cell, arrays, mask, activation, recurrent_activation, sequence):
    """The reference: the step primitive once per time step, the states stacked."""
    extra = CELLS[cell][2]
    projected, state, kernel = arrays[:3]
    bias = arrays[3] if extra.get('bias') else None
    kept = []
    for t, x_t in enumerate(ad.unstack(projected, 0)):
        step_mask = None if mask is None else mask[t]
        if cell == 'lstm':
            state = recurrent_ops.lstm_step(x_t, state, kernel, step_mask, activation,
                                            recurrent_activation)
        else:
            state = recurrent_ops.gru_step(x_t, state, kernel, bias, step_mask,
                                           extra['reset_after'], activation,
                                           recurrent_activation)
        kept.append(state)
    return ad.stack(kept, axis=0) if sequence else state


@pytest.mark.parametrize('cell', sorted(CELLS))
@pytest.mark.parametrize('activation,recurrent_activation', ACTIVATION_PAIRS)
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('sequence', [False, True])
@pytest.mark.parametrize('units', [1, 4])  # one unit: every gate is a strided column
def test_same_numbers_as_the_step_primitive(numpy_backend, rng, cell, activation,
                                            recurrent_activation, masked, sequence, units):
    steps, batch = 5, 3
    arrays = _inputs(rng, cell, steps, batch, units, np.float32)
    arrays[2] = np.asfortranarray(arrays[2])  # as the orthogonal initializer makes it
    mask = rng.random((steps, batch)) > 0.4 if masked else None
    width = CELLS[cell][1] * units
    out_shape = (steps, batch, width) if sequence else (batch, width)
    dy = rng.normal(size=out_shape).astype(np.float32)
    results = []
    for run in (_step_loop, _sequence):
        variables = [ad.Variable(a.copy()) for a in arrays]
        out = run(cell, variables, mask, activation, recurrent_activation, sequence)
        results.append((out.data.copy(), ad.gradients(out, variables, output_gradient=dy)))
    (reference, reference_grads), (out, grads) = results
    assert out.dtype == np.float32 and out.shape == out_shape
    np.testing.assert_array_equal(out, reference)
    # the backward sums the kernel's gradient in one GEMM: float32 rounding differs
    for grad, expected in zip(grads, reference_grads):
        assert grad.dtype == np.float32
        np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())


@pytest.mark.parametrize('cell', sorted(CELLS))
def test_masked_steps_keep_the_state(numpy_backend, rng, cell):
    arrays = _inputs(rng, cell, 4, 2, 3, np.float32)
    mask = np.array([[True, False], [False, False], [True, False], [False, False]])
    out = _sequence(cell, arrays, mask, 'tanh', 'hard_sigmoid', True).data
    np.testing.assert_array_equal(out[:, 1], np.broadcast_to(arrays[1][1], out[:, 1].shape))
    np.testing.assert_array_equal(out[1, 0], out[0, 0])
    np.testing.assert_array_equal(out[3, 0], out[2, 0])
    assert not np.array_equal(out[2, 0], out[1, 0])


@pytest.mark.parametrize('cell', sorted(CELLS))
@pytest.mark.parametrize('activation,recurrent_activation', ACTIVATION_PAIRS)
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('sequence', [False, True])
def test_gradients(numpy_backend, rng, cell, activation, recurrent_activation, masked,
                   sequence):
    arrays = _inputs(rng, cell, 3, 2, 2, np.float64)
    mask = np.array([[True, False], [True, True], [False, True]]) if masked else None
    check_gradients(lambda *tensors: _sequence(cell, tensors, mask, activation,
                                               recurrent_activation, sequence),
                    *arrays, noncontiguous=True)


@pytest.mark.parametrize('layer', [lambda: layers.LSTM(3), lambda: layers.GRU(3),
                                   lambda: layers.GRU(3, reset_after=True)])
def test_layers_run_one_sequence_primitive(numpy_backend, monkeypatch, layer):
    calls = []
    for name in ('lstm_step', 'gru_step', 'lstm_sequence', 'gru_sequence'):
        monkeypatch.setattr(recurrent_ops, name,
                            lambda *a, _name=name, _original=getattr(recurrent_ops, name), **k:
                            calls.append(_name) or _original(*a, **k))
    layer()(np.ones((2, 4, 5), np.float32))
    assert len(calls) == 1 and calls[0].endswith('_sequence')


def test_unknown_activation_is_rejected(numpy_backend, rng):
    with pytest.raises(ValueError, match='softsign'):
        _sequence('lstm', _inputs(rng, 'lstm', 2, 1, 1, np.float32), None, 'softsign',
                  'sigmoid', False)
    with pytest.raises(ValueError, match='softsign'):
        _sequence('gru', _inputs(rng, 'gru', 2, 1, 1, np.float32), None, 'tanh', 'softsign',
                  False)


def test_gru_recurrent_bias_needs_reset_after(numpy_backend, rng):
    projected, state, kernel, bias = _inputs(rng, 'gru_reset_after_bias', 2, 1, 2, np.float32)
    with pytest.raises(ValueError, match='reset_after'):
        recurrent_ops.gru_sequence(projected, state, kernel, bias, reset_after=False)
