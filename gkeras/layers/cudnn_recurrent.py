"""CuDNNLSTM and CuDNNGRU: Keras 2's cuDNN recurrent layers, on every backend.

They compute what NVIDIA's cuDNN computes, so that models trained with them in Keras 2 load and
run here (on the CPU too): the gates use the exact sigmoid and tanh, and each gate has two bias
vectors, one added to the input's product and one to the state's. An LSTM's two add up, so
CuDNNLSTM is LSTM(recurrent_activation='sigmoid') whose bias is the sum of the halves of a
(8 * units,) weight; a GRU's recurrent bias sits inside the reset gate, so CuDNNGRU is
GRU(reset_after=True, recurrent_activation='sigmoid') with its (2, 3 * units) bias stored flat
as (6 * units,). Their kernels keep cuDNN's layout (see _CuDNNKernels). Weight names, shapes,
order, defaults and config keys are Keras 2.2's. No dropout, masking, unroll or activation
arguments, as in Keras.
"""
import numpy as np

from .. import backend as K
from .recurrent import GRUCell, LSTMCell, _CellLayer, _unit_forget_bias


def _check_time_major(layer, time_major):
    # tf.keras 2.x writes time_major into these layers' configs; only batch-major is Keras 2's
    if time_major:
        raise ValueError(f"{layer}: time_major=True is not supported; inputs are (batch, time, "
                         "features) as in Keras 2.")


class _CuDNNKernels:
    """The kernels as cuDNN layers store them and as the cell computes with them.

    Keras' cuDNN layers hand each gate's block of their weights to cuDNN as it lies in memory,
    which reads it as a row-major (units, features) matrix W and computes W @ x: for the cell,
    the input kernel of a gate is block.reshape(units, features).T and its recurrent kernel
    block.T (Keras' own conversion between cuDNN and standard layers does the same). The
    weights stay in cuDNN's layout (`cudnn_kernel`, `cudnn_recurrent_kernel`, named 'kernel'
    and 'recurrent_kernel' in files: _RNNCell._add_kernels assigns them through the setters);
    `kernel` and `recurrent_kernel` are the cell's, made once per layer call.
    """
    _gates_count = None
    _cell_kernels = None

    def _blocks(self, weight):
        u = self.units
        return [weight[:, g * u:(g + 1) * u] for g in range(self._gates_count)]

    def _kernels(self):
        if self._cell_kernels is None:
            features = self.cudnn_kernel.shape[0]
            self._cell_kernels = (
                K.concatenate([K.transpose(K.reshape(block, (self.units, features)))
                               for block in self._blocks(self.cudnn_kernel)]),
                K.concatenate([K.transpose(block)
                               for block in self._blocks(self.cudnn_recurrent_kernel)]))
        return self._cell_kernels

    @property
    def kernel(self):
        return self._kernels()[0]

    @kernel.setter
    def kernel(self, weight):
        self.cudnn_kernel = weight
        self._cell_kernels = None

    @property
    def recurrent_kernel(self):
        return self._kernels()[1]

    @recurrent_kernel.setter
    def recurrent_kernel(self, weight):
        self.cudnn_recurrent_kernel = weight
        self._cell_kernels = None

    def reset_dropout_mask(self):
        super().reset_dropout_mask()
        self._cell_kernels = None  # a new layer call: the weights may have changed


class _CuDNNLSTMCell(_CuDNNKernels, LSTMCell):
    """LSTMCell with cuDNN's layout: its kernels, and a (8 * units,) bias whose halves (input
    and recurrent biases) add up."""
    _gates_count = 4

    def build(self, input_shape):
        bias_initializer = None
        if self.unit_forget_bias:
            # Keras 2.2's: ones for the forget gate of the recurrent half
            bias_initializer = _unit_forget_bias(self.bias_initializer, self.units, before=5)
        self._add_kernels(input_shape[-1], 4, bias_initializer, bias_shape=(8 * self.units,))
        self.built = True

    def _bias(self):
        gates = 4 * self.units
        return self.bias[:gates] + self.bias[gates:]


_CuDNNLSTMCell._CALL = _CuDNNLSTMCell.call


class _CuDNNGRUCell(_CuDNNKernels, GRUCell):
    """GRUCell (reset_after) with cuDNN's layout: its kernels, and the input and recurrent
    biases stored flat, (6 * units,)."""
    _gates_count = 3

    def build(self, input_shape):
        self._add_kernels(input_shape[-1], 3, bias_shape=(6 * self.units,))
        self.built = True

    def _biases(self):
        gates = 3 * self.units
        return self.bias[:gates], self.bias[gates:]


_CuDNNGRUCell._CALL = _CuDNNGRUCell.call

_ARGUMENTS = ('units', 'kernel_initializer', 'recurrent_initializer', 'bias_initializer',
              'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer',
              'kernel_constraint', 'recurrent_constraint', 'bias_constraint')


class _CuDNNLayer(_CellLayer):
    def get_config(self):
        config = super().get_config()
        del config['unroll']  # not an argument of the cuDNN layers
        return config


