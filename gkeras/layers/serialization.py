"""Layer configs to layers and back, in the Keras 2 layout, reading tf.keras 2.x and Keras 3 too.

`deserialize({'class_name': 'Dense', 'config': {...}})` finds the class among the layers that
`gkeras.layers` exports (so a new layer module is picked up as soon as it is exported there), the
models (`Model`, `Functional`, `Sequential`) and the caller's `custom_objects`, then rewrites the
parts of the config that later Keras versions spell differently before calling `from_config`.
"""
import contextlib
import inspect
import threading

_ANY = object()

# Options tf.keras 2.x / Keras 3 write that gkeras layers do not take, with the values under
# which they change nothing. A layer that takes the option itself receives it unchanged.
_NEUTRAL_OPTIONS = {
    'ragged': (False,),            # InputLayer
    'optional': (False,),          # InputLayer (Keras 3)
    'sparse': (False,),            # Embedding, InputLayer
    'groups': (1,),                # Conv*
    'time_major': (False,),        # RNN layers
    'implementation': _ANY,        # RNN layers: 1 and 2 compute the same values
    'zero_output_for_mask': _ANY,  # RNN: only changes the masked steps of return_sequences
    'fused': _ANY,                 # BatchNormalization: same values either way
    'renorm': (False,),
    'renorm_clipping': (None,),
    'renorm_momentum': _ANY,       # meaningless while renorm is False
    'virtual_batch_size': (None,),
    'adjustment': (None,),
    'synchronized': (False,),
    'lora_rank': (None,),
    'lora_alpha': _ANY,            # meaningless while lora_rank is None
    'quantization_config': (None,),
    'seed': _ANY,                  # Keras 3 RNN dropout seed; gkeras' random streams differ
}

# Options Keras 3 adds to initializer configs, which change nothing while None.
_NEUTRAL_OBJECT_OPTIONS = ('input_axes', 'output_axes')

# Keys that only describe how Keras 3 rebuilds or compiles an object, not the object itself.
_RECORD_KEYS = ('module', 'registered_name', 'build_config', 'compile_config', 'shared_object_id')

class _Scope(threading.local):
    def __init__(self):
        self.custom_objects = []
        self.safe_mode = []


_scope = _Scope()
_GLOBAL_CUSTOM_OBJECTS = {}


def get_custom_objects():
    """The global dict of custom objects: `get_custom_objects()['MyLayer'] = MyLayer`."""
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """Within `with CustomObjectScope({'MyLayer': MyLayer}):`, deserialization finds those names."""

    def __init__(self, *custom_objects):
        self.custom_objects = custom_objects

    def __enter__(self):
        for objects in self.custom_objects:
            _scope.custom_objects.append(dict(objects or {}))
        return self

    def __exit__(self, *exc_info):
        for _ in self.custom_objects:
            _scope.custom_objects.pop()


def custom_object_scope(*custom_objects):
    return CustomObjectScope(*custom_objects)


def current_custom_objects(custom_objects=None):
    """The global custom objects, those of the enclosing scopes, then `custom_objects`."""
    merged = dict(_GLOBAL_CUSTOM_OBJECTS)
    for objects in _scope.custom_objects:
        merged.update(objects)
    merged.update(custom_objects or {})
    return merged


@contextlib.contextmanager
def safe_mode_scope(safe_mode):
    """Deserialization inside the block refuses (True) or allows (False) stored bytecode."""
    _scope.safe_mode.append(bool(safe_mode))
    try:
        yield
    finally:
        _scope.safe_mode.pop()


def in_safe_mode():
    """True unless an enclosing `safe_mode_scope(False)` allows loading stored bytecode."""
    return _scope.safe_mode[-1] if _scope.safe_mode else True


def layer_classes():
    """Class name -> class for every layer and model class gkeras exports."""
    from .. import layers as layers_module
    from .base import Layer
    from ..models import Model, Network, Sequential
    classes = {name: value for name, value in vars(layers_module).items()
               if isinstance(value, type) and issubclass(value, Layer)}
    classes.update({'Model': Model, 'Functional': Model, 'Network': Network,
                    'Sequential': Sequential})
    return classes


def serialize(layer):
    """{'class_name': 'Dense', 'config': layer.get_config()}."""
    return {'class_name': type(layer).__name__, 'config': layer.get_config()}


