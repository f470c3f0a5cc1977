"""Callbacks with Keras 2.2.5 semantics: each one's effect on training, checked on scripted logs
or against NumPy; the progress bar and the order in which hooks run."""
import io
import os
import re
import warnings

import numpy as np
import pytest

from gkeras import backend as K
from gkeras import callbacks, optimizers
from gkeras.callbacks import (CSVLogger, EarlyStopping, LambdaCallback, LearningRateScheduler,
                              ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN)
from gkeras.layers import Dense
from gkeras.models import Sequential
from gkeras.utils import Progbar


def linear_model(rng, n=8, lr=0.01):
    x = rng.standard_normal((n, 3)).astype('float32')
    y = rng.standard_normal((n, 1)).astype('float32')
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizers.SGD(lr=lr), 'mse', metrics=['acc'])
    return model, x, y


class Script(callbacks.Callback):
    """Overwrites logged values with a script (one value per epoch), before later callbacks."""

    def __init__(self, **series):
        super().__init__()
        self.series = series

    def on_epoch_end(self, epoch, logs=None):
        for name, values in self.series.items():
            logs[name] = values[epoch]


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []
        self.weights = []

    def on_train_begin(self, logs=None):
        self.events.append(('train_begin',))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(('epoch_begin', epoch))

    def on_batch_begin(self, batch, logs=None):
        self.events.append(('batch_begin', batch, dict(logs)))

    def on_batch_end(self, batch, logs=None):
        self.events.append(('batch_end', batch, dict(logs)))

    def on_test_begin(self, logs=None):
        self.events.append(('test_begin',))

    def on_test_end(self, logs=None):
        self.events.append(('test_end',))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(('epoch_end', epoch, dict(logs)))
        self.weights.append(self.model.get_weights())

    def on_train_end(self, logs=None):
        self.events.append(('train_end',))


def test_hook_order_params_and_logs(backend, rng):
    model, x, y = linear_model(rng, n=10)
    recorder = Recorder()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[recorder],
              validation_data=(x, y))
    kinds = [e[0] for e in recorder.events]
    epoch = ['epoch_begin', 'batch_begin', 'batch_end', 'batch_begin', 'batch_end',
             'batch_begin', 'batch_end', 'test_begin', 'test_end', 'epoch_end']
    assert kinds == ['train_begin'] + epoch * 2 + ['train_end']
    assert recorder.params == {'batch_size': 4, 'epochs': 2, 'steps': None, 'samples': 10,
                               'verbose': 0, 'do_validation': True,
                               'metrics': ['loss', 'acc', 'val_loss', 'val_acc']}
    assert recorder.model is model
    assert [len(v) for v in recorder.validation_data] == [10, 10]
    begin = recorder.events[2]
    assert begin[2] == {'batch': 0, 'size': 4}
    sizes = [e[2]['size'] for e in recorder.events if e[0] == 'batch_end']
    assert sizes == [4, 4, 2, 4, 4, 2]
    end_logs = recorder.events[-2][2]
    assert sorted(end_logs) == ['acc', 'loss', 'val_acc', 'val_loss']
    assert all(isinstance(v, float) for v in end_logs.values())
    history = model.history.history
    assert [history[k][-1] for k in ('loss', 'val_loss')] == [end_logs['loss'],
                                                              end_logs['val_loss']]


def test_epoch_logs_resolve_both_spellings_for_callbacks(backend, rng):
    model, x, y = linear_model(rng)
    seen = []
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append((logs['val_accuracy'], logs['val_acc'])))])
    assert seen[0][0] == seen[0][1]


def test_train_batch_hooks_reach_overridden_batch_hooks(backend, rng):
    class Counter(callbacks.Callback):
        count = 0

        def on_batch_end(self, batch, logs=None):
            self.count += 1
    counter = Counter()
    counter.on_train_batch_end(0, {})
    assert counter.count == 1
    model, x, y = linear_model(rng, n=6)
    model.fit(x, y, batch_size=2, verbose=0, callbacks=[counter])
    assert counter.count == 4


