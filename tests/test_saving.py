"""Configs, JSON/YAML, HDF5 weights and whole-model files written and read by gkeras."""
import builtins
import json
import os

import h5py
import numpy as np
import pytest

import gkeras.layers as L
from gkeras import backend as K
from gkeras import optimizers
from gkeras.layers import Dense, Input, Lambda
from gkeras.layers.serialization import deserialize, layer_classes, serialize
from gkeras.models import (Model, Sequential, load_model, model_from_config, model_from_json,
                           model_from_yaml)
from gkeras.models import hdf5

# Every layer class of API.md: a factory and the input shape(s) (without the batch axis).
LAYERS = {
    'Dense': (lambda: L.Dense(3, activation='relu', kernel_regularizer='l2',
                              bias_constraint='non_neg'), (4,)),
    'Activation': (lambda: L.Activation('tanh'), (4,)),
    'Dropout': (lambda: L.Dropout(0.3, noise_shape=(None, 1), seed=3), (4,)),
    'SpatialDropout1D': (lambda: L.SpatialDropout1D(0.2), (5, 3)),
    'SpatialDropout2D': (lambda: L.SpatialDropout2D(0.2), (4, 4, 3)),
    'SpatialDropout3D': (lambda: L.SpatialDropout3D(0.2), (3, 3, 3, 2)),
    'Flatten': (lambda: L.Flatten(), (2, 3)),
    'Reshape': (lambda: L.Reshape((3, -1)), (6,)),
    'Permute': (lambda: L.Permute((2, 1)), (2, 3)),
    'RepeatVector': (lambda: L.RepeatVector(3), (4,)),
    'ActivityRegularization': (lambda: L.ActivityRegularization(l1=0.1), (4,)),
    'Masking': (lambda: L.Masking(0.5), (3, 2)),
    'Conv1D': (lambda: L.Conv1D(2, 3, padding='causal', dilation_rate=2), (7, 3)),
    'Conv2D': (lambda: L.Conv2D(2, (2, 3), strides=(1, 2), padding='same'), (5, 6, 3)),
    'Conv3D': (lambda: L.Conv3D(2, 2), (4, 4, 4, 2)),
    'SeparableConv1D': (lambda: L.SeparableConv1D(2, 3, depth_multiplier=2), (6, 3)),
    'SeparableConv2D': (lambda: L.SeparableConv2D(2, 3, depth_multiplier=2), (5, 5, 3)),
    'DepthwiseConv2D': (lambda: L.DepthwiseConv2D(3, depth_multiplier=2), (5, 5, 3)),
    'Conv2DTranspose': (lambda: L.Conv2DTranspose(2, 3, strides=2, output_padding=1), (4, 4, 3)),
    'Conv3DTranspose': (lambda: L.Conv3DTranspose(2, 2, strides=2), (3, 3, 3, 2)),
    'Cropping1D': (lambda: L.Cropping1D((1, 2)), (6, 3)),
    'Cropping2D': (lambda: L.Cropping2D(((1, 0), (0, 2))), (5, 5, 2)),
    'Cropping3D': (lambda: L.Cropping3D(1), (4, 4, 4, 2)),
    'UpSampling1D': (lambda: L.UpSampling1D(2), (3, 2)),
    'UpSampling2D': (lambda: L.UpSampling2D((2, 3)), (3, 3, 2)),
    'UpSampling3D': (lambda: L.UpSampling3D(2), (2, 2, 2, 1)),
    'ZeroPadding1D': (lambda: L.ZeroPadding1D(2), (3, 2)),
    'ZeroPadding2D': (lambda: L.ZeroPadding2D(((1, 0), (2, 1))), (3, 3, 2)),
    'ZeroPadding3D': (lambda: L.ZeroPadding3D(1), (2, 2, 2, 1)),
    'MaxPooling1D': (lambda: L.MaxPooling1D(2, strides=1, padding='same'), (5, 3)),
    'AveragePooling1D': (lambda: L.AveragePooling1D(2), (5, 3)),
    'MaxPooling2D': (lambda: L.MaxPooling2D((2, 2), padding='same'), (5, 4, 2)),
    'AveragePooling2D': (lambda: L.AveragePooling2D((2, 1), strides=(1, 1)), (4, 4, 2)),
    'MaxPooling3D': (lambda: L.MaxPooling3D(2), (4, 4, 4, 1)),
    'AveragePooling3D': (lambda: L.AveragePooling3D(2), (4, 4, 4, 1)),
    'GlobalMaxPooling1D': (lambda: L.GlobalMaxPooling1D(), (5, 3)),
    'GlobalAveragePooling1D': (lambda: L.GlobalAveragePooling1D(), (5, 3)),
    'GlobalMaxPooling2D': (lambda: L.GlobalMaxPooling2D(), (4, 4, 2)),
    'GlobalAveragePooling2D': (lambda: L.GlobalAveragePooling2D(), (4, 4, 2)),
    'GlobalMaxPooling3D': (lambda: L.GlobalMaxPooling3D(), (3, 3, 3, 2)),
    'GlobalAveragePooling3D': (lambda: L.GlobalAveragePooling3D(), (3, 3, 3, 2)),
    'LocallyConnected1D': (lambda: L.LocallyConnected1D(2, 2), (5, 3)),
    'LocallyConnected2D': (lambda: L.LocallyConnected2D(2, 2), (4, 4, 2)),
    'SimpleRNN': (lambda: L.SimpleRNN(3, return_sequences=True, dropout=0.1), (4, 2)),
    'LSTM': (lambda: L.LSTM(3, go_backwards=True, unit_forget_bias=False), (4, 2)),
    'GRU': (lambda: L.GRU(3, reset_after=True, recurrent_activation='sigmoid'), (4, 2)),
    'CuDNNLSTM': (lambda: L.CuDNNLSTM(3, return_sequences=True, go_backwards=True), (4, 2)),
    'Highway': (lambda: L.Highway(activation='relu'), (4,)),
    'MaxoutDense': (lambda: L.MaxoutDense(3, nb_feature=2, bias=False), (4,)),
    'CuDNNGRU': (lambda: L.CuDNNGRU(3, return_state=False), (4, 2)),
    'RNN': (lambda: L.RNN([L.SimpleRNNCell(2), L.GRUCell(3)]), (4, 2)),
    'ConvLSTM2D': (lambda: L.ConvLSTM2D(2, 3, padding='same'), (3, 4, 4, 2)),
    'Embedding': (lambda: L.Embedding(7, 3, mask_zero=True, input_length=5), (5,)),
    'Add': (lambda: L.Add(), [(4,), (4,)]),
    'Subtract': (lambda: L.Subtract(), [(4,), (4,)]),
    'Multiply': (lambda: L.Multiply(), [(4,), (4,)]),
    'Average': (lambda: L.Average(), [(4,), (4,)]),
    'Maximum': (lambda: L.Maximum(), [(4,), (4,)]),
    'Minimum': (lambda: L.Minimum(), [(4,), (4,)]),
    'Concatenate': (lambda: L.Concatenate(axis=-1), [(4,), (3,)]),
    'Dot': (lambda: L.Dot(axes=1, normalize=True), [(4,), (4,)]),
    'LeakyReLU': (lambda: L.LeakyReLU(alpha=0.2), (4,)),
    'PReLU': (lambda: L.PReLU(shared_axes=[1]), (3, 4)),
    'ELU': (lambda: L.ELU(alpha=0.5), (4,)),
    'ThresholdedReLU': (lambda: L.ThresholdedReLU(theta=0.5), (4,)),
    'Softmax': (lambda: L.Softmax(axis=1), (3, 4)),
    'ReLU': (lambda: L.ReLU(max_value=6., negative_slope=0.1, threshold=0.5), (4,)),
    'BatchNormalization': (lambda: L.BatchNormalization(momentum=0.9, center=False), (4, 3)),
    'GaussianNoise': (lambda: L.GaussianNoise(0.1), (4,)),
    'GaussianDropout': (lambda: L.GaussianDropout(0.2), (4,)),
    'AlphaDropout': (lambda: L.AlphaDropout(0.2), (4,)),
    'TimeDistributed': (lambda: L.TimeDistributed(L.Dense(2)), (3, 4)),
    'Bidirectional': (lambda: L.Bidirectional(L.LSTM(2, return_sequences=True),
                                              merge_mode='sum'), (3, 4)),
}
# Exported classes that are building blocks rather than layers one calls on a tensor: a cell
# round-trips inside RNN, Lambda in its own tests, InputLayer in every model test.
BUILDING_BLOCKS = {'Layer', 'Wrapper', 'InputLayer', 'Lambda', 'SimpleRNNCell', 'LSTMCell',
                   'GRUCell', 'StackedRNNCells', 'ConvLSTM2DCell',
                   'Recurrent'}  # abstract: tests/test_legacy_recurrent.py subclasses it


