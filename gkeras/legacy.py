"""Keras 1 argument spellings, converted to Keras 2's as Keras 2.2.5 does
(keras/legacy/interfaces.py).

`Convolution2D(64, 3, 3, border_mode='same')`, `LSTM(output_dim=4, consume_less='cpu')`,
`Dropout(p=0.5)`, ... are rewritten to their Keras 2 arguments before the layer's `__init__` binds
them, so the layer, its get_config and a saved model are the same as with the Keras 2 spelling.
Each call that used a Keras 1 name warns "Update your `X` call to the Keras 2 API: `X(...)`" with
the converted call; a Keras 1 name given together with its Keras 2 name is a TypeError.

A layer takes part with one line, `@legacy_interface('<kind>')` on its `__init__`; `_INTERFACES`
is the table of kinds. Not ported: Keras 2.2.5's limits on the number of positional arguments
(`Dense(3, 'relu')`, `Conv2D(8, 3, 1, 'same')`, `BatchNormalization(-1)` raise there), since
gkeras also takes tf.keras 2.x spellings, which allow them. Two integers after Conv2D's filters
are Keras 1's nb_row, nb_col, as in 2.2.5 (tf.keras would read the second as strides).
"""
import functools
import warnings
from collections import namedtuple

import numpy as np

_Interface = namedtuple('_Interface', ['conversions', 'value_conversions', 'preprocessor'])

_DIM_ORDERING = {'dim_ordering': {'tf': 'channels_last', 'th': 'channels_first',
                                  'default': None}}
_KERNEL_BIAS = [('init', 'kernel_initializer'),
                ('W_regularizer', 'kernel_regularizer'),
                ('b_regularizer', 'bias_regularizer'),
                ('W_constraint', 'kernel_constraint'),
                ('b_constraint', 'bias_constraint'),
                ('bias', 'use_bias')]
_CONV_2D = [('nb_filter', 'filters'),
            ('subsample', 'strides'),
            ('border_mode', 'padding'),
            ('dim_ordering', 'data_format')]
_POOLING_ND = [('border_mode', 'padding'), ('dim_ordering', 'data_format')]
_INTEGER_STRIDES_MESSAGE = ('It seems that you are using the Keras 2 and you are passing both '
                            '`kernel_size` and `strides` as integer positional arguments. For '
                            'safety reasons, this is disallowed. Pass `strides` as a keyword '
                            'argument instead.')
_FORGET_BIAS_IGNORED = ('The `forget_bias_init` argument has been ignored. Use '
                        '`unit_forget_bias=True` instead to initialize with ones.')


# Preprocessors take the positional arguments after `self` and the keywords, and return them
# rewritten with a list of what they converted (non-empty: the call gets the "Update" warning).
# Their own warnings use stacklevel=4: preprocessor <- convert_arguments <- wrapper <- caller.

def _embedding(args, kwargs):
    if 'dropout' in kwargs:
        kwargs.pop('dropout')
        warnings.warn('The `dropout` argument is no longer support in `Embedding`. You can apply '
                      'a `keras.layers.SpatialDropout1D` layer right after the `Embedding` '
                      'layer to get the same behavior.', stacklevel=4)
    return args, kwargs, []


def _recurrent(args, kwargs):
    converted = []
    if 'forget_bias_init' in kwargs:
        if kwargs.pop('forget_bias_init') == 'one':
            kwargs['unit_forget_bias'] = True
            converted.append(('forget_bias_init', 'unit_forget_bias'))
        else:
            warnings.warn(_FORGET_BIAS_IGNORED, stacklevel=4)
    if 'input_dim' in kwargs:
        input_length = kwargs.pop('input_length', None)
        kwargs['input_shape'] = (input_length, kwargs.pop('input_dim'))
        converted.append(('input_dim', 'input_shape'))
        warnings.warn('The `input_dim` and `input_length` arguments in recurrent layers are '
                      'deprecated. Use `input_shape` instead.', stacklevel=4)
    return args, kwargs, converted


def _conv1d(args, kwargs):
    converted = []
    if 'input_dim' in kwargs:
        kwargs['input_shape'] = (kwargs.pop('input_length', None), kwargs.pop('input_dim'))
        converted.append(('input_shape', 'input_dim'))
    return args, kwargs, converted


def _check_no_keras2_keywords(kwargs):
    """Integer positional kernel sizes read as Keras 1's; with Keras 2 keywords, refuse."""
    if any(keyword in kwargs for keyword in ('padding', 'strides', 'data_format')):
        raise ValueError(_INTEGER_STRIDES_MESSAGE)


