"""Serialization helpers shared by layers, models and the K-level registries."""
import builtins
import codecs
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


def to_list(x):
    if isinstance(x, list):
        return x
    if isinstance(x, tuple):
        return list(x)
    return [x]


def deserialize_keras_object(identifier, module_objects, custom_objects=None,
                             printable_module_name='object'):
    """Resolve a name or a {'class_name', 'config'} dict against a registry of objects."""
    custom_objects = custom_objects or {}
    if isinstance(identifier, dict):
        class_name = identifier.get('class_name')
        config = identifier.get('config', {})
        cls = custom_objects.get(class_name) or module_objects.get(class_name)
        if cls is None:
            raise ValueError(f"Unknown {printable_module_name}: {class_name!r}. Known: "
                             f"{sorted(module_objects)}. Custom classes go in `custom_objects`.")
        if hasattr(cls, 'from_config'):
            return cls.from_config(config)
        return cls(**config)
    if isinstance(identifier, str):
        obj = custom_objects.get(identifier) or module_objects.get(identifier)
        if obj is None:
            raise ValueError(f"Unknown {printable_module_name}: {identifier!r}. Known: "
                             f"{sorted(module_objects)}. Custom ones go in `custom_objects`.")
        return obj
    raise ValueError(f"Could not interpret {printable_module_name} identifier: {identifier!r}")
