"""CuDNNLSTM and CuDNNGRU (Keras 2's cuDNN layers, on every backend): a model saved by real Keras
with them loads and predicts what Keras predicts, their weights load into LSTM and
GRU(reset_after=True) and back as Keras converts them, configs and defaults are Keras 2.2's, and
their gradients match finite differences."""
import os
import warnings

import numpy as np
import pytest

from gkeras import backend as K
from gkeras.backend import autodiff as ad
from gkeras.layers import GRU, LSTM, CuDNNGRU, CuDNNLSTM, Dense
from gkeras.models import Sequential, load_model
from gkeras.models.hdf5 import WeightFileError

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'saving')
REFERENCE = np.load(os.path.join(FIXTURES, 'tfk_cudnn.npz'))


def model(lstm, gru):
    return Sequential([lstm, gru, Dense(2, name='head')])


def cudnn_model():
    return model(CuDNNLSTM(4, return_sequences=True, input_shape=(5, 3), name='lstm'),
                 CuDNNGRU(3, name='gru'))


def standard_model(reset_after=True):
    return model(LSTM(4, recurrent_activation='sigmoid', return_sequences=True,
                      input_shape=(5, 3), name='lstm'),
                 GRU(3, recurrent_activation='sigmoid', reset_after=reset_after, name='gru'))


def test_a_keras_model_with_cudnn_layers_predicts_as_keras(backend):
    loaded = load_model(os.path.join(FIXTURES, 'tfk_cudnn.h5'))
    assert [type(layer).__name__ for layer in loaded.layers] == ['CuDNNLSTM', 'CuDNNGRU', 'Dense']
    assert [w.shape for w in loaded.weights[:6]] == [(3, 16), (4, 16), (32,), (4, 9), (3, 9),
                                                     (18,)]
    np.testing.assert_allclose(loaded.predict(REFERENCE['x0']), REFERENCE['y0'], rtol=1e-5,
                               atol=1e-6)


def test_cudnn_weights_load_into_standard_layers_and_back(backend, tmp_path):
    standard = standard_model()
    standard.load_weights(os.path.join(FIXTURES, 'tfk_cudnn_weights.h5'))
    for i, weight in enumerate(standard.get_weights()):  # what Keras' own conversion gave
        np.testing.assert_array_equal(weight, REFERENCE[f'std_w{i}'])
    np.testing.assert_allclose(standard.predict(REFERENCE['x0']), REFERENCE['y0'], rtol=1e-5,
                               atol=1e-6)
    path = str(tmp_path / 'standard.h5')
    standard.save_weights(path)
    back = cudnn_model()
    back.load_weights(path)
    np.testing.assert_allclose(back.predict(REFERENCE['x0']), REFERENCE['y0'], rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(WeightFileError, match=r"tfk_cudnn_weights.h5.*CuDNNGRU is not "
                                              r"compatible with GRU\(reset_after=False\)"):
        standard_model(reset_after=False).load_weights(
            os.path.join(FIXTURES, 'tfk_cudnn_weights.h5'))


def test_a_gkeras_cudnn_model_saves_and_loads(backend, tmp_path, rng):
    original = cudnn_model()
    x = rng.standard_normal((2, 5, 3)).astype('float32')
    path = str(tmp_path / 'cudnn.h5')
    original.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # saved uncompiled
        loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), original.predict(x))


def test_configs_defaults_and_names_are_keras_2s(backend):
    lstm, gru = CuDNNLSTM(3), CuDNNGRU(2)
    assert (lstm.name, gru.name) == ('cu_dnnlstm_1', 'cu_dnngru_1')
    assert sorted(lstm.get_config()) == sorted([
        'name', 'trainable', 'dtype', 'return_sequences', 'return_state', 'go_backwards',
        'stateful', 'units', 'kernel_initializer', 'recurrent_initializer', 'bias_initializer',
        'unit_forget_bias', 'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer',
        'activity_regularizer', 'kernel_constraint', 'recurrent_constraint', 'bias_constraint'])
    assert set(gru.get_config()) == set(lstm.get_config()) - {'unit_forget_bias'}
    rebuilt = CuDNNLSTM.from_config(lstm.get_config())
    assert rebuilt.get_config() == lstm.get_config()
    lstm.build((None, 4, 2))
    bias = K.get_value(lstm.cell.bias)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(15), np.ones(3), np.zeros(6)])
    with pytest.raises(ValueError, match='time_major=True is not supported'):
        CuDNNGRU(2, time_major=True)


@pytest.mark.parametrize('layer_class', [CuDNNLSTM, CuDNNGRU])
def test_gradients_match_finite_differences(backend, rng, layer_class):
    K.set_floatx('float64')
    try:
        layer = layer_class(2, return_sequences=True)
        x = rng.standard_normal((2, 3, 2))
        layer.build((None, 3, 2))
        layer.set_weights([rng.standard_normal(w.shape) * 0.7 for w in layer.get_weights()])
        r = rng.standard_normal((2, 3, 2))
        inputs = ad.Variable(K.constant(x).data)

        def value():  # of the loss, at the current inputs and weights
            return float(np.sum(K.get_value(layer(K.constant(inputs.data))) * r))
        out = ad.reduce_sum(ad.multiply(layer(inputs), K.constant(r)))
        targets = [inputs] + layer.trainable_weights
        for target, grad in zip(targets, ad.gradients(out, targets)):
            flat = target.data.reshape(-1)
            expected = np.zeros(flat.size)
            for i in range(flat.size):
                keep = float(flat[i])
                flat[i] = keep + 1e-6
                plus = value()
                flat[i] = keep - 1e-6
                minus = value()
                flat[i] = keep
                expected[i] = (plus - minus) / 2e-6
            np.testing.assert_allclose(K.get_value(K.constant(grad)).reshape(-1), expected,
                                       rtol=1e-5, atol=1e-8)
    finally:
        K.set_floatx('float32')


def test_bidirectional_cudnn_weights_load_into_a_bidirectional_lstm(backend, tmp_path, rng):
    from gkeras.layers import Bidirectional
    cudnn = Sequential([Bidirectional(CuDNNLSTM(3), input_shape=(4, 2), name='bi')])
    cudnn.set_weights([rng.standard_normal(w.shape).astype('float32') * 0.5
                       for w in cudnn.get_weights()])
    path = str(tmp_path / 'bi.h5')
    cudnn.save_weights(path)
    standard = Sequential([Bidirectional(LSTM(3, recurrent_activation='sigmoid'),
                                         input_shape=(4, 2), name='bi')])
    standard.load_weights(path)
    x = rng.standard_normal((2, 4, 2)).astype('float32')
    np.testing.assert_allclose(standard.predict(x), cudnn.predict(x), rtol=1e-5, atol=1e-6)