def test_base_logger_averages_by_batch_size_and_keeps_stateful_values(backend, monkeypatch):
    logger = callbacks.BaseLogger(stateful_metrics=['running'])
    logger.set_params({'metrics': ['loss', 'running']})
    logger.on_epoch_begin(0)
    xp = K.active().xp
    batches = [(xp.asarray(loss, 'float32'), xp.asarray(running, 'float32'), size)
               for size, loss, running in [(4, 1.0, 0.5), (2, 4.0, 0.25)]]
    stacks = []
    stack = xp.stack
    monkeypatch.setattr(xp, 'stack', lambda *a, **k: stacks.append(1) or stack(*a, **k))
    for loss, running, size in batches:
        logger.on_batch_end(0, {'batch': 0, 'size': size, 'loss': loss, 'running': running})
    assert stacks == []  # logging a batch launches no device work
    logs = {}
    logger.on_epoch_end(0, logs)
    assert logs == {'loss': pytest.approx(2.0), 'running': 0.25}
    assert all(type(v) is float for v in logs.values())


def test_progress_bar_running_means_are_read_only_when_drawn(backend):
    xp = K.active().xp
    series = callbacks._BatchSeries()
    means = []
    for value, size in [(1., 4), (4., 2), (-2., 2)]:
        series.append(xp.asarray(value, 'float32'), size)
        means.append(callbacks._RunningMean(series, series.count, sum(series.sizes)))
    assert series.summed == 0
    assert float(means[1]) == pytest.approx(2.0)
    assert series.summed == 2
    assert float(means[2]) == pytest.approx(1.0)
    long = callbacks._BatchSeries()
    for i in range(600):
        long.append(xp.asarray(i % 7, 'float32'), 1 + i % 3)
    assert len(long.values) < long.CHUNK
    expected = sum((i % 7) * (1 + i % 3) for i in range(600))
    assert float(callbacks.to_float(long.weighted_total())) == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------
# ModelCheckpoint

def test_checkpoint_names_and_saves_only_on_improvement(backend, rng, tmp_path):
    model, x, y = linear_model(rng)
    recorder = Recorder()
    path = str(tmp_path / 'w.{epoch:02d}-{val_loss:.2f}.h5')
    checkpoint = ModelCheckpoint(path, save_best_only=True, save_weights_only=True)
    model.fit(x, y, epochs=5, verbose=0, validation_data=(x, y),
              callbacks=[Script(val_loss=[3., 2., 2.5, 1., 1.]), recorder, checkpoint])
    assert sorted(os.listdir(tmp_path)) == ['w.01-3.00.h5', 'w.02-2.00.h5', 'w.04-1.00.h5']
    restored = Sequential([Dense(1, input_shape=(3,))])
    restored.load_weights(str(tmp_path / 'w.02-2.00.h5'))
    for got, want in zip(restored.get_weights(), recorder.weights[1]):
        np.testing.assert_array_equal(got, want)


def test_checkpoint_period_mode_and_full_model(backend, rng, tmp_path, monkeypatch):
    model, x, y = linear_model(rng)
    calls = []
    monkeypatch.setattr(model, 'save', lambda path, overwrite=True: calls.append(
        ('save', os.path.basename(path), overwrite)))
    monkeypatch.setattr(model, 'save_weights', lambda path, overwrite=True: calls.append(
        ('save_weights', os.path.basename(path), overwrite)))
    model.fit(x, y, epochs=6, verbose=0, callbacks=[
        Script(score=[1, 5, 3, 6, 2, 7]),
        ModelCheckpoint(str(tmp_path / 'm{epoch}.h5'), period=2),
        ModelCheckpoint(str(tmp_path / 'best{epoch}.h5'), monitor='score', mode='max',
                        save_best_only=True, save_weights_only=True)])
    assert [c for c in calls if c[0] == 'save'] == [('save', 'm2.h5', True),
                                                    ('save', 'm4.h5', True),
                                                    ('save', 'm6.h5', True)]
    assert [c[1] for c in calls if c[0] == 'save_weights'] == ['best1.h5', 'best2.h5',
                                                              'best4.h5', 'best6.h5']


