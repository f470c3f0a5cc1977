"""Python functions to storable values and back, as Keras 2 saves Lambda layers."""
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
