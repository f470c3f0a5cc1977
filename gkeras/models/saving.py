"""Model configs (Keras 2 JSON layout) and, later, HDF5 files."""


def network_config(model):
    """The Keras 2 functional config: layers with inbound_nodes, input_layers, output_layers."""
    node_index_map = {}
    for layer in model.layers:
        kept = 0
        for original_index, node in enumerate(layer._inbound_nodes):
            if id(node) in model._network_nodes:
                node_index_map[(id(layer), original_index)] = kept
                kept += 1
    layer_configs = []
    for layer in model.layers:
        inbound_nodes = []
        for node in layer._inbound_nodes:
            if id(node) not in model._network_nodes or not node.inbound_layers:
                continue
            node_data = []
            for inbound, node_index, tensor_index in zip(node.inbound_layers, node.node_indices,
                                                         node.tensor_indices):
                new_index = node_index_map.get((id(inbound), node_index), 0)
                node_data.append([inbound.name, new_index, tensor_index, dict(node.arguments)])
            inbound_nodes.append(node_data)
        layer_configs.append({'name': layer.name, 'class_name': type(layer).__name__,
                              'config': layer.get_config(), 'inbound_nodes': inbound_nodes})

    def endpoints(tensors):
        out = []
        for x in tensors:
            layer, node_index, tensor_index = x._keras_history
            out.append([layer.name, node_index_map.get((id(layer), node_index), 0), tensor_index])
        return out
    return {'name': model.name, 'layers': layer_configs,
            'input_layers': endpoints(model.inputs), 'output_layers': endpoints(model.outputs)}
