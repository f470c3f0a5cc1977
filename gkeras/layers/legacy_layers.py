"""Highway, MaxoutDense and Recurrent: Keras 1 layers that Keras 2.2 still ships
(keras.legacy.layers), with their Keras 1 argument names, weight names and configs."""
import warnings

import numpy as np

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


class Recurrent(Layer):
    """Keras 1's abstract recurrent layer, which Keras 2.2 still ships (keras.legacy.layers) for
    custom RNN layers written against it. A subclass sets `units` and `states` (a list with one
    entry per state, None until the layer is stateful) and implements `step(inputs, states)`
    -> (output, new states); it may override `get_initial_state(inputs)`,
    `get_constants(inputs, training)` (extra tensors appended to the states each step) and
    `preprocess_input(inputs, training)`. The loop is K.rnn over the time axis. Initial states
    come as the extra inputs of a list `[x, state, ...]` or as `initial_state=`; a stateful
    layer keeps its states in `states` between calls (`reset_states()` zeroes or sets them; its
    batch size is input_spec[0].shape[0], which the subclass's build sets, as in Keras).
    """

    def __init__(self, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, implementation=0, **kwargs):
        super().__init__(**kwargs)
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.implementation = implementation
        self.supports_masking = True
        self.input_spec = [InputSpec(ndim=3)]
        self.state_spec = None
        self.dropout = 0
        self.recurrent_dropout = 0

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        if self.return_sequences:
            output_shape = (input_shape[0], input_shape[1], self.units)
        else:
            output_shape = (input_shape[0], self.units)
        if self.return_state:
            return [output_shape] + [(input_shape[0], self.units) for _ in self.states]
        return output_shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.states]
        return output_mask

    def step(self, inputs, states):
        raise NotImplementedError(f"{type(self).__name__}: a Recurrent layer implements "
                                  "step(inputs, states) -> (output, new_states).")

    def get_constants(self, inputs, training=None):
        return []

    def get_initial_state(self, inputs):
        """Zeros of shape (batch, units), one per state."""
        state = K.tile(K.expand_dims(K.sum(K.zeros_like(inputs), axis=(1, 2))),
                       [1, self.units])
        return [state for _ in self.states]

    def preprocess_input(self, inputs, training=None):
        return inputs

    def __call__(self, inputs, initial_state=None, **kwargs):
        if isinstance(inputs, (list, tuple)) and len(inputs) > 1 and initial_state is None:
            initial_state, inputs = list(inputs[1:]), inputs[0]
        if initial_state is None:
            return super().__call__(inputs, **kwargs)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
            else [initial_state]
        return super().__call__([inputs] + states, **kwargs)

    def _check_input_spec(self, shapes):
        # the sequence is checked; initial states, when given, come after it as extra inputs
        super()._check_input_spec(shapes[:1])

    def call(self, inputs, mask=None, training=None, initial_state=None):
        if isinstance(inputs, list):
            initial_state, inputs = inputs[1:], inputs[0]
        elif initial_state is None:
            initial_state = self.states if self.stateful else self.get_initial_state(inputs)
        if isinstance(mask, list):
            mask = mask[0]
        if len(initial_state) != len(self.states):
            raise ValueError(f"Layer {self.name!r} has {len(self.states)} states but was passed "
                             f"{len(initial_state)} initial states.")
        timesteps = K.int_shape(inputs)[1]
        constants = self.get_constants(inputs, training=None)
        preprocessed = self.preprocess_input(inputs, training=None)
        last_output, outputs, states = K.rnn(self.step, preprocessed, initial_state,
                                             go_backwards=self.go_backwards, mask=mask,
                                             constants=constants, unroll=self.unroll,
                                             input_length=timesteps)
        if self.stateful:
            for variable, value in zip(self.states, states):
                K.set_value(variable, K.get_value(value))
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return [output] + list(states)
        return output

    def reset_states(self, states=None):
        """Zero the states of a stateful layer (creating them on first use), or set them to
        `states`, arrays of shape (batch, units)."""
        if not self.stateful:
            raise AttributeError('Layer must be stateful.')
        spec = self.input_spec[0] if isinstance(self.input_spec, list) else self.input_spec
        batch_size = spec.shape[0] if spec is not None and spec.shape else None
        if not batch_size:
            raise ValueError(f"Layer {self.name!r}: a stateful RNN needs to know its batch size; "
                             "give the first layer a `batch_input_shape` (or `batch_size`).")
        if self.states[0] is None:
            self.states = [K.zeros((batch_size, self.units)) for _ in self.states]
        elif states is None:
            for state in self.states:
                K.set_value(state, np.zeros((batch_size, self.units)))
        else:
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            if len(states) != len(self.states):
                raise ValueError(f"Layer {self.name!r} expects {len(self.states)} states, but it "
                                 f"received {len(states)} state values.")
            for index, (value, state) in enumerate(zip(states, self.states)):
                if np.shape(value) != (batch_size, self.units):
                    raise ValueError(f"State {index} is incompatible with layer {self.name!r}: "
                                     f"expected shape={(batch_size, self.units)}, found "
                                     f"shape={np.shape(value)}")
                K.set_value(state, value)

    def get_config(self):
        return {**super().get_config(), 'return_sequences': self.return_sequences,
                'return_state': self.return_state, 'go_backwards': self.go_backwards,
                'stateful': self.stateful, 'unroll': self.unroll,
                'implementation': self.implementation}