def _json(value):
    return json.loads(json.dumps(value))


def _symbolic_inputs(shapes):
    if isinstance(shapes, list):
        return [Input(shape) for shape in shapes]
    return Input(shapes)


def _data(shapes, rng, name):
    def one(shape):
        if name == 'Embedding':
            return rng.integers(0, 7, size=(2,) + shape).astype('float32')
        return rng.normal(size=(2,) + shape).astype('float32')
    return [one(s) for s in shapes] if isinstance(shapes, list) else one(shapes)


@pytest.mark.parametrize('name', sorted(LAYERS))
def test_layer_config_round_trip(backend, rng, name):
    """JSON of get_config -> deserialize -> the same config, weights and outputs."""
    if name not in layer_classes():
        pytest.skip(f'gkeras has no {name} yet')
    factory, shapes = LAYERS[name]
    layer = factory()
    inputs = _symbolic_inputs(shapes)
    model = Model(inputs, layer(inputs))
    rebuilt = deserialize(_json(serialize(layer)))
    assert type(rebuilt) is type(layer)
    assert _json(rebuilt.get_config()) == _json(layer.get_config())
    other_inputs = _symbolic_inputs(shapes)
    other = Model(other_inputs, rebuilt(other_inputs))
    assert [w.shape for w in rebuilt.weights] == [w.shape for w in layer.weights]
    rebuilt.set_weights(layer.get_weights())
    x = _data(shapes, rng, name)
    for got, want in zip(np.atleast_1d(other.predict(x)), np.atleast_1d(model.predict(x))):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_every_exported_layer_has_a_round_trip_case():
    classes = {cls for name, cls in layer_classes().items()
               if name not in ('Model', 'Functional', 'Network', 'Sequential')}
    covered = {layer_classes()[name] for name in set(LAYERS) | BUILDING_BLOCKS
               if name in layer_classes()}
    assert sorted(c.__name__ for c in classes - covered) == []


