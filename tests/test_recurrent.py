"""Recurrent layers and kernels: SimpleRNN / LSTM / GRU (both reset_after variants), RNN with
cells, masking, go_backwards, return_state, stateful, dropout; against tf_keras fixtures, float64
finite differences, NumPy loops, and (where present) CuPy, nvcc and a host build of the kernels."""
import ctypes
import os
import shutil
import subprocess

import numpy as np
import pytest

import sequence_cases
from gkeras import backend as K
from gkeras import layers
from gkeras.backend import autodiff as ad
from gkeras.backend import cupy_backend, recurrent_ops, selection
from gkeras.layers import recurrent
from gkeras.models import Model, Sequential
from gradcheck import check_gradients

ACTIVATION_PAIRS = [('tanh', 'hard_sigmoid'), ('tanh', 'sigmoid'), ('relu', 'sigmoid'),
                    ('linear', 'hard_sigmoid')]


def to_np(x):
    return selection.active().to_numpy(ad.raw(x))


# ---------------------------------------------------------------------------------------------
# Against tf_keras 2.21

@pytest.mark.parametrize('case', sequence_cases.names('recurrent'))
def test_recurrent_layers_match_tf_keras(backend, case):
    sequence_cases.check('recurrent', case)


@pytest.mark.parametrize('case', ['lstm_masked_seq', 'gru_masked_backwards_seq',
                                  'gru_after_masked_state', 'simple_rnn_masked_last',
                                  'lstm_masked_initial_state', 'stacked_masked_backwards_seq',
                                  'lstm_sigmoid', 'lstm_no_forget_bias_relu'])
def test_composed_cell_path_matches_tf_keras(backend, case, monkeypatch):
    """The per-step cell formulas (taken for user cells, recurrent dropout, constants) give the
    same numbers as the fused path."""
    taken = []
    original = K.rnn

    def counting_rnn(*args, **kwargs):
        taken.append(True)
        return original(*args, **kwargs)
    monkeypatch.setattr(recurrent._RNNCell, 'can_fuse', lambda self, training: False)
    monkeypatch.setattr(K, 'rnn', counting_rnn)
    sequence_cases.check('recurrent', case)
    assert taken


def test_fused_path_is_taken_for_builtin_cells(backend, monkeypatch):
    calls = []
    for name in ('lstm_step', 'lstm_sequence'):
        monkeypatch.setattr(recurrent_ops, name,
                            lambda *a, _name=name, _original=getattr(recurrent_ops, name), **k:
                            calls.append(_name) or _original(*a, **k))
    monkeypatch.setattr(K, 'rnn', None)  # the composed path would fail
    layer = layers.LSTM(3)
    layer(np.ones((2, 4, 5), np.float32))
    # NumPy runs the whole sequence as one primitive, CuPy one fused step per time step
    assert calls == (['lstm_sequence'] if backend.name == 'numpy' else ['lstm_step'] * 4)


@pytest.mark.parametrize('case', ['lstm_seq', 'gru_masked_backwards_seq'])
def test_unroll_gives_the_same_numbers(backend, case):
    def unroll(spec):
        spec['inputs'][0]['shape'] = [5, 4]  # unrolling needs a known time dimension
        spec['layers'][-1][2]['unroll'] = True
    sequence_cases.check('recurrent', case, edit_spec=unroll)


def test_stateful_lstm_matches_tf_keras(backend):
    f = sequence_cases.FIXTURES
    # the fixture's explicit arguments are gkeras' (Keras 2.2) defaults
    model = Sequential([layers.LSTM(6, stateful=True, batch_input_shape=(3, 5, 4))])
    model.layers[0].set_weights([f[f'stateful/lstm/w_rnn_{k}'] for k in range(3)])
    np.testing.assert_allclose(model.predict(f['stateful/lstm/x1'], batch_size=3),
                               f['stateful/lstm/y1'], rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(model.predict(f['stateful/lstm/x2'], batch_size=3),
                               f['stateful/lstm/y2'], rtol=2e-4, atol=2e-5)
    model.reset_states()
    np.testing.assert_allclose(model.predict(f['stateful/lstm/x2'], batch_size=3),
                               f['stateful/lstm/y2_reset'], rtol=2e-4, atol=2e-5)


# ---------------------------------------------------------------------------------------------
# A NumPy loop as an independent reference (and the Keras 2.2.5 weight layout)

def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0, 1)