class CuDNNLSTM(_CuDNNLayer):
    """LSTM as cuDNN computes it (Keras 2's CuDNNLSTM): kernel (input_dim, 4 * units),
    recurrent_kernel (units, 4 * units), bias (8 * units,), gates i, f, c, o."""
    _CELL_ARGUMENTS = _ARGUMENTS[:4] + ('unit_forget_bias',) + _ARGUMENTS[4:]

    def __init__(self, units, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, time_major=False,
                 **kwargs):
        _check_time_major('CuDNNLSTM', time_major)
        cell = _CuDNNLSTMCell(units, activation='tanh', recurrent_activation='sigmoid',
                              kernel_initializer=kernel_initializer,
                              recurrent_initializer=recurrent_initializer,
                              bias_initializer=bias_initializer,
                              unit_forget_bias=unit_forget_bias,
                              kernel_regularizer=kernel_regularizer,
                              recurrent_regularizer=recurrent_regularizer,
                              bias_regularizer=bias_regularizer,
                              kernel_constraint=kernel_constraint,
                              recurrent_constraint=recurrent_constraint,
                              bias_constraint=bias_constraint, implementation=2,
                              dtype=kwargs.get('dtype'))
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful, False,
                         activity_regularizer, **kwargs)


class CuDNNGRU(_CuDNNLayer):
    """GRU as cuDNN computes it (Keras 2's CuDNNGRU): kernel (input_dim, 3 * units),
    recurrent_kernel (units, 3 * units), bias (6 * units,), gates z, r, h, the reset gate
    applied after the recurrent product."""
    _CELL_ARGUMENTS = _ARGUMENTS

    def __init__(self, units, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, time_major=False, **kwargs):
        _check_time_major('CuDNNGRU', time_major)
        cell = _CuDNNGRUCell(units, activation='tanh', recurrent_activation='sigmoid',
                             kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer,
                             bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer,
                             recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer,
                             kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint,
                             bias_constraint=bias_constraint, implementation=2,
                             reset_after=True, dtype=kwargs.get('dtype'))
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful, False,
                         activity_regularizer, **kwargs)


# ---------------------------------------------------------------------------------------------
# Loading weights across the two kinds (Keras 2's conversion, by the shape of the saved bias)

def _per_gate(kernel, gates, function):
    return np.hstack([function(block) for block in np.hsplit(kernel, gates)])


def _kernel_layout(from_cudnn):
    """An input kernel's gate block between cuDNN's layout and the standard one."""
    order = 'F' if from_cudnn else 'C'
    return lambda block: block.T.reshape(block.shape, order=order)


def _convert(arrays, gates, from_cudnn, bias):
    return [_per_gate(arrays[0], gates, _kernel_layout(from_cudnn)),
            _per_gate(arrays[1], gates, lambda block: block.T), bias]


def convert_recurrent_weights(layer, arrays):
    """The saved weights `arrays` of an LSTM, GRU or cuDNN layer (or a Bidirectional one), in
    the layout of `layer`, as Keras 2 converts them on loading: weights saved by CuDNNLSTM
    load into LSTM and back (biases summed, or split in halves), CuDNNGRU's into
    GRU(reset_after=True) and back. Anything else is returned as it is."""
    kind = type(layer).__name__
    if kind == 'Bidirectional' and len(arrays) % 2 == 0:
        half = len(arrays) // 2
        return (convert_recurrent_weights(layer.forward_layer, arrays[:half])
                + convert_recurrent_weights(layer.backward_layer, arrays[half:]))
    if len(arrays) != 3 or kind not in ('LSTM', 'CuDNNLSTM', 'GRU', 'CuDNNGRU'):
        return arrays
    arrays = [np.asarray(a) for a in arrays]
    units, bias = arrays[1].shape[0], arrays[2].shape
    if kind in ('LSTM', 'CuDNNLSTM'):
        source = {(8 * units,): 'CuDNNLSTM', (4 * units,): 'LSTM'}.get(bias)
        if source is None or source == kind:
            return arrays
        if source == 'CuDNNLSTM':
            return _convert(arrays, 4, True, arrays[2][:4 * units] + arrays[2][4 * units:])
        return _convert(arrays, 4, False, np.tile(0.5 * arrays[2], 2))
    source = {(6 * units,): 'CuDNNGRU', (2, 3 * units): 'GRU(reset_after=True)',
              (3 * units,): 'GRU(reset_after=False)'}.get(bias)
    target = 'CuDNNGRU' if kind == 'CuDNNGRU' else f'GRU(reset_after={layer.reset_after})'
    if source is None or source == target:
        return arrays
    if 'GRU(reset_after=False)' in (source, target):
        raise ValueError(f"Layer {layer.name!r}: weights saved by {source} cannot be loaded into "
                         f"{target}: {source} is not compatible with {target}.")
    from_cudnn = source == 'CuDNNGRU'
    return _convert(arrays, 3, from_cudnn,
                    arrays[2].reshape((2, -1) if from_cudnn else -1))
