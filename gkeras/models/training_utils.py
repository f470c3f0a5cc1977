"""Pure helpers of the training engine: compile's per-output arguments, data standardization
(inputs, targets, sample and class weights), loss and metric reduction, batch sizes and orders.

Nothing here holds a model: each function takes the names, shapes and losses it needs.
"""
import warnings

import numpy as np

from .. import backend as K
from .. import callbacks as callbacks_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from ..backend import autodiff as ad
from ..layers.base import _to_list

_ACCURACY = ('accuracy', 'acc')
_CROSSENTROPY = ('crossentropy', 'ce')


def fn_name(fn):
    """The name of a loss or metric function (or callable object)."""
    return getattr(fn, 'name', None) or getattr(fn, '__name__', None) or type(fn).__name__


def one_or_list(values):
    """The only element of a one-element list, else the list (Keras's return convention)."""
    return values[0] if len(values) == 1 else values


# ---------------------------------------------------------------------------------------------
# compile arguments, one entry per output

def losses_per_output(loss, names):
    """One loss function (or None: no loss, no target data) per output.

    Args:
        loss: a name or function for every output, or a list / dict (by output name); an
            output missing from a dict gets None, with a warning.
    """
    if isinstance(loss, dict):
        unknown = [key for key in loss if key not in names]
        if unknown:
            raise ValueError(f"Unknown entry in loss dictionary: {unknown[0]!r}. Only "
                             f"expected the following keys: {names}")
        for name in names:
            if name not in loss:
                warnings.warn(f'Output "{name}" missing from loss dictionary. We assume this '
                              'was done on purpose, and we will not be expecting any data '
                              f'to be passed to "{name}" during training.', stacklevel=3)
        values = [loss.get(name) for name in names]
    elif isinstance(loss, (list, tuple)):
        if len(loss) != len(names):
            raise ValueError(f"When passing a list as loss, it should have one entry per "
                             f"model outputs. The model has {len(names)} outputs, but you "
                             f"passed loss={loss!r}")
        values = list(loss)
    else:
        values = [loss] * len(names)
    return [losses_module.get(v) if v is not None else None for v in values]


def may_add_losses(layer):
    """Whether `layer`, or a layer of it, is a user's layer with a method that calls add_loss:
    it adds its losses when it runs, so its model may compile without a loss before then."""
    for cls in type(layer).__mro__:
        if cls.__module__.startswith('gkeras.'):
            continue
        for value in vars(cls).values():
            code = getattr(value, '__code__', None)
            if code is not None and 'add_loss' in code.co_names:
                return True
    return any(may_add_losses(inner) for inner in getattr(layer, 'layers', []))


def loss_weights_per_output(loss_weights, names):
    """One float per output from None (all 1), a list or a dict by output name (missing: 1)."""
    if loss_weights is None:
        return [1.] * len(names)
    if isinstance(loss_weights, dict):
        unknown = [key for key in loss_weights if key not in names]
        if unknown:
            raise ValueError(f"Unknown entry in loss_weights dictionary: {unknown[0]!r}. "
                             f"Only expected the following keys: {names}")
        return [float(loss_weights.get(name, 1.)) for name in names]
    if isinstance(loss_weights, (list, tuple)):
        if len(loss_weights) != len(names):
            raise ValueError(f"When passing a list as loss_weights, it should have one entry "
                             f"per model output. The model has {len(names)} outputs, but "
                             f"you passed loss_weights={list(loss_weights)!r}")
        return [float(w) for w in loss_weights]
    raise TypeError(f"Could not interpret loss_weights argument: {loss_weights!r} - "
                    "expected a list of dicts.")