def test_checkpoint_auto_mode_and_missing_monitor(backend, rng, tmp_path):
    assert ModelCheckpoint('x', monitor='val_acc').monitor_op is np.greater
    assert ModelCheckpoint('x', monitor='val_loss').monitor_op is np.less
    with pytest.warns(RuntimeWarning, match='unknown'):
        assert ModelCheckpoint('x', mode='sideways').monitor_op is np.less
    model, x, y = linear_model(rng)
    with pytest.warns(RuntimeWarning, match='Can save best model only with val_loss'):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[
            ModelCheckpoint(str(tmp_path / 'a.h5'), save_best_only=True)])
    assert os.listdir(tmp_path) == []
    with pytest.raises(KeyError, match="'val_loss'.*not in the logs"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[
            ModelCheckpoint(str(tmp_path / '{val_loss}.h5'))])
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[
        Script(val_acc=[0.25]), ModelCheckpoint(str(tmp_path / '{epoch}-{val_accuracy:.1f}.h5'),
                                                save_weights_only=True)])
    assert os.listdir(tmp_path) == ['1-0.2.h5']


def test_checkpoint_full_model_file_loads(backend, rng, tmp_path):
    from gkeras.models import load_model
    model, x, y = linear_model(rng)
    path = str(tmp_path / 'model.h5')
    model.fit(x, y, epochs=2, verbose=0, callbacks=[ModelCheckpoint(path)])
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# EarlyStopping

@pytest.mark.parametrize('series, kwargs, stopped_after', [
    ([5, 4, 4.5, 4.2, 3, 2, 1], dict(patience=2), 4),
    ([5, 4, 4.5, 4.2, 3, 2, 1], dict(patience=0), 3),
    ([5, 4.95, 4.9, 4.85, 4, 3, 2], dict(patience=2, min_delta=0.1), 3),
    ([0.1, 0.3, 0.2, 0.25, 0.6, 0.7, 0.8], dict(monitor='val_acc', patience=2), 4),
    ([5, 4, 3, 2, 3, 2, 1], dict(mode='max', patience=1), 2),
    ([5, 4, 3, 2, 1, 0, -1], dict(baseline=3.5, patience=2), 2),
    ([4, 3, 2.5, 2.6, 2.7, 2.8, 1], dict(baseline=3.5, patience=3), 6),
    ([5, 4, 3.8, 3.6, 3.4, 3.2, 3], dict(baseline=3.5, patience=3), 3),
])
def test_early_stopping_epoch(backend, rng, series, kwargs, stopped_after):
    model, x, y = linear_model(rng)
    monitor = kwargs.get('monitor', 'val_loss')
    history = model.fit(x, y, epochs=7, verbose=0, validation_data=(x, y),
                        callbacks=[Script(**{monitor: series}), EarlyStopping(**kwargs)])
    assert len(history.epoch) == stopped_after


def test_early_stopping_restores_best_weights(backend, rng, capsys):
    model, x, y = linear_model(rng, lr=0.05)
    recorder = Recorder()
    stopper = EarlyStopping(monitor='score', patience=2, restore_best_weights=True, verbose=1)
    model.fit(x, y, epochs=10, verbose=0,
              callbacks=[Script(score=[3, 1, 2, 2, 0]), recorder, stopper])
    assert stopper.stopped_epoch == 3
    for got, want in zip(model.get_weights(), recorder.weights[1]):
        np.testing.assert_array_equal(got, want)
    assert not np.allclose(recorder.weights[1][0], recorder.weights[3][0])
    out = capsys.readouterr().out
    assert 'Restoring model weights' in out and 'Epoch 00004: early stopping' in out


def test_early_stopping_resets_and_warns_on_missing_monitor(backend, rng):
    model, x, y = linear_model(rng)
    stopper = EarlyStopping(monitor='score', patience=1)
    model.fit(x, y, epochs=5, verbose=0, callbacks=[Script(score=[1, 2, 3, 4, 5]), stopper])
    assert stopper.stopped_epoch == 1
    history = model.fit(x, y, epochs=3, verbose=0,
                        callbacks=[Script(score=[3, 2, 1]), stopper])
    assert len(history.epoch) == 3
    with pytest.warns(RuntimeWarning, match='Early stopping conditioned on metric `nothing`'):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[EarlyStopping(monitor='nothing')])


# ---------------------------------------------------------------------------------------------
# learning rate callbacks

