"""Write tests/fixtures/tensorboard/: what Keras 2.2.5's TensorBoard callback logs for a small
model, to check gkeras' event files against.

    /tmp/k22/bin/python tools/make_tensorboard_fixtures.py      # Keras 2.2.5 on TensorFlow 1.15

A Dense(4, relu) + Dense(1) model with fixed initial weights, SGD, mse and mae, fit for two
epochs on fixed data (no shuffling) with validation data and histogram_freq=1, write_graph=False.
The learning rate is 0, so that the logged values do not depend on the order in which
TensorFlow 1 runs Keras 2.2's update ops: they are not ordered after all the gradients, so a
layer's update can read another's already updated weights (its first SGD step here differs from
w - lr * gradient by up to 60% of the step, and from run to run).
Writes k22_events (the event file, renamed) and k22_setup.npz (x, y, val_x, val_y, the initial
weights w0..w3). Kept to Python 3.7 syntax.
"""
import glob
import os
import shutil
import tempfile

import numpy as np

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'tensorboard')
RNG = np.random.RandomState(20261122)


def main():
    model = keras.models.Sequential([
        keras.layers.Dense(4, activation='relu', input_shape=(3,), name='hidden'),
        keras.layers.Dense(1, name='head')])
    weights = [RNG.normal(size=w.shape).astype('float32') * 0.5 for w in model.get_weights()]
    model.set_weights(weights)
    model.compile(keras.optimizers.SGD(lr=0.0), 'mse', metrics=['mae'])
    data = {'x': RNG.normal(size=(12, 3)).astype('float32'),
            'y': RNG.normal(size=(12, 1)).astype('float32'),
            'val_x': RNG.normal(size=(5, 3)).astype('float32'),
            'val_y': RNG.normal(size=(5, 1)).astype('float32')}
    log_dir = tempfile.mkdtemp()
    model.fit(data['x'], data['y'], batch_size=4, epochs=2, shuffle=False, verbose=0,
              validation_data=(data['val_x'], data['val_y']),
              callbacks=[keras.callbacks.TensorBoard(log_dir, histogram_freq=1, batch_size=4,
                                                     write_graph=False)])
    if not os.path.isdir(OUT):
        os.makedirs(OUT)
    (events,) = glob.glob(os.path.join(log_dir, 'events.out.tfevents.*'))
    shutil.copy(events, os.path.join(OUT, 'k22_events'))
    shutil.rmtree(log_dir)
    for i, w in enumerate(weights):
        data['w%d' % i] = w
    np.savez(os.path.join(OUT, 'k22_setup.npz'), **data)
    print('wrote tensorboard fixtures with Keras', keras.__version__)


if __name__ == '__main__':
    main()
