"""keras.engine.base_layer."""
from ..layers.base import InputSpec, Layer, Node