def sample_weight_modes_per_output(mode, names, fed_outputs, output_shapes):
    """None or 'temporal' per output (None for outputs without a loss).

    Args:
        fed_outputs: indices of the outputs that have a loss (a dict must name each of them).
        output_shapes: the outputs' Keras shapes ('temporal' needs a time dimension).
    """
    if isinstance(mode, dict):
        unknown = [key for key in mode if key not in names]
        if unknown:
            raise ValueError(f"Unknown entry in sample_weight_mode dictionary: "
                             f"{unknown[0]!r}. Only expected the following keys: {names}")
        for i in fed_outputs:
            if names[i] not in mode:
                raise ValueError(f'Output "{names[i]}" missing from sample_weight_modes '
                                 'dictionary')
        modes = [mode.get(name) for name in names]
    elif isinstance(mode, (list, tuple)):
        if len(mode) != len(names):
            raise ValueError(f"When passing a list as sample_weight_mode, it should have one "
                             f"entry per model output. The model has {len(names)} outputs, "
                             f"but you passed sample_weight_mode={list(mode)!r}")
        modes = list(mode)
    else:
        modes = [mode] * len(names)
    for i, value in enumerate(modes):
        if value not in (None, 'temporal'):
            raise ValueError(f"sample_weight_mode should be None or 'temporal'. Found: "
                             f"{value!r}")
        if value == 'temporal' and i in fed_outputs and len(output_shapes[i]) < 3:
            raise ValueError(f"sample_weight_mode='temporal' is restricted to outputs that "
                             f"are at least 3D, i.e. that have a time dimension; output "
                             f"{names[i]!r} has shape {output_shapes[i]}.")
    return [value if i in fed_outputs else None for i, value in enumerate(modes)]


def metrics_per_output(metrics, names, what):
    """One list of metrics per output (Keras 2.2's collect_metrics, plus lists of lists).

    Args:
        what: the argument's name for errors ('metrics' or 'weighted_metrics').
    """
    if not metrics:
        return [[] for _ in names]
    if isinstance(metrics, dict):
        unknown = [key for key in metrics if key not in names]
        if unknown:
            raise ValueError(f"Invalid layer name for {what}: {unknown}. Available names "
                             f"are {names}.")
        return [_to_list(metrics.get(name, [])) for name in names]
    if isinstance(metrics, (list, tuple)):
        if metrics and all(isinstance(m, (list, tuple)) for m in metrics):
            if len(metrics) != len(names):
                raise ValueError(f"When passing a list of lists as {what}, it should have "
                                 f"one entry per model output; the model has {len(names)} "
                                 f"outputs, but received {len(metrics)} lists.")
            return [list(m) for m in metrics]
        return [list(metrics) for _ in names]
    if isinstance(metrics, str) or callable(metrics):
        return [[metrics] for _ in names]
    raise TypeError(f"Type of `{what}` argument not understood. Expected a list or "
                    f"dictionary, found: {metrics!r}")


def metric_function(metric, output_shape, loss_name):
    """The function of a metric; 'acc'/'accuracy' and 'ce'/'crossentropy' pick the binary,
    categorical or sparse variant from the output shape and the loss, as Keras 2 does."""
    if isinstance(metric, str) and metric in _ACCURACY + _CROSSENTROPY:
        if output_shape[-1] == 1 or loss_name == 'binary_crossentropy':
            kind = 'binary'
        elif loss_name == 'sparse_categorical_crossentropy':
            kind = 'sparse_categorical'
        else:
            kind = 'categorical'
        suffix = 'accuracy' if metric in _ACCURACY else 'crossentropy'
        return metrics_module.get(f'{kind}_{suffix}')
    return metrics_module.get(metric)


# ---------------------------------------------------------------------------------------------
# data standardization

def _to_host(array):
    return array.get() if hasattr(array, 'get') and not isinstance(array, np.ndarray) else array


def as_array_list(data, names, what):
    """One array per name from a single array, a list of arrays or a dict by name.

    Args:
        what: 'input' or 'target', for errors.
    """
    if data is None:
        raise ValueError(f"No {what} data was given; the model expects data for "
                         f"{names}.")
    if isinstance(data, dict):
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(f"No data provided for {missing[0]!r}. Need data for each key in: "
                             f"{names}")
        arrays = [data[name] for name in names]
    elif isinstance(data, (list, tuple)) and data and hasattr(data[0], 'shape') and \
            not np.isscalar(data[0]):
        if len(data) != len(names):
            raise ValueError(
                f"Error when checking model {what}: the list of arrays that you are passing to "
                f"your model is not the size the model expected. Expected to see {len(names)} "
                f"array(s), but instead got a list of {len(data)} arrays with shapes "
                f"{[tuple(a.shape) for a in data]}")
        arrays = list(data)
    else:
        if len(names) != 1:
            raise ValueError(f"Error when checking model {what}: the model expects "
                             f"{len(names)} arrays ({names}), but received a single array.")
        arrays = [data]
    out = []
    for array in arrays:
        if not hasattr(array, 'shape') or not hasattr(array, 'dtype'):
            array = np.asarray(array)
        if array.dtype == object:
            raise ValueError(f"Error when checking {what}: could not convert the data to a "
                             "numeric array (ragged lists?).")
        out.append(array)
    return out