def lstm_loop(x, kernel, recurrent_kernel, bias, mask=None, go_backwards=False):
    u = recurrent_kernel.shape[0]
    h = np.zeros((x.shape[0], u))
    c = np.zeros((x.shape[0], u))
    outputs, previous = [], np.zeros_like(h)
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    for t in steps:
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        i, f = hard_sigmoid(z[:, :u]), hard_sigmoid(z[:, u:2 * u])
        g, o = np.tanh(z[:, 2 * u:3 * u]), hard_sigmoid(z[:, 3 * u:])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        keep = np.ones((x.shape[0], 1), bool) if mask is None else mask[:, t:t + 1]
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        previous = np.where(keep, h_new, previous)
        outputs.append(previous)
    return np.stack(outputs, 1), h, c


def gru_loop(x, kernel, recurrent_kernel, bias, reset_after):
    u = recurrent_kernel.shape[0]
    h = np.zeros((x.shape[0], u))
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * u))
    for t in range(x.shape[1]):
        xz = x[:, t] @ kernel + input_bias
        rz = h @ recurrent_kernel[:, :2 * u] + recurrent_bias[:2 * u]
        z = hard_sigmoid(xz[:, :u] + rz[:, :u])
        r = hard_sigmoid(xz[:, u:2 * u] + rz[:, u:])
        if reset_after:
            hh = np.tanh(xz[:, 2 * u:] + r * (h @ recurrent_kernel[:, 2 * u:]
                                               + recurrent_bias[2 * u:]))
        else:
            hh = np.tanh(xz[:, 2 * u:] + (r * h) @ recurrent_kernel[:, 2 * u:])
        h = z * h + (1 - z) * hh
    return h


