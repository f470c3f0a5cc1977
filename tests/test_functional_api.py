"""Functional graphs: shared layers and the node API, models used as layers, named inputs and
outputs, multi-input/multi-output training with dict data, and summary() as Keras 2.2.5 prints it.
"""
import numpy as np
import pytest

from gkeras import backend as K
from gkeras import optimizers
from gkeras.layers import Dense, Dropout, Input, Lambda
from gkeras.models import Model, Sequential


def dense(x, layer, activation=None):
    kernel, bias = layer.get_weights()
    out = x @ kernel + bias
    return np.tanh(out) if activation == 'tanh' else out


# ---------------------------------------------------------------------------------------------
# node API

def test_node_api_of_a_layer_called_three_times(backend):
    identity = Lambda(lambda t: t, name='identity')
    a, b, c = Input((3,), name='a'), Input((5,), name='b'), Input((3,), name='c')
    out_a, out_b, out_c = identity(a), identity(b), identity(c)
    assert [identity.get_input_at(i) for i in range(3)] == [a, b, c]
    assert [identity.get_output_at(i) for i in range(3)] == [out_a, out_b, out_c]
    assert identity.get_input_shape_at(1) == (None, 5)
    assert identity.get_output_shape_at(2) == (None, 3)
    assert identity.get_input_at(-1) is c
    for attribute in ('input', 'output'):
        with pytest.raises(AttributeError, match='multiple inbound nodes'):
            getattr(identity, attribute)
    for attribute in ('input_shape', 'output_shape'):
        with pytest.raises(AttributeError, match='different (input|output) shapes'):
            getattr(identity, attribute)
    with pytest.raises(ValueError, match='Asked to get input shape at node 3, but the layer '
                                         "'identity' has only 3 inbound nodes"):
        identity.get_input_shape_at(3)
    shared = Dense(2, name='shared')
    shared(a)
    shared(c)
    assert shared.input_shape == (None, 3) and shared.output_shape == (None, 2)


def test_node_api_of_an_unused_layer(backend):
    layer = Dense(2, name='lonely')
    with pytest.raises(AttributeError, match="'lonely' is not connected, no input"):
        layer.input
    with pytest.raises(AttributeError, match='not connected, no output'):
        layer.output
    with pytest.raises(AttributeError, match='never been called'):
        layer.input_shape
    with pytest.raises(RuntimeError, match='never been called and thus has no defined output '
                                           'shape'):
        layer.get_output_shape_at(0)
    assert not hasattr(layer, 'input')


def test_model_nodes_when_used_as_a_layer(backend):
    x = Input((4,), name='x')
    inner = Model(x, Dense(3, name='inner_dense')(x), name='inner')
    assert inner.input is x and inner.input_shape == (None, 4)
    y = Input((4,), name='y')
    called = inner(y)
    assert inner.get_input_at(1) is y and inner.get_output_at(1) is called
    assert called.shape == (None, 3)
    with pytest.raises(AttributeError, match='multiple inbound nodes'):
        inner.output
    assert inner.output_shape == (None, 3)


# ---------------------------------------------------------------------------------------------
# models inside models

