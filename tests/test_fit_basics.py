"""compile / fit / evaluate / predict / *_on_batch: numbers against tf_keras, logs, errors."""
import os
import re

import numpy as np
import pytest

from gkeras import backend as K
from gkeras.layers import Dense, Dropout, Input, Lambda
from gkeras.models import Model, Sequential
from gkeras.optimizers import SGD
from gkeras.utils import to_categorical

FIXTURES = np.load(os.path.join(os.path.dirname(__file__), 'fixtures', 'keras_reference.npz'))


def small_classifier(output_units=3, activation='softmax'):
    return Sequential([Dense(8, activation='relu', input_shape=(4,)),
                       Dense(output_units, activation=activation)])


def blobs(rng, n=120, classes=3):
    centers = rng.standard_normal((classes, 4)) * 3
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.standard_normal((n, 4)) * 0.5
    return x.astype('float32'), y


def test_train_on_batch_matches_keras_sgd_step(backend):
    f = {k.split('/', 2)[2]: FIXTURES[k] for k in FIXTURES.files if k.startswith('dense/train_step/')}
    model = Sequential([Dense(4, activation='relu', input_shape=(6,)),
                        Dense(3, activation='softmax')])
    model.set_weights([f['kernel0'], f['bias0'], f['kernel1'], f['bias1']])
    model.compile(optimizer=SGD(lr=0.1), loss='categorical_crossentropy')
    np.testing.assert_allclose(model.predict(f['x']), f['y_pred_before'], rtol=1e-5, atol=1e-6)
    loss = model.train_on_batch(f['x'], f['y'])
    np.testing.assert_allclose(loss, f['loss'], rtol=1e-5)
    for got, name in zip(model.get_weights(), ['kernel0', 'bias0', 'kernel1', 'bias1']):
        np.testing.assert_allclose(got, f[name + '_after'], rtol=1e-5, atol=1e-6)


def test_fit_reduces_loss_and_reports_history(backend, rng):
    x, y = blobs(rng)
    model = small_classifier()
    model.compile('adam', 'sparse_categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0, validation_split=0.25)
    assert list(history.history) == ['loss', 'accuracy', 'val_loss', 'val_accuracy']
    assert history.epoch == list(range(8))
    assert history.history['loss'][-1] < history.history['loss'][0]
    assert history.history['acc'] is history.history['accuracy']
    assert history.history['val_acc'] is history.history['val_accuracy']
    assert 'acc' in history.history and 'val_acc' in history.history
    assert all(isinstance(v, float) for v in history.history['loss'])


def test_history_uses_the_spelling_given(backend, rng):
    x, y = blobs(rng, n=32)
    model = small_classifier()
    model.compile('sgd', 'sparse_categorical_crossentropy', metrics=['acc'])
    history = model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y))
    assert list(history.history) == ['loss', 'acc', 'val_loss', 'val_acc']
    assert history.history['accuracy'] == history.history['acc']


def test_epoch_metrics_are_sample_weighted_means_of_batches(backend, rng):
    x, y = blobs(rng, n=50)
    model = small_classifier()
    model.compile(SGD(lr=0.0), 'sparse_categorical_crossentropy', metrics=['acc'])
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    loss, acc = model.evaluate(x, y, batch_size=50, verbose=0)  # lr 0: weights unchanged
    np.testing.assert_allclose(history.history['loss'][0], loss, rtol=1e-5)
    np.testing.assert_allclose(history.history['acc'][0], acc, rtol=1e-6)


@pytest.mark.parametrize('loss, units, targets, expected', [
    ('binary_crossentropy', 1, 'binary', 'binary'),
    ('mse', 1, 'binary', 'binary'),
    ('categorical_crossentropy', 3, 'onehot', 'categorical'),
    ('sparse_categorical_crossentropy', 3, 'sparse', 'sparse'),
])
def test_accuracy_variant_follows_the_loss(backend, rng, loss, units, targets, expected):
    x = rng.standard_normal((40, 4)).astype('float32')
    labels = rng.integers(0, units if units > 1 else 2, 40)
    y = {'binary': labels[:, None].astype('float32'), 'onehot': to_categorical(labels, 3),
         'sparse': labels}[targets]
    model = small_classifier(units, 'sigmoid' if units == 1 else 'softmax')
    model.compile('sgd', loss, metrics=['accuracy'])
    _, acc = model.evaluate(x, y, verbose=0)
    p = model.predict(x)
    if expected == 'binary':
        reference = np.mean((p > 0.5).astype('float32') == y)
    else:
        reference = np.mean(p.argmax(-1) == labels)
    np.testing.assert_allclose(acc, reference, rtol=1e-6)


