"""Sequential and functional models: graph building, shape inference, weights, errors."""
import numpy as np
import pytest

from gkeras import backend as K
from gkeras.layers import Dense, Dropout, Flatten, Input, InputLayer, Lambda, Reshape
from gkeras.models import Model, Sequential


def numpy_mlp(x, weights, activations):
    out = x.astype(np.float64)
    for (kernel, bias), activation in zip(zip(weights[::2], weights[1::2]), activations):
        out = activation(out @ kernel + bias)
    return out


relu = lambda a: np.maximum(a, 0)  # noqa: E731
linear = lambda a: a  # noqa: E731


def test_sequential_infers_shapes_without_data(backend):
    model = Sequential([Dense(8, input_shape=(5,)), Dense(4), Reshape((2, 2)), Flatten()])
    assert model.input_shape == (None, 5)
    assert model.output_shape == (None, 4)
    assert [layer.output_shape for layer in model.layers] == [
        (None, 8), (None, 4), (None, 2, 2), (None, 4)]
    assert model.inputs[0]._keras_history[0].name == model.layers[0].name + '_input'
    assert len(model.layers) == 4  # the implicit InputLayer is not listed, as in Keras 2


def test_sequential_predict_matches_numpy(backend, rng):
    model = Sequential()
    model.add(Dense(7, activation='relu', input_dim=3))
    model.add(Dropout(0.5))
    model.add(Dense(2))
    x = rng.standard_normal((9, 3)).astype('float32')
    expected = numpy_mlp(x, model.get_weights(), [relu, linear])
    np.testing.assert_allclose(model.predict(x, batch_size=4), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.predict_on_batch(x), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model(backend.asarray(x)).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_deferred_sequential_builds_from_data(backend, rng):
    model = Sequential([Dense(4, activation='relu'), Dense(1)])
    assert not model.built
    model.compile('sgd', 'mse')
    x = rng.standard_normal((6, 3)).astype('float32')
    model.fit(x, np.zeros((6, 1)), epochs=1, verbose=0)
    assert model.built and model.input_shape == (None, 3)
    assert model.layers[0].get_weights()[0].shape == (3, 4)


def test_sequential_accepts_input_tensor_and_input_layer(backend):
    a = Sequential([Input(shape=(3,)), Dense(2)])
    b = Sequential([InputLayer(input_shape=(3,)), Dense(2)])
    assert a.output_shape == b.output_shape == (None, 2)
    assert len(a.layers) == len(b.layers) == 1


def test_sequential_pop_and_errors(backend):
    model = Sequential([Dense(4, input_shape=(3,)), Dense(5), Dense(6)])
    model.pop()
    assert model.output_shape == (None, 5)
    assert len(model.layers) == 2
    with pytest.raises(TypeError, match='instance of class Layer'):
        model.add('dense')
    with pytest.raises(ValueError, match='unique names'):
        model.add(Dense(2, name=model.layers[0].name))
    built_for_seven = Sequential([Dense(2, input_shape=(7,))]).layers[0]
    model = Sequential([Dense(4, input_shape=(3,)), Dense(5)])
    with pytest.raises(ValueError, match=r'axis -1.*value 7.*\(None, 5\)'):
        model.add(built_for_seven)
    assert len(model.layers) == 2 and model.output_shape == (None, 5)


def test_functional_multi_input_multi_output(backend, rng):
    a = Input(shape=(3,), name='a')
    b = Input(shape=(2,), name='b')
    shared = Dense(4, activation='relu', name='shared')
    merged = Lambda(lambda t: K.concatenate(t, axis=-1))([shared(a), Dense(4, name='side')(b)])
    out1 = Dense(1, name='out1')(merged)
    out2 = Dense(3, activation='softmax', name='out2')(merged)
    model = Model(inputs=[a, b], outputs=[out1, out2])
    assert model.input_names == ['a', 'b']
    assert model.output_names == ['out1', 'out2']
    assert model.output_shape == [(None, 1), (None, 3)]
    assert [layer.name for layer in model.layers][:2] == ['a', 'b']
    xa = rng.standard_normal((5, 3)).astype('float32')
    xb = rng.standard_normal((5, 2)).astype('float32')
    p1, p2 = model.predict([xa, xb])
    w = {layer.name: layer.get_weights() for layer in model.layers if layer.weights}
    hidden = np.concatenate([relu(xa @ w['shared'][0] + w['shared'][1]),
                             xb @ w['side'][0] + w['side'][1]], axis=1)
    np.testing.assert_allclose(p1, hidden @ w['out1'][0] + w['out1'][1], rtol=1e-5, atol=1e-5)
    logits = hidden @ w['out2'][0] + w['out2'][1]
    soft = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(p2, soft / soft.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)
    by_name = model.predict({'a': xa, 'b': xb})
    np.testing.assert_allclose(by_name[0], p1)


def test_shared_layer_has_two_nodes(backend):
    shared = Dense(3)
    a, b = Input(shape=(4,)), Input(shape=(4,))
    shared(a)
    shared(b)
    assert shared.get_input_at(0) is a and shared.get_input_at(1) is b
    assert shared.get_output_shape_at(1) == (None, 3)
    with pytest.raises(AttributeError, match='multiple inbound nodes'):
        shared.input
    with pytest.raises(ValueError, match='only 2 inbound nodes'):
        shared.get_input_at(2)


def test_model_as_layer_and_weights_shared(backend, rng):
    inner_in = Input(shape=(3,))
    inner = Model(inner_in, Dense(2, name='inner_dense')(inner_in), name='inner')
    outer_in = Input(shape=(3,))
    outer = Model(outer_in, Dense(1, name='head')(inner(outer_in)))
    assert outer.output_shape == (None, 1)
    assert len(outer.get_weights()) == 4
    x = rng.standard_normal((4, 3)).astype('float32')
    k1, b1 = inner.get_weights()
    k2, b2 = outer.get_layer('head').get_weights()
    np.testing.assert_allclose(outer.predict(x), (x @ k1 + b1) @ k2 + b2, rtol=1e-5, atol=1e-5)
    seq = Sequential([inner, Dense(1)])
    assert seq.output_shape == (None, 1)


def test_get_layer_and_errors(backend):
    inp = Input(shape=(2,), name='in')
    model = Model(inp, Dense(1, name='out')(inp))
    assert model.get_layer('out').name == 'out'
    assert model.get_layer(index=0).name == 'in'
    with pytest.raises(ValueError, match="No such layer: 'nope'"):
        model.get_layer('nope')
    with pytest.raises(ValueError, match='only has 2 layers'):
        model.get_layer(index=5)


def test_graph_disconnected_and_duplicate_names(backend):
    a, b = Input(shape=(2,)), Input(shape=(2,))
    out = Dense(1)(b)
    with pytest.raises(ValueError, match='Graph disconnected'):
        Model(a, out)
    x = Input(shape=(2,))
    y = Dense(1, name='same')(Dense(2, name='same')(x))
    with pytest.raises(ValueError, match='unique'):
        Model(x, y)


def test_calling_layer_on_incompatible_tensor(backend):
    with pytest.raises(ValueError, match=r"dense_\d+.*expected axis -1 of input shape to have "
                                          r"value 4.*\(None, 5\)"):
        layer = Dense(3)
        layer(Input(shape=(4,)))
        layer(Input(shape=(5,)))
    # operators on symbolic tensors record a node (tests/test_add_loss.py) instead of raising
    assert (Input(shape=(2,)) + 1).shape == (None, 2)


def test_model_get_set_weights_layer_order(backend):
    model = Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(2, 3), (3,), (3, 1), (1,)]
    new = [np.full(s, i, 'float32') for i, s in enumerate(shapes)]
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError):
        model.set_weights(new[:3])
    with pytest.raises(ValueError, match='shape'):
        model.set_weights([np.zeros((3, 2))] + new[1:])