def check_shape(array, expected, name, what):
    """The array (1-D made a column where 2-D is expected) if it fits the Keras shape, batch
    axis aside (Keras 2.2's check_batch_axis=False: a model with a fixed batch size takes
    arrays of any length, in batches of that size)."""
    if array.ndim == 1 and len(expected) == 2:
        array = array.reshape(array.shape + (1,))
    if array.ndim != len(expected):
        raise ValueError(f"Error when checking {what}: expected {name} to have {len(expected)} "
                         f"dimensions, but got array with shape {tuple(array.shape)}")
    for want, got in zip(expected[1:], array.shape[1:]):
        if want is not None and want != got:
            raise ValueError(f"Error when checking {what}: expected {name} to have shape "
                             f"{tuple(expected[1:])} but got array with shape "
                             f"{tuple(array.shape[1:])}")
    return array


def cast_array(array, dtype):
    """The array in `dtype` when that is a float type or the array is numeric, else as is."""
    if dtype is None or array.dtype == np.dtype(dtype):
        return array
    if np.dtype(dtype).kind == 'f' or array.dtype.kind in 'biuf':
        return array.astype(dtype)
    return array


def standardize_target(array, shape, name, loss_name):
    """A target array checked against its output's Keras shape and loss (sparse categorical
    targets are class indices, kept in their dtype; others are cast to floatx)."""
    if loss_name == 'sparse_categorical_crossentropy':
        if array.ndim == len(shape):
            return check_shape(array, shape[:-1] + (1,), name, 'target')
        if array.ndim != len(shape) - 1:
            raise ValueError(f"Error when checking target: expected {name} to have "
                             f"{len(shape) - 1} or {len(shape)} dimensions (integer class "
                             f"indices), but got array with shape {tuple(array.shape)}")
        return array
    if loss_name == 'categorical_crossentropy' and array.shape[-1] == 1 and shape[-1] != 1:
        raise ValueError(
            f"You are passing a target array of shape {tuple(array.shape)} while using as "
            "loss `categorical_crossentropy`. `categorical_crossentropy` expects targets "
            "to be binary matrices (1s and 0s) of shape (samples, classes). If your "
            "targets are integer classes, you can convert them to the expected format "
            "via `from gkeras.utils import to_categorical; y_binary = "
            "to_categorical(y_int)`, or use the loss `sparse_categorical_crossentropy` "
            "instead.")
    return cast_array(check_shape(array, shape, name, 'target'), K.floatx())


def check_array_lengths(xs, ys):
    """Raise unless every input and target array has the same number of samples."""
    x_lengths = {a.shape[0] for a in xs}
    y_lengths = {a.shape[0] for a in ys}
    if len(x_lengths) > 1:
        raise ValueError(f"All input arrays (x) should have the same number of samples. Got "
                         f"array shapes: {[tuple(a.shape) for a in xs]}")
    if len(y_lengths) > 1:
        raise ValueError(f"All target arrays (y) should have the same number of samples. Got "
                         f"array shapes: {[tuple(a.shape) for a in ys]}")
    if y_lengths and x_lengths != y_lengths:
        raise ValueError(f"Input arrays should have the same number of samples as target "
                         f"arrays. Found {x_lengths.pop()} input samples and "
                         f"{y_lengths.pop()} target samples.")


def _weight_arg_per_output(value, names, what):
    """Keras 2.2's standardize_sample_or_class_weights: one entry (or None) per output."""
    if value is None or (isinstance(value, (dict, list, tuple)) and len(value) == 0):
        return [None] * len(names)
    if len(names) == 1:
        if isinstance(value, (list, tuple)) and len(value) == 1 and (
                what == 'class_weight' or hasattr(value[0], 'shape')):
            return list(value)
        if isinstance(value, dict) and names[0] in value:
            return [value[names[0]]]
        return [value]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"Provided `{what}` was a list of {len(value)} elements, but the "
                             f"model has {len(names)} outputs. You should provide one `{what}` "
                             "array per model output.")
        return list(value)
    if isinstance(value, dict):
        if not set(value) & set(names):
            raise ValueError(f"The model has multiple outputs {names}, so `{what}` should be a "
                             f"list or a dict keyed by output name; received a dict with keys "
                             f"{sorted(value, key=str)}.")
        unknown = [key for key in value if key not in names]
        if unknown:
            raise ValueError(f"Unknown entries in `{what}` dictionary: {unknown}. Only expected "
                             f"the following keys: {names}")
        return [value.get(name) for name in names]
    raise TypeError(f"The model has multiple outputs, so `{what}` should be either a list or a "
                    f"dict. Provided `{what}` type not understood: {value!r}")


