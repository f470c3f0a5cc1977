"""Names and configs to objects and back, by Keras 2's rules, for the registries of activations,
losses, metrics, initializers, regularizers and constraints.

Keras 2 keeps these helpers in utils/generic_utils; here they import nothing from gkeras, because
gkeras.utils imports gkeras.layers, which imports those registries.
"""


def serialize_keras_object(instance, printable_module_name='object'):
    """Keras 2 form of a configurable object: {'class_name', 'config'}, or a function's name.

    None stays None (an unset initializer, regularizer or constraint).
    """
    if instance is None:
        return None
    if hasattr(instance, 'get_config'):
        return {'class_name': type(instance).__name__, 'config': instance.get_config()}
    if hasattr(instance, '__name__'):
        return instance.__name__
    raise ValueError(f"Cannot serialize {printable_module_name} {instance!r}: "
                     "it has neither get_config nor __name__.")


def serialize_function(function, printable_module_name='function'):
    """The name under which a registry function (an activation, a loss, a metric) is saved."""
    name = getattr(function, '__name__', None)
    if name is None:
        raise ValueError(f"Cannot serialize {printable_module_name} {function!r}: "
                         "it has no __name__.")
    return name


def _lookup(name, module_objects, custom_objects, printable_module_name):
    """`module_objects[name]`, custom_objects searched first; an unknown name lists the known."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name not in module_objects:
        raise ValueError(f"Unknown {printable_module_name}: {name!r}. "
                         f"Expected one of: {', '.join(sorted(module_objects))}.")
    return module_objects[name]


def deserialize_keras_object(identifier, module_objects, custom_objects=None,
                             printable_module_name='object', adapt_config=None):
    """A new object from a {'class_name', 'config'} dict, or from a bare name with an empty config.

    A bare name found in `custom_objects` is returned as it is, not called.

    Args:
        module_objects: name -> class or factory function, aliases included.
        adapt_config: `(factory, config) -> config`, applied before the factory is called.
    """
    if isinstance(identifier, str):
        if custom_objects and identifier in custom_objects:
            return custom_objects[identifier]
        identifier = {'class_name': identifier, 'config': {}}
    config = dict(identifier.get('config') or {})
    factory = _lookup(identifier.get('class_name'), module_objects, custom_objects,
                      printable_module_name)
    if adapt_config is not None:
        config = adapt_config(factory, config)
    if hasattr(factory, 'from_config'):
        return factory.from_config(config)
    return factory(**config)


def deserialize_function(identifier, module_objects, custom_objects=None,
                         printable_module_name='function'):
    """The function that a name, or a config dict, names.

    {'class_name': 'function', 'config': 'relu'} is how Keras 3 / tf.keras 2.13+ may write 'relu';
    any other dict names its class_name.
    """
    if isinstance(identifier, dict):
        config = identifier.get('config')
        if identifier.get('class_name') == 'function' and isinstance(config, str):
            identifier = config
        else:
            identifier = identifier.get('class_name')
    return _lookup(identifier, module_objects, custom_objects, printable_module_name)


def get_keras_object(identifier, deserialize, printable_module_name='object'):
    """`deserialize(identifier)` for a name or a config dict; a callable as it is."""
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {printable_module_name} identifier: {identifier!r}.")
