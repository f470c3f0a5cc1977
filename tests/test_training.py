"""compile options, fit options, metrics and History names: numbers against tf_keras 2.21 fixtures
(tests/fixtures/training_reference.npz, tools/make_training_fixtures.py) and NumPy references."""
import os
import warnings

import numpy as np
import pytest

from gkeras import backend as K
from gkeras import callbacks, optimizers
from gkeras.layers import Dense, Input, Lambda, Masking
from gkeras.models import Model, Sequential
from gkeras.utils import normalize, to_categorical

FIXTURES = np.load(os.path.join(os.path.dirname(__file__), 'fixtures',
                                'training_reference.npz'))


def case(name):
    prefix = name + '/'
    return {k[len(prefix):]: FIXTURES[k] for k in FIXTURES.files if k.startswith(prefix)}


def weights(fixture, which):
    count = sum(1 for k in fixture if k.startswith(which + '/'))
    return [fixture[f'{which}/{i}'] for i in range(count)]


def assert_history(history, fixture, names=None, rtol=2e-5):
    reference = {k[len('history/'):]: v for k, v in fixture.items() if k.startswith('history/')}
    assert sorted(history) == sorted(reference)
    for name, series in reference.items():
        np.testing.assert_allclose(history[name], series, rtol=rtol, atol=1e-6, err_msg=name)


def two_output_model():
    features = Input((4,), name='features')
    hidden = Dense(5, activation='tanh', name='hidden')(features)
    return Model(features, [Dense(1, activation='sigmoid', name='out1')(hidden),
                            Dense(3, activation='softmax', name='out2')(hidden)])


# ---------------------------------------------------------------------------------------------
# numbers against tf_keras

def test_multi_output_losses_weights_metrics_match_keras(backend):
    f = case('multi_output')
    model = two_output_model()
    model.set_weights(weights(f, 'weights_before'))
    model.compile(optimizers.SGD(lr=0.2),
                  loss={'out1': 'binary_crossentropy', 'out2': 'categorical_crossentropy'},
                  loss_weights={'out1': 0.5, 'out2': 2.0},
                  metrics={'out1': ['acc', 'mae'], 'out2': ['acc']}, weighted_metrics=['acc'])
    history = model.fit(f['x'], {'out1': f['y1'], 'out2': f['y2']},
                        sample_weight={'out1': f['sw1'], 'out2': f['sw2']}, batch_size=8,
                        epochs=3, shuffle=False, verbose=0,
                        validation_data=(f['vx'], {'out1': f['vy1'], 'out2': f['vy2']}))
    assert model.metrics_names == ['loss', 'out1_loss', 'out2_loss', 'out1_acc', 'out1_mae',
                                   'out1_weighted_acc', 'out2_acc', 'out2_weighted_acc']
    assert list(history.history)[:len(model.metrics_names)] == model.metrics_names
    assert_history(history.history, f)
    for got, want in zip(model.get_weights(), weights(f, 'weights_after')):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_class_weight_and_weighted_accuracy_match_keras(backend):
    f = case('class_weights')
    model = Sequential([Dense(6, activation='relu', input_shape=(5,)),
                        Dense(3, activation='softmax')])
    model.set_weights(weights(f, 'weights_before'))
    model.compile(optimizers.SGD(lr=0.1), 'sparse_categorical_crossentropy', metrics=['acc'],
                  weighted_metrics=['acc'])
    history = model.fit(f['x'], f['y'], class_weight=dict(enumerate(f['class_weight'])),
                        batch_size=7, epochs=2, shuffle=False, verbose=0)
    assert_history(history.history, f)


