"""Layer, InputSpec, Node and the symbolic KerasTensor: the bookkeeping every layer shares.

Calling a layer on a symbolic tensor (from `Input`) records a Node and infers shapes; calling it on
data (arrays or Tensors) runs it eagerly.
"""
import contextlib
import inspect
import operator
import re
import threading

import numpy as np

from .. import backend as K
from .. import activations, constraints, initializers, regularizers
from ..backend import autodiff as ad
from ..backend import selection
from ..legacy import legacy_interface


def set_kernel_bias_arguments(layer, activation, use_bias, kernel_initializer, bias_initializer,
                              kernel_regularizer, bias_regularizer, activity_regularizer,
                              kernel_constraint, bias_constraint):
    """Resolve and store the Keras 2 arguments of a layer with a kernel and a bias."""
    layer.activation = activations.get(activation)
    layer.use_bias = use_bias
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    layer.activity_regularizer = regularizers.get(activity_regularizer)
    layer.kernel_constraint = constraints.get(kernel_constraint)
    layer.bias_constraint = constraints.get(bias_constraint)


def kernel_bias_config(layer):
    """The config entries of set_kernel_bias_arguments, in Keras 2's key order."""
    return {
        'activation': activations.serialize(layer.activation),
        'use_bias': layer.use_bias,
        'kernel_initializer': initializers.serialize(layer.kernel_initializer),
        'bias_initializer': initializers.serialize(layer.bias_initializer),
        'kernel_regularizer': regularizers.serialize(layer.kernel_regularizer),
        'bias_regularizer': regularizers.serialize(layer.bias_regularizer),
        'activity_regularizer': regularizers.serialize(layer.activity_regularizer),
        'kernel_constraint': constraints.serialize(layer.kernel_constraint),
        'bias_constraint': constraints.serialize(layer.bias_constraint),
    }


def to_snake_case(name):
    intermediate = re.sub('(.)([A-Z][a-z0-9]+)', r'\1_\2', name)
    snake = re.sub('([a-z])([A-Z])', r'\1_\2', intermediate).lower()
    return snake if snake[0] != '_' else 'private' + snake


def normalize_shape(shape):
    """A tuple of ints/None from an int, list or tuple."""
    if isinstance(shape, int):
        return (shape,)
    return tuple(None if d is None else int(d) for d in shape)


class KerasTensor:
    """A symbolic tensor: the output of a layer called on `Input`s, with a shape and a history."""

    def __init__(self, shape, dtype, history=None, name=None):
        self._keras_shape = tuple(shape)
        self.dtype = dtype
        self._keras_history = history
        self.name = name

    @property
    def shape(self):
        return self._keras_shape

    @property
    def ndim(self):
        return len(self._keras_shape)

    def __repr__(self):
        return f"<KerasTensor {self.name!r} shape={self._keras_shape} dtype={self.dtype}>"

    def __hash__(self):
        return id(self)

    # Operators record a node of an internal layer, as backend functions on symbolic tensors do
    # (symbolic_ops.py); comparisons keep Python's identity semantics (tensors are dict keys).
    def __add__(self, other): return _apply(operator.add, self, other)
    def __radd__(self, other): return _apply(operator.add, other, self)
    def __sub__(self, other): return _apply(operator.sub, self, other)
    def __rsub__(self, other): return _apply(operator.sub, other, self)
    def __mul__(self, other): return _apply(operator.mul, self, other)
    def __rmul__(self, other): return _apply(operator.mul, other, self)
    def __truediv__(self, other): return _apply(operator.truediv, self, other)
    def __rtruediv__(self, other): return _apply(operator.truediv, other, self)
    def __pow__(self, other): return _apply(operator.pow, self, other)
    def __rpow__(self, other): return _apply(operator.pow, other, self)
    def __matmul__(self, other): return _apply(operator.matmul, self, other)
    def __rmatmul__(self, other): return _apply(operator.matmul, other, self)
    def __neg__(self): return _apply(operator.neg, self)
    def __abs__(self): return _apply(operator.abs, self)
    def __getitem__(self, index): return _apply(operator.getitem, self, index)


