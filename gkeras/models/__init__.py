"""gkeras.models: Sequential, Model (functional)."""
from .functional import Network
from .sequential import Sequential
from .training import Model