def test_temporal_sample_weights_match_keras(backend):
    f = case('temporal')
    inputs = Input((5, 3))
    model = Model(inputs, Dense(2)(inputs))
    model.set_weights(weights(f, 'weights_before'))
    model.compile(optimizers.SGD(lr=0.05), 'mse', sample_weight_mode='temporal', metrics=['mae'],
                  weighted_metrics=['mae'])
    history = model.fit(f['x'], f['y'], sample_weight=f['sw'], batch_size=4, epochs=2,
                        shuffle=False, verbose=0)
    assert_history(history.history, f)
    for got, want in zip(model.get_weights(), weights(f, 'weights_after')):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_masked_timesteps_leave_loss_and_metrics_as_in_keras(backend):
    f = case('masked')
    inputs = Input((6, 3))
    model = Model(inputs, Dense(2)(Masking(mask_value=0.)(inputs)))
    model.set_weights(weights(f, 'weights_before'))
    model.compile(optimizers.SGD(lr=0.05), 'mse', metrics=['mae'], weighted_metrics=['mae'])
    history = model.fit(f['x'], f['y'], sample_weight=f['sw'], batch_size=3, epochs=2,
                        shuffle=False, verbose=0)
    assert_history(history.history, f)


def test_masked_sequence_model_matches_keras(backend):
    """Embedding(mask_zero) -> LSTM -> TimeDistributed(Dense), temporal sample weights."""
    from gkeras.layers import LSTM, Embedding, TimeDistributed
    f = case('masked_sequence')
    model = Sequential([Embedding(20, 8, mask_zero=True, input_length=7),
                        LSTM(6, return_sequences=True, recurrent_activation='sigmoid'),
                        TimeDistributed(Dense(4, activation='softmax'))])
    model.set_weights(weights(f, 'weights_before'))
    model.compile(optimizers.SGD(lr=0.5), 'sparse_categorical_crossentropy', metrics=['acc'],
                  weighted_metrics=['acc'], sample_weight_mode='temporal')
    history = model.fit(f['x'], f['y'], sample_weight=f['sw'], batch_size=5, epochs=2,
                        shuffle=False, verbose=0, validation_data=(f['x'], f['y'], f['sw']))
    assert_history(history.history, f)
    for got, want in zip(model.get_weights(), weights(f, 'weights_after')):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('name, make', [
    ('sgd_decay_nesterov_clipnorm', lambda: optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True,
                                                           decay=0.05, clipnorm=0.5)),
    ('adam_clipvalue_amsgrad', lambda: optimizers.Adam(learning_rate=0.05, amsgrad=True,
                                                       clipvalue=0.1)),
])
def test_optimizer_options_through_fit_match_keras(backend, name, make):
    f = case('optimizers_' + name)
    model = Sequential([Dense(4, activation='tanh', input_shape=(3,)), Dense(2)])
    model.set_weights(weights(f, 'weights_before'))
    model.compile(make(), 'mse')
    history = model.fit(FIXTURES['optimizers/x'], FIXTURES['optimizers/y'], batch_size=4,
                        epochs=3, shuffle=False, verbose=0)
    assert_history(history.history, f, rtol=1e-5)
    for got, want in zip(model.get_weights(), weights(f, 'weights_after')):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=5e-6)


def test_learning_rate_spellings_and_decay_through_fit(backend, rng):
    """lr / learning_rate are one setting; decay divides it by 1 + decay * steps taken."""
    x = rng.standard_normal((6, 2)).astype('float32')
    y = rng.standard_normal((6, 1)).astype('float32')
    kernel = rng.standard_normal((2, 1)).astype('float32')
    for optimizer in (optimizers.SGD(lr=0.1, decay=0.5), optimizers.SGD(learning_rate=0.1,
                                                                        decay=0.5)):
        model = Sequential([Dense(1, use_bias=False, input_shape=(2,))])
        model.set_weights([kernel])
        model.compile(optimizer, 'mse')
        model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
        expected = kernel.astype('float64')
        for step in range(4):
            batch = slice(3 * (step % 2), 3 * (step % 2) + 3)
            grad = 2 * x[batch].T @ (x[batch] @ expected - y[batch]) / 3
            expected = expected - 0.1 / (1 + 0.5 * step) * grad
        np.testing.assert_allclose(model.get_weights()[0], expected, rtol=1e-5)
        assert K.get_value(model.optimizer.lr) == pytest.approx(0.1)
        assert model.optimizer.learning_rate is model.optimizer.lr


