"""clone_model: a new model of the same architecture with new layers (and so new weights).

Keras 2.2's algorithm: every layer is re-created from its config by its own class (custom
layers need no registration), the graph is called again node by node in the original's order,
with each call's keyword arguments, on new inputs or on the `input_tensors` given; a layer shared
by several nodes stays shared in the clone. The weights are freshly initialized, not copied
(`clone.set_weights(model.get_weights())` copies them).
"""
from ..layers.base import KerasTensor, _to_list
from ..layers.input_layer import Input, InputLayer
from .functional import Network
from .sequential import Sequential


def _clone_layer(layer):
    return layer.__class__.from_config(layer.get_config())


def _input_tensors(model, input_tensors):
    """New symbolic inputs for `model`: `input_tensors` (wrapped in Input layers where they are
    not symbolic yet), or new Inputs of the same shapes, dtypes and names."""
    if input_tensors is None:
        return [Input(batch_shape=x.shape, dtype=x.dtype, name=x._keras_history[0].name)
                for x in model.inputs]
    tensors = _to_list(input_tensors)
    if len(tensors) != len(model.inputs):
        raise ValueError(f"clone_model: model {model.name!r} has {len(model.inputs)} input(s); "
                         f"received {len(tensors)} input tensor(s).")
    return [x if isinstance(x, KerasTensor) else
            Input(tensor=x, name=f'input_wrapper_for_{original._keras_history[0].name}')
            for x, original in zip(tensors, model.inputs)]


def _clone_functional_model(model, input_tensors=None):
    inputs = _input_tensors(model, input_tensors)
    tensors = {id(old): new for old, new in zip(model.inputs, inputs)}
    layers = {}
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            layer = node.outbound_layer
            if isinstance(layer, InputLayer):
                continue
            if id(layer) not in layers:
                layers[id(layer)] = _clone_layer(layer)
            arguments = [tensors[id(x)] for x in node.input_tensors]
            outputs = _to_list(layers[id(layer)](
                arguments[0] if len(arguments) == 1 else arguments, **node.arguments))
            for old, new in zip(node.output_tensors, outputs):
                tensors[id(old)] = new
    from .training import Model
    return Model(inputs, [tensors[id(x)] for x in model.outputs], name=model.name)


def _clone_sequential_model(model, input_tensors=None):
    layers = [_clone_layer(layer) for layer in model.layers]
    if input_tensors is None:
        return Sequential(layers=layers, name=model.name)
    tensors = _to_list(input_tensors)
    if len(tensors) != 1:
        raise ValueError(f"clone_model: a Sequential model has one input; received "
                         f"{len(tensors)} input tensors.")
    x = tensors[0] if isinstance(tensors[0], KerasTensor) else Input(
        tensor=tensors[0], name=f'input_wrapper_for_{model.name}')
    origin = x._keras_history[0]
    if not isinstance(origin, InputLayer):
        raise ValueError(f"clone_model: the input tensor of a Sequential clone must come from "
                         f"an Input layer; {x!r} is the output of {origin.name!r}.")
    return Sequential(layers=[origin] + layers, name=model.name)


def clone_model(model, input_tensors=None):
    """A model of the same architecture as `model`, with new layers (new weights), built on new
    inputs or on `input_tensors`: Keras 2's keras.models.clone_model."""
    if isinstance(model, Sequential):
        return _clone_sequential_model(model, input_tensors)
    if not isinstance(model, Network):
        raise ValueError(f"clone_model: expected a Model or Sequential instance; received "
                         f"{type(model).__name__}: {model!r}.")
    return _clone_functional_model(model, input_tensors)