# ---------------------------------------------------------------------------------------------
# configs in the other Keras dialects

def test_tf_keras_and_keras3_layer_dialect(backend):
    config = {'module': 'keras.layers', 'class_name': 'Dense', 'registered_name': None,
              'build_config': {'input_shape': [None, 4]},
              'config': {'name': 'd', 'units': 2, 'batch_shape': [None, 4],
                         'dtype': {'module': 'keras', 'class_name': 'DTypePolicy',
                                   'config': {'name': 'float32'}, 'registered_name': None},
                         'kernel_initializer': {'module': 'keras.initializers',
                                                'class_name': 'GlorotUniform',
                                                'config': {'seed': None}, 'registered_name': None},
                         'lora_rank': None}}
    layer = deserialize(config)
    assert (layer.name, layer.units, layer.dtype, layer.batch_input_shape) == \
        ('d', 2, 'float32', (None, 4))
    config['config']['lora_rank'] = 4
    with pytest.raises(ValueError, match=r"'d'.*lora_rank=4"):
        deserialize(config)


def test_unknown_layer_names_custom_objects(backend):
    with pytest.raises(ValueError, match="Unknown layer: 'MyLayer'.*custom_objects"):
        deserialize({'class_name': 'MyLayer', 'config': {}})


def test_keras3_functional_config(backend, rng):
    """Keras 3 writes inbound nodes as {'args': [__keras_tensor__ records], 'kwargs': {}}."""
    def tensor(layer, node=0, index=0):
        return {'class_name': '__keras_tensor__',
                'config': {'shape': [None, 3], 'dtype': 'float32',
                           'keras_history': [layer, node, index]}}
    config = {'class_name': 'Functional', 'config': {
        'name': 'k3', 'trainable': True,
        'layers': [
            {'module': 'keras.layers', 'class_name': 'InputLayer', 'registered_name': None,
             'name': 'in', 'config': {'batch_shape': [None, 3], 'dtype': 'float32',
                                      'sparse': False, 'name': 'in'}, 'inbound_nodes': []},
            {'module': 'keras.layers', 'class_name': 'Dense', 'name': 'shared',
             'config': {'name': 'shared', 'units': 3,
                        'dtype': {'class_name': 'DTypePolicy', 'config': {'name': 'float32'}}},
             'build_config': {'input_shape': [None, 3]},
             'inbound_nodes': [{'args': [tensor('in')], 'kwargs': {}},
                               {'args': [tensor('shared')], 'kwargs': {}}]}],
        'input_layers': ['in', 0, 0], 'output_layers': [['shared', 1, 0]]}}
    model = model_from_config(config)
    kernel, bias = model.get_layer('shared').get_weights()
    x = rng.normal(size=(2, 3)).astype('float32')
    np.testing.assert_allclose(model.predict(x), (x @ kernel + bias) @ kernel + bias, rtol=1e-5)


