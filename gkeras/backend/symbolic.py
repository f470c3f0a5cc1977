"""The backend's side of symbolic tensors: functions wrapped by `symbolic_aware` hand a call with
a symbolic tensor among its arguments to the handler that gkeras.layers registers (it records
the call as a node of the model graph: gkeras/layers/symbolic_ops.py). The backend only looks
at the arguments' types; it does not know what a symbolic tensor is.
"""
import functools

_symbolic_types = ()
_symbolic_handler = None
_gradients_handler = None


def register_symbolic_handler(types, handler):
    """Send calls with an argument of `types` (directly or in a list / tuple argument) to
    `handler(function, args, kwargs)`."""
    global _symbolic_types, _symbolic_handler
    _symbolic_types = tuple(types)
    _symbolic_handler = handler


def register_gradients_handler(handler):
    """Send K.gradients(loss, variables) with a symbolic loss to `handler(loss, variables)`."""
    global _gradients_handler
    _gradients_handler = handler


def is_symbolic(value):
    return isinstance(value, _symbolic_types)


def symbolic_gradients(loss, variables):
    return _gradients_handler(loss, variables)


def _has_symbolic(values):
    for value in values:
        if isinstance(value, _symbolic_types):
            return True
        if type(value) in (list, tuple):
            for item in value:
                if isinstance(item, _symbolic_types):
                    return True
    return False


def symbolic_aware(fn):
    """`fn`, also callable on symbolic tensors (see register_symbolic_handler)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _has_symbolic(args) or (kwargs and _has_symbolic(kwargs.values())):
            return _symbolic_handler(fn, args, kwargs)
        return fn(*args, **kwargs)
    return wrapper