def test_progress_bar_and_verbose_modes(backend, rng, capsys):
    x, y = blobs(rng, n=40)
    model = small_classifier()
    model.compile('rmsprop', 'sparse_categorical_crossentropy', metrics=['acc'])
    model.fit(x, y, batch_size=10, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert out.count('Epoch 1/2') == 1 and 'Epoch 2/2' in out
    assert re.search(r'40/40 \[=+\] - \d+s \d+[mu]?s/step - loss: \d\.\d{4} - acc: \d\.\d{4}', out)
    model.fit(x, y, batch_size=10, epochs=1, verbose=2)
    out = capsys.readouterr().out
    assert '[' not in out and re.search(r' - loss: \d\.\d{4} - acc: \d\.\d{4}', out)
    model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    assert capsys.readouterr().out == ''


def test_evaluate_predict_and_batch_methods(backend, rng):
    x, y = blobs(rng, n=30)
    model = small_classifier()
    model.compile('adam', 'sparse_categorical_crossentropy', metrics=['acc'])
    assert model.metrics_names == ['loss', 'acc']
    loss_acc = model.evaluate(x, y, batch_size=7, verbose=0)
    full = model.test_on_batch(x, y)
    np.testing.assert_allclose(loss_acc, full, rtol=1e-5)
    p = model.predict(x, batch_size=7)
    assert p.shape == (30, 3) and isinstance(p, np.ndarray)
    np.testing.assert_allclose(p.sum(-1), 1, rtol=1e-5)
    np.testing.assert_array_equal(model.predict_classes(x), p.argmax(-1))
    np.testing.assert_allclose(model.predict_proba(x), p)
    before = model.get_weights()[0].copy()
    loss, acc = model.train_on_batch(x, y)
    assert not np.allclose(before, model.get_weights()[0])
    np.testing.assert_allclose(loss, full[0], rtol=1e-5)  # reported before the update


def test_nb_epoch_and_regularization_in_loss(backend, rng):
    x = rng.standard_normal((16, 4)).astype('float32')
    y = rng.standard_normal((16, 1)).astype('float32')
    model = Sequential([Dense(1, input_shape=(4,), kernel_regularizer='l2')])
    model.compile(SGD(lr=0.0), 'mse')
    with pytest.warns(UserWarning, match='renamed `epochs`'):
        history = model.fit(x, y, nb_epoch=2, batch_size=16, verbose=0)
    assert len(history.history['loss']) == 2
    kernel, bias = model.get_weights()
    mse = np.mean((x @ kernel + bias - y) ** 2)
    np.testing.assert_allclose(history.history['loss'][0], mse + 0.01 * np.sum(kernel ** 2),
                               rtol=1e-5)


def test_antirectifier_lambda_trains_to_good_accuracy(backend):
    """The Keras 2 antirectifier example (seed notes 003): K.mean, l2_normalize, relu, concat, -=."""
    from gkeras.datasets import digits
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(-1, 64).astype('float32') / 16
    x_test = x_test.reshape(-1, 64).astype('float32') / 16

    def antirectifier(x):
        x -= K.mean(x, axis=1, keepdims=True)
        x = K.l2_normalize(x, axis=1)
        pos = K.relu(x)
        neg = K.relu(-x)
        return K.concatenate([pos, neg], axis=1)

    def antirectifier_output_shape(input_shape):
        shape = list(input_shape)
        assert len(shape) == 2
        shape[-1] *= 2
        return tuple(shape)

    model = Sequential()
    model.add(Dense(64, input_shape=(64,)))
    model.add(Lambda(antirectifier, output_shape=antirectifier_output_shape))
    model.add(Dropout(0.1))
    model.add(Dense(64))
    model.add(Lambda(antirectifier, output_shape=antirectifier_output_shape))
    model.add(Dropout(0.1))
    model.add(Dense(10, activation='softmax'))
    assert model.output_shape == (None, 10)
    assert model.layers[1].output_shape == (None, 128)
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
    model.fit(x_train, to_categorical(y_train, 10), batch_size=32, epochs=12, verbose=0)
    _, accuracy = model.evaluate(x_test, to_categorical(y_test, 10), verbose=0)
    assert accuracy >= 0.93


class TestBadInput:
    def model(self):
        model = small_classifier()
        model.compile('sgd', 'sparse_categorical_crossentropy')
        return model

    def test_wrong_input_shape(self, backend):
        model = self.model()
        with pytest.raises(ValueError, match=r'expected dense_\d+_input to have shape \(4,\) but '
                                             r'got array with shape \(5,\)'):
            model.fit(np.zeros((3, 5)), np.zeros(3), verbose=0)
        with pytest.raises(ValueError, match=r'to have 2 dimensions, but got array with shape '
                                             r'\(3, 4, 1\)'):
            model.predict(np.zeros((3, 4, 1)))

    def test_mismatched_lengths(self, backend):
        with pytest.raises(ValueError, match='Found 10 input samples and 9 target samples'):
            self.model().fit(np.zeros((10, 4)), np.zeros(9), verbose=0)

    def test_unknown_names_list_the_known_ones(self, backend):
        model = small_classifier()
        with pytest.raises(ValueError, match=r'(?s)adamm.*adam'):
            model.compile('adamm', 'mse')
        with pytest.raises(ValueError, match=r'(?s)mean_sqared_error.*mean_squared_error'):
            model.compile('sgd', 'mean_sqared_error')
        with pytest.raises(ValueError, match=r'(?s)acuracy.*accuracy'):
            model.compile('sgd', 'mse', metrics=['acuracy'])

    def test_not_compiled(self, backend):
        with pytest.raises(RuntimeError, match='compile'):
            small_classifier().fit(np.zeros((2, 4)), np.zeros(2), verbose=0)

    def test_categorical_crossentropy_with_integer_targets(self, backend):
        model = small_classifier()
        model.compile('sgd', 'categorical_crossentropy')
        with pytest.raises(ValueError, match='sparse_categorical_crossentropy'):
            model.fit(np.zeros((4, 4)), np.zeros((4, 1)), verbose=0)

    def test_wrong_number_of_inputs(self, backend):
        a, b = Input(shape=(2,)), Input(shape=(2,))
        model = Model([a, b], Dense(1)(Lambda(lambda t: t[0] + t[1])([a, b])))
        model.compile('sgd', 'mse')
        with pytest.raises(ValueError, match='Expected to see 2 array'):
            model.fit([np.zeros((3, 2))], np.zeros((3, 1)), verbose=0)
        with pytest.raises(ValueError, match='No data provided for'):
            model.predict({'nope': np.zeros((3, 2))})

    def test_bad_validation_data(self, backend):
        with pytest.raises(ValueError, match='2 .* or 3'):
            self.model().fit(np.zeros((4, 4)), np.zeros(4), validation_data=(1,), verbose=0)


@pytest.mark.parametrize('steps', [0, -3, 2.5])
def test_non_positive_steps_are_value_errors(backend, steps):
    model = small_classifier()
    model.compile('sgd', 'sparse_categorical_crossentropy')
    x, y = np.zeros((4, 4), 'float32'), np.zeros(4)
    with pytest.raises(ValueError, match='steps_per_epoch'):
        model.fit(x, y, steps_per_epoch=steps, verbose=0)
    with pytest.raises(ValueError, match='steps'):
        model.evaluate(x, y, steps=steps, verbose=0)
    assert model.history is None or model.history.history == {}


def test_a_fixed_batch_size_takes_arrays_of_any_length(backend, rng):
    # Keras 2.2 checks arrays without their batch axis (check_batch_axis=False); the layers see
    # batches of the fixed size (Keras' lstm_stateful example)
    from gkeras.layers import LSTM
    model = Sequential([LSTM(3, batch_input_shape=(2, 4, 1), stateful=True), Dense(1)])
    model.compile('sgd', 'mse')
    x = rng.standard_normal((6, 4, 1)).astype('float32')
    y = rng.standard_normal((6, 1)).astype('float32')
    history = model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    assert len(history.history['loss']) == 2
    assert model.predict(x, batch_size=2).shape == (6, 1)
    with pytest.raises(ValueError, match=r"expected shape=\(2, None, 1\), found shape=\(1, 4, 1\)"):
        model.fit(x[:5], y[:5], batch_size=2, verbose=0)
    with pytest.raises(ValueError, match=r'expected lstm_\d+_input to have shape \(4, 1\)'):
        model.fit(x[:, :3], y, batch_size=2, verbose=0)


def test_inputs_of_different_lengths_are_refused_everywhere(backend, rng):
    # cnn_seq2seq with 100 encoder rows and 10000 decoder rows: a clear error, not a layer's
    a, b = Input((3,)), Input((2,))
    from gkeras.layers import concatenate
    model = Model([a, b], Dense(1)(concatenate([a, b])))
    model.compile('sgd', 'mse')
    short, long = np.zeros((4, 3), 'float32'), np.zeros((6, 2), 'float32')
    message = r'All input arrays \(x\) should have the same number of samples'
    with pytest.raises(ValueError, match=message):
        model.predict([short, long])
    with pytest.raises(ValueError, match=message):
        model.fit([short, long], np.zeros((4, 1)), verbose=0)
    with pytest.raises(ValueError, match=message):
        model.evaluate([short, long], np.zeros((4, 1)), verbose=0)