def _check_sample_weight(sample_weight, y, name, mode):
    sw = np.asarray(_to_host(sample_weight), dtype=K.floatx())
    if mode == 'temporal':
        if sw.ndim != 2:
            raise ValueError(f"Found a sample_weight array with shape {sw.shape} for output "
                             f"{name!r}. In order to use timestep-wise sample weighting, you "
                             "should pass a 2D sample_weight array.")
    elif sw.ndim != 1:
        raise ValueError(f"Found a sample_weight array with shape {sw.shape} for output "
                         f"{name!r}. In order to use timestep-wise sample weights, you should "
                         "specify sample_weight_mode=\"temporal\" in compile(). If you just mean "
                         "to use sample-wise weights, make sure your sample_weight array is 1D.")
    if tuple(y.shape[:sw.ndim]) != sw.shape:
        raise ValueError(f"Found a sample_weight array with shape {sw.shape} for an input with "
                         f"shape {tuple(y.shape)} (output {name!r}). sample_weight cannot be "
                         "broadcast.")
    return sw


def _class_weights_to_sample_weights(class_weight, y, name):
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight for output {name!r} must be a dict mapping class indices "
                        f"to weights; received {class_weight!r}.")
    y_host = np.asarray(_to_host(y))
    if y_host.ndim > 2:
        raise ValueError(f"`class_weight` not supported for 3+ dimensional targets (output "
                         f"{name!r}, target shape {y_host.shape}).")
    if y_host.ndim == 2 and y_host.shape[1] > 1:
        classes = y_host.argmax(axis=1)
    elif y_host.ndim == 2:
        classes = y_host[:, 0]
    else:
        classes = y_host
    if not np.all(np.equal(np.mod(classes, 1), 0)):
        raise ValueError(f"class_weight needs class labels, but the targets of output {name!r} "
                         f"are not integer classes (a regression?), e.g. {classes[:3].tolist()}. "
                         "Use sample_weight to weight a regression.")
    classes = classes.astype('int64')
    lookup = {int(k): float(v) for k, v in class_weight.items()}
    missing = sorted(set(np.unique(classes).tolist()) - set(lookup))
    if missing:
        raise ValueError(f"`class_weight` must contain all classes in the data. The classes "
                         f"{set(missing)} exist in the data but not in `class_weight`.")
    return np.asarray([lookup[c] for c in classes.tolist()], dtype=K.floatx())


def standardize_sample_weights(sample_weight, class_weight, ys, names, modes):
    """One weight array (or None) per target: sample_weight times the class weights of the
    targets (tf.keras multiplies the two).

    Args:
        names, modes: the output name and sample_weight_mode of each target.
    """
    sample_weights = _weight_arg_per_output(sample_weight, names, 'sample_weight')
    return apply_class_weights(
        [None if sw is None else _check_sample_weight(sw, y, name, mode)
         for y, sw, name, mode in zip(ys, sample_weights, names, modes)],
        class_weight, ys, names)


def apply_class_weights(sample_weights, class_weight, ys, names):
    """The checked sample weights (one array or None per target) times the class weights of
    the targets' samples."""
    class_weights = _weight_arg_per_output(class_weight, names, 'class_weight')
    weights = []
    for y, sw, cw, name in zip(ys, sample_weights, class_weights, names):
        if cw is not None:
            cw = _class_weights_to_sample_weights(cw, y, name)
            sw = cw if sw is None else sw * (cw if sw.ndim == 1 else cw[:, None])
        weights.append(sw)
    return weights


# ---------------------------------------------------------------------------------------------
# loss and metric reduction

def _float_mask(mask, like):
    return ad.Tensor(ad.raw(mask).astype(ad.raw(like).dtype))


def _reduce_to(per_sample, ndim):
    if per_sample.ndim > ndim:
        per_sample = K.mean(per_sample, axis=list(range(ndim, per_sample.ndim)))
    return per_sample


def _expand_to(weights, ndim):
    while weights.ndim < ndim:
        weights = K.expand_dims(weights, -1)
    return weights