def _apply(function, *args):
    return symbolic_ops.apply_symbolic(function, args, {})


def run_on_zeros(symbols, run, sizes=(2, 3), fill=0):
    """The results of run(zeros like the symbolic tensors), every unknown dimension 2 and then
    3 (or `sizes`; with `fill`, arrays of that value instead of zeros; no tape, no float
    warnings): how output shapes are found by running a function."""
    backend = selection.active()
    results = []
    for size in sizes:
        zeros = [ad.Tensor(backend.xp.full(tuple(size if d is None else d for d in x.shape),
                                           fill, dtype=x.dtype)) for x in symbols]
        with ad.no_grad(), np.errstate(all='ignore'):
            results.append(run(zeros))
    return results


def known_dimensions(first, second):
    """A shape from the shapes of two run_on_zeros results: a dimension that differs is unknown."""
    return tuple(a if a == b else None for a, b in zip(first, second))


def is_symbolic(x):
    if isinstance(x, (list, tuple)):
        return any(is_symbolic(t) for t in x)
    return isinstance(x, KerasTensor)


class InputSpec:
    """What a layer accepts: dtype, rank (ndim / max_ndim / min_ndim) and fixed axis sizes."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = axes or {}

    def check(self, layer, shape, index=0):
        where = f"Input {index} of layer {layer.name!r} ({type(layer).__name__})"
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(f"{where} is incompatible with the layer: expected ndim={self.ndim}, "
                             f"found ndim={len(shape)}. Full shape received: {tuple(shape)}")
        if self.max_ndim is not None and len(shape) > self.max_ndim:
            raise ValueError(f"{where} is incompatible with the layer: expected max_ndim="
                             f"{self.max_ndim}, found ndim={len(shape)}. Full shape received: "
                             f"{tuple(shape)}")
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(f"{where} is incompatible with the layer: expected min_ndim="
                             f"{self.min_ndim}, found ndim={len(shape)}. Full shape received: "
                             f"{tuple(shape)}")
        for axis, size in self.axes.items():
            actual = shape[axis] if -len(shape) <= axis < len(shape) else None
            if size is not None and actual not in (size, None):
                raise ValueError(f"{where} is incompatible with the layer: expected axis {axis} "
                                 f"of input shape to have value {size}, but received input with "
                                 f"shape {tuple(shape)}")
        if self.shape is not None:
            for expected, actual in zip(self.shape, shape):
                if expected is not None and actual is not None and expected != actual:
                    raise ValueError(f"{where} is incompatible with the layer: expected shape="
                                     f"{self.shape}, found shape={tuple(shape)}")

    def get_config(self):
        return {'dtype': self.dtype, 'shape': self.shape, 'ndim': self.ndim,
                'max_ndim': self.max_ndim, 'min_ndim': self.min_ndim, 'axes': self.axes}


class Node:
    """One call of a layer in a graph: which tensors went in (and from which layers' nodes)."""

    def __init__(self, outbound_layer, inbound_layers, node_indices, tensor_indices,
                 input_tensors, output_tensors, input_shapes, output_shapes, arguments=None):
        self.outbound_layer = outbound_layer
        self.inbound_layers = inbound_layers
        self.node_indices = node_indices
        self.tensor_indices = tensor_indices
        self.input_tensors = input_tensors
        self.output_tensors = output_tensors
        self.input_shapes = input_shapes
        self.output_shapes = output_shapes
        self.arguments = arguments or {}
        for layer in inbound_layers:
            layer._outbound_nodes.append(self)
        outbound_layer._inbound_nodes.append(self)

    def get_config(self):
        return {'outbound_layer': self.outbound_layer.name,
                'inbound_layers': [layer.name for layer in self.inbound_layers],
                'node_indices': self.node_indices, 'tensor_indices': self.tensor_indices}


class _LossCollector(threading.local):
    active = None


_collector = _LossCollector()


@contextlib.contextmanager
def collect_activity_losses():
    """Gather the losses of the forward passes run inside the block: activity regularization,
    `add_loss` in a layer's call() and a model's symbolic added losses."""
    previous = _collector.active
    _collector.active = []
    try:
        yield _collector.active
    finally:
        _collector.active = previous


def _to_list(x):
    if isinstance(x, list):
        return x
    if isinstance(x, tuple):
        return list(x)
    return [x]


def _unpack(xs):
    return xs[0] if len(xs) == 1 else xs


def _as_input_tensor(x, layer):
    if isinstance(x, ad.Tensor):
        return x
    try:
        data = selection.active().asarray(x)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Layer {layer.name!r} was called on {type(x).__name__}, which is not "
                         f"an array or a tensor.") from error
    if data.dtype.kind == 'f' and data.dtype != np.dtype(layer.dtype) and layer.dtype:
        data = data.astype(layer.dtype)
    return ad.Tensor(data)


