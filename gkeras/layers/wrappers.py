"""Layers that wrap another layer: TimeDistributed and Bidirectional."""
import copy
import inspect

from .. import backend as K
from ..backend import autodiff as ad
from ..backend import selection
from .base import InputSpec, Layer, is_symbolic
from .recurrent import _rename_weights, _standardize_args


def _call_parameters(layer):
    return inspect.signature(layer.call).parameters


def _deserialize_layer(config, custom_objects=None):
    """A layer from {'class_name', 'config'}: gkeras.layers or `custom_objects`."""
    from .. import layers as layers_module
    class_name = config['class_name']
    cls = (custom_objects or {}).get(class_name) or getattr(layers_module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(f"Unknown layer: {class_name!r}; pass it in `custom_objects`.")
    if 'custom_objects' in inspect.signature(cls.from_config).parameters:
        return cls.from_config(dict(config['config']), custom_objects=custom_objects)
    return cls.from_config(dict(config['config']))


class Wrapper(Layer):
    """Base class of layers that wrap one layer; weights and losses are the wrapped layer's."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"{type(self).__name__} must wrap a layer instance; received "
                             f"{layer!r}.")
        self.layer = layer
        super().__init__(**kwargs)

    @property
    def trainable_weights(self):
        return self.layer.trainable_weights if self.trainable else []

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return self.layer.non_trainable_weights
        return self.layer.trainable_weights + self.layer.non_trainable_weights

    @property
    def losses(self):
        return self.layer.losses + super().losses

    def get_config(self):
        config = {'layer': {'class_name': type(self.layer).__name__,
                            'config': self.layer.get_config()}}
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = _deserialize_layer(config.pop('layer'), custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies a layer to every temporal slice (axis 1) of its input: the layer runs once on the
    input reshaped to (batch * time, ...)."""

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True
        self.activity_regularizer = getattr(layer, 'activity_regularizer', None)

    def _inner_shape(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed layer {self.name!r} needs an input of rank >= 3 "
                             f"(batch, time, ...); received input shape {tuple(input_shape)}.")
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        inner_shape = self._inner_shape(input_shape)
        self.input_spec = InputSpec(shape=(None, None) + tuple(input_shape[2:]))
        if not self.layer.built:
            self.layer.build(inner_shape)
            self.layer.built = True
            _rename_weights(self.layer.weights, self.name)
        self.built = True

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape(self._inner_shape(input_shape))
        return (inner[0], input_shape[1]) + tuple(inner[1:])

    @staticmethod
    def _flatten_mask(mask):
        return mask.reshape((-1,) + mask.shape[2:])

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[:2]
        flat = K.reshape(inputs, (-1,) + inputs.shape[2:])
        parameters = _call_parameters(self.layer)
        kwargs = {}
        if 'training' in parameters:
            kwargs['training'] = training
        if 'mask' in parameters and mask is not None:
            kwargs['mask'] = self._flatten_mask(ad.raw(mask))
        outputs = self.layer.call(flat, **kwargs)
        return K.reshape(outputs, (batch, steps) + outputs.shape[1:])

    def compute_mask(self, inputs, mask=None):
        xp = selection.active().xp
        flat = ad.Tensor(ad.raw(inputs).reshape((-1,) + inputs.shape[2:]))
        inner_mask = self.layer.compute_mask(
            flat, None if mask is None else self._flatten_mask(ad.raw(mask)))
        if inner_mask is None:
            if mask is None:
                return None
            mask = xp.asarray(ad.raw(mask), dtype=bool)
            return mask.any(axis=tuple(range(2, mask.ndim))) if mask.ndim > 2 else mask
        inner_mask = ad.raw(inner_mask)
        return inner_mask.reshape(inputs.shape[:2] + inner_mask.shape[1:])


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges their outputs.

    Args:
        layer: the recurrent layer (an RNN). The forward and backward copies are rebuilt from its
            config, named `forward_<name>` and `backward_<name>`.
        merge_mode: 'concat', 'sum', 'mul', 'ave', or None for a list [forward, backward].
        weights: initial weights, the forward layer's then the backward layer's.

    With return_sequences the backward outputs are reversed back into input order, and masked
    steps output zeros (tf.keras 2.x).
    """

    _MERGE_MODES = ('sum', 'mul', 'ave', 'concat', None)

    def __init__(self, layer, merge_mode='concat', weights=None, **kwargs):
        if merge_mode not in self._MERGE_MODES:
            raise ValueError(f"Invalid merge mode for Bidirectional: {merge_mode!r}. Merge mode "
                             "should be one of {'sum', 'mul', 'ave', 'concat', None}.")
        if not hasattr(layer, 'go_backwards') or not hasattr(layer, 'return_sequences'):
            raise ValueError(f"Bidirectional wraps a recurrent layer (with go_backwards and "
                             f"return_sequences); received {layer!r}.")
        super().__init__(layer, weights=weights, **kwargs)
        self.forward_layer = self._recreate(layer, go_backwards=False)
        self.backward_layer = self._recreate(layer, go_backwards=True)
        self.forward_layer.name = 'forward_' + self.forward_layer.name
        self.backward_layer.name = 'backward_' + self.backward_layer.name
        for direction in (self.forward_layer, self.backward_layer):
            direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = copy.copy(layer.input_spec)
        self._num_constants = None

    @staticmethod
    def _recreate(layer, go_backwards):
        config = layer.get_config()
        if go_backwards:
            config['go_backwards'] = not config['go_backwards']
        if 'custom_objects' in inspect.signature(type(layer).from_config).parameters:
            cell = getattr(layer, 'cell', None)
            custom = {}
            if cell is not None:
                custom[type(cell).__name__] = type(cell)
                for inner in getattr(cell, 'cells', []):
                    custom[type(inner).__name__] = type(inner)
            return type(layer).from_config(config, custom_objects=custom)
        return type(layer).from_config(config)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return self.forward_layer.trainable_weights + self.backward_layer.trainable_weights

    @property
    def non_trainable_weights(self):
        weights = self.forward_layer.non_trainable_weights + \
            self.backward_layer.non_trainable_weights
        if not self.trainable:
            return self.forward_layer.trainable_weights + \
                self.backward_layer.trainable_weights + weights
        return weights

    @property
    def losses(self):
        return self.forward_layer.losses + self.backward_layer.losses + Layer.losses.fget(self)

    def compute_output_shape(self, input_shape):
        output_shape = self.forward_layer.compute_output_shape(input_shape)
        state_shapes = []
        if self.return_state:
            state_shapes = list(output_shape[1:])
            output_shape = output_shape[0]
        output_shape = tuple(output_shape)
        if self.merge_mode == 'concat':
            output_shape = output_shape[:-1] + (None if output_shape[-1] is None
                                                else 2 * output_shape[-1],)
        if self.merge_mode is None:
            outputs = [output_shape, output_shape]
        else:
            outputs = [output_shape]
        if self.return_state:
            return outputs + state_shapes + state_shapes
        return outputs if self.merge_mode is None else output_shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        if self.return_sequences:
            output_mask = [mask, mask] if not self.merge_mode else mask
        else:
            output_mask = [None, None] if not self.merge_mode else None
        if self.return_state:
            state_mask = [None] * len(self.forward_layer.states)
            if isinstance(output_mask, list):
                return output_mask + state_mask * 2
            return [output_mask] + state_mask * 2
        return output_mask

    def _check_input_spec(self, shapes):
        super()._check_input_spec(shapes[:1])

    def build(self, input_shape):
        for direction in (self.forward_layer, self.backward_layer):
            direction.build(input_shape)
            direction.built = True
            for weight in direction.weights:
                weight.name = f'{self.name}/{weight.name}'
        self.built = True

    def __call__(self, inputs, initial_state=None, constants=None, **kwargs):
        inputs, initial_state, constants = _standardize_args(inputs, initial_state, constants,
                                                             self._num_constants)
        if constants is not None:
            raise ValueError(f"Bidirectional layer {self.name!r}: `constants` are not supported.")
        if initial_state is None:
            return super().__call__(inputs, **kwargs)
        if len(initial_state) % 2:
            raise ValueError(f"When passing `initial_state` to Bidirectional layer "
                             f"{self.name!r}, the state should be a list containing the states "
                             f"of the underlying RNNs (forward then backward). Received "
                             f"{len(initial_state)} states.")
        symbolic = [is_symbolic(s) for s in initial_state]
        if any(symbolic) != all(symbolic):
            raise ValueError(f"The initial state of Bidirectional layer {self.name!r} cannot be "
                             "specified with a mix of symbolic tensors and data.")
        if is_symbolic(inputs) and not all(symbolic):
            return super().__call__(inputs, initial_state=initial_state, **kwargs)
        return super().__call__([inputs] + initial_state, **kwargs)

    def call(self, inputs, training=None, mask=None, initial_state=None):
        if isinstance(inputs, list):
            if len(inputs) > 1:
                initial_state = inputs[1:]
            inputs = inputs[0]
        if isinstance(mask, list):
            mask = mask[0]
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer.call(inputs, mask=mask, training=training,
                                    initial_state=forward_state)
        y_rev = self.backward_layer.call(inputs, mask=mask, training=training,
                                         initial_state=backward_state)
        states = []
        if self.return_state:
            states = y[1:] + y_rev[1:]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]
        if self.merge_mode == 'concat':
            output = K.concatenate([y, y_rev])
        elif self.merge_mode == 'sum':
            output = y + y_rev
        elif self.merge_mode == 'ave':
            output = (y + y_rev) / 2
        elif self.merge_mode == 'mul':
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def reset_states(self, states=None):
        if not self.stateful:
            raise AttributeError(f"Layer {self.name!r} must be stateful to reset its states.")
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    def get_config(self):
        return {**super().get_config(), 'merge_mode': self.merge_mode}
