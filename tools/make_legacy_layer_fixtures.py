"""Write tests/fixtures/saving/k22_highway_maxout.*: Keras 2.2.5's legacy Highway and MaxoutDense
layers saved by Keras 2.2.5, with its predictions (read by tests/test_keras_files.py like the
other saving fixtures).

    /tmp/k22/bin/python tools/make_legacy_layer_fixtures.py      # Keras 2.2.5 on TensorFlow 1.15

Kept to Python 3.7 syntax.
"""
import os
import warnings

import numpy as np

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'saving')
RNG = np.random.RandomState(20261122)


def main():
    warnings.simplefilter('ignore')
    L = keras.layers
    model = keras.models.Sequential([
        L.Highway(activation='tanh', input_dim=5, name='highway'),
        L.Highway(bias=False, name='highway_nobias'),
        L.MaxoutDense(3, nb_feature=4, name='maxout'),
        L.MaxoutDense(2, nb_feature=2, bias=False, name='maxout_nobias')])
    model.set_weights([RNG.normal(size=w.shape).astype('float32') * 0.5
                       for w in model.get_weights()])
    model.compile(keras.optimizers.SGD(lr=0.01, momentum=0.9), 'mse')
    for _ in range(2):  # an optimizer state to save
        model.train_on_batch(RNG.normal(size=(4, 5)), RNG.normal(size=(4, 2)))
    stem = os.path.join(OUT, 'k22_highway_maxout')
    model.save(stem + '.h5')
    model.save_weights(stem + '_weights.h5')
    with open(stem + '.json', 'w') as f:
        f.write(model.to_json())
    x = RNG.normal(size=(5, 5)).astype('float32')
    np.savez(stem + '.npz', x0=x, y0=model.predict(x))
    print('wrote k22_highway_maxout.* with Keras', keras.__version__)


if __name__ == '__main__':
    main()
