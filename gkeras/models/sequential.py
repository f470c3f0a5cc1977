"""Sequential: a linear stack of layers."""
from ..layers.base import KerasTensor, Layer
from ..layers.input_layer import Input, InputLayer
from .training import Model
from .training_utils import as_array_list


class Sequential(Model):
    """A linear stack of layers: `Sequential([Dense(32, input_shape=(784,)), Dense(10)])`.

    The model is built as soon as its first layer knows its input shape; otherwise on the first
    call with data, from the data's shape.
    """

    def __init__(self, layers=None, name=None):
        super().__init__(name=name)
        self._stack = []
        self._input_layer = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer):
        """Append a layer (or an `Input` tensor as the first element)."""
        if isinstance(layer, KerasTensor):
            origin = layer._keras_history[0]
            if not isinstance(origin, InputLayer) or self._stack or self._input_layer:
                raise TypeError("Sequential.add accepts an `Input` tensor only as the first "
                                f"element; received {layer!r}.")
            self._set_input(layer)
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. Found: {layer!r}")
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer:
                raise TypeError("An InputLayer can only be the first layer of a Sequential model.")
            self._set_input(layer._inbound_nodes[0].output_tensors[0])
            return
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(f"All layers added to a Sequential model should have unique names. "
                             f"Name {layer.name!r} is already the name of a layer in this model.")
        if not self.outputs and self._input_layer is None and not self._stack:
            shape = getattr(layer, 'batch_input_shape', None)
            if shape is None and isinstance(layer, Model) and layer.inputs:
                shape = layer.inputs[0]._keras_shape
            if shape is not None:
                self._set_input(Input(batch_shape=shape, dtype=layer.dtype,
                                      name=f'{layer.name}_input'))
        self._stack.append(layer)
        if self.outputs:
            try:
                self._connect(layer)
            except Exception:
                self._stack.pop()  # a layer that does not fit leaves the model as it was
                raise
        self.built = bool(self.outputs)

    def _set_input(self, tensor):
        self._input_layer = tensor._keras_history[0]
        self.inputs = [tensor]
        self.outputs = [tensor]
        for layer in self._stack:
            self._connect(layer)

    def _connect(self, layer):
        output = layer(self.outputs[0])
        if isinstance(output, list):
            raise TypeError("All layers in a Sequential model should have a single output "
                            f"tensor; layer {layer.name!r} has {len(output)}.")
        self._init_graph_network(self.inputs, [output])

    def _init_graph_network(self, inputs, outputs):
        super()._init_graph_network(inputs, outputs)
        self._layers = list(self._stack)

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise TypeError('There are no layers in the model.')
        removed = self._stack.pop()
        if self.outputs and removed._inbound_nodes:
            removed._inbound_nodes.pop()
        if not self._stack:
            self.outputs = list(self.inputs)
            self.built = False
            return
        last = self._stack[-1]
        last._outbound_nodes = []
        if self.inputs:
            super()._init_graph_network(self.inputs, [last._inbound_nodes[-1].output_tensors[0]])
            self._layers = list(self._stack)

    def build(self, input_shape=None):
        """Build the graph from a batch input shape (for models whose first layer had none)."""
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")
        if not self.inputs:
            self._set_input(Input(batch_shape=tuple(input_shape),
                                  name=f'{self._stack[0].name}_input' if self._stack else None))
        self.built = True

    def _ensure_graph(self, arrays=None):
        if self.inputs and self.outputs[0] is not self.inputs[0]:
            return
        if not self._stack:
            raise ValueError("Sequential model has no layers; add some with `model.add`.")
        if arrays is not None:
            self.build((None,) + tuple(arrays[0].shape[1:]))

    def _standardize_inputs(self, x):
        if not self.inputs:
            self._ensure_graph(as_array_list(x, ['input'], 'input'))
        return super()._standardize_inputs(x)

    def compile(self, optimizer, loss=None, metrics=None, **kwargs):
        self._pending_compile = None
        if not self.inputs:
            # output shapes are unknown until the data arrives; finish compiling then
            self._pending_compile = (optimizer, loss, metrics, kwargs)
            self._compiled = True
            return
        super().compile(optimizer, loss=loss, metrics=metrics, **kwargs)

    def _finish_compile(self):
        pending = getattr(self, '_pending_compile', None)
        if pending is not None:
            self._pending_compile = None
            optimizer, loss, metrics, kwargs = pending
            super().compile(optimizer, loss=loss, metrics=metrics, **kwargs)

    def _prepare(self, x, y, sample_weight, class_weight):
        if not self.inputs:
            self._ensure_graph(as_array_list(x, ['input'], 'input'))
        self._finish_compile()
        return super()._prepare(x, y, sample_weight, class_weight)

    def get_config(self):
        from ..layers.serialization import serialize
        layers = [serialize(layer) for layer in self.layers]
        if self._input_layer is not None and self._stack and \
                getattr(self._stack[0], 'batch_input_shape', None) is None:
            # The first layer does not carry the input shape: keep the InputLayer (tf.keras does).
            layers.insert(0, serialize(self._input_layer))
        return {'name': self.name, 'layers': layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """From a Keras 2.1 list of layer configs or {'name', 'layers'}, with or without InputLayer."""
        from .saving import sequential_from_config
        return sequential_from_config(cls, config, custom_objects)