def _conv2d(args, kwargs):
    """Keras 1's `nb_row, nb_col` (positional or keyword) become `kernel_size`."""
    converted = []
    if len(args) == 3 and isinstance(args[1], int) and isinstance(args[2], int):
        _check_no_keras2_keywords(kwargs)
        args = [args[0], (args[1], args[2])]
        converted.append(('kernel_size', 'nb_row/nb_col'))
    elif len(args) == 2 and isinstance(args[1], int):
        if 'nb_col' in kwargs:
            args = [args[0], (args[1], kwargs.pop('nb_col'))]
            converted.append(('kernel_size', 'nb_row/nb_col'))
    elif len(args) in (0, 1) and 'nb_row' in kwargs and 'nb_col' in kwargs:
        kernel_size = (kwargs.pop('nb_row'), kwargs.pop('nb_col'))
        if args:
            args = [args[0], kernel_size]
        else:
            kwargs['kernel_size'] = kernel_size
        converted.append(('kernel_size', 'nb_row/nb_col'))
    return args, kwargs, converted


def _conv3d(args, kwargs):
    """Keras 1's `kernel_dim1, kernel_dim2, kernel_dim3` become `kernel_size`."""
    converted = []
    dims = ['kernel_dim1', 'kernel_dim2', 'kernel_dim3']
    if len(args) == 4:
        if all(isinstance(x, int) for x in args[1:4]):
            args = [args[0], tuple(args[1:4])]
            converted.append(('kernel_size', 'kernel_dim*'))
    elif len(args) == 3 and isinstance(args[2], int):
        if isinstance(args[1], int):
            _check_no_keras2_keywords(kwargs)
        if 'kernel_dim3' in kwargs:
            args = [args[0], (args[1], args[2], kwargs.pop('kernel_dim3'))]
            converted.append(('kernel_size', 'kernel_dim*'))
    elif len(args) == 2:
        if all(x in kwargs for x in dims[1:]):
            args = [args[0], (args[1],) + tuple(kwargs.pop(x) for x in dims[1:])]
            converted.append(('kernel_size', 'kernel_dim*'))
    elif len(args) in (0, 1) and all(x in kwargs for x in dims):
        kernel_size = tuple(kwargs.pop(x) for x in dims)
        if args:
            args = [args[0], kernel_size]
        else:
            kwargs['kernel_size'] = kernel_size
        converted.append(('kernel_size', 'kernel_dim*'))
    return args, kwargs, converted


def _separable_conv2d(args, kwargs):
    converted = []
    if 'init' in kwargs:
        init = kwargs.pop('init')
        kwargs['depthwise_initializer'] = init
        kwargs['pointwise_initializer'] = init
        converted.append(('init', 'depthwise_initializer/pointwise_initializer'))
    args, kwargs, conv_converted = _conv2d(args, kwargs)
    return args, kwargs, converted + conv_converted


def _deconv2d(args, kwargs):
    """Keras 1's `output_shape` (4th positional or keyword) is dropped: Keras 2 infers it."""
    converted = []
    if len(args) == 4 and isinstance(args[3], tuple):
        args = args[:-1]
        converted.append(('output_shape', None))
    if 'output_shape' in kwargs:
        kwargs.pop('output_shape')
        converted.append(('output_shape', None))
    args, kwargs, conv_converted = _conv2d(args, kwargs)
    return args, kwargs, converted + conv_converted


def _convlstm2d(args, kwargs):
    converted = []
    if 'forget_bias_init' in kwargs:
        if kwargs.pop('forget_bias_init') == 'one':
            kwargs['unit_forget_bias'] = True
            converted.append(('forget_bias_init', 'unit_forget_bias'))
        else:
            warnings.warn(_FORGET_BIAS_IGNORED, stacklevel=4)
    args, kwargs, conv_converted = _conv2d(args, kwargs)
    return args, kwargs, converted + conv_converted


def _batchnorm(args, kwargs):
    converted = []
    if 'mode' in kwargs:
        if kwargs.pop('mode') != 0:
            raise TypeError('The `mode` argument of `BatchNormalization` no longer exists. '
                            '`mode=1` and `mode=2` are no longer supported.')
        converted.append(('mode', None))
    return args, kwargs, converted


def _pads_from_dict(pads):
    return ((pads.get('top_pad', 0), pads.get('bottom_pad', 0)),
            (pads.get('left_pad', 0), pads.get('right_pad', 0)))


_PAD_KEYS = {'top_pad', 'bottom_pad', 'left_pad', 'right_pad'}


