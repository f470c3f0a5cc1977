"""Recurrent layers: the RNN base class, its cells (SimpleRNNCell, GRUCell, LSTMCell,
StackedRNNCells) and the SimpleRNN, GRU and LSTM layers, with Keras 2.2's arguments and weights.

Two paths compute the same numbers. A cell's `call` is Keras' per-step formula written with K
functions (used by K.rnn for cells the fast path does not cover: user cells, activations the
fused kernels do not know, recurrent dropout while training, constants). The fast path, taken by
the built-in cells otherwise, projects the inputs of all time steps with one GEMM and loops one
fused step primitive per time step (gkeras/backend/recurrent_ops.py).
"""
import warnings

import numpy as np

from .. import activations, constraints, initializers, regularizers
from .. import backend as K
from ..backend import autodiff as ad
from ..backend import recurrent_ops, selection
from ..legacy import legacy_interface
from .base import InputSpec, Layer, is_symbolic

_FUSABLE = {getattr(activations, name): name for name in recurrent_ops.FUSED_ACTIVATIONS}


def _fused_name(activation):
    return _FUSABLE.get(activation)


def _in_training(training):
    return bool(K.learning_phase() if training is None else training)


def _state_sizes(cell):
    size = cell.state_size
    return list(size) if hasattr(size, '__len__') else [size]


def _output_size(cell):
    if getattr(cell, 'output_size', None) is not None:
        return cell.output_size
    return _state_sizes(cell)[0]


def _rename_weights(weights, prefix):
    """Keras 2 names a layer's weights after the layer that builds them: `lstm_1/kernel:0`."""
    for weight in weights:
        weight.name = f"{prefix}/{weight.name.rsplit('/', 1)[-1]}"


def _unit_forget_bias(bias_initializer, units, before=1, after=2):
    """Keras' unit_forget_bias: ones for the forget gate's `units`, which `before` gates' worth
    of bias_initializer values precede and `after` follow (an LSTM's bias: 1 and 2; cuDNN's
    input and recurrent biases side by side: 5 and 2)."""
    def initializer(shape, dtype=None):
        xp = selection.active().xp
        return xp.concatenate([xp.asarray(bias_initializer((before * units,), dtype=dtype)),
                               xp.ones((units,), dtype=dtype or K.floatx()),
                               xp.asarray(bias_initializer((after * units,), dtype=dtype))])
    return initializer


def _standardize_args(inputs, initial_state, constants, num_constants):
    """Separate `inputs` from initial states and constants passed inside an input list."""
    if isinstance(inputs, (list, tuple)):
        inputs = list(inputs)
        if initial_state is not None or constants is not None:
            raise ValueError("Pass the initial states and constants either inside the input list "
                             "or as the `initial_state` / `constants` arguments, not both.")
        if num_constants:
            constants = inputs[-num_constants:]
            inputs = inputs[:-num_constants]
        if len(inputs) > 1:
            initial_state = inputs[1:]
        inputs = inputs[0]

    def to_list_or_none(x):
        if x is None or isinstance(x, list):
            return x
        if isinstance(x, tuple):
            return list(x)
        return [x]
    return inputs, to_list_or_none(initial_state), to_list_or_none(constants)


# ---------------------------------------------------------------------------------------------
# Cells