def test_learning_rate_scheduler_sets_the_rate_each_epoch_is_trained_with(backend, rng):
    """One SGD step per epoch: the weight change is -schedule(epoch) * gradient (NumPy)."""
    x = rng.standard_normal((5, 2)).astype('float32')
    y = rng.standard_normal((5, 1)).astype('float32')
    model = Sequential([Dense(1, use_bias=False, input_shape=(2,))])
    model.compile(optimizers.SGD(lr=1.), 'mse')
    kernel = model.get_weights()[0].astype('float64')
    rates = []
    history = model.fit(x, y, batch_size=5, epochs=3, verbose=0, callbacks=[
        LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1)),
        LambdaCallback(on_epoch_begin=lambda epoch, logs: rates.append(
            float(K.get_value(model.optimizer.lr))))])
    np.testing.assert_allclose(rates, [0.1, 0.05, 0.1 / 3], rtol=1e-6)
    np.testing.assert_allclose(history.history['lr'], rates, rtol=1e-6)
    for rate in rates:
        kernel = kernel - rate * 2 * x.T @ (x @ kernel - y) / 5
    np.testing.assert_allclose(model.get_weights()[0], kernel, rtol=1e-5)


def test_learning_rate_scheduler_two_argument_schedule(backend, rng, capsys):
    model, x, y = linear_model(rng, lr=0.4)
    seen = []

    def halve(epoch, lr):
        seen.append((epoch, round(lr, 6)))
        return lr / 2

    model.fit(x, y, epochs=3, verbose=0, callbacks=[LearningRateScheduler(halve, verbose=1)])
    assert seen == [(0, 0.4), (1, 0.2), (2, 0.1)]
    assert 'LearningRateScheduler setting learning rate to 0.05' in capsys.readouterr().out
    with pytest.raises(ValueError, match='should be float'):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[LearningRateScheduler(lambda e: 1)])


def test_reduce_lr_on_plateau(backend, rng):
    model, x, y = linear_model(rng, lr=1.)
    series = [5, 4, 4, 4, 4, 4, 4, 3.99995, 4, 4]
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[
        Script(val_loss=series),
        ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.2)])
    # 'lr' is logged before that epoch's decision: reductions after epochs 4, 6 and 8, each
    # when 2 epochs in a row fail to beat the best by min_delta=1e-4 (the cooldown epoch counts
    # as one of them); the last reduction stops at min_lr
    np.testing.assert_allclose(history.history['lr'],
                               [1, 1, 1, 1, .5, .5, .25, .25, .2, .2], rtol=1e-6)
    with pytest.raises(ValueError, match='factor >= 1.0'):
        ReduceLROnPlateau(factor=1.5)
    with pytest.warns(UserWarning, match='`epsilon` argument is deprecated'):
        assert ReduceLROnPlateau(epsilon=0.5).min_delta == 0.5


# ---------------------------------------------------------------------------------------------
# CSVLogger, LambdaCallback, TerminateOnNaN, stop_training

def test_csv_logger_content_separator_and_append(backend, rng, tmp_path):
    model, x, y = linear_model(rng)
    path = str(tmp_path / 'log.csv')
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
                        callbacks=[CSVLogger(path)])
    lines = open(path).read().splitlines()
    assert lines[0] == 'epoch,acc,loss,val_acc,val_loss'
    for epoch, line in enumerate(lines[1:]):
        fields = line.split(',')
        assert fields[0] == str(epoch)
        np.testing.assert_allclose([float(v) for v in fields[1:]],
                                   [history.history[k][epoch] for k in ('acc', 'loss', 'val_acc',
                                                                        'val_loss')])
    assert len(lines) == 3
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y),
              callbacks=[CSVLogger(path, append=True)])
    lines = open(path).read().splitlines()
    assert len(lines) == 4 and lines[3].startswith('0,')
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator=';')])
    lines = open(path).read().splitlines()
    assert lines[0] == 'epoch;acc;loss' and len(lines) == 2