def _zeropadding2d(args, kwargs):
    """Keras 1's padding dict {'top_pad': .., 'left_pad': ..} becomes
    ((top, bottom), (left, right)); the two warnings are worded as Keras 2.2.5 words them."""
    if isinstance(kwargs.get('padding'), dict):
        if set(kwargs['padding']) <= _PAD_KEYS:
            kwargs['padding'] = _pads_from_dict(kwargs['padding'])
            warnings.warn('The `padding` argument in the Keras 2 API no longeraccepts dict '
                          'types. You can now input argument as: `padding=(top_pad, '
                          'bottom_pad, left_pad, right_pad)`.', stacklevel=4)
    elif len(args) == 1 and isinstance(args[0], dict):
        if set(args[0]) <= _PAD_KEYS:
            args = (_pads_from_dict(args[0]),)
            warnings.warn('The `padding` argument in the Keras 2 API no longeraccepts dict '
                          'types. You can now input argument as: `padding=((top_pad, '
                          'bottom_pad), (left_pad, right_pad))`', stacklevel=4)
    return args, kwargs, []


def _add_weight(args, kwargs):
    """Keras 1's `add_weight(shape, ...)`: a leading tuple or list is the shape, and a string
    after it the name (Keras 2.2.5 reads it so, even where Keras 1 meant the initializer)."""
    if args and isinstance(args[0], (tuple, list)):
        kwargs['shape'] = args[0]
        args = args[1:]
        if args and isinstance(args[0], str):
            kwargs['name'] = args[0]
            args = args[1:]
    return args, kwargs, []


_KERAS1_GENERATOR_ARGS = {'val_samples', 'nb_epoch', 'nb_val_samples', 'nb_worker'}


def _generator_methods(args, kwargs):
    """Keras 1's samples_per_epoch, a number of samples, becomes steps_per_epoch: divided by
    the generator's batch_size where it has one (2.2.5 does so only when at most the generator
    is positional). The other counts are renamed as they are, with 2.2.5's warning."""
    converted = []
    if len(args) < 2 and 'samples_per_epoch' in kwargs:
        samples = kwargs.pop('samples_per_epoch')
        generator = args[0] if args else kwargs.get('generator')
        kwargs['steps_per_epoch'] = (samples // generator.batch_size
                                     if hasattr(generator, 'batch_size') else samples)
        converted.append(('samples_per_epoch', 'steps_per_epoch'))
    if _KERAS1_GENERATOR_ARGS.intersection(kwargs):
        warnings.warn('The semantics of the Keras 2 argument `steps_per_epoch` is not the same as '
                      'the Keras 1 argument `samples_per_epoch`. `steps_per_epoch` is the number '
                      'of batches to draw from the generator at each epoch. Basically '
                      'steps_per_epoch = samples_per_epoch/batch_size. Similarly '
                      '`nb_val_samples`->`validation_steps` and `val_samples`->`steps` arguments '
                      'have changed. Update your method calls accordingly.', stacklevel=4)
    return args, kwargs, converted


def _interface(conversions=(), value_conversions=None, preprocessor=None):
    return _Interface(list(conversions), value_conversions or {}, preprocessor)


