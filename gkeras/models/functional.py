"""Network: a graph of layer calls (Nodes) from input tensors to output tensors, run in order."""
import collections

import numpy as np

from .. import backend as K
from ..backend import autodiff as ad
from ..backend import config as backend_config
from ..layers import symbolic_ops
from ..layers.base import KerasTensor, Layer, Node, _collector, _to_list, _unpack, normalize_shape
from ..layers.input_layer import InputLayer
from ..legacy import convert_arguments


class Network(Layer):
    """A directed acyclic graph of layers, itself usable as a layer."""

    _ALLOWED_KWARGS = Layer._ALLOWED_KWARGS

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        if 'input' in kwargs or 'output' in kwargs:
            given = {key: value for key, value in (('inputs', inputs), ('outputs', outputs))
                     if value is not None}
            _, kwargs = convert_arguments('model', type(self).__name__, (), {**given, **kwargs})
            inputs, outputs = kwargs.pop('inputs', None), kwargs.pop('outputs', None)
        super().__init__(name=name, **kwargs)
        self.inputs = []
        self.outputs = []
        self._layers = []
        self._nodes_by_depth = {}
        self._symbolic_losses = []
        self._loss_nodes = []
        self._latest_values = {}
        self.stop_training = False
        if inputs is not None or outputs is not None:
            self._init_graph_network(inputs, outputs)

    # ------------------------------------------------------------------ graph construction
    def _init_graph_network(self, inputs, outputs):
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        self.inputs = _flatten_tensors(inputs, 'inputs', self.name)
        self.outputs = _flatten_tensors(outputs, 'outputs', self.name)
        for x in self.inputs:
            layer = x._keras_history[0]
            if not isinstance(layer, InputLayer) or x._keras_history[1] != 0:
                raise ValueError(f"Input tensors to a Model must come from `Input` (got "
                                 f"{x!r} from layer {layer.name!r}).")
        if len({id(x) for x in self.inputs}) != len(self.inputs):
            raise ValueError(f"Model {self.name!r}: the same input tensor is given twice.")
        self._input_layers = [x._keras_history[0] for x in self.inputs]
        self._output_layers = [x._keras_history[0] for x in self.outputs]
        self.input_names = [layer.name for layer in self._input_layers]
        self.output_names = [layer.name for layer in self._output_layers]
        self._build_topology()
        self.built = True
        self.dtype = self.inputs[0].dtype if self.inputs else K.floatx()
        self._inbound_nodes = []
        Node(self, inbound_layers=[], node_indices=[], tensor_indices=[],
             input_tensors=list(self.inputs), output_tensors=list(self.outputs),
             input_shapes=[x._keras_shape for x in self.inputs],
             output_shapes=[x._keras_shape for x in self.outputs])

    def _build_topology(self):
        finished, in_progress = set(), set()
        ordered_nodes = []
        layer_indices = {}

        def visit(tensor):
            layer, node_index, _ = tensor._keras_history
            node = layer._inbound_nodes[node_index]
            if id(node) in in_progress:
                raise ValueError(f"The tensor {tensor!r} at layer {layer.name!r} is part of a cycle.")
            if id(node) in finished:
                return
            layer_indices.setdefault(id(layer), (len(layer_indices), layer))
            in_progress.add(id(node))
            for x in node.input_tensors if node.inbound_layers else []:
                visit(x)
            finished.add(id(node))
            in_progress.discard(id(node))
            ordered_nodes.append(node)

        for x in self.outputs:
            visit(x)
        reached_inputs = {id(n.outbound_layer) for n in ordered_nodes if not n.inbound_layers}
        for layer in self._input_layers:
            if id(layer) not in reached_inputs:
                layer_indices.setdefault(id(layer), (len(layer_indices), layer))
                ordered_nodes.insert(0, layer._inbound_nodes[0])
        for node in ordered_nodes:
            if not node.inbound_layers and not isinstance(node.outbound_layer, InputLayer):
                raise ValueError(f"Graph disconnected: layer {node.outbound_layer.name!r} is "
                                 "reached without an `Input`.")
            for x in (node.input_tensors if node.inbound_layers else []):
                source = x._keras_history[0]
                if (isinstance(source, InputLayer) and source not in self._input_layers
                        and source.constant is None):
                    raise ValueError(f"Graph disconnected: cannot obtain value for tensor {x!r} "
                                     f"at layer {source.name!r}. The following previous layers "
                                     f"were accessed without issue: "
                                     f"{[layer.name for layer in self._input_layers]}")

        node_depth, layer_depth = {}, {}
        for node in reversed(ordered_nodes):
            depth = node_depth.setdefault(id(node), 0)
            depth = max(depth, layer_depth.get(id(node.outbound_layer), 0))
            layer_depth[id(node.outbound_layer)] = depth
            node_depth[id(node)] = depth
            for layer, index in zip(node.inbound_layers, node.node_indices):
                inbound = layer._inbound_nodes[index]
                node_depth[id(inbound)] = max(depth + 1, node_depth.get(id(inbound), 0))
        by_depth = collections.defaultdict(list)
        for node in ordered_nodes:
            by_depth[node_depth[id(node)]].append(node)
        self._nodes_by_depth = dict(by_depth)
        self._execution_order = [n for d in sorted(by_depth, reverse=True) for n in by_depth[d]]
        layers_by_depth = collections.defaultdict(list)
        for key, (index, layer) in layer_indices.items():
            layers_by_depth[layer_depth.get(key, 0)].append((index, layer))
        layers = []
        for depth in sorted(layers_by_depth, reverse=True):
            layers.extend(layer for _, layer in sorted(layers_by_depth[depth], key=lambda t: t[0]))
        # backend functions applied to symbolic tensors run as nodes but are no layers of the
        # model (Keras 2.2 had none there either): `layers`, weights and files leave them out
        self._layers = [layer for layer in layers if not symbolic_ops.is_symbolic_op(layer)]
        self._network_nodes = {id(n) for n in ordered_nodes}
        # inputs that hold their own values (Input(tensor=K.variable(...))) and are not fed
        self._constant_inputs = [
            n for n in ordered_nodes if not n.inbound_layers
            and getattr(n.outbound_layer, 'constant', None) is not None
            and n.outbound_layer not in self._input_layers]
        names = [layer.name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"The name(s) {duplicates} are used {len(names)} times in the model "
                             f"{self.name!r}. All layer names should be unique.")

    # ------------------------------------------------------------------ layer-like interface
    @property
    def layers(self):
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in `layers`."""
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model "
                                 f"{self.name!r} only has {len(self.layers)} layers.")
            return self.layers[index]
        if name is None:
            raise ValueError("Provide either a layer name or a layer index.")
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: "
                         f"{[layer.name for layer in self.layers]}.")

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return _unique([w for layer in self.layers for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self):
        weights = [w for layer in self.layers for w in layer.non_trainable_weights]
        if not self.trainable:
            weights = [w for layer in self.layers for w in layer.trainable_weights] + weights
        return _unique(weights)

    @property
    def weights(self):
        """Every weight, layer by layer in `layers` order (the order of get_weights and files)."""
        return _unique([w for layer in self.layers for w in layer.weights])

    @property
    def losses(self):
        """The layers' losses (see Layer.losses), then the symbolic tensors given to add_loss."""
        return [loss for layer in self.layers for loss in layer.losses] + self._symbolic_losses

    def add_loss(self, losses, inputs=None):
        """Add losses: symbolic tensors computed from the model's inputs (by layers, backend
        functions, loss functions or operators), which the model computes in the same forward
        pass as its outputs whenever it trains or evaluates; inside call(), values as
        Layer.add_loss. A symbolic added loss is not part of the model's config, so a model
        saved and loaded again has its weights but not this loss (as in Keras 2.2)."""
        listed = _to_list(losses)
        values = [loss for loss in listed if loss is not None and not isinstance(loss, KerasTensor)]
        if values:
            super().add_loss(values, inputs)
        for tensor in listed:
            if isinstance(tensor, KerasTensor):
                self._loss_nodes.extend(self._nodes_computing(tensor))
                self._symbolic_losses.append(tensor)

    def _nodes_computing(self, tensor):
        """The nodes, in running order, that compute `tensor` from what the model's graph
        computes: backend functions, and calls of the model's layers (also of layers inside
        its nested models, as z_mean inside the VAE's encoder) on tensors of this model."""
        if not self.outputs:
            raise ValueError(f"Model {self.name!r} has no graph yet; build it before add_loss.")
        known = set(self._network_nodes) | {id(node) for node in self._loss_nodes}
        ordered = []

        def visit(x):
            layer, node_index, _ = x._keras_history
            node = layer._inbound_nodes[node_index]
            if id(node) in known:
                return
            if not node.inbound_layers:
                raise ValueError(f"Model {self.name!r}: add_loss was given {tensor!r}, which is "
                                 f"computed from {layer.name!r}, not an input of this model "
                                 f"(its inputs are {self.input_names}).")
            if not symbolic_ops.is_symbolic_op(layer) and not self._contains_layer(layer):
                raise ValueError(f"Model {self.name!r}: add_loss was given {tensor!r}, which "
                                 f"needs layer {layer.name!r}, not a layer of this model.")
            known.add(id(node))
            for x_in in node.input_tensors:
                visit(x_in)
            ordered.append(node)
        visit(tensor)
        return ordered

    def _contains_layer(self, layer):
        return any(inner is layer or (isinstance(inner, Network) and inner._contains_layer(layer))
                   for inner in self.layers)

    @property
    def state_updates(self):
        return []

    def reset_states(self):
        for layer in self.layers:
            if getattr(layer, 'stateful', False) and hasattr(layer, 'reset_states'):
                layer.reset_states()

    @property
    def input_spec(self):
        return None

    @input_spec.setter
    def input_spec(self, value):
        pass

    def build(self, input_shape):
        self.built = True

    def compute_output_shape(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        if len(shapes) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} input(s) but was "
                             f"given {len(shapes)} input shape(s).")
        known = {id(x): normalize_shape(s) for x, s in zip(self.inputs, shapes)}
        for node in self._execution_order:
            layer = node.outbound_layer
            if not node.inbound_layers:
                continue
            in_shapes = [known[id(x)] for x in node.input_tensors]
            out = layer.compute_output_shape(_unpack(in_shapes))
            outs = out if isinstance(out, list) else [out]
            for x, s in zip(node.output_tensors, outs):
                known[id(x)] = normalize_shape(s)
        result = [known[id(x)] for x in self.outputs]
        return _unpack(result) if len(result) == 1 else result

    def call(self, inputs, training=None, mask=None):
        outputs = self._run_graph(_to_list(inputs), training=training, masks=mask)
        return outputs[0] if len(outputs) == 1 else outputs

    def compute_mask(self, inputs, mask=None):
        return None

    def _run_graph(self, inputs, training=None, masks=None):
        """Run every node in topological order on Tensors; returns the output Tensors."""
        if len(inputs) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} input(s), but it "
                             f"received {len(inputs)} input tensor(s).")
        values = {}
        masks = _to_list(masks) if masks is not None else [None] * len(inputs)
        for symbol, value, mask in zip(self.inputs, inputs, masks):
            tensor = value if isinstance(value, ad.Tensor) else ad.constant(value)
            if mask is not None:
                tensor._keras_mask = mask
            values[id(symbol)] = tensor
        # The added losses are computed only where they are collected (training, evaluation),
        # from this run's values: a random layer gives the loss and the outputs the same draw.
        # A nested model called on its own inputs computed its inner tensors for this run too
        # (the VAE's z_mean inside its encoder), so an added loss on them reuses those values.
        # A nested model keeps this run's values only until its parent has read them: held
        # any longer, a whole forward pass's activations would stay alive between steps.
        for node in self._constant_inputs:
            values[id(node.output_tensors[0])] = node.outbound_layer.constant
        collecting = _collector.active is not None
        nested = symbolic_ops.inside_running_graph()
        with symbolic_ops.running_graph(values):
            for node in self._execution_order:
                if node.inbound_layers:
                    self._run_node(node, values, training)
                    layer = node.outbound_layer
                    if isinstance(layer, Network):
                        inner, layer._latest_values = layer._latest_values, {}
                        if [id(x) for x in node.input_tensors] == [id(x) for x in layer.inputs]:
                            for key, value in inner.items():
                                values.setdefault(key, value)
            if collecting and self._symbolic_losses:
                for node in self._loss_nodes:
                    if not all(id(x) in values for x in node.output_tensors):
                        self._run_node(node, values, training)
                _collector.active.extend(values[id(x)] for x in self._symbolic_losses)
        self._latest_values = values if collecting and nested else {}
        return [values[id(x)] for x in self.outputs]

    @staticmethod
    def _run_node(node, values, training):
        ins = [values[id(x)] for x in node.input_tensors]
        outs = node.outbound_layer._call_eager(_unpack(ins), training=training, **node.arguments)
        for symbol, out in zip(node.output_tensors, _to_list(outs)):
            values[id(symbol)] = out

    def __call__(self, inputs, **kwargs):
        if not self.inputs:
            raise ValueError(f"Model {self.name!r} has no inputs yet; build it first.")
        return super().__call__(inputs, **kwargs)

    def get_config(self):
        from .saving import network_config
        ops = [node.outbound_layer.name for node in getattr(self, '_execution_order', [])
               if symbolic_ops.is_symbolic_op(node.outbound_layer)]
        if ops:
            raise ValueError(f"Model {self.name!r} applies backend functions or operators to "
                             f"symbolic tensors between its inputs and outputs ({ops}); such "
                             "a model has no config (its weights save with save_weights). Use "
                             "Lambda layers for a model that must be serialized.")
        return network_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the graph (shared layers, nested models) from a Keras 2 / tf.keras config."""
        from .saving import network_from_config
        return network_from_config(cls, config, custom_objects)

    # ------------------------------------------------------------------ files
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Config, weights, training config and optimizer state in one Keras 2 HDF5 file."""
        from .saving import save_model
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """The weights of every layer, in the Keras 2 HDF5 layout."""
        from .saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        """Weights from a Keras 2 HDF5 file: in layer order, or by layer name."""
        from .saving import load_weights
        load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs):
        """The model's config as a JSON string (`json.dumps` keyword arguments accepted)."""
        from .saving import model_to_json
        return model_to_json(self, **kwargs)

    def to_yaml(self, **kwargs):
        """The model's config as a YAML string (`yaml.safe_dump` keyword arguments accepted)."""
        from .saving import model_to_yaml
        return model_to_yaml(self, **kwargs)


