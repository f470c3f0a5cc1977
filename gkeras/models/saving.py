"""Model configs in the Keras 2 layout, JSON / YAML, and whole models in Keras 2 HDF5 files.

Reading accepts what Keras 2.2.x, tf.keras 2.x (and, for configs, Keras 3) wrote: class names
'Model' / 'Functional', `inbound_nodes` as lists of [layer, node, tensor, kwargs] or as Keras 3
{'args', 'kwargs'} records, Sequential configs as a list or {'name', 'layers'} with or without an
InputLayer entry, tf.keras training configs (metric wrappers, 'Custom>' optimizers) and the
optimizer-state layouts of all three.
"""
import json
import os
import warnings

import numpy as np

from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers
from ..layers import serialization
from ..layers.base import _unpack
from . import hdf5


# --------------------------------------------------------------------------------------------
# functional configs

def network_config(model):
    """The Keras 2 functional config: layers with inbound_nodes, input_layers, output_layers."""
    from .functional import Network
    node_index_map = {}
    for layer in model.layers:
        # A model used as a layer starts with the node that links its own inputs to its outputs.
        kept = 1 if isinstance(layer, Network) else 0
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


def _keras3_history(value, layer_name):
    if isinstance(value, dict) and value.get('class_name') == '__keras_tensor__':
        return tuple(value['config']['keras_history'])
    raise ValueError(f"Layer {layer_name!r}: gkeras cannot rebuild a call whose inputs are not "
                     f"all layer outputs (found {value!r} in its inbound node).")


def _parse_node(node_data, layer_name):
    """([(inbound layer, node index, tensor index)], call kwargs, called on a list?) of a node."""
    if isinstance(node_data, dict) and 'args' in node_data:      # Keras 3
        args = node_data.get('args') or []
        kwargs = dict(node_data.get('kwargs') or {})
        first = args[0] if args else []
        if isinstance(first, list):
            return [_keras3_history(v, layer_name) for v in first], kwargs, True
        return [_keras3_history(first, layer_name)], kwargs, False
    if isinstance(node_data, dict):
        raise ValueError(f"Layer {layer_name!r} is called on a dict of tensors "
                         f"({sorted(node_data)}); gkeras layers take a tensor or a list.")
    entries = list(node_data)
    if entries and isinstance(entries[0], str):                   # one entry, not wrapped
        entries = [entries]
    inputs, kwargs = [], {}
    for entry in entries:
        if not isinstance(entry, (list, tuple)) or len(entry) not in (3, 4) or \
                entry[0] == '_CONSTANT_VALUE':
            raise ValueError(f"Layer {layer_name!r}: cannot rebuild the inbound node "
                             f"{node_data!r}; expected [layer_name, node_index, tensor_index, "
                             "kwargs] entries.")
        inputs.append((entry[0], int(entry[1]), int(entry[2])))
        if len(entry) == 4 and entry[3]:
            kwargs = dict(entry[3])
    return inputs, kwargs, len(inputs) > 1


def _endpoints(value):
    """[(layer, node, tensor)] from input_layers/output_layers in any Keras dialect."""
    if isinstance(value, dict):
        return [tuple(v) for v in value.values()]
    if value and isinstance(value[0], str):
        return [tuple(value)]
    return [tuple(v) for v in value]


