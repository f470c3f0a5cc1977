"""Write the HDF5 files that tests/test_keras_files.py loads: models saved by real Keras.

Run it twice from the repository root, once per Keras (see tests/fixtures/saving/README.md):

    TF_USE_LEGACY_KERAS=1 /tmp/tfref/bin/python tools/make_saving_fixtures.py   # tf_keras 2.21
    /tmp/k22/bin/python tools/make_saving_fixtures.py      # Keras 2.2.5 on TensorFlow 1.15

For every case it writes, under tests/fixtures/saving/, `<keras>_<case>.h5` (model.save),
`<keras>_<case>_weights.h5` (model.save_weights), `<keras>_<case>.json` (model.to_json()) and
`<keras>_<case>.npz` with the inputs `x0, x1, ...`, Keras' predictions `y0, y1, ...` and, for
deterministic models under tf_keras and Keras 3, three further batches `train_x*`, `train_y*` (stacked on the first
axis) with the losses `train_losses` that `train_on_batch` returned on them after the save, so a
loader can check that training resumes where Keras left it. Kept to Python 3.7 syntax.
"""
import json
import os
import sys

import numpy as np

if '--keras3' in sys.argv:
    os.environ['KERAS_BACKEND'] = 'tensorflow'
    import keras
    import tensorflow as tf
    PREFIX = 'k3'
    LEGACY = keras.optimizers
    sys.argv.remove('--keras3')
else:
    try:
        import tf_keras as keras
        import tensorflow as tf
        PREFIX = 'tfk'
        LEGACY = keras.optimizers.legacy
    except ImportError:
        os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
        import keras
        import tensorflow as tf
        PREFIX = 'k22'
        LEGACY = keras.optimizers

L = keras.layers
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'saving')
RNG = np.random.RandomState(20261122)


def normal(*shape):
    return RNG.normal(size=shape).astype('float32')


def one_hot(n, classes):
    return np.eye(classes, dtype='float32')[RNG.randint(0, classes, size=n)]


def adam():
    if PREFIX == 'k22':
        return keras.optimizers.Adam(lr=0.01, decay=0.01)
    return keras.optimizers.Adam(0.01)


def new_or_legacy(name, **kwargs):
    """tf_keras: the default (2.11+) optimizer class; Keras 2.2: its only optimizer class."""
    if PREFIX == 'k22' and 'learning_rate' in kwargs:
        kwargs['lr'] = kwargs.pop('learning_rate')
    return getattr(keras.optimizers, name)(**kwargs)


def legacy(name, **kwargs):
    if PREFIX == 'k22' and 'learning_rate' in kwargs:
        kwargs['lr'] = kwargs.pop('learning_rate')
    return getattr(LEGACY, name)(**kwargs)


# ----------------------------------------------------------------------------------------------
# cases: name -> (build() -> model, inputs(n) -> [x], targets(n) -> [y] or None, deterministic)

def mlp_seq():
    model = keras.Sequential([L.Dense(5, activation='relu', input_shape=(4,)),
                              L.Dense(3, activation='softmax')])
    model.compile(new_or_legacy('Adam', learning_rate=0.01), 'categorical_crossentropy',
                  metrics=['accuracy'])
    return model, lambda n: [normal(n, 4)], lambda n: [one_hot(n, 3)]


def mlp_legacy_sgd():
    model = keras.Sequential([L.Dense(6, activation='tanh', input_shape=(3,),
                                      kernel_regularizer=keras.regularizers.l2(0.01)),
                              L.Dense(2)])
    model.compile(legacy('SGD', learning_rate=0.05, momentum=0.9, nesterov=True), 'mse',
                  metrics=['mae'])
    return model, lambda n: [normal(n, 3)], lambda n: [normal(n, 2)]