def _shared_nested_model():
    a, b = Input((4,), name='a'), Input((4,), name='b')
    shared, mid = Dense(4, activation='tanh', name='shared'), Dense(4, name='mid')
    inner = Sequential([Dense(3, input_shape=(4,), name='inner_1'),
                        Dense(2, name='inner_2', trainable=False)], name='inner')
    return Model([a, b], [inner(shared(mid(shared(a)))), shared(b)], name='outer')


def test_functional_config_round_trip_with_shared_and_nested(backend, rng):
    model = _shared_nested_model()
    config = model.get_config()
    assert config['layers'][-1]['inbound_nodes'] == [[['shared', 1, 0, {}]]]
    assert config['output_layers'] == [['inner', 1, 0], ['shared', 2, 0]]
    rebuilt = Model.from_config(_json(config))
    assert _json(rebuilt.get_config()) == _json(config)
    rebuilt.set_weights(model.get_weights())
    xs = [rng.normal(size=(3, 4)).astype('float32') for _ in range(2)]
    for got, want in zip(rebuilt.predict(xs), model.predict(xs)):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_functional_class_name_and_json_yaml(backend):
    model = _shared_nested_model()
    for text, load in ((model.to_json(), model_from_json), (model.to_yaml(), model_from_yaml)):
        assert _json(load(text).get_config()) == _json(model.get_config())
    config = json.loads(model.to_json())
    assert (config['class_name'], config['keras_version']) == ('Model', '2.2.5')
    config['class_name'] = 'Functional'
    assert type(model_from_config(config)) is Model


def test_sequential_configs_with_and_without_input_layer(backend):
    layers = [{'class_name': 'Dense', 'config': {'name': 'd1', 'units': 3,
                                                 'batch_input_shape': [None, 4]}},
              {'class_name': 'Dense', 'config': {'name': 'd2', 'units': 2}}]
    plain_list = Sequential.from_config(layers)           # Keras 2.1
    keras22 = Sequential.from_config({'name': 'seq', 'layers': layers})
    tf_keras = Sequential.from_config({'name': 'seq', 'layers': [
        {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, 4], 'name': 'in',
                                                'ragged': False, 'sparse': False}},
        {'class_name': 'Dense', 'config': {'name': 'd1', 'units': 3}}, layers[1]]})
    for model in (plain_list, keras22, tf_keras):
        assert [layer.name for layer in model.layers] == ['d1', 'd2']
        assert model.output_shape == (None, 2)
    assert keras22.name == 'seq'
    # A model built from an Input keeps the InputLayer in its config, as tf.keras does.
    config = Sequential([Input((4,), name='in'), Dense(3, name='d')]).get_config()
    assert [c['class_name'] for c in config['layers']] == ['InputLayer', 'Dense']


