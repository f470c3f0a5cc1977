"""Training, evaluation and prediction on batches from a Python generator or a `Sequence`.

Batches are read ahead by the enqueuers of gkeras.utils.data_utils, standardized as they arrive
(an error names the step and epoch of the bad batch), and a Sequential model that is built from
data builds on the first one. (The Keras 1 argument names of the generator methods are renamed
by gkeras.legacy.)
"""
import itertools

import numpy as np

from ..utils import data_utils
from .training_arrays import prepare_validation_data, validation_from_arrays
from .training_loops import (evaluate_batches, fit_callbacks, loop_callbacks, predict_batches,
                             progress_bar, train_epochs)


def is_batch_source(data):
    """Whether `data` is a generator or a Sequence rather than arrays (a Sequence subclass even
    with a `dtype` attribute, as ImageDataGenerator's iterators have)."""
    if isinstance(data, data_utils.Sequence):
        return True
    return data is not None and not isinstance(data, (np.ndarray, list, tuple, dict)) and \
        (data_utils.is_sequence(data) or data_utils.is_generator(data)) and \
        not hasattr(data, 'dtype')


def check_generator_arguments(y=None, sample_weight=None, validation_split=None):
    """Raise for the array-only arguments of fit / evaluate given with a batch source."""
    if y is not None:
        raise ValueError("`y` argument is not supported when data is a generator or Sequence "
                         "instance. Instead pass targets as the second element of the "
                         "generator.")
    if sample_weight is not None:
        raise ValueError("`sample_weight` argument is not supported when data is a generator or "
                         "Sequence instance. Instead pass sample weights as the third element "
                         "of the generator.")
    if validation_split:
        raise ValueError("If your data is in the form of a Python generator, you cannot use "
                         "`validation_split`.")


def stop_all(enqueuers):
    """Stop every enqueuer in the list (None entries are streams read in this thread)."""
    for enqueuer in enqueuers:
        if enqueuer is not None:
            enqueuer.stop()


def _generator_steps(source, steps, name):
    if steps is not None:
        if int(steps) < 1:
            raise ValueError(f"`{name}` must be at least 1; received {steps}.")
        return int(steps)
    if data_utils.is_sequence(source):
        return len(source)
    raise ValueError(f"`{name}=None` is only valid for a generator based on the "
                     f"`gkeras.utils.Sequence` class. Please specify `{name}` or use the "
                     "`gkeras.utils.Sequence` class.")


def _next_batch(stream, step, epoch, steps, what=''):
    try:
        return next(stream)
    except StopIteration:
        raise ValueError(f"The {what}generator ran out of data at step {step} of epoch "
                         f"{epoch + 1}, but {steps} steps per epoch were asked for. Make the "
                         "generator loop forever (`while True:`) or use a "
                         "`gkeras.utils.Sequence`.") from None


def _unpack_generator_item(item, for_predict=False):
    if isinstance(item, (tuple, list)) and len(item) in (2, 3) and (
            not for_predict or isinstance(item, tuple)):
        return (tuple(item) + (None,))[:3]
    if for_predict and not isinstance(item, tuple):
        return item, None, None
    text = repr(item)
    raise ValueError("Output of generator should be a tuple `(x, y, sample_weight)` or "
                     f"`(x, y)`. Found: {text[:200]}")


def _build_from_first(model, stream, for_predict=False):
    """A Sequential model built from data builds (and compiles) on the first batch."""
    if model.inputs and model.outputs and model.outputs[0] is not model.inputs[0]:
        return stream
    first = _next_batch(stream, 0, 0, 1)
    model._standardize_inputs(_unpack_generator_item(first, for_predict)[0])
    finish = getattr(model, '_finish_compile', None)
    if finish is not None:
        finish()
    return itertools.chain([first], stream)


def _generator_batch(model, item, class_weight, step, epoch, what):
    x, y, sample_weight = _unpack_generator_item(item)
    try:
        xs, ys, sws = model._prepare(x, y, sample_weight, class_weight)
    except ValueError as error:
        raise ValueError(f"Error in the {what}batch yielded by the generator at step {step} "
                         f"of epoch {epoch + 1}: {error}") from error
    size = xs[0].shape[0]
    if size == 0:
        raise ValueError(f"Received an empty {what}batch from the generator at step {step} "
                         f"of epoch {epoch + 1}. Batches should contain at least one item.")
    return xs, ys, sws, size


def _generator_batches(model, stream, steps, epoch, class_weight=None, what=''):
    """(device batch, size) pairs for `steps` items of the stream, standardized as they come.

    Args:
        what: '' or 'validation ', naming the stream in errors.
    """
    for step in range(steps):
        item = _next_batch(stream, step, epoch, steps, what)
        xs, ys, sws, size = _generator_batch(model, item, class_weight, step, epoch, what)
        yield model._device_batch_all(xs, ys, sws), size


