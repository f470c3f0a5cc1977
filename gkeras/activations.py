"""Keras 2 activation functions: thin, differentiable wrappers on the backend `K` functions."""
from . import backend as K
from .registry import deserialize_function, get_keras_object, serialize_function


def relu(x, alpha=0., max_value=None, threshold=0.):
    """x above `threshold` (0 below it), capped at `max_value`, minus alpha * relu(threshold - x)."""
    return K.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def elu(x, alpha=1.0):
    return K.elu(x, alpha)


def selu(x):
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017)."""
    return K.selu(x)


def softmax(x, axis=-1):
    """Softmax over `axis` (an int or a tuple of ints); a 1-D input is rejected, as in tf.keras."""
    return K.softmax(x, axis=axis)


def softplus(x):
    return K.softplus(x)


def softsign(x):
    return K.softsign(x)


def tanh(x):
    return K.tanh(x)


def sigmoid(x):
    return K.sigmoid(x)


def hard_sigmoid(x):
    """0 below -2.5, 1 above 2.5, `0.2 * x + 0.5` in between."""
    return K.hard_sigmoid(x)


def exponential(x):
    return K.exp(x)


def linear(x):
    return x


_ACTIVATIONS = {fn.__name__: fn for fn in (
    relu, elu, selu, softmax, softplus, softsign, tanh, sigmoid, hard_sigmoid, exponential, linear)}


def serialize(activation):
    """The name under which `activation` is saved in a layer config."""
    return serialize_function(activation, 'activation')


def deserialize(name, custom_objects=None):
    """The activation function called `name` (custom_objects are searched first)."""
    return deserialize_function(name, _ACTIVATIONS, custom_objects, 'activation function')


def get(identifier):
    """An activation from None (linear), a name, a config dict or a callable."""
    if identifier is None:
        return linear
    return get_keras_object(identifier, deserialize, 'activation function')
