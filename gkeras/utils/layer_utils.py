"""print_summary: the Keras 2 model summary table."""
import numpy as np

from .conv_utils import convert_kernel


def count_params(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _output_shape_text(layer):
    try:
        return str(layer.output_shape)
    except AttributeError:
        return 'multiple'


def _is_chain(model):
    """Keras 2.2's test for the three-column table: one node per depth with at most one inbound
    layer, and no layer called twice inside the model."""
    nodes = []
    for depth_nodes in model._nodes_by_depth.values():
        if len(depth_nodes) > 1 or (depth_nodes and len(depth_nodes[0].inbound_layers) > 1):
            return False
        nodes += depth_nodes
    node_ids = {id(node) for node in nodes}
    return all(sum(id(node) in node_ids for node in layer._inbound_nodes) <= 1
               for layer in model.layers)


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Print a table of layers, output shapes, parameter counts (and inbound layers for graphs)."""
    print_fn = print_fn or print
    from ..models.sequential import Sequential
    sequential_like = isinstance(model, Sequential) or _is_chain(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [.45, .85, 1.]
        headers = ['Layer (type)', 'Output Shape', 'Param #']
    else:
        line_length = line_length or 98
        positions = positions or [.33, .55, .67, 1.]
        headers = ['Layer (type)', 'Output Shape', 'Param #', 'Connected to']
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def row(fields):
        line = ''
        for i, (field, stop) in enumerate(zip(fields, positions)):
            if i > 0:
                line = line[:-1] + ' '
            line = (line + str(field))[:stop]
            line += ' ' * (stop - len(line))
        print_fn(line)

    print_fn(f'Model: "{model.name}"')
    print_fn('_' * line_length)
    row(headers)
    print_fn('=' * line_length)
    layers = model.layers
    for i, layer in enumerate(layers):
        params = count_params(layer.weights) if layer.built else 0
        fields = [f'{layer.name} ({type(layer).__name__})', _output_shape_text(layer), params]
        if sequential_like:
            row(fields)
        else:
            connections = []
            for node in layer._inbound_nodes:
                if id(node) not in model._network_nodes:
                    continue
                for inbound, node_index, tensor_index in zip(
                        node.inbound_layers, node.node_indices, node.tensor_indices):
                    connections.append(f'{inbound.name}[{node_index}][{tensor_index}]')
            row(fields + [connections[0] if connections else ''])
            for connection in connections[1:]:
                row(['', '', '', connection])
        print_fn('=' * line_length if i == len(layers) - 1 else '_' * line_length)
    trainable = count_params(model.trainable_weights)
    non_trainable = count_params(model.non_trainable_weights)
    print_fn(f'Total params: {trainable + non_trainable:,}')
    print_fn(f'Trainable params: {trainable:,}')
    print_fn(f'Non-trainable params: {non_trainable:,}')
    print_fn('_' * line_length)


def get_source_inputs(tensor, layer=None, node_index=None):
    """The input tensors (of Input layers) that `tensor` is computed from, in first-reached
    order, as Keras 2's get_source_inputs; a tensor without a history is returned as it is."""
    if not hasattr(tensor, '_keras_history') or tensor._keras_history is None:
        return tensor
    if layer is None or node_index:
        layer, node_index, _ = tensor._keras_history
    if not layer._inbound_nodes:
        return [tensor]
    node = layer._inbound_nodes[node_index]
    if not node.inbound_layers:  # an Input layer's node
        return list(node.input_tensors)
    sources = []
    for x, inbound, index in zip(node.input_tensors, node.inbound_layers, node.node_indices):
        for source in get_source_inputs(x, inbound, index):
            if not any(source is known for known in sources):
                sources.append(source)
    return sources


def convert_all_kernels_in_model(model):
    """Flip the kernels of the model's Conv1D, Conv2D, Conv3D and Conv2DTranspose layers
    (conv_utils.convert_kernel): weights trained with Theano's convolution to TensorFlow's, or
    back, as Keras 2's function of this name (separable convolutions are left alone)."""
    from .. import backend as K
    for layer in model.layers:
        if type(layer).__name__ in ('Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose'):
            K.set_value(layer.kernel, convert_kernel(K.get_value(layer.kernel)))


def convert_dense_weights_data_format(dense, previous_feature_map_shape,
                                      target_data_format='channels_first'):
    """Reorder the kernel rows of a Dense layer that follows a Flatten, for the feature maps'
    other data format (Keras 2's): `previous_feature_map_shape` is the maps' shape before the
    Flatten in the target format, without the batch axis."""
    if target_data_format not in ('channels_first', 'channels_last'):
        raise ValueError(f"convert_dense_weights_data_format: target_data_format must be "
                         f"'channels_first' or 'channels_last'; received {target_data_format!r}.")
    kernel, *rest = dense.get_weights()
    shape = tuple(previous_feature_map_shape)
    if int(np.prod(shape)) != kernel.shape[0]:
        raise ValueError(f"convert_dense_weights_data_format: feature maps of shape {shape} "
                         f"flatten to {int(np.prod(shape))} values, but {dense.name!r} takes "
                         f"{kernel.shape[0]}.")
    if target_data_format == 'channels_first':  # the rows are in channels_last order now
        source = shape[1:] + shape[:1]
        order = (len(shape) - 1,) + tuple(range(len(shape) - 1))
    else:
        source = shape[-1:] + shape[:-1]
        order = tuple(range(1, len(shape))) + (0,)
    columns = kernel.T.reshape((-1,) + source)
    converted = columns.transpose((0,) + tuple(a + 1 for a in order)).reshape(kernel.shape[1], -1)
    dense.set_weights([converted.T] + rest)