def deserialize(config, custom_objects=None, safe_mode=None):
    """A layer (or model) from {'class_name', 'config'} as Keras 2.x, tf.keras 2.x or Keras 3 wrote it.

    Args:
        config: the dict `serialize` returns (extra Keras 3 keys such as 'module' are ignored).
        custom_objects: name -> class or function, for user layers, activations, initializers...
        safe_mode: False allows Lambda layers stored as Python bytecode; None keeps the setting
            of the enclosing `safe_mode_scope` (safe by default).
    """
    if not isinstance(config, dict) or 'class_name' not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name' and 'config' keys; "
                         f"received {config!r}.")
    objects = current_custom_objects(custom_objects)
    class_name = config['class_name']
    cls = objects.get(class_name) or objects.get(config.get('registered_name')) \
        or layer_classes().get(class_name)
    if cls is None:
        raise ValueError(f"Unknown layer: {class_name!r}. Please ensure this object is passed to "
                         "the `custom_objects` argument (or is exported by gkeras.layers).")
    layer_config = config.get('config', {})
    with CustomObjectScope(custom_objects), \
            (safe_mode_scope(safe_mode) if safe_mode is not None else contextlib.nullcontext()):
        if not _is_model_class(cls):
            layer_config = normalize_layer_config(cls, layer_config, objects)
        return _call_from_config(cls, layer_config, objects)


layer_from_config = deserialize


def _is_model_class(cls):
    from ..models import Network
    return issubclass(cls, Network)


def _call_from_config(cls, config, custom_objects):
    parameters = inspect.signature(cls.from_config).parameters
    kwargs = {}
    if 'custom_objects' in parameters:
        kwargs['custom_objects'] = custom_objects
    if 'safe_mode' in parameters:
        kwargs['safe_mode'] = in_safe_mode()
    return cls.from_config(config, **kwargs)


def normalize_dtype(dtype):
    """A dtype name from a name, a tf.keras `Policy` / Keras 3 `DTypePolicy` config or None.

    Mixed policies ('mixed_float16', 'mixed_bfloat16') keep their variables in float32, which is
    what gkeras then computes in.
    """
    if isinstance(dtype, dict):
        dtype = (dtype.get('config') or {}).get('name', dtype.get('name'))
    if isinstance(dtype, str) and dtype.startswith('mixed_'):
        return 'float32'
    return dtype


def _accepted_arguments(cls):
    """Keyword arguments the constructors along the class's MRO take by name."""
    from .base import Layer
    names = set()
    for klass in cls.__mro__:
        if klass is Layer:
            names |= set(getattr(cls, '_ALLOWED_KWARGS', Layer._ALLOWED_KWARGS))
            break
        if '__init__' in vars(klass):
            parameters = inspect.signature(vars(klass)['__init__']).parameters
            names |= {name for name, p in parameters.items()
                      if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
            if not any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
                break
    return names


def _resolve_custom(value, custom_objects):
    """A custom activation/initializer/regularizer/constraint named in a config, if there is one."""
    if isinstance(value, str):
        return custom_objects.get(value, value)
    if isinstance(value, dict) and value.get('class_name') in custom_objects:
        factory = custom_objects[value['class_name']]
        arguments = value.get('config') or {}
        if not isinstance(arguments, dict):
            return factory
        if hasattr(factory, 'from_config'):
            return factory.from_config(arguments)
        return factory(**arguments)
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k not in _RECORD_KEYS}
        if isinstance(value.get('config'), dict):
            value['config'] = {k: v for k, v in value['config'].items()
                               if not (k in _NEUTRAL_OBJECT_OPTIONS and v is None)}
        return value
    return value


_OBJECT_SUFFIXES = ('activation', 'initializer', 'regularizer', 'constraint')


def normalize_layer_config(cls, config, custom_objects=None):
    """The constructor arguments of `cls` from a config in any Keras 2.x / 3 dialect."""
    config = dict(config)
    custom_objects = custom_objects or {}
    name = config.get('name')
    if 'dtype' in config:
        config['dtype'] = normalize_dtype(config['dtype'])
    if 'batch_shape' in config:
        batch_shape = config.pop('batch_shape')
        config.setdefault('batch_input_shape', batch_shape)
    for key in _RECORD_KEYS:
        config.pop(key, None)
    for key, value in list(config.items()):
        if key.endswith(_OBJECT_SUFFIXES):
            config[key] = _resolve_custom(value, custom_objects)
    accepted = _accepted_arguments(cls)
    for key in [k for k in config if k not in accepted and k in _NEUTRAL_OPTIONS]:
        neutral, value = _NEUTRAL_OPTIONS[key], config[key]
        if neutral is not _ANY and value not in neutral:
            raise ValueError(f"Layer {name!r} ({cls.__name__}): the option {key}={value!r} is not "
                             f"supported by gkeras; it is supported only with {key}="
                             f"{neutral[0]!r}.")
        del config[key]
    return config
