"""Bidirectional (each RNN, each merge mode, masks, states), TimeDistributed (with masks) and
Embedding (mask_zero, input_length) against tf_keras fixtures, plus names, configs, gradients
and errors."""
import numpy as np
import pytest

import sequence_cases
from gkeras import layers
from gkeras.backend import autodiff as ad
from gkeras.backend import selection
from gkeras.models import Model, Sequential, model_from_json
from gradcheck import check_gradients


def to_np(x):
    return selection.active().to_numpy(ad.raw(x))


@pytest.mark.parametrize('case', sequence_cases.names('bidirectional'))
def test_bidirectional_matches_tf_keras(backend, case):
    sequence_cases.check('bidirectional', case)


@pytest.mark.parametrize('case', sequence_cases.names('wrappers'))
def test_time_distributed_and_merged_masks_match_tf_keras(backend, case):
    sequence_cases.check('wrappers', case)


@pytest.mark.parametrize('case', sequence_cases.names('embeddings'))
def test_embedding_matches_tf_keras(backend, case):
    sequence_cases.check('embeddings', case)


def test_bidirectional_names_weights_order_and_config(backend):
    inner = layers.LSTM(3, return_sequences=True)
    wrapper = layers.Bidirectional(inner, merge_mode='sum')
    wrapper.build((None, 5, 2))
    assert wrapper.forward_layer.name == 'forward_lstm_1'
    assert wrapper.backward_layer.name == 'backward_lstm_1'
    assert wrapper.backward_layer.go_backwards and not wrapper.forward_layer.go_backwards
    assert [w.name for w in wrapper.weights] == [
        f'bidirectional_1/{direction}_lstm_1/{name}:0' for direction in ('forward', 'backward')
        for name in ('kernel', 'recurrent_kernel', 'bias')]
    config = wrapper.get_config()
    assert config['merge_mode'] == 'sum' and config['layer']['class_name'] == 'LSTM'
    clone = layers.deserialize({'class_name': 'Bidirectional', 'config': config})
    assert clone.get_config() == config
    with pytest.raises(ValueError, match='Invalid merge mode'):
        layers.Bidirectional(layers.LSTM(2), merge_mode='max')
    with pytest.raises(ValueError, match='recurrent layer'):
        layers.Bidirectional(layers.Dense(2))


def test_bidirectional_initial_states_split_forward_then_backward(backend, rng):
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    states = [rng.normal(size=(2, 2)).astype(np.float32) for _ in range(2)]
    wrapper = layers.Bidirectional(layers.GRU(2), merge_mode=None)
    forward, backward = wrapper(x, initial_state=states)
    copy = layers.GRU(2)
    copy.build((None, 4, 3))
    copy.set_weights(wrapper.get_weights()[:3])
    np.testing.assert_allclose(to_np(forward), to_np(copy(x, initial_state=[states[0]])),
                               rtol=1e-6)
    backwards = layers.GRU(2, go_backwards=True)
    backwards.build((None, 4, 3))
    backwards.set_weights(wrapper.get_weights()[3:])
    np.testing.assert_allclose(to_np(backward), to_np(backwards(x, initial_state=[states[1]])),
                               rtol=1e-6)
    sequence = layers.Input(shape=(4, 3))
    inputs = [layers.Input(shape=(2,)) for _ in range(2)]
    model = Model([sequence] + inputs,
                  layers.Bidirectional(layers.GRU(2))(sequence, initial_state=inputs))
    model.layers[-1].set_weights(wrapper.get_weights())
    np.testing.assert_allclose(model.predict([x] + states),
                               np.concatenate([to_np(forward), to_np(backward)], axis=1),
                               rtol=1e-6)
    with pytest.raises(ValueError, match='forward then backward'):
        wrapper(x, initial_state=states[:1])


def test_bidirectional_gradients(backend, rng):
    wrapper = layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True, dtype='float64'),
                                   merge_mode='mul', dtype='float64')
    wrapper.build((None, 3, 2))
    mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    directions = (wrapper.forward_layer.cell, wrapper.backward_layer.cell)

    def run(x, forward_kernel, backward_kernel):
        directions[0].kernel, directions[1].kernel = forward_kernel, backward_kernel
        return wrapper(x, mask=mask)
    check_gradients(run, rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 2)),
                    rng.normal(size=(2, 2)))