def test_model_from_config_rejects_a_list():
    with pytest.raises(TypeError, match='Sequential.from_config'):
        model_from_config([])


# ---------------------------------------------------------------------------------------------
# files

def _mlp(optimizer='adam', seed=1):
    np.random.seed(seed)
    model = Sequential([Dense(5, activation='relu', input_shape=(4,),
                              kernel_initializer='glorot_uniform'),
                        Dense(3, activation='softmax')])
    model.compile(optimizer, 'categorical_crossentropy', metrics=['accuracy'])
    return model


def _xy(rng, n=12):
    x = rng.normal(size=(n, 4)).astype('float32')
    y = np.eye(3, dtype='float32')[rng.integers(0, 3, size=n)]
    return x, y


def test_weight_file_layout_and_names_match_keras(backend, tmp_path, rng):
    model = _mlp()
    model.fit(*_xy(rng), epochs=1, batch_size=4, verbose=0)
    path = str(tmp_path / 'weights.h5')
    model.save_weights(path)
    with h5py.File(path, 'r') as handle:
        assert list(handle.attrs['layer_names']) == [b'dense_1', b'dense_2']
        assert handle.attrs['keras_version'] == b'2.2.5'  # bytes, as Keras 2.2 reads it
        assert handle.attrs['backend'] == b'tensorflow'
        assert list(handle['dense_1'].attrs['weight_names']) == [b'dense_1/kernel:0',
                                                                b'dense_1/bias:0']
        np.testing.assert_array_equal(handle['dense_1/dense_1/kernel:0'],
                                      model.layers[0].get_weights()[0])
    full = str(tmp_path / 'model.h5')
    model.save(full)
    with h5py.File(full, 'r') as handle:
        assert json.loads(handle.attrs['model_config'])['class_name'] == 'Sequential'
        training = json.loads(handle.attrs['training_config'])
        assert training['loss'] == 'categorical_crossentropy'
        assert training['optimizer_config']['class_name'] == 'Adam'
        assert list(handle['model_weights'].attrs['layer_names']) == [b'dense_1', b'dense_2']
        # Keras 2.2 order without the vhat placeholders Adam never reads (tf.keras' legacy Adam
        # expects exactly these).
        names = [n.decode() for n in handle['optimizer_weights'].attrs['weight_names']]
        assert names[0] == 'Adam/iterations:0' and len(names) == 1 + 2 * 4
        assert handle['optimizer_weights'][names[0]][()] == 3


def test_nested_model_weights_are_stored_trainable_first(backend, tmp_path):
    model = _shared_nested_model()
    path = str(tmp_path / 'w.h5')
    model.save_weights(path)
    with h5py.File(path, 'r') as handle:
        assert [n.decode() for n in handle['inner'].attrs['weight_names']] == [
            'inner_1/kernel:0', 'inner_1/bias:0', 'inner_2/kernel:0', 'inner_2/bias:0']
    model.get_layer('inner').get_layer('inner_1').trainable = False
    model.save_weights(path)
    with h5py.File(path, 'r') as handle:
        assert [n.decode() for n in handle['inner'].attrs['weight_names']] == [
            'inner_1/kernel:0', 'inner_1/bias:0', 'inner_2/kernel:0', 'inner_2/bias:0']
    model.get_layer('inner').get_layer('inner_1').trainable = True
    model.get_layer('inner').get_layer('inner_2').trainable = True
    model.get_layer('inner').get_layer('inner_1').trainable = False
    model.save_weights(path)
    with h5py.File(path, 'r') as handle:
        assert [n.decode() for n in handle['inner'].attrs['weight_names']] == [
            'inner_2/kernel:0', 'inner_2/bias:0', 'inner_1/kernel:0', 'inner_1/bias:0']
    rebuilt = Model.from_config(model.get_config())
    rebuilt.get_layer('inner').get_layer('inner_1').trainable = False
    rebuilt.load_weights(path)
    for got, want in zip(rebuilt.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_save_and_load_model_round_trip(backend, tmp_path, rng):
    model = _mlp()
    x, y = _xy(rng)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    path = str(tmp_path / 'model.h5')
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)
    assert loaded.metrics_names == model.metrics_names
    assert type(loaded.optimizer) is type(model.optimizer)
    for got, want in zip(loaded.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_array_equal(got, want)
    uncompiled = load_model(path, compile=False)
    assert uncompiled.optimizer is None
    with h5py.File(path, 'r') as handle:     # an h5py File works too
        np.testing.assert_allclose(load_model(handle).predict(x), model.predict(x), rtol=1e-6)


@pytest.mark.parametrize('optimizer', [
    optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True), optimizers.SGD(lr=0.1),
    optimizers.RMSprop(lr=0.01), optimizers.Adagrad(lr=0.1), optimizers.Adadelta(),
    optimizers.Adam(lr=0.01, decay=0.05), optimizers.Adam(lr=0.01, amsgrad=True),
    optimizers.Adamax(lr=0.01), optimizers.Nadam(lr=0.01)],
    ids=lambda o: type(o).__name__ + str(sorted(o.get_config().items())[:1]))
