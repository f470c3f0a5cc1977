"""models.clone_model: the same architecture with new layers and weights (Keras 2.2's
algorithm: layers re-created from their configs by their own classes, the graph called again
node by node with each call's arguments, shared layers kept shared)."""
import numpy as np
import pytest

from gkeras import backend as K
from gkeras.layers import LSTM, Concatenate, Dense, Dropout, Input, Layer
from gkeras.models import Model, Sequential, clone_model


class Scale(Layer):
    """A custom layer that is registered nowhere: clone_model uses its class directly."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), 'factor': self.factor}


def functional_model():
    a, b = Input((5,), name='a'), Input((3, 4), name='b')
    shared = Dense(4, activation='tanh', name='shared')
    inner_input = Input((4,))
    inner = Model(inner_input, Dense(2, name='inner_dense')(inner_input), name='inner')
    sequence = LSTM(4, name='lstm')(b, initial_state=[shared(a), shared(a)])
    merged = Concatenate(name='merge')([shared(a), Scale(3.0, name='scale')(sequence)])
    return Model([a, b], [inner(shared(a)), Dense(1, name='head')(merged)], name='net')


def test_a_clone_has_the_architecture_and_new_weights(backend, rng):
    model = functional_model()
    clone = clone_model(model)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    # the same layer configs (the node indices of the shared layer may come in another order)
    assert [(entry['class_name'], entry['config']) for entry in clone.get_config()['layers']] \
        == [(entry['class_name'], entry['config']) for entry in model.get_config()['layers']]
    assert not {id(w) for w in clone.weights} & {id(w) for w in model.weights}
    # the shared Dense is one layer in the clone too: as many weights as the original
    assert len(clone.weights) == len(model.weights)
    x = [rng.standard_normal((3, 5)).astype('float32'),
         rng.standard_normal((3, 3, 4)).astype('float32')]
    clone.set_weights(model.get_weights())
    for ours, theirs in zip(clone.predict(x), model.predict(x)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    clone.set_weights([w + 1 for w in clone.get_weights()])  # independent weights
    assert not np.allclose(clone.predict(x)[1], model.predict(x)[1])


def test_a_clone_on_given_input_tensors(backend, rng):
    model = functional_model()
    a, b = Input((5,), name='new_a'), Input((3, 4), name='new_b')
    clone = clone_model(model, input_tensors=[a, b])
    assert clone.inputs == [a, b]
    with pytest.raises(ValueError, match='has 2 input'):
        clone_model(model, input_tensors=[a])


def test_a_sequential_clone(backend, rng):
    model = Sequential([Dense(6, activation='relu', input_shape=(4,)), Dropout(0.5),
                        Dense(2, activation='softmax')])
    clone = clone_model(model)
    assert isinstance(clone, Sequential)
    assert [type(layer).__name__ for layer in clone.layers] == ['Dense', 'Dropout', 'Dense']
    clone.set_weights(model.get_weights())
    x = rng.standard_normal((5, 4)).astype('float32')
    np.testing.assert_allclose(clone.predict(x), model.predict(x), rtol=1e-6)
    on_input = clone_model(model, input_tensors=Input((4,), name='given'))
    assert on_input.inputs[0]._keras_history[0].name == 'given'
    held = clone_model(model, input_tensors=K.variable(x))
    assert held.inputs[0].shape == (5, 4)


def test_clone_model_needs_a_model(backend):
    with pytest.raises(ValueError, match='expected a Model or Sequential'):
        clone_model(Dense(2))
