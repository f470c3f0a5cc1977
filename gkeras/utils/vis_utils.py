"""plot_model / model_to_dot: a model's layer graph drawn with pydot and GraphViz, as Keras 2.2.5
draws it. pydot is optional (not a gkeras dependency): without it these raise Keras' ImportError.
"""
import os

try:
    import pydot
except ImportError:
    pydot = None


def _check_pydot():
    """Raise Keras' errors if pydot or GraphViz is unavailable."""
    if pydot is None:
        raise ImportError('Failed to import `pydot`. Please install `pydot`. For example with '
                          '`pip install pydot`.')
    try:
        # an image of a blank graph checks the pydot / GraphViz installation
        pydot.Dot.create(pydot.Dot())
    except OSError:
        raise OSError('`pydot` failed to call GraphViz.Please install GraphViz '
                      '(https://www.graphviz.org/) and ensure that its executables are in the '
                      '$PATH.')


def _graph_layers(model):
    """The model's layers with its Input layers first (a Sequential model's `layers` omits its
    InputLayer; Keras 2.2.5 draws it)."""
    layers = list(model._layers)
    for tensor in model.inputs or []:
        origin = tensor._keras_history[0]
        if all(origin is not layer for layer in layers):
            layers.insert(0, origin)
    return layers


def _label(layer, show_shapes, show_layer_names):
    from ..layers.wrappers import Wrapper
    layer_name, class_name = layer.name, type(layer).__name__
    if isinstance(layer, Wrapper):
        layer_name = f'{layer_name}({layer.layer.name})'
        class_name = f'{class_name}({type(layer.layer).__name__})'
    label = f'{layer_name}: {class_name}' if show_layer_names else class_name
    if show_shapes:
        try:
            outputs = str(layer.output_shape)
        except AttributeError:
            outputs = 'multiple'
        try:
            inputs = str(layer.input_shape)
        except AttributeError:
            inputs = 'multiple'
        label = '%s\n|{input:|output:}|{{%s}|{%s}}' % (label, inputs, outputs)
    return label


def model_to_dot(model, show_shapes=False, show_layer_names=True, rankdir='TB',
                 expand_nested=False, dpi=96, subgraph=False):
    """The model as a pydot.Dot graph: a record node per layer (its name and class, with
    show_shapes its input and output shapes), an edge per connection inside the model.

    expand_nested (nested models drawn as clusters) and subgraph are not supported: they raise a
    ValueError rather than draw something else.
    """
    if expand_nested or subgraph:
        raise ValueError('model_to_dot: expand_nested and subgraph are not supported by gkeras; '
                         'nested models are drawn as one node each.')
    _check_pydot()
    if not getattr(model, 'built', True) or not model.inputs:
        raise ValueError(f'model_to_dot: the model {model.name!r} has no graph yet; build it '
                         '(call it on data or give its first layer an input_shape) first.')
    dot = pydot.Dot()
    dot.set('rankdir', rankdir)
    dot.set('concentrate', True)
    dot.set('dpi', dpi)
    dot.set_node_defaults(shape='record')
    layers = _graph_layers(model)
    for layer in layers:
        dot.add_node(pydot.Node(str(id(layer)), label=_label(layer, show_shapes,
                                                              show_layer_names)))
    inside = model._network_nodes
    for layer in layers:
        for node in layer._inbound_nodes:
            if id(node) in inside:
                for inbound in node.inbound_layers:
                    dot.add_edge(pydot.Edge(str(id(inbound)), str(id(layer))))
    return dot


def plot_model(model, to_file='model.png', show_shapes=False, show_layer_names=True,
               rankdir='TB', expand_nested=False, dpi=96):
    """Write the model's graph (model_to_dot) as an image to to_file, in the format its
    extension names (png by default)."""
    dot = model_to_dot(model, show_shapes, show_layer_names, rankdir, expand_nested, dpi)
    _, extension = os.path.splitext(to_file)
    dot.write(to_file, format=extension[1:] if extension else 'png')
