"""gkeras.layers: every layer, plus Input."""
from .base import InputSpec, KerasTensor, Layer, Node
from .core import (Activation, ActivityRegularization, Dense, Dropout, Flatten, Lambda, Masking,
                   Permute, RepeatVector, Reshape)
from .input_layer import Input, InputLayer
from .serialization import deserialize, layer_from_config, serialize
