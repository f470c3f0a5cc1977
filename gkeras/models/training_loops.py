"""The loops that arrays and generators share: the epoch loop, evaluation and prediction over
batches, and the callbacks they drive.

A batch here is already on the device: (device batch, size) pairs for training and evaluation
(a device batch is the model's (xs, ys, sample weights) lists), the inputs alone for prediction.
training_arrays and training_generator make these batches from their data.
"""
import numpy as np

from .. import callbacks as callbacks_module
from ..utils.progbar import Progbar
from .training_utils import batch_values, ratio, should_validate


class _RatioTracker:
    """Running (sum of value * weight, sum of weight) per ratio metric within an epoch; the
    names of ratio metrics join `stateful` (the loggers' set of running values)."""

    def __init__(self, labels, stateful):
        self.labels = labels
        self.stateful = stateful
        self.sums = {}

    def running(self, values):
        out = []
        for i, value in enumerate(values):
            if isinstance(value, tuple):
                self.stateful.add(self.labels[i])
                if i in self.sums:
                    value = (self.sums[i][0] + value[0], self.sums[i][1] + value[1])
                self.sums[i] = value
                value = ratio(*value)
            out.append(value)
        return out


def fit_callbacks(model, callbacks, verbose, count_mode, params):
    """BaseLogger, ProgbarLogger, the user's callbacks and a new model.history, in Keras 2.2's
    order.

    The loggers share one set of stateful (running-ratio) metric names: the weighted
    metrics, joined at the first batch by the metrics of masked outputs."""
    model.history = callbacks_module.History()
    stateful = set(model.stateful_metric_names)
    chain = [callbacks_module.BaseLogger(stateful_metrics=stateful)]
    if verbose:
        chain.append(callbacks_module.ProgbarLogger(count_mode, stateful_metrics=stateful))
    chain += list(callbacks or []) + [model.history]
    callback_list = callbacks_module.CallbackList(chain)
    callback_list.set_model(model)
    callback_list.set_params(params)
    callback_list.stateful_metrics = stateful
    return callback_list


def loop_callbacks(model, callbacks, steps, verbose, metrics=None):
    """The user's callbacks (a list or a CallbackList) for evaluate or predict."""
    callback_list = callbacks if isinstance(callbacks, callbacks_module.CallbackList) \
        else callbacks_module.CallbackList(callbacks)
    callback_list.set_model(model)
    params = {'steps': steps, 'verbose': verbose}
    if metrics is not None:
        params['metrics'] = list(metrics)
    callback_list.set_params(params)
    return callback_list


def progress_bar(target, verbose, count_steps):
    """A function advancing a progress bar by one batch of `size` (None when verbose != 1)."""
    if verbose != 1:
        return None
    progbar = Progbar(target=target)
    return lambda size: progbar.add(1 if count_steps else size)


def train_epochs(model, callback_list, epoch_batches, steps, epochs, initial_epoch, validate,
                 validation_freq):
    """The epoch loop of fit and fit_generator; returns model.history.

    epoch_batches(epoch) yields (device batch, size) `steps` times; validate(callback_list,
    epoch) returns the validation values (host floats) or is None. An exception inside an epoch
    propagates before on_epoch_end, so History never records an epoch that did not finish.
    """
    labels = list(model.metrics_names)
    callback_list.on_train_begin()
    model.stop_training = False
    for epoch in range(initial_epoch, epochs):
        callback_list.on_epoch_begin(epoch)
        epoch_logs = callbacks_module.MetricLogs()
        tracker = _RatioTracker(labels, callback_list.stateful_metrics)
        batch_index = -1
        for batch_index, (batch, size) in enumerate(epoch_batches(epoch)):
            batch_logs = {'batch': batch_index, 'size': size}
            callback_list.on_train_batch_begin(batch_index, batch_logs)
            values = tracker.running(model._train_step(*batch))
            batch_logs.update(zip(labels, values))
            callback_list.on_train_batch_end(batch_index, batch_logs)
            if model.stop_training:
                break
        if validate is not None and batch_index == steps - 1 and \
                should_validate(validation_freq, epoch):
            val_values = validate(callback_list, epoch)
            epoch_logs.update(zip(['val_' + name for name in labels], val_values))
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return model.history


def evaluate_batches(model, batches, callback_list, progress=None):
    """Loss and metrics (host floats) over (device batch, size) pairs, between on_test_begin
    and on_test_end: each value summed on the device (weighted by batch size; weighted metrics
    as ratios) and copied once at the end."""
    callback_list.on_test_begin()
    totals, seen = None, 0
    for step, (batch, size) in enumerate(batches):
        batch_logs = {'batch': step, 'size': size}
        callback_list.on_test_batch_begin(step, batch_logs)
        values = model._test_step(*batch)
        if totals is None:
            totals = [list(v) if isinstance(v, tuple) else v * size for v in values]
        else:
            for i, v in enumerate(values):
                if isinstance(v, tuple):
                    totals[i] = [totals[i][0] + v[0], totals[i][1] + v[1]]
                else:
                    totals[i] = totals[i] + v * size
        seen += size
        batch_logs.update(zip(model.metrics_names, batch_values(values)))
        callback_list.on_test_batch_end(step, batch_logs)
        if progress is not None:
            progress(size)
    if totals is None:
        raise ValueError("There was no data to evaluate (0 samples or 0 steps).")
    values = callbacks_module.host_floats(
        [ratio(*t) if isinstance(t, list) else t / seen for t in totals])
    callback_list.on_test_end()
    return values


def predict_batches(model, batches, callback_list, progress):
    """The model's outputs over device input batches, concatenated as NumPy arrays (None when
    there was no batch), between on_predict_begin and on_predict_end."""
    callback_list.on_predict_begin()
    chunks = None
    for step, batch in enumerate(batches):
        size = batch[0].shape[0]
        batch_logs = {'batch': step, 'size': size}
        callback_list.on_predict_batch_begin(step, batch_logs)
        host = model._predict_step(batch)
        chunks = [[h] for h in host] if chunks is None else [c + [h] for c, h in
                                                              zip(chunks, host)]
        batch_logs['outputs'] = host
        callback_list.on_predict_batch_end(step, batch_logs)
        if progress is not None:
            progress(size)
    results = None if chunks is None else [np.concatenate(c, axis=0) for c in chunks]
    callback_list.on_predict_end()
    return results