_INTERFACES = {
    'dense': _interface([('output_dim', 'units')] + _KERNEL_BIAS),
    'dropout': _interface([('p', 'rate')]),
    'spatial_dropout_1d': _interface([('p', 'rate')]),
    'spatial_dropout_nd': _interface([('p', 'rate'), ('dim_ordering', 'data_format')],
                                     _DIM_ORDERING),
    'embedding': _interface([('init', 'embeddings_initializer'),
                             ('W_regularizer', 'embeddings_regularizer'),
                             ('W_constraint', 'embeddings_constraint')], None, _embedding),
    'prelu': _interface([('init', 'alpha_initializer')]),
    'gaussian_noise': _interface([('sigma', 'stddev')]),
    'gaussian_dropout': _interface([('p', 'rate')]),
    'batchnorm': _interface([('beta_init', 'beta_initializer'),
                             ('gamma_init', 'gamma_initializer')], None, _batchnorm),
    'recurrent': _interface([('output_dim', 'units'),
                             ('init', 'kernel_initializer'),
                             ('inner_init', 'recurrent_initializer'),
                             ('inner_activation', 'recurrent_activation'),
                             ('W_regularizer', 'kernel_regularizer'),
                             ('b_regularizer', 'bias_regularizer'),
                             ('U_regularizer', 'recurrent_regularizer'),
                             ('dropout_W', 'dropout'),
                             ('dropout_U', 'recurrent_dropout'),
                             ('consume_less', 'implementation')],
                            {'consume_less': {'cpu': 0, 'mem': 1, 'gpu': 2}}, _recurrent),
    'conv1d': _interface([('nb_filter', 'filters'),
                          ('filter_length', 'kernel_size'),
                          ('subsample_length', 'strides'),
                          ('border_mode', 'padding')] + _KERNEL_BIAS, None, _conv1d),
    'conv2d': _interface(_CONV_2D + _KERNEL_BIAS, _DIM_ORDERING, _conv2d),
    'conv3d': _interface(_CONV_2D + _KERNEL_BIAS, _DIM_ORDERING, _conv3d),
    'deconv2d': _interface(_CONV_2D + _KERNEL_BIAS, _DIM_ORDERING, _deconv2d),
    'separable_conv2d': _interface(_CONV_2D + [('b_regularizer', 'bias_regularizer'),
                                               ('b_constraint', 'bias_constraint'),
                                               ('bias', 'use_bias')],
                                   _DIM_ORDERING, _separable_conv2d),
    'convlstm2d': _interface(_CONV_2D + [('init', 'kernel_initializer'),
                                         ('inner_init', 'recurrent_initializer'),
                                         ('W_regularizer', 'kernel_regularizer'),
                                         ('U_regularizer', 'recurrent_regularizer'),
                                         ('b_regularizer', 'bias_regularizer'),
                                         ('inner_activation', 'recurrent_activation'),
                                         ('dropout_W', 'dropout'),
                                         ('dropout_U', 'recurrent_dropout'),
                                         ('bias', 'use_bias')],
                             _DIM_ORDERING, _convlstm2d),
    'pooling1d': _interface([('pool_length', 'pool_size'), ('stride', 'strides'),
                             ('border_mode', 'padding')]),
    'pooling_nd': _interface(_POOLING_ND, _DIM_ORDERING),
    'global_pooling': _interface([('dim_ordering', 'data_format')], _DIM_ORDERING),
    'upsampling1d': _interface([('length', 'size')]),
    'data_format': _interface([('dim_ordering', 'data_format')], _DIM_ORDERING),
    'zeropadding2d': _interface([('dim_ordering', 'data_format')], _DIM_ORDERING,
                                _zeropadding2d),
    'model': _interface([('input', 'inputs'), ('output', 'outputs')]),
    'input': _interface([('input_dtype', 'dtype')]),
    'add_weight': _interface(preprocessor=_add_weight),
    'generator_methods': _interface([('samples_per_epoch', 'steps_per_epoch'),
                                     ('val_samples', 'steps'),
                                     ('nb_epoch', 'epochs'),
                                     ('nb_val_samples', 'validation_steps'),
                                     ('nb_worker', 'workers'),
                                     ('pickle_safe', 'use_multiprocessing'),
                                     ('max_q_size', 'max_queue_size')],
                                    None, _generator_methods),
}


def _value_text(value):
    if isinstance(value, str):
        return '"' + value + '"'
    text = 'array' if isinstance(value, np.ndarray) else str(value)
    return text[:10] + '...' if len(text) > 10 else text


def _duplicate_error(old_name, new_name):
    return TypeError(f'For the `{new_name}` argument, the layer received both the legacy keyword '
                     f'argument `{old_name}` and the Keras 2 keyword argument `{new_name}`. '
                     'Stick to the latter!')


def convert_arguments(kind, object_name, args, kwargs):
    """The Keras 2 (args, kwargs) of a call to `object_name` with Keras 1 arguments of `kind`.

    Warns with the converted call when something was converted. Args: `args`, the positional
    arguments after `self`; `kwargs`, a dict this function may change.
    """
    interface = _INTERFACES[kind]
    converted = []
    if interface.preprocessor:
        args, kwargs, converted = interface.preprocessor(args, kwargs)
    for key, values in interface.value_conversions.items():
        if key in kwargs and kwargs[key] in values:
            kwargs[key] = values[kwargs[key]]
    for old_name, new_name in interface.conversions:
        if old_name in kwargs:
            value = kwargs.pop(old_name)
            if new_name in kwargs:
                raise _duplicate_error(old_name, new_name)
            kwargs[new_name] = value
            converted.append((new_name, old_name))
    if converted:
        call = ', '.join([_value_text(value) for value in args] +
                         [name + '=' + _value_text(value) for name, value in kwargs.items()])
        warnings.warn(f'Update your `{object_name}` call to the Keras 2 API: '
                      f'`{object_name}({call})`', stacklevel=3)
    return args, kwargs


def legacy_interface(kind, method=False):
    """Decorator for a Layer's `__init__` (or `add_weight`), or with method=True a Model method:
    accept the Keras 1 arguments of `kind` (a key of `_INTERFACES`), as Keras 2.2.5 does; the
    warning names `type(self)`, or the method."""
    def decorate(function):
        @functools.wraps(function)
        def wrapper(self, *args, **kwargs):
            name = function.__name__ if method else type(self).__name__
            args, kwargs = convert_arguments(kind, name, args, kwargs)
            return function(self, *args, **kwargs)
        return wrapper
    return decorate
