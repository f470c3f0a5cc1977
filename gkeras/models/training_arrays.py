"""Training, evaluation and prediction on arrays: batches sliced from the standardized arrays
(in order, shuffled or batch-shuffled), validation data or a validation split."""
import numpy as np

from .. import backend as K
from .training_loops import (evaluate_batches, fit_callbacks, loop_callbacks, predict_batches,
                             progress_bar, train_epochs)
from .training_utils import batch_size_for_steps, epoch_order, fit_batch_size


def array_batches(model, xs, ys, sws, batch_size, order=None):
    """(device batch, size) pairs of `batch_size` samples, in `order` (sample indices) if given."""
    n = xs[0].shape[0]
    for start in range(0, n, batch_size):
        index = slice(start, start + batch_size) if order is None else \
            order[start:start + batch_size]
        size = min(batch_size, n - start)
        yield model._device_batch_all(xs, ys, sws, index), size


def _unpack_validation_data(validation_data):
    if isinstance(validation_data, (list, tuple)):
        if len(validation_data) == 2:
            return validation_data[0], validation_data[1], None
        if len(validation_data) == 3:
            return tuple(validation_data)
    length = len(validation_data) if hasattr(validation_data, '__len__') else '?'
    raise ValueError("When passing validation_data, it must contain 2 (x_val, y_val) or 3 "
                     "(x_val, y_val, val_sample_weights) items, however it contains "
                     f"{length} items")


def prepare_validation_data(model, validation_data):
    """(xs, ys, sample weights) standardized from (x_val, y_val[, val_sample_weights])."""
    val_x, val_y, val_sw = _unpack_validation_data(validation_data)
    return model._prepare(val_x, val_y, val_sw, None)


def split_validation(model, xs, ys, sws, validation_data, validation_split):
    """(training xs, ys, sws, validation arrays or None): the validation arrays from
    validation_data, or the last `validation_split` of the samples, split off."""
    if validation_data is not None:
        return xs, ys, sws, prepare_validation_data(model, validation_data)
    if not validation_split:
        return xs, ys, sws, None
    if not 0. < validation_split < 1.:
        raise ValueError(f"validation_split must be in (0, 1); received "
                         f"{validation_split}.")
    n = xs[0].shape[0]
    split_at = int(n * (1. - validation_split))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={validation_split} leaves no samples for "
                         f"training or validation out of {n}.")
    val_arrays = tuple([a[split_at:] if a is not None else None for a in arrays]
                       for arrays in (xs, ys, sws))
    xs, ys, sws = tuple([a[:split_at] if a is not None else None for a in arrays]
                        for arrays in (xs, ys, sws))
    return xs, ys, sws, val_arrays


def validation_from_arrays(model, val_arrays, batch_size):
    """(validate(callback_list, epoch), the arrays for the callbacks' validation_data).

    Args:
        batch_size: a function giving the batch size, read at each validation (fit_generator
            validates in the size of its latest batch).
    """
    def validate(callback_list, epoch):
        return evaluate_batches(model, array_batches(model, *val_arrays, batch_size()),
                                callback_list)
    return validate, [a for arrays in val_arrays for a in arrays if a is not None]


def fit_loop(model, xs, ys, sws, batch_size, steps_per_epoch, epochs, verbose, callbacks,
             shuffle, initial_epoch, validate, val_inputs, validation_freq):
    """fit on standardized arrays; returns model.history."""
    n = xs[0].shape[0]
    batch_size = fit_batch_size(batch_size, steps_per_epoch, n)
    steps = int(np.ceil(n / batch_size))
    labels = list(model.metrics_names)
    params = {'batch_size': batch_size, 'epochs': epochs, 'steps': steps_per_epoch,
              'samples': n, 'verbose': verbose, 'do_validation': validate is not None,
              'metrics': labels + (['val_' + name for name in labels]
                                   if validate is not None else [])}
    callback_list = fit_callbacks(
        model, callbacks, verbose, 'steps' if steps_per_epoch is not None else 'samples', params)
    for callback in callback_list:
        callback.validation_data = val_inputs

    def epoch_batches(epoch):
        return array_batches(model, xs, ys, sws, batch_size, epoch_order(n, batch_size, shuffle))
    return train_epochs(model, callback_list, epoch_batches, steps, epochs, initial_epoch,
                        validate, validation_freq)


def test_loop(model, xs, ys, sws, batch_size, steps, verbose, callbacks):
    """Loss and metrics (host floats) over standardized arrays."""
    n = xs[0].shape[0]
    batch_size = batch_size_for_steps(batch_size, steps, n)
    callback_list = loop_callbacks(model, callbacks, int(np.ceil(n / batch_size)), verbose,
                                   model.metrics_names)
    progress = progress_bar(n, verbose, count_steps=False)
    return evaluate_batches(model, array_batches(model, xs, ys, sws, batch_size), callback_list,
                            progress)


def predict_loop(model, xs, batch_size, steps, verbose, callbacks):
    """The outputs for standardized input arrays, as NumPy arrays (empty ones for 0 samples)."""
    n = xs[0].shape[0]
    batch_size = batch_size_for_steps(batch_size, steps, n)
    callback_list = loop_callbacks(model, callbacks, int(np.ceil(n / batch_size)), verbose)
    progress = progress_bar(n, verbose, count_steps=False)

    def batches():
        for start in range(0, n, batch_size):
            yield model._device_batch(xs, slice(start, start + batch_size))
    results = predict_batches(model, batches(), callback_list, progress)
    if results is None:
        results = [np.zeros((0,) + tuple(s._keras_shape[1:]), dtype=K.floatx())
                   for s in model.outputs]
    return results
