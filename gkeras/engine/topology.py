"""keras.engine.topology (Keras 2.2's name for the graph classes)."""
from ..layers.base import InputSpec, Layer, Node
from ..layers.input_layer import Input, InputLayer
from ..models.functional import Network
from ..utils.layer_utils import get_source_inputs
