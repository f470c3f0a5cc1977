"""gkeras.engine: where Keras 2 code imports the engine's classes from (`from keras.engine import
Layer`, `from keras.engine.topology import Layer, InputSpec`, ...); they live in gkeras.layers and
gkeras.models."""
from ..layers.base import InputSpec, Layer
from ..layers.input_layer import Input, InputLayer
from ..models.training import Model
from ..utils.layer_utils import get_source_inputs
from . import base_layer, input_layer, network, saving, sequential, topology, training
