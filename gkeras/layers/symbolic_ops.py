"""Backend functions, loss functions and Python operators applied to symbolic tensors.

`K.square(z_mean)`, `mse(inputs, outputs)` or `1 + z_log_var` on a model's KerasTensors records a
node of an internal layer, SymbolicOp (tf.keras 2.x's TFOpLambda), and returns its output
KerasTensor. Such tensors feed `Model.add_loss`, further backend functions, layers and model
outputs; a model runs the node like any layer call, but never lists the layer in `layers`, in
get_config or in files (Keras 2.2.5 had no layer there either).

Called inside a layer's `call()` while a model runs, on KerasTensors that run has already
computed (Keras 2.0's VAE closes over `z_mean` in a loss layer), the function takes their values
from this forward pass and runs eagerly.
"""
import contextlib
import threading

import numpy as np

from .. import backend as K
from ..backend import autodiff as ad
from ..backend import symbolic as backend_symbolic
from .base import KerasTensor, Layer, _to_list, known_dimensions, run_on_zeros


class _Slot:
    """Where the index-th symbolic input goes in a recorded call's arguments."""

    def __init__(self, index):
        self.index = index


def _substitute(value, replace):
    """`value` with each symbolic tensor (also inside a list / tuple) replaced by replace(x)."""
    if isinstance(value, KerasTensor):
        return replace(value)
    if type(value) in (list, tuple):
        return type(value)(_substitute(item, replace) for item in value)
    return value


def _fill(value, tensors):
    if isinstance(value, _Slot):
        return tensors[value.index]
    if type(value) in (list, tuple):
        return type(value)(_fill(item, tensors) for item in value)
    return value


def _display_name(function):
    return getattr(function, '__name__', None) or type(function).__name__


class SymbolicOp(Layer):
    """One call of a function on symbolic tensors, as a layer: its inputs are the call's
    KerasTensors, every other argument is kept as given."""

    def __init__(self, function, args, kwargs):
        prefix = 'k.' + _display_name(function)
        super().__init__(name=f'{prefix}_{K.get_uid(prefix)}')
        self.function = function
        self.symbols = []
        positions = {}

        def slot(x):
            if id(x) not in positions:
                positions[id(x)] = len(self.symbols)
                self.symbols.append(x)
            return _Slot(positions[id(x)])
        self._args = _substitute(tuple(args), slot)
        self._kwargs = {key: _substitute(value, slot) for key, value in kwargs.items()}
        self._output_shape, self.dtype = self._infer_output()
        self.built = True

    def call(self, inputs):
        tensors = _to_list(inputs)
        return self.function(*_fill(self._args, tensors), **_fill(self._kwargs, tensors))

    def compute_output_shape(self, input_shape):
        return self._output_shape

    def _infer_output(self):
        """(shape, dtype) of the output, from running the function on zeros: twice, with every
        unknown dimension 2 and then 3; an output dimension that differs is unknown. Where that
        fails, with 8 and 9 (an index into an unknown dimension), then once with 1 (an unknown
        dimension broadcast against a known one, as TensorFlow allows: an output dimension of
        1 is then taken as unknown), and last with ones instead of zeros (lengths and counts
        that must be positive, as K.ctc_batch_cost's)."""
        error = None
        for sizes, fill in (((2, 3), 0), ((8, 9), 0), ((1,), 0), ((2, 3), 1)):
            try:
                results = run_on_zeros(self.symbols, self.call, sizes, fill)
                break
            except Exception as failure:
                error = error or failure
        else:
            raise ValueError(
                f"{_display_name(self.function)} cannot be applied to symbolic tensors of "
                f"shapes {[x.shape for x in self.symbols]}: {error}") from error
        for out in results:
            if not isinstance(out, ad.Tensor):
                raise ValueError(
                    f"{_display_name(self.function)} on symbolic tensors must return one tensor; "
                    f"it returned {type(out).__name__}. Wrap the computation in a Lambda layer.")
        dtype = str(np.dtype(results[0].dtype))
        if len(results) == 1:
            return tuple(None if n == 1 else n for n in results[0].shape), dtype
        first, second = (tuple(out.shape) for out in results)
        if len(first) != len(second):
            raise ValueError(f"{_display_name(self.function)} on symbolic tensors of shapes "
                             f"{[x.shape for x in self.symbols]}: the rank of the result depends "
                             "on the batch size; wrap the computation in a Lambda layer.")
        return known_dimensions(first, second), dtype

    def get_config(self):
        raise ValueError(f"{self.name!r} is {_display_name(self.function)} applied to symbolic "
                         "tensors; it has no config. Use a Lambda layer for a model that must "
                         "be serialized.")