def test_nested_models_three_deep_predict_like_numpy(backend, rng):
    x = rng.standard_normal((5, 4)).astype('float32')
    a = Input((4,))
    first = Dense(3, activation='tanh', name='first')
    innermost = Model(a, first(a), name='innermost')
    b = Input((4,))
    second = Dense(2, name='second')
    middle = Model(b, second(innermost(b)), name='middle')
    top = Dense(1, name='top')
    stacked = Sequential([middle, top], name='stacked')
    assert stacked.output_shape == (None, 1)
    expected = dense(dense(dense(x, first, 'tanh'), second), top)
    np.testing.assert_allclose(stacked.predict(x), expected, rtol=1e-5, atol=1e-6)
    c = Input((4,), name='c')
    wrapper = Model(c, stacked(c))
    np.testing.assert_allclose(wrapper.predict(x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(K.get_value(wrapper(x)), expected, rtol=1e-5, atol=1e-6)
    assert wrapper.count_params() == (4 * 3 + 3) + (3 * 2 + 2) + (2 + 1)
    assert wrapper.get_layer('stacked') is stacked
    assert wrapper.compute_output_shape((None, 4)) == (None, 1)


def test_a_model_called_twice_shares_its_weights(backend, rng):
    x1 = rng.standard_normal((6, 3)).astype('float32')
    x2 = rng.standard_normal((6, 3)).astype('float32')
    i = Input((3,))
    encoder = Model(i, Dense(2, name='enc')(i), name='encoder')
    a, b = Input((3,), name='a'), Input((3,), name='b')
    difference = Lambda(lambda t: t[0] - t[1])([encoder(a), encoder(b)])
    siamese = Model([a, b], difference)
    assert len(siamese.weights) == 2
    kernel, bias = encoder.get_weights()
    np.testing.assert_allclose(siamese.predict([x1, x2]), (x1 - x2) @ kernel, rtol=1e-5,
                               atol=1e-6)
    siamese.compile(optimizers.SGD(lr=0.1), 'mse')
    target = rng.standard_normal((6, 2)).astype('float32')
    siamese.train_on_batch([x1, x2], target)
    grad = 2 * (x1 - x2).T @ ((x1 - x2) @ kernel - target) / target.size
    np.testing.assert_allclose(encoder.get_weights()[0], kernel - 0.1 * grad, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(encoder.get_weights()[1], bias, atol=1e-7)


def test_shared_layer_gradient_sums_both_nodes(backend, rng):
    xa = rng.standard_normal((4, 3)).astype('float32')
    xb = rng.standard_normal((4, 3)).astype('float32')
    y = rng.standard_normal((4, 2)).astype('float32')
    a, b = Input((3,)), Input((3,))
    shared = Dense(2, name='shared')
    model = Model([a, b], Lambda(lambda t: t[0] * t[1])([shared(a), shared(b)]))
    model.compile(optimizers.SGD(lr=0.05), 'mse')
    kernel, bias = (w.astype('float64') for w in shared.get_weights())
    ha, hb = xa @ kernel + bias, xb @ kernel + bias
    dout = 2 * (ha * hb - y) / y.size
    grad_kernel = xa.T @ (dout * hb) + xb.T @ (dout * ha)
    grad_bias = (dout * hb).sum(0) + (dout * ha).sum(0)
    model.train_on_batch([xa, xb], y)
    new_kernel, new_bias = shared.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.05 * grad_kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_bias, bias - 0.05 * grad_bias, rtol=1e-5, atol=1e-6)


def test_frozen_nested_model_keeps_its_weights(backend, rng):
    x = rng.standard_normal((8, 4)).astype('float32')
    i = Input((4,))
    base = Model(i, Dense(3, name='base_dense')(i), name='base')
    base.trainable = False
    j = Input((4,))
    model = Model(j, Dense(1, name='head')(base(j)))
    model.compile('sgd', 'mse')
    frozen = base.get_weights()
    head = model.get_layer('head').get_weights()
    model.fit(x, np.ones((8, 1)), epochs=2, verbose=0)
    for got, want in zip(base.get_weights(), frozen):
        np.testing.assert_array_equal(got, want)
    assert not np.allclose(model.get_layer('head').get_weights()[0], head[0])
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[-4:-1] == ['Total params: 19', 'Trainable params: 4', 'Non-trainable params: 15']


# ---------------------------------------------------------------------------------------------
# names, lists and dicts

def two_in_two_out():
    a, b = Input((3,), name='a'), Input((2,), name='b')
    joined = Lambda(lambda t: K.concatenate(t, axis=-1), name='join')([a, b])
    hidden = Dense(4, activation='tanh', name='hidden')(joined)
    return a, b, Dense(1, name='score')(hidden), Dense(2, activation='softmax',
                                                      name='label')(hidden)


def test_inputs_and_outputs_as_dicts(backend, rng):
    a, b, score, label = two_in_two_out()
    model = Model({'a': a, 'b': b}, {'score': score, 'label': label})
    assert model.input_names == ['a', 'b'] and model.output_names == ['score', 'label']
    xa = rng.standard_normal((5, 3)).astype('float32')
    xb = rng.standard_normal((5, 2)).astype('float32')
    by_name = model.predict({'b': xb, 'a': xa})
    by_list = model.predict([xa, xb])
    for got, want in zip(by_name, by_list):
        np.testing.assert_allclose(got, want)
    hidden = dense(np.concatenate([xa, xb], 1), model.get_layer('hidden'), 'tanh')
    np.testing.assert_allclose(by_list[0], dense(hidden, model.get_layer('score')), rtol=1e-5,
                               atol=1e-6)


def test_multi_input_multi_output_fit_with_dict_data(backend, rng):
    a, b, score, label = two_in_two_out()
    model = Model([a, b], [score, label])
    model.compile(optimizers.Adam(lr=0.05),
                  loss={'score': 'mse', 'label': 'sparse_categorical_crossentropy'},
                  loss_weights={'score': 0.5}, metrics={'label': 'acc'})
    xa = rng.standard_normal((40, 3)).astype('float32')
    xb = rng.standard_normal((40, 2)).astype('float32')
    targets = {'score': xa[:, :1] - xb[:, 1:], 'label': (xa[:, 0] > 0).astype('int64')}
    history = model.fit({'a': xa, 'b': xb}, targets, epochs=15, batch_size=8, verbose=0,
                        sample_weight={'score': np.ones(40), 'label': np.full(40, 2.)},
                        validation_data=({'a': xa, 'b': xb}, targets))
    assert list(history.history) == ['loss', 'score_loss', 'label_loss', 'label_acc',
                                     'val_loss', 'val_score_loss', 'val_label_loss',
                                     'val_label_acc']
    assert history.history['loss'][-1] < 0.5 * history.history['loss'][0]
    assert history.history['val_label_accuracy'][-1] > 0.8
    loss, score_loss, label_loss, acc = model.evaluate([xa, xb], [targets['score'],
                                                                  targets['label']], verbose=0)
    np.testing.assert_allclose(loss, 0.5 * score_loss + label_loss, rtol=1e-5)


def test_get_layer_and_model_construction_errors(backend):
    a, b, score, label = two_in_two_out()
    model = Model([a, b], [score, label])
    assert [model.get_layer(index=i).name for i in range(len(model.layers))] == [
        'a', 'b', 'join', 'hidden', 'score', 'label']
    assert model.get_layer(name='hidden') is model.get_layer(index=3)
    with pytest.raises(ValueError, match='either a layer name or a layer index'):
        model.get_layer()
    with pytest.raises(ValueError, match=r"Existing layers are: \['a', 'b', 'join'"):
        model.get_layer('missing')
    with pytest.raises(ValueError, match='must come from `Input`'):
        Model(score, label)
    with pytest.raises(ValueError, match='symbolic tensors'):
        Model(a, np.zeros(3))
    with pytest.raises(ValueError, match='same input tensor is given twice'):
        Model([a, a], score)


# ---------------------------------------------------------------------------------------------
# summary(): the exact Keras 2.2.5 text (checked against Keras 2.2.5's own print_summary
# run on these models)

SEQUENTIAL_SUMMARY = '''\
Model: "seq"
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
dense_a (Dense)              (None, 8)                 40        
_________________________________________________________________
drop (Dropout)               (None, 8)                 0         
_________________________________________________________________
dense_b (Dense)              (None, 1)                 9         
=================================================================
Total params: 49
Trainable params: 49
Non-trainable params: 0
_________________________________________________________________'''

GRAPH_SUMMARY = '''\
Model: "graph"
__________________________________________________________________________________________________
Layer (type)                    Output Shape         Param #     Connected to                     
==================================================================================================
a (InputLayer)                  (None, 4)            0                                            
__________________________________________________________________________________________________
b (InputLayer)                  (None, 3)            0                                            
__________________________________________________________________________________________________
shared (Dense)                  (None, 5)            25          a[0][0]                          
                                                                 d_c[0][0]                        
__________________________________________________________________________________________________
d_b (Dense)                     (None, 5)            20          b[0][0]                          
__________________________________________________________________________________________________
d_c (Dense)                     (None, 4)            16          b[0][0]                          
__________________________________________________________________________________________________
out1 (Dense)                    (None, 1)            6           shared[0][0]                     
__________________________________________________________________________________________________
out2 (Dense)                    (None, 2)            12          d_b[0][0]                        
==================================================================================================
Total params: 79
Trainable params: 79
Non-trainable params: 0
__________________________________________________________________________________________________'''

CHAIN_SUMMARY = '''\
Model: "chain"
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
c (InputLayer)               (None, 4)                 0         
_________________________________________________________________
inner (Model)                (None, 1)                 31        
_________________________________________________________________
top (Dense)                  (None, 2)                 4         
=================================================================
Total params: 35
Trainable params: 35
Non-trainable params: 0
_________________________________________________________________'''


def summary_text(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return '\n'.join(lines)


def test_summary_texts(backend, capsys):
    seq = Sequential([Dense(8, input_shape=(4,), name='dense_a'), Dropout(0.5, name='drop'),
                      Dense(1, name='dense_b')], name='seq')
    assert summary_text(seq) == SEQUENTIAL_SUMMARY
    seq.summary()
    assert capsys.readouterr().out == SEQUENTIAL_SUMMARY + '\n'
    a, b = Input((4,), name='a'), Input((3,), name='b')
    shared = Dense(5, name='shared')
    h1 = shared(a)
    h3 = shared(Dense(4, name='d_c')(b))
    graph = Model([a, b], [Dense(1, name='out1')(h1), Dense(2, name='out2')(
        Dense(5, name='d_b')(b)), h3], name='graph')
    assert summary_text(graph) == GRAPH_SUMMARY
    inner = Model(a, graph.get_layer('out1').get_output_at(0), name='inner')
    c = Input((4,), name='c')
    chain = Model(c, Dense(2, name='top')(inner(c)), name='chain')
    assert summary_text(chain) == CHAIN_SUMMARY
    narrow = summary_text(seq, line_length=40, positions=[.5, .8, 1.]).splitlines()
    assert narrow[2] == 'Layer (type)        Output Shap Param # '  # Keras cuts the last character
    assert narrow[4] == 'dense_a (Dense)     (None, 8)   40      '


def test_output_shapes_of_custom_layers_without_compute_output_shape(backend, rng):
    # found by running call() on zeros, as tf.keras 2.x does: a layer that crops, and Keras
    # 2.0's variational-autoencoder loss layer (a list in, one tensor out, a loss added in call)
    from gkeras.layers import Layer

    class Crop(Layer):
        def call(self, x):
            return x[:, 1:3] * 2.0

    class LossLayer(Layer):
        def call(self, inputs):
            x, decoded = inputs
            self.add_loss(K.mean(K.square(x - decoded)))
            return x

    class Pair(Layer):
        def call(self, x):
            return [x, x[:, :1]]

    x = Input((4,))
    decoded = Dense(4)(x)
    checked = LossLayer()([x, decoded])
    assert checked.shape == (None, 4)  # one output, not one per input
    cropped = Crop()(checked)
    assert cropped.shape == (None, 2)
    first, second = Pair()(cropped)
    assert first.shape == (None, 2) and second.shape == (None, 1)
    model = Model(x, [cropped, second])
    assert model.output_shape == [(None, 2), (None, 1)] and model.losses == []
    data = rng.standard_normal((6, 4)).astype('float32')
    got, _ = model.predict(data)
    np.testing.assert_allclose(got, data[:, 1:3] * 2.0, rtol=1e-6)
    trained = Model(x, checked)
    trained.compile(optimizers.SGD(lr=0.1))  # its only loss is the one added in call()
    kernel, bias = trained.get_weights()
    loss = trained.fit(data, epochs=1, batch_size=6, verbose=0).history['loss'][0]
    np.testing.assert_allclose(loss, np.mean((data - (data @ kernel + bias)) ** 2), rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# Input(tensor=...) holding values

def test_an_input_holding_a_tensor_needs_no_feed(backend, rng):
    """Keras 2's Input(tensor=K.variable(...)): layers after it compute from the variable's
    values, and a K.function over the rest of the graph is fed only its placeholders (neural
    doodle's masks); Keras 2.2.5 gives 15.0 for this graph."""
    values = rng.normal(size=(2, 3)).astype('float32')
    held = Input(tensor=K.variable(values), shape=(3,))
    assert held.shape == (2, 3)  # the tensor's own shape, which agrees with the declared one
    layer = Dense(2)
    features = layer(held)
    placeholder = K.placeholder((1, 3))
    fetch = K.function([placeholder], [K.sum(features) + K.sum(placeholder), features])
    fed = rng.normal(size=(1, 3)).astype('float32')
    total, got = fetch([fed])
    np.testing.assert_allclose(got, dense(values, layer), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(total, got.sum() + fed.sum(), rtol=1e-5)
    ones = K.function([placeholder], [K.sum(Dense(2, kernel_initializer='ones')(
        Input(tensor=K.variable(np.ones((2, 3))), shape=(3,)))) + K.sum(placeholder)])
    assert float(ones([np.ones((1, 3))])[0]) == 15.0


def test_an_input_tensor_must_agree_with_the_declared_shape(backend):
    with pytest.raises(ValueError, match="does not match the declared shape"):
        Input(tensor=K.variable(np.ones((2, 3))), shape=(4,))
    with pytest.raises(ValueError, match="does not match the declared shape"):
        Input(tensor=K.variable(np.ones((2, 3))), shape=(None, 3))


def test_a_model_fed_only_by_held_tensors_runs_without_data(backend, rng):
    """Keras 2.2.5: Model(Input(tensor=t), ...).predict(None, steps=1) runs on t's values."""
    values = rng.normal(size=(3, 4)).astype('float32')
    held = Input(tensor=K.variable(values))
    layer = Dense(2)
    model = Model(held, layer(held))
    np.testing.assert_allclose(model.predict(None, steps=1), dense(values, layer), rtol=1e-5,
                               atol=1e-6)
    model.compile('sgd', 'mse')
    targets = np.zeros((3, 2), 'float32')
    np.testing.assert_allclose(model.evaluate(None, targets, verbose=0),
                               np.mean(dense(values, layer) ** 2), rtol=1e-5)
    losses = model.fit(None, targets, epochs=3, verbose=0).history['loss']
    assert losses[2] < losses[0]
    fed = Input((4,))
    with pytest.raises(ValueError, match='No input data was given'):
        Model(fed, Dense(1)(fed)).predict(None, steps=1)
