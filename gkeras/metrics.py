"""Keras 2 metric functions: `fn(y_true, y_pred)` -> one value per sample.

Accuracies follow tf.keras 2.x (per-sample values, ties in top-k counted as hits) and have no
gradient; every loss is also a metric under its loss names (the same function, differentiable),
except that the cosine metrics are the (positive) similarity, as tf.keras 2.x reports them.
"""
from . import backend as K
from . import losses
from .backend import autodiff as ad
from .backend import selection
from .registry import deserialize_function, get_keras_object, serialize_function
# The losses are metrics as they are (Keras 2 imports them into its metrics module): the
# training loop computes metrics without a tape, and a loss written with them (Keras 2.0's
# variational autoencoder: metrics.binary_crossentropy) gets its gradient.
from .losses import (binary_crossentropy, categorical_crossentropy, categorical_hinge, hinge,
                     kullback_leibler_divergence, logcosh, mean_absolute_error,
                     mean_absolute_percentage_error, mean_squared_error,
                     mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy,
                     squared_hinge)


def _xp():
    return selection.active().xp


def _arrays(y_true, y_pred):
    backend = selection.active()
    return backend.asarray(ad.raw(y_true)), backend.asarray(ad.raw(y_pred))


def _result(matches):
    return ad.Tensor(matches.astype(K.floatx()))


def accuracy(y_true, y_pred):
    """1 where y_pred equals y_true elementwise, else 0."""
    y_true, y_pred = _arrays(y_true, y_pred)
    return _result(y_true == y_pred.astype(y_true.dtype))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Mean over the last axis of (y_pred > threshold) == y_true."""
    y_true, y_pred = _arrays(y_true, y_pred)
    predicted = (y_pred > threshold).astype(y_pred.dtype)
    return ad.Tensor((y_true == predicted).astype(K.floatx()).mean(axis=-1))


def categorical_accuracy(y_true, y_pred):
    """1 where the argmax of y_pred is the argmax of the one-hot y_true."""
    y_true, y_pred = _arrays(y_true, y_pred)
    xp = _xp()
    return _result(xp.argmax(y_true, axis=-1) == xp.argmax(y_pred, axis=-1))


def _squeeze_labels(y_true, y_pred):
    """Integer labels of shape (..., 1) for predictions (..., classes) lose their last axis."""
    if y_true.ndim == y_pred.ndim:
        if y_true.shape[-1] != 1:
            raise ValueError(f"Sparse labels must have shape {y_pred.shape[:-1]} or "
                             f"{y_pred.shape[:-1] + (1,)}; received shape {y_true.shape}.")
        y_true = y_true.reshape(y_true.shape[:-1])
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where the argmax of y_pred is the integer label y_true."""
    y_true, y_pred = _arrays(y_true, y_pred)
    labels = _squeeze_labels(y_true, y_pred)
    predicted = _xp().argmax(y_pred, axis=-1).astype(labels.dtype)
    return _result(labels == predicted)


def _in_top_k(labels, y_pred, k):
    """tf.math.in_top_k: a label is a hit when fewer than k classes score strictly higher."""
    xp = _xp()
    labels = labels.astype('int64')
    label_score = xp.take_along_axis(y_pred, labels[..., None], axis=-1)
    higher = (y_pred > label_score).sum(axis=-1)
    return (higher < k) & xp.all(xp.isfinite(y_pred), axis=-1)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the class of the one-hot y_true is among the k highest scores of y_pred."""
    y_true, y_pred = _arrays(y_true, y_pred)
    return _result(_in_top_k(_xp().argmax(y_true, axis=-1), y_pred, k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label y_true is among the k highest scores of y_pred."""
    y_true, y_pred = _arrays(y_true, y_pred)
    return _result(_in_top_k(_squeeze_labels(y_true, y_pred), y_pred, k))


def cosine_proximity(y_true, y_pred, axis=-1):
    """Cosine similarity along `axis`, +1 for the same direction (tf.keras' metric sign)."""
    return -losses.cosine_proximity(y_true, y_pred, axis=axis)


acc = ACC = accuracy
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence = kullback_leibler_divergence
cosine = cosine_similarity = cosine_proximity
log_cosh = logcosh
bce = BCE = binary_crossentropy

_METRICS = {
    'accuracy': accuracy, 'acc': acc, 'ACC': ACC,
    'binary_accuracy': binary_accuracy, 'categorical_accuracy': categorical_accuracy,
    'sparse_categorical_accuracy': sparse_categorical_accuracy,
    'top_k_categorical_accuracy': top_k_categorical_accuracy,
    'sparse_top_k_categorical_accuracy': sparse_top_k_categorical_accuracy,
    'mean_squared_error': mean_squared_error, 'mse': mse, 'MSE': MSE,
    'mean_absolute_error': mean_absolute_error, 'mae': mae, 'MAE': MAE,
    'mean_absolute_percentage_error': mean_absolute_percentage_error, 'mape': mape, 'MAPE': MAPE,
    'mean_squared_logarithmic_error': mean_squared_logarithmic_error, 'msle': msle, 'MSLE': MSLE,
    'squared_hinge': squared_hinge, 'hinge': hinge, 'categorical_hinge': categorical_hinge,
    'logcosh': logcosh, 'log_cosh': log_cosh,
    'categorical_crossentropy': categorical_crossentropy,
    'sparse_categorical_crossentropy': sparse_categorical_crossentropy,
    'binary_crossentropy': binary_crossentropy, 'bce': bce, 'BCE': BCE,
    'kullback_leibler_divergence': kullback_leibler_divergence, 'kld': kld, 'KLD': KLD,
    'kl_divergence': kl_divergence,
    'poisson': poisson,
    'cosine_proximity': cosine_proximity, 'cosine': cosine, 'cosine_similarity': cosine_similarity,
}


def serialize(metric):
    """The name under which `metric` is saved in a training config."""
    return serialize_function(metric, 'metric')


def deserialize(name, custom_objects=None):
    """The metric function called `name` (custom_objects are searched first)."""
    return deserialize_function(name, _METRICS, custom_objects, 'metric function')


def get(identifier):
    """A metric from a name, a config dict or a callable."""
    return get_keras_object(identifier, deserialize, 'metric function')