# ---------------------------------------------------------------------------------------------
# compile: losses, loss weights, metric names

def test_loss_list_and_loss_weights_give_the_weighted_total(backend, rng):
    x = rng.standard_normal((12, 4)).astype('float32')
    y1 = (rng.random((12, 1)) > 0.5).astype('float32')
    y2 = to_categorical(rng.integers(0, 3, 12), 3)
    model = two_output_model()
    model.compile('sgd', ['binary_crossentropy', 'mse'], loss_weights=[0.3, 4.])
    p1, p2 = model.predict(x)
    eps = 1e-7
    clipped = np.clip(p1, eps, 1 - eps)
    bce = np.mean(-(y1 * np.log(clipped) + (1 - y1) * np.log(1 - clipped)))
    mse = np.mean((p2 - y2) ** 2)
    total, out1_loss, out2_loss = model.evaluate(x, [y1, y2], batch_size=5, verbose=0)
    np.testing.assert_allclose([out1_loss, out2_loss], [bce, mse], rtol=1e-5)
    np.testing.assert_allclose(total, 0.3 * bce + 4. * mse, rtol=1e-5)


def test_loss_dict_missing_an_output_trains_without_its_targets(backend, rng):
    x = rng.standard_normal((10, 4)).astype('float32')
    y2 = to_categorical(rng.integers(0, 3, 10), 3)
    model = two_output_model()
    with pytest.warns(UserWarning, match='"out1" missing from loss dictionary'):
        model.compile('sgd', loss={'out2': 'categorical_crossentropy'}, metrics=['acc'])
    assert model.metrics_names == ['loss', 'out2_loss', 'out2_acc']
    history = model.fit(x, {'out2': y2}, epochs=2, verbose=0)
    assert sorted(history.history) == ['loss', 'out2_acc', 'out2_loss']
    model.fit(x, [y2], epochs=1, verbose=0)
    assert [p.shape for p in model.predict(x)] == [(10, 1), (10, 3)]
    np.testing.assert_allclose(model.evaluate(x, y2, verbose=0)[0],
                               model.evaluate(x, y2, verbose=0)[1], rtol=1e-6)


@pytest.mark.parametrize('kwargs, message', [
    (dict(loss={'out3': 'mse'}), r"Unknown entry in loss dictionary: 'out3'. Only expected the "
                                 r"following keys: \['out1', 'out2'\]"),
    (dict(loss=['mse']), r'one entry per model outputs. The model has 2 outputs'),
    (dict(loss='mse', loss_weights={'out9': 1.}), r"Unknown entry in loss_weights dictionary: "
                                                   r"'out9'"),
    (dict(loss='mse', loss_weights=[1.]), r'loss_weights, it should have one entry per model'),
    (dict(loss='mse', loss_weights=2.), r'Could not interpret loss_weights'),
    (dict(loss='mse', metrics={'nope': ['acc']}), r"Invalid layer name for metrics: \['nope'\]"),
    (dict(loss='mse', sample_weight_mode='spatial'), r"should be None or 'temporal'"),
    (dict(loss='mse', sample_weight_mode='temporal'), r"at least 3D.*'out1' has shape "
                                                       r"\(None, 1\)"),
    (dict(loss='mse', sample_weight_mode={'out1': None}), r'"out2" missing from '
                                                           r'sample_weight_modes'),
    (dict(loss='mse', target_tensors=[1]), r'target_tensors'),
    (dict(loss=None), r'needs a `loss`'),
])
def test_compile_errors(backend, kwargs, message):
    model = two_output_model()
    with pytest.raises((ValueError, TypeError), match=message):
        model.compile('sgd', **kwargs)