def mlp_rmsprop():
    model = keras.Sequential([L.Dense(4, activation='sigmoid', input_shape=(5,)),
                              L.Dense(1, activation='sigmoid')])
    model.compile(new_or_legacy('RMSprop', learning_rate=0.01), 'binary_crossentropy',
                  metrics=['accuracy'])
    return model, lambda n: [normal(n, 5)], lambda n: [(RNG.rand(n, 1) > 0.5).astype('float32')]


# tf_keras maps a metrics dict to the outputs only when the targets are a dict too.
METRICS_BY_OUTPUT = {'out_b': ['accuracy']} if PREFIX == 'k22' else [[], ['accuracy']]


def functional_multi_io():
    a = L.Input((4,), name='in_a')
    b = L.Input((3,), name='in_b')
    ha = L.Dense(5, activation='relu', name='branch_a')(a)
    hb = L.Dense(5, activation='relu', name='branch_b')(b)
    merged = L.concatenate([ha, hb], name='merge')
    out_a = L.Dense(2, name='out_a')(merged)
    out_b = L.Dense(3, activation='softmax', name='out_b')(merged)
    model = keras.Model([a, b], [out_a, out_b])
    model.compile(new_or_legacy('Adagrad', learning_rate=0.1),
                  loss={'out_a': 'mse', 'out_b': 'categorical_crossentropy'},
                  loss_weights=[1., 0.5], metrics=METRICS_BY_OUTPUT)
    return (model, lambda n: [normal(n, 4), normal(n, 3)],
            lambda n: [normal(n, 2), one_hot(n, 3)])


def shared_depths():
    """A layer shared at two depths (shared(mid(shared(a)))) and by a second input."""
    a = L.Input((4,), name='a')
    b = L.Input((4,), name='b')
    shared = L.Dense(4, activation='tanh', name='shared')
    mid = L.Dense(4, name='mid')
    out_1 = shared(mid(shared(a)))
    out_2 = shared(b)
    model = keras.Model([a, b], [out_1, out_2])
    model.compile(adam(), 'mse')
    return model, lambda n: [normal(n, 4), normal(n, 4)], lambda n: [normal(n, 4), normal(n, 4)]


def nested():
    """A Sequential and a functional model inside a functional model, one inner layer frozen
    (so the nested groups store trainable weights before non-trainable ones)."""
    inner_seq = keras.Sequential([L.Dense(3, activation='relu', input_shape=(4,), name='frozen',
                                          trainable=False),
                                  L.Dense(3, name='inner_dense')], name='inner_seq')
    x_in = L.Input((3,), name='inner_in')
    inner_fn = keras.Model(x_in, L.Dense(2, name='inner_out')(L.Dense(3, name='inner_hidden')(x_in)),
                           name='inner_fn')
    x = L.Input((4,), name='x')
    y = inner_fn(inner_seq(x))
    model = keras.Model(x, L.Dense(1, name='head')(y))
    model.compile(new_or_legacy('Adam', learning_rate=0.01), 'mse')
    return model, lambda n: [normal(n, 4)], lambda n: [normal(n, 1)]


def nested_bn():
    inner = keras.Sequential([L.BatchNormalization(input_shape=(3,), name='inner_bn'),
                              L.Dense(2, name='inner_dense')], name='inner')
    x = L.Input((3,), name='x')
    model = keras.Model(x, L.Dense(2, name='head')(inner(L.Dense(3, name='pre')(x))))
    model.compile(legacy('Adam', learning_rate=0.01), 'mse')
    return model, lambda n: [normal(n, 3)], lambda n: [normal(n, 2)]


def dropout_bn():
    model = keras.Sequential([L.Dense(6, input_shape=(5,), name='d1'),
                              L.BatchNormalization(name='bn'),
                              L.Activation('relu'),
                              L.Dropout(0.3, name='drop'),
                              L.Dense(2, activation='softmax', name='d2')])
    model.compile(new_or_legacy('SGD', learning_rate=0.1), 'categorical_crossentropy')
    return model, lambda n: [normal(n, 5) * 2 + 1], lambda n: [one_hot(n, 2)]