class GraphFunction:
    """K.function: maps values for symbolic inputs to NumPy values of symbolic outputs, then
    applies the updates (objects with `fetches`, the symbolic tensors they need, and
    `apply(values)`) from the same run."""

    def __init__(self, inputs, outputs, updates=None):
        inputs = _to_list(inputs)
        self._phase_positions = [i for i, x in enumerate(inputs) if not isinstance(x, KerasTensor)]
        symbolic = [x for x in inputs if isinstance(x, KerasTensor)]
        outputs = _to_list(outputs)
        self._updates = [_pending_update(u) for u in updates or []]
        self._output_count = len(outputs)
        fetches = [x for u in self._updates for x in u.fetches]
        self._network = Network(symbolic, outputs + fetches, name='k_function')
        # symbolic gradients among the outputs' ancestors (K.gradients on a symbolic loss):
        # the run then records them, from float inputs that take gradients on
        self._differentiates = any(symbolic_ops.differentiates(node.outbound_layer)
                                   for node in self._network._execution_order)

    def __call__(self, values):
        values = _to_list(values)
        training = bool(values[self._phase_positions[0]]) if self._phase_positions else False
        arrays = [v for i, v in enumerate(values) if i not in self._phase_positions]
        backend = K.active()
        tensors = []
        for v in arrays:
            floating = np.asarray(v).dtype.kind == 'f'
            data = backend.asarray(np.asarray(v) if not hasattr(v, 'shape') else v,
                                   dtype=K.floatx() if floating else None)
            tensors.append(ad.Tensor(data, requires_grad=self._differentiates and floating))
        recording = ad.enable_grad() if self._differentiates else ad.no_grad()
        with recording, backend_config.training_phase(training):
            outs = self._network._run_graph(tensors, training=training)
        results = [backend.to_numpy(o.data) for o in outs[:self._output_count]]
        position = self._output_count
        for update in self._updates:
            count = len(update.fetches)
            update.apply(outs[position:position + count])
            position += count
        return results