class SymbolicGradients(SymbolicOp):
    """K.gradients(loss, variables) on a symbolic loss, as a node of the graph: its inputs are
    the loss and the symbolic tensors among `variables` (a model's inputs or layer outputs; the
    others are Variables such as weights), its outputs the gradients, one per variable. A run
    that records gradients (K.function, when its graph has such a node) computes them from that
    run's values; elsewhere (predict, a run without gradients) it raises."""

    def __init__(self, loss, variables):
        Layer.__init__(self, name=f"k.gradients_{K.get_uid('k.gradients')}")
        for v in variables:
            if not isinstance(v, (KerasTensor, ad.Variable)):
                raise ValueError(f"K.gradients: can differentiate a symbolic loss with respect "
                                 f"to symbolic tensors and variables only; received "
                                 f"{type(v).__name__}: {v!r}.")
        self.function = K.gradients
        self.targets = list(variables)
        self.symbols = [loss] + [v for v in self.targets if isinstance(v, KerasTensor)]
        self._output_shape = [tuple(v.shape) for v in self.targets]
        self.dtype = K.floatx()
        self.built = True

    def call(self, inputs):
        tensors = _to_list(inputs)
        loss, values = tensors[0], iter(tensors[1:])
        wrt = [next(values) if isinstance(v, KerasTensor) else v for v in self.targets]
        if not ad.tape_enabled():
            raise ValueError(f"{self.name}: symbolic gradients are computed by K.function; this "
                             "run records no gradients (predict and evaluate do not).")
        return [ad.Tensor(g) for g in ad.gradients(loss, wrt)]

    def compute_output_shape(self, input_shape):
        return list(self._output_shape)


def symbolic_gradients(loss, variables):
    """K.gradients with a symbolic loss: the gradient KerasTensors of a SymbolicGradients node."""
    op = SymbolicGradients(loss, variables)
    return _to_list(op(op.symbols if len(op.symbols) > 1 else op.symbols[0]))


def is_symbolic_op(layer):
    return isinstance(layer, SymbolicOp)


def differentiates(layer):
    return isinstance(layer, SymbolicGradients)


# ------------------------------------------------------------------ values of running graphs

class _RunningGraphs(threading.local):
    def __init__(self):
        self.values = []


_running = _RunningGraphs()


@contextlib.contextmanager
def running_graph(values):
    """Within the block, symbolic tensors found in `values` (id -> Tensor, filled in as a model
    runs) stand for those Tensors when a backend function meets them."""
    _running.values.append(values)
    try:
        yield
    finally:
        _running.values.pop()


def inside_running_graph():
    """Whether a model's forward pass is running in this thread (a nested model runs inside
    its parent's)."""
    return bool(_running.values)


def _current_value(x):
    for values in reversed(_running.values):
        if id(x) in values:
            return values[id(x)]
    return None


def apply_symbolic(function, args, kwargs):
    """function(*args, **kwargs) where some arguments are KerasTensors: eagerly on the values
    of a running model when it has computed them all, else recorded as a SymbolicOp node."""
    symbols = []
    _substitute((args, kwargs), lambda x: symbols.append(x) or x)
    found = [_current_value(x) for x in symbols]
    if any(value is not None for value in found):
        missing = [x for x, value in zip(symbols, found) if value is None]
        if missing:
            raise ValueError(f"{_display_name(function)} was called, while a model runs, on "
                             f"symbolic tensors it has not computed: {missing}.")
        return function(*_substitute(args, _current_value),
                        **{key: _substitute(value, _current_value)
                           for key, value in kwargs.items()})
    op = SymbolicOp(function, args, kwargs)
    return op(op.symbols if len(op.symbols) > 1 else op.symbols[0])


backend_symbolic.register_symbolic_handler((KerasTensor,), apply_symbolic)
backend_symbolic.register_gradients_handler(symbolic_gradients)
