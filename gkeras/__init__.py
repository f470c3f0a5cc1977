"""gkeras: Keras 2 layers and models on NumPy or CuPy, with no TensorFlow."""
__version__ = '0.1.0'

from . import backend
from . import activations, constraints, initializers, losses, metrics, optimizers, regularizers
from . import callbacks, layers, models, utils
from . import engine, preprocessing, wrappers
from . import applications
from .layers import Input
from .models import Model, Sequential