class _RNNCell(Layer):
    """What the built-in cells share: argument storage, dropout masks, and the fast path."""

    def __init__(self, units, activation, use_bias, kernel_initializer, recurrent_initializer,
                 bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                 kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                 recurrent_dropout, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Received an invalid value for `units` of layer {self.name!r}, "
                             f"expected a positive integer. Received: units={units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1., max(0., dropout))
        self.recurrent_dropout = min(1., max(0., recurrent_dropout))
        self.output_size = self.units
        self._dropout_mask = None
        self._recurrent_dropout_mask = None
        self._gate_weights = None

    # Keras resets these at the start of every layer call, so one mask serves all time steps.
    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    def _masks(self, attribute, rate, shape, dtype, training, count):
        """Keras' dropout masks: `count` of them, drawn once per layer call, None if inactive."""
        if not 0. < rate < 1. or not _in_training(training):
            return None
        if getattr(self, attribute) is None:
            ones = ad.Tensor(selection.active().xp.ones(shape, dtype=dtype))
            setattr(self, attribute, [K.dropout(ones, rate) for _ in range(count)])
        return getattr(self, attribute)

    def _input_masks(self, inputs, training, count):
        return self._masks('_dropout_mask', self.dropout, inputs.shape[-2:], inputs.dtype,
                           training, count)

    def _recurrent_masks(self, state, training, count):
        return self._masks('_recurrent_dropout_mask', self.recurrent_dropout, state.shape,
                           state.dtype, training, count)

    def _add_kernels(self, input_dim, gates, bias_initializer=None, bias_shape=None, window=()):
        """kernel, recurrent_kernel and bias; a convolutional cell's kernels have a `window`."""
        self.kernel = self.add_weight('kernel', window + (input_dim, gates * self.units),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight('recurrent_kernel',
                                                window + (self.units, gates * self.units),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight('bias', bias_shape or (gates * self.units,),
                                        initializer=bias_initializer or self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def _gates(self, gates):
        """Per-gate column blocks of kernel and recurrent_kernel, sliced once per layer call."""
        if self._gate_weights is None:
            u = self.units
            self._gate_weights = (
                [self.kernel[:, g * u:(g + 1) * u] for g in range(gates)],
                [self.recurrent_kernel[:, g * u:(g + 1) * u] for g in range(gates)])
        return self._gate_weights

    # ------------------------------------------------------------------ fast path
    def _fused_activations(self):
        return (_fused_name(self.activation),)

    def can_fuse(self, training):
        """Whether the fused sequence loop computes exactly what `call` would."""
        if type(self).call is not type(self)._CALL:
            return False
        if any(name is None for name in self._fused_activations()):
            return False
        return not (0. < self.recurrent_dropout < 1. and _in_training(training))

    def _project(self, inputs, training, gates, bias):
        """inputs (time, batch, features) @ kernel (+ bias): one GEMM, or one per gate when
        implementation 1 drops different input units for each gate."""
        masks = self._input_masks(inputs, training, gates)
        if masks is None:
            # one node, the bias added in place of the product
            return ad.tensordot_last(inputs, self.kernel, bias)
        if gates == 1 or getattr(self, 'implementation', 1) != 1:
            projected = K.dot(inputs * masks[0], self.kernel)
        else:
            kernels, _ = self._gates(gates)
            projected = K.concatenate([K.dot(inputs * m, k) for m, k in zip(masks, kernels)])
        return projected + bias if bias is not None else projected

    def run_sequence(self, inputs, states, mask, training, keep_sequence):
        """The fast path over (time, batch, features) inputs in iteration order.

        Returns (per-step outputs (time, batch, units) or None, final states)."""
        projected = self._project(inputs, training)
        state = self._pack(states)
        if recurrent_ops.fuses_sequences():
            # the whole sequence as one tape node (NumPy), where the cell has one
            whole = self._sequence(projected, state, mask, keep_sequence)
            if whole is not None:
                if keep_sequence:
                    return self._sequence_output(whole), self._unpack(whole[-1])
                return None, self._unpack(whole)
        kept = []
        extra = self._step_extras()
        for t, x_t in enumerate(ad.unstack(projected, 0)):
            state = self._step(x_t, state, None if mask is None else mask[t], extra)
            if keep_sequence:
                kept.append(state)
        sequence = self._sequence_output(ad.stack(kept, axis=0)) if keep_sequence else None
        return sequence, self._unpack(state)

    def _pack(self, states):
        return states[0]

    def _unpack(self, state):
        return [state]

    def _sequence_output(self, stacked):
        return stacked

    def _step_extras(self):
        return None

    def _sequence(self, projected, state, mask, keep_sequence):
        """The states after every step (keep_sequence) or the final state, from one sequence
        primitive of recurrent_ops; None where the cell loops its step primitive."""
        return None

    def _config(self):
        return {
            'units': self.units,
            'activation': activations.serialize(self.activation),
            'use_bias': self.use_bias,
            'kernel_initializer': initializers.serialize(self.kernel_initializer),
            'recurrent_initializer': initializers.serialize(self.recurrent_initializer),
            'bias_initializer': initializers.serialize(self.bias_initializer),
            'kernel_regularizer': regularizers.serialize(self.kernel_regularizer),
            'recurrent_regularizer': regularizers.serialize(self.recurrent_regularizer),
            'bias_regularizer': regularizers.serialize(self.bias_regularizer),
            'kernel_constraint': constraints.serialize(self.kernel_constraint),
            'recurrent_constraint': constraints.serialize(self.recurrent_constraint),
            'bias_constraint': constraints.serialize(self.bias_constraint),
            'dropout': self.dropout,
            'recurrent_dropout': self.recurrent_dropout,
        }


class SimpleRNNCell(_RNNCell):
    """Cell of SimpleRNN: h = activation(x @ kernel + bias + h_prev @ recurrent_kernel)."""

    def __init__(self, units, activation='tanh', use_bias=True,
                 kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
                 bias_initializer='zeros', kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0., recurrent_dropout=0., **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint,
                         bias_constraint, dropout, recurrent_dropout, **kwargs)
        self.state_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape[-1], 1)
        self.built = True

    def call(self, inputs, states, training=None):
        prev_output = states[0]
        dp_mask = self._input_masks(inputs, training, 1)
        rec_dp_mask = self._recurrent_masks(prev_output, training, 1)
        h = K.dot(inputs * dp_mask[0] if dp_mask else inputs, self.kernel)
        if self.bias is not None:
            h = K.bias_add(h, self.bias)
        if rec_dp_mask:
            prev_output = prev_output * rec_dp_mask[0]
        output = self.activation(h + K.dot(prev_output, self.recurrent_kernel))
        return output, [output]

    def _project(self, inputs, training):
        return super()._project(inputs, training, 1, self.bias)

    def _step(self, x_t, state, mask, extra):
        return recurrent_ops.simple_rnn_step(x_t, state, self.recurrent_kernel, mask,
                                             _fused_name(self.activation))

    def get_config(self):
        return {**super().get_config(), **self._config()}


SimpleRNNCell._CALL = SimpleRNNCell.call


class GRUCell(_RNNCell):
    """Cell of GRU (gates z, r, h); reset_after=True applies the reset gate after the recurrent
    matmul and keeps separate input and recurrent biases, a bias of shape (2, 3 * units)."""

    def __init__(self, units, activation='tanh', recurrent_activation='hard_sigmoid',
                 use_bias=True, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0., recurrent_dropout=0., implementation=1, reset_after=False,
                 **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint,
                         bias_constraint, dropout, recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.implementation = implementation
        self.reset_after = reset_after
        self.state_size = self.units

    def build(self, input_shape):
        bias_shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._add_kernels(input_shape[-1], 3, bias_shape=bias_shape)
        self.built = True

    def _biases(self):
        """(input bias, recurrent bias); the recurrent one exists only with reset_after."""
        if self.bias is None:
            return None, None
        if self.reset_after:
            return self.bias[0], self.bias[1]
        return self.bias, None

    def call(self, inputs, states, training=None):
        h_tm1 = states[0]
        u = self.units
        dp_mask = self._input_masks(inputs, training, 3)
        rec_dp_mask = self._recurrent_masks(h_tm1, training, 3)
        input_bias, recurrent_bias = self._biases()
        kernels, recurrent_kernels = self._gates(3)
        if self.implementation == 1:
            x = [K.dot(inputs * dp_mask[g] if dp_mask else inputs, kernels[g]) for g in range(3)]
            if input_bias is not None:
                x = [K.bias_add(x[g], input_bias[g * u:(g + 1) * u]) for g in range(3)]
            h = [h_tm1 * rec_dp_mask[g] if rec_dp_mask else h_tm1 for g in range(3)]
            recurrent = [K.dot(h[g], recurrent_kernels[g]) for g in range(2)]
            if self.reset_after and recurrent_bias is not None:
                recurrent = [K.bias_add(recurrent[g], recurrent_bias[g * u:(g + 1) * u])
                             for g in range(2)]
            z = self.recurrent_activation(x[0] + recurrent[0])
            r = self.recurrent_activation(x[1] + recurrent[1])
            if self.reset_after:
                recurrent_h = K.dot(h[2], recurrent_kernels[2])
                if recurrent_bias is not None:
                    recurrent_h = K.bias_add(recurrent_h, recurrent_bias[2 * u:])
                recurrent_h = r * recurrent_h
            else:
                recurrent_h = K.dot(r * h[2], recurrent_kernels[2])
            hh = self.activation(x[2] + recurrent_h)
        else:
            matrix_x = K.dot(inputs * dp_mask[0] if dp_mask else inputs, self.kernel)
            if input_bias is not None:
                matrix_x = K.bias_add(matrix_x, input_bias)
            h = h_tm1 * rec_dp_mask[0] if rec_dp_mask else h_tm1
            if self.reset_after:
                matrix_inner = K.dot(h, self.recurrent_kernel)
                if recurrent_bias is not None:
                    matrix_inner = K.bias_add(matrix_inner, recurrent_bias)
            else:
                matrix_inner = K.dot(h, self.recurrent_kernel[:, :2 * u])
            z = self.recurrent_activation(matrix_x[:, :u] + matrix_inner[:, :u])
            r = self.recurrent_activation(matrix_x[:, u:2 * u] + matrix_inner[:, u:2 * u])
            if self.reset_after:
                recurrent_h = r * matrix_inner[:, 2 * u:]
            else:
                recurrent_h = K.dot(r * h, self.recurrent_kernel[:, 2 * u:])
            hh = self.activation(matrix_x[:, 2 * u:] + recurrent_h)
        output = z * h_tm1 + (1 - z) * hh
        return output, [output]

    def _fused_activations(self):
        return _fused_name(self.activation), _fused_name(self.recurrent_activation)

    def _project(self, inputs, training):
        return super()._project(inputs, training, 3, self._biases()[0])

    def _step_extras(self):
        return self._biases()[1]

    def _step(self, x_t, state, mask, recurrent_bias):
        return recurrent_ops.gru_step(x_t, state, self.recurrent_kernel, recurrent_bias, mask,
                                      self.reset_after, *self._fused_activations())

    def _sequence(self, projected, state, mask, keep_sequence):
        return recurrent_ops.gru_sequence(projected, state, self.recurrent_kernel,
                                          self._biases()[1], mask, self.reset_after,
                                          *self._fused_activations(),
                                          return_sequence=keep_sequence)

    def get_config(self):
        config = self._config()
        config['recurrent_activation'] = activations.serialize(self.recurrent_activation)
        config['implementation'] = self.implementation
        config['reset_after'] = self.reset_after
        return {**super().get_config(), **config}


GRUCell._CALL = GRUCell.call


class LSTMCell(_RNNCell):
    """Cell of LSTM (gates i, f, c, o); states [h, c]."""

    def __init__(self, units, activation='tanh', recurrent_activation='hard_sigmoid',
                 use_bias=True, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0., recurrent_dropout=0., implementation=1,
                 **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint,
                         bias_constraint, dropout, recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.implementation = implementation
        self.state_size = (self.units, self.units)

    def build(self, input_shape):
        bias_initializer = None
        if self.use_bias and self.unit_forget_bias:
            bias_initializer = _unit_forget_bias(self.bias_initializer, self.units)
        self._add_kernels(input_shape[-1], 4, bias_initializer)
        self.built = True

    def _bias(self):
        """The bias of the four gates, (4 * units,), or None."""
        return self.bias

    def call(self, inputs, states, training=None):
        h_tm1, c_tm1 = states[0], states[1]
        u = self.units
        bias = self._bias()
        dp_mask = self._input_masks(inputs, training, 4)
        rec_dp_mask = self._recurrent_masks(h_tm1, training, 4)
        if self.implementation == 1:
            kernels, recurrent_kernels = self._gates(4)
            x = [K.dot(inputs * dp_mask[g] if dp_mask else inputs, kernels[g]) for g in range(4)]
            if bias is not None:
                x = [K.bias_add(x[g], bias[g * u:(g + 1) * u]) for g in range(4)]
            h = [h_tm1 * rec_dp_mask[g] if rec_dp_mask else h_tm1 for g in range(4)]
            i = self.recurrent_activation(x[0] + K.dot(h[0], recurrent_kernels[0]))
            f = self.recurrent_activation(x[1] + K.dot(h[1], recurrent_kernels[1]))
            c = f * c_tm1 + i * self.activation(x[2] + K.dot(h[2], recurrent_kernels[2]))
            o = self.recurrent_activation(x[3] + K.dot(h[3], recurrent_kernels[3]))
        else:
            z = K.dot(inputs * dp_mask[0] if dp_mask else inputs, self.kernel)
            z = z + K.dot(h_tm1 * rec_dp_mask[0] if rec_dp_mask else h_tm1,
                          self.recurrent_kernel)
            if bias is not None:
                z = K.bias_add(z, bias)
            i = self.recurrent_activation(z[:, :u])
            f = self.recurrent_activation(z[:, u:2 * u])
            c = f * c_tm1 + i * self.activation(z[:, 2 * u:3 * u])
            o = self.recurrent_activation(z[:, 3 * u:])
        h = o * self.activation(c)
        return h, [h, c]

    def _fused_activations(self):
        return _fused_name(self.activation), _fused_name(self.recurrent_activation)

    def _project(self, inputs, training):
        return super()._project(inputs, training, 4, self._bias())

    def _pack(self, states):
        return K.concatenate([states[0], states[1]], axis=-1)

    def _unpack(self, state):
        return [state[:, :self.units], state[:, self.units:]]

    def _sequence_output(self, stacked):
        return stacked[:, :, :self.units]

    def _step(self, x_t, state, mask, extra):
        return recurrent_ops.lstm_step(x_t, state, self.recurrent_kernel, mask,
                                       *self._fused_activations())

    def _sequence(self, projected, state, mask, keep_sequence):
        return recurrent_ops.lstm_sequence(projected, state, self.recurrent_kernel, mask,
                                           *self._fused_activations(),
                                           return_sequence=keep_sequence)

    def get_config(self):
        config = self._config()
        config['recurrent_activation'] = activations.serialize(self.recurrent_activation)
        config['unit_forget_bias'] = self.unit_forget_bias
        config['implementation'] = self.implementation
        return {**super().get_config(), **config}


LSTMCell._CALL = LSTMCell.call


class StackedRNNCells(Layer):
    """A list of cells behaving as one cell: each cell's output is the next one's input."""

    def __init__(self, cells, **kwargs):
        for cell in cells:
            if not hasattr(cell, 'call'):
                raise ValueError(f"All cells must have a `call` method; received {cell!r}.")
            if not hasattr(cell, 'state_size'):
                raise ValueError(f"All cells must have a `state_size` attribute; received "
                                 f"{cell!r}.")
        self.cells = list(cells)
        self.reverse_state_order = kwargs.pop('reverse_state_order', False)
        super().__init__(**kwargs)

    @property
    def state_size(self):
        sizes = []
        for cell in self.cells[::-1] if self.reverse_state_order else self.cells:
            sizes += _state_sizes(cell)
        return tuple(sizes)

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def _split_states(self, states):
        nested = []
        for cell in self.cells[::-1] if self.reverse_state_order else self.cells:
            count = len(_state_sizes(cell))
            nested.append(list(states[:count]))
            states = states[count:]
        return nested[::-1] if self.reverse_state_order else nested

    def _join_states(self, nested):
        flat = []
        for states in (nested[::-1] if self.reverse_state_order else nested):
            flat += list(states)
        return flat

    def call(self, inputs, states, constants=None, **kwargs):
        new_nested = []
        for cell, cell_states in zip(self.cells, self._split_states(list(states))):
            if constants is not None and 'constants' in _call_parameters(cell):
                inputs, cell_states = cell.call(inputs, cell_states, constants=constants,
                                                **kwargs)
            else:
                inputs, cell_states = cell.call(inputs, cell_states, **kwargs)
            new_nested.append(cell_states)
        return inputs, self._join_states(new_nested)

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
            input_shape = (input_shape[0], _output_size(cell))
        self.built = True

    def can_fuse(self, training):
        return all(isinstance(cell, _RNNCell) and cell.can_fuse(training) for cell in self.cells)

    def reset_dropout_mask(self):
        for cell in self.cells:
            if isinstance(cell, _RNNCell):
                cell.reset_dropout_mask()
                cell.reset_recurrent_dropout_mask()
                cell._gate_weights = None

    def run_sequence(self, inputs, states, mask, training, keep_sequence):
        # Layer by layer equals step by step: at a masked step every cell keeps its state and
        # what the upper cells computed from the lower cell's new output is discarded.
        final = []
        for k, (cell, cell_states) in enumerate(zip(self.cells, self._split_states(states))):
            last = k == len(self.cells) - 1
            sequence, cell_final = cell.run_sequence(inputs, cell_states, mask, training,
                                                     keep_sequence or not last)
            final.append(cell_final)
            inputs = sequence
        return inputs, self._join_states(final)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for cell in self.cells if isinstance(cell, Layer) for w in cell.trainable_weights]

    @property
    def non_trainable_weights(self):
        weights = [w for cell in self.cells if isinstance(cell, Layer)
                   for w in cell.non_trainable_weights]
        if not self.trainable:
            return [w for cell in self.cells if isinstance(cell, Layer)
                    for w in cell.trainable_weights] + weights
        return weights

    @property
    def losses(self):
        return [loss for cell in self.cells if isinstance(cell, Layer) for loss in cell.losses]

    def get_config(self):
        cells = [{'class_name': type(cell).__name__, 'config': cell.get_config()}
                 for cell in self.cells]
        return {**super().get_config(), 'cells': cells}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [_deserialize_cell(c, custom_objects) for c in config.pop('cells')]
        return cls(cells, **config)


def _call_parameters(layer):
    import inspect
    return inspect.signature(layer.call).parameters


def _deserialize_cell(config, custom_objects=None):
    """A cell from {'class_name', 'config'}: the built-in cells or `custom_objects`."""
    class_name = config['class_name']
    known = {'SimpleRNNCell': SimpleRNNCell, 'GRUCell': GRUCell, 'LSTMCell': LSTMCell,
             'StackedRNNCells': StackedRNNCells, **(custom_objects or {})}
    if class_name not in known:
        raise ValueError(f"Unknown RNN cell class {class_name!r}; pass it in `custom_objects`.")
    cls = known[class_name]
    if class_name == 'StackedRNNCells':
        return cls.from_config(config['config'], custom_objects)
    return cls.from_config(dict(config['config']))


# ---------------------------------------------------------------------------------------------
# The RNN layer

class RNN(Layer):
    """Runs a cell over the time axis of (batch, time, features) inputs.

    Args:
        cell: a cell (a layer with `call(input_t, states)` and `state_size`), or a list of cells
            (stacked with StackedRNNCells).
        return_sequences: return every step's output instead of the last one.
        return_state: also return the final states.
        go_backwards: process the sequence backwards (a returned sequence is in that order).
        stateful: the final states of a batch are the initial states of the next one.
        unroll: accepted for compatibility; the loop is the same.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, 'call'):
            raise ValueError(f"`cell` should have a `call` method; the RNN was passed {cell!r}.")
        if not hasattr(cell, 'state_size'):
            raise ValueError("The RNN cell should have an attribute `state_size` (an integer or "
                             f"a tuple of integers, one per state); received {cell!r}.")
        if 'input_shape' not in kwargs and ('input_dim' in kwargs or 'input_length' in kwargs):
            kwargs['input_shape'] = (kwargs.pop('input_length', None),
                                     kwargs.pop('input_dim', None))
        kwargs.pop('input_dim', None)
        kwargs.pop('input_length', None)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.zero_output_for_mask = False
        self.supports_masking = True
        self.input_spec = [InputSpec(ndim=3)]
        self._states = None
        self._batch_size = None
        self._num_constants = None

    # ------------------------------------------------------------------ weights
    @property
    def trainable_weights(self):
        if not self.trainable or not isinstance(self.cell, Layer):
            return []
        return self.cell.trainable_weights

    @property
    def non_trainable_weights(self):
        if not isinstance(self.cell, Layer):
            return []
        if not self.trainable:
            return self.cell.weights
        return self.cell.non_trainable_weights

    @property
    def losses(self):
        cell_losses = self.cell.losses if isinstance(self.cell, Layer) else []
        return cell_losses + super().losses

    # ------------------------------------------------------------------ states
    @property
    def states(self):
        if self._states is None:
            return [None] * len(_state_sizes(self.cell))
        return self._states

    @states.setter
    def states(self, states):
        self._states = states

    def reset_states(self, states=None):
        """Zero the states of a stateful layer, or set them to `states` (arrays)."""
        if not self.stateful:
            raise AttributeError(f"Layer {self.name!r} must be stateful to reset its states.")
        batch_size = self._batch_size
        if not batch_size:
            raise ValueError(
                f"If a RNN is stateful, it needs to know its batch size (layer {self.name!r}). "
                "Specify the batch size of your input tensors: in a Sequential model, pass a "
                "`batch_input_shape` argument to your first layer; in the functional API, pass "
                "a `batch_shape` argument to your Input layer.")
        sizes = _state_sizes(self.cell)
        xp = selection.active().xp
        input_shape = (batch_size,) + tuple(self.input_spec[0].shape[1:])
        if states is None:
            self._states = [ad.Tensor(xp.zeros(self._state_shape(input_shape, dim),
                                               dtype=self.dtype)) for dim in sizes]
            return
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(states) != len(sizes):
            raise ValueError(f"Layer {self.name!r} expects {len(sizes)} states, but it received "
                             f"{len(states)} state values. Input received: {states!r}")
        new_states = []
        for index, (value, dim) in enumerate(zip(states, sizes)):
            value = selection.active().asarray(ad.raw(value), dtype=self.dtype)
            expected = self._state_shape(input_shape, dim)
            if tuple(value.shape) != expected:
                raise ValueError(f"State {index} is incompatible with layer {self.name!r}: "
                                 f"expected shape={expected}, found shape="
                                 f"{tuple(value.shape)}")
            new_states.append(ad.Tensor(value.copy()))
        self._states = new_states

    def get_initial_state(self, inputs):
        xp = selection.active().xp
        return [ad.Tensor(xp.zeros(self._state_shape(inputs.shape, dim), dtype=inputs.dtype))
                for dim in _state_sizes(self.cell)]

    # where a state's `dim` is: the convolutional RNNs' states are images
    _state_channel_axis = -1

    def _state_shape(self, input_shape, dim):
        """The shape of a state of `dim` units for inputs of `input_shape` (batch, time, ...)."""
        return (input_shape[0], dim)

    # ------------------------------------------------------------------ shapes, masks, build
    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        output_dim = _output_size(self.cell)
        if self.return_sequences:
            output_shape = (input_shape[0], input_shape[1], output_dim)
        else:
            output_shape = (input_shape[0], output_dim)
        if self.return_state:
            return [output_shape] + [(input_shape[0], dim) for dim in _state_sizes(self.cell)]
        return output_shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_state_sizes(self.cell))
        return output_mask

    def _check_input_spec(self, shapes):
        # only the sequence has an InputSpec; initial states are checked against state_size
        super()._check_input_spec(shapes[:1])
        sizes = _state_sizes(self.cell)
        states = shapes[1:len(shapes) - (self._num_constants or 0)]
        if states and len(states) != len(sizes):
            raise ValueError(f"Layer {self.name!r} has {len(sizes)} states but was passed "
                             f"{len(states)} initial states.")
        for index, (shape, dim) in enumerate(zip(states, sizes)):
            channels = shape[self._state_channel_axis]
            if channels is not None and channels != dim:
                raise ValueError(f"An `initial_state` was passed to layer {self.name!r} that is "
                                 f"not compatible with `cell.state_size`: state {index} has shape "
                                 f"{tuple(shape)}; expected size {dim} on axis "
                                 f"{self._state_channel_axis}.")

    def build(self, input_shape):
        if isinstance(input_shape, list):
            constants_shape = input_shape[-self._num_constants:] if self._num_constants else None
            input_shape = input_shape[0]
        else:
            constants_shape = None
        input_shape = tuple(input_shape)
        if self.unroll and input_shape[1] is None:
            raise ValueError(
                f"Cannot unroll RNN layer {self.name!r}: the time dimension is undefined. Specify "
                "it with an `input_shape` / `batch_input_shape` on your first layer (or "
                "`input_length` on an Embedding), or a `shape` on your Input.")
        self._batch_size = input_shape[0] if self.stateful else None
        self.input_spec = [InputSpec(shape=(self._batch_size, None) + input_shape[2:])]
        if isinstance(self.cell, Layer) and not self.cell.built:
            step_input_shape = (input_shape[0],) + input_shape[2:]
            if constants_shape is not None:
                self.cell.build([step_input_shape] + list(constants_shape))
            else:
                self.cell.build(step_input_shape)
            self.cell.built = True
            self._name_cell_weights()
        if self.stateful:
            self.reset_states()
        self.built = True

    def _name_cell_weights(self):
        if isinstance(self.cell, StackedRNNCells):
            for cell in self.cell.cells:
                if isinstance(cell, Layer):
                    _rename_weights(cell.weights, f'{self.name}/{cell.name}')
        else:
            _rename_weights(self.cell.weights, self.name)

    # ------------------------------------------------------------------ call
    def __call__(self, inputs, initial_state=None, constants=None, **kwargs):
        inputs, initial_state, constants = _standardize_args(inputs, initial_state, constants,
                                                             self._num_constants)
        if initial_state is None and constants is None:
            return super().__call__(inputs, **kwargs)
        if constants is not None:
            self._num_constants = len(constants)
        additional = (initial_state or []) + (constants or [])
        symbolic = [is_symbolic(t) for t in additional]
        if any(symbolic) != all(symbolic):
            raise ValueError(f"The initial state or constants of RNN layer {self.name!r} cannot "
                             "be specified with a mix of symbolic tensors (from `Input` or layer "
                             "calls) and data.")
        if is_symbolic(inputs) and not all(symbolic):
            # data states for a graph: fixed arguments of this call
            return super().__call__(inputs, initial_state=initial_state, constants=constants,
                                    **kwargs)
        return super().__call__([inputs] + additional, **kwargs)

    def call(self, inputs, mask=None, training=None, initial_state=None, constants=None):
        if isinstance(inputs, list):
            extra = inputs[1:]
            inputs = inputs[0]
            if self._num_constants:
                constants = extra[-self._num_constants:]
                extra = extra[:-self._num_constants]
            if extra:
                initial_state = extra
        if isinstance(mask, list):
            mask = mask[0]
        if initial_state is not None:
            initial_state = [ad.as_tensor(s, inputs.dtype) if not isinstance(s, ad.Tensor)
                             else s for s in initial_state]
            self._check_input_spec([inputs.shape] + [s.shape for s in initial_state])
        elif self.stateful:
            initial_state = self.states
            if initial_state[0].shape[0] != inputs.shape[0]:
                raise ValueError(f"Stateful layer {self.name!r} was built for batches of "
                                 f"{initial_state[0].shape[0]} samples; it received a batch of "
                                 f"{inputs.shape[0]}.")
        else:
            initial_state = self.get_initial_state(inputs)
        if constants:
            constants = [ad.as_tensor(c) for c in constants]
        step_mask = True  # the mask holds whole steps: (batch, time)
        if mask is not None:
            mask = selection.active().asarray(ad.raw(mask)).astype(bool, copy=False)
            if mask.ndim > 2 and all(n == 1 for n in mask.shape[2:]):
                mask = mask.reshape(mask.shape[:2])  # (batch, time, 1): whole steps too
            step_mask = mask.ndim == 2
        self._reset_cell()

        if (step_mask and not constants and getattr(self.cell, 'can_fuse', None)
                and self.cell.can_fuse(training)):
            last_output, outputs, states = self._run_fused(inputs, initial_state, mask, training)
        else:
            last_output, outputs, states = self._run_cell(inputs, initial_state, mask, training,
                                                          constants)
        if self.stateful:
            self._states = [ad.Tensor(ad.raw(s).copy()) for s in states]
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return [output] + list(states)
        return output

    def _reset_cell(self):
        if isinstance(self.cell, StackedRNNCells):
            self.cell.reset_dropout_mask()
        elif isinstance(self.cell, _RNNCell):
            self.cell.reset_dropout_mask()
            self.cell.reset_recurrent_dropout_mask()
            self.cell._gate_weights = None

    def _iteration_mask(self, mask):
        """The (batch, time) mask in the order the steps run."""
        return mask[:, ::-1] if self.go_backwards else mask

    def _run_fused(self, inputs, initial_state, mask, training):
        time_major = K.permute_dimensions(inputs, (1, 0) + tuple(range(2, inputs.ndim)))
        if self.go_backwards:
            time_major = time_major[::-1]
        step_mask = None
        if mask is not None:
            step_mask = self._iteration_mask(mask).T
        sequence, states = self.cell.run_sequence(time_major, list(initial_state), step_mask,
                                                  training, self.return_sequences)
        last_output = states[0] if not isinstance(self.cell, StackedRNNCells) \
            else self._last_output_of_stack(states)
        outputs = None
        if sequence is not None:
            outputs = K.permute_dimensions(sequence, (1, 0, 2))
        if mask is not None:
            # A step's output is its state only once some step so far was unmasked; before that
            # it is zero (tf.keras' K.rnn), and with zero_output_for_mask (Bidirectional with
            # return_sequences) it is zero at every masked step.
            shown = self._iteration_mask(mask)
            if not self.zero_output_for_mask:
                shown = selection.active().xp.cumsum(shown, axis=1) > 0
            if outputs is not None:
                outputs = ad.where(shown[:, :, None], outputs, 0.)
            else:
                last_output = ad.where(shown[:, -1:], last_output, 0.)
        return last_output, outputs, states

    def _last_output_of_stack(self, states):
        sizes = [len(_state_sizes(cell)) for cell in self.cell.cells]
        if self.cell.reverse_state_order:
            return states[0]
        return states[sum(sizes[:-1])]

    def _run_cell(self, inputs, initial_state, mask, training, constants):
        kwargs = {}
        if 'training' in _call_parameters(self.cell):
            kwargs['training'] = training
        if constants:
            if 'constants' not in _call_parameters(self.cell):
                raise ValueError(f"The cell of RNN layer {self.name!r} does not support "
                                 "constants (its `call` has no `constants` argument).")
            count = len(constants)

            def step(x_t, states):
                return self.cell.call(x_t, states[:-count], constants=states[-count:], **kwargs)
        else:
            def step(x_t, states):
                return self.cell.call(x_t, states, **kwargs)
        return K.rnn(step, inputs, initial_state, go_backwards=self.go_backwards, mask=mask,
                     constants=constants, unroll=self.unroll,
                     zero_output_for_mask=self.zero_output_for_mask)

    # ------------------------------------------------------------------ config
    def get_config(self):
        config = {'return_sequences': self.return_sequences, 'return_state': self.return_state,
                  'go_backwards': self.go_backwards, 'stateful': self.stateful,
                  'unroll': self.unroll}
        if self._num_constants is not None:
            config['num_constants'] = self._num_constants
        config['cell'] = {'class_name': type(self.cell).__name__,
                          'config': self.cell.get_config()}
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = _deserialize_cell(config.pop('cell'), custom_objects)
        num_constants = config.pop('num_constants', None)
        layer = cls(cell, **config)
        layer._num_constants = num_constants
        return layer


class _CellLayer(RNN):
    """SimpleRNN, GRU and LSTM: an RNN around their own cell; the cell's arguments read through."""

    _CELL_ARGUMENTS = ()

    def __init__(self, cell, return_sequences, return_state, go_backwards, stateful, unroll,
                 activity_regularizer, **kwargs):
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def __getattr__(self, name):
        # units, activation, kernel_initializer, ... are the cell's, as in Keras
        if name in type(self)._CELL_ARGUMENTS and 'cell' in self.__dict__:
            return getattr(self.__dict__['cell'], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_config(self):
        cell_config = self.cell.get_config()
        config = {name: cell_config[name] for name in self._CELL_ARGUMENTS}
        config['activity_regularizer'] = regularizers.serialize(self.activity_regularizer)
        base = super().get_config()
        del base['cell']
        return {**base, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


_COMMON = ('units', 'activation', 'use_bias', 'kernel_initializer', 'recurrent_initializer',
           'bias_initializer', 'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer',
           'kernel_constraint', 'recurrent_constraint', 'bias_constraint', 'dropout',
           'recurrent_dropout')


def _implementation(value):
    """Keras 1's implementation 0 (`consume_less='cpu'`): Keras 2.2 warns that it is deprecated
    but keeps it in the cell and its config, where it computes as implementation 2."""
    if value == 0:
        warnings.warn('`implementation=0` has been deprecated, and now defaults to '
                      '`implementation=1`.Please update your layer call.', stacklevel=4)
    return value


class SimpleRNN(_CellLayer):
    """Fully-connected RNN whose output is fed back as its state (SimpleRNNCell)."""
    _CELL_ARGUMENTS = _COMMON

    @legacy_interface('recurrent')
    def __init__(self, units, activation='tanh', use_bias=True,
                 kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
                 bias_initializer='zeros', kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.,
                 recurrent_dropout=0., return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        if 'implementation' in kwargs:
            kwargs.pop('implementation')
            warnings.warn('The `implementation` argument in `SimpleRNN` has been deprecated. '
                          'Please remove it from your layer call.', stacklevel=3)
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias,
                             kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer,
                             bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer,
                             recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer,
                             kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint,
                             bias_constraint=bias_constraint, dropout=dropout,
                             recurrent_dropout=recurrent_dropout, dtype=kwargs.get('dtype'))
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful, unroll,
                         activity_regularizer, **kwargs)


class GRU(_CellLayer):
    """Gated Recurrent Unit (GRUCell); reset_after=False is Keras 2.2's default."""
    _CELL_ARGUMENTS = _COMMON[:2] + ('recurrent_activation',) + _COMMON[2:] + (
        'implementation', 'reset_after')

    @legacy_interface('recurrent')
    def __init__(self, units, activation='tanh', recurrent_activation='hard_sigmoid',
                 use_bias=True, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0., recurrent_dropout=0., implementation=1,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, reset_after=False, **kwargs):
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation,
                       use_bias=use_bias, kernel_initializer=kernel_initializer,
                       recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer,
                       bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                       recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint, dropout=dropout,
                       recurrent_dropout=recurrent_dropout,
                       implementation=_implementation(implementation), reset_after=reset_after,
                       dtype=kwargs.get('dtype'))
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful, unroll,
                         activity_regularizer, **kwargs)


class LSTM(_CellLayer):
    """Long Short-Term Memory (LSTMCell), with Keras 2.2's defaults: hard_sigmoid gates and
    unit_forget_bias."""
    _CELL_ARGUMENTS = _COMMON[:2] + ('recurrent_activation',) + _COMMON[2:6] + (
        'unit_forget_bias',) + _COMMON[6:] + ('implementation',)

    @legacy_interface('recurrent')
    def __init__(self, units, activation='tanh', recurrent_activation='hard_sigmoid',
                 use_bias=True, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.,
                 recurrent_dropout=0., implementation=1, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False, **kwargs):
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation,
                        use_bias=use_bias, kernel_initializer=kernel_initializer,
                        recurrent_initializer=recurrent_initializer,
                        bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                        kernel_regularizer=kernel_regularizer,
                        recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint,
                        bias_constraint=bias_constraint, dropout=dropout,
                        recurrent_dropout=recurrent_dropout,
                        implementation=_implementation(implementation), dtype=kwargs.get('dtype'))
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful, unroll,
                         activity_regularizer, **kwargs)