def test_resume_training_continues_exactly(backend, tmp_path, rng, optimizer):
    """Train 2 epochs, save, load, train 2 more: the same losses as 4 epochs in one go."""
    x, y = _xy(rng, 10)
    config = optimizers.serialize(optimizer)
    uninterrupted = _mlp(optimizers.deserialize(config))
    initial = uninterrupted.get_weights()
    expected = uninterrupted.fit(x, y, epochs=4, batch_size=3, shuffle=False,
                                 verbose=0).history['loss']
    first = _mlp(optimizers.deserialize(config))
    first.set_weights(initial)
    losses = first.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0).history['loss']
    path = str(tmp_path / 'mid.h5')
    first.save(path)
    resumed = load_model(path)
    losses += resumed.fit(x, y, epochs=2, batch_size=3, shuffle=False,
                          verbose=0).history['loss']
    np.testing.assert_array_equal(losses, expected)
    for got, want in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_load_weights_by_name_and_skip_mismatch(backend, tmp_path, rng):
    source = Sequential([Dense(3, input_shape=(4,), name='shared_name'),
                         Dense(2, name='only_in_source')])
    path = str(tmp_path / 'w.h5')
    source.save_weights(path)
    target = Sequential([Dense(3, input_shape=(4,), name='shared_name'),
                         Dense(5, name='only_in_target'), Dense(2, name='other')])
    before = target.get_weights()
    target.load_weights(path, by_name=True)
    for got, want in zip(target.layers[0].get_weights(), source.layers[0].get_weights()):
        np.testing.assert_array_equal(got, want)
    for layer, old in zip(target.layers[1:], [before[2:4], before[4:6]]):
        for got, want in zip(layer.get_weights(), old):
            np.testing.assert_array_equal(got, want)
    wrong_shape = Sequential([Dense(4, input_shape=(4,), name='shared_name')])
    with pytest.raises(ValueError, match=r"w\.h5.*'shared_name/kernel:0'.*\(4, 4\).*\(4, 3\)"):
        wrong_shape.load_weights(path, by_name=True)
    with pytest.warns(UserWarning, match='Skipping loading of weights for layer'):
        wrong_shape.load_weights(path, by_name=True, skip_mismatch=True)
    with pytest.raises(ValueError, match='skip_mismatch'):
        wrong_shape.load_weights(path, skip_mismatch=True)


def test_full_model_file_works_for_load_weights(backend, tmp_path, rng):
    model = _mlp()
    path = str(tmp_path / 'model.h5')
    model.save(path)
    other = _mlp(seed=5)
    other.load_weights(path)
    for got, want in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------------------------
# bad files leave the model unchanged, with errors that name the file