def test_metric_names_follow_keras(backend):
    def my_metric(y_true, y_pred):
        return K.mean(y_pred, axis=-1)

    model = Sequential([Dense(3, activation='softmax', input_shape=(4,))])
    model.compile('sgd', 'categorical_crossentropy',
                  metrics=['acc', 'accuracy', 'mae', 'ce', my_metric, 'acc',
                           'top_k_categorical_accuracy'],
                  weighted_metrics=['acc', my_metric])
    assert model.metrics_names == ['loss', 'acc', 'accuracy', 'mae', 'ce', 'my_metric', 'acc_1',
                                   'top_k_categorical_accuracy', 'weighted_acc',
                                   'weighted_my_metric']
    assert model.stateful_metric_names == ['weighted_acc', 'weighted_my_metric']
    multi = two_output_model()
    multi.compile('sgd', 'mse', metrics='mae')
    assert multi.metrics_names == ['loss', 'out1_loss', 'out2_loss', 'out1_mae', 'out2_mae']
    with pytest.raises(TypeError, match='Type of `metrics` argument not understood'):
        multi.compile('sgd', 'mse', metrics=3)
    multi.compile('sgd', 'mse', metrics=[['acc'], ['mae', my_metric]])
    assert multi.metrics_names == ['loss', 'out1_loss', 'out2_loss', 'out1_acc', 'out2_mae',
                                   'out2_my_metric']


def test_history_resolves_either_era_spelling(backend, rng):
    x = rng.standard_normal((8, 4)).astype('float32')
    y = to_categorical(rng.integers(0, 3, 8), 3)
    model = Sequential([Dense(3, activation='softmax', input_shape=(4,))])
    model.compile('sgd', 'categorical_crossentropy', metrics=['acc', 'mae', 'ce'])
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y)).history
    assert list(history) == ['loss', 'acc', 'mae', 'ce', 'val_loss', 'val_acc', 'val_mae',
                             'val_ce']
    for short, long in [('acc', 'accuracy'), ('val_mae', 'val_mean_absolute_error'),
                        ('ce', 'crossentropy'), ('val_acc', 'val_accuracy')]:
        assert history[long] is history[short] and long in history
    assert 'mse' not in history and history.get('val_mse') is None
    with pytest.raises(KeyError):
        history['accuracy_2']


def _softmax_problem(rng, n=16, classes=6):
    """Probabilities from a softmax written out in a Lambda: tf.keras' cross-entropies read the
    logits behind a softmax/sigmoid activation, which the plain NumPy formulas below do not."""
    x = rng.standard_normal((n, 4)).astype('float32')
    labels = rng.integers(0, classes, n)
    model = Sequential([Dense(classes, input_shape=(4,)),
                        Lambda(lambda t: K.exp(t) / K.sum(K.exp(t), axis=-1, keepdims=True))])
    return model, x, labels


def test_every_loss_is_a_metric_with_numpy_values(backend, rng):
    model, x, labels = _softmax_problem(rng)
    y = to_categorical(labels, 6)
    names = ['mse', 'mae', 'mape', 'msle', 'squared_hinge', 'hinge', 'categorical_hinge',
             'logcosh', 'categorical_crossentropy', 'binary_crossentropy',
             'kullback_leibler_divergence', 'poisson', 'cosine_proximity']
    model.compile('sgd', 'categorical_crossentropy', metrics=names)
    values = dict(zip(model.metrics_names, model.evaluate(x, y, batch_size=5, verbose=0)))
    p = model.predict(x).astype('float64')
    eps = 1e-7
    sign = 2 * y - 1
    clipped = np.clip(p, eps, 1 - eps)
    reference = {
        'mse': np.mean((p - y) ** 2),
        'mae': np.mean(np.abs(p - y)),
        'mape': 100 * np.mean(np.abs(y - p) / np.maximum(np.abs(y), eps)),
        'msle': np.mean((np.log(np.maximum(p, eps) + 1) - np.log(np.maximum(y, eps) + 1)) ** 2),
        'squared_hinge': np.mean(np.maximum(1 - sign * p, 0) ** 2),
        'hinge': np.mean(np.maximum(1 - sign * p, 0)),
        'categorical_hinge': np.mean(np.maximum(
            np.max((1 - y) * p, axis=1) - np.sum(y * p, axis=1) + 1, 0)),
        'logcosh': np.mean(np.log(np.cosh(p - y))),
        'categorical_crossentropy': np.mean(-np.sum(y * np.log(clipped), axis=1)),
        'binary_crossentropy': np.mean(-(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))),
        'kullback_leibler_divergence': np.mean(np.sum(
            np.clip(y, eps, 1) * np.log(np.clip(y, eps, 1) / np.clip(p, eps, 1)), axis=1)),
        'poisson': np.mean(p - y * np.log(p + eps)),
        'cosine_proximity': np.mean(np.sum(y * p, axis=1) / np.linalg.norm(p, axis=1)),
    }
    for name in names:
        np.testing.assert_allclose(values[name], reference[name], rtol=2e-4, err_msg=name)


