"""Callbacks: hooks into the training loop (History, BaseLogger, ProgbarLogger, ...).

Batch logs may hold device scalars (0-d arrays); they are converted to Python floats only where a
value is shown or recorded, so a training step needs no host-device copy.
"""
from .utils.progbar import Progbar


def to_float(value):
    return float(value.get() if hasattr(value, 'get') and not isinstance(value, dict) else value)


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

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    on_train_batch_begin = on_batch_begin
    on_train_batch_end = on_batch_end


class CallbackList:
    """Calls each hook on every callback in order."""

    def __init__(self, callbacks=None):
        self.callbacks = list(callbacks or [])

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def on_epoch_begin(self, epoch, logs=None):
        self._call('on_epoch_begin', epoch, logs if logs is not None else {})

    def on_epoch_end(self, epoch, logs=None):
        self._call('on_epoch_end', epoch, logs if logs is not None else {})

    def on_batch_begin(self, batch, logs=None):
        self._call('on_batch_begin', batch, logs if logs is not None else {})

    def on_batch_end(self, batch, logs=None):
        self._call('on_batch_end', batch, logs if logs is not None else {})

    def on_train_begin(self, logs=None):
        self._call('on_train_begin', logs if logs is not None else {})

    def on_train_end(self, logs=None):
        self._call('on_train_end', logs if logs is not None else {})


class BaseLogger(Callback):
    """Averages the batch metrics over each epoch (weighted by batch size) into the epoch logs."""

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or [])

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        size = logs.get('size', 0)
        self.seen += size
        for name, value in logs.items():
            if name in ('batch', 'size'):
                continue
            if name in self.stateful_metrics:
                self.totals[name] = value
            elif name in self.totals:
                self.totals[name] = self.totals[name] + value * size
            else:
                self.totals[name] = value * size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for name in self.params.get('metrics', []):
            if name in self.totals:
                total = self.totals[name]
                logs[name] = to_float(total if name in self.stateful_metrics
                                      else total / max(self.seen, 1))


class ProgbarLogger(Callback):
    """Prints the progress bar (verbose=1) or one line per epoch (verbose=2)."""

    def __init__(self, count_mode='samples', stateful_metrics=None, verbose=1):
        super().__init__()
        if count_mode not in ('samples', 'steps'):
            raise ValueError(f"ProgbarLogger: unknown `count_mode`: {count_mode!r}; expected "
                             "'samples' or 'steps'.")
        self.use_steps = count_mode == 'steps'
        self.stateful_metrics = set(stateful_metrics or [])
        self.verbose = verbose

    def on_train_begin(self, logs=None):
        self.verbose = self.params.get('verbose', self.verbose)
        self.epochs = self.params['epochs']

    def on_epoch_begin(self, epoch, logs=None):
        if not self.verbose:
            return
        print(f'Epoch {epoch + 1}/{self.epochs}')
        self.target = self.params['steps'] if self.use_steps else self.params['samples']
        self.progbar = Progbar(target=self.target, verbose=self.verbose)
        self.seen = 0
        self.samples = 0
        self.sums = {}

    def on_batch_end(self, batch, logs=None):
        if not self.verbose:
            return
        logs = logs or {}
        size = logs.get('size', 0)
        self.seen += 1 if self.use_steps else size
        self.samples += size
        values = []
        for name in self.params['metrics']:
            if name not in logs:
                continue
            if name in self.stateful_metrics:
                values.append((name, logs[name]))
                continue
            weighted = logs[name] * size
            self.sums[name] = self.sums[name] + weighted if name in self.sums else weighted
            values.append((name, _RunningMean(self.sums[name], self.samples)))
        if self.target is None or self.seen < self.target:
            self.progbar.update(self.seen, values)

    def on_epoch_end(self, epoch, logs=None):
        if not self.verbose:
            return
        logs = logs or {}
        values = [(name, logs[name]) for name in self.params['metrics'] if name in logs]
        self.progbar.update(self.target if self.target is not None else self.seen, values,
                            finalize=True)


class _RunningMean:
    """A batch-size-weighted mean, read from the device only when the progress bar draws."""

    def __init__(self, total, samples):
        self.total = total
        self.samples = samples

    def __float__(self):
        return to_float(self.total) / max(self.samples, 1)


class History(Callback):
    """Records every epoch's logs in `history`: {'loss': [...], 'acc': [...], ...}."""

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = MetricHistory()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        logs = logs or {}
        ordered = [n for n in self.params.get('metrics', []) if n in logs]
        for name in ordered + [n for n in logs if n not in ordered]:
            self.history.setdefault(name, []).append(logs[name])


def _alias(key):
    prefix = ''
    if key.startswith('val_'):
        prefix, key = 'val_', key[4:]
    for short, long in (('acc', 'accuracy'), ('accuracy', 'acc')):
        if key == short or key.endswith('_' + short):
            return prefix + key[:len(key) - len(short)] + long
    return None


class MetricHistory(dict):
    """A dict of metric series where 'acc' and 'accuracy' (and their val_/output forms) resolve
    to each other, so scripts of either Keras era run."""

    def __missing__(self, key):
        other = _alias(key) if isinstance(key, str) else None
        if other is not None and dict.__contains__(self, other):
            return dict.__getitem__(self, other)
        raise KeyError(key)

    def __contains__(self, key):
        if dict.__contains__(self, key):
            return True
        other = _alias(key) if isinstance(key, str) else None
        return other is not None and dict.__contains__(self, other)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default
