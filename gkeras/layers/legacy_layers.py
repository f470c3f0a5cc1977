"""Highway and MaxoutDense: Keras 1 layers that Keras 2.2 still ships (keras.legacy.layers),
deprecated, with their Keras 1 argument names, weight names and configs."""
import warnings

from .. import activations, constraints, initializers, regularizers
from .. import backend as K
from .base import InputSpec, Layer


class _LegacyDense(Layer):
    """What the two share: Keras 1's W/b arguments, initial `weights` and `input_dim`."""

    def __init__(self, name_in_warning, init, weights, W_regularizer, b_regularizer,
                 activity_regularizer, W_constraint, b_constraint, bias, input_dim, **kwargs):
        warnings.warn(f'The `{name_in_warning}` layer is deprecated and will be removed after '
                      '06/2017.', stacklevel=3)
        if input_dim:
            kwargs['input_shape'] = (input_dim,)
        super().__init__(weights=weights, **kwargs)
        self.init = initializers.get(init)
        self.W_regularizer = regularizers.get(W_regularizer)
        self.b_regularizer = regularizers.get(b_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.W_constraint = constraints.get(W_constraint)
        self.b_constraint = constraints.get(b_constraint)
        self.bias = bias
        self.input_dim = input_dim
        self.input_spec = InputSpec(ndim=2)

    def _config(self):
        return {'init': initializers.serialize(self.init),
                'W_regularizer': regularizers.serialize(self.W_regularizer),
                'b_regularizer': regularizers.serialize(self.b_regularizer),
                'activity_regularizer': regularizers.serialize(self.activity_regularizer),
                'W_constraint': constraints.serialize(self.W_constraint),
                'b_constraint': constraints.serialize(self.b_constraint),
                'bias': self.bias, 'input_dim': self.input_dim}


class Highway(_LegacyDense):
    """Densely connected highway layer (Srivastava et al., 2015): with T = sigmoid(x @ W_carry
    + b_carry), output = T * activation(x @ W + b) + (1 - T) * x. Weights W, W_carry, b, b_carry
    (b_carry starts at ones)."""

    def __init__(self, init='glorot_uniform', activation=None, weights=None, W_regularizer=None,
                 b_regularizer=None, activity_regularizer=None, W_constraint=None,
                 b_constraint=None, bias=True, input_dim=None, **kwargs):
        if 'transform_bias' in kwargs:
            kwargs.pop('transform_bias')
            warnings.warn('`transform_bias` argument is deprecated and has been removed.',
                          stacklevel=2)
        super().__init__('Highway', init, weights, W_regularizer, b_regularizer,
                         activity_regularizer, W_constraint, b_constraint, bias, input_dim,
                         **kwargs)
        self.activation = activations.get(activation)

    def build(self, input_shape):
        input_dim = input_shape[1]
        self.input_spec = InputSpec(ndim=2, axes={-1: input_dim})
        self.W = self.add_weight('W', (input_dim, input_dim), initializer=self.init,
                                 regularizer=self.W_regularizer, constraint=self.W_constraint)
        self.W_carry = self.add_weight('W_carry', (input_dim, input_dim), initializer=self.init)
        self.b = self.b_carry = None
        if self.bias:
            self.b = self.add_weight('b', (input_dim,), initializer='zeros',
                                     regularizer=self.b_regularizer,
                                     constraint=self.b_constraint)
            self.b_carry = self.add_weight('b_carry', (input_dim,), initializer='ones')
        self.built = True

    def call(self, x):
        carry = K.dot(x, self.W_carry)
        if self.bias:
            carry = carry + self.b_carry
        transform_weight = activations.sigmoid(carry)
        y = K.dot(x, self.W)
        if self.bias:
            y = y + self.b
        return self.activation(y) * transform_weight + (1 - transform_weight) * x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), 'activation': activations.serialize(self.activation),
                **self._config()}


class MaxoutDense(_LegacyDense):
    """Dense maxout layer (Goodfellow et al., 2013): the elementwise maximum of `nb_feature`
    linear layers, x @ W[k] + b[k]. Weights W (nb_feature, input_dim, output_dim) and b
    (nb_feature, output_dim)."""

    def __init__(self, output_dim, nb_feature=4, init='glorot_uniform', weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, bias=True, input_dim=None, **kwargs):
        super().__init__('MaxoutDense', init, weights, W_regularizer, b_regularizer,
                         activity_regularizer, W_constraint, b_constraint, bias, input_dim,
                         **kwargs)
        self.output_dim = output_dim
        self.nb_feature = nb_feature

    def build(self, input_shape):
        input_dim = input_shape[1]
        self.input_spec = InputSpec(ndim=2, axes={-1: input_dim})
        self.W = self.add_weight('W', (self.nb_feature, input_dim, self.output_dim),
                                 initializer=self.init, regularizer=self.W_regularizer,
                                 constraint=self.W_constraint)
        self.b = None
        if self.bias:
            self.b = self.add_weight('b', (self.nb_feature, self.output_dim),
                                     initializer='zeros', regularizer=self.b_regularizer,
                                     constraint=self.b_constraint)
        self.built = True

    def call(self, x):
        output = K.dot(x, self.W)  # (batch, nb_feature, output_dim)
        if self.bias:
            output = output + self.b
        return K.max(output, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        return {**super().get_config(), 'output_dim': self.output_dim,
                'nb_feature': self.nb_feature, **self._config()}
