"""Write tests/fixtures/saving/tfk_cudnn.*: a model with CuDNNLSTM and CuDNNGRU layers saved by
real Keras (tf_keras 2.21's Keras-2 cuDNN layers), with reference outputs.

    TF_USE_LEGACY_KERAS=1 /tmp/tfref/bin/python tools/make_cudnn_fixtures.py

TensorFlow runs cuDNN layers on a GPU only (Keras 2.2.5's cannot even read their weights on a
CPU), so the reference outputs come from the same weights loaded, through Keras' own
conversion of cuDNN weights, into the standard layers that compute the same:
LSTM(recurrent_activation='sigmoid') and GRU(reset_after=True, recurrent_activation='sigmoid').
Writes tfk_cudnn.h5 (model.save), tfk_cudnn_weights.h5, tfk_cudnn.json (model.to_json()) and
tfk_cudnn.npz (input x0, outputs y0, and the standard layers' weights std_w0, std_w1, ...).
"""
import os

import numpy as np

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
import tf_keras as keras  # noqa: E402
from tf_keras.src.layers.rnn.cudnn_gru import CuDNNGRU  # noqa: E402
from tf_keras.src.layers.rnn.cudnn_lstm import CuDNNLSTM  # noqa: E402

L = keras.layers
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'saving')
RNG = np.random.RandomState(20261122)


def model(lstm, gru):
    return keras.models.Sequential([lstm, gru, L.Dense(2, name='head')], name='cudnn')


def main():
    cudnn = model(CuDNNLSTM(4, return_sequences=True, input_shape=(5, 3), name='lstm'),
                  CuDNNGRU(3, name='gru'))
    cudnn.set_weights([RNG.normal(size=w.shape).astype('float32') * 0.5
                       for w in cudnn.get_weights()])
    cudnn.compile(keras.optimizers.legacy.SGD(0.01), 'mse')  # a training config, no training
    cudnn.save(os.path.join(OUT, 'tfk_cudnn.h5'))
    cudnn.save_weights(os.path.join(OUT, 'tfk_cudnn_weights.h5'))
    with open(os.path.join(OUT, 'tfk_cudnn.json'), 'w') as f:
        f.write(cudnn.to_json())
    standard = model(L.LSTM(4, recurrent_activation='sigmoid', return_sequences=True,
                            input_shape=(5, 3), name='lstm'),
                     L.GRU(3, recurrent_activation='sigmoid', reset_after=True, name='gru'))
    standard.load_weights(os.path.join(OUT, 'tfk_cudnn_weights.h5'))
    x = RNG.normal(size=(4, 5, 3)).astype('float32')
    arrays = {'x0': x, 'y0': standard.predict(x, verbose=0)}
    for i, w in enumerate(standard.get_weights()):
        arrays['std_w%d' % i] = w
    np.savez(os.path.join(OUT, 'tfk_cudnn.npz'), **arrays)
    print('wrote tfk_cudnn.* with tf_keras', keras.__version__)


if __name__ == '__main__':
    main()