def network_from_config(cls, config, custom_objects=None):
    """Rebuild a functional model (shared layers, nested models) from its Keras config."""
    from .functional import Network
    created = {}
    pending = {}
    order = []
    # Keras 3 counts a nested model's calls from 0; Keras 2 and gkeras count its own
    # inputs-to-outputs node first.
    keras3 = any(isinstance(node, dict) and 'args' in node for layer_data in config['layers']
                 for node in layer_data.get('inbound_nodes', []))
    for layer_data in config['layers']:
        layer = serialization.deserialize(layer_data, custom_objects=custom_objects)
        name = layer_data.get('name', layer.name)
        created[name] = layer
        order.append(name)
        pending[name] = [_parse_node(node, name) for node in layer_data.get('inbound_nodes', [])]

    def tensor(source, node_index, tensor_index, wanted_by):
        if source not in created:
            raise ValueError(f"Layer {wanted_by!r} takes its input from layer {source!r}, which "
                             "is not in the model config.")
        nodes = created[source]._inbound_nodes
        if keras3 and isinstance(created[source], Network):
            node_index += 1
        if node_index >= len(nodes):
            return None
        return nodes[node_index].output_tensors[tensor_index]

    # A node is made only once the nodes it reads exist: layers shared at several depths
    # (A(B(A(x)))) need several passes. Each layer's nodes are made in their saved order.
    while any(pending.values()):
        progress = False
        for name in order:
            queue = pending[name]
            while queue:
                inputs, kwargs, as_list = queue[0]
                tensors = [tensor(*spec, name) for spec in inputs]
                if any(t is None for t in tensors):
                    break
                queue.pop(0)
                created[name](tensors if as_list else _unpack(tensors), **kwargs)
                progress = True
        if not progress:
            waiting = {name: queue[0][0] for name, queue in pending.items() if queue}
            raise ValueError(f"Cannot rebuild model {config.get('name')!r}: these layers wait "
                             f"for nodes that are never made: {waiting}.")

    def endpoint_tensors(key):
        tensors = []
        for source, node_index, tensor_index in _endpoints(config[key]):
            value = tensor(source, int(node_index), int(tensor_index), key)
            if value is None:
                raise ValueError(f"Model config {key}: layer {source!r} has no node "
                                 f"{node_index}.")
            tensors.append(value)
        return tensors
    model = cls(inputs=endpoint_tensors('input_layers'),
                outputs=endpoint_tensors('output_layers'), name=config.get('name'))
    if 'trainable' in config:
        model.trainable = config['trainable']
    return model


def sequential_from_config(cls, config, custom_objects=None):
    """A Sequential model from a Keras 2.1 list of layer configs or a {'name', 'layers'} dict."""
    if isinstance(config, dict):
        name, layer_configs = config.get('name'), config['layers']
        build_input_shape = config.get('build_input_shape')
    else:
        name, layer_configs, build_input_shape = None, config, None
    model = cls(name=name)
    for layer_config in layer_configs:
        model.add(serialization.deserialize(layer_config, custom_objects=custom_objects))
    if not model.inputs and build_input_shape:
        model.build(tuple(build_input_shape))
    if isinstance(config, dict) and 'trainable' in config:
        model.trainable = config['trainable']
    return model


