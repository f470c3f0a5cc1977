"""Callbacks: hooks into the training loop (Keras 2.2 semantics).

Batch logs hold device scalars (0-d arrays) straight from the training step. The loggers keep
them as they are and sum them only when a line is written: BaseLogger at the end of the epoch,
with one copy to the host for all its values; ProgbarLogger when the bar is drawn. A callback
that reads a batch value as a number (TerminateOnNaN) pays one copy per batch.
"""
import csv
import inspect
import os
import warnings

import numpy as np

from . import backend as K
from .backend import selection
from .utils.progbar import Progbar


def _is_array(value):
    return hasattr(value, 'dtype') and hasattr(value, 'shape') and not isinstance(value, float)


def host_floats(values):
    """Python floats for a list of scalars, copying every array among them in one transfer."""
    values = list(values)
    arrays = [i for i, v in enumerate(values) if _is_array(v)]
    out = [float(v) if not _is_array(v) else None for v in values]
    if arrays:
        backend = selection.active()
        xp = backend.xp
        stacked = xp.stack([xp.asarray(values[i]).astype('float64').reshape(()) for i in arrays])
        for i, value in zip(arrays, backend.to_numpy(stacked).tolist()):
            out[i] = value
    return out


def to_float(value):
    """One scalar (Python number or 0-d device array) as a Python float."""
    return host_floats([value])[0]


def _name_set(names):
    """A set of metric names; a set given is kept (not copied) so its owner can extend it."""
    return names if isinstance(names, set) else set(names or [])


class Callback:
    """Base class: override the on_* hooks you need; `self.model` and `self.params` are set."""

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass


