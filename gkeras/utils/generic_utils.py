"""Python functions to storable values and back, as Keras 2 saves Lambda layers; and the small
helpers Keras 2.2 keeps in keras.utils.generic_utils."""
import builtins
import codecs
import inspect
import marshal
import types


def func_dump(func):
    """(code, defaults, closure) of a Python function, as Keras 2 stores Lambda functions."""
    code = codecs.encode(marshal.dumps(func.__code__), 'base64').decode('ascii')
    closure = tuple(cell.cell_contents for cell in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def func_load(code, defaults=None, closure=None, globs=None):
    """Rebuild a function from func_dump's output. This runs stored bytecode: trusted input only."""
    if isinstance(code, (tuple, list)):
        code, defaults, closure = (tuple(code) + (None, None))[:3]
    try:
        raw = codecs.decode(code.encode('ascii'), 'base64')
        code = marshal.loads(raw)
    except (UnicodeEncodeError, ValueError, EOFError, TypeError) as error:
        raise ValueError("Could not decode a stored Lambda function: its bytecode was written by "
                         "another Python version or is damaged. Pass the function through "
                         "`custom_objects` instead.") from error
    if closure is not None:
        closure = tuple(types.CellType(value) for value in closure)
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    return types.FunctionType(code, globs or {'__builtins__': builtins}, name=code.co_name,
                              argdefs=defaults, closure=closure)


# ---------------------------------------------------------------------------------------------
# The rest of Keras 2.2's keras.utils.generic_utils, which Keras 2 code imports from there.

def has_arg(fn, name, accept_all=False):
    """Whether fn takes the keyword argument `name` (accept_all: or any, through **kwargs)."""
    parameters = inspect.signature(fn).parameters
    parameter = parameters.get(name)
    if parameter is None:
        return accept_all and any(p.kind == inspect.Parameter.VAR_KEYWORD
                                  for p in parameters.values())
    return parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              inspect.Parameter.KEYWORD_ONLY)


def to_list(x, allow_tuple=False):
    """x if a list (a tuple too with allow_tuple, as a list), else [x]."""
    if isinstance(x, list):
        return x
    if allow_tuple and isinstance(x, tuple):
        return list(x)
    return [x]


def unpack_singleton(x):
    """x[0] if x has one element, else x."""
    return x[0] if len(x) == 1 else x


def slice_arrays(arrays, start=None, stop=None):
    """arrays[start:stop] (each of a list; None stays None), or arrays[start] where start is a
    list or array of indices."""
    if arrays is None:
        return [None]
    if hasattr(start, '__len__') and hasattr(start, 'shape'):
        start = start.tolist()
    if isinstance(arrays, list):
        if hasattr(start, '__len__'):
            return [None if x is None else x[start] for x in arrays]
        return [None if x is None else x[start:stop] for x in arrays]
    if hasattr(start, '__len__'):
        return arrays[start]
    if hasattr(start, '__getitem__'):
        return arrays[start:stop]
    return [None]


def is_all_none(iterable_or_element):
    return all(element is None for element in to_list(iterable_or_element, allow_tuple=True))


def object_list_uid(object_list):
    return ', '.join(str(abs(id(x))) for x in to_list(object_list))


def transpose_shape(shape, target_format, spatial_axes):
    """A channels-last shape in `target_format` ('channels_first' moves the last axis before
    the spatial ones)."""
    if target_format == 'channels_first':
        new_values = tuple(shape[:spatial_axes[0]]) + (shape[-1],) + tuple(
            shape[x] for x in spatial_axes)
        return list(new_values) if isinstance(shape, list) else new_values
    if target_format == 'channels_last':
        return shape
    raise ValueError('The `data_format` argument must be one of "channels_first", '
                     f'"channels_last". Received: {target_format}')


_ELSEWHERE = {'Progbar': ('..utils.progbar', 'Progbar'),
              'CustomObjectScope': ('..layers.serialization', 'CustomObjectScope'),
              'custom_object_scope': ('..layers.serialization', 'custom_object_scope'),
              'get_custom_objects': ('..layers.serialization', 'get_custom_objects'),
              'serialize_keras_object': ('..registry', 'serialize_keras_object'),
              'deserialize_keras_object': ('..registry', 'deserialize_keras_object')}


def __getattr__(name):
    """The names Keras 2.2 also has here, from where gkeras keeps them (imported on first use:
    the layers import this module, so importing theirs at the top would be circular)."""
    if name in _ELSEWHERE:
        import importlib
        module, attribute = _ELSEWHERE[name]
        return getattr(importlib.import_module(module, __package__), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