def test_top_k_and_accuracy_variants_against_numpy(backend, rng):
    model, x, labels = _softmax_problem(rng, n=23)
    model.compile('sgd', 'sparse_categorical_crossentropy',
                  metrics=['acc', 'sparse_top_k_categorical_accuracy', 'ce'])
    loss, acc, top5, ce = model.evaluate(x, labels, batch_size=6, verbose=0)
    p = model.predict(x)
    rank = (p > p[np.arange(len(labels)), labels][:, None]).sum(axis=1)
    np.testing.assert_allclose(acc, np.mean(p.argmax(1) == labels), rtol=1e-6)
    np.testing.assert_allclose(top5, np.mean(rank < 5), rtol=1e-6)
    np.testing.assert_allclose(ce, loss, rtol=1e-6)
    model.compile('sgd', 'categorical_crossentropy', metrics=['top_k_categorical_accuracy'])
    _, top5 = model.evaluate(x, to_categorical(labels, 6), verbose=0)
    np.testing.assert_allclose(top5, np.mean(rank < 5), rtol=1e-6)


def test_callable_metric_is_named_and_averaged_over_the_epoch(backend, rng):
    def mean_prediction(y_true, y_pred):
        return K.mean(y_pred, axis=-1)

    def batch_mean(y_true, y_pred):
        return K.mean(y_pred)

    x = rng.standard_normal((10, 4)).astype('float32')
    sw = rng.uniform(0.5, 2., 10).astype('float32')
    model = Sequential([Dense(2, input_shape=(4,))])
    model.compile(optimizers.SGD(lr=0.), 'mse', metrics=[mean_prediction, lambda t, p: p],
                  weighted_metrics=[mean_prediction, batch_mean])
    history = model.fit(x, np.zeros((10, 2)), batch_size=3, verbose=0, shuffle=False,
                        sample_weight=sw)
    assert model.metrics_names == ['loss', 'mean_prediction', '<lambda>',
                                   'weighted_mean_prediction', 'weighted_batch_mean']
    p = model.predict(x)
    np.testing.assert_allclose(history.history['mean_prediction'][0], p.mean(), rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(history.history['weighted_mean_prediction'][0],
                               np.sum(p.mean(1) * sw) / sw.sum(), rtol=1e-5, atol=1e-7)
    batches = [slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 10)]
    np.testing.assert_allclose(history.history['weighted_batch_mean'][0],
                               sum(p[b].mean() * sw[b].sum() for b in batches) / sw.sum(),
                               rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# fit options

def linear_problem(rng, n=12):
    x = rng.standard_normal((n, 3)).astype('float32')
    y = rng.standard_normal((n, 1)).astype('float32')
    model = Sequential([Dense(1, input_shape=(3,))])
    return model, x, y


def test_fit_without_shuffle_is_train_on_batch_in_order(backend, rng):
    model, x, y = linear_problem(rng, n=10)
    start = model.get_weights()
    model.compile(optimizers.SGD(lr=0.1, momentum=0.5), 'mse')
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    manual, _, _ = linear_problem(rng)
    manual.set_weights(start)
    manual.compile(optimizers.SGD(lr=0.1, momentum=0.5), 'mse')
    for _ in range(2):
        for begin in range(0, 10, 4):
            manual.train_on_batch(x[begin:begin + 4], y[begin:begin + 4])
    for got, want in zip(model.get_weights(), manual.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_sample_weight_and_class_weight_multiply(backend, rng):
    x = rng.standard_normal((9, 4)).astype('float32')
    labels = rng.integers(0, 3, 9)
    labels[:3] = [0, 1, 2]
    sw = rng.uniform(0.5, 2., 9).astype('float32')
    class_weight = {0: 3., 1: 0.5, 2: 1.}
    model = Sequential([Dense(3, activation='softmax', input_shape=(4,))])
    model.compile(optimizers.SGD(lr=0.), 'sparse_categorical_crossentropy')
    history = model.fit(x, labels, sample_weight=sw, class_weight=class_weight, batch_size=9,
                        verbose=0)
    p = model.predict(x)
    nll = -np.log(p[np.arange(9), labels])
    expected = np.mean(nll * sw * np.array([class_weight[c] for c in labels]))
    np.testing.assert_allclose(history.history['loss'][0], expected, rtol=1e-5)


def test_class_weight_leaves_the_validation_split_unweighted(backend, rng):
    # tf_keras 2.21: class_weight weighs the training samples only; sample_weight is split with
    # the samples and weighs the validation ones too (Keras 2.2 weighted both with both)
    x = rng.standard_normal((16, 4)).astype('float32')
    labels = np.tile([0, 1, 2, 1], 4)
    sw = rng.uniform(0.5, 2., 16).astype('float32')
    class_weight = {0: 1., 1: 2., 2: .5}
    per_class = np.array([class_weight[c] for c in labels])
    model = Sequential([Dense(3, activation='softmax', input_shape=(4,))])
    model.compile(optimizers.SGD(lr=0.), 'sparse_categorical_crossentropy')
    nll = -np.log(model.predict(x)[np.arange(16), labels])
    for kwargs, train_w, val_w in (({'class_weight': class_weight}, per_class, np.ones(16)),
                                   ({'sample_weight': sw}, sw, sw),
                                   ({'sample_weight': sw, 'class_weight': class_weight},
                                    sw * per_class, sw)):
        history = model.fit(x, labels, batch_size=12, epochs=1, verbose=0, shuffle=False,
                            validation_split=0.25, **kwargs).history
        np.testing.assert_allclose(history['loss'][0], np.mean(nll[:12] * train_w[:12]),
                                   rtol=1e-5)
        np.testing.assert_allclose(history['val_loss'][0], np.mean(nll[12:] * val_w[12:]),
                                   rtol=1e-5)


def test_initial_epoch_and_nb_epoch(backend, rng, capsys):
    model, x, y = linear_problem(rng)
    model.compile('sgd', 'mse')
    history = model.fit(x, y, epochs=5, initial_epoch=2, verbose=1)
    assert history.epoch == [2, 3, 4]
    out = capsys.readouterr().out
    assert 'Epoch 3/5' in out and 'Epoch 5/5' in out and 'Epoch 2/5' not in out
    with pytest.warns(UserWarning, match='nb_epoch'):
        history = model.fit(x, y, nb_epoch=3, verbose=0)
    assert history.epoch == [0, 1, 2]
    with pytest.raises(TypeError, match='Unrecognized keyword arguments'):
        model.fit(x, y, epoch=3)


def test_steps_per_epoch_splits_the_arrays(backend, rng):
    model, x, y = linear_problem(rng, n=10)
    model.compile('sgd', 'mse')
    sizes = []
    record = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: sizes.append(logs['size']))
    model.fit(x, y, steps_per_epoch=3, epochs=2, verbose=0, callbacks=[record])
    assert sizes == [4, 4, 2] * 2
    with pytest.raises(ValueError, match='batch_size` must be None'):
        model.fit(x, y, steps_per_epoch=3, batch_size=4, verbose=0)


def test_validation_split_takes_the_last_samples(backend, rng):
    model, x, y = linear_problem(rng, n=12)
    model.compile(optimizers.SGD(lr=0.), 'mse')
    history = model.fit(x, y, validation_split=0.25, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history['val_loss'][0], model.evaluate(x[9:], y[9:],
                                                                              verbose=0),
                               rtol=1e-6)
    np.testing.assert_allclose(history.history['loss'][0], model.evaluate(x[:9], y[:9],
                                                                          verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match='no samples'):
        model.fit(x, y, validation_split=0.95, verbose=0)
    with pytest.raises(ValueError, match=r'must be in \(0, 1\)'):
        model.fit(x, y, validation_split=1.5, verbose=0)


def test_validation_freq(backend, rng):
    model, x, y = linear_problem(rng)
    model.compile('sgd', 'mse')
    history = model.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=2, verbose=0)
    assert len(history.history['loss']) == 4 and len(history.history['val_loss']) == 2
    history = model.fit(x, y, epochs=3, validation_data=(x, y), validation_freq=[1, 3],
                        verbose=0)
    assert len(history.history['val_loss']) == 2


def test_sample_weight_errors(backend, rng):
    model, x, y = linear_problem(rng, n=6)
    model.compile('sgd', 'mse')
    with pytest.raises(ValueError, match=r'shape \(6, 2\).*sample_weight_mode="temporal"'):
        model.fit(x, y, sample_weight=np.ones((6, 2)), verbose=0)
    with pytest.raises(ValueError, match=r'shape \(5,\) for an input with shape \(6, 1\)'):
        model.fit(x, y, sample_weight=np.ones(5), verbose=0)
    inputs = Input((4, 3))
    temporal = Model(inputs, Dense(2)(inputs))
    temporal.compile('sgd', 'mse', sample_weight_mode='temporal')
    with pytest.raises(ValueError, match='you should pass a 2D sample_weight'):
        temporal.fit(np.zeros((6, 4, 3)), np.zeros((6, 4, 2)), sample_weight=np.ones(6),
                     verbose=0)


def test_class_weight_errors(backend, rng):
    model, x, y = linear_problem(rng, n=6)
    model.compile('sgd', 'mse')
    with pytest.raises(ValueError, match='not integer classes \\(a regression\\?\\)'):
        model.fit(x, y, class_weight={0: 1., 1: 2.}, verbose=0)
    classifier = Sequential([Dense(3, activation='softmax', input_shape=(3,))])
    classifier.compile('sgd', 'sparse_categorical_crossentropy')
    with pytest.raises(ValueError, match=r'must contain all classes.*\{2\}'):
        classifier.fit(x, np.array([0, 1, 2, 0, 1, 2]), class_weight={0: 1., 1: 2.}, verbose=0)
    multi = two_output_model()
    multi.compile('sgd', 'mse')
    with pytest.raises(ValueError, match='multiple outputs.*keyed by output name'):
        multi.fit(np.zeros((4, 4)), [np.zeros((4, 1)), np.zeros((4, 3))],
                  class_weight={0: 1., 1: 2.}, verbose=0)


def test_error_mid_training_records_only_finished_epochs(backend, rng):
    model, x, y = linear_problem(rng, n=12)
    model.compile('sgd', 'mse')

    def explode(batch, logs):
        if len(model.history.epoch) == 1 and batch == 1:
            raise RuntimeError('interrupted')
    with pytest.raises(RuntimeError, match='interrupted'):
        model.fit(x, y, batch_size=4, epochs=3, verbose=0,
                  callbacks=[callbacks.LambdaCallback(on_batch_end=explode)])
    assert model.history.epoch == [0]
    assert len(model.history.history['loss']) == 1


def test_stop_training_mid_epoch_skips_validation(backend, rng):
    model, x, y = linear_problem(rng, n=12)
    model.compile('sgd', 'mse')

    def stop(batch, logs):
        if batch == 1:
            model.stop_training = True
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0, validation_data=(x, y),
                        callbacks=[callbacks.LambdaCallback(on_batch_end=stop)])
    assert history.epoch == [0]
    assert 'val_loss' not in history.history and len(history.history['loss']) == 1