def _pending_update(update):
    """An entry of K.function's `updates` as an object with `fetches` and `apply`."""
    if (isinstance(update, (tuple, list)) and len(update) == 2
            and isinstance(update[1], KerasTensor)):
        update = K.update(*update)
    if hasattr(update, 'fetches') and hasattr(update, 'apply'):
        for x in update.fetches:
            if not isinstance(x, KerasTensor):
                raise ValueError(f"K.function: an update needs symbolic tensors; received "
                                 f"{type(x).__name__} among those of {update!r}.")
        return update
    raise ValueError(f"K.function: `updates` must be made from symbolic tensors (K.update(v, "
                     f"new_v) or a (v, new_v) pair with new_v computed from the inputs, or an "
                     f"optimizer's get_updates(loss, params)); an update of concrete values was "
                     f"applied when it was made (gkeras runs eagerly) and cannot be replayed at "
                     f"each call. Received: {update!r}")


def _flatten_tensors(value, what, name):
    if isinstance(value, dict):
        value = list(value.values())
    items = _to_list(value)
    for x in items:
        if not isinstance(x, KerasTensor):
            raise ValueError(f"Model {name!r}: all {what} must be symbolic tensors from `Input` "
                             f"and layer calls; received {type(x).__name__}: {x!r}")
    return items


def _unique(weights):
    seen, out = set(), []
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out
