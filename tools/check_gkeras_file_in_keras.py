"""Check that files saved by gkeras load in real Keras and predict (and train on) the same.

Run from the repository root with the tf_keras venv (see tests/fixtures/saving/README.md):

    TF_USE_LEGACY_KERAS=1 /tmp/tfref/bin/python tools/check_gkeras_file_in_keras.py
    /tmp/k22/bin/python tools/check_gkeras_file_in_keras.py     # Keras 2.2.5 works too

It first runs itself under `python3` (with gkeras importable) to build, train and save several
models with gkeras: `<case>.h5` (model.save), `<case>_weights.h5`, `<case>.json`, and `<case>.npz`
holding inputs, gkeras' predictions and the losses of three more `train_on_batch` steps taken
after the save. Then, under Keras, it loads each file with `load_model`, and the JSON with
`model_from_json` + `load_weights`, compares the predictions, and continues training from the
loaded optimizer state to compare the losses. It prints one line per check and exits non-zero
if any fails. Kept to Python 3.7 syntax for Keras 2.2.5.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
CASES = ['mlp_adam', 'functional_rmsprop', 'shared_nested_sgd', 'conv_bn_adagrad',
         'recurrent_adam', 'dropout']


# ----------------------------------------------------------------------------------------------
# gkeras side (python3)

def build(name):
    import gkeras.layers as L
    from gkeras import optimizers
    from gkeras.models import Model, Sequential
    rng = np.random.RandomState(len(name))

    def normal(*shape):
        return rng.normal(size=shape).astype('float32')

    def one_hot(n, k):
        return np.eye(k, dtype='float32')[rng.randint(0, k, size=n)]

    if name == 'mlp_adam':
        model = Sequential([L.Dense(6, activation='relu', input_shape=(4,)),
                            L.Dense(3, activation='softmax')])
        model.compile(optimizers.Adam(lr=0.01), 'categorical_crossentropy', metrics=['accuracy'])
        return model, lambda n: [normal(n, 4)], lambda n: [one_hot(n, 3)]
    if name == 'functional_rmsprop':
        a, b = L.Input((4,), name='in_a'), L.Input((3,), name='in_b')
        merged = L.concatenate([L.Dense(5, activation='tanh')(a), L.Dense(5)(b)])
        model = Model([a, b], [L.Dense(2, name='out_a')(merged),
                               L.Dense(3, activation='softmax', name='out_b')(merged)])
        model.compile(optimizers.RMSprop(lr=0.01), ['mse', 'categorical_crossentropy'],
                      loss_weights=[1., 0.5])
        return (model, lambda n: [normal(n, 4), normal(n, 3)],
                lambda n: [normal(n, 2), one_hot(n, 3)])
    if name == 'shared_nested_sgd':
        inner = Sequential([L.Dense(4, activation='relu', input_shape=(4,), name='inner_a'),
                            L.Dense(4, name='inner_b', trainable=False)], name='inner')
        a, b = L.Input((4,), name='a'), L.Input((4,), name='b')
        shared = L.Dense(4, activation='tanh', name='shared')
        out = L.add([inner(shared(a)), shared(L.Dense(4, name='mid')(shared(b)))])
        model = Model([a, b], L.Dense(1, name='head')(out))
        model.compile(optimizers.SGD(lr=0.05, momentum=0.9, nesterov=True), 'mse')
        return model, lambda n: [normal(n, 4), normal(n, 4)], lambda n: [normal(n, 1)]
    if name == 'conv_bn_adagrad':
        model = Sequential([
            L.Conv2D(3, 3, padding='same', input_shape=(8, 8, 2)),
            L.BatchNormalization(),
            L.Activation('relu'),
            L.MaxPooling2D(2),
            L.Conv2D(4, (2, 3), strides=(1, 2)),
            L.AveragePooling2D((2, 1)),
            L.Flatten(),
            L.Dense(2)])
        model.compile(optimizers.Adagrad(lr=0.05), 'mse')
        return model, lambda n: [normal(n, 8, 8, 2)], lambda n: [normal(n, 2)]
    if name == 'recurrent_adam':
        model = Sequential([L.Embedding(7, 4, input_length=5, mask_zero=True),
                            L.LSTM(3, return_sequences=True),
                            L.GRU(3, return_sequences=True, reset_after=True),
                            L.GRU(2, reset_after=False),
                            L.Dense(1)])
        model.compile(optimizers.Adam(lr=0.01), 'mse')

        def tokens(n):
            ids = rng.randint(1, 7, size=(n, 5))
            for row in range(n):
                ids[row, :rng.randint(0, 3)] = 0
            return [ids.astype('float32')]
        return model, tokens, lambda n: [normal(n, 1)]
    if name == 'dropout':
        model = Sequential([L.Dense(5, input_shape=(3,)), L.Dropout(0.4), L.Dense(2)])
        model.compile(optimizers.Adam(), 'mse')
        return model, lambda n: [normal(n, 3)], lambda n: [normal(n, 2)]
    raise ValueError(name)


def unwrap(values):
    return values[0] if len(values) == 1 else values


def as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def write(directory):
    for name in CASES:
        model, inputs, targets = build(name)
        for _ in range(3):
            model.train_on_batch(unwrap(inputs(6)), unwrap(targets(6)))
        stem = os.path.join(directory, name)
        model.save(stem + '.h5')
        model.save_weights(stem + '_weights.h5')
        with open(stem + '.json', 'w') as handle:
            handle.write(model.to_json())
        arrays = {}
        xs = inputs(5)
        for i, x in enumerate(xs):
            arrays['x%d' % i] = x
        for i, y in enumerate(as_list(model.predict(unwrap(xs)))):
            arrays['y%d' % i] = y
        if name != 'dropout':
            batches = [(inputs(4), targets(4)) for _ in range(3)]
            for i in range(len(batches[0][0])):
                arrays['train_x%d' % i] = np.stack([bx[i] for bx, _ in batches])
            for i in range(len(batches[0][1])):
                arrays['train_y%d' % i] = np.stack([by[i] for _, by in batches])
            arrays['train_losses'] = np.asarray(
                [float(as_list(model.train_on_batch(unwrap(bx), unwrap(by)))[0])
                 for bx, by in batches])
        np.savez(stem + '.npz', **arrays)


# ----------------------------------------------------------------------------------------------
# Keras side (tf_keras 2.x or Keras 2.2.5)

def numbered(data, prefix):
    keys = sorted((k for k in data.files if k.startswith(prefix) and k[len(prefix):].isdigit()),
                  key=lambda k: int(k[len(prefix):]))
    return [data[k] for k in keys]


def compare(what, got, want, rtol=1e-5, atol=1e-6):
    got, want = [np.asarray(g) for g in got], [np.asarray(w) for w in want]
    ok = len(got) == len(want) and all(
        g.shape == w.shape and np.allclose(g, w, rtol=rtol, atol=atol) for g, w in zip(got, want))
    error = max(float(np.max(np.abs(g - w))) for g, w in zip(got, want)) if ok or (
        len(got) == len(want) and all(g.shape == w.shape for g, w in zip(got, want))) else None
    print('%s %-58s max abs diff %s' % ('OK  ' if ok else 'FAIL', what, error))
    return ok


def check(directory):
    try:
        import tf_keras as keras
    except ImportError:
        import keras
    print('Keras %s' % keras.__version__)
    results = []
    for name in CASES:
        stem = os.path.join(directory, name)
        data = np.load(stem + '.npz')
        xs, ys = numbered(data, 'x'), numbered(data, 'y')
        model = keras.models.load_model(stem + '.h5')
        results.append(compare('%s: load_model predictions' % name,
                               as_list(model.predict(unwrap(xs))), ys))
        with open(stem + '.json') as handle:
            rebuilt = keras.models.model_from_json(handle.read())
        rebuilt.load_weights(stem + '_weights.h5')
        results.append(compare('%s: model_from_json + load_weights predictions' % name,
                               as_list(rebuilt.predict(unwrap(xs))), ys))
        if 'train_losses' in data.files:
            bx, by = numbered(data, 'train_x'), numbered(data, 'train_y')
            losses = [float(as_list(model.train_on_batch(unwrap([x[i] for x in bx]),
                                                         unwrap([y[i] for y in by])))[0])
                      for i in range(len(data['train_losses']))]
            same = compare('%s: losses of 3 steps resumed from the file' % name,
                           [losses], [data['train_losses']], rtol=1e-4)
            if keras.__version__.startswith('2.2'):
                # Not expected to match there: Keras 2.2 wants Adam's unused vhat slots and
                # saves no step count for RMSprop/Adagrad, so it restarts those optimizers
                # (with a warning); its RMSprop/Adagrad put epsilon outside the square root.
                print('     (informational under Keras 2.2, not counted)')
            else:
                results.append(same)
    print('%d passed, %d failed' % (sum(results), len(results) - sum(results)))
    return all(results)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--write':
        write(sys.argv[2])
        return 0
    directory = tempfile.mkdtemp(prefix='gkeras_files_')
    environment = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.check_call(['python3', os.path.abspath(__file__), '--write', directory],
                          env=environment, cwd=ROOT)
    return 0 if check(directory) else 1


if __name__ == '__main__':
    sys.exit(main())