def test_time_distributed_names_shapes_gradients_and_errors(backend, rng):
    wrapper = layers.TimeDistributed(layers.Dense(3), input_shape=(4, 2))
    model = Sequential([wrapper])
    assert model.output_shape == (None, 4, 3)
    assert [w.name for w in wrapper.weights] == ['time_distributed_1/kernel:0',
                                                 'time_distributed_1/bias:0']
    x = rng.normal(size=(2, 4, 2)).astype(np.float32)
    kernel, bias = wrapper.get_weights()
    np.testing.assert_allclose(model.predict(x), x @ kernel + bias, rtol=1e-5, atol=1e-6)
    inner = layers.Dense(2, dtype='float64')
    wrapped = layers.TimeDistributed(inner, dtype='float64')
    wrapped.build((None, 3, 2))

    def run(x, weight):
        inner.kernel = weight
        return wrapped(x)
    check_gradients(run, rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 2)))
    config = wrapper.get_config()
    assert layers.deserialize({'class_name': 'TimeDistributed',
                               'config': config}).get_config() == config
    with pytest.raises(ValueError, match=r"'time_distributed_3'.*rank >= 3"):
        layers.TimeDistributed(layers.Dense(2))(layers.Input(shape=(3,)))


def test_time_distributed_passes_masks(backend):
    xp = selection.active().xp
    x = ad.constant(np.ones((2, 3, 2), np.float32))
    x._keras_mask = xp.asarray([[True, False, True], [False, True, True]])
    out = layers.TimeDistributed(layers.Dense(4))(x)
    np.testing.assert_array_equal(to_np(out._keras_mask), to_np(x._keras_mask))
    ids = ad.constant(np.array([[[1, 0], [0, 0]], [[2, 3], [0, 4]]]))
    embedded = layers.TimeDistributed(layers.Embedding(5, 2, mask_zero=True))(ids)
    np.testing.assert_array_equal(to_np(embedded._keras_mask), [[[1, 0], [0, 0]],
                                                                [[1, 1], [0, 1]]])


def test_embedding_mask_shape_config_and_errors(backend, rng):
    layer = layers.Embedding(6, 2, mask_zero=True, input_length=4)
    model = Sequential([layer])
    assert model.output_shape == (None, 4, 2)
    assert layer.weights[0].name == 'embedding_1/embeddings:0'
    ids = np.array([[1, 0, 5, 0]])
    out = layer(ids)
    np.testing.assert_array_equal(to_np(out._keras_mask), [[True, False, True, False]])
    np.testing.assert_array_equal(to_np(out)[0], layer.get_weights()[0][ids[0]])
    init = layers.Embedding(100, 50).get_config()['embeddings_initializer']
    assert init['class_name'] == 'RandomUniform' and init['config']['maxval'] == 0.05
    config = layer.get_config()
    assert layers.Embedding.from_config(config).get_config() == config
    assert layers.Embedding(6, 2).compute_mask(ad.constant(ids)) is None
    table = layers.Embedding(3, 2, dtype='float64')
    table.build((None, 2))

    def lookup(weights):
        table.embeddings = weights
        return table(np.array([[0, 2], [2, 2]]))
    grads = check_gradients(lookup, rng.normal(size=(3, 2)))
    assert np.all(grads[0][1] == 0)
    if selection.active().name == 'numpy':
        with pytest.raises(ValueError, match=r"'embedding_1'.*expected indices in \[0, 6\)"):
            model.layers[0](np.array([[1, 6, 0, 0]]))
    with pytest.raises(ValueError, match=r"'embedding_\d+'.*input_length"):
        layers.Embedding(6, 2, input_length=5)(layers.Input(shape=(4,)))
    with pytest.raises(ValueError, match='positive integers'):
        layers.Embedding(0, 2)


def test_models_with_these_layers_round_trip_through_json(backend, rng):
    inputs = layers.Input(shape=(5,), dtype='int32')
    x = layers.Embedding(10, 4, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x)
    x = layers.TimeDistributed(layers.Dense(2))(x)
    x = layers.BatchNormalization()(x)
    x = layers.GRU(2, reset_after=True)(x)
    model = Model(inputs, layers.concatenate([x, layers.LeakyReLU()(x)]))
    clone = model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    ids = rng.integers(0, 10, size=(3, 5))
    np.testing.assert_allclose(clone.predict(ids), model.predict(ids), rtol=1e-6)
    assert [w.name for w in clone.weights] == [w.name for w in model.weights]
