"""Keras 2 loss functions: `fn(y_true, y_pred)` -> one value per sample (the last axis reduced).

The numbers are tf.keras 2.x's: cross-entropies use the logits behind a softmax/sigmoid output,
hinge losses map 0/1 labels to -1/1, probabilities are clipped with K.epsilon().
"""
import functools
import math

from . import backend as K
from .backend import autodiff as ad
from .backend import selection
from .backend.symbolic import symbolic_aware
from .registry import deserialize_function, get_keras_object, serialize_function


def _as_tensor(x):
    """A Tensor as is; an array keeps its dtype; Python numbers and lists become floatx."""
    if isinstance(x, ad.Tensor):
        return x
    return ad.as_tensor(x, None if hasattr(x, 'dtype') else K.floatx())


def _prepare(y_true, y_pred):
    """y_pred as a Tensor and y_true cast to its dtype, as tf.keras' losses begin."""
    y_pred = _as_tensor(y_pred)
    return K.cast(y_true, y_pred.dtype), y_pred


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    return K.mean(K.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    return K.mean(K.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    diff = K.abs((y_true - y_pred) / K.maximum(K.abs(y_true), K.epsilon()))
    return 100. * K.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    first_log = K.log(K.maximum(y_pred, K.epsilon()) + 1.)
    second_log = K.log(K.maximum(y_true, K.epsilon()) + 1.)
    return K.mean(K.square(first_log - second_log), axis=-1)


def _plus_minus_one(y_true):
    """0/1 labels become -1/1 (when every label is 0 or 1); decided on the device, no sync."""
    xp = selection.active().xp
    labels = ad.raw(y_true)
    binary = xp.all((labels == 0) | (labels == 1))
    return ad.Tensor(xp.where(binary, 2 * labels - 1, labels))


def squared_hinge(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _plus_minus_one(y_true)
    return K.mean(K.square(K.maximum(1. - y_true * y_pred, 0.)), axis=-1)


def hinge(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _plus_minus_one(y_true)
    return K.mean(K.maximum(1. - y_true * y_pred, 0.), axis=-1)


def categorical_hinge(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = K.sum(y_true * y_pred, axis=-1)
    neg = K.max((1. - y_true) * y_pred, axis=-1)
    return K.maximum(neg - pos + 1., 0.)


def logcosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true))), as x + softplus(-2x) - log(2) so cosh cannot overflow."""
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    return K.mean(x + K.softplus(-2. * x) - math.log(2.), axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0., axis=-1):
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        # tf.keras spreads the smoothing over the last axis whatever `axis` is.
        y_true = y_true * (1. - label_smoothing) + label_smoothing / y_true.shape[-1]
    return K.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    return K.sparse_categorical_crossentropy(y_true, _as_tensor(y_pred), from_logits=from_logits,
                                             axis=axis)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0., axis=-1):
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1. - label_smoothing) + 0.5 * label_smoothing
    return K.mean(K.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def kullback_leibler_divergence(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = K.clip(y_true, K.epsilon(), 1)
    y_pred = K.clip(y_pred, K.epsilon(), 1)
    return K.sum(y_true * K.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    return K.mean(y_pred - y_true * K.log(y_pred + K.epsilon()), axis=-1)


def cosine_proximity(y_true, y_pred, axis=-1):
    """Minus the cosine similarity of y_true and y_pred along `axis` (-1: same direction)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = K.l2_normalize(y_true, axis=axis)
    y_pred = K.l2_normalize(y_pred, axis=axis)
    return -K.sum(y_true * y_pred, axis=axis)


# Loss functions also take a model's symbolic tensors (`mse(inputs, outputs)`, for add_loss).
for _name in ('mean_squared_error', 'mean_absolute_error', 'mean_absolute_percentage_error',
              'mean_squared_logarithmic_error', 'squared_hinge', 'hinge', 'categorical_hinge',
              'logcosh', 'categorical_crossentropy', 'sparse_categorical_crossentropy',
              'binary_crossentropy', 'kullback_leibler_divergence', 'poisson', 'cosine_proximity'):
    globals()[_name] = symbolic_aware(globals()[_name])
del _name

# Aliases, as Keras 2 and tf.keras 2.x spell them.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence = kullback_leibler_divergence
cosine = cosine_similarity = cosine_proximity
log_cosh = logcosh
bce = BCE = binary_crossentropy

_LOSSES = {
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

# tf.keras 2.x loss classes, as they appear in saved training configs.
_LOSS_CLASSES = {
    'MeanSquaredError': mean_squared_error, 'MeanAbsoluteError': mean_absolute_error,
    'MeanAbsolutePercentageError': mean_absolute_percentage_error,
    'MeanSquaredLogarithmicError': mean_squared_logarithmic_error,
    'SquaredHinge': squared_hinge, 'Hinge': hinge, 'CategoricalHinge': categorical_hinge,
    'LogCosh': logcosh, 'CategoricalCrossentropy': categorical_crossentropy,
    'SparseCategoricalCrossentropy': sparse_categorical_crossentropy,
    'BinaryCrossentropy': binary_crossentropy, 'KLDivergence': kullback_leibler_divergence,
    'Poisson': poisson, 'CosineSimilarity': cosine_proximity,
}
# Config keys of those classes that change nothing per sample.
_NEUTRAL_CLASS_KEYS = ('name', 'reduction', 'fn')


def serialize(loss):
    """The name under which `loss` is saved in a training config."""
    return serialize_function(loss, 'loss')


def _from_class_config(class_name, config):
    fn = _LOSS_CLASSES[class_name]
    arguments = {k: v for k, v in (config or {}).items() if k not in _NEUTRAL_CLASS_KEYS}
    if not arguments:
        return fn
    # A partial with the function's own name, so it serializes and reports like the plain function.
    bound = functools.partial(fn, **arguments)
    bound.__name__ = fn.__name__
    return bound


def deserialize(name, custom_objects=None):
    """The loss called `name`, or the one a tf.keras loss-class config names."""
    if isinstance(name, dict):
        class_name = name.get('class_name')
        if custom_objects and class_name in custom_objects:
            return custom_objects[class_name]
        if class_name in _LOSS_CLASSES:
            return _from_class_config(class_name, name.get('config'))
    return deserialize_function(name, _LOSSES, custom_objects, 'loss function')


def get(identifier):
    """A loss from None (None), a name, a config dict or a callable."""
    if identifier is None:
        return None
    return get_keras_object(identifier, deserialize, 'loss function')