def embedding_lstm():
    model = keras.Sequential([L.Embedding(7, 4, input_length=5, mask_zero=True),
                              L.LSTM(3, return_sequences=True),
                              L.LSTM(2),
                              L.Dense(1)])
    model.compile(new_or_legacy('Adam', learning_rate=0.01), 'mse')

    def tokens(n):
        ids = RNG.randint(1, 7, size=(n, 5))
        for row in range(n):
            ids[row, :RNG.randint(0, 3)] = 0      # leading padding, masked
        return [ids.astype('int32')]
    return model, tokens, lambda n: [normal(n, 1)]


def gru(reset_after):
    def build():
        model = keras.Sequential([L.GRU(3, input_shape=(4, 2), return_sequences=True,
                                        reset_after=reset_after),
                                  L.GRU(2, reset_after=reset_after, go_backwards=True),
                                  L.Dense(1)])
        model.compile(new_or_legacy('Adamax', learning_rate=0.01), 'mse')
        return model, lambda n: [normal(n, 4, 2)], lambda n: [normal(n, 1)]
    return build


def conv2d_pool():
    model = keras.Sequential([
        L.Conv2D(3, 3, padding='same', activation='relu', input_shape=(8, 8, 2), name='conv_a'),
        L.MaxPooling2D(2, name='max_pool'),
        L.Conv2D(4, (2, 3), strides=(1, 2), name='conv_b'),
        L.AveragePooling2D((3, 1), strides=1, padding='same', name='avg_pool'),
        L.Flatten(),
        L.Dense(2, name='head')])
    model.compile(new_or_legacy('Adam', learning_rate=0.01), 'mse')
    return model, lambda n: [normal(n, 8, 8, 2)], lambda n: [normal(n, 2)]


def lambda_layer():
    model = keras.Sequential([L.Dense(3, input_shape=(2,)),
                              L.Lambda(lambda t: t * 2.0 + 1.0, name='affine'),
                              L.Dense(1)])
    model.compile(legacy('SGD', learning_rate=0.01), 'mse')
    return model, lambda n: [normal(n, 2)], lambda n: [normal(n, 1)]


def conv_lstm():
    model = keras.Sequential([L.ConvLSTM2D(2, (2, 3), padding='same', return_sequences=True,
                                           input_shape=(3, 4, 4, 1), name='conv_lstm_a'),
                              L.ConvLSTM2D(2, 2, go_backwards=True, name='conv_lstm_b'),
                              L.Flatten(),
                              L.Dense(1, name='head')])
    model.compile(new_or_legacy('Adam', learning_rate=0.01), 'mse')
    return model, lambda n: [normal(n, 3, 4, 4, 1)], lambda n: [normal(n, 1)]


def local_implementation(implementation):
    """LocallyConnected2D and 1D with tf.keras' implementation 2 (dense masked kernel) or 3
    (sparse kernel); tf_keras only (Keras 2.2 has no implementation 3)."""
    def build():
        data_format = 'channels_first' if implementation == 3 else 'channels_last'
        shape = (2, 5, 4) if implementation == 3 else (5, 4, 2)
        model = keras.Sequential([
            L.LocallyConnected2D(2, (2, 3), strides=(2, 1), activation='tanh',
                                 data_format=data_format, implementation=implementation,
                                 input_shape=shape, name='local2d'),
            L.Reshape((-1, 2)),
            L.LocallyConnected1D(2, 3, strides=2, padding='same',
                                 implementation=implementation, name='local1d'),
            L.Flatten(),
            L.Dense(1, name='head')])
        model.compile(new_or_legacy('Adam', learning_rate=0.01), 'mse')
        return model, lambda n: [normal(n, *shape)], lambda n: [normal(n, 1)]
    return build


