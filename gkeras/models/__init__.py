"""gkeras.models: Sequential, Model (functional), and loading them from configs and files."""
from ..layers.input_layer import Input, InputLayer  # Keras 2.2 exports them here too
from .cloning import clone_model
from .functional import Network
from .sequential import Sequential
from .training import Model
from .saving import load_model, model_from_config, model_from_json, model_from_yaml, save_model
