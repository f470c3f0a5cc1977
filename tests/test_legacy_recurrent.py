"""layers.Recurrent: Keras 1's abstract RNN base, which Keras 2.2 ships for custom layers
written against it. A custom layer in that style (build, step, states) is checked against a
NumPy loop: sequences and last outputs, going backwards, masking, initial states given, returned
states, and a stateful layer carrying its state over calls until reset_states."""
import numpy as np
import pytest

from gkeras import backend as K
from gkeras.layers import Input, InputSpec, Masking, Recurrent
from gkeras.models import Model, Sequential


class MinimalRNN(Recurrent):
    """The kind of layer Keras 1 users wrote: h = tanh(x W + h U + b)."""

    def __init__(self, units, **kwargs):
        self.units = units
        super().__init__(**kwargs)

    def build(self, input_shape):
        if isinstance(input_shape, list):  # called with initial states (Keras passes them all)
            input_shape = input_shape[0]
        batch_size = input_shape[0] if self.stateful else None
        self.input_spec[0] = InputSpec(shape=(batch_size, None, input_shape[2]))
        self.states = [None]
        if self.stateful:
            self.reset_states()
        self.W = self.add_weight('W', (input_shape[2], self.units), initializer='glorot_uniform')
        self.U = self.add_weight('U', (self.units, self.units), initializer='orthogonal')
        self.b = self.add_weight('b', (self.units,), initializer='zeros')
        self.built = True

    def step(self, x, states):
        h = K.tanh(K.dot(x, self.W) + K.dot(states[0], self.U) + self.b)
        return h, [h]

    def get_config(self):
        return {**super().get_config(), 'units': self.units}


def loop(layer, x, h=None, mask=None, backwards=False):
    w, u, b = layer.get_weights()
    h = np.zeros((x.shape[0], w.shape[1])) if h is None else h
    outputs = []
    steps = range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])
    for t in steps:
        new = np.tanh(x[:, t] @ w + h @ u + b)
        h = new if mask is None else np.where(mask[:, t:t + 1], new, h)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def test_sequences_backwards_masks_and_states(backend, rng):
    x = rng.standard_normal((3, 5, 2)).astype('float32')
    for kwargs in ({}, {'return_sequences': True}, {'go_backwards': True}):
        layer = MinimalRNN(4, **kwargs)
        got = layer(K.constant(x))
        sequence, last = loop(layer, x, backwards=kwargs.get('go_backwards', False))
        expected = sequence if kwargs.get('return_sequences') else last
        np.testing.assert_allclose(K.get_value(got), expected, rtol=1e-5, atol=1e-6)
    # masking (a zero time step is skipped: the state carries over) and returned states
    masked = x.copy()
    masked[1, 3:] = 0
    inputs = Input((5, 2))
    layer = MinimalRNN(4, return_state=True)
    output, state = layer(Masking()(inputs))
    model = Model(inputs, [output, state])
    got_output, got_state = model.predict(masked)
    _, expected = loop(layer, masked, mask=np.any(masked != 0, axis=-1))
    np.testing.assert_allclose(got_output, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state, expected, rtol=1e-5, atol=1e-6)


def test_initial_states_as_inputs(backend, rng):
    x = rng.standard_normal((2, 4, 3)).astype('float32')
    h0 = rng.standard_normal((2, 5)).astype('float32')
    sequence, state = Input((4, 3)), Input((5,))
    layer = MinimalRNN(5)
    model = Model([sequence, state], layer(sequence, initial_state=[state]))
    np.testing.assert_allclose(model.predict([x, h0]), loop(layer, x, h=h0)[1], rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(ValueError, match='has 1 states but was passed 2'):
        layer.call([K.constant(x), K.constant(h0), K.constant(h0)])


def test_a_stateful_layer_carries_its_state_until_reset(backend, rng):
    x = rng.standard_normal((2, 3, 2)).astype('float32')
    layer = MinimalRNN(4, stateful=True, batch_input_shape=(2, 3, 2))
    model = Sequential([layer])
    first = model.predict(x)
    second = model.predict(x)
    _, h1 = loop(layer, x)
    np.testing.assert_allclose(first, h1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(second, loop(layer, x, h=h1)[1], rtol=1e-5, atol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(model.predict(x), h1, rtol=1e-5, atol=1e-6)
    layer.reset_states([np.ones((2, 4))])
    np.testing.assert_allclose(model.predict(x), loop(layer, x, h=np.ones((2, 4)))[1],
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='expected shape=\\(2, 4\\)'):
        layer.reset_states([np.ones((3, 4))])
    with pytest.raises(AttributeError, match='must be stateful'):
        MinimalRNN(2).reset_states()
    assert {'return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll',
            'implementation', 'units'} <= set(layer.get_config())


def test_step_must_be_implemented(backend):
    class NoStep(Recurrent):
        units = 2

        def build(self, input_shape):
            self.states = [None]
            self.built = True
    with pytest.raises(NotImplementedError, match='implements step'):
        NoStep()(K.constant(np.ones((1, 2, 3))))


def test_a_model_with_a_custom_recurrent_layer_saves_and_loads(backend, rng, tmp_path):
    from gkeras.models import load_model
    x = rng.standard_normal((2, 4, 3)).astype('float32')
    model = Sequential([MinimalRNN(5, return_sequences=True, go_backwards=True,
                                   input_shape=(4, 3))])
    path = str(tmp_path / 'custom.h5')
    model.save(path)
    with pytest.warns(UserWarning, match='No training configuration'):  # saved uncompiled
        loaded = load_model(path, custom_objects={'MinimalRNN': MinimalRNN})
    assert loaded.layers[0].get_config() == model.layers[0].get_config()
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