def test_metrics_stay_on_the_device_until_each_log_line(backend, rng, monkeypatch):
    """One host copy per epoch log line (train values, validation values), none per batch."""
    model, x, y = linear_problem(rng, n=20)
    model.compile('sgd', 'mse', metrics=['mae', 'acc'], weighted_metrics=['mae'])
    batch_values = []
    seen = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: batch_values.append(
        [logs[name] for name in model.metrics_names]))
    active = K.active()
    copies = []
    original = active.to_numpy
    monkeypatch.setattr(active, 'to_numpy', lambda a: copies.append(1) or original(a))
    model.fit(x, y, batch_size=4, epochs=3, verbose=0, validation_data=(x, y),
              callbacks=[seen])
    assert len(copies) == 3 * 2
    assert len(batch_values) == 15
    assert all(not isinstance(v, float) and hasattr(v, 'dtype') for row in batch_values
               for v in row)
    copies.clear()
    model.train_on_batch(x, y)
    assert len(copies) == 1


def test_bad_target_and_input_data(backend):
    model = two_output_model()
    model.compile('sgd', 'mse')
    with pytest.raises(ValueError, match="No data provided for 'out2'"):
        model.fit(np.zeros((3, 4)), {'out1': np.zeros((3, 1))}, verbose=0)
    with pytest.raises(ValueError, match='Expected to see 2 array'):
        model.fit(np.zeros((3, 4)), [np.zeros((3, 1))], verbose=0)
    with pytest.raises(ValueError, match=r'expected out2 to have shape \(3,\)'):
        model.train_on_batch(np.zeros((3, 4)), [np.zeros((3, 1)), np.zeros((3, 2))])
    with pytest.raises(ValueError, match='0 training samples'):
        model.fit(np.zeros((0, 4)), [np.zeros((0, 1)), np.zeros((0, 3))], verbose=0)


