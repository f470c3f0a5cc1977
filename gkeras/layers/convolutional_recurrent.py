"""Convolutional recurrent layers: ConvLSTM2D and its cell, ConvLSTM2DCell (Keras 2.2 names,
tf.keras 2.x numbers).

The cell is an LSTMCell whose input and recurrent transformations are convolutions: its states
h and c are images of `filters` channels. The input convolutions of all time steps run as one
convolution over (batch * time) images before the loop; each step then convolves h ('same'
padding, stride 1, as Keras) and applies the LSTM gates i, f, c, o.
"""
from .. import backend as K
from ..backend import spatial
from ..legacy import legacy_interface
from .base import InputSpec
from .convolutional import (_input_channels, channel_axis, check_output_sizes, layer_owner,
                            spatial_sizes, with_spatial)
from .recurrent import _COMMON, LSTMCell, _CellLayer, _unit_forget_bias

_GATES = 4  # i, f, c, o


class ConvLSTM2DCell(LSTMCell):
    """Cell of ConvLSTM2D: states [h, c], each (batch, rows, cols, filters) (channels_last).

    Args:
        filters: number of output channels (of h and c).
        kernel_size, strides, padding, data_format, dilation_rate: those of the input
            convolution; the recurrent convolution always has stride 1 and 'same' padding.
        The other arguments are LSTMCell's.
    """
    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid', data_format=None,
                 dilation_rate=(1, 1), activation='tanh', recurrent_activation='hard_sigmoid',
                 use_bias=True, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0., recurrent_dropout=0., **kwargs):
        # checked here, before LSTMCell would report it as `units`
        where = type(self).__name__ + (f" {kwargs['name']!r}" if kwargs.get('name') else '')
        filters = spatial.normalize_tuple(filters, 1, 'filters', where)[0]
        super().__init__(filters, activation=activation,
                         recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                         kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, **kwargs)
        owner = layer_owner(self)
        self.filters = self.units
        self.kernel_size = spatial.normalize_tuple(kernel_size, self.rank, 'kernel_size', owner)
        self.strides = spatial.normalize_tuple(strides, self.rank, 'strides', owner)
        self.padding = spatial.normalize_padding(padding, owner)
        self.data_format = K.normalize_data_format(data_format)
        self.dilation_rate = spatial.normalize_tuple(dilation_rate, self.rank, 'dilation_rate',
                                                     owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner}: `strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")

    def build(self, input_shape):
        bias_initializer = None
        if self.use_bias and self.unit_forget_bias:
            bias_initializer = _unit_forget_bias(self.bias_initializer, self.filters)
        self._add_kernels(_input_channels(self, input_shape), _GATES, bias_initializer,
                          window=self.kernel_size)
        self.built = True

    def can_fuse(self, training):
        """Never: the fused recurrent steps are matrix products, not convolutions."""
        return False

    # ------------------------------------------------------------------ shapes
    def output_image_shape(self, step_input_shape):
        """The shape of h and c for one step's input shape (batch, rows, cols, channels)."""
        sizes = tuple(spatial.conv_output_length(n, k, self.padding, s, d) for n, k, s, d in zip(
            spatial_sizes(step_input_shape, self.data_format, self.rank), self.kernel_size,
            self.strides, self.dilation_rate))
        return with_spatial(step_input_shape, self.data_format, sizes, self.filters)

    def _channels(self, x, start, stop):
        """Channels start:stop of an image batch, whatever the data format."""
        axis = channel_axis(self.data_format) % x.ndim
        return x[(slice(None),) * axis + (slice(start, stop),)]

    def _gate_slices(self, z):
        f = self.filters
        return [self._channels(z, g * f, (g + 1) * f) for g in range(_GATES)]

    # ------------------------------------------------------------------ math
    def _convolve(self, inputs, kernel, bias=None, recurrent=False):
        """One convolution; the recurrent one has stride 1, no dilation and 'same' padding."""
        if recurrent:
            return spatial.convolution(inputs, kernel, 1, 'same', self.data_format, 1,
                                       owner=layer_owner(self))
        return spatial.convolution(inputs, kernel, self.strides, self.padding, self.data_format,
                                   self.dilation_rate, owner=layer_owner(self), bias=bias)

    def _convolve_gates(self, inputs, kernel, bias=None, recurrent=False):
        """The pre-activations of all gates: one convolution with the whole kernel, or, when
        dropout gives each gate its own copy of `inputs` (a list), one per gate."""
        if not isinstance(inputs, list):
            return self._convolve(inputs, kernel, bias, recurrent)
        biases = [None] * _GATES if bias is None else self._gate_slices(bias)
        return K.concatenate([self._convolve(x, k, b, recurrent) for x, k, b in zip(
            inputs, self._gate_slices(kernel), biases)], axis=channel_axis(self.data_format))

    def project(self, sequence, training=None):
        """The input convolutions (plus bias) of every step of a (batch, time, ...) sequence,
        as one convolution over batch * time images: (batch, time, ...) pre-activations."""
        batch, steps = sequence.shape[:2]
        masks = self._masks('_dropout_mask', self.dropout, (batch,) + sequence.shape[2:],
                            sequence.dtype, training, _GATES)

        def images(x):
            return K.reshape(x, (batch * steps,) + x.shape[2:])
        if masks is None:
            inputs = images(sequence)
        else:
            inputs = [images(sequence * K.expand_dims(mask, 1)) for mask in masks]
        z = self._convolve_gates(inputs, self.kernel, self.bias)
        return K.reshape(z, (batch, steps) + z.shape[1:])

    def step(self, projected, states, training=None):
        """One step from the input pre-activations of this step (from `project`)."""
        h_tm1, c_tm1 = states[0], states[1]
        masks = self._recurrent_masks(h_tm1, training, _GATES)
        h_gates = h_tm1 if masks is None else [h_tm1 * mask for mask in masks]
        z = projected + self._convolve_gates(h_gates, self.recurrent_kernel, recurrent=True)
        z_i, z_f, z_c, z_o = self._gate_slices(z)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_tm1 + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]

    def call(self, inputs, states, training=None):
        masks = self._masks('_dropout_mask', self.dropout, inputs.shape, inputs.dtype, training,
                            _GATES)
        gate_inputs = inputs if masks is None else [inputs * mask for mask in masks]
        return self.step(self._convolve_gates(gate_inputs, self.kernel, self.bias), states,
                         training)

    def get_config(self):
        lstm = super().get_config()
        config = {'filters': self.filters, 'kernel_size': self.kernel_size,
                  'strides': self.strides, 'padding': self.padding,
                  'data_format': self.data_format, 'dilation_rate': self.dilation_rate}
        for key in _LSTM_ARGUMENTS:
            config[key] = lstm.pop(key)
        del lstm['units'], lstm['implementation']
        return {**lstm, **config}


# Keras 2's order of the LSTM arguments in the ConvLSTM2D configs
_LSTM_ARGUMENTS = _COMMON[1:2] + ('recurrent_activation',) + _COMMON[2:6] + (
    'unit_forget_bias',) + _COMMON[6:]


class ConvLSTM2D(_CellLayer):
    """Convolutional LSTM (Shi et al., 2015) over (batch, time, rows, cols, channels) inputs
    (channels_last; (batch, time, channels, rows, cols) with channels_first).

    The outputs and states are images of `filters` channels: (batch, new_rows, new_cols,
    filters), with a time axis after the batch axis when return_sequences. A mask may be
    (batch, time) (skipped steps keep the states), or, as the Masking layer makes it,
    (batch, time, rows, cols): then each position keeps its states where it is masked
    (tf.keras' rule; the positions must be those of the outputs).
    """
    _CELL_ARGUMENTS = ('filters', 'kernel_size', 'strides', 'padding', 'data_format',
                       'dilation_rate') + _LSTM_ARGUMENTS

    @legacy_interface('convlstm2d')
    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid', data_format=None,
                 dilation_rate=(1, 1), activation='tanh', recurrent_activation='hard_sigmoid',
                 use_bias=True, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, dropout=0.,
                 recurrent_dropout=0., **kwargs):
        if kwargs.pop('unroll', False):
            raise TypeError("Unrolling is not possible with convolutional RNNs "
                            f"({type(self).__name__}). Received: unroll=True")
        cell = ConvLSTM2DCell(filters, kernel_size, strides=strides, padding=padding,
                              data_format=data_format, dilation_rate=dilation_rate,
                              activation=activation, recurrent_activation=recurrent_activation,
                              use_bias=use_bias, kernel_initializer=kernel_initializer,
                              recurrent_initializer=recurrent_initializer,
                              bias_initializer=bias_initializer,
                              unit_forget_bias=unit_forget_bias,
                              kernel_regularizer=kernel_regularizer,
                              recurrent_regularizer=recurrent_regularizer,
                              bias_regularizer=bias_regularizer,
                              kernel_constraint=kernel_constraint,
                              recurrent_constraint=recurrent_constraint,
                              bias_constraint=bias_constraint, dropout=dropout,
                              recurrent_dropout=recurrent_dropout, dtype=kwargs.get('dtype'))
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful, False,
                         activity_regularizer, **kwargs)
        self.input_spec = [InputSpec(ndim=self.cell.rank + 3)]

    @property
    def _state_channel_axis(self):
        return channel_axis(self.cell.data_format)

    def _state_shape(self, input_shape, dim):
        # both states have `filters` (= dim) channels
        shape = self.cell.output_image_shape((input_shape[0],) + tuple(input_shape[2:]))
        if None in shape[1:]:
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) needs to know the "
                             f"image size of its inputs to make its states; received input "
                             f"shape {tuple(input_shape)}.")
        return shape

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        state_shape = self.cell.output_image_shape((input_shape[0],) + tuple(input_shape[2:]))
        check_output_sizes(self, input_shape, spatial_sizes(state_shape, self.cell.data_format,
                                                            self.cell.rank))
        output_shape = state_shape
        if self.return_sequences:
            output_shape = state_shape[:1] + (input_shape[1],) + state_shape[1:]
        if self.return_state:
            return [output_shape, state_shape, state_shape]
        return output_shape

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # a window that does not fit fails here
        super().build(input_shape)

    def _run_cell(self, inputs, initial_state, mask, training, constants):
        if constants:
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) takes no constants.")
        if mask is not None:
            self._check_mask(mask, inputs, initial_state[0])

        def step(projected_t, states):
            return self.cell.step(projected_t, states, training)
        # tf.keras' ConvRNN leaves out zero_output_for_mask (Bidirectional's zeros at masked
        # steps): a masked step repeats the previous output there too
        return K.rnn(step, self.cell.project(inputs, training), initial_state,
                     go_backwards=self.go_backwards, mask=mask,
                     return_all_outputs=self.return_sequences)

    def _check_mask(self, mask, inputs, state):
        """A mask is (batch, time) or, as Masking makes it, per position of the states."""
        if mask.shape[:2] != inputs.shape[:2]:
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}): the mask of shape "
                             f"{tuple(mask.shape)} does not match the (batch, time) axes of its "
                             f"input of shape {tuple(inputs.shape)}.")
        if mask.ndim - 1 > state.ndim or any(
                m not in (1, n) for m, n in zip(mask.shape[2:], state.shape[1:])):
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}): a mask of shape "
                             f"(batch, time) + {tuple(mask.shape[2:])} does not match the "
                             f"step outputs of shape {tuple(state.shape)}; pass a (batch, "
                             "time) mask, or one per output position.")
