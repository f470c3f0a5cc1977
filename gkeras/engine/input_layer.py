"""keras.engine.input_layer."""
from ..layers.input_layer import Input, InputLayer