def _assert_unchanged(model, before):
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_foreign_and_truncated_files(backend, tmp_path):
    model = _mlp()
    before = model.get_weights()
    text = tmp_path / 'notes.h5'
    text.write_text('not an HDF5 file')
    with pytest.raises(OSError, match=r"notes\.h5.*not a readable HDF5 file"):
        model.load_weights(str(text))
    with pytest.raises(OSError, match=r"notes\.h5"):
        load_model(str(text))
    good = tmp_path / 'good.h5'
    model.save(str(good))
    truncated = tmp_path / 'truncated.h5'
    truncated.write_bytes(good.read_bytes()[:good.stat().st_size // 2])
    other = _mlp(seed=3)
    other_before = other.get_weights()
    with pytest.raises(OSError, match=r"truncated\.h5"):
        other.load_weights(str(truncated))
    _assert_unchanged(other, other_before)
    with pytest.raises(FileNotFoundError, match='missing.h5'):
        model.load_weights(str(tmp_path / 'missing.h5'))
    foreign = tmp_path / 'foreign.h5'
    with h5py.File(str(foreign), 'w') as handle:
        handle.create_dataset('data', data=np.zeros(3))
    with pytest.raises(ValueError, match=r"foreign\.h5.*no 'layer_names'"):
        model.load_weights(str(foreign))
    with pytest.raises(ValueError, match=r"foreign\.h5.*no 'model_config'"):
        load_model(str(foreign))
    _assert_unchanged(model, before)


def test_mismatched_files_leave_the_model_unchanged(backend, tmp_path):
    source = Sequential([Dense(5, input_shape=(4,)), Dense(3)])
    path = str(tmp_path / 'w.h5')
    source.save_weights(path)
    fewer_layers = Sequential([Dense(5, input_shape=(4,))])
    with pytest.raises(ValueError, match=r"w\.h5.*2 layer\(s\).*model has 1 layer"):
        fewer_layers.load_weights(path)
    model = Sequential([Dense(5, input_shape=(4,)), Dense(4)])
    before = model.get_weights()
    # The first layer matches; the failure in the second must not leave it half loaded.
    with pytest.raises(ValueError, match=r"w\.h5.*kernel:0'.*\(5, 4\).*\(5, 3\)"):
        model.load_weights(path)
    _assert_unchanged(model, before)
    no_bias = Sequential([Dense(5, input_shape=(4,)), Dense(3, use_bias=False)])
    with pytest.raises(ValueError, match=r"expects 1 weight\(s\).*holds 2"):
        no_bias.load_weights(path)
    with h5py.File(path, 'a') as handle:
        name = list(handle.attrs['layer_names'])[1].decode()
        del handle[name][handle[name].attrs['weight_names'][1].decode()]
    with pytest.raises(ValueError, match=r"w\.h5.*lists weight .*bias:0.*no dataset"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_failed_save_leaves_previous_file_byte_identical(backend, tmp_path, monkeypatch):
    model = _mlp()
    path = tmp_path / 'model.h5'
    model.save(str(path))
    original = path.read_bytes()

    def broken(group, layers):
        group.create_group('partial')
        raise OSError('disk full')
    monkeypatch.setattr(hdf5, 'save_weights_to_group', broken)
    with pytest.raises(OSError, match='disk full'):
        model.save(str(path))
    with pytest.raises(OSError, match='disk full'):
        model.save_weights(str(path))
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ['model.h5']


def test_overwrite_false_asks_first(backend, tmp_path, monkeypatch):
    model = _mlp()
    path = tmp_path / 'w.h5'
    path.write_bytes(b'previous')
    answers = iter(['maybe', 'n'])
    monkeypatch.setattr(builtins, 'input', lambda prompt='': next(answers))
    model.save_weights(str(path), overwrite=False)
    assert path.read_bytes() == b'previous'
    monkeypatch.setattr(builtins, 'input', lambda prompt='': 'y')
    model.save_weights(str(path), overwrite=False)
    assert h5py.is_hdf5(str(path))


# ---------------------------------------------------------------------------------------------
# Lambda and custom objects

def test_lambda_bytecode_loads_only_outside_safe_mode(backend, tmp_path, rng):
    offset = 0.5
    model = Sequential([Dense(3, input_shape=(2,)), Lambda(lambda t: t * 2. + offset,
                                                           name='affine')])
    path = str(tmp_path / 'lambda.h5')
    model.save(path)
    x = rng.normal(size=(4, 2)).astype('float32')
    with pytest.raises(ValueError, match=r"'affine'.*bytecode.*safe_mode=False.*'affine'"):
        load_model(path, compile=False)
    with pytest.raises(ValueError, match='safe_mode=False'):
        model_from_json(model.to_json())
    for loaded in (load_model(path, compile=False, safe_mode=False),
                   load_model(path, compile=False,
                              custom_objects={'affine': lambda t: t * 2. + offset})):
        np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)


def _scaled_tanh(x):
    return K.tanh(x) * 2.


def _custom_loss(y_true, y_pred):
    return K.mean(K.square(y_true - y_pred), axis=-1)


class Scale(L.Layer):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.gain = self.add_weight('gain', (input_shape[-1],), initializer='ones')
        self.built = True

    def call(self, inputs):
        return inputs * self.gain * self.factor

    def get_config(self):
        return {**super().get_config(), 'factor': self.factor}


def test_custom_objects_for_layers_activations_and_losses(backend, tmp_path, rng):
    model = Sequential([Dense(3, input_shape=(2,), activation=_scaled_tanh), Scale(3.)])
    model.compile('sgd', _custom_loss)
    x = rng.normal(size=(4, 2)).astype('float32')
    model.train_on_batch(x, np.ones((4, 3), 'float32'))
    path = str(tmp_path / 'custom.h5')
    model.save(path)
    with pytest.raises(ValueError, match="'_scaled_tanh'"):
        load_model(path)
    with pytest.raises(ValueError, match="Unknown layer: 'Scale'.*custom_objects"):
        load_model(path, custom_objects={'_scaled_tanh': _scaled_tanh})
    custom = {'Scale': Scale, '_scaled_tanh': _scaled_tanh, '_custom_loss': _custom_loss}
    loaded = load_model(path, custom_objects=custom)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)
    assert loaded.loss_functions[0] is _custom_loss
    from gkeras.utils import custom_object_scope, get_custom_objects
    with custom_object_scope(custom):
        assert type(model_from_json(model.to_json()).layers[1]) is Scale
    get_custom_objects().update(custom)
    try:
        assert type(load_model(path).layers[1]) is Scale
    finally:
        for name in custom:
            del get_custom_objects()[name]


def test_include_optimizer_false_saves_no_training_state(backend, tmp_path):
    model = _mlp()
    path = str(tmp_path / 'model.h5')
    model.save(path, include_optimizer=False)
    with h5py.File(path, 'r') as handle:
        assert 'training_config' not in handle.attrs and 'optimizer_weights' not in handle
    with pytest.warns(UserWarning, match='No training configuration'):
        assert load_model(path).optimizer is None


def test_tf_keras_training_config_dialect(backend):
    model = _shared_nested_model()
    from gkeras.models.saving import compile_from_training_config
    compile_from_training_config(model, {
        'loss': [{'class_name': 'MeanSquaredError', 'config': {'name': 'mse',
                                                                 'reduction': 'auto'}}, 'mae'],
        'metrics': [[{'class_name': 'MeanMetricWrapper',
                      'config': {'name': 'inner_mae', 'dtype': 'float32',
                                 'fn': 'mean_absolute_error'}}], []],
        'weighted_metrics': None, 'loss_weights': [1., 0.5],
        'optimizer_config': {'class_name': 'Custom>Adam', 'config': {
            'name': 'Adam', 'weight_decay': None, 'clipnorm': None, 'global_clipnorm': None,
            'clipvalue': None, 'use_ema': False, 'ema_momentum': 0.99,
            'ema_overwrite_frequency': None, 'jit_compile': False, 'is_legacy_optimizer': False,
            'learning_rate': 0.002, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-07,
            'amsgrad': False}}})
    assert type(model.optimizer).__name__ == 'Adam'
    assert model.metrics_names == ['loss', 'inner_loss', 'shared_loss', 'inner_mae']