def reduce_loss(per_sample, weights, mask):
    """A loss's batch value as tf.keras computes it: sum(loss * weight) / number of entries,
    or sum(loss * weight * mask) / sum(mask) for a masked output."""
    if mask is not None:
        mask = _float_mask(mask, per_sample)
        per_sample = _reduce_to(per_sample, mask.ndim)
        weight = mask if weights is None else _expand_to(weights, mask.ndim) * mask
        return K.sum(per_sample * weight) / K.maximum(K.sum(mask), 1.)
    if weights is None:
        return K.mean(per_sample)
    per_sample = _reduce_to(per_sample, weights.ndim)
    return K.mean(per_sample * _expand_to(weights, per_sample.ndim))


def _expand_raw(array, ndim):
    return array.reshape(array.shape + (1,) * (ndim - array.ndim))


def weighted_sums(per_sample, weights, mask):
    """(sum of value * weight, sum of weight) with the weights broadcast to the values."""
    xp = K.active().xp
    values = ad.raw(per_sample)
    weight = None if weights is None else weights.data
    if mask is not None:
        mask = ad.raw(mask).astype(values.dtype)
        weight = mask if weight is None else _expand_raw(weight, mask.ndim) * mask
    if weight is None:
        return values.sum(), xp.asarray(values.size, dtype=values.dtype)
    if values.ndim > weight.ndim:
        values = values.mean(axis=tuple(range(weight.ndim, values.ndim)))
    elif values.ndim < weight.ndim:
        values = xp.broadcast_to(_expand_raw(values, weight.ndim), weight.shape)
    weight = xp.broadcast_to(_expand_raw(weight, values.ndim), values.shape).astype(values.dtype)
    return (values * weight).sum(), weight.sum()


def ratio(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (tf.math.divide_no_nan)."""
    xp = K.active().xp
    empty = denominator == 0
    return xp.where(empty, 0., numerator / xp.where(empty, 1., denominator)).astype(
        numerator.dtype)


def batch_values(values):
    """A step's device values with each (weighted sum, weight sum) pair made its ratio."""
    return [ratio(*v) if isinstance(v, tuple) else v for v in values]


def scalars(values):
    """Device scalars as float32 host numbers: one alone, or a list."""
    return one_or_list([np.float32(v) for v in callbacks_module.host_floats(values)])


# ---------------------------------------------------------------------------------------------
# batch sizes and orders

def check_positive_steps(name, steps):
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, (int, np.integer))
                              or steps < 1):
        raise ValueError(f"`{name}` must be a positive integer or None; received "
                         f"{name}={steps!r}.")


def fit_batch_size(batch_size, steps_per_epoch, samples):
    """fit's batch size: ceil(samples / steps_per_epoch) when steps are given, default 32."""
    check_positive_steps('steps_per_epoch', steps_per_epoch)
    if steps_per_epoch is not None:
        batch_size = int(np.ceil(samples / steps_per_epoch))
    return batch_size or 32


def batch_size_for_steps(batch_size, steps, samples):
    """evaluate's and predict's batch size: at least 1 per step when steps are given."""
    if batch_size is not None and steps is not None:
        raise ValueError("If `steps` is set, the `batch_size` must be None.")
    check_positive_steps('steps', steps)
    if steps is not None:
        return max(1, int(np.ceil(samples / steps)))
    return batch_size or 32


def epoch_order(samples, batch_size, shuffle):
    """Sample indices for one epoch (None: in order); shuffle='batch' shuffles whole batches."""
    if shuffle == 'batch':
        batches = np.arange(int(np.ceil(samples / batch_size)))
        np.random.shuffle(batches)
        return np.concatenate([np.arange(b * batch_size, min((b + 1) * batch_size, samples))
                               for b in batches])
    if shuffle:
        return np.random.permutation(samples)
    return None


def should_validate(validation_freq, epoch):
    """Whether to validate after `epoch` (0-based): every validation_freq epochs, or at the
    1-based epochs listed."""
    if isinstance(validation_freq, int):
        if validation_freq < 1:
            raise ValueError(f"`validation_freq` can not be less than 1. Received: "
                             f"validation_freq={validation_freq}")
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)):
        return epoch + 1 in validation_freq
    raise ValueError(f"`validation_freq` must be an int or a collection of epochs. Received: "
                     f"validation_freq={validation_freq!r}")