class CallbackList:
    """Calls each hook on every callback, in order."""

    def __init__(self, callbacks=None):
        self.callbacks = list(callbacks or [])
        self.params = {}
        self.model = None

    def __iter__(self):
        return iter(self.callbacks)

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def _call_batch_hook(self, mode, hook, batch, logs=None):
        self._call(f'on_{mode}_batch_{hook}', batch, logs if logs is not None else {})

    def on_epoch_begin(self, epoch, logs=None):
        self._call('on_epoch_begin', epoch, logs if logs is not None else {})

    def on_epoch_end(self, epoch, logs=None):
        self._call('on_epoch_end', epoch, logs if logs is not None else {})

    def on_batch_begin(self, batch, logs=None):
        self._call_batch_hook('train', 'begin', batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._call_batch_hook('train', 'end', batch, logs)

    on_train_batch_begin = on_batch_begin
    on_train_batch_end = on_batch_end

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch_hook('test', 'begin', batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch_hook('test', 'end', batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch_hook('predict', 'begin', batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch_hook('predict', 'end', batch, logs)

    def on_train_begin(self, logs=None):
        self._call('on_train_begin', logs if logs is not None else {})

    def on_train_end(self, logs=None):
        self._call('on_train_end', logs if logs is not None else {})

    def on_test_begin(self, logs=None):
        self._call('on_test_begin', logs if logs is not None else {})

    def on_test_end(self, logs=None):
        self._call('on_test_end', logs if logs is not None else {})

    def on_predict_begin(self, logs=None):
        self._call('on_predict_begin', logs if logs is not None else {})

    def on_predict_end(self, logs=None):
        self._call('on_predict_end', logs if logs is not None else {})


class _BatchSeries:
    """The batch values of one metric within an epoch, kept as logged (device scalars) and
    summed on the device only when read, or every CHUNK batches to bound what is kept: logging
    a batch launches no device work."""
    CHUNK = 256

    def __init__(self):
        self.values = []
        self.sizes = []
        self.count = 0
        self.summed = 0
        self.total = 0.

    def append(self, value, size):
        self.values.append(value)
        self.sizes.append(size)
        self.count += 1
        if len(self.values) >= self.CHUNK:
            self._sum(len(self.values))

    def weighted_total(self, count=None):
        """sum(value * batch size) over the first `count` batches (default: all). A count below
        what is already summed reads the larger sum (a progress-bar value one draw late)."""
        count = self.count if count is None else count
        if count > self.summed:
            self._sum(count - self.summed)
        return self.total

    def _sum(self, n):
        self.total = self.total + _weighted_sum(self.values[:n], self.sizes[:n])
        del self.values[:n], self.sizes[:n]
        self.summed += n


def _weighted_sum(values, sizes):
    if values and all(_is_array(v) for v in values):
        xp = selection.active().xp
        stacked = xp.stack([xp.asarray(v).reshape(()) for v in values])
        return (stacked * xp.asarray(sizes, dtype=stacked.dtype)).sum()
    return sum(v * size for v, size in zip(values, sizes))


class BaseLogger(Callback):
    """Averages the batch metrics over each epoch (weighted by batch size) into the epoch logs.

    Names in `stateful_metrics` are running values already; their last batch value is logged.
    Batch values are summed on the device at the end of the epoch and reach the host in one copy.
    """

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = _name_set(stateful_metrics)

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.series = {}
        self.last = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        size = logs.get('size', 0)
        self.seen += size
        for name, value in logs.items():
            if name in ('batch', 'size'):
                continue
            if name in self.stateful_metrics:
                self.last[name] = value
            else:
                self.series.setdefault(name, _BatchSeries()).append(value, size)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        names, values = [], []
        for name in self.params.get('metrics', []):
            if name in self.stateful_metrics and name in self.last:
                names.append(name)
                values.append(self.last[name])
            elif name in self.series:
                names.append(name)
                values.append(self.series[name].weighted_total() / max(self.seen, 1))
        logs.update(zip(names, host_floats(values)))


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch loss is NaN or infinite (reads the loss every batch)."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get('loss')
        if loss is not None:
            loss = to_float(loss)
            if np.isnan(loss) or np.isinf(loss):
                print(f'Batch {batch}: Invalid loss, terminating training')
                self.model.stop_training = True


class _RunningMean:
    """The batch-size-weighted mean of a metric over the first `count` batches of the epoch,
    summed and read from the device only when the progress bar draws it."""

    def __init__(self, series, count, samples):
        self.series = series
        self.count = count
        self.samples = samples

    def __float__(self):
        return to_float(self.series.weighted_total(self.count)) / max(self.samples, 1)


class ProgbarLogger(Callback):
    """Prints the progress bar (verbose=1) or one line per epoch (verbose=2).

    Args:
        count_mode: 'samples' or 'steps': what the bar counts.
        stateful_metrics: names shown as given rather than averaged over the epoch.
    """

    def __init__(self, count_mode='samples', stateful_metrics=None):
        super().__init__()
        if count_mode not in ('samples', 'steps'):
            raise ValueError(f"ProgbarLogger: unknown `count_mode`: {count_mode!r}; expected "
                             "'samples' or 'steps'.")
        self.use_steps = count_mode == 'steps'
        self.stateful_metrics = _name_set(stateful_metrics)

    def on_train_begin(self, logs=None):
        self.verbose = self.params['verbose']
        self.epochs = self.params['epochs']

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        if not self.verbose:
            return
        print(f'Epoch {epoch + 1}/{self.epochs}')
        self.target = self.params['steps'] if self.use_steps else self.params['samples']
        names = self.params['metrics']
        self.progbar = Progbar(target=self.target, verbose=self.verbose, stateful_metrics=names)
        self.samples = 0
        self.series = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        size = logs.get('size', 0)
        self.seen += 1 if self.use_steps else size
        if not self.verbose:
            return
        self.samples += size
        values = []
        for name in self.params['metrics']:
            if name not in logs:
                continue
            if name in self.stateful_metrics:
                values.append((name, logs[name]))
                continue
            series = self.series.setdefault(name, _BatchSeries())
            series.append(logs[name], size)
            values.append((name, _RunningMean(series, series.count, self.samples)))
        # the last batch is drawn by on_epoch_end, with the epoch's final values
        if self.target is None or self.seen < self.target:
            self.progbar.update(self.seen, values)

    def on_epoch_end(self, epoch, logs=None):
        if not self.verbose:
            return
        logs = logs or {}
        values = [(name, logs[name]) for name in self.params['metrics'] if name in logs]
        self.progbar.update(self.target if self.target is not None else self.seen, values,
                            finalize=True)


_ALIASES = (('acc', 'accuracy'), ('ce', 'crossentropy'), ('mse', 'mean_squared_error'),
            ('mae', 'mean_absolute_error'), ('mape', 'mean_absolute_percentage_error'),
            ('msle', 'mean_squared_logarithmic_error'),
            ('kld', 'kullback_leibler_divergence'), ('cosine', 'cosine_proximity'))


def _aliases(key):
    """Other spellings of a metric key: Keras 2.2 logs 'acc' and 'mean_absolute_error' where
    tf.keras logs 'accuracy' and 'mae' (also with 'val_' and '<output>_' prefixes)."""
    out = []
    for short, long in _ALIASES:
        for have, other in ((short, long), (long, short)):
            if key == have or key.endswith('_' + have):
                out.append(key[:len(key) - len(have)] + other)
    return out


class MetricLogs(dict):
    """A dict of metric values (or series) where either Keras era's metric names resolve:
    `logs['acc']` and `logs['accuracy']` reach the same entry."""

    def _find(self, key):
        if isinstance(key, str):
            for other in _aliases(key):
                if dict.__contains__(self, other):
                    return other
        return None

    def __missing__(self, key):
        other = self._find(key)
        if other is None:
            raise KeyError(key)
        return dict.__getitem__(self, other)

    def __contains__(self, key):
        return dict.__contains__(self, key) or self._find(key) is not None

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


class History(Callback):
    """Records every epoch's logs in `history`: {'loss': [...], 'acc': [...], ...}."""

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = MetricLogs()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        logs = logs or {}
        ordered = [n for n in self.params.get('metrics', []) if n in logs]
        for name in ordered + [n for n in logs if n not in ordered]:
            self.history.setdefault(name, []).append(logs[name])


def _monitor_op(owner, mode, monitor):
    """np.greater for 'max' (or a monitored name containing 'acc' in 'auto'), else np.less."""
    if mode not in ('auto', 'min', 'max'):
        warnings.warn(f'{owner} mode {mode} is unknown, fallback to auto mode.', RuntimeWarning)
        mode = 'auto'
    if mode == 'max' or (mode == 'auto' and ('acc' in monitor or monitor.startswith('fmeasure'))):
        return np.greater
    return np.less


class ModelCheckpoint(Callback):
    """Save the model (or its weights) after every `period` epochs.

    Args:
        filepath: may hold `{epoch:02d}` and any log key, e.g.
            `weights.{epoch:02d}-{val_loss:.2f}.h5`.
        monitor: the logged quantity that decides `save_best_only`.
        save_best_only: save only when `monitor` improved on the best value so far.
        save_weights_only: `model.save_weights(filepath)` instead of `model.save(filepath)`.
        mode: 'auto', 'min' or 'max' (auto: max for names containing 'acc', else min).
        period: epochs between checkpoints.
    """

    def __init__(self, filepath, monitor='val_loss', verbose=0, save_best_only=False,
                 save_weights_only=False, mode='auto', period=1):
        super().__init__()
        self.monitor = monitor
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.period = period
        self.epochs_since_last_save = 0
        self.monitor_op = _monitor_op('ModelCheckpoint', mode, monitor)
        self.best = -np.inf if self.monitor_op is np.greater else np.inf

    def _save(self, filepath):
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epochs_since_last_save += 1
        if self.epochs_since_last_save < self.period:
            return
        self.epochs_since_last_save = 0
        names = MetricLogs(logs)
        names['epoch'] = epoch + 1
        try:
            filepath = self.filepath.format_map(names)
        except KeyError as error:
            raise KeyError(f"ModelCheckpoint: the file name {self.filepath!r} refers to "
                           f"{error.args[0]!r}, which is not in the logs of epoch {epoch + 1} "
                           f"(available: {sorted(logs)}).") from None
        if not self.save_best_only:
            if self.verbose > 0:
                print(f'\nEpoch {epoch + 1:05d}: saving model to {filepath}')
            self._save(filepath)
            return
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f'Can save best model only with {self.monitor} available, skipping.',
                          RuntimeWarning)
            return
        if self.monitor_op(current, self.best):
            if self.verbose > 0:
                print(f'\nEpoch {epoch + 1:05d}: {self.monitor} improved from {self.best:0.5f} '
                      f'to {current:0.5f}, saving model to {filepath}')
            self.best = current
            self._save(filepath)
        elif self.verbose > 0:
            print(f'\nEpoch {epoch + 1:05d}: {self.monitor} did not improve from '
                  f'{self.best:0.5f}')


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving.

    Args:
        monitor: the logged quantity to watch.
        min_delta: a change smaller than this (in the improving direction) is no improvement.
        patience: epochs with no improvement after which training stops.
        mode: 'auto', 'min' or 'max' (auto: max for names containing 'acc', else min).
        baseline: a value the quantity must improve on; training stops after `patience` epochs
            that do not beat it.
        restore_best_weights: when training stops here, restore the weights of the best epoch.
    """

    def __init__(self, monitor='val_loss', min_delta=0, patience=0, verbose=0, mode='auto',
                 baseline=None, restore_best_weights=False):
        super().__init__()
        self.monitor = monitor
        self.baseline = baseline
        self.patience = patience
        self.verbose = verbose
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.wait = 0
        self.stopped_epoch = 0
        self.monitor_op = _monitor_op('EarlyStopping', mode, monitor)
        self.min_delta = abs(min_delta) if self.monitor_op is np.greater else -abs(min_delta)

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = np.inf if self.monitor_op is np.less else -np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs or {})
        if current is None:
            return
        if self.monitor_op(current - self.min_delta, self.best):
            self.best = current
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose > 0:
                    print('Restoring model weights from the end of the best epoch')
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f'Epoch {self.stopped_epoch + 1:05d}: early stopping')

    def get_monitor_value(self, logs):
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}", RuntimeWarning)
        return value


def _get_lr(model):
    optimizer = getattr(model, 'optimizer', None)
    if optimizer is None or not hasattr(optimizer, 'lr'):
        raise ValueError('Optimizer must have a "lr" attribute.')
    return float(K.get_value(optimizer.lr))


def _set_lr(model, value):
    K.set_value(model.optimizer.lr, value)


def _takes_lr(schedule):
    """Whether schedule accepts (epoch, lr) (Keras 2.2's new API) rather than (epoch)."""
    try:
        params = list(inspect.signature(schedule).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch from `schedule(epoch)` or
    `schedule(epoch, lr)` (epochs counted from 0); the epoch logs gain 'lr'."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = _get_lr(self.model)
        takes_lr = _takes_lr(self.schedule)
        if takes_lr is None:
            try:
                lr = self.schedule(epoch, lr)
            except TypeError:
                lr = self.schedule(epoch)
        else:
            lr = self.schedule(epoch, lr) if takes_lr else self.schedule(epoch)
        if not isinstance(lr, (float, np.floating)):
            raise ValueError(f'The output of the "schedule" function should be float; it '
                             f'returned {lr!r} for epoch {epoch}.')
        _set_lr(self.model, lr)
        if self.verbose > 0:
            print(f'\nEpoch {epoch + 1:05d}: LearningRateScheduler setting learning rate to '
                  f'{lr}.')

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs['lr'] = _get_lr(self.model)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` after `patience` epochs without improvement.

    Args:
        monitor, mode, patience: as in EarlyStopping.
        factor: new_lr = lr * factor (must be < 1).
        min_delta: the improvement that counts as one.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the learning rate never goes below this.
    """

    def __init__(self, monitor='val_loss', factor=0.1, patience=10, verbose=0, mode='auto',
                 min_delta=1e-4, cooldown=0, min_lr=0, **kwargs):
        super().__init__()
        if 'epsilon' in kwargs:
            min_delta = kwargs.pop('epsilon')
            warnings.warn('`epsilon` argument is deprecated and will be removed, use '
                          '`min_delta` instead.')
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected keyword argument(s) {sorted(kwargs)}.")
        if factor >= 1.0:
            raise ValueError(f'ReduceLROnPlateau does not support a factor >= 1.0. Received: '
                             f'factor={factor}')
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.mode = mode
        self._reset()

    def _reset(self):
        if self.mode not in ('auto', 'min', 'max'):
            warnings.warn(f'Learning Rate Plateau Reducing mode {self.mode} is unknown, '
                          'fallback to auto mode.', RuntimeWarning)
            self.mode = 'auto'
        if self.mode == 'min' or (self.mode == 'auto' and 'acc' not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs['lr'] = _get_lr(self.model)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Reduce LR on plateau conditioned on metric `{self.monitor}` which is "
                          f"not available. Available metrics are: {','.join(logs)}",
                          RuntimeWarning)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _get_lr(self.model)
                if old_lr > self.min_lr:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    _set_lr(self.model, new_lr)
                    if self.verbose > 0:
                        print(f'\nEpoch {epoch + 1:05d}: ReduceLROnPlateau reducing learning '
                              f'rate to {new_lr}.')
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file: a header 'epoch' + the sorted log keys, then rows.

    Args:
        separator: the field delimiter.
        append: continue an existing file (no second header) instead of overwriting it.
    """

    def __init__(self, filename, separator=',', append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = 'a'
        else:
            mode = 'w'
        self.csv_file = open(self.filename, mode, newline='\n')

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(value):
            if isinstance(value, str):
                return value
            if hasattr(value, '__iter__') and not (isinstance(value, np.ndarray)
                                                   and value.ndim == 0):
                return '"[%s]"' % ', '.join(map(str, value))
            return value

        if self.keys is None:
            self.keys = sorted(logs.keys())
        if self.model.stop_training:
            logs = {key: logs[key] if key in logs else 'NA' for key in self.keys}
        if self.writer is None:
            class CustomDialect(csv.excel):
                delimiter = self.sep
            self.writer = csv.DictWriter(self.csv_file, fieldnames=['epoch'] + self.keys,
                                         dialect=CustomDialect)
            if self.append_header:
                self.writer.writeheader()
        row = {'epoch': epoch}
        row.update((key, handle_value(logs[key])) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self.csv_file.close()
        self.writer = None


class TensorBoard(Callback):
    """TensorBoard logs, in TensorFlow's event-file format written without TensorFlow
    (utils/event_file.py): `tensorboard --logdir <log_dir>` shows them.

    Writes each epoch's losses and metrics as scalars (step = epoch), or with `update_freq`
    'batch' or a number of samples, also the batch logs every so many samples (step = samples
    seen), as Keras 2.2 does. With `histogram_freq` n, every n epochs the histograms of every
    weight ('<layer>/<weight>_0') and of every layer's output ('<layer>_out', computed on the
    validation data in batches of `batch_size`; as in Keras 2, validation data is then
    required). There is no TensorFlow graph to write (`write_graph` draws nothing); weight
    images, gradient histograms and embeddings are not written (asking for them raises).
    """

    def __init__(self, log_dir='./logs', histogram_freq=0, batch_size=32, write_graph=True,
                 write_grads=False, write_images=False, embeddings_freq=0,
                 embeddings_layer_names=None, embeddings_metadata=None, embeddings_data=None,
                 update_freq='epoch'):
        super().__init__()
        unsupported = [f'{name}={asked!r}' for name, asked in (
            ('write_grads', write_grads), ('write_images', write_images),
            ('embeddings_freq', embeddings_freq)) if asked]
        if unsupported:
            raise ValueError("TensorBoard: gradient histograms, weight images and embeddings "
                             "are not supported by gkeras (it writes scalars and histograms). "
                             f"Received: {', '.join(unsupported)}")
        if update_freq not in ('epoch', 'batch') and not (
                isinstance(update_freq, int) and update_freq > 0):
            raise ValueError("TensorBoard: `update_freq` must be 'epoch', 'batch' or a "
                             f"positive number of samples. Received: update_freq={update_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.batch_size = batch_size
        self.write_graph = write_graph
        self.update_freq = 1 if update_freq == 'batch' else update_freq
        self.writer = None
        self.samples_seen = 0
        self.samples_seen_at_last_write = 0
        self._layer_outputs = None  # (model, layers, K.function of their outputs)

    def on_train_begin(self, logs=None):
        from .utils.event_file import EventFileWriter
        if self.writer is None:
            self.writer = EventFileWriter(self.log_dir)

    def _write_logs(self, logs, index):
        from .utils.event_file import scalar_value
        values = [scalar_value(name, to_float(value)) for name, value in (logs or {}).items()
                  if name not in ('batch', 'size')]
        self.writer.add_values(index, values)
        self.writer.flush()

    def on_batch_end(self, batch, logs=None):
        if self.update_freq == 'epoch' or self.writer is None:
            return
        logs = logs or {}
        self.samples_seen += int(to_float(logs.get('size', 1)))
        if self.samples_seen - self.samples_seen_at_last_write >= self.update_freq:
            self._write_logs(logs, self.samples_seen)
            self.samples_seen_at_last_write = self.samples_seen

    def on_epoch_end(self, epoch, logs=None):
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        self._write_logs(logs, epoch if self.update_freq == 'epoch' else self.samples_seen)

    def _write_histograms(self, epoch):
        from .utils.event_file import histogram_value
        if not self.validation_data:
            raise ValueError("If printing histograms, validation_data must be provided, and "
                             "cannot be a generator.")
        backend = selection.active()
        values = []
        for layer in self.model.layers:
            for weight in layer.weights:
                values.append(histogram_value(weight.name.replace(':', '_'),
                                              backend.to_numpy(weight.data)))
        if self._layer_outputs is None or self._layer_outputs[0] is not self.model:
            layers = [layer for layer in self.model.layers
                      if type(layer).__name__ != 'InputLayer']
            fetch = K.function(self.model.inputs, [layer.output for layer in layers]) \
                if layers else None
            self._layer_outputs = (self.model, layers, fetch)  # one graph for every epoch
        _, layers, fetch = self._layer_outputs
        if layers:
            inputs = list(self.validation_data[:len(self.model.inputs)])
            outputs = [[] for _ in layers]
            for start in range(0, len(inputs[0]), self.batch_size):
                batch = [x[start:start + self.batch_size] for x in inputs]
                for kept, value in zip(outputs, fetch(batch)):
                    kept.append(np.asarray(value).reshape(-1))
            values += [histogram_value(f'{layer.name}_out', np.concatenate(kept))
                       for layer, kept in zip(layers, outputs)]
        self.writer.add_values(epoch, values)

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class LambdaCallback(Callback):
    """A callback from plain functions: on_epoch_begin/on_epoch_end(epoch, logs),
    on_batch_begin/on_batch_end(batch, logs), on_train_begin/on_train_end(logs)."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        self.on_epoch_begin = on_epoch_begin or (lambda epoch, logs: None)
        self.on_epoch_end = on_epoch_end or (lambda epoch, logs: None)
        self.on_batch_begin = on_batch_begin or (lambda batch, logs: None)
        self.on_batch_end = on_batch_end or (lambda batch, logs: None)
        self.on_train_begin = on_train_begin or (lambda logs: None)
        self.on_train_end = on_train_end or (lambda logs: None)