def model_from_config(config, custom_objects=None, safe_mode=True):
    """A model from {'class_name': 'Model' | 'Functional' | 'Sequential', 'config': {...}}."""
    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. Maybe you meant "
                        "to use `Sequential.from_config(config)`?")
    return serialization.deserialize(config, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A model (without weights) from the JSON string of `model.to_json()`."""
    return model_from_config(json.loads(json_string), custom_objects, safe_mode)


def _yaml_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        """Safe YAML, plus the tuples Keras 2.2's `yaml.dump` tagged !!python/tuple."""
    Loader.add_constructor('tag:yaml.org,2002:python/tuple',
                           lambda loader, node: tuple(loader.construct_sequence(node)))
    return Loader


def model_from_yaml(yaml_string, custom_objects=None, safe_mode=True):
    """A model (without weights) from the YAML string of `model.to_yaml()` (never unpickles)."""
    import yaml
    return model_from_config(yaml.load(yaml_string, Loader=_yaml_loader()), custom_objects,
                             safe_mode)


def _json_default(obj):
    if hasattr(obj, 'get_config'):
        return {'class_name': type(obj).__name__, 'config': obj.get_config()}
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if callable(obj):
        return obj.__name__
    raise TypeError(f"Not JSON serializable: {obj!r}")


def to_json_string(value, **kwargs):
    return json.dumps(value, default=_json_default, **kwargs)


def model_config(model):
    """{'class_name', 'config', 'keras_version', 'backend'}, as Keras 2's `to_json` writes it."""
    return {'class_name': type(model).__name__, 'config': model.get_config(),
            'keras_version': hdf5.KERAS_VERSION, 'backend': hdf5.BACKEND}


def model_to_json(model, **kwargs):
    return to_json_string(model_config(model), **kwargs)


def model_to_yaml(model, **kwargs):
    import yaml
    return yaml.safe_dump(json.loads(model_to_json(model)), **kwargs)


# --------------------------------------------------------------------------------------------
# training configs

def _training_config(model):
    def names(value):
        if isinstance(value, dict):
            return {k: names(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [names(v) for v in value]
        if value is None or isinstance(value, str):
            return value
        return getattr(value, '__name__', type(value).__name__)
    return {'optimizer_config': optimizers.serialize(model.optimizer),
            'loss': names(model.loss), 'metrics': names(model.metrics),
            'weighted_metrics': names(model.weighted_metrics),
            'sample_weight_mode': model.sample_weight_mode,
            'loss_weights': model.loss_weights}


def _loss_from_config(value, custom_objects):
    if isinstance(value, list):
        return [_loss_from_config(v, custom_objects) for v in value]
    if isinstance(value, dict) and 'class_name' not in value:
        return {k: _loss_from_config(v, custom_objects) for k, v in value.items()}
    if value is None:
        return None
    return losses_module.deserialize(value, custom_objects)


def _metric_from_config(value, custom_objects, output_names):
    """A metric name or function from Keras 2.2's names or tf.keras' metric-object configs."""
    if isinstance(value, str):
        return custom_objects.get(value, value)
    if not isinstance(value, dict):
        return value
    class_name, config = value.get('class_name'), value.get('config') or {}
    if class_name in custom_objects:
        return custom_objects[class_name]
    name = config.get('name', class_name)
    for output in output_names:
        # tf.keras names a multi-output model's metrics '<output>_<metric>'.
        if len(output_names) > 1 and name.startswith(f'{output}_'):
            name = name[len(output) + 1:]
    if name in custom_objects:
        return custom_objects[name]
    for candidate in (name, config.get('fn'), class_name):
        if candidate in ('accuracy', 'acc', 'crossentropy', 'ce'):
            return candidate
        try:
            metrics_module.get(candidate)
            return candidate
        except (ValueError, TypeError):
            continue
    raise ValueError(f"Unknown metric {value!r}; pass it through `custom_objects`.")


def _metrics_from_config(value, custom_objects, output_names):
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _metrics_from_config(v, custom_objects, output_names) for k, v in value.items()}
    if isinstance(value, list):
        return [_metrics_from_config(v, custom_objects, output_names) if isinstance(v, list)
                else _metric_from_config(v, custom_objects, output_names) for v in value]
    return _metric_from_config(value, custom_objects, output_names)


# Keras 3 optimizer options that change nothing while None.
_NEUTRAL_OPTIMIZER_OPTIONS = ('loss_scale_factor', 'gradient_accumulation_steps')


def _optimizer_from_config(config, custom_objects):
    config = dict(config)
    class_name = str(config.get('class_name', ''))
    if class_name.startswith('Custom>'):
        # tf.keras 2.11+ registers its own optimizers under 'Custom>Adam' and so on.
        config['class_name'] = class_name[len('Custom>'):]
    config['config'] = {k: v for k, v in (config.get('config') or {}).items()
                        if not (k in _NEUTRAL_OPTIMIZER_OPTIONS and v is None)}
    return optimizers.deserialize(config, custom_objects=custom_objects)


def compile_from_training_config(model, training_config, custom_objects=None):
    """Compile `model` as the training config in a Keras 2.2 or tf.keras 2.x file says."""
    custom_objects = serialization.current_custom_objects(custom_objects)
    output_names = list(model.output_names)
    model.compile(
        optimizer=_optimizer_from_config(training_config['optimizer_config'], custom_objects),
        loss=_loss_from_config(training_config.get('loss'), custom_objects),
        metrics=_metrics_from_config(training_config.get('metrics'), custom_objects,
                                     output_names),
        weighted_metrics=_metrics_from_config(training_config.get('weighted_metrics'),
                                              custom_objects, output_names),
        loss_weights=training_config.get('loss_weights'),
        sample_weight_mode=training_config.get('sample_weight_mode'))


# --------------------------------------------------------------------------------------------
# files

def _proceed(filepath, overwrite):
    return overwrite or not os.path.isfile(filepath) or hdf5.ask_to_proceed_with_overwrite(filepath)


def _write(filepath, overwrite, write):
    """Run `write(h5 group)` on a new file that replaces `filepath` only once it is complete."""
    import h5py
    if isinstance(filepath, (h5py.File, h5py.Group)):
        write(filepath)
        return
    if not _proceed(filepath, overwrite):
        return
    with hdf5.atomic_writer(filepath) as handle:
        write(handle)


def save_weights(model, filepath, overwrite=True):
    """Every layer's weights in the Keras 2 HDF5 layout (readable by Keras 2.2 and tf.keras)."""
    _write(filepath, overwrite, lambda handle: hdf5.save_weights_to_group(handle, model.layers))


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Load a weights file (or the weights of a full-model file), checking all before assigning."""
    if skip_mismatch and not by_name:
        raise ValueError("When calling model.load_weights, skip_mismatch can only be set to True "
                         "when by_name is True.")
    with hdf5.open_for_reading(filepath) as handle:
        group = handle
        if 'layer_names' not in handle.attrs and 'model_weights' in handle:
            group = handle['model_weights']
        assignments = hdf5.plan_weights(group, model.layers, filepath, by_name=by_name,
                                        skip_mismatch=skip_mismatch)
    hdf5.assign(assignments)


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Config, weights, training config and optimizer state in one Keras 2 HDF5 file."""
    optimizer = getattr(model, 'optimizer', None) if include_optimizer else None
    if optimizer is not None:
        # Create the slots now if training has not, so the saved state is complete.
        optimizer.build(model.trainable_weights)

    def write(handle):
        handle.attrs['keras_version'] = hdf5.string(hdf5.KERAS_VERSION)
        handle.attrs['backend'] = hdf5.string(hdf5.BACKEND)
        config = {'class_name': type(model).__name__, 'config': model.get_config()}
        handle.attrs['model_config'] = hdf5.string(to_json_string(config))
        hdf5.save_weights_to_group(handle.create_group('model_weights'), model.layers)
        if optimizer is not None:
            handle.attrs['training_config'] = hdf5.string(to_json_string(_training_config(model)))
            hdf5.save_optimizer_weights(handle, optimizer)
    _write(filepath, overwrite, write)


def _json_attribute(handle, name, filepath):
    value = handle.attrs.get(name)
    if value is None:
        return None
    try:
        return json.loads(hdf5.decode(value))
    except ValueError as error:
        raise ValueError(f"{hdf5.describe(filepath)}: the attribute {name!r} is not valid "
                         f"JSON: {error}") from error


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model saved with `save` (by gkeras, Keras 2.2.x or tf.keras 2.x), compiled if it was.

    Args:
        custom_objects: name -> class or function for user layers, losses, metrics, ...
        compile: compile the model as it was saved, optimizer state included.
        safe_mode: Lambda layers stored as Python bytecode load only with safe_mode=False (or
            when `custom_objects` supplies their function under the layer's name).
    """
    with hdf5.open_for_reading(filepath) as handle:
        config = _json_attribute(handle, 'model_config', filepath)
        if config is None:
            raise ValueError(f"No model found in config file {hdf5.describe(filepath)}: it has "
                             "no 'model_config' attribute (a weights file? use "
                             "`model.load_weights`).")
        model = model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)
        if 'model_weights' not in handle:
            raise hdf5.WeightFileError(f"{hdf5.describe(filepath)} has a model config but no "
                                       "'model_weights' group.")
        hdf5.assign(hdf5.plan_weights(handle['model_weights'], model.layers, filepath))
        training_config = _json_attribute(handle, 'training_config', filepath)
        if not compile:
            return model
        if training_config is None:
            warnings.warn('No training configuration found in save file: the model was *not* '
                          'compiled. Compile it manually.')
            return model
        with serialization.CustomObjectScope(custom_objects):
            compile_from_training_config(model, training_config, custom_objects)
        names, arrays = hdf5.read_optimizer_weights(handle, filepath)
    if names:
        _restore_optimizer(model, names, arrays, filepath)
    return model


def _restore_optimizer(model, names, arrays, filepath):
    optimizer = model.optimizer
    optimizer.build(model.trainable_weights)
    try:
        state = hdf5.optimizer_state(optimizer, names, arrays, filepath)
    except ValueError as error:
        problem = str(error)
    else:
        problem = hdf5.check_optimizer_state(optimizer, state)
    if problem is not None:
        warnings.warn(f"Error in loading the saved optimizer state of "
                      f"{hdf5.describe(filepath)} ({problem}). As a result, your model is "
                      "starting with a freshly initialized optimizer.")
        return
    optimizer.set_weights(state)
