"""Global numeric settings of Keras 2: floatx, epsilon, image_data_format, learning phase."""
import threading

_FLOATX = 'float32'
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = 'channels_last'
_FLOAT_TYPES = ('float16', 'float32', 'float64')


def floatx():
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if str(value) not in _FLOAT_TYPES:
        raise ValueError(f"Unknown floatx type {value!r}; expected one of {_FLOAT_TYPES}.")
    _FLOATX = str(value)


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    global _IMAGE_DATA_FORMAT
    if data_format not in ('channels_last', 'channels_first'):
        raise ValueError("image_data_format must be 'channels_last' or 'channels_first'; "
                         f"received {data_format!r}.")
    _IMAGE_DATA_FORMAT = data_format


def normalize_data_format(value):
    if value is None:
        return _IMAGE_DATA_FORMAT
    value = str(value).lower()
    if value not in ('channels_last', 'channels_first'):
        raise ValueError("data_format must be 'channels_last' or 'channels_first'; "
                         f"received {value!r}.")
    return value


class _Phase(threading.local):
    forced = None      # set_learning_phase(0/1)
    current = 0        # the phase of the forward pass under way


_phase = _Phase()


def learning_phase():
    """1 while a model runs in training mode, else 0 (or what set_learning_phase fixed)."""
    return _phase.forced if _phase.forced is not None else _phase.current


def set_learning_phase(value):
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1; received {value!r}.")
    _phase.forced = value


def reset_learning_phase():
    """Forget a phase fixed by set_learning_phase (K.clear_session does this)."""
    _phase.forced = None


class training_phase:
    """Context manager that sets the learning phase for a forward pass."""

    def __init__(self, training):
        self.training = 1 if training else 0

    def __enter__(self):
        self.previous = _phase.current
        _phase.current = self.training

    def __exit__(self, *exc):
        _phase.current = self.previous