def test_lambda_callback_hooks(backend, rng):
    model, x, y = linear_model(rng, n=6)
    calls = []
    model.fit(x, y, batch_size=3, epochs=2, verbose=0, callbacks=[LambdaCallback(
        on_train_begin=lambda logs: calls.append('train_begin'),
        on_epoch_begin=lambda epoch, logs: calls.append(f'epoch_begin {epoch}'),
        on_batch_begin=lambda batch, logs: calls.append(f'batch_begin {batch}'),
        on_batch_end=lambda b, l: calls.append(f"batch_end {b} {sorted(l)}"),
        on_epoch_end=lambda epoch, logs: calls.append(f'epoch_end {epoch}'),
        on_train_end=lambda logs: calls.append('train_end'))])
    epoch = lambda e: [f'epoch_begin {e}', 'batch_begin 0',  # noqa: E731
                       "batch_end 0 ['acc', 'batch', 'loss', 'size']", 'batch_begin 1',
                       "batch_end 1 ['acc', 'batch', 'loss', 'size']", f'epoch_end {e}']
    assert calls == ['train_begin'] + epoch(0) + epoch(1) + ['train_end']


def test_terminate_on_nan_stops_at_the_batch(backend, rng, capsys):
    model, x, y = linear_model(rng, n=9)
    y[4] = np.nan
    batches = []
    history = model.fit(x, y, batch_size=3, epochs=3, verbose=0, shuffle=False, callbacks=[
        LambdaCallback(on_batch_end=lambda batch, logs: batches.append(batch)),
        TerminateOnNaN()])
    assert batches == [0, 1] and history.epoch == [0]
    assert 'Batch 1: Invalid loss, terminating training' in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# progress output

def test_progbar_logger_lines(backend, rng, capsys):
    model, x, y = linear_model(rng, n=10)
    model.fit(x, y, batch_size=4, epochs=1, verbose=1, validation_data=(x, y))
    out = capsys.readouterr().out
    value = r'\d\.\d{4}(e[-+]\d\d)?'
    assert re.fullmatch(rf'Epoch 1/1\n10/10 \[=+\] - \d+s \d+[mu]?s/step - loss: {value}'
                        rf' - acc: {value} - val_loss: {value} - val_acc: {value}\n', out)
    model.fit(x, y, batch_size=4, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert re.fullmatch(rf'(Epoch [12]/2\n - \d+s - loss: {value} - acc: {value}\n){{2}}', out)
    model.fit(x, y, steps_per_epoch=3, epochs=1, verbose=1)
    assert re.search(r'\n3/3 \[=+\]', capsys.readouterr().out)


def test_progbar_averages_like_keras(capsys):
    stream = io.StringIO()
    bar = Progbar(target=6, verbose=1, stateful_metrics=['lr'], file=stream)
    bar.update(2, [('loss', 1.0), ('lr', 0.5)])
    bar.update(6, [('loss', 4.0), ('lr', 0.25)])
    assert re.fullmatch(r'6/6 \[=+\] - \d+s \d+[mu]?s/step - loss: 3\.0000 - lr: 0\.2500\n',
                        stream.getvalue())
    stream = io.StringIO()
    bar = Progbar(target=None, verbose=2, file=stream)
    bar.add(3, [('x', 1e-5)])
    bar.update(5, [('x', 3e-5)], finalize=True)
    assert re.fullmatch(r' - \d+s - x: 1\.8000e-05\n', stream.getvalue())
    quiet = Progbar(target=2, verbose=0, file=stream)
    quiet.update(2, [('x', 1.)])
    assert stream.getvalue().count('\n') == 1
    with pytest.raises(ValueError, match="count_mode"):
        callbacks.ProgbarLogger(count_mode='epochs')


def test_callback_list_forwards_every_hook(backend):
    recorder = Recorder()
    hooks = callbacks.CallbackList([recorder])
    hooks.set_params({'a': 1})
    hooks.on_train_begin()
    hooks.on_test_begin()
    hooks.on_test_batch_begin(0)
    hooks.on_predict_batch_end(0)
    hooks.on_train_batch_begin(3, {'size': 1})
    assert recorder.params == {'a': 1} and list(hooks) == [recorder]
    assert recorder.events == [('train_begin',), ('test_begin',), ('batch_begin', 3, {'size': 1})]
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        callbacks.Callback().on_predict_end()