def validation_from_source(model, source, steps, workers, max_queue_size, use_multiprocessing,
                           enqueuers):
    """validate(callback_list, epoch) over `steps` batches per call from a generator or
    Sequence; its enqueuer (if any) is added to `enqueuers` for the caller to stop."""
    steps = _generator_steps(source, steps, 'validation_steps')
    stream, enqueuer = data_utils.batch_stream(source, workers=workers,
                                               max_queue_size=max_queue_size,
                                               use_multiprocessing=use_multiprocessing)
    enqueuers.append(enqueuer)

    def validate(callback_list, epoch):
        return evaluate_batches(
            model, _generator_batches(model, stream, steps, epoch, what='validation '),
            callback_list)
    return validate


def fit_generator(model, generator, steps_per_epoch, epochs, verbose, callbacks,
                  validation_data, validation_steps, validation_freq, class_weight,
                  max_queue_size, workers, use_multiprocessing, shuffle, initial_epoch):
    """Model.fit_generator once its Keras 1 arguments are renamed; returns model.history."""
    model._require_compiled()
    steps_per_epoch = _generator_steps(generator, steps_per_epoch, 'steps_per_epoch')
    do_validation = is_batch_source(validation_data) or bool(validation_data)
    enqueuers = []
    try:
        stream, enqueuer = data_utils.batch_stream(
            generator, workers=workers, max_queue_size=max_queue_size,
            use_multiprocessing=use_multiprocessing, shuffle=shuffle)
        enqueuers.append(enqueuer)
        stream = _build_from_first(model, stream)
        validate, val_inputs = None, None
        last_size = [None]
        if do_validation and is_batch_source(validation_data):
            validate = validation_from_source(model, validation_data, validation_steps,
                                              workers, max_queue_size, use_multiprocessing,
                                              enqueuers)
        elif do_validation:
            validate, val_inputs = validation_from_arrays(
                model, prepare_validation_data(model, validation_data),
                lambda: last_size[0] or 32)
        labels = list(model.metrics_names)
        params = {'epochs': epochs, 'steps': steps_per_epoch, 'verbose': verbose,
                  'do_validation': do_validation,
                  'metrics': labels + ['val_' + name for name in labels]}
        callback_list = fit_callbacks(model, callbacks, verbose, 'steps', params)
        for callback in callback_list:
            callback.validation_data = val_inputs

        def epoch_batches(epoch):
            for batch, size in _generator_batches(model, stream, steps_per_epoch, epoch,
                                                  class_weight):
                last_size[0] = size
                yield batch, size
        return train_epochs(model, callback_list, epoch_batches, steps_per_epoch, epochs,
                            initial_epoch, validate, validation_freq)
    finally:
        stop_all(enqueuers)


def evaluate_generator(model, generator, steps, callbacks, max_queue_size, workers,
                       use_multiprocessing, verbose):
    """Loss and metrics (host floats) over `steps` batches of a generator or Sequence."""
    model._require_compiled()
    steps = _generator_steps(generator, steps, 'steps')
    stream, enqueuer = data_utils.batch_stream(generator, workers=workers,
                                               max_queue_size=max_queue_size,
                                               use_multiprocessing=use_multiprocessing)
    try:
        stream = _build_from_first(model, stream)
        callback_list = loop_callbacks(model, callbacks, steps, verbose, model.metrics_names)
        progress = progress_bar(steps, verbose, count_steps=True)
        return evaluate_batches(model, _generator_batches(model, stream, steps, 0),
                                callback_list, progress)
    finally:
        stop_all([enqueuer])


def predict_generator(model, generator, steps, callbacks, max_queue_size, workers,
                      use_multiprocessing, verbose):
    """The outputs for `steps` batches of a generator or Sequence, as NumPy arrays."""
    steps = _generator_steps(generator, steps, 'steps')
    stream, enqueuer = data_utils.batch_stream(generator, workers=workers,
                                               max_queue_size=max_queue_size,
                                               use_multiprocessing=use_multiprocessing)
    try:
        stream = _build_from_first(model, stream, for_predict=True)
        callback_list = loop_callbacks(model, callbacks, steps, verbose)
        progress = progress_bar(steps, verbose, count_steps=True)

        def batches():
            for step in range(steps):
                item = _next_batch(stream, step, 0, steps)
                x = _unpack_generator_item(item, for_predict=True)[0]
                try:
                    xs = model._standardize_inputs(x)
                except ValueError as error:
                    raise ValueError(f"Error in the batch yielded by the generator at step "
                                     f"{step}: {error}") from error
                yield model._device_batch(xs)
        return predict_batches(model, batches(), callback_list, progress)
    finally:
        stop_all([enqueuer])