_CALL_ARGS = {}


def _call_arguments(layer):
    cls = type(layer)
    if cls not in _CALL_ARGS:
        params = inspect.signature(layer.call).parameters
        _CALL_ARGS[cls] = (set(params),
                           any(p.kind == p.VAR_KEYWORD for p in params.values()))
    return _CALL_ARGS[cls]


class Layer:
    """Base class of every layer: stores arguments in __init__, weights in build, math in call."""

    _ALLOWED_KWARGS = {'input_shape', 'batch_input_shape', 'batch_size', 'dtype', 'name',
                       'trainable', 'weights', 'input_dtype'}

    def __init__(self, **kwargs):
        unknown = set(kwargs) - self._ALLOWED_KWARGS
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{sorted(unknown)}; allowed: {sorted(self._ALLOWED_KWARGS)}")
        name = kwargs.get('name')
        if not name:
            prefix = to_snake_case(type(self).__name__)
            name = f'{prefix}_{K.get_uid(prefix)}'
        self.name = name
        self.trainable = kwargs.get('trainable', True)
        self.dtype = kwargs.get('dtype') or kwargs.get('input_dtype') or K.floatx()
        if 'batch_input_shape' in kwargs and kwargs['batch_input_shape'] is not None:
            self.batch_input_shape = normalize_shape(kwargs['batch_input_shape'])
        elif 'input_shape' in kwargs and kwargs['input_shape'] is not None:
            self.batch_input_shape = ((kwargs.get('batch_size'),)
                                      + normalize_shape(kwargs['input_shape']))
        self._initial_weights = kwargs.get('weights')
        self.input_spec = None
        self.supports_masking = False
        self.stateful = False
        self.built = False
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._activity_losses = []
        self._added_losses = []
        self._calling = False
        self.activity_regularizer = None

    # ------------------------------------------------------------------ weights
    @legacy_interface('add_weight')
    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None):
        """Create a weight variable named `<layer>/<name>:0` and track it."""
        shape = tuple(int(d) for d in shape)
        init = initializers.get(initializer or 'glorot_uniform')
        backend = selection.active()
        # C order: BLAS and the in-place optimizer updates are slower on F-ordered weights
        # (the orthogonal initializer's QR returns them)
        data = backend.xp.ascontiguousarray(
            backend.asarray(init(shape, dtype=dtype or self.dtype), dtype=dtype or self.dtype))
        weight = ad.Variable(data, name=f'{self.name}/{name}:0', trainable=trainable,
                             constraint=constraints.get(constraint))
        weight.regularizer = regularizers.get(regularizer)
        (self._trainable_weights if trainable else self._non_trainable_weights).append(weight)
        return weight

    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return list(self._non_trainable_weights)
        return list(self._trainable_weights) + list(self._non_trainable_weights)

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    def get_weights(self):
        """Copies of the weights as NumPy arrays (never views of the live arrays: on the NumPy
        backend to_numpy returns the array itself, which training updates in place)."""
        backend = selection.active()
        return [np.array(backend.to_numpy(w.data), copy=True) for w in self.weights]

    def set_weights(self, weights):
        """Load a list of arrays, in the order of `weights`, checking count and shapes."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(f"You called `set_weights(weights)` on layer {self.name!r} with a "
                             f"weight list of length {len(weights)}, but the layer was expecting "
                             f"{len(params)} weights. Provided weights: {_shapes_text(weights)}")
        for param, value in zip(params, weights):
            value = np.asarray(value) if not hasattr(value, 'shape') else value
            if tuple(param.shape) != tuple(value.shape):
                raise ValueError(f"Layer {self.name!r} weight shape {param.shape} is not "
                                 f"compatible with provided weight shape {tuple(value.shape)} "
                                 f"(weight {param.name!r}).")
        backend = selection.active()
        for param, value in zip(params, weights):
            param.data[...] = backend.asarray(value, dtype=param.dtype)

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on {self.name!r}, but the layer "
                             "isn't built. You can build it manually via: "
                             f"`{self.name}.build(batch_input_shape)`.")
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    @property
    def losses(self):
        """Weight-regularization losses (computed from the current weights), then the activity
        losses and the `add_loss` losses of the latest call."""
        out = [w.regularizer(w) for w in self._trainable_weights + self._non_trainable_weights
               if w.regularizer is not None]
        return out + list(self._activity_losses) + list(self._added_losses)

    def add_loss(self, losses, inputs=None):
        """Add loss tensors computed in call() to the training loss of this forward pass.

        Each call of the layer starts a new list (`losses` shows the latest call's); while a
        model trains or evaluates, every loss added in its forward pass joins the total loss.
        A loss with one value per sample is summed for the gradient and averaged for the logs,
        as tf.keras 2.x does. `inputs` (Keras 2's conditional losses) changes nothing: a loss
        added in a forward pass belongs to that pass. Models also take symbolic tensors
        (Network.add_loss).
        """
        for loss in _to_list(losses):
            if loss is None:
                continue
            if isinstance(loss, KerasTensor):
                raise ValueError(f"Layer {self.name!r}: add_loss of a symbolic tensor ({loss!r}) "
                                 "is for models (`model.add_loss(tensor)`); in a layer, add the "
                                 "loss computed in call() from its inputs.")
            if not getattr(self, '_calling', False):
                raise ValueError(f"Layer {self.name!r}: add_loss of a value works inside "
                                 "call(), where it joins the loss of that forward pass; "
                                 f"received {type(loss).__name__} outside call().")
            tensor = loss if isinstance(loss, ad.Tensor) else ad.as_tensor(loss, K.floatx())
            self._added_losses.append(tensor)
            if _collector.active is not None:
                _collector.active.append(tensor)

    # ------------------------------------------------------------------ build / call
    def build(self, input_shape):
        self.built = True

    def call(self, inputs, **kwargs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_mask(self, inputs, mask=None):
        if not self.supports_masking:
            return None
        return mask

    def _maybe_build(self, input_shapes):
        if self.built:
            return
        shapes = input_shapes[0] if len(input_shapes) == 1 else input_shapes
        self.build(shapes)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _check_input_spec(self, shapes):
        if self.input_spec is None:
            return
        specs = _to_list(self.input_spec)
        if len(specs) != len(shapes):
            raise ValueError(f"Layer {self.name!r} expects {len(specs)} input(s), but it received "
                             f"{len(shapes)} input tensors.")
        for i, (spec, shape) in enumerate(zip(specs, shapes)):
            if spec is not None:
                spec.check(self, shape, i)

    def __call__(self, inputs, **kwargs):
        if is_symbolic(inputs):
            return self._call_symbolic(inputs, **kwargs)
        return self._call_eager(inputs, **kwargs)

    def _call_eager(self, inputs, training=None, mask=None, **kwargs):
        listed = [_as_input_tensor(x, self) for x in _to_list(inputs)]
        shapes = [x.shape for x in listed]
        self._check_input_spec(shapes)
        self._maybe_build(shapes)
        if mask is None:
            masks = [x._keras_mask for x in listed]
            mask = _unpack(masks) if any(m is not None for m in masks) else None
        args, takes_kwargs = _call_arguments(self)
        if 'training' in args or takes_kwargs:
            kwargs['training'] = training
        if 'mask' in args and mask is not None:
            kwargs['mask'] = mask
        inputs_value = listed if isinstance(inputs, (list, tuple)) else listed[0]
        self._added_losses = []
        self._calling = True
        try:
            outputs = self.call(inputs_value, **kwargs)
        finally:
            self._calling = False
        output_mask = self.compute_mask(inputs_value, mask)
        out_list = _to_list(outputs)
        for out, m in zip(out_list, _to_list(output_mask) if output_mask is not None
                          else [None] * len(out_list)):
            out._keras_mask = m
        if self.activity_regularizer is not None:
            self._add_activity_losses(out_list)
        return outputs

    def _add_activity_losses(self, outputs):
        # tf.keras 2.x scales the activity penalty by the batch size
        losses = [self.activity_regularizer(out) / out.shape[0] for out in outputs]
        self._activity_losses = losses
        if _collector.active is not None:
            _collector.active.extend(losses)

    def _probed_output_shapes(self, inputs, as_list):
        """The output shapes of a user's layer that keeps Layer's compute_output_shape, found as
        tf.keras 2.x finds them: by running call() on zeros (twice, unknown dimensions 2 then 3;
        a dimension that differs is unknown), so a call() that returns one tensor from a list of
        inputs gives one output. None where the layer is gkeras' own or says its shapes, or
        where call() cannot run on zeros (it reads other symbolic tensors, say)."""
        cls = type(self)
        if cls.compute_output_shape is not Layer.compute_output_shape or \
                cls.__module__.startswith('gkeras.'):
            return None
        previous, _collector.active = _collector.active, None
        try:
            runs = run_on_zeros(inputs, lambda zeros: self._call_eager(
                zeros if as_list else zeros[0], training=False))
        except Exception:  # noqa: BLE001 (any failure: fall back to compute_output_shape)
            return None
        finally:
            _collector.active = previous
            self._added_losses = []
            self._activity_losses = []
        first, second = (_to_list(run) for run in runs)
        if not all(isinstance(t, ad.Tensor) for t in first + second):
            return None
        shapes = [known_dimensions(x.shape, y.shape) for x, y in zip(first, second)]
        return shapes if isinstance(runs[0], (list, tuple)) else shapes[0]

    def _call_symbolic(self, inputs, **kwargs):
        listed = _to_list(inputs)
        for x in listed:
            if not isinstance(x, KerasTensor):
                raise ValueError(f"Layer {self.name!r} was called with a mix of symbolic tensors "
                                 f"and data ({type(x).__name__}); call it on `Input` tensors or "
                                 "on data only.")
        shapes = [x._keras_shape for x in listed]
        self._check_input_spec(shapes)
        self._maybe_build(shapes)
        shape_arg = shapes if isinstance(inputs, (list, tuple)) else shapes[0]
        output_shapes = self._probed_output_shapes(listed, isinstance(inputs, (list, tuple)))
        if output_shapes is None:
            output_shapes = self.compute_output_shape(shape_arg)
        multi_output = isinstance(output_shapes, list)
        output_shapes = output_shapes if multi_output else [output_shapes]
        node_index = len(self._inbound_nodes)
        outputs = [KerasTensor(normalize_shape(s), self.dtype, (self, node_index, i),
                               name=f'{self.name}/output_{i}' if multi_output else f'{self.name}/output')
                   for i, s in enumerate(output_shapes)]
        histories = [x._keras_history for x in listed]
        Node(self,
             inbound_layers=[h[0] for h in histories],
             node_indices=[h[1] for h in histories],
             tensor_indices=[h[2] for h in histories],
             input_tensors=listed, output_tensors=outputs,
             input_shapes=shapes, output_shapes=[o._keras_shape for o in outputs],
             arguments={k: v for k, v in kwargs.items() if k not in ('training', 'mask')})
        return outputs if multi_output else outputs[0]

    # ------------------------------------------------------------------ graph accessors
    def _node_attribute(self, node_index, attribute, name):
        if not self._inbound_nodes:
            raise RuntimeError(f"The layer {self.name!r} has never been called and thus has no "
                               f"defined {name}.")
        if not -len(self._inbound_nodes) <= node_index < len(self._inbound_nodes):
            raise ValueError(f"Asked to get {name} at node {node_index}, but the layer "
                             f"{self.name!r} has only {len(self._inbound_nodes)} inbound nodes.")
        values = getattr(self._inbound_nodes[node_index], attribute)
        return _unpack(values)

    def get_input_at(self, node_index):
        return self._node_attribute(node_index, 'input_tensors', 'input')

    def get_output_at(self, node_index):
        return self._node_attribute(node_index, 'output_tensors', 'output')

    def get_input_shape_at(self, node_index):
        return self._node_attribute(node_index, 'input_shapes', 'input shape')

    def get_output_shape_at(self, node_index):
        return self._node_attribute(node_index, 'output_shapes', 'output shape')

    def _single_node(self, what):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} is not connected, no {what} to return.")
        if len(self._inbound_nodes) > 1:
            raise AttributeError(f"Layer {self.name!r} has multiple inbound nodes, hence the "
                                 f"notion of \"layer {what}\" is ill-defined. Use "
                                 f"`get_{what.replace(' ', '_')}_at(node_index)` instead.")

    @property
    def input(self):
        self._single_node('input')
        return self.get_input_at(0)

    @property
    def output(self):
        self._single_node('output')
        return self.get_output_at(0)

    @property
    def input_shape(self):
        if not self._inbound_nodes:
            raise AttributeError(f"The layer {self.name!r} has never been called and thus has "
                                 "no defined input shape.")
        shapes = {str(s) for node in self._inbound_nodes for s in [node.input_shapes]}
        if len(shapes) > 1:
            raise AttributeError(f"The layer {self.name!r} has multiple inbound nodes with "
                                 "different input shapes; use `get_input_shape_at`.")
        return self.get_input_shape_at(0)

    @property
    def output_shape(self):
        if not self._inbound_nodes:
            raise AttributeError(f"The layer {self.name!r} has never been called and thus has "
                                 "no defined output shape.")
        shapes = {str(node.output_shapes) for node in self._inbound_nodes}
        if len(shapes) > 1:
            raise AttributeError(f"The layer {self.name!r} has multiple inbound nodes with "
                                 "different output shapes; use `get_output_shape_at`.")
        return self.get_output_shape_at(0)

    # ------------------------------------------------------------------ config
    def get_config(self):
        config = {'name': self.name, 'trainable': self.trainable}
        if hasattr(self, 'batch_input_shape'):
            config['batch_input_shape'] = self.batch_input_shape
        config['dtype'] = self.dtype
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f'<{type(self).__name__} name={self.name!r}>'


def _shapes_text(weights):
    return str([tuple(np.shape(w)) for w in weights])[:200]


# Registers the handler that lets backend and loss functions take KerasTensors; imported last
# because it subclasses Layer.
from . import symbolic_ops  # noqa: E402