def test_count_params_and_trainable_flags(backend):
    model = Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    assert model.count_params() == 2 * 3 + 3 + 3 + 1
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2
    assert len(model.non_trainable_weights) == 2
    model.trainable = False
    assert model.trainable_weights == []


def test_k_function_reads_intermediate_outputs_in_either_phase(backend, rng):
    model = Sequential([Dense(4, activation='relu', input_shape=(3,)), Dropout(0.5), Dense(2)])
    x = rng.standard_normal((6, 3)).astype('float32')
    kernel, bias = model.layers[0].get_weights()
    hidden = relu(x @ kernel + bias)
    get_hidden = K.function([model.input], [model.layers[0].output])
    np.testing.assert_allclose(get_hidden([x])[0], hidden, rtol=1e-5, atol=1e-6)
    get_dropped = K.function([model.input, K.learning_phase()], [model.layers[1].output])
    np.testing.assert_allclose(get_dropped([x, 0])[0], hidden, rtol=1e-5, atol=1e-6)
    dropped = get_dropped([x, 1])[0]
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], 2 * hidden[kept], rtol=1e-5)
    assert (hidden[~kept] != 0).any()  # training phase really dropped some activations


def test_k_function_refuses_concrete_updates_and_session_arguments(backend):
    # updates of concrete values (applied when made, gkeras being eager) cannot be replayed:
    # refused, not ignored, and not applied either; an empty list of updates is fine
    model = Sequential([Dense(2, input_shape=(3,))])
    counter = K.variable(0.0)
    with pytest.raises(ValueError, match='`updates` must be made from symbolic tensors'):
        K.function([model.input], [model.output], updates=[(counter, counter + 1)])
    assert K.get_value(counter) == 0.0
    with pytest.raises(ValueError, match='session keyword arguments'):
        K.function([model.input], [model.output], fetches=[])
    assert K.function([model.input], [model.output], updates=[], name='f')(
        [np.ones((1, 3), 'float32')])[0].shape == (1, 2)