def test_lstm_against_numpy_loop_with_mask_and_go_backwards(backend, rng):
    x = rng.normal(size=(3, 6, 5))
    mask = np.ones((3, 6), bool)
    mask[0, 4:] = False
    mask[1, :3] = False
    for go_backwards in (False, True):
        layer = layers.LSTM(4, return_sequences=True, return_state=True,
                            go_backwards=go_backwards, dtype='float64')
        layer.build((None, 6, 5))
        weights = [rng.normal(size=w.shape) * 0.5 for w in layer.weights]
        layer.set_weights(weights)
        seq, h, c = layer(x, mask=mask)
        want_seq, want_h, want_c = lstm_loop(x, *weights, mask=mask, go_backwards=go_backwards)
        np.testing.assert_allclose(to_np(seq), want_seq, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(to_np(h), want_h, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(to_np(c), want_c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('mask_shape', [(3, 6, 1), (3, 6, 1, 1)])
def test_a_mask_with_trailing_unit_axes_masks_whole_steps(backend, rng, mask_shape):
    # tf.keras accepts (batch, time, 1); the layer's loop must not take it for (batch, time)
    x = rng.normal(size=(3, 6, 5))
    mask = np.ones((3, 6), bool)
    mask[0, 4:] = False
    mask[1, :3] = False
    layer = layers.LSTM(4, return_sequences=True, dtype='float64')
    layer.build((None, 6, 5))
    weights = [rng.normal(size=w.shape) * 0.5 for w in layer.weights]
    layer.set_weights(weights)
    want_seq, _, _ = lstm_loop(x, *weights, mask=mask)
    seq = layer(x, mask=mask.reshape(mask_shape))
    np.testing.assert_allclose(to_np(seq), want_seq, rtol=1e-10, atol=1e-12)
    simple = layers.SimpleRNN(4, dtype='float64')
    assert simple(x, mask=mask.reshape(mask_shape)).shape == (3, 4)


@pytest.mark.parametrize('reset_after', [False, True])
def test_gru_against_numpy_loop_and_bias_shape(backend, rng, reset_after):
    layer = layers.GRU(4, reset_after=reset_after, dtype='float64')
    layer.build((None, 3, 5))
    assert layer.weights[2].shape == ((2, 12) if reset_after else (12,))
    weights = [rng.normal(size=w.shape) * 0.5 for w in layer.weights]
    layer.set_weights(weights)
    x = rng.normal(size=(2, 3, 5))
    np.testing.assert_allclose(to_np(layer(x)), gru_loop(x, *weights, reset_after),
                               rtol=1e-10, atol=1e-12)


def test_weights_names_shapes_and_initial_values(backend):
    lstm = layers.LSTM(3)
    lstm.build((None, 7, 2))
    assert [w.name for w in lstm.weights] == ['lstm_1/kernel:0', 'lstm_1/recurrent_kernel:0',
                                              'lstm_1/bias:0']
    assert [w.shape for w in lstm.weights] == [(2, 12), (3, 12), (12,)]
    # unit_forget_bias: zeros except ones for the forget gate (i, f, c, o)
    np.testing.assert_array_equal(lstm.get_weights()[2], [0] * 3 + [1] * 3 + [0] * 6)
    recurrent_kernel = lstm.get_weights()[1]
    assert np.allclose(recurrent_kernel @ recurrent_kernel.T, np.eye(3), atol=1e-5)  # orthogonal
    gru = layers.GRU(2, reset_after=True)
    gru.build((None, 4, 3))
    assert [w.name for w in gru.weights] == ['gru_1/kernel:0', 'gru_1/recurrent_kernel:0',
                                             'gru_1/bias:0']
    stacked = layers.RNN([layers.SimpleRNNCell(2, name='first'),
                          layers.LSTMCell(3, name='second')], name='deep')
    stacked.build((None, 4, 3))
    assert [w.name for w in stacked.weights][:4] == [
        'deep/first/kernel:0', 'deep/first/recurrent_kernel:0', 'deep/first/bias:0',
        'deep/second/kernel:0']
    assert stacked.weights[3].shape == (2, 12)


def test_keras_2_2_defaults_and_config_round_trip(backend):
    lstm = layers.LSTM(5)
    assert lstm.recurrent_activation.__name__ == 'hard_sigmoid'
    assert lstm.unit_forget_bias and lstm.implementation == 1
    gru = layers.GRU(5)
    assert gru.reset_after is False and gru.recurrent_activation.__name__ == 'hard_sigmoid'
    for layer in (layers.SimpleRNN(3, activation='relu', return_sequences=True),
                  layers.GRU(4, reset_after=True, go_backwards=True, dropout=0.2),
                  layers.LSTM(2, stateful=True, unroll=True, recurrent_dropout=0.1,
                              unit_forget_bias=False),
                  layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_state=True)):
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
        restored = layers.deserialize({'class_name': type(layer).__name__, 'config': config})
        assert restored.get_config() == config
    config = layers.LSTM(5).get_config()
    for key in ('units', 'activation', 'recurrent_activation', 'use_bias', 'kernel_initializer',
                'recurrent_initializer', 'bias_initializer', 'unit_forget_bias',
                'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer',
                'activity_regularizer', 'kernel_constraint', 'recurrent_constraint',
                'bias_constraint', 'dropout', 'recurrent_dropout', 'implementation',
                'return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll'):
        assert key in config
    assert 'cell' not in config


def test_positional_arguments_follow_keras(backend):
    layer = layers.SimpleRNN(3, 'relu')
    assert layer.activation.__name__ == 'relu'
    layer = layers.LSTM(3, 'relu', 'sigmoid')
    assert layer.recurrent_activation.__name__ == 'sigmoid'


# ---------------------------------------------------------------------------------------------
# float64 finite differences

@pytest.mark.parametrize('activation,recurrent_activation', ACTIVATION_PAIRS)
@pytest.mark.parametrize('masked', [False, True])
def test_step_primitives_gradients(backend, rng, activation, recurrent_activation, masked):
    batch, u = 3, 2
    mask = np.array([True, False, True]) if masked else None
    x, state = rng.normal(size=(batch, 4 * u)), rng.normal(size=(batch, 2 * u))
    kernel = rng.normal(size=(u, 4 * u)) * 0.5
    check_gradients(lambda x, s, k: recurrent_ops.lstm_step(
        x, s, k, mask, activation, recurrent_activation), x, state, kernel, noncontiguous=True)
    x, h = rng.normal(size=(batch, 3 * u)), rng.normal(size=(batch, u))
    kernel, bias = rng.normal(size=(u, 3 * u)) * 0.5, rng.normal(size=(3 * u,))
    check_gradients(lambda x, h, k, b: recurrent_ops.gru_step(
        x, h, k, b, mask, True, activation, recurrent_activation), x, h, kernel, bias,
        noncontiguous=True)
    check_gradients(lambda x, h, k: recurrent_ops.gru_step(
        x, h, k, None, mask, False, activation, recurrent_activation), x, h, kernel)
    check_gradients(lambda x, h, k: recurrent_ops.simple_rnn_step(x, h, k, mask, activation),
                    x[:, :u], h, kernel[:, :u])


LAYER_CASES = {
    'simple_rnn': lambda **k: layers.SimpleRNN(3, **k),
    'lstm': lambda **k: layers.LSTM(3, **k),
    'gru': lambda **k: layers.GRU(3, **k),
    'gru_after': lambda **k: layers.GRU(3, reset_after=True, **k),
    'stacked': lambda **k: layers.RNN([layers.LSTMCell(2, dtype=k.get('dtype')),
                                       layers.GRUCell(3, dtype=k.get('dtype'))], **k),
}


@pytest.mark.parametrize('kind', sorted(LAYER_CASES))
@pytest.mark.parametrize('fused', [True, False])
def test_layer_gradients_through_weights_inputs_and_masks(backend, rng, kind, fused,
                                                          monkeypatch):
    if not fused:
        monkeypatch.setattr(recurrent._RNNCell, 'can_fuse', lambda self, training: False)
    layer = LAYER_CASES[kind](return_sequences=True, go_backwards=True, dtype='float64')
    layer.build((None, 4, 2))
    cells = layer.cell.cells if kind == 'stacked' else [layer.cell]
    names = [(cell, attribute) for cell in cells
             for attribute in ('kernel', 'recurrent_kernel', 'bias')]
    values = [rng.normal(size=getattr(cell, attribute).shape) * 0.6 for cell, attribute in names]
    x = rng.normal(size=(3, 4, 2))
    mask = np.array([[1, 1, 0, 1], [0, 0, 1, 1], [1, 1, 1, 1]], bool)

    def run(x, *weights):
        for (cell, attribute), w in zip(names, weights):
            setattr(cell, attribute, w)
        return layer(x, mask=mask)
    check_gradients(run, x, *values, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# Masks, states, dropout

def test_embedding_mask_flows_through_dense_to_lstm(backend, rng):
    inputs = layers.Input(shape=(6,), dtype='int32')
    hidden = layers.Dense(4)(layers.Embedding(10, 3, mask_zero=True)(inputs))
    output = layers.LSTM(2, return_sequences=True)(hidden)
    model = Model(inputs, output)
    ids = rng.integers(1, 10, size=(2, 6))
    padded = ids.copy()
    padded[0, 4:] = 0
    full = model.predict(ids)
    cut = model.predict(padded)
    np.testing.assert_allclose(cut[0, :4], full[0, :4], rtol=1e-6)
    np.testing.assert_allclose(cut[0, 4:], np.repeat(cut[0, 3:4], 2, axis=0), rtol=1e-6)
    np.testing.assert_allclose(cut[1], full[1], rtol=1e-6)


def test_return_state_and_initial_state_call_argument(backend, rng):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    layer = layers.LSTM(5, return_state=True)
    output, h, c = layer(x)
    np.testing.assert_allclose(to_np(output), to_np(h))
    # continuing from the returned state equals running the longer sequence at once
    longer = np.concatenate([x, x[:, :2]], axis=1)
    whole, _, _ = layer(longer)
    continued, _, _ = layer(x[:, :2], initial_state=[h, c])
    np.testing.assert_allclose(to_np(continued), to_np(whole), rtol=1e-5, atol=1e-6)
    # the functional API takes symbolic initial states as graph inputs
    sequence = layers.Input(shape=(None, 4))
    h0, c0 = layers.Input(shape=(5,)), layers.Input(shape=(5,))
    model = Model([sequence, h0, c0], layers.LSTM(5)(sequence, initial_state=[h0, c0]))
    model.layers[-1].set_weights(layer.get_weights())
    np.testing.assert_allclose(model.predict([x[:, :2], to_np(h), to_np(c)]), to_np(continued),
                               rtol=1e-5, atol=1e-6)


def test_stateful_reset_states_and_errors(backend, rng):
    layer = layers.GRU(3, stateful=True, batch_input_shape=(2, 4, 3))
    model = Sequential([layer])
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    first = model.predict(x, batch_size=2)
    second = model.predict(x, batch_size=2)
    assert not np.allclose(first, second)
    np.testing.assert_allclose(to_np(layer.states[0]), second)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x, batch_size=2), first, rtol=1e-6)
    layer.reset_states([np.ones((2, 3))])
    np.testing.assert_array_equal(to_np(layer.states[0]), np.ones((2, 3)))
    with pytest.raises(ValueError, match='State 0 is incompatible with layer'):
        layer.reset_states([np.ones((3, 3))])
    with pytest.raises(ValueError, match=r"'gru_1'.*expected shape=\(2, None, 3\)"):
        layer(np.ones((3, 4, 3), np.float32))
    with pytest.raises(AttributeError, match='must be stateful'):
        layers.LSTM(2).reset_states()
    unbatched = layers.LSTM(2, stateful=True)
    with pytest.raises(ValueError, match='needs to know its batch size'):
        unbatched.build((None, 3, 2))


def test_dropout_masks_are_drawn_once_per_call_and_only_in_training(backend, rng):
    layer = layers.SimpleRNN(4, activation=None, dropout=0.5, recurrent_initializer='zeros',
                             use_bias=False)
    x = np.repeat(rng.normal(size=(3, 1, 6)).astype(np.float32), 5, axis=1)
    sequence_layer = layers.SimpleRNN(4, activation=None, dropout=0.5, return_sequences=True,
                                      recurrent_initializer='zeros', use_bias=False)
    out = to_np(sequence_layer(x, training=True))
    # constant inputs, no recurrence: every step sees the same dropped units
    np.testing.assert_allclose(out, np.repeat(out[:, :1], 5, axis=1), rtol=1e-6)
    again = to_np(sequence_layer(x, training=True))
    assert not np.allclose(out, again)   # a new mask per call
    inference = to_np(layer(x, training=False))
    expected = x[:, -1] @ layer.get_weights()[0]
    np.testing.assert_allclose(inference, expected, rtol=1e-5, atol=1e-6)


def test_recurrent_dropout_trains_through_the_cell_path(backend, rng):
    model = Sequential([layers.LSTM(4, dropout=0.3, recurrent_dropout=0.3, input_shape=(5, 3)),
                        layers.Dense(1)])
    model.compile('sgd', 'mse')
    x = rng.normal(size=(8, 5, 3)).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32)
    before = model.get_weights()
    model.train_on_batch(x, y)
    assert all(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    first, second = model.predict(x), model.predict(x)
    np.testing.assert_array_equal(first, second)   # no dropout at inference


@pytest.mark.parametrize('cls', [layers.LSTM, layers.GRU])
def test_implementation_2_equals_implementation_1(backend, rng, cls, monkeypatch):
    monkeypatch.setattr(recurrent._RNNCell, 'can_fuse', lambda self, training: False)
    x = rng.normal(size=(2, 4, 3))
    one = cls(3, implementation=1, dtype='float64')
    two = cls(3, implementation=2, dtype='float64')
    one.build((None, 4, 3))
    two.build((None, 4, 3))
    two.set_weights(one.get_weights())
    np.testing.assert_allclose(to_np(one(x)), to_np(two(x)), rtol=1e-12)


def test_user_cell_with_constants(backend, rng):
    class MinimalRNNCell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight('kernel', (input_shape[0][-1], self.units))
            self.built = True

        def call(self, inputs, states, constants=None):
            output = K.dot(inputs, self.kernel) + states[0] + constants[0]
            return output, [output]

    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    offset = rng.normal(size=(2, 5)).astype(np.float32)
    layer = layers.RNN(MinimalRNNCell(5))
    out = to_np(layer(x, constants=[offset]))
    kernel = layer.get_weights()[0]
    np.testing.assert_allclose(out, x.sum(axis=1) @ kernel + 3 * offset, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Bad input

def test_errors_name_the_layer(backend):
    with pytest.raises(ValueError, match=r"'lstm_1'.*expected ndim=3, found ndim=2"):
        layers.LSTM(3)(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"'gru_1'.*expected ndim=3, found ndim=4"):
        layers.GRU(3)(layers.Input(shape=(2, 3, 4)))
    layer = layers.SimpleRNN(3)
    layer(np.ones((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match=r"'simple_rnn_1'.*axis -1|'simple_rnn_1'.*shape"):
        layer(np.ones((2, 4, 6), np.float32))
    with pytest.raises(ValueError, match=r"'lstm_2'.*2 states but was passed 1"):
        layers.LSTM(3)(np.ones((2, 4, 5), np.float32), initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"'lstm_3'.*state 1 has shape"):
        layers.LSTM(3)(np.ones((2, 4, 5), np.float32),
                       initial_state=[np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"Cannot unroll RNN layer 'lstm_4'"):
        layers.LSTM(3, unroll=True)(layers.Input(shape=(None, 2)))
    with pytest.raises(ValueError, match='units'):
        layers.GRU(0)


# ---------------------------------------------------------------------------------------------
# The imdb_lstm benchmark model

def test_imdb_lstm_model_trains(backend):
    rng = np.random.default_rng(0)
    model = Sequential([layers.Embedding(20000, 128, input_length=80), layers.LSTM(128),
                        layers.Dense(1, activation='sigmoid')])
    model.compile('adam', 'binary_crossentropy', metrics=['accuracy'])
    x = rng.integers(1, 20000, size=(16, 80))
    y = rng.integers(0, 2, size=(16, 1)).astype(np.float32)
    losses = [model.train_on_batch(x, y)[0] for _ in range(4)]
    assert losses[-1] < losses[0] - 0.01, losses
    assert model.output_shape == (None, 1)
    assert model.count_params() == 20000 * 128 + 4 * 128 * (128 + 128 + 1) + 129


# ---------------------------------------------------------------------------------------------
# The CUDA kernels

CUDA_SOURCE = recurrent_ops.kernels.source_path('rnn_cells.cu')


def _nvcc():
    fallback = '/usr/local/cuda/bin/nvcc'
    return shutil.which('nvcc') or (fallback if os.path.exists(fallback) else None)


@pytest.mark.parametrize('real', ['float', 'double'])
def test_cuda_source_compiles_with_nvcc(tmp_path, real):
    nvcc = _nvcc()
    if nvcc is None:
        pytest.skip('nvcc is not installed')
    ptx = tmp_path / 'rnn_cells.ptx'
    subprocess.run([nvcc, '--ptx', f'-DGKERAS_REAL={real}', str(CUDA_SOURCE), '-o', str(ptx)],
                   check=True, capture_output=True)
    text = ptx.read_text()
    for name in ('lstm_forward', 'lstm_backward', 'gru_forward', 'gru_backward'):
        assert f'.entry {name}(' in text


_HOST_SHIM = """
#define __device__
#define __global__
#define __forceinline__ inline
#include <cmath>
struct HostIndex { long long x; };
static const HostIndex blockIdx = {0}, threadIdx = {0}, blockDim = {1}, gridDim = {1};
#include SOURCE
"""


@pytest.fixture(scope='module')
def host_kernels(tmp_path_factory):
    """cuda/rnn_cells.cu compiled for the CPU (one 'thread' walks the whole grid), so CI without
    a GPU still checks the kernel arithmetic against XpCells."""
    compiler = shutil.which('g++') or shutil.which('c++')
    if compiler is None:
        pytest.skip('no C++ compiler')
    folder = tmp_path_factory.mktemp('host_kernels')
    shim = folder / 'shim.cpp'
    shim.write_text(_HOST_SHIM)
    libraries = {}
    for real, dtype in (('double', np.float64), ('float', np.float32)):
        library = folder / f'rnn_{real}.so'
        subprocess.run([compiler, '-shared', '-fPIC', '-O1', f'-DGKERAS_REAL={real}',
                        f'-DSOURCE="{CUDA_SOURCE}"', str(shim), '-o', str(library)],
                       check=True, capture_output=True)
        libraries[np.dtype(dtype)] = ctypes.CDLL(str(library))
    return libraries


def _host_call(library, name, arrays, ints):
    pointers = [a.ctypes.data_as(ctypes.c_void_p) for a in arrays]
    getattr(library, name)(*pointers, *[ctypes.c_int(int(i)) for i in ints])


@pytest.mark.parametrize('dtype', [np.float64, np.float32])
@pytest.mark.parametrize('activation,recurrent_activation', ACTIVATION_PAIRS)
def test_cuda_kernels_match_xp_cells_on_the_host(host_kernels, dtype, activation,
                                                 recurrent_activation):
    K.set_backend('numpy')
    rng = np.random.default_rng(7)
    library = host_kernels[np.dtype(dtype)]
    cells = recurrent_ops.XpCells()
    codes = (recurrent_ops.FUSED_ACTIVATIONS[activation],
             recurrent_ops.FUSED_ACTIVATIONS[recurrent_activation])
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    batch, u = 4, 3
    mask = np.array([True, False, True, True])
    mask_bytes = mask.astype(np.uint8)
    for masked in (False, True):
        m = mask[:, None] if masked else None
        z = (rng.normal(size=(batch, 4 * u)) * 3).astype(dtype)
        state = rng.normal(size=(batch, 2 * u)).astype(dtype)
        d_state = rng.normal(size=(batch, 2 * u)).astype(dtype)
        new_state = np.full_like(state, np.nan)
        _host_call(library, 'lstm_forward', [z, state, mask_bytes, new_state],
                   [batch, u, *codes, masked])
        want_state, cache = cells.lstm_forward(z, state, m, activation, recurrent_activation)
        np.testing.assert_allclose(new_state, want_state, **tol)
        dz, d_prev = np.full_like(z, np.nan), np.full_like(state, np.nan)
        _host_call(library, 'lstm_backward', [z, state, mask_bytes, d_state, dz, d_prev],
                   [batch, u, *codes, masked])
        want_dz, want_prev = cells.lstm_backward(z, state, cache, m, d_state, activation,
                                                 recurrent_activation)
        np.testing.assert_allclose(dz, want_dz, **tol)
        np.testing.assert_allclose(d_prev, want_prev, **tol)
        for reset_after in (False, True):
            x = (rng.normal(size=(batch, 3 * u)) * 3).astype(dtype)
            rec = rng.normal(size=(batch, 3 * u)).astype(dtype)
            h_prev = rng.normal(size=(batch, u)).astype(dtype)
            dh = rng.normal(size=(batch, u)).astype(dtype)
            h = np.full_like(h_prev, np.nan)
            _host_call(library, 'gru_forward', [x, rec, h_prev, mask_bytes, h],
                       [batch, u, reset_after, *codes, masked])
            np.testing.assert_allclose(h, cells.gru_forward(x, rec, h_prev, m, reset_after,
                                                            activation, recurrent_activation),
                                       **tol)
            outputs = [np.full_like(x, np.nan), np.full_like(x, np.nan),
                       np.full_like(h_prev, np.nan)]
            _host_call(library, 'gru_backward', [x, rec, h_prev, mask_bytes, dh] + outputs,
                       [batch, u, reset_after, *codes, masked])
            for got, want in zip(outputs, cells.gru_backward(x, rec, h_prev, m, dh, reset_after,
                                                             activation,
                                                             recurrent_activation)):
                np.testing.assert_allclose(got, want, **tol)


@pytest.mark.skipif(not cupy_backend.is_available(), reason='CuPy with a CUDA GPU is not available')
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_cupy_matches_numpy(dtype):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(5, 7, 3)).astype(dtype)
    mask = rng.random((5, 7)) > 0.3
    results = {}
    for name in ('numpy', 'cupy'):
        K.set_backend(name)
        K.clear_session()
        out = {}
        for kind, make in sorted(LAYER_CASES.items()):
            layer = make(return_sequences=True, return_state=True, go_backwards=True, dtype=dtype)
            layer.build((None, 7, 3))
            layer.set_weights([np.random.default_rng(3).normal(size=w.shape) * 0.5
                               for w in layer.weights])
            tensor = ad.Variable(K.active().asarray(x))
            values = layer(tensor, mask=mask)
            loss = K.sum(values[0] * values[0]) + K.sum(values[1])
            grads = ad.gradients(loss, [tensor] + layer.trainable_weights)
            out[kind] = [to_np(v) for v in values] + [K.active().to_numpy(g) for g in grads]
        results[name] = out
    K.set_backend('numpy')
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == 'float32' else dict(rtol=1e-10, atol=1e-12)
    for kind in results['numpy']:
        for got, want in zip(results['cupy'][kind], results['numpy'][kind]):
            np.testing.assert_allclose(got, want, err_msg=kind, **tol)