def test_batch_of_one_and_odd_sizes(backend, rng):
    model, x, y = linear_problem(rng, n=7)
    model.compile('sgd', 'mse', metrics=['mae'])
    history = model.fit(x, y, batch_size=1, epochs=1, verbose=0)
    assert np.isfinite(history.history['loss'][0])
    loss, mae = model.evaluate(x[:1], y[:1], verbose=0)
    np.testing.assert_allclose(mae, np.abs(model.predict(x[:1]) - y[:1]).mean(), rtol=1e-5)
    strided = np.repeat(x, 2, axis=1)[:, ::2]
    assert not strided.flags['C_CONTIGUOUS']
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(model.predict(strided), x @ kernel + bias, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# utils

def test_to_categorical_and_normalize():
    np.testing.assert_array_equal(to_categorical([2, 0, 1]), np.eye(3)[[2, 0, 1]])
    assert to_categorical(np.array([[1], [3]]), 5).shape == (2, 5)
    assert to_categorical(np.zeros((2, 3), dtype=int), 4).shape == (2, 3, 4)
    with pytest.raises(ValueError, match='out of range'):
        to_categorical([0, 4], 3)
    x = np.array([[3., 4.], [0., 0.], [1., 0.]])
    np.testing.assert_allclose(normalize(x), [[.6, .8], [0., 0.], [1., 0.]])
    np.testing.assert_allclose(normalize(x, axis=0, order=1), x / np.array([4., 4.]))


def test_predict_classes_and_proba(backend, rng):
    x = rng.standard_normal((5, 4)).astype('float32')
    binary = Sequential([Dense(1, activation='sigmoid', input_shape=(4,))])
    np.testing.assert_array_equal(binary.predict_classes(x), binary.predict(x) > 0.5)
    linear = Sequential([Dense(2, input_shape=(4,))])
    linear.set_weights([np.full((4, 2), 3., 'float32'), np.zeros(2, 'float32')])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        linear.predict_proba(np.abs(x) + 1)
    assert any('invalid probability' in str(w.message) for w in caught)


def test_model_without_any_loss_does_not_compile(backend):
    inputs = Input((3,))
    model = Model(inputs, Lambda(lambda t: t * 2)(inputs))
    with pytest.warns(UserWarning, match='missing from loss dictionary'), \
            pytest.raises(ValueError, match='no loss to optimize'):
        model.compile('sgd', loss={})