CASES = {
    'mlp_seq': (mlp_seq, True), 'mlp_legacy_sgd': (mlp_legacy_sgd, True),
    'mlp_rmsprop': (mlp_rmsprop, True), 'functional_multi_io': (functional_multi_io, True),
    'shared_depths': (shared_depths, True), 'nested': (nested, True),
    'nested_bn': (nested_bn, True), 'dropout_bn': (dropout_bn, False),
    'embedding_lstm': (embedding_lstm, True), 'gru_reset_after': (gru(True), True),
    'gru_reset_before': (gru(False), True), 'conv2d_pool': (conv2d_pool, True),
    'lambda': (lambda_layer, True), 'conv_lstm': (conv_lstm, True),
    'local_impl2': (local_implementation(2), True), 'local_impl3': (local_implementation(3), True),
}


def as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def unwrap(values):
    return values[0] if len(values) == 1 else values


def make(name, build, deterministic):
    model, inputs, targets = build()
    for _ in range(3):
        model.train_on_batch(unwrap(inputs(6)), unwrap(targets(6)))
    stem = os.path.join(OUT, '%s_%s' % (PREFIX, name))
    model.save(stem + '.h5')
    if PREFIX == 'k3':
        # Keras 3's save_weights writes its own format; its legacy writer is the Keras 2 layout.
        import h5py
        from keras.src.legacy.saving import legacy_h5_format
        with h5py.File(stem + '_weights.h5', 'w') as handle:
            legacy_h5_format.save_weights_to_hdf5_group(handle, model)
    else:
        model.save_weights(stem + '_weights.h5')
    with open(stem + '.json', 'w') as handle:
        handle.write(model.to_json())
    if name == 'mlp_seq' and PREFIX == 'k22':
        with open(stem + '.yaml', 'w') as handle:
            handle.write(model.to_yaml())
    arrays = {}
    xs = inputs(5)
    for i, x in enumerate(xs):
        arrays['x%d' % i] = x
    for i, y in enumerate(as_list(model.predict(unwrap(xs), verbose=0))):
        arrays['y%d' % i] = y
    # Keras 2.2 on TensorFlow 1 reads `iterations` for Adam's step size without ordering it after
    # the increment, so its own losses after a reload vary from run to run: no reference there.
    if deterministic and PREFIX != 'k22':
        batches = [(inputs(4), targets(4)) for _ in range(3)]
        losses = [float(as_list(model.train_on_batch(unwrap(bx), unwrap(by)))[0])
                  for bx, by in batches]
        for i in range(len(batches[0][0])):
            arrays['train_x%d' % i] = np.stack([bx[i] for bx, _ in batches])
        for i in range(len(batches[0][1])):
            arrays['train_y%d' % i] = np.stack([by[i] for _, by in batches])
        arrays['train_losses'] = np.asarray(losses, dtype='float64')
    np.savez(stem + '.npz', **arrays)


# Keras 3 (its legacy HDF5 writer) for the cases that need no Keras 2-only API.
KERAS3_CASES = ['mlp_seq', 'mlp_rmsprop', 'functional_multi_io', 'shared_depths', 'nested',
                'nested_bn', 'gru_reset_after', 'conv2d_pool']


def main():
    os.makedirs(OUT, exist_ok=True)
    if PREFIX == 'k22':
        tf.set_random_seed(7)
    else:
        tf.random.set_seed(7)
    selected = sys.argv[1:] or (KERAS3_CASES if PREFIX == 'k3' else list(CASES))
    for name in selected:
        build, deterministic = CASES[name]
        make(name, build, deterministic)
        print('wrote', PREFIX, name)
    versions = {'keras': keras.__version__, 'tensorflow': tf.__version__,
                'numpy': np.__version__, 'python': sys.version.split()[0]}
    with open(os.path.join(OUT, '%s_versions.json' % PREFIX), 'w') as handle:
        json.dump(versions, handle, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
